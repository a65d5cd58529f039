/*-------------------------------------------------------------------------
 *
 * worker.h
 *		The background workers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DMESH_WORKER_H
#define DMESH_WORKER_H

#include "dmesh.h"

/* ---------- worker_main.c, worker_jobs.c ---------- */

extern void dmesh_worker_init(void);
extern long dmesh_jobs_round(void);

#endif							/* DMESH_WORKER_H */
