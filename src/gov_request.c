/*-------------------------------------------------------------------------
 *
 * gov_request.c
 *		Access requests: any role asks, the product's managers approve
 *		(making an agreement) or deny, with a reason.  Every step is in
 *		the event log.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "dmesh.h"
#include "contract.h"
#include "gov.h"

PG_FUNCTION_INFO_V1(dmesh_request_access);
PG_FUNCTION_INFO_V1(dmesh_approve_access);
PG_FUNCTION_INFO_V1(dmesh_deny_access);

static void
log_request(Oid caller, const char *action, const DmeshProduct *product, int64 request_id,
			const char *key, const char *value)
{
	DmeshJson	details;

	dmesh_json_init(&details);
	dmesh_json_raw(&details, "request_id", psprintf("%lld", (long long) request_id));
	if (value)
		dmesh_json_str(&details, key, value);
	dmesh_log_event(caller, action, "access_request", dmesh_product_display(product),
					product->domain.id, product->id, dmesh_json_finish(&details));
}

Datum
dmesh_request_access(PG_FUNCTION_ARGS)
{
	char	   *ref = dmesh_text_arg(fcinfo, 0, "product");
	char	   *purpose = dmesh_text_arg(fcinfo, 1, "purpose");
	char	   *filter = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	Oid			caller = GetUserId();
	DmeshSection section;
	DmeshProduct product;
	DmeshArgs	args;
	int64		request_id;

	if (strspn(purpose, " \t\r\n") == strlen(purpose))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("purpose must not be empty"),
				 errhint("Say what the data is for: the owner decides on it.")));

	SPI_connect();
	dmesh_enter_privileged(&section);
	dmesh_require_product(ref, DMESH_NO_LOCK, &product);
	dmesh_refuse_retired(&product, "request access to");
	filter = dmesh_check_row_filter(&product, dmesh_load_contract(&product, NULL, -1), filter,
									caller);

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product.id);
	dmesh_arg_oid(&args, REGROLEOID, caller);
	if (dmesh_spi_exec("SELECT request_id FROM dmesh.access_request"
					   " WHERE product_id = $1 AND requester = $2 AND status = 'pending'",
					   &args, SPI_OK_SELECT) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("role \"%s\" already has a pending request for data product \"%s\"",
						dmesh_role_name(caller), dmesh_product_display(&product)),
				 errdetail("Request %s is waiting for the product's owner.", dmesh_spi_text(0, 1))));
	dmesh_arg_text(&args, purpose);
	dmesh_arg_text(&args, filter);
	/* another transaction's pending request too (a unique index) */
	if (dmesh_spi_exec("INSERT INTO dmesh.access_request (product_id, requester, purpose, row_filter)"
					   " VALUES ($1, $2, $3, $4)"
					   " ON CONFLICT (product_id, requester) WHERE status = 'pending' DO NOTHING"
					   " RETURNING request_id",
					   &args, SPI_OK_INSERT_RETURNING) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("role \"%s\" already has a pending request for data product \"%s\"",
						dmesh_role_name(caller), dmesh_product_display(&product))));
	request_id = dmesh_spi_int8(0, 1);
	log_request(caller, "request_access", &product, request_id, "purpose", purpose);
	dmesh_end_call(&section);
	PG_RETURN_INT64(request_id);
}

typedef struct Request
{
	int64		id;
	char	   *product_ref;
	Oid			requester;
	char	   *purpose;
	char	   *filter;
} Request;

/*
 * Start deciding a request: the caller must manage its product; the
 * request must still be pending (locked until the end of the transaction).
 */
static Request
begin_decision(FunctionCallInfo fcinfo, Oid caller, const char *action,
			   DmeshSection *section, DmeshProduct *product)
{
	Request		r;
	DmeshArgs	args;
	DmeshSection lookup;
	char	   *status;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("request_id must not be null")));
	r.id = PG_GETARG_INT64(0);

	SPI_connect();
	dmesh_enter_privileged(&lookup);
	dmesh_args_init(&args);
	dmesh_arg_int8(&args, r.id);
	if (dmesh_spi_exec("SELECT d.name, p.name FROM dmesh.access_request r"
					   "  JOIN dmesh.data_product p USING (product_id)"
					   "  JOIN dmesh.domain d ON d.domain_id = p.domain_id"
					   " WHERE r.request_id = $1", &args, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("access request %lld does not exist", (long long) r.id)));
	r.product_ref = MemoryContextStrdup(TopTransactionContext,
										dmesh_product_ident(dmesh_spi_text(0, 1),
															dmesh_spi_text(0, 2)));
	dmesh_leave(&lookup);
	SPI_finish();

	dmesh_begin_product_call(r.product_ref, caller, action, section, product);
	if (dmesh_spi_exec("SELECT status, requester, purpose, row_filter FROM dmesh.access_request"
					   " WHERE request_id = $1 FOR UPDATE", &args, SPI_OK_SELECT) == 0)
		elog(ERROR, "access request %lld vanished", (long long) r.id);
	status = dmesh_spi_text(0, 1);
	r.requester = dmesh_spi_oid(0, 2);
	r.purpose = dmesh_spi_text(0, 3);
	r.filter = dmesh_spi_text(0, 4);
	if (strcmp(status, "pending") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("access request %lld is already %s", (long long) r.id, status)));
	return r;
}

Datum
dmesh_approve_access(PG_FUNCTION_ARGS)
{
	Oid			caller = GetUserId();
	char	   *filter = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	DmeshSection section;
	DmeshProduct product;
	Request		r = begin_decision(fcinfo, caller, "approve access to", &section, &product);
	DmeshArgs	args;
	int64		grant_id;

	/* the requester's filter is checked as the requester, a new one as the caller */
	grant_id = dmesh_make_agreement(&product, r.requester, filter ? filter : r.filter,
									filter ? caller : r.requester, r.purpose,
									PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2),
									PG_ARGISNULL(2), NULL, r.id, caller);
	dmesh_args_init(&args);
	dmesh_arg_int8(&args, r.id);
	dmesh_arg_text(&args, dmesh_role_name(caller));
	dmesh_arg_int8(&args, grant_id);
	dmesh_spi_exec("UPDATE dmesh.access_request SET status = 'approved', decided_by = $2,"
				   " decided_at = now(), grant_id = $3 WHERE request_id = $1",
				   &args, SPI_OK_UPDATE);
	log_request(caller, "approve_access", &product, r.id, "consumer", dmesh_role_name(r.requester));
	dmesh_end_call(&section);
	PG_RETURN_INT64(grant_id);
}

Datum
dmesh_deny_access(PG_FUNCTION_ARGS)
{
	Oid			caller = GetUserId();
	char	   *reason = dmesh_text_arg(fcinfo, 1, "reason");
	DmeshSection section;
	DmeshProduct product;
	Request		r;
	DmeshArgs	args;

	if (strspn(reason, " \t\r\n") == strlen(reason))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("reason must not be empty"),
				 errhint("The requester reads it.")));
	r = begin_decision(fcinfo, caller, "deny access to", &section, &product);
	dmesh_args_init(&args);
	dmesh_arg_int8(&args, r.id);
	dmesh_arg_text(&args, dmesh_role_name(caller));
	dmesh_arg_text(&args, reason);
	dmesh_spi_exec("UPDATE dmesh.access_request SET status = 'denied', decided_by = $2,"
				   " decided_at = now(), reason = $3 WHERE request_id = $1",
				   &args, SPI_OK_UPDATE);
	log_request(caller, "deny_access", &product, r.id, "reason", reason);
	dmesh_end_call(&section);
	PG_RETURN_VOID();
}
