/*-------------------------------------------------------------------------
 *
 * worker_main.c
 *		The background workers that keep products watched without an
 *		outside scheduler: a launcher, and one worker per database.
 *
 * With shared_preload_libraries = 'dmesh', the postmaster starts the
 * launcher ("dmesh launcher"; restarted 5 s after it dies).  The launcher
 * reads dmesh.database (a comma-separated list of databases, default
 * "postgres") and keeps one worker ("dmesh worker") running per database,
 * at most dmesh.max_workers at a time, while dmesh.worker_enabled is on.
 * On SIGHUP it reads the settings again: workers of databases removed from
 * the list (or all of them, when disabled) are stopped, new ones started.
 * A worker that stops (an error it could not survive, kill -9 followed by
 * the postmaster's restart of everything) is started again at the
 * launcher's next round.
 *
 * A worker connects to its database; if dmesh is not installed there it
 * says so once and waits for it.  It then takes a session advisory lock
 * (key 0x646d6577, the database's oid) so that a database never has two
 * workers, even one left by a launcher that died.  Then it
 * runs rounds of jobs (worker_jobs.c) and sleeps on its latch until the next job
 * is due, at most dmesh.naptime, waking early for SIGHUP or SIGTERM.  An
 * error in a job is recorded with that job and does not stop the worker.
 * Workers show in pg_stat_activity with backend_type and application_name
 * "dmesh worker" (the launcher: "dmesh launcher").
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"

#include "dmesh.h"
#include "worker.h"

PGDLLEXPORT void dmesh_launcher_main(Datum arg);
PGDLLEXPORT void dmesh_worker_main(Datum arg);


#define MAX_WORKER_DATABASES 64

typedef struct LaunchedWorker
{
	char		dbname[NAMEDATALEN];
	BackgroundWorkerHandle *handle;
	int			attempts;		/* starts so far: later ones are quiet */
	TimestampTz retry_at;		/* a stopped worker is started again then */
} LaunchedWorker;

static LaunchedWorker launched[MAX_WORKER_DATABASES];
static int	nlaunched = 0;

/* Called from _PG_init while shared_preload_libraries are loaded. */
void
dmesh_worker_init(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 5;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "dmesh");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "dmesh_launcher_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "dmesh launcher");
	snprintf(worker.bgw_type, BGW_MAXLEN, "dmesh launcher");
	RegisterBackgroundWorker(&worker);
}

/* ----------------------------------------------------------------
 * Launcher
 * ----------------------------------------------------------------
 */

static bool
start_worker(LaunchedWorker *lw)
{
	BackgroundWorker worker;
	MemoryContext old;
	bool		registered;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "dmesh");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "dmesh_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "dmesh worker for database %s", lw->dbname);
	snprintf(worker.bgw_type, BGW_MAXLEN, "dmesh worker");
	/* the database, and whether this is a retry (say less) */
	snprintf(worker.bgw_extra, BGW_EXTRALEN, "%s", lw->dbname);
	worker.bgw_main_arg = Int32GetDatum(lw->attempts);
	worker.bgw_notify_pid = MyProcPid;
	lw->attempts++;
	/* the handle lives as long as the launcher, not its round */
	old = MemoryContextSwitchTo(TopMemoryContext);
	registered = RegisterDynamicBackgroundWorker(&worker, &lw->handle);
	MemoryContextSwitchTo(old);
	if (!registered)
	{
		lw->handle = NULL;
		return false;
	}
	return true;
}

static void
stop_worker(LaunchedWorker *lw)
{
	if (lw->handle != NULL)
	{
		TerminateBackgroundWorker(lw->handle);
		pfree(lw->handle);
	}
	lw->handle = NULL;
}

static bool
worker_running(LaunchedWorker *lw)
{
	pid_t		pid;

	return lw->handle != NULL && GetBackgroundWorkerPid(lw->handle, &pid) != BGWH_STOPPED;
}

/* Bring the running workers in line with the settings. */
static void
launcher_round(void)
{
	char	   *raw = pstrdup(dmesh_databases ? dmesh_databases : "");
	List	   *names = NIL;
	bool		keep[MAX_WORKER_DATABASES];
	int			running = 0;
	TimestampTz now = GetCurrentTimestamp();
	ListCell   *lc;

	if (!SplitIdentifierString(raw, ',', &names))
	{
		ereport(LOG, (errmsg("dmesh.database is not a valid list of database names: \"%s\"",
							 dmesh_databases)));
		names = NIL;
	}
	if (!dmesh_worker_enabled)
		names = NIL;

	/* stop workers of databases no longer wanted */
	memset(keep, 0, sizeof(keep));
	foreach(lc, names)
		for (int i = 0; i < nlaunched; i++)
			if (strcmp(launched[i].dbname, lfirst(lc)) == 0)
				keep[i] = true;
	for (int i = 0; i < nlaunched; i++)
		if (!keep[i])
		{
			stop_worker(&launched[i]);
			launched[i] = launched[--nlaunched];
			keep[i] = keep[nlaunched];
			i--;
		}

	/* add the new ones */
	foreach(lc, names)
	{
		bool		known = false;

		for (int i = 0; i < nlaunched; i++)
			known |= strcmp(launched[i].dbname, lfirst(lc)) == 0;
		if (!known && nlaunched < MAX_WORKER_DATABASES)
		{
			memset(&launched[nlaunched], 0, sizeof(LaunchedWorker));
			strlcpy(launched[nlaunched].dbname, lfirst(lc), NAMEDATALEN);
			nlaunched++;
		}
	}

	/* start what is not running, up to dmesh.max_workers */
	for (int i = 0; i < nlaunched; i++)
		if (worker_running(&launched[i]))
			running++;
	for (int i = 0; i < nlaunched && running < dmesh_max_workers; i++)
	{
		LaunchedWorker *lw = &launched[i];

		if (worker_running(lw))
			continue;
		if (lw->handle != NULL)
		{
			/* it stopped: try again later, later each time (at most 5 minutes) */
			pfree(lw->handle);
			lw->handle = NULL;
			lw->retry_at = TimestampTzPlusMilliseconds(now, 1000L * Min(5 << Min(lw->attempts, 6), 300));
		}
		if (lw->retry_at > now)
			continue;
		if (start_worker(lw))
			running++;
	}
}

void
dmesh_launcher_main(Datum arg)
{
	MemoryContext round;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();
	/* no database: shared catalogs only, and a line in pg_stat_activity */
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	round = AllocSetContextCreate(TopMemoryContext, "dmesh launcher round", ALLOCSET_DEFAULT_SIZES);

	while (!ShutdownRequestPending)
	{
		MemoryContext old;

		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		/* what a round allocates (the parsed list) goes with it */
		old = MemoryContextSwitchTo(round);
		launcher_round();
		MemoryContextSwitchTo(old);
		MemoryContextReset(round);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 1000L * Min(dmesh_naptime, 5), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	for (int i = 0; i < nlaunched; i++)
		stop_worker(&launched[i]);
	proc_exit(0);
}

/* ----------------------------------------------------------------
 * Database worker
 * ----------------------------------------------------------------
 */

/* Is dmesh installed here (and at this library's version)? */
static bool
dmesh_installed(void)
{
	bool		installed;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	installed = OidIsValid(get_extension_oid("dmesh", true));
	CommitTransactionCommand();
	return installed;
}

void
dmesh_worker_main(Datum arg)
{
	int			attempt = DatumGetInt32(arg);
	char		dbname[NAMEDATALEN];

	strlcpy(dbname, MyBgworkerEntry->bgw_extra, NAMEDATALEN);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(dbname, NULL, 0);
	SetConfigOption("application_name", "dmesh worker", PGC_USERSET, PGC_S_SESSION);
	pgstat_report_appname("dmesh worker");

	/* Without dmesh here, wait for it, having said so once. */
	if (!dmesh_installed())
	{
		ereport(LOG,
				(errmsg("dmesh worker: database \"%s\" has no dmesh extension; waiting for it", dbname),
				 errhint("Run CREATE EXTENSION dmesh there, or remove it from dmesh.database.")));
		while (!dmesh_installed())
		{
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 1000L * dmesh_naptime, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
			if (ConfigReloadPending)
			{
				ConfigReloadPending = false;
				ProcessConfigFile(PGC_SIGHUP);
			}
		}
	}
	/*
	 * One worker per database, even if a launcher that died left one
	 * behind: a session-level advisory lock says which.
	 */
	{
		bool		mine;

		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		mine = DatumGetBool(DirectFunctionCall2(pg_try_advisory_lock_int4,
												Int32GetDatum(0x646d6577),	/* "dmew" */
												Int32GetDatum((int32) MyDatabaseId)));
		CommitTransactionCommand();
		if (!mine)
		{
			ereport(DEBUG1,
					(errmsg("dmesh worker: another worker serves database \"%s\"", dbname)));
			proc_exit(0);
		}
	}
	ereport(attempt == 0 ? LOG : DEBUG1,
			(errmsg("dmesh worker started for database \"%s\"", dbname)));

	for (;;)
	{
		long		sleep_ms = 1000L * dmesh_naptime;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		if (dmesh_worker_enabled)
		{
			long		next = dmesh_jobs_round();

			if (next >= 0 && next < sleep_ms)
				sleep_ms = next;
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Max(sleep_ms, 10), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
