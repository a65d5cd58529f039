/*-------------------------------------------------------------------------
 *
 * worker_schedule.c
 *		dmesh.set_schedule: when the background worker checks a product
 *		and watches its freshness.
 *
 * set_schedule(product, refresh, check, freshness) stores the intervals
 * in dmesh.schedule (NULL: none; freshness NULL: the contract's SLA) and
 * makes the first check due at once.  Managers of the product only.  The
 * change is in dmesh.event_log.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/timestamp.h"

#include "dmesh.h"

PG_FUNCTION_INFO_V1(dmesh_set_schedule);

/* An interval as a JSON string. */
static char *
quote_json_interval(Datum interval)
{
	StringInfoData buf;

	initStringInfo(&buf);
	escape_json(&buf, DatumGetCString(DirectFunctionCall1(interval_out, interval)));
	return buf.data;
}

Datum
dmesh_set_schedule(PG_FUNCTION_ARGS)
{
	char	   *ref = dmesh_text_arg(fcinfo, 0, "product");
	Oid			caller = GetUserId();
	DmeshProduct product;
	DmeshSection section;
	DmeshArgs	args;

	(void) dmesh_interval_arg(fcinfo, 1, "refresh");
	(void) dmesh_interval_arg(fcinfo, 2, "check");
	(void) dmesh_interval_arg(fcinfo, 3, "freshness");

	SPI_connect();
	dmesh_enter_privileged(&section);
	dmesh_require_product(ref, DMESH_LOCK_FOR_UPDATE, &product);
	dmesh_require_manager(caller, &product, "schedule");
	dmesh_refuse_retired(&product, "schedule");
	if (!PG_ARGISNULL(1))
	{
		DmeshArgs	q;

		dmesh_args_init(&q);
		dmesh_arg_int8(&q, product.id);
		if (dmesh_spi_exec("SELECT FROM dmesh.data_product WHERE product_id = $1"
						   "   AND materialize_query IS NOT NULL", &q, SPI_OK_SELECT) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("data product \"%s\" is not materialized: it cannot be refreshed",
							dmesh_product_display(&product)),
					 errhint("Only products created from a query with materialize => true are refreshed.")));
	}

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product.id);
	for (int i = 1; i <= 3; i++)
		dmesh_arg_datum(&args, INTERVALOID, PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i),
						PG_ARGISNULL(i));
	(void) dmesh_spi_exec("INSERT INTO dmesh.schedule AS s"
						  "    (product_id, refresh_every, check_every, freshness, next_check_at, updated_at,"
						  "     next_refresh_at)"
						  " VALUES ($1, $2, $3, $4, CASE WHEN $3 IS NOT NULL THEN now() END, now(),"
						  "         now() + $2)"
						  " ON CONFLICT (product_id) DO UPDATE"
						  "   SET refresh_every = $2, check_every = $3, freshness = $4,"
						  "       next_check_at = CASE WHEN $3 IS NOT NULL THEN now() END,"
						  "       next_refresh_at = CASE WHEN $2 IS NOT NULL THEN now() + $2 END,"
						  "       failures = 0, last_error = NULL, updated_at = now()",
						  &args, SPI_OK_INSERT);
	dmesh_log_event(caller, "set_schedule", "data_product", dmesh_product_display(&product),
					product.domain.id, product.id,
					psprintf("{\"refresh\": %s, \"check\": %s, \"freshness\": %s}",
							 PG_ARGISNULL(1) ? "null" : quote_json_interval(PG_GETARG_DATUM(1)),
							 PG_ARGISNULL(2) ? "null" : quote_json_interval(PG_GETARG_DATUM(2)),
							 PG_ARGISNULL(3) ? "null" : quote_json_interval(PG_GETARG_DATUM(3))));
	dmesh_leave(&section);
	SPI_finish();
	PG_RETURN_VOID();
}
