/*-------------------------------------------------------------------------
 *
 * cmd_suggest.c
 *		dmesh suggest SOURCE [--sample-rows N]: the contract the server
 *		suggests for a relation (a table, view, materialized view or foreign
 *		table; dmesh.suggest_contract), as an ODCS YAML file to review and
 *		keep (--json: as JSON).  SOURCE is resolved by the server, with the
 *		connection's search_path; the server refuses a query.  N is a whole
 *		number from 0 (0: the catalog and statistics only, no row read).
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

int
cmd_suggest(const Options *opts)
{
	const char *params[2];
	const char *sql;
	Client		c;
	PGresult   *res;
	int			rc;
	int			nparams = 1;

	params[0] = opts->argv[0];
	if (opts->sample_rows)
	{
		char	   *end;
		long		v;

		errno = 0;
		v = strtol(opts->sample_rows, &end, 10);
		if (errno != 0 || end == opts->sample_rows || *end != '\0' || v < 0 || v > INT_MAX)
		{
			error_msg("suggest: --sample-rows must be a whole number from 0 to %d, not \"%s\"\n"
					  "Try \"%s suggest --help\" for more information.",
					  INT_MAX, opts->sample_rows, progname);
			return EXIT_USAGE;
		}
		params[1] = opts->sample_rows;
		nparams = 2;
	}
	if (opts->json)
		sql = nparams == 2
			? "SELECT pg_catalog.jsonb_pretty(dmesh.suggest_contract($1, $2::pg_catalog.int4))"
			: "SELECT pg_catalog.jsonb_pretty(dmesh.suggest_contract($1))";
	else
		sql = nparams == 2
			? "SELECT dmesh.jsonb_to_yaml(dmesh.suggest_contract($1, $2::pg_catalog.int4))"
			: "SELECT dmesh.jsonb_to_yaml(dmesh.suggest_contract($1))";

	rc = client_connect(&c, opts);
	if (rc == EXIT_OK)
		rc = require_function(&c, "dmesh.suggest_contract(text,integer)", "dmesh suggest");
	if (rc != EXIT_OK)
	{
		client_close(&c);
		return rc;
	}

	progress("sampling %s", opts->argv[0]);
	res = run_query_ctx(&c, "suggest", sql, nparams, params);
	progress_clear();
	if (res == NULL)
	{
		rc = failure_code(&c);
		client_close(&c);
		return rc;
	}
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0))
	{
		error_msg("suggest: the server suggested nothing for \"%s\"", opts->argv[0]);
		rc = EXIT_FAILED;
	}
	else
		print_text(stdout, PQgetvalue(res, 0, 0));
	PQclear(res);
	client_close(&c);
	return rc;
}
