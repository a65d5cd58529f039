/*-------------------------------------------------------------------------
 *
 * quality_enforce.c
 *		Holding writes to a product's source table to its contract.
 *
 * dmesh.enforce_contract(product, mode) puts two triggers on the source
 * table:
 *		zz_dmesh_contract_<id>		BEFORE INSERT OR UPDATE, FOR EACH ROW
 *		zz_dmesh_contract_<id>_stmt	AFTER INSERT OR UPDATE, FOR EACH STATEMENT
 *									(warn and quarantine modes only)
 * Their arguments are the product id and the mode, so the triggers are the
 * only record of enforcement (dmesh.enforcement reads them).  The names
 * sort after most others, so the row trigger sees the row as other BEFORE
 * triggers left it.  INSERT, UPDATE, COPY and MERGE all fire them.
 *
 * The row trigger tests the row against every rule a single row can break
 * (see DmeshOnWrite; rules not run here are left out), with the rules
 * compiled once per backend
 * (quality_rule_cache.c).  Duplicates are looked up in the table with a saved plan
 * (an index makes it fast); two concurrent transactions writing the same
 * new value do not see each other, which only a unique index prevents.
 *
 *	reject		the statement fails with check_violation
 *	quarantine	the row is not written, it goes to dmesh.quarantined_row
 *	warn		the row is written, the violation is counted
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_class.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "dmesh.h"
#include "contract.h"
#include "product.h"
#include "quality.h"

PG_FUNCTION_INFO_V1(dmesh_enforce_contract);
PG_FUNCTION_INFO_V1(dmesh_contract_row);
PG_FUNCTION_INFO_V1(dmesh_contract_statement);

#define MAX_SHOWN_VALUE 64

typedef enum EnforceMode
{
	MODE_REJECT,
	MODE_QUARANTINE,
	MODE_WARN
} EnforceMode;

static EnforceMode
parse_mode(const char *mode)
{
	if (strcmp(mode, "reject") == 0)
		return MODE_REJECT;
	if (strcmp(mode, "quarantine") == 0)
		return MODE_QUARANTINE;
	if (strcmp(mode, "warn") == 0)
		return MODE_WARN;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown enforcement mode \"%s\"", mode),
			 errhint("Modes are reject, quarantine, warn and off.")));
	return MODE_REJECT;			/* keep compiler quiet */
}

/* ----------------------------------------------------------------
 * dmesh.enforce_contract
 * ----------------------------------------------------------------
 */

static const char *
on_write_text(const DmeshRule *r)
{
	switch (r->on_write)
	{
		case DMESH_ON_WRITE_ROW:
			return "each row";
		case DMESH_ON_WRITE_LOOKUP:
			return "each row, looked up in the table";
		case DMESH_ON_WRITE_NOT_RUN:
			return r->expected; /* "not run here: <why>" */
		default:
			return "only by dmesh.check_product";
	}
}

static void
drop_trigger(Oid relid, const char *name)
{
	DmeshArgs	args;

	dmesh_args_init(&args);
	dmesh_arg_oid(&args, OIDOID, relid);
	dmesh_arg_text(&args, name);
	if (dmesh_spi_exec("SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = $1 AND tgname = $2",
					   &args, SPI_OK_SELECT) > 0)
	{
		dmesh_lock_relation(relid, AccessExclusiveLock);
		dmesh_spi_utility(psprintf("DROP TRIGGER %s ON %s", quote_identifier(name),
								   dmesh_qualified_relname(relid)));
	}
}

/* Remove the enforcement triggers of a product, if there are any. */
void
dmesh_drop_enforcement(const DmeshProduct *product)
{
	char	   *trigger = psprintf("zz_dmesh_contract_%lld", (long long) product->id);

	/* the product's one source, or each object's (unless seen through one) */
	for (int i = 0; i < (product->object ? 1 : product->nobjects); i++)
	{
		Oid			relid = product->object ? product->source_relid :
			dmesh_product_object(product, i).source_relid;

		if (!OidIsValid(relid) || !SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
			continue;
		drop_trigger(relid, trigger);
		drop_trigger(relid, psprintf("%s_stmt", trigger));
	}
}

/*
 * Put the write triggers on (or take them off) the source of one object of
 * a product (or its one source); returns the compiled rules (NULL for off).
 */
static DmeshRuleSet *
enforce_object(const DmeshProduct *product, const DmeshContract *contract, const char *mode,
			   bool off, Oid caller, char **table_out)
{
	DmeshRuleSet *rs;
	char	   *table;
	char	   *trigger;
	char		relkind;
	const char *what = product->object ?
		psprintf("object \"%s\" of data product \"%s\"", product->object, dmesh_product_display(product)) :
		psprintf("data product \"%s\"", dmesh_product_display(product));

	if (!OidIsValid(product->source_relid))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("%s is defined by a query", what),
				 errdetail("Writes are held to a contract on the table they go to."),
				 errhint("Enforce the contract on a product whose sources are tables, or check this one with dmesh.check_product.")));
	relkind = get_rel_relkind(product->source_relid);
	if (!off && relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("source %s of %s is not a table",
						dmesh_qualified_relname(product->source_relid), what),
				 errdetail("Writes are held to a contract on the table they go to.")));
	if (relkind != '\0' && !pg_class_ownercheck(product->source_relid, caller))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to enforce the contract of data product \"%s\"",
						dmesh_product_display(product)),
				 errdetail("Enforcement puts triggers on %s; only its owner may do that.",
						   dmesh_qualified_relname(product->source_relid))));

	/* Compiling now reports any rule dmesh cannot evaluate. */
	rs = off ? NULL :
		dmesh_rules_compile_as(product->owner, (DmeshContract *) contract,
							   dmesh_property_types(contract, dmesh_source_tupdesc(product), NULL),
							   CurrentMemoryContext);

	table = relkind ? dmesh_qualified_relname(product->source_relid) :
		psprintf("%u", product->source_relid);
	trigger = psprintf("zz_dmesh_contract_%lld", (long long) product->id);
	/* dropping a trigger locks the table exclusively; adding one, less */
	if (relkind != '\0')
		dmesh_lock_relation(product->source_relid,
							OidIsValid(get_trigger_oid(product->source_relid, trigger, true)) ?
							AccessExclusiveLock : ShareRowExclusiveLock);
	dmesh_drop_enforcement(product);
	if (!off)
	{
		dmesh_spi_utility(psprintf("CREATE TRIGGER %s BEFORE INSERT OR UPDATE ON %s"
								   " FOR EACH ROW EXECUTE FUNCTION dmesh._contract_row('%lld', %s)",
								   quote_identifier(trigger), table, (long long) product->id,
								   quote_literal_cstr(mode)));
		if (strcmp(mode, "reject") != 0)
			dmesh_spi_utility(psprintf("CREATE TRIGGER %s AFTER INSERT OR UPDATE ON %s"
									   " FOR EACH STATEMENT EXECUTE FUNCTION dmesh._contract_statement('%lld', %s)",
									   quote_identifier(psprintf("%s_stmt", trigger)), table,
									   (long long) product->id, quote_literal_cstr(mode)));
	}
	*table_out = table;
	return rs;
}

Datum
dmesh_enforce_contract(PG_FUNCTION_ARGS)
{
	char	   *ref = dmesh_text_arg(fcinfo, 0, "product");
	char	   *mode = dmesh_text_arg(fcinfo, 1, "mode");
	Oid			caller = GetUserId();
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		off = (strcmp(mode, "off") == 0);
	DmeshSection section;
	DmeshProduct product;
	DmeshContract *contract;
	DmeshJson	details;
	StringInfoData tables;
	int			nparts;
	DmeshRuleSet **rs;
	char	  **objects;
	char	   *single_table = NULL;

	if (!off)
		(void) parse_mode(mode);
	InitMaterializedSRF(fcinfo, 0);
	dmesh_begin_product_call(ref, caller, "enforce contracts on", &section, &product);
	if (!off)
		dmesh_refuse_retired(&product, "enforce the contract of");
	contract = dmesh_load_contract(&product, NULL, -1);

	/* each object's source (a product with one source: that source) */
	nparts = dmesh_product_has_objects(&product) ? product.nobjects : 1;
	rs = palloc0(sizeof(DmeshRuleSet *) * nparts);
	objects = palloc0(sizeof(char *) * nparts);
	initStringInfo(&tables);
	appendStringInfoChar(&tables, '[');
	for (int i = 0; i < nparts; i++)
	{
		DmeshProduct view = dmesh_product_object(&product, i);
		DmeshContract *object = contract;
		char	   *table;

		if (view.object != NULL)
		{
			int			c = dmesh_contract_find_object(contract, view.object);

			if (c < 0)
			{
				/* an object of an older major only: no rules now, triggers off */
				if (!off)
					continue;
			}
			else
				object = dmesh_contract_object(contract, c);
		}
		objects[i] = view.object;
		rs[i] = enforce_object(&view, object, mode, off, caller, &table);
		single_table = table;
		if (tables.len > 1)
			appendStringInfoString(&tables, ", ");
		escape_json(&tables, table);
	}
	appendStringInfoChar(&tables, ']');

	dmesh_json_init(&details);
	dmesh_json_str(&details, "mode", mode);
	if (dmesh_product_has_objects(&product))
		dmesh_json_raw(&details, "relations", tables.data);
	else
		dmesh_json_str(&details, "relation", single_table);
	dmesh_json_str(&details, "contract_version", contract->version);
	dmesh_log_event(caller, "enforce_contract", "data_product", dmesh_product_display(&product),
					product.domain.id, product.id, dmesh_json_finish(&details));

	for (int p = 0; !off && p < nparts; p++)
	{
		for (int i = 0; rs[p] != NULL && i < rs[p]->nrules; i++)
		{
			DmeshRule  *r = &rs[p]->rules[i];
			Datum		values[4];
			bool		nulls[4] = {0};

			values[0] = CStringGetTextDatum(r->name);
			nulls[1] = (r->property == NULL);
			if (r->property)
				values[1] = CStringGetTextDatum(r->property);
			values[2] = CStringGetTextDatum(on_write_text(r));
			nulls[3] = (objects[p] == NULL);
			if (objects[p])
				values[3] = CStringGetTextDatum(objects[p]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	dmesh_end_call(&section);
	return (Datum) 0;
}

/* ----------------------------------------------------------------
 * The row trigger
 * ----------------------------------------------------------------
 */

/*
 * The trigger's data, product id and mode.  Only a trigger that
 * dmesh.enforce_contract attached is accepted: its name is the product's
 * (the table it is on is checked when the product's rules are loaded, see
 * quality_rule_cache.c).
 */
/*
 * Is the trigger named as enforce_contract names it for this product:
 * "zz_dmesh_contract_<id><suffix>", with <id> as in its argument (already
 * parsed as a number)?  Checked on every row, so without building the name.
 */
static bool
named_for(const char *tgname, const char *id, const char *suffix)
{
	static const char prefix[] = "zz_dmesh_contract_";
	size_t		idlen = strlen(id);

	/* <id> as dmesh writes it: digits, no sign, space or leading zero */
	if (id[0] < '1' || id[0] > '9')
		return false;
	return strncmp(tgname, prefix, sizeof(prefix) - 1) == 0 &&
		strncmp(tgname + sizeof(prefix) - 1, id, idlen) == 0 &&
		strcmp(tgname + sizeof(prefix) - 1 + idlen, suffix) == 0;
}

static TriggerData *
trigger_data(FunctionCallInfo fcinfo, const char *name, const char *suffix, int64 *product_id,
			 EnforceMode *mode)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	char	   *end;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s can only be called as a trigger", name)));
	if (td->tg_trigger->tgnargs != 2)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s needs a product id and a mode", name),
				 errhint("Use dmesh.enforce_contract to attach it.")));
	errno = 0;
	*product_id = strtoi64(td->tg_trigger->tgargs[0], &end, 10);
	if (*end != '\0' || errno != 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s: \"%s\" is not a product id", name, td->tg_trigger->tgargs[0])));
	if (!named_for(td->tg_trigger->tgname, td->tg_trigger->tgargs[0], suffix))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" on %s was not attached by dmesh", td->tg_trigger->tgname,
						dmesh_qualified_relname(RelationGetRelid(td->tg_relation))),
				 errhint("Use dmesh.enforce_contract to hold a product's source to its contract.")));
	*mode = parse_mode(td->tg_trigger->tgargs[1]);
	return td;
}

/* "OPERATOR(schema.=)" for an equality operator. */
static char *
qualified_operator(Oid opr)
{
	HeapTuple	tuple = SearchSysCache1(OPEROID, ObjectIdGetDatum(opr));
	Form_pg_operator form;
	char	   *result;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for operator %u", opr);
	form = (Form_pg_operator) GETSTRUCT(tuple);
	result = psprintf("OPERATOR(%s.%s)",
					  quote_identifier(get_namespace_name(form->oprnamespace)),
					  NameStr(form->oprname));
	ReleaseSysCache(tuple);
	return result;
}

/* Is there another row with the same key?  (NULL keys never collide.) */
static bool
duplicate_exists(DmeshEnforcement *e, DmeshRule *r, Relation rel, Datum *values, bool *nulls,
				 HeapTuple old)
{
	DmeshRuleSet *rs = e->rs;
	Datum		args[DMESH_MAX_ARGS];
	char		argnulls[DMESH_MAX_ARGS];
	DmeshSection section;
	Oid			save_userid;
	int			save_sec_context;
	bool		exists;

	if (r->nkeys > DMESH_MAX_ARGS - 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("rule \"%s\" has more than %d key properties", r->name, DMESH_MAX_ARGS - 2)));
	for (int k = 0; k < r->nkeys; k++)
	{
		AttrNumber	att = e->attnums[r->keys[k]];

		if (nulls[att - 1])
			return false;
		args[k] = values[att - 1];
		argnulls[k] = ' ';
	}
	args[r->nkeys] = ObjectIdGetDatum(RelationGetRelid(rel));
	args[r->nkeys + 1] = old ? PointerGetDatum(&old->t_self) : (Datum) 0;
	argnulls[r->nkeys] = ' ';
	argnulls[r->nkeys + 1] = old ? ' ' : 'n';

	SPI_connect();
	if (e->lookup_plans[r->index] == NULL)
	{
		StringInfoData sql;
		Oid			types[DMESH_MAX_ARGS];
		MemoryContext old_cxt;
		SPIPlanPtr	plan;

		/* Prepared once, as the product's owner with search_path pinned. */
		dmesh_enter_as_role(&section, e->run_as);

		initStringInfo(&sql);
		appendStringInfo(&sql, "SELECT 1 FROM %s s WHERE ",
						 dmesh_qualified_relname(e->source_relid));
		for (int k = 0; k < r->nkeys; k++)
		{
			DmeshRuleColumn *col = &rs->columns[r->keys[k]];

			appendStringInfo(&sql, "s.%s %s $%d AND ",
							 quote_identifier(rs->contract->props[r->keys[k]].column),
							 qualified_operator(col->eq_opr), k + 1);
			types[k] = col->typid;
		}
		appendStringInfo(&sql, "($%d IS NULL OR s.tableoid <> $%d OR s.ctid <> $%d) LIMIT 1",
						 r->nkeys + 2, r->nkeys + 1, r->nkeys + 2);
		types[r->nkeys] = OIDOID;
		types[r->nkeys + 1] = TIDOID;
		plan = SPI_prepare(sql.data, r->nkeys + 2, types);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql.data,
				 SPI_result_code_string(SPI_result));
		old_cxt = MemoryContextSwitchTo(e->cxt);
		SPI_keepplan(plan);
		e->lookup_plans[r->index] = plan;
		MemoryContextSwitchTo(old_cxt);
		dmesh_leave(&section);
	}

	/*
	 * Each row: the saved plan names everything qualified and keeps the
	 * search_path it was made with, so only the user changes (the writer may
	 * not read the table, and must not be limited by its row security).
	 * Abort restores the user.
	 */
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(e->run_as, save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	if (SPI_execute_plan(e->lookup_plans[r->index], args, argnulls, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "duplicate lookup failed");
	exists = SPI_processed > 0;
	SetUserIdAndSecContext(save_userid, save_sec_context);
	SPI_finish();
	return exists;
}

/* The offending value as errdetail shows it: truncated, or masked. */
static char *
shown_value(DmeshEnforcement *e, DmeshRule *r, Relation rel, Datum *values, bool *nulls)
{
	StringInfoData buf;
	int			nkeys = r->test == DMESH_TEST_DUPLICATE ? r->nkeys : 1;

	initStringInfo(&buf);
	for (int k = 0; k < nkeys; k++)
	{
		int			prop = r->test == DMESH_TEST_DUPLICATE ? r->keys[k] : r->prop;
		AttrNumber	att = e->attnums[prop];

		if (k > 0)
			appendStringInfoString(&buf, ", ");
		if (nulls[att - 1])
			appendStringInfoString(&buf, "NULL");
		else if (e->masked[prop])
			appendStringInfo(&buf, "(masked: %s is classified %s)",
							 quote_identifier(e->rs->contract->props[prop].name),
							 e->rs->contract->props[prop].classification);
		else
		{
			Oid			func;
			bool		varlena;
			char	   *s;

			getTypeOutputInfo(TupleDescAttr(RelationGetDescr(rel), att - 1)->atttypid,
							  &func, &varlena);
			s = OidOutputFunctionCall(func, values[att - 1]);
			if (pg_mbstrlen(s) > MAX_SHOWN_VALUE)
				s = psprintf("%s...", pnstrdup(s, pg_mbcharcliplen(s, strlen(s), MAX_SHOWN_VALUE)));
			appendStringInfoString(&buf, quote_literal_cstr(s));
		}
	}
	return buf.data;
}

static void
reject(DmeshEnforcement *e, DmeshRule *r, Relation rel, Datum *values, bool *nulls,
	   int nbroken)
{
	const char *column = r->prop >= 0 ? e->rs->contract->props[r->prop].column : NULL;
	StringInfoData columns;

	initStringInfo(&columns);
	if (r->test == DMESH_TEST_DUPLICATE)
		for (int k = 0; k < r->nkeys; k++)
			appendStringInfo(&columns, "%s%s", k ? ", " : "",
							 e->rs->contract->props[r->keys[k]].column);
	else
		appendStringInfoString(&columns, column);

	ereport(ERROR,
			(errcode(ERRCODE_CHECK_VIOLATION),
			 errmsg("new row for data product \"%s\" breaks rule \"%s\" on column %s%s%s",
					e->display, r->name,
					r->test == DMESH_TEST_DUPLICATE && r->nkeys > 1 ? "(" : "\"",
					columns.data,
					r->test == DMESH_TEST_DUPLICATE && r->nkeys > 1 ? ")" : "\""),
			 errdetail("Failing value: %s. Rule: %s (contract %s).%s",
					   shown_value(e, r, rel, values, nulls), dmesh_rule_describe(r),
					   e->rs->version,
					   nbroken > 1 ? psprintf(" The row breaks %d rules.", nbroken) : ""),
			 column && r->test != DMESH_TEST_DUPLICATE ?
			 errtablecol(rel, e->attnums[r->prop]) : errtable(rel)));
}

Datum
dmesh_contract_row(PG_FUNCTION_ARGS)
{
	int64		product_id;
	EnforceMode mode;
	TriggerData *td = trigger_data(fcinfo, "dmesh._contract_row", "", &product_id, &mode);
	Relation	rel = td->tg_relation;
	bool		update = TRIGGER_FIRED_BY_UPDATE(td->tg_event);
	HeapTuple	tuple = update ? td->tg_newtuple : td->tg_trigtuple;
	DmeshEnforcement *e;
	DmeshRuleSet *rs;
	TupleDesc	desc = RelationGetDescr(rel);
	Datum	   *values;
	bool	   *nulls;
	int		   *broken;
	int			nbroken = 0;

	if (!TRIGGER_FIRED_BEFORE(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event) ||
		TRIGGER_FIRED_BY_DELETE(td->tg_event) || TRIGGER_FIRED_BY_TRUNCATE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("dmesh._contract_row must fire BEFORE INSERT OR UPDATE FOR EACH ROW")));

	e = dmesh_enforcement(product_id, rel);
	rs = e->rs;
	if (rs->nrules == 0)
		return PointerGetDatum(tuple);

	values = palloc(sizeof(Datum) * desc->natts);
	nulls = palloc(sizeof(bool) * desc->natts);
	heap_deform_tuple(tuple, desc, values, nulls);
	broken = palloc(sizeof(int) * rs->nrules);

	for (int i = 0; i < rs->nrules; i++)
	{
		DmeshRule  *r = &rs->rules[i];
		bool		offends;

		if (r->on_write == DMESH_ON_WRITE_ROW)
		{
			AttrNumber	att = e->attnums[r->prop];

			offends = dmesh_rule_offends(rs, r, values[att - 1], nulls[att - 1]);
		}
		else if (r->on_write == DMESH_ON_WRITE_LOOKUP)
			offends = duplicate_exists(e, r, rel, values, nulls,
									   update ? td->tg_trigtuple : NULL);
		else
			continue;
		if (offends)
			broken[nbroken++] = i;
	}
	if (nbroken == 0)
		return PointerGetDatum(tuple);

	if (mode == MODE_REJECT)
		reject(e, &rs->rules[broken[0]], rel, values, nulls, nbroken);

	for (int i = 0; i < nbroken; i++)
		e->broken[broken[i]]++;
	if (mode == MODE_WARN)
		return PointerGetDatum(tuple);

	dmesh_quarantine_row(e, rel, tuple, update ? td->tg_trigtuple : NULL, broken, nbroken);
	e->quarantined++;
	return PointerGetDatum(NULL);
}

/* ----------------------------------------------------------------
 * The statement trigger: record the statement's violations
 * ----------------------------------------------------------------
 */

typedef struct Flush
{
	const char *mode;
	const char *writer;
	int64		rows;
	int			rules;
	StringInfoData which;
	char	   *display;
} Flush;

static void
flush_entry(DmeshEnforcement *e, void *arg)
{
	Flush	   *f = arg;

	for (int i = 0; i < e->rs->nrules; i++)
	{
		DmeshRule  *r = &e->rs->rules[i];
		DmeshArgs	args;

		if (e->broken[i] == 0)
			continue;
		dmesh_args_init(&args);
		dmesh_arg_int8(&args, e->key.product_id);
		dmesh_arg_text(&args, e->rs->version);
		dmesh_arg_text(&args, r->name);
		dmesh_arg_text(&args, r->property ? r->property : "");
		dmesh_arg_text(&args, f->mode);
		dmesh_arg_int8(&args, e->broken[i]);
		dmesh_arg_text(&args, f->writer);
		dmesh_spi_exec("INSERT INTO dmesh.rule_violation_log (product_id, contract_version,"
					   " rule, property, mode, violations, written_by)"
					   " VALUES ($1, $2, $3, $4, $5, $6, $7)",
					   &args, SPI_OK_INSERT);
		appendStringInfo(&f->which, "%s%s (%lld)", f->rules ? ", " : "",
						 r->property ? psprintf("%s.%s", r->property, r->name) : r->name,
						 (long long) e->broken[i]);
		f->rules++;
		e->broken[i] = 0;
	}
	f->rows += e->quarantined;
	e->quarantined = 0;
	f->display = e->display;
}

static void
any_broken(DmeshEnforcement *e, void *arg)
{
	int		   *n = arg;

	for (int i = 0; i < e->rs->nrules; i++)
		if (e->broken[i] > 0)
			(*n)++;
}

Datum
dmesh_contract_statement(PG_FUNCTION_ARGS)
{
	int64		product_id;
	EnforceMode mode;
	TriggerData *td = trigger_data(fcinfo, "dmesh._contract_statement", "_stmt", &product_id,
								   &mode);
	DmeshSection section;
	Flush		f = {0};

	if (!TRIGGER_FIRED_AFTER(td->tg_event) || !TRIGGER_FIRED_FOR_STATEMENT(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("dmesh._contract_statement must fire AFTER ... FOR EACH STATEMENT")));

	/* only on the product's source (checked once per backend and table) */
	(void) dmesh_enforcement(product_id, td->tg_relation);

	/* Most statements break nothing: then there is nothing to record. */
	dmesh_enforcement_foreach(product_id, any_broken, &f.rules);
	if (f.rules == 0)
		return PointerGetDatum(NULL);
	f.rules = 0;

	f.mode = mode == MODE_WARN ? "warn" : "quarantine";
	f.writer = dmesh_role_name(GetUserId());
	initStringInfo(&f.which);
	SPI_connect();
	dmesh_enter_privileged(&section);
	dmesh_enforcement_foreach(product_id, flush_entry, &f);
	dmesh_leave(&section);
	SPI_finish();

	if (f.rules > 0 && mode == MODE_WARN)
		ereport(WARNING,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("rows written to data product \"%s\" break its contract", f.display),
				 errdetail("Rules broken (rows): %s.", f.which.data),
				 errhint("The rows were written (warn mode); dmesh.rule_violation counts them.")));
	else if (f.rows > 0)
		ereport(NOTICE,
				(errmsg_plural("%lld row written to data product \"%s\" was quarantined",
							   "%lld rows written to data product \"%s\" were quarantined",
							   f.rows, (long long) f.rows, f.display),
				 errdetail("Rules broken (rows): %s.", f.which.data),
				 errhint("See dmesh.quarantine; dmesh.release_quarantine writes them back.")));
	return PointerGetDatum(NULL);
}
