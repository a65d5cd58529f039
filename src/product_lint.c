/*-------------------------------------------------------------------------
 *
 * product_lint.c
 *		dmesh.lint_document(): every problem of an ODCS contract or an ODPS
 *		data product document, touching nothing.
 *
 * The document's kind (DataContract or DataProduct, else told by its
 * apiVersion) chooses the standard.  Its text is read (YAML or JSON),
 * then walked against the standard's schema with every problem collected
 * (contract_validate.c), each with its path and hint; the likely typos the
 * standard allows come as warnings.  When the schema finds no error, what
 * dmesh requires on top is checked: for a contract, what set_contract
 * would refuse before looking at any data (dmesh_contract_compile, the
 * first problem); for a product document, dmesh's customProperties and
 * status (product_spec.c, every problem).  Nothing is read from the
 * catalogs or the data: a contract is not held to a source here.
 *
 * Parse and compile errors are caught in a subtransaction; only problems
 * of the document (data exceptions and program limits) become rows,
 * anything else (a cancel, out of memory) is raised again.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "dmesh.h"
#include "contract.h"
#include "product.h"

PG_FUNCTION_INFO_V1(dmesh_lint_document);

typedef struct Lint
{
	ReturnSetInfo *rsinfo;
	const char *kind;			/* DataContract, DataProduct or NULL */
} Lint;

static void
lint_row(Lint *l, const char *path, bool warning, const char *message, const char *detail,
		 const char *hint)
{
	Datum		values[5];
	bool		nulls[5] = {l->kind == NULL, path == NULL, false, false, hint == NULL};

	values[0] = l->kind ? CStringGetTextDatum(l->kind) : (Datum) 0;
	values[1] = path ? CStringGetTextDatum(path) : (Datum) 0;
	values[2] = CStringGetTextDatum(warning ? "warning" : "error");
	values[3] = CStringGetTextDatum(detail ? psprintf("%s\n%s", message, detail) : message);
	values[4] = hint ? CStringGetTextDatum(hint) : (Datum) 0;
	tuplestore_putvalues(l->rsinfo->setResult, l->rsinfo->setDesc, values, nulls);
}

/*
 * An error as a row: its message split into path and message where it
 * starts with "path: " (as dmesh names the value a problem is at).
 */
static void
error_row(Lint *l, ErrorData *edata)
{
	const char *message = edata->message;
	const char *colon = strstr(message, ": ");
	char	   *path = NULL;

	if (colon != NULL && colon > message && memchr(message, ' ', colon - message) == NULL &&
		memchr(message, '"', colon - message) == NULL)
	{
		path = pnstrdup(message, colon - message);
		message = colon + 2;
	}
	lint_row(l, path, false, message, edata->detail, edata->hint);
}

typedef struct ParseCall
{
	const char *text;
	Jsonb	   *doc;
} ParseCall;

static void
parse_call(void *arg)
{
	ParseCall  *c = arg;

	c->doc = dmesh_parse_document(c->text);
}

static void
compile_call(void *arg)
{
	(void) dmesh_contract_compile_effective((Jsonb *) arg);
}

/* The kind of document, from kind, else from apiVersion; NULL if neither tells. */
static const char *
document_kind(Jsonb *doc, const char **suggestion)
{
	static const char *const kinds[] = {"DataContract", "DataProduct"};
	char	   *kind;
	char	   *api;

	*suggestion = NULL;
	if (!JB_ROOT_IS_OBJECT(doc))
		return NULL;
	kind = dmesh_json_text(&doc->root, "kind");
	if (kind != NULL)
	{
		DmeshSuggest s;

		for (int i = 0; i < lengthof(kinds); i++)
			if (strcmp(kind, kinds[i]) == 0)
				return kinds[i];
		dmesh_suggest_init(&s, kind, strlen(kind));
		for (int i = 0; i < lengthof(kinds); i++)
			dmesh_suggest_try(&s, kinds[i]);
		*suggestion = dmesh_suggest_result(&s);
	}
	api = dmesh_json_text(&doc->root, "apiVersion");
	if (kind == NULL && api != NULL)
	{
		if (dmesh_document_version(&odcs_standard, &doc->root) >= 0)
			return kinds[0];
		if (dmesh_document_version(&odps_standard, &doc->root) >= 0)
			return kinds[1];
	}
	return NULL;
}

/*
 * dmesh.lint_document(document text): one row per problem of a contract or
 * data product document (kind, path, severity, message, hint); none when
 * it is valid.
 */
Datum
dmesh_lint_document(PG_FUNCTION_ARGS)
{
	Lint		l;
	ParseCall	parse;
	ErrorData  *edata;
	const char *suggestion;
	List	   *problems = NIL;
	bool		errors = false;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	l.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	l.kind = NULL;
	if (PG_ARGISNULL(0))
		return (Datum) 0;
	(void) dmesh_extension_owner(); /* the library and the SQL objects agree */

	parse.text = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (!dmesh_try_document(parse_call, &parse, &edata))
	{
		error_row(&l, edata);
		return (Datum) 0;
	}

	l.kind = document_kind(parse.doc, &suggestion);
	if (l.kind == NULL)
	{
		lint_row(&l, JB_ROOT_IS_OBJECT(parse.doc) ? "kind" : NULL, false,
				 JB_ROOT_IS_OBJECT(parse.doc) ?
				 "must be DataContract (an ODCS contract) or DataProduct (an ODPS data product)" :
				 "a document must be a mapping (a JSON object)",
				 NULL,
				 suggestion ? psprintf("Did you mean \"%s\"?", suggestion) :
				 "dmesh reads ODCS contracts (kind: DataContract) and ODPS data products (kind: DataProduct).");
		return (Datum) 0;
	}

	if (strcmp(l.kind, "DataProduct") == 0)
		(void) dmesh_product_spec(parse.doc, &problems);
	else
		problems = dmesh_document_problems(&odcs_standard, parse.doc);
	foreach(lc, problems)
	{
		DmeshProblem *p = lfirst(lc);

		lint_row(&l, p->path, p->warning, p->message, p->detail, p->hint);
		if (!p->warning)
			errors = true;
	}

	/* What dmesh requires of a contract on top of the standard. */
	if (!errors && strcmp(l.kind, "DataContract") == 0 &&
		!dmesh_try_document(compile_call, parse.doc, &edata))
		error_row(&l, edata);
	return (Datum) 0;
}
