/*-------------------------------------------------------------------------
 *
 * fed.h
 *		Federation: other dmesh databases (peers) reached through
 *		postgres_fdw foreign servers, and the copy of their products.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DMESH_FED_H
#define DMESH_FED_H

#include "dmesh.h"

/* A peer as dmesh.peer holds it. */
typedef struct DmeshPeer
{
	int64		id;
	char	   *name;
	char	   *server;
	char	   *added_by;
} DmeshPeer;

/* ---------- fed_peer.c: add_peer, drop_peer, set_mesh_visibility ---------- */

extern bool dmesh_load_peer(const char *name, bool for_update, DmeshPeer *peer);
extern void dmesh_require_peer(const char *name, bool for_update, DmeshPeer *peer);
extern Oid	dmesh_peer_role(const DmeshPeer *peer);
extern void dmesh_require_peer_manager(Oid caller, const DmeshPeer *peer, const char *action);
extern char *dmesh_peer_export_table(int64 peer_id);

/* ---------- fed_sync.c: sync_peer ---------- */

#endif							/* DMESH_FED_H */
