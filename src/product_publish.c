/*-------------------------------------------------------------------------
 *
 * product_publish.c
 *		Published relations (output ports): the views consumers query.
 *
 * A product's major version N is served by the view
 * dmesh_<domain>.<product>_v<N>, owned by the product's owner so that it
 * reads the source with the owner's privileges.  Only the product's owner
 * and the roles holding an access grant can select from it.  Publishing
 * again replaces the view's query (keeping its grants), so new source
 * columns appear; removing or retyping a published column is refused.
 * All functions here run inside a privileged section, connected to SPI.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/comment.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "rewrite/rewriteHandler.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "dmesh.h"
#include "contract.h"
#include "product.h"
#include "gov.h"

static uint64 live_ports(const DmeshProduct *product, int major, SPITupleTable **ports);

static char *
port_qualified_name(const DmeshProduct *product, const char *relname)
{
	return quote_qualified_identifier(product->domain.schema_name, relname);
}

/*
 * CREATE OR REPLACE VIEW can only append columns.  Is the existing view's
 * column list a prefix of the new one (same names and types)?
 */
static bool
replaceable(Oid viewid, const DmeshProduct *product, const DmeshContract *contract)
{
	Relation	view = table_open(viewid, AccessShareLock);
	TupleDesc	vdesc = RelationGetDescr(view);
	TupleDesc	sdesc = dmesh_source_tupdesc(product);
	bool		ok = vdesc->natts <= contract->nprops;

	for (int i = 0; ok && i < vdesc->natts; i++)
	{
		Form_pg_attribute vatt = TupleDescAttr(vdesc, i);
		Form_pg_attribute satt = NULL;

		for (int j = 0; j < sdesc->natts; j++)
			if (!TupleDescAttr(sdesc, j)->attisdropped &&
				strcmp(NameStr(TupleDescAttr(sdesc, j)->attname), contract->props[i].column) == 0)
				satt = TupleDescAttr(sdesc, j);
		ok = satt != NULL && !vatt->attisdropped &&
			strcmp(NameStr(vatt->attname), contract->props[i].name) == 0 &&
			vatt->atttypid == satt->atttypid && vatt->atttypmod == satt->atttypmod;
	}
	table_close(view, AccessShareLock);
	return ok;
}

/*
 * Column comments: the contract's description of each property, else the
 * comment of the column it comes from.
 */
static void
set_column_comments(Oid viewid, const DmeshContract *contract)
{
	Relation	view = table_open(viewid, AccessShareLock);
	Query	   *query = get_view_query(view);
	ListCell   *lc;

	foreach(lc, query->targetList)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);
		char	   *comment = NULL;

		if (tle->resjunk || tle->resno > contract->nprops)
			continue;
		comment = contract->props[tle->resno - 1].description;
		if (comment == NULL && OidIsValid(tle->resorigtbl))
			comment = GetComment(tle->resorigtbl, RelationRelationId, tle->resorigcol);
		CreateComments(viewid, RelationRelationId, tle->resno, comment);
	}
	table_close(view, AccessShareLock);
}

/*
 * The comment of the published relations of a major version (of every
 * object, unless the product is seen through one): product, version
 * published, and a note (deprecation) if any.
 */
void
dmesh_set_port_comment(const DmeshProduct *product, int major, const char *version,
					   const char *note)
{
	SPITupleTable *ports;
	uint64		n = live_ports(product, major, &ports);

	for (uint64 i = 0; i < n; i++)
	{
		Oid			relid = dmesh_port_relation(product, SPI_getvalue(ports->vals[i],
																	   ports->tupdesc, 1));

		if (OidIsValid(relid))
			CreateComments(relid, RelationRelationId, 0,
						   psprintf("Data product %s, version %s, published by dmesh.%s%s",
									dmesh_product_display(product), version,
									note ? " " : "", note ? note : ""));
	}
}

static void
grant_statement(const char *qualified, Oid consumer, bool grant)
{
	char	   *role = GetUserNameFromId(consumer, true);

	if (role == NULL)
		return;					/* the role was dropped; nothing to do */
	dmesh_spi_utility(psprintf(grant ? "GRANT SELECT ON %s TO %s" : "REVOKE SELECT ON %s FROM %s",
							   qualified, quote_identifier(role)));
}

/*
 * Create or replace the view of the product's active contract (given), for
 * its major version; give it to the product's owner, apply the product's
 * grants.  Returns the view.
 */
Oid
dmesh_publish_port(const DmeshProduct *product, const DmeshContract *contract,
				   bool *replaced)
{
	char	   *relname = dmesh_port_relation_name(product->name, product->object, contract->major);
	char	   *qualified = port_qualified_name(product, relname);
	char	   *body = dmesh_port_query(product, contract);
	Oid			relid;
	DmeshArgs	args;
	uint64		ngrants;
	bool		created = false;

	if (!OidIsValid(get_namespace_oid(product->domain.schema_name, true)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_SCHEMA),
				 errmsg("schema \"%s\" of domain \"%s\" does not exist",
						product->domain.schema_name, product->domain.name),
				 errhint("dmesh creates it with the domain; it must not be dropped.")));

	relid = dmesh_port_relation(product, relname);
	*replaced = OidIsValid(relid);
	if (*replaced && get_rel_relkind(relid) != RELKIND_VIEW)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("relation %s already exists and is not a published view", qualified)));
	if (*replaced)
		dmesh_lock_relation(relid, AccessExclusiveLock);
	if (*replaced && replaceable(relid, product, contract))
		dmesh_spi_utility(psprintf("CREATE OR REPLACE VIEW %s WITH (security_barrier) AS %s",
								   qualified, body));
	else
	{
		/* Columns move or go: build the view again, unless others use it. */
		if (*replaced)
		{
			dmesh_check_no_dependents(product, relid, "rebuild", false);
			dmesh_spi_utility(psprintf("DROP VIEW %s", qualified));
		}
		dmesh_spi_utility(psprintf("CREATE VIEW %s WITH (security_barrier) AS %s", qualified, body));
		dmesh_spi_utility(psprintf("ALTER VIEW %s OWNER TO %s", qualified,
								   quote_identifier(dmesh_role_name(product->owner))));
		relid = dmesh_port_relation(product, relname);
		created = true;
	}

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product->id);
	dmesh_arg_int4(&args, contract->major);
	dmesh_arg_text(&args, contract->version);
	dmesh_arg_text(&args, relname);
	dmesh_arg_text(&args, product->object);
	dmesh_spi_exec("INSERT INTO dmesh.output_port (product_id, major, version, relation_name, object)"
				   " VALUES ($1, $2, $3, $4, $5)"
				   " ON CONFLICT ON CONSTRAINT output_port_product_major_object_key DO UPDATE"
				   " SET version = excluded.version, relation_name = excluded.relation_name,"
				   "     status = 'active', updated_at = now(), retired_at = NULL",
				   &args, SPI_OK_INSERT);

	set_column_comments(relid, contract);
	dmesh_set_port_comment(product, contract->major, contract->version, NULL);

	if (created)
	{
		dmesh_args_init(&args);
		dmesh_arg_int8(&args, product->id);
		ngrants = dmesh_spi_exec("SELECT consumer FROM dmesh.access_grant WHERE product_id = $1"
								 " ORDER BY grant_id",
								 &args, SPI_OK_SELECT);
		if (ngrants > 0)
		{
			SPITupleTable *grants = SPI_tuptable;

			for (uint64 i = 0; i < ngrants; i++)
			{
				bool		isnull;
				Oid			consumer = DatumGetObjectId(SPI_getbinval(grants->vals[i],
																	  grants->tupdesc,
																	  1, &isnull));

				grant_statement(qualified, consumer, true);
			}
		}
	}
	return relid;
}

/*
 * Publish the relations of a contract version: one per object of the
 * contract, each from the product's source for that object (a product with
 * one source has one object).  Returns the first relation; the qualified
 * names of all go to "relations" (a JSON array), if given.
 */
Oid
dmesh_publish_ports(const DmeshProduct *product, const DmeshContract *contract, bool *replaced,
					StringInfo relations)
{
	Oid			first = InvalidOid;

	*replaced = false;
	if (relations)
		appendStringInfoChar(relations, '[');
	for (int i = 0; i < Max(contract->nobjects, 1); i++)
	{
		DmeshProduct view;
		DmeshContract *object;
		bool		one_replaced;
		Oid			relid;

		CHECK_FOR_INTERRUPTS();
		if (!dmesh_port_object(product, contract,
							   dmesh_product_has_objects(product) ? contract->objects[i].name : NULL,
							   &view, &object))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("data product \"%s\" has no source for object \"%s\"",
							dmesh_product_display(product),
							contract->nobjects > 0 ? contract->objects[i].name : "?")));
		relid = dmesh_publish_port(&view, object, &one_replaced);
		*replaced |= one_replaced;
		if (!OidIsValid(first))
			first = relid;
		if (relations)
		{
			if (i > 0)
				appendStringInfoString(relations, ", ");
			escape_json(relations, dmesh_qualified_relname(relid));
		}
	}
	if (relations)
		appendStringInfoChar(relations, ']');
	return first;
}

/*
 * The product and contract seen through the object a port publishes
 * (object NULL: the one object of a single-source product).  False if the
 * contract or the product lacks it (a port of an older major version whose
 * object the active contract no longer has).
 */
bool
dmesh_port_object(const DmeshProduct *product, const DmeshContract *contract, const char *object,
				  DmeshProduct *pview, DmeshContract **cview)
{
	int			p;
	int			c;

	if (object == NULL)
	{
		if (dmesh_product_has_objects(product) || contract->nobjects != 1)
			return false;
		*pview = dmesh_product_object(product, 0);
		*cview = dmesh_contract_object(contract, 0);
		return true;
	}
	p = dmesh_product_find_object(product, object);
	c = dmesh_contract_find_object(contract, object);
	if (p < 0 || c < 0)
		return false;
	*pview = dmesh_product_object(product, p);
	*cview = dmesh_contract_object(contract, c);
	return true;
}

/*
 * The names of the product's live (not retired) relations, of one major
 * version (major >= 0) or all, by major version, in a tuple table that
 * survives later SPI calls.
 */
static uint64
live_ports(const DmeshProduct *product, int major, SPITupleTable **ports)
{
	DmeshArgs	args;
	uint64		n;

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product->id);
	dmesh_arg_int4(&args, major);
	if (product->object != NULL)
		dmesh_arg_text(&args, product->object);
	n = dmesh_spi_exec(product->object == NULL ?
					   "SELECT relation_name, major, object FROM dmesh.output_port"
					   " WHERE product_id = $1 AND status <> 'retired'"
					   "   AND ($2 < 0 OR major = $2)"
					   " ORDER BY major, object" :
					   "SELECT relation_name, major, object FROM dmesh.output_port"
					   " WHERE product_id = $1 AND status <> 'retired'"
					   "   AND ($2 < 0 OR major = $2) AND object = $3"
					   " ORDER BY major, object",
					   &args, SPI_OK_SELECT);
	*ports = SPI_tuptable;
	return n;
}

/*
 * The product's live relations (of every object, unless the product is
 * seen through one), by major version: a list of DmeshPort.  relid is
 * InvalidOid for a relation that is gone.
 */
List *
dmesh_live_port_list(const DmeshProduct *product)
{
	SPITupleTable *ports;
	uint64		n = live_ports(product, -1, &ports);
	List	   *result = NIL;

	for (uint64 i = 0; i < n; i++)
	{
		DmeshPort  *port = palloc(sizeof(DmeshPort));
		bool		isnull;

		port->relname = SPI_getvalue(ports->vals[i], ports->tupdesc, 1);
		port->major = DatumGetInt32(SPI_getbinval(ports->vals[i], ports->tupdesc, 2, &isnull));
		port->object = SPI_getvalue(ports->vals[i], ports->tupdesc, 3);
		port->relid = dmesh_port_relation(product, port->relname);
		result = lappend(result, port);
	}
	return result;
}

/*
 * The major versions with a live relation (of any object, unless the
 * product is seen through one), in order, as an integer list.
 */
List *
dmesh_live_majors(const DmeshProduct *product)
{
	SPITupleTable *ports;
	uint64		n = live_ports(product, -1, &ports);
	List	   *majors = NIL;

	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;

		majors = list_append_unique_int(majors,
										DatumGetInt32(SPI_getbinval(ports->vals[i],
																	ports->tupdesc, 2, &isnull)));
	}
	return majors;
}

/*
 * Rewrite every live relation of the product with its current agreements
 * and masks (same columns, so CREATE OR REPLACE keeps the privileges).
 */
void
dmesh_rewrite_ports(const DmeshProduct *product)
{
	SPITupleTable *ports;
	uint64		n = live_ports(product, -1, &ports);

	for (uint64 i = 0; i < n; i++)
	{
		char	   *relname = SPI_getvalue(ports->vals[i], ports->tupdesc, 1);
		bool		isnull;
		int			major = DatumGetInt32(SPI_getbinval(ports->vals[i], ports->tupdesc, 2, &isnull));
		DmeshContract *contract;

		char	   *object = SPI_getvalue(ports->vals[i], ports->tupdesc, 3);
		DmeshProduct view;

		Oid			relid = dmesh_port_relation(product, relname);

		if (!OidIsValid(relid))
			continue;
		contract = dmesh_load_contract(product, NULL, major);
		if (contract == NULL || !dmesh_port_object(product, contract, object, &view, &contract))
			continue;
		dmesh_lock_relation(relid, AccessExclusiveLock);
		dmesh_spi_utility(psprintf("CREATE OR REPLACE VIEW %s WITH (security_barrier) AS %s",
								   port_qualified_name(product, relname),
								   dmesh_port_query(&view, contract)));
	}
}

/*
 * Grant or revoke SELECT on every live relation of the product.
 */
void
dmesh_apply_grant(const DmeshProduct *product, Oid consumer, bool grant)
{
	SPITupleTable *ports;
	uint64		n = live_ports(product, -1, &ports);

	for (uint64 i = 0; i < n; i++)
	{
		char	   *relname = SPI_getvalue(ports->vals[i], ports->tupdesc, 1);

		if (OidIsValid(dmesh_port_relation(product, relname)))
			grant_statement(port_qualified_name(product, relname), consumer, grant);
	}
}

/*
 * The objects that depend on a relation, each described with its owner
 * when it is a relation ("view x.y (owner z)"), and whether one of them
 * is the source or a published relation of a product that is not retired.
 */
#define DEPENDENTS \
	"SELECT DISTINCT CASE WHEN c.oid IS NOT NULL" \
	"   THEN pg_describe_object('pg_class'::regclass, c.oid, 0)" \
	"        || ' (owner ' || quote_ident(pg_get_userbyid(c.relowner)) || ')'" \
	"   ELSE pg_describe_object(d.classid, d.objid, d.objsubid) END," \
	"   c.oid IS NOT NULL AND EXISTS (" \
	"     SELECT FROM dmesh.data_product p" \
	"       JOIN dmesh.domain dm ON dm.domain_id = p.domain_id" \
	"      WHERE p.status <> 'retired'" \
	"        AND (p.source_relation = c.oid" \
	"             OR EXISTS (SELECT FROM dmesh.output_port o" \
	"                         WHERE o.product_id = p.product_id AND o.status <> 'retired'" \
	"                           AND to_regclass(format('%I.%I', dm.schema_name, o.relation_name)) = c.oid)))" \
	"  FROM pg_depend d" \
	"  LEFT JOIN pg_rewrite r" \
	"    ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid" \
	"  LEFT JOIN pg_class c ON c.oid = r.ev_class" \
	" WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = $1" \
	"   AND d.deptype = 'n' AND r.ev_class IS DISTINCT FROM $1" \
	" ORDER BY 1"

/*
 * Refuse to drop a published view that other objects depend on, naming
 * them and their owners (a plain DROP would suggest CASCADE, which dmesh
 * never does on its own).  With "cascade", they may be dropped with it,
 * as DROP ... CASCADE by the view's owner would, unless one of them is
 * another product's source or published relation.  Returns the
 * dependents' descriptions as a JSON array.
 */
char *
dmesh_check_no_dependents(const DmeshProduct *product, Oid relid, const char *action,
						  bool cascade)
{
	DmeshArgs	args;
	uint64		n;
	StringInfoData detail;
	StringInfoData json;
	bool		product_depends = false;

	dmesh_args_init(&args);
	dmesh_arg_oid(&args, OIDOID, relid);
	n = dmesh_spi_exec(DEPENDENTS, &args, SPI_OK_SELECT);

	initStringInfo(&detail);
	initStringInfo(&json);
	appendStringInfoChar(&json, '[');
	for (uint64 i = 0; i < n; i++)
	{
		appendStringInfo(&detail, "%s%s depends on %s.", i > 0 ? "\n" : "",
						 dmesh_spi_text(i, 1), dmesh_qualified_relname(relid));
		if (i > 0)
			appendStringInfoString(&json, ", ");
		escape_json(&json, dmesh_spi_text(i, 1));
		if (strcmp(dmesh_spi_text(i, 2), "t") == 0)
			product_depends = true;
	}
	appendStringInfoChar(&json, ']');
	if (n == 0 || (cascade && !product_depends))
		return json.data;
	ereport(ERROR,
			(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
			 errmsg("cannot %s the published relation of data product \"%s\" because other objects depend on it",
					action, dmesh_product_display(product)),
			 errdetail("%s", detail.data),
			 product_depends ?
			 errhint("Retire the data products built on it first.") :
			 cascade || strcmp(action, "drop") != 0 ?
			 errhint("Drop or change the dependent objects first.") :
			 errhint("Drop or change the dependent objects first (their owners or a superuser can), or retire with cascade => true to drop them with it.")));
	return NULL;				/* keep compiler quiet */
}

/*
 * Drop the live relations of the product (of one major version, or all
 * when major < 0) and mark their ports retired.  Appends the names of the
 * dropped relations to "dropped" as a JSON array, and with "cascade" the
 * dependents dropped with them to "dependents".
 */
int
dmesh_drop_ports(const DmeshProduct *product, int major, bool cascade, StringInfo dropped,
				 StringInfo dependents)
{
	SPITupleTable *ports;
	uint64		n = live_ports(product, major, &ports);
	DmeshArgs	args;
	int			count = 0;

	/* Lock and check every relation before dropping any. */
	appendStringInfoChar(dependents, '[');
	for (uint64 i = 0; i < n; i++)
	{
		Oid			relid = dmesh_port_relation(product,
												 SPI_getvalue(ports->vals[i], ports->tupdesc, 1));

		if (OidIsValid(relid))
		{
			char	   *deps;

			dmesh_lock_relation(relid, AccessExclusiveLock);
			deps = dmesh_check_no_dependents(product, relid, "drop", cascade);
			if (strcmp(deps, "[]") != 0)
				appendStringInfo(dependents, "%s%.*s", dependents->len > 1 ? ", " : "",
								 (int) strlen(deps) - 2, deps + 1);
		}
	}
	appendStringInfoChar(dependents, ']');

	appendStringInfoChar(dropped, '[');
	for (uint64 i = 0; i < n; i++)
	{
		char	   *relname = SPI_getvalue(ports->vals[i], ports->tupdesc, 1);
		char	   *qualified = port_qualified_name(product, relname);

		if (OidIsValid(dmesh_port_relation(product, relname)))
		{
			dmesh_spi_utility(psprintf(cascade ? "DROP VIEW %s CASCADE" : "DROP VIEW %s",
									   qualified));
			if (count++ > 0)
				appendStringInfoString(dropped, ", ");
			escape_json(dropped, qualified);
		}
	}
	appendStringInfoChar(dropped, ']');

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product->id);
	dmesh_arg_int4(&args, major);
	dmesh_spi_exec("UPDATE dmesh.output_port SET status = 'retired', retired_at = now(),"
				   "       updated_at = now()"
				   " WHERE product_id = $1 AND status <> 'retired' AND ($2 < 0 OR major = $2)",
				   &args, SPI_OK_UPDATE);
	return count;
}
