/*-------------------------------------------------------------------------
 *
 * contract_validate.c
 *		Checking a contract against the schema of the ODCS version it
 *		declares, and a data product document against its ODPS version.
 *
 * The Open Data Contract Standard publishes a JSON Schema per version,
 * and so does the Open Data Product Standard.  dmesh holds a compact
 * description of each (contract_odcs_tables.c and product_odps_tables.c,
 * generated from the schemas by scripts/odcs_schema_tables.py) and walks a
 * new document against the one its apiVersion names, before anything else
 * is read from it (dmesh_contract_compile, product_document.c).  So a typo
 * is never silent: "requird: true" is refused with "Did you mean "required"?" instead of
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
 * or, for dmesh.lint_document, one more problem in a list, after which the
 * walk goes on (dmesh_document_problems): every problem is found in one
 * pass.
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
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "dmesh.h"
#include "contract.h"

/*
 * The standard being walked: set by each entry point before the walk (a
 * walk never starts another).
 */
static const DmeshStandard *T;

typedef struct Walk
{
	int			version;		/* index in T->versions */
	StringInfoData path;		/* of the value being checked */
	List	   *problems;		/* collected (lint), or ... */
	bool		collect;		/* ... false: the first problem is an error */
} Walk;

static void check_object(Walk *w, JsonbContainer *obj, int kind);
static bool check_value(Walk *w, JsonbValue *v, int def, const char *key,
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
	return w->path.len > 0 ? w->path.data : T->document;
}

static const char *
version_name(Walk *w)
{
	return T->versions[w->version].name;
}

/* ----------------------------------------------------------------
 * Problems
 *
 * Each problem is an error (22023, "path: message"), or, when problems are
 * collected, one more DmeshProblem, after which the walk goes on with the
 * next value: a value with a problem is not looked into further.
 * ----------------------------------------------------------------
 */

static void
problem(Walk *w, const char *path, const char *message, const char *detail,
		const char *hint)
{
	DmeshProblem *p;

	if (!w->collect)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 path ? errmsg("%s: %s", path, message) : errmsg("%s", message),
				 detail ? errdetail("%s", detail) : 0,
				 hint ? errhint("%s", hint) : 0));
	p = palloc0(sizeof(DmeshProblem));
	p->path = path ? pstrdup(path) : NULL;
	p->message = pstrdup(message);
	p->detail = detail ? pstrdup(detail) : NULL;
	p->hint = hint ? pstrdup(hint) : NULL;
	w->problems = lappend(w->problems, p);
}

/* A likely mistake the standard allows: a warning, or a collected one. */
static void
warning(Walk *w, const char *path, const char *message, const char *detail,
		const char *hint)
{
	DmeshProblem *p;

	if (!w->collect)
	{
		ereport(WARNING,
				(errmsg("%s: %s", path, message),
				 detail ? errdetail("%s", detail) : 0,
				 hint ? errhint("%s", hint) : 0));
		return;
	}
	p = palloc0(sizeof(DmeshProblem));
	p->path = pstrdup(path);
	p->message = pstrdup(message);
	p->detail = detail ? pstrdup(detail) : NULL;
	p->hint = hint ? pstrdup(hint) : NULL;
	p->warning = true;
	w->problems = lappend(w->problems, p);
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

/* The STD_T_* types a value has (a whole number is a number too). */
static uint8
value_types(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return STD_T_NULL;
		case jbvString:
			return STD_T_STRING;
		case jbvBool:
			return STD_T_BOOLEAN;
		case jbvNumeric:
			return STD_T_NUMBER |
				(numeric_is_integral(v->val.numeric) ? STD_T_INTEGER : 0);
		case jbvBinary:
			if (is_object(v))
				return STD_T_OBJECT;
			if (is_array(v))
				return STD_T_ARRAY;
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
		{STD_T_STRING, "a string"},
		{STD_T_NUMBER, "a number"},
		{STD_T_INTEGER, "an integer"},
		{STD_T_BOOLEAN, "true or false"},
		{STD_T_NULL, "null"},
		{STD_T_OBJECT, "an object"},
		{STD_T_ARRAY, "an array"},
	};
	const char *list[lengthof(names)];
	int			n = 0;
	StringInfoData buf;

	for (int i = 0; i < lengthof(names); i++)
	{
		if (!(types & names[i].bit))
			continue;
		/* A number includes the integers. */
		if (names[i].bit == STD_T_INTEGER && (types & STD_T_NUMBER))
			continue;
		/* As contract_compile.c says it, when alone. */
		if (names[i].bit == STD_T_BOOLEAN && types != STD_T_BOOLEAN)
			list[n++] = "a boolean";
		else
			list[n++] = names[i].name;
	}
	initStringInfo(&buf);
	for (int i = 0; i < n; i++)
		appendStringInfo(&buf, "%s%s", i == 0 ? "" : (i == n - 1 ? " or " : ", "), list[i]);
	return buf.data;
}

/* "a, b and c" (or "a, b or c") of a run of T->strings, quoted or not. */
static char *
strings_text(int first, int count, const char *last_sep, bool quote)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < count; i++)
		appendStringInfo(&buf, quote ? "%s\"%s\"" : "%s%s",
						 i == 0 ? "" : (i == count - 1 ? last_sep : ", "),
						 T->strings[first + i]);
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
		if (name_equals(T->strings[first + i], s, len))
			return true;
	return false;
}

/* The index in T->keys of a key of a kind, or -1. */
static int
key_lookup(int kind, const char *key, int len)
{
	const StdKind *k = &T->kinds[kind];
	int			lo = k->key_first;
	int			hi = k->key_first + k->key_count - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		const char *name = T->keys[mid].name;
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
cond_matches(const StdCond *c, JsonbContainer *obj)
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
 * for the kind's cond_count) with indexes in T->conds, one per distinct
 * then-kind.
 */
static int
matched_conds(int kind, JsonbContainer *obj, int *conds)
{
	const StdKind *k = &T->kinds[kind];
	int			n = 0;

	for (int i = k->cond_first; i < k->cond_first + k->cond_count; i++)
	{
		bool		dup = false;

		if (!cond_matches(&T->conds[i], obj))
			continue;
		for (int j = 0; j < n; j++)
			if (T->conds[conds[j]].then == T->conds[i].then)
				dup = true;
		if (!dup)
			conds[n++] = i;
	}
	return n;
}

/* "type is "sql"", for a conditional that holds for an object. */
static char *
cond_text(const StdCond *c, JsonbContainer *obj)
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
cond_rule_text(const StdCond *c)
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
	const StdKind *k = &T->kinds[kind];

	for (int i = k->key_first; i < k->key_first + k->key_count; i++)
		dmesh_suggest_try(s, T->keys[i].name);
	for (int c = k->cond_first; c < k->cond_first + k->cond_count; c++)
	{
		const StdKind *t = &T->kinds[T->conds[c].then];

		for (int i = t->key_first; i < t->key_first + t->key_count; i++)
			dmesh_suggest_try(s, T->keys[i].name);
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
	const StdKind *k;
	int			i;

	if (kind < 0)
		return -2;
	k = &T->kinds[kind];
	i = key_lookup(kind, key, len);
	if (i >= 0)
		return T->keys[i].def;
	for (int c = k->cond_first; c < k->cond_first + k->cond_count; c++)
	{
		if (!cond_matches(&T->conds[c], obj))
			continue;
		i = key_lookup(T->conds[c].then, key, len);
		if (i >= 0)
			return T->keys[i].def;
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
	for (int d = 1; d < T->nversions; d++)
	{
		int			cands[2] = {w->version + d, w->version - d};

		for (int c = 0; c < 2; c++)
		{
			int			v = cands[c];
			int			def;

			if (v < 0 || v >= T->nversions)
				continue;
			def = def_in_kind(T->kinds[kind].other[v], obj, key, len);
			if (def == -2)
				continue;
			if (value == NULL)
				return v;
			if (def >= 0 && T->defs[def].enum_count > 0 && value->type == jbvString &&
				in_strings(T->defs[def].enum_first, T->defs[def].enum_count,
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

/* "a, b and c" of the values an enum allows, for details. */
static char *
allows_text(Walk *w, const StdDef *d)
{
	return psprintf("%s %s allows %s.", T->name, version_name(w),
					strings_text(d->enum_first, d->enum_count, " and ", false));
}

static bool
check_enum(Walk *w, JsonbValue *v, const StdDef *d, const char *key,
		   int parent_kind, JsonbContainer *parent)
{
	DmeshSuggest s;
	const char *hint;
	int			other;

	if (v->type != jbvString)
	{
		problem(w, w->path.data,
				psprintf("must be one of %s, not %s",
						 strings_text(d->enum_first, d->enum_count, " or ", true),
						 value_type_name(v)), NULL, NULL);
		return false;
	}
	if (in_strings(d->enum_first, d->enum_count, v->val.string.val, v->val.string.len))
		return true;

	other = (key != NULL && parent_kind >= 0) ?
		other_version(w, parent_kind, parent, key, strlen(key), v) : -1;
	if (other >= 0)
	{
		problem(w, w->path.data,
				psprintf("\"%.*s\" is a %s value; this %s declares %s",
						 v->val.string.len, v->val.string.val,
						 T->versions[other].name, T->document, version_name(w)),
				allows_text(w, d),
				psprintf("Declare apiVersion: %s to use it.", T->versions[other].name));
		return false;
	}
	if (d->enum_count == 1)
	{
		problem(w, w->path.data,
				psprintf("must be \"%s\", not \"%.*s\"", T->strings[d->enum_first],
						 v->val.string.len, v->val.string.val), NULL, NULL);
		return false;
	}

	dmesh_suggest_init(&s, v->val.string.val, v->val.string.len);
	for (int i = 0; i < d->enum_count; i++)
		dmesh_suggest_try(&s, T->strings[d->enum_first + i]);
	hint = dmesh_suggest_result(&s);
	problem(w, w->path.data,
			psprintf("unknown %s \"%.*s\"", enum_noun(key), v->val.string.len, v->val.string.val),
			allows_text(w, d),
			hint ? psprintf("Did you mean \"%s\"?", hint) : NULL);
	return false;
}

static bool
check_number(Walk *w, JsonbValue *v, const StdDef *d)
{
	bool		integer_only = (d->types & STD_T_INTEGER) && !(d->types & STD_T_NUMBER);
	int			sign = numeric_sign_of(v->val.numeric);

	if ((integer_only && !numeric_is_integral(v->val.numeric)) ||
		((d->flags & STD_F_NONNEG) && sign < 0) ||
		((d->flags & STD_F_POSITIVE) && sign <= 0))
	{
		problem(w, w->path.data,
				psprintf("must be %s",
						 (d->flags & STD_F_POSITIVE) ? "a positive number" :
						 (d->flags & STD_F_NONNEG) ?
						 (integer_only ? "a non-negative integer" : "a non-negative number") :
						 "an integer"), NULL, NULL);
		return false;
	}
	return true;
}

/*
 * Check a value against a definition.  "key" names the value in its
 * object (NULL for an array item), whose kind and container are given for
 * looking the key up in other versions.  False when the value itself has
 * a problem (what is below it may have some too, when collected).
 */
static bool
check_value(Walk *w, JsonbValue *v, int def, const char *key, int parent_kind,
			JsonbContainer *parent)
{
	const StdDef *d;
	uint8		types;

	if (def < 0)
		return true;
	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	d = &T->defs[def];
	types = value_types(v);

	if (v->type == jbvNumeric && (d->types & (STD_T_NUMBER | STD_T_INTEGER)))
	{
		if (!check_number(w, v, d))
			return false;
	}
	else if (!(types & d->types))
	{
		problem(w, w->path.data,
				psprintf("must be %s, not %s",
						 (d->flags & STD_F_NONNEG) && d->types == STD_T_INTEGER ?
						 "a non-negative integer" : types_text(d->types),
						 value_type_name(v)), NULL, NULL);
		return false;
	}

	if (d->enum_count > 0 && !check_enum(w, v, d, key, parent_kind, parent))
		return false;

	if (d->kind >= 0 && (types & STD_T_OBJECT))
		check_object(w, v->val.binary.data, d->kind);
	else if (d->items >= 0 && (types & STD_T_ARRAY))
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
	return true;
}

static void
unknown_key(Walk *w, int kind, const int *conds, int nconds, JsonbContainer *obj,
			const char *key, int len, JsonbValue *value)
{
	const StdKind *k = &T->kinds[kind];
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
		const StdCond *cond = &T->conds[c];
		int			i = key_lookup(cond->then, key, len);

		if (i < 0)
			continue;
		if (name_equals(cond->key, key, len) && T->keys[i].def >= 0 &&
			!check_value(w, value, T->keys[i].def, cond->key, kind, obj))
			return;
	}
	{
		const StdCond *first = NULL;
		StringInfoData values;
		int			nvalues = 0;

		initStringInfo(&values);
		for (int c = k->cond_first; c < k->cond_first + k->cond_count; c++)
		{
			const StdCond *cond = &T->conds[c];

			if (key_lookup(cond->then, key, len) < 0 || name_equals(cond->key, key, len))
				continue;
			if (first == NULL)
				first = cond;
			if (strcmp(cond->key, first->key) == 0 && cond->value_count > 0)
				for (int i = 0; i < cond->value_count; i++)
					appendStringInfo(&values, "%s\"%s\"", nvalues++ ? ", " : "",
									 T->strings[cond->value_first + i]);
		}
		if (first != NULL)
		{
			problem(w, w->path.data, "is not allowed here",
					nvalues > 1 ?
					psprintf("%s %s allows it when %s is one of %s.", T->name, version_name(w),
							 first->key, values.data) :
					psprintf("%s %s allows it when %s.", T->name, version_name(w),
							 cond_rule_text(first)), NULL);
			return;
		}
	}

	other = other_version(w, kind, obj, key, len, NULL);

	if (other >= 0)
	{
		problem(w, w->path.data,
				psprintf("is a %s field; this %s declares %s",
						 T->versions[other].name, T->document, version_name(w)),
				NULL,
				custom ?
				psprintf("Declare apiVersion: %s to use it, or keep it in customProperties.",
						 T->versions[other].name) :
				psprintf("Declare apiVersion: %s to use it.", T->versions[other].name));
		return;
	}

	initStringInfo(&allowed);
	for (int i = k->key_first; i < k->key_first + k->key_count; i++)
		appendStringInfo(&allowed, "%s%s", allowed.len ? ", " : "", T->keys[i].name);
	for (int c = 0; c < nconds; c++)
	{
		const StdKind *t = &T->kinds[T->conds[conds[c]].then];

		for (int i = t->key_first; i < t->key_first + t->key_count; i++)
			if (key_lookup(kind, T->keys[i].name, strlen(T->keys[i].name)) < 0)
				appendStringInfo(&allowed, "%s%s", allowed.len ? ", " : "", T->keys[i].name);
	}

	/* First among the keys allowed here, then among all of the kind. */
	dmesh_suggest_init(&s, key, len);
	for (int i = k->key_first; i < k->key_first + k->key_count; i++)
		dmesh_suggest_try(&s, T->keys[i].name);
	for (int c = 0; c < nconds; c++)
	{
		const StdKind *t = &T->kinds[T->conds[conds[c]].then];

		for (int i = t->key_first; i < t->key_first + t->key_count; i++)
			dmesh_suggest_try(&s, T->keys[i].name);
	}
	hint = dmesh_suggest_result(&s);
	if (hint == NULL && s.count == 0)
	{
		dmesh_suggest_init(&s, key, len);
		suggest_keys(&s, kind);
		hint = dmesh_suggest_result(&s);
	}
	problem(w, w->path.data, "unknown key",
			allowed.len > 0 ?
			psprintf("%s %s allows here: %s.", T->name, version_name(w), allowed.data) :
			psprintf("%s %s allows no keys here.", T->name, version_name(w)),
			hint && custom ?
			psprintf("Did you mean \"%s\"?  Fields of your own go in customProperties.", hint) :
			hint ? psprintf("Did you mean \"%s\"?", hint) :
			custom ? "Fields of your own go in customProperties." : NULL);
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
		warning(w, w->path.data, "unknown key, kept as written",
				psprintf("%s %s allows keys of your own here.", T->name, version_name(w)),
				psprintf("Did you mean \"%s\"?", hint));
}

static void
check_required(Walk *w, JsonbContainer *obj, int kind, const StdCond *why,
			   JsonbContainer *whyobj)
{
	const StdKind *k = &T->kinds[kind];

	for (int i = 0; i < k->required_count; i++)
	{
		const char *name = T->strings[k->required_first + i];
		int			saved;

		if (get_key(obj, name) != NULL)
			continue;
		saved = path_push_key(w, name, strlen(name));
		problem(w, w->path.data, "is required",
				why ? psprintf("%s %s requires it when %s.", T->name, version_name(w),
							   cond_text(why, whyobj)) : NULL, NULL);
		path_pop(w, saved);
	}

	if (k->oneof_count > 0)
	{
		const char *first = NULL;

		for (int i = 0; i < k->oneof_count; i++)
		{
			const char *name = T->strings[k->oneof_first + i];

			if (get_key(obj, name) == NULL)
				continue;
			if (first != NULL)
			{
				problem(w, object_path(w), psprintf("has both %s and %s", first, name),
						psprintf("%s %s allows one of %s%s%s.", T->name, version_name(w),
								 strings_text(k->oneof_first, k->oneof_count, " and ", false),
								 why ? " when " : "", why ? cond_text(why, whyobj) : ""),
						NULL);
				break;
			}
			first = name;
		}
		if (first == NULL)
			problem(w, object_path(w),
					psprintf("needs one of %s",
							 strings_text(k->oneof_first, k->oneof_count, " or ", false)),
					why ? psprintf("%s %s requires one when %s.", T->name, version_name(w),
								   cond_text(why, whyobj)) : NULL, NULL);
	}
}

static void
check_object(Walk *w, JsonbContainer *obj, int kind)
{
	const StdKind *k = &T->kinds[kind];
	int		   *conds = palloc(sizeof(int) * (k->cond_count + 1));
	int		   *defs = palloc(sizeof(int) * (k->cond_count + 2));
	int			nconds;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;
	int			keylen = 0;
	int			nbad = 0;
	const char **bad = palloc(sizeof(char *) * (k->cond_count + 1));

	check_stack_depth();

	/*
	 * The keys conditionals depend on come first: a server's type of the
	 * wrong value is the problem, not the keys its type would allow.  A key
	 * found wrong here is not checked again below.
	 */
	for (int c = k->cond_first; c < k->cond_first + k->cond_count; c++)
	{
		const char *ckey = T->conds[c].key;
		int			i;
		JsonbValue *cv;
		int			saved;

		if (c > k->cond_first && strcmp(ckey, T->conds[c - 1].key) == 0)
			continue;
		i = key_lookup(kind, ckey, strlen(ckey));
		cv = get_key(obj, ckey);
		if (i < 0 || cv == NULL)
			continue;
		saved = path_push_key(w, ckey, strlen(ckey));
		if (!check_value(w, cv, T->keys[i].def, ckey, kind, obj))
			bad[nbad++] = ckey;
		path_pop(w, saved);
	}
	nconds = matched_conds(kind, obj, conds);

	it = JsonbIteratorInit(obj);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		bool		known;
		bool		skip = false;
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
		if (i >= 0 && T->keys[i].def >= 0)
			defs[ndefs++] = T->keys[i].def;
		for (int c = 0; c < nconds; c++)
		{
			int			then = T->conds[conds[c]].then;
			bool		dup = false;

			i = key_lookup(then, key, keylen);
			if (i < 0)
				continue;
			known = true;
			for (int j = 0; j < ndefs; j++)
				if (defs[j] == T->keys[i].def)
					dup = true;
			if (!dup && T->keys[i].def >= 0)
				defs[ndefs++] = T->keys[i].def;
		}
		for (int j = 0; j < nbad; j++)
			if (strcmp(bad[j], key) == 0)
				skip = true;

		saved = path_push_key(w, key, keylen);
		if (!skip && !known && k->closed)
			unknown_key(w, kind, conds, nconds, obj, key, keylen, &v);
		else if (!skip)
		{
			if (!known)
				open_key(w, kind, key, keylen);
			if (in_strings(k->forbidden_first, k->forbidden_count, key, keylen))
				problem(w, w->path.data, "is not allowed here",
						psprintf("%s %s does not allow \"%s\" in this object.",
								 T->name, version_name(w), key), NULL);
			else
				for (int j = 0; j < ndefs; j++)
					if (!check_value(w, &v, defs[j], key, kind, obj))
						break;
		}
		path_pop(w, saved);
		pfree(key);
		key = NULL;
	}

	check_required(w, obj, kind, NULL, NULL);
	for (int c = 0; c < nconds; c++)
		check_required(w, obj, T->conds[conds[c]].then, &T->conds[conds[c]], obj);
	pfree(conds);
	pfree(defs);
	pfree(bad);
}

/*
 * The index in std->versions of the version a document declares (its
 * apiVersion, or an alias of a version), or -1 when it declares none of
 * them (or no apiVersion string).
 */
int
dmesh_document_version(const DmeshStandard *std, JsonbContainer *root)
{
	JsonbValue *api = JsonContainerIsObject(root) ? get_key(root, "apiVersion") : NULL;

	if (api == NULL || api->type != jbvString)
		return -1;
	for (int i = 0; i < std->nversions; i++)
		if (name_equals(std->versions[i].name, api->val.string.val, api->val.string.len))
			return i;
	for (int i = 0; i < std->naliases; i++)
		if (name_equals(std->aliases[i].name, api->val.string.val, api->val.string.len))
			return std->aliases[i].version;
	return -1;
}

/* Walk a document against the schema of the version it declares. */
static void
walk_document(Walk *w, Jsonb *doc)
{
	JsonbContainer *root = &doc->root;
	JsonbValue *api;

	if (!JsonContainerIsObject(root))
	{
		problem(w, NULL, psprintf("a %s must be a mapping (a JSON object)", T->document),
				NULL, NULL);
		return;
	}
	api = get_key(root, "apiVersion");
	if (api == NULL || api->type == jbvNull)
	{
		problem(w, "apiVersion", "is required", NULL, NULL);
		return;
	}
	if (api->type != jbvString)
	{
		problem(w, "apiVersion", psprintf("must be a string, not %s", value_type_name(api)),
				NULL, NULL);
		return;
	}

	w->version = dmesh_document_version(T, root);
	if (w->version < 0)
	{
		StringInfoData known;
		int			n = T->nversions + T->naliases;

		initStringInfo(&known);
		for (int i = 0; i < n; i++)
			appendStringInfo(&known, "%s%s", i == 0 ? "" : (i == n - 1 ? " and " : ", "),
							 i < T->nversions ? T->versions[i].name :
							 T->aliases[i - T->nversions].name);
		problem(w, "apiVersion",
				psprintf("unsupported version \"%.*s\"", api->val.string.len, api->val.string.val),
				NULL,
				T == &odcs_standard ?
				psprintf("dmesh reads Open Data Contract Standard %s contracts.", known.data) :
				psprintf("dmesh reads %s %s documents.", T->name, known.data));
		return;
	}

	initStringInfo(&w->path);
	check_object(w, root, T->versions[w->version].root);
}

/*
 * Check a document against the JSON Schema of the version of the standard
 * it declares (its apiVersion): the first problem is an error.
 */
void
dmesh_document_validate(const DmeshStandard *std, Jsonb *doc)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "dmesh document validation",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	Walk		w;

	T = std;
	memset(&w, 0, sizeof(w));
	walk_document(&w, doc);

	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

/* A contract, against the ODCS version it declares. */
void
dmesh_contract_validate(Jsonb *doc)
{
	dmesh_document_validate(&odcs_standard, doc);
}

/*
 * Every problem of a document, in document order (a value with a problem
 * is not looked into): a list of DmeshProblem in the caller's memory.
 */
List *
dmesh_document_problems(const DmeshStandard *std, Jsonb *doc)
{
	Walk		w;

	T = std;
	memset(&w, 0, sizeof(w));
	w.collect = true;
	walk_document(&w, doc);
	return w.problems;
}

/* ----------------------------------------------------------------
 * Pruning a value to what a standard allows
 * ----------------------------------------------------------------
 */

static char *prune_value(JsonbValue *v, int def);

/* An object pruned to its kind, as JSON text, or NULL when it cannot be. */
static char *
prune_object(JsonbContainer *obj, int kind)
{
	const StdKind *k = &T->kinds[kind];
	int		   *conds = palloc(sizeof(int) * (k->cond_count + 1));
	int			nconds = matched_conds(kind, obj, conds);
	JsonbIterator *it = JsonbIteratorInit(obj);
	JsonbValue	v;
	JsonbIteratorToken tok;
	StringInfoData out;
	char	   *key = NULL;
	int			keylen = 0;
	int			kept = 0;

	check_stack_depth();
	initStringInfo(&out);
	appendStringInfoChar(&out, '{');
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		int			i;
		int			def = -1;
		bool		known;
		char	   *json;

		CHECK_FOR_INTERRUPTS();
		if (tok == WJB_KEY)
		{
			key = pnstrdup(v.val.string.val, v.val.string.len);
			keylen = v.val.string.len;
			continue;
		}
		if (tok != WJB_VALUE)
			continue;
		i = key_lookup(kind, key, keylen);
		known = i >= 0;
		if (i >= 0)
			def = T->keys[i].def;
		for (int c = 0; !known && c < nconds; c++)
		{
			i = key_lookup(T->conds[conds[c]].then, key, keylen);
			if (i >= 0)
			{
				known = true;
				def = T->keys[i].def;
			}
		}
		if ((!known && k->closed) ||
			in_strings(k->forbidden_first, k->forbidden_count, key, keylen))
			continue;
		json = prune_value(&v, def);
		if (json == NULL)
			continue;
		if (kept++ > 0)
			appendStringInfoString(&out, ", ");
		escape_json(&out, key);
		appendStringInfo(&out, ": %s", json);
	}
	appendStringInfoChar(&out, '}');

	/* What it requires must have been kept. */
	{
		Jsonb	   *pruned = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
																CStringGetDatum(out.data)));
		int			nrequired = k->required_count;

		for (int i = 0; i < nrequired; i++)
			if (get_key(&pruned->root, T->strings[k->required_first + i]) == NULL)
				return NULL;
		for (int c = 0; c < nconds; c++)
		{
			const StdKind *t = &T->kinds[T->conds[conds[c]].then];

			for (int i = 0; i < t->required_count; i++)
				if (get_key(&pruned->root, T->strings[t->required_first + i]) == NULL)
					return NULL;
		}
		if (k->oneof_count > 0)
		{
			int			given = 0;

			for (int i = 0; i < k->oneof_count; i++)
				if (get_key(&pruned->root, T->strings[k->oneof_first + i]) != NULL)
					given++;
			if (given != 1)
				return NULL;
		}
	}
	return out.data;
}

/* A value pruned to a definition, as JSON text, or NULL when it cannot be. */
static char *
prune_value(JsonbValue *v, int def)
{
	const StdDef *d;
	uint8		types = value_types(v);

	if (def >= 0)
	{
		d = &T->defs[def];
		if (!(types & d->types))
			return NULL;
		if (v->type == jbvNumeric)
		{
			bool		integer_only = (d->types & STD_T_INTEGER) && !(d->types & STD_T_NUMBER);
			int			sign = numeric_sign_of(v->val.numeric);

			if ((integer_only && !numeric_is_integral(v->val.numeric)) ||
				((d->flags & STD_F_NONNEG) && sign < 0) ||
				((d->flags & STD_F_POSITIVE) && sign <= 0))
				return NULL;
		}
		if (d->enum_count > 0 &&
			(v->type != jbvString ||
			 !in_strings(d->enum_first, d->enum_count, v->val.string.val, v->val.string.len)))
			return NULL;
		if (d->kind >= 0 && (types & STD_T_OBJECT))
			return prune_object(v->val.binary.data, d->kind);
		if (d->items >= 0 && (types & STD_T_ARRAY))
		{
			JsonbIterator *it = JsonbIteratorInit(v->val.binary.data);
			JsonbValue	item;
			JsonbIteratorToken tok;
			StringInfoData out;
			int			kept = 0;

			initStringInfo(&out);
			appendStringInfoChar(&out, '[');
			while ((tok = JsonbIteratorNext(&it, &item, true)) != WJB_DONE)
			{
				char	   *json;

				CHECK_FOR_INTERRUPTS();
				if (tok != WJB_ELEM)
					continue;
				json = prune_value(&item, d->items);
				if (json == NULL)
					continue;
				appendStringInfo(&out, "%s%s", kept++ > 0 ? ", " : "", json);
			}
			appendStringInfoChar(&out, ']');
			return out.data;
		}
	}
	{
		Jsonb	   *jb = JsonbValueToJsonb(v);

		return JsonbToCString(NULL, &jb->root, VARSIZE(jb));
	}
}

/*
 * A value of another document (a contract's team, say) as a standard
 * allows it where "where" names a kind of its newest version ("team",
 * "support[]": see the generated tables): keys the kind does not allow,
 * values of other types or values, and objects without what they require
 * are left out.  Returns JSON text, or NULL when nothing of it is allowed.
 */
char *
dmesh_document_prune(const DmeshStandard *std, const char *where, JsonbValue *v)
{
	/* the kinds of the newest version: from its root to the end */
	T = std;
	for (int k = std->versions[std->nversions - 1].root; k < std->nkinds; k++)
		if (strcmp(std->kinds[k].where, where) == 0)
			return (value_types(v) & STD_T_OBJECT) ? prune_object(v->val.binary.data, k) : NULL;
	elog(ERROR, "%s has no kind \"%s\"", std->name, where);
	return NULL;				/* keep compiler quiet */
}
