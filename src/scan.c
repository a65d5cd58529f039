/*-------------------------------------------------------------------------
 *
 * scan.c
 *		The single-pass quality scan: an aggregate that tests every row of a
 *		product against every rule of its contract at once.
 *
 *		dmesh._quality_scan(contract jsonb, VARIADIC "any")
 *
 * The variadic arguments are the columns of the contract's properties, in
 * property order.  The result is a bigint array: the number of rows, then
 * one count per rule (rows that offend a row-level rule; for duplicate
 * rules, an upper bound of the duplicates, see below; 0 for rules without
 * a row test).
 *
 * The aggregate runs in parallel: each process compiles the rules from the
 * contract argument once, counts its share of the rows, and the leader
 * adds the counts up.  No catalog access is needed, so parallel workers
 * can run it.
 *
 * Duplicates are found through 64-bit hashes of the key values.  Equal
 * values have equal hashes, so when no two hashes are equal there is no
 * duplicate, exactly.  When some are equal the count is an upper bound and
 * the caller counts the real duplicates with a query (check.c); that only
 * happens when the data has duplicates or, very rarely, a hash collision.
 * Each process sorts its hashes (radix sort) when it hands them to the
 * leader, which merges the sorted runs once, at the end.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "dmesh.h"

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
	Jsonb	   *doc;			/* a copy of the contract compiled */
	DmeshRuleSet *rs;
	int		   *row_rules;		/* indexes of rules with a row test */
	int			nrow_rules;
	int		   *dup_rules;
	int			ndup_rules;
} QualityScanPlan;

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
	int			nargs = PG_NARGS() - 2;

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
		if (VARSIZE(now) == VARSIZE(plan->doc) && memcmp(now, plan->doc, VARSIZE(now)) == 0)
		{
			return plan;
		}
		MemoryContextDelete(plan->rs->cxt);
		pfree(plan);
		fcinfo->flinfo->fn_extra = NULL;
	}

	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	doc = DatumGetJsonbPCopy(PG_GETARG_DATUM(1));
	contract = dmesh_contract_compile(doc);
	if (contract->nprops != nargs)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the quality scan needs one column per property: %d properties, %d columns",
						contract->nprops, nargs)));
	types = palloc(sizeof(Oid) * Max(nargs, 1));
	for (int i = 0; i < nargs; i++)
		types[i] = get_fn_expr_argtype(fcinfo->flinfo, i + 2);

	plan = palloc0(sizeof(QualityScanPlan));
	plan->doc = doc;
	plan->rs = dmesh_rules_compile(contract, types, fcinfo->flinfo->fn_mcxt);
	plan->row_rules = palloc(sizeof(int) * Max(plan->rs->nrules, 1));
	plan->dup_rules = palloc(sizeof(int) * Max(plan->rs->nrules, 1));
	for (int i = 0; i < plan->rs->nrules; i++)
	{
		DmeshRule  *r = &plan->rs->rules[i];

		if (r->test == DMESH_TEST_DUPLICATE)
			plan->dup_rules[plan->ndup_rules++] = i;
		else if (r->test != DMESH_TEST_NONE)
			plan->row_rules[plan->nrow_rules++] = i;
	}
	MemoryContextSwitchTo(old);
	fcinfo->flinfo->fn_extra = plan;
	return plan;
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

	st->rows++;
	for (int i = 0; i < plan->nrow_rules; i++)
	{
		DmeshRule  *r = &rs->rules[plan->row_rules[i]];
		int			arg = r->prop + 2;

		if (dmesh_rule_offends(rs, r, PG_GETARG_DATUM(arg), PG_ARGISNULL(arg)))
			st->counts[r->index]++;
	}
	for (int i = 0; i < plan->ndup_rules; i++)
	{
		DmeshRule  *r = &rs->rules[plan->dup_rules[i]];
		uint64		h = 0;
		bool		skip = false;

		for (int k = 0; k < r->nkeys && !skip; k++)
		{
			int			arg = r->keys[k] + 2;
			DmeshRuleColumn *col = &rs->columns[r->keys[k]];

			if (PG_ARGISNULL(arg))
				skip = true;
			else
				h = hash_combine64(h, DatumGetUInt64(FunctionCall2Coll(col->hash,
																	   col->collation,
																	   PG_GETARG_DATUM(arg),
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
