/*-------------------------------------------------------------------------
 *
 * product.h
 *		Data products: sources and publication (output ports).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DMESH_PRODUCT_H
#define DMESH_PRODUCT_H

#include "contract.h"

/* ---------- product_source.c ---------- */

extern DmeshSource dmesh_resolve_source(const char *source);
extern DmeshSource dmesh_resolve_physical_name(const char *object, const char *physical_name);
extern void dmesh_check_source_readable(const DmeshSource *source, Oid owner,
										const char *product_display);
extern char *dmesh_source_describe(const DmeshSource *source);
extern void dmesh_check_stored_query(const char *query, Oid owner);
extern TupleDesc dmesh_source_tupdesc(const DmeshProduct *product);

/* ---------- product_publish.c ---------- */

extern Oid	dmesh_publish_port(const DmeshProduct *product, const DmeshContract *contract,
							   bool *replaced);
extern Oid	dmesh_publish_ports(const DmeshProduct *product, const DmeshContract *contract,
								bool *replaced, StringInfo relations);
extern void dmesh_set_port_comment(const DmeshProduct *product, int major, const char *version,
								   const char *note);
extern int	dmesh_drop_ports(const DmeshProduct *product, int major, bool cascade,
							 StringInfo dropped, StringInfo dependents);
extern char *dmesh_check_no_dependents(const DmeshProduct *product, Oid relid,
									   const char *action, bool cascade);
extern void dmesh_apply_grant(const DmeshProduct *product, Oid consumer, bool grant);
extern void dmesh_rewrite_ports(const DmeshProduct *product);
extern List *dmesh_live_majors(const DmeshProduct *product);

/* A live published relation of a product. */
typedef struct DmeshPort
{
	int			major;
	char	   *object;			/* NULL for a product with one source */
	char	   *relname;
	Oid			relid;			/* InvalidOid if the relation is gone */
} DmeshPort;

extern List *dmesh_live_port_list(const DmeshProduct *product);
extern bool dmesh_port_object(const DmeshProduct *product, const DmeshContract *contract,
							  const char *object, DmeshProduct *pview, DmeshContract **cview);

#endif							/* DMESH_PRODUCT_H */
