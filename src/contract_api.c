/*-------------------------------------------------------------------------
 *
 * contract_api.c
 *		dmesh.set_contract(), dmesh.contract_yaml(), dmesh.derive_contract()
 *		and dmesh.set_contract_gate().
 *
 * Setting a contract is a gate of its own: the version must increase, the
 * source must match the new contract, and on a published product a
 * breaking change needs a new major version.  A new minor or patch
 * version republishes the current relation; a new major version publishes
 * a new relation beside the old ones, which become deprecated and stay
 * queryable until they are retired.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "dmesh.h"
#include "contract.h"
#include "product.h"
#include "gov.h"

PG_FUNCTION_INFO_V1(dmesh_set_contract_text);
PG_FUNCTION_INFO_V1(dmesh_set_contract_jsonb);
PG_FUNCTION_INFO_V1(dmesh_contract_yaml);
PG_FUNCTION_INFO_V1(dmesh_contract_document);
PG_FUNCTION_INFO_V1(dmesh_derive_contract);
PG_FUNCTION_INFO_V1(dmesh_set_contract_gate);

/*
 * Refuse breaking changes that keep the major version of a published
 * product; count the changes by severity for the event log.
 */
static void
check_changes(const DmeshProduct *product, const DmeshContract *active,
			  const DmeshContract *next, int counts[3])
{
	StringInfoData breaking;
	ListCell   *lc;

	initStringInfo(&breaking);
	foreach(lc, dmesh_contract_diff(active, next))
	{
		DmeshChange *c = lfirst(lc);

		counts[c->severity]++;
		if (c->severity == DMESH_BREAKING)
			appendStringInfo(&breaking, "%s%s", breaking.len > 0 ? "\n" : "",
							 dmesh_change_text(c));
	}
	if (counts[DMESH_BREAKING] > 0 && next->major == active->major &&
		dmesh_product_is_live(product))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("contract version %s of data product \"%s\" breaks version %s without a new major version",
						next->version, dmesh_product_display(product), active->version),
				 errdetail("Breaking changes:\n%s", breaking.data),
				 errhint("Publish it as version %d.0.0: consumers keep major version %d until they move.",
						 active->major + 1, active->major)));
}

/*
 * Older major versions of a product that got a new one are deprecated:
 * still queryable, marked as superseded.
 */
static void
deprecate_older_ports(const DmeshProduct *product, const DmeshContract *next, Oid relid)
{
	DmeshArgs	args;
	uint64		n;
	SPITupleTable *ports;

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product->id);
	dmesh_arg_int4(&args, next->major);
	n = dmesh_spi_exec("UPDATE dmesh.output_port SET status = 'deprecated', updated_at = now()"
					   " WHERE product_id = $1 AND major <> $2 AND status = 'active'"
					   " RETURNING major, version",
					   &args, SPI_OK_UPDATE_RETURNING);
	ports = SPI_tuptable;
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;
		int			major = DatumGetInt32(SPI_getbinval(ports->vals[i], ports->tupdesc, 1,
														&isnull));

		dmesh_set_port_comment(product, major, SPI_getvalue(ports->vals[i], ports->tupdesc, 2),
							   psprintf("DEPRECATED: superseded by version %s (%s).",
										next->version, dmesh_qualified_relname(relid)));
	}
}

/*
 * Objects a new contract version of a product with several objects adds:
 * each read from the relation its physicalName names, resolved as the
 * caller would (outside the privileged section), recorded in
 * dmesh.product_object.  The product is loaded again when any is added.
 */
static void
add_objects(DmeshProduct *product, const DmeshContract *next, DmeshSection *section, Oid caller)
{
	DmeshSource *sources = palloc0(sizeof(DmeshSource) * Max(next->nobjects, 1));
	bool		any = false;
	DmeshProductRef ref;

	if (!dmesh_product_has_objects(product))
		return;
	for (int i = 0; i < next->nobjects; i++)
		if (dmesh_product_find_object(product, next->objects[i].name) < 0)
			any = true;
	if (!any)
		return;

	dmesh_leave(section);
	for (int i = 0; i < next->nobjects; i++)
	{
		const DmeshObject *o = &next->objects[i];

		if (dmesh_product_find_object(product, o->name) >= 0)
			continue;
		if (o->physical_name == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("object \"%s\" is new in contract version %s and has no source", o->name,
							next->version),
					 errhint("Name its relation in the object's physicalName.")));
		sources[i] = dmesh_resolve_physical_name(o->name, o->physical_name);
	}
	dmesh_enter_privileged(section);

	for (int i = 0, position = product->nobjects; i < next->nobjects; i++)
	{
		DmeshArgs	args;

		if (!OidIsValid(sources[i].relid))
			continue;
		dmesh_check_source_readable(&sources[i], product->owner, dmesh_product_display(product));
		(void) dmesh_port_relation_name(product->name, next->objects[i].name, 0);
		dmesh_args_init(&args);
		dmesh_arg_int8(&args, product->id);
		dmesh_arg_text(&args, next->objects[i].name);
		dmesh_arg_int4(&args, position++);
		dmesh_arg_oid(&args, REGCLASSOID, sources[i].relid);
		dmesh_spi_exec("INSERT INTO dmesh.product_object"
					   " (product_id, object, position, source_kind, source_relation)"
					   " VALUES ($1, $2, $3, 'relation', $4)", &args, SPI_OK_INSERT);
	}
	ref.domain = product->domain.name;
	ref.product = product->name;
	if (!dmesh_load_product(&ref, DMESH_NO_LOCK, product))
		elog(ERROR, "data product \"%s\" vanished", dmesh_product_display(product));
}

static int64
set_contract(FunctionCallInfo fcinfo, Jsonb *doc)
{
	char	   *ref = dmesh_text_arg(fcinfo, 0, "product");
	Oid			caller = GetUserId();
	DmeshContract *next = dmesh_contract_compile(doc);
	DmeshContract *active;
	DmeshSection section;
	DmeshProduct product;
	DmeshJson	details;
	int			counts[3] = {0, 0, 0};
	int64		contract_id;
	Oid			relid = InvalidOid;

	dmesh_begin_product_call(ref, caller, "set the contract of", &section, &product);
	dmesh_refuse_retired(&product, "set the contract of");

	active = dmesh_load_contract(&product, NULL, -1);
	/* the team's first contract replaces the derived one, whatever its version */
	if (!active->derived && dmesh_semver_cmp(next, active) <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("contract version %s of data product \"%s\" is not newer than version %s",
						next->version, dmesh_product_display(&product), active->version),
				 errhint("Every accepted contract is kept; give this one a higher version.")));
	add_objects(&product, next, &section, caller);
	next = dmesh_contract_hold(&product, next);
	dmesh_require_match(&product, next, true, NULL);
	check_changes(&product, active, next, counts);

	contract_id = dmesh_store_contract(&product, next, caller);
	product.version = next->version;

	if (dmesh_product_is_live(&product))
	{
		bool		replaced;

		/* A live product is published again: the publish policies apply. */
		dmesh_require_publish_policies(&product, caller);
		relid = dmesh_publish_ports(&product, next, &replaced, NULL);
		if (next->major != active->major)
			deprecate_older_ports(&product, next, relid);
	}

	dmesh_json_init(&details);
	dmesh_json_str(&details, "version", next->version);
	dmesh_json_str(&details, "previous_version", active->version);
	dmesh_json_raw(&details, "breaking", psprintf("%d", counts[DMESH_BREAKING]));
	dmesh_json_raw(&details, "warnings", psprintf("%d", counts[DMESH_WARNING]));
	dmesh_json_raw(&details, "info", psprintf("%d", counts[DMESH_INFO]));
	if (OidIsValid(relid))
		dmesh_json_str(&details, "relation", dmesh_qualified_relname(relid));
	dmesh_log_event(caller, "set_contract", "contract", dmesh_product_display(&product),
					product.domain.id, product.id, dmesh_json_finish(&details));

	dmesh_end_call(&section);
	return contract_id;
}

Datum
dmesh_set_contract_text(PG_FUNCTION_ARGS)
{
	char	   *text = dmesh_text_arg(fcinfo, 1, "contract");

	PG_RETURN_INT64(set_contract(fcinfo, dmesh_parse_document(text)));
}

Datum
dmesh_set_contract_jsonb(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("contract must not be null")));
	PG_RETURN_INT64(set_contract(fcinfo, PG_GETARG_JSONB_P(1)));
}

/*
 * A stored version of a product's contract, the active one unless a
 * version is named, copied out of SPI.
 */
static Jsonb *
stored_document(FunctionCallInfo fcinfo)
{
	char	   *ref = dmesh_text_arg(fcinfo, 0, "product");
	char	   *version = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	DmeshSection section;
	DmeshProduct product;
	DmeshContract *contract;
	Jsonb	   *doc;

	SPI_connect();
	dmesh_enter_privileged(&section);
	dmesh_require_product(ref, DMESH_NO_LOCK, &product);
	contract = dmesh_load_contract(&product, version, -1);
	if (contract == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("data product \"%s\" has no contract version %s", ref, version)));
	doc = dmesh_spi_return(dmesh_contract_written(contract));
	dmesh_end_call(&section);
	return doc;
}

/*
 * dmesh.contract_yaml(product, version DEFAULT NULL): the contract as
 * ODCS YAML, the active version unless one is named.
 */
Datum
dmesh_contract_yaml(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(dmesh_yaml_emit(stored_document(fcinfo))));
}

/*
 * dmesh.contract_document(product, version DEFAULT NULL): the same as
 * jsonb, ready for jsonb_set and set_contract.
 */
Datum
dmesh_contract_document(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(stored_document(fcinfo));
}

/*
 * dmesh.derive_contract(product, from_published): the contract dmesh would
 * write for the product's source as it is now (or, from_published, for its
 * published relation), as a starting point for a new version.  Managers
 * of the product only: it lists columns the product does not publish.
 */
Datum
dmesh_derive_contract(PG_FUNCTION_ARGS)
{
	char	   *ref = dmesh_text_arg(fcinfo, 0, "product");
	Oid			caller = GetUserId();
	DmeshSection section;
	DmeshProduct product;
	Jsonb	   *result;

	SPI_connect();
	dmesh_enter_privileged(&section);
	dmesh_require_product(ref, DMESH_NO_LOCK, &product);
	/* it shows the source's columns, published or not */
	dmesh_require_manager(caller, &product, "derive a contract for");
	result = dmesh_spi_return(dmesh_derive_product_document(&product,
															PG_NARGS() > 1 && !PG_ARGISNULL(1) &&
															PG_GETARG_BOOL(1)));
	dmesh_end_call(&section);
	PG_RETURN_JSONB_P(result);
}

/*
 * dmesh.set_contract_gate(product, mode): what the DDL gate does when a
 * change to the product's source or published relation would break its
 * contract: 'enforce' refuses it, 'warn' lets it through and records a
 * contract breach.  Enforcing requires the product to match its contract
 * now.
 */
Datum
dmesh_set_contract_gate(PG_FUNCTION_ARGS)
{
	char	   *ref = dmesh_text_arg(fcinfo, 0, "product");
	char	   *mode = dmesh_text_arg(fcinfo, 1, "mode");
	Oid			caller = GetUserId();
	DmeshSection section;
	DmeshProduct product;
	DmeshArgs	args;
	DmeshJson	details;

	if (strcmp(mode, "enforce") != 0 && strcmp(mode, "warn") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown contract gate mode \"%s\"", mode),
				 errhint("The modes are 'enforce' and 'warn'.")));

	dmesh_begin_product_call(ref, caller, "set the contract gate of", &section, &product);
	dmesh_refuse_retired(&product, "set the contract gate of");
	if (strcmp(mode, "enforce") == 0)
		dmesh_require_match(&product, dmesh_load_contract(&product, NULL, -1), false,
							"Make the source match the contract before enforcing it.");

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product.id);
	dmesh_arg_text(&args, mode);
	dmesh_spi_exec("UPDATE dmesh.data_product SET contract_gate = $2, updated_at = now()"
				   " WHERE product_id = $1",
				   &args, SPI_OK_UPDATE);

	dmesh_json_init(&details);
	dmesh_json_str(&details, "mode", mode);
	dmesh_json_str(&details, "previous_mode", product.gate);
	dmesh_log_event(caller, "set_contract_gate", "data_product", dmesh_product_display(&product),
					product.domain.id, product.id, dmesh_json_finish(&details));

	dmesh_end_call(&section);
	PG_RETURN_VOID();
}
