/*-------------------------------------------------------------------------
 *
 * cmd_health.c
 *		dmesh health [PRODUCT]...: dmesh.product_health, for every product
 *		that is not retired or for those named.  A product shown as failing
 *		exits 1, so that a monitor or a CI job can act on it.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "client.h"

#define COL_NAME	0
#define COL_STATUS	2

int
cmd_health(const Options *opts)
{
	StrBuf		sql;
	Client		c;
	PGresult   *res;
	int			rc;
	int			n;
	int			r;
	int			i;
	int			failing = 0;
	int			unknown = 0;
	StrBuf		failing_names;

	sb_init(&sql);
	sb_append(&sql,
			  "SELECT h.domain OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) h.product AS product,"
			  "       h.lifecycle, h.status,"
			  "       CASE WHEN h.fresh THEN 'yes' WHEN NOT h.fresh THEN 'no' END AS fresh,"
			  "       pg_catalog.date_trunc('second', h.data_age)::pg_catalog.text AS data_age,"
			  "       h.quality_score, h.failed_error_rules AS failed_errors,"
			  "       h.failed_other_rules AS failed_others, h.contract_findings AS findings,"
			  "       h.open_incidents AS incidents, h.reads_7d,"
			  "       pg_catalog.row_to_json(h)::pg_catalog.text"
			  "  FROM dmesh.product_health h");
	if (opts->argc > 0)
	{
		sb_append(&sql, " WHERE h.domain OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) h.product"
				  " OPERATOR(pg_catalog.=) ANY (");
		append_array_params(&sql, 1, opts->argc);
		sb_append(&sql, ")");
	}
	sb_append(&sql, " ORDER BY h.domain, h.product");

	rc = client_connect(&c, opts);
	if (rc != EXIT_OK)
	{
		sb_free(&sql);
		return rc;
	}
	res = run_query_ctx(&c, "health", sql.data, opts->argc,
						(const char *const *) opts->argv);
	sb_free(&sql);
	if (res == NULL)
	{
		rc = failure_code(&c);
		client_close(&c);
		return rc;
	}

	/* a product named but not shown: unknown (the server says so) or retired */
	for (i = 0; i < opts->argc; i++)
	{
		const char *params[1];
		PGresult   *known;
		bool		shown = false;

		for (r = 0; r < PQntuples(res) && !shown; r++)
			shown = strcmp(PQgetvalue(res, r, COL_NAME), opts->argv[i]) == 0;
		if (shown)
			continue;
		unknown++;
		params[0] = opts->argv[i];
		known = run_query_ctx(&c, "health", "SELECT FROM dmesh.access_status($1)", 1, params);
		if (known)
		{
			error_msg("health: \"%s\" is retired: it has no health", opts->argv[i]);
			PQclear(known);
		}
		else if (PQstatus(c.conn) != CONNECTION_OK)
		{
			PQclear(res);
			client_close(&c);
			return EXIT_USAGE;
		}
	}

	sb_init(&failing_names);
	n = PQntuples(res);
	for (r = 0; r < n; r++)
		if (strcmp(PQgetvalue(res, r, COL_STATUS), "failing") == 0)
		{
			sb_printf(&failing_names, "%s%s", failing ? ", " : "", PQgetvalue(res, r, COL_NAME));
			failing++;
		}

	if (opts->json)
	{
		fputs("[", stdout);
		for (r = 0; r < n; r++)
			printf("%s%s", r ? ",\n " : "\n ", PQgetvalue(res, r, PQnfields(res) - 1));
		fputs(n ? "\n]\n" : "]\n", stdout);
	}
	else if (n > 0)
		print_table(stdout, res, PQnfields(res) - 1);
	else if (!opts->quiet && opts->argc == 0)
		fputs("No products.\n", stdout);
	fflush(stdout);

	if (failing > 0)
		error_msg("health: %d product%s failing: %s", failing, failing == 1 ? "" : "s",
				  failing_names.data);
	sb_free(&failing_names);
	PQclear(res);
	client_close(&c);
	return (failing > 0 || unknown > 0) ? EXIT_FAILED : EXIT_OK;
}
