/*-------------------------------------------------------------------------
 *
 * product_lifecycle.c
 *		Publishing, deprecating and retiring data products.
 *
 *	  draft ──publish──> published ──deprecate──> deprecated
 *	    │                 │  ^  (publish again)       │  │
 *	    │                 │  └────────publish─────────┘  │
 *	    └──────retire─────┴──────────> retired <──retire─┘
 *
 * Publishing a published or deprecated product again refreshes its
 * relation (and undoes a deprecation).  Retired is final.  Each call locks
 * the product's catalog row, so concurrent transitions are serialized.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"

#include "dmesh.h"
#include "contract.h"
#include "product.h"
#include "quality.h"
#include "gov.h"

PG_FUNCTION_INFO_V1(dmesh_publish_data_product);
PG_FUNCTION_INFO_V1(dmesh_deprecate_data_product);
PG_FUNCTION_INFO_V1(dmesh_retire_data_product);

static bool
status_is(const DmeshProduct *product, const char *status)
{
	return strcmp(product->status, status) == 0;
}

/*
 * Consumers without a grant could bypass dmesh by reading a source that
 * every role can read: say so when publishing.
 */
static void
warn_if_source_public(const DmeshProduct *product)
{
	DmeshArgs	args;

	if (!OidIsValid(product->source_relid))
		return;
	dmesh_args_init(&args);
	dmesh_arg_oid(&args, OIDOID, product->source_relid);
	if (dmesh_spi_exec("SELECT 1 FROM pg_class c, aclexplode(c.relacl) a"
					   " WHERE c.oid = $1 AND a.grantee = 0 AND a.privilege_type = 'SELECT'",
					   &args, SPI_OK_SELECT) > 0)
		ereport(WARNING,
				(errmsg("source of data product \"%s\" is readable by every role",
						dmesh_product_display(product)),
				 errdetail("Roles without an access grant can read the data directly from the source."),
				 errhint("REVOKE SELECT ON %s FROM PUBLIC.",
						 dmesh_qualified_relname(product->source_relid))));
}

Datum
dmesh_publish_data_product(PG_FUNCTION_ARGS)
{
	char	   *ref = dmesh_text_arg(fcinfo, 0, "product");
	Oid			caller = GetUserId();
	DmeshSection section;
	DmeshProduct product;
	DmeshSource source;
	DmeshContract *contract;
	DmeshArgs	args;
	DmeshJson	details;
	bool		replaced;
	Oid			relid;
	char	   *display;
	StringInfoData relations;

	dmesh_begin_product_call(ref, caller, "publish", &section, &product);
	dmesh_refuse_retired(&product, "publish");
	display = dmesh_product_display(&product);

	for (int i = 0; i < product.nobjects; i++)
	{
		source.relid = product.objects[i].relid;
		source.query = product.objects[i].query;
		dmesh_check_source_readable(&source, product.owner, display);
	}
	contract = dmesh_load_contract(&product, NULL, -1);
	dmesh_require_match(&product, contract, false,
						"Change the source back, or set a contract version that matches it with dmesh.set_contract().");
	dmesh_require_publish_policies(&product, caller);

	initStringInfo(&relations);
	relid = dmesh_publish_ports(&product, contract, &replaced, &relations);

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product.id);
	dmesh_spi_exec("UPDATE dmesh.data_product"
				   "   SET status = 'published', updated_at = now(),"
				   "       published_at = coalesce(published_at, now()),"
				   "       deprecation_reason = NULL, sunset = NULL, deprecated_at = NULL"
				   " WHERE product_id = $1",
				   &args, SPI_OK_UPDATE);

	dmesh_json_init(&details);
	dmesh_json_str(&details, "previous_status", product.status);
	dmesh_json_str(&details, "version", product.version);
	dmesh_json_str(&details, "relation", dmesh_qualified_relname(relid));
	if (dmesh_product_has_objects(&product))
		dmesh_json_raw(&details, "relations", relations.data);
	dmesh_json_bool(&details, "replaced", replaced);
	dmesh_log_event(caller, status_is(&product, "draft") ? "publish" : "republish",
					"data_product", display, product.domain.id, product.id,
					dmesh_json_finish(&details));

	for (int i = 0; i < product.nobjects; i++)
	{
		DmeshProduct view = dmesh_product_object(&product, i);

		warn_if_source_public(&view);
	}

	dmesh_end_call(&section);
	PG_RETURN_OID(relid);
}

Datum
dmesh_deprecate_data_product(PG_FUNCTION_ARGS)
{
	char	   *ref = dmesh_text_arg(fcinfo, 0, "product");
	char	   *reason = dmesh_text_arg(fcinfo, 1, "deprecation reason");
	bool		has_sunset = !PG_ARGISNULL(2);
	DateADT		sunset = has_sunset ? PG_GETARG_DATEADT(2) : 0;
	Oid			caller = GetUserId();
	DmeshSection section;
	DmeshProduct product;
	DmeshArgs	args;
	DmeshJson	details;
	char	   *sunset_text = NULL;
	char	   *display;
	const char *p;

	for (p = reason; *p && isspace((unsigned char) *p); p++)
		;
	if (*p == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("deprecation reason must not be empty"),
				 errhint("Tell consumers why, and what to use instead.")));
	if (has_sunset)
	{
		int			year,
					month,
					day;

		if (DATE_NOT_FINITE(sunset))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("sunset date must be finite")));
		/* ISO 8601 whatever DateStyle is: the text goes to the event log. */
		j2date(sunset + POSTGRES_EPOCH_JDATE, &year, &month, &day);
		sunset_text = psprintf("%04d-%02d-%02d", year, month, day);
		if (sunset < GetSQLCurrentDate())
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("sunset date %s is in the past", sunset_text)));
	}

	dmesh_begin_product_call(ref, caller, "deprecate", &section, &product);
	dmesh_refuse_retired(&product, "deprecate");
	display = dmesh_product_display(&product);
	if (status_is(&product, "draft"))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot deprecate data product \"%s\" because it is not published",
						display),
				 errhint("A draft that is no longer wanted can be retired.")));
	if (status_is(&product, "deprecated"))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("data product \"%s\" is already deprecated", display),
				 errhint("Publish it again to undo the deprecation, or retire it.")));

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product.id);
	dmesh_arg_text(&args, reason);
	dmesh_arg_datum(&args, DATEOID, DateADTGetDatum(sunset), !has_sunset);
	dmesh_spi_exec("UPDATE dmesh.data_product"
				   "   SET status = 'deprecated', deprecation_reason = $2, sunset = $3,"
				   "       deprecated_at = now(), updated_at = now()"
				   " WHERE product_id = $1",
				   &args, SPI_OK_UPDATE);
	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product.id);
	dmesh_spi_exec("UPDATE dmesh.output_port SET status = 'deprecated', updated_at = now()"
				   " WHERE product_id = $1 AND status = 'active'",
				   &args, SPI_OK_UPDATE);

	dmesh_set_port_comment(&product, dmesh_version_major(product.version), product.version,
						   has_sunset ?
						   psprintf("DEPRECATED: %s (sunset %s)", reason, sunset_text) :
						   psprintf("DEPRECATED: %s", reason));

	dmesh_json_init(&details);
	dmesh_json_str(&details, "reason", reason);
	dmesh_json_str(&details, "sunset", sunset_text);
	dmesh_log_event(caller, "deprecate", "data_product", display,
					product.domain.id, product.id, dmesh_json_finish(&details));

	dmesh_end_call(&section);
	PG_RETURN_VOID();
}

Datum
dmesh_retire_data_product(PG_FUNCTION_ARGS)
{
	char	   *ref = dmesh_text_arg(fcinfo, 0, "product");
	bool		one_major = PG_NARGS() > 1 && !PG_ARGISNULL(1);
	int			major = one_major ? PG_GETARG_INT32(1) : -1;
	bool		cascade = PG_NARGS() > 2 && !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);
	Oid			caller = GetUserId();
	DmeshSection section;
	DmeshProduct product;
	DmeshArgs	args;
	DmeshJson	details;
	StringInfoData dropped;
	StringInfoData dependents;

	dmesh_begin_product_call(ref, caller, "retire", &section, &product);
	if (status_is(&product, "retired"))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("data product \"%s\" is already retired",
						dmesh_product_display(&product))));
	initStringInfo(&dropped);
	initStringInfo(&dependents);

	if (one_major)
	{
		/* Retire an older major version; the product lives on. */
		if (major == dmesh_version_major(product.version))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("major version %d is the current version of data product \"%s\"",
							major, dmesh_product_display(&product)),
					 errhint("Retire the whole product with dmesh.retire_data_product('%s').",
							 dmesh_product_display(&product))));
		if (!list_member_int(dmesh_live_majors(&product), major))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("data product \"%s\" has no published relation for major version %d",
							dmesh_product_display(&product), major)));
		dmesh_drop_ports(&product, major, cascade, &dropped, &dependents);

		dmesh_json_init(&details);
		dmesh_json_raw(&details, "major", psprintf("%d", major));
		dmesh_json_raw(&details, "dropped", dropped.data);
		if (cascade)
			dmesh_json_raw(&details, "dropped_dependents", dependents.data);
		dmesh_log_event(caller, "retire", "output_port", dmesh_product_display(&product),
						product.domain.id, product.id, dmesh_json_finish(&details));
		dmesh_end_call(&section);
		PG_RETURN_VOID();
	}

	dmesh_drop_ports(&product, -1, cascade, &dropped, &dependents);
	/* A retired product holds no writes to its contract any more. */
	dmesh_drop_enforcement(&product);

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product.id);
	dmesh_spi_exec("UPDATE dmesh.data_product"
				   "   SET status = 'retired', retired_at = now(), updated_at = now()"
				   " WHERE product_id = $1",
				   &args, SPI_OK_UPDATE);

	dmesh_json_init(&details);
	dmesh_json_str(&details, "previous_status", product.status);
	dmesh_json_raw(&details, "dropped", dropped.data);
	if (cascade)
		dmesh_json_raw(&details, "dropped_dependents", dependents.data);
	dmesh_log_event(caller, "retire", "data_product", dmesh_product_display(&product),
					product.domain.id, product.id, dmesh_json_finish(&details));

	dmesh_end_call(&section);
	PG_RETURN_VOID();
}
