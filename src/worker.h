/*-------------------------------------------------------------------------
 *
 * worker.h
 *		The background workers, and what they keep up: materialized
 *		products, schedules, health.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DMESH_WORKER_H
#define DMESH_WORKER_H

#include "dmesh.h"

/* ---------- worker_main.c, worker_jobs.c ---------- */

extern void dmesh_worker_init(void);
extern long dmesh_jobs_round(void);

/* ---------- worker_refresh.c: materialized products ---------- */

extern Oid	dmesh_materialize(const char *schema, const char *product, const char *query,
							  Oid owner);

#endif							/* DMESH_WORKER_H */
