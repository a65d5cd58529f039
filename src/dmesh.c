/*-------------------------------------------------------------------------
 *
 * dmesh.c
 *		Module entry point.
 *
 * The core (catalogs, lifecycle, access, discovery) needs nothing at load
 * time but its settings (core_guc.c), so the library works whether or not
 * it is listed in shared_preload_libraries.  Parts that need the preload
 * (shared memory, the executor hooks, background workers) register
 * themselves here, guarded by process_shared_preload_libraries_in_progress.
 *
 * Where things are: files are named by family, one header per family.
 *   core_*     what everything uses (dmesh.h): catalogs, names, SPI,
 *              privileged sections, locks, trust, the event log, settings
 *   product_*  domains, products, sources, publication, lifecycle
 *              (product.h)
 *   contract_* ODCS documents: YAML, compiling, storing, diffs, conformance,
 *              the DDL gate (contract.h)
 *   quality_*  rules, the batch check and its scan, enforcement on write,
 *              quarantine (quality.h)
 *   gov_*      agreements, requests, masks, conditions, policies, the
 *              governed published views (gov.h)
 *   lineage_*  design-time lineage, column lineage of queries, audit
 *              (lineage.h)
 *   usage_*    the executor hook and shared-memory counters of usage and
 *              runtime lineage (usage.h)
 *   worker_*   background workers, materialized products, schedules,
 *              health (worker.h)
 *   fed_*      federation: peers (other dmesh databases through
 *              postgres_fdw), what this one shows them, the copy of their
 *              products and its sync (fed.h)
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"

#include "dmesh.h"
#include "usage.h"
#include "worker.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	dmesh_define_gucs();

	if (process_shared_preload_libraries_in_progress)
	{
		dmesh_usage_shmem_init();
		dmesh_usage_hooks_init();
		dmesh_worker_init();
	}
}
