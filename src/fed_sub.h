/*-------------------------------------------------------------------------
 *
 * fed_sub.h
 *		Subscriptions to peers' data products (issue 18): what the
 *		background worker calls.  The SQL side is sql/src/subscription.sql.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DMESH_FED_SUB_H
#define DMESH_FED_SUB_H

extern void dmesh_fed_sub_check(void);
extern char *dmesh_fed_sub_source(Oid relid);

#endif							/* DMESH_FED_SUB_H */
