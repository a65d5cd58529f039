/*-------------------------------------------------------------------------
 *
 * contract_store.c
 *		dmesh.contract: every accepted version of every product's contract,
 *		and the contract dmesh derives from a source.
 *
 * The active contract of a product is its highest version.  The contract
 * serving a published major version is the highest version of that major.
 * Version numbers, status and the major/minor/patch columns are generated
 * from the document itself, so they cannot disagree with it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/comment.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "dmesh.h"
#include "contract.h"
#include "product.h"
#include "quality.h"

/*
 * A product without any contract (restored from a dump of dmesh 0.1.0,
 * say) gets the one dmesh derives, from what it publishes if it is live.
 */
static DmeshContract *
derive_missing(const DmeshProduct *product)
{
	DmeshContract *contract;

	contract = dmesh_contract_compile(dmesh_derive_product_document(product, true));
	contract->derived = true;
	(void) dmesh_store_contract(product, contract, dmesh_extension_owner());
	return contract;
}

/*
 * The product's contract: a given version, else the highest of a given
 * major (major >= 0), else the highest of all (the active contract, which
 * always exists: it is derived if the product has none).  Contracts the
 * team wrote come before derived ones: once a team has set one, derived
 * versions are history.  NULL if a given version or major has none.
 */
DmeshContract *
dmesh_load_contract(const DmeshProduct *product, const char *version, int major)
{
	DmeshArgs	args;
	StringInfoData sql;
	bool		isnull;
	bool		held_null;
	Datum		held;
	Jsonb	   *doc;
	DmeshContract *contract;

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product->id);
	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT document, derived, held_schema,"
						   " CASE WHEN held_schema IS NOT NULL"
						   "      THEN jsonb_set(document, '{schema}', held_schema) END"
						   " FROM dmesh.contract WHERE product_id = $1");
	if (version != NULL)
	{
		appendStringInfoString(&sql, " AND version = $2");
		dmesh_arg_text(&args, version);
	}
	else if (major >= 0)
	{
		appendStringInfoString(&sql, " AND major = $2");
		dmesh_arg_int4(&args, major);
	}
	/* a contract the team wrote wins over one dmesh derived */
	appendStringInfoString(&sql, " ORDER BY derived, major DESC, minor DESC, patch DESC LIMIT 1");
	if (dmesh_spi_exec(sql.data, &args, SPI_OK_SELECT) == 0)
		return version == NULL && major < 0 ? derive_missing(product) : NULL;

	doc = DatumGetJsonbPCopy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
										   &isnull));
	held = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &held_null);
	if (held_null)
		contract = dmesh_contract_compile_stored(doc);
	else
	{
		Datum		effective = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4,
											  &isnull);

		contract = dmesh_contract_compile_stored(DatumGetJsonbPCopy(effective));
		contract->written = doc;
		contract->held_schema = DatumGetJsonbPCopy(held);
	}
	contract->derived = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
												   SPI_tuptable->tupdesc, 2, &isnull));
	return contract;
}

/* The document as the team wrote it (the stored one). */
Jsonb *
dmesh_contract_written(const DmeshContract *contract)
{
	return contract->written ? contract->written : contract->doc;
}

/*
 * A new contract that leaves its schema to the source (no schema object,
 * or objects without properties) is held to a schema derived from the
 * product's sources now: each object keeps what the team wrote (name,
 * physicalName, descriptions, rules) and gets the properties of its
 * source; a contract with no object gets one per object of the product.
 * Returns the contract to hold the product to (the given one if it lists
 * every property), with the document as written kept beside it.
 */
DmeshContract *
dmesh_contract_hold(const DmeshProduct *product, DmeshContract *contract)
{
	StringInfoData held;
	DmeshArgs	args;
	Jsonb	   *effective;
	DmeshContract *result;
	bool		isnull;

	if (!dmesh_contract_leaves_schema(contract))
		return contract;

	initStringInfo(&held);
	if (contract->nobjects == 0)
	{
		dmesh_args_init(&args);
		dmesh_arg_datum(&args, JSONBOID,
						JsonbPGetDatum(dmesh_derive_product_document(product, false)), false);
		dmesh_spi_exec("SELECT ($1::jsonb -> 'schema')::text", &args, SPI_OK_SELECT);
		appendStringInfoString(&held, dmesh_spi_text(0, 1));
	}
	else
	{
		appendStringInfoChar(&held, '[');
		for (int i = 0; i < contract->nobjects; i++)
		{
			const DmeshObject *o = &contract->objects[i];
			char	   *written = JsonbToCString(NULL, o->json, 0);

			if (i > 0)
				appendStringInfoString(&held, ", ");
			if (o->nprops == 0)
			{
				int			p = dmesh_product_has_objects(product) ?
					dmesh_product_find_object(product, o->name) : 0;
				DmeshProduct view;
				DmeshSource source;

				if (p < 0)
					ereport(ERROR,
							(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
							 errmsg("data product \"%s\" has no source for object \"%s\"",
									dmesh_product_display(product), o->name)));
				view = dmesh_product_object(product, p);
				source.relid = view.source_relid;
				source.query = view.source_query;
				dmesh_args_init(&args);
				dmesh_arg_datum(&args, JSONBOID,
								DirectFunctionCall1(jsonb_in, CStringGetDatum(written)), false);
				dmesh_arg_text(&args, dmesh_derive_object(o->name, &source, product->owner,
														  InvalidOid));
				dmesh_spi_exec("SELECT ($1::jsonb || jsonb_build_object('properties',"
							   " $2::jsonb -> 'properties'))::text", &args, SPI_OK_SELECT);
				written = dmesh_spi_text(0, 1);
			}
			appendStringInfoString(&held, written);
		}
		appendStringInfoChar(&held, ']');
	}

	dmesh_args_init(&args);
	dmesh_arg_datum(&args, JSONBOID, JsonbPGetDatum(contract->doc), false);
	dmesh_arg_text(&args, held.data);
	dmesh_spi_exec("SELECT jsonb_set($1, '{schema}', $2::jsonb), $2::jsonb", &args, SPI_OK_SELECT);
	effective = DatumGetJsonbPCopy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
												 &isnull));
	result = dmesh_contract_compile_effective(effective);
	result->written = contract->doc;
	result->held_schema = DatumGetJsonbPCopy(SPI_getbinval(SPI_tuptable->vals[0],
														   SPI_tuptable->tupdesc, 2, &isnull));
	result->derived = contract->derived;
	return result;
}

/*
 * Record an accepted contract; it becomes the product's active version.
 */
int64
dmesh_store_contract(const DmeshProduct *product, DmeshContract *contract, Oid caller)
{
	DmeshArgs	args;
	int64		contract_id;

	/* Every rule must be one dmesh can evaluate on its object's source. */
	for (int i = 0; !contract->derived && i < contract->nobjects; i++)
	{
		DmeshProduct view;
		DmeshContract *object;
		TupleDesc	desc;
		DmeshRuleSet *rs;

		if (!dmesh_port_object(product, contract,
							   dmesh_product_has_objects(product) ? contract->objects[i].name : NULL,
							   &view, &object))
			continue;			/* refused by the source check already */
		desc = dmesh_source_tupdesc(&view);
		rs = dmesh_rules_compile_as(product->owner, object,
									dmesh_property_types(object, desc, NULL),
									CurrentMemoryContext);
		MemoryContextDelete(rs->cxt);
	}

	/*
	 * A derived contract only stands in until the team writes one: the
	 * team's version replaces a derived one of the same number.
	 */
	if (!contract->derived)
	{
		dmesh_args_init(&args);
		dmesh_arg_int8(&args, product->id);
		dmesh_arg_text(&args, contract->version);
		dmesh_spi_exec("DELETE FROM dmesh.contract WHERE product_id = $1 AND version = $2 AND derived",
					   &args, SPI_OK_DELETE);
	}

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product->id);
	dmesh_arg_datum(&args, JSONBOID, JsonbPGetDatum(dmesh_contract_written(contract)), false);
	dmesh_arg_datum(&args, BOOLOID, BoolGetDatum(contract->derived), false);
	dmesh_arg_text(&args, dmesh_role_name(caller));
	dmesh_arg_datum(&args, JSONBOID, PointerGetDatum(contract->held_schema),
					contract->held_schema == NULL);
	dmesh_spi_exec("INSERT INTO dmesh.contract (product_id, document, derived, set_by, held_schema)"
				   " VALUES ($1, $2, $3, $4, $5) RETURNING contract_id",
				   &args, SPI_OK_INSERT_RETURNING);
	contract_id = dmesh_spi_int8(0, 1);

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product->id);
	dmesh_arg_text(&args, contract->version);
	dmesh_spi_exec("UPDATE dmesh.data_product SET version = $2, updated_at = now()"
				   " WHERE product_id = $1",
				   &args, SPI_OK_UPDATE);

	/* Backends that enforce the old rules on writes recompile at commit. */
	for (int i = 0; i < product->nobjects; i++)
		if (OidIsValid(product->objects[i].relid) &&
			SearchSysCacheExists1(RELOID, ObjectIdGetDatum(product->objects[i].relid)))
			CacheInvalidateRelcacheByRelid(product->objects[i].relid);
	return contract_id;
}

/* ----------------------------------------------------------------
 * Deriving a contract from a source
 * ----------------------------------------------------------------
 */

static void
json_member(StringInfo buf, const char *key, const char *value)
{
	appendStringInfoString(buf, ", ");
	escape_json(buf, key);
	appendStringInfoString(buf, ": ");
	escape_json(buf, value);
}

/*
 * Key positions of unique indexes: primary key positions (1-based, 0 if
 * none) and single-column uniqueness, indexed by attribute number.
 */
static void
key_columns(Oid relid, int natts, int *pk_position, bool *unique)
{
	DmeshArgs	args;
	uint64		n;

	dmesh_args_init(&args);
	dmesh_arg_oid(&args, OIDOID, relid);
	n = dmesh_spi_exec("SELECT indisprimary, indkey::int2[]::text FROM pg_index"
					   " WHERE indrelid = $1 AND indisunique AND indpred IS NULL"
					   "   AND indexprs IS NULL ORDER BY indisprimary DESC, indexrelid",
					   &args, SPI_OK_SELECT);
	for (uint64 i = 0; i < n; i++)
	{
		bool		primary = strcmp(dmesh_spi_text(i, 1), "t") == 0;
		char	   *keys = dmesh_spi_text(i, 2);
		int			attnums[INDEX_MAX_KEYS];
		int			nkeys = 0;
		char	   *p = strchr(keys, '{') + 1;	/* "[0:n]={a,b}": int2vector starts at 0 */

		while (*p && *p != '}' && nkeys < INDEX_MAX_KEYS)
		{
			attnums[nkeys++] = (int) strtol(p, &p, 10);
			if (*p == ',')
				p++;
		}
		for (int k = 0; k < nkeys; k++)
		{
			if (attnums[k] < 1 || attnums[k] > natts)
				continue;
			if (primary)
				pk_position[attnums[k] - 1] = k + 1;
			if (nkeys == 1)
				unique[attnums[k] - 1] = true;
		}
	}
}

/* An object's physicalType: the kind of relation its source is. */
const char *
dmesh_object_physical_type(Oid relid)
{
	if (!OidIsValid(relid))
		return "view";
	switch (get_rel_relkind(relid))
	{
		case RELKIND_VIEW:
			return "view";
		case RELKIND_MATVIEW:
			return "materializedView";
		case RELKIND_FOREIGN_TABLE:
			return "foreignTable";
		default:
			return "table";
	}
}

/*
 * The contract dmesh writes for a product that comes without one: version
 * 1.0.0, the source's columns in order with their types, NOT NULL as
 * required, primary and unique keys, column comments as descriptions, the
 * product's description as purpose.  With a published relation, its
 * columns are described instead (what consumers see now).  Runs in a
 * privileged section, so types outside pg_catalog come out
 * schema-qualified.
 */
/*
 * One derived object, as JSON text: named "name", described from its
 * source (or from its published relation, if given).
 */
char *
dmesh_derive_object(const char *name, const DmeshSource *source, Oid owner, Oid published)
{
	DmeshProduct fake = {0};
	TupleDesc	desc;
	Oid			commented = source->relid;
	StringInfoData buf;
	int		   *pk_position;
	bool	   *unique;
	char	   *comment = NULL;
	bool		first = true;

	fake.source_relid = source->relid;
	fake.source_query = source->query;
	fake.owner = owner;
	if (OidIsValid(published))
	{
		/* Describe what consumers see: the published relation's columns. */
		Relation	rel = table_open(published, AccessShareLock);

		desc = CreateTupleDescCopy(RelationGetDescr(rel));
		table_close(rel, AccessShareLock);
		commented = published;
	}
	else
		desc = dmesh_source_tupdesc(&fake);
	/* A source that is gone leaves a contract without properties. */
	if (desc == NULL)
		desc = CreateTemplateTupleDesc(0);

	pk_position = palloc0(sizeof(int) * Max(desc->natts, 1));
	unique = palloc0(sizeof(bool) * Max(desc->natts, 1));
	if (OidIsValid(source->relid) && SearchSysCacheExists1(RELOID, ObjectIdGetDatum(source->relid)))
	{
		if (!OidIsValid(published))
			key_columns(source->relid, desc->natts, pk_position, unique);
		comment = GetComment(source->relid, RelationRelationId, 0);
	}
	else
		commented = InvalidOid;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"name\": ");
	escape_json(&buf, name);
	if (OidIsValid(commented) && OidIsValid(source->relid))
		json_member(&buf, "physicalName", dmesh_qualified_relname(source->relid));
	json_member(&buf, "physicalType", dmesh_object_physical_type(source->relid));
	json_member(&buf, "logicalType", "object");
	if (comment != NULL)
		json_member(&buf, "description", comment);
	appendStringInfoString(&buf, ", \"properties\": [");

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		char	   *colcomment;

		if (att->attisdropped)
			continue;
		appendStringInfoString(&buf, first ? "{\"name\": " : ", {\"name\": ");
		first = false;
		escape_json(&buf, NameStr(att->attname));
		json_member(&buf, "logicalType", dmesh_logical_for(att->atttypid));
		json_member(&buf, "physicalType",
					format_type_with_typemod(att->atttypid, att->atttypmod));
		if (att->attnotnull)
			appendStringInfoString(&buf, ", \"required\": true");
		if (unique[i])
			appendStringInfoString(&buf, ", \"unique\": true");
		if (pk_position[i] > 0)
			appendStringInfo(&buf, ", \"primaryKey\": true, \"primaryKeyPosition\": %d",
							 pk_position[i]);
		colcomment = OidIsValid(commented) ?
			GetComment(commented, RelationRelationId, att->attnum) : NULL;
		if (colcomment != NULL)
			json_member(&buf, "description", colcomment);
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoString(&buf, "]}");
	return buf.data;
}

/* The document around derived objects (JSON texts, comma-separated). */
static Jsonb *
derived_document(const char *domain, const char *product, const char *description,
				 const char *objects)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"apiVersion\": \"v3.1.0\", \"kind\": \"DataContract\"");
	json_member(&buf, "id", psprintf("urn:dmesh:%s:%s", domain, product));
	json_member(&buf, "name", product);
	json_member(&buf, "version", "1.0.0");
	json_member(&buf, "status", "active");
	json_member(&buf, "domain", domain);
	json_member(&buf, "dataProduct", product);
	if (description != NULL)
	{
		appendStringInfoString(&buf, ", \"description\": {\"purpose\": ");
		escape_json(&buf, description);
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfo(&buf, ", \"schema\": [%s]}", objects);
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

Jsonb *
dmesh_derive_document(const char *domain, const char *product, const char *description,
					  const DmeshSource *source, Oid owner, Oid published)
{
	return derived_document(domain, product, description,
							dmesh_derive_object(product, source, owner, published));
}

/*
 * The contract dmesh would write for a product now: one object per object
 * of the product (its source, or its published relation of the current
 * major version when from_published and live).
 */
Jsonb *
dmesh_derive_product_document(const DmeshProduct *product, bool from_published)
{
	StringInfoData objects;

	initStringInfo(&objects);
	for (int i = 0; i < product->nobjects; i++)
	{
		DmeshProduct view = dmesh_product_object(product, i);
		DmeshSource source = {view.source_relid, view.source_query};
		Oid			published = InvalidOid;

		if (from_published && dmesh_product_is_live(product))
			published = dmesh_port_relid(&view, dmesh_version_major(product->version));
		appendStringInfo(&objects, "%s%s", i > 0 ? ", " : "",
						 dmesh_derive_object(view.object ? view.object : product->name,
											 &source, product->owner, published));
	}
	return derived_document(product->domain.name, product->name, product->description,
							objects.data);
}
