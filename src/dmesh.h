/*-------------------------------------------------------------------------
 *
 * dmesh.h
 *		What every dmesh C source uses: the catalogs of domains and products,
 *		names, SPI helpers, privileged sections, locks, trust, the event
 *		log and the settings.  Each family of files (product_*, contract_*,
 *		quality_*, gov_*, lineage_*, usage_*, worker_*, fed_*) has a header of its
 *		own for the rest; dmesh.c lists them.
 *
 * dmesh keeps its state in ordinary tables of the extension's schema
 * (dmesh.domain, dmesh.data_product, ...).  The SQL-callable functions are
 * not SECURITY DEFINER: each one identifies its caller, checks the caller's
 * rights, then works as the extension owner inside a "section" that pins
 * search_path (core_privilege.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DMESH_H
#define DMESH_H

#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/nodes.h"
#include "storage/lockdefs.h"
#include "utils/timestamp.h"

/* Limits on the names of domains and products, in bytes (core_names.c). */
#define DMESH_MAX_NAME_BYTES	50
/* Prefix of the schema that holds a domain's published relations. */
#define DMESH_DOMAIN_SCHEMA_PREFIX	"dmesh_"

/* ---------- core_guc.c: every setting ---------- */

extern bool dmesh_internal_ddl;		/* dmesh.internal_ddl */
extern int	dmesh_lock_timeout;		/* dmesh.lock_timeout, ms */
extern bool dmesh_track_usage;		/* dmesh.track_usage */
extern int	dmesh_usage_max_entries;	/* dmesh.usage_max_entries */
extern int	dmesh_usage_max_entries_per_role;	/* dmesh.usage_max_entries_per_role */
extern char *dmesh_databases;		/* dmesh.database */
extern bool dmesh_worker_enabled;	/* dmesh.worker_enabled */
extern int	dmesh_naptime;			/* dmesh.naptime, s */
extern int	dmesh_max_workers;		/* dmesh.max_workers */
extern int	dmesh_peer_sync_interval;	/* dmesh.peer_sync_interval, s */
extern int	dmesh_peer_sync_timeout;	/* dmesh.peer_sync_timeout, ms */

extern void dmesh_define_gucs(void);

/* ---------- core_privilege.c ---------- */

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

/* ---------- core_probe.c ---------- */

extern bool dmesh_in_domain_schema(Oid relid);
extern bool dmesh_catalog_has_oid(const char *table, const char *index,
								  const char *column, Oid value);

/* ---------- core_names.c ---------- */

typedef struct DmeshProductRef
{
	char	   *domain;
	char	   *product;
} DmeshProductRef;

extern char *dmesh_text_arg(FunctionCallInfo fcinfo, int argno, const char *what);
extern Interval *dmesh_interval_arg(FunctionCallInfo fcinfo, int argno, const char *what);
extern Oid	dmesh_role_arg(FunctionCallInfo fcinfo, int argno, const char *what, bool dropped_ok);
extern void dmesh_check_name(const char *name, const char *kind);
extern DmeshProductRef dmesh_parse_product_ref(const char *ref);
extern char *dmesh_product_ident(const char *domain, const char *product);
extern char *dmesh_domain_schema(const char *domain);
extern char *dmesh_port_relation_name(const char *product, const char *object, int major);
extern int	dmesh_version_major(const char *version);
extern char *dmesh_qualified_relname(Oid relid);
extern Oid	dmesh_relation_owner(Oid relid);

/* ---------- core_suggest.c: "Did you mean ...?" ---------- */

/* Longest word or name compared, in bytes: more than 'domain.product'. */
#define DMESH_SUGGEST_MAX_LEN	128

typedef struct DmeshSuggest
{
	const char *word;
	int			len;
	int			max;			/* largest distance suggested */
	const char *best;
	int			count;			/* distinct names within max */
} DmeshSuggest;

extern void dmesh_suggest_init(DmeshSuggest *s, const char *word, int len);
extern void dmesh_suggest_try(DmeshSuggest *s, const char *name);
extern const char *dmesh_suggest_result(const DmeshSuggest *s);

/* ---------- core_spi.c ---------- */

#define DMESH_MAX_ARGS 16

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
extern uint64 dmesh_spi_exec_saved(SPIPlanPtr *slot, const char *sql, DmeshArgs *args,
								   int expected, bool read_only, long count);
extern void *dmesh_spi_return(const void *value);
extern void dmesh_spi_utility(const char *sql);
extern char *dmesh_spi_text(uint64 row, int col);
extern int64 dmesh_spi_int8(uint64 row, int col);
extern Oid	dmesh_spi_oid(uint64 row, int col);
extern bool dmesh_try(void (*fn) (void *arg), void *arg, char **message);
extern bool dmesh_try_summary(void (*fn) (void *arg), void *arg, char **summary);
extern char *dmesh_error_summary(const ErrorData *edata);

/*
 * Errors while parsing or analyzing SQL that dmesh built around a piece of
 * user text (a source query, a row filter, an sql rule) point into that
 * SQL, shown as the internal query, not into the caller's statement.
 * "what" is added as context: always, or only when there is no position.
 */
typedef struct DmeshQueryContext
{
	const char *query;			/* shown as the internal query; NULL: none */
	const char *what;
	bool		always;
	int			offset;			/* positions are this far into the query */
} DmeshQueryContext;

extern void dmesh_query_error_context(void *arg);

/* ---------- core_catalog.c ---------- */

typedef struct DmeshDomain
{
	int64		id;
	char	   *name;
	Oid			owner;
	char	   *schema_name;
} DmeshDomain;

/* One object of a product and where its rows come from. */
typedef struct DmeshObjectSource
{
	char	   *name;			/* NULL for the one object of a single source */
	Oid			relid;			/* InvalidOid for query sources */
	char	   *query;			/* NULL for relation sources */
} DmeshObjectSource;

typedef struct DmeshProduct
{
	int64		id;
	DmeshDomain domain;
	char	   *name;
	Oid			owner;
	char	   *status;
	char	   *version;		/* version of the active contract */
	char	   *gate;			/* DDL gate: "enforce" or "warn" */
	char	   *description;
	Oid			source_relid;	/* InvalidOid for query sources */
	char	   *source_query;	/* NULL for relation sources */
	/*
	 * A product's objects: one for a product made from one source (its
	 * name NULL: whatever the contract calls its object), else those of
	 * dmesh.product_object.  A product seen through one of its objects
	 * (dmesh_product_object) has "object" set to that object's name and its
	 * source in source_relid/source_query; a product seen as a whole has
	 * "object" NULL, and the source fields are its first object's.
	 */
	char	   *object;
	int			nobjects;
	DmeshObjectSource *objects;
} DmeshProduct;

typedef enum DmeshLock
{
	DMESH_NO_LOCK,
	DMESH_LOCK_FOR_UPDATE
} DmeshLock;

extern bool dmesh_load_domain(const char *name, DmeshLock lock, DmeshDomain *domain);
extern void dmesh_require_domain(const char *name, DmeshLock lock, DmeshDomain *domain);
extern const char *dmesh_domain_suggestion(const char *name);
extern const char *dmesh_product_suggestion(const char *ref);
extern bool dmesh_load_product(const DmeshProductRef *ref, DmeshLock lock, DmeshProduct *product);
extern void dmesh_require_product(const char *ref_text, DmeshLock lock, DmeshProduct *product);
extern void dmesh_require_manager(Oid caller, const DmeshProduct *product, const char *action);
extern char *dmesh_product_display(const DmeshProduct *product);
extern bool dmesh_product_is_live(const DmeshProduct *product);
extern void dmesh_refuse_retired(const DmeshProduct *product, const char *action);
extern void dmesh_begin_product_call(const char *ref, Oid caller, const char *action,
									 DmeshSection *section, DmeshProduct *product);
extern void dmesh_end_call(DmeshSection *section);
extern Oid	dmesh_port_relation(const DmeshProduct *product, const char *relname);
extern Oid	dmesh_port_relid(const DmeshProduct *product, int major);
extern DmeshProduct dmesh_product_object(const DmeshProduct *product, int index);
extern int	dmesh_product_find_object(const DmeshProduct *product, const char *name);
extern bool dmesh_product_has_objects(const DmeshProduct *product);

/* A product's source, as dmesh_resolve_source (product_source.c) gives it. */
typedef struct DmeshSource
{
	Oid			relid;			/* relation source, or InvalidOid */
	char	   *query;			/* normalized query source, or NULL */
} DmeshSource;

/* ---------- core_eventlog.c ---------- */

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

/* ---------- core_trust.c ---------- */

extern bool dmesh_owner_trusted(Oid owner, const Oid *trusted, int ntrusted);
extern void dmesh_require_trusted_code(Node *expr, const Oid *trusted, int ntrusted,
									   const char *what, const char *trusted_roles);
extern void dmesh_refuse_unsafe_constants(Node *tree, const char *what);

/* ---------- core_lock.c ---------- */

extern void dmesh_lock_relation(Oid relid, LOCKMODE mode);

#endif							/* DMESH_H */
