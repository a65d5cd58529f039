/*-------------------------------------------------------------------------
 *
 * product_source.c
 *		The source of a data product: a relation or a SELECT query.
 *
 * A source that parses as a (possibly qualified) name is a relation: a
 * table, partitioned table, view, materialized view or foreign table,
 * looked up with the caller's search_path.  Anything else must be exactly
 * one SELECT statement.  It is parsed and analyzed with the caller's
 * search_path, then deparsed by PostgreSQL with search_path pinned, so the
 * stored text names every object with its schema and means the same thing
 * whatever search_path is in force when it is later used.  The text is
 * never pasted into other SQL before the parser has accepted it as one
 * complete statement.
 *
 * dmesh_source_tupdesc gives the columns of an existing product's source,
 * for the contract checks and the published views.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/analyze.h"
#include "parser/parse_relation.h"
#include "parser/parser.h"
#include "tcop/cmdtag.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

#include "dmesh.h"
#include "product.h"

/*
 * Split a source that is a name into a RangeVar; NULL if it is not a name.
 */
static RangeVar *
source_as_name(const char *source)
{
	char	   *copy = pstrdup(source);
	List	   *names = NIL;

	if (!SplitIdentifierString(copy, '.', &names))
		return NULL;
	switch (list_length(names))
	{
		case 1:
			return makeRangeVar(NULL, linitial(names), -1);
		case 2:
			return makeRangeVar(linitial(names), lsecond(names), -1);
		case 3:
			{
				RangeVar   *rv = makeRangeVar(lsecond(names), lthird(names), -1);

				rv->catalogname = linitial(names);
				return rv;
			}
		default:
			ereport(ERROR,
					(errcode(ERRCODE_SYNTAX_ERROR),
					 errmsg("improper relation name (too many dotted names): %s", source)));
	}
	return NULL;				/* keep compiler quiet */
}

static Oid
resolve_relation(const char *source, RangeVar *rv)
{
	Oid			relid = RangeVarGetRelid(rv, AccessShareLock, true);
	char		relkind;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("source relation \"%s\" does not exist", source),
				 errhint("A source is a table, view, materialized view or foreign table, or a SELECT query.")));

	relkind = get_rel_relkind(relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE &&
		relkind != RELKIND_VIEW && relkind != RELKIND_MATVIEW &&
		relkind != RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("source \"%s\" is not a table, view, materialized view or foreign table",
						source)));
	if (get_rel_persistence(relid) == RELPERSISTENCE_TEMP)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source \"%s\" is a temporary relation", source),
				 errdetail("A data product outlives the session that creates it.")));
	return relid;
}

static void
check_target_list(Query *query)
{
	ListCell   *lc;
	List	   *seen = NIL;

	foreach(lc, query->targetList)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);
		ListCell   *lc2;

		if (tle->resjunk)
			continue;
		if (tle->resname == NULL || strcmp(tle->resname, "?column?") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_COLUMN_DEFINITION),
					 errmsg("source query returns a column without a name"),
					 errhint("Name every column of the query with AS.")));
		foreach(lc2, seen)
		{
			if (strcmp((char *) lfirst(lc2), tle->resname) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_COLUMN),
						 errmsg("source query returns column \"%s\" more than once",
								tle->resname),
						 errhint("Give each column a distinct name with AS.")));
		}
		seen = lappend(seen, tle->resname);
	}
	if (seen == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source query must return at least one column")));
}

static char *
normalize_query(const char *source)
{
	DmeshQueryContext ctx = {source, NULL, false, 0};
	ErrorContextCallback errcallback;
	List	   *raw;
	RawStmt    *rawstmt;
	Query	   *query;
	DmeshSection section;
	char	   *normalized;

	errcallback.callback = dmesh_query_error_context;
	errcallback.arg = &ctx;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	raw = raw_parser(source, RAW_PARSE_DEFAULT);
	if (list_length(raw) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source query must be a single SELECT statement"),
				 errdetail("The source contains %d statements.", list_length(raw))));
	rawstmt = linitial_node(RawStmt, raw);
	if (!IsA(rawstmt->stmt, SelectStmt))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source query must be a single SELECT statement"),
				 errdetail("The source is a statement of type %s.",
						   GetCommandTagName(CreateCommandTag(rawstmt->stmt)))));
	if (((SelectStmt *) rawstmt->stmt)->intoClause != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source query must not be SELECT INTO")));

	query = parse_analyze_fixedparams(rawstmt, source, NULL, 0, NULL);
	if (query->commandType != CMD_SELECT || query->utilityStmt != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source query must be a single SELECT statement")));
	if (query->hasModifyingCTE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source query must not modify data")));
	if (query->rowMarks != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source query must not lock rows"),
				 errdetail("FOR UPDATE and FOR SHARE are not allowed in a data product's source.")));
	if (isQueryUsingTempRelation(query))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source query uses a temporary relation"),
				 errdetail("A data product outlives the session that creates it.")));
	check_target_list(query);
	dmesh_refuse_unsafe_constants((Node *) query, "source query");

	error_context_stack = errcallback.previous;

	/* Deparse with only pg_catalog visible: every other name is qualified. */
	dmesh_pin_search_path(&section);
	normalized = pg_get_querydef(query, false);
	dmesh_leave(&section);

	while (isspace((unsigned char) *normalized))
		normalized++;
	return normalized;
}

/*
 * Resolve a source given by the user.  Runs with the caller's user id and
 * search_path.
 */
DmeshSource
dmesh_resolve_source(const char *source)
{
	DmeshSource result = {InvalidOid, NULL};
	char	   *trimmed;
	RangeVar   *rv;
	size_t		len;

	while (isspace((unsigned char) *source))
		source++;
	trimmed = pstrdup(source);
	len = strlen(trimmed);
	while (len > 0 && isspace((unsigned char) trimmed[len - 1]))
		trimmed[--len] = '\0';
	if (len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source must not be empty"),
				 errhint("A source is a table, view, materialized view or foreign table, or a SELECT query.")));

	rv = source_as_name(trimmed);
	if (rv != NULL)
		result.relid = resolve_relation(trimmed, rv);
	else
		result.query = normalize_query(trimmed);
	return result;
}

/*
 * The source an object's physicalName names: a relation only (schema-
 * qualified, or found on the caller's search_path).  Runs with the
 * caller's user id and search_path.
 */
DmeshSource
dmesh_resolve_physical_name(const char *object, const char *physical_name)
{
	DmeshSource result = {InvalidOid, NULL};
	RangeVar   *rv = source_as_name(physical_name);
	Oid			relid;

	if (rv == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("object \"%s\": physicalName \"%s\" is not a relation name", object, physical_name),
				 errhint("Name the object's source relation as schema.relation, or give it in sources => '{\"%s\": \"...\"}'.",
						 object)));
	relid = RangeVarGetRelid(rv, AccessShareLock, true);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("object \"%s\": relation \"%s\" does not exist", object, physical_name),
				 errdetail("A data product made from its contract reads each object from the relation its physicalName names."),
				 errhint("Create it, qualify the name with its schema, or give the object's source in sources => '{\"%s\": \"...\"}'.",
						 object)));
	result.relid = resolve_relation(physical_name, rv);
	return result;
}

/*
 * The product's owner must be able to read the source: published relations
 * read it with the owner's privileges.  Query sources are planned and
 * started (not run) as the owner, which checks every relation they touch.
 * Must be called connected to SPI.
 */
void
dmesh_check_source_readable(const DmeshSource *source, Oid owner,
							const char *product_display)
{
	if (OidIsValid(source->relid))
	{
		if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(source->relid)))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("source relation of data product \"%s\" no longer exists",
							product_display),
					 errhint("Retire the product and create it again from an existing source.")));
		if (pg_class_aclcheck(source->relid, owner, ACL_SELECT) != ACLCHECK_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("role \"%s\" cannot read the source of data product \"%s\"",
							dmesh_role_name(owner), product_display),
					 errdetail("The published relation reads %s with the privileges of the product's owner.",
							   dmesh_qualified_relname(source->relid)),
					 errhint("Grant SELECT on it to role \"%s\", or choose another owner.",
							 dmesh_role_name(owner))));
	}
	else
	{
		char	   *what = psprintf("checking the source query of data product \"%s\" as role \"%s\"",
									product_display, dmesh_role_name(owner));
		DmeshQueryContext ctx = {source->query, what, false, 0};
		ErrorContextCallback errcallback;
		DmeshSection section;
		SPIPlanPtr	plan;
		Portal		portal;

		errcallback.callback = dmesh_query_error_context;
		errcallback.arg = &ctx;
		errcallback.previous = error_context_stack;
		error_context_stack = &errcallback;

		/*
		 * Opening a cursor runs ExecutorStart, which checks the privileges
		 * on every relation the query reads; no row is fetched.
		 */
		dmesh_enter_as_role(&section, owner);
		plan = SPI_prepare(source->query, 0, NULL);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
		SPI_cursor_close(portal);
		SPI_freeplan(plan);
		dmesh_leave(&section);

		error_context_stack = errcallback.previous;
	}
}

/*
 * A stored source query, before dmesh parses it again as the extension
 * owner (creating a published view, or a materialized product's table):
 * analyzed as the product's owner, it may not hold a constant that dmesh
 * could not read safely (core_trust.c).  Queries are checked when given; this
 * also covers those stored before the check existed, and types that
 * changed since.
 */
void
dmesh_check_stored_query(const char *query, Oid owner)
{
	DmeshSection section;
	List	   *raw;
	Query	   *analyzed;

	dmesh_enter_as_role(&section, owner);
	raw = raw_parser(query, RAW_PARSE_DEFAULT);
	analyzed = parse_analyze_fixedparams(linitial_node(RawStmt, raw), query, NULL, 0, NULL);
	dmesh_leave(&section);
	dmesh_refuse_unsafe_constants((Node *) analyzed, "source query");
}

char *
dmesh_source_describe(const DmeshSource *source)
{
	return OidIsValid(source->relid) ? dmesh_qualified_relname(source->relid) : source->query;
}

/*
 * Columns of a product's source, or NULL if its relation no longer exists.
 * A query's columns are those PostgreSQL derives when it prepares the
 * query, as the product's owner.
 */
TupleDesc
dmesh_source_tupdesc(const DmeshProduct *product)
{
	if (OidIsValid(product->source_relid))
	{
		Relation	rel;
		TupleDesc	desc;

		if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(product->source_relid)))
			return NULL;
		rel = table_open(product->source_relid, AccessShareLock);
		/* With constraints: derived contracts read NOT NULL from here. */
		desc = CreateTupleDescCopyConstr(RelationGetDescr(rel));
		table_close(rel, AccessShareLock);
		return desc;
	}
	else
	{
		DmeshSection section;
		SPIPlanPtr	plan;
		CachedPlanSource *source;
		TupleDesc	desc;

		dmesh_enter_as_role(&section, product->owner);
		plan = SPI_prepare(product->source_query, 0, NULL);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		source = linitial(SPI_plan_get_plan_sources(plan));
		desc = CreateTupleDescCopy(source->resultDesc);
		SPI_freeplan(plan);
		dmesh_leave(&section);
		return desc;
	}
}
