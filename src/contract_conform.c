/*-------------------------------------------------------------------------
 *
 * contract_conform.c
 *		Does the database still match a product's contract?
 *
 * Two checks, both returning a list of findings (empty when all agree):
 *	- the source: every property's column exists with a type that carries
 *	  the property's logicalType and, when given, fits its physicalType
 *	  (see dmesh_physical_type: a PostgreSQL type, resolved with only
 *	  pg_catalog in search_path so that other types are written
 *	  schema-qualified, must be exactly the column's; a well-known name of
 *	  another platform must name the column's kind of type; anything else
 *	  is kept as written and not held against the column); the object's
 *	  physicalName, when given, names the source relation;
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
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "parser/parse_coerce.h"
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "utils/formatting.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

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
 * Parse a type name as PostgreSQL would (missing types give InvalidOid).
 * A name that does not parse, or whose modifiers the type refuses, is not
 * a PostgreSQL type: false, the error dropped.  Other errors (a cancel, out
 * of memory) go on.
 */
static bool
parse_pg_type(const char *name, Oid *typid, int32 *typmod)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool ok = true;

	*typid = InvalidOid;
	*typmod = -1;
	if (!dmesh_plausible_type_name(name))
		return false;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		parseTypeString(name, typid, typmod, true);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		int			category;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		category = ERRCODE_TO_CATEGORY(edata->sqlerrcode);
		if (category != ERRCODE_SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION &&
			category != ERRCODE_DATA_EXCEPTION)
			PG_RE_THROW();
		FreeErrorData(edata);
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		ok = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return ok && OidIsValid(*typid);
}

/* Kinds of PostgreSQL types that names of other platforms stand for. */
typedef enum TypeFamily
{
	FAMILY_TEXT,				/* text, varchar, char, name, citext... */
	FAMILY_INT2,
	FAMILY_INT4,
	FAMILY_INT8,
	FAMILY_FLOAT4,
	FAMILY_FLOAT8,
	FAMILY_NUMERIC,				/* numeric of any precision */
	FAMILY_APPROX,				/* float4, float8 or numeric */
	FAMILY_BYTES,
	FAMILY_TIMESTAMP,			/* with or without time zone */
	FAMILY_TIMESTAMP_NTZ,
	FAMILY_TIMESTAMP_TZ,
	FAMILY_ARRAY,				/* an array, or json/jsonb */
	FAMILY_MAP,					/* json, jsonb or hstore */
	FAMILY_STRUCT,				/* a composite type, json or jsonb */
	FAMILY_JSON					/* json or jsonb */
} TypeFamily;

/*
 * Well-known physical type names of other platforms (Spark, Avro,
 * Parquet, Kafka schemas, Snowflake, BigQuery, SQL Server, Oracle, MySQL)
 * that are not PostgreSQL types, lower case, without modifiers.
 */
static const struct
{
	const char *name;
	TypeFamily	family;
}			foreign_types[] = {
	{"array", FAMILY_ARRAY},
	{"bigserial", FAMILY_INT8},
	{"binary", FAMILY_BYTES},
	{"blob", FAMILY_BYTES},
	{"byte", FAMILY_INT2},
	{"bytes", FAMILY_BYTES},
	{"clob", FAMILY_TEXT},
	{"datetime", FAMILY_TIMESTAMP},
	{"datetime2", FAMILY_TIMESTAMP_NTZ},
	{"datetimeoffset", FAMILY_TIMESTAMP_TZ},
	{"double", FAMILY_FLOAT8},
	{"float", FAMILY_APPROX},	/* float(p,s): PostgreSQL's float takes one */
	{"float32", FAMILY_FLOAT4},
	{"float64", FAMILY_FLOAT8},
	{"int16", FAMILY_INT2},
	{"int32", FAMILY_INT4},
	{"int64", FAMILY_INT8},
	{"mediumint", FAMILY_INT4},
	{"list", FAMILY_ARRAY},
	{"long", FAMILY_INT8},
	{"map", FAMILY_MAP},
	{"nchar", FAMILY_TEXT},
	{"ntext", FAMILY_TEXT},
	{"number", FAMILY_NUMERIC},
	{"nvarchar", FAMILY_TEXT},
	{"nvarchar2", FAMILY_TEXT},
	{"object", FAMILY_STRUCT},
	{"record", FAMILY_STRUCT},
	{"serial", FAMILY_INT4},
	{"short", FAMILY_INT2},
	{"smallserial", FAMILY_INT2},
	{"string", FAMILY_TEXT},
	{"struct", FAMILY_STRUCT},
	{"timestamp_ltz", FAMILY_TIMESTAMP_TZ},
	{"timestamp_ntz", FAMILY_TIMESTAMP_NTZ},
	{"timestamp_tz", FAMILY_TIMESTAMP_TZ},
	{"tinyint", FAMILY_INT2},
	{"varbinary", FAMILY_BYTES},
	{"varchar2", FAMILY_TEXT},
	{"variant", FAMILY_JSON},
};

static bool
family_accepts(TypeFamily family, Oid typid)
{
	Oid			base = getBaseType(typid);

	switch (family)
	{
		case FAMILY_TEXT:
			return TypeCategory(base) == TYPCATEGORY_STRING;
		case FAMILY_INT2:
			return base == INT2OID;
		case FAMILY_INT4:
			return base == INT4OID;
		case FAMILY_INT8:
			return base == INT8OID;
		case FAMILY_FLOAT4:
			return base == FLOAT4OID;
		case FAMILY_FLOAT8:
			return base == FLOAT8OID;
		case FAMILY_NUMERIC:
			return base == NUMERICOID;
		case FAMILY_APPROX:
			return base == FLOAT4OID || base == FLOAT8OID || base == NUMERICOID;
		case FAMILY_BYTES:
			return base == BYTEAOID;
		case FAMILY_TIMESTAMP:
			return base == TIMESTAMPOID || base == TIMESTAMPTZOID;
		case FAMILY_TIMESTAMP_NTZ:
			return base == TIMESTAMPOID;
		case FAMILY_TIMESTAMP_TZ:
			return base == TIMESTAMPTZOID;
		case FAMILY_ARRAY:
			return OidIsValid(get_element_type(base)) || base == JSONOID || base == JSONBOID;
		case FAMILY_MAP:
			{
				HeapTuple	tuple;
				bool		hstore = false;

				if (base == JSONOID || base == JSONBOID)
					return true;
				/* contrib's hstore, in whatever schema it was installed */
				tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(base));
				if (HeapTupleIsValid(tuple))
				{
					hstore = strcmp(NameStr(((Form_pg_type) GETSTRUCT(tuple))->typname),
									"hstore") == 0;
					ReleaseSysCache(tuple);
				}
				return hstore;
			}
		case FAMILY_STRUCT:
			return type_is_rowtype(base) || base == JSONOID || base == JSONBOID;
		case FAMILY_JSON:
			return base == JSONOID || base == JSONBOID;
	}
	return false;
}

/*
 * What a property's physicalType holds its column to: a PostgreSQL type
 * (exactly; the typmod too when given), a well-known name of another
 * platform (a kind of PostgreSQL type: "string" any text type, "long"
 * bigint, "array" an array or json), a mistake (a PostgreSQL type with
 * modifiers it does not take: numeric(10), or nothing (kept as written: a
 * contract brought from another platform may name types PostgreSQL does
 * not have, and its logicalType still holds the column).
 */
DmeshPhysicalType
dmesh_physical_type(const char *name)
{
	DmeshPhysicalType result = {DMESH_PHYSICAL_OTHER, InvalidOid, -1, NULL};
	char	   *lower;
	char	   *paren;

	if (parse_pg_type(name, &result.typid, &result.typmod))
	{
		result.kind = DMESH_PHYSICAL_POSTGRES;
		return result;
	}
	/* the name without its parameters: float(3,2), STRUCT<a: INT>, ARRAY<STRING> */
	lower = asc_tolower(name, strlen(name));
	if ((paren = strpbrk(lower, "(<[")) != NULL)
		*paren = '\0';
	lower = pstrdup(lower);
	for (char *end = lower + strlen(lower); end > lower && end[-1] == ' '; end--)
		end[-1] = '\0';
	for (int i = 0; i < lengthof(foreign_types); i++)
	{
		if (strcmp(lower, foreign_types[i].name) == 0)
		{
			result.kind = DMESH_PHYSICAL_FAMILY;
			result.family = foreign_types[i].name;
			result.family_id = foreign_types[i].family;
			return result;
		}
	}

	/*
	 * A PostgreSQL type with modifiers it does not take.  MySQL's display
	 * widths, int(11) and the like, stand for the integer type; anything
	 * else (numeric(10, varchar(-1)) is a mistake, not another platform.
	 */
	if (paren != NULL && parse_pg_type(lower, &result.typid, &result.typmod))
	{
		Oid			base = getBaseType(result.typid);

		size_t		len = strlen(name);

		while (len > 0 && name[len - 1] == ' ')
			len--;
		if ((base == INT2OID || base == INT4OID || base == INT8OID) &&
			len > 0 && name[len - 1] == ')')
		{
			result.kind = DMESH_PHYSICAL_FAMILY;
			result.family = lower;
			result.family_id = base == INT2OID ? FAMILY_INT2 :
				base == INT4OID ? FAMILY_INT4 : FAMILY_INT8;
		}
		else
			result.kind = DMESH_PHYSICAL_INVALID;
		result.typid = InvalidOid;
		result.typmod = -1;
	}
	return result;
}

/*
 * Is a physicalType the column's type as tools write it outside SQL: the
 * type's own name as it is stored ("Name", a domain PostgreSQL would read
 * as the built-in name type), or a length in brackets ("varchar[50]",
 * which PostgreSQL would read as an array) on a column that is no array?
 */
static bool
written_as_column_type(const char *physical, Form_pg_attribute att)
{
	HeapTuple	tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(att->atttypid));
	bool		same = false;
	const char *open;
	size_t		len = strlen(physical);

	if (HeapTupleIsValid(tuple))
	{
		same = strcmp(NameStr(((Form_pg_type) GETSTRUCT(tuple))->typname), physical) == 0;
		ReleaseSysCache(tuple);
	}
	if (same)
		return true;

	open = strchr(physical, '[');
	if (open != NULL && len > 2 && physical[len - 1] == ']' && open[1] != ']' &&
		strspn(open + 1, "0123456789") == (size_t) (physical + len - 1 - (open + 1)) &&
		!OidIsValid(get_element_type(att->atttypid)))
	{
		char	   *base = pnstrdup(physical, open - physical);
		char	   *paren = psprintf("%s(%.*s)", base,
									 (int) (physical + len - 1 - (open + 1)), open + 1);
		DmeshPhysicalType t = dmesh_physical_type(paren);

		if (t.kind == DMESH_PHYSICAL_POSTGRES)
			return t.typid == att->atttypid && (t.typmod < 0 || t.typmod == att->atttypmod);
		/* a length beyond the type's limit ("varchar[2147483647]"): no limit */
		t = dmesh_physical_type(base);
		return t.kind == DMESH_PHYSICAL_POSTGRES && t.typid == att->atttypid &&
			att->atttypmod < 0;
	}
	return false;
}

/*
 * Does a column (described as "what") fit a property's types?
 */
static void
check_types(List **findings, const DmeshContract *contract, const DmeshProperty *prop,
			Form_pg_attribute att, const char *what)
{
	char	   *actual = format_type_with_typemod(att->atttypid, att->atttypmod);
	DmeshPhysicalType physical;

	if (!dmesh_logical_accepts_in(contract, prop->logical_type, att->atttypid))
		add_finding(findings, contract, prop->name,
					psprintf("the contract says logicalType %s, but %s has type %s",
							 prop->logical_type, what, actual));
	if (prop->physical_type == NULL)
		return;
	if (written_as_column_type(prop->physical_type, att))
		return;
	physical = dmesh_physical_type(prop->physical_type);
	if (physical.kind == DMESH_PHYSICAL_INVALID)
		add_finding(findings, contract, prop->name,
					psprintf("physicalType \"%s\" is not a valid PostgreSQL type",
							 prop->physical_type));
	if (physical.kind == DMESH_PHYSICAL_POSTGRES &&
		(physical.typid != att->atttypid ||
		 (physical.typmod >= 0 && physical.typmod != att->atttypmod)))
		add_finding(findings, contract, prop->name,
					psprintf("the contract says physicalType %s, but %s has type %s",
							 format_type_with_typemod(physical.typid, physical.typmod),
							 what, actual));
	else if (physical.kind == DMESH_PHYSICAL_FAMILY &&
			 !family_accepts(physical.family_id, att->atttypid))
		add_finding(findings, contract, prop->name,
					psprintf("the contract says physicalType %s, which %s of type %s is not",
							 prop->physical_type, what, actual));
}

static bool
names_source(const DmeshProduct *product, const char *physical_name)
{
	char	   *relname = get_rel_name(product->source_relid);
	char	   *nspname = get_namespace_name(get_rel_namespace(product->source_relid));
	List	   *names;

	if (strcmp(physical_name, relname) == 0 ||
		strcmp(physical_name, psprintf("%s.%s", nspname, relname)) == 0 ||
		strcmp(physical_name, quote_qualified_identifier(nspname, relname)) == 0)
		return true;

	/*
	 * A qualified name whose schema (and database) this database does not
	 * have names something elsewhere (a table of another platform, a topic:
	 * "orders.avro.v1"), kept as written.  One in a schema of this database
	 * names a relation here, which must be the source; so must a name
	 * without a schema.
	 */
	if (!SplitIdentifierString(pstrdup(physical_name), '.', &names))
		return true;
	if (list_length(names) == 1)
		return false;
	if (list_length(names) > 3)
		return true;
	if (list_length(names) == 3 &&
		strcmp(linitial(names), get_database_name(MyDatabaseId)) != 0)
		return true;
	return !OidIsValid(get_namespace_oid(list_nth(names, list_length(names) - 2), true));
}

/*
 * The source of a product's object (or of its one source) against one
 * object of the contract.
 */
static List *
check_object_source(const DmeshProduct *product, const DmeshContract *contract)
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

/*
 * A product's sources against a contract: every object of the contract
 * against the source of the product's object of that name (a product with
 * one source has one object, whatever the contract calls it).  A product
 * seen through one object (dmesh_product_object) is checked against the
 * contract seen through that object only.
 */
List *
dmesh_check_source(const DmeshProduct *product, const DmeshContract *contract)
{
	List	   *findings = NIL;

	if (product->object != NULL ||
		(!dmesh_product_has_objects(product) && contract->nobjects <= 1))
		return check_object_source(product, contract);

	if (!dmesh_product_has_objects(product))
	{
		add_finding(&findings, contract, NULL,
					psprintf("the contract has %d objects, but data product \"%s\" has one source",
							 contract->nobjects, dmesh_product_display(product)));
		return findings;
	}
	for (int i = 0; i < contract->nobjects; i++)
	{
		DmeshContract *object = dmesh_contract_object(contract, i);
		int			p = dmesh_product_find_object(product, object->object_name);
		DmeshProduct view;

		CHECK_FOR_INTERRUPTS();
		if (p < 0)
		{
			add_finding(&findings, object, NULL,
						psprintf("data product \"%s\" has no source for object \"%s\"",
								 dmesh_product_display(product), object->object_name));
			continue;
		}
		view = dmesh_product_object(product, p);
		findings = list_concat(findings, check_object_source(&view, object));
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
