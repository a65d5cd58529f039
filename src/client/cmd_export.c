/*-------------------------------------------------------------------------
 *
 * cmd_export.c
 *		dmesh export PRODUCT --format odcs|odps|openlineage.
 *
 *   odcs         the active contract (or --contract-version) as ODCS YAML,
 *                dmesh.contract_yaml; with --json dmesh.contract_document
 *   odps         the product as an ODPS document, dmesh.product_yaml; with
 *                --json dmesh.product_document
 *   openlineage  the OpenLineage events (dmesh.openlineage_events) whose
 *                inputs or outputs are the product's relations, its sources
 *                and its live published relations, one JSON object per line
 *                (the same with --json), oldest first
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "client.h"

/*
 * The product's relations as OpenLineage names them (database.schema.name,
 * unquoted, in the namespace of the events' jobs).
 */
static const char *const openlineage_sql =
"WITH p AS ("
"    SELECT dp.product_id, d.schema_name"
"      FROM dmesh.data_product dp"
"      JOIN dmesh.domain d ON d.domain_id OPERATOR(pg_catalog.=) dp.domain_id"
"     WHERE d.name OPERATOR(pg_catalog.=) pg_catalog.split_part($1, '.', 1)"
"       AND dp.name OPERATOR(pg_catalog.=)"
"           pg_catalog.substr($1, pg_catalog.strpos($1, '.') OPERATOR(pg_catalog.+) 1)"
"), rel AS ("
"    SELECT s.source_relation::pg_catalog.oid AS oid"
"      FROM dmesh.product_sources s JOIN p ON p.product_id OPERATOR(pg_catalog.=) s.product_id"
"     WHERE s.source_relation IS NOT NULL"
"    UNION"
"    SELECT pg_catalog.to_regclass(pg_catalog.format('%I.%I', p.schema_name, o.relation_name))::pg_catalog.oid"
"      FROM dmesh.output_port o JOIN p ON p.product_id OPERATOR(pg_catalog.=) o.product_id"
"     WHERE o.status OPERATOR(pg_catalog.<>) 'retired'"
"), names AS ("
"    SELECT pg_catalog.current_database() OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||)"
"           n.nspname OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) c.relname AS name"
"      FROM pg_catalog.pg_class c"
"      JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace"
"      JOIN rel ON rel.oid OPERATOR(pg_catalog.=) c.oid"
")"
"SELECT e::pg_catalog.text"
"  FROM dmesh.openlineage_events() e"
" WHERE EXISTS (SELECT FROM pg_catalog.jsonb_array_elements("
"                   COALESCE(e OPERATOR(pg_catalog.->) 'inputs', '[]')"
"                   OPERATOR(pg_catalog.||) COALESCE(e OPERATOR(pg_catalog.->) 'outputs', '[]')) ds"
"                WHERE (ds OPERATOR(pg_catalog.->>) 'namespace') OPERATOR(pg_catalog.=)"
"                      ((e OPERATOR(pg_catalog.->) 'job') OPERATOR(pg_catalog.->>) 'namespace')"
"                  AND (ds OPERATOR(pg_catalog.->>) 'name') IN (SELECT name FROM names))"
" ORDER BY e OPERATOR(pg_catalog.->>) 'eventTime',"
"          (e OPERATOR(pg_catalog.->) 'job') OPERATOR(pg_catalog.->>) 'name',"
"          e::pg_catalog.text";

int
cmd_export(const Options *opts)
{
	const char *format = opts->format ? opts->format : "odcs";
	const char *params[2];
	const char *sql;
	int			nparams = 1;
	Client		c;
	PGresult   *res;
	int			rc;
	int			r;

	params[0] = opts->argv[0];
	if (strcmp(format, "odcs") == 0)
	{
		params[1] = opts->contract_version;
		nparams = 2;
		sql = opts->json
			? "SELECT pg_catalog.jsonb_pretty(dmesh.contract_document($1, $2))"
			: "SELECT dmesh.contract_yaml($1, $2)";
	}
	else if (opts->contract_version)
	{
		error_msg("export: --contract-version goes with --format odcs\n"
				  "Try \"%s export --help\" for more information.", progname);
		return EXIT_USAGE;
	}
	else if (strcmp(format, "odps") == 0)
		sql = opts->json
			? "SELECT pg_catalog.jsonb_pretty(dmesh.product_document($1))"
			: "SELECT dmesh.product_yaml($1)";
	else if (strcmp(format, "openlineage") == 0)
		sql = openlineage_sql;
	else
	{
		error_msg("export: unknown format \"%s\" (odcs, odps or openlineage)\n"
				  "Try \"%s export --help\" for more information.", format, progname);
		return EXIT_USAGE;
	}

	rc = client_connect(&c, opts);
	if (rc == EXIT_OK && strcmp(format, "odps") == 0)
		rc = require_function(&c, opts->json ? "dmesh.product_document(text)"
							  : "dmesh.product_yaml(text)", "dmesh export --format odps");
	if (rc != EXIT_OK)
	{
		client_close(&c);
		return rc;
	}

	/* an unknown product: the server's error, with its "Did you mean" */
	if (sql == openlineage_sql)
	{
		res = run_query_ctx(&c, "export", "SELECT FROM dmesh.access_status($1)", 1, params);
		if (res == NULL)
		{
			rc = failure_code(&c);
			client_close(&c);
			return rc;
		}
		PQclear(res);
	}

	res = run_query_ctx(&c, "export", sql, nparams, params);
	if (res == NULL)
	{
		rc = failure_code(&c);
		client_close(&c);
		return rc;
	}
	for (r = 0; r < PQntuples(res); r++)
	{
		if (PQgetisnull(res, r, 0))
		{
			error_msg("export: the server has no %s document of \"%s\"", format, opts->argv[0]);
			rc = EXIT_FAILED;
			continue;
		}
		print_text(stdout, PQgetvalue(res, r, 0));
	}
	PQclear(res);
	client_close(&c);
	return rc;
}
