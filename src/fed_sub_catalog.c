/*-------------------------------------------------------------------------
 *
 * fed_sub_catalog.c
 *		The privileged half of dmesh.subscribe and dmesh.unsubscribe
 *		(sql/src/subscription.sql): recording and forgetting subscriptions
 *		in dmesh.subscription, which only the extension owner may write.
 *		The caller is taken from GetUserId() here, before dmesh acts as
 *		the extension owner, so a role can record only a subscription
 *		whose foreign table it owns, and forget only its own.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "dmesh.h"
#include "fed_sub.h"

PG_FUNCTION_INFO_V1(dmesh_fed_sub_record);
PG_FUNCTION_INFO_V1(dmesh_fed_sub_forget);

/* The argument types of dmesh._sub_record, in order. */
static const Oid record_types[] = {
	INT8OID, TEXTOID, TEXTOID, INT8OID, INT4OID, TEXTOID, JSONBOID, JSONBOID,
	TEXTOID, TEXTOID, REGCLASSOID
};
#define RECORD_NARGS lengthof(record_types)

/*
 * dmesh._sub_record(peer_id, remote_domain, remote_product, remote_product_id,
 *                   major, contract_version, contract, columns,
 *                   remote_relation, mode, relation) returns bigint
 */
Datum
dmesh_fed_sub_record(PG_FUNCTION_ARGS)
{
	Oid			caller = GetUserId();
	Oid			relid;
	DmeshArgs	args;
	DmeshSection section;
	int64		id;

	for (int i = 0; i < RECORD_NARGS; i++)
		if (PG_ARGISNULL(i) && i != 5 && i != 6)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("only the contract and its version may be NULL")));
	relid = PG_GETARG_OID(10);

	SPI_connect();
	/* As the caller: the relation is its foreign table on the peer's server. */
	dmesh_args_init(&args);
	dmesh_arg_oid(&args, REGCLASSOID, relid);
	dmesh_arg_int8(&args, PG_GETARG_INT64(0));
	dmesh_arg_oid(&args, OIDOID, caller);
	if (dmesh_spi_exec("SELECT 1 FROM pg_catalog.pg_class c"
					   " JOIN pg_catalog.pg_foreign_table ft ON ft.ftrelid OPERATOR(pg_catalog.=) c.oid"
					   " JOIN pg_catalog.pg_foreign_server fs ON fs.oid OPERATOR(pg_catalog.=) ft.ftserver"
					   " JOIN dmesh.peer p ON p.server_name OPERATOR(pg_catalog.=) fs.srvname"
					   " WHERE c.oid OPERATOR(pg_catalog.=) $1 AND p.peer_id OPERATOR(pg_catalog.=) $2"
					   " AND c.relowner OPERATOR(pg_catalog.=) $3",
					   &args, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("relation \"%s\" is not a foreign table of the peer's server owned by the current role",
						get_rel_name(relid) ? get_rel_name(relid) : "?"),
				 errdetail("A subscription is recorded by dmesh.subscribe for the foreign table it creates.")));

	dmesh_args_init(&args);
	for (int i = 0; i < RECORD_NARGS; i++)
		dmesh_arg_datum(&args, record_types[i], PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i),
						PG_ARGISNULL(i));
	dmesh_arg_text(&args, GetUserNameFromId(caller, false));
	dmesh_enter_privileged(&section);
	(void) dmesh_spi_exec("SELECT dmesh._sub_insert($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
						  &args, SPI_OK_SELECT);
	id = dmesh_spi_int8(0, 1);
	dmesh_leave(&section);
	SPI_finish();
	PG_RETURN_INT64(id);
}

/* dmesh._sub_forget(subscription_id): the caller's own (or a role's it has the privileges of). */
Datum
dmesh_fed_sub_forget(PG_FUNCTION_ARGS)
{
	int64		id;
	DmeshArgs	args;
	DmeshSection section;
	char	   *owner;
	Oid			owner_oid;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("subscription_id must not be NULL")));
	id = PG_GETARG_INT64(0);
	SPI_connect();
	dmesh_args_init(&args);
	dmesh_arg_int8(&args, id);
	if (dmesh_spi_exec("SELECT created_by FROM dmesh.subscription WHERE subscription_id OPERATOR(pg_catalog.=) $1",
					   &args, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("subscription " INT64_FORMAT " does not exist", id)));
	owner = dmesh_spi_text(0, 1);
	owner_oid = get_role_oid(owner, true);
	if (!OidIsValid(owner_oid) || !has_privs_of_role(GetUserId(), owner_oid))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("the subscription is not one of the current role's"),
				 errdetail("Subscription " INT64_FORMAT " was made by role \"%s\".", id, owner)));
	dmesh_enter_privileged(&section);
	(void) dmesh_spi_exec("DELETE FROM dmesh.subscription WHERE subscription_id OPERATOR(pg_catalog.=) $1",
						  &args, SPI_OK_DELETE);
	dmesh_leave(&section);
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * The lineage name of the peer's product a subscription's foreign table
 * reads (peer:domain.product), or NULL when relid is no subscription's
 * relation.  Called by lineage_ddl.c when it records a foreign table's
 * lineage again (dmesh._record_lineage); at CREATE FOREIGN TABLE in
 * dmesh.subscribe the subscription is not recorded yet, and
 * dmesh._sub_insert renames the source.  During an update from a version
 * without subscriptions (0.5.0's script records every relation's lineage)
 * there is no catalog to ask.
 */
char *
dmesh_fed_sub_source(Oid relid)
{
	DmeshArgs	args;
	DmeshSection section;
	char	   *result = NULL;
	Oid			nsp = get_namespace_oid("dmesh", true);

	/* In the middle of an update from before 0.7.0 there is no catalog yet. */
	if (!OidIsValid(nsp) || !OidIsValid(get_relname_relid("subscription", nsp)))
		return NULL;
	SPI_connect();
	dmesh_enter_privileged(&section);
	dmesh_args_init(&args);
	dmesh_arg_oid(&args, REGCLASSOID, relid);
	if (dmesh_spi_exec("SELECT pg_catalog.format('%s:%s.%s', p.name, s.remote_domain, s.remote_product)"
					   " FROM dmesh.subscription s JOIN dmesh.peer p ON p.peer_id OPERATOR(pg_catalog.=) s.peer_id"
					   " WHERE s.relation OPERATOR(pg_catalog.=) $1",
					   &args, SPI_OK_SELECT) > 0)
	{
		char	   *name = dmesh_spi_text(0, 1);

		if (name != NULL)
		{
			result = SPI_palloc(strlen(name) + 1);
			strcpy(result, name);
		}
	}
	dmesh_leave(&section);
	SPI_finish();
	return result;
}
