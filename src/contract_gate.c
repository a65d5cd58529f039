/*-------------------------------------------------------------------------
 *
 * contract_gate.c
 *		The DDL gate: event triggers that keep published products true to
 *		their contracts.
 *
 * dmesh.ddl_gate (ddl_command_end) looks at the relations the command
 * changed.  If one is the source or a live published relation of a
 * published or deprecated product, the product must still match its
 * active contract (and each live relation the contract of its major
 * version) after the command; otherwise the command fails, in the same
 * transaction, naming the product, the contract version and the columns.
 * dmesh.drop_gate (sql_drop) refuses to drop such a source or relation.
 * dmesh.column_gate (ddl_command_start, ALTER commands only) refuses
 * before anything happens to drop, retype or rename a source column that
 * a live contract publishes, with the contract and property named.
 * A product whose gate is 'warn' lets the command through with a warning
 * and a 'contract_breach' event.
 *
 * For everything else the gate is silent and cheap: when the parse tree
 * names the relation, a syscache lookup and one index probe of
 * dmesh.data_product decide; otherwise one catalog query, planned once per
 * backend and run without a privilege switch.  Nothing is printed.  It stands aside while an extension script runs and
 * while dmesh itself runs DDL (dmesh.internal_ddl).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/event_trigger.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "tcop/cmdtag.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "dmesh.h"
#include "contract.h"
#include "product.h"

PG_FUNCTION_INFO_V1(dmesh_ddl_gate);
PG_FUNCTION_INFO_V1(dmesh_drop_gate);
PG_FUNCTION_INFO_V1(dmesh_column_gate);

/*
 * Live products whose source the command changed, or with a relation in
 * the schema of their domain that it changed (a published relation, even
 * one renamed away from its name).
 */
#define CHANGED_PRODUCTS \
	"WITH changed AS (" \
	"  SELECT objid FROM pg_event_trigger_ddl_commands()" \
	"   WHERE classid = 'pg_class'::regclass)" \
	"SELECT d.name, p.name FROM dmesh.data_product p" \
	"  JOIN dmesh.domain d ON d.domain_id = p.domain_id" \
	" WHERE p.status IN ('published', 'deprecated')" \
	"   AND (p.source_relation IN (SELECT objid FROM changed)" \
	"        OR p.product_id IN (SELECT o.product_id FROM dmesh.product_object o" \
	"                             WHERE o.source_relation IN (SELECT objid FROM changed))" \
	"        OR EXISTS (SELECT 1 FROM pg_class r" \
	"                     JOIN pg_namespace n ON n.oid = r.relnamespace" \
	"                    WHERE n.nspname = d.schema_name" \
	"                      AND r.oid IN (SELECT objid FROM changed)))" \
	" ORDER BY 1, 2"

/* Sources and live published relations of live products that were dropped. */
#define DROPPED_PRODUCTS \
	"WITH dropped AS (" \
	"  SELECT objid, schema_name, object_name, object_identity" \
	"    FROM pg_event_trigger_dropped_objects()" \
	"   WHERE classid = 'pg_class'::regclass AND objsubid = 0)" \
	"SELECT d.name, p.name, x.object_identity, 'the source'" \
	"  FROM dropped x JOIN dmesh.data_product p ON p.source_relation = x.objid" \
	"  JOIN dmesh.domain d ON d.domain_id = p.domain_id" \
	" WHERE p.status IN ('published', 'deprecated')" \
	"UNION ALL " \
	"SELECT d.name, p.name, x.object_identity, 'the source of object ' || quote_ident(o.object)" \
	"  FROM dropped x JOIN dmesh.product_object o ON o.source_relation = x.objid" \
	"  JOIN dmesh.data_product p ON p.product_id = o.product_id" \
	"  JOIN dmesh.domain d ON d.domain_id = p.domain_id" \
	" WHERE p.status IN ('published', 'deprecated')" \
	"UNION ALL " \
	"SELECT d.name, p.name, x.object_identity, 'a published relation'" \
	"  FROM dropped x JOIN dmesh.domain d ON d.schema_name = x.schema_name" \
	"  JOIN dmesh.output_port o ON o.relation_name = x.object_name AND o.status <> 'retired'" \
	"  JOIN dmesh.data_product p ON p.product_id = o.product_id AND p.domain_id = d.domain_id" \
	" WHERE p.status IN ('published', 'deprecated')" \
	" ORDER BY 1, 2, 3"

/*
 * The gate's first query decides whether a command concerns any live
 * product at all; for most DDL it does not, and the gate must cost next to
 * nothing.  The query is planned once per backend (with search_path
 * pinned; the plan cache keeps that search_path for replanning) and runs
 * without a privileged section: dmesh's catalogs are readable by all.
 */
static SPIPlanPtr
gate_plan(SPIPlanPtr *slot, const char *sql, int nargs, Oid *argtypes)
{
	if (*slot == NULL)
	{
		DmeshSection section;
		SPIPlanPtr	plan;

		dmesh_pin_search_path(&section);
		plan = SPI_prepare(sql, nargs, argtypes);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql,
				 SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		dmesh_leave(&section);
		*slot = plan;
	}
	return *slot;
}

static uint64
gate_query(SPIPlanPtr *slot, const char *sql, int nargs, Oid *argtypes, Datum *values)
{
	int			rc = SPI_execute_plan(gate_plan(slot, sql, nargs, argtypes), values, NULL,
									  false, 0);

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	return SPI_processed;
}

/*
 * Is this relation watched by the gate: in a domain's schema (dmesh_*), the
 * source of a published or deprecated product, or the source of an object
 * of a product with several?  Answered from the system caches and index
 * scans of dmesh.data_product and dmesh.product_object, without SPI.
 */
static bool
relation_watched(Oid relid)
{
	Oid			extschema = get_namespace_oid("dmesh", false);	/* not relocatable */
	Oid			tableid = get_relname_relid("data_product", extschema);
	Oid			indexid = get_relname_relid("data_product_source_relation_idx", extschema);
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	AttrNumber	source_att;
	AttrNumber	status_att;
	bool		watched = false;

	if (dmesh_in_domain_schema(relid))
		return true;
	if (!OidIsValid(tableid) || !OidIsValid(indexid))
		return true;			/* cannot tell: take the general path */

	source_att = get_attnum(tableid, "source_relation");
	status_att = get_attnum(tableid, "status");
	rel = table_open(tableid, AccessShareLock);
	ScanKeyInit(&key, source_att, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, indexid, true, NULL, 1, &key);
	while (!watched && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		bool		isnull;
		char	   *status = TextDatumGetCString(heap_getattr(tuple, status_att,
															  RelationGetDescr(rel), &isnull));

		watched = strcmp(status, "published") == 0 || strcmp(status, "deprecated") == 0;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (!watched)
		watched = dmesh_catalog_has_oid("product_object", "product_object_source_relation_idx",
										"source_relation", relid);
	return watched;
}

/*
 * The relation a command changed, from its parse tree, when that is known
 * for sure (InvalidOid otherwise: the general path then decides).
 */
static Oid
command_relation(Node *parsetree)
{
	RangeVar   *rv = NULL;

	switch (nodeTag(parsetree))
	{
		case T_AlterTableStmt:
			rv = ((AlterTableStmt *) parsetree)->relation;
			break;
		case T_ViewStmt:
			rv = ((ViewStmt *) parsetree)->view;
			break;
		case T_RenameStmt:
			{
				RenameStmt *stmt = (RenameStmt *) parsetree;

				if (stmt->relation == NULL)
					return InvalidOid;
				rv = copyObject(stmt->relation);
				/* A renamed relation is found under its new name. */
				if (stmt->renameType == OBJECT_TABLE || stmt->renameType == OBJECT_VIEW ||
					stmt->renameType == OBJECT_MATVIEW ||
					stmt->renameType == OBJECT_FOREIGN_TABLE)
					rv->relname = stmt->newname;
				break;
			}
		case T_AlterObjectSchemaStmt:
			{
				AlterObjectSchemaStmt *stmt = (AlterObjectSchemaStmt *) parsetree;

				if (stmt->relation == NULL)
					return InvalidOid;
				rv = copyObject(stmt->relation);
				rv->schemaname = stmt->newschema;
				break;
			}
		default:
			return InvalidOid;
	}
	return rv ? RangeVarGetRelid(rv, NoLock, true) : InvalidOid;
}

static SPIPlanPtr changed_plan = NULL;
static SPIPlanPtr dropped_plan = NULL;
static SPIPlanPtr column_plan = NULL;

static bool
gate_stands_aside(FunctionCallInfo fcinfo)
{
	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired by an event trigger",
						"dmesh gate")));
	return dmesh_internal_ddl || creating_extension;
}

/*
 * Refuse the command (gate 'enforce') or let it through with a warning and
 * a contract_breach event (gate 'warn').
 */
static void
gate_report(Oid caller, const DmeshProduct *product, const char *version,
			const char *command, const char *what, const char *detail)
{
	char	   *display = dmesh_product_display(product);

	if (strcmp(product->gate, "warn") == 0)
	{
		DmeshJson	details;

		ereport(WARNING,
				(errmsg("%s breaks the contract of data product \"%s\"", command, display),
				 errdetail("Contract version %s:\n%s", version, detail),
				 errhint("The product's contract gate is 'warn': the change is recorded as a contract breach.")));
		dmesh_json_init(&details);
		dmesh_json_str(&details, "command", command);
		dmesh_json_str(&details, "what", what);
		dmesh_json_str(&details, "contract_version", version);
		dmesh_json_str(&details, "problems", detail);
		dmesh_log_event(caller, "contract_breach", "data_product", display,
						product->domain.id, product->id, dmesh_json_finish(&details));
		return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
			 errmsg("%s would break the contract of data product \"%s\"", command, display),
			 errdetail("Contract version %s:\n%s", version, detail),
			 errhint("Publish a contract version that no longer needs this (a new major version if it is a breaking change), or retire the product first. dmesh.set_contract_gate() can set the product's gate to 'warn'.")));
}

static void
gate_product(Oid caller, const char *domain, const char *name, const char *command)
{
	DmeshProductRef ref = {(char *) domain, (char *) name};
	DmeshProduct product;
	DmeshContract *active;
	List	   *findings;
	ListCell   *lc;

	if (!dmesh_load_product(&ref, DMESH_NO_LOCK, &product))
		return;
	active = dmesh_load_contract(&product, NULL, -1);
	findings = dmesh_check_source(&product, active);

	/* Each live published relation against the contract of its major. */
	foreach(lc, dmesh_live_port_list(&product))
	{
		DmeshPort  *port = lfirst(lc);
		DmeshContract *contract = dmesh_load_contract(&product, NULL, port->major);
		DmeshProduct view;
		DmeshContract *object;

		if (contract == NULL || !dmesh_port_object(&product, contract, port->object, &view, &object))
			continue;
		if (OidIsValid(port->relid))
			findings = list_concat(findings, dmesh_check_port(&view, object, port->relid));
		else
		{
			DmeshFinding *f = palloc(sizeof(DmeshFinding));

			f->object = object->object_name;
			f->property = NULL;
			f->problem = psprintf("the published relation of major version %d is gone", port->major);
			findings = lappend(findings, f);
		}
	}
	if (findings != NIL)
		gate_report(caller, &product, active->version, command, "change",
					dmesh_findings_text(findings));
}

Datum
dmesh_ddl_gate(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	Oid			caller = GetUserId();
	Oid			relid;
	DmeshSection section;
	uint64		n;
	SPITupleTable *affected;
	const char *command;

	if (gate_stands_aside(fcinfo))
		PG_RETURN_NULL();
	trigdata = (EventTriggerData *) fcinfo->context;
	command = GetCommandTagName(trigdata->tag);

	/* The common case: a relation that is nobody's product. */
	relid = command_relation(trigdata->parsetree);
	if (OidIsValid(relid) && !relation_watched(relid))
		PG_RETURN_NULL();

	SPI_connect();
	n = gate_query(&changed_plan, CHANGED_PRODUCTS, 0, NULL, NULL);
	if (n > 0)
	{
		affected = SPI_tuptable;
		dmesh_enter_privileged(&section);
		for (uint64 i = 0; i < n; i++)
			gate_product(caller,
						 SPI_getvalue(affected->vals[i], affected->tupdesc, 1),
						 SPI_getvalue(affected->vals[i], affected->tupdesc, 2),
						 command);
		dmesh_leave(&section);
	}
	SPI_finish();
	PG_RETURN_NULL();
}

Datum
dmesh_drop_gate(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	Oid			caller = GetUserId();
	DmeshSection section;
	uint64		n;
	SPITupleTable *dropped;
	const char *command;

	if (gate_stands_aside(fcinfo))
		PG_RETURN_NULL();
	trigdata = (EventTriggerData *) fcinfo->context;
	command = GetCommandTagName(trigdata->tag);

	SPI_connect();
	n = gate_query(&dropped_plan, DROPPED_PRODUCTS, 0, NULL, NULL);
	if (n == 0)
	{
		SPI_finish();
		PG_RETURN_NULL();
	}
	dropped = SPI_tuptable;
	dmesh_enter_privileged(&section);
	for (uint64 i = 0; i < n; i++)
	{
		DmeshProductRef ref;
		DmeshProduct product;
		DmeshContract *active;
		char	   *object = SPI_getvalue(dropped->vals[i], dropped->tupdesc, 3);
		char	   *role = SPI_getvalue(dropped->vals[i], dropped->tupdesc, 4);

		ref.domain = SPI_getvalue(dropped->vals[i], dropped->tupdesc, 1);
		ref.product = SPI_getvalue(dropped->vals[i], dropped->tupdesc, 2);
		if (!dmesh_load_product(&ref, DMESH_NO_LOCK, &product))
			continue;
		active = dmesh_load_contract(&product, NULL, -1);
		gate_report(caller, &product, active->version, command, "drop",
					psprintf("%s is %s of the product, dropped by this command.", object, role));
	}
	dmesh_end_call(&section);
	PG_RETURN_NULL();
}

/* A column a command is about to drop, retype or rename. */
typedef struct ColumnChange
{
	Oid			relid;
	char	   *column;
	const char *verb;
} ColumnChange;

static List *
column_changes(Node *parsetree)
{
	List	   *changes = NIL;

	if (IsA(parsetree, AlterTableStmt))
	{
		AlterTableStmt *stmt = (AlterTableStmt *) parsetree;
		Oid			relid = RangeVarGetRelid(stmt->relation, NoLock, true);
		ListCell   *lc;

		if (!OidIsValid(relid))
			return NIL;
		foreach(lc, stmt->cmds)
		{
			AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
			ColumnChange *c;

			if (cmd->subtype != AT_DropColumn && cmd->subtype != AT_AlterColumnType)
				continue;
			c = palloc(sizeof(ColumnChange));
			c->relid = relid;
			c->column = cmd->name;
			c->verb = cmd->subtype == AT_DropColumn ? "drop" : "change the type of";
			changes = lappend(changes, c);
		}
	}
	else if (IsA(parsetree, RenameStmt) &&
			 ((RenameStmt *) parsetree)->renameType == OBJECT_COLUMN)
	{
		RenameStmt *stmt = (RenameStmt *) parsetree;
		Oid			relid = stmt->relation ?
			RangeVarGetRelid(stmt->relation, NoLock, true) : InvalidOid;

		if (OidIsValid(relid))
		{
			ColumnChange *c = palloc(sizeof(ColumnChange));

			c->relid = relid;
			c->column = stmt->subname;
			c->verb = "rename";
			changes = lappend(changes, c);
		}
	}
	return changes;
}

/*
 * The contract versions (of live major versions, and the active one) that
 * publish a source column, as "version (property)" text, or NULL.
 */
static char *
publishing_contracts(const DmeshProduct *product, Oid relid, const char *column)
{
	StringInfoData buf;
	List	   *majors = dmesh_live_majors(product);
	int			active_major = dmesh_version_major(product->version);
	ListCell   *lc;

	if (!list_member_int(majors, active_major))
		majors = lappend_int(majors, active_major);
	initStringInfo(&buf);
	foreach(lc, majors)
	{
		DmeshContract *contract = dmesh_load_contract(product, NULL, lfirst_int(lc));

		if (contract == NULL)
			continue;
		for (int o = 0; o < contract->nobjects; o++)
		{
			const DmeshObject *object = &contract->objects[o];

			/* of a product with several objects, only the object read from relid */
			if (dmesh_product_has_objects(product))
			{
				int			p = dmesh_product_find_object(product, object->name);

				if (p < 0 || product->objects[p].relid != relid)
					continue;
			}
			for (int j = 0; j < object->nprops; j++)
				if (strcmp(object->props[j].column, column) == 0)
					appendStringInfo(&buf, "%sContract version %s publishes column \"%s\" as property \"%s\"%s%s%s.",
									 buf.len > 0 ? "\n" : "", contract->version, column,
									 object->props[j].name,
									 dmesh_product_has_objects(product) ? " of object \"" : "",
									 dmesh_product_has_objects(product) ? object->name : "",
									 dmesh_product_has_objects(product) ? "\"" : "");
		}
	}
	return buf.len > 0 ? buf.data : NULL;
}

Datum
dmesh_column_gate(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	DmeshSection section;
	List	   *changes;
	ListCell   *lc;

	if (gate_stands_aside(fcinfo))
		PG_RETURN_NULL();
	trigdata = (EventTriggerData *) fcinfo->context;

	/* Names resolve with the caller's search_path, before the section. */
	changes = column_changes(trigdata->parsetree);
	foreach(lc, changes)
	{
		if (!relation_watched(((ColumnChange *) lfirst(lc))->relid))
			changes = foreach_delete_current(changes, lc);
	}
	if (changes == NIL)
		PG_RETURN_NULL();

	SPI_connect();
	foreach(lc, changes)
	{
		ColumnChange *c = lfirst(lc);
		Oid			argtype = OIDOID;
		Datum		arg = ObjectIdGetDatum(c->relid);
		uint64		n;
		SPITupleTable *products;

		n = gate_query(&column_plan,
					   "SELECT d.name, p.name FROM dmesh.data_product p"
					   "  JOIN dmesh.domain d ON d.domain_id = p.domain_id"
					   " WHERE (p.source_relation = $1"
					   "        OR p.product_id IN (SELECT o.product_id FROM dmesh.product_object o"
					   "                             WHERE o.source_relation = $1))"
					   "   AND p.contract_gate = 'enforce'"
					   "   AND p.status IN ('published', 'deprecated') ORDER BY 1, 2",
					   1, &argtype, &arg);
		if (n == 0)
			continue;
		products = SPI_tuptable;
		dmesh_enter_privileged(&section);
		for (uint64 i = 0; i < n; i++)
		{
			DmeshProductRef ref;
			DmeshProduct product;
			char	   *detail;

			ref.domain = SPI_getvalue(products->vals[i], products->tupdesc, 1);
			ref.product = SPI_getvalue(products->vals[i], products->tupdesc, 2);
			if (!dmesh_load_product(&ref, DMESH_NO_LOCK, &product))
				continue;
			detail = publishing_contracts(&product, c->relid, c->column);
			if (detail != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
						 errmsg("cannot %s column \"%s\" of %s: data product \"%s\" publishes it",
								c->verb, c->column, dmesh_qualified_relname(c->relid),
								dmesh_product_display(&product)),
						 errdetail("%s", detail),
						 errhint("Publish a new major version of the contract without it and retire the older versions first, or retire the product. dmesh.set_contract_gate() can set the product's gate to 'warn'.")));
		}
		dmesh_leave(&section);
	}
	SPI_finish();
	PG_RETURN_NULL();
}
