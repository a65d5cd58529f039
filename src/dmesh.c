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
#include "utils/guc.h"

#include "dmesh.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	/* No setting outside dmesh's own may use the dmesh. prefix. */
	MarkGUCPrefixReserved("dmesh");
}
