/*-------------------------------------------------------------------------
 *
 * quality_quarantine.c
 *		Rows held back in quarantine mode, and giving them back.
 *
 * A quarantined row is stored as jsonb in dmesh.quarantined_row with the
 * rules it broke, in the writer's transaction: if the statement rolls
 * back, so does the quarantine.  dmesh.release_quarantine writes rows back
 * to the source as the caller, through the same triggers, so they are
 * checked again; dmesh.discard_quarantine deletes them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/partition.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "dmesh.h"
#include "quality.h"

PG_FUNCTION_INFO_V1(dmesh_release_quarantine);
PG_FUNCTION_INFO_V1(dmesh_discard_quarantine);

static char *
broken_rules_json(DmeshEnforcement *e, int *broken, int nbroken)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	for (int i = 0; i < nbroken; i++)
	{
		DmeshRule  *r = &e->rs->rules[broken[i]];

		if (i > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, "{\"rule\": ");
		escape_json(&buf, r->name);
		appendStringInfoString(&buf, ", \"property\": ");
		if (r->property)
			escape_json(&buf, r->property);
		else
			appendStringInfoString(&buf, "null");
		appendStringInfoString(&buf, ", \"metric\": ");
		escape_json(&buf, dmesh_rule_metric(r));
		appendStringInfoString(&buf, ", \"requires\": ");
		escape_json(&buf, dmesh_rule_describe(r));
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoChar(&buf, ']');
	return buf.data;
}

/*
 * Store a row that broke the contract (called by the row trigger).  The
 * row becomes jsonb as the product's owner, under
 * SECURITY_RESTRICTED_OPERATION: a column's type may have a cast to json,
 * which is code of the type's owner.  Only the insert into the catalog
 * runs as the extension owner.
 */
void
dmesh_quarantine_row(DmeshEnforcement *e, Relation rel, HeapTuple tuple, HeapTuple old,
					 int *broken, int nbroken)
{
	TupleDesc	desc = RelationGetDescr(rel);
	Oid			rowtype = desc->tdtypeid;
	Oid			writer = GetUserId();
	DmeshSection section;
	DmeshArgs	args;
	bool		isnull;
	Datum		row_json;
	Datum		old_json;
	bool		old_null;

	SPI_connect();
	dmesh_enter_as_role(&section, e->run_as);
	dmesh_args_init(&args);
	dmesh_arg_datum(&args, rowtype, heap_copy_tuple_as_datum(tuple, desc), false);
	dmesh_arg_datum(&args, rowtype, old ? heap_copy_tuple_as_datum(old, desc) : (Datum) 0,
					old == NULL);
	dmesh_spi_exec("SELECT pg_catalog.to_jsonb($1), pg_catalog.to_jsonb($2)", &args,
				   SPI_OK_SELECT);
	row_json = PointerGetDatum(DatumGetJsonbPCopy(SPI_getbinval(SPI_tuptable->vals[0],
																SPI_tuptable->tupdesc, 1,
																&isnull)));
	old_json = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &old_null);
	if (!old_null)
		old_json = PointerGetDatum(DatumGetJsonbPCopy(old_json));
	dmesh_leave(&section);

	dmesh_enter_privileged(&section);
	dmesh_args_init(&args);
	dmesh_arg_int8(&args, e->key.product_id);
	dmesh_arg_text(&args, dmesh_qualified_relname(e->source_relid));
	dmesh_arg_text(&args, old ? "UPDATE" : "INSERT");
	dmesh_arg_datum(&args, JSONBOID, row_json, false);
	dmesh_arg_datum(&args, JSONBOID, old_json, old_null);
	dmesh_arg_text(&args, broken_rules_json(e, broken, nbroken));
	dmesh_arg_text(&args, e->rs->version);
	dmesh_arg_text(&args, dmesh_role_name(writer));
	dmesh_spi_exec("INSERT INTO dmesh.quarantined_row (product_id, relation, operation,"
				   " row_data, old_row, broken_rules, contract_version, written_by)"
				   " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)",
				   &args, SPI_OK_INSERT);
	dmesh_leave(&section);
	SPI_finish();
}

typedef struct Held
{
	int64		id;
	char	   *operation;
	char	   *row_data;
	char	   *old_row;
	Oid			relation;		/* the table written to (a source, or its partition) */
} Held;

/*
 * The quarantined rows of a product, locked; all of them or the listed
 * ids, each of which must be there.
 */
static List *
held_rows(const DmeshProduct *product, ArrayType *ids)
{
	DmeshArgs	args;
	uint64		n;
	List	   *rows = NIL;

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product->id);
	dmesh_arg_datum(&args, INT8ARRAYOID, ids ? PointerGetDatum(ids) : (Datum) 0, ids == NULL);
	n = dmesh_spi_exec("SELECT quarantine_id, operation, row_data, old_row,"
					   "       to_regclass(relation)::oid"	/* stored qualified; NULL if gone */
					   "  FROM dmesh.quarantined_row"
					   " WHERE product_id = $1 AND ($2 IS NULL OR quarantine_id = ANY ($2))"
					   " ORDER BY quarantine_id FOR UPDATE",
					   &args, SPI_OK_SELECT);
	for (uint64 i = 0; i < n; i++)
	{
		Held	   *h = palloc(sizeof(Held));

		h->id = dmesh_spi_int8(i, 1);
		h->operation = dmesh_spi_text(i, 2);
		h->row_data = dmesh_spi_text(i, 3);
		h->old_row = dmesh_spi_text(i, 4);
		h->relation = dmesh_spi_oid(i, 5);
		rows = lappend(rows, h);
	}
	if (ids != NULL)
	{
		Datum	   *elems;
		bool	   *enulls;
		int			nelems;

		deconstruct_array(ids, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
						  &elems, &enulls, &nelems);
		for (int i = 0; i < nelems; i++)
		{
			bool		found = false;
			ListCell   *lc;

			if (enulls[i])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("quarantine ids must not be NULL")));
			foreach(lc, rows)
				if (((Held *) lfirst(lc))->id == DatumGetInt64(elems[i]))
					found = true;
			if (!found)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_OBJECT),
						 errmsg("data product \"%s\" has no quarantined row %lld",
								dmesh_product_display(product), (long long) DatumGetInt64(elems[i]))));
		}
	}
	return rows;
}

static void
forget(int64 id)
{
	DmeshArgs	args;

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, id);
	dmesh_spi_exec("DELETE FROM dmesh.quarantined_row WHERE quarantine_id = $1", &args,
				   SPI_OK_DELETE);
}

/* The writable columns of the source: not dropped, not generated. */
static void
writable_columns(Oid relid, StringInfo cols, StringInfo from_r)
{
	Relation	rel = table_open(relid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	bool		first = true;

	for (int a = 0; a < desc->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, a);

		if (att->attisdropped || att->attgenerated)
			continue;
		appendStringInfo(cols, "%s%s", first ? "" : ", ", quote_identifier(NameStr(att->attname)));
		appendStringInfo(from_r, "%sr.%s", first ? "" : ", ", quote_identifier(NameStr(att->attname)));
		first = false;
	}
	table_close(rel, AccessShareLock);
}

/* Where released rows go: a source table and its statements, made once. */
typedef struct ReleaseTarget
{
	char	   *table;
	char	   *insert_sql;
	char	   *update_sql;
} ReleaseTarget;

/*
 * The source a quarantined row goes back to: the source it was written to
 * (a product's one source, or one object's), through its parent if it was
 * written to a partition.
 */
static ReleaseTarget *
release_target(const DmeshProduct *product, const Oid *sources, ReleaseTarget *targets,
			   Oid relation)
{
	int			object = -1;
	ReleaseTarget *t;
	StringInfoData cols;
	StringInfoData from_r;

	for (int i = 0; i < product->nobjects && object < 0; i++)
	{
		if (!OidIsValid(sources[i]))
			continue;
		if (relation == sources[i] ||
			(get_rel_relispartition(relation) &&
			 list_member_oid(get_partition_ancestors(relation), sources[i])))
			object = i;
	}
	if (object < 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("a quarantined row of data product \"%s\" was written to a table that is no source of the product any more",
						dmesh_product_display(product)),
				 OidIsValid(relation) ? errdetail("The table is %s.", dmesh_qualified_relname(relation)) : 0,
				 errhint("Discard it with dmesh.discard_quarantine.")));
	t = &targets[object];
	if (t->table != NULL)
		return t;

	t->table = dmesh_qualified_relname(sources[object]);
	initStringInfo(&cols);
	initStringInfo(&from_r);
	writable_columns(sources[object], &cols, &from_r);
	t->insert_sql = psprintf("INSERT INTO %s AS t (%s) OVERRIDING SYSTEM VALUE"
							 " SELECT %s FROM pg_catalog.jsonb_populate_record(NULL::%s, $1::pg_catalog.jsonb) r"
							 " RETURNING 1",
							 t->table, cols.data, from_r.data, t->table);
	t->update_sql = psprintf("UPDATE %s t SET (%s) = (SELECT %s FROM pg_catalog.jsonb_populate_record(NULL::%s, $1::pg_catalog.jsonb) r)"
							 " WHERE t.ctid = (SELECT s.ctid FROM %s s"
							 "                  WHERE pg_catalog.to_jsonb(s) OPERATOR(pg_catalog.=) $2::pg_catalog.jsonb"
							 "                  LIMIT 1)"
							 " RETURNING 1",
							 t->table, cols.data, from_r.data, t->table, t->table);
	return t;
}

Datum
dmesh_release_quarantine(PG_FUNCTION_ARGS)
{
	char	   *ref = dmesh_text_arg(fcinfo, 0, "product");
	ArrayType  *ids = PG_ARGISNULL(1) ? NULL : PG_GETARG_ARRAYTYPE_P(1);
	Oid			caller = GetUserId();
	DmeshSection section;
	DmeshProduct product;
	List	   *rows;
	ListCell   *lc;
	int64		written = 0;
	int64		again = 0;
	int64		kept = 0;
	Oid		   *sources;
	ReleaseTarget *targets;
	DmeshJson	details;

	dmesh_begin_product_call(ref, caller, "release quarantined rows of", &section, &product);
	sources = palloc0(sizeof(Oid) * product.nobjects);
	for (int i = 0; i < product.nobjects; i++)
		sources[i] = dmesh_product_object(&product, i).source_relid;
	if (!OidIsValid(sources[0]) && product.nobjects == 1)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("data product \"%s\" is defined by a query and has no quarantine",
						dmesh_product_display(&product))));
	rows = held_rows(&product, ids);
	targets = palloc0(sizeof(ReleaseTarget) * product.nobjects);

	foreach(lc, rows)
	{
		Held	   *h = lfirst(lc);
		DmeshSection as_caller;
		DmeshArgs	args;
		uint64		n;
		bool		update = strcmp(h->operation, "UPDATE") == 0;
		ReleaseTarget *target = release_target(&product, sources, targets, h->relation);
		const char *table = target->table;
		const char *insert_sql = target->insert_sql;
		const char *update_sql = target->update_sql;

		if (update)
		{
			/* The row the update was for must still be there, unchanged. */
			dmesh_args_init(&args);
			dmesh_arg_text(&args, h->old_row);
			dmesh_enter_as_role(&as_caller, caller);
			n = dmesh_spi_exec(psprintf("SELECT 1 FROM %s s WHERE pg_catalog.to_jsonb(s)"
										" OPERATOR(pg_catalog.=) $1::pg_catalog.jsonb LIMIT 1",
										table), &args, SPI_OK_SELECT);
			dmesh_leave(&as_caller);
			if (n == 0)
			{
				ereport(WARNING,
						(errmsg("quarantined row %lld of data product \"%s\" stays: the row its update was for has changed or gone",
								(long long) h->id, dmesh_product_display(&product)),
						 errhint("Discard it with dmesh.discard_quarantine, or write the change again.")));
				kept++;
				continue;
			}
		}
		forget(h->id);
		dmesh_args_init(&args);
		dmesh_arg_text(&args, h->row_data);
		if (update)
			dmesh_arg_text(&args, h->old_row);
		dmesh_enter_as_role(&as_caller, caller);
		n = dmesh_spi_exec(update ? update_sql : insert_sql, &args,
						   update ? SPI_OK_UPDATE_RETURNING : SPI_OK_INSERT_RETURNING);
		dmesh_leave(&as_caller);
		if (n > 0)
			written++;
		else
			again++;			/* quarantined again by the trigger */
	}

	dmesh_json_init(&details);
	dmesh_json_raw(&details, "released", psprintf("%lld", (long long) written));
	dmesh_json_raw(&details, "quarantined_again", psprintf("%lld", (long long) again));
	dmesh_json_raw(&details, "kept", psprintf("%lld", (long long) kept));
	dmesh_log_event(caller, "release_quarantine", "data_product", dmesh_product_display(&product),
					product.domain.id, product.id, dmesh_json_finish(&details));
	dmesh_end_call(&section);
	PG_RETURN_INT64(written);
}

Datum
dmesh_discard_quarantine(PG_FUNCTION_ARGS)
{
	char	   *ref = dmesh_text_arg(fcinfo, 0, "product");
	ArrayType  *ids = PG_GETARG_ARRAYTYPE_P(1);
	Oid			caller = GetUserId();
	DmeshSection section;
	DmeshProduct product;
	List	   *rows;
	ListCell   *lc;
	DmeshJson	details;

	dmesh_begin_product_call(ref, caller, "discard quarantined rows of", &section, &product);
	rows = held_rows(&product, ids);
	foreach(lc, rows)
		forget(((Held *) lfirst(lc))->id);
	dmesh_json_init(&details);
	dmesh_json_raw(&details, "discarded", psprintf("%d", list_length(rows)));
	dmesh_log_event(caller, "discard_quarantine", "data_product", dmesh_product_display(&product),
					product.domain.id, product.id, dmesh_json_finish(&details));
	dmesh_end_call(&section);
	PG_RETURN_INT64(list_length(rows));
}
