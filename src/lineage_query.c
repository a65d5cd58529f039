/*-------------------------------------------------------------------------
 *
 * lineage_query.c
 *		Column lineage read from a query tree: for each output column of a
 *		SELECT, the relation columns it comes from, directly or indirectly.
 *
 * Directly: the column's expression uses the source column, as is
 * (IDENTITY, through nothing but relabelling casts), in a computation
 * (TRANSFORMATION) or inside an aggregate or window function
 * (AGGREGATION).  Indirectly: the source column decides which rows there
 * are or how they are arranged: a WHERE or HAVING condition (FILTER), a join
 * condition (JOIN), GROUP BY (GROUP_BY), ORDER BY (SORT), a window's
 * PARTITION BY or ORDER BY (WINDOW), or the condition of a CASE in the
 * column's own expression (CONDITIONAL).  These are OpenLineage's
 * transformation types.  Indirect sources of a query apply to every output
 * column, including those of subqueries, CTEs and sublinks.
 *
 * References are followed through subqueries in FROM, joins, CTEs
 * (recursive ones to a fixed depth) and set operations down to relations:
 * a view used by the query is a source in its own right (its own lineage
 * is recorded when it is created).  Functions in FROM, VALUES and the like
 * are not relations and give no edge.  Whole-row references give a
 * relation-level edge.
 *
 * Besides the column edges, every relation the query reads anywhere gives
 * one relation-level edge (attribute numbers 0).
 *
 * The tree must be as parse analysis (and, for views, the rewriter's
 * stored rule) leaves it: the planner changes a query in place.  Even so
 * every link is checked before it is followed, and nothing here raises an
 * error on a tree it does not expect: it just records less.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_class.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "nodes/primnodes.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"

#include "dmesh.h"
#include "lineage.h"

/* Deeper than this, references are not followed (recursive CTEs). */
#define LINEAGE_MAX_DEPTH 32

/* Kinds of direct use, in increasing strength: a combination keeps the strongest. */
#define USE_IDENTITY		0
#define USE_TRANSFORMATION	1
#define USE_AGGREGATION		2

static const char *const direct_subtypes[] = {"IDENTITY", "TRANSFORMATION", "AGGREGATION"};

typedef struct LineageWalk
{
	Oid			self;			/* the relation being defined: not a source */
	List	   *edges;			/* DmeshLineageEdge *, for the current target */
	AttrNumber	target;			/* current output column, 0 for query-level */
	bool		direct;			/* collecting direct (else indirect) sources */
	int			use;			/* direct: USE_* so far */
	const char *subtype;		/* indirect: its subtype */
	int			depth;
} LineageWalk;

static void walk_expr(Node *node, List *qstack, LineageWalk *w);

/*
 * The stack of queries seen from a subquery: the subquery, then the
 * enclosing ones.  A new list: lcons extends its argument in place.
 */
static List *
push_query(Query *query, List *qstack)
{
	return lcons(query, list_copy(qstack));
}
static void collect_indirect(Query *query, List *qstack, LineageWalk *w);

static void
add_edge(LineageWalk *w, Oid relid, AttrNumber attnum)
{
	DmeshLineageEdge *e;
	const char *subtype;
	ListCell   *lc;

	if (relid == w->self || attnum < 0)
		return;
	/* relation-level edges have no subtype */
	if (attnum == 0 && w->target == 0 && w->direct)
		subtype = NULL;
	else
		subtype = w->direct ? direct_subtypes[w->use] : w->subtype;
	foreach(lc, w->edges)
	{
		e = lfirst(lc);
		if (e->source == relid && e->source_attnum == attnum &&
			e->target_attnum == w->target && e->direct == w->direct &&
			(e->subtype == NULL ? subtype == NULL :
			 subtype != NULL && strcmp(e->subtype, subtype) == 0))
			return;
	}
	e = palloc(sizeof(DmeshLineageEdge));
	e->source = relid;
	e->source_attnum = attnum;
	e->target_attnum = w->target;
	e->direct = w->direct;
	e->subtype = subtype;
	w->edges = lappend(w->edges, e);
}

/*
 * A view already expanded by the rewriter (CREATE TABLE AS rewrites its
 * query in place on PostgreSQL 15): a subquery whose first range table
 * entry is the view's "old" placeholder.  The view, not its insides, is
 * the source.
 */
static Oid
expanded_view(RangeTblEntry *rte)
{
	RangeTblEntry *old;

	if (rte->rtekind != RTE_SUBQUERY || rte->subquery == NULL || rte->subquery->rtable == NIL)
		return InvalidOid;
	old = linitial(rte->subquery->rtable);
	if (old->rtekind == RTE_RELATION && !old->inFromCl && old->relkind == RELKIND_VIEW &&
		old->alias != NULL && strcmp(old->alias->aliasname, "old") == 0)
		return old->relid;
	return InvalidOid;
}

/* The use an output expression makes of what it references, at its top. */
static int
expr_use(Node *expr)
{
	while (expr && IsA(expr, RelabelType))
		expr = (Node *) ((RelabelType *) expr)->arg;
	return (expr && IsA(expr, Var)) ? USE_IDENTITY : USE_TRANSFORMATION;
}

/*
 * The sources of column "attno" of range table entry "rte" of the query at
 * the head of "qstack".
 */
static void
walk_rte_column(RangeTblEntry *rte, AttrNumber attno, List *qstack, LineageWalk *w)
{
	if (w->depth >= LINEAGE_MAX_DEPTH)
		return;
	w->depth++;
	switch (rte->rtekind)
	{
		case RTE_RELATION:
			add_edge(w, rte->relid, attno);
			break;
		case RTE_SUBQUERY:
			{
				Query	   *sub = rte->subquery;
				List	   *substack;
				Oid			view = expanded_view(rte);

				if (sub == NULL)
					break;		/* not a tree as parse analysis leaves it */
				substack = push_query(sub, qstack);
				if (OidIsValid(view))
					add_edge(w, view, attno);
				else if (sub->setOperations != NULL)
				{
					/* a column of a set operation: that column of every leaf */
					ListCell   *lc;

					foreach(lc, sub->rtable)
					{
						RangeTblEntry *leaf = lfirst(lc);

						/* a set operation's range table holds its leaves only */
						if (leaf->rtekind == RTE_SUBQUERY)
							walk_rte_column(leaf, attno, substack, w);
					}
				}
				else if (attno == 0)
				{
					ListCell   *lc;

					foreach(lc, sub->targetList)
					{
						TargetEntry *tle = lfirst(lc);

						if (!tle->resjunk)
							walk_expr((Node *) tle->expr, substack, w);
					}
				}
				else
				{
					TargetEntry *tle = get_tle_by_resno(sub->targetList, attno);
					int			save = w->use;

					if (tle)
					{
						if (w->direct)
							w->use = Max(w->use, expr_use((Node *) tle->expr));
						walk_expr((Node *) tle->expr, substack, w);
						w->use = save;
					}
				}
			}
			break;
		case RTE_JOIN:
			if (attno > 0 && attno <= list_length(rte->joinaliasvars))
				walk_expr(list_nth(rte->joinaliasvars, attno - 1), qstack, w);
			else if (attno == 0)
				walk_expr((Node *) rte->joinaliasvars, qstack, w);
			break;
		case RTE_CTE:
			{
				Query	   *owner;
				ListCell   *lc;

				if (rte->ctelevelsup >= list_length(qstack))
					break;
				owner = list_nth(qstack, rte->ctelevelsup);
				foreach(lc, owner->cteList)
				{
					CommonTableExpr *cte = lfirst(lc);
					Query	   *cq;
					List	   *ctestack;

					if (strcmp(cte->ctename, rte->ctename) != 0 || !IsA(cte->ctequery, Query))
						continue;
					cq = (Query *) cte->ctequery;
					ctestack = push_query(cq, list_copy_tail(qstack, rte->ctelevelsup));
					if (cq->setOperations != NULL || attno == 0)
					{
						/* walk it as a subquery of the CTE's level */
						RangeTblEntry fake;

						memset(&fake, 0, sizeof(fake));
						fake.type = T_RangeTblEntry;
						fake.rtekind = RTE_SUBQUERY;
						fake.subquery = cq;
						walk_rte_column(&fake, attno, list_copy_tail(qstack, rte->ctelevelsup), w);
					}
					else
					{
						TargetEntry *tle = get_tle_by_resno(cq->targetList, attno);
						int			save = w->use;

						if (tle)
						{
							if (w->direct)
								w->use = Max(w->use, expr_use((Node *) tle->expr));
							walk_expr((Node *) tle->expr, ctestack, w);
							w->use = save;
						}
					}
					break;
				}
			}
			break;
		default:
			/* functions, VALUES, table functions: no relation */
			break;
	}
	w->depth--;
}

static bool
expr_walker(Node *node, void *context)
{
	void	  **args = context;
	List	   *qstack = args[0];
	LineageWalk *w = args[1];

	if (node == NULL)
		return false;
	if (IsA(node, Var))
	{
		Var		   *var = (Var *) node;
		Query	   *q;

		if (var->varlevelsup >= list_length(qstack))
			return false;
		q = list_nth(qstack, var->varlevelsup);
		if (var->varno < 1 || var->varno > list_length(q->rtable))
			return false;
		walk_rte_column(rt_fetch(var->varno, q->rtable), var->varattno,
						list_copy_tail(qstack, var->varlevelsup), w);
		return false;
	}
	if (IsA(node, Aggref) || IsA(node, WindowFunc) || IsA(node, GroupingFunc))
	{
		int			save = w->use;
		bool		result;

		if (w->direct)
			w->use = USE_AGGREGATION;
		result = expression_tree_walker(node, expr_walker, context);
		w->use = save;
		return result;
	}
	if (IsA(node, CaseExpr) && w->direct)
	{
		CaseExpr   *c = (CaseExpr *) node;
		ListCell   *lc;
		int			save = w->use;

		/* the tested value and the conditions decide, the results are used */
		w->direct = false;
		w->subtype = "CONDITIONAL";
		walk_expr((Node *) c->arg, qstack, w);
		foreach(lc, c->args)
			walk_expr((Node *) ((CaseWhen *) lfirst(lc))->expr, qstack, w);
		w->direct = true;
		w->use = Max(save, USE_TRANSFORMATION);
		foreach(lc, c->args)
			walk_expr((Node *) ((CaseWhen *) lfirst(lc))->result, qstack, w);
		walk_expr((Node *) c->defresult, qstack, w);
		w->use = save;
		return false;
	}
	if (IsA(node, SubLink) && ((SubLink *) node)->subselect != NULL &&
		IsA(((SubLink *) node)->subselect, Query))
	{
		SubLink    *s = (SubLink *) node;
		Query	   *sub = (Query *) s->subselect;
		List	   *substack = push_query(sub, qstack);
		ListCell   *lc;
		bool		save_direct = w->direct;
		const char *save_subtype = w->subtype;
		int			save_use = w->use;

		/* its test expression, if any, is used like the rest of this one */
		walk_expr(s->testexpr, qstack, w);
		/* a scalar or array subquery's output is a computed value */
		if (w->direct && s->subLinkType != EXPR_SUBLINK && s->subLinkType != ARRAY_SUBLINK)
		{
			/* EXISTS, IN, ANY, ALL: a condition */
			w->direct = false;
			w->subtype = "CONDITIONAL";
		}
		else if (w->direct)
			w->use = Max(w->use, USE_TRANSFORMATION);
		foreach(lc, sub->targetList)
		{
			TargetEntry *tle = lfirst(lc);

			if (!tle->resjunk)
				walk_expr((Node *) tle->expr, substack, w);
		}
		w->direct = save_direct;
		w->subtype = save_subtype;
		w->use = save_use;
		/* what decides the subquery's rows decides this value */
		collect_indirect(sub, substack, w);
		return false;
	}
	return expression_tree_walker(node, expr_walker, context);
}

static void
walk_expr(Node *node, List *qstack, LineageWalk *w)
{
	void	   *args[2];

	args[0] = qstack;
	args[1] = w;
	(void) expr_walker(node, args);
}

/* Indirect sources of kind "subtype" in "node", evaluated in qstack's head. */
static void
walk_indirect(Node *node, const char *subtype, List *qstack, LineageWalk *w)
{
	bool		save_direct = w->direct;
	const char *save_subtype = w->subtype;

	if (node == NULL)
		return;
	w->direct = false;
	w->subtype = subtype;
	walk_expr(node, qstack, w);
	w->direct = save_direct;
	w->subtype = save_subtype;
}

/* Join conditions (JOIN) and WHERE conditions (FILTER) of a FROM tree. */
static void
walk_jointree(Node *node, List *qstack, LineageWalk *w)
{
	if (node == NULL)
		return;
	if (IsA(node, FromExpr))
	{
		FromExpr   *f = (FromExpr *) node;
		ListCell   *lc;

		foreach(lc, f->fromlist)
			walk_jointree(lfirst(lc), qstack, w);
		walk_indirect(f->quals, "FILTER", qstack, w);
	}
	else if (IsA(node, JoinExpr))
	{
		JoinExpr   *j = (JoinExpr *) node;

		walk_jointree(j->larg, qstack, w);
		walk_jointree(j->rarg, qstack, w);
		walk_indirect(j->quals, "JOIN", qstack, w);
	}
}

static void
walk_sortgroup(List *clauses, List *tlist, const char *subtype, List *qstack, LineageWalk *w)
{
	ListCell   *lc;

	foreach(lc, clauses)
	{
		SortGroupClause *sgc = lfirst(lc);
		ListCell   *tc;

		foreach(tc, tlist)
		{
			TargetEntry *tle = lfirst(tc);

			if (tle->ressortgroupref == sgc->tleSortGroupRef)
			{
				walk_indirect((Node *) tle->expr, subtype, qstack, w);
				break;
			}
		}
	}
}

/*
 * What decides the rows of "query" (head of qstack) and of the subqueries
 * and CTEs it reads from: indirect sources of every output column.
 */
static void
collect_indirect(Query *query, List *qstack, LineageWalk *w)
{
	ListCell   *lc;

	if (w->depth >= LINEAGE_MAX_DEPTH)
		return;
	w->depth++;
	walk_jointree((Node *) query->jointree, qstack, w);
	walk_indirect(query->havingQual, "FILTER", qstack, w);
	walk_sortgroup(query->groupClause, query->targetList, "GROUP_BY", qstack, w);
	walk_sortgroup(query->sortClause, query->targetList, "SORT", qstack, w);
	foreach(lc, query->windowClause)
	{
		WindowClause *wc = lfirst(lc);

		walk_sortgroup(wc->partitionClause, query->targetList, "WINDOW", qstack, w);
		walk_sortgroup(wc->orderClause, query->targetList, "WINDOW", qstack, w);
	}
	foreach(lc, query->rtable)
	{
		RangeTblEntry *rte = lfirst(lc);

		if (rte->rtekind == RTE_SUBQUERY && rte->subquery != NULL && !OidIsValid(expanded_view(rte)))
			collect_indirect(rte->subquery, push_query(rte->subquery, qstack), w);
		else if (rte->rtekind == RTE_FUNCTION)
		{
			ListCell   *fc;

			/* a function's arguments decide its rows (LATERAL references) */
			foreach(fc, rte->functions)
				walk_indirect(((RangeTblFunction *) lfirst(fc))->funcexpr, "FILTER", qstack, w);
		}
	}
	foreach(lc, query->cteList)
	{
		CommonTableExpr *cte = lfirst(lc);

		if (IsA(cte->ctequery, Query))
			collect_indirect((Query *) cte->ctequery, push_query((Query *) cte->ctequery, qstack), w);
	}
	w->depth--;
}

/* Every relation read anywhere in the query: relation-level edges. */
static void collect_relations(Query *query, LineageWalk *w);

static bool
sublink_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, SubLink))
	{
		SubLink    *s = (SubLink *) node;

		if (s->subselect != NULL && IsA(s->subselect, Query))
			collect_relations((Query *) s->subselect, context);
		return sublink_walker(s->testexpr, context);
	}
	return expression_tree_walker(node, sublink_walker, context);
}

static void
collect_relations(Query *query, LineageWalk *w)
{
	ListCell   *lc;

	if (w->depth >= LINEAGE_MAX_DEPTH)
		return;
	w->depth++;
	foreach(lc, query->rtable)
	{
		RangeTblEntry *rte = lfirst(lc);
		Oid			view;

		if (rte->rtekind == RTE_RELATION)
			add_edge(w, rte->relid, 0);
		else if (rte->rtekind == RTE_SUBQUERY)
		{
			view = expanded_view(rte);
			if (OidIsValid(view))
				add_edge(w, view, 0);
			else if (rte->subquery != NULL)
				collect_relations(rte->subquery, w);
		}
		else if (rte->rtekind == RTE_FUNCTION)
			(void) sublink_walker((Node *) rte->functions, w);
	}
	foreach(lc, query->cteList)
	{
		CommonTableExpr *cte = lfirst(lc);

		if (IsA(cte->ctequery, Query))
			collect_relations((Query *) cte->ctequery, w);
	}
	(void) query_tree_walker(query, sublink_walker, w,
							 QTW_IGNORE_RANGE_TABLE | QTW_IGNORE_CTE_SUBQUERIES);
	w->depth--;
}

/*
 * The lineage of a SELECT that defines relation "self" (InvalidOid if
 * none): a list of DmeshLineageEdge, relation-level edges first.  Output
 * columns are numbered from 1 in the order of the non-junk target list.
 */
List *
dmesh_query_lineage(Query *query, Oid self)
{
	LineageWalk w;
	List	   *qstack = list_make1(query);
	List	   *indirect;
	ListCell   *lc;
	AttrNumber	target = 0;

	memset(&w, 0, sizeof(w));
	w.self = self;
	w.direct = true;
	w.subtype = "DIRECT";

	/* relation level */
	collect_relations(query, &w);

	/* what decides the rows, once */
	{
		List	   *save = w.edges;

		w.edges = NIL;
		w.target = 0;
		collect_indirect(query, qstack, &w);
		if (query->setOperations != NULL)
		{
			foreach(lc, query->rtable)
			{
				RangeTblEntry *rte = lfirst(lc);

				if (rte->rtekind == RTE_SUBQUERY && rte->subquery != NULL)
					collect_indirect(rte->subquery, push_query(rte->subquery, qstack), &w);
			}
		}
		indirect = w.edges;
		w.edges = save;
	}

	foreach(lc, query->targetList)
	{
		TargetEntry *tle = lfirst(lc);
		ListCell   *ic;

		if (tle->resjunk)
			continue;
		target++;
		w.target = target;
		w.direct = true;
		if (query->setOperations != NULL)
		{
			/* a set operation's column: that column of every leaf */
			ListCell   *rc;

			w.use = USE_IDENTITY;
			foreach(rc, query->rtable)
			{
				RangeTblEntry *rte = lfirst(rc);

				if (rte->rtekind == RTE_SUBQUERY)
					walk_rte_column(rte, target, qstack, &w);
			}
		}
		else
		{
			w.use = expr_use((Node *) tle->expr);
			walk_expr((Node *) tle->expr, qstack, &w);
		}
		/* the rows' deciders, for this column */
		foreach(ic, indirect)
		{
			DmeshLineageEdge *e = lfirst(ic);
			bool		save_direct = w.direct;
			const char *save_subtype = w.subtype;

			w.direct = false;
			w.subtype = e->subtype;
			add_edge(&w, e->source, e->source_attnum);
			w.direct = save_direct;
			w.subtype = save_subtype;
		}
	}
	return w.edges;
}
