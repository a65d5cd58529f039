/*-------------------------------------------------------------------------
 *
 * refresh.c
 *		Write-audit-publish refresh of materialized data products.
 *
 * A product made from a query with materialize => true keeps its data in a
 * table of its own ("<product>_data" in the domain's schema, owned by the
 * product's owner), which is its source; its published views read it.
 * dmesh.refresh_product(product):
 *   write:   builds a new heap beside the table (as CLUSTER and REFRESH
 *            MATERIALIZED VIEW do) and fills it with the product's query,
 *            as the product's owner, while readers go on (the table is
 *            locked against writers and other refreshes only);
 *   audit:   evaluates every rule of the active contract on the new heap in
 *            one pass (check.c);
 *   publish: only if no rule of severity error failed, swaps the new heap's
 *            files into the table under a short exclusive lock, so readers
 *            see the old rows or the new ones, never a mix; the table keeps
 *            its oid, so views, privileges, filters and masks are unchanged.
 * When a rule fails, the published data stays as it was, the build is kept
 * as "<product>_failed" (readable by the owner only) until the next
 * refresh, and a quality incident is opened; a good refresh resolves it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/multixact.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/cluster.h"
#include "commands/tablecmds.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "dmesh.h"

PG_FUNCTION_INFO_V1(dmesh_refresh_product);

/* The query a materialized product is refreshed from, or NULL. */
static char *
materialize_query(const DmeshProduct *product)
{
	DmeshArgs	args;

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product->id);
	if (dmesh_spi_exec("SELECT materialize_query FROM dmesh.data_product WHERE product_id = $1",
					   &args, SPI_OK_SELECT) != 1)
		return NULL;
	return dmesh_spi_text(0, 1);
}

Datum
dmesh_refresh_product(PG_FUNCTION_ARGS)
{
	char	   *ref = dmesh_text_arg(fcinfo, 0, "product");
	Oid			caller = GetUserId();
	DmeshProduct product;
	DmeshSection section;
	DmeshSection owner_section;
	DmeshArgs	args;
	TupleDesc	desc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	char	   *query;
	char	   *failed_name;
	char	   *failed = NULL;
	Oid			relid;
	Oid			build;
	Oid			old_failed;
	Relation	rel;
	Oid			tablespace;
	Oid			relam;
	char		persistence;
	int64		rows;
	int64		checked = 0;
	int			errors;

	MemoryContext callercxt = CurrentMemoryContext;
	char	   *relation_out;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	SPI_connect();
	dmesh_enter_privileged(&section);
	dmesh_require_product(ref, DMESH_LOCK_FOR_UPDATE, &product);
	dmesh_require_manager(caller, &product, "refresh");
	dmesh_refuse_retired(&product, "refresh");
	query = materialize_query(&product);
	if (query == NULL || !OidIsValid(product.source_relid))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("data product \"%s\" is not materialized", dmesh_product_display(&product)),
				 errhint("Create it from a query with materialize => true.")));
	relid = product.source_relid;

	/* The last failed build goes with this refresh. */
	failed_name = psprintf("%s_failed", get_rel_name(relid));
	old_failed = get_relname_relid(failed_name, get_rel_namespace(relid));
	if (OidIsValid(old_failed))
		dmesh_spi_utility(psprintf("DROP TABLE %s", dmesh_qualified_relname(old_failed)));

	/* Write: a new heap beside the published data; readers go on. */
	LockRelationOid(relid, ExclusiveLock);
	rel = table_open(relid, NoLock);
	tablespace = rel->rd_rel->reltablespace;
	relam = rel->rd_rel->relam;
	persistence = rel->rd_rel->relpersistence;
	table_close(rel, NoLock);
	build = make_new_heap(relid, tablespace, relam, persistence, ExclusiveLock);
	CommandCounterIncrement();

	dmesh_enter_as_role(&owner_section, product.owner);
	rows = (int64) dmesh_spi_exec(psprintf("INSERT INTO %s SELECT * FROM (%s) q",
										   dmesh_qualified_relname(build), query),
								  NULL, SPI_OK_INSERT);
	CommandCounterIncrement();

	/* Audit: every rule, one pass over the build. */
	errors = dmesh_check_relation(&product, build, &checked, &failed);
	dmesh_leave(&owner_section);

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product.id);
	dmesh_arg_text(&args, failed);
	dmesh_arg_int8(&args, rows);
	(void) dmesh_spi_exec("UPDATE dmesh.schedule SET last_refresh_at = now() WHERE product_id = $1",
						  &args, SPI_OK_UPDATE);
	if (errors == 0)
	{
		TimestampTz swap_start;

		(void) dmesh_spi_exec("SELECT dmesh._incident($1, 'quality', false, '{}')",
							  &args, SPI_OK_SELECT);
		dmesh_log_event(caller, "refresh", "data_product", dmesh_product_display(&product),
						product.domain.id, product.id,
						psprintf("{\"rows\": " INT64_FORMAT ", \"published\": true}", rows));

		/*
		 * Publish, last, so that readers wait only for the swap (and the
		 * commit): the new heap's files become the table's.
		 */
		swap_start = GetCurrentTimestamp();
		LockRelationOid(relid, AccessExclusiveLock);
		finish_heap_swap(relid, build, false, false, true, true,
						 RecentXmin, ReadNextMultiXactId(), persistence);
		ereport(DEBUG1,
				(errmsg("refresh of %s: swapped in %.3f ms (waiting for readers included)",
						dmesh_product_display(&product),
						(double) (GetCurrentTimestamp() - swap_start) / 1000.0)));
	}
	else
	{
		/* Keep the published data; keep the build to look at. */
		RenameRelationInternal(build, failed_name, true, false);
		(void) dmesh_spi_exec("SELECT dmesh._incident($1, 'quality', true,"
							  "       jsonb_build_object('failed_rules', $2::jsonb, 'build_rows', $3,"
							  "                          'refresh', 'not published'))",
							  &args, SPI_OK_SELECT);
		dmesh_log_event(caller, "refresh_failed", "data_product", dmesh_product_display(&product),
						product.domain.id, product.id,
						psprintf("{\"rows\": " INT64_FORMAT ", \"published\": false, \"failed_rules\": %s}",
								 rows, failed));
	}
	/* what outlives SPI */
	failed = MemoryContextStrdup(callercxt, failed);
	relation_out = MemoryContextStrdup(callercxt, errors == 0 ? dmesh_qualified_relname(relid) :
									   psprintf("%s.%s",
												quote_identifier(get_namespace_name(get_rel_namespace(relid))),
												quote_identifier(failed_name)));
	dmesh_end_call(&section);

	values[0] = BoolGetDatum(errors == 0);
	values[1] = Int64GetDatum(rows);
	values[2] = DirectFunctionCall1(jsonb_in, CStringGetDatum(failed));
	values[3] = CStringGetTextDatum(relation_out);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
