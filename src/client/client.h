/*-------------------------------------------------------------------------
 *
 * client.h
 *		The dmesh command-line client: declarations shared by its files.
 *
 * The client is a libpq program, built apart from the extension module
 * (the src/ C files) by the Makefile's own rules.  Its files:
 *   main.c         options, the command table, help, dispatch
 *   conn.c         connecting, running parameterized queries, server
 *                  errors and notices, cancel on Ctrl-C
 *   output.c       tables, JSON and XML escaping, progress on a terminal,
 *                  messages, memory and string buffers
 *   files.c        reading documents, finding them below a directory
 *   cmd_*.c        one file per command (plan and apply share one)
 *
 * Every value a user gives (file contents, product names, words) reaches
 * the server as a query parameter, never inside the text of a query.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DMESH_CLIENT_H
#define DMESH_CLIENT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "libpq-fe.h"

#ifndef DMESH_VERSION
#define DMESH_VERSION "unknown"
#endif

/* Exit codes (docs/client.md). */
#define EXIT_OK			0		/* done; checks passed */
#define EXIT_FAILED		1		/* checks failed, a breaking change, or the
								 * server refused the request */
#define EXIT_USAGE		2		/* usage, input files, connection or setup */

/* Largest document read (the server's limit for a YAML document). */
#define MAX_DOCUMENT_BYTES (10 * 1024 * 1024)

/* Options a command may take besides the global ones: bits of allowed. */
#define OPT_JUNIT			0x01
#define OPT_FORMAT			0x02
#define OPT_SAMPLE_ROWS		0x04
#define OPT_CONTRACT_VERSION 0x08

typedef struct Options
{
	/* connection */
	const char *dbname;			/* a name or a conninfo string */
	const char *host;
	const char *port;
	const char *user;
	int			password;		/* 1: prompt first (-W); -1: never (-w) */

	/* output */
	bool		json;
	bool		quiet;
	bool		verbose;

	/* command options */
	const char *junit;			/* test --junit FILE */
	const char *format;			/* export --format */
	const char *contract_version;	/* export --contract-version */
	const char *sample_rows;	/* suggest --sample-rows */

	/* the command and its arguments */
	const char *command;
	int			argc;
	char	  **argv;
} Options;

/* output.c: memory, strings, messages */
typedef struct StrBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} StrBuf;

extern void *xmalloc(size_t size);
extern void *xrealloc(void *ptr, size_t size);
extern char *xstrdup(const char *s);
extern void sb_init(StrBuf *sb);
extern void sb_append(StrBuf *sb, const char *s);
extern void sb_appendn(StrBuf *sb, const char *s, size_t n);
extern void sb_printf(StrBuf *sb, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
extern void sb_free(StrBuf *sb);

extern const char *progname;
extern void set_output_mode(const Options *opts);
extern void error_msg(const char *fmt,...) __attribute__((format(printf, 1, 2)));
extern void warning_msg(const char *fmt,...) __attribute__((format(printf, 1, 2)));
extern void progress(const char *fmt,...) __attribute__((format(printf, 1, 2)));
extern void progress_clear(void);

/* output.c: formats */
extern void put_clean(FILE *f, const char *s);
extern void json_string(FILE *f, const char *s);
extern void xml_escaped(FILE *f, const char *s);
typedef struct Table
{
	int			ncols;
	int			nrows;
	int			cap;
	char	  **headers;
	bool	   *right;			/* right-aligned columns */
	char	  **cells;			/* nrows * ncols, row by row */
} Table;

extern void table_init(Table *t, int ncols, const char *const *headers);
extern void table_add_row(Table *t, const char *const *values);
extern void table_add_result(Table *t, PGresult *res, int ncols);
extern void table_print(FILE *f, const Table *t, const char *indent);
extern void table_free(Table *t);
extern void print_table(FILE *f, PGresult *res, int ncols);
extern bool parse_text_array(const char *s, char ***items, int *nitems);
extern void print_json_with_file(FILE *f, const char *file, const char *row_json);
extern void print_text(FILE *f, const char *text);
extern bool is_true(PGresult *res, int row, int col);

/* conn.c */
typedef struct Client
{
	PGconn	   *conn;
	const Options *opts;
	char	   *extversion;
} Client;

extern int	client_connect(Client *c, const Options *opts);
extern void client_close(Client *c);
extern int	require_function(Client *c, const char *signature, const char *purpose);
extern PGresult *exec_params(Client *c, const char *sql, int nparams,
							 const char *const *params);
extern bool result_ok(const PGresult *res);
extern int	failure_code(const Client *c);
extern PGresult *run_query(Client *c, const char *sql, int nparams,
						   const char *const *params);
extern PGresult *run_query_ctx(Client *c, const char *context, const char *sql,
							   int nparams, const char *const *params);
extern bool run_command(Client *c, const char *sql);
extern void report_server_error(const Client *c, const char *context,
								const PGresult *res);
extern char *server_error_text(const PGresult *res);
extern void append_array_params(StrBuf *sql, int first, int count);

/* files.c */
typedef struct Document
{
	char	   *path;			/* as given or found */
	char	   *text;			/* contents, NUL-terminated */
	size_t		len;
} Document;

typedef enum DocKind
{
	DOC_OTHER,
	DOC_PRODUCT,				/* *.odps.yaml|yml|json */
	DOC_CONTRACT				/* *.odcs.yaml|yml|json */
} DocKind;

extern DocKind document_kind(const char *path);
extern bool read_document(const char *path, Document *doc);
extern bool find_documents(const char *dir, char ***paths, int *npaths);
extern bool is_directory(const char *path);
extern void free_paths(char **paths, int npaths);

/* commands */
extern int	cmd_lint(const Options *opts);
extern int	cmd_plan(const Options *opts);
extern int	cmd_apply(const Options *opts);
extern int	cmd_diff(const Options *opts);
extern int	cmd_test(const Options *opts);
extern int	cmd_export(const Options *opts);
extern int	cmd_catalog(const Options *opts);
extern int	cmd_health(const Options *opts);
extern int	cmd_suggest(const Options *opts);

#endif							/* DMESH_CLIENT_H */
