/*-------------------------------------------------------------------------
 *
 * gov_condition.c
 *		Conditions users write: the row filters of access agreements and
 *		the expressions of publish policies.
 *
 * A condition is one boolean expression, checked as it will be used.  Its
 * text is parsed on its own, so that it cannot close a parenthesis and
 * add clauses; then it is analyzed by its author, under
 * SECURITY_RESTRICTED_OPERATION with search_path pinned to pg_catalog
 * (names resolve as they will later, and while its constants are read
 * only the author's own rights are in play), over what it will see:
 *	 a row filter, the product's published columns, as the published view
 *	   has them ("q": the source's columns under the contract's names,
 *	   before any mask);
 *	 a policy expression, a row of dmesh.product_metadata ("m").
 * It may not have a subquery or call a volatile function; it may only run
 * code of trusted owners and may not hold constants that dmesh could not
 * read safely as the extension owner (core_trust.c).  Errors point into the
 * condition as written, never into SQL that dmesh built around it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "catalog/namespace.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/analyze.h"
#include "parser/parse_clause.h"
#include "parser/parse_collate.h"
#include "parser/parse_relation.h"
#include "parser/parser.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "dmesh.h"
#include "contract.h"
#include "gov.h"
#include "product.h"

#define CONDITION_PREFIX "SELECT 1 WHERE (\n"

static void
refuse(const char *what, const char *problem, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid %s: %s", what, problem),
			 hint ? errhint("%s", hint) : 0));
}

/* The condition's raw expression: exactly one, nothing around it. */
static Node *
parse_condition(const char *text, const char *what)
{
	char	   *sql;
	List	   *stmts;
	SelectStmt *select;

	if (strspn(text, " \t\r\n") == strlen(text))
		refuse(what, "it is empty", NULL);
	sql = psprintf(CONDITION_PREFIX "%s\n)", text);
	stmts = raw_parser(sql, RAW_PARSE_DEFAULT);
	if (list_length(stmts) != 1 || !IsA(linitial_node(RawStmt, stmts)->stmt, SelectStmt))
		refuse(what, "it must be one boolean expression", NULL);
	select = (SelectStmt *) linitial_node(RawStmt, stmts)->stmt;
	if (select->op != SETOP_NONE || select->withClause || select->groupClause ||
		select->havingClause || select->windowClause || select->sortClause ||
		select->limitCount || select->limitOffset || select->lockingClause ||
		select->distinctClause || select->intoClause || select->fromClause != NIL ||
		list_length(select->targetList) != 1 || select->whereClause == NULL)
		refuse(what, "it must be one boolean expression", NULL);
	return select->whereClause;
}

/*
 * Analyze the raw condition over one namespace item, as the current user;
 * the checks that do not depend on who may run it.
 */
static Node *
analyze_condition(ParseState *pstate, ParseNamespaceItem *nsitem, Node *raw, const char *what)
{
	Node	   *qual;

	addNSItemToQuery(pstate, nsitem, false, true, true);
	qual = transformWhereClause(pstate, raw, EXPR_KIND_WHERE, "WHERE");
	assign_expr_collations(pstate, qual);
	if (pstate->p_hasSubLinks)
		refuse(what, "a subquery is not allowed", "It reads only the row it tests.");
	if (contain_volatile_functions(qual))
		refuse(what, "volatile functions are not allowed",
			   "Use immutable or stable functions: it must not change anything or depend on when it runs.");
	return qual;
}

/* Run the checks with errors pointing into the condition. */
typedef struct ConditionCheck
{
	const char *text;
	const char *what;
	Oid			author;
	const Oid  *trusted;
	int			ntrusted;
	const char *trusted_roles;
	/* the FROM item: a query analyzed beforehand, or a relation */
	Query	   *subquery;
	Oid			relid;
	const char *alias;
} ConditionCheck;

static void
check_condition(ConditionCheck *c)
{
	DmeshQueryContext ctx = {c->text, c->what, true, strlen(CONDITION_PREFIX)};
	ErrorContextCallback callback;
	DmeshSection section;
	ParseState *pstate;
	ParseNamespaceItem *nsitem;
	Relation	rel = NULL;
	Node	   *raw;
	Node	   *qual;

	callback.callback = dmesh_query_error_context;
	callback.arg = &ctx;
	callback.previous = error_context_stack;
	error_context_stack = &callback;

	raw = parse_condition(c->text, c->what);

	dmesh_enter_as_role(&section, c->author);
	pstate = make_parsestate(NULL);
	pstate->p_sourcetext = psprintf(CONDITION_PREFIX "%s\n)", c->text);
	if (c->subquery)
		nsitem = addRangeTableEntryForSubquery(pstate, c->subquery, makeAlias(c->alias, NIL),
											   false, true);
	else
	{
		rel = relation_open(c->relid, AccessShareLock);
		nsitem = addRangeTableEntryForRelation(pstate, rel, AccessShareLock,
											   makeAlias(c->alias, NIL), false, true);
	}
	qual = analyze_condition(pstate, nsitem, raw, c->what);
	if (rel)
		relation_close(rel, NoLock);
	free_parsestate(pstate);
	dmesh_leave(&section);

	dmesh_require_trusted_code(qual, c->trusted, c->ntrusted, c->what, c->trusted_roles);
	dmesh_refuse_unsafe_constants(qual, c->what);
	error_context_stack = callback.previous;
}

/*
 * The product's published columns as the published view reads them,
 * before masks, analyzed as the product's owner.  An error here is the
 * product's, not the condition's: it shows no SQL.
 */
static Query *
published_columns(const DmeshProduct *product, const DmeshContract *contract)
{
	DmeshQueryContext ctx = {NULL, psprintf("reading the published columns of data product \"%s\"",
											dmesh_product_display(product)), true, 0};
	ErrorContextCallback callback;
	DmeshSection section;
	char	   *sql = dmesh_port_select(product, contract);
	List	   *raw;
	Query	   *query;

	callback.callback = dmesh_query_error_context;
	callback.arg = &ctx;
	callback.previous = error_context_stack;
	error_context_stack = &callback;
	dmesh_enter_as_role(&section, product->owner);
	raw = raw_parser(sql, RAW_PARSE_DEFAULT);
	query = parse_analyze_fixedparams(linitial_node(RawStmt, raw), sql, NULL, 0, NULL);
	dmesh_leave(&section);
	error_context_stack = callback.previous;
	return query;
}

/*
 * Check a row filter written by "author" for a product; returns it as
 * dmesh will put it into the product's views.  It may call code of
 * superusers, the extension owner and the product's owner.
 */
typedef struct FitContext
{
	const DmeshContract *object;
	bool		fits;
} FitContext;

/*
 * Every column the condition names outside its subqueries (plain, or
 * qualified by the view's alias q) must be a published column of the
 * object.  Subqueries name columns of their own relations.
 */
static bool
fit_walker(Node *node, FitContext *ctx)
{
	if (node == NULL || !ctx->fits)
		return false;
	if (IsA(node, SubLink))
		return fit_walker(((SubLink *) node)->testexpr, ctx);
	if (IsA(node, ColumnRef))
	{
		ColumnRef  *ref = (ColumnRef *) node;
		Node	   *last = llast(ref->fields);
		bool		found = false;

		if (!IsA(last, String) ||
			(list_length(ref->fields) == 2 && strcmp(strVal(linitial(ref->fields)), "q") != 0) ||
			list_length(ref->fields) > 2)
			return false;		/* a star, or another relation's column */
		for (int i = 0; i < ctx->object->nprops && !found; i++)
			found = strcmp(ctx->object->props[i].name, strVal(last)) == 0;
		ctx->fits = found;
		return false;
	}
	return raw_expression_tree_walker(node, fit_walker, ctx);
}

/*
 * Does a row filter (checked when its agreement was made) apply to this
 * object of a product: does the object publish every column it names?
 * A product's agreement filters each of its relations that has the
 * columns; the others it does not filter.
 */
bool
dmesh_row_filter_fits(const char *filter, const DmeshContract *object)
{
	FitContext	ctx = {object, true};

	(void) fit_walker(parse_condition(filter, "row filter"), &ctx);
	return ctx.fits;
}

/*
 * Check a row filter written by "author" for a product; returns it as
 * dmesh will put it into the product's views.  It may call code of
 * superusers, the extension owner and the product's owner.  Of a product
 * with several objects, it is checked against each object it applies to
 * (dmesh_row_filter_fits), and must apply to one at least.
 */
char *
dmesh_check_row_filter(const DmeshProduct *product, const DmeshContract *contract,
					   const char *filter, Oid author)
{
	ConditionCheck c;
	Oid			trusted[1] = {product->owner};

	if (filter == NULL)
		return NULL;
	if (product->object == NULL &&
		(dmesh_product_has_objects(product) || contract->nobjects > 1))
	{
		int			fits = 0;

		for (int i = 0; i < contract->nobjects; i++)
		{
			DmeshProduct view;
			DmeshContract *object = dmesh_contract_object(contract, i);

			CHECK_FOR_INTERRUPTS();
			if (!dmesh_row_filter_fits(filter, object) ||
				!dmesh_port_object(product, contract,
								   dmesh_product_has_objects(product) ? object->object_name : NULL,
								   &view, &object))
				continue;
			(void) dmesh_check_row_filter(&view, object, filter, author);
			fits++;
		}
		if (fits == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("row filter names columns that no object of data product \"%s\" publishes",
							dmesh_product_display(product)),
					 errhint("A row filter of a product with several objects filters each relation that publishes every column it names.")));
		return pstrdup(filter);
	}
	memset(&c, 0, sizeof(c));
	c.text = filter;
	c.what = "row filter";
	c.author = author;
	c.trusted = trusted;
	c.ntrusted = 1;
	c.trusted_roles = psprintf("the product's owner (role \"%s\")", dmesh_role_name(product->owner));
	c.subquery = published_columns(product, contract);
	c.alias = "q";
	check_condition(&c);
	return pstrdup(filter);
}

/*
 * Check the expression of a publish policy, written by "author" (who may
 * call its own code: the expression runs as the author).
 */
void
dmesh_check_policy_expression(const char *expr, Oid author)
{
	ConditionCheck c;
	Oid			trusted[1] = {author};

	memset(&c, 0, sizeof(c));
	c.text = expr;
	c.what = "policy expression";
	c.author = author;
	c.trusted = trusted;
	c.ntrusted = 1;
	c.trusted_roles = psprintf("the policy's author (role \"%s\")", dmesh_role_name(author));
	c.relid = get_relname_relid("product_metadata", get_namespace_oid("dmesh", false));
	c.alias = "m";
	check_condition(&c);
}

/* ----------------------------------------------------------------
 * dmesh._agreement_problems(): live agreements whose row filter dmesh
 * would refuse today (made before the checks existed, or code changed
 * owner since), each checked as its author.  Superusers only.
 * ----------------------------------------------------------------
 */

typedef struct FilterCheck
{
	DmeshProduct *product;
	const char *filter;
	Oid			author;
} FilterCheck;

static void
filter_check_body(void *arg)
{
	FilterCheck *f = arg;

	(void) dmesh_check_row_filter(f->product, dmesh_load_contract(f->product, NULL, -1),
								  f->filter, f->author);
}

#define AGREEMENT_FILTERS \
	"SELECT d.name || '.' || p.name, g.consumer, g.row_filter," \
	"       CASE WHEN g.request_id IS NOT NULL AND r.row_filter IS NOT DISTINCT FROM g.row_filter" \
	"            THEN r.requester::oid" \
	"            ELSE (SELECT a.oid FROM pg_roles a WHERE a.rolname = g.granted_by) END" \
	"  FROM dmesh.access_grant g" \
	"  JOIN dmesh.data_product p ON p.product_id = g.product_id" \
	"  JOIN dmesh.domain d ON d.domain_id = p.domain_id" \
	"  LEFT JOIN dmesh.access_request r ON r.request_id = g.request_id" \
	" WHERE g.row_filter IS NOT NULL AND p.status <> 'retired'" \
	" ORDER BY g.grant_id"

PG_FUNCTION_INFO_V1(dmesh_agreement_problems);
Datum
dmesh_agreement_problems(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	DmeshSection section;
	uint64		n;
	SPITupleTable *rows;

	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only superusers can check every agreement")));
	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
	dmesh_enter_privileged(&section);
	n = dmesh_spi_exec(AGREEMENT_FILTERS, NULL, SPI_OK_SELECT);
	rows = SPI_tuptable;
	for (uint64 i = 0; i < n; i++)
	{
		char	   *ref = SPI_getvalue(rows->vals[i], rows->tupdesc, 1);
		bool		isnull;
		Oid			consumer = DatumGetObjectId(SPI_getbinval(rows->vals[i], rows->tupdesc, 2, &isnull));
		Datum		author = SPI_getbinval(rows->vals[i], rows->tupdesc, 4, &isnull);
		DmeshProduct product;
		FilterCheck f;
		char	   *problem = NULL;

		dmesh_require_product(ref, DMESH_NO_LOCK, &product);
		f.product = &product;
		f.filter = SPI_getvalue(rows->vals[i], rows->tupdesc, 3);
		/* a dropped author: checked as the consumer, whose rights are least */
		f.author = isnull ? consumer : DatumGetObjectId(author);
		if (!dmesh_try(filter_check_body, &f, &problem))
		{
			Datum		values[3];
			bool		nulls[3] = {false, false, false};

			values[0] = CStringGetTextDatum(ref);
			values[1] = ObjectIdGetDatum(consumer);
			values[2] = CStringGetTextDatum(problem);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	dmesh_end_call(&section);
	return (Datum) 0;
}
