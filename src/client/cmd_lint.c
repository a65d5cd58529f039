/*-------------------------------------------------------------------------
 *
 * cmd_lint.c
 *		dmesh lint FILE|DIR...: documents checked by the server's validator.
 *
 * Each document goes whole to dmesh.lint_document(text), which answers
 * with its problems (kind, path, severity, message, hint): none means
 * valid; a message's second line (the standard's detail) is shown
 * indented below it.  A document the server cannot read at all is one
 * problem (invalid YAML, say); should the server raise an error instead,
 * that error is the document's one problem.  Every file
 * is read before connecting: one that cannot be read is a usage error.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "client.h"

typedef struct DocList
{
	Document   *items;
	int			n;
	int			cap;
} DocList;

static void
add_doc(DocList *list, const Document *doc)
{
	if (list->n == list->cap)
	{
		list->cap = list->cap ? list->cap * 2 : 16;
		list->items = xrealloc(list->items, sizeof(Document) * list->cap);
	}
	list->items[list->n++] = *doc;
}

static void
free_docs(DocList *list)
{
	int			i;

	for (i = 0; i < list->n; i++)
	{
		free(list->items[i].path);
		free(list->items[i].text);
	}
	free(list->items);
}

/* The documents named: files as given, directories by what they hold. */
static bool
collect(const Options *opts, DocList *list)
{
	int			i;

	for (i = 0; i < opts->argc; i++)
	{
		const char *arg = opts->argv[i];
		Document	doc;

		if (strcmp(arg, "-") != 0 && is_directory(arg))
		{
			char	  **paths;
			int			npaths;
			int			j;
			bool		ok = true;

			if (!find_documents(arg, &paths, &npaths))
				return false;
			if (npaths == 0)
				warning_msg("no *.odcs.* or *.odps.* documents below \"%s\"", arg);
			for (j = 0; j < npaths && ok; j++)
			{
				ok = read_document(paths[j], &doc);
				if (ok)
					add_doc(list, &doc);
			}
			free_paths(paths, npaths);
			if (!ok)
				return false;
		}
		else
		{
			if (!read_document(arg, &doc))
				return false;
			add_doc(list, &doc);
		}
	}
	return true;
}

/*
 * A message of one or more lines: the first as it is, the others (the
 * standard's detail) indented below it.
 */
static void
put_lines(FILE *f, const char *message)
{
	char	   *copy = xstrdup(message);
	char	   *line;
	char	   *next;
	bool		first = true;

	for (line = copy; line; line = next)
	{
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!first)
			fputs("  ", f);
		put_clean(f, line);
		fputc('\n', f);
		first = false;
	}
	free(copy);
}

static void
human_problem(const char *file, const char *severity, const char *path,
			  const char *message, const char *hint)
{
	put_clean(stdout, file);
	fputs(": ", stdout);
	put_clean(stdout, severity && *severity ? severity : "error");
	fputs(": ", stdout);
	if (path && *path)
	{
		put_clean(stdout, path);
		fputs(": ", stdout);
	}
	put_lines(stdout, message ? message : "");
	if (hint && *hint)
	{
		fputs("  hint: ", stdout);
		put_clean(stdout, hint);
		fputc('\n', stdout);
	}
}

/* A server error as one problem's message: "message (detail)". */
static char *
error_message(const PGresult *res)
{
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	StrBuf		msg;

	sb_init(&msg);
	if (primary)
		sb_append(&msg, primary);
	else
	{
		const char *all = PQresultErrorMessage(res);
		size_t		n = strlen(all);

		while (n > 0 && all[n - 1] == '\n')
			n--;
		sb_appendn(&msg, all, n);
	}
	if (detail)
		sb_printf(&msg, " (%s)", detail);
	return msg.data;
}

static void
json_nullable(FILE *f, const char *s)
{
	if (s)
		json_string(f, s);
	else
		fputs("null", f);
}

int
cmd_lint(const Options *opts)
{
	static const char *const sql =
		"SELECT r.kind, r.path, r.severity, r.message, r.hint,"
		"       pg_catalog.row_to_json(r)::pg_catalog.text"
		"  FROM dmesh.lint_document($1) r";
	DocList		docs = {NULL, 0, 0};
	Client		c;
	int			rc;
	int			i;
	int			invalid = 0;
	int			problems = 0;

	if (!collect(opts, &docs))
	{
		free_docs(&docs);
		return EXIT_USAGE;
	}
	if (docs.n == 0)
	{
		error_msg("lint: no documents to check");
		free_docs(&docs);
		return EXIT_USAGE;
	}

	rc = client_connect(&c, opts);
	if (rc == EXIT_OK)
		rc = require_function(&c, "dmesh.lint_document(text)", "dmesh lint");
	if (rc != EXIT_OK)
	{
		client_close(&c);
		free_docs(&docs);
		return rc;
	}

	if (opts->json)
		fputs("[", stdout);
	for (i = 0; i < docs.n; i++)
	{
		const Document *doc = &docs.items[i];
		const char *params[1];
		PGresult   *res;
		int			r;
		int			n;

		progress("linting %s (%d/%d)", doc->path, i + 1, docs.n);
		params[0] = doc->text;
		res = exec_params(&c, sql, 1, params);
		if (!result_ok(res) && PQstatus(c.conn) != CONNECTION_OK)
		{
			report_server_error(&c, doc->path, res);
			PQclear(res);
			if (opts->json)
				fputs("]\n", stdout);
			client_close(&c);
			free_docs(&docs);
			return EXIT_USAGE;
		}

		n = result_ok(res) ? PQntuples(res) : 1;
		if (n > 0)
			invalid++;
		problems += n;

		if (opts->json)
		{
			fputs(i ? ",\n " : "\n ", stdout);
			fputs("{\"file\":", stdout);
			json_string(stdout, doc->path);
			fprintf(stdout, ",\"valid\":%s,\"problems\":[", n ? "false" : "true");
			if (result_ok(res))
			{
				for (r = 0; r < n; r++)
					fprintf(stdout, "%s%s", r ? "," : "", PQgetvalue(res, r, 5));
			}
			else
			{
				char	   *msg = error_message(res);

				fputs("{\"kind\":null,\"path\":null,\"severity\":\"error\",\"message\":", stdout);
				json_string(stdout, msg);
				fputs(",\"hint\":", stdout);
				json_nullable(stdout, PQresultErrorField(res, PG_DIAG_MESSAGE_HINT));
				fputs("}", stdout);
				free(msg);
			}
			fputs("]}", stdout);
		}
		else
		{
			progress_clear();
			if (!result_ok(res))
			{
				char	   *msg = error_message(res);

				human_problem(doc->path, "error", NULL, msg,
							  PQresultErrorField(res, PG_DIAG_MESSAGE_HINT));
				free(msg);
			}
			else if (n == 0)
			{
				put_clean(stdout, doc->path);
				fputs(": ok\n", stdout);
			}
			else
				for (r = 0; r < n; r++)
					human_problem(doc->path,
								  PQgetisnull(res, r, 2) ? NULL : PQgetvalue(res, r, 2),
								  PQgetisnull(res, r, 1) ? NULL : PQgetvalue(res, r, 1),
								  PQgetisnull(res, r, 3) ? NULL : PQgetvalue(res, r, 3),
								  PQgetisnull(res, r, 4) ? NULL : PQgetvalue(res, r, 4));
		}
		fflush(stdout);
		PQclear(res);
	}
	progress_clear();
	if (opts->json)
		fputs("\n]\n", stdout);
	else if (!opts->quiet)
		printf("%d document%s checked: %d valid, %d with problems (%d problem%s)\n",
			   docs.n, docs.n == 1 ? "" : "s", docs.n - invalid, invalid,
			   problems, problems == 1 ? "" : "s");

	client_close(&c);
	free_docs(&docs);
	return invalid ? EXIT_FAILED : EXIT_OK;
}
