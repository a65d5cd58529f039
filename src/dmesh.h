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

#include "access/tupdesc.h"
#include "executor/spi.h"
#include "utils/rel.h"
#include "lib/stringinfo.h"
#include "fmgr.h"
#include "datatype/timestamp.h"
#include "nodes/parsenodes.h"
#include "regex/regex.h"
#include "storage/lockdefs.h"
#include "utils/numeric.h"
#include "utils/array.h"
#include "utils/jsonb.h"

/* Limits on the names of domains and products, in bytes (names.c). */
#define DMESH_MAX_NAME_BYTES	50
/* Limit on the names of policies, in bytes (policy.c). */
#define DMESH_MAX_POLICY_NAME_BYTES	200
/* Prefix of the schema that holds a domain's published relations. */
#define DMESH_DOMAIN_SCHEMA_PREFIX	"dmesh_"

/* ---------- dmesh.c ---------- */

extern bool dmesh_internal_ddl;

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

/* ---------- probe.c ---------- */

extern bool dmesh_in_domain_schema(Oid relid);
extern bool dmesh_catalog_has_oid(const char *table, const char *index,
								  const char *column, Oid value);

/* ---------- names.c ---------- */

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
extern char *dmesh_port_relation_name(const char *product, int major);
extern int	dmesh_version_major(const char *version);
extern char *dmesh_qualified_relname(Oid relid);
extern Oid	dmesh_relation_owner(Oid relid);

/* ---------- spi_util.c ---------- */

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
	char	   *version;		/* version of the active contract */
	char	   *gate;			/* DDL gate: "enforce" or "warn" */
	char	   *description;
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
extern bool dmesh_product_is_live(const DmeshProduct *product);
extern void dmesh_refuse_retired(const DmeshProduct *product, const char *action);
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
extern void dmesh_check_stored_query(const char *query, Oid owner);

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

/* ---------- yaml.c ---------- */

extern Jsonb *dmesh_yaml_parse(const char *text, size_t len);
extern char *dmesh_yaml_emit(Jsonb *jb);
extern Jsonb *dmesh_parse_document(const char *text);

/* ---------- contract.c ---------- */

/* One property of the contract's object: a published column. */
typedef struct DmeshProperty
{
	char	   *name;			/* published column name */
	char	   *column;			/* source column: physicalName, else name */
	char	   *logical_type;
	char	   *physical_type;	/* NULL if not given */
	char	   *description;	/* NULL if not given */
	char	   *classification; /* NULL if not given */
	bool		required;
	bool		unique;
	bool		primary_key;
	JsonbValue *json;			/* the property as written (jbvBinary) */
} DmeshProperty;

typedef struct DmeshContract
{
	Jsonb	   *doc;
	char	   *version;
	int			major;
	int			minor;
	int			patch;
	char	   *status;
	char	   *object_name;	/* schema[0].name */
	char	   *physical_name;	/* schema[0].physicalName, or NULL */
	JsonbContainer *object;		/* schema[0] as written */
	JsonbValue *object_json;	/* the same, as a jbvBinary value */
	int			nprops;
	DmeshProperty *props;
	bool		derived;		/* made by dmesh from the source */
} DmeshContract;

extern DmeshContract *dmesh_contract_compile(Jsonb *doc);
extern DmeshContract *dmesh_contract_compile_stored(Jsonb *doc);
extern bool dmesh_semver_parse(const char *text, int *major, int *minor, int *patch);
extern int	dmesh_semver_cmp(const DmeshContract *a, const DmeshContract *b);
extern JsonbValue *dmesh_json_get(JsonbContainer *container, const char *key);
extern char *dmesh_json_text(JsonbContainer *container, const char *key);
extern char *dmesh_json_string(JsonbContainer *obj, const char *key, const char *path);
extern bool dmesh_numeric_to_int64(Numeric n, int64 *out);
extern char *dmesh_json_unknown_key(JsonbContainer *obj, const char *const *allowed,
									int nallowed, const char *prefix);
extern bool dmesh_logical_accepts(const char *logical_type, Oid typid);
extern const char *dmesh_logical_for(Oid typid);
extern void dmesh_check_regex(const char *pattern, const char *path);

/* A hash table from names (not copied) to ints, for lookups by name. */
typedef struct DmeshNameMap DmeshNameMap;
extern DmeshNameMap *dmesh_name_map_create(int size);
extern int *dmesh_name_map_insert(DmeshNameMap *map, const char *name, bool *found);
extern int	dmesh_name_map_lookup(DmeshNameMap *map, const char *name);
extern void dmesh_name_map_free(DmeshNameMap *map);

/* ---------- fastre.c ---------- */

typedef struct DmeshFastRe DmeshFastRe;

#define DMESH_FASTRE_NOMATCH	0
#define DMESH_FASTRE_MATCH		1
#define DMESH_FASTRE_UNKNOWN	2

extern DmeshFastRe *dmesh_fastre_compile(const char *pattern);
extern int	dmesh_fastre_match(const DmeshFastRe *re, const char *s, int len);

/* ---------- rules.c ---------- */

typedef enum DmeshRuleMetric
{
	DMESH_METRIC_NULL,			/* nullValues, required */
	DMESH_METRIC_MISSING,		/* missingValues */
	DMESH_METRIC_INVALID,		/* invalidValues, logicalTypeOptions */
	DMESH_METRIC_DUPLICATE,		/* duplicateValues, unique */
	DMESH_METRIC_ROWS,			/* rowCount */
	DMESH_METRIC_SQL			/* type: sql */
} DmeshRuleMetric;

/* What makes one value offend a rule. */
typedef enum DmeshRuleTest
{
	DMESH_TEST_NONE,			/* no row test (rowCount, sql) */
	DMESH_TEST_NULL,
	DMESH_TEST_MISSING,
	DMESH_TEST_VALID,
	DMESH_TEST_LENGTH,
	DMESH_TEST_PATTERN,
	DMESH_TEST_BOUND,
	DMESH_TEST_DUPLICATE		/* a set test: the value is there twice */
} DmeshRuleTest;

typedef enum DmeshRuleOp
{
	DMESH_OP_EQ,
	DMESH_OP_NE,
	DMESH_OP_GT,
	DMESH_OP_GE,
	DMESH_OP_LT,
	DMESH_OP_LE,
	DMESH_OP_BETWEEN,
	DMESH_OP_NOT_BETWEEN
} DmeshRuleOp;

/* How a write is held to a rule. */
typedef enum DmeshOnWrite
{
	DMESH_ON_WRITE_ROW,			/* each row is tested */
	DMESH_ON_WRITE_LOOKUP,		/* each row is looked up in the table */
	DMESH_ON_WRITE_BATCH		/* only dmesh.check_product can tell */
} DmeshOnWrite;

typedef enum DmeshNumKind
{
	DMESH_NUM_NONE,
	DMESH_NUM_INT,
	DMESH_NUM_FLOAT,
	DMESH_NUM_NUMERIC
} DmeshNumKind;

typedef struct DmeshRuleColumn
{
	Oid			typid;			/* InvalidOid: the column is not there */
	Oid			base;
	int16		typlen;
	bool		typbyval;
	bool		is_text;
	Oid			collation;		/* the type's, for comparisons and hashes */
	DmeshNumKind num;
	bool		out_ready;
	FmgrInfo	out;
	FmgrInfo   *hash;			/* extended hash, for duplicates */
	Oid			eq_opr;
	MemoryContext cxt;
} DmeshRuleColumn;

typedef struct DmeshRuleValue
{
	char	   *text;
	int			len;
	Numeric		num;
	double		fnum;
	int64		ival;			/* integer columns: the value, if int_ok */
	bool		int_ok;
	Datum		datum;
} DmeshRuleValue;

typedef struct DmeshRule
{
	int			index;
	char	   *name;
	int			prop;			/* property index, or -1 for the object */
	const char *property;		/* its name, or NULL */
	DmeshRuleMetric metric;
	DmeshRuleTest test;
	const char *severity;
	char	   *dimension;
	DmeshOnWrite on_write;
	/* the operator on the metric */
	DmeshRuleOp op;
	double		t1;
	double		t2;
	char	   *t1_text;		/* the thresholds as written */
	char	   *t2_text;
	bool		unit_percent;
	char	   *expected;
	/* row test parameters */
	int			min_len;
	int			max_len;
	char	   *pattern;
	const char *format;
	regex_t    *re;
	DmeshFastRe *fast;			/* NULL if the pattern needs the full engine */
	DmeshRuleOp bound_op;
	const char *bound_symbol;
	char	   *bound_text;
	Numeric		bound_num;
	double		bound_float;
	int64		bound_int;
	int			bound_int_overflow;
	Datum		bound_datum;
	FmgrInfo   *bound_cmp;
	Oid			bound_collation;
	int			nvalues;
	DmeshRuleValue *values;
	bool		null_listed;
	FmgrInfo   *values_eq;
	bool		values_dropped; /* some listed values cannot be values */
	char	   *values_kept;	/* the list without them, as JSON */
	char	   *values_path;	/* where the list is, as a text[] literal */
	int			nkeys;			/* duplicates: key properties */
	int		   *keys;
	char	   *query;			/* sql rules */
} DmeshRule;

typedef struct DmeshRuleSet
{
	MemoryContext cxt;
	DmeshContract *contract;
	char	   *version;
	int			nrules;
	int			maxrules;
	DmeshRule  *rules;
	DmeshRuleColumn *columns;	/* one per property */
	bool	   *column_needed;	/* per property: a rule looked at its column */
	bool		has_row_tests;
	bool		has_duplicates;
} DmeshRuleSet;

extern DmeshRuleSet *dmesh_rules_compile(DmeshContract *contract, const Oid *types,
										 MemoryContext parent);
extern DmeshRuleSet *dmesh_rules_compile_as(Oid role, DmeshContract *contract, const Oid *types,
											MemoryContext parent);
extern bool dmesh_rule_offends(DmeshRuleSet *rs, DmeshRule *r, Datum value, bool isnull);
extern int	dmesh_scan_columns(DmeshRuleSet *rs, int *props);
extern bool dmesh_rule_passes(const DmeshRule *r, double observed);
extern char *dmesh_rule_expected(const DmeshRule *r);
extern char *dmesh_rule_describe(const DmeshRule *r);
extern char *dmesh_rule_sql_text(DmeshRuleSet *rs, const DmeshRule *r, const char *object,
								 bool physical, const char *cte);
extern bool dmesh_regex_matches(regex_t *re, const char *s, int len);
extern const char *dmesh_metric_name(DmeshRuleMetric metric);
extern Oid *dmesh_property_types(const DmeshContract *contract, TupleDesc desc,
								 AttrNumber *attnums);

/* ---------- rule_cache.c ---------- */

typedef struct DmeshEnforcementKey
{
	int64		product_id;
	Oid			relid;			/* table the trigger is on */
} DmeshEnforcementKey;

typedef struct DmeshEnforcement
{
	DmeshEnforcementKey key;	/* hash key: must be first */
	bool		valid;
	MemoryContext cxt;			/* everything below lives here */
	Oid			source_relid;	/* the product's source (a partitioned
								 * table for partitions) */
	Oid			run_as;			/* the product's owner: lookups run as it */
	char	   *display;		/* "domain.product" */
	DmeshRuleSet *rs;
	AttrNumber *attnums;		/* column of each property in the table */
	bool	   *masked;			/* property classified pii or restricted */
	SPIPlanPtr *lookup_plans;	/* per duplicate rule, made when needed */
	int64	   *broken;			/* per rule: rows this statement */
	int64		quarantined;	/* rows quarantined this statement */
} DmeshEnforcement;

extern DmeshEnforcement *dmesh_enforcement(int64 product_id, Relation rel);
extern void dmesh_enforcement_foreach(int64 product_id,
									  void (*fn) (DmeshEnforcement *, void *), void *arg);

/* ---------- enforce.c ---------- */

extern void dmesh_drop_enforcement(const DmeshProduct *product);

/* ---------- quarantine.c ---------- */

extern void dmesh_quarantine_row(DmeshEnforcement *e, Relation rel, HeapTuple tuple,
								 HeapTuple old, int *broken, int nbroken);

/* ---------- conform.c ---------- */

typedef struct DmeshFinding
{
	char	   *object;
	char	   *property;		/* NULL for object-level findings */
	char	   *problem;
} DmeshFinding;

extern TupleDesc dmesh_source_tupdesc(const DmeshProduct *product);
extern List *dmesh_check_source(const DmeshProduct *product, const DmeshContract *contract);
extern List *dmesh_check_port(const DmeshProduct *product, const DmeshContract *contract,
							  Oid viewid);
extern char *dmesh_findings_text(List *findings);
extern void dmesh_require_match(const DmeshProduct *product, const DmeshContract *contract,
								bool proposed, const char *hint);
extern bool dmesh_plausible_type_name(const char *name);

/* ---------- contract_store.c ---------- */

extern DmeshContract *dmesh_load_contract(const DmeshProduct *product, const char *version,
										  int major);
extern int64 dmesh_store_contract(const DmeshProduct *product, DmeshContract *contract,
								  Oid caller);
extern Jsonb *dmesh_derive_document(const char *domain, const char *product,
									const char *description, const DmeshSource *source,
									Oid owner, Oid published);

/* ---------- diff.c ---------- */

typedef enum DmeshSeverity
{
	DMESH_INFO,
	DMESH_WARNING,
	DMESH_BREAKING
} DmeshSeverity;

typedef struct DmeshChange
{
	char	   *path;
	const char *change;			/* "added", "removed" or "changed" */
	Jsonb	   *old_value;		/* NULL when added */
	Jsonb	   *new_value;		/* NULL when removed */
	DmeshSeverity severity;
} DmeshChange;

extern List *dmesh_contract_diff(const DmeshContract *from, const DmeshContract *to);
extern const char *dmesh_severity_name(DmeshSeverity severity);
extern char *dmesh_change_text(const DmeshChange *change);

/* ---------- publish.c ---------- */

extern Oid	dmesh_publish_port(const DmeshProduct *product, const DmeshContract *contract,
							   bool *replaced);
extern void dmesh_set_port_comment(const DmeshProduct *product, int major, const char *version,
								   const char *note);
extern int	dmesh_drop_ports(const DmeshProduct *product, int major, bool cascade,
							 StringInfo dropped, StringInfo dependents);
extern char *dmesh_check_no_dependents(const DmeshProduct *product, Oid relid,
									   const char *action, bool cascade);
extern void dmesh_apply_grant(const DmeshProduct *product, Oid consumer, bool grant);
extern Oid	dmesh_port_relid(const DmeshProduct *product, int major);
extern void dmesh_rewrite_ports(const DmeshProduct *product);

/* ---------- access.c ---------- */

extern int64 dmesh_make_agreement(const DmeshProduct *product, Oid consumer, const char *filter,
								  Oid filter_author, const char *purpose, Datum expires_at, bool expires_null,
								  ArrayType *unmask, int64 request_id, Oid caller);

/* ---------- governance.c ---------- */

extern char *dmesh_port_select(const DmeshProduct *product, const DmeshContract *contract);
extern char *dmesh_port_source(const DmeshProduct *product, const DmeshContract *contract);
extern char *dmesh_port_query(const DmeshProduct *product, const DmeshContract *contract);
extern int	dmesh_mask_code(const char *mask);

/* ---------- condition.c ---------- */

extern char *dmesh_check_row_filter(const DmeshProduct *product, const DmeshContract *contract,
									const char *filter, Oid author);
extern void dmesh_check_policy_expression(const char *expr, Oid author);

/* ---------- trust.c ---------- */

extern bool dmesh_owner_trusted(Oid owner, const Oid *trusted, int ntrusted);
extern void dmesh_require_trusted_code(Node *expr, const Oid *trusted, int ntrusted,
									   const char *what, const char *trusted_roles);
extern void dmesh_refuse_unsafe_constants(Node *tree, const char *what);

/* ---------- lock.c ---------- */

extern int	dmesh_lock_timeout;
extern void dmesh_lock_relation(Oid relid, LOCKMODE mode);

/* lineage_query.c */
typedef struct DmeshLineageEdge
{
	Oid			source;			/* relation read */
	AttrNumber	source_attnum;	/* its column, 0 for the relation as a whole */
	AttrNumber	target_attnum;	/* output column (from 1), 0 for the whole */
	bool		direct;
	const char *subtype;		/* OpenLineage transformation type; NULL for
								 * relation-level edges */
} DmeshLineageEdge;
extern List *dmesh_query_lineage(Query *query, Oid self);

/* usage_shmem.c, usage.c: usage and runtime lineage counters */
#define DMESH_USAGE_READ			1	/* kinds: a read of a published relation */
#define DMESH_USAGE_INSERT			2	/* writes that read other relations */
#define DMESH_USAGE_UPDATE			3
#define DMESH_USAGE_DELETE			4
#define DMESH_USAGE_MERGE			5
#define DMESH_USAGE_CREATE_TABLE_AS	6
#define DMESH_USAGE_REFRESH			7
#define DMESH_USAGE_COLUMN_WORDS	4	/* columns 1 to 256 are told apart */

typedef struct DmeshUsageKey
{
	Oid			dbid;
	Oid			relid;			/* relation read (reads) or written (writes) */
	Oid			source;			/* writes: the relation read; reads: 0 */
	Oid			roleid;
	int32		kind;			/* DMESH_USAGE_* */
} DmeshUsageKey;

typedef struct DmeshUsageCounts
{
	int64		count;			/* queries or statements */
	int64		rows;			/* rows returned or written */
	TimestampTz first;
	TimestampTz last;
	uint64		columns[DMESH_USAGE_COLUMN_WORDS];	/* reads: columns referenced */
} DmeshUsageCounts;

extern int	dmesh_usage_max_entries;
extern int	dmesh_usage_max_entries_per_role;
extern bool dmesh_track_usage;
extern bool dmesh_usage_available;
extern void dmesh_usage_shmem_init(void);
extern bool dmesh_usage_add(const DmeshUsageKey *key, const DmeshUsageCounts *counts,
							bool bounded);
extern void dmesh_usage_snapshot(Oid dbid, DmeshUsageKey **keys, DmeshUsageCounts **counts, int *n);
extern void dmesh_usage_subtract(const DmeshUsageKey *keys, const DmeshUsageCounts *counts, int n);
extern void dmesh_usage_status(int64 *entries, int64 *max_entries, int64 *dropped);
extern void dmesh_usage_hooks_init(void);
extern void dmesh_usage_resolve_target(Oid relid, int32 kind, List *sources);

/* check.c */
extern int	dmesh_check_relation(const DmeshProduct *product, Oid relid, int64 *rows, char **failed);

/* worker.c, jobs.c: the background workers */
extern char *dmesh_databases;
extern bool dmesh_worker_enabled;
extern int	dmesh_naptime;
extern int	dmesh_max_workers;
extern void dmesh_worker_init(void);
extern long dmesh_jobs_round(void);

/* agreement.c, mask.c: the masks' codes in published views */
#define DMESH_MASK_HASH		1
#define DMESH_MASK_REDACT	2
#define DMESH_MASK_PARTIAL	3
#define DMESH_MASK_NULL		4
extern bool dmesh_sees_clear(FunctionCallInfo fcinfo, int first, int unmasked_by);

/* ---------- policy.c ---------- */

extern void dmesh_require_publish_policies(const DmeshProduct *product, Oid caller);
extern List *dmesh_live_majors(const DmeshProduct *product);

#endif							/* DMESH_H */
