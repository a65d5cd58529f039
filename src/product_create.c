/*-------------------------------------------------------------------------
 *
 * product_create.c
 *		dmesh.create_data_product(), dmesh.product_relation() and
 *		dmesh._suggest_product().
 *
 * A product starts as a draft: its source is resolved and checked, nothing
 * is created outside dmesh's catalogs until it is published.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/timestamp.h"

#include "dmesh.h"
#include "contract.h"
#include "product.h"
#include "worker.h"

PG_FUNCTION_INFO_V1(dmesh_create_data_product);
PG_FUNCTION_INFO_V1(dmesh_product_relation);
PG_FUNCTION_INFO_V1(dmesh_suggest_product);

/*
 * Check the tags array and render it as a JSON array for the event log.
 */
static char *
check_tags(ArrayType *tags)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	StringInfoData json;

	if (ARR_NDIM(tags) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("tags must be a one-dimensional array")));
	deconstruct_array(tags, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	initStringInfo(&json);
	appendStringInfoChar(&json, '[');
	for (int i = 0; i < n; i++)
	{
		char	   *tag;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("tags must not contain null")));
		tag = TextDatumGetCString(elems[i]);
		if (tag[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("tags must not be empty strings")));
		if (i > 0)
			appendStringInfoString(&json, ", ");
		escape_json(&json, tag);
	}
	appendStringInfoChar(&json, ']');
	return json.data;
}

/*
 * The sources of a new product: the one given (a relation or a query), or
 * one per object of its contract, from sources => {"object": "source"}
 * or the object's physicalName.  Resolved as the caller would resolve
 * them, with the caller's search_path.  *several is set for a contract of
 * several objects (each its own relation, dmesh.product_object).
 */
static DmeshObjectSource *
resolve_sources(const char *source_text, Jsonb *sources, const DmeshContract *contract,
				int *n, bool *several)
{
	DmeshObjectSource *objs;

	*several = false;
	if (source_text != NULL)
	{
		DmeshSource source;

		if (sources != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("give a source or sources, not both"),
					 errhint("source is the one source of a product; sources gives each object of its contract its own.")));
		if (contract != NULL && contract->nobjects > 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the contract has %d objects: each needs its own source, not one source",
							contract->nobjects),
					 errhint("Leave source NULL: each object is read from the relation its physicalName names, or from sources => '{\"object\": \"schema.relation\"}'.")));
		source = dmesh_resolve_source(source_text);
		objs = palloc0(sizeof(DmeshObjectSource));
		objs[0].relid = source.relid;
		objs[0].query = source.query;
		*n = 1;
		return objs;
	}
	if (contract == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source must not be null"),
				 errhint("Give a source, or a contract whose objects name their relations in physicalName.")));
	if (contract->nobjects == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the contract lists no object to take a source from"),
				 errhint("Give the product a source.")));
	if (sources != NULL)
	{
		JsonbIterator *it;
		JsonbValue	v;
		JsonbIteratorToken tok;

		if (!JB_ROOT_IS_OBJECT(sources))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("sources must be an object that maps object names to sources")));
		it = JsonbIteratorInit(&sources->root);
		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		{
			char	   *key;

			CHECK_FOR_INTERRUPTS();
			if (tok == WJB_VALUE && v.type != jbvString)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("sources: each source must be a string (a relation or a SELECT)")));
			if (tok != WJB_KEY)
				continue;
			key = pnstrdup(v.val.string.val, v.val.string.len);
			if (dmesh_contract_find_object(contract, key) < 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("sources: the contract has no object \"%s\"", key)));
		}
	}

	*n = contract->nobjects;
	*several = contract->nobjects > 1;
	objs = palloc0(sizeof(DmeshObjectSource) * contract->nobjects);
	for (int i = 0; i < contract->nobjects; i++)
	{
		const DmeshObject *o = &contract->objects[i];
		JsonbValue *given = sources ? dmesh_json_get(&sources->root, o->name) : NULL;
		DmeshSource source;

		CHECK_FOR_INTERRUPTS();
		if (given != NULL)
			source = dmesh_resolve_source(pnstrdup(given->val.string.val, given->val.string.len));
		else if (o->physical_name != NULL)
			source = dmesh_resolve_physical_name(o->name, o->physical_name);
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("object \"%s\" of the contract has no source", o->name),
					 errhint("Name its relation in the object's physicalName, or give it in sources => '{\"%s\": \"schema.relation\"}'.",
							 o->name)));
		objs[i].name = *several ? o->name : NULL;
		objs[i].relid = source.relid;
		objs[i].query = source.query;
	}
	return objs;
}

static char *
describe_object_source(const DmeshObjectSource *o)
{
	DmeshSource source = {o->relid, o->query};

	return dmesh_source_describe(&source);
}

Datum
dmesh_create_data_product(PG_FUNCTION_ARGS)
{
	char	   *domain_name = dmesh_text_arg(fcinfo, 0, "domain");
	char	   *name = dmesh_text_arg(fcinfo, 1, "data product name");
	char	   *source_text = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	char	   *description = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	ArrayType  *tags = PG_ARGISNULL(5) ? construct_empty_array(TEXTOID) : PG_GETARG_ARRAYTYPE_P(5);
	Jsonb	   *sources = PG_NARGS() > 9 && !PG_ARGISNULL(9) ? PG_GETARG_JSONB_P(9) : NULL;
	DmeshContract *contract = NULL;
	Oid			caller = GetUserId();
	Oid			owner;
	char	   *tags_json;
	char	   *display;
	DmeshObjectSource *objs;
	int			nobjs;
	bool		several;
	DmeshSource source;
	DmeshSection section;
	DmeshDomain domain;
	DmeshProduct existing;
	DmeshProduct created;
	DmeshProductRef ref;
	DmeshArgs	args;
	DmeshJson	details;
	int64		product_id;
	Interval   *refresh;
	bool		materialize = PG_NARGS() > 8 && !PG_ARGISNULL(8) && PG_GETARG_BOOL(8);
	char	   *materialized_query = NULL;

	dmesh_check_name(name, "data product");
	refresh = PG_NARGS() > 7 ? dmesh_interval_arg(fcinfo, 7, "refresh") : NULL;
	tags_json = check_tags(tags);
	display = dmesh_product_ident(domain_name, name);
	if (PG_NARGS() > 6 && !PG_ARGISNULL(6))
		contract = dmesh_contract_compile(dmesh_parse_document(text_to_cstring(PG_GETARG_TEXT_PP(6))));

	SPI_connect();
	dmesh_enter_privileged(&section);

	dmesh_require_domain(domain_name, DMESH_LOCK_FOR_UPDATE, &domain);
	if (!has_privs_of_role(caller, domain.owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for domain \"%s\"", domain.name),
				 errdetail("Only role \"%s\" (owner of domain \"%s\") and its members can create data products in it.",
						   dmesh_role_name(domain.owner), domain.name)));

	owner = PG_ARGISNULL(4) ? domain.owner : dmesh_role_arg(fcinfo, 4, "owner", false);
	if (!is_member_of_role(caller, owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be able to SET ROLE \"%s\"", dmesh_role_name(owner)),
				 errdetail("Only members of a role can make it the owner of a data product.")));

	ref.domain = domain_name;
	ref.product = name;
	if (dmesh_load_product(&ref, DMESH_NO_LOCK, &existing))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("data product \"%s\" already exists", display)));
	dmesh_leave(&section);

	/*
	 * Names in the sources are resolved as the caller would resolve them, so
	 * outside the privileged section.  The domain row stays locked.
	 */
	objs = resolve_sources(source_text, sources, contract, &nobjs, &several);

	dmesh_enter_privileged(&section);
	for (int i = 0; i < nobjs; i++)
	{
		DmeshSource s = {objs[i].relid, objs[i].query};

		dmesh_check_source_readable(&s, owner, display);
		if (several)
			dmesh_port_relation_name(name, objs[i].name, contract->major);	/* fits, or errors */
	}
	source.relid = objs[0].relid;
	source.query = objs[0].query;

	if (refresh != NULL && !materialize)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("only a materialized data product can be refreshed"),
				 errhint("Add materialize => true, with a query source.")));
	if (materialize)
	{
		/* The query's rows in a table of the product: its source from now on. */
		if (several)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("a data product with several objects cannot be materialized"),
					 errhint("Materialize each object as a product of its own, or make its sources tables.")));
		if (source.query == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("only a data product made from a query can be materialized"),
					 errhint("A relation source already holds its data.")));
		materialized_query = source.query;
		source.relid = dmesh_materialize(domain.schema_name, name, source.query, owner);
		source.query = NULL;
	}

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, domain.id);
	dmesh_arg_text(&args, name);
	dmesh_arg_text(&args, description);
	dmesh_arg_oid(&args, REGROLEOID, owner);
	dmesh_arg_datum(&args, TEXTARRAYOID, PointerGetDatum(tags), false);
	dmesh_arg_text(&args, several ? "objects" : OidIsValid(source.relid) ? "relation" : "query");
	dmesh_arg_oid(&args, REGCLASSOID, several ? InvalidOid : source.relid);
	dmesh_arg_text(&args, several ? NULL : source.query);
	dmesh_arg_text(&args, materialized_query);
	dmesh_spi_exec("INSERT INTO dmesh.data_product"
				   " (domain_id, name, description, owner, tags, source_kind,"
				   "  source_relation, source_query, materialize_query)"
				   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING product_id",
				   &args, SPI_OK_INSERT_RETURNING);
	product_id = dmesh_spi_int8(0, 1);
	for (int i = 0; several && i < nobjs; i++)
	{
		dmesh_args_init(&args);
		dmesh_arg_int8(&args, product_id);
		dmesh_arg_text(&args, objs[i].name);
		dmesh_arg_int4(&args, i);
		dmesh_arg_text(&args, OidIsValid(objs[i].relid) ? "relation" : "query");
		dmesh_arg_oid(&args, REGCLASSOID, objs[i].relid);
		dmesh_arg_text(&args, objs[i].query);
		dmesh_spi_exec("INSERT INTO dmesh.product_object"
					   " (product_id, object, position, source_kind, source_relation, source_query)"
					   " VALUES ($1, $2, $3, $4, $5, $6)", &args, SPI_OK_INSERT);
	}
	if (refresh != NULL)
	{
		dmesh_args_init(&args);
		dmesh_arg_int8(&args, product_id);
		dmesh_arg_datum(&args, INTERVALOID, IntervalPGetDatum(refresh), false);
		dmesh_spi_exec("INSERT INTO dmesh.schedule (product_id, refresh_every, next_refresh_at)"
					   " VALUES ($1, $2, now() + $2)", &args, SPI_OK_INSERT);
	}

	/* Every product has a contract: the one given, or one derived. */
	if (!dmesh_load_product(&ref, DMESH_NO_LOCK, &created))
		elog(ERROR, "data product \"%s\" vanished", display);
	if (contract == NULL)
	{
		contract = dmesh_contract_compile(dmesh_derive_document(domain_name, name, description,
																&source, owner, InvalidOid));
		contract->derived = true;
	}
	else
	{
		contract = dmesh_contract_hold(&created, contract);
		dmesh_require_match(&created, contract, true, NULL);
	}
	dmesh_store_contract(&created, contract, caller);

	dmesh_json_init(&details);
	dmesh_json_str(&details, "contract_version", contract->version);
	dmesh_json_bool(&details, "contract_derived", contract->derived);
	dmesh_json_str(&details, "owner", dmesh_role_name(owner));
	if (several)
	{
		DmeshJson	objects;

		dmesh_json_init(&objects);
		for (int i = 0; i < nobjs; i++)
			dmesh_json_str(&objects, objs[i].name, describe_object_source(&objs[i]));
		dmesh_json_str(&details, "source_kind", "objects");
		dmesh_json_raw(&details, "sources", dmesh_json_finish(&objects));
	}
	else
	{
		dmesh_json_str(&details, "source_kind", OidIsValid(source.relid) ? "relation" : "query");
		dmesh_json_str(&details, "source", dmesh_source_describe(&source));
	}
	if (materialize)
		dmesh_json_bool(&details, "materialized", true);
	dmesh_json_raw(&details, "tags", tags_json);
	dmesh_log_event(caller, "create_data_product", "data_product", display,
					domain.id, product_id, dmesh_json_finish(&details));

	dmesh_end_call(&section);
	PG_RETURN_INT64(product_id);
}

/*
 * The product seen through the object product_relation names: required
 * for a product with several objects; for a product with one, the name its
 * contract of that major version gives the object.
 */
static DmeshProduct
relation_object(const DmeshProduct *product, const char *object, const char *ref, int major)
{
	int			i;

	if (!dmesh_product_has_objects(product))
	{
		DmeshContract *contract = dmesh_load_contract(product, NULL, major);

		if (contract != NULL && contract->nobjects == 1 &&
			dmesh_contract_find_object(contract, object) == 0)
			return *product;
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("data product \"%s\" has no object \"%s\"", ref, object),
				 contract != NULL && contract->nobjects == 1 ?
				 errhint("Its one object is \"%s\"; leave object NULL.", contract->object_name) : 0));
	}
	if (object == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("data product \"%s\" has several objects: name one", ref),
				 errhint("Its objects are listed in dmesh.product_object; call dmesh.product_relation('%s', major, object).",
						 ref)));
	i = dmesh_product_find_object(product, object);
	if (i < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("data product \"%s\" has no object \"%s\"", ref, object)));
	return dmesh_product_object(product, i);
}

Datum
dmesh_product_relation(PG_FUNCTION_ARGS)
{
	char	   *ref = dmesh_text_arg(fcinfo, 0, "product");
	bool		has_major = PG_NARGS() > 1 && !PG_ARGISNULL(1);
	int			major = has_major ? PG_GETARG_INT32(1) : -1;
	char	   *object = PG_NARGS() > 2 && !PG_ARGISNULL(2) ? text_to_cstring(PG_GETARG_TEXT_PP(2)) : NULL;
	DmeshSection section;
	DmeshProduct product;
	Oid			relid;

	SPI_connect();
	dmesh_enter_privileged(&section);

	dmesh_require_product(ref, DMESH_NO_LOCK, &product);
	if (!dmesh_product_is_live(&product))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("data product \"%s\" has no published relation", ref),
				 errdetail("The product is %s; only published and deprecated products can be queried.",
						   product.status)));
	if (!has_major)
		major = dmesh_version_major(product.version);
	if (object != NULL || dmesh_product_has_objects(&product))
		product = relation_object(&product, object, ref, major);
	relid = dmesh_port_relid(&product, major);
	if (!OidIsValid(relid) && has_major)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("data product \"%s\" has no published relation for major version %d",
						ref, major)));
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("published relation of data product \"%s\" is missing", ref),
				 errhint("Publish the product again to recreate it.")));

	dmesh_end_call(&section);
	PG_RETURN_OID(relid);
}

/*
 * dmesh._suggest_product(product): the one product name close to the one
 * given, or NULL: the "Did you mean" of the errors about unknown products
 * that dmesh's SQL functions raise (as dmesh_require_product does in C).
 */
Datum
dmesh_suggest_product(PG_FUNCTION_ARGS)
{
	char	   *ref = text_to_cstring(PG_GETARG_TEXT_PP(0));
	DmeshSection section;
	const char *suggestion;
	text	   *result = NULL;

	SPI_connect();
	dmesh_enter_privileged(&section);
	suggestion = dmesh_product_suggestion(ref);
	if (suggestion != NULL)
		result = dmesh_spi_return(cstring_to_text(suggestion));
	dmesh_end_call(&section);
	if (result == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(result);
}
