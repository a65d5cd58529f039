/*-------------------------------------------------------------------------
 *
 * gov_access.c
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
#include "access/xact.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/timestamp.h"

#include "dmesh.h"
#include "contract.h"
#include "product.h"
#include "gov.h"

PG_FUNCTION_INFO_V1(dmesh_grant_access);
PG_FUNCTION_INFO_V1(dmesh_revoke_access);


static void
log_access_event(Oid caller, const char *action, const DmeshProduct *product, Oid consumer)
{
	DmeshJson	details;

	dmesh_json_init(&details);
	dmesh_json_str(&details, "consumer", dmesh_role_name(consumer));
	dmesh_log_event(caller, action, "access_grant", dmesh_product_display(product),
					product->domain.id, product->id, dmesh_json_finish(&details));
}

/*
 * Make or change the agreement of a consumer.  Runs in a product call
 * (privileged section, product locked).  The row filter is checked as
 * the role that wrote it.  Returns the grant_id.
 */
int64
dmesh_make_agreement(const DmeshProduct *product, Oid consumer, const char *filter,
					 Oid filter_author, const char *purpose, Datum expires_at, bool expires_null,
					 ArrayType *unmask, int64 request_id, Oid caller)
{
	DmeshContract *contract = dmesh_load_contract(product, NULL, -1);
	char	   *checked = dmesh_check_row_filter(product, contract, filter, filter_author);
	ListCell   *lc;
	DmeshArgs	args;
	DmeshJson	details;
	int64		grant_id;
	bool		existed;

	if (strcmp(product->status, "retired") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot grant access to data product \"%s\" because it is retired",
						dmesh_product_display(product))));
	/* Every live major version's relation applies the filter. */
	foreach(lc, dmesh_live_majors(product))
	{
		DmeshContract *c = dmesh_load_contract(product, NULL, lfirst_int(lc));

		if (c != NULL && filter != NULL && c->major != contract->major)
			(void) dmesh_check_row_filter(product, c, filter, filter_author);
	}
	if (!expires_null && DatumGetTimestampTz(expires_at) <= GetCurrentTransactionStartTimestamp())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expires_at must be in the future")));
	if (unmask != NULL)
	{
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		deconstruct_array(unmask, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
		for (int i = 0; i < n; i++)
		{
			bool		known = false;
			char	   *col = nulls[i] ? NULL : TextDatumGetCString(elems[i]);

			for (int p = 0; col && p < contract->nprops; p++)
				if (strcmp(contract->props[p].name, col) == 0)
					known = true;
			if (!known)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_COLUMN),
						 errmsg("data product \"%s\" publishes no column \"%s\"",
								dmesh_product_display(product), col ? col : "NULL"),
						 errhint("unmask lists published columns, as the contract names them.")));
		}
	}

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product->id);
	dmesh_arg_oid(&args, REGROLEOID, consumer);
	dmesh_arg_text(&args, checked);
	dmesh_arg_text(&args, purpose);
	dmesh_arg_datum(&args, TIMESTAMPTZOID, expires_at, expires_null);
	dmesh_arg_datum(&args, TEXTARRAYOID, unmask ? PointerGetDatum(unmask) : (Datum) 0, unmask == NULL);
	dmesh_arg_text(&args, dmesh_role_name(caller));
	dmesh_arg_datum(&args, INT8OID, Int64GetDatum(request_id), request_id <= 0);
	existed = dmesh_spi_exec("SELECT grant_id,"
							 "       row_filter IS NOT DISTINCT FROM $3 AND purpose IS NOT DISTINCT FROM $4"
							 "       AND expires_at IS NOT DISTINCT FROM $5 AND unmask = coalesce($6, '{}')"
							 "  FROM dmesh.access_grant WHERE product_id = $1 AND consumer = $2",
							 &args, SPI_OK_SELECT) > 0;
	if (existed && request_id <= 0 && strcmp(dmesh_spi_text(0, 2), "t") == 0)
	{
		ereport(NOTICE,
				(errmsg("role \"%s\" already has access to data product \"%s\", skipping",
						dmesh_role_name(consumer), dmesh_product_display(product))));
		return dmesh_spi_int8(0, 1);
	}
	dmesh_spi_exec("INSERT INTO dmesh.access_grant AS g (product_id, consumer, row_filter, purpose,"
				   " expires_at, unmask, granted_by, request_id)"
				   " VALUES ($1, $2, $3, $4, $5, coalesce($6, '{}'), $7, $8)"
				   " ON CONFLICT (product_id, consumer) DO UPDATE"
				   " SET row_filter = excluded.row_filter, purpose = excluded.purpose,"
				   "     expires_at = excluded.expires_at, unmask = excluded.unmask,"
				   "     request_id = coalesce(excluded.request_id, g.request_id), updated_at = now()"
				   " RETURNING grant_id",
				   &args, SPI_OK_INSERT_RETURNING);
	grant_id = dmesh_spi_int8(0, 1);

	if (!existed)
		dmesh_apply_grant(product, consumer, true);
	dmesh_rewrite_ports(product);

	dmesh_json_init(&details);
	dmesh_json_str(&details, "consumer", dmesh_role_name(consumer));
	if (checked)
		dmesh_json_str(&details, "row_filter", checked);
	if (purpose)
		dmesh_json_str(&details, "purpose", purpose);
	if (!expires_null)
		dmesh_json_str(&details, "expires_at",
					   DatumGetCString(DirectFunctionCall1(timestamptz_out, expires_at)));
	if (unmask && ArrayGetNItems(ARR_NDIM(unmask), ARR_DIMS(unmask)) > 0)
		dmesh_json_raw(&details, "unmask",
					   TextDatumGetCString(DirectFunctionCall1(array_to_json, PointerGetDatum(unmask))));
	if (existed)
		dmesh_json_bool(&details, "changed", true);
	dmesh_log_event(caller, "grant_access", "access_grant", dmesh_product_display(product),
					product->domain.id, product->id, dmesh_json_finish(&details));
	return grant_id;
}

Datum
dmesh_grant_access(PG_FUNCTION_ARGS)
{
	char	   *ref = dmesh_text_arg(fcinfo, 0, "product");
	Oid			consumer = dmesh_role_arg(fcinfo, 1, "consumer", false);
	char	   *filter = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	char	   *purpose = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	ArrayType  *unmask = PG_ARGISNULL(5) ? NULL : PG_GETARG_ARRAYTYPE_P(5);
	Oid			caller = GetUserId();
	DmeshSection section;
	DmeshProduct product;
	int64		grant_id;

	dmesh_begin_product_call(ref, caller, "grant access to", &section, &product);
	grant_id = dmesh_make_agreement(&product, consumer, filter, caller, purpose,
									PG_ARGISNULL(4) ? (Datum) 0 : PG_GETARG_DATUM(4), PG_ARGISNULL(4),
									unmask, 0, caller);
	dmesh_end_call(&section);
	PG_RETURN_INT64(grant_id);
}

Datum
dmesh_revoke_access(PG_FUNCTION_ARGS)
{
	char	   *ref = dmesh_text_arg(fcinfo, 0, "product");
	/* the agreement of a role dropped since can be revoked */
	Oid			consumer = dmesh_role_arg(fcinfo, 1, "consumer", true);
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
		dmesh_rewrite_ports(&product);
		log_access_event(caller, "revoke_access", &product, consumer);
	}
	else
		ereport(NOTICE,
				(errmsg("role \"%s\" has no access grant on data product \"%s\", skipping",
						dmesh_role_name(consumer), dmesh_product_display(&product))));

	dmesh_end_call(&section);
	PG_RETURN_BOOL(revoked);
}
