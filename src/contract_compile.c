/*-------------------------------------------------------------------------
 *
 * contract_compile.c
 *		Checking a contract document and compiling it.
 *
 * A contract is a JSON document in the shape of the Open Data Contract
 * Standard (ODCS) v3.0.x or v3.1.x.  dmesh checks the parts it uses and
 * keeps every other field as written.  An error names the path of the
 * offending value and the problem, e.g.
 *		schema[0].properties[2].logicalType: unknown type "strng"
 *
 * A data product's contract describes exactly one object (the product's
 * relation); each of its properties is a published column.
 *
 * Everything here is linear in the size of the document: names are looked
 * up in hash tables (DmeshNameMap), never by scanning a list per name.
 * Sizes are capped far above anything a real contract needs (a table has
 * at most 1600 columns; a few rules per column is usual), so that checking,
 * diffing and compiling a contract stays quick:
 *		DMESH_MAX_OBJECTS				objects of the schema
 *		DMESH_MAX_PROPERTIES			properties of an object
 *		DMESH_MAX_QUALITY_RULES_PER_LIST	rules in one quality list (of the
 *										object or of one property)
 *		DMESH_MAX_QUALITY_RULES			rules in all quality lists together
 * Going over a cap is a program_limit_exceeded (54000) error naming the
 * path and the cap.  A published column name (a property's name) and a
 * source column name (its physicalName) longer than NAMEDATALEN - 1 bytes
 * is a name_too_long (42622) error: PostgreSQL would truncate it.  Every
 * other problem is an invalid_parameter_value (22023) error.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/pg_prng.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "regex/regex.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/typcache.h"


static const char *const logical_types[] = {
	"string", "integer", "number", "boolean", "date", "timestamp", "time",
	"object", "array", "map"
};

static const char *const sla_units[] = {
	"s", "sec", "second", "seconds", "m", "min", "minute", "minutes",
	"h", "hr", "hour", "hours", "d", "day", "days", "w", "week", "weeks",
	"mo", "month", "months", "y", "yr", "year", "years"
};

/*
 * SLA properties whose value is a duration (ODCS names and synonyms, which
 * ODCS compares without regard to case): a positive number and a unit.
 */
static const char *const sla_durations[] = {
	"freshness", "latency", "ly", "retention", "re", "frequency", "fy",
	"timeToDetect", "td", "timeToNotify", "tn", "timeToRepair", "tr"
};

/* String members of an SLA property (ODCS v3) and of a quality rule. */
static const char *const sla_strings[] = {
	"id", "element", "unit", "driver", "description", "scheduler", "schedule"
};
static const char *const rule_strings[] = {
	"id", "name", "type", "metric", "rule", "severity", "unit", "dimension",
	"query", "description", "method", "businessImpact", "engine",
	"scheduler", "schedule"
};

/* Caps on the size of a contract (see the head of the file). */
#define DMESH_MAX_PROPERTIES				1600	/* MaxHeapAttributeNumber */
#define DMESH_MAX_OBJECTS					1000
#define DMESH_MAX_QUALITY_RULES_PER_LIST	10000
#define DMESH_MAX_QUALITY_RULES				20000

static void
contract_error(const char *path, const char *problem)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s: %s", path, problem)));
}

/* ----------------------------------------------------------------
 * Name maps: a hash table from names to ints
 * ----------------------------------------------------------------
 */

typedef struct NameEntry
{
	const char *name;			/* not copied: the caller keeps it */
	int			value;
	uint32		hash;
	char		status;
} NameEntry;

/* Seeded per process, so that colliding names cannot be prepared. */
static uint64 name_seed = 0;

#define SH_PREFIX		namemap
#define SH_ELEMENT_TYPE	NameEntry
#define SH_KEY_TYPE		const char *
#define SH_KEY			name
#define SH_HASH_KEY(tb, key) \
	((uint32) hash_bytes_extended((const unsigned char *) (key), strlen(key), name_seed))
#define SH_EQUAL(tb, a, b)	(strcmp(a, b) == 0)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a)	((a)->hash)
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

#include "dmesh.h"
#include "contract.h"

struct DmeshNameMap
{
	namemap_hash *tab;
};

/* A map for about "size" names, in the current memory context. */
DmeshNameMap *
dmesh_name_map_create(int size)
{
	DmeshNameMap *map = palloc(sizeof(DmeshNameMap));

	while (name_seed == 0)
		name_seed = pg_prng_uint64(&pg_global_prng_state);
	map->tab = namemap_create(CurrentMemoryContext, Max(size, 16), NULL);
	return map;
}

/*
 * The value of a name, added with the value -1 if new ("found" tells).
 * The name is not copied; the pointer is good until the next insertion.
 */
int *
dmesh_name_map_insert(DmeshNameMap *map, const char *name, bool *found)
{
	NameEntry  *e = namemap_insert(map->tab, name, found);

	if (!*found)
		e->value = -1;
	return &e->value;
}

/* The value of a name, or -1. */
int
dmesh_name_map_lookup(DmeshNameMap *map, const char *name)
{
	NameEntry  *e = namemap_lookup(map->tab, name);

	return e ? e->value : -1;
}

void
dmesh_name_map_free(DmeshNameMap *map)
{
	namemap_destroy(map->tab);
	pfree(map);
}

/* ----------------------------------------------------------------
 * Access to jsonb containers
 * ----------------------------------------------------------------
 */

JsonbValue *
dmesh_json_get(JsonbContainer *container, const char *key)
{
	if (container == NULL || !JsonContainerIsObject(container))
		return NULL;
	return getKeyJsonValueFromContainer(container, key, strlen(key), NULL);
}

static bool
is_object(JsonbValue *v)
{
	return v && v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data);
}

static bool
is_array(JsonbValue *v)
{
	return v && v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data) &&
		!JsonContainerIsScalar(v->val.binary.data);
}

static const char *
json_type_name(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "a string";
		case jbvNumeric:
			return "a number";
		case jbvBool:
			return "a boolean";
		case jbvBinary:
			return JsonContainerIsObject(v->val.binary.data) ? "an object" : "an array";
		default:
			return "a value";
	}
}

static void
wrong_type(const char *path, JsonbValue *v, const char *expected)
{
	contract_error(path, psprintf("must be %s, not %s", expected, json_type_name(v)));
}

/*
 * A string member, or NULL if absent (or null); any other type is an error
 * naming path + key ("path" ends with a dot, or is empty).
 */
char *
dmesh_json_string(JsonbContainer *obj, const char *key, const char *path)
{
	JsonbValue *v = dmesh_json_get(obj, key);

	if (v == NULL || v->type == jbvNull)
		return NULL;
	if (v->type != jbvString)
		wrong_type(psprintf("%s%s", path, key), v, "a string");
	return pnstrdup(v->val.string.val, v->val.string.len);
}

static char *
opt_string(JsonbContainer *obj, const char *key, const char *path)
{
	return dmesh_json_string(obj, key, path);
}

static char *
req_string(JsonbContainer *obj, const char *key, const char *path)
{
	char	   *s = opt_string(obj, key, path);

	if (s == NULL)
		contract_error(psprintf("%s%s", path, key), "is required");
	if (s[0] == '\0')
		contract_error(psprintf("%s%s", path, key), "must not be empty");
	return s;
}

/*
 * A string member, or NULL if absent or of another type.  For documents
 * checked already; contract parts use dmesh_json_string.
 */
char *
dmesh_json_text(JsonbContainer *container, const char *key)
{
	JsonbValue *v = dmesh_json_get(container, key);

	if (v == NULL || v->type != jbvString)
		return NULL;
	return pnstrdup(v->val.string.val, v->val.string.len);
}

static bool
opt_bool(JsonbContainer *obj, const char *key, const char *path)
{
	JsonbValue *v = dmesh_json_get(obj, key);

	if (v == NULL || v->type == jbvNull)
		return false;
	if (v->type != jbvBool)
		wrong_type(psprintf("%s%s", path, key), v, "true or false");
	return v->val.boolean;
}

static JsonbContainer *
opt_container(JsonbContainer *obj, const char *key, const char *path, bool array)
{
	JsonbValue *v = dmesh_json_get(obj, key);

	if (v == NULL || v->type == jbvNull)
		return NULL;
	if (array ? !is_array(v) : !is_object(v))
		wrong_type(psprintf("%s%s", path, key), v, array ? "an array" : "an object");
	return v->val.binary.data;
}

static void
check_string_array(JsonbContainer *obj, const char *key, const char *path)
{
	JsonbContainer *arr = opt_container(obj, key, path, true);

	if (arr == NULL)
		return;
	for (uint32 i = 0; i < JsonContainerSize(arr); i++)
	{
		JsonbValue *v = getIthJsonbValueFromContainer(arr, i);

		CHECK_FOR_INTERRUPTS();
		if (v->type != jbvString)
			wrong_type(psprintf("%s%s[%u]", path, key, i), v, "a string");
		pfree(v);
	}
}

static void
check_nonnegative_integer(JsonbContainer *obj, const char *key, const char *path)
{
	JsonbValue *v = dmesh_json_get(obj, key);

	if (v == NULL || v->type == jbvNull)
		return;
	if (v->type != jbvNumeric ||
		!DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(v->val.numeric),
										  DirectFunctionCall1(numeric_floor,
															  NumericGetDatum(v->val.numeric)))) ||
		numeric_is_nan(v->val.numeric) ||
		DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(v->val.numeric),
										  NumericGetDatum(int64_to_numeric(0)))) < 0)
		contract_error(psprintf("%s%s", path, key), "must be a non-negative integer");
}

/* ----------------------------------------------------------------
 * Versions and types
 * ----------------------------------------------------------------
 */

/*
 * MAJOR.MINOR.PATCH, each without leading zeros.  Pre-release and build
 * suffixes are not accepted.
 */
bool
dmesh_semver_parse(const char *text, int *major, int *minor, int *patch)
{
	int		   *parts[3] = {major, minor, patch};
	const char *p = text;

	for (int i = 0; i < 3; i++)
	{
		long		n = 0;
		const char *start = p;

		if (!isdigit((unsigned char) *p))
			return false;
		while (isdigit((unsigned char) *p))
		{
			n = n * 10 + (*p - '0');
			if (n > PG_INT32_MAX)
				return false;
			p++;
		}
		if (p - start > 1 && *start == '0')
			return false;
		*parts[i] = (int) n;
		if (i < 2 && *p++ != '.')
			return false;
	}
	return *p == '\0';
}

int
dmesh_semver_cmp(const DmeshContract *a, const DmeshContract *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->patch != b->patch)
		return a->patch < b->patch ? -1 : 1;
	return 0;
}

/*
 * Does a column of type typid carry values of the logical type, in the
 * ODCS version the contract declares?  Domains are judged by their base
 * type.  ODCS v3.0.x had no timestamp type: its date takes timestamps too
 * (quality rules then compare dates as whole days, see quality_rules.c).
 * Without a contract (dmesh_logical_accepts), the newest version's types.
 */
bool
dmesh_logical_accepts_in(const DmeshContract *contract, const char *logical, Oid typid)
{
	Oid			base = getBaseType(typid);
	char		category;
	bool		preferred;

	get_type_category_preferred(base, &category, &preferred);

	/*
	 * ODCS v3.0.x had no timestamp or time type, and wrote them as date; its
	 * object also stood for a type of the database's own (a domain).
	 */
	if (contract != NULL &&
		((strcmp(logical, "date") == 0 &&
		  (base == TIMESTAMPOID || base == TIMESTAMPTZOID || base == TIMEOID || base == TIMETZOID)) ||
		 (strcmp(logical, "object") == 0 && base != typid)))
	{
		char	   *api = dmesh_json_text(&contract->doc->root, "apiVersion");

		if (api != NULL && strncmp(api, "v3.0.", 5) == 0)
			return true;
	}

	if (strcmp(logical, "string") == 0)
		return category == TYPCATEGORY_STRING || category == TYPCATEGORY_ENUM ||
			category == TYPCATEGORY_NETWORK || category == TYPCATEGORY_BITSTRING ||
			base == UUIDOID || base == XMLOID || base == BYTEAOID ||
			base == INTERVALOID;
	if (strcmp(logical, "integer") == 0)
		return base == INT2OID || base == INT4OID || base == INT8OID;
	if (strcmp(logical, "number") == 0)
		return base == INT2OID || base == INT4OID || base == INT8OID ||
			base == NUMERICOID || base == FLOAT4OID || base == FLOAT8OID ||
			base == MONEYOID;
	if (strcmp(logical, "boolean") == 0)
		return base == BOOLOID;
	if (strcmp(logical, "date") == 0)
		return base == DATEOID;
	if (strcmp(logical, "timestamp") == 0)
		return base == TIMESTAMPOID || base == TIMESTAMPTZOID;
	if (strcmp(logical, "time") == 0)
		return base == TIMEOID || base == TIMETZOID;
	if (strcmp(logical, "object") == 0)
		return base == JSONOID || base == JSONBOID || category == TYPCATEGORY_COMPOSITE;
	if (strcmp(logical, "array") == 0)
		return base == JSONOID || base == JSONBOID || category == TYPCATEGORY_ARRAY;
	if (strcmp(logical, "map") == 0)
		return base == JSONOID || base == JSONBOID ||
			strcmp(format_type_be(base), "hstore") == 0;
	return false;
}

/*
 * The logical type a derived contract gives to a column type.
 */
const char *
dmesh_logical_for(Oid typid)
{
	static const char *const order[] = {
		"integer", "number", "boolean", "date", "timestamp", "time", "array", "object"
	};

	for (int i = 0; i < lengthof(order); i++)
		if (dmesh_logical_accepts(order[i], typid))
			return order[i];
	return "string";
}

/* ----------------------------------------------------------------
 * Checking the document
 * ----------------------------------------------------------------
 */

/*
 * A pattern must compile as a PostgreSQL (POSIX advanced) regular
 * expression.  pg_regcomp reports errors by return code, not ereport.
 */
void
dmesh_check_regex(const char *pattern, const char *path)
{
	int			len = strlen(pattern);
	pg_wchar   *wide = palloc((len + 1) * sizeof(pg_wchar));
	int			wlen = pg_mb2wchar_with_len(pattern, wide, len);
	regex_t		re;
	int			rc = pg_regcomp(&re, wide, wlen, REG_ADVANCED, DEFAULT_COLLATION_OID);

	if (rc != REG_OKAY)
	{
		char		msg[256];

		pg_regerror(rc, &re, msg, sizeof(msg));
		contract_error(path, psprintf("invalid regular expression: %s", msg));
	}
	pg_regfree(&re);
	pfree(wide);
}

static void
check_logical_type_options(JsonbContainer *prop, const char *path)
{
	JsonbContainer *opts = opt_container(prop, "logicalTypeOptions", path, false);
	char	   *opath = psprintf("%slogicalTypeOptions.", path);
	static const char *const bounds[] = {
		"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"
	};
	char	   *pattern;

	if (opts == NULL)
		return;
	check_nonnegative_integer(opts, "minLength", opath);
	check_nonnegative_integer(opts, "maxLength", opath);
	check_nonnegative_integer(opts, "minItems", opath);
	check_nonnegative_integer(opts, "maxItems", opath);
	(void) opt_string(opts, "format", opath);

	pattern = opt_string(opts, "pattern", opath);
	if (pattern != NULL)
		dmesh_check_regex(pattern, psprintf("%spattern", opath));

	/*
	 * Bounds are numbers, or strings for dates and times; ODCS v3.0 writes
	 * the exclusive ones as booleans qualifying minimum and maximum.
	 */
	for (int i = 0; i < lengthof(bounds); i++)
	{
		JsonbValue *v = dmesh_json_get(opts, bounds[i]);

		if (v == NULL || v->type == jbvNull || v->type == jbvNumeric || v->type == jbvString)
			continue;
		if (v->type == jbvBool && i >= 2)
			continue;
		wrong_type(psprintf("%s%s", opath, bounds[i]), v,
				   i >= 2 ? "a number, a string or a boolean" : "a number or a string");
	}
}

/*
 * A property's name is the published column's name, its physicalName the
 * source column's: PostgreSQL would truncate a longer name (two names with
 * one prefix would then clash), and no source column has one.
 */
static void
check_column_name(const char *name, const char *path, const char *key)
{
	size_t		len = strlen(name);

	if (len < NAMEDATALEN)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_NAME_TOO_LONG),
			 errmsg("%s%s: column name is too long (%zu bytes)", path, key, len),
			 errdetail("Column names are limited to %d bytes.", NAMEDATALEN - 1),
			 strcmp(key, "name") == 0 ?
			 errhint("PostgreSQL would truncate the name when publishing the column: give the property a shorter name.") :
			 errhint("No source column can have this name.")));
}

static void
check_property(JsonbValue *value, const char *path, DmeshProperty *out)
{
	JsonbContainer *prop = value->val.binary.data;
	bool		known = false;

	out->json = value;
	out->name = req_string(prop, "name", path);
	check_column_name(out->name, path, "name");
	out->column = opt_string(prop, "physicalName", path);
	if (out->column != NULL)
		check_column_name(out->column, path, "physicalName");
	else
		out->column = out->name;
	out->logical_type = req_string(prop, "logicalType", path);
	for (int i = 0; i < lengthof(logical_types); i++)
		if (strcmp(out->logical_type, logical_types[i]) == 0)
			known = true;
	if (!known)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%slogicalType: unknown type \"%s\"", path, out->logical_type),
				 errhint("Logical types are string, integer, number, boolean, date, timestamp, time, object, array and map.")));
	out->physical_type = opt_string(prop, "physicalType", path);
	out->description = opt_string(prop, "description", path);
	out->classification = opt_string(prop, "classification", path);
	out->required = opt_bool(prop, "required", path);
	out->unique = opt_bool(prop, "unique", path);
	out->primary_key = opt_bool(prop, "primaryKey", path);
	(void) opt_container(prop, "examples", path, true);
	(void) opt_container(prop, "quality", path, true);
	(void) opt_container(prop, "enum", path, true);
	check_string_array(prop, "tags", path);
	check_logical_type_options(prop, path);
}

/*
 * A quality list: objects whose string members are strings.  Adds its
 * length to *total; both are capped.
 */
static void
check_quality_list(JsonbContainer *parent, const char *path, int64 *total)
{
	JsonbContainer *rules = opt_container(parent, "quality", path, true);
	uint32		n;

	if (rules == NULL)
		return;
	n = JsonContainerSize(rules);
	if (n > DMESH_MAX_QUALITY_RULES_PER_LIST)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%squality: too many quality rules (%u)", path, n),
				 errdetail("A quality list may have at most %d rules.",
						   DMESH_MAX_QUALITY_RULES_PER_LIST),
				 errhint("State the rules as fewer, broader ones.")));
	*total += n;
	if (*total > DMESH_MAX_QUALITY_RULES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%squality: too many quality rules (" INT64_FORMAT " in the contract)",
						path, *total),
				 errdetail("A contract may have at most %d quality rules.",
						   DMESH_MAX_QUALITY_RULES),
				 errhint("Split the data product, or state the rules as fewer, broader ones.")));
	for (uint32 i = 0; i < n; i++)
	{
		JsonbValue *rule = getIthJsonbValueFromContainer(rules, i);
		char	   *rpath;

		CHECK_FOR_INTERRUPTS();
		if (!is_object(rule))
			wrong_type(psprintf("%squality[%u]", path, i), rule, "an object");
		rpath = psprintf("%squality[%u].", path, i);
		for (int k = 0; k < lengthof(rule_strings); k++)
			(void) opt_string(rule->val.binary.data, rule_strings[k], rpath);
		pfree(rpath);
		pfree(rule);
	}
}

static bool
sla_is_duration(const char *property)
{
	for (int i = 0; i < lengthof(sla_durations); i++)
		if (pg_strcasecmp(property, sla_durations[i]) == 0)
			return true;
	return false;
}

/*
 * The property an SLA element names: "property" or "object.property", by
 * name or physicalName (the text after the last dot is the property).
 * *object is the object it is in, -1 if none.  With an object part that
 * names an object, the property must be in it; one that names none (the
 * standard's own examples write table names that are not the object's)
 * is taken as a qualifier only.  A bare property found in several objects
 * is ambiguous: *ambiguous is set.
 */
static int
element_property(const DmeshContract *c, const char *element, int *object, bool *ambiguous,
				 bool *object_named)
{
	const char *dot = strrchr(element, '.');
	const char *name = dot ? dot + 1 : element;
	int			in = -1;
	int			found = -1;

	*object = -1;
	*ambiguous = false;
	*object_named = false;
	if (dot != NULL)
	{
		char	   *prefix = pnstrdup(element, dot - element);

		in = dmesh_contract_find_object(c, prefix);
		*object_named = in >= 0;
	}
	for (int o = 0; o < c->nobjects; o++)
	{
		const DmeshObject *obj = &c->objects[o];

		if (in >= 0 && o != in)
			continue;
		for (int p = 0; p < obj->nprops; p++)
		{
			if (strcmp(obj->props[p].name, name) != 0 && strcmp(obj->props[p].column, name) != 0)
				continue;
			if (found >= 0 && *object != o)
				*ambiguous = true;
			if (found < 0)
			{
				found = p;
				*object = o;
			}
		}
	}
	return found;
}

/*
 * What SLA elements name.  Every element (elements may be a list,
 * separated by commas) must name a property of the contract.  A freshness
 * SLA names the one column whose greatest value is the newest data, which
 * dmesh watches: one element, in a known object.
 */
static void
check_sla_element(const DmeshContract *c, const char *property, const char *elements,
				  const char *key)
{
	bool		freshness = property != NULL && pg_strcasecmp(property, "freshness") == 0;
	char	   *list = pstrdup(elements);
	char	   *save = NULL;
	char	   *hint = c->nobjects == 1 ?
		psprintf("Name a property as \"%s.column\" or as \"column\".", c->objects[0].name) :
		"Name a property as \"object.column\".";

	if (freshness && strchr(elements, ',') != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: a freshness SLA names one property, not \"%s\"", key, elements),
				 errdetail("The freshness of a product is the greatest value of the column its freshness SLA names."),
				 errhint("%s", hint)));
	for (char *element = strtok_r(list, ",", &save); element; element = strtok_r(NULL, ",", &save))
	{
		int			object;
		bool		ambiguous;
		bool		object_named;

		CHECK_FOR_INTERRUPTS();
		while (*element == ' ')
			element++;
		for (char *end = element + strlen(element); end > element && end[-1] == ' '; end--)
			end[-1] = '\0';
		if (element_property(c, element, &object, &ambiguous, &object_named) < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: \"%s\" is not a property of the contract", key, element),
					 errdetail("An SLA element names a property, by its name or its physicalName."),
					 errhint("%s", hint)));
		if (freshness && (ambiguous || (!object_named && strchr(element, '.') != NULL &&
										c->nobjects > 1)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: \"%s\" does not say which object it is in", key, element),
					 errdetail("The freshness of a product is the greatest value of the column its freshness SLA names."),
					 errhint("%s", hint)));
		if (freshness && strchr(element, '.') != NULL && !object_named)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: \"%s\" names no object of the contract", key, element),
					 errdetail("The freshness of a product is the greatest value of the column its freshness SLA names."),
					 errhint("%s", hint)));
	}
}

/*
 * slaProperties: each one an object with a property and string members.
 * Durations (freshness, latency, retention ...) are a positive number and
 * a unit; what a freshness SLA names is checked once the properties are
 * known (check_sla_elements).
 */
static void
check_sla(const DmeshContract *c)
{
	JsonbContainer *sla = opt_container(&c->doc->root, "slaProperties", "", true);

	if (sla == NULL)
		return;
	for (uint32 i = 0; i < JsonContainerSize(sla); i++)
	{
		JsonbValue *item = getIthJsonbValueFromContainer(sla, i);
		char	   *path = psprintf("slaProperties[%u].", i);
		JsonbContainer *obj;
		char	   *property;
		char	   *unit;
		JsonbValue *value;
		bool		known = false;

		CHECK_FOR_INTERRUPTS();
		if (!is_object(item))
			wrong_type(psprintf("slaProperties[%u]", i), item, "an object");
		obj = item->val.binary.data;
		property = req_string(obj, "property", path);
		for (int k = 0; k < lengthof(sla_strings); k++)
			(void) opt_string(obj, sla_strings[k], path);
		value = dmesh_json_get(obj, "value");
		if (value != NULL && value->type == jbvBinary)
			wrong_type(psprintf("%svalue", path), value, "a string, a number or a boolean");
		if (!sla_is_duration(property))
			continue;

		/* A duration, which dmesh may watch. */
		if (value == NULL || value->type != jbvNumeric)
			contract_error(psprintf("%svalue", path),
						   psprintf("%s needs a numeric value", property));
		if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(value->val.numeric),
											  NumericGetDatum(int64_to_numeric(0)))) <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%svalue: %s must be a positive duration, not %s",
							path, property,
							DatumGetCString(DirectFunctionCall1(numeric_out,
																NumericGetDatum(value->val.numeric)))),
					 errhint("Write a duration as a positive number and a unit, for example value: 1, unit: d.")));
		unit = req_string(obj, "unit", path);
		for (int j = 0; j < lengthof(sla_units); j++)
			if (strcmp(unit, sla_units[j]) == 0)
				known = true;
		if (!known)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%sunit: unknown unit \"%s\"", path, unit),
					 errhint("Units are s, m, h, d, w, mo and y, or their long forms (seconds, minutes, hours, days, weeks, months, years).")));
	}
}

/*
 * Once the properties are known: what SLA elements name.  Objects whose
 * properties the contract leaves to the source are checked when those are
 * known (the product's held schema), not here.
 */
static void
check_sla_elements(const DmeshContract *c)
{
	JsonbValue *sla = dmesh_json_get(&c->doc->root, "slaProperties");
	char	   *fallback = dmesh_json_text(&c->doc->root, "slaDefaultElement");

	if (c->nobjects == 0)
		return;
	for (int o = 0; o < c->nobjects; o++)
		if (c->objects[o].nprops == 0)
			return;
	if (fallback != NULL)
		check_sla_element(c, NULL, fallback, "slaDefaultElement");
	if (sla == NULL || sla->type != jbvBinary)
		return;
	for (uint32 i = 0; i < JsonContainerSize(sla->val.binary.data); i++)
	{
		JsonbValue *item = getIthJsonbValueFromContainer(sla->val.binary.data, i);
		char	   *property = dmesh_json_text(item->val.binary.data, "property");
		char	   *element = dmesh_json_text(item->val.binary.data, "element");

		CHECK_FOR_INTERRUPTS();
		if (element != NULL)
			check_sla_element(c, property, element, psprintf("slaProperties[%u].element", i));
		else if (fallback == NULL && property != NULL &&
				 pg_strcasecmp(property, "freshness") == 0 && c->nobjects > 1)
			contract_error(psprintf("slaProperties[%u].element", i),
						   "a freshness SLA of a contract with several objects names its column");
	}
}

/*
 * True while a stored contract is compiled: it was accepted by the dmesh
 * of its day, and must keep loading (SLA terms checked since 0.7.0 are
 * not checked again).  Set only by dmesh_contract_compile_stored, which
 * restores it even on error.
 */
static void compile_object(DmeshObject *o, JsonbValue *object, int index, int64 *nrules);
static void see_object(DmeshContract *c, int index);

static bool compiling_stored = false;

/*
 * True while the effective document of a contract that leaves its schema
 * to the source is compiled: the document as written was validated
 * against its ODCS version; the schema dmesh filled in is dmesh's own
 * (it may use v3.1.0 types under a v3.0.x apiVersion).
 */
static bool compiling_effective = false;

DmeshContract *
dmesh_contract_compile_stored(Jsonb *doc)
{
	bool		save = compiling_stored;
	DmeshContract *c;

	compiling_stored = true;
	PG_TRY();
	{
		c = dmesh_contract_compile(doc);
	}
	PG_FINALLY();
	{
		compiling_stored = save;
	}
	PG_END_TRY();
	return c;
}

/*
 * Compile the effective document of a new contract that leaves its schema
 * to the source (see compiling_effective): every check but the ODCS schema.
 */
DmeshContract *
dmesh_contract_compile_effective(Jsonb *doc)
{
	DmeshContract *c = NULL;
	bool		save = compiling_effective;

	compiling_effective = true;
	PG_TRY();
	{
		c = dmesh_contract_compile(doc);
	}
	PG_FINALLY();
	{
		compiling_effective = save;
	}
	PG_END_TRY();
	return c;
}

/* Does the contract leave (part of) its schema to the source? */
bool
dmesh_contract_leaves_schema(const DmeshContract *c)
{
	if (c->nobjects == 0)
		return true;
	for (int i = 0; i < c->nobjects; i++)
		if (c->objects[i].nprops == 0)
			return true;
	return false;
}

/*
 * Check a contract document and compile what dmesh uses of it.
 */
DmeshContract *
dmesh_contract_compile(Jsonb *doc)
{
	DmeshContract *c = palloc0(sizeof(DmeshContract));
	JsonbContainer *root = &doc->root;
	JsonbContainer *schema;
	JsonbContainer *description;
	char	   *api_version;
	char	   *kind;
	int			a,
				b,
				d;
	int64		nrules = 0;
	DmeshNameMap *objects;

	/* A new contract must be valid against the version it declares. */
	if (!compiling_stored && !compiling_effective)
		dmesh_contract_validate(doc);

	c->doc = doc;
	if (!JsonContainerIsObject(root))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a contract must be a mapping (a JSON object)")));

	api_version = req_string(root, "apiVersion", "");
	if (strncmp(api_version, "v3.", 3) != 0 ||
		!dmesh_semver_parse(api_version + 1, &a, &b, &d) || a != 3 || b > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("apiVersion: unsupported version \"%s\"", api_version),
				 errhint("dmesh reads Open Data Contract Standard v3.0.x and v3.1.x contracts.")));
	kind = req_string(root, "kind", "");
	if (strcmp(kind, "DataContract") != 0)
		contract_error("kind", psprintf("must be \"DataContract\", not \"%s\"", kind));
	(void) req_string(root, "id", "");
	c->version = req_string(root, "version", "");
	if (!dmesh_semver_parse(c->version, &c->major, &c->minor, &c->patch))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("version: \"%s\" is not a semantic version", c->version),
				 errhint("Write it as MAJOR.MINOR.PATCH, for example \"1.2.0\".")));
	c->status = req_string(root, "status", "");
	(void) opt_string(root, "name", "");
	(void) opt_string(root, "domain", "");
	(void) opt_string(root, "dataProduct", "");
	(void) opt_string(root, "tenant", "");
	check_string_array(root, "tags", "");

	description = opt_container(root, "description", "", false);
	if (description != NULL)
	{
		(void) opt_string(description, "purpose", "description.");
		(void) opt_string(description, "usage", "description.");
		(void) opt_string(description, "limitations", "description.");
	}
	if (!compiling_stored)
		check_sla(c);

	schema = opt_container(root, "schema", "", true);
	c->nobjects = schema ? JsonContainerSize(schema) : 0;
	if (c->nobjects > DMESH_MAX_OBJECTS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("schema: too many objects (%d)", c->nobjects),
				 errdetail("A data product may publish at most %d relations.", DMESH_MAX_OBJECTS),
				 errhint("Split the data product.")));
	c->objects = palloc0(sizeof(DmeshObject) * Max(c->nobjects, 1));
	objects = dmesh_name_map_create(c->nobjects);
	for (int i = 0; i < c->nobjects; i++)
	{
		bool		found;

		CHECK_FOR_INTERRUPTS();
		compile_object(&c->objects[i], getIthJsonbValueFromContainer(schema, i), i, &nrules);
		*dmesh_name_map_insert(objects, c->objects[i].name, &found) = i;
		if (found)
			contract_error(psprintf("schema[%d].name", i),
						   psprintf("object \"%s\" is listed twice", c->objects[i].name));
	}
	dmesh_name_map_free(objects);
	if (c->nobjects > 0)
		see_object(c, 0);
	if (!compiling_stored)
		check_sla_elements(c);
	return c;
}

/*
 * One object of the schema: its name, its properties (none is allowed:
 * the product's source then says what they are), its rules' shapes.
 */
static void
compile_object(DmeshObject *o, JsonbValue *object, int index, int64 *nrules)
{
	char	   *opath = psprintf("schema[%d].", index);
	JsonbContainer *props;
	DmeshNameMap *names;
	DmeshNameMap *columns;

	if (!is_object(object))
		wrong_type(psprintf("schema[%d]", index), object, "an object");
	o->index = index;
	o->json = object->val.binary.data;
	o->json_value = object;
	o->name = req_string(o->json, "name", opath);
	o->physical_name = opt_string(o->json, "physicalName", opath);
	(void) opt_string(o->json, "description", opath);
	check_quality_list(o->json, opath, nrules);

	props = opt_container(o->json, "properties", opath, true);
	o->nprops = props ? JsonContainerSize(props) : 0;
	if (o->nprops > DMESH_MAX_PROPERTIES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%sproperties: too many properties (%d)", opath, o->nprops),
				 errdetail("An object may have at most %d properties, as a table may have at most %d columns.",
						   DMESH_MAX_PROPERTIES, DMESH_MAX_PROPERTIES),
				 errhint("Split the data product.")));
	o->props = palloc0(sizeof(DmeshProperty) * Max(o->nprops, 1));
	names = dmesh_name_map_create(o->nprops);
	columns = dmesh_name_map_create(o->nprops);
	for (int i = 0; i < o->nprops; i++)
	{
		JsonbValue *prop = getIthJsonbValueFromContainer(props, i);
		char	   *path = psprintf("%sproperties[%d].", opath, i);
		bool		found;

		CHECK_FOR_INTERRUPTS();
		if (!is_object(prop))
			wrong_type(psprintf("%sproperties[%d]", opath, i), prop, "an object");
		check_property(prop, path, &o->props[i]);
		check_quality_list(prop->val.binary.data, path, nrules);
		*dmesh_name_map_insert(names, o->props[i].name, &found) = i;
		if (found)
			contract_error(psprintf("%sname", path),
						   psprintf("property \"%s\" is listed twice", o->props[i].name));
		*dmesh_name_map_insert(columns, o->props[i].column, &found) = i;
		if (found)
			contract_error(psprintf("%sphysicalName", path),
						   psprintf("column \"%s\" is mapped twice", o->props[i].column));
	}
	dmesh_name_map_free(names);
	dmesh_name_map_free(columns);
}

/* Point the contract's object_... fields at one of its objects. */
static void
see_object(DmeshContract *c, int index)
{
	DmeshObject *o = &c->objects[index];

	c->object_index = index;
	c->object_name = o->name;
	c->physical_name = o->physical_name;
	c->object = o->json;
	c->object_json = o->json_value;
	c->nprops = o->nprops;
	c->props = o->props;
}

/*
 * The contract seen through another of its objects (a shallow copy: the
 * objects and the document are shared).
 */
DmeshContract *
dmesh_contract_object(const DmeshContract *c, int index)
{
	DmeshContract *copy = palloc(sizeof(DmeshContract));

	Assert(index >= 0 && index < c->nobjects);
	*copy = *c;
	see_object(copy, index);
	return copy;
}

/* The index of the object of that name (or physicalName), or -1. */
int
dmesh_contract_find_object(const DmeshContract *c, const char *name)
{
	for (int i = 0; i < c->nobjects; i++)
		if (strcmp(c->objects[i].name, name) == 0)
			return i;
	for (int i = 0; i < c->nobjects; i++)
		if (c->objects[i].physical_name != NULL && strcmp(c->objects[i].physical_name, name) == 0)
			return i;
	return -1;
}

/*
 * The first key of an object that is not one of "allowed" (only keys that
 * start with "prefix" are looked at, when given), or NULL.
 */
char *
dmesh_json_unknown_key(JsonbContainer *obj, const char *const *allowed, int nallowed,
					   const char *prefix)
{
	JsonbIterator *it = JsonbIteratorInit(obj);
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			depth = 0;

	/* Nested values are skipped: only the object's own keys are seen. */
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		CHECK_FOR_INTERRUPTS();
		if (tok == WJB_BEGIN_OBJECT || tok == WJB_BEGIN_ARRAY)
			depth++;
		else if (tok == WJB_END_OBJECT || tok == WJB_END_ARRAY)
			depth--;
		else if (tok == WJB_KEY && depth == 1)
		{
			char	   *key = pnstrdup(v.val.string.val, v.val.string.len);
			bool		known = false;

			if (prefix && strncmp(key, prefix, strlen(prefix)) != 0)
				continue;
			for (int i = 0; i < nallowed; i++)
				if (allowed[i] && strcmp(key, allowed[i]) == 0)
					known = true;
			if (!known)
				return key;
		}
	}
	return NULL;
}

/* An integral numeric that fits in int64. */
bool
dmesh_numeric_to_int64(Numeric n, int64 *out)
{
	Numeric		floor;

	if (numeric_is_nan(n) || numeric_is_inf(n))
		return false;
	floor = DatumGetNumeric(DirectFunctionCall1(numeric_floor, NumericGetDatum(n)));
	if (!DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(floor), NumericGetDatum(n))) ||
		DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(n),
										  NumericGetDatum(int64_to_numeric(PG_INT64_MAX)))) > 0 ||
		DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(n),
										  NumericGetDatum(int64_to_numeric(PG_INT64_MIN)))) < 0)
		return false;
	*out = DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(n)));
	return true;
}
