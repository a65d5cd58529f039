/*-------------------------------------------------------------------------
 *
 * quality_items.c
 *		Rules on arrays and objects, tested on each value: minItems,
 *		maxItems and uniqueItems of an array; minProperties, maxProperties
 *		and the required properties of an object.
 *
 * Arrays are PostgreSQL arrays (the items of a multidimensional array are
 * its subarrays) and json or jsonb arrays; objects are json or jsonb
 * objects and composites, whose properties are their attributes that are
 * not NULL.  As in JSON Schema, a json value of another kind (an object
 * for maxItems, a number for maxProperties) is not what a rule is about
 * and does not break it; nulls in arrays are items, equal to each other.
 *
 * These tests run on the write path, once per row: small values are read
 * without copying them (plain_varlena), counting items or properties
 * allocates nothing for arrays, jsonb and composites, and uniqueItems
 * reuses a buffer of the rule from value to value.  uniqueItems is
 * O(n log n) in the items of a value: hashed, sorted, and only items of
 * equal hashes compared.  json (text) values are read as jsonb first.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/arrayaccess.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "dmesh.h"
#include "contract.h"
#include "quality.h"

/*
 * Most values stored in a table are small and have a 1-byte header, which
 * leaves their contents unaligned: such a value is copied with a 4-byte
 * header into the caller's aligned buffer, so that reading a small array,
 * jsonb or composite allocates nothing.  A larger, compressed or toasted
 * value is detoasted (a copy, in the memory of the row).
 */
typedef union VarBuf
{
	double		align;
	char		data[1024];
} VarBuf;

static struct varlena *
plain_varlena(Datum value, VarBuf *buf)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(value);

	if (!VARATT_IS_EXTENDED(v))
		return v;
	if (VARATT_IS_SHORT(v) && !VARATT_IS_EXTERNAL(v) &&
		VARSIZE_SHORT(v) - VARHDRSZ_SHORT + VARHDRSZ <= sizeof(buf->data))
	{
		Size		len = VARSIZE_SHORT(v) - VARHDRSZ_SHORT;

		memcpy(buf->data + VARHDRSZ, VARDATA_SHORT(v), len);
		SET_VARSIZE(buf->data, len + VARHDRSZ);
		return (struct varlena *) buf->data;
	}
	return pg_detoast_datum(v);
}

/*
 * The root of a json or jsonb value.  json is text: it is read as jsonb
 * (an allocation per value; jsonb columns need none).
 */
static JsonbContainer *
json_root(DmeshRuleColumn *col, Datum value, VarBuf *buf)
{
	Jsonb	   *jb;

	if (col->shape == DMESH_SHAPE_JSONB)
		jb = (Jsonb *) plain_varlena(value, buf);
	else
		jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
												CStringGetDatum(TextDatumGetCString(value))));
	return &jb->root;
}

/* The items of an array value, or -1 if the value is not an array. */
static int64
item_count(DmeshRuleColumn *col, Datum value)
{
	VarBuf		buf;

	if (col->shape == DMESH_SHAPE_ARRAY)
	{
		ArrayType  *a = (ArrayType *) plain_varlena(value, &buf);

		return ARR_NDIM(a) > 0 ? ARR_DIMS(a)[0] : 0;
	}
	else
	{
		JsonbContainer *root = json_root(col, value, &buf);

		if (!JsonContainerIsArray(root) || JsonContainerIsScalar(root))
			return -1;
		return JsonContainerSize(root);
	}
}

/* A composite value as a tuple. */
static void
composite_tuple(Datum value, VarBuf *buf, HeapTupleData *tuple)
{
	HeapTupleHeader td = (HeapTupleHeader) plain_varlena(value, buf);

	tuple->t_len = HeapTupleHeaderGetDatumLength(td);
	ItemPointerSetInvalid(&tuple->t_self);
	tuple->t_tableOid = InvalidOid;
	tuple->t_data = td;
}

/*
 * The properties of an object value, or -1 if the value is not an object.
 * A composite's properties are its attributes that are not NULL.
 */
static int64
property_count(DmeshRuleColumn *col, Datum value)
{
	VarBuf		buf;

	if (col->shape == DMESH_SHAPE_COMPOSITE)
	{
		HeapTupleData tuple;
		int64		n = 0;

		composite_tuple(value, &buf, &tuple);
		for (int i = 0; i < col->rowdesc->natts; i++)
			if (!TupleDescAttr(col->rowdesc, i)->attisdropped &&
				!heap_attisnull(&tuple, i + 1, col->rowdesc))
				n++;
		return n;
	}
	else
	{
		JsonbContainer *root = json_root(col, value, &buf);

		return JsonContainerIsObject(root) ? (int64) JsonContainerSize(root) : -1;
	}
}

/* Does an object value have every required property?  (Other values do.) */
static bool
has_required(DmeshRuleColumn *col, DmeshRule *r, Datum value)
{
	VarBuf		buf;

	if (col->shape == DMESH_SHAPE_COMPOSITE)
	{
		HeapTupleData tuple;

		composite_tuple(value, &buf, &tuple);
		for (int i = 0; i < r->nrequired; i++)
			if (r->required_att[i] == 0 ||
				heap_attisnull(&tuple, r->required_att[i], col->rowdesc))
				return false;
		return true;
	}
	else
	{
		JsonbContainer *root = json_root(col, value, &buf);
		JsonbValue	v;

		if (!JsonContainerIsObject(root))
			return true;
		for (int i = 0; i < r->nrequired; i++)
		{
			CHECK_FOR_INTERRUPTS();
			if (getKeyJsonValueFromContainer(root, r->required[i], r->required_len[i], &v) == NULL)
				return false;
		}
		return true;
	}
}

/* An item's hash and its position, sorted by hash to find equal items. */
typedef struct ItemHash
{
	uint64		hash;
	int			index;
} ItemHash;

static int
item_hash_cmp(const void *a, const void *b)
{
	const ItemHash *x = a;
	const ItemHash *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return (x->index > y->index) - (x->index < y->index);
}

/*
 * Room for the hashes of nitems items and the nelems elements of an array:
 * the rule's buffer, grown as needed and kept for the next value, unless it
 * is in use (an element type's hash function may write to the table, so
 * that this runs again inside itself): then a buffer of this value's own.
 * A buffer left marked in use by an error (in a (sub)transaction that has
 * since ended) is not in use.
 */
static DmeshScratch *
take_scratch(DmeshRuleSet *rs, DmeshRule *r, int nitems, int nelems, DmeshScratch *own)
{
	DmeshScratch *s = &r->scratch;
	MemoryContext cxt = rs->cxt;

	if (s->busy && s->lxid == MyProc->lxid && SubTransactionIsActive(s->subxid))
	{
		memset(own, 0, sizeof(DmeshScratch));
		s = own;
		cxt = CurrentMemoryContext;
	}
	if (nitems > s->nitems)
	{
		int			n = Max(nitems, Min(s->nitems * 2, MaxArraySize));

		if (s->items)
			pfree(s->items);
		s->items = MemoryContextAllocHuge(cxt, sizeof(ItemHash) * n);
		s->nitems = n;
	}
	if (nelems > s->nelems)
	{
		int			n = Max(nelems, Min(s->nelems * 2, MaxArraySize));

		if (s->values)
			pfree(s->values);
		if (s->nulls)
			pfree(s->nulls);
		s->values = MemoryContextAllocHuge(cxt, sizeof(Datum) * n);
		s->nulls = MemoryContextAllocHuge(cxt, sizeof(bool) * n);
		s->nelems = n;
	}
	s->busy = true;
	s->lxid = MyProc->lxid;
	s->subxid = GetCurrentSubTransactionId();
	return s;
}

/* Two json values equal as jsonb compares them (1 and 1.0 are equal). */
static bool
json_items_equal(JsonbValue *a, JsonbValue *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type)
	{
		case jbvNull:
			return true;
		case jbvBool:
			return a->val.boolean == b->val.boolean;
		case jbvString:
			return a->val.string.len == b->val.string.len &&
				memcmp(a->val.string.val, b->val.string.val, a->val.string.len) == 0;
		case jbvNumeric:
			return DatumGetInt32(DirectFunctionCall2(numeric_cmp,
													 NumericGetDatum(a->val.numeric),
													 NumericGetDatum(b->val.numeric))) == 0;
		case jbvBinary:
			return compareJsonbContainers(a->val.binary.data, b->val.binary.data) == 0;
		default:
			return false;
	}
}

/* A json value's hash: equal values (json_items_equal) hash alike. */
static uint64
json_item_hash(JsonbValue *v)
{
	JsonbIterator *it;
	JsonbValue	tok;
	JsonbIteratorToken r;
	uint64		hash = 0;

	if (v->type != jbvBinary)
	{
		JsonbHashScalarValueExtended(v, &hash, 0);
		return hash;
	}
	it = JsonbIteratorInit(v->val.binary.data);
	while ((r = JsonbIteratorNext(&it, &tok, false)) != WJB_DONE)
	{
		CHECK_FOR_INTERRUPTS();
		if (r == WJB_KEY || r == WJB_VALUE || r == WJB_ELEM)
			JsonbHashScalarValueExtended(&tok, &hash, 0);
		else
			hash = ((hash << 1) | (hash >> 63)) ^ (uint64) r;
	}
	return hash;
}

/* Two items (runs of "per" elements) of an array, equal element by element. */
static bool
array_items_equal(DmeshRule *r, DmeshScratch *s, int a, int b, int per)
{
	for (int k = 0; k < per; k++)
	{
		int			i = a * per + k;
		int			j = b * per + k;

		if (s->nulls[i] != s->nulls[j])
			return false;
		if (!s->nulls[i] &&
			!DatumGetBool(FunctionCall2Coll(r->item_eq, r->item_collation,
											s->values[i], s->values[j])))
			return false;
	}
	return true;
}

/*
 * Are the items of an array value unique (as JSON Schema's uniqueItems: no
 * two equal, nulls equal to each other)?  The items of a multidimensional
 * PostgreSQL array are its subarrays.  Items are hashed and sorted by hash;
 * only items of equal hashes are compared.  Values that are not arrays are
 * not what the rule is about.
 */
static bool
items_unique(DmeshRuleSet *rs, DmeshRule *r, Datum value)
{
	DmeshRuleColumn *col = &rs->columns[r->prop];
	VarBuf		buf;
	DmeshScratch own;
	DmeshScratch *s;
	ItemHash   *h;
	ArrayType  *a = NULL;
	JsonbContainer *root = NULL;
	int			nitems;
	int			nelems = 0;
	int			per = 1;
	bool		unique = true;

	if (col->shape == DMESH_SHAPE_ARRAY)
	{
		a = (ArrayType *) plain_varlena(value, &buf);
		if (ARR_NDIM(a) == 0)
			return true;
		nitems = ARR_DIMS(a)[0];
		nelems = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
		per = nitems > 0 ? nelems / nitems : 1;
	}
	else
	{
		root = json_root(col, value, &buf);
		if (!JsonContainerIsArray(root) || JsonContainerIsScalar(root))
			return true;
		nitems = JsonContainerSize(root);
	}
	if (nitems < 2)
		return true;

	s = take_scratch(rs, r, nitems, nelems, &own);
	h = s->items;
	if (a != NULL)
	{
		array_iter	it;

		array_iter_setup(&it, (AnyArrayType *) a);
		for (int i = 0; i < nelems; i++)
		{
			CHECK_FOR_INTERRUPTS();
			s->values[i] = array_iter_next(&it, &s->nulls[i], i, col->elem_len,
										   col->elem_byval, col->elem_align);
		}
		for (int i = 0; i < nitems; i++)
		{
			uint64		hash = 0;

			CHECK_FOR_INTERRUPTS();
			for (int k = i * per; k < (i + 1) * per; k++)
			{
				uint64		eh = s->nulls[k] ? UINT64CONST(0x9E3779B97F4A7C15) :
				DatumGetUInt64(FunctionCall2Coll(r->item_hash, r->item_collation,
												 s->values[k], Int64GetDatum(0)));

				hash = hash_combine64(hash, eh);
			}
			h[i].hash = hash;
			h[i].index = i;
		}
	}
	else
	{
		for (int i = 0; i < nitems; i++)
		{
			CHECK_FOR_INTERRUPTS();
			h[i].hash = json_item_hash(getIthJsonbValueFromContainer(root, i));
			h[i].index = i;
		}
	}
	qsort(h, nitems, sizeof(ItemHash), item_hash_cmp);

	/* equal hashes: compare the items (a run is almost always two at most) */
	for (int i = 0; i < nitems - 1 && unique; i++)
	{
		CHECK_FOR_INTERRUPTS();
		for (int j = i + 1; j < nitems && h[j].hash == h[i].hash && unique; j++)
		{
			CHECK_FOR_INTERRUPTS();
			if (a != NULL)
				unique = !array_items_equal(r, s, h[i].index, h[j].index, per);
			else
				unique = !json_items_equal(getIthJsonbValueFromContainer(root, h[i].index),
										   getIthJsonbValueFromContainer(root, h[j].index));
		}
	}
	s->busy = false;
	return unique;
}

/*
 * Does a value (not NULL) break an item or property rule?
 */
bool
dmesh_shape_offends(DmeshRuleSet *rs, DmeshRule *r, Datum value)
{
	DmeshRuleColumn *col = &rs->columns[r->prop];
	int64		n;

	switch (r->test)
	{
		case DMESH_TEST_ITEMS:
		case DMESH_TEST_PROPERTIES:
			n = r->test == DMESH_TEST_ITEMS ? item_count(col, value) :
				property_count(col, value);
			return n >= 0 && ((r->min_count >= 0 && n < r->min_count) ||
							  (r->max_count >= 0 && n > r->max_count));
		case DMESH_TEST_UNIQUE_ITEMS:
			return !items_unique(rs, r, value);
		case DMESH_TEST_REQUIRED:
			return !has_required(col, r, value);
		default:
			elog(ERROR, "rule \"%s\" is not a rule on arrays or objects", r->name);
	}
	return false;				/* keep compiler quiet */
}
