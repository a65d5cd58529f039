/*-------------------------------------------------------------------------
 *
 * cmd_diff.c
 *		dmesh diff PRODUCT FILE: a product's active contract against a
 *		contract file (dmesh.contract_diff_document), each change with its
 *		severity and the consumers it affects.  A breaking change exits 1.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "client.h"

int
cmd_diff(const Options *opts)
{
	static const char *const sql =
		"SELECT r.path, r.change, r.severity, r.old::pg_catalog.text,"
		"       r.new::pg_catalog.text, r.affected_consumers,"
		"       pg_catalog.row_to_json(r)::pg_catalog.text"
		"  FROM dmesh.contract_diff_document($1, $2) r";
	const char *product = opts->argv[0];
	Document	doc;
	Client		c;
	PGresult   *res;
	const char *params[2];
	int			rc;
	int			n;
	int			r;
	int			breaking = 0;
	long long	affected = 0;

	if (!read_document(opts->argv[1], &doc))
		return EXIT_USAGE;

	rc = client_connect(&c, opts);
	if (rc == EXIT_OK)
		rc = require_function(&c, "dmesh.contract_diff_document(text,text)", "dmesh diff");
	if (rc != EXIT_OK)
	{
		client_close(&c);
		free(doc.path);
		free(doc.text);
		return rc;
	}

	params[0] = product;
	params[1] = doc.text;
	progress("comparing %s with %s", product, doc.path);
	res = run_query_ctx(&c, "diff", sql, 2, params);
	progress_clear();
	if (res == NULL)
	{
		rc = failure_code(&c);
		client_close(&c);
		free(doc.path);
		free(doc.text);
		return rc;
	}

	n = PQntuples(res);
	for (r = 0; r < n; r++)
		if (strcmp(PQgetvalue(res, r, 2), "breaking") == 0)
		{
			breaking++;
			if (!PQgetisnull(res, r, 5) && atoll(PQgetvalue(res, r, 5)) > affected)
				affected = atoll(PQgetvalue(res, r, 5));
		}

	if (opts->json)
	{
		fputs("[", stdout);
		for (r = 0; r < n; r++)
			printf("%s%s", r ? ",\n " : "\n ", PQgetvalue(res, r, 6));
		fputs(n ? "\n]\n" : "]\n", stdout);
	}
	else
	{
		if (n > 0)
			print_table(stdout, res, 6);
		if (!opts->quiet)
		{
			if (n == 0)
				printf("No changes: the file is the active contract of %s.\n", product);
			else
				printf("%d change%s, %d breaking.\n", n, n == 1 ? "" : "s", breaking);
		}
	}
	fflush(stdout);
	if (breaking > 0)
		error_msg("diff: %d breaking change%s for %s (a change affects up to %lld consumer%s)",
				  breaking, breaking == 1 ? "" : "s", product, affected,
				  affected == 1 ? "" : "s");

	PQclear(res);
	client_close(&c);
	free(doc.path);
	free(doc.text);
	return breaking ? EXIT_FAILED : EXIT_OK;
}
