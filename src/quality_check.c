/*-------------------------------------------------------------------------
 *
 * quality_check.c
 *		dmesh.check_product: every rule of the active contract, evaluated
 *		over the product's data, with the result stored as a quality run.
 *
 * Row-level rules, duplicates and the row count come from one scan of the
 * data (the dmesh._quality_scan aggregate, quality_scan.c), which PostgreSQL may
 * run in parallel.  Only two things run queries of their own: sql rules,
 * and the exact count of duplicates when the scan found some.  The data is
 * read as the product's owner, the way the published relation reads it.
 *
 * A rule that cannot be evaluated does not pass: an sql rule whose query
 * fails is recorded as failed, with the error as detail.  A rule not run
 * here (a custom rule, a format dmesh does not check, a v3.0 rule without
 * its bounds) is recorded with passed NULL and the reason as its expected
 * value, and counts in the score neither as passed nor as failed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/timestamp.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "dmesh.h"
#include "contract.h"
#include "product.h"
#include "quality.h"

PG_FUNCTION_INFO_V1(dmesh_check_product);

typedef struct RuleOutcome
{
	bool		not_run;		/* not run here: passed is NULL */
	bool		evaluated;
	double		observed;
	int64		rows_checked;
	bool		has_rows;
	bool		passed;
	char	   *detail;
} RuleOutcome;

/* The FROM item the checks read, aliased "s". */
static char *
source_from(const DmeshProduct *product)
{
	if (OidIsValid(product->source_relid))
		return psprintf("%s s", dmesh_qualified_relname(product->source_relid));
	return psprintf("(%s) s", product->source_query);
}

static char *
scan_query(DmeshRuleSet *rs, const DmeshProduct *product)
{
	StringInfoData sql;

	int		   *props = palloc(sizeof(int) * Max(rs->contract->nprops, 1));
	int			n = dmesh_scan_columns(rs, props);

	/* see quality_scan.c: the tested columns, as arguments while they fit, else as one row */
	bool		as_row = n > FUNC_MAX_ARGS - 3;

	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT dmesh._quality_scan($1, '{");
	for (int i = 0; i < n; i++)
		appendStringInfo(&sql, "%s%d", i ? "," : "", props[i]);
	appendStringInfoString(&sql, "}'::pg_catalog.int4[], ");
	if (n == 0)
		appendStringInfoString(&sql, "NULL::pg_catalog.int4");
	if (as_row)
		appendStringInfoString(&sql, "ROW(");
	for (int i = 0; i < n; i++)
		appendStringInfo(&sql, "%ss.%s", i ? ", " : "",
						 quote_identifier(rs->contract->props[props[i]].column));
	appendStringInfo(&sql, "%s) FROM %s", as_row ? ")" : "", source_from(product));
	return sql.data;
}

/* The exact number of duplicates of a duplicate rule's keys. */
static int64
count_duplicates(DmeshRuleSet *rs, DmeshRule *r, const DmeshProduct *product)
{
	StringInfoData sql;
	StringInfoData keys;

	initStringInfo(&sql);
	initStringInfo(&keys);
	for (int k = 0; k < r->nkeys; k++)
		appendStringInfo(&keys, "%ss.%s", k ? ", " : "",
						 quote_identifier(rs->contract->props[r->keys[k]].column));
	appendStringInfo(&sql,
					 "SELECT pg_catalog.sum(d.n - 1)::int8 FROM ("
					 "SELECT pg_catalog.count(*) AS n FROM %s WHERE ",
					 source_from(product));
	for (int k = 0; k < r->nkeys; k++)
		appendStringInfo(&sql, "%ss.%s IS NOT NULL", k ? " AND " : "",
						 quote_identifier(rs->contract->props[r->keys[k]].column));
	appendStringInfo(&sql, " GROUP BY %s HAVING pg_catalog.count(*) > 1) d", keys.data);
	dmesh_spi_exec(sql.data, NULL, SPI_OK_SELECT);
	return dmesh_spi_text(0, 1) ? dmesh_spi_int8(0, 1) : 0;
}

typedef struct SqlRuleCall
{
	DmeshRuleSet *rs;
	DmeshRule  *r;
	const char *object;
	bool		physical;
	const char *cte;
	RuleOutcome *out;
} SqlRuleCall;

static void
sql_rule_body(void *arg)
{
	SqlRuleCall *c = arg;
	char	   *sql = dmesh_rule_sql_text(c->rs, c->r, c->object, c->physical, c->cte);
	char	   *value;

	if (SPI_execute(sql, true, 2) != SPI_OK_SELECT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the query is not a SELECT")));
	if (SPI_processed != 1 || SPI_tuptable->tupdesc->natts != 1)
		ereport(ERROR,
				(errcode(ERRCODE_CARDINALITY_VIOLATION),
				 errmsg("the query must return one row with one column, it returned %llu rows and %d columns",
						(unsigned long long) SPI_processed, SPI_tuptable->tupdesc->natts)));
	value = dmesh_spi_text(0, 1);
	if (value == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the query returned NULL")));
	c->out->observed = DatumGetFloat8(DirectFunctionCall1(float8in, CStringGetDatum(value)));
}

/*
 * Run an sql rule's query in a subtransaction; an error becomes a failed
 * outcome with the error message as detail.
 */
static void
run_sql_rule(DmeshRuleSet *rs, DmeshRule *r, const char *object, bool physical,
			 const char *cte, RuleOutcome *out)
{
	SqlRuleCall call = {rs, r, object, physical, cte, out};
	char	   *message;

	/* the detail is public to the product's readers: no value of the data */
	out->evaluated = dmesh_try_summary(sql_rule_body, &call, &message);
	if (!out->evaluated)
		out->detail = psprintf("the rule could not be evaluated: %s", message);
}

/*
 * The relation {object} stands for in sql rules: the published relation of
 * the active major version, else the source table, else (a query source
 * not yet published) the source query as a WITH item.
 */
static char *
rule_object(const DmeshProduct *product, const DmeshContract *contract, bool *physical,
			const char **cte)
{
	Oid			port = dmesh_port_relid(product, contract->major);

	*physical = false;
	*cte = NULL;
	if (OidIsValid(port))
		return dmesh_qualified_relname(port);
	*physical = true;
	if (OidIsValid(product->source_relid))
		return dmesh_qualified_relname(product->source_relid);
	*cte = product->source_query;
	return NULL;
}

/*
 * The contract the scan's workers compile: value lists keep only values
 * of the column's type (see read_value in quality_rules.c), since workers cannot
 * try a value and skip it.
 */
static Jsonb *
scan_contract(DmeshRuleSet *rs, Jsonb *doc)
{
	for (int i = 0; i < rs->nrules; i++)
	{
		DmeshRule  *r = &rs->rules[i];
		DmeshArgs	args;
		bool		isnull;

		if (!r->values_dropped)
			continue;
		dmesh_args_init(&args);
		dmesh_arg_datum(&args, JSONBOID, JsonbPGetDatum(doc), false);
		dmesh_arg_text(&args, r->values_path);
		dmesh_arg_text(&args, r->values_kept);
		dmesh_spi_exec("SELECT pg_catalog.jsonb_set($1, $2::text[], $3::jsonb)", &args,
					   SPI_OK_SELECT);
		doc = DatumGetJsonbPCopy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
											   1, &isnull));
	}
	return doc;
}

static int
severity_weight(const char *severity)
{
	if (strcmp(severity, "error") == 0)
		return 3;
	if (strcmp(severity, "warning") == 0)
		return 2;
	return 1;
}

/* The rules of one object (or of a product's one source) and their outcomes. */
typedef struct CheckPart
{
	char	   *object;			/* NULL for a product with one source */
	DmeshRuleSet *rs;
	RuleOutcome *outcomes;
	int64		rows;
} CheckPart;

static int64
store_run(const DmeshProduct *product, CheckPart *parts, int nparts, Oid caller,
		  TimestampTz started)
{
	DmeshArgs	args;
	int64		run_id;
	int			run = 0;
	int			passed = 0;
	int			weight = 0;
	int			passed_weight = 0;
	int			nrules = 0;
	int64		rows = 0;
	int			position = 0;

	for (int p = 0; p < nparts; p++)
	{
		DmeshRuleSet *rs = parts[p].rs;
		RuleOutcome *outcomes = parts[p].outcomes;

		nrules += rs->nrules;
		rows += parts[p].rows;
		for (int i = 0; i < rs->nrules; i++)
		{
			int			w;

			if (outcomes[i].not_run)
				continue;
			w = severity_weight(rs->rules[i].severity);
			run++;
			weight += w;
			if (outcomes[i].passed)
			{
				passed++;
				passed_weight += w;
			}
		}
	}

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product->id);
	dmesh_arg_text(&args, parts[0].rs->version);
	dmesh_arg_datum(&args, TIMESTAMPTZOID, TimestampTzGetDatum(started), false);
	dmesh_arg_int8(&args, rows);
	dmesh_arg_int4(&args, run);
	dmesh_arg_int4(&args, passed);
	dmesh_arg_datum(&args, FLOAT8OID,
					Float8GetDatum(weight ? 100.0 * passed_weight / weight : 0), weight == 0);
	dmesh_arg_text(&args, dmesh_role_name(caller));
	dmesh_arg_int4(&args, nrules - run);
	dmesh_spi_exec("INSERT INTO dmesh.quality_run (product_id, contract_version, started_at,"
				   " finished_at, rows_checked, rules, passed, failed, score, checked_by, not_run)"
				   " VALUES ($1, $2, $3, clock_timestamp(), $4, $5, $6, $5 - $6,"
				   " round($7::numeric, 1), $8, $9) RETURNING run_id",
				   &args, SPI_OK_INSERT_RETURNING);
	run_id = dmesh_spi_int8(0, 1);

	for (int p = 0; p < nparts; p++)
	for (int i = 0; i < parts[p].rs->nrules; i++)
	{
		DmeshRule  *r = &parts[p].rs->rules[i];
		RuleOutcome *o = &parts[p].outcomes[i];

		dmesh_args_init(&args);
		dmesh_arg_int8(&args, run_id);
		dmesh_arg_int4(&args, ++position);
		dmesh_arg_text(&args, r->name);
		dmesh_arg_text(&args, r->property);
		dmesh_arg_text(&args, dmesh_rule_metric(r));
		dmesh_arg_text(&args, r->dimension);
		dmesh_arg_text(&args, r->severity);
		dmesh_arg_datum(&args, BOOLOID, BoolGetDatum(o->passed), o->not_run);
		dmesh_arg_datum(&args, FLOAT8OID, Float8GetDatum(o->observed), !o->evaluated);
		dmesh_arg_text(&args, r->expected);
		dmesh_arg_text(&args, r->metric == DMESH_METRIC_SQL || r->metric == DMESH_METRIC_ROWS ||
					   o->not_run ? NULL : (r->unit_percent ? "percent" : "rows"));
		dmesh_arg_datum(&args, INT8OID, Int64GetDatum(o->rows_checked), !o->has_rows);
		dmesh_arg_text(&args, o->detail);
		dmesh_arg_text(&args, parts[p].object);
		dmesh_spi_exec("INSERT INTO dmesh.quality_result (run_id, position, rule, property,"
					   " metric, dimension, severity, passed, observed, expected, unit,"
					   " rows_checked, detail, object)"
					   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::numeric, $10, $11, $12, $13, $14)",
					   &args, SPI_OK_INSERT);
	}
	return run_id;
}

/*
 * One object of a contract as a contract of that object alone (the quality
 * scan compiles the document it is given, whose first object it checks).
 */
static DmeshContract *
single_object(const DmeshContract *contract)
{
	DmeshArgs	args;
	bool		isnull;
	DmeshContract *alone;

	dmesh_args_init(&args);
	dmesh_arg_datum(&args, JSONBOID, JsonbPGetDatum(contract->doc), false);
	dmesh_arg_int4(&args, contract->object_index);
	dmesh_spi_exec("SELECT pg_catalog.jsonb_set($1, '{schema}',"
				   " pg_catalog.jsonb_build_array($1 -> 'schema' -> $2))", &args, SPI_OK_SELECT);
	alone = dmesh_contract_compile_stored(DatumGetJsonbPCopy(SPI_getbinval(SPI_tuptable->vals[0],
																		   SPI_tuptable->tupdesc,
																		   1, &isnull)));
	alone->derived = contract->derived;
	return alone;
}

/*
 * Compile the contract's rules and evaluate them in one pass over the
 * product's source (or, for a build being refreshed, the relation the
 * product carries as its source), as the current role.
 */
static void
evaluate(const DmeshProduct *product, DmeshContract *contract, const char *object, bool physical,
		 const char *cte, DmeshRuleSet **rs_out, RuleOutcome **outcomes_out, int64 *rows_out)
{
	DmeshRuleSet *rs;
	RuleOutcome *outcomes;
	int64	   *counts = NULL;
	int64		rows = 0;

	rs = dmesh_rules_compile(contract,
							 dmesh_property_types(contract, dmesh_source_tupdesc(product), NULL),
							 CurrentMemoryContext);
	outcomes = palloc0(sizeof(RuleOutcome) * Max(rs->nrules, 1));

	/* The single pass. */
	{
		DmeshArgs	args;
		bool		isnull;
		Datum		result;

		dmesh_args_init(&args);
		dmesh_arg_datum(&args, JSONBOID, JsonbPGetDatum(scan_contract(rs, contract->doc)), false);
		dmesh_spi_exec(scan_query(rs, product), &args, SPI_OK_SELECT);
		result = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		if (!isnull)
		{
			ArrayType  *arr = DatumGetArrayTypeP(result);
			int			n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));

			if (n != rs->nrules + 1)
				elog(ERROR, "quality scan returned %d counts for %d rules", n - 1, rs->nrules);
			counts = palloc(sizeof(int64) * n);
			memcpy(counts, ARR_DATA_PTR(arr), sizeof(int64) * n);
			rows = counts[0];
		}
	}

	for (int i = 0; i < rs->nrules; i++)
	{
		DmeshRule  *r = &rs->rules[i];
		RuleOutcome *o = &outcomes[i];
		int64		count = counts ? counts[i + 1] : 0;

		if (r->not_run != NULL)
		{
			o->not_run = true;
			continue;
		}
		switch (r->metric)
		{
			case DMESH_METRIC_SQL:
				run_sql_rule(rs, r, object, physical, cte, o);
				break;
			case DMESH_METRIC_ROWS:
				o->evaluated = true;
				o->observed = (double) rows;
				o->has_rows = true;
				o->rows_checked = rows;
				break;
			case DMESH_METRIC_DUPLICATE:
				if (count > 0)
					count = count_duplicates(rs, r, product);
				/* FALLTHROUGH */
			default:
				o->evaluated = true;
				o->has_rows = true;
				o->rows_checked = rows;
				o->observed = r->unit_percent ?
					(rows ? 100.0 * (double) count / (double) rows : 0) : (double) count;
		}
		o->passed = o->evaluated && dmesh_rule_passes(r, o->observed);
	}
	*rs_out = rs;
	*outcomes_out = outcomes;
	*rows_out = rows;
}

/*
 * The rules of the product's active contract evaluated on a relation of
 * the same columns (a refresh's build), as the current role; nothing is
 * stored.  Returns the number of failed error rules; the failed rules of
 * any severity go to *failed as a JSON array.  Rules not run here are
 * neither.
 */
int
dmesh_check_relation(const DmeshProduct *product, Oid relid, int64 *rows, char **failed)
{
	DmeshProduct build = *product;
	DmeshContract *contract = dmesh_load_contract(product, NULL, -1);
	DmeshRuleSet *rs;
	RuleOutcome *outcomes;
	StringInfoData json;
	int			errors = 0;

	build.source_relid = relid;
	build.source_query = NULL;
	evaluate(&build, contract, dmesh_qualified_relname(relid), true, NULL, &rs, &outcomes, rows);
	initStringInfo(&json);
	appendStringInfoChar(&json, '[');
	for (int i = 0; i < rs->nrules; i++)
	{
		if (outcomes[i].passed || outcomes[i].not_run)
			continue;
		if (strcmp(rs->rules[i].severity, "error") == 0)
			errors++;
		if (json.len > 1)
			appendStringInfoChar(&json, ',');
		appendStringInfoString(&json, "{\"rule\": ");
		escape_json(&json, rs->rules[i].name);
		appendStringInfoString(&json, ", \"property\": ");
		if (rs->rules[i].property)
			escape_json(&json, rs->rules[i].property);
		else
			appendStringInfoString(&json, "null");
		appendStringInfoString(&json, ", \"severity\": ");
		escape_json(&json, rs->rules[i].severity);
		appendStringInfoChar(&json, '}');
	}
	appendStringInfoChar(&json, ']');
	*failed = json.data;
	return errors;
}

Datum
dmesh_check_product(PG_FUNCTION_ARGS)
{
	char	   *ref = dmesh_text_arg(fcinfo, 0, "product");
	Oid			caller = GetUserId();
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TimestampTz started = GetCurrentTimestamp();
	DmeshSection section;
	DmeshSection owner_section;
	DmeshProduct product;
	DmeshContract *contract;
	CheckPart  *parts;
	int			nparts = 0;

	InitMaterializedSRF(fcinfo, 0);

	SPI_connect();
	dmesh_enter_privileged(&section);
	dmesh_require_product(ref, DMESH_NO_LOCK, &product);
	dmesh_require_manager(caller, &product, "check");
	dmesh_refuse_retired(&product, "check");
	contract = dmesh_load_contract(&product, NULL, -1);

	/* each object of the contract, on the source the product reads it from */
	parts = palloc0(sizeof(CheckPart) * Max(contract->nobjects, 1));
	for (int i = 0; i < Max(contract->nobjects, 1); i++)
	{
		DmeshProduct view;
		DmeshContract *object;
		char	   *relation;
		bool		physical;
		const char *cte;

		CHECK_FOR_INTERRUPTS();
		if (!dmesh_port_object(&product, contract,
							   dmesh_product_has_objects(&product) ? contract->objects[i].name : NULL,
							   &view, &object))
			continue;
		relation = rule_object(&view, object, &physical, &cte);
		/* the scan compiles a document of this object alone */
		if (contract->nobjects > 1)
			object = single_object(object);
		parts[nparts].object = view.object;
		dmesh_enter_as_role(&owner_section, product.owner);
		evaluate(&view, object, relation, physical, cte, &parts[nparts].rs,
				 &parts[nparts].outcomes, &parts[nparts].rows);
		dmesh_leave(&owner_section);
		nparts++;
	}
	if (nparts == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("data product \"%s\" has no object its contract describes",
						dmesh_product_display(&product))));

	(void) store_run(&product, parts, nparts, caller, started);

	for (int p = 0; p < nparts; p++)
	for (int i = 0; i < parts[p].rs->nrules; i++)
	{
		DmeshRule  *r = &parts[p].rs->rules[i];
		RuleOutcome *o = &parts[p].outcomes[i];
		Datum		values[9];
		bool		nulls[9] = {0};

		values[0] = CStringGetTextDatum(r->name);
		nulls[1] = (r->property == NULL);
		if (!nulls[1])
			values[1] = CStringGetTextDatum(r->property);
		values[2] = CStringGetTextDatum(dmesh_rule_metric(r));
		values[3] = BoolGetDatum(o->passed);
		nulls[3] = o->not_run;
		nulls[4] = !o->evaluated;
		if (o->evaluated)
			values[4] = DirectFunctionCall1(float8_numeric, Float8GetDatum(o->observed));
		values[5] = CStringGetTextDatum(r->expected);
		nulls[6] = !o->has_rows;
		values[6] = Int64GetDatum(o->rows_checked);
		values[7] = CStringGetTextDatum(r->severity);
		nulls[8] = (parts[p].object == NULL);
		if (parts[p].object)
			values[8] = CStringGetTextDatum(parts[p].object);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	dmesh_end_call(&section);
	return (Datum) 0;
}
