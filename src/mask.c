/*-------------------------------------------------------------------------
 *
 * mask.c
 *		What published views call per query and per row to govern reads:
 *		which agreement applies to the current role, whether a column is
 *		shown in clear, and the masks themselves.
 *
 * A published view carries its agreements as constants (see
 * governance.c): the roles that manage the product, the consumer role and
 * expiry of each agreement, and for each masked column the agreements that
 * see it in clear.  dmesh._agreement and dmesh._mask work out who reads at
 * the first row of an execution and keep the answer in fn_extra, so a row
 * costs one cheap call and, for a masked column, one call of dmesh._mask.  (Init plans would compute them once too, but a query
 * with init plans below a security-barrier view is never run in parallel.)  None of them reads a catalog table: expiry is checked
 * against the start of the statement, with nothing to run.
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

#include "dmesh.h"

PG_FUNCTION_INFO_V1(dmesh_agreement);
PG_FUNCTION_INFO_V1(dmesh_mask);

#define MASK_HASH		1
#define MASK_REDACT		2
#define MASK_PARTIAL	3
#define MASK_NULL		4

/* ----------------------------------------------------------------
 * Which agreement applies
 * ----------------------------------------------------------------
 */

/*
 * The elements of the view's constant arrays, read in place (no copy) when
 * they have no NULL, which is how dmesh writes them.
 */
static const Oid *
oid_elems(ArrayType *arr, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	Oid		   *out;

	*n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	if (!ARR_HASNULL(arr))
		return (const Oid *) ARR_DATA_PTR(arr);
	deconstruct_array(arr, OIDOID, sizeof(Oid), true, TYPALIGN_INT, &elems, &nulls, n);
	out = palloc(sizeof(Oid) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
		out[i] = nulls[i] ? InvalidOid : DatumGetObjectId(elems[i]);
	return out;
}

static const int64 *
expiry_elems(ArrayType *arr, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	int64	   *out;

	*n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	if (!ARR_HASNULL(arr))
		return (const int64 *) ARR_DATA_PTR(arr);
	deconstruct_array(arr, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, n);
	out = palloc(sizeof(int64) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
		out[i] = nulls[i] ? DT_NOEND : DatumGetInt64(elems[i]);
	return out;
}

/* "domain.product" of a product id, for an error message. */
static char *
product_name(int64 product_id)
{
	DmeshSection section;
	DmeshArgs	args;
	text	   *name = NULL;

	SPI_connect();
	dmesh_enter_privileged(&section);
	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product_id);
	if (dmesh_spi_exec("SELECT d.name || '.' || p.name FROM dmesh.data_product p"
					   "  JOIN dmesh.domain d USING (domain_id) WHERE p.product_id = $1",
					   &args, SPI_OK_SELECT) > 0)
		name = dmesh_spi_return(cstring_to_text(dmesh_spi_text(0, 1)));
	dmesh_leave(&section);
	SPI_finish();
	return name ? text_to_cstring(name) : psprintf("%lld", (long long) product_id);
}

/*
 * The product and agreement arguments start at argument "first".
 * 0 when the current role manages the product (it sees everything, in
 * clear), else the 1-based position of the first agreement of a role whose
 * privileges the current role has and that has not expired, else -1.  Only
 * expired agreements: an error that says so.
 */
static int
current_agreement(FunctionCallInfo fcinfo, int first)
{
	Oid			user = GetUserId();
	int			nmanagers;
	int			nconsumers;
	int			nexpires;
	const Oid  *managers;
	const Oid  *consumers;
	const int64 *expires;
	TimestampTz now = GetCurrentStatementStartTimestamp();
	TimestampTz expired_at = 0;
	int			expired = 0;

	if (PG_ARGISNULL(first + 1) || PG_ARGISNULL(first + 2) || PG_ARGISNULL(first + 3))
		return -1;
	managers = oid_elems(PG_GETARG_ARRAYTYPE_P(first + 1), &nmanagers);
	for (int i = 0; i < nmanagers; i++)
		if (OidIsValid(managers[i]) && (i == 0 || managers[i] != managers[i - 1]) &&
			has_privs_of_role(user, managers[i]))
			return 0;
	consumers = oid_elems(PG_GETARG_ARRAYTYPE_P(first + 2), &nconsumers);
	/* expiries as TimestampTz values in an int8 array (DT_NOEND: never) */
	expires = expiry_elems(PG_GETARG_ARRAYTYPE_P(first + 3), &nexpires);
	if (nexpires != nconsumers)
		elog(ERROR, "agreement arrays of different lengths");
	for (int i = 0; i < nconsumers; i++)
	{
		if (!OidIsValid(consumers[i]) || !has_privs_of_role(user, consumers[i]))
			continue;
		if (expires[i] > now)
			return i + 1;
		expired = i + 1;
		expired_at = expires[i];
	}
	if (expired > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("access agreement of role \"%s\" on data product \"%s\" has expired",
						dmesh_role_name(consumers[expired - 1]),
						product_name(PG_GETARG_INT64(first))),
				 errdetail("It expired at %s.", timestamptz_to_str(expired_at)),
				 errhint("Ask the product's owner to renew it, or request access again with dmesh.request_access.")));
	return -1;
}

/*
 * The answer is the same for every row of one execution (same role, same
 * statement), so it is computed at the first row and kept in fn_extra,
 * which the executor makes anew for each execution.  Calling the function
 * per row rather than once in an init plan keeps parallel plans possible.
 */
Datum
dmesh_agreement(PG_FUNCTION_ARGS)
{
	if (fcinfo->flinfo->fn_extra == NULL)
	{
		int32	   *cached = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(int32));

		*cached = current_agreement(fcinfo, 0);
		fcinfo->flinfo->fn_extra = cached;
	}
	PG_RETURN_INT32(*(int32 *) fcinfo->flinfo->fn_extra);
}

/* Does the current role see this masked column in clear? */
static bool
sees_clear(FunctionCallInfo fcinfo, int first, int unmasked_by)
{
	int			agreement = current_agreement(fcinfo, first);
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (agreement == 0)
		return true;
	if (agreement < 0 || PG_ARGISNULL(unmasked_by))
		return false;
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(unmasked_by), INT4OID, sizeof(int32), true,
					  TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
		if (!nulls[i] && DatumGetInt32(elems[i]) == agreement)
			return true;
	return false;
}

/* ----------------------------------------------------------------
 * The key
 * ----------------------------------------------------------------
 */

static bool key_loaded = false;
static uint8 mesh_key[16];

static void
load_key(void)
{
	Oid			nsp = get_namespace_oid("dmesh", false);
	Oid			relid = get_relname_relid("mesh_secret", nsp);
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tuple;
	bool		found = false;

	if (!OidIsValid(relid))
		elog(ERROR, "dmesh.mesh_secret does not exist");
	rel = table_open(relid, AccessShareLock);
	scan = table_beginscan(rel, GetActiveSnapshot(), 0, NULL);
	while ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull;
		Datum		d = heap_getattr(tuple, 2, RelationGetDescr(rel), &isnull);
		bytea	   *key;

		if (isnull)
			continue;
		key = DatumGetByteaPP(d);
		if (VARSIZE_ANY_EXHDR(key) != sizeof(mesh_key))
			continue;
		memcpy(mesh_key, VARDATA_ANY(key), sizeof(mesh_key));
		found = true;
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the mesh has no key for hash masks"),
				 errhint("dmesh.mesh_secret must hold one row of 16 random bytes.")));
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
read_le64(const uint8 *p)
{
	uint64		v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint64
siphash24(const uint8 *key, const uint8 *data, size_t len)
{
	uint64		k0 = read_le64(key);
	uint64		k1 = read_le64(key + 8);
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
	for (int i = (int) (len % 8) - 1; i >= 0; i--)
		b |= ((uint64) data[i]) << (8 * i);
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

static uint64
keyed_hash(const void *data, size_t len, uint8 tweak)
{
	uint8		key[16];

	if (!key_loaded)
		load_key();
	memcpy(key, mesh_key, sizeof(key));
	key[0] ^= tweak;			/* a second, independent hash for wide types */
	return siphash24(key, data, len);
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

static Datum
text_mask(text *t, Oid base, int mask, int keep)
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
				for (int i = 15; i >= 0; i--, h >>= 4)
					p[i] = hexdigits[h & 0xF];
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

				for (int i = 0; i < len && ascii; i++)
					ascii = !IS_HIGHBIT_SET(s[i]);
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
	Oid			base;
	int			mask;
	int			keep;
	Datum		value;

	if (cache == NULL)
	{
		cache = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(MaskCache));
		cache->base = getBaseType(get_fn_expr_argtype(fcinfo->flinfo, 0));
		cache->clear = sees_clear(fcinfo, 3, 7);
		fcinfo->flinfo->fn_extra = cache;
	}
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	if (cache->clear)
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	mask = PG_ARGISNULL(1) ? MASK_NULL : PG_GETARG_INT32(1);
	keep = PG_ARGISNULL(2) ? 0 : PG_GETARG_INT32(2);
	if (mask == MASK_NULL)
		PG_RETURN_NULL();
	value = PG_GETARG_DATUM(0);
	base = cache->base;

	if (is_text_type(base))
		PG_RETURN_DATUM(text_mask(DatumGetTextPP(value), base, mask, keep));

	switch (base)
	{
		case INT2OID:
			if (mask == MASK_HASH)
			{
				int64		v = DatumGetInt16(value);

				PG_RETURN_INT16((int16) keyed_hash(&v, sizeof(v), 0));
			}
			if (mask == MASK_REDACT)
				PG_RETURN_INT16(0);
			break;
		case INT4OID:
			if (mask == MASK_HASH)
			{
				int64		v = DatumGetInt32(value);

				PG_RETURN_INT32((int32) keyed_hash(&v, sizeof(v), 0));
			}
			if (mask == MASK_REDACT)
				PG_RETURN_INT32(0);
			break;
		case INT8OID:
			if (mask == MASK_HASH)
			{
				int64		v = DatumGetInt64(value);

				PG_RETURN_INT64((int64) keyed_hash(&v, sizeof(v), 0));
			}
			if (mask == MASK_REDACT)
				PG_RETURN_INT64(0);
			break;
		case NUMERICOID:
			if (mask == MASK_HASH)
			{
				/* the normalized text, so that 1.50 and 1.5 mask alike */
				char	   *s = numeric_normalize(DatumGetNumeric(value));

				PG_RETURN_NUMERIC(int64_to_numeric((int64) keyed_hash(s, strlen(s), 0)));
			}
			if (mask == MASK_REDACT)
				PG_RETURN_NUMERIC(int64_to_numeric(0));
			break;
		case FLOAT4OID:
		case FLOAT8OID:
			if (mask == MASK_REDACT)
				PG_RETURN_DATUM(base == FLOAT4OID ? Float4GetDatum(0) : Float8GetDatum(0));
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
				PG_RETURN_UUID_P(out);
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
				PG_RETURN_BYTEA_P(out);
			}
			break;
		default:
			break;
	}
	/* No such mask for this type: nothing rather than the value. */
	PG_RETURN_NULL();
}
