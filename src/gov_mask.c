/*-------------------------------------------------------------------------
 *
 * gov_mask.c
 *		The masks of published views: dmesh._mask (clear value or mask,
 *		decided per execution, see gov_agreement.c) and dmesh._mask_value (the
 *		mask, which dmesh._mask becomes at plan time when the reader is
 *		known to see it masked).
 *
 * The hash mask is a keyed hash (SipHash-2-4, 64 bits) under the mesh's
 * key (dmesh.mesh_secret), so equal values give equal masks within a
 * mesh and joins on masked columns still work, while a consumer without
 * the key cannot compute the mask of a guess.  The key is read once per
 * backend, directly from the table (no SQL, no privilege switch), which
 * also works in parallel workers.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "mb/pg_wchar.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "datatype/timestamp.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"
#include "port/pg_bswap.h"

#include "dmesh.h"
#include "gov.h"

PG_FUNCTION_INFO_V1(dmesh_mask);
PG_FUNCTION_INFO_V1(dmesh_mask_value);

#define MASK_HASH		DMESH_MASK_HASH
#define MASK_REDACT		DMESH_MASK_REDACT
#define MASK_PARTIAL	DMESH_MASK_PARTIAL
#define MASK_NULL		DMESH_MASK_NULL

/* ----------------------------------------------------------------
 * The key
 * ----------------------------------------------------------------
 */

/*
 * The key as SipHash's two 64-bit words, for tweak 0 and tweak 1 (a second,
 * independent hash for wide types: the key's first byte xor 1).
 */
static bool key_loaded = false;
static uint64 mesh_k0[2];
static uint64 mesh_k1[2];

/* Little-endian 64-bit word at p, which need not be aligned. */
static inline uint64
read_le64(const uint8 *p)
{
	uint64		v;

	memcpy(&v, p, sizeof(v));
#ifdef WORDS_BIGENDIAN
	v = pg_bswap64(v);
#endif
	return v;
}

static void
load_key(void)
{
	Oid			nsp = get_namespace_oid("dmesh", false);
	Oid			relid = get_relname_relid("mesh_secret", nsp);
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tuple;
	bool		found = false;
	uint8		key[16];

	if (!OidIsValid(relid))
		elog(ERROR, "dmesh.mesh_secret does not exist");
	rel = table_open(relid, AccessShareLock);
	scan = table_beginscan(rel, GetActiveSnapshot(), 0, NULL);
	while ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull;
		Datum		d = heap_getattr(tuple, 2, RelationGetDescr(rel), &isnull);
		bytea	   *k;

		if (isnull)
			continue;
		k = DatumGetByteaPP(d);
		if (VARSIZE_ANY_EXHDR(k) != sizeof(key))
			continue;
		memcpy(key, VARDATA_ANY(k), sizeof(key));
		found = true;
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the mesh has no key for hash masks"),
				 errhint("dmesh makes it with the first masking policy (dmesh.create_policy); dmesh.mesh_secret then holds one row of 16 random bytes.")));
	for (int tweak = 0; tweak < 2; tweak++)
	{
		mesh_k0[tweak] = read_le64(key) ^ (uint64) tweak;
		mesh_k1[tweak] = read_le64(key + 8);
	}
	key_loaded = true;
}

/* ----------------------------------------------------------------
 * SipHash-2-4 (Aumasson and Bernstein), 64-bit output
 * ----------------------------------------------------------------
 */

#define ROTL(x, b) (uint64) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND \
	do { \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2; \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0; \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
	} while (0)

static uint64
siphash24(uint64 k0, uint64 k1, const uint8 *data, size_t len)
{
	uint64		v0 = k0 ^ UINT64CONST(0x736f6d6570736575);
	uint64		v1 = k1 ^ UINT64CONST(0x646f72616e646f6d);
	uint64		v2 = k0 ^ UINT64CONST(0x6c7967656e657261);
	uint64		v3 = k1 ^ UINT64CONST(0x7465646279746573);
	const uint8 *end = data + len - (len % 8);
	uint64		b = ((uint64) len) << 56;

	for (; data != end; data += 8)
	{
		uint64		m = read_le64(data);

		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	switch (len % 8)
	{
		case 7:
			b |= ((uint64) data[6]) << 48;
			/* FALLTHROUGH */
		case 6:
			b |= ((uint64) data[5]) << 40;
			/* FALLTHROUGH */
		case 5:
			b |= ((uint64) data[4]) << 32;
			/* FALLTHROUGH */
		case 4:
			b |= ((uint64) data[3]) << 24;
			/* FALLTHROUGH */
		case 3:
			b |= ((uint64) data[2]) << 16;
			/* FALLTHROUGH */
		case 2:
			b |= ((uint64) data[1]) << 8;
			/* FALLTHROUGH */
		case 1:
			b |= (uint64) data[0];
	}
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static inline uint64
keyed_hash(const void *data, size_t len, int tweak)
{
	if (unlikely(!key_loaded))
		load_key();
	return siphash24(mesh_k0[tweak], mesh_k1[tweak], data, len);
}

/* ----------------------------------------------------------------
 * Masks
 * ----------------------------------------------------------------
 */

static bool
is_text_type(Oid base)
{
	return base == TEXTOID || base == VARCHAROID || base == BPCHAROID;
}

static const char hexdigits[] = "0123456789abcdef";

/* No byte with the high bit set, eight at a time. */
static inline bool
is_ascii(const char *s, int len)
{
	uint64		acc = 0;
	int			i = 0;

	for (; i + 8 <= len; i += 8)
	{
		uint64		w;

		memcpy(&w, s + i, sizeof(w));
		acc |= w;
	}
	for (; i < len; i++)
		acc |= (unsigned char) s[i];
	return (acc & UINT64CONST(0x8080808080808080)) == 0;
}

static Datum
text_mask(text *t, Oid base, int mask, int keep, bool *isnull)
{
	const char *s = VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);

	if (base == BPCHAROID)
		while (len > 0 && s[len - 1] == ' ')
			len--;
	switch (mask)
	{
		case MASK_HASH:
			{
				uint64		h = keyed_hash(s, len, 0);
				text	   *out = palloc(VARHDRSZ + 16);
				char	   *p = VARDATA(out);

				SET_VARSIZE(out, VARHDRSZ + 16);
				/* 16 hex digits, most significant first, two per byte */
				for (int i = 14; i >= 0; i -= 2, h >>= 8)
				{
					p[i] = hexdigits[(h >> 4) & 0xF];
					p[i + 1] = hexdigits[h & 0xF];
				}
				return PointerGetDatum(out);
			}
		case MASK_REDACT:
			return PointerGetDatum(cstring_to_text("***"));
		case MASK_PARTIAL:
			{
				/* Stars for every character but the last "keep" ones. */
				bool		ascii = true;
				int			nchars;
				int			hide;
				int			skip = 0;
				text	   *out;

				ascii = is_ascii(s, len);
				nchars = ascii ? len : pg_mbstrlen_with_len(s, len);
				hide = Max(nchars - Max(keep, 0), 0);
				if (ascii)
					skip = hide;
				else
					for (int i = 0; i < hide; i++)
						skip += pg_mblen(s + skip);
				out = palloc(VARHDRSZ + hide + (len - skip));
				SET_VARSIZE(out, VARHDRSZ + hide + (len - skip));
				memset(VARDATA(out), '*', hide);
				memcpy(VARDATA(out) + hide, s + skip, len - skip);
				return PointerGetDatum(out);
			}
	}
	/* not a mask: nothing rather than the value */
	*isnull = true;
	return (Datum) 0;
}

/*
 * The base type of a masked value: the type itself for the types a
 * contract names (no catalog lookup per execution), else through domains.
 */
static Oid
value_base_type(FunctionCallInfo fcinfo)
{
	Oid			type = get_fn_expr_argtype(fcinfo->flinfo, 0);

	switch (type)
	{
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case NUMERICOID:
		case FLOAT4OID:
		case FLOAT8OID:
		case UUIDOID:
		case BYTEAOID:
			return type;
		default:
			return getBaseType(type);
	}
}

/*
 * The mask of a value of base type "base" (not NULL): NULL when the type
 * has no such mask, rather than the value.
 */
static Datum
mask_datum(Datum value, Oid base, int mask, int keep, bool *isnull)
{
	*isnull = false;
	if (mask == MASK_NULL)
	{
		*isnull = true;
		return (Datum) 0;
	}
	if (is_text_type(base))
		return text_mask(DatumGetTextPP(value), base, mask, keep, isnull);

	switch (base)
	{
		case INT2OID:
			if (mask == MASK_HASH)
			{
				int64		v = DatumGetInt16(value);

				return Int16GetDatum((int16) keyed_hash(&v, sizeof(v), 0));
			}
			if (mask == MASK_REDACT)
				return Int16GetDatum(0);
			break;
		case INT4OID:
			if (mask == MASK_HASH)
			{
				int64		v = DatumGetInt32(value);

				return Int32GetDatum((int32) keyed_hash(&v, sizeof(v), 0));
			}
			if (mask == MASK_REDACT)
				return Int32GetDatum(0);
			break;
		case INT8OID:
			if (mask == MASK_HASH)
			{
				int64		v = DatumGetInt64(value);

				return Int64GetDatum((int64) keyed_hash(&v, sizeof(v), 0));
			}
			if (mask == MASK_REDACT)
				return Int64GetDatum(0);
			break;
		case NUMERICOID:
			if (mask == MASK_HASH)
			{
				/* the normalized text, so that 1.50 and 1.5 mask alike */
				char	   *s = numeric_normalize(DatumGetNumeric(value));

				return NumericGetDatum(int64_to_numeric((int64) keyed_hash(s, strlen(s), 0)));
			}
			if (mask == MASK_REDACT)
				return NumericGetDatum(int64_to_numeric(0));
			break;
		case FLOAT4OID:
		case FLOAT8OID:
			if (mask == MASK_REDACT)
				return base == FLOAT4OID ? Float4GetDatum(0) : Float8GetDatum(0);
			break;
		case UUIDOID:
			if (mask == MASK_HASH)
			{
				pg_uuid_t  *in = DatumGetUUIDP(value);
				pg_uuid_t  *out = palloc(sizeof(pg_uuid_t));
				uint64		h1 = keyed_hash(in->data, UUID_LEN, 0);
				uint64		h2 = keyed_hash(in->data, UUID_LEN, 1);

				memcpy(out->data, &h1, 8);
				memcpy(out->data + 8, &h2, 8);
				return UUIDPGetDatum(out);
			}
			break;
		case BYTEAOID:
			if (mask == MASK_HASH)
			{
				bytea	   *in = DatumGetByteaPP(value);
				uint64		h = keyed_hash(VARDATA_ANY(in), VARSIZE_ANY_EXHDR(in), 0);
				bytea	   *out = palloc(VARHDRSZ + sizeof(h));

				SET_VARSIZE(out, VARHDRSZ + sizeof(h));
				memcpy(VARDATA(out), &h, sizeof(h));
				return PointerGetDatum(out);
			}
			break;
		default:
			break;
	}
	/* No such mask for this type: nothing rather than the value. */
	*isnull = true;
	return (Datum) 0;
}

/*
 * dmesh._mask(value, mask, keep, product, managers, consumers, expiries,
 *			   unmasked_by): the value for a role that sees the column in
 * clear, else its mask.  Whether the role does, and the value's base type,
 * are worked out at the first row of an execution.
 */
typedef struct MaskCache
{
	Oid			base;
	bool		clear;
} MaskCache;

Datum
dmesh_mask(PG_FUNCTION_ARGS)
{
	MaskCache  *cache = fcinfo->flinfo->fn_extra;
	Datum		result;
	bool		isnull;

	if (cache == NULL)
	{
		cache = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(MaskCache));
		cache->base = value_base_type(fcinfo);
		cache->clear = dmesh_sees_clear(fcinfo, 3, 7);
		fcinfo->flinfo->fn_extra = cache;
	}
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	if (cache->clear)
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	result = mask_datum(PG_GETARG_DATUM(0), cache->base,
						PG_ARGISNULL(1) ? MASK_NULL : PG_GETARG_INT32(1),
						PG_ARGISNULL(2) ? 0 : PG_GETARG_INT32(2), &isnull);
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}

/*
 * dmesh._mask_value(value, mask, keep): the mask of the value, for a reader
 * known at plan time to see the column masked.
 */
Datum
dmesh_mask_value(PG_FUNCTION_ARGS)
{
	Datum		result;
	bool		isnull;

	if (fcinfo->flinfo->fn_extra == NULL)
	{
		Oid		   *base = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(Oid));

		*base = value_base_type(fcinfo);
		fcinfo->flinfo->fn_extra = base;
	}
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	result = mask_datum(PG_GETARG_DATUM(0), *(Oid *) fcinfo->flinfo->fn_extra,
						PG_ARGISNULL(1) ? MASK_NULL : PG_GETARG_INT32(1),
						PG_ARGISNULL(2) ? 0 : PG_GETARG_INT32(2), &isnull);
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}
