/*-------------------------------------------------------------------------
 *
 * cmd_catalog.c
 *		dmesh catalog [WORDS]...: the marketplace, or what dmesh.search
 *		finds in it (the words joined by spaces, one web-search query), best
 *		first.  One row per live published relation: domain, product,
 *		version, status, relation, access, quality_score, description.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "client.h"

#define CATALOG_COLUMNS \
	"m.domain, m.product, m.version, m.status, m.relation::pg_catalog.text AS relation," \
	" m.access, m.quality_score, m.description"

int
cmd_catalog(const Options *opts)
{
	static const char *const all_sql =
		"SELECT r.*, pg_catalog.row_to_json(r)::pg_catalog.text"
		"  FROM (SELECT " CATALOG_COLUMNS
		"          FROM dmesh.marketplace m"
		"         ORDER BY m.domain, m.product, m.major, m.object) r";
	static const char *const search_sql =
		"SELECT r.*, pg_catalog.row_to_json(r)::pg_catalog.text"
		"  FROM (SELECT " CATALOG_COLUMNS
		"          FROM dmesh.search($1) m"
		"         ORDER BY m.rank DESC, m.domain, m.product, m.major, m.object) r";
	StrBuf		words;
	const char *params[1];
	Client		c;
	PGresult   *res;
	int			rc;
	int			n;
	int			r;
	int			i;

	sb_init(&words);
	for (i = 0; i < opts->argc; i++)
		sb_printf(&words, "%s%s", i ? " " : "", opts->argv[i]);

	rc = client_connect(&c, opts);
	if (rc != EXIT_OK)
	{
		sb_free(&words);
		return rc;
	}
	params[0] = words.data;
	if (opts->argc > 0)
		res = run_query_ctx(&c, "catalog", search_sql, 1, params);
	else
		res = run_query_ctx(&c, "catalog", all_sql, 0, NULL);
	if (res == NULL)
	{
		rc = failure_code(&c);
		client_close(&c);
		sb_free(&words);
		return rc;
	}

	n = PQntuples(res);
	if (opts->json)
	{
		fputs("[", stdout);
		for (r = 0; r < n; r++)
			printf("%s%s", r ? ",\n " : "\n ", PQgetvalue(res, r, PQnfields(res) - 1));
		fputs(n ? "\n]\n" : "]\n", stdout);
	}
	else if (n > 0)
		print_table(stdout, res, PQnfields(res) - 1);
	else if (!opts->quiet)
	{
		if (opts->argc > 0)
		{
			fputs("No product matches \"", stdout);
			put_clean(stdout, words.data);
			fputs("\".\n", stdout);
		}
		else
			fputs("No published products.\n", stdout);
	}

	PQclear(res);
	client_close(&c);
	sb_free(&words);
	return EXIT_OK;
}
