/*-------------------------------------------------------------------------
 *
 * worker_jobs.c
 *		What a dmesh database worker does in each round.
 *
 *   1. flush the usage and runtime-lineage counters (dmesh.flush_usage);
 *   1b. refresh the materialized products that are due (refresh_every),
 *      write-audit-publish (worker_refresh.c); an error opens a refresh_failed
 *      incident, a refresh that runs resolves it;
 *   2. run the quality checks that are due (dmesh.schedule.check_every),
 *      each in its own transaction: failed error rules open (or repeat)
 *      a quality incident, a passing check resolves it;
 *   3. watch freshness (dmesh._watch_freshness): data older than the SLA
 *      opens a freshness incident, fresh data resolves it;
 *   4. watch contracts (dmesh._watch_contracts): a live product whose
 *      source departs from its contract has a contract_breach incident
 *      until they agree again;
 *   5. sync the peers due (dmesh.peer_sync_interval since their last sync
 *      or failure), each in its own transaction with at most
 *      dmesh.peer_sync_timeout: dmesh.sync_peer records an unreachable
 *      peer itself; any other error is logged and kept in dmesh.peer.
 *   6. check subscriptions to peers' products (fed_sub_worker.c): a peer
 *      that moved on from the pinned major opens an upstream_change
 *      incident.
 * A job that fails is rolled back and recorded in dmesh.schedule
 * (failures, last_error) and tried again after a backoff that doubles
 * with each failure (at most an hour); the round goes on.  The round
 * returns how long until the next job is due.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/timestamp.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"

#include "dmesh.h"
#include "fed_sub.h"
#include "usage.h"
#include "worker.h"

typedef void (*JobFn) (void *arg);

/* Why a job failed: a summary that carries no data, and the SQLSTATE. */
typedef struct JobError
{
	char	   *summary;
	int			sqlerrcode;
} JobError;

/*
 * Run fn in its own transaction, waiting at most dmesh.lock_timeout for
 * any lock; on error, roll back and return why (in the caller's context),
 * else NULL.  The full error goes to the server log; the summary, which
 * dmesh stores where managers and consumers read it, has no value from
 * the error message (see dmesh_error_summary).
 */
static JobError *
run_job(const char *what, JobFn fn, void *arg)
{
	MemoryContext caller = CurrentMemoryContext;
	JobError   *error = NULL;

	pgstat_report_activity(STATE_RUNNING, what);
	PG_TRY();
	{
		/* now() is the start of this job, not of the worker */
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		if (dmesh_lock_timeout > 0)
			(void) set_config_option("lock_timeout", psprintf("%d", dmesh_lock_timeout),
									 PGC_SUSET, PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
		PushActiveSnapshot(GetTransactionSnapshot());
		SPI_connect();
		fn(arg);
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		error = palloc(sizeof(JobError));
		error->summary = dmesh_error_summary(edata);
		error->sqlerrcode = edata->sqlerrcode;
		ereport(LOG, (errmsg("dmesh worker: %s failed: %s", what,
							 edata->message ? edata->message : "unknown error")));
		FreeErrorData(edata);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(caller);
	pgstat_report_activity(STATE_IDLE, NULL);
	return error;
}

/* The check of subscriptions (fed_sub_worker.c). */
static void
subscriptions_job(void *arg)
{
	dmesh_fed_sub_check();
}

/* A job that is one SQL statement; arg is the statement. */
static void
sql_job(void *arg)
{
	(void) dmesh_spi_exec((const char *) arg, NULL, SPI_OK_SELECT);
}

typedef struct ProductJob
{
	int64		product_id;
	char	   *product;
} ProductJob;

static void
check_job(void *arg)
{
	ProductJob   *job = arg;
	DmeshArgs	args;

	dmesh_args_init(&args);
	dmesh_arg_text(&args, job->product);
	dmesh_arg_int8(&args, job->product_id);
	(void) dmesh_spi_exec(
		"WITH r AS (SELECT * FROM dmesh.check_product($1))"
		"SELECT dmesh._incident($2, 'quality',"
		"         (SELECT count(*) FROM r WHERE NOT r.passed AND r.severity = 'error') > 0,"
		"         jsonb_build_object('failed_rules',"
		"             (SELECT coalesce(jsonb_agg(jsonb_build_object('rule', r.rule, 'property', r.property,"
		"                                                           'severity', r.severity)), '[]')"
		"                FROM r WHERE NOT r.passed)))",
		&args, SPI_OK_SELECT);
	(void) dmesh_spi_exec("UPDATE dmesh.schedule SET last_check_at = now(), failures = 0,"
						  "       last_error = NULL, next_check_at = now() + check_every"
						  " WHERE product_id = $2", &args, SPI_OK_UPDATE);
}

typedef struct FailedJob
{
	int64		product_id;
	const JobError *error;
} FailedJob;

/*
 * Record a failed check; try again after a doubling backoff.  A lock
 * that another session held too long is not the product's failure: the
 * check is tried again at the next round, and the wait is recorded.
 */
static void
record_failure(void *arg)
{
	FailedJob  *f = arg;
	DmeshArgs	args;

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, f->product_id);
	dmesh_arg_text(&args, f->error->summary);
	dmesh_arg_int4(&args, dmesh_naptime);
	if (f->error->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE)
		(void) dmesh_spi_exec("UPDATE dmesh.schedule SET last_error = $2, last_error_at = now(),"
							  "       next_check_at = now() + make_interval(secs => $3)"
							  " WHERE product_id = $1", &args, SPI_OK_UPDATE);
	else
		(void) dmesh_spi_exec("UPDATE dmesh.schedule SET failures = failures + 1, last_error = $2,"
							  "       last_error_at = now(),"
							  "       next_check_at = now() + least(check_every * power(2, least(failures, 10))::int,"
							  "                                     interval '1 hour')"
							  " WHERE product_id = $1", &args, SPI_OK_UPDATE);
}

/* The products due for a job: sql returns (product_id, domain.product). */
typedef struct DueJobs
{
	const char *sql;
	List	   *jobs;
	MemoryContext cxt;
} DueJobs;

static void
find_due(void *arg)
{
	DueJobs    *due = arg;

	(void) dmesh_spi_exec(due->sql, NULL, SPI_OK_SELECT);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(due->cxt);
		ProductJob   *job = palloc(sizeof(ProductJob));

		job->product_id = dmesh_spi_int8(i, 1);
		job->product = pstrdup(dmesh_spi_text(i, 2));
		due->jobs = lappend(due->jobs, job);
		MemoryContextSwitchTo(old);
	}
}

#define DUE_CHECKS \
	"SELECT s.product_id, d.name || '.' || p.name" \
	"  FROM dmesh.schedule s" \
	"  JOIN dmesh.data_product p ON p.product_id = s.product_id" \
	"  JOIN dmesh.domain d ON d.domain_id = p.domain_id" \
	" WHERE s.check_every IS NOT NULL AND p.status <> 'retired'" \
	"   AND coalesce(s.next_check_at, '-infinity') <= now()" \
	" ORDER BY s.next_check_at NULLS FIRST"

#define DUE_REFRESHES \
	"SELECT s.product_id, d.name || '.' || p.name" \
	"  FROM dmesh.schedule s" \
	"  JOIN dmesh.data_product p ON p.product_id = s.product_id" \
	"  JOIN dmesh.domain d ON d.domain_id = p.domain_id" \
	" WHERE s.refresh_every IS NOT NULL AND p.status <> 'retired'" \
	"   AND p.materialize_query IS NOT NULL" \
	"   AND coalesce(s.next_refresh_at, '-infinity') <= now()" \
	" ORDER BY s.next_refresh_at NULLS FIRST"

/*
 * Run job for each product that due_sql finds, each in its own
 * transaction; a failure is recorded by on_failure in another.
 */
static void
run_due(const char *kind, const char *kinds, const char *due_sql,
		JobFn job_fn, JobFn on_failure, MemoryContext cxt)
{
	DueJobs		due = {due_sql, NIL, cxt};
	ListCell   *lc;

	(void) run_job(psprintf("find due %s", kinds), find_due, &due);
	foreach(lc, due.jobs)
	{
		ProductJob   *job = lfirst(lc);
		JobError   *error = run_job(psprintf("%s of %s", kind, job->product), job_fn, job);

		if (error != NULL)
		{
			FailedJob	f = {job->product_id, error};

			(void) run_job(psprintf("record a failed %s", kind), on_failure, &f);
		}
	}
}

static void
refresh_job(void *arg)
{
	ProductJob   *job = arg;
	DmeshArgs	args;

	dmesh_args_init(&args);
	dmesh_arg_text(&args, job->product);
	dmesh_arg_int8(&args, job->product_id);
	(void) dmesh_spi_exec("SELECT dmesh.refresh_product($1)", &args, SPI_OK_SELECT);
	(void) dmesh_spi_exec("SELECT dmesh._incident($2, 'refresh_failed', false)", &args, SPI_OK_SELECT);
	(void) dmesh_spi_exec("UPDATE dmesh.schedule SET failures = 0, last_error = NULL,"
						  "       next_refresh_at = now() + refresh_every"
						  " WHERE product_id = $2", &args, SPI_OK_UPDATE);
}

/*
 * A refresh that failed (an error, not failed rules): incident, backoff.
 * A lock held too long by another session: tried again at the next round.
 */
static void
record_refresh_failure(void *arg)
{
	FailedJob  *f = arg;
	DmeshArgs	args;

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, f->product_id);
	dmesh_arg_text(&args, f->error->summary);
	dmesh_arg_int4(&args, dmesh_naptime);
	if (f->error->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE)
	{
		(void) dmesh_spi_exec("UPDATE dmesh.schedule SET last_error = $2, last_error_at = now(),"
							  "       next_refresh_at = now() + make_interval(secs => $3)"
							  " WHERE product_id = $1", &args, SPI_OK_UPDATE);
		return;
	}
	(void) dmesh_spi_exec("SELECT dmesh._incident($1, 'refresh_failed', true,"
						  "                       jsonb_build_object('error', $2::text))",
						  &args, SPI_OK_SELECT);
	(void) dmesh_spi_exec("UPDATE dmesh.schedule SET failures = failures + 1, last_error = $2,"
						  "       last_error_at = now(),"
						  "       next_refresh_at = now() + least(refresh_every * power(2, least(failures, 10))::int,"
						  "                                       interval '1 hour')"
						  " WHERE product_id = $1", &args, SPI_OK_UPDATE);
}

/* Peers due for a sync; each job's arg is the peer's name. */
typedef struct DuePeers
{
	List	   *names;
	MemoryContext cxt;
} DuePeers;

static void
find_due_peers(void *arg)
{
	DuePeers   *due = arg;
	DmeshArgs	args;

	dmesh_args_init(&args);
	dmesh_arg_int4(&args, dmesh_peer_sync_interval);
	(void) dmesh_spi_exec("SELECT name FROM dmesh.peer"
						  " WHERE coalesce(greatest(last_sync_at, last_error_at), '-infinity')"
						  "       <= now() - make_interval(secs => $1)"
						  " ORDER BY greatest(last_sync_at, last_error_at) NULLS FIRST, peer_id",
						  &args, SPI_OK_SELECT);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(due->cxt);

		due->names = lappend(due->names, pstrdup(dmesh_spi_text(i, 1)));
		MemoryContextSwitchTo(old);
	}
}

/*
 * Sync one peer, cancelled after dmesh.peer_sync_timeout (the worker has
 * no statement timeout of its own: it is armed here, and always disarmed).
 */
static void
sync_peer_job(void *arg)
{
	DmeshArgs	args;

	dmesh_args_init(&args);
	dmesh_arg_text(&args, (const char *) arg);
	if (dmesh_peer_sync_timeout > 0)
		enable_timeout_after(STATEMENT_TIMEOUT, dmesh_peer_sync_timeout);
	PG_TRY();
	{
		(void) dmesh_spi_exec("SELECT * FROM dmesh.sync_peer($1)", &args, SPI_OK_SELECT);
	}
	PG_FINALLY();
	{
		disable_timeout(STATEMENT_TIMEOUT, false);
	}
	PG_END_TRY();
}

typedef struct FailedSync
{
	const char *name;
	const JobError *error;
} FailedSync;

/* A sync that failed outside dmesh.sync_peer's own recording. */
static void
record_sync_failure(void *arg)
{
	FailedSync *f = arg;
	DmeshArgs	args;

	dmesh_args_init(&args);
	dmesh_arg_text(&args, f->name);
	dmesh_arg_text(&args, f->error->summary);
	(void) dmesh_spi_exec("UPDATE dmesh.peer SET last_error = $2, last_error_at = now()"
						  " WHERE name = $1", &args, SPI_OK_UPDATE);
}

static void
sync_peers(MemoryContext cxt)
{
	DuePeers	due = {NIL, cxt};
	ListCell   *lc;

	(void) run_job("find peers due", find_due_peers, &due);
	foreach(lc, due.names)
	{
		char	   *name = lfirst(lc);
		JobError   *error;

		CHECK_FOR_INTERRUPTS();
		error = run_job(psprintf("sync of peer %s", name), sync_peer_job, name);
		if (error != NULL)
		{
			FailedSync	f = {name, error};

			(void) run_job("record a failed sync", record_sync_failure, &f);
		}
	}
}

typedef struct NextDue
{
	long		ms;
} NextDue;

static void
next_due(void *arg)
{
	NextDue    *next = arg;

	next->ms = -1;
	/* NULL (sleep dmesh.naptime) when nothing is scheduled */
	(void) dmesh_spi_exec("SELECT greatest(0, ceil(extract(epoch FROM d.next - clock_timestamp()) * 1000))::int8"
						  "  FROM (SELECT least(min(s.next_check_at) FILTER (WHERE s.check_every IS NOT NULL),"
						  "                     min(s.next_refresh_at) FILTER (WHERE s.refresh_every IS NOT NULL"
						  "                                                      AND p.materialize_query IS NOT NULL))"
						  "               AS next"
						  "          FROM dmesh.schedule s JOIN dmesh.data_product p USING (product_id)"
						  "         WHERE p.status <> 'retired') d"
						  " WHERE d.next IS NOT NULL",
						  NULL, SPI_OK_SELECT);
	if (SPI_processed == 1)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			next->ms = (long) DatumGetInt64(d);
	}
}

/*
 * One round; returns the milliseconds until the next due job, or -1.
 * The watchers run at most once per dmesh.naptime, however often a due
 * job wakes the worker: an incident's occurrences count watches.
 */
long
dmesh_jobs_round(void)
{
	static TimestampTz last_watch = 0;
	MemoryContext round = AllocSetContextCreate(TopMemoryContext, "dmesh worker round",
												ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(round);
	NextDue		next = {-1};
	TimestampTz now = GetCurrentTimestamp();

	if (dmesh_usage_available)
		(void) run_job("flush usage", sql_job, "SELECT dmesh.flush_usage()");

	run_due("refresh", "refreshes", DUE_REFRESHES, refresh_job, record_refresh_failure, round);
	(void) run_job("drop replaced data", sql_job, "SELECT dmesh._refresh_cleanup()");

	run_due("check", "checks", DUE_CHECKS, check_job, record_failure, round);

	if (last_watch == 0 || TimestampDifferenceExceeds(last_watch, now, 1000 * dmesh_naptime - 100))
	{
		last_watch = now;
		(void) run_job("watch freshness", sql_job, "SELECT dmesh._watch_freshness()");
		(void) run_job("watch contracts", sql_job, "SELECT dmesh._watch_contracts()");
		(void) run_job("check subscriptions", subscriptions_job, NULL);
	}
	if (dmesh_peer_sync_interval > 0)
		sync_peers(round);
	(void) run_job("find the next due job", next_due, &next);

	MemoryContextSwitchTo(old);
	MemoryContextDelete(round);
	return next.ms;
}
