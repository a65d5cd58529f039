/*-------------------------------------------------------------------------
 *
 * usage_hook.c
 *		Who reads which data product, and which statements write one
 *		relation from others: counted by an executor hook, kept in shared
 *		memory (usage_shmem.c), flushed into the catalog.
 *
 * With shared_preload_libraries = 'dmesh', the ExecutorEnd hook looks at
 * each finished statement's range table:
 *   - every published relation (a view in a domain's dmesh_* schema, in a
 *     database with dmesh) it read: one query, the rows it returned, the
 *     time, and the relation's columns it referenced, for the current
 *     role, straight into shared memory;
 *   - if it wrote one relation while reading others (INSERT ... SELECT,
 *     UPDATE ... FROM, DELETE ... USING, MERGE, CREATE TABLE AS, REFRESH
 *     MATERIALIZED VIEW): one statement and the rows written, per relation
 *     read, kept with the transaction and added to shared memory only when
 *     it commits (a rolled-back subtransaction takes its statements back).
 *     CREATE TABLE AS and REFRESH learn their target from the lineage event
 *     trigger at the end of the command.
 * A statement that touches neither pays for a walk over its range table.
 * Temporary relations are left out.  Parallel workers do not count (the
 * leader does, once).
 *
 * dmesh.flush_usage() moves the current database's counters into
 * dmesh.usage_daily and dmesh.lineage_run; the counters leave shared
 * memory when that transaction commits.  Without the preload nothing is
 * counted: dmesh.usage_enabled() is false and flush_usage() says so once.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parsetree.h"
#include "tcop/dest.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "dmesh.h"
#include "usage.h"

PG_FUNCTION_INFO_V1(dmesh_usage_enabled);
PG_FUNCTION_INFO_V1(dmesh_flush_usage);
PG_FUNCTION_INFO_V1(dmesh_usage_status_fn);


static ExecutorEnd_hook_type prev_ExecutorEnd = NULL;

/* Writes of the current transaction, not yet in shared memory. */
typedef struct PendingWrite
{
	DmeshUsageKey key;			/* relid 0: target not known yet */
	DmeshUsageCounts counts;
	bool		bounded;		/* neither end is a product's: see usage_shmem.c */
	int			nestlevel;		/* subtransaction that made it */
} PendingWrite;

static List *pending_writes = NIL;	/* in TopTransactionContext */

/* Counts of a flush, taken out of shared memory when it commits. */
static DmeshUsageKey *flushed_keys = NULL;	/* in TopTransactionContext */
static DmeshUsageCounts *flushed_counts = NULL;
static int	flushed_n = 0;

static bool disabled_noticed = false;

/* Is dmesh installed in this database?  (A syscache lookup.) */
static bool
dmesh_here(void)
{
	return OidIsValid(get_namespace_oid("dmesh", true));
}

static bool
is_temp(Oid relid)
{
	return get_rel_persistence(relid) == RELPERSISTENCE_TEMP;
}

/* A published relation: a view in a domain's schema. */
static bool
is_published_relation(Oid relid)
{
	return dmesh_in_domain_schema(relid) && dmesh_here();
}

/* The columns a range table entry references, as a bitmap of attnums 1..256. */
static void
referenced_columns(RangeTblEntry *rte, uint64 *columns)
{
	int			member = -1;

	while ((member = bms_next_member(rte->selectedCols, member)) >= 0)
	{
		AttrNumber	attno = member + FirstLowInvalidHeapAttributeNumber;

		if (attno == InvalidAttrNumber)
		{
			/* a whole-row reference: every column */
			for (int i = 0; i < DMESH_USAGE_COLUMN_WORDS; i++)
				columns[i] = ~UINT64CONST(0);
			return;
		}
		if (attno > 0 && attno <= DMESH_USAGE_COLUMN_WORDS * 64)
			columns[(attno - 1) / 64] |= UINT64CONST(1) << ((attno - 1) % 64);
	}
}

/*
 * Is the relation a product's: a relation in a domain's schema (published
 * views, materialized data), or a product's source?  Two cheap probes.
 */
static bool
product_relation(Oid relid)
{
	return OidIsValid(relid) &&
		(dmesh_in_domain_schema(relid) ||
		 dmesh_catalog_has_oid("data_product", "data_product_source_relation_idx",
							   "source_relation", relid) ||
		 dmesh_catalog_has_oid("product_object", "product_object_source_relation_idx",
							   "source_relation", relid));
}

/* A write is bounded (per role) unless one of its ends is a product's. */
static bool
bounded_write(const DmeshUsageKey *key)
{
	return !product_relation(key->relid) && !product_relation(key->source);
}

static void
pending_add(const DmeshUsageKey *key, int64 rows, TimestampTz when)
{
	MemoryContext old;
	PendingWrite *w;
	ListCell   *lc;
	int			level = GetCurrentTransactionNestLevel();

	foreach(lc, pending_writes)
	{
		w = lfirst(lc);
		if (memcmp(&w->key, key, sizeof(*key)) == 0 && w->nestlevel == level)
		{
			w->counts.count++;
			w->counts.rows += rows;
			w->counts.last = when;
			return;
		}
	}
	old = MemoryContextSwitchTo(TopTransactionContext);
	w = palloc0(sizeof(PendingWrite));
	w->key = *key;
	w->counts.count = 1;
	w->counts.rows = rows;
	w->counts.first = w->counts.last = when;
	w->bounded = OidIsValid(key->relid) ? bounded_write(key) : true;
	w->nestlevel = level;
	pending_writes = lappend(pending_writes, w);
	MemoryContextSwitchTo(old);
}

/* Usage and writes of a finished statement. */
static void
note_statement(QueryDesc *queryDesc)
{
	PlannedStmt *ps = queryDesc->plannedstmt;
	int64		rows = queryDesc->estate ? (int64) queryDesc->estate->es_processed : 0;
	TimestampTz when = GetCurrentStatementStartTimestamp();
	Oid			user = GetUserId();
	int32		kind = 0;
	Index		target_index = 0;
	Oid			target = InvalidOid;
	ListCell   *lc;
	Index		rti = 0;

	/* Reads of published relations: one query per relation and statement. */
	if (ps->commandType == CMD_SELECT || ps->commandType == CMD_INSERT ||
		ps->commandType == CMD_UPDATE || ps->commandType == CMD_DELETE ||
		ps->commandType == CMD_MERGE)
	{
#define MAX_READ_RELATIONS 16
		DmeshUsageKey keys[MAX_READ_RELATIONS];
		DmeshUsageCounts counts[MAX_READ_RELATIONS];
		int			nread = 0;

		foreach(lc, ps->rtable)
		{
			RangeTblEntry *rte = lfirst(lc);
			int			i;

			if (rte->rtekind != RTE_RELATION || rte->relkind != RELKIND_VIEW ||
				!(rte->requiredPerms & ACL_SELECT) || !is_published_relation(rte->relid))
				continue;
			for (i = 0; i < nread && keys[i].relid != rte->relid; i++)
				;
			if (i == nread)
			{
				if (nread == MAX_READ_RELATIONS)
					continue;	/* a statement reading more: the first 16 count */
				memset(&keys[i], 0, sizeof(keys[i]));
				keys[i].dbid = MyDatabaseId;
				keys[i].relid = rte->relid;
				keys[i].roleid = user;
				keys[i].kind = DMESH_USAGE_READ;
				memset(&counts[i], 0, sizeof(counts[i]));
				counts[i].count = 1;
				counts[i].rows = ps->commandType == CMD_SELECT ? rows : 0;
				counts[i].first = counts[i].last = when;
				nread++;
			}
			referenced_columns(rte, counts[i].columns);
		}
		for (int i = 0; i < nread; i++)
			(void) dmesh_usage_add(&keys[i], &counts[i], false);
	}

	/* Writes of one relation from others. */
	switch (ps->commandType)
	{
		case CMD_INSERT:
			kind = DMESH_USAGE_INSERT;
			break;
		case CMD_UPDATE:
			kind = DMESH_USAGE_UPDATE;
			break;
		case CMD_DELETE:
			kind = DMESH_USAGE_DELETE;
			break;
		case CMD_MERGE:
			kind = DMESH_USAGE_MERGE;
			break;
		case CMD_SELECT:
			if (queryDesc->dest && queryDesc->dest->mydest == DestIntoRel)
				kind = DMESH_USAGE_CREATE_TABLE_AS;
			else if (queryDesc->dest && queryDesc->dest->mydest == DestTransientRel)
				kind = DMESH_USAGE_REFRESH;
			break;
		default:
			break;
	}
	if (kind == 0)
		return;
	if (kind != DMESH_USAGE_CREATE_TABLE_AS && kind != DMESH_USAGE_REFRESH)
	{
		bool		reads_other = false;

		if (ps->resultRelations == NIL)
			return;
		target_index = linitial_int(ps->resultRelations);
		target = rt_fetch(target_index, ps->rtable)->relid;
		/* most writes read nothing else: decided without a catalog lookup */
		foreach(lc, ps->rtable)
		{
			RangeTblEntry *rte = lfirst(lc);

			if (rte->rtekind == RTE_RELATION && (rte->requiredPerms & ACL_SELECT) &&
				!OidIsValid(rte->checkAsUser) && rte->relid != target)
				reads_other = true;
		}
		if (!reads_other)
			return;
		/* not temporary relations, nor dmesh's own catalogs */
		if (is_temp(target) || get_rel_namespace(target) == get_namespace_oid("dmesh", true))
			return;
	}
	if (kind == DMESH_USAGE_REFRESH)
	{
		/*
		 * The query of a materialized view comes from its rule, whose every
		 * relation is checked as the view's owner: what it reads directly is
		 * told by its lineage when the command ends.
		 */
		DmeshUsageKey key;

		if (!dmesh_here())
			return;
		memset(&key, 0, sizeof(key));
		key.dbid = MyDatabaseId;
		key.roleid = user;
		key.kind = kind;
		pending_add(&key, rows, when);
		return;
	}
	if (!dmesh_here())
		return;
	foreach(lc, ps->rtable)
	{
		RangeTblEntry *rte = lfirst(lc);
		DmeshUsageKey key;

		rti++;
		/* relations the statement itself names and reads (not a view's insides) */
		if (rti == target_index || rte->rtekind != RTE_RELATION ||
			!(rte->requiredPerms & ACL_SELECT) || OidIsValid(rte->checkAsUser) ||
			rte->relid == target || is_temp(rte->relid))
			continue;
		memset(&key, 0, sizeof(key));
		key.dbid = MyDatabaseId;
		key.relid = target;
		key.source = rte->relid;
		key.roleid = user;
		key.kind = kind;
		pending_add(&key, rows, when);
	}
}

static void
usage_ExecutorEnd(QueryDesc *queryDesc)
{
	/* not EXPLAIN without ANALYZE: nothing was read */
	if (dmesh_track_usage && queryDesc->plannedstmt != NULL && !IsParallelWorker() &&
		queryDesc->estate != NULL && !(queryDesc->estate->es_top_eflags & EXEC_FLAG_EXPLAIN_ONLY))
		note_statement(queryDesc);
	if (prev_ExecutorEnd)
		prev_ExecutorEnd(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);
}

/*
 * CREATE TABLE AS and REFRESH MATERIALIZED VIEW: the lineage event trigger
 * tells which relation the statement just filled.
 */
void
dmesh_usage_resolve_target(Oid relid, int32 kind, List *sources)
{
	List	   *resolved = NIL;
	ListCell   *lc;
	MemoryContext old;

	if (pending_writes == NIL)
		return;
	old = MemoryContextSwitchTo(TopTransactionContext);
	foreach(lc, pending_writes)
	{
		PendingWrite *w = lfirst(lc);
		ListCell   *sc;

		if (OidIsValid(w->key.relid) || w->key.kind != kind)
		{
			resolved = lappend(resolved, w);
			continue;
		}
		w->key.relid = relid;
		if (OidIsValid(w->key.source))
		{
			w->bounded = bounded_write(&w->key);
			resolved = lappend(resolved, w);
			continue;
		}
		/* one entry per relation the statement read */
		foreach(sc, sources)
		{
			PendingWrite *copy = palloc(sizeof(PendingWrite));

			if (lfirst_oid(sc) == relid || is_temp(lfirst_oid(sc)))
				continue;
			*copy = *w;
			copy->key.source = lfirst_oid(sc);
			copy->bounded = bounded_write(&copy->key);
			resolved = lappend(resolved, copy);
		}
	}
	pending_writes = resolved;
	MemoryContextSwitchTo(old);
}

static void
usage_xact_callback(XactEvent event, void *arg)
{
	ListCell   *lc;

	switch (event)
	{
		case XACT_EVENT_COMMIT:
			foreach(lc, pending_writes)
			{
				PendingWrite *w = lfirst(lc);

				if (OidIsValid(w->key.relid))
					(void) dmesh_usage_add(&w->key, &w->counts, w->bounded);
			}
			dmesh_usage_subtract(flushed_keys, flushed_counts, flushed_n);
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PARALLEL_COMMIT:
			break;
		default:
			return;
	}
	/* the lists lived in TopTransactionContext */
	pending_writes = NIL;
	flushed_keys = NULL;
	flushed_counts = NULL;
	flushed_n = 0;
}

static void
usage_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();
	List	   *keep = NIL;
	ListCell   *lc;

	if (event != SUBXACT_EVENT_ABORT_SUB && event != SUBXACT_EVENT_COMMIT_SUB)
		return;
	foreach(lc, pending_writes)
	{
		PendingWrite *w = lfirst(lc);

		if (w->nestlevel >= level)
		{
			if (event == SUBXACT_EVENT_ABORT_SUB)
				continue;		/* rolled back */
			w->nestlevel = level - 1;	/* now the parent's */
		}
		keep = lappend(keep, w);
	}
	pending_writes = keep;
}

/* Called from _PG_init while shared_preload_libraries are loaded. */
void
dmesh_usage_hooks_init(void)
{
	prev_ExecutorEnd = ExecutorEnd_hook;
	ExecutorEnd_hook = usage_ExecutorEnd;
	RegisterXactCallback(usage_xact_callback, NULL);
	RegisterSubXactCallback(usage_subxact_callback, NULL);
}

/* ----------------------------------------------------------------
 * SQL functions
 * ----------------------------------------------------------------
 */

Datum
dmesh_usage_enabled(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(dmesh_usage_available && dmesh_track_usage);
}

static bool
usage_on_or_notice(void)
{
	if (dmesh_usage_available)
		return true;
	if (!disabled_noticed)
		ereport(NOTICE,
				(errmsg("usage tracking is off: dmesh is not in shared_preload_libraries"),
				 errhint("Add dmesh to shared_preload_libraries and restart the server to count reads and writes.")));
	disabled_noticed = true;
	return false;
}

/* dmesh.usage_status(): entries in use, table size, counts dropped. */
Datum
dmesh_usage_status_fn(PG_FUNCTION_ARGS)
{
	TupleDesc	desc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	int64		entries;
	int64		max_entries;
	int64		dropped;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	dmesh_usage_status(&entries, &max_entries, &dropped);
	values[0] = BoolGetDatum(dmesh_usage_available && dmesh_track_usage);
	values[1] = Int64GetDatum(entries);
	values[2] = Int64GetDatum(max_entries);
	values[3] = Int64GetDatum(dropped);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}

static void
append_column_names(StringInfo buf, Oid relid, const uint64 *columns)
{
	bool		first = true;

	appendStringInfoChar(buf, '[');
	for (int w = 0; w < DMESH_USAGE_COLUMN_WORDS; w++)
	{
		if (columns[w] == 0)
			continue;
		for (int b = 0; b < 64; b++)
		{
			char	   *name;

			if (!(columns[w] & (UINT64CONST(1) << b)))
				continue;
			name = get_attname(relid, (AttrNumber) (w * 64 + b + 1), true);
			if (name == NULL)
				continue;
			if (!first)
				appendStringInfoChar(buf, ',');
			escape_json(buf, name);
			first = false;
		}
	}
	appendStringInfoChar(buf, ']');
}

static void
append_time(StringInfo buf, TimestampTz t)
{
	appendStringInfo(buf, "%lld", (long long) t);
}

#define FLUSH_READS \
	"WITH x AS (" \
	"  SELECT * FROM jsonb_to_recordset($1) AS x(relid oid, role name, queries bigint, rows bigint," \
	"                                             first bigint, last bigint, columns jsonb))," \
	" m AS (" \
	"  SELECT p.product_id, x.* FROM x" \
	"    JOIN dmesh.output_port o ON true" \
	"    JOIN dmesh.data_product p ON p.product_id = o.product_id" \
	"    JOIN dmesh.domain d ON d.domain_id = p.domain_id" \
	"   WHERE to_regclass(format('%I.%I', d.schema_name, o.relation_name)) = x.relid)," \
	" r AS (" \
	"  SELECT m.product_id, m.role AS consumer, sum(m.queries)::bigint AS queries," \
	"         sum(m.rows)::bigint AS rows, min(dmesh._usage_time(m.first)) AS first_read," \
	"         max(dmesh._usage_time(m.last)) AS last_read," \
	"         ARRAY(SELECT DISTINCT c FROM m m2, jsonb_array_elements_text(m2.columns) AS c" \
	"                WHERE m2.product_id = m.product_id AND m2.role = m.role ORDER BY 1) AS columns" \
	"    FROM m GROUP BY m.product_id, m.role)" \
	"INSERT INTO dmesh.usage_daily AS u" \
	"    (product_id, consumer, day, queries, rows, first_read, last_read, columns)" \
	"SELECT product_id, consumer, current_date, queries, rows, first_read, last_read, columns FROM r " \
	"ON CONFLICT (product_id, consumer, day) DO UPDATE" \
	"   SET queries = u.queries + excluded.queries, rows = u.rows + excluded.rows," \
	"       first_read = least(u.first_read, excluded.first_read)," \
	"       last_read = greatest(u.last_read, excluded.last_read)," \
	"       columns = ARRAY(SELECT DISTINCT c FROM unnest(u.columns || excluded.columns) c ORDER BY c)"

#define FLUSH_WRITES \
	"INSERT INTO dmesh.lineage_run AS l" \
	"    (source, target, role, kind, statements, rows, first_seen, last_seen)" \
	"SELECT dmesh._relname(x.source), dmesh._relname(x.target), x.role, x.kind," \
	"       sum(x.statements), sum(x.rows), min(dmesh._usage_time(x.first))," \
	"       max(dmesh._usage_time(x.last))" \
	"  FROM jsonb_to_recordset($1) AS x(source oid, target oid, role name, kind text," \
	"                                   statements bigint, rows bigint, first bigint, last bigint)" \
	" WHERE dmesh._relname(x.source) IS NOT NULL AND dmesh._relname(x.target) IS NOT NULL" \
	" GROUP BY 1, 2, 3, 4 " \
	"ON CONFLICT (source, target, role, kind) DO UPDATE" \
	"   SET statements = l.statements + excluded.statements, rows = l.rows + excluded.rows," \
	"       first_seen = least(l.first_seen, excluded.first_seen)," \
	"       last_seen = greatest(l.last_seen, excluded.last_seen)"

static const char *
write_kind_name(int32 kind)
{
	switch (kind)
	{
		case DMESH_USAGE_INSERT:
			return "insert";
		case DMESH_USAGE_UPDATE:
			return "update";
		case DMESH_USAGE_DELETE:
			return "delete";
		case DMESH_USAGE_MERGE:
			return "merge";
		case DMESH_USAGE_CREATE_TABLE_AS:
			return "create_table_as";
		case DMESH_USAGE_REFRESH:
			return "refresh_materialized_view";
	}
	return NULL;
}

/*
 * dmesh.flush_usage(): the counters of this database into the catalog.
 * Returns the number of counters flushed.  Flushes of one database are
 * serialized (an advisory transaction lock).
 */
Datum
dmesh_flush_usage(PG_FUNCTION_ARGS)
{
	DmeshUsageKey *keys;
	DmeshUsageCounts *counts;
	int			n;
	StringInfoData reads;
	StringInfoData writes;
	bool		any_read = false;
	bool		any_write = false;
	DmeshSection section;
	MemoryContext old;

	if (!usage_on_or_notice())
		PG_RETURN_INT64(0);
	if (flushed_n > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("dmesh.flush_usage() can run once per transaction")));

	/* one flush of this database at a time */
	(void) DirectFunctionCall2(pg_advisory_xact_lock_int4,
							   Int32GetDatum(0x646d6573), Int32GetDatum((int32) MyDatabaseId));

	dmesh_usage_snapshot(MyDatabaseId, &keys, &counts, &n);
	initStringInfo(&reads);
	initStringInfo(&writes);
	appendStringInfoChar(&reads, '[');
	appendStringInfoChar(&writes, '[');
	for (int i = 0; i < n; i++)
	{
		char	   *role = GetUserNameFromId(keys[i].roleid, true);

		if (role == NULL)
			continue;			/* a dropped role: nothing to attribute */
		if (keys[i].kind == DMESH_USAGE_READ)
		{
			appendStringInfo(&reads, "%s{\"relid\": %u, \"role\": ", any_read ? "," : "", keys[i].relid);
			escape_json(&reads, role);
			appendStringInfo(&reads, ", \"queries\": " INT64_FORMAT ", \"rows\": " INT64_FORMAT ", \"first\": ",
							 counts[i].count, counts[i].rows);
			append_time(&reads, counts[i].first);
			appendStringInfoString(&reads, ", \"last\": ");
			append_time(&reads, counts[i].last);
			appendStringInfoString(&reads, ", \"columns\": ");
			append_column_names(&reads, keys[i].relid, counts[i].columns);
			appendStringInfoChar(&reads, '}');
			any_read = true;
		}
		else if (write_kind_name(keys[i].kind) != NULL)
		{
			appendStringInfo(&writes, "%s{\"source\": %u, \"target\": %u, \"role\": ",
							 any_write ? "," : "", keys[i].source, keys[i].relid);
			escape_json(&writes, role);
			appendStringInfo(&writes, ", \"kind\": \"%s\", \"statements\": " INT64_FORMAT
							 ", \"rows\": " INT64_FORMAT ", \"first\": ",
							 write_kind_name(keys[i].kind), counts[i].count, counts[i].rows);
			append_time(&writes, counts[i].first);
			appendStringInfoString(&writes, ", \"last\": ");
			append_time(&writes, counts[i].last);
			appendStringInfoChar(&writes, '}');
			any_write = true;
		}
	}
	appendStringInfoChar(&reads, ']');
	appendStringInfoChar(&writes, ']');

	SPI_connect();
	dmesh_enter_privileged(&section);
	if (any_read)
	{
		DmeshArgs	args;

		dmesh_args_init(&args);
		dmesh_arg_datum(&args, JSONBOID, DirectFunctionCall1(jsonb_in, CStringGetDatum(reads.data)), false);
		(void) dmesh_spi_exec(FLUSH_READS, &args, SPI_OK_INSERT);
	}
	if (any_write)
	{
		DmeshArgs	args;

		dmesh_args_init(&args);
		dmesh_arg_datum(&args, JSONBOID, DirectFunctionCall1(jsonb_in, CStringGetDatum(writes.data)), false);
		(void) dmesh_spi_exec(FLUSH_WRITES, &args, SPI_OK_INSERT);
	}
	dmesh_leave(&section);
	SPI_finish();

	/* taken out of shared memory when this transaction commits */
	old = MemoryContextSwitchTo(TopTransactionContext);
	flushed_keys = palloc(sizeof(DmeshUsageKey) * Max(n, 1));
	flushed_counts = palloc(sizeof(DmeshUsageCounts) * Max(n, 1));
	memcpy(flushed_keys, keys, sizeof(DmeshUsageKey) * n);
	memcpy(flushed_counts, counts, sizeof(DmeshUsageCounts) * n);
	flushed_n = n;
	MemoryContextSwitchTo(old);
	PG_RETURN_INT64(n);
}
