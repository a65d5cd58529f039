/*-------------------------------------------------------------------------
 *
 * contract_diff.c
 *		What changed between two versions of a contract, and how much it
 *		matters to consumers.
 *
 * Severities, from the consumer's side:
 *	breaking	the object or a property is removed; a logicalType or
 *				physicalType changes; a property becomes required, unique
 *				or a primary key; a pattern or format is added or changed;
 *				a length, item count or value range is added or narrowed;
 *				enum or valid values lose members; a classification changes
 *				or is removed.
 *	warning		a quality rule is added, changed or removed; a required,
 *				unique or primary-key flag is dropped; a physicalType or
 *				classification is added; a required property is added; a
 *				property's source column (physicalName) changes; another
 *				type option is added or changed; SLA properties change.
 *	info		everything else: optional properties added, descriptions,
 *				tags, examples, loosened constraints, a physicalType
 *				written differently for the same type, other fields.
 * Objects and properties are matched by name, quality rules by name (or by
 * metric/rule and order when unnamed).  Paths name them:
 *		schema[orders].properties[amount].logicalTypeOptions.maximum
 * An unnamed rule's key is its metric (or rule, or type), "#2", "#3" ...
 * added from its second occurrence; a key already taken gets the next
 * free number, so every rule of a list has its own key.
 *
 * Matching goes through hash tables and sorted arrays: a diff takes time
 * linear (up to a log factor) in the size of the two documents.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/numeric.h"
#include "utils/varlena.h"

#include "dmesh.h"
#include "contract.h"

PG_FUNCTION_INFO_V1(dmesh_contract_diff_sql);
PG_FUNCTION_INFO_V1(dmesh_contract_diff_document);

typedef enum Direction
{
	LOWER_IS_TIGHTER,			/* a maximum */
	HIGHER_IS_TIGHTER			/* a minimum */
} Direction;

const char *
dmesh_severity_name(DmeshSeverity severity)
{
	switch (severity)
	{
		case DMESH_BREAKING:
			return "breaking";
		case DMESH_WARNING:
			return "warning";
		default:
			return "info";
	}
}

static Jsonb *
as_jsonb(JsonbValue *v)
{
	return v ? JsonbValueToJsonb(v) : NULL;
}

static bool
values_equal(JsonbValue *a, JsonbValue *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return compareJsonbContainers(&as_jsonb(a)->root, &as_jsonb(b)->root) == 0;
}

static void
add_change(List **changes, const char *path, JsonbValue *old, JsonbValue *new,
		   DmeshSeverity severity)
{
	DmeshChange *c = palloc(sizeof(DmeshChange));

	c->path = pstrdup(path);
	c->change = old == NULL ? "added" : new == NULL ? "removed" : "changed";
	c->old_value = as_jsonb(old);
	c->new_value = as_jsonb(new);
	c->severity = severity;
	*changes = lappend(*changes, c);
}

/* A JSON null counts as absent. */
static JsonbValue *
member(JsonbContainer *obj, const char *key)
{
	JsonbValue *v = dmesh_json_get(obj, key);

	return (v == NULL || v->type == jbvNull) ? NULL : v;
}

static bool
is_object(JsonbValue *v)
{
	return v && v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data);
}

static bool
truthy(JsonbValue *v)
{
	return v && v->type == jbvBool && v->val.boolean;
}

/*
 * Keys of an object, in stored order, followed by the keys of a second
 * object that the first lacks.
 */
static List *
union_keys(JsonbContainer *a, JsonbContainer *b)
{
	List	   *keys = NIL;
	JsonbContainer *objs[2] = {a, b};

	for (int i = 0; i < 2; i++)
	{
		JsonbIterator *it;
		JsonbValue	v;
		JsonbIteratorToken tok;

		if (objs[i] == NULL || !JsonContainerIsObject(objs[i]))
			continue;
		it = JsonbIteratorInit(objs[i]);
		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		{
			CHECK_FOR_INTERRUPTS();
			if (tok != WJB_KEY)
				continue;
			/* keys of an object are distinct; a's are looked up (binary search) */
			if (i == 1 && a != NULL && JsonContainerIsObject(a) &&
				getKeyJsonValueFromContainer(a, v.val.string.val, v.val.string.len, NULL) != NULL)
				continue;
			keys = lappend(keys, pnstrdup(v.val.string.val, v.val.string.len));
		}
	}
	return keys;
}

static char *
subpath(const char *path, const char *key)
{
	return path[0] ? psprintf("%s.%s", path, key) : pstrdup(key);
}

/*
 * Objects are compared member by member; anything else as a whole.
 */
static void
generic_diff(List **changes, const char *path, JsonbValue *a, JsonbValue *b,
			 DmeshSeverity severity)
{
	ListCell   *lc;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	if (is_object(a) && is_object(b))
	{
		foreach(lc, union_keys(a->val.binary.data, b->val.binary.data))
		{
			char	   *key = lfirst(lc);

			generic_diff(changes, subpath(path, key), member(a->val.binary.data, key),
						 member(b->val.binary.data, key), severity);
		}
	}
	else if (!values_equal(a, b))
		add_change(changes, path, a, b, severity);
}

/* -1, 0 or 1; comparable is false for values of different kinds. */
static int
compare_bounds(JsonbValue *a, JsonbValue *b, bool *comparable)
{
	*comparable = true;
	if (a->type == jbvNumeric && b->type == jbvNumeric)
		return DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(a->val.numeric),
												 NumericGetDatum(b->val.numeric)));
	if (a->type == jbvString && b->type == jbvString)
	{
		int			r = varstr_cmp(a->val.string.val, a->val.string.len,
								   b->val.string.val, b->val.string.len, C_COLLATION_OID);

		return r < 0 ? -1 : r > 0 ? 1 : 0;
	}
	*comparable = false;
	return 0;
}

/*
 * A bound (a minimum or a maximum): adding it or moving it inwards is
 * breaking, removing it or moving it outwards is info.
 */
static void
bound_diff(List **changes, const char *path, JsonbValue *a, JsonbValue *b, Direction dir)
{
	bool		comparable;
	int			cmp;

	if (values_equal(a, b))
		return;
	if (a == NULL)
	{
		add_change(changes, path, a, b, DMESH_BREAKING);
		return;
	}
	if (b == NULL)
	{
		add_change(changes, path, a, b, DMESH_INFO);
		return;
	}
	/* ODCS v3.0 exclusive bounds are booleans: turning one on narrows. */
	if (a->type == jbvBool && b->type == jbvBool)
	{
		add_change(changes, path, a, b, b->val.boolean ? DMESH_BREAKING : DMESH_INFO);
		return;
	}
	cmp = compare_bounds(a, b, &comparable);
	if (!comparable)
		add_change(changes, path, a, b, DMESH_BREAKING);
	else if (dir == HIGHER_IS_TIGHTER)
		add_change(changes, path, a, b, cmp < 0 ? DMESH_BREAKING : DMESH_INFO);
	else
		add_change(changes, path, a, b, cmp > 0 ? DMESH_BREAKING : DMESH_INFO);
}

static void
options_diff(List **changes, const char *path, JsonbValue *a, JsonbValue *b)
{
	JsonbContainer *ao = is_object(a) ? a->val.binary.data : NULL;
	JsonbContainer *bo = is_object(b) ? b->val.binary.data : NULL;
	ListCell   *lc;

	foreach(lc, union_keys(ao, bo))
	{
		char	   *key = lfirst(lc);
		char	   *kpath = subpath(path, key);
		JsonbValue *av = member(ao, key);
		JsonbValue *bv = member(bo, key);

		if (strcmp(key, "minLength") == 0 || strcmp(key, "minimum") == 0 ||
			strcmp(key, "minItems") == 0 || strcmp(key, "exclusiveMinimum") == 0)
			bound_diff(changes, kpath, av, bv, HIGHER_IS_TIGHTER);
		else if (strcmp(key, "maxLength") == 0 || strcmp(key, "maximum") == 0 ||
				 strcmp(key, "maxItems") == 0 || strcmp(key, "exclusiveMaximum") == 0)
			bound_diff(changes, kpath, av, bv, LOWER_IS_TIGHTER);
		else if (values_equal(av, bv))
			continue;
		else if (strcmp(key, "pattern") == 0 || strcmp(key, "format") == 0)
			add_change(changes, kpath, av, bv, bv ? DMESH_BREAKING : DMESH_INFO);
		else
			add_change(changes, kpath, av, bv, bv ? DMESH_WARNING : DMESH_INFO);
	}
}

/* An element of a list, with its hash, for array_subset. */
typedef struct HashedValue
{
	uint32		hash;
	Jsonb	   *value;
} HashedValue;

static HashedValue
hashed_value(JsonbValue *v)
{
	HashedValue h;

	h.value = as_jsonb(v);
	h.hash = DatumGetUInt32(DirectFunctionCall1(jsonb_hash, JsonbPGetDatum(h.value)));
	return h;
}

static int
hashed_value_cmp(const void *a, const void *b)
{
	uint32		x = ((const HashedValue *) a)->hash;
	uint32		y = ((const HashedValue *) b)->hash;

	return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * Does every element of array a appear in array b?  b's elements are
 * sorted by hash (jsonb_hash agrees with jsonb equality), and each element
 * of a is compared only with those of the same hash.
 */
static bool
array_subset(JsonbValue *a, JsonbValue *b)
{
	JsonbContainer *ac;
	JsonbContainer *bc;
	uint32		nb;
	HashedValue *bv;

	if (a == NULL)
		return true;
	if (b == NULL || a->type != jbvBinary || b->type != jbvBinary)
		return false;
	ac = a->val.binary.data;
	bc = b->val.binary.data;
	nb = JsonContainerSize(bc);
	bv = palloc(sizeof(HashedValue) * Max(nb, 1));
	for (uint32 j = 0; j < nb; j++)
	{
		CHECK_FOR_INTERRUPTS();
		bv[j] = hashed_value(getIthJsonbValueFromContainer(bc, j));
	}
	qsort(bv, nb, sizeof(HashedValue), hashed_value_cmp);

	for (uint32 i = 0; i < JsonContainerSize(ac); i++)
	{
		HashedValue x = hashed_value(getIthJsonbValueFromContainer(ac, i));
		uint32		lo = 0,
					hi = nb;
		bool		found = false;

		CHECK_FOR_INTERRUPTS();
		while (lo < hi)
		{
			uint32		mid = lo + (hi - lo) / 2;

			if (bv[mid].hash < x.hash)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (uint32 j = lo; j < nb && bv[j].hash == x.hash && !found; j++)
			found = compareJsonbContainers(&x.value->root, &bv[j].value->root) == 0;
		if (!found)
			return false;
	}
	return true;
}

/*
 * Allowed values (enum, or a quality rule's arguments.validValues): adding
 * a list or losing a member is breaking; gaining members or dropping the
 * list is info.
 */
static void
values_list_diff(List **changes, const char *path, JsonbValue *a, JsonbValue *b)
{
	if (values_equal(a, b))
		return;
	if (a == NULL)
		add_change(changes, path, a, b, DMESH_BREAKING);
	else if (b == NULL)
		add_change(changes, path, a, b, DMESH_INFO);	/* no list: anything goes */
	else
		add_change(changes, path, a, b, array_subset(a, b) ? DMESH_INFO : DMESH_BREAKING);
}

/* The keys of a quality list, and a map from key to index. */
typedef struct RuleKeys
{
	JsonbContainer *rules;		/* NULL: no list */
	int			n;
	char	  **keys;
	DmeshNameMap *map;			/* key -> index of the rule */
} RuleKeys;

/*
 * The key of each rule: its name, else its metric (or rule, or type); a
 * key already taken gets "#2", "#3" ..., the first free number.  "next"
 * keeps, per base key, the number to try next, so that numbering N rules
 * of one metric takes N steps, not N * N.
 */
static RuleKeys
rule_keys(JsonbValue *rules)
{
	RuleKeys	rk = {NULL, 0, NULL, NULL};
	DmeshNameMap *next;

	if (rules == NULL || rules->type != jbvBinary)
	{
		rk.map = dmesh_name_map_create(0);
		return rk;
	}
	rk.rules = rules->val.binary.data;
	rk.n = JsonContainerSize(rk.rules);
	rk.keys = palloc(sizeof(char *) * Max(rk.n, 1));
	rk.map = dmesh_name_map_create(rk.n);
	next = dmesh_name_map_create(rk.n);
	for (int i = 0; i < rk.n; i++)
	{
		JsonbValue *r = getIthJsonbValueFromContainer(rk.rules, i);
		JsonbContainer *rule = r->val.binary.data;
		char	   *base = dmesh_json_text(rule, "name");
		char	   *key;
		bool		found;
		int		   *slot;

		CHECK_FOR_INTERRUPTS();
		if (base == NULL)
			base = dmesh_json_text(rule, "metric");
		if (base == NULL)
			base = dmesh_json_text(rule, "rule");
		if (base == NULL)
			base = dmesh_json_text(rule, "type");
		if (base == NULL)
			base = "rule";
		key = base;
		slot = dmesh_name_map_insert(rk.map, key, &found);
		if (found)
		{
			int		   *n = dmesh_name_map_insert(next, base, &found);
			int			k = found ? *n : 2;

			do
			{
				key = psprintf("%s#%d", base, k++);
				slot = dmesh_name_map_insert(rk.map, key, &found);
			} while (found);
			*n = k;
		}
		*slot = i;
		rk.keys[i] = key;
	}
	dmesh_name_map_free(next);
	return rk;
}

static JsonbValue *
rule_by_key(const RuleKeys *rk, const char *key)
{
	int			i = dmesh_name_map_lookup(rk->map, key);

	return i < 0 ? NULL : getIthJsonbValueFromContainer(rk->rules, i);
}

/* A quality rule without its arguments.validValues. */
static JsonbValue *
without_valid_values(JsonbValue *rule)
{
	Datum		path = PointerGetDatum(construct_array((Datum[]) {
		CStringGetTextDatum("arguments"), CStringGetTextDatum("validValues")},
											   2, TEXTOID, -1, false, TYPALIGN_INT));
	Jsonb	   *jb = DatumGetJsonbP(DirectFunctionCall2(jsonb_delete_path,
														JsonbPGetDatum(as_jsonb(rule)), path));
	JsonbValue *v = palloc(sizeof(JsonbValue));

	v->type = jbvBinary;
	v->val.binary.data = &jb->root;
	v->val.binary.len = VARSIZE(jb) - VARHDRSZ;
	return v;
}

static void
quality_diff(List **changes, const char *path, JsonbValue *a, JsonbValue *b)
{
	RuleKeys	akeys = rule_keys(a);
	RuleKeys	bkeys = rule_keys(b);

	for (int i = 0; i < akeys.n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (dmesh_name_map_lookup(bkeys.map, akeys.keys[i]) < 0)
			add_change(changes, psprintf("%s[%s]", path, akeys.keys[i]),
					   getIthJsonbValueFromContainer(akeys.rules, i), NULL, DMESH_WARNING);
	}
	for (int i = 0; i < bkeys.n; i++)
	{
		char	   *rpath = psprintf("%s[%s]", path, bkeys.keys[i]);
		JsonbValue *ar = rule_by_key(&akeys, bkeys.keys[i]);
		JsonbValue *br = getIthJsonbValueFromContainer(bkeys.rules, i);
		JsonbValue *aargs;
		JsonbValue *bargs;
		JsonbValue *avalid;
		JsonbValue *bvalid;

		CHECK_FOR_INTERRUPTS();
		if (ar == NULL)
		{
			add_change(changes, rpath, NULL, br, DMESH_WARNING);
			continue;
		}
		if (values_equal(ar, br))
			continue;
		aargs = member(ar->val.binary.data, "arguments");
		bargs = member(br->val.binary.data, "arguments");
		avalid = is_object(aargs) ? member(aargs->val.binary.data, "validValues") : NULL;
		bvalid = is_object(bargs) ? member(bargs->val.binary.data, "validValues") : NULL;
		if (avalid != NULL || bvalid != NULL)
		{
			/* Valid values apart, is the rule the same? */
			values_list_diff(changes, psprintf("%s.arguments.validValues", rpath), avalid, bvalid);
			if (!values_equal(without_valid_values(ar), without_valid_values(br)))
				add_change(changes, rpath, ar, br, DMESH_WARNING);
		}
		else
			add_change(changes, rpath, ar, br, DMESH_WARNING);
	}
	dmesh_name_map_free(akeys.map);
	dmesh_name_map_free(bkeys.map);
}

/*
 * A flag that narrows what consumers may see (required, unique, primary
 * key): setting it is breaking, clearing it a warning.
 */
static void
flag_diff(List **changes, const char *path, JsonbValue *a, JsonbValue *b)
{
	if (truthy(a) == truthy(b))
	{
		if (!values_equal(a, b))
			add_change(changes, path, a, b, DMESH_INFO);	/* false vs absent */
		return;
	}
	add_change(changes, path, a, b, truthy(b) ? DMESH_BREAKING : DMESH_WARNING);
}

/*
 * Two spellings of one PostgreSQL type (int4 and integer, say)?  Type
 * names are resolved with the pinned search_path of the caller's section.
 */
static bool
same_type(JsonbValue *a, JsonbValue *b)
{
	char	   *an;
	char	   *bn;
	DmeshPhysicalType pa;
	DmeshPhysicalType pb;

	if (a->type != jbvString || b->type != jbvString)
		return false;
	an = pnstrdup(a->val.string.val, a->val.string.len);
	bn = pnstrdup(b->val.string.val, b->val.string.len);
	pa = dmesh_physical_type(an);
	pb = dmesh_physical_type(bn);
	if (pa.kind == DMESH_PHYSICAL_POSTGRES && pb.kind == DMESH_PHYSICAL_POSTGRES)
		return pa.typid == pb.typid && pa.typmod == pb.typmod;
	/* "STRING" and "string": one name of another platform */
	return pa.kind == DMESH_PHYSICAL_FAMILY && pb.kind == DMESH_PHYSICAL_FAMILY &&
		pg_strcasecmp(an, bn) == 0;
}

static void
property_diff(List **changes, const char *path, JsonbContainer *a, JsonbContainer *b)
{
	ListCell   *lc;

	foreach(lc, union_keys(a, b))
	{
		char	   *key = lfirst(lc);
		char	   *kpath = subpath(path, key);
		JsonbValue *av = member(a, key);
		JsonbValue *bv = member(b, key);

		if (strcmp(key, "required") == 0 || strcmp(key, "unique") == 0 ||
			strcmp(key, "primaryKey") == 0)
			flag_diff(changes, kpath, av, bv);
		else if (strcmp(key, "logicalTypeOptions") == 0)
			options_diff(changes, kpath, av, bv);
		else if (strcmp(key, "quality") == 0)
			quality_diff(changes, kpath, av, bv);
		else if (strcmp(key, "enum") == 0)
			values_list_diff(changes, kpath, av, bv);
		else if (values_equal(av, bv))
			continue;
		else if (strcmp(key, "logicalType") == 0)
			add_change(changes, kpath, av, bv, DMESH_BREAKING);
		else if (strcmp(key, "physicalType") == 0)
			add_change(changes, kpath, av, bv,
					   av == NULL ? DMESH_WARNING : bv == NULL ? DMESH_INFO :
					   same_type(av, bv) ? DMESH_INFO : DMESH_BREAKING);
		else if (strcmp(key, "classification") == 0)
			add_change(changes, kpath, av, bv, av == NULL ? DMESH_WARNING : DMESH_BREAKING);
		else if (strcmp(key, "physicalName") == 0)
			add_change(changes, kpath, av, bv, DMESH_WARNING);
		else
			generic_diff(changes, kpath, av, bv, DMESH_INFO);
	}
}

/* A map from property name to index. */
static DmeshNameMap *
property_map(const DmeshContract *c)
{
	DmeshNameMap *map = dmesh_name_map_create(c->nprops);

	for (int i = 0; i < c->nprops; i++)
	{
		bool		found;

		*dmesh_name_map_insert(map, c->props[i].name, &found) = i;
	}
	return map;
}

static void
object_diff(List **changes, const DmeshContract *from, const DmeshContract *to)
{
	char	   *path = psprintf("schema[%s]", from->object_name);
	char	   *ppath = psprintf("%s.properties", path);
	DmeshNameMap *from_map = property_map(from);
	DmeshNameMap *to_map = property_map(to);
	int		   *in_to = palloc(sizeof(int) * Max(from->nprops, 1));
	int		   *in_from = palloc(sizeof(int) * Max(to->nprops, 1));
	int		   *common_before_from = palloc(sizeof(int) * (from->nprops + 1));
	int		   *common_before_to = palloc(sizeof(int) * (to->nprops + 1));
	ListCell   *lc;

	foreach(lc, union_keys(from->object, to->object))
	{
		char	   *key = lfirst(lc);

		if (strcmp(key, "properties") == 0)
			continue;
		if (strcmp(key, "quality") == 0)
			quality_diff(changes, subpath(path, key), member(from->object, key),
						 member(to->object, key));
		else
			generic_diff(changes, subpath(path, key), member(from->object, key),
						 member(to->object, key), DMESH_INFO);
	}

	/*
	 * Where each property is in the other version, and how many properties
	 * both versions have come before it.
	 */
	common_before_from[0] = 0;
	for (int i = 0; i < from->nprops; i++)
	{
		in_to[i] = dmesh_name_map_lookup(to_map, from->props[i].name);
		common_before_from[i + 1] = common_before_from[i] + (in_to[i] >= 0);
	}
	common_before_to[0] = 0;
	for (int i = 0; i < to->nprops; i++)
	{
		in_from[i] = dmesh_name_map_lookup(from_map, to->props[i].name);
		common_before_to[i + 1] = common_before_to[i] + (in_from[i] >= 0);
	}

	for (int i = 0; i < from->nprops; i++)
	{
		if (in_to[i] < 0)
			add_change(changes, psprintf("%s[%s]", ppath, from->props[i].name),
					   from->props[i].json, NULL, DMESH_BREAKING);
	}
	for (int i = 0; i < to->nprops; i++)
	{
		int			j = in_from[i];
		char	   *prop_path = psprintf("%s[%s]", ppath, to->props[i].name);

		CHECK_FOR_INTERRUPTS();
		if (j < 0)
		{
			add_change(changes, prop_path, NULL, to->props[i].json,
					   to->props[i].required ? DMESH_WARNING : DMESH_INFO);
			continue;
		}
		property_diff(changes, prop_path, from->props[j].json->val.binary.data,
					  to->props[i].json->val.binary.data);

		/* Order among the properties both versions have. */
		if (common_before_from[j] != common_before_to[i])
		{
			JsonbValue	a,
						b;

			a.type = b.type = jbvNumeric;
			a.val.numeric = int64_to_numeric(j + 1);
			b.val.numeric = int64_to_numeric(i + 1);
			add_change(changes, psprintf("%s.position", prop_path), &a, &b, DMESH_INFO);
		}
	}
	dmesh_name_map_free(from_map);
	dmesh_name_map_free(to_map);
}

/*
 * Every change from one contract to another, in document order.
 */
List *
dmesh_contract_diff(const DmeshContract *from, const DmeshContract *to)
{
	List	   *changes = NIL;
	JsonbContainer *a = &from->doc->root;
	JsonbContainer *b = &to->doc->root;
	ListCell   *lc;

	foreach(lc, union_keys(a, b))
	{
		char	   *key = lfirst(lc);

		if (strcmp(key, "schema") == 0)
			continue;
		generic_diff(&changes, key, member(a, key), member(b, key),
					 strcmp(key, "slaProperties") == 0 ? DMESH_WARNING : DMESH_INFO);
	}

	/* Objects by name: each one kept is compared, one removed breaks. */
	for (int i = 0; i < from->nobjects; i++)
	{
		int			j = dmesh_contract_find_object(to, from->objects[i].name);

		CHECK_FOR_INTERRUPTS();
		if (j >= 0 && strcmp(to->objects[j].name, from->objects[i].name) == 0)
			object_diff(&changes, dmesh_contract_object(from, i), dmesh_contract_object(to, j));
		else
			add_change(&changes, psprintf("schema[%s]", from->objects[i].name),
					   from->objects[i].json_value, NULL, DMESH_BREAKING);
	}
	for (int j = 0; j < to->nobjects; j++)
	{
		int			i = dmesh_contract_find_object(from, to->objects[j].name);

		if (i < 0 || strcmp(from->objects[i].name, to->objects[j].name) != 0)
			add_change(&changes, psprintf("schema[%s]", to->objects[j].name), NULL,
					   to->objects[j].json_value, DMESH_INFO);
	}
	return changes;
}

/*
 * One line for an error detail: path: change old -> new.
 */
char *
dmesh_change_text(const DmeshChange *c)
{
	char	   *old = c->old_value ? JsonbToCString(NULL, &c->old_value->root, 0) : NULL;
	char	   *new = c->new_value ? JsonbToCString(NULL, &c->new_value->root, 0) : NULL;

	if (old && new)
		return psprintf("%s: changed from %s to %s", c->path, old, new);
	if (new)
		return psprintf("%s: added %s", c->path, new);
	return psprintf("%s: removed %s", c->path, old);
}

/* The changes as rows of (path, change, old, new, severity). */
static void
put_changes(ReturnSetInfo *rsinfo, List *changes)
{
	ListCell   *lc;

	foreach(lc, changes)
	{
		DmeshChange *c = lfirst(lc);
		Datum		values[5];
		bool		nulls[5] = {false, false, c->old_value == NULL, c->new_value == NULL, false};

		values[0] = CStringGetTextDatum(c->path);
		values[1] = CStringGetTextDatum(c->change);
		values[2] = c->old_value ? JsonbPGetDatum(c->old_value) : (Datum) 0;
		values[3] = c->new_value ? JsonbPGetDatum(c->new_value) : (Datum) 0;
		values[4] = CStringGetTextDatum(dmesh_severity_name(c->severity));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

/*
 * dmesh.contract_diff(product, from_version, to_version)
 */
Datum
dmesh_contract_diff_sql(PG_FUNCTION_ARGS)
{
	char	   *ref = dmesh_text_arg(fcinfo, 0, "product");
	char	   *from_version = dmesh_text_arg(fcinfo, 1, "from_version");
	char	   *to_version = dmesh_text_arg(fcinfo, 2, "to_version");
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	DmeshSection section;
	DmeshProduct product;
	DmeshContract *from;
	DmeshContract *to;

	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
	dmesh_enter_privileged(&section);

	dmesh_require_product(ref, DMESH_NO_LOCK, &product);
	from = dmesh_load_contract(&product, from_version, -1);
	to = dmesh_load_contract(&product, to_version, -1);
	if (from == NULL || to == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("data product \"%s\" has no contract version %s",
						ref, from == NULL ? from_version : to_version)));

	put_changes(rsinfo, dmesh_contract_diff(from, to));

	dmesh_end_call(&section);
	return (Datum) 0;
}

/*
 * dmesh._contract_diff_document(product, contract): the changes from the
 * product's active contract to a candidate (ODCS YAML or JSON), which is
 * checked as set_contract checks it and stored nowhere.  A candidate that
 * leaves its schema to the source is held to the source's columns, which
 * only the product's managers may see (as derive_contract).
 */
Datum
dmesh_contract_diff_document(PG_FUNCTION_ARGS)
{
	char	   *ref = dmesh_text_arg(fcinfo, 0, "product");
	char	   *document = dmesh_text_arg(fcinfo, 1, "contract");
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			caller = GetUserId();
	DmeshContract *candidate = dmesh_contract_compile(dmesh_parse_document(document));
	DmeshSection section;
	DmeshProduct product;
	DmeshContract *active;

	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
	dmesh_enter_privileged(&section);

	dmesh_require_product(ref, DMESH_NO_LOCK, &product);
	active = dmesh_load_contract(&product, NULL, -1);
	if (dmesh_contract_leaves_schema(candidate))
	{
		dmesh_require_manager(caller, &product, "diff a contract that leaves its schema to the source of");
		candidate = dmesh_contract_hold(&product, candidate);
	}
	put_changes(rsinfo, dmesh_contract_diff(active, candidate));

	dmesh_end_call(&section);
	return (Datum) 0;
}
