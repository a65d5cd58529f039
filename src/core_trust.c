/*-------------------------------------------------------------------------
 *
 * core_trust.c
 *		Whose code may run where: the owners dmesh trusts with a product's
 *		data, and the constants it will not read as the extension owner.
 *
 * A row filter runs inside a published view, on the product's data before
 * any mask applies, as whichever role reads; a policy expression runs as
 * its author whenever a product in its scope is published.  Either may
 * call only functions, and coerce to domains (whose CHECK expressions run
 * then), whose owners are trusted for it: superusers, the extension owner
 * and the roles the caller names (the product's owner for row filters, the
 * author for policies).  A function of anyone else could be redefined
 * after the condition was approved and see every value it is passed.
 *
 * Some SQL text users write (source queries, row filters) becomes part of
 * a published view, which dmesh creates as the extension owner; creating
 * it parses the text again.  Parsing reads constants with their type's
 * input function, and for a container type (array, composite, range) that
 * reads each element with its own: a domain among them runs its CHECK
 * expressions.  So a constant whose reading could run code that no
 * superuser wrote is refused when the text is first given.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "dmesh.h"

/*
 * May code owned by "owner" run on a product's data?  Superusers and the
 * extension owner may, and the roles listed.
 */
bool
dmesh_owner_trusted(Oid owner, const Oid *trusted, int ntrusted)
{
	if (superuser_arg(owner) || owner == dmesh_extension_owner())
		return true;
	for (int i = 0; i < ntrusted; i++)
		if (OidIsValid(trusted[i]) && owner == trusted[i])
			return true;
	return false;
}

static Oid
function_owner(Oid funcid)
{
	HeapTuple	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	Oid			owner;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for function %u", funcid);
	owner = ((Form_pg_proc) GETSTRUCT(tuple))->proowner;
	ReleaseSysCache(tuple);
	return owner;
}

/* The CHECK expressions of a domain (not of its base domains). */
static List *
domain_checks(Oid typid)
{
	Relation	rel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	List	   *checks = NIL;

	ScanKeyInit(&key, Anum_pg_constraint_contypid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(typid));
	scan = systable_beginscan(rel, ConstraintTypidIndexId, true, NULL, 1, &key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);
		bool		isnull;
		Datum		bin;

		if (con->contype != CONSTRAINT_CHECK)
			continue;
		bin = heap_getattr(tuple, Anum_pg_constraint_conbin, RelationGetDescr(rel), &isnull);
		if (!isnull)
			checks = lappend(checks, stringToNode(TextDatumGetCString(bin)));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return checks;
}

typedef struct TrustWalk
{
	const Oid  *trusted;
	int			ntrusted;
	Oid			function;		/* the first untrusted function found */
	Oid			domain;			/* or domain */
	Oid			owner;			/* its owner */
} TrustWalk;

static bool
untrusted_function(Oid funcid, void *arg)
{
	TrustWalk  *w = arg;
	Oid			owner = function_owner(funcid);

	if (dmesh_owner_trusted(owner, w->trusted, w->ntrusted))
		return false;
	w->function = funcid;
	w->owner = owner;
	return true;
}

static bool trust_walker(Node *node, TrustWalk *w);

/* A domain, its base domains and the functions their CHECKs call. */
static bool
untrusted_domain(Oid typid, TrustWalk *w)
{
	check_stack_depth();
	while (get_typtype(typid) == TYPTYPE_DOMAIN)
	{
		HeapTuple	tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
		Form_pg_type typ;
		Oid			owner;
		Oid			base;
		ListCell   *lc;

		if (!HeapTupleIsValid(tuple))
			elog(ERROR, "cache lookup failed for type %u", typid);
		typ = (Form_pg_type) GETSTRUCT(tuple);
		owner = typ->typowner;
		base = typ->typbasetype;
		ReleaseSysCache(tuple);
		if (!dmesh_owner_trusted(owner, w->trusted, w->ntrusted))
		{
			w->domain = typid;
			w->owner = owner;
			return true;
		}
		foreach(lc, domain_checks(typid))
			if (trust_walker(lfirst(lc), w))
				return true;
		typid = base;
	}
	return false;
}

static bool
trust_walker(Node *node, TrustWalk *w)
{
	if (node == NULL)
		return false;
	if (check_functions_in_node(node, untrusted_function, w))
		return true;
	if (IsA(node, CoerceToDomain) && untrusted_domain(((CoerceToDomain *) node)->resulttype, w))
		return true;
	return expression_tree_walker(node, trust_walker, w);
}

/*
 * Refuse an analyzed condition that calls a function, or coerces to a
 * domain, whose owner is not trusted (see dmesh_owner_trusted).
 */
void
dmesh_require_trusted_code(Node *expr, const Oid *trusted, int ntrusted, const char *what,
						   const char *trusted_roles)
{
	TrustWalk	w = {trusted, ntrusted, InvalidOid, InvalidOid, InvalidOid};

	if (!trust_walker(expr, &w))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 OidIsValid(w.function) ?
			 errmsg("%s calls function %s, owned by role \"%s\"", what,
					format_procedure(w.function), dmesh_role_name(w.owner)) :
			 errmsg("%s uses domain %s, owned by role \"%s\"", what,
					format_type_be(w.domain), dmesh_role_name(w.owner)),
			 errdetail("A %s may only run code owned by a superuser, the extension owner or %s: anyone else could change it afterwards to see the data it is given.",
					   what, trusted_roles),
			 errhint("Use built-in functions, or ask %s to own the function.", trusted_roles)));
}

/*
 * Could reading a value of this type from text run code that no
 * superuser wrote?  Base types and enums are read by C functions, which
 * only superusers create; containers read their elements, domains run
 * their CHECK expressions, and the owner of a composite or range type may
 * change what it holds.
 */
static bool
input_runs_user_code(Oid typid)
{
	HeapTuple	tuple;
	Form_pg_type typ;
	Oid			owner;
	char		typtype;
	Oid			elem;
	Oid			relid;
	bool		result = false;

	check_stack_depth();
	tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for type %u", typid);
	typ = (Form_pg_type) GETSTRUCT(tuple);
	owner = typ->typowner;
	typtype = typ->typtype;
	elem = IsTrueArrayType(typ) ? typ->typelem : InvalidOid;
	relid = typ->typrelid;
	ReleaseSysCache(tuple);

	switch (typtype)
	{
		case TYPTYPE_BASE:
			return OidIsValid(elem) && input_runs_user_code(elem);
		case TYPTYPE_ENUM:
		case TYPTYPE_PSEUDO:
			return false;
		case TYPTYPE_DOMAIN:
			{
				TrustWalk	w = {NULL, 0, InvalidOid, InvalidOid, InvalidOid};
				ListCell   *lc;

				if (!superuser_arg(owner))
					return true;
				foreach(lc, domain_checks(typid))
					if (trust_walker(lfirst(lc), &w))
						return true;
				return input_runs_user_code(getBaseType(typid));
			}
		case TYPTYPE_COMPOSITE:
			{
				TupleDesc	desc;

				if (OidIsValid(relid) && !superuser_arg(dmesh_relation_owner(relid)))
					return true;
				desc = lookup_rowtype_tupdesc(typid, -1);
				for (int i = 0; !result && i < desc->natts; i++)
					if (!TupleDescAttr(desc, i)->attisdropped)
						result = input_runs_user_code(TupleDescAttr(desc, i)->atttypid);
				ReleaseTupleDesc(desc);
				return result;
			}
		case TYPTYPE_RANGE:
			return !superuser_arg(owner) || input_runs_user_code(get_range_subtype(typid));
		case TYPTYPE_MULTIRANGE:
			return !superuser_arg(owner) ||
				input_runs_user_code(get_multirange_range(typid));
		default:
			return true;
	}
}

static bool
unsafe_constant_walker(Node *node, Oid *type)
{
	if (node == NULL)
		return false;
	if (IsA(node, Const))
	{
		Const	   *c = (Const *) node;

		if (!c->constisnull && input_runs_user_code(c->consttype))
		{
			*type = c->consttype;
			return true;
		}
		return false;
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, unsafe_constant_walker, type, 0);
	return expression_tree_walker(node, unsafe_constant_walker, type);
}

/*
 * Refuse an analyzed query or expression with a constant whose reading
 * could run code no superuser wrote (see above).
 */
void
dmesh_refuse_unsafe_constants(Node *tree, const char *what)
{
	Oid			type = InvalidOid;

	if (!unsafe_constant_walker(tree, &type))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("%s has a constant of type %s, which dmesh cannot read safely",
					what, format_type_be_qualified(type)),
			 errdetail("dmesh builds published views as the extension owner, and reading a value of this type from text could run code that no superuser wrote (a domain's CHECK, or a type its owner can change)."),
			 errhint("Write the constant with a built-in type and cast it where it is used.")));
}
