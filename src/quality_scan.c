/*-------------------------------------------------------------------------
 *
 * quality_scan.c
 *		The single-pass quality scan: an aggregate that tests every row of a
 *		product against every rule of its contract at once.
 *
 *		dmesh._quality_scan(contract jsonb, columns int4[], VARIADIC "any")
 *
 * "columns" lists the properties (0-based, ascending) whose columns the
 * rules test (dmesh_scan_columns); the variadic arguments are those
 * columns, in that order.  A function takes at most FUNC_MAX_ARGS
 * arguments, so when more columns are tested they come as one row,
 * ROW(a, b, ...), which costs a tuple per row and is used only then.
 * The result is a bigint array: the number of rows, then one count per
 * rule (rows that offend a row-level rule; for duplicate rules, an upper
 * bound of the duplicates, see below; 0 for rules without a row test).
 *
 * The aggregate runs in parallel: each process compiles the rules from the
 * contract argument once, counts its share of the rows, and the leader
 * adds the counts up.  No catalog access is needed, so parallel workers
 * can run it.
 *
 * Duplicates are found through 64-bit hashes of the key values.  Equal
 * values have equal hashes, so when no two hashes are equal there is no
 * duplicate, exactly.  When some are equal the count is an upper bound and
 * the caller counts the real duplicates with a query (quality_check.c); that only
 * happens when the data has duplicates or, very rarely, a hash collision.
 * Each process sorts its hashes (radix sort) when it hands them to the
 * leader, which merges the sorted runs once, at the end.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "dmesh.h"
#include "contract.h"
#include "quality.h"

typedef struct HashRun
{
	int64		n;
	int64		cap;
	uint64	   *h;
	bool		sorted;
} HashRun;

/* The hashes of one duplicate rule: runs from each process. */
typedef struct HashRuns
{
	int			nruns;
	int			maxruns;
	HashRun    *runs;
} HashRuns;

typedef struct QualityScanState
{
	int			nrules;
	int64		rows;
	int64	   *counts;
	HashRuns   *hashes;			/* one per rule; used by duplicate rules */
} QualityScanState;

/* Compiled rules, per call site (fn_extra). */
typedef struct QualityScanPlan
{
	MemoryContext cxt;			/* holds all of the plan */
	Jsonb	   *doc;			/* a copy of the contract compiled */
	ArrayType  *columns;		/* ... and of the column list */
	DmeshRuleSet *rs;
	int		   *row_rules;		/* indexes of rules with a row test */
	int			nrow_rules;
	int		   *dup_rules;
	int			ndup_rules;
	int		   *argno;			/* per property: its argument, or -1 */
	TupleDesc	rowdesc;		/* the columns come as one row: its shape */
	Datum	   *rowvalues;		/* ... and the current row's values */
	bool	   *rownulls;
} QualityScanPlan;

/*
 * The properties whose columns the scan needs, ascending: those of rules
 * with a row test, the keys of duplicate rules, and any other column a
 * rule looked at when it was compiled (a uuid format on a uuid column
 * needs no test but its column must be there).  Returns how many; "props"
 * has room for rs->contract->nprops.
 */
int
dmesh_scan_columns(DmeshRuleSet *rs, int *props)
{
	int			nprops = rs->contract->nprops;
	bool	   *used = palloc(sizeof(bool) * Max(nprops, 1));
	int			n = 0;

	memcpy(used, rs->column_needed, sizeof(bool) * nprops);

	for (int i = 0; i < rs->nrules; i++)
	{
		DmeshRule  *r = &rs->rules[i];

		if (r->test == DMESH_TEST_DUPLICATE)
		{
			for (int k = 0; k < r->nkeys; k++)
				used[r->keys[k]] = true;
		}
		else if (r->test != DMESH_TEST_NONE && r->prop >= 0)
			used[r->prop] = true;
	}
	for (int i = 0; i < nprops; i++)
		if (used[i])
			props[n++] = i;
	pfree(used);
	return n;
}

static QualityScanState *
new_state(MemoryContext cxt, int nrules)
{
	QualityScanState *st = MemoryContextAllocZero(cxt, sizeof(QualityScanState));

	st->nrules = nrules;
	st->counts = MemoryContextAllocZero(cxt, sizeof(int64) * Max(nrules, 1));
	st->hashes = MemoryContextAllocZero(cxt, sizeof(HashRuns) * Max(nrules, 1));
	return st;
}

static HashRun *
add_run(HashRuns *set, MemoryContext cxt)
{
	if (set->nruns == set->maxruns)
	{
		int			max = Max(set->maxruns * 2, 4);

		if (set->runs == NULL)
			set->runs = MemoryContextAllocZero(cxt, sizeof(HashRun) * max);
		else
		{
			set->runs = repalloc(set->runs, sizeof(HashRun) * max);
			memset(set->runs + set->maxruns, 0, sizeof(HashRun) * (max - set->maxruns));
		}
		set->maxruns = max;
	}
	set->runs[set->nruns].sorted = true;
	return &set->runs[set->nruns++];
}

static void
run_append(HashRun *run, uint64 h, MemoryContext cxt)
{
	if (run->n == run->cap)
	{
		int64		cap = Max(run->cap * 2, 8192);

		if (run->h == NULL)
			run->h = MemoryContextAllocHuge(cxt, sizeof(uint64) * cap);
		else
			run->h = repalloc_huge(run->h, sizeof(uint64) * cap);
		run->cap = cap;
	}
	if (run->n > 0 && h < run->h[run->n - 1])
		run->sorted = false;
	run->h[run->n++] = h;
}

/*
 * LSD radix sort, a byte at a time: eight passes over the data, each
 * writing to 256 places, which the caches handle well.  The histograms of
 * all bytes come from one first pass.
 */
static void
radix_sort(uint64 *a, int64 n)
{
	int64		(*count)[256];
	uint64	   *tmp;
	uint64	   *from = a;
	uint64	   *to;

	if (n < 2)
		return;
	tmp = palloc_extended(sizeof(uint64) * n, MCXT_ALLOC_HUGE);
	count = palloc0(sizeof(int64) * 8 * 256);
	for (int64 i = 0; i < n; i++)
	{
		uint64		v = a[i];

		for (int d = 0; d < 8; d++)
			count[d][(v >> (8 * d)) & 0xFF]++;
	}
	to = tmp;
	for (int d = 0; d < 8; d++)
	{
		int64		sum = 0;
		uint64	   *swap;

		for (int b = 0; b < 256; b++)
		{
			int64		c = count[d][b];

			count[d][b] = sum;
			sum += c;
		}
		for (int64 i = 0; i < n; i++)
			to[count[d][(from[i] >> (8 * d)) & 0xFF]++] = from[i];
		swap = from;
		from = to;
		to = swap;
	}
	/* an even number of passes ends in "a" */
	pfree(tmp);
	pfree(count);
}

static void
run_sort(HashRun *run)
{
	if (!run->sorted)
		radix_sort(run->h, run->n);
	run->sorted = true;
}

/*
 * Hashes that equal another one, over all runs: a k-way merge of the
 * sorted runs (k is the number of processes, small).
 */
static int64
equal_hashes(HashRuns *set)
{
	int64	   *pos;
	int64		same = 0;
	bool		have_last = false;
	uint64		last = 0;

	if (set->nruns == 0)
		return 0;
	pos = palloc0(sizeof(int64) * set->nruns);
	for (int i = 0; i < set->nruns; i++)
		run_sort(&set->runs[i]);
	for (;;)
	{
		int			best = -1;

		for (int i = 0; i < set->nruns; i++)
			if (pos[i] < set->runs[i].n &&
				(best < 0 || set->runs[i].h[pos[i]] < set->runs[best].h[pos[best]]))
				best = i;
		if (best < 0)
			break;
		if (have_last && set->runs[best].h[pos[best]] == last)
			same++;
		last = set->runs[best].h[pos[best]++];
		have_last = true;
	}
	pfree(pos);
	return same;
}

/*
 * The "columns" argument: property numbers, ascending, each in range.
 */
static int *
column_list(FunctionCallInfo fcinfo, int nprops, int *n)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int		   *out;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the quality scan needs the list of its columns")));
	arr = PG_GETARG_ARRAYTYPE_P(2);
	if (ARR_ELEMTYPE(arr) != INT4OID || ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the quality scan's columns must be a one-dimensional int4 array")));
	deconstruct_array(arr, INT4OID, 4, true, TYPALIGN_INT, &elems, &nulls, n);
	out = palloc(sizeof(int) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("the quality scan's columns must not contain NULL")));
		out[i] = DatumGetInt32(elems[i]);
		if (out[i] < 0 || out[i] >= nprops || (i > 0 && out[i] <= out[i - 1]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the quality scan's columns must be property numbers from 0 to %d, ascending",
							nprops - 1)));
	}
	return out;
}

static void
require_column(QualityScanPlan *plan, int prop)
{
	if (prop < 0 || plan->argno[prop] < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the quality scan needs the column of property %d", prop)));
}

/*
 * The compiled rules of the contract argument, kept in fn_extra.  The
 * contract is the same for every row of a group; it is compared with the
 * compiled one at the first row of each group ("first"), and compiled
 * again if it differs (a LATERAL subquery may pass another one each time).
 */
static QualityScanPlan *
get_plan(FunctionCallInfo fcinfo, bool first)
{
	QualityScanPlan *plan = fcinfo->flinfo->fn_extra;
	MemoryContext old;
	Jsonb	   *doc;
	DmeshContract *contract;
	Oid		   *types;
	int		   *columns;
	int			ncolumns;
	int			nargs = PG_NARGS() - 3;
	MemoryContext cxt;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the quality scan needs a contract")));
	if (plan != NULL)
	{
		Jsonb	   *now;

		if (!first)
			return plan;
		now = DatumGetJsonbP(PG_GETARG_DATUM(1));
		if (VARSIZE(now) == VARSIZE(plan->doc) && memcmp(now, plan->doc, VARSIZE(now)) == 0 &&
			!PG_ARGISNULL(2))
		{
			ArrayType  *cols = PG_GETARG_ARRAYTYPE_P(2);

			if (VARSIZE(cols) == VARSIZE(plan->columns) &&
				memcmp(cols, plan->columns, VARSIZE(cols)) == 0)
				return plan;
		}
		fcinfo->flinfo->fn_extra = NULL;
		MemoryContextDelete(plan->cxt);
	}

	cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "dmesh quality scan",
								ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	doc = DatumGetJsonbPCopy(PG_GETARG_DATUM(1));
	contract = dmesh_contract_compile_stored(doc);
	plan = palloc0(sizeof(QualityScanPlan));
	plan->cxt = cxt;
	plan->doc = doc;
	if (!PG_ARGISNULL(2))
		plan->columns = PG_GETARG_ARRAYTYPE_P_COPY(2);
	plan->argno = palloc(sizeof(int) * Max(contract->nprops, 1));
	for (int i = 0; i < contract->nprops; i++)
		plan->argno[i] = -1;
	types = palloc0(sizeof(Oid) * Max(contract->nprops, 1));
	columns = column_list(fcinfo, contract->nprops, &ncolumns);
	if (ncolumns > 1 && nargs == 1 && type_is_rowtype(get_fn_expr_argtype(fcinfo->flinfo, 3)))
	{
		/* the columns come as one row */
		HeapTupleHeader row;

		if (PG_ARGISNULL(3))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the quality scan needs a row of %d columns, not NULL", ncolumns)));
		row = PG_GETARG_HEAPTUPLEHEADER(3);
		plan->rowdesc = lookup_rowtype_tupdesc_copy(HeapTupleHeaderGetTypeId(row),
													HeapTupleHeaderGetTypMod(row));
		if (plan->rowdesc->natts != ncolumns)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the quality scan needs one column per listed property: %d properties, a row of %d columns",
							ncolumns, plan->rowdesc->natts)));
		plan->rowvalues = palloc(sizeof(Datum) * ncolumns);
		plan->rownulls = palloc(sizeof(bool) * ncolumns);
		for (int i = 0; i < ncolumns; i++)
		{
			if (TupleDescAttr(plan->rowdesc, i)->attisdropped)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("the quality scan's row has a dropped column")));
			types[columns[i]] = TupleDescAttr(plan->rowdesc, i)->atttypid;
			plan->argno[columns[i]] = i;
		}
	}
	else
	{
		/* no column is tested: one placeholder argument, not read */
		if (ncolumns != nargs && !(ncolumns == 0 && nargs == 1))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the quality scan needs one column per listed property: %d properties, %d columns",
							ncolumns, nargs)));
		for (int i = 0; i < ncolumns; i++)
		{
			types[columns[i]] = get_fn_expr_argtype(fcinfo->flinfo, i + 3);
			plan->argno[columns[i]] = i + 3;
		}
	}

	plan->rs = dmesh_rules_compile(contract, types, cxt);
	plan->row_rules = palloc(sizeof(int) * Max(plan->rs->nrules, 1));
	plan->dup_rules = palloc(sizeof(int) * Max(plan->rs->nrules, 1));
	for (int i = 0; i < plan->rs->nrules; i++)
	{
		DmeshRule  *r = &plan->rs->rules[i];

		if (r->test == DMESH_TEST_DUPLICATE)
		{
			for (int k = 0; k < r->nkeys; k++)
				require_column(plan, r->keys[k]);
			plan->dup_rules[plan->ndup_rules++] = i;
		}
		else if (r->test != DMESH_TEST_NONE)
		{
			require_column(plan, r->prop);
			plan->row_rules[plan->nrow_rules++] = i;
		}
	}
	MemoryContextSwitchTo(old);
	fcinfo->flinfo->fn_extra = plan;
	return plan;
}

/* The value of a property's column in the current row. */
static inline Datum
column_value(FunctionCallInfo fcinfo, QualityScanPlan *plan, int prop, bool *isnull)
{
	int			arg = plan->argno[prop];

	if (plan->rowdesc != NULL)
	{
		*isnull = plan->rownulls[arg];
		return plan->rowvalues[arg];
	}
	*isnull = PG_ARGISNULL(arg);
	return PG_GETARG_DATUM(arg);
}

PG_FUNCTION_INFO_V1(dmesh_quality_scan_step);
Datum
dmesh_quality_scan_step(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	QualityScanState  *st;
	QualityScanPlan   *plan;
	DmeshRuleSet *rs;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("dmesh._quality_scan_step can only be called as an aggregate step")));
	plan = get_plan(fcinfo, PG_ARGISNULL(0));
	rs = plan->rs;
	st = PG_ARGISNULL(0) ? new_state(aggcxt, rs->nrules) : (QualityScanState *) PG_GETARG_POINTER(0);
	if (st->nrules != rs->nrules)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the quality scan needs the same contract for every row")));

	if (plan->rowdesc != NULL)
	{
		HeapTupleData tuple;
		HeapTupleHeader row;

		if (PG_ARGISNULL(3))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the quality scan needs a row of columns, not NULL")));
		row = PG_GETARG_HEAPTUPLEHEADER(3);
		if (HeapTupleHeaderGetTypeId(row) != plan->rowdesc->tdtypeid ||
			HeapTupleHeaderGetTypMod(row) != plan->rowdesc->tdtypmod)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("the quality scan needs rows of the same type")));
		tuple.t_len = HeapTupleHeaderGetDatumLength(row);
		ItemPointerSetInvalid(&tuple.t_self);
		tuple.t_tableOid = InvalidOid;
		tuple.t_data = row;
		heap_deform_tuple(&tuple, plan->rowdesc, plan->rowvalues, plan->rownulls);
	}

	st->rows++;
	for (int i = 0; i < plan->nrow_rules; i++)
	{
		DmeshRule  *r = &rs->rules[plan->row_rules[i]];
		bool		isnull;
		Datum		value = column_value(fcinfo, plan, r->prop, &isnull);

		if (dmesh_rule_offends(rs, r, value, isnull))
			st->counts[r->index]++;
	}
	for (int i = 0; i < plan->ndup_rules; i++)
	{
		DmeshRule  *r = &rs->rules[plan->dup_rules[i]];
		uint64		h = 0;
		bool		skip = false;

		for (int k = 0; k < r->nkeys && !skip; k++)
		{
			DmeshRuleColumn *col = &rs->columns[r->keys[k]];
			bool		isnull;
			Datum		value = column_value(fcinfo, plan, r->keys[k], &isnull);

			if (isnull)
				skip = true;
			else
				h = hash_combine64(h, DatumGetUInt64(FunctionCall2Coll(col->hash,
																	   col->collation,
																	   value,
																	   Int64GetDatum(0))));
		}
		if (!skip)
		{
			HashRuns   *set = &st->hashes[r->index];

			run_append(set->nruns ? &set->runs[0] : add_run(set, aggcxt), h, aggcxt);
		}
	}
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(dmesh_quality_scan_combine);
Datum
dmesh_quality_scan_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	QualityScanState *a;
	QualityScanState *b;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "dmesh._quality_scan_combine called in non-aggregate context");
	if (PG_ARGISNULL(1))
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	b = (QualityScanState *) PG_GETARG_POINTER(1);
	if (PG_ARGISNULL(0))
		a = new_state(aggcxt, b->nrules);
	else
		a = (QualityScanState *) PG_GETARG_POINTER(0);
	if (a->nrules != b->nrules)
		elog(ERROR, "quality scan states of different rule sets");

	/*
	 * Both states live in the aggregate context (b comes from deserialize),
	 * so b's runs can be handed over without copying.
	 */
	a->rows += b->rows;
	for (int i = 0; i < a->nrules; i++)
	{
		a->counts[i] += b->counts[i];
		for (int j = 0; j < b->hashes[i].nruns; j++)
			if (b->hashes[i].runs[j].n > 0)
				*add_run(&a->hashes[i], aggcxt) = b->hashes[i].runs[j];
	}
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(dmesh_quality_scan_serialize);
Datum
dmesh_quality_scan_serialize(PG_FUNCTION_ARGS)
{
	QualityScanState *st = (QualityScanState *) PG_GETARG_POINTER(0);
	Size		size = VARHDRSZ + sizeof(int32) + sizeof(int64);
	bytea	   *out;
	char	   *p;

	/* Sorting here spreads the sorting over the processes. */
	for (int i = 0; i < st->nrules; i++)
	{
		size += sizeof(int64) + sizeof(int32);
		for (int j = 0; j < st->hashes[i].nruns; j++)
		{
			run_sort(&st->hashes[i].runs[j]);
			size += sizeof(int64) + sizeof(uint64) * st->hashes[i].runs[j].n;
		}
	}
	out = palloc_extended(size, MCXT_ALLOC_HUGE);
	SET_VARSIZE(out, size);
	p = VARDATA(out);
#define PUT(v) do { memcpy(p, &(v), sizeof(v)); p += sizeof(v); } while (0)
	PUT(st->nrules);
	PUT(st->rows);
	for (int i = 0; i < st->nrules; i++)
	{
		PUT(st->counts[i]);
		PUT(st->hashes[i].nruns);
		for (int j = 0; j < st->hashes[i].nruns; j++)
		{
			HashRun    *run = &st->hashes[i].runs[j];

			PUT(run->n);
			if (run->n > 0)
			{
				memcpy(p, run->h, sizeof(uint64) * run->n);
				p += sizeof(uint64) * run->n;
			}
		}
	}
#undef PUT
	Assert(p == (char *) out + size);
	PG_RETURN_BYTEA_P(out);
}

PG_FUNCTION_INFO_V1(dmesh_quality_scan_deserialize);
Datum
dmesh_quality_scan_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *data = PG_GETARG_BYTEA_P(0);
	const char *p = VARDATA(data);
	const char *end = p + VARSIZE(data) - VARHDRSZ;
	QualityScanState *st;
	MemoryContext aggcxt;
	int32		nrules;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "dmesh._quality_scan_deserialize called in non-aggregate context");
#define GET(v) do { if (p + sizeof(v) > end) elog(ERROR, "truncated quality scan state"); \
					memcpy(&(v), p, sizeof(v)); p += sizeof(v); } while (0)
	GET(nrules);
	st = new_state(aggcxt, nrules);
	GET(st->rows);
	for (int i = 0; i < nrules; i++)
	{
		int32		nruns;

		GET(st->counts[i]);
		GET(nruns);
		for (int j = 0; j < nruns; j++)
		{
			HashRun    *run = add_run(&st->hashes[i], aggcxt);

			GET(run->n);
			run->cap = run->n;
			if (run->n > 0)
			{
				if (p + sizeof(uint64) * run->n > end)
					elog(ERROR, "truncated quality scan state");
				run->h = MemoryContextAllocHuge(aggcxt, sizeof(uint64) * run->n);
				memcpy(run->h, p, sizeof(uint64) * run->n);
				p += sizeof(uint64) * run->n;
			}
		}
	}
#undef GET
	if (p != end)
		elog(ERROR, "malformed quality scan state");
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(dmesh_quality_scan_final);
Datum
dmesh_quality_scan_final(PG_FUNCTION_ARGS)
{
	QualityScanState *st;
	Datum	   *elems;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (QualityScanState *) PG_GETARG_POINTER(0);
	elems = palloc(sizeof(Datum) * (st->nrules + 1));
	elems[0] = Int64GetDatum(st->rows);
	for (int i = 0; i < st->nrules; i++)
		elems[i + 1] = Int64GetDatum(st->counts[i] + equal_hashes(&st->hashes[i]));
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, st->nrules + 1, INT8OID, 8,
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
