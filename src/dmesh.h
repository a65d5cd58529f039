/*-------------------------------------------------------------------------
 *
 * dmesh.h
 *		Private declarations shared by the dmesh C sources.
 *
 * dmesh keeps its state in ordinary tables of the extension's schema
 * (dmesh.domain, dmesh.data_product, ...).  The SQL-callable functions are
 * not SECURITY DEFINER: each one identifies its caller, checks the caller's
 * rights, then works as the extension owner inside a "section" that pins
 * search_path (privilege.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DMESH_H
#define DMESH_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "nodes/parsenodes.h"

/* Limits on the names of domains and products, in bytes (names.c). */
#define DMESH_MAX_NAME_BYTES	50
/* Prefix of the schema that holds a domain's published relations. */
#define DMESH_DOMAIN_SCHEMA_PREFIX	"dmesh_"

/* ---------- privilege.c ---------- */

/*
 * A section runs code under another user id with search_path pinned to
 * "pg_catalog, pg_temp".  Leaving restores both; an error restores both
 * through transaction or subtransaction abort.
 */
typedef struct DmeshSection
{
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
} DmeshSection;

extern Oid	dmesh_extension_owner(void);
extern void dmesh_enter_privileged(DmeshSection *section);
extern void dmesh_enter_as_role(DmeshSection *section, Oid role);
extern void dmesh_pin_search_path(DmeshSection *section);
extern void dmesh_leave(DmeshSection *section);
extern char *dmesh_role_name(Oid role);

/* ---------- names.c ---------- */

typedef struct DmeshProductRef
{
	char	   *domain;
	char	   *product;
} DmeshProductRef;

extern char *dmesh_text_arg(FunctionCallInfo fcinfo, int argno, const char *what);
extern void dmesh_check_name(const char *name, const char *kind);
extern DmeshProductRef dmesh_parse_product_ref(const char *ref);
extern char *dmesh_product_ident(const char *domain, const char *product);
extern char *dmesh_domain_schema(const char *domain);
extern char *dmesh_port_relation_name(const char *product, int major);
extern int	dmesh_version_major(const char *version);
extern char *dmesh_qualified_relname(Oid relid);

/* ---------- spi_util.c ---------- */

#define DMESH_MAX_ARGS 10

typedef struct DmeshArgs
{
	int			n;
	Oid			types[DMESH_MAX_ARGS];
	Datum		values[DMESH_MAX_ARGS];
	char		nulls[DMESH_MAX_ARGS];
} DmeshArgs;

extern void dmesh_args_init(DmeshArgs *args);
extern void dmesh_arg_text(DmeshArgs *args, const char *value);
extern void dmesh_arg_int8(DmeshArgs *args, int64 value);
extern void dmesh_arg_int4(DmeshArgs *args, int32 value);
extern void dmesh_arg_oid(DmeshArgs *args, Oid type, Oid value);
extern void dmesh_arg_datum(DmeshArgs *args, Oid type, Datum value, bool isnull);

extern uint64 dmesh_spi_exec(const char *sql, DmeshArgs *args, int expected);
extern void dmesh_spi_utility(const char *sql);
extern char *dmesh_spi_text(uint64 row, int col);
extern int64 dmesh_spi_int8(uint64 row, int col);
extern Oid	dmesh_spi_oid(uint64 row, int col);

/* ---------- catalog.c ---------- */

typedef struct DmeshDomain
{
	int64		id;
	char	   *name;
	Oid			owner;
	char	   *schema_name;
} DmeshDomain;

typedef struct DmeshProduct
{
	int64		id;
	DmeshDomain domain;
	char	   *name;
	Oid			owner;
	char	   *status;
	char	   *version;
	Oid			source_relid;	/* InvalidOid for query sources */
	char	   *source_query;	/* NULL for relation sources */
} DmeshProduct;

typedef enum DmeshLock
{
	DMESH_NO_LOCK,
	DMESH_LOCK_FOR_UPDATE
} DmeshLock;

extern bool dmesh_load_domain(const char *name, DmeshLock lock, DmeshDomain *domain);
extern bool dmesh_load_product(const DmeshProductRef *ref, DmeshLock lock, DmeshProduct *product);
extern void dmesh_require_product(const char *ref_text, DmeshLock lock, DmeshProduct *product);
extern void dmesh_require_manager(Oid caller, const DmeshProduct *product, const char *action);
extern char *dmesh_product_display(const DmeshProduct *product);
extern void dmesh_begin_product_call(const char *ref, Oid caller, const char *action,
									 DmeshSection *section, DmeshProduct *product);
extern void dmesh_end_call(DmeshSection *section);

/* ---------- eventlog.c ---------- */

typedef struct DmeshJson
{
	StringInfoData buf;
	bool		empty;
} DmeshJson;

extern void dmesh_json_init(DmeshJson *json);
extern void dmesh_json_str(DmeshJson *json, const char *key, const char *value);
extern void dmesh_json_bool(DmeshJson *json, const char *key, bool value);
extern void dmesh_json_raw(DmeshJson *json, const char *key, const char *raw);
extern char *dmesh_json_finish(DmeshJson *json);
extern void dmesh_log_event(Oid caller, const char *action, const char *object_type,
							const char *object_identity, int64 domain_id,
							int64 product_id, const char *details);

/* ---------- source.c ---------- */

typedef struct DmeshSource
{
	Oid			relid;			/* relation source, or InvalidOid */
	char	   *query;			/* normalized query source, or NULL */
} DmeshSource;

extern DmeshSource dmesh_resolve_source(const char *source);
extern void dmesh_check_source_readable(const DmeshSource *source, Oid owner,
										const char *product_display);
extern char *dmesh_source_describe(const DmeshSource *source);

/* ---------- publish.c ---------- */

extern Oid	dmesh_publish_port(const DmeshProduct *product, bool *replaced);
extern void dmesh_set_port_comment(const DmeshProduct *product, const char *note);
extern int	dmesh_drop_ports(const DmeshProduct *product, StringInfo dropped);
extern void dmesh_apply_grant(const DmeshProduct *product, Oid consumer, bool grant);
extern Oid	dmesh_port_relid(const DmeshProduct *product, int major);

#endif							/* DMESH_H */
