/*-------------------------------------------------------------------------
 *
 * product.h
 *		Data products: sources and publication (output ports), and data
 *		products as code: Open Data Product Standard (ODPS) documents read,
 *		written, planned and applied.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DMESH_PRODUCT_H
#define DMESH_PRODUCT_H

#include "contract.h"

#include "utils/array.h"
#include "utils/date.h"

/* ---------- product_source.c ---------- */

extern DmeshSource dmesh_resolve_source(const char *source);
extern DmeshSource dmesh_resolve_physical_name(const char *object, const char *physical_name);
extern void dmesh_check_source_readable(const DmeshSource *source, Oid owner,
										const char *product_display);
extern char *dmesh_source_describe(const DmeshSource *source);
extern void dmesh_check_stored_query(const char *query, Oid owner);
extern TupleDesc dmesh_source_tupdesc(const DmeshProduct *product);

/* ---------- product_publish.c ---------- */

extern Oid	dmesh_publish_port(const DmeshProduct *product, const DmeshContract *contract,
							   bool *replaced);
extern Oid	dmesh_publish_ports(const DmeshProduct *product, const DmeshContract *contract,
								bool *replaced, StringInfo relations);
extern void dmesh_set_port_comment(const DmeshProduct *product, int major, const char *version,
								   const char *note);
extern int	dmesh_drop_ports(const DmeshProduct *product, int major, bool cascade,
							 StringInfo dropped, StringInfo dependents);
extern char *dmesh_check_no_dependents(const DmeshProduct *product, Oid relid,
									   const char *action, bool cascade);
extern void dmesh_apply_grant(const DmeshProduct *product, Oid consumer, bool grant);
extern void dmesh_rewrite_ports(const DmeshProduct *product);
extern List *dmesh_live_majors(const DmeshProduct *product);

/* A live published relation of a product. */
typedef struct DmeshPort
{
	int			major;
	char	   *object;			/* NULL for a product with one source */
	char	   *relname;
	Oid			relid;			/* InvalidOid if the relation is gone */
} DmeshPort;

extern List *dmesh_live_port_list(const DmeshProduct *product);
extern bool dmesh_port_object(const DmeshProduct *product, const DmeshContract *contract,
							  const char *object, DmeshProduct *pview, DmeshContract **cview);

/* ---------- product_spec.c: reading an ODPS document ---------- */

/* An agreement of dmeshAgreements. */
typedef struct DmeshAgreementSpec
{
	char	   *consumer;		/* role name */
	char	   *row_filter;		/* NULL: every row */
	char	   *purpose;
	bool		has_expiry;
	TimestampTz expires_at;
	ArrayType  *unmask;			/* text[], as written */
	char	   *path;			/* of the agreement, for messages */
} DmeshAgreementSpec;

/* A policy of dmeshPolicies (scope: the product). */
typedef struct DmeshPolicySpec
{
	char	   *name;
	char	   *kind;			/* masking or publish */
	Jsonb	   *rule;
	char	   *enforcement;	/* enforce or warn */
	char	   *path;
} DmeshPolicySpec;

/* An output port: a contract version published under an object's name. */
typedef struct DmeshPortSpec
{
	char	   *name;
	char	   *version;		/* as written, a leading "v" removed */
	char	   *contract_id;	/* NULL when not given */
	Jsonb	   *extras;			/* its keys dmesh keeps as written, or NULL */
	char	   *path;
} DmeshPortSpec;

/* What a product document asks for; has_... false: not said, left alone. */
typedef struct DmeshProductSpec
{
	Jsonb	   *doc;
	char	   *id;
	char	   *name;			/* NULL when not given */
	char	   *domain;			/* NULL when not given */
	char	   *version;		/* NULL when not given; a leading "v" removed */
	char	   *status;			/* draft, published, deprecated or retired */
	char	   *status_written;
	bool		has_purpose;
	char	   *purpose;
	bool		has_tags;
	ArrayType  *tags;			/* text[] */
	bool		has_ports;
	int			nports;
	DmeshPortSpec *ports;
	char	   *owner;			/* dmeshOwner, or NULL */
	bool		has_source;		/* dmeshSource: */
	char	   *source;			/* a relation or a query, or */
	Jsonb	   *sources;		/* an object naming each object's */
	bool		has_materialized;
	bool		materialized;
	char	   *gate;			/* dmeshContractGate, or NULL */
	char	   *enforcement;	/* dmeshEnforcement, or NULL */
	bool		has_schedule;	/* dmeshSchedule (each NULL: none) */
	Interval   *refresh;
	Interval   *check;
	Interval   *freshness;
	bool		has_agreements;
	List	   *agreements;		/* of DmeshAgreementSpec */
	bool		has_policies;
	List	   *policies;		/* of DmeshPolicySpec */
	bool		has_deprecation;	/* dmeshDeprecation */
	char	   *deprecation_reason;
	bool		has_sunset;
	DateADT		sunset;
	Jsonb	   *custom;			/* customProperties not dmesh's, or NULL */
} DmeshProductSpec;

extern DmeshProductSpec *dmesh_product_spec(Jsonb *doc, List **problems);
extern bool dmesh_try_document(void (*fn) (void *arg), void *arg, ErrorData **edata);
extern bool dmesh_is_dmesh_property(const char *name, int len);
extern char *dmesh_version_text(const char *version);

/* ---------- product_document.c: a product as an ODPS document ---------- */

/* A live published relation, or the relation a draft would publish. */
typedef struct DmeshPortState
{
	char	   *name;			/* the object's name in the contract */
	char	   *version;
	char	   *contract_id;
	char	   *relation;		/* quoted schema.relation, NULL for a draft */
	int			major;
} DmeshPortState;

/* What dmesh holds of a product, as an ODPS document describes it. */
typedef struct DmeshProductState
{
	DmeshProduct product;
	char	   *document_id;	/* the id it was applied with, or dmesh's */
	Jsonb	   *kept;			/* what dmesh keeps of the document ({}) */
	Jsonb	   *contract;		/* the active contract, as written */
	char	   *contract_id;
	ArrayType  *tags;
	char	   *materialize_query;
	char	   *deprecation_reason;
	bool		has_sunset;
	DateADT		sunset;
	List	   *ports;			/* of DmeshPortState */
	List	   *agreements;		/* of DmeshAgreementSpec (as the caller sees) */
	List	   *policies;		/* of DmeshPolicySpec */
	char	   *enforcement;	/* reject, quarantine, warn or off */
	Interval   *refresh;
	Interval   *check;
	Interval   *freshness;
	List	   *inputs;			/* of char *: inputPorts items as JSON text */
} DmeshProductState;

extern void dmesh_product_state(DmeshProductState *st, const char *ref);
extern Jsonb *dmesh_product_odps(const DmeshProductState *st, bool keep);
extern char *dmesh_interval_text(const Interval *interval);
extern char *dmesh_timestamptz_text(TimestampTz ts);
extern char *dmesh_date_text(DateADT date);
extern const char *dmesh_odps_status(const char *status);

#define DMESH_DEFAULT_PORT_TYPE "tables"

#endif							/* DMESH_PRODUCT_H */
