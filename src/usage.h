/*-------------------------------------------------------------------------
 *
 * usage.h
 *		Usage and runtime lineage: the executor hook and the shared-memory
 *		counters.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DMESH_USAGE_H
#define DMESH_USAGE_H

#include "dmesh.h"

#include "nodes/pg_list.h"

/* ---------- usage_shmem.c, usage_hook.c ---------- */

#define DMESH_USAGE_READ			1	/* kinds: a read of a published relation */
#define DMESH_USAGE_INSERT			2	/* writes that read other relations */
#define DMESH_USAGE_UPDATE			3
#define DMESH_USAGE_DELETE			4
#define DMESH_USAGE_MERGE			5
#define DMESH_USAGE_CREATE_TABLE_AS	6
#define DMESH_USAGE_REFRESH			7
#define DMESH_USAGE_COLUMN_WORDS	4	/* columns 1 to 256 are told apart */

typedef struct DmeshUsageKey
{
	Oid			dbid;
	Oid			relid;			/* relation read (reads) or written (writes) */
	Oid			source;			/* writes: the relation read; reads: 0 */
	Oid			roleid;
	int32		kind;			/* DMESH_USAGE_* */
} DmeshUsageKey;

typedef struct DmeshUsageCounts
{
	int64		count;			/* queries or statements */
	int64		rows;			/* rows returned or written */
	TimestampTz first;
	TimestampTz last;
	uint64		columns[DMESH_USAGE_COLUMN_WORDS];	/* reads: columns referenced */
} DmeshUsageCounts;

extern bool dmesh_usage_available;
extern void dmesh_usage_shmem_init(void);
extern bool dmesh_usage_add(const DmeshUsageKey *key, const DmeshUsageCounts *counts,
							bool bounded);
extern void dmesh_usage_snapshot(Oid dbid, DmeshUsageKey **keys, DmeshUsageCounts **counts, int *n);
extern void dmesh_usage_subtract(const DmeshUsageKey *keys, const DmeshUsageCounts *counts, int n);
extern void dmesh_usage_status(int64 *entries, int64 *max_entries, int64 *dropped);
extern void dmesh_usage_hooks_init(void);
extern void dmesh_usage_resolve_target(Oid relid, int32 kind, List *sources);

#endif							/* DMESH_USAGE_H */
