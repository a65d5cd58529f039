/*-------------------------------------------------------------------------
 *
 * contract_conform.c
 *		Does the database still match a product's contract?
 *
 * Two checks, both returning a list of findings (empty when all agree):
 *	- the source: every property's column exists with a type that carries
 *	  the property's logicalType and, when given, is exactly its
 *	  physicalType (resolved with only pg_catalog in search_path, so other
 *	  types are written schema-qualified); the object's physicalName, when
 *	  given, names the source relation;
 *	- a published view: exactly the contract's properties, in order, with
 *	  the same types.
 * dmesh.contract_check() shows the first; set_contract, publication and the
 * DDL gate refuse what makes either non-empty.  dmesh_property_types gives
 * the type of each property's column, for compiling the rules.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "dmesh.h"
#include "contract.h"
#include "product.h"

PG_FUNCTION_INFO_V1(dmesh_contract_check);

static void
add_finding(List **findings, const DmeshContract *contract, const char *property,
			const char *problem)
{
	DmeshFinding *f = palloc(sizeof(DmeshFinding));

	f->object = contract->object_name;
	f->property = property ? pstrdup(property) : NULL;
	f->problem = pstrdup(problem);
	*findings = lappend(*findings, f);
}

static Form_pg_attribute
find_column(TupleDesc desc, const char *name)
{
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return att;
	}
	return NULL;
}

/*
 * Could this be a type name?  Letters, digits, spaces and the punctuation
 * of type names, with balanced brackets and quotes.  (The parser would
 * report anything else as a syntax error in the statement calling dmesh.)
 */
bool
dmesh_plausible_type_name(const char *name)
{
	int			parens = 0;
	int			brackets = 0;
	bool		quoted = false;

	for (const char *p = name; *p; p++)
	{
		if (*p == '"')
			quoted = !quoted;
		else if (quoted)
			continue;
		else if (*p == '(')
			parens++;
		else if (*p == ')')
		{
			if (--parens < 0)
				return false;
		}
		else if (*p == '[')
			brackets++;
		else if (*p == ']')
		{
			if (--brackets < 0)
				return false;
		}
		else if (!isalnum((unsigned char) *p) && !IS_HIGHBIT_SET(*p) &&
				 strchr("_ ,.$", *p) == NULL)
			return false;
	}
	return parens == 0 && brackets == 0 && !quoted && name[0] != '\0';
}

/*
 * Does a column (described as "what") fit a property's types?
 */
static void
check_types(List **findings, const DmeshContract *contract, const DmeshProperty *prop,
			Form_pg_attribute att, const char *what)
{
	char	   *actual = format_type_with_typemod(att->atttypid, att->atttypmod);

	if (!dmesh_logical_accepts(prop->logical_type, att->atttypid))
		add_finding(findings, contract, prop->name,
					psprintf("the contract says logicalType %s, but %s has type %s",
							 prop->logical_type, what, actual));
	if (prop->physical_type != NULL && !dmesh_plausible_type_name(prop->physical_type))
		add_finding(findings, contract, prop->name,
					psprintf("physicalType \"%s\" is not a valid type name", prop->physical_type));
	else if (prop->physical_type != NULL)
	{
		Oid			typid;
		int32		typmod;

		parseTypeString(prop->physical_type, &typid, &typmod, true);
		if (!OidIsValid(typid))
			add_finding(findings, contract, prop->name,
						psprintf("physicalType \"%s\" is not a known PostgreSQL type",
								 prop->physical_type));
		else if (typid != att->atttypid || (typmod >= 0 && typmod != att->atttypmod))
			add_finding(findings, contract, prop->name,
						psprintf("the contract says physicalType %s, but %s has type %s",
								 format_type_with_typemod(typid, typmod), what, actual));
	}
}

static bool
names_source(const DmeshProduct *product, const char *physical_name)
{
	char	   *relname = get_rel_name(product->source_relid);
	char	   *nspname = get_namespace_name(get_rel_namespace(product->source_relid));

	return strcmp(physical_name, relname) == 0 ||
		strcmp(physical_name, psprintf("%s.%s", nspname, relname)) == 0 ||
		strcmp(physical_name, quote_qualified_identifier(nspname, relname)) == 0;
}

List *
dmesh_check_source(const DmeshProduct *product, const DmeshContract *contract)
{
	List	   *findings = NIL;
	TupleDesc	desc = dmesh_source_tupdesc(product);

	if (desc == NULL)
	{
		add_finding(&findings, contract, NULL, "the source relation no longer exists");
		return findings;
	}
	if (contract->nprops == 0)
		add_finding(&findings, contract, NULL, "the contract lists no property");
	if (OidIsValid(product->source_relid) && contract->physical_name != NULL &&
		!names_source(product, contract->physical_name))
		add_finding(&findings, contract, NULL,
					psprintf("physicalName \"%s\" does not name the source relation %s",
							 contract->physical_name,
							 dmesh_qualified_relname(product->source_relid)));

	for (int i = 0; i < contract->nprops; i++)
	{
		const DmeshProperty *prop = &contract->props[i];
		Form_pg_attribute att = find_column(desc, prop->column);

		if (att == NULL)
			add_finding(&findings, contract, prop->name,
						psprintf("column \"%s\" does not exist in the source", prop->column));
		else
			check_types(&findings, contract, prop, att,
						psprintf("source column \"%s\"", prop->column));
	}
	return findings;
}

List *
dmesh_check_port(const DmeshProduct *product, const DmeshContract *contract, Oid viewid)
{
	List	   *findings = NIL;
	Relation	view = table_open(viewid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(view);
	int			n = 0;

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped)
			continue;
		if (n >= contract->nprops)
			add_finding(&findings, contract, NameStr(att->attname),
						psprintf("published column \"%s\" is not in the contract",
								 NameStr(att->attname)));
		else if (strcmp(NameStr(att->attname), contract->props[n].name) != 0)
			add_finding(&findings, contract, contract->props[n].name,
						psprintf("published column %d is \"%s\", the contract says \"%s\"",
								 n + 1, NameStr(att->attname), contract->props[n].name));
		else
			check_types(&findings, contract, &contract->props[n], att,
						psprintf("published column \"%s\"", NameStr(att->attname)));
		n++;
	}
	for (; n < contract->nprops; n++)
		add_finding(&findings, contract, contract->props[n].name,
					psprintf("published column \"%s\" is missing", contract->props[n].name));
	table_close(view, AccessShareLock);
	return findings;
}

/*
 * Refuse a source that departs from a contract.  A contract being proposed
 * (proposed = true) is at fault itself; otherwise the product is, and the
 * hint says what to do about it.
 */
void
dmesh_require_match(const DmeshProduct *product, const DmeshContract *contract,
					bool proposed, const char *hint)
{
	List	   *findings = dmesh_check_source(product, contract);

	if (findings == NIL)
		return;
	if (proposed)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("contract version %s does not match the source of data product \"%s\"",
						contract->version, dmesh_product_display(product)),
				 errdetail("%s", dmesh_findings_text(findings))));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("data product \"%s\" does not match its contract version %s",
					dmesh_product_display(product), contract->version),
			 errdetail("%s", dmesh_findings_text(findings)),
			 errhint("%s", hint)));
}

/*
 * Findings as lines "object.property: problem", for error details.
 */
char *
dmesh_findings_text(List *findings)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, findings)
	{
		DmeshFinding *f = lfirst(lc);

		appendStringInfo(&buf, "%s%s%s%s: %s", buf.len > 0 ? "\n" : "",
						 f->object, f->property ? "." : "", f->property ? f->property : "",
						 f->problem);
	}
	return buf.data;
}

/*
 * dmesh.contract_check(product): findings of the live source against the
 * active contract.
 */
Datum
dmesh_contract_check(PG_FUNCTION_ARGS)
{
	char	   *ref = dmesh_text_arg(fcinfo, 0, "product");
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	DmeshSection section;
	DmeshProduct product;
	DmeshContract *contract;
	List	   *findings;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
	dmesh_enter_privileged(&section);

	dmesh_require_product(ref, DMESH_NO_LOCK, &product);
	contract = dmesh_load_contract(&product, NULL, -1);
	findings = dmesh_check_source(&product, contract);
	foreach(lc, findings)
	{
		DmeshFinding *f = lfirst(lc);
		Datum		values[3];
		bool		nulls[3] = {false, f->property == NULL, false};

		values[0] = CStringGetTextDatum(f->object);
		values[1] = f->property ? CStringGetTextDatum(f->property) : (Datum) 0;
		values[2] = CStringGetTextDatum(f->problem);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}

	dmesh_end_call(&section);
	return (Datum) 0;
}

/*
 * The type of each property's column in a tuple descriptor (InvalidOid if
 * the column is not there), and optionally its attribute number.
 */
Oid *
dmesh_property_types(const DmeshContract *contract, TupleDesc desc, AttrNumber *attnums)
{
	Oid		   *types = palloc0(sizeof(Oid) * Max(contract->nprops, 1));
	DmeshNameMap *columns = dmesh_name_map_create(desc ? desc->natts : 0);

	for (int a = 0; desc && a < desc->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, a);
		bool		found;

		if (!att->attisdropped)
			*dmesh_name_map_insert(columns, NameStr(att->attname), &found) = a;
	}
	for (int i = 0; i < contract->nprops; i++)
	{
		int			a = dmesh_name_map_lookup(columns, contract->props[i].column);

		if (attnums)
			attnums[i] = InvalidAttrNumber;
		if (a >= 0)
		{
			types[i] = TupleDescAttr(desc, a)->atttypid;
			if (attnums)
				attnums[i] = TupleDescAttr(desc, a)->attnum;
		}
	}
	dmesh_name_map_free(columns);
	return types;
}
