/*-------------------------------------------------------------------------
 *
 * contract.h
 *		Contracts (ODCS documents): YAML, compiling, storing, deriving,
 *		diffs between versions, conformance of the database, the DDL gate.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DMESH_CONTRACT_H
#define DMESH_CONTRACT_H

#include "dmesh.h"

#include "access/tupdesc.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

/* ---------- contract_yaml.c ---------- */

extern Jsonb *dmesh_yaml_parse(const char *text, size_t len);
extern char *dmesh_yaml_emit(Jsonb *jb);
extern Jsonb *dmesh_parse_document(const char *text);

/* ---------- contract_compile.c ---------- */

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

/* One object of the contract's schema: one published relation. */
typedef struct DmeshObject
{
	int			index;			/* position in schema */
	char	   *name;			/* schema[index].name */
	char	   *physical_name;	/* schema[index].physicalName, or NULL */
	JsonbContainer *json;		/* the object as written */
	JsonbValue *json_value;		/* the same, as a jbvBinary value */
	int			nprops;
	DmeshProperty *props;
} DmeshObject;

/*
 * A contract, seen through one of its objects.  The object_... and props
 * fields describe that object (the first, as compiled; another through
 * dmesh_contract_object); objects lists them all.  Most code works on one
 * object at a time: a product with several objects publishes, checks and
 * enforces each on its own.
 */
typedef struct DmeshContract
{
	Jsonb	   *doc;
	char	   *version;
	int			major;
	int			minor;
	int			patch;
	char	   *status;
	int			nobjects;
	DmeshObject *objects;
	/* the object seen (none when nobjects is 0) */
	int			object_index;
	char	   *object_name;
	char	   *physical_name;
	JsonbContainer *object;
	JsonbValue *object_json;
	int			nprops;
	DmeshProperty *props;
	bool		derived;		/* made by dmesh from the source */
	/*
	 * A document that leaves its schema to the source is held to one
	 * derived from it: doc is then that effective document, "written" the
	 * document as the team wrote it and held_schema the schema filled in.
	 */
	Jsonb	   *written;
	Jsonb	   *held_schema;
} DmeshContract;

extern DmeshContract *dmesh_contract_compile(Jsonb *doc);
extern DmeshContract *dmesh_contract_compile_stored(Jsonb *doc);
extern DmeshContract *dmesh_contract_compile_effective(Jsonb *doc);
extern bool dmesh_contract_leaves_schema(const DmeshContract *c);
extern DmeshContract *dmesh_contract_object(const DmeshContract *c, int index);
extern int	dmesh_contract_find_object(const DmeshContract *c, const char *name);
extern bool dmesh_semver_parse(const char *text, int *major, int *minor, int *patch);
extern int	dmesh_semver_cmp(const DmeshContract *a, const DmeshContract *b);
extern JsonbValue *dmesh_json_get(JsonbContainer *container, const char *key);
extern char *dmesh_json_text(JsonbContainer *container, const char *key);
extern char *dmesh_json_string(JsonbContainer *obj, const char *key, const char *path);
extern bool dmesh_numeric_to_int64(Numeric n, int64 *out);
extern char *dmesh_json_unknown_key(JsonbContainer *obj, const char *const *allowed,
									int nallowed, const char *prefix);
extern bool dmesh_logical_accepts_in(const DmeshContract *contract, const char *logical_type,
									 Oid typid);
/* ... in the newest ODCS version (for a contract, see dmesh_logical_accepts_in) */
#define dmesh_logical_accepts(logical_type, typid) \
	dmesh_logical_accepts_in(NULL, (logical_type), (typid))
extern const char *dmesh_logical_for(Oid typid);
extern void dmesh_check_regex(const char *pattern, const char *path);

/* A hash table from names (not copied) to ints, for lookups by name. */
typedef struct DmeshNameMap DmeshNameMap;
extern DmeshNameMap *dmesh_name_map_create(int size);
extern int *dmesh_name_map_insert(DmeshNameMap *map, const char *name, bool *found);
extern int	dmesh_name_map_lookup(DmeshNameMap *map, const char *name);
extern void dmesh_name_map_free(DmeshNameMap *map);

/* ---------- contract_validate.c, contract_odcs_tables.c ---------- */

/*
 * What each version of a Bitol standard (ODCS for contracts, ODPS for
 * data products) allows, generated from the standard's JSON Schemas by
 * scripts/odcs_schema_tables.py (see contract_odcs_tables.c and
 * product_odps_tables.c).  Indexes are into the arrays of the standard's
 * DmeshStandard; -1 is "none" (for a kind or an item definition: anything
 * goes).
 */
#define STD_MAX_VERSIONS	8

#define STD_T_STRING	0x01
#define STD_T_NUMBER	0x02
#define STD_T_INTEGER	0x04	/* a number without fractional part */
#define STD_T_BOOLEAN	0x08
#define STD_T_NULL		0x10
#define STD_T_OBJECT	0x20
#define STD_T_ARRAY		0x40
#define STD_T_ANY		0x7F

#define STD_F_NONNEG	0x01	/* minimum: 0 */
#define STD_F_POSITIVE	0x02	/* exclusiveMinimum: 0 */

/* What a value must be. */
typedef struct StdDef
{
	uint8		types;			/* STD_T_* */
	uint8		flags;			/* STD_F_* */
	int16		enum_first;		/* allowed strings in strings, if */
	int16		enum_count;		/* enum_count > 0 */
	int16		kind;			/* kind of an object value */
	int16		items;			/* definition of each item of an array */
} StdDef;

/* A key of a kind; the keys of a kind are sorted by strcmp. */
typedef struct StdKey
{
	const char *name;
	int16		def;
} StdKey;

/*
 * A conditional: when "key" is present with one of the values (or, with no
 * values, with a value of one of match_types), or when it is absent and
 * if_absent is set, the kind "then" applies too: its keys are allowed and
 * checked, its required keys and its one-of group required.
 */
typedef struct StdCond
{
	const char *key;
	int16		value_first;
	int16		value_count;
	uint8		match_types;
	bool		if_absent;
	int16		then;
} StdCond;

/* A kind of object. */
typedef struct StdKind
{
	const char *where;			/* where it is met first, for readers */
	bool		closed;			/* keys other than those allowed are refused */
	int16		key_first;
	int16		key_count;
	int16		required_first; /* in strings */
	int16		required_count;
	int16		forbidden_first;	/* in strings */
	int16		forbidden_count;
	int16		oneof_first;	/* exactly one of these keys (strings) */
	int16		oneof_count;
	int16		cond_first;
	int16		cond_count;
	int16		other[STD_MAX_VERSIONS];	/* this kind in each version */
} StdKind;

typedef struct StdVersion
{
	const char *name;			/* "v3.1.0" */
	int16		root;			/* kind of the document */
} StdVersion;

/* An apiVersion checked against the schema of another version. */
typedef struct StdAlias
{
	const char *name;			/* "v0.9.0" */
	int16		version;		/* index in versions */
} StdAlias;

/* The tables of one standard. */
typedef struct DmeshStandard
{
	const char *name;			/* "ODCS", in messages */
	const char *document;		/* "contract": what a document is called */
	const char *const *strings;
	const StdDef *defs;
	const StdKey *keys;
	const StdCond *conds;
	const StdKind *kinds;
	int			nkinds;
	const StdVersion *versions;
	int			nversions;
	const StdAlias *aliases;
	int			naliases;
} DmeshStandard;

extern const DmeshStandard odcs_standard;	/* contract_odcs_tables.c */
extern const DmeshStandard odps_standard;	/* product_odps_tables.c */

/* A problem found in a document, when they are collected (lint). */
typedef struct DmeshProblem
{
	char	   *path;			/* NULL: the document as a whole */
	char	   *message;
	char	   *detail;
	char	   *hint;
	bool		warning;		/* kept as written, but likely a mistake */
} DmeshProblem;

extern void dmesh_contract_validate(Jsonb *doc);
extern void dmesh_document_validate(const DmeshStandard *std, Jsonb *doc);
extern List *dmesh_document_problems(const DmeshStandard *std, Jsonb *doc);
extern int	dmesh_document_version(const DmeshStandard *std, JsonbContainer *root);
extern char *dmesh_document_prune(const DmeshStandard *std, const char *where, JsonbValue *v);

/* ---------- contract_store.c ---------- */

extern DmeshContract *dmesh_load_contract(const DmeshProduct *product, const char *version,
										  int major);
extern DmeshContract *dmesh_contract_hold(const DmeshProduct *product, DmeshContract *contract);
extern Jsonb *dmesh_contract_written(const DmeshContract *contract);
extern int64 dmesh_store_contract(const DmeshProduct *product, DmeshContract *contract,
								  Oid caller);
extern char *dmesh_derive_object(const char *name, const DmeshSource *source, Oid owner,
								 Oid published);
extern Jsonb *dmesh_derive_product_document(const DmeshProduct *product, bool from_published);
extern Jsonb *dmesh_derive_document(const char *domain, const char *product,
									const char *description, const DmeshSource *source,
									Oid owner, Oid published);
extern const char *dmesh_object_physical_type(Oid relid);

/* ---------- contract_suggest.c ---------- */

/* dmesh.suggest_contract(source, sample_rows) is the SQL entry point. */
#define DMESH_SUGGEST_SEED			17	/* TABLESAMPLE ... REPEATABLE (seed) */
#define DMESH_SUGGEST_MAX_VALUES	20	/* longest validValues list suggested */

/* ---------- contract_diff.c ---------- */

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

/* ---------- contract_conform.c ---------- */

typedef struct DmeshFinding
{
	char	   *object;
	char	   *property;		/* NULL for object-level findings */
	char	   *problem;
} DmeshFinding;

extern List *dmesh_check_source(const DmeshProduct *product, const DmeshContract *contract);
extern List *dmesh_check_port(const DmeshProduct *product, const DmeshContract *contract,
							  Oid viewid);
extern char *dmesh_findings_text(List *findings);
extern void dmesh_require_match(const DmeshProduct *product, const DmeshContract *contract,
								bool proposed, const char *hint);
extern bool dmesh_plausible_type_name(const char *name);

/* What a property's physicalType holds its column to (contract_conform.c). */
typedef enum DmeshPhysicalKind
{
	DMESH_PHYSICAL_POSTGRES,	/* a PostgreSQL type: exactly */
	DMESH_PHYSICAL_FAMILY,		/* a name of another platform: a kind of type */
	DMESH_PHYSICAL_INVALID,		/* a PostgreSQL type misspelled: numeric(10 */
	DMESH_PHYSICAL_OTHER		/* kept as written, not held */
} DmeshPhysicalKind;

typedef struct DmeshPhysicalType
{
	DmeshPhysicalKind kind;
	Oid			typid;			/* DMESH_PHYSICAL_POSTGRES */
	int32		typmod;
	const char *family;			/* DMESH_PHYSICAL_FAMILY: the name matched */
	int			family_id;
} DmeshPhysicalType;

extern DmeshPhysicalType dmesh_physical_type(const char *name);
extern Oid *dmesh_property_types(const DmeshContract *contract, TupleDesc desc,
								 AttrNumber *attnums);

#endif							/* DMESH_CONTRACT_H */
