/*-------------------------------------------------------------------------
 *
 * worker_health.c
 *		How old a product's newest data is, for dmesh.product_health.
 *
 * dmesh._freshness(product) reads, as the product's owner and under
 * SECURITY_RESTRICTED_OPERATION, the greatest value of the column the
 * contract's freshness SLA names in its "element" ("object.column" or
 * "column", a published property), as timestamptz: the contract makes
 * that column the public measure of freshness, so every role may see it
 * (unless it is classified pii or restricted).  dmesh._newest_data(product,
 * element) does the same for any published column, for the product's
 * managers only.  Without an element,
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
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "dmesh.h"
#include "contract.h"
#include "product.h"

PG_FUNCTION_INFO_V1(dmesh_newest_data);
PG_FUNCTION_INFO_V1(dmesh_freshness);

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

/* The active contract's freshness SLA element, or NULL. */
static char *
sla_element(const DmeshContract *contract)
{
	JsonbValue *slas = dmesh_json_get(&contract->doc->root, "slaProperties");

	if (slas == NULL || slas->type != jbvBinary || !JsonContainerIsArray(slas->val.binary.data))
		return NULL;
	for (uint32 i = 0; i < JsonContainerSize(slas->val.binary.data); i++)
	{
		JsonbValue *sla = getIthJsonbValueFromContainer(slas->val.binary.data, i);
		char	   *property;

		if (sla->type != jbvBinary || !JsonContainerIsObject(sla->val.binary.data))
			continue;
		property = dmesh_json_text(sla->val.binary.data, "property");
		if (property != NULL && strcmp(property, "freshness") == 0)
			return dmesh_json_text(sla->val.binary.data, "element");
	}
	return NULL;
}

static bool
masked_classification(const char *classification)
{
	return classification != NULL &&
		(pg_strcasecmp(classification, "pii") == 0 ||
		 pg_strcasecmp(classification, "restricted") == 0);
}

/*
 * The newest data of a live product: the greatest value of the column the
 * element names, or (no element, track_commit_timestamp on) the newest
 * commit time of the source's rows.  Read as the product's owner.  With
 * "sla", the element is the freshness SLA's and a column classified pii or restricted gives NULL.
 */
static bool
newest_data(const char *ref, const char *element, bool sla, TimestampTz *result)
{
	DmeshProductRef r = dmesh_parse_product_ref(ref);
	Oid			caller = GetUserId();
	DmeshProduct product;
	DmeshContract *contract;
	DmeshSection section;
	DmeshSection owner_section;
	NewestQuery q = {NULL, 0, true};
	char	   *column = NULL;
	char	   *message = NULL;
	const char *from = NULL;

	SPI_connect();
	dmesh_enter_privileged(&section);
	if (!dmesh_load_product(&r, DMESH_NO_LOCK, &product))
	{
		if (sla)
		{
			dmesh_leave(&section);
			SPI_finish();
			return false;
		}
		dmesh_require_product(ref, DMESH_NO_LOCK, &product);
	}
	if (!sla)
		dmesh_require_manager(caller, &product, "read the newest data of");
	if (!dmesh_product_is_live(&product))
	{
		dmesh_leave(&section);
		SPI_finish();
		return false;
	}
	contract = dmesh_load_contract(&product, NULL, -1);
	if (sla)
		element = sla_element(contract);

	if (element != NULL)
	{
		/*
		 * "object.column" or "column": a published property, in the object
		 * named (by name or physicalName) or the first that has it; read
		 * from that object's source.
		 */
		const char *dot = strrchr(element, '.');
		const char *name = dot ? dot + 1 : element;
		int			in = dot ? dmesh_contract_find_object(contract, pnstrdup(element, dot - element)) : -1;
		DmeshProduct view;
		DmeshContract *object;

		for (int o = 0; o < contract->nobjects && column == NULL; o++)
		{
			const DmeshObject *obj = &contract->objects[o];

			if (in >= 0 && o != in)
				continue;
			for (int i = 0; i < obj->nprops && column == NULL; i++)
				if ((strcmp(obj->props[i].name, name) == 0 || strcmp(obj->props[i].column, name) == 0) &&
					!(sla && masked_classification(obj->props[i].classification) &&
					  !has_privs_of_role(caller, product.owner) &&
					  !has_privs_of_role(caller, product.domain.owner)) &&
					dmesh_port_object(&product, contract,
									  dmesh_product_has_objects(&product) ? obj->name : NULL,
									  &view, &object))
				{
					column = obj->props[i].column;
					from = OidIsValid(view.source_relid) ?
						psprintf("%s s", dmesh_qualified_relname(view.source_relid)) :
						psprintf("(%s) s", view.source_query);
				}
		}
		if (column != NULL)
			q.sql = psprintf("SELECT pg_catalog.max(s.%s)::pg_catalog.timestamptz FROM %s",
							 quote_identifier(column), from);
	}
	else if (track_commit_timestamp && !dmesh_product_has_objects(&product) &&
			 OidIsValid(product.source_relid))
		q.sql = psprintf("SELECT pg_catalog.max(pg_catalog.pg_xact_commit_timestamp(s.xmin)) FROM %s s",
						 dmesh_qualified_relname(product.source_relid));

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
	*result = q.result;
	return !q.isnull;
}

/*
 * dmesh._newest_data(product, element): the newest value of any published
 * column; managers of the product only.
 */
Datum
dmesh_newest_data(PG_FUNCTION_ARGS)
{
	char	   *ref = dmesh_text_arg(fcinfo, 0, "product");
	char	   *element = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	TimestampTz result;

	if (!newest_data(ref, element, false, &result))
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(result);
}

/*
 * dmesh._freshness(product): the newest data as the product's freshness
 * SLA defines it (its element, a column the contract publishes as the
 * measure of freshness), for every role; NULL when unknown, and for a
 * column classified pii or restricted unless the caller manages the
 * product.
 */
Datum
dmesh_freshness(PG_FUNCTION_ARGS)
{
	TimestampTz result;

	if (!newest_data(text_to_cstring(PG_GETARG_TEXT_PP(0)), NULL, true, &result))
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(result);
}
