/*-------------------------------------------------------------------------
 *
 * worker_refresh.c
 *		Materialized data products: their first fill, at creation, and
 *		their write-audit-publish refresh.
 *
 * A product made from a query with materialize => true keeps its data in a
 * table of its own ("<product>_data" in the domain's schema, owned by the
 * product's owner), which is its source; its published views read it.
 * dmesh_materialize makes and fills that table when create_data_product
 * makes the product.
 * dmesh.refresh_product(product):
 *   write:   builds a new table beside the published one ("<product>_data_new",
 *            made with CREATE TABLE AS, so its lineage is recorded) and
 *            fills it with the product's query, as the product's owner,
 *            while readers go on (writers and other refreshes wait);
 *   audit:   evaluates every rule of the active contract on the new rows in
 *            one pass (quality_check.c);
 *   publish: only if no rule of severity error failed, makes the new table
 *            the product's source and rewrites its views to read it: each
 *            view's rewrite waits for its running readers (at most
 *            dmesh.lock_timeout), which finish on the old rows, and
 *            readers after it see all the new ones, never a mix.  Views
 *            keep their grants; filters and masks are written anew from
 *            the agreements.  The old table is renamed
 *            "dmesh_replaced_<oid>", recorded in dmesh.replaced_data and
 *            dropped later by dmesh._refresh_cleanup (the worker runs it
 *            after refreshing), in a transaction of its own, so the
 *            publishing commit has no storage to drop while readers wait.
 *            A draft has no views: its good rows become its data, but
 *            nothing is published (published is false, with a notice).
 * When a rule fails, the published data stays as it was, the build is kept
 * as "<product>_data_failed" (readable by the owner only) until a good
 * refresh (dmesh._refresh_cleanup drops it then) or the next failed one,
 * and a quality incident is opened; a good refresh resolves it.
 * Everything that waits for another session's lock waits at most
 * dmesh.lock_timeout (core_lock.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "dmesh.h"
#include "product.h"
#include "quality.h"
#include "worker.h"

/*
 * The first write of a materialized product, when it is created: a table
 * "<product>_data" in the domain's schema, owned by the product's owner,
 * filled with the query's rows as that owner.  Returns the table, the
 * product's source from then on.
 */
Oid
dmesh_materialize(const char *schema, const char *product, const char *query, Oid owner)
{
	char	   *table = psprintf("%s.%s", quote_identifier(schema),
								 quote_identifier(psprintf("%s_data", product)));
	DmeshSection section;

	dmesh_spi_utility(psprintf("CREATE TABLE %s AS %s WITH NO DATA", table, query));
	dmesh_spi_utility(psprintf("ALTER TABLE %s OWNER TO %s", table,
							   quote_identifier(dmesh_role_name(owner))));
	dmesh_enter_as_role(&section, owner);
	(void) dmesh_spi_exec(psprintf("INSERT INTO %s SELECT * FROM (%s) q", table, query),
						  NULL, SPI_OK_INSERT);
	dmesh_leave(&section);
	return RangeVarGetRelid(makeRangeVar((char *) schema, psprintf("%s_data", product), -1),
							NoLock, false);
}

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

static void
forget_replaced(Oid relid)
{
	DmeshArgs	args;

	dmesh_args_init(&args);
	dmesh_arg_oid(&args, OIDOID, relid);
	(void) dmesh_spi_exec("DELETE FROM dmesh.replaced_data WHERE relid = $1", &args, SPI_OK_DELETE);
}

static void
drop_if_exists(const char *nsp, const char *name)
{
	Oid			relid = get_relname_relid(name, get_namespace_oid(nsp, false));

	if (OidIsValid(relid))
	{
		dmesh_lock_relation(relid, AccessExclusiveLock);
		dmesh_spi_utility(psprintf("DROP TABLE %s.%s", quote_identifier(nsp), quote_identifier(name)));
		forget_replaced(relid);
	}
}

/*
 * Record a table that dmesh._refresh_cleanup will drop: data a refresh
 * replaced ("replaced"), or the build of a failed refresh ("failed",
 * dropped once the product's data is good again).  Cleanup finds them
 * here, by oid and name, never by a name pattern.
 */
static void
remember_replaced(const DmeshProduct *product, Oid relid, const char *relname, const char *kind)
{
	DmeshArgs	args;

	dmesh_args_init(&args);
	dmesh_arg_oid(&args, OIDOID, relid);
	dmesh_arg_text(&args, relname);
	dmesh_arg_int8(&args, product->id);
	dmesh_arg_text(&args, kind);
	(void) dmesh_spi_exec("INSERT INTO dmesh.replaced_data (relid, relname, product_id, kind)"
						  " VALUES ($1, $2, $3, $4)", &args, SPI_OK_INSERT);
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
	char	   *data_name;
	char	   *nsp;
	char	   *new_name;
	char	   *old_name;
	int64		rows;
	int64		checked = 0;
	int			errors;
	bool		published;

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

	data_name = get_rel_name(relid);
	nsp = get_namespace_name(get_rel_namespace(relid));
	failed_name = psprintf("%s_failed", data_name);
	new_name = psprintf("%s_new", data_name);
	/* not derived from the product's name: never longer than a name may be */
	old_name = psprintf("dmesh_replaced_%u", relid);

	/*
	 * A build left by a refresh that did not finish.  (The data earlier
	 * refreshes replaced are dropped by dmesh._refresh_cleanup, in a
	 * transaction of their own: dropping storage here would make readers
	 * wait for it at the commit that publishes.)
	 */
	dmesh_lock_relation(relid, ExclusiveLock);
	drop_if_exists(nsp, new_name);

	/* Write: a new table beside the published one; readers go on. */
	dmesh_check_stored_query(query, product.owner);
	dmesh_spi_utility(psprintf("CREATE TABLE %s.%s AS %s WITH NO DATA", quote_identifier(nsp),
							   quote_identifier(new_name), query));
	dmesh_spi_utility(psprintf("ALTER TABLE %s.%s OWNER TO %s", quote_identifier(nsp),
							   quote_identifier(new_name),
							   quote_identifier(dmesh_role_name(product.owner))));
	build = get_relname_relid(new_name, get_rel_namespace(relid));
	dmesh_enter_as_role(&owner_section, product.owner);
	rows = (int64) dmesh_spi_exec(psprintf("INSERT INTO %s SELECT * FROM (%s) q",
										   dmesh_qualified_relname(build), query),
								  NULL, SPI_OK_INSERT);
	CommandCounterIncrement();

	/* Audit: every rule, one pass over the build. */
	errors = dmesh_check_relation(&product, build, &checked, &failed);
	dmesh_leave(&owner_section);

	/*
	 * Published: the new rows are what consumers read now.  Good rows of a
	 * draft become its data, but no relation publishes them yet.
	 */
	published = errors == 0 && dmesh_product_is_live(&product);

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product.id);
	dmesh_arg_text(&args, failed);
	dmesh_arg_int8(&args, rows);
	(void) dmesh_spi_exec("UPDATE dmesh.schedule SET last_refresh_at = now() WHERE product_id = $1",
						  &args, SPI_OK_UPDATE);
	if (errors == 0)
	{
		TimestampTz swap_start;
		DmeshArgs	src;

		(void) dmesh_spi_exec("SELECT dmesh._incident($1, 'quality', false, '{}')",
							  &args, SPI_OK_SELECT);
		dmesh_log_event(caller, "refresh", "data_product", dmesh_product_display(&product),
						product.domain.id, product.id,
						psprintf("{\"rows\": " INT64_FORMAT ", \"published\": %s}", rows,
								 published ? "true" : "false"));
		if (!published)
			ereport(NOTICE,
					(errmsg("data product \"%s\" is a draft: its new data is not published",
							dmesh_product_display(&product)),
					 errdetail("The new rows passed the contract's rules and are the product's data now; no relation publishes them."),
					 errhint("Publish it with SELECT dmesh.publish_data_product(%s).",
							 quote_literal_cstr(dmesh_product_display(&product)))));

		/*
		 * Publish, last: the product's views read the new table from now
		 * on (each view rewritten waits for its running readers, which
		 * finish on the old rows).  The old table is only renamed; its
		 * storage is dropped by the next refresh, so this commit has
		 * nothing heavy to do while readers wait.
		 */
		swap_start = GetCurrentTimestamp();
		dmesh_args_init(&src);
		dmesh_arg_int8(&src, product.id);
		dmesh_arg_oid(&src, REGCLASSOID, build);
		(void) dmesh_spi_exec("UPDATE dmesh.data_product SET source_relation = $2, updated_at = now()"
							  " WHERE product_id = $1", &src, SPI_OK_UPDATE);
		product.source_relid = build;
		dmesh_rewrite_ports(&product);
		dmesh_lock_relation(relid, AccessExclusiveLock);
		dmesh_spi_utility(psprintf("ALTER TABLE %s.%s RENAME TO %s", quote_identifier(nsp),
								   quote_identifier(data_name), quote_identifier(old_name)));
		dmesh_spi_utility(psprintf("ALTER TABLE %s.%s RENAME TO %s", quote_identifier(nsp),
								   quote_identifier(new_name), quote_identifier(data_name)));
		remember_replaced(&product, relid, old_name, "replaced");
		relid = build;
		ereport(DEBUG1,
				(errmsg("refresh of %s: published in %.3f ms (waiting for readers included)",
						dmesh_product_display(&product),
						(double) (GetCurrentTimestamp() - swap_start) / 1000.0)));
	}
	else
	{
		/* Keep the published data; keep the build to look at (the last one). */
		drop_if_exists(nsp, failed_name);
		dmesh_spi_utility(psprintf("ALTER TABLE %s.%s RENAME TO %s", quote_identifier(nsp),
								   quote_identifier(new_name), quote_identifier(failed_name)));
		remember_replaced(&product, build, failed_name, "failed");
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
	relation_out = MemoryContextStrdup(callercxt,
									   psprintf("%s.%s", quote_identifier(nsp),
												quote_identifier(errors == 0 ? data_name : failed_name)));
	dmesh_end_call(&section);

	values[0] = BoolGetDatum(published);
	values[1] = Int64GetDatum(rows);
	values[2] = DirectFunctionCall1(jsonb_in, CStringGetDatum(failed));
	values[3] = CStringGetTextDatum(relation_out);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
