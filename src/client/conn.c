/*-------------------------------------------------------------------------
 *
 * conn.c
 *		Connecting to the server, running queries, reporting its errors.
 *
 * Connection parameters are given to libpq as keywords, the way psql
 * does: host, port, user, then dbname, which may itself be a connection
 * string or URI (expand_dbname) and then overrides them; anything not
 * given comes from the PG* environment variables and libpq's defaults.
 * The client encoding is UTF8: documents are read as UTF-8 and JSON is
 * written as UTF-8.
 *
 * Queries are always PQexecParams with text parameters: a file's contents,
 * a product name or a search go to the server as values.  A server error is
 * printed with its DETAIL and HINT (and, with --verbose, its SQLSTATE and
 * CONTEXT).  Ctrl-C during a query asks the server to cancel it; at any
 * other time it ends the program as usual.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "client.h"

static PGcancel *volatile cancel_handle = NULL;
static volatile sig_atomic_t query_running = 0;

static void
handle_sigint(int signo)
{
	int			save_errno = errno;
	char		errbuf[256];

	if (query_running && cancel_handle != NULL)
	{
		static const char msg[] = "\ndmesh: cancel request sent\n";

		if (PQcancel(cancel_handle, errbuf, sizeof(errbuf)))
		{
			ssize_t		rc = write(STDERR_FILENO, msg, sizeof(msg) - 1);

			(void) rc;
		}
		errno = save_errno;
		return;
	}
	signal(signo, SIG_DFL);
	raise(signo);
}

static void
notice_processor(void *arg, const char *message)
{
	const Options *opts = arg;

	if (opts->quiet)
		return;
	progress_clear();
	fputs(message, stderr);
}

/*
 * A password typed on the terminal, without echo; NULL when there is no
 * terminal.  The caller frees it.
 */
static char *
prompt_password(void)
{
	struct termios old,
				noecho;
	char		buf[1024];
	FILE	   *tty;
	bool		restore = false;
	size_t		n;

	tty = fopen("/dev/tty", "r+");
	if (tty == NULL)
		return NULL;
	fputs("Password: ", tty);
	fflush(tty);
	if (tcgetattr(fileno(tty), &old) == 0)
	{
		noecho = old;
		noecho.c_lflag &= ~ECHO;
		restore = tcsetattr(fileno(tty), TCSAFLUSH, &noecho) == 0;
	}
	if (fgets(buf, sizeof(buf), tty) == NULL)
		buf[0] = '\0';
	if (restore)
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return xstrdup(buf);
}

int
client_connect(Client *c, const Options *opts)
{
	const char *keywords[9];
	const char *values[9];
	char	   *password = NULL;
	PGresult   *res;
	struct sigaction sa;
	const char *params[1];

	memset(c, 0, sizeof(*c));
	c->opts = opts;

	if (opts->password > 0)
		password = prompt_password();

	for (;;)
	{
		int			i = 0;

		keywords[i] = "host";
		values[i++] = opts->host;
		keywords[i] = "port";
		values[i++] = opts->port;
		keywords[i] = "user";
		values[i++] = opts->user;
		keywords[i] = "password";
		values[i++] = password;
		keywords[i] = "dbname";
		values[i++] = opts->dbname;
		keywords[i] = "fallback_application_name";
		values[i++] = "dmesh";
		keywords[i] = "client_encoding";
		values[i++] = "UTF8";
		keywords[i] = NULL;
		values[i] = NULL;

		c->conn = PQconnectdbParams(keywords, values, 1);
		if (c->conn == NULL)
		{
			error_msg("out of memory");
			free(password);
			return EXIT_USAGE;
		}
		if (PQstatus(c->conn) == CONNECTION_BAD && PQconnectionNeedsPassword(c->conn) &&
			password == NULL && opts->password >= 0 && isatty(STDIN_FILENO))
		{
			PQfinish(c->conn);
			c->conn = NULL;
			password = prompt_password();
			if (password != NULL)
				continue;
		}
		break;
	}
	if (password != NULL)
	{
		memset(password, 0, strlen(password));
		free(password);
	}

	if (c->conn == NULL || PQstatus(c->conn) != CONNECTION_OK)
	{
		const char *msg = c->conn ? PQerrorMessage(c->conn) : "";
		size_t		n = strlen(msg);

		progress_clear();
		fprintf(stderr, "%s: could not connect to the server: ", progname);
		fwrite(msg, 1, n, stderr);
		if (n == 0 || msg[n - 1] != '\n')
			fputc('\n', stderr);
		if (c->conn)
			PQfinish(c->conn);
		c->conn = NULL;
		return EXIT_USAGE;
	}

	PQsetNoticeProcessor(c->conn, notice_processor, (void *) opts);

	cancel_handle = PQgetCancel(c->conn);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handle_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);

	params[0] = "dmesh";
	res = run_query_ctx(c, "connecting",
						"SELECT e.extversion FROM pg_catalog.pg_extension e"
						" WHERE e.extname OPERATOR(pg_catalog.=) $1", 1, params);
	if (res == NULL)
	{
		client_close(c);
		return EXIT_USAGE;
	}
	if (PQntuples(res) == 0)
	{
		error_msg("the dmesh extension is not installed in database \"%s\"",
				  PQdb(c->conn));
		fprintf(stderr, "HINT:  A superuser installs it with CREATE EXTENSION dmesh;\n");
		PQclear(res);
		client_close(c);
		return EXIT_USAGE;
	}
	c->extversion = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return EXIT_OK;
}

void
client_close(Client *c)
{
	PGcancel   *h = cancel_handle;

	cancel_handle = NULL;
	if (h)
		PQfreeCancel(h);
	if (c->conn)
		PQfinish(c->conn);
	c->conn = NULL;
	free(c->extversion);
	c->extversion = NULL;
}

/*
 * Whether the server's dmesh has a function; when not, says so (naming
 * what needs it) and returns EXIT_USAGE.
 */
int
require_function(Client *c, const char *signature, const char *purpose)
{
	const char *params[1];
	PGresult   *res;
	bool		found;

	params[0] = signature;
	res = run_query(c, "SELECT pg_catalog.to_regprocedure($1) IS NOT NULL", 1, params);
	if (res == NULL)
		return EXIT_USAGE;
	found = is_true(res, 0, 0);
	PQclear(res);
	if (found)
		return EXIT_OK;
	error_msg("the server's dmesh (version %s) has no function %s",
			  c->extversion, signature);
	fprintf(stderr, "HINT:  %s needs a newer dmesh on the server (ALTER EXTENSION dmesh UPDATE).\n",
			purpose);
	return EXIT_USAGE;
}

static void
put_field(const PGresult *res, int field, const char *label)
{
	const char *v = PQresultErrorField(res, field);
	size_t		n;

	if (v == NULL)
		return;
	fprintf(stderr, "%s:  %s", label, v);
	n = strlen(v);
	if (n == 0 || v[n - 1] != '\n')
		fputc('\n', stderr);
}

/*
 * A server error: "dmesh: CONTEXT: ERROR:  message", then DETAIL and HINT
 * (with --verbose also SQLSTATE and CONTEXT), as psql prints them.
 */
void
report_server_error(const Client *c, const char *context, const PGresult *res)
{
	const char *severity = res ? PQresultErrorField(res, PG_DIAG_SEVERITY) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	progress_clear();
	fflush(stdout);
	if (context)
		fprintf(stderr, "%s: %s: ", progname, context);
	else
		fprintf(stderr, "%s: ", progname);
	if (primary == NULL)
	{
		const char *msg = res ? PQresultErrorMessage(res) : "";
		size_t		n;

		if (*msg == '\0' && c->conn)
			msg = PQerrorMessage(c->conn);
		n = strlen(msg);
		fputs(n ? msg : "unknown error (no message)", stderr);
		if (n == 0 || msg[n - 1] != '\n')
			fputc('\n', stderr);
		return;
	}
	fprintf(stderr, "%s:  %s\n", severity ? severity : "ERROR", primary);
	put_field(res, PG_DIAG_MESSAGE_DETAIL, "DETAIL");
	put_field(res, PG_DIAG_MESSAGE_HINT, "HINT");
	if (c->opts && c->opts->verbose)
	{
		put_field(res, PG_DIAG_SQLSTATE, "SQLSTATE");
		put_field(res, PG_DIAG_CONTEXT, "CONTEXT");
	}
}

/* The error of a result as one text: message, DETAIL and HINT lines. */
char *
server_error_text(const PGresult *res)
{
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	StrBuf		sb;

	sb_init(&sb);
	if (primary == NULL)
	{
		const char *msg = PQresultErrorMessage(res);
		size_t		n = strlen(msg);

		while (n > 0 && msg[n - 1] == '\n')
			n--;
		sb_appendn(&sb, msg, n);
		return sb.data;
	}
	sb_append(&sb, primary);
	if (detail)
		sb_printf(&sb, "\nDETAIL: %s", detail);
	if (hint)
		sb_printf(&sb, "\nHINT: %s", hint);
	return sb.data;
}

/* Runs a query; the result whatever its status (NULL: out of memory). */
PGresult *
exec_params(Client *c, const char *sql, int nparams, const char *const *params)
{
	PGresult   *res;

	query_running = 1;
	res = PQexecParams(c->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	query_running = 0;
	return res;
}

bool
result_ok(const PGresult *res)
{
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

/* The exit status after a failed query: 2 when the connection is gone. */
int
failure_code(const Client *c)
{
	return c->conn && PQstatus(c->conn) == CONNECTION_OK ? EXIT_FAILED : EXIT_USAGE;
}

/*
 * Runs a query; returns its result, or NULL after printing the server's
 * error (prefixed by context).
 */
PGresult *
run_query_ctx(Client *c, const char *context, const char *sql, int nparams,
			  const char *const *params)
{
	PGresult   *res = exec_params(c, sql, nparams, params);

	if (result_ok(res))
		return res;
	report_server_error(c, context, res);
	PQclear(res);
	return NULL;
}

PGresult *
run_query(Client *c, const char *sql, int nparams, const char *const *params)
{
	return run_query_ctx(c, NULL, sql, nparams, params);
}

/* A statement without parameters or result (BEGIN, COMMIT, ...). */
bool
run_command(Client *c, const char *sql)
{
	PGresult   *res = run_query(c, sql, 0, NULL);

	if (res == NULL)
		return false;
	PQclear(res);
	return true;
}

/* "ARRAY[$first, ..., $first+count-1]::text[]": an array of parameters. */
void
append_array_params(StrBuf *sql, int first, int count)
{
	int			i;

	sb_append(sql, "ARRAY[");
	for (i = 0; i < count; i++)
		sb_printf(sql, "%s$%d", i ? ", " : "", first + i);
	sb_append(sql, "]::pg_catalog.text[]");
}
