/*-------------------------------------------------------------------------
 *
 * lineage_ddl.c
 *		Design-time lineage: event triggers that record, as DDL happens,
 *		which relations (and columns) each derived relation comes from.
 *
 * dmesh._lineage_ddl (ddl_command_end, only for the command tags that can
 * derive a relation or rename one) reads the command's parse tree:
 *   CREATE [OR REPLACE] VIEW, CREATE MATERIALIZED VIEW: the view's query,
 *     from its _RETURN rule;
 *   CREATE TABLE AS, SELECT INTO: the query of the statement as parse
 *     analysis left it, kept by dmesh._lineage_ddl_start at
 *     ddl_command_start (by the end, the planner has changed it in place);
 *   CREATE FOREIGN TABLE: an edge from the remote object (server, schema
 *     and table options, column_name options) to each column;
 *   ALTER ... RENAME, ALTER ... SET SCHEMA: the names kept in open edges.
 * The query's lineage (lineage_query.c) replaces the open edges of the
 * relation: edges no longer there are closed, edges still there are seen
 * again, new edges are added, in one statement.  Published views of data
 * products are views, so each product's lineage is recorded when dmesh
 * (re)writes them.
 *
 * dmesh._lineage_drop (sql_drop) closes the open edges of dropped
 * relations and columns: history stays, under the names the objects had.
 *
 * Temporary relations and objects created by extension scripts are not
 * recorded.  Everything works in the command's transaction, and is silent.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/xact.h"
#include "utils/memutils.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "rewrite/prs2lock.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "dmesh.h"
#include "fed_sub.h"
#include "lineage.h"
#include "usage.h"

PG_FUNCTION_INFO_V1(dmesh_lineage_ddl);
PG_FUNCTION_INFO_V1(dmesh_lineage_ddl_start);
PG_FUNCTION_INFO_V1(dmesh_lineage_drop);
PG_FUNCTION_INFO_V1(dmesh_record_lineage);

/*
 * Replace the open edges of relation $1 (kind $2) by the edges given as
 * arrays: source relation (NULL for a remote object), source name (NULL:
 * the relation's), source column, target column, dependency, subtype.
 */
#define RECORD_EDGES \
	"WITH new AS (" \
	"  SELECT DISTINCT n.src, COALESCE(n.srcname, dmesh._relname(n.src)) AS srcname," \
	"         n.scol, n.tcol, n.dep, n.sub" \
	"    FROM unnest($3::regclass[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])" \
	"         AS n(src, srcname, scol, tcol, dep, sub))," \
	" old AS (" \
	"  SELECT e.edge_id, e.source_rel, e.source, e.source_column, e.target_column," \
	"         e.dependency, e.subtype" \
	"    FROM dmesh.lineage_edge e WHERE e.target_rel = $1 AND e.closed_at IS NULL)," \
	" matched AS (" \
	"  SELECT o.edge_id FROM old o JOIN new n" \
	"      ON (n.src = o.source_rel OR (n.src IS NULL AND o.source_rel IS NULL AND n.srcname = o.source))" \
	"     AND n.scol IS NOT DISTINCT FROM o.source_column" \
	"     AND n.tcol IS NOT DISTINCT FROM o.target_column" \
	"     AND n.dep = o.dependency AND n.sub IS NOT DISTINCT FROM o.subtype)," \
	" gone AS (" \
	"  UPDATE dmesh.lineage_edge e SET closed_at = now(), source_rel = NULL, target_rel = NULL" \
	"    FROM old o WHERE e.edge_id = o.edge_id" \
	"     AND o.edge_id NOT IN (SELECT edge_id FROM matched))," \
	" seen AS (" \
	"  UPDATE dmesh.lineage_edge e SET last_seen = now(), kind = $2" \
	"   WHERE e.edge_id IN (SELECT edge_id FROM matched))" \
	"INSERT INTO dmesh.lineage_edge" \
	"    (source_rel, source, source_column, target_rel, target, target_column," \
	"     kind, dependency, subtype)" \
	"SELECT n.src, n.srcname, n.scol, $1, dmesh._relname($1), n.tcol, $2, n.dep, n.sub" \
	"  FROM new n" \
	" WHERE NOT EXISTS (SELECT FROM old o" \
	"                    WHERE (n.src = o.source_rel OR (n.src IS NULL AND o.source_rel IS NULL" \
	"                                                   AND n.srcname = o.source))" \
	"                      AND n.scol IS NOT DISTINCT FROM o.source_column" \
	"                      AND n.tcol IS NOT DISTINCT FROM o.target_column" \
	"                      AND n.dep = o.dependency AND n.sub IS NOT DISTINCT FROM o.subtype)"

/*
 * After a rename: the names kept in the open edges of the relations
 * renamed follow ($1: their oids).  The partial indexes on open edges
 * find them: the cost does not grow with unrelated edges.
 */
#define REFRESH_NAMES \
	"WITH s AS (" \
	"  UPDATE dmesh.lineage_edge SET source = dmesh._relname(source_rel)" \
	"   WHERE closed_at IS NULL AND source_rel = ANY ($1)" \
	"     AND source IS DISTINCT FROM dmesh._relname(source_rel))" \
	"UPDATE dmesh.lineage_edge SET target = dmesh._relname(target_rel)" \
	" WHERE closed_at IS NULL AND target_rel = ANY ($1)" \
	"   AND target IS DISTINCT FROM dmesh._relname(target_rel)"

/* The relations of a schema that open edges use, as regclass[]. */
#define SCHEMA_RELATIONS \
	"SELECT ARRAY(SELECT c.oid::regclass FROM pg_class c WHERE c.relnamespace = $1)"

#define RENAME_COLUMN \
	"WITH s AS (" \
	"  UPDATE dmesh.lineage_edge SET source_column = $3" \
	"   WHERE closed_at IS NULL AND source_rel = $1 AND source_column = $2)" \
	"UPDATE dmesh.lineage_edge SET target_column = $3" \
	" WHERE closed_at IS NULL AND target_rel = $1 AND target_column = $2"

/* Does the command drop anything that open edges use? */
#define DROPPED_ANY \
	"SELECT FROM pg_event_trigger_dropped_objects() d" \
	" WHERE d.classid = 'pg_class'::regclass" \
	"   AND (EXISTS (SELECT FROM dmesh.lineage_edge e" \
	"                 WHERE e.source_rel = d.objid AND e.closed_at IS NULL)" \
	"        OR EXISTS (SELECT FROM dmesh.lineage_edge e" \
	"                    WHERE e.target_rel = d.objid AND e.closed_at IS NULL))" \
	" LIMIT 1"

#define CLOSE_DROPPED \
	"WITH d AS (" \
	"  SELECT objid, objsubid, address_names[3] AS colname" \
	"    FROM pg_event_trigger_dropped_objects()" \
	"   WHERE classid = 'pg_class'::regclass)" \
	"UPDATE dmesh.lineage_edge e" \
	"   SET closed_at = now(), source_rel = NULL, target_rel = NULL" \
	" WHERE e.closed_at IS NULL" \
	"   AND EXISTS (SELECT FROM d" \
	"                WHERE (d.objsubid = 0 AND (d.objid = e.source_rel OR d.objid = e.target_rel))" \
	"                   OR (d.objsubid > 0 AND ((d.objid = e.source_rel AND d.colname = e.source_column)" \
	"                                        OR (d.objid = e.target_rel AND d.colname = e.target_column))))"

static SPIPlanPtr dropped_any_plan = NULL;

/* Is dmesh's lineage catalog there (not while its extension is dropped)? */
static bool
lineage_catalog_exists(void)
{
	Oid			nsp = get_namespace_oid("dmesh", true);

	return OidIsValid(nsp) && OidIsValid(get_relname_relid("lineage_edge", nsp));
}

/* Arrays of edges, as RECORD_EDGES takes them. */
typedef struct EdgeArrays
{
	ArrayBuildState *src;
	ArrayBuildState *srcname;
	ArrayBuildState *scol;
	ArrayBuildState *tcol;
	ArrayBuildState *dep;
	ArrayBuildState *sub;
} EdgeArrays;

static void
arrays_init(EdgeArrays *a)
{
	a->src = initArrayResult(OIDOID, CurrentMemoryContext, false);
	a->srcname = initArrayResult(TEXTOID, CurrentMemoryContext, false);
	a->scol = initArrayResult(TEXTOID, CurrentMemoryContext, false);
	a->tcol = initArrayResult(TEXTOID, CurrentMemoryContext, false);
	a->dep = initArrayResult(TEXTOID, CurrentMemoryContext, false);
	a->sub = initArrayResult(TEXTOID, CurrentMemoryContext, false);
}

static void
accum_text(ArrayBuildState *state, const char *value)
{
	accumArrayResult(state, value ? CStringGetTextDatum(value) : (Datum) 0, value == NULL,
					 TEXTOID, CurrentMemoryContext);
}

static void
arrays_add(EdgeArrays *a, Oid source, const char *source_name, const char *source_column,
		   const char *target_column, bool direct, const char *subtype)
{
	accumArrayResult(a->src, ObjectIdGetDatum(source), !OidIsValid(source), OIDOID,
					 CurrentMemoryContext);
	accum_text(a->srcname, source_name);
	accum_text(a->scol, source_column);
	accum_text(a->tcol, target_column);
	accum_text(a->dep, direct ? "direct" : "indirect");
	accum_text(a->sub, subtype);
}

static Datum
arrays_get(ArrayBuildState *state)
{
	return makeArrayResult(state, CurrentMemoryContext);
}

/* The name of the nth (from 1) visible column of a relation, or NULL. */
static char *
output_column_name(TupleDesc desc, AttrNumber n)
{
	AttrNumber	seen = 0;

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped)
			continue;
		if (++seen == n)
			return pstrdup(NameStr(att->attname));
	}
	return NULL;
}

static void
store_edges(Oid relid, const char *kind, EdgeArrays *a)
{
	DmeshSection section;
	DmeshArgs	args;

	SPI_connect();
	dmesh_enter_privileged(&section);
	dmesh_args_init(&args);
	dmesh_arg_oid(&args, REGCLASSOID, relid);
	dmesh_arg_text(&args, kind);
	dmesh_arg_datum(&args, OIDARRAYOID, arrays_get(a->src), false);
	dmesh_arg_datum(&args, TEXTARRAYOID, arrays_get(a->srcname), false);
	dmesh_arg_datum(&args, TEXTARRAYOID, arrays_get(a->scol), false);
	dmesh_arg_datum(&args, TEXTARRAYOID, arrays_get(a->tcol), false);
	dmesh_arg_datum(&args, TEXTARRAYOID, arrays_get(a->dep), false);
	dmesh_arg_datum(&args, TEXTARRAYOID, arrays_get(a->sub), false);
	(void) dmesh_spi_exec(RECORD_EDGES, &args, SPI_OK_INSERT);
	dmesh_leave(&section);
	SPI_finish();
}

/* Lineage of relation relid defined by a SELECT. */
static void
record_query(Oid relid, const char *kind, Query *query)
{
	Relation	rel = relation_open(relid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	List	   *edges = dmesh_query_lineage(query, relid);
	EdgeArrays	a;
	ListCell   *lc;

	arrays_init(&a);
	foreach(lc, edges)
	{
		DmeshLineageEdge *e = lfirst(lc);
		char	   *scol = e->source_attnum > 0 ? get_attname(e->source, e->source_attnum, true) : NULL;
		char	   *tcol = e->target_attnum > 0 ? output_column_name(desc, e->target_attnum) : NULL;

		if (e->target_attnum > 0 && tcol == NULL)
			continue;
		arrays_add(&a, e->source, NULL, scol, tcol, e->direct, e->subtype);
	}
	relation_close(rel, AccessShareLock);
	store_edges(relid, kind, &a);
}

/* The query of a view or materialized view: its _RETURN rule's action. */
static Query *
relation_query(Relation rel)
{
	RuleLock   *rules = rel->rd_rules;

	if (rules == NULL)
		return NULL;
	for (int i = 0; i < rules->numLocks; i++)
	{
		RewriteRule *rule = rules->rules[i];

		if (rule->event == CMD_SELECT && list_length(rule->actions) == 1)
			return copyObject(linitial_node(Query, rule->actions));
	}
	return NULL;
}

static void
record_view(Oid relid, const char *kind)
{
	Relation	rel = relation_open(relid, AccessShareLock);
	Query	   *query = relation_query(rel);

	relation_close(rel, AccessShareLock);
	if (query)
		record_query(relid, kind, query);
}

/* The relations a view or materialized view reads (relation-level lineage). */
static List *
relations_read(Oid relid)
{
	Relation	rel = relation_open(relid, AccessShareLock);
	Query	   *query = relation_query(rel);
	List	   *sources = NIL;
	ListCell   *lc;

	relation_close(rel, AccessShareLock);
	if (query == NULL)
		return NIL;
	foreach(lc, dmesh_query_lineage(query, relid))
	{
		DmeshLineageEdge *e = lfirst(lc);

		if (e->source_attnum == 0 && e->target_attnum == 0)
			sources = list_append_unique_oid(sources, e->source);
	}
	return sources;
}

/* The value of a generic option, or NULL. */
static char *
option_value(List *options, const char *name)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = lfirst(lc);

		if (strcmp(def->defname, name) == 0)
			return defGetString(def);
	}
	return NULL;
}

/*
 * A foreign table comes from the remote object its options name: with
 * postgres_fdw's options, "server/schema.table" (defaults: the foreign
 * table's own schema and name), and each column from the remote column of
 * its column_name option, or of its own name.  A subscription's foreign
 * table comes from the peer's product, "peer:domain.product" (fed_sub.h).
 */
static void
record_foreign(Oid relid)
{
	ForeignTable *ft = GetForeignTable(relid);
	ForeignServer *server = GetForeignServer(ft->serverid);
	char	   *schema = option_value(ft->options, "schema_name");
	char	   *table = option_value(ft->options, "table_name");
	char	   *remote;
	Relation	rel = relation_open(relid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	EdgeArrays	a;

	remote = dmesh_fed_sub_source(relid);	/* a subscription: peer:domain.product */
	if (remote == NULL)
		remote = psprintf("%s/%s.%s", quote_identifier(server->servername),
						  quote_identifier(schema ? schema : get_namespace_name(RelationGetNamespace(rel))),
						  quote_identifier(table ? table : RelationGetRelationName(rel)));
	arrays_init(&a);
	arrays_add(&a, InvalidOid, remote, NULL, NULL, true, NULL);
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		char	   *column;

		if (att->attisdropped)
			continue;
		column = option_value(GetForeignColumnOptions(relid, att->attnum), "column_name");
		arrays_add(&a, InvalidOid, remote, column ? column : NameStr(att->attname),
				   NameStr(att->attname), true, "IDENTITY");
	}
	relation_close(rel, AccessShareLock);
	store_edges(relid, "foreign_table", &a);
}

/*
 * Does an open edge have this relation at either end?  Two probes of the
 * partial indexes on open edges, no SPI: renames of relations outside the
 * lineage cost next to nothing.
 */
static bool
relation_in_lineage(Oid relid)
{
	return dmesh_catalog_has_oid("lineage_edge", "lineage_edge_open_source_idx",
								 "source_rel", relid) ||
		dmesh_catalog_has_oid("lineage_edge", "lineage_edge_open_target_idx",
							  "target_rel", relid);
}

/* The names of open edges of one relation, or of every relation of a schema. */
static void
refresh_names(Oid relid, Oid nspid)
{
	DmeshSection section;
	DmeshArgs	args;
	Datum		rels;

	SPI_connect();
	dmesh_enter_privileged(&section);
	dmesh_args_init(&args);
	if (OidIsValid(nspid))
	{
		bool		isnull;

		dmesh_arg_oid(&args, OIDOID, nspid);
		(void) dmesh_spi_exec(SCHEMA_RELATIONS, &args, SPI_OK_SELECT);
		rels = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	}
	else
	{
		Datum		elem = ObjectIdGetDatum(relid);

		rels = PointerGetDatum(construct_array(&elem, 1, REGCLASSOID, sizeof(Oid), true,
											   TYPALIGN_INT));
	}
	dmesh_args_init(&args);
	dmesh_arg_datum(&args, REGCLASSARRAYOID, rels, false);
	(void) dmesh_spi_exec(REFRESH_NAMES, &args, SPI_OK_UPDATE);
	dmesh_leave(&section);
	SPI_finish();
}

static void
rename_column(Oid relid, const char *from, const char *to)
{
	DmeshSection section;
	DmeshArgs	args;

	SPI_connect();
	dmesh_enter_privileged(&section);
	dmesh_args_init(&args);
	dmesh_arg_oid(&args, REGCLASSOID, relid);
	dmesh_arg_text(&args, from);
	dmesh_arg_text(&args, to);
	(void) dmesh_spi_exec(RENAME_COLUMN, &args, SPI_OK_UPDATE);
	dmesh_leave(&section);
	SPI_finish();
}

/* A relation named by the command, if it exists and is not temporary. */
static Oid
permanent_relation(RangeVar *rv)
{
	Oid			relid;

	if (rv == NULL)
		return InvalidOid;
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (!OidIsValid(relid) || get_rel_persistence(relid) == RELPERSISTENCE_TEMP)
		return InvalidOid;
	return relid;
}

/* ----------------------------------------------------------------
 * CREATE TABLE AS: the query as analyzed, before it is planned
 *
 * At ddl_command_end the query of a CREATE TABLE AS has been rewritten and
 * planned in place (a pulled-up subquery is left without its Query, for
 * one), so it is no tree to read.  dmesh._lineage_ddl_start, at
 * ddl_command_start, keeps a copy of the analyzed query, keyed by the
 * statement's node, on a stack that the end of the statement pops.
 * Statements that failed in between leave entries above theirs, dropped
 * when a later one finds its own; all of it goes at the end of the
 * transaction.
 * ----------------------------------------------------------------
 */

typedef struct KeptQuery
{
	Node	   *stmt;
	Query	   *query;
} KeptQuery;

static List *kept_queries = NIL;	/* in TopTransactionContext */
static bool kept_callback = false;

static void
kept_queries_reset(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PREPARE || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_PARALLEL_ABORT)
		kept_queries = NIL;
}

static void
keep_query(Node *stmt, Query *query)
{
	MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);
	KeptQuery  *k = palloc(sizeof(KeptQuery));

	if (!kept_callback)
	{
		RegisterXactCallback(kept_queries_reset, NULL);
		kept_callback = true;
	}
	k->stmt = stmt;
	k->query = copyObject(query);
	kept_queries = lcons(k, kept_queries);
	MemoryContextSwitchTo(old);
}

/* The query kept for this statement, or NULL; pops it and what is above. */
static Query *
take_query(Node *stmt)
{
	ListCell   *lc;
	int			i = 0;

	foreach(lc, kept_queries)
	{
		KeptQuery  *k = lfirst(lc);

		i++;
		if (k->stmt == stmt)
		{
			Query	   *query = k->query;

			kept_queries = list_copy_tail(kept_queries, i);
			return query;
		}
	}
	return NULL;
}

Datum
dmesh_lineage_ddl_start(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	CreateTableAsStmt *stmt;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("dmesh._lineage_ddl_start must be called as an event trigger")));
	trigdata = (EventTriggerData *) fcinfo->context;
	if (creating_extension || trigdata->parsetree == NULL ||
		!IsA(trigdata->parsetree, CreateTableAsStmt))
		PG_RETURN_VOID();
	stmt = (CreateTableAsStmt *) trigdata->parsetree;
	if (stmt->objtype == OBJECT_TABLE && stmt->query != NULL && IsA(stmt->query, Query) &&
		((Query *) stmt->query)->commandType == CMD_SELECT &&
		((Query *) stmt->query)->utilityStmt == NULL)
		keep_query(trigdata->parsetree, (Query *) stmt->query);
	PG_RETURN_VOID();
}

Datum
dmesh_lineage_ddl(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	Node	   *parsetree;
	Oid			relid;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("dmesh._lineage_ddl must be called as an event trigger")));
	trigdata = (EventTriggerData *) fcinfo->context;
	parsetree = trigdata->parsetree;
	if (creating_extension || parsetree == NULL || !lineage_catalog_exists())
		PG_RETURN_VOID();

	switch (nodeTag(parsetree))
	{
		case T_ViewStmt:
			relid = permanent_relation(((ViewStmt *) parsetree)->view);
			if (OidIsValid(relid))
				record_view(relid, "view");
			break;
		case T_CreateTableAsStmt:
			{
				CreateTableAsStmt *stmt = (CreateTableAsStmt *) parsetree;
				/* the query as analyzed, kept at ddl_command_start */
				Query	   *query = stmt->objtype == OBJECT_MATVIEW ? NULL : take_query(parsetree);

				relid = permanent_relation(stmt->into ? stmt->into->rel : NULL);
				if (!OidIsValid(relid))
					break;
				/* the statement's runtime lineage now knows its target */
				dmesh_usage_resolve_target(relid, DMESH_USAGE_CREATE_TABLE_AS, NIL);
				if (stmt->objtype == OBJECT_MATVIEW)
					record_view(relid, "materialized_view");
				else if (query != NULL)
					record_query(relid, "create_table_as", query);
			}
			break;
		case T_RefreshMatViewStmt:
			relid = permanent_relation(((RefreshMatViewStmt *) parsetree)->relation);
			if (OidIsValid(relid))
				dmesh_usage_resolve_target(relid, DMESH_USAGE_REFRESH, relations_read(relid));
			break;
		case T_CreateForeignTableStmt:
			relid = permanent_relation(((CreateStmt *) parsetree)->relation);
			if (OidIsValid(relid))
				record_foreign(relid);
			break;
		case T_RenameStmt:
			{
				RenameStmt *stmt = (RenameStmt *) parsetree;

				if (stmt->renameType == OBJECT_COLUMN)
				{
					relid = permanent_relation(stmt->relation);
					if (relation_in_lineage(relid))
						rename_column(relid, stmt->subname, stmt->newname);
				}
				else if (stmt->renameType == OBJECT_TABLE || stmt->renameType == OBJECT_VIEW ||
						 stmt->renameType == OBJECT_MATVIEW ||
						 stmt->renameType == OBJECT_FOREIGN_TABLE)
				{
					/* the relation under its new name */
					RangeVar   *rv = copyObject(stmt->relation);

					rv->relname = stmt->newname;
					relid = permanent_relation(rv);
					if (relation_in_lineage(relid))
						refresh_names(relid, InvalidOid);
				}
				else if (stmt->renameType == OBJECT_SCHEMA)
				{
					Oid			nspid = get_namespace_oid(stmt->newname, true);

					if (OidIsValid(nspid))
						refresh_names(InvalidOid, nspid);
				}
			}
			break;
		case T_AlterObjectSchemaStmt:
			{
				AlterObjectSchemaStmt *stmt = (AlterObjectSchemaStmt *) parsetree;
				RangeVar   *rv;

				if (stmt->relation == NULL)
					break;
				rv = copyObject(stmt->relation);
				rv->schemaname = stmt->newschema;
				relid = permanent_relation(rv);
				if (relation_in_lineage(relid))
					refresh_names(relid, InvalidOid);
			}
			break;
		default:
			break;
	}
	PG_RETURN_VOID();
}

Datum
dmesh_lineage_drop(PG_FUNCTION_ARGS)
{
	uint64		found;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("dmesh._lineage_drop must be called as an event trigger")));
	if (!lineage_catalog_exists())
		PG_RETURN_VOID();

	SPI_connect();
	/* Most drops concern no edge: one planned query, no privilege switch. */
	found = dmesh_spi_exec_saved(&dropped_any_plan, DROPPED_ANY, NULL, SPI_OK_SELECT, true, 1);
	if (found > 0)
	{
		DmeshSection section;

		dmesh_enter_privileged(&section);
		(void) dmesh_spi_exec(CLOSE_DROPPED, NULL, SPI_OK_UPDATE);
		dmesh_leave(&section);
	}
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * dmesh._record_lineage(regclass): record (again) the lineage of an
 * existing view, materialized view or foreign table, as its event trigger
 * would have; the update to 0.5.0 runs it for every relation that existed
 * before.  Superusers only (revoked from PUBLIC).
 */
Datum
dmesh_record_lineage(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	char		relkind = get_rel_relkind(relid);

	if (relkind == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	if (get_rel_persistence(relid) == RELPERSISTENCE_TEMP)
		PG_RETURN_BOOL(false);
	switch (relkind)
	{
		case RELKIND_VIEW:
			record_view(relid, "view");
			break;
		case RELKIND_MATVIEW:
			record_view(relid, "materialized_view");
			break;
		case RELKIND_FOREIGN_TABLE:
			record_foreign(relid);
			break;
		default:
			PG_RETURN_BOOL(false);
	}
	PG_RETURN_BOOL(true);
}
