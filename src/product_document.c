/*-------------------------------------------------------------------------
 *
 * product_document.c
 *		dmesh.product_document() and dmesh.product_yaml(): a data product
 *		as an Open Data Product Standard (ODPS v1.0.0) document.
 *
 * The document says what dmesh holds of the product, in the shape that
 * dmesh.apply_product reads back (product_apply.c), so that applying it
 * changes nothing:
 *
 *	id					the id of the document it was applied with, else
 *						urn:dmesh:<domain>:<product> (as derived contracts)
 *	name, domain		the product's names
 *	version				its active contract's version
 *	status				draft, active (published), deprecated or retired
 *	description			purpose: the product's description (else its
 *						contract's purpose); limitations and usage: the
 *						active contract's
 *	tags				the product's tags
 *	team, support		the active contract's, as ODPS allows them
 *	inputPorts			what it reads (lineage): other products' published
 *						relations, with their version and contract id; a
 *						relation of no product (dmeshRelation) with this
 *						product's own contract, which holds it
 *	outputPorts			one per published relation (major version and
 *						object; for a draft, those it would publish): the
 *						object's name, type tables, the version, the
 *						contract's id, the relation (dmeshRelation)
 *	productCreatedTs	when the product was created
 *	customProperties	dmeshOwner, dmeshSource, dmeshMaterialized,
 *						dmeshContractGate, dmeshEnforcement, dmeshSchedule,
 *						dmeshAgreements, dmeshPolicies, dmeshDeprecation
 *
 * Fields dmesh has no home for (tenant, authoritativeDefinitions,
 * managementPorts, productCreatedTs, customProperties of one's own, an output port's
 * description, sbom ...) and fields written otherwise than dmesh would
 * derive them (team, support, inputPorts, limitations, usage ...) are
 * kept as the document applied last gave them (dmesh.applied_product) and
 * written back in their place.
 *
 * Everything is read as the caller, with search_path pinned: agreements
 * and schedules as far as the caller may see them (all of them for the
 * product's managers).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "dmesh.h"
#include "contract.h"
#include "product.h"

PG_FUNCTION_INFO_V1(dmesh_product_document);
PG_FUNCTION_INFO_V1(dmesh_product_yaml);

/* ----------------------------------------------------------------
 * Values as the document writes them
 * ----------------------------------------------------------------
 */

/* An interval as ISO 8601 ("PT1H"), whatever IntervalStyle is. */
char *
dmesh_interval_text(const Interval *interval)
{
	struct pg_itm itm;
	char		buf[MAXDATELEN + 1];

	interval2itm(*interval, &itm);
	EncodeInterval(&itm, INTSTYLE_ISO_8601, buf);
	return pstrdup(buf);
}

/* A time as ISO 8601 in UTC, whatever DateStyle and TimeZone are. */
char *
dmesh_timestamptz_text(TimestampTz ts)
{
	const int	utc = 0;

	return JsonEncodeDateTime(NULL, TimestampTzGetDatum(ts), TIMESTAMPTZOID, &utc);
}

/* A date as ISO 8601. */
char *
dmesh_date_text(DateADT date)
{
	return JsonEncodeDateTime(NULL, DateADTGetDatum(date), DATEOID, NULL);
}

/* The ODPS status of a lifecycle status. */
const char *
dmesh_odps_status(const char *status)
{
	if (strcmp(status, "published") == 0)
		return "active";
	return status;				/* draft, deprecated, retired */
}

/* ----------------------------------------------------------------
 * Reading the product
 * ----------------------------------------------------------------
 */

static Jsonb *
spi_jsonb(uint64 row, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? NULL : DatumGetJsonbPCopy(d);
}

static Interval *
spi_interval(uint64 row, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, &isnull);
	Interval   *copy;

	if (isnull)
		return NULL;
	copy = palloc(sizeof(Interval));
	memcpy(copy, DatumGetIntervalP(d), sizeof(Interval));
	return copy;
}

static Datum
spi_datum(uint64 row, int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull);
}

/* The object names of a contract's (effective) schema, in order. */
static List *
object_names(Jsonb *schema, const char *fallback)
{
	List	   *names = NIL;

	if (schema != NULL && JB_ROOT_IS_ARRAY(schema) && !JB_ROOT_IS_SCALAR(schema))
	{
		int			n = JsonContainerSize(&schema->root);

		for (int i = 0; i < n; i++)
		{
			JsonbValue *o = getIthJsonbValueFromContainer(&schema->root, i);
			char	   *name = (o->type == jbvBinary) ?
			dmesh_json_text(o->val.binary.data, "name") : NULL;

			if (name != NULL)
				names = lappend(names, name);
		}
	}
	if (names == NIL)
		names = list_make1(pstrdup(fallback));
	return names;
}

static void
load_ports(DmeshProductState *st)
{
	DmeshProduct *product = &st->product;
	DmeshArgs	args;
	uint64		n;

	st->ports = NIL;
	if (strcmp(product->status, "retired") == 0)
		return;
	if (strcmp(product->status, "draft") != 0)
	{
		dmesh_args_init(&args);
		dmesh_arg_int8(&args, product->id);
		dmesh_arg_text(&args, product->name);
		n = dmesh_spi_exec("SELECT coalesce(o.object, c.name, $2), o.version, c.id,"
						   "       format('%I.%I', d.schema_name, o.relation_name), o.major"
						   "  FROM dmesh.output_port o"
						   "  JOIN dmesh.data_product p ON p.product_id = o.product_id"
						   "  JOIN dmesh.domain d ON d.domain_id = p.domain_id"
						   "  LEFT JOIN dmesh.product_object po"
						   "    ON po.product_id = o.product_id AND po.object = o.object"
						   "  LEFT JOIN LATERAL ("
						   "       SELECT k.document ->> 'id' AS id,"
						   "              coalesce(k.held_schema, k.document -> 'schema') -> 0 ->> 'name' AS name"
						   "         FROM dmesh.contract k"
						   "        WHERE k.product_id = o.product_id AND k.version = o.version"
						   "        ORDER BY k.derived LIMIT 1) c ON true"
						   " WHERE o.product_id = $1 AND o.status <> 'retired'"
						   " ORDER BY o.major, po.position, o.object",
						   &args, SPI_OK_SELECT);
		for (uint64 i = 0; i < n; i++)
		{
			DmeshPortState *port = palloc0(sizeof(DmeshPortState));

			port->name = dmesh_spi_text(i, 1);
			port->version = dmesh_spi_text(i, 2);
			port->contract_id = dmesh_spi_text(i, 3);
			port->relation = dmesh_spi_text(i, 4);
			port->major = (int) dmesh_spi_int8(i, 5);
			st->ports = lappend(st->ports, port);
		}
		return;
	}

	/* A draft: the relations its active contract would publish. */
	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product->id);
	n = dmesh_spi_exec("SELECT coalesce(held_schema, document -> 'schema'), version"
					   "  FROM dmesh.contract WHERE product_id = $1"
					   " ORDER BY derived, major DESC, minor DESC, patch DESC LIMIT 1",
					   &args, SPI_OK_SELECT);
	if (n > 0)
	{
		Jsonb	   *schema = spi_jsonb(0, 1);
		char	   *version = dmesh_spi_text(0, 2);
		ListCell   *lc;

		foreach(lc, object_names(schema, product->name))
		{
			DmeshPortState *port = palloc0(sizeof(DmeshPortState));

			port->name = lfirst(lc);
			port->version = version;
			port->contract_id = st->contract_id;
			port->major = dmesh_version_major(version);
			st->ports = lappend(st->ports, port);
		}
	}
}

static void
load_governance(DmeshProductState *st)
{
	DmeshProduct *product = &st->product;
	DmeshArgs	args;
	uint64		n;

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product->id);
	n = dmesh_spi_exec("SELECT consumer::oid, row_filter, purpose, expires_at, unmask"
					   "  FROM dmesh.access_grant WHERE product_id = $1"
					   " ORDER BY consumer::text",
					   &args, SPI_OK_SELECT);
	st->agreements = NIL;
	for (uint64 i = 0; i < n; i++)
	{
		DmeshAgreementSpec *g = palloc0(sizeof(DmeshAgreementSpec));
		bool		isnull;
		Datum		d;

		g->consumer = dmesh_role_name(dmesh_spi_oid(i, 1));
		g->row_filter = dmesh_spi_text(i, 2);
		g->purpose = dmesh_spi_text(i, 3);
		d = spi_datum(i, 4, &isnull);
		g->has_expiry = !isnull;
		g->expires_at = isnull ? 0 : DatumGetTimestampTz(d);
		d = spi_datum(i, 5, &isnull);
		g->unmask = DatumGetArrayTypePCopy(d);
		st->agreements = lappend(st->agreements, g);
	}

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product->id);
	n = dmesh_spi_exec("SELECT name, kind, rule, enforcement FROM dmesh.policy"
					   " WHERE product_id = $1 ORDER BY name",
					   &args, SPI_OK_SELECT);
	st->policies = NIL;
	for (uint64 i = 0; i < n; i++)
	{
		DmeshPolicySpec *p = palloc0(sizeof(DmeshPolicySpec));

		p->name = dmesh_spi_text(i, 1);
		p->kind = dmesh_spi_text(i, 2);
		p->rule = spi_jsonb(i, 3);
		p->enforcement = dmesh_spi_text(i, 4);
		st->policies = lappend(st->policies, p);
	}

	dmesh_args_init(&args);
	dmesh_arg_text(&args, product->domain.name);
	dmesh_arg_text(&args, product->name);
	n = dmesh_spi_exec("SELECT mode FROM dmesh.enforcement WHERE domain = $1 AND product = $2"
					   " ORDER BY relation::text LIMIT 1",
					   &args, SPI_OK_SELECT);
	st->enforcement = n > 0 ? dmesh_spi_text(0, 1) : "off";

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product->id);
	n = dmesh_spi_exec("SELECT refresh_every, check_every, freshness FROM dmesh.schedule"
					   " WHERE product_id = $1",
					   &args, SPI_OK_SELECT);
	st->refresh = n > 0 ? spi_interval(0, 1) : NULL;
	st->check = n > 0 ? spi_interval(0, 2) : NULL;
	st->freshness = n > 0 ? spi_interval(0, 3) : NULL;
}

/*
 * What the product reads, from the lineage graph: the relations its
 * sources are (for a materialized product, those its data table is made
 * from), each as another product's published relation or as a relation.
 */
static void
load_inputs(DmeshProductState *st)
{
	DmeshProduct *product = &st->product;
	DmeshArgs	args;
	uint64		n;

	dmesh_args_init(&args);
	dmesh_arg_text(&args, dmesh_product_display(product));
	dmesh_arg_int8(&args, product->id);
	n = dmesh_spi_exec("WITH own AS ("
					   "  SELECT dmesh._relname(source_relation) AS data FROM dmesh.data_product"
					   "   WHERE product_id = $2 AND materialize_query IS NOT NULL"
					   "), src AS ("
					   "  SELECT g.source FROM dmesh.lineage_graph g"
					   "   WHERE g.target_type = 'product' AND g.target = $1"
					   "     AND g.kind = 'product_source' AND g.closed_at IS NULL"
					   "     AND g.source IS DISTINCT FROM (SELECT data FROM own)"
					   "  UNION"
					   "  SELECT g.source FROM dmesh.lineage_graph g, own"
					   "   WHERE g.target_type = 'relation' AND g.target = own.data"
					   "     AND g.closed_at IS NULL AND g.source_column IS NULL"
					   "     AND g.target_column IS NULL AND g.source_type = 'relation'"
					   "     AND g.source <> own.data"
					   ")"
					   "SELECT DISTINCT coalesce(u.product, s.source), u.version, u.id"
					   "  FROM src s"
					   "  LEFT JOIN LATERAL ("
					   "       SELECT d.name || '.' || p.name AS product, o.version,"
					   "              (SELECT k.document ->> 'id' FROM dmesh.contract k"
					   "                WHERE k.product_id = p.product_id AND k.version = o.version"
					   "                ORDER BY k.derived LIMIT 1) AS id"
					   "         FROM dmesh.output_port o"
					   "         JOIN dmesh.data_product p ON p.product_id = o.product_id"
					   "         JOIN dmesh.domain d ON d.domain_id = p.domain_id"
					   "        WHERE format('%I.%I', d.schema_name, o.relation_name) = s.source"
					   "          AND o.status <> 'retired' AND p.product_id <> $2) u ON true"
					   " WHERE s.source IS NOT NULL"
					   " ORDER BY 1, 2",
					   &args, SPI_OK_SELECT);
	st->inputs = NIL;
	for (uint64 i = 0; i < n; i++)
	{
		DmeshJson	item;
		char	   *name = dmesh_spi_text(i, 1);
		char	   *version = dmesh_spi_text(i, 2);
		char	   *id = dmesh_spi_text(i, 3);
		bool		relation = version == NULL;

		/* a relation of no product is held to this product's contract */
		if (relation)
		{
			version = product->version;
			id = st->contract_id;
		}
		dmesh_json_init(&item);
		dmesh_json_str(&item, "name", name);
		dmesh_json_str(&item, "version", version);
		dmesh_json_str(&item, "contractId", id ? id : psprintf("urn:dmesh:%s", name));
		if (relation)
		{
			DmeshJson	property;

			dmesh_json_init(&property);
			dmesh_json_str(&property, "property", "dmeshRelation");
			dmesh_json_str(&property, "value", name);
			dmesh_json_raw(&item, "customProperties",
						   psprintf("[%s]", dmesh_json_finish(&property)));
		}
		st->inputs = lappend(st->inputs, dmesh_json_finish(&item));
	}
}

/*
 * Read a product ('domain.product') as the caller, with search_path
 * pinned.  Connected to SPI; the results are in the current memory
 * context (under SPI, its procedure context).
 */
void
dmesh_product_state(DmeshProductState *st, const char *ref)
{
	DmeshProduct *product = &st->product;
	DmeshSection section;
	DmeshArgs	args;
	bool		isnull;
	Datum		d;

	memset(st, 0, sizeof(DmeshProductState));
	dmesh_pin_search_path(&section);
	dmesh_require_product(ref, DMESH_NO_LOCK, product);

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product->id);
	dmesh_spi_exec("SELECT p.tags, p.materialize_query, p.deprecation_reason, p.sunset,"
				   "       a.document_id, a.kept"
				   "  FROM dmesh.data_product p"
				   "  LEFT JOIN dmesh.applied_product a ON a.product_id = p.product_id"
				   " WHERE p.product_id = $1",
				   &args, SPI_OK_SELECT);
	st->tags = DatumGetArrayTypePCopy(spi_datum(0, 1, &isnull));
	st->materialize_query = dmesh_spi_text(0, 2);
	st->deprecation_reason = dmesh_spi_text(0, 3);
	d = spi_datum(0, 4, &isnull);
	st->has_sunset = !isnull;
	st->sunset = isnull ? 0 : DatumGetDateADT(d);
	st->document_id = dmesh_spi_text(0, 5);
	st->kept = spi_jsonb(0, 6);
	if (st->document_id == NULL)
		st->document_id = psprintf("urn:dmesh:%s:%s", product->domain.name, product->name);
	if (st->kept == NULL)
		st->kept = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product->id);
	if (dmesh_spi_exec("SELECT document, document ->> 'id' FROM dmesh.contract WHERE product_id = $1"
					   " ORDER BY derived, major DESC, minor DESC, patch DESC LIMIT 1",
					   &args, SPI_OK_SELECT) > 0)
	{
		st->contract = spi_jsonb(0, 1);
		st->contract_id = dmesh_spi_text(0, 2);
	}

	load_ports(st);
	load_governance(st);
	load_inputs(st);
	dmesh_leave(&section);
}

/* ----------------------------------------------------------------
 * Writing the document
 * ----------------------------------------------------------------
 */

static void
add_raw(StringInfo buf, const char *key, const char *json)
{
	if (json == NULL)
		return;
	if (buf->len > 1)
		appendStringInfoString(buf, ", ");
	escape_json(buf, key);
	appendStringInfo(buf, ": %s", json);
}

static void
add_str(StringInfo buf, const char *key, const char *value)
{
	StringInfoData s;

	if (value == NULL)
		return;
	initStringInfo(&s);
	escape_json(&s, value);
	add_raw(buf, key, s.data);
}

static char *
json_text(JsonbValue *v)
{
	Jsonb	   *jb;

	if (v == NULL)
		return NULL;
	jb = JsonbValueToJsonb(v);
	return JsonbToCString(NULL, &jb->root, VARSIZE(jb));
}

static JsonbValue *
get(Jsonb *doc, const char *key)
{
	return doc ? dmesh_json_get(&doc->root, key) : NULL;
}

static JsonbValue *
get2(JsonbValue *v, const char *key)
{
	if (v == NULL || v->type != jbvBinary)
		return NULL;
	return dmesh_json_get(v->val.binary.data, key);
}

/* What the document keeps as written for a key, or what dmesh derives. */
static const char *
kept_or(JsonbValue *kept, const char *derived)
{
	return kept ? json_text(kept) : derived;
}

/* A text[] as a JSON array. */
static char *
text_array_json(ArrayType *array)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	StringInfoData buf;

	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(&buf, ", ");
		if (nulls[i])
			appendStringInfoString(&buf, "null");
		else
			escape_json(&buf, TextDatumGetCString(elems[i]));
	}
	appendStringInfoChar(&buf, ']');
	return buf.data;
}

/* The contract's team, as an ODPS team. */
static char *
derived_team(Jsonb *contract)
{
	JsonbValue *team = get(contract, "team");
	char	   *members;
	Jsonb	   *wrapped;
	JsonbValue	v;

	if (team == NULL || team->type != jbvBinary)
		return NULL;
	if (JsonContainerIsObject(team->val.binary.data))
		return dmesh_document_prune(&odps_standard, "team", team);
	/* ODCS v3.0: a list of members */
	members = json_text(team);
	wrapped = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
												 CStringGetDatum(psprintf("{\"members\": %s}", members))));
	v.type = jbvBinary;
	v.val.binary.data = &wrapped->root;
	v.val.binary.len = VARSIZE(wrapped);
	return dmesh_document_prune(&odps_standard, "team", &v);
}

/* The contract's support channels, as ODPS support channels. */
static char *
derived_support(Jsonb *contract)
{
	JsonbValue *support = get(contract, "support");
	StringInfoData buf;
	int			n;

	if (support == NULL || support->type != jbvBinary ||
		!JsonContainerIsArray(support->val.binary.data))
		return NULL;
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	n = JsonContainerSize(support->val.binary.data);
	for (int i = 0; i < n; i++)
	{
		char	   *item = dmesh_document_prune(&odps_standard, "support[]",
												getIthJsonbValueFromContainer(support->val.binary.data, i));

		if (item != NULL)
			appendStringInfo(&buf, "%s%s", buf.len > 1 ? ", " : "", item);
	}
	appendStringInfoChar(&buf, ']');
	return buf.len > 2 ? buf.data : NULL;
}

static char *
derived_description(const DmeshProductState *st, JsonbValue *kept)
{
	JsonbValue *cd = get(st->contract, "description");
	const char *purpose = st->product.description;
	StringInfoData buf;

	if (purpose == NULL && cd != NULL)
		purpose = dmesh_json_text(cd->val.binary.data, "purpose");
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	add_str(&buf, "purpose", purpose);
	add_raw(&buf, "limitations", kept_or(get2(kept, "limitations"), json_text(get2(cd, "limitations"))));
	add_raw(&buf, "usage", kept_or(get2(kept, "usage"), json_text(get2(cd, "usage"))));
	add_raw(&buf, "authoritativeDefinitions", json_text(get2(kept, "authoritativeDefinitions")));
	add_raw(&buf, "customProperties", json_text(get2(kept, "customProperties")));
	appendStringInfoChar(&buf, '}');
	return buf.len > 2 ? buf.data : NULL;
}

static char *
input_ports(const DmeshProductState *st)
{
	StringInfoData buf;
	ListCell   *lc;

	if (st->inputs == NIL)
		return NULL;
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	foreach(lc, st->inputs)
		appendStringInfo(&buf, "%s%s", buf.len > 1 ? ", " : "", (char *) lfirst(lc));
	appendStringInfoChar(&buf, ']');
	return buf.data;
}

static char *
output_ports(const DmeshProductState *st, JsonbValue *kept)
{
	StringInfoData buf;
	ListCell   *lc;

	if (st->ports == NIL)
		return NULL;
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	foreach(lc, st->ports)
	{
		DmeshPortState *port = lfirst(lc);
		JsonbValue *extras = get2(kept, psprintf("%s %s", port->name, port->version));
		JsonbValue *own = get2(extras, "customProperties");
		StringInfoData p;
		StringInfoData props;

		initStringInfo(&p);
		appendStringInfoChar(&p, '{');
		add_str(&p, "name", port->name);
		add_str(&p, "version", port->version);
		add_str(&p, "contractId", port->contract_id);
		if (get2(extras, "type") == NULL)
			add_str(&p, "type", DMESH_DEFAULT_PORT_TYPE);
		if (extras != NULL)
		{
			JsonbIterator *it = JsonbIteratorInit(extras->val.binary.data);
			JsonbValue	v;
			JsonbIteratorToken tok;
			char	   *key = NULL;

			while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
			{
				if (tok == WJB_KEY)
					key = pnstrdup(v.val.string.val, v.val.string.len);
				else if (tok == WJB_VALUE && strcmp(key, "customProperties") != 0)
					add_raw(&p, key, json_text(&v));
			}
		}
		initStringInfo(&props);
		appendStringInfoChar(&props, '[');
		if (port->relation != NULL)
		{
			appendStringInfoString(&props, "{\"property\": \"dmeshRelation\", \"value\": ");
			escape_json(&props, port->relation);
			appendStringInfoChar(&props, '}');
		}
		if (own != NULL && own->type == jbvBinary)
		{
			int			n = JsonContainerSize(own->val.binary.data);

			for (int i = 0; i < n; i++)
				appendStringInfo(&props, "%s%s", props.len > 1 ? ", " : "",
								 json_text(getIthJsonbValueFromContainer(own->val.binary.data, i)));
		}
		appendStringInfoChar(&props, ']');
		if (props.len > 2)
			add_raw(&p, "customProperties", props.data);
		appendStringInfoChar(&p, '}');
		appendStringInfo(&buf, "%s%s", buf.len > 1 ? ", " : "", p.data);
	}
	appendStringInfoChar(&buf, ']');
	return buf.data;
}

static void
add_property(StringInfo buf, const char *name, const char *value_json)
{
	if (buf->len > 1)
		appendStringInfoString(buf, ", ");
	appendStringInfoString(buf, "{\"property\": ");
	escape_json(buf, name);
	appendStringInfo(buf, ", \"value\": %s}", value_json);
}

static char *
source_json(const DmeshProductState *st)
{
	const DmeshProduct *product = &st->product;
	DmeshSection section;
	DmeshArgs	args;
	uint64		n;
	StringInfoData buf;

	initStringInfo(&buf);
	if (st->materialize_query != NULL)
	{
		escape_json(&buf, st->materialize_query);
		return buf.data;
	}
	dmesh_pin_search_path(&section);
	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product->id);
	n = dmesh_spi_exec("SELECT s.object, coalesce(dmesh._relname(s.source_relation), s.source_query)"
					   "  FROM dmesh.product_sources s"
					   "  LEFT JOIN dmesh.product_object o"
					   "    ON o.product_id = s.product_id AND o.object = s.object"
					   " WHERE s.product_id = $1 ORDER BY o.position, s.object",
					   &args, SPI_OK_SELECT);
	if (n == 1 && dmesh_spi_text(0, 1) == NULL)
	{
		char	   *source = dmesh_spi_text(0, 2);

		if (source != NULL)
			escape_json(&buf, source);
	}
	else if (n > 0)
	{
		appendStringInfoChar(&buf, '{');
		for (uint64 i = 0; i < n; i++)
		{
			char	   *source = dmesh_spi_text(i, 2);

			if (source != NULL)
				add_str(&buf, dmesh_spi_text(i, 1), source);
		}
		appendStringInfoChar(&buf, '}');
	}
	dmesh_leave(&section);
	return buf.len > 0 ? buf.data : NULL;
}

static char *
custom_properties(const DmeshProductState *st, JsonbValue *kept)
{
	const DmeshProduct *product = &st->product;
	StringInfoData buf;
	StringInfoData v;
	char	   *source = source_json(st);
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');

	initStringInfo(&v);
	escape_json(&v, dmesh_role_name(product->owner));
	add_property(&buf, "dmeshOwner", v.data);
	if (source != NULL)
		add_property(&buf, "dmeshSource", source);
	if (st->materialize_query != NULL)
		add_property(&buf, "dmeshMaterialized", "true");

	resetStringInfo(&v);
	escape_json(&v, product->gate);
	add_property(&buf, "dmeshContractGate", v.data);
	resetStringInfo(&v);
	escape_json(&v, st->enforcement);
	add_property(&buf, "dmeshEnforcement", v.data);

	resetStringInfo(&v);
	appendStringInfoChar(&v, '{');
	if (st->refresh)
		add_str(&v, "refresh", dmesh_interval_text(st->refresh));
	if (st->check)
		add_str(&v, "check", dmesh_interval_text(st->check));
	if (st->freshness)
		add_str(&v, "freshness", dmesh_interval_text(st->freshness));
	appendStringInfoChar(&v, '}');
	add_property(&buf, "dmeshSchedule", v.data);

	resetStringInfo(&v);
	appendStringInfoChar(&v, '[');
	foreach(lc, st->agreements)
	{
		DmeshAgreementSpec *g = lfirst(lc);
		StringInfoData a;

		initStringInfo(&a);
		appendStringInfoChar(&a, '{');
		add_str(&a, "consumer", g->consumer);
		add_str(&a, "rowFilter", g->row_filter);
		add_str(&a, "purpose", g->purpose);
		if (g->has_expiry)
			add_str(&a, "expiresAt", dmesh_timestamptz_text(g->expires_at));
		if (ArrayGetNItems(ARR_NDIM(g->unmask), ARR_DIMS(g->unmask)) > 0)
			add_raw(&a, "unmask", text_array_json(g->unmask));
		appendStringInfoChar(&a, '}');
		appendStringInfo(&v, "%s%s", v.len > 1 ? ", " : "", a.data);
	}
	appendStringInfoChar(&v, ']');
	add_property(&buf, "dmeshAgreements", v.data);

	resetStringInfo(&v);
	appendStringInfoChar(&v, '[');
	foreach(lc, st->policies)
	{
		DmeshPolicySpec *p = lfirst(lc);
		StringInfoData a;

		initStringInfo(&a);
		appendStringInfoChar(&a, '{');
		add_str(&a, "name", p->name);
		add_str(&a, "kind", p->kind);
		add_raw(&a, "rule", JsonbToCString(NULL, &p->rule->root, VARSIZE(p->rule)));
		add_str(&a, "enforcement", p->enforcement);
		appendStringInfoChar(&a, '}');
		appendStringInfo(&v, "%s%s", v.len > 1 ? ", " : "", a.data);
	}
	appendStringInfoChar(&v, ']');
	add_property(&buf, "dmeshPolicies", v.data);

	if (strcmp(product->status, "deprecated") == 0)
	{
		resetStringInfo(&v);
		appendStringInfoChar(&v, '{');
		add_str(&v, "reason", st->deprecation_reason);
		if (st->has_sunset)
			add_str(&v, "sunset", dmesh_date_text(st->sunset));
		appendStringInfoChar(&v, '}');
		add_property(&buf, "dmeshDeprecation", v.data);
	}

	/* customProperties of the document's own, as kept */
	if (kept != NULL && kept->type == jbvBinary && JsonContainerIsArray(kept->val.binary.data))
	{
		int			n = JsonContainerSize(kept->val.binary.data);

		for (int i = 0; i < n; i++)
			appendStringInfo(&buf, ", %s",
							 json_text(getIthJsonbValueFromContainer(kept->val.binary.data, i)));
	}
	appendStringInfoChar(&buf, ']');
	return buf.data;
}

/*
 * The product as an ODPS document.  With "keep", what dmesh keeps of the
 * document it was applied with is written in its place; without, every
 * field is what dmesh derives (what apply_product compares with).
 */
Jsonb *
dmesh_product_odps(const DmeshProductState *st, bool keep)
{
	const DmeshProduct *product = &st->product;
	Jsonb	   *kept = keep ? st->kept : NULL;
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	add_str(&buf, "apiVersion", "v1.0.0");
	add_str(&buf, "kind", "DataProduct");
	add_str(&buf, "id", st->document_id);
	add_str(&buf, "name", product->name);
	add_str(&buf, "version", product->version);
	add_str(&buf, "status", dmesh_odps_status(product->status));
	add_str(&buf, "domain", product->domain.name);
	add_raw(&buf, "tenant", json_text(get(kept, "tenant")));
	add_raw(&buf, "authoritativeDefinitions", json_text(get(kept, "authoritativeDefinitions")));
	add_raw(&buf, "description", derived_description(st, get(kept, "description")));
	if (ArrayGetNItems(ARR_NDIM(st->tags), ARR_DIMS(st->tags)) > 0)
		add_raw(&buf, "tags", text_array_json(st->tags));
	add_raw(&buf, "inputPorts", kept_or(get(kept, "inputPorts"), input_ports(st)));
	add_raw(&buf, "outputPorts", output_ports(st, get(kept, "outputPorts")));
	add_raw(&buf, "managementPorts", json_text(get(kept, "managementPorts")));
	add_raw(&buf, "support", kept_or(get(kept, "support"), derived_support(st->contract)));
	add_raw(&buf, "team", kept_or(get(kept, "team"), derived_team(st->contract)));
	add_raw(&buf, "productCreatedTs", json_text(get(kept, "productCreatedTs")));
	add_raw(&buf, "customProperties", custom_properties(st, get(kept, "customProperties")));
	appendStringInfoChar(&buf, '}');
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

/* ----------------------------------------------------------------
 * SQL functions
 * ----------------------------------------------------------------
 */

static Jsonb *
document_of(FunctionCallInfo fcinfo)
{
	char	   *ref = dmesh_text_arg(fcinfo, 0, "product");
	DmeshProductState st;
	Jsonb	   *doc;

	SPI_connect();
	(void) dmesh_extension_owner(); /* the library and the SQL objects agree */
	dmesh_product_state(&st, ref);
	doc = dmesh_spi_return(dmesh_product_odps(&st, true));
	SPI_finish();
	return doc;
}

/*
 * dmesh.product_document(product): the product as an ODPS v1.0.0 document
 * (jsonb), in the shape apply_product reads.
 */
Datum
dmesh_product_document(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(document_of(fcinfo));
}

/* dmesh.product_yaml(product): the same document as YAML. */
Datum
dmesh_product_yaml(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(dmesh_yaml_emit(document_of(fcinfo))));
}
