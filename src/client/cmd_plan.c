/*-------------------------------------------------------------------------
 *
 * cmd_plan.c
 *		dmesh plan DIR and dmesh apply DIR: a directory of data product and
 *		data contract documents, planned or applied product by product.
 *
 * Every *.odps.* (product) and *.odcs.* (contract) document below DIR is
 * read, in sorted path order.  The server parses each (dmesh.yaml_to_jsonb)
 * to tell the client a contract's id and version and the contractIds a
 * product's outputPorts name; each product then goes to the server with
 * the text of every version found of the contracts it names (in the order
 * its ports name them, each contract's versions in path order), so that
 * the server can set the versions it has not set yet, in version order:
 *   plan:  dmesh.plan_product(document, contracts), all in one transaction
 *          that is rolled back; a product the server refuses is reported
 *          and the others are still planned (a savepoint each).
 *   apply: dmesh.apply_product(document, contracts), all in ONE
 *          transaction: the first error rolls everything back.
 * Before anything is planned, the set must hold together: every document
 * readable and parsed, no contract id and version twice, every contractId
 * the id of a contract found (else exit 2).  A contract no product names
 * is left out, with a warning.  Which versions a port needs and whether
 * those not found are set already is the server's to say.
 *
 * A plan fails (exit 1) on a breaking change, naming its consumers, and on
 * a change apply_product would refuse (change "refused").
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "client.h"

typedef struct Doc
{
	Document	d;
	DocKind		kind;
	char	   *id;				/* its id; NULL when it has none */
	char	   *version;		/* a contract's version; NULL when none */
	char	  **refs;			/* a product's contractIds, deduplicated */
	int			nrefs;
	int		   *sends;			/* a product's contract documents to send */
	int			nsends;
	bool		named;			/* a contract some product names */
} Doc;

typedef struct Run
{
	Doc		   *docs;
	int			ndocs;
} Run;

static void
free_run(Run *run)
{
	int			i;
	int			j;

	for (i = 0; i < run->ndocs; i++)
	{
		Doc		   *d = &run->docs[i];

		free(d->d.path);
		free(d->d.text);
		free(d->id);
		free(d->version);
		for (j = 0; j < d->nrefs; j++)
			free(d->refs[j]);
		free(d->refs);
		free(d->sends);
	}
	free(run->docs);
}

static bool
read_all(const char *dir, Run *run)
{
	char	  **paths;
	int			npaths;
	int			i;

	if (!find_documents(dir, &paths, &npaths))
		return false;
	if (npaths == 0)
	{
		error_msg("no *.odps.* or *.odcs.* documents below \"%s\"", dir);
		free_paths(paths, npaths);
		return false;
	}
	run->docs = xmalloc(sizeof(Doc) * npaths);
	memset(run->docs, 0, sizeof(Doc) * npaths);
	run->ndocs = 0;
	for (i = 0; i < npaths; i++)
	{
		Doc		   *d = &run->docs[run->ndocs];

		if (!read_document(paths[i], &d->d))
		{
			free_paths(paths, npaths);
			return false;
		}
		d->kind = document_kind(paths[i]);
		run->ndocs++;
	}
	free_paths(paths, npaths);
	return true;
}

/*
 * The server reads each document: a contract's id and version, a product's
 * contractIds.
 */
static int
parse_all(Client *c, Run *run)
{
	static const char *const sql =
		"SELECT d OPERATOR(pg_catalog.->>) 'id',"
		"       p.port OPERATOR(pg_catalog.->>) 'contractId',"
		"       d OPERATOR(pg_catalog.->>) 'version'"
		"  FROM dmesh.yaml_to_jsonb($1) d"
		"  LEFT JOIN LATERAL pg_catalog.jsonb_array_elements("
		"         CASE WHEN pg_catalog.jsonb_typeof(d OPERATOR(pg_catalog.->) 'outputPorts')"
		"                   OPERATOR(pg_catalog.=) 'array'"
		"              THEN d OPERATOR(pg_catalog.->) 'outputPorts' END)"
		"       WITH ORDINALITY p(port, n) ON true"
		" ORDER BY p.n";
	int			failed = 0;
	int			i;

	for (i = 0; i < run->ndocs; i++)
	{
		Doc		   *d = &run->docs[i];
		const char *params[1];
		PGresult   *res;
		int			r;

		progress("reading %s (%d/%d)", d->d.path, i + 1, run->ndocs);
		params[0] = d->d.text;
		res = run_query_ctx(c, d->d.path, sql, 1, params);
		if (res == NULL)
		{
			if (PQstatus(c->conn) != CONNECTION_OK)
				return EXIT_USAGE;
			failed++;
			continue;
		}
		if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
			d->id = xstrdup(PQgetvalue(res, 0, 0));
		if (d->kind == DOC_CONTRACT && PQntuples(res) > 0 && !PQgetisnull(res, 0, 2))
			d->version = xstrdup(PQgetvalue(res, 0, 2));
		if (d->kind == DOC_PRODUCT)
		{
			d->refs = xmalloc(sizeof(char *) * (PQntuples(res) + 1));
			for (r = 0; r < PQntuples(res); r++)
			{
				const char *ref = PQgetvalue(res, r, 1);
				int			k;
				bool		dup = false;

				if (PQgetisnull(res, r, 1))
					continue;	/* a port without a contract */
				for (k = 0; k < d->nrefs; k++)
					dup = dup || strcmp(d->refs[k], ref) == 0;
				if (!dup)
					d->refs[d->nrefs++] = xstrdup(ref);
			}
		}
		PQclear(res);
	}
	progress_clear();
	return failed ? EXIT_USAGE : EXIT_OK;
}

static bool
same_version(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/*
 * No contract id and version twice; every contractId the id of a contract
 * found, each product given every version found of the contracts it names;
 * unnamed contracts warned of.
 */
static int
match_all(Run *run, const char *dir)
{
	int			failed = 0;
	int			i;
	int			j;
	int			k;

	for (i = 0; i < run->ndocs; i++)
	{
		Doc		   *a = &run->docs[i];

		if (a->kind != DOC_CONTRACT || a->id == NULL)
			continue;
		for (j = 0; j < i; j++)
		{
			Doc		   *b = &run->docs[j];

			if (b->kind == DOC_CONTRACT && b->id && strcmp(a->id, b->id) == 0 &&
				same_version(a->version, b->version))
			{
				if (a->version)
					error_msg("contract \"%s\" version %s is in both \"%s\" and \"%s\"",
							  a->id, a->version, b->d.path, a->d.path);
				else
					error_msg("contract \"%s\" (without a version) is in both \"%s\" and \"%s\"",
							  a->id, b->d.path, a->d.path);
				failed++;
			}
		}
	}

	for (i = 0; i < run->ndocs; i++)
	{
		Doc		   *p = &run->docs[i];

		if (p->kind != DOC_PRODUCT)
			continue;
		p->sends = xmalloc(sizeof(int) * (run->ndocs + 1));
		for (k = 0; k < p->nrefs; k++)
		{
			bool		found = false;

			for (j = 0; j < run->ndocs; j++)
			{
				Doc		   *c = &run->docs[j];

				if (c->kind == DOC_CONTRACT && c->id && strcmp(c->id, p->refs[k]) == 0)
				{
					p->sends[p->nsends++] = j;
					c->named = true;
					found = true;
				}
			}
			if (!found)
			{
				error_msg("%s: contractId \"%s\" is the id of no contract below \"%s\"",
						  p->d.path, p->refs[k], dir);
				failed++;
			}
		}
	}
	if (failed)
		return EXIT_USAGE;

	for (i = 0; i < run->ndocs; i++)
	{
		Doc		   *c = &run->docs[i];

		if (c->kind != DOC_CONTRACT || c->named)
			continue;
		if (c->id)
			warning_msg("%s: no product names contract \"%s\"; it is left out",
						c->d.path, c->id);
		else
			warning_msg("%s: the contract has no id, so no product can name it; it is left out",
						c->d.path);
	}
	return EXIT_OK;
}

static int
count_products(const Run *run)
{
	int			n = 0;
	int			i;

	for (i = 0; i < run->ndocs; i++)
		if (run->docs[i].kind == DOC_PRODUCT)
			n++;
	return n;
}

/* Consumers of breaking rows, each once, in the order met. */
typedef struct NameSet
{
	char	  **names;
	int			n;
	int			cap;
} NameSet;

static void
nameset_add_array(NameSet *set, const char *array_text)
{
	char	  **items;
	int			nitems;
	int			i;
	int			j;

	if (!parse_text_array(array_text, &items, &nitems))
		return;
	for (i = 0; i < nitems; i++)
	{
		bool		seen = false;

		for (j = 0; j < set->n && !seen; j++)
			seen = strcmp(set->names[j], items[i]) == 0;
		if (seen)
		{
			free(items[i]);
			continue;
		}
		if (set->n == set->cap)
		{
			set->cap = set->cap ? set->cap * 2 : 8;
			set->names = xrealloc(set->names, sizeof(char *) * set->cap);
		}
		set->names[set->n++] = items[i];
	}
	free(items);
}

static void
nameset_free(NameSet *set)
{
	while (set->n > 0)
		free(set->names[--set->n]);
	free(set->names);
}

/* Columns of the result of plan_product/apply_product as the client asks. */
#define COL_PRODUCT		0
#define COL_KIND		1
#define COL_ITEM		2
#define COL_CHANGE		3
#define COL_BREAKING	4
#define COL_CONSUMERS	5
#define COL_DETAIL		6
#define COL_CONSUMER_ARRAY 7
#define COL_JSON		8

static int
plan_or_apply(const Options *opts, bool apply)
{
	const char *verb = apply ? "apply" : "plan";
	const char *dir = opts->argv[0];
	Run			run = {NULL, 0};
	Client		c;
	PGresult  **results;
	const char **files;
	int			nresults = 0;
	int			nproducts;
	int			done = 0;
	int			refused = 0;
	int			changes = 0;
	int			breaking = 0;
	int			refusals = 0;
	int			rc;
	int			i;
	int			r;
	NameSet		consumers = {NULL, 0, 0};

	if (!read_all(dir, &run))
	{
		free_run(&run);
		return EXIT_USAGE;
	}
	nproducts = count_products(&run);

	rc = client_connect(&c, opts);
	if (rc == EXIT_OK)
		rc = require_function(&c, apply ? "dmesh.apply_product(text,text[])"
							  : "dmesh.plan_product(text,text[])",
							  apply ? "dmesh apply" : "dmesh plan");
	if (rc == EXIT_OK)
		rc = parse_all(&c, &run);
	if (rc == EXIT_OK)
		rc = match_all(&run, dir);
	if (rc != EXIT_OK)
	{
		client_close(&c);
		free_run(&run);
		return rc;
	}
	if (nproducts == 0)
		warning_msg("no product documents (*.odps.*) below \"%s\": nothing to %s", dir, verb);

	results = xmalloc(sizeof(PGresult *) * (nproducts + 1));
	files = xmalloc(sizeof(char *) * (nproducts + 1));

	if (!run_command(&c, "BEGIN"))
	{
		rc = failure_code(&c);
		goto out;
	}
	for (i = 0; i < run.ndocs; i++)
	{
		Doc		   *p = &run.docs[i];
		const char **params;
		StrBuf		sql;
		PGresult   *res;
		int			k;

		if (p->kind != DOC_PRODUCT)
			continue;
		done++;
		progress("%s %s (%d/%d)", apply ? "applying" : "planning", p->d.path, done, nproducts);

		params = xmalloc(sizeof(char *) * (p->nsends + 1));
		params[0] = p->d.text;
		for (k = 0; k < p->nsends; k++)
			params[k + 1] = run.docs[p->sends[k]].d.text;
		sb_init(&sql);
		sb_printf(&sql,
				  "SELECT r.product, r.kind, r.item, r.change,"
				  "       CASE WHEN r.breaking THEN 'yes' ELSE '' END,"
				  "       pg_catalog.array_to_string(r.consumers, ', '),"
				  "       r.detail, r.consumers,"
				  "       pg_catalog.row_to_json(r)::pg_catalog.text"
				  "  FROM dmesh.%s_product($1, ", verb);
		append_array_params(&sql, 2, p->nsends);
		sb_append(&sql, ") r");

		if (!apply && !run_command(&c, "SAVEPOINT dmesh_plan"))
		{
			rc = failure_code(&c);
			free(params);
			sb_free(&sql);
			goto out;
		}
		res = run_query_ctx(&c, p->d.path, sql.data, p->nsends + 1, params);
		free(params);
		sb_free(&sql);
		if (res == NULL)
		{
			refused++;
			if (PQstatus(c.conn) != CONNECTION_OK)
			{
				rc = EXIT_USAGE;
				goto out;
			}
			if (apply)
			{
				run_command(&c, "ROLLBACK");
				error_msg("apply: rolled back: nothing was applied");
				rc = EXIT_FAILED;
				goto out;
			}
			if (!run_command(&c, "ROLLBACK TO SAVEPOINT dmesh_plan"))
			{
				rc = failure_code(&c);
				goto out;
			}
			continue;
		}
		results[nresults] = res;
		files[nresults] = p->d.path;
		nresults++;
		if (!apply && !run_command(&c, "RELEASE SAVEPOINT dmesh_plan"))
		{
			rc = failure_code(&c);
			goto out;
		}
	}
	progress_clear();
	if (!run_command(&c, apply ? "COMMIT" : "ROLLBACK"))
	{
		if (apply)
			error_msg("apply: the commit failed: nothing was applied");
		rc = failure_code(&c);
		goto out;
	}

	/* what changed, or would */
	for (i = 0; i < nresults; i++)
		for (r = 0; r < PQntuples(results[i]); r++)
		{
			changes++;
			if (strcmp(PQgetvalue(results[i], r, COL_CHANGE), "refused") == 0)
				refusals++;
			if (strcmp(PQgetvalue(results[i], r, COL_BREAKING), "yes") == 0)
			{
				breaking++;
				if (!PQgetisnull(results[i], r, COL_CONSUMER_ARRAY))
					nameset_add_array(&consumers, PQgetvalue(results[i], r, COL_CONSUMER_ARRAY));
			}
		}

	if (opts->json)
	{
		bool		first = true;

		fputs("[", stdout);
		for (i = 0; i < nresults; i++)
			for (r = 0; r < PQntuples(results[i]); r++)
			{
				fputs(first ? "\n " : ",\n ", stdout);
				print_json_with_file(stdout, files[i], PQgetvalue(results[i], r, COL_JSON));
				first = false;
			}
		fputs(first ? "]\n" : "\n]\n", stdout);
	}
	else if (changes == 0)
	{
		if (!opts->quiet)
			printf(apply ? "No changes applied (%d product%s).\n"
				   : "No changes (%d product%s).\n",
				   nresults, nresults == 1 ? "" : "s");
	}
	else
	{
		static const char *const headers[] = {"product", "kind", "item", "change",
		"breaking", "consumers", "detail"};
		Table		t;

		table_init(&t, 7, headers);
		for (i = 0; i < nresults; i++)
			table_add_result(&t, results[i], 7);
		table_print(stdout, &t, "");
		table_free(&t);
		if (!opts->quiet)
			printf("%s: %d change%s in %d product%s, %d breaking.\n",
				   apply ? "Applied" : "Plan", changes, changes == 1 ? "" : "s",
				   nresults, nresults == 1 ? "" : "s", breaking);
	}
	fflush(stdout);

	if (!apply && breaking > 0)
	{
		StrBuf		names;

		sb_init(&names);
		for (i = 0; i < consumers.n; i++)
			sb_printf(&names, "%s%s", i ? ", " : "", consumers.names[i]);
		if (consumers.n > 0)
			error_msg("plan: %d breaking change%s; consumers affected: %s",
					  breaking, breaking == 1 ? "" : "s", names.data);
		else
			error_msg("plan: %d breaking change%s (no known consumers)",
					  breaking, breaking == 1 ? "" : "s");
		sb_free(&names);
	}
	if (!apply && refusals > 0)
		error_msg("plan: apply would refuse %d change%s (change \"refused\")",
				  refusals, refusals == 1 ? "" : "s");
	if (refused > 0)
		error_msg("plan: the server refused %d of %d product%s", refused, nproducts,
				  nproducts == 1 ? "" : "s");
	rc = (refused > 0 || (!apply && (breaking > 0 || refusals > 0))) ? EXIT_FAILED : EXIT_OK;

out:
	progress_clear();
	for (i = 0; i < nresults; i++)
		PQclear(results[i]);
	free(results);
	free(files);
	nameset_free(&consumers);
	client_close(&c);
	free_run(&run);
	return rc;
}

int
cmd_plan(const Options *opts)
{
	return plan_or_apply(opts, false);
}

int
cmd_apply(const Options *opts)
{
	return plan_or_apply(opts, true);
}
