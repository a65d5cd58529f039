/*-------------------------------------------------------------------------
 *
 * core_guc.c
 *		Every setting of dmesh, defined in one place (README: Settings).
 *
 * Settings that size shared memory or register background workers exist
 * only when dmesh is in shared_preload_libraries; the others exist in
 * every session that loads the library.  The variables live here too; the
 * modules read them through dmesh.h.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "miscadmin.h"
#include "utils/guc.h"

#include "dmesh.h"

/*
 * True while dmesh itself runs DDL (in a privileged section): the DDL gate
 * lets it through, since dmesh checked it already.  Internal: users cannot
 * set it, and (sub)transaction abort restores it with the section's GUC
 * nest level.
 */
bool		dmesh_internal_ddl = false;

/* Locks (core_lock.c) */
int			dmesh_lock_timeout = 5000;

/* Usage and runtime lineage (usage_hook.c, usage_shmem.c) */
bool		dmesh_track_usage = true;
int			dmesh_usage_max_entries = 10000;
int			dmesh_usage_max_entries_per_role = 1000;

/* Background workers (worker_main.c, worker_jobs.c) */
char	   *dmesh_databases = NULL;
bool		dmesh_worker_enabled = true;
int			dmesh_naptime = 10;
int			dmesh_max_workers = 4;

/* Federation: the worker's syncs of peers (worker_jobs.c, fed_sync.c) */
int			dmesh_peer_sync_interval = 60;
int			dmesh_peer_sync_timeout = 60000;

void
dmesh_define_gucs(void)
{
	DefineCustomBoolVariable("dmesh.internal_ddl",
							 "Whether dmesh itself is running DDL (set by dmesh only).",
							 NULL,
							 &dmesh_internal_ddl,
							 false,
							 PGC_INTERNAL,
							 GUC_NO_SHOW_ALL | GUC_NO_RESET_ALL | GUC_NOT_IN_SAMPLE |
							 GUC_DISALLOW_IN_FILE,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("dmesh.track_usage",
							 "Whether reads of data products and writes from other relations are counted.",
							 "Needs dmesh in shared_preload_libraries.",
							 &dmesh_track_usage,
							 true,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("dmesh.lock_timeout",
							"Longest wait of dmesh's own DDL, and of the background worker, for a lock.",
							"After it, the call fails with SQLSTATE 55P03 naming the sessions that hold the lock; the worker tries again at its next round. 0 waits as long as lock_timeout allows.",
							&dmesh_lock_timeout,
							5000, 0, INT_MAX,
							PGC_USERSET,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	if (process_shared_preload_libraries_in_progress)
	{
		/* a PGC_POSTMASTER setting can only be defined at preload */
		DefineCustomIntVariable("dmesh.usage_max_entries",
								"Size of the shared-memory table of usage and runtime-lineage counters.",
								"When it is full, counts for new (relation, role) pairs are dropped until the next flush.",
								&dmesh_usage_max_entries,
								10000, 100, 10000000,
								PGC_POSTMASTER,
								0,
								NULL, NULL, NULL);
		DefineCustomIntVariable("dmesh.usage_max_entries_per_role",
								"Most counters of writes between relations outside every data product that one role may hold in the usage table.",
								"Reads of published relations and writes that read or write a product's relations are not limited.",
								&dmesh_usage_max_entries_per_role,
								1000, 0, 10000000,
								PGC_SIGHUP,
								0,
								NULL, NULL, NULL);
		DefineCustomStringVariable("dmesh.database",
								   "Databases where a dmesh worker runs (comma-separated).",
								   "Databases without the dmesh extension are skipped.",
								   &dmesh_databases,
								   "postgres",
								   PGC_SIGHUP,
								   GUC_LIST_INPUT,
								   NULL, NULL, NULL);
		DefineCustomBoolVariable("dmesh.worker_enabled",
								 "Whether dmesh's background workers run jobs.",
								 NULL,
								 &dmesh_worker_enabled,
								 true,
								 PGC_SIGHUP,
								 0,
								 NULL, NULL, NULL);
		DefineCustomIntVariable("dmesh.naptime",
								"Longest sleep of a dmesh worker between rounds.",
								"A worker wakes earlier when a job is due.",
								&dmesh_naptime,
								10, 1, 3600,
								PGC_SIGHUP,
								GUC_UNIT_S,
								NULL, NULL, NULL);
		DefineCustomIntVariable("dmesh.max_workers",
								"Most dmesh database workers running at the same time.",
								"Each takes a slot of max_worker_processes.",
								&dmesh_max_workers,
								4, 1, 64,
								PGC_POSTMASTER,
								0,
								NULL, NULL, NULL);
		DefineCustomIntVariable("dmesh.peer_sync_interval",
								"How often a dmesh worker syncs each peer (dmesh.sync_peer).",
								"Counted from the peer's last sync or failed sync; the worker looks at most every dmesh.naptime. 0 turns the worker's syncs off.",
								&dmesh_peer_sync_interval,
								60, 0, 86400 * 7,
								PGC_SIGHUP,
								GUC_UNIT_S,
								NULL, NULL, NULL);
		DefineCustomIntVariable("dmesh.peer_sync_timeout",
								"Longest a dmesh worker's sync of one peer may take.",
								"After it the sync is cancelled and the peer marked unreachable. The connection itself is bounded by the foreign server's connect_timeout option. 0: no limit.",
								&dmesh_peer_sync_timeout,
								60000, 0, INT_MAX,
								PGC_SIGHUP,
								GUC_UNIT_MS,
								NULL, NULL, NULL);
	}

	/* No setting outside dmesh's own may use the dmesh. prefix. */
	MarkGUCPrefixReserved("dmesh");
}
