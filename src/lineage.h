/*-------------------------------------------------------------------------
 *
 * lineage.h
 *		Lineage: column lineage read from query trees (design time).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DMESH_LINEAGE_H
#define DMESH_LINEAGE_H

#include "dmesh.h"

#include "nodes/parsenodes.h"

/* ---------- lineage_query.c ---------- */

typedef struct DmeshLineageEdge
{
	Oid			source;			/* relation read */
	AttrNumber	source_attnum;	/* its column, 0 for the relation as a whole */
	AttrNumber	target_attnum;	/* output column (from 1), 0 for the whole */
	bool		direct;
	const char *subtype;		/* OpenLineage transformation type; NULL for
								 * relation-level edges */
} DmeshLineageEdge;
extern List *dmesh_query_lineage(Query *query, Oid self);

#endif							/* DMESH_LINEAGE_H */
