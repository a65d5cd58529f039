/*-------------------------------------------------------------------------
 *
 * dmesh.c
 *		Module entry point.
 *
 * The core (catalogs, lifecycle, access, discovery) needs nothing at load
 * time, so the library works whether or not it is listed in
 * shared_preload_libraries.  Parts that need the preload (shared memory,
 * background workers) register themselves here, guarded by
 * process_shared_preload_libraries_in_progress.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "dmesh.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * True while dmesh itself runs DDL (in a privileged section): the DDL gate
 * lets it through, since dmesh checked it already.  Internal: users cannot
 * set it, and (sub)transaction abort restores it with the section's GUC
 * nest level.
 */
bool		dmesh_internal_ddl = false;

void
_PG_init(void)
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
		dmesh_usage_shmem_init();
		dmesh_usage_hooks_init();
		dmesh_worker_init();
	}

	/* No setting outside dmesh's own may use the dmesh. prefix. */
	MarkGUCPrefixReserved("dmesh");
}
