/*-------------------------------------------------------------------------
 *
 * fed_peer.c
 *		Peers: add_peer, drop_peer; and set_mesh_visibility, what this
 *		database shows its peers.
 *
 * A peer is another dmesh database reached through a postgres_fdw foreign
 * server.  dmesh keeps the server's name (dmesh.peer) and one foreign
 * table, dmesh._peer_export_<peer_id>, reading the peer's dmesh.mesh_export;
 * host, port, user and password stay in the server and its user mappings.
 *
 * Who may add a peer: superusers, and roles with USAGE on the foreign
 * server and CREATE on the database (the rights to create that foreign
 * table themselves).  The foreign table belongs to the extension owner and
 * only the adding role may SELECT it: dmesh.sync_peer reads it as that
 * role, so postgres_fdw connects with that role's user mapping (a password
 * is required unless a superuser waived it), never with the extension
 * owner's.  Who may drop or sync a peer: superusers and roles with the
 * privileges of the role that added it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "commands/dbcommands.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"

#include "dmesh.h"
#include "fed.h"

PG_FUNCTION_INFO_V1(dmesh_add_peer);
PG_FUNCTION_INFO_V1(dmesh_drop_peer);
PG_FUNCTION_INFO_V1(dmesh_set_mesh_visibility);

/* The columns of dmesh.mesh_export, as the foreign table declares them. */
#define EXPORT_COLUMNS \
	"domain text, product text, object text, major integer, version text," \
	" status text, owner text, description text, tags text[], columns jsonb," \
	" contract_id text, contract_status text, quality_score numeric," \
	" health_status text, open_incidents bigint, published_at timestamptz," \
	" changed_at timestamptz"

/* Name (unqualified, in dmesh's schema) of a peer's foreign table. */
char *
dmesh_peer_export_table(int64 peer_id)
{
	return psprintf("_peer_export_" INT64_FORMAT, peer_id);
}

/*
 * Read a peer's row; inside a privileged section, SPI connected.
 */
bool
dmesh_load_peer(const char *name, bool for_update, DmeshPeer *peer)
{
	DmeshArgs	args;

	dmesh_args_init(&args);
	dmesh_arg_text(&args, name);
	if (dmesh_spi_exec(for_update
					   ? "SELECT peer_id, name, server_name::text, added_by FROM dmesh.peer"
					   "  WHERE name = $1 FOR UPDATE"
					   : "SELECT peer_id, name, server_name::text, added_by FROM dmesh.peer"
					   "  WHERE name = $1",
					   &args, SPI_OK_SELECT) == 0)
		return false;
	peer->id = dmesh_spi_int8(0, 1);
	peer->name = dmesh_spi_text(0, 2);
	peer->server = dmesh_spi_text(0, 3);
	peer->added_by = dmesh_spi_text(0, 4);
	return true;
}

void
dmesh_require_peer(const char *name, bool for_update, DmeshPeer *peer)
{
	if (!dmesh_load_peer(name, for_update, peer))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("peer \"%s\" does not exist", name),
				 errhint("dmesh.peer lists the peers; dmesh.add_peer adds one.")));
}

/* The role that added the peer, or InvalidOid if it was dropped. */
Oid
dmesh_peer_role(const DmeshPeer *peer)
{
	return get_role_oid(peer->added_by, true);
}

void
dmesh_require_peer_manager(Oid caller, const DmeshPeer *peer, const char *action)
{
	Oid			role = dmesh_peer_role(peer);

	if (superuser_arg(caller) || (OidIsValid(role) && has_privs_of_role(caller, role)))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied for peer \"%s\"", peer->name),
			 errdetail("Only superusers and roles with the privileges of role \"%s\", which added the peer, can %s it.",
					   peer->added_by, action)));
}

/* Peer names: as domain names, and no colon (peer:domain.product). */
static void
check_peer_name(const char *name)
{
	dmesh_check_name(name, "peer");
	if (strchr(name, ':') != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("peer name \"%s\" must not contain a colon", name),
				 errdetail("A peer's products are referred to as 'peer:domain.product'.")));
}

/*
 * The foreign server, which must exist and be postgres_fdw's; and the
 * caller must be allowed to use it.
 */
static ForeignServer *
require_server(const char *servername, Oid caller)
{
	ForeignServer *server = GetForeignServerByName(servername, true);
	ForeignDataWrapper *fdw;

	if (server == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("server \"%s\" does not exist", servername),
				 errhint("Create it with CREATE SERVER ... FOREIGN DATA WRAPPER postgres_fdw, and a user mapping for it.")));
	fdw = GetForeignDataWrapper(server->fdwid);
	if (strcmp(fdw->fdwname, "postgres_fdw") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("server \"%s\" is not a postgres_fdw server", servername),
				 errdetail("Its foreign-data wrapper is \"%s\".", fdw->fdwname),
				 errhint("A peer is another PostgreSQL database with dmesh, reached through postgres_fdw.")));
	if (!superuser_arg(caller))
	{
		if (pg_foreign_server_aclcheck(server->serverid, caller, ACL_USAGE) != ACLCHECK_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied for foreign server \"%s\"", servername),
					 errdetail("Adding a peer needs USAGE on its foreign server and CREATE on this database.")));
		if (pg_database_aclcheck(MyDatabaseId, caller, ACL_CREATE) != ACLCHECK_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied for database \"%s\"", get_database_name(MyDatabaseId)),
					 errdetail("Adding a peer needs USAGE on its foreign server and CREATE on this database.")));
	}
	return server;
}

Datum
dmesh_add_peer(PG_FUNCTION_ARGS)
{
	char	   *name = dmesh_text_arg(fcinfo, 0, "peer name");
	char	   *servername;
	Oid			caller = GetUserId();
	ForeignServer *server;
	DmeshSection section;
	DmeshArgs	args;
	DmeshPeer	existing;
	DmeshJson	details;
	int64		peer_id;
	char	   *table;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("server must not be null")));
	servername = pstrdup(NameStr(*PG_GETARG_NAME(1)));
	check_peer_name(name);
	server = require_server(servername, caller);

	SPI_connect();
	dmesh_enter_privileged(&section);
	/* concurrent adds of one name: the second waits, then fails */
	(void) dmesh_spi_exec("LOCK TABLE dmesh.peer IN SHARE ROW EXCLUSIVE MODE", NULL, SPI_OK_UTILITY);
	if (dmesh_load_peer(name, false, &existing))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("peer \"%s\" already exists", name),
				 errdetail("It is reached through server \"%s\".", existing.server),
				 errhint("Drop it first with dmesh.drop_peer, or choose another name.")));

	dmesh_args_init(&args);
	dmesh_arg_text(&args, name);
	dmesh_arg_text(&args, server->servername);
	dmesh_arg_text(&args, dmesh_role_name(caller));
	(void) dmesh_spi_exec("INSERT INTO dmesh.peer (name, server_name, added_by)"
						  " VALUES ($1, $2, $3) RETURNING peer_id", &args, SPI_OK_INSERT_RETURNING);
	peer_id = dmesh_spi_int8(0, 1);

	table = quote_qualified_identifier("dmesh", dmesh_peer_export_table(peer_id));
	dmesh_spi_utility(psprintf("CREATE FOREIGN TABLE %s (" EXPORT_COLUMNS ")"
							   " SERVER %s OPTIONS (schema_name 'dmesh', table_name 'mesh_export')",
							   table, quote_identifier(server->servername)));
	dmesh_spi_utility(psprintf("REVOKE ALL ON %s FROM PUBLIC", table));
	dmesh_spi_utility(psprintf("GRANT SELECT ON %s TO %s", table,
							   quote_identifier(dmesh_role_name(caller))));
	dmesh_spi_utility(psprintf("COMMENT ON FOREIGN TABLE %s IS %s", table,
							   quote_literal_cstr(psprintf("dmesh.mesh_export of peer %s, read by dmesh.sync_peer.",
														   name))));

	dmesh_json_init(&details);
	dmesh_json_str(&details, "server", server->servername);
	dmesh_log_event(caller, "add_peer", "peer", name, 0, 0, dmesh_json_finish(&details));
	dmesh_leave(&section);
	SPI_finish();
	PG_RETURN_INT64(peer_id);
}

Datum
dmesh_drop_peer(PG_FUNCTION_ARGS)
{
	char	   *name = dmesh_text_arg(fcinfo, 0, "peer name");
	Oid			caller = GetUserId();
	DmeshSection section;
	DmeshArgs	args;
	DmeshPeer	peer;
	DmeshJson	details;

	SPI_connect();
	dmesh_enter_privileged(&section);
	dmesh_require_peer(name, true, &peer);
	dmesh_require_peer_manager(caller, &peer, "drop");

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, peer.id);
	/* subscriptions to its products keep it (their relations are local) */
	dmesh_spi_exec("SELECT count(*) FROM dmesh.subscription WHERE peer_id = $1",
				   &args, SPI_OK_SELECT);
	if (dmesh_spi_int8(0, 1) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("cannot drop peer \"%s\": %lld %s its products",
						peer.name, (long long) dmesh_spi_int8(0, 1),
						dmesh_spi_int8(0, 1) == 1 ? "subscription reads" : "subscriptions read"),
				 errhint("Unsubscribe first (dmesh.subscribed_products lists them).")));
	/* the copy goes with the peer (ON DELETE CASCADE) */
	(void) dmesh_spi_exec("DELETE FROM dmesh.peer WHERE peer_id = $1", &args, SPI_OK_DELETE);
	dmesh_spi_utility(psprintf("DROP FOREIGN TABLE IF EXISTS %s",
							   quote_qualified_identifier("dmesh", dmesh_peer_export_table(peer.id))));

	dmesh_json_init(&details);
	dmesh_json_str(&details, "server", peer.server);
	dmesh_log_event(caller, "drop_peer", "peer", peer.name, 0, 0, dmesh_json_finish(&details));
	dmesh_leave(&section);
	SPI_finish();
	PG_RETURN_VOID();
}

Datum
dmesh_set_mesh_visibility(PG_FUNCTION_ARGS)
{
	char	   *ref = dmesh_text_arg(fcinfo, 0, "product");
	Oid			caller = GetUserId();
	bool		visible;
	DmeshSection section;
	DmeshProduct product;
	DmeshArgs	args;
	DmeshJson	details;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("visible must not be null")));
	visible = PG_GETARG_BOOL(1);

	dmesh_begin_product_call(ref, caller, "change the mesh visibility of", &section, &product);
	dmesh_refuse_retired(&product, "change the mesh visibility of");
	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product.id);
	dmesh_arg_datum(&args, BOOLOID, BoolGetDatum(visible), false);
	dmesh_arg_text(&args, dmesh_role_name(caller));
	(void) dmesh_spi_exec("INSERT INTO dmesh.mesh_visibility AS v (product_id, visible, set_by)"
						  " VALUES ($1, $2, $3)"
						  " ON CONFLICT (product_id) DO UPDATE"
						  "   SET visible = $2, set_by = $3, set_at = now()",
						  &args, SPI_OK_INSERT);
	dmesh_json_init(&details);
	dmesh_json_bool(&details, "visible", visible);
	dmesh_log_event(caller, "set_mesh_visibility", "data_product", dmesh_product_display(&product),
					product.domain.id, product.id, dmesh_json_finish(&details));
	dmesh_end_call(&section);
	PG_RETURN_VOID();
}
