/*-------------------------------------------------------------------------
 *
 * health.c
 *		How old a product's newest data is, for dmesh.product_health.
 *
 * dmesh._newest_data(product, element) reads, as the product's owner and
 * under SECURITY_RESTRICTED_OPERATION, the greatest value of the column
 * the contract's freshness SLA names in "element" ("object.column" or
 * "column", a published property), as timestamptz.  Without an element,
 * and when track_commit_timestamp is on, it reads the newest commit time
 * of the source table's rows instead (a full scan).  Otherwise, or when
 * the column cannot be read as a time, it returns NULL: the age is not
 * known.  It never fails for lack of data.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/commit_ts.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "dmesh.h"

PG_FUNCTION_INFO_V1(dmesh_newest_data);

typedef struct NewestQuery
{
	const char *sql;
	TimestampTz result;
	bool		isnull;
} NewestQuery;

static void
run_newest(void *arg)
{
	NewestQuery *q = arg;

	(void) dmesh_spi_exec(q->sql, NULL, SPI_OK_SELECT);
	if (SPI_processed == 1)
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &q->isnull);

		if (!q->isnull)
			q->result = DatumGetTimestampTz(d);
	}
}

Datum
dmesh_newest_data(PG_FUNCTION_ARGS)
{
	char	   *ref = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *element = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	DmeshProductRef r = dmesh_parse_product_ref(ref);
	DmeshProduct product;
	DmeshContract *contract;
	DmeshSection section;
	DmeshSection owner_section;
	NewestQuery q = {NULL, 0, true};
	char	   *column = NULL;
	char	   *message = NULL;
	const char *from;

	SPI_connect();
	dmesh_enter_privileged(&section);
	if (!dmesh_load_product(&r, DMESH_NO_LOCK, &product) || !dmesh_product_is_live(&product))
	{
		dmesh_leave(&section);
		SPI_finish();
		PG_RETURN_NULL();
	}
	contract = dmesh_load_contract(&product, NULL, -1);
	if (OidIsValid(product.source_relid))
		from = psprintf("%s s", dmesh_qualified_relname(product.source_relid));
	else
		from = psprintf("(%s) s", product.source_query);

	if (element != NULL)
	{
		/* "object.column" or "column": a published property */
		char	   *name = strrchr(element, '.') ? strrchr(element, '.') + 1 : element;

		for (int i = 0; i < contract->nprops; i++)
			if (strcmp(contract->props[i].name, name) == 0)
				column = contract->props[i].column;
		if (column != NULL)
			q.sql = psprintf("SELECT pg_catalog.max(s.%s)::pg_catalog.timestamptz FROM %s",
							 quote_identifier(column), from);
	}
	else if (track_commit_timestamp && OidIsValid(product.source_relid))
		q.sql = psprintf("SELECT pg_catalog.max(pg_catalog.pg_xact_commit_timestamp(s.xmin)) FROM %s",
						 from);

	if (q.sql != NULL)
	{
		dmesh_enter_as_role(&owner_section, product.owner);
		/* a column that is not a time, or no privilege: the age is unknown */
		if (!dmesh_try(run_newest, &q, &message))
			q.isnull = true;
		dmesh_leave(&owner_section);
	}
	dmesh_leave(&section);
	SPI_finish();
	if (q.isnull)
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(q.result);
}
