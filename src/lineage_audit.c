/*-------------------------------------------------------------------------
 *
 * lineage_audit.c
 *		DDL on a product's relations lands in dmesh.event_log.
 *
 * dmesh._audit_ddl (ddl_command_end, for the command tags that can change
 * a relation without replacing it: ALTER, CREATE INDEX / TRIGGER / RULE /
 * POLICY / STATISTICS, COMMENT, GRANT, REVOKE, SECURITY LABEL) finds the
 * relations the command names from its parse tree.  When one is the
 * source of a product that is not retired, or a relation in a domain's
 * schema, one event per product is written: action 'ddl', the role, the
 * time, and in details the command tag and every object the command
 * created or changed (pg_event_trigger_ddl_commands()).  DDL on other
 * relations costs two index probes per relation named, no SPI.  Drops of
 * live products' relations are refused by the DDL gate; the drop of a
 * draft's source is recorded by dmesh._audit_drop (sql_drop).
 *
 * dmesh's own DDL (publishing, rewriting views) is recorded by the action
 * that caused it and is not audited again.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/cmdtag.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "dmesh.h"

PG_FUNCTION_INFO_V1(dmesh_audit_ddl);
PG_FUNCTION_INFO_V1(dmesh_audit_drop);

/* One event per product the relation $4 belongs to (as source or published relation). */
#define AUDIT_EVENT \
	"INSERT INTO dmesh.event_log" \
	"    (role_name, session_role, action, object_type, object_identity, domain_id, product_id, details)" \
	"SELECT $1, session_user, 'ddl', 'data_product', d.name || '.' || p.name, p.domain_id, p.product_id," \
	"       jsonb_build_object('command_tag', $2::text, 'relation', dmesh._relname($4)," \
	"                          'relation_is', CASE WHEN p.source_relation = $4" \
	"                                                OR EXISTS (SELECT FROM dmesh.product_object po" \
	"                                                            WHERE po.product_id = p.product_id" \
	"                                                              AND po.source_relation = $4)" \
	"                                              THEN 'source'" \
	"                                              ELSE 'published relation' END," \
	"                          'objects', (SELECT coalesce(jsonb_agg(jsonb_build_object(" \
	"                                                'object_type', c.object_type," \
	"                                                'object_identity', c.object_identity)), '[]')" \
	"                                        FROM pg_event_trigger_ddl_commands() c)," \
	"                          'statement', left($3::text, 2000))" \
	"  FROM dmesh.data_product p JOIN dmesh.domain d ON d.domain_id = p.domain_id" \
	" WHERE p.status <> 'retired'" \
	"   AND (p.source_relation = $4" \
	"        OR EXISTS (SELECT FROM dmesh.product_object po" \
	"                    WHERE po.product_id = p.product_id AND po.source_relation = $4)" \
	"        OR EXISTS (SELECT FROM dmesh.output_port o" \
	"                    WHERE o.product_id = p.product_id AND o.status <> 'retired'" \
	"                      AND to_regclass(format('%I.%I', d.schema_name, o.relation_name)) = $4))"

/* Drafts whose source was dropped. */
#define AUDIT_DROP \
	"INSERT INTO dmesh.event_log" \
	"    (role_name, session_role, action, object_type, object_identity, domain_id, product_id, details)" \
	"SELECT $1, session_user, 'ddl', 'data_product', d.name || '.' || p.name, p.domain_id, p.product_id," \
	"       jsonb_build_object('command_tag', $2::text, 'relation', x.object_identity," \
	"                          'relation_is', 'source', 'dropped', true, 'statement', left($3::text, 2000))" \
	"  FROM pg_event_trigger_dropped_objects() x" \
	"  JOIN dmesh.data_product p ON p.source_relation = x.objid" \
	"       OR p.product_id IN (SELECT po.product_id FROM dmesh.product_object po" \
	"                            WHERE po.source_relation = x.objid)" \
	"  JOIN dmesh.domain d ON d.domain_id = p.domain_id" \
	" WHERE x.classid = 'pg_class'::regclass AND x.objsubid = 0 AND p.status <> 'retired'"

/*
 * Is the relation a product's: the source of a product that is not
 * retired (any product: an index probe finds those), or in a domain's
 * schema?  No SPI.
 */
static bool
is_product_relation(Oid relid)
{
	return OidIsValid(relid) &&
		(dmesh_in_domain_schema(relid) ||
		 dmesh_catalog_has_oid("data_product", "data_product_source_relation_idx",
							   "source_relation", relid) ||
		 dmesh_catalog_has_oid("product_object", "product_object_source_relation_idx",
							   "source_relation", relid));
}

static Oid
rangevar_relation(RangeVar *rv)
{
	Oid			relid;

	if (rv == NULL)
		return InvalidOid;
	relid = RangeVarGetRelid(rv, NoLock, true);
	/* an index: its table */
	if (OidIsValid(relid) && get_rel_relkind(relid) == RELKIND_INDEX)
		relid = IndexGetRelation(relid, true);
	return relid;
}

/* The relation an object named in COMMENT or SECURITY LABEL belongs to. */
static Oid
object_relation(ObjectType objtype, Node *object)
{
	Relation	rel = NULL;
	ObjectAddress address;
	Oid			relid = InvalidOid;

	switch (objtype)
	{
		case OBJECT_TABLE:
		case OBJECT_VIEW:
		case OBJECT_MATVIEW:
		case OBJECT_FOREIGN_TABLE:
		case OBJECT_COLUMN:
		case OBJECT_INDEX:
		case OBJECT_TRIGGER:
		case OBJECT_RULE:
		case OBJECT_POLICY:
		case OBJECT_TABCONSTRAINT:
			break;
		default:
			return InvalidOid;
	}
	address = get_object_address(objtype, object, &rel, AccessShareLock, true);
	if (rel != NULL)
	{
		relid = RelationGetRelid(rel);
		relation_close(rel, NoLock);
	}
	else if (address.classId == RelationRelationId)
		relid = address.objectId;
	if (OidIsValid(relid) && get_rel_relkind(relid) == RELKIND_INDEX)
		relid = IndexGetRelation(relid, true);
	return relid;
}

/* The relations a command names. */
static List *
command_relations(Node *parsetree)
{
	List	   *relids = NIL;
	ListCell   *lc;

	switch (nodeTag(parsetree))
	{
		case T_AlterTableStmt:
			relids = lappend_oid(relids, rangevar_relation(((AlterTableStmt *) parsetree)->relation));
			break;
		case T_IndexStmt:
			relids = lappend_oid(relids, rangevar_relation(((IndexStmt *) parsetree)->relation));
			break;
		case T_CreateTrigStmt:
			relids = lappend_oid(relids, rangevar_relation(((CreateTrigStmt *) parsetree)->relation));
			break;
		case T_RuleStmt:
			relids = lappend_oid(relids, rangevar_relation(((RuleStmt *) parsetree)->relation));
			break;
		case T_CreatePolicyStmt:
			relids = lappend_oid(relids, rangevar_relation(((CreatePolicyStmt *) parsetree)->table));
			break;
		case T_AlterPolicyStmt:
			relids = lappend_oid(relids, rangevar_relation(((AlterPolicyStmt *) parsetree)->table));
			break;
		case T_CreateStatsStmt:
			foreach(lc, ((CreateStatsStmt *) parsetree)->relations)
				if (IsA(lfirst(lc), RangeVar))
					relids = lappend_oid(relids, rangevar_relation(lfirst(lc)));
			break;
		case T_CommentStmt:
			relids = lappend_oid(relids, object_relation(((CommentStmt *) parsetree)->objtype,
														 ((CommentStmt *) parsetree)->object));
			break;
		case T_SecLabelStmt:
			relids = lappend_oid(relids, object_relation(((SecLabelStmt *) parsetree)->objtype,
														 ((SecLabelStmt *) parsetree)->object));
			break;
		case T_GrantStmt:
			{
				GrantStmt  *stmt = (GrantStmt *) parsetree;

				if (stmt->targtype == ACL_TARGET_OBJECT && stmt->objtype == OBJECT_TABLE)
					foreach(lc, stmt->objects)
						if (IsA(lfirst(lc), RangeVar))
							relids = lappend_oid(relids, rangevar_relation(lfirst(lc)));
			}
			break;
		default:
			break;
	}
	return relids;
}

static SPIPlanPtr audit_event_plan = NULL;

static bool
audit_applies(void)
{
	/* not dmesh's own DDL, nor an extension script */
	return !creating_extension && !dmesh_internal_ddl && OidIsValid(get_namespace_oid("dmesh", true));
}

Datum
dmesh_audit_ddl(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	List	   *relids;
	List	   *done = NIL;
	ListCell   *lc;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("dmesh._audit_ddl must be called as an event trigger")));
	trigdata = (EventTriggerData *) fcinfo->context;
	if (trigdata->parsetree == NULL || !audit_applies())
		PG_RETURN_VOID();

	relids = command_relations(trigdata->parsetree);
	foreach(lc, relids)
	{
		Oid			relid = lfirst_oid(lc);
		DmeshSection section;
		DmeshArgs	args;
		Oid			caller = GetUserId();

		if (list_member_oid(done, relid) || !is_product_relation(relid))
			continue;
		done = lappend_oid(done, relid);
		SPI_connect();
		dmesh_enter_privileged(&section);
		dmesh_args_init(&args);
		dmesh_arg_text(&args, dmesh_role_name(caller));
		dmesh_arg_text(&args, GetCommandTagName(trigdata->tag));
		dmesh_arg_text(&args, debug_query_string ? debug_query_string : "");
		dmesh_arg_oid(&args, REGCLASSOID, relid);
		(void) dmesh_spi_exec_saved(&audit_event_plan, AUDIT_EVENT, &args, SPI_OK_INSERT, false, 0);
		dmesh_leave(&section);
		SPI_finish();
	}
	PG_RETURN_VOID();
}

#define DROPPED_SOURCE \
	"SELECT FROM pg_event_trigger_dropped_objects() x" \
	"  JOIN dmesh.data_product p ON p.source_relation = x.objid" \
	"       OR p.product_id IN (SELECT po.product_id FROM dmesh.product_object po" \
	"                            WHERE po.source_relation = x.objid)" \
	" WHERE x.classid = 'pg_class'::regclass AND x.objsubid = 0 AND p.status <> 'retired'" \
	" LIMIT 1"

static SPIPlanPtr dropped_source_plan = NULL;

Datum
dmesh_audit_drop(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	Oid			caller = GetUserId();
	uint64		found;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("dmesh._audit_drop must be called as an event trigger")));
	trigdata = (EventTriggerData *) fcinfo->context;
	if (trigdata->parsetree == NULL || !audit_applies() ||
		!OidIsValid(get_relname_relid("data_product", get_namespace_oid("dmesh", false))))
		PG_RETURN_VOID();

	SPI_connect();
	/* Most drops are of no product's source: one planned query, no privilege switch. */
	found = dmesh_spi_exec_saved(&dropped_source_plan, DROPPED_SOURCE, NULL, SPI_OK_SELECT, true, 1);
	if (found > 0)
	{
		DmeshSection section;
		DmeshArgs	args;

		dmesh_enter_privileged(&section);
		dmesh_args_init(&args);
		dmesh_arg_text(&args, dmesh_role_name(caller));
		dmesh_arg_text(&args, GetCommandTagName(trigdata->tag));
		dmesh_arg_text(&args, debug_query_string ? debug_query_string : "");
		(void) dmesh_spi_exec(AUDIT_DROP, &args, SPI_OK_INSERT);
		dmesh_leave(&section);
	}
	SPI_finish();
	PG_RETURN_VOID();
}
