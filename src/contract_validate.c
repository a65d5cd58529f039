/*-------------------------------------------------------------------------
 *
 * contract_validate.c
 *		Checking a contract against the schema of the ODCS version it
 *		declares.
 *
 * The Open Data Contract Standard publishes a JSON Schema per version.
 * dmesh holds a compact description of each (contract_odcs_tables.c,
 * generated from the schemas by scripts/odcs_schema_tables.py) and walks a
 * new contract against the one its apiVersion names, before anything else
 * is read from it (dmesh_contract_compile).  So a typo is never silent:
 * "requird: true" is refused with "Did you mean "required"?" instead of
 * leaving the column nullable, and a field of another version of the
 * standard is named as such.  Contracts stored earlier are not checked
 * again (dmesh_contract_compile_stored): they must keep loading.
 *
 * Each object of the document is checked against its kind (the contract,
 * a schema object, a property, a quality rule, a server ...): its keys
 * must be ones the kind allows, where the standard closes it (keys of its
 * own go in customProperties); each value must have the JSON type the
 * standard gives, one of its enum values, and, for objects and arrays,
 * is checked against the kind or item definition below it.  Conditionals
 * of the standard (a server's type, a quality rule's type or metric, a
 * property's logicalType) add keys, required keys and a group of keys of
 * which exactly one is needed (a rule's operator).  What the tables leave
 * out (formats, patterns, array lengths) is accepted; the generated file
 * lists it.  In the objects the standard leaves open, an unknown key close
 * to a known one draws a warning: the standard allows it, but it is
 * likely a typo.
 *
 * Every problem is an invalid_parameter_value (22023) error naming the
 * path of the value as contract_compile.c does, e.g.
 *		schema[0].properties[2].requird: unknown key
 * The walk is linear in the size of the document: each value is checked
 * against a bounded number of definitions (the generator makes sure that
 * at most one of them descends further), key lookups are binary searches
 * in tables of fixed size, and suggestions compare names of bounded length.
 * It recurses once per level of nesting of the document.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/formatting.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "dmesh.h"
#include "contract.h"

typedef struct Walk
{
	int			version;		/* index in odcs_versions */
	StringInfoData path;		/* of the value being checked */
} Walk;

static void check_object(Walk *w, JsonbContainer *obj, int kind);
static void check_value(Walk *w, JsonbValue *v, int def, const char *key,
						int parent_kind, JsonbContainer *parent);

/* ----------------------------------------------------------------
 * Paths
 * ----------------------------------------------------------------
 */

static int
path_push_key(Walk *w, const char *key, int len)
{
	int			saved = w->path.len;

	if (w->path.len > 0)
		appendStringInfoChar(&w->path, '.');
	appendBinaryStringInfo(&w->path, key, len);
	return saved;
}

static int
path_push_index(Walk *w, int i)
{
	int			saved = w->path.len;

	appendStringInfo(&w->path, "[%d]", i);
	return saved;
}

static void
path_pop(Walk *w, int saved)
{
	w->path.len = saved;
	w->path.data[saved] = '\0';
}

/* The path of the object itself, for problems of the object as a whole. */
static const char *
object_path(Walk *w)
{
	return w->path.len > 0 ? w->path.data : "contract";
}

static const char *
version_name(Walk *w)
{
	return odcs_versions[w->version].name;
}

/* ----------------------------------------------------------------
 * Values and tables
 * ----------------------------------------------------------------
 */

static bool
numeric_is_integral(Numeric n)
{
	if (numeric_is_nan(n) || numeric_is_inf(n))
		return false;
	return DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(n),
											DirectFunctionCall1(numeric_floor,
																NumericGetDatum(n))));
}

static int
numeric_sign_of(Numeric n)
{
	if (numeric_is_nan(n))
		return 0;
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(n),
											 NumericGetDatum(int64_to_numeric(0))));
}

static bool
is_object(JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data);
}

static bool
is_array(JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data) &&
		!JsonContainerIsScalar(v->val.binary.data);
}

/* The ODCS_T_* types a value has (a whole number is a number too). */
static uint8
value_types(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return ODCS_T_NULL;
		case jbvString:
			return ODCS_T_STRING;
		case jbvBool:
			return ODCS_T_BOOLEAN;
		case jbvNumeric:
			return ODCS_T_NUMBER |
				(numeric_is_integral(v->val.numeric) ? ODCS_T_INTEGER : 0);
		case jbvBinary:
			if (is_object(v))
				return ODCS_T_OBJECT;
			if (is_array(v))
				return ODCS_T_ARRAY;
			break;
		default:
			break;
	}
	return 0;
}

/* As contract_compile.c names the type of a value. */
static const char *
value_type_name(JsonbValue *v)
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

/* "a string or an array", for the types a definition accepts. */
static char *
types_text(uint8 types)
{
	static const struct
	{
		uint8		bit;
		const char *name;
	}			names[] = {
		{ODCS_T_STRING, "a string"},
		{ODCS_T_NUMBER, "a number"},
		{ODCS_T_INTEGER, "an integer"},
		{ODCS_T_BOOLEAN, "true or false"},
		{ODCS_T_NULL, "null"},
		{ODCS_T_OBJECT, "an object"},
		{ODCS_T_ARRAY, "an array"},
	};
	const char *list[lengthof(names)];
	int			n = 0;
	StringInfoData buf;

	for (int i = 0; i < lengthof(names); i++)
	{
		if (!(types & names[i].bit))
			continue;
		/* A number includes the integers. */
		if (names[i].bit == ODCS_T_INTEGER && (types & ODCS_T_NUMBER))
			continue;
		/* As contract_compile.c says it, when alone. */
		if (names[i].bit == ODCS_T_BOOLEAN && types != ODCS_T_BOOLEAN)
			list[n++] = "a boolean";
		else
			list[n++] = names[i].name;
	}
	initStringInfo(&buf);
	for (int i = 0; i < n; i++)
		appendStringInfo(&buf, "%s%s", i == 0 ? "" : (i == n - 1 ? " or " : ", "), list[i]);
	return buf.data;
}

/* "a, b and c" (or "a, b or c") of a run of odcs_strings, quoted or not. */
static char *
strings_text(int first, int count, const char *last_sep, bool quote)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < count; i++)
		appendStringInfo(&buf, quote ? "%s\"%s\"" : "%s%s",
						 i == 0 ? "" : (i == count - 1 ? last_sep : ", "),
						 odcs_strings[first + i]);
	return buf.data;
}

static bool
name_equals(const char *name, const char *s, int len)
{
	return strncmp(name, s, len) == 0 && name[len] == '\0';
}

static bool
in_strings(int first, int count, const char *s, int len)
{
	for (int i = 0; i < count; i++)
		if (name_equals(odcs_strings[first + i], s, len))
			return true;
	return false;
}

/* The index in odcs_keys of a key of a kind, or -1. */
static int
key_lookup(int kind, const char *key, int len)
{
	const OdcsKind *k = &odcs_kinds[kind];
	int			lo = k->key_first;
	int			hi = k->key_first + k->key_count - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		const char *name = odcs_keys[mid].name;
		int			cmp = strncmp(name, key, len);

		if (cmp == 0)
			cmp = name[len] == '\0' ? 0 : 1;
		if (cmp == 0)
			return mid;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

static JsonbValue *
get_key(JsonbContainer *obj, const char *key)
{
	return getKeyJsonValueFromContainer(obj, key, strlen(key), NULL);
}

static bool
cond_matches(const OdcsCond *c, JsonbContainer *obj)
{
	JsonbValue *v = get_key(obj, c->key);

	if (v == NULL)
		return c->if_absent;
	if (c->value_count > 0)
		return v->type == jbvString &&
			in_strings(c->value_first, c->value_count, v->val.string.val, v->val.string.len);
	return (value_types(v) & c->match_types) != 0;
}

/*
 * The conditionals of a kind that hold for an object: fills conds[] (room
 * for the kind's cond_count) with indexes in odcs_conds, one per distinct
 * then-kind.
 */
static int
matched_conds(int kind, JsonbContainer *obj, int *conds)
{
	const OdcsKind *k = &odcs_kinds[kind];
	int			n = 0;

	for (int i = k->cond_first; i < k->cond_first + k->cond_count; i++)
	{
		bool		dup = false;

		if (!cond_matches(&odcs_conds[i], obj))
			continue;
		for (int j = 0; j < n; j++)
			if (odcs_conds[conds[j]].then == odcs_conds[i].then)
				dup = true;
		if (!dup)
			conds[n++] = i;
	}
	return n;
}

/* "type is "sql"", for a conditional that holds for an object. */
static char *
cond_text(const OdcsCond *c, JsonbContainer *obj)
{
	JsonbValue *v = get_key(obj, c->key);

	if (v == NULL)
		return psprintf("%s is not given", c->key);
	if (v->type == jbvString && c->value_count > 0)
		return psprintf("%s is \"%.*s\"", c->key, v->val.string.len, v->val.string.val);
	return psprintf("%s is given", c->key);
}

/* "type is "sql"", for a conditional as the tables state it. */
static char *
cond_rule_text(const OdcsCond *c)
{
	StringInfoData buf;

	initStringInfo(&buf);
	if (c->value_count > 0)
		appendStringInfo(&buf, "%s is %s", c->key,
						 strings_text(c->value_first, c->value_count, " or ", true));
	else
		appendStringInfo(&buf, "%s is given", c->key);
	if (c->if_absent)
		appendStringInfoString(&buf, " or not given");
	return buf.data;
}

/* ----------------------------------------------------------------
 * Suggestions (core_suggest.c)
 * ----------------------------------------------------------------
 */

/* Every key a kind can have, under any of its conditionals. */
static void
suggest_keys(DmeshSuggest *s, int kind)
{
	const OdcsKind *k = &odcs_kinds[kind];

	for (int i = k->key_first; i < k->key_first + k->key_count; i++)
		dmesh_suggest_try(s, odcs_keys[i].name);
	for (int c = k->cond_first; c < k->cond_first + k->cond_count; c++)
	{
		const OdcsKind *t = &odcs_kinds[odcs_conds[c].then];

		for (int i = t->key_first; i < t->key_first + t->key_count; i++)
			dmesh_suggest_try(s, odcs_keys[i].name);
	}
}

/* ----------------------------------------------------------------
 * Other versions
 * ----------------------------------------------------------------
 */

/* The definition of a key for an object of a kind, or -2 if not allowed. */
static int
def_in_kind(int kind, JsonbContainer *obj, const char *key, int len)
{
	const OdcsKind *k;
	int			i;

	if (kind < 0)
		return -2;
	k = &odcs_kinds[kind];
	i = key_lookup(kind, key, len);
	if (i >= 0)
		return odcs_keys[i].def;
	for (int c = k->cond_first; c < k->cond_first + k->cond_count; c++)
	{
		if (!cond_matches(&odcs_conds[c], obj))
			continue;
		i = key_lookup(odcs_conds[c].then, key, len);
		if (i >= 0)
			return odcs_keys[i].def;
	}
	return -2;
}

/*
 * The version nearest to the declared one (later first) whose kind at the
 * same place allows the key, or -1.  With "value", one whose definition of
 * the key also takes that string.
 */
static int
other_version(Walk *w, int kind, JsonbContainer *obj, const char *key, int len,
			  JsonbValue *value)
{
	for (int d = 1; d < odcs_nversions; d++)
	{
		int			cands[2] = {w->version + d, w->version - d};

		for (int c = 0; c < 2; c++)
		{
			int			v = cands[c];
			int			def;

			if (v < 0 || v >= odcs_nversions)
				continue;
			def = def_in_kind(odcs_kinds[kind].other[v], obj, key, len);
			if (def == -2)
				continue;
			if (value == NULL)
				return v;
			if (def >= 0 && odcs_defs[def].enum_count > 0 && value->type == jbvString &&
				in_strings(odcs_defs[def].enum_first, odcs_defs[def].enum_count,
						   value->val.string.val, value->val.string.len))
				return v;
		}
	}
	return -1;
}

/* ----------------------------------------------------------------
 * The walk
 * ----------------------------------------------------------------
 */

/* "type" for logicalType, "dimension" for dimension: what an enum lists. */
static char *
enum_noun(const char *key)
{
	const char *p;

	if (key == NULL)
		return "value";
	p = key + strlen(key);
	while (p > key && !isupper((unsigned char) p[-1]))
		p--;
	if (p > key)
		p--;
	return asc_tolower(p, strlen(p));
}

static void
check_enum(Walk *w, JsonbValue *v, const OdcsDef *d, const char *key,
		   int parent_kind, JsonbContainer *parent)
{
	DmeshSuggest s;
	const char *hint;
	int			other;

	if (v->type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: must be one of %s, not %s", w->path.data,
						strings_text(d->enum_first, d->enum_count, " or ", true),
						value_type_name(v))));
	if (in_strings(d->enum_first, d->enum_count, v->val.string.val, v->val.string.len))
		return;

	other = (key != NULL && parent_kind >= 0) ?
		other_version(w, parent_kind, parent, key, strlen(key), v) : -1;
	if (other >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: \"%.*s\" is a %s value; this contract declares %s",
						w->path.data, v->val.string.len, v->val.string.val,
						odcs_versions[other].name, version_name(w)),
				 errdetail("ODCS %s allows %s.", version_name(w),
						   strings_text(d->enum_first, d->enum_count, " and ", false)),
				 errhint("Declare apiVersion: %s to use it.", odcs_versions[other].name)));
	if (d->enum_count == 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: must be \"%s\", not \"%.*s\"", w->path.data,
						odcs_strings[d->enum_first], v->val.string.len, v->val.string.val)));

	dmesh_suggest_init(&s, v->val.string.val, v->val.string.len);
	for (int i = 0; i < d->enum_count; i++)
		dmesh_suggest_try(&s, odcs_strings[d->enum_first + i]);
	hint = dmesh_suggest_result(&s);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s: unknown %s \"%.*s\"", w->path.data, enum_noun(key),
					v->val.string.len, v->val.string.val),
			 errdetail("ODCS %s allows %s.", version_name(w),
					   strings_text(d->enum_first, d->enum_count, " and ", false)),
			 hint ? errhint("Did you mean \"%s\"?", hint) : 0));
}

static void
check_number(Walk *w, JsonbValue *v, const OdcsDef *d)
{
	bool		integer_only = (d->types & ODCS_T_INTEGER) && !(d->types & ODCS_T_NUMBER);
	int			sign = numeric_sign_of(v->val.numeric);

	if ((integer_only && !numeric_is_integral(v->val.numeric)) ||
		((d->flags & ODCS_F_NONNEG) && sign < 0) ||
		((d->flags & ODCS_F_POSITIVE) && sign <= 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: must be %s", w->path.data,
						(d->flags & ODCS_F_POSITIVE) ? "a positive number" :
						(d->flags & ODCS_F_NONNEG) ?
						(integer_only ? "a non-negative integer" : "a non-negative number") :
						"an integer")));
}

/*
 * Check a value against a definition.  "key" names the value in its
 * object (NULL for an array item), whose kind and container are given for
 * looking the key up in other versions.
 */
static void
check_value(Walk *w, JsonbValue *v, int def, const char *key, int parent_kind,
			JsonbContainer *parent)
{
	const OdcsDef *d;
	uint8		types;

	if (def < 0)
		return;
	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	d = &odcs_defs[def];
	types = value_types(v);

	if (v->type == jbvNumeric && (d->types & (ODCS_T_NUMBER | ODCS_T_INTEGER)))
		check_number(w, v, d);
	else if (!(types & d->types))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: must be %s, not %s", w->path.data,
						(d->flags & ODCS_F_NONNEG) && d->types == ODCS_T_INTEGER ?
						"a non-negative integer" : types_text(d->types),
						value_type_name(v))));

	if (d->enum_count > 0)
		check_enum(w, v, d, key, parent_kind, parent);

	if (d->kind >= 0 && (types & ODCS_T_OBJECT))
		check_object(w, v->val.binary.data, d->kind);
	else if (d->items >= 0 && (types & ODCS_T_ARRAY))
	{
		JsonbIterator *it = JsonbIteratorInit(v->val.binary.data);
		JsonbValue	item;
		JsonbIteratorToken tok;
		int			i = 0;

		while ((tok = JsonbIteratorNext(&it, &item, true)) != WJB_DONE)
		{
			int			saved;

			CHECK_FOR_INTERRUPTS();
			if (tok != WJB_ELEM)
				continue;
			saved = path_push_index(w, i++);
			check_value(w, &item, d->items, NULL, -1, NULL);
			path_pop(w, saved);
		}
	}
}

static void
unknown_key(Walk *w, int kind, const int *conds, int nconds, JsonbContainer *obj,
			const char *key, int len, JsonbValue *value)
{
	const OdcsKind *k = &odcs_kinds[kind];
	int			other;
	bool		custom = key_lookup(kind, "customProperties", strlen("customProperties")) >= 0;
	StringInfoData allowed;
	DmeshSuggest s;
	const char *hint;

	/*
	 * A key of a conditional that does not hold: a discriminator of the
	 * wrong type (metric: [x]) is a wrong value, another key one that
	 * belongs to another case (query in a library rule).
	 */
	for (int c = k->cond_first; c < k->cond_first + k->cond_count; c++)
	{
		const OdcsCond *cond = &odcs_conds[c];
		int			i = key_lookup(cond->then, key, len);

		if (i < 0)
			continue;
		if (name_equals(cond->key, key, len) && odcs_keys[i].def >= 0)
			check_value(w, value, odcs_keys[i].def, cond->key, kind, obj);
	}
	{
		const OdcsCond *first = NULL;
		StringInfoData values;
		int			nvalues = 0;

		initStringInfo(&values);
		for (int c = k->cond_first; c < k->cond_first + k->cond_count; c++)
		{
			const OdcsCond *cond = &odcs_conds[c];

			if (key_lookup(cond->then, key, len) < 0 || name_equals(cond->key, key, len))
				continue;
			if (first == NULL)
				first = cond;
			if (strcmp(cond->key, first->key) == 0 && cond->value_count > 0)
				for (int i = 0; i < cond->value_count; i++)
					appendStringInfo(&values, "%s\"%s\"", nvalues++ ? ", " : "",
									 odcs_strings[cond->value_first + i]);
		}
		if (first != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: is not allowed here", w->path.data),
					 nvalues > 1 ?
					 errdetail("ODCS %s allows it when %s is one of %s.", version_name(w),
							   first->key, values.data) :
					 errdetail("ODCS %s allows it when %s.", version_name(w),
							   cond_rule_text(first))));
	}

	other = other_version(w, kind, obj, key, len, NULL);

	if (other >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: is a %s field; this contract declares %s",
						w->path.data, odcs_versions[other].name, version_name(w)),
				 custom ?
				 errhint("Declare apiVersion: %s to use it, or keep it in customProperties.",
						 odcs_versions[other].name) :
				 errhint("Declare apiVersion: %s to use it.", odcs_versions[other].name)));

	initStringInfo(&allowed);
	for (int i = k->key_first; i < k->key_first + k->key_count; i++)
		appendStringInfo(&allowed, "%s%s", allowed.len ? ", " : "", odcs_keys[i].name);
	for (int c = 0; c < nconds; c++)
	{
		const OdcsKind *t = &odcs_kinds[odcs_conds[conds[c]].then];

		for (int i = t->key_first; i < t->key_first + t->key_count; i++)
			if (key_lookup(kind, odcs_keys[i].name, strlen(odcs_keys[i].name)) < 0)
				appendStringInfo(&allowed, "%s%s", allowed.len ? ", " : "", odcs_keys[i].name);
	}

	/* First among the keys allowed here, then among all of the kind. */
	dmesh_suggest_init(&s, key, len);
	for (int i = k->key_first; i < k->key_first + k->key_count; i++)
		dmesh_suggest_try(&s, odcs_keys[i].name);
	for (int c = 0; c < nconds; c++)
	{
		const OdcsKind *t = &odcs_kinds[odcs_conds[conds[c]].then];

		for (int i = t->key_first; i < t->key_first + t->key_count; i++)
			dmesh_suggest_try(&s, odcs_keys[i].name);
	}
	hint = dmesh_suggest_result(&s);
	if (hint == NULL && s.count == 0)
	{
		dmesh_suggest_init(&s, key, len);
		suggest_keys(&s, kind);
		hint = dmesh_suggest_result(&s);
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s: unknown key", w->path.data),
			 allowed.len > 0 ?
			 errdetail("ODCS %s allows here: %s.", version_name(w), allowed.data) :
			 errdetail("ODCS %s allows no keys here.", version_name(w)),
			 hint && custom ?
			 errhint("Did you mean \"%s\"?  Fields of your own go in customProperties.", hint) :
			 hint ? errhint("Did you mean \"%s\"?", hint) :
			 custom ? errhint("Fields of your own go in customProperties.") : 0));
}

/* A key of an object the standard leaves open: a likely typo is warned of. */
static void
open_key(Walk *w, int kind, const char *key, int len)
{
	DmeshSuggest s;
	const char *hint;

	dmesh_suggest_init(&s, key, len);
	suggest_keys(&s, kind);
	hint = dmesh_suggest_result(&s);
	if (hint != NULL)
		ereport(WARNING,
				(errmsg("%s: unknown key, kept as written", w->path.data),
				 errdetail("ODCS %s allows keys of your own here.", version_name(w)),
				 errhint("Did you mean \"%s\"?", hint)));
}

static void
check_required(Walk *w, JsonbContainer *obj, int kind, const OdcsCond *why,
			   JsonbContainer *whyobj)
{
	const OdcsKind *k = &odcs_kinds[kind];

	for (int i = 0; i < k->required_count; i++)
	{
		const char *name = odcs_strings[k->required_first + i];
		int			saved;

		if (get_key(obj, name) != NULL)
			continue;
		saved = path_push_key(w, name, strlen(name));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: is required", w->path.data),
				 why ? errdetail("ODCS %s requires it when %s.", version_name(w),
								 cond_text(why, whyobj)) : 0));
		path_pop(w, saved);
	}

	if (k->oneof_count > 0)
	{
		const char *first = NULL;

		for (int i = 0; i < k->oneof_count; i++)
		{
			const char *name = odcs_strings[k->oneof_first + i];

			if (get_key(obj, name) == NULL)
				continue;
			if (first != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s: has both %s and %s", object_path(w), first, name),
						 errdetail("ODCS %s allows one of %s%s%s.", version_name(w),
								   strings_text(k->oneof_first, k->oneof_count, " and ", false),
								   why ? " when " : "", why ? cond_text(why, whyobj) : "")));
			first = name;
		}
		if (first == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: needs one of %s", object_path(w),
							strings_text(k->oneof_first, k->oneof_count, " or ", false)),
					 why ? errdetail("ODCS %s requires one when %s.", version_name(w),
									 cond_text(why, whyobj)) : 0));
	}
}

static void
check_object(Walk *w, JsonbContainer *obj, int kind)
{
	const OdcsKind *k = &odcs_kinds[kind];
	int		   *conds = palloc(sizeof(int) * (k->cond_count + 1));
	int		   *defs = palloc(sizeof(int) * (k->cond_count + 2));
	int			nconds;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;
	int			keylen = 0;

	check_stack_depth();

	/*
	 * The keys conditionals depend on come first: a server's type of the
	 * wrong value is the problem, not the keys its type would allow.
	 */
	for (int c = k->cond_first; c < k->cond_first + k->cond_count; c++)
	{
		const char *ckey = odcs_conds[c].key;
		int			i;
		JsonbValue *cv;
		int			saved;

		if (c > k->cond_first && strcmp(ckey, odcs_conds[c - 1].key) == 0)
			continue;
		i = key_lookup(kind, ckey, strlen(ckey));
		cv = get_key(obj, ckey);
		if (i < 0 || cv == NULL)
			continue;
		saved = path_push_key(w, ckey, strlen(ckey));
		check_value(w, cv, odcs_keys[i].def, ckey, kind, obj);
		path_pop(w, saved);
	}
	nconds = matched_conds(kind, obj, conds);

	it = JsonbIteratorInit(obj);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		bool		known;
		int			ndefs = 0;
		int			i;
		int			saved;

		CHECK_FOR_INTERRUPTS();
		if (tok == WJB_KEY)
		{
			key = pnstrdup(v.val.string.val, v.val.string.len);
			keylen = v.val.string.len;
			continue;
		}
		if (tok != WJB_VALUE)
			continue;

		/* The key's definitions: the kind's and those of conditionals. */
		i = key_lookup(kind, key, keylen);
		known = i >= 0;
		if (i >= 0 && odcs_keys[i].def >= 0)
			defs[ndefs++] = odcs_keys[i].def;
		for (int c = 0; c < nconds; c++)
		{
			int			then = odcs_conds[conds[c]].then;
			bool		dup = false;

			i = key_lookup(then, key, keylen);
			if (i < 0)
				continue;
			known = true;
			for (int j = 0; j < ndefs; j++)
				if (defs[j] == odcs_keys[i].def)
					dup = true;
			if (!dup && odcs_keys[i].def >= 0)
				defs[ndefs++] = odcs_keys[i].def;
		}

		saved = path_push_key(w, key, keylen);
		if (!known && k->closed)
			unknown_key(w, kind, conds, nconds, obj, key, keylen, &v);
		else if (!known)
			open_key(w, kind, key, keylen);
		if (in_strings(k->forbidden_first, k->forbidden_count, key, keylen))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: is not allowed here", w->path.data),
					 errdetail("ODCS %s does not allow \"%s\" in this object.",
							   version_name(w), key)));
		for (int j = 0; j < ndefs; j++)
			check_value(w, &v, defs[j], key, kind, obj);
		path_pop(w, saved);
		pfree(key);
		key = NULL;
	}

	check_required(w, obj, kind, NULL, NULL);
	for (int c = 0; c < nconds; c++)
		check_required(w, obj, odcs_conds[conds[c]].then, &odcs_conds[conds[c]], obj);
	pfree(conds);
	pfree(defs);
}

/*
 * Check a contract against the JSON Schema of the ODCS version it
 * declares (its apiVersion).  Raises an error at the first problem.
 */
void
dmesh_contract_validate(Jsonb *doc)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "dmesh contract validation",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	JsonbContainer *root = &doc->root;
	JsonbValue *api;
	Walk		w;

	if (!JsonContainerIsObject(root))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a contract must be a mapping (a JSON object)")));
	api = get_key(root, "apiVersion");
	if (api == NULL || api->type == jbvNull)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("apiVersion: is required")));
	if (api->type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("apiVersion: must be a string, not %s", value_type_name(api))));

	w.version = -1;
	for (int i = 0; i < odcs_nversions; i++)
		if (name_equals(odcs_versions[i].name, api->val.string.val, api->val.string.len))
			w.version = i;
	if (w.version < 0)
	{
		StringInfoData known;

		initStringInfo(&known);
		for (int i = 0; i < odcs_nversions; i++)
			appendStringInfo(&known, "%s%s", i == 0 ? "" :
							 (i == odcs_nversions - 1 ? " and " : ", "),
							 odcs_versions[i].name);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("apiVersion: unsupported version \"%.*s\"",
						api->val.string.len, api->val.string.val),
				 errhint("dmesh reads Open Data Contract Standard %s contracts.", known.data)));
	}

	initStringInfo(&w.path);
	check_object(&w, root, odcs_versions[w.version].root);

	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}
