/*-------------------------------------------------------------------------
 *
 * quality.h
 *		Quality: rules compiled from a contract, the single-pass batch check,
 *		enforcement on write and quarantine.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DMESH_QUALITY_H
#define DMESH_QUALITY_H

#include "contract.h"

#include "access/htup.h"
#include "datatype/timestamp.h"
#include "regex/regex.h"
#include "utils/rel.h"

/* ---------- quality_fastre.c ---------- */

typedef struct DmeshFastRe DmeshFastRe;

#define DMESH_FASTRE_NOMATCH	0
#define DMESH_FASTRE_MATCH		1
#define DMESH_FASTRE_UNKNOWN	2

extern DmeshFastRe *dmesh_fastre_compile(const char *pattern);
extern int	dmesh_fastre_match(const DmeshFastRe *re, const char *s, int len);

/* ---------- quality_rules.c ---------- */

/* Regular expressions of the formats dmesh checks (also contract_suggest.c). */
#define DMESH_FORMAT_EMAIL	"^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$"
#define DMESH_FORMAT_UUID	"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
#define DMESH_FORMAT_URI	"^[A-Za-z][A-Za-z0-9+.-]*:[^[:space:]]+$"

typedef enum DmeshRuleMetric
{
	DMESH_METRIC_NULL,			/* nullValues, required */
	DMESH_METRIC_MISSING,		/* missingValues */
	DMESH_METRIC_INVALID,		/* invalidValues, logicalTypeOptions */
	DMESH_METRIC_DUPLICATE,		/* duplicateValues, unique */
	DMESH_METRIC_ROWS,			/* rowCount */
	DMESH_METRIC_SQL,			/* type: sql */
	DMESH_METRIC_CUSTOM			/* type: custom, a rule dmesh does not know: not run */
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
	DMESH_TEST_ITEMS,			/* number of items of an array */
	DMESH_TEST_UNIQUE_ITEMS,	/* no item of an array twice */
	DMESH_TEST_PROPERTIES,		/* number of properties of an object */
	DMESH_TEST_REQUIRED,		/* properties an object must have */
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
	DMESH_ON_WRITE_BATCH,		/* only dmesh.check_product can tell */
	DMESH_ON_WRITE_NOT_RUN		/* not run here (DmeshRule.not_run says why) */
} DmeshOnWrite;

typedef enum DmeshNumKind
{
	DMESH_NUM_NONE,
	DMESH_NUM_INT,
	DMESH_NUM_FLOAT,
	DMESH_NUM_NUMERIC
} DmeshNumKind;

/* What a column's values are made of, for item and property rules. */
typedef enum DmeshShape
{
	DMESH_SHAPE_SCALAR,			/* none of the below */
	DMESH_SHAPE_ARRAY,			/* a PostgreSQL array */
	DMESH_SHAPE_JSON,
	DMESH_SHAPE_JSONB,
	DMESH_SHAPE_COMPOSITE
} DmeshShape;

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
	DmeshShape	shape;
	bool		as_date;		/* a timestamp column of a date property */
	int16		elem_len;		/* arrays: the element type */
	bool		elem_byval;
	char		elem_align;
	TupleDesc	rowdesc;		/* composites: the type's attributes */
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
	bool		whole_day;		/* as_date columns: a date, [day_start, day_end) */
	Timestamp	day_start;
	Timestamp	day_end;
} DmeshRuleValue;

/* One operator on a rule's metric; a rule holds when all of its hold. */
typedef struct DmeshRuleCond
{
	DmeshRuleOp op;
	double		t1;
	double		t2;
	char	   *t1_text;		/* the thresholds as written */
	char	   *t2_text;
} DmeshRuleCond;

/* A bound on each value (minimum, maximum, a v3.0 minCheck ...). */
typedef struct DmeshBound
{
	DmeshRuleOp op;
	const char *symbol;
	char	   *text;			/* as written */
	Numeric		num;
	double		fnum;
	int64		ival;
	int			int_overflow;	/* the bound is beyond int64: -1 or 1 */
	Datum		datum;			/* other ordered types */
} DmeshBound;

/* Reused from value to value by uniqueItems (see quality_items.c). */
typedef struct DmeshScratch
{
	bool		busy;			/* in use by a value being tested, in ... */
	LocalTransactionId lxid;	/* ... this transaction */
	SubTransactionId subxid;	/* ... and subtransaction */
	int			nitems;			/* room for */
	int			nelems;
	void	   *items;
	Datum	   *values;
	bool	   *nulls;
} DmeshScratch;

typedef struct DmeshRule
{
	int			index;
	char	   *name;
	int			prop;			/* property index, or -1 for the object */
	const char *property;		/* its name, or NULL */
	DmeshRuleMetric metric;
	char	   *metric_text;	/* the metric as written, if dmesh has no name */
	DmeshRuleTest test;
	const char *severity;
	char	   *dimension;
	DmeshOnWrite on_write;
	char	   *not_run;		/* why the rule is not run here, or NULL */
	/* the operators on the metric (at least one; mustBe 0 by default) */
	int			nconds;
	DmeshRuleCond *conds;
	bool		unit_percent;
	char	   *expected;
	/* row test parameters */
	int			min_len;
	int			max_len;
	char	   *pattern;
	const char *format;
	regex_t    *re;
	DmeshFastRe *fast;			/* NULL if the pattern needs the full engine */
	int			nbounds;		/* 1, or 2 for a range */
	DmeshBound	bounds[2];
	FmgrInfo   *bound_cmp;
	Oid			bound_collation;
	int64		min_count;		/* items or properties, or -1 */
	int64		max_count;
	int			nrequired;		/* required properties of an object */
	char	  **required;
	int		   *required_len;
	AttrNumber *required_att;	/* composites: their attributes, 0 if none */
	FmgrInfo   *item_hash;		/* uniqueItems of arrays: the element type's */
	FmgrInfo   *item_eq;
	Oid			item_collation;
	DmeshScratch scratch;
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
	int			nnot_run;		/* rules among them not run here */
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
extern const char *dmesh_rule_metric(const DmeshRule *r);

/* ---------- quality_items.c ---------- */

extern bool dmesh_shape_offends(DmeshRuleSet *rs, DmeshRule *r, Datum value);

/* ---------- quality_check.c ---------- */

extern int	dmesh_check_relation(const DmeshProduct *product, Oid relid, int64 *rows, char **failed);

/* ---------- quality_rule_cache.c ---------- */

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

/* ---------- quality_enforce.c ---------- */

extern void dmesh_drop_enforcement(const DmeshProduct *product);

/* ---------- quality_quarantine.c ---------- */

extern void dmesh_quarantine_row(DmeshEnforcement *e, Relation rel, HeapTuple tuple,
								 HeapTuple old, int *broken, int nbroken);

#endif							/* DMESH_QUALITY_H */
