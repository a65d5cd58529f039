/*-------------------------------------------------------------------------
 *
 * main.c
 *		The dmesh client: options, the command table, help, dispatch.
 *
 * Options may come before or after the command (GNU getopt permutes
 * them); "--" ends them, for search words that start with a dash.  Every
 * command checks its arguments and reads its files before it connects, so
 * that a usage error (exit 2) never waits for a server.
 *
 *-------------------------------------------------------------------------
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

typedef struct Command
{
	const char *name;
	int			(*run) (const Options *opts);
	int			min_args;
	int			max_args;		/* -1: no limit */
	unsigned	allowed;		/* OPT_* bits of its own options */
	const char *help;
} Command;

static const char *const help_lint =
"Validate ODCS data contracts and ODPS data product documents with the\n"
"server's validator (dmesh.lint_document).\n"
"\n"
"Usage:\n"
"  dmesh lint [OPTION]... FILE|DIR...\n"
"\n"
"A directory stands for every *.odcs.yaml|yml|json and *.odps.yaml|yml|json\n"
"file below it.  Each problem is printed with its path in the document, its\n"
"severity, its message and a hint.\n"
"\n"
"Exit status: 0 every document is valid, 1 a document has a problem,\n"
"2 usage, a file that cannot be read, or connection error.\n";

static const char *const help_plan =
"Show what applying the documents below DIR would change, without changing\n"
"anything (dmesh.plan_product, in a transaction rolled back at the end).\n"
"\n"
"Usage:\n"
"  dmesh plan [OPTION]... DIR\n"
"\n"
"Every *.odps.yaml|yml|json (data products) and *.odcs.yaml|yml|json (data\n"
"contracts) anywhere below DIR is read, in the order of their paths.  Each\n"
"product document names its contracts by contractId and version in its\n"
"outputPorts; a contract's contractId is the id of the contract document.\n"
"A product goes to the server with every version found of the contracts it\n"
"names.  A contract id and version found twice, or a contractId no contract\n"
"has, is an error; a contract that no product names is a warning.\n"
"\n"
"Exit status: 0 nothing breaking, 1 a breaking change (its consumers are\n"
"named), a change apply would refuse, or a product the server refused,\n"
"2 usage, unreadable or inconsistent documents, or connection error.\n";

static const char *const help_apply =
"Apply the documents below DIR: every product with the contracts it names,\n"
"in ONE transaction (dmesh.apply_product); on any error nothing is applied.\n"
"\n"
"Usage:\n"
"  dmesh apply [OPTION]... DIR\n"
"\n"
"Documents are found and matched as by \"dmesh plan\" (see dmesh plan --help).\n"
"Run \"dmesh plan DIR\" first to see what will change and whom it affects.\n"
"\n"
"Exit status: 0 applied, 1 the server refused a product (everything rolled\n"
"back; the server's error is printed with its detail and hint), 2 usage,\n"
"unreadable or inconsistent documents, or connection error.\n";

static const char *const help_diff =
"Compare a product's active contract with a contract file: every change,\n"
"its severity and the consumers it affects (dmesh.contract_diff_document).\n"
"\n"
"Usage:\n"
"  dmesh diff [OPTION]... PRODUCT FILE\n"
"\n"
"PRODUCT is domain.product; FILE an ODCS contract in YAML or JSON.\n"
"\n"
"Exit status: 0 no breaking change, 1 a breaking change (or the server\n"
"refused the request), 2 usage, unreadable file, or connection error.\n";

static const char *const help_test =
"Check products' quality: every rule of each product's active contract over\n"
"its data (dmesh.check_product), one result per rule.\n"
"\n"
"Usage:\n"
"  dmesh test [OPTION]... PRODUCT...\n"
"\n"
"Options:\n"
"      --junit=FILE   also write the results as JUnit XML to FILE: one\n"
"                     testsuite per product, one testcase per rule; a failed\n"
"                     rule is a failure (type: its severity), a rule not run\n"
"                     here is skipped, a product that cannot be checked an\n"
"                     error\n"
"\n"
"Exit status: 0 no rule of severity error failed, 1 one did (or a product\n"
"could not be checked), 2 usage or connection error.  Rules not run here\n"
"(passed NULL) are shown and are not failures; failed rules of another\n"
"severity are shown and do not change the exit status.\n";

static const char *const help_export =
"Print a product's contract, its product document or its lineage.\n"
"\n"
"Usage:\n"
"  dmesh export [OPTION]... PRODUCT\n"
"\n"
"Options:\n"
"      --format=FORMAT            odcs (default): the active contract as ODCS\n"
"                                 YAML (--json: as JSON);\n"
"                                 odps: the product as an ODPS document\n"
"                                 (--json: as JSON);\n"
"                                 openlineage: the OpenLineage events whose\n"
"                                 inputs or outputs are the product's\n"
"                                 relations, one JSON object per line\n"
"      --contract-version=VERSION with odcs: that version of the contract\n"
"\n"
"Exit status: 0 printed, 1 the server refused the request (an unknown\n"
"product), 2 usage or connection error.\n";

static const char *const help_catalog =
"List the marketplace: every published relation of every live product, or\n"
"those matching WORDS (dmesh.search: words, \"a phrase\", or, -word), best\n"
"first.\n"
"\n"
"Usage:\n"
"  dmesh catalog [OPTION]... [WORDS]...\n"
"\n"
"Columns: domain, product, version, status, relation, access, quality_score,\n"
"description.  Put \"--\" before words that start with a dash.\n"
"\n"
"Exit status: 0 listed (also when nothing matches), 1 the server refused\n"
"the request, 2 usage or connection error.\n";

static const char *const help_health =
"Show the health of products (dmesh.product_health): freshness against the\n"
"contract's SLA, the latest quality check, departures from the contract,\n"
"reads and open incidents, and one status: ok, warning or failing.\n"
"\n"
"Usage:\n"
"  dmesh health [OPTION]... [PRODUCT]...\n"
"\n"
"Without PRODUCT, every product that is not retired.\n"
"\n"
"Exit status: 0 no product shown is failing, 1 one is (or a product is\n"
"unknown), 2 usage or connection error.\n";

static const char *const help_suggest =
"Suggest a data contract for a table, view, materialized view or foreign\n"
"table, from its catalog, its statistics and a sample of its rows\n"
"(dmesh.suggest_contract), printed as an ODCS YAML file ready to review\n"
"(--json: as JSON).  A query is refused: make a table of it first.\n"
"\n"
"Usage:\n"
"  dmesh suggest [OPTION]... SOURCE\n"
"\n"
"Options:\n"
"      --sample-rows=N   rows to sample (default: the server's, 100000;\n"
"                        0: the catalog and statistics only)\n"
"\n"
"Exit status: 0 printed, 1 the server refused the request, 2 usage or\n"
"connection error.\n";

static const Command commands[] = {
	{"lint", cmd_lint, 1, -1, 0, help_lint},
	{"plan", cmd_plan, 1, 1, 0, help_plan},
	{"apply", cmd_apply, 1, 1, 0, help_apply},
	{"diff", cmd_diff, 2, 2, 0, help_diff},
	{"test", cmd_test, 1, -1, OPT_JUNIT, help_test},
	{"export", cmd_export, 1, 1, OPT_FORMAT | OPT_CONTRACT_VERSION, help_export},
	{"catalog", cmd_catalog, 0, -1, 0, help_catalog},
	{"health", cmd_health, 0, -1, 0, help_health},
	{"suggest", cmd_suggest, 1, 1, OPT_SAMPLE_ROWS, help_suggest},
	{NULL, NULL, 0, 0, 0, NULL}
};

static const char *const help_options =
"Connection options:\n"
"  -d, --dbname=DBNAME      database name or connection string\n"
"  -h, --host=HOSTNAME      database server host or socket directory\n"
"  -p, --port=PORT          database server port\n"
"  -U, --username=USERNAME  database user name\n"
"  -w, --no-password        never prompt for a password\n"
"  -W, --password           prompt for a password before connecting\n"
"\n"
"Output options:\n"
"      --json               machine output (JSON) on standard output\n"
"  -q, --quiet              no progress, server notices or summaries\n"
"  -v, --verbose            server errors with their SQLSTATE and context\n"
"  -?, --help               show help, then exit\n"
"      --version            show the version, then exit\n"
"\n"
"Connection options not given come from the PG* environment variables\n"
"(PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGSERVICE, ...) and\n"
"libpq's defaults.  Messages go to standard error; progress is shown only\n"
"when standard error is a terminal.\n";

static void
help_global(FILE *f)
{
	fprintf(f,
			"dmesh, the command-line client of the dmesh extension: checks data\n"
			"contracts and data product documents, plans and applies them, tests,\n"
			"exports, lists and watches data products.\n"
			"\n"
			"Usage:\n"
			"  dmesh [OPTION]... COMMAND [ARG]...\n"
			"\n"
			"Commands:\n"
			"  lint FILE|DIR...      validate ODCS contracts and ODPS product documents\n"
			"  plan DIR              what applying the documents below DIR would change\n"
			"  apply DIR             apply the documents below DIR in one transaction\n"
			"  diff PRODUCT FILE     a product's contract against a contract file\n"
			"  test PRODUCT...       check products' quality rules (--junit FILE)\n"
			"  export PRODUCT        a product's contract, document or lineage\n"
			"  catalog [WORDS]...    list or search the marketplace\n"
			"  health [PRODUCT]...   the health of products\n"
			"  suggest SOURCE        a contract suggested for a table, view or query\n"
			"  help [COMMAND]        this help, or a command's\n"
			"\n"
			"%s"
			"\n"
			"Exit status: 0 ok; 1 checks failed, a breaking change, or the server\n"
			"refused the request; 2 usage, input or connection error.\n"
			"\"dmesh COMMAND --help\" describes a command.\n",
			help_options);
}

static void
help_command(const Command *cmd)
{
	printf("%s\n%s", cmd->help, help_options);
}

static const Command *
find_command(const char *name)
{
	const Command *cmd;

	for (cmd = commands; cmd->name; cmd++)
		if (strcmp(cmd->name, name) == 0)
			return cmd;
	return NULL;
}

static int
usage_error(const char *command, const char *fmt,...)
	__attribute__((format(printf, 2, 3)));

static int
usage_error(const char *command, const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (command)
		fprintf(stderr, "\nTry \"%s %s --help\" for more information.\n",
				progname, command);
	else
		fprintf(stderr, "\nTry \"%s --help\" for more information.\n",
				progname);
	return EXIT_USAGE;
}

static const char *
option_name(unsigned bit)
{
	switch (bit)
	{
		case OPT_JUNIT:
			return "--junit";
		case OPT_FORMAT:
			return "--format";
		case OPT_SAMPLE_ROWS:
			return "--sample-rows";
		case OPT_CONTRACT_VERSION:
			return "--contract-version";
	}
	return "?";
}

enum
{
	LONG_JSON = 256,
	LONG_HELP,
	LONG_VERSION,
	LONG_JUNIT,
	LONG_FORMAT,
	LONG_SAMPLE_ROWS,
	LONG_CONTRACT_VERSION
};

int
main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"host", required_argument, NULL, 'h'},
		{"port", required_argument, NULL, 'p'},
		{"username", required_argument, NULL, 'U'},
		{"no-password", no_argument, NULL, 'w'},
		{"password", no_argument, NULL, 'W'},
		{"quiet", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, LONG_HELP},
		{"json", no_argument, NULL, LONG_JSON},
		{"version", no_argument, NULL, LONG_VERSION},
		{"junit", required_argument, NULL, LONG_JUNIT},
		{"format", required_argument, NULL, LONG_FORMAT},
		{"sample-rows", required_argument, NULL, LONG_SAMPLE_ROWS},
		{"contract-version", required_argument, NULL, LONG_CONTRACT_VERSION},
		{NULL, 0, NULL, 0}
	};
	Options		opts;
	const Command *cmd;
	bool		help = false;
	bool		version = false;
	unsigned	given = 0;
	unsigned	bit;
	int			c;
	int			nargs;

	memset(&opts, 0, sizeof(opts));
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:h:p:U:wWqv", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'd':
				opts.dbname = optarg;
				break;
			case 'h':
				opts.host = optarg;
				break;
			case 'p':
				opts.port = optarg;
				break;
			case 'U':
				opts.user = optarg;
				break;
			case 'w':
				opts.password = -1;
				break;
			case 'W':
				opts.password = 1;
				break;
			case 'q':
				opts.quiet = true;
				break;
			case 'v':
				opts.verbose = true;
				break;
			case LONG_JSON:
				opts.json = true;
				break;
			case LONG_VERSION:
				version = true;
				break;
			case LONG_JUNIT:
				opts.junit = optarg;
				given |= OPT_JUNIT;
				break;
			case LONG_FORMAT:
				opts.format = optarg;
				given |= OPT_FORMAT;
				break;
			case LONG_SAMPLE_ROWS:
				opts.sample_rows = optarg;
				given |= OPT_SAMPLE_ROWS;
				break;
			case LONG_CONTRACT_VERSION:
				opts.contract_version = optarg;
				given |= OPT_CONTRACT_VERSION;
				break;
			case LONG_HELP:
				help = true;
				break;
			case ':':
				if (optopt > 0 && optopt < 256)
					return usage_error(NULL, "option -%c needs a value", optopt);
				return usage_error(NULL, "option %s needs a value", argv[optind - 1]);
			default:
				/* -? is help; anything else getopt does not know */
				if (optopt == '?')
					help = true;
				else if (optopt > 0 && optopt < 256)
					return usage_error(NULL, "unknown option -%c", optopt);
				else
					return usage_error(NULL, "unknown option \"%s\"", argv[optind - 1]);
				break;
		}
	}

	if (version)
	{
		printf("dmesh (the dmesh client) %s\n", DMESH_VERSION);
		return EXIT_OK;
	}

	if (optind >= argc)
	{
		if (help)
		{
			help_global(stdout);
			return EXIT_OK;
		}
		return usage_error(NULL, "no command given");
	}

	opts.command = argv[optind];
	opts.argv = argv + optind + 1;
	opts.argc = argc - optind - 1;

	if (strcmp(opts.command, "help") == 0)
	{
		if (opts.argc == 0)
		{
			help_global(stdout);
			return EXIT_OK;
		}
		cmd = find_command(opts.argv[0]);
		if (cmd == NULL)
			return usage_error(NULL, "unknown command \"%s\"", opts.argv[0]);
		help_command(cmd);
		return EXIT_OK;
	}

	cmd = find_command(opts.command);
	if (cmd == NULL)
		return usage_error(NULL, "unknown command \"%s\"", opts.command);
	if (help)
	{
		help_command(cmd);
		return EXIT_OK;
	}

	for (bit = 1; bit <= OPT_CONTRACT_VERSION; bit <<= 1)
		if ((given & bit) && !(cmd->allowed & bit))
			return usage_error(cmd->name, "%s: the option %s belongs to another command",
							   cmd->name, option_name(bit));

	nargs = opts.argc;
	if (nargs < cmd->min_args)
		return usage_error(cmd->name, "%s: %s", cmd->name,
						   cmd->min_args == 1 && nargs == 0 ? "an argument is missing"
						   : "arguments are missing");
	if (cmd->max_args >= 0 && nargs > cmd->max_args)
		return usage_error(cmd->name, "%s: too many arguments (first extra: \"%s\")",
						   cmd->name, opts.argv[cmd->max_args]);

	set_output_mode(&opts);
	return cmd->run(&opts);
}
