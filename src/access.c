/*-------------------------------------------------------------------------
 *
 * access.c
 *		dmesh.grant_access() and dmesh.revoke_access().
 *
 * Access is denied by default: a published relation can be read by its
 * owner and by the roles (and their members) that hold a grant in
 * dmesh.access_grant.  A grant made on a draft takes effect when the
 * product is published; every later publication applies all grants.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "dmesh.h"

PG_FUNCTION_INFO_V1(dmesh_grant_access);
PG_FUNCTION_INFO_V1(dmesh_revoke_access);

static Oid
consumer_arg(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("consumer must not be null")));
	return PG_GETARG_OID(1);
}

static void
log_access_event(Oid caller, const char *action, const DmeshProduct *product, Oid consumer)
{
	DmeshJson	details;

	dmesh_json_init(&details);
	dmesh_json_str(&details, "consumer", dmesh_role_name(consumer));
	dmesh_log_event(caller, action, "access_grant", dmesh_product_display(product),
					product->domain.id, product->id, dmesh_json_finish(&details));
}

Datum
dmesh_grant_access(PG_FUNCTION_ARGS)
{
	char	   *ref = dmesh_text_arg(fcinfo, 0, "product");
	Oid			consumer = consumer_arg(fcinfo);
	Oid			caller = GetUserId();
	DmeshSection section;
	DmeshProduct product;
	DmeshArgs	args;
	int64		grant_id;

	dmesh_begin_product_call(ref, caller, "grant access to", &section, &product);
	if (strcmp(product.status, "retired") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot grant access to data product \"%s\" because it is retired",
						dmesh_product_display(&product))));

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product.id);
	dmesh_arg_oid(&args, REGROLEOID, consumer);
	if (dmesh_spi_exec("SELECT grant_id FROM dmesh.access_grant"
					   " WHERE product_id = $1 AND consumer = $2",
					   &args, SPI_OK_SELECT) > 0)
	{
		grant_id = dmesh_spi_int8(0, 1);
		ereport(NOTICE,
				(errmsg("role \"%s\" already has access to data product \"%s\", skipping",
						dmesh_role_name(consumer), dmesh_product_display(&product))));
	}
	else
	{
		dmesh_arg_text(&args, dmesh_role_name(caller));
		dmesh_spi_exec("INSERT INTO dmesh.access_grant (product_id, consumer, granted_by)"
					   " VALUES ($1, $2, $3) RETURNING grant_id",
					   &args, SPI_OK_INSERT_RETURNING);
		grant_id = dmesh_spi_int8(0, 1);
		dmesh_apply_grant(&product, consumer, true);
		log_access_event(caller, "grant_access", &product, consumer);
	}

	dmesh_end_call(&section);
	PG_RETURN_INT64(grant_id);
}

Datum
dmesh_revoke_access(PG_FUNCTION_ARGS)
{
	char	   *ref = dmesh_text_arg(fcinfo, 0, "product");
	Oid			consumer = consumer_arg(fcinfo);
	Oid			caller = GetUserId();
	DmeshSection section;
	DmeshProduct product;
	DmeshArgs	args;
	bool		revoked;

	dmesh_begin_product_call(ref, caller, "revoke access to", &section, &product);

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product.id);
	dmesh_arg_oid(&args, REGROLEOID, consumer);
	revoked = dmesh_spi_exec("DELETE FROM dmesh.access_grant"
							 " WHERE product_id = $1 AND consumer = $2",
							 &args, SPI_OK_DELETE) > 0;
	if (revoked)
	{
		dmesh_apply_grant(&product, consumer, false);
		log_access_event(caller, "revoke_access", &product, consumer);
	}
	else
		ereport(NOTICE,
				(errmsg("role \"%s\" has no access grant on data product \"%s\", skipping",
						dmesh_role_name(consumer), dmesh_product_display(&product))));

	dmesh_end_call(&section);
	PG_RETURN_BOOL(revoked);
}
