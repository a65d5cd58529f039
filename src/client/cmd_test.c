/*-------------------------------------------------------------------------
 *
 * cmd_test.c
 *		dmesh test PRODUCT...: every rule of each product's active contract
 *		checked over its data (dmesh.check_product), optionally written as
 *		JUnit XML for a CI server.
 *
 * A failed rule of severity error fails the run (exit 1); a failed rule of
 * another severity is shown, and is a failure in the JUnit report (of that
 * type), but does not change the exit status; a rule not run here (passed
 * NULL) is shown and is skipped in JUnit.  A product the server refuses
 * to check (unknown, not allowed) fails the run and is an error in JUnit;
 * the other products are still checked.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

/* Columns of the client's query over check_product. */
#define COL_RULE		0
#define COL_PROPERTY	1
#define COL_METRIC		2
#define COL_PASSED		3
#define COL_OBSERVED	4
#define COL_EXPECTED	5
#define COL_ROWS		6
#define COL_SEVERITY	7
#define COL_OBJECT		8
#define COL_JSON		9

typedef struct Checked
{
	const char *product;
	PGresult   *res;			/* NULL when the server refused */
	PGresult   *error;			/* the refusal */
	double		seconds;
	int			passed;
	int			failed;
	int			failed_errors;	/* failed rules of severity error */
	int			not_run;
	char	   *timestamp;
} Checked;

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *
utc_timestamp(void)
{
	char		buf[32];
	time_t		t = time(NULL);
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(buf);
}

static const char *
value(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* A rule failing the run: passed false and severity error (or none). */
static bool
fails_run(PGresult *res, int row)
{
	const char *severity = value(res, row, COL_SEVERITY);

	return !PQgetisnull(res, row, COL_PASSED) && !is_true(res, row, COL_PASSED) &&
		(severity == NULL || strcmp(severity, "error") == 0);
}

/* "object.property", "property", "object" or "" */
static void
target_name(StrBuf *sb, PGresult *res, int row)
{
	const char *object = value(res, row, COL_OBJECT);
	const char *property = value(res, row, COL_PROPERTY);

	if (object && property)
		sb_printf(sb, "%s.%s", object, property);
	else if (property)
		sb_append(sb, property);
	else if (object)
		sb_append(sb, object);
}

static void
count(Checked *ch)
{
	int			r;

	for (r = 0; r < PQntuples(ch->res); r++)
	{
		if (PQgetisnull(ch->res, r, COL_PASSED))
			ch->not_run++;
		else if (is_true(ch->res, r, COL_PASSED))
			ch->passed++;
		else
		{
			ch->failed++;
			if (fails_run(ch->res, r))
				ch->failed_errors++;
		}
	}
}

static void
print_human(const Options *opts, Checked *ch)
{
	static const char *const headers[] = {"result", "rule", "property", "severity",
	"observed", "expected"};
	Table		t;
	long long	rows = -1;
	int			n = PQntuples(ch->res);
	int			r;

	for (r = 0; r < n; r++)
		if (value(ch->res, r, COL_ROWS) && atoll(value(ch->res, r, COL_ROWS)) > rows)
			rows = atoll(value(ch->res, r, COL_ROWS));

	put_clean(stdout, ch->product);
	printf(": %d rule%s, %d passed, %d failed, %d not run here",
		   n, n == 1 ? "" : "s", ch->passed, ch->failed, ch->not_run);
	if (rows >= 0)
		printf(" (%lld row%s)", rows, rows == 1 ? "" : "s");
	fputc('\n', stdout);
	if (n == 0)
		return;

	table_init(&t, 6, headers);
	t.right[4] = true;
	for (r = 0; r < n; r++)
	{
		const char *values[6];
		StrBuf		target;

		sb_init(&target);
		target_name(&target, ch->res, r);
		values[0] = PQgetisnull(ch->res, r, COL_PASSED) ? "not run"
			: is_true(ch->res, r, COL_PASSED) ? "ok" : "FAILED";
		values[1] = value(ch->res, r, COL_RULE);
		values[2] = target.data;
		values[3] = value(ch->res, r, COL_SEVERITY);
		values[4] = value(ch->res, r, COL_OBSERVED);
		values[5] = value(ch->res, r, COL_EXPECTED);
		table_add_row(&t, values);
		sb_free(&target);
	}
	if (!opts->quiet || ch->failed > 0)
		table_print(stdout, &t, "  ");
	table_free(&t);
}

static void
json_error(FILE *f, PGresult *err)
{
	const char *fields[] = {"message", "detail", "hint", "sqlstate"};
	const int	codes[] = {PG_DIAG_MESSAGE_PRIMARY, PG_DIAG_MESSAGE_DETAIL,
	PG_DIAG_MESSAGE_HINT, PG_DIAG_SQLSTATE};
	int			i;

	fputc('{', f);
	for (i = 0; i < 4; i++)
	{
		const char *v = PQresultErrorField(err, codes[i]);

		if (i == 0 && v == NULL)
			v = PQresultErrorMessage(err);
		fprintf(f, "%s\"%s\":", i ? "," : "", fields[i]);
		if (v)
			json_string(f, v);
		else
			fputs("null", f);
	}
	fputc('}', f);
}

static void
print_json(Checked *all, int n)
{
	int			i;
	int			r;

	fputs("[", stdout);
	for (i = 0; i < n; i++)
	{
		Checked    *ch = &all[i];

		fputs(i ? ",\n " : "\n ", stdout);
		fputs("{\"product\":", stdout);
		json_string(stdout, ch->product);
		if (ch->res == NULL)
		{
			fputs(",\"passed\":false,\"error\":", stdout);
			json_error(stdout, ch->error);
			fputs("}", stdout);
			continue;
		}
		printf(",\"passed\":%s,\"rules\":[", ch->failed_errors ? "false" : "true");
		for (r = 0; r < PQntuples(ch->res); r++)
			printf("%s\n  %s", r ? "," : "", PQgetvalue(ch->res, r, COL_JSON));
		fputs(PQntuples(ch->res) ? "\n ]}" : "]}", stdout);
	}
	fputs(n ? "\n]\n" : "]\n", stdout);
}

/* One testcase name per rule, unique within its product. */
static char *
testcase_name(PGresult *res, int row)
{
	StrBuf		sb;
	StrBuf		target;
	int			same = 0;
	int			r;

	sb_init(&target);
	target_name(&target, res, row);
	for (r = 0; r < row; r++)
	{
		StrBuf		other;

		sb_init(&other);
		target_name(&other, res, r);
		if (strcmp(other.data, target.data) == 0 &&
			strcmp(PQgetvalue(res, r, COL_RULE), PQgetvalue(res, row, COL_RULE)) == 0)
			same++;
		sb_free(&other);
	}
	sb_init(&sb);
	sb_append(&sb, PQgetvalue(res, row, COL_RULE));
	if (target.len > 0)
		sb_printf(&sb, " (%s)", target.data);
	if (same > 0)
		sb_printf(&sb, " #%d", same + 1);
	sb_free(&target);
	return sb.data;
}

static void
junit_attr(FILE *f, const char *name, const char *v)
{
	fprintf(f, " %s=\"", name);
	xml_escaped(f, v ? v : "");
	fputc('"', f);
}

static void
write_junit(FILE *f, Checked *all, int n)
{
	int			tests = 0,
				failures = 0,
				errors = 0,
				skipped = 0;
	double		seconds = 0;
	int			i;
	int			r;

	for (i = 0; i < n; i++)
	{
		seconds += all[i].seconds;
		if (all[i].res == NULL)
		{
			tests++;
			errors++;
			continue;
		}
		tests += PQntuples(all[i].res);
		failures += all[i].failed;
		skipped += all[i].not_run;
	}

	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fprintf(f, "<testsuites name=\"dmesh test\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\">\n",
			tests, failures, errors, skipped, seconds);
	for (i = 0; i < n; i++)
	{
		Checked    *ch = &all[i];

		fputs("  <testsuite", f);
		junit_attr(f, "name", ch->product);
		if (ch->res == NULL)
		{
			const char *primary = PQresultErrorField(ch->error, PG_DIAG_MESSAGE_PRIMARY);
			char	   *text = server_error_text(ch->error);

			fprintf(f, " tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" time=\"%.3f\"", ch->seconds);
			junit_attr(f, "timestamp", ch->timestamp);
			fputs(">\n    <testcase name=\"check_product\"", f);
			junit_attr(f, "classname", ch->product);
			fputs(" time=\"0\">\n      <error", f);
			junit_attr(f, "message", primary ? primary : text);
			junit_attr(f, "type", PQresultErrorField(ch->error, PG_DIAG_SQLSTATE));
			fputc('>', f);
			xml_escaped(f, text);
			fputs("</error>\n    </testcase>\n  </testsuite>\n", f);
			free(text);
			continue;
		}
		fprintf(f, " tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\" time=\"%.3f\"",
				PQntuples(ch->res), ch->failed, ch->not_run, ch->seconds);
		junit_attr(f, "timestamp", ch->timestamp);
		fputs(">\n", f);
		for (r = 0; r < PQntuples(ch->res); r++)
		{
			char	   *name = testcase_name(ch->res, r);
			StrBuf		detail;
			StrBuf		message;
			StrBuf		target;
			int			col;
			static const char *const labels[] = {"rule", "property", "metric", NULL,
			"observed", "expected", "rows checked", "severity", "object"};

			sb_init(&detail);
			for (col = 0; col <= COL_OBJECT; col++)
				if (labels[col] && value(ch->res, r, col))
					sb_printf(&detail, "%s: %s\n", labels[col], value(ch->res, r, col));

			fputs("    <testcase", f);
			junit_attr(f, "name", name);
			junit_attr(f, "classname", ch->product);
			fputs(" time=\"0\"", f);
			if (is_true(ch->res, r, COL_PASSED))
				fputs("/>\n", f);
			else if (PQgetisnull(ch->res, r, COL_PASSED))
			{
				fputs(">\n      <skipped", f);
				junit_attr(f, "message", value(ch->res, r, COL_EXPECTED));
				fputs("/>\n    </testcase>\n", f);
			}
			else
			{
				sb_init(&message);
				sb_init(&target);
				target_name(&target, ch->res, r);
				sb_printf(&message, "%s%s%s: observed %s, expected %s",
						  PQgetvalue(ch->res, r, COL_RULE),
						  target.len ? " on " : "", target.data,
						  value(ch->res, r, COL_OBSERVED) ? value(ch->res, r, COL_OBSERVED) : "nothing",
						  value(ch->res, r, COL_EXPECTED) ? value(ch->res, r, COL_EXPECTED) : "nothing");
				fputs(">\n      <failure", f);
				junit_attr(f, "message", message.data);
				junit_attr(f, "type", value(ch->res, r, COL_SEVERITY) ? value(ch->res, r, COL_SEVERITY) : "error");
				fputc('>', f);
				xml_escaped(f, detail.data);
				fputs("</failure>\n    </testcase>\n", f);
				sb_free(&message);
				sb_free(&target);
			}
			sb_free(&detail);
			free(name);
		}
		fputs("  </testsuite>\n", f);
	}
	fputs("</testsuites>\n", f);
}

int
cmd_test(const Options *opts)
{
	static const char *const sql =
		"SELECT r.rule, r.property, r.metric, r.passed, r.observed, r.expected,"
		"       r.rows_checked, r.severity, r.object,"
		"       pg_catalog.row_to_json(r)::pg_catalog.text"
		"  FROM (SELECT k.rule, k.property, k.metric, k.passed, k.observed, k.expected,"
		"               k.rows_checked, k.severity, k.object"
		"          FROM dmesh.check_product($1) k) r";
	Checked    *all;
	Client		c;
	int			n = opts->argc;
	int			rc;
	int			i;
	int			failing = 0;
	bool		junit_existed = false;

	/* a report we cannot write should fail before any check runs */
	if (opts->junit)
	{
		struct stat st;
		FILE	   *f;

		junit_existed = stat(opts->junit, &st) == 0;
		f = fopen(opts->junit, "a");
		if (f == NULL)
		{
			error_msg("could not write the JUnit report \"%s\": %s", opts->junit, strerror(errno));
			return EXIT_USAGE;
		}
		fclose(f);
	}

	rc = client_connect(&c, opts);
	if (rc != EXIT_OK)
	{
		if (opts->junit && !junit_existed)
			unlink(opts->junit);
		return rc;
	}

	all = xmalloc(sizeof(Checked) * n);
	memset(all, 0, sizeof(Checked) * n);
	for (i = 0; i < n; i++)
	{
		Checked    *ch = &all[i];
		const char *params[1];
		PGresult   *res;
		double		start;

		ch->product = opts->argv[i];
		ch->timestamp = utc_timestamp();
		progress("checking %s (%d/%d)", ch->product, i + 1, n);
		params[0] = ch->product;
		start = now_seconds();
		res = exec_params(&c, sql, 1, params);
		ch->seconds = now_seconds() - start;
		if (!result_ok(res))
		{
			report_server_error(&c, ch->product, res);
			if (PQstatus(c.conn) != CONNECTION_OK)
			{
				PQclear(res);
				n = i;
				rc = EXIT_USAGE;
				break;
			}
			ch->error = res;
			failing++;
			continue;
		}
		ch->res = res;
		count(ch);
		if (ch->failed_errors > 0)
			failing++;
		if (!opts->json)
		{
			progress_clear();
			print_human(opts, ch);
			fflush(stdout);
		}
	}
	progress_clear();

	if (rc == EXIT_OK)
	{
		if (opts->json)
			print_json(all, n);
		else if (!opts->quiet && n > 1)
			printf("%d products checked: %d passed, %d failed.\n", n, n - failing, failing);

		if (opts->junit)
		{
			FILE	   *f = fopen(opts->junit, "w");

			if (f == NULL)
			{
				error_msg("could not write the JUnit report \"%s\": %s", opts->junit, strerror(errno));
				rc = EXIT_USAGE;
			}
			else
			{
				write_junit(f, all, n);
				if (fclose(f) != 0)
				{
					error_msg("could not write the JUnit report \"%s\": %s", opts->junit, strerror(errno));
					rc = EXIT_USAGE;
				}
			}
		}
		if (rc == EXIT_OK && failing > 0)
			rc = EXIT_FAILED;
	}
	else if (opts->junit && !junit_existed)
		unlink(opts->junit);

	for (i = 0; i < opts->argc; i++)
	{
		PQclear(all[i].res);
		PQclear(all[i].error);
		free(all[i].timestamp);
	}
	free(all);
	client_close(&c);
	return rc;
}
