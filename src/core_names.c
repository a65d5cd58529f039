/*-------------------------------------------------------------------------
 *
 * core_names.c
 *		Names of domains and data products, and of the objects derived
 *		from them.
 *
 * Domain and product names are taken literally (case-sensitive, any
 * characters but a dot and control characters, no surrounding white space,
 * at most DMESH_MAX_NAME_BYTES bytes).  Everywhere else a product is named
 * 'domain.product': the text up to the first dot is the domain, the rest
 * the product; since neither may contain a dot, the split is unambiguous.
 *
 * A domain's published relations live in the schema dmesh_<domain>, and
 * the relation of a product's major version N is <product>_v<N>.  Both are
 * always quoted when used in SQL.  Within a schema the relation names
 * cannot collide: the text after the last "_v" is the major number, which
 * has no "_v" in it, so name and number are recovered uniquely.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "catalog/pg_class.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "dmesh.h"

/*
 * A text argument that must not be NULL, as a C string.
 */
char *
dmesh_text_arg(FunctionCallInfo fcinfo, int argno, const char *what)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", what)));
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

/*
 * A role argument (regrole) that must not be NULL nor "-" (no role), and
 * must name a role that exists unless "dropped_ok".
 */
Oid
dmesh_role_arg(FunctionCallInfo fcinfo, int argno, const char *what, bool dropped_ok)
{
	Oid			role;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", what)));
	role = PG_GETARG_OID(argno);
	if (!OidIsValid(role))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a role", what),
				 errdetail("'-'::regrole stands for no role.")));
	if (!dropped_ok && !SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(role)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role with OID %u does not exist", role)));
	return role;
}

/*
 * An optional interval argument that must be positive (every field >= 0,
 * not all zero), or NULL when it is NULL.
 */
Interval *
dmesh_interval_arg(FunctionCallInfo fcinfo, int argno, const char *what)
{
	Interval   *i;

	if (PG_ARGISNULL(argno))
		return NULL;
	i = PG_GETARG_INTERVAL_P(argno);
	if (i->month < 0 || i->day < 0 || i->time < 0 ||
		(i->month == 0 && i->day == 0 && i->time == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a positive interval", what)));
	return i;
}

/*
 * Check a new domain or product name; kind is "domain" or "data product".
 */
void
dmesh_check_name(const char *name, const char *kind)
{
	size_t		len = strlen(name);
	const char *p;

	if (len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("%s name must not be empty", kind)));
	if (len > DMESH_MAX_NAME_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("%s name \"%s\" is too long", kind, name),
				 errdetail("Names of domains and data products are limited to %d bytes.",
						   DMESH_MAX_NAME_BYTES)));
	if (strchr(name, '.') != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("%s name \"%s\" must not contain a dot", kind, name),
				 errdetail("Data products are referred to as 'domain.product'.")));
	if (isspace((unsigned char) name[0]) || isspace((unsigned char) name[len - 1]))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("%s name \"%s\" must not begin or end with white space",
						kind, name)));
	for (p = name; *p; p++)
	{
		if ((unsigned char) *p < 0x20 || *p == 0x7f)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_NAME),
					 errmsg("%s name must not contain control characters", kind)));
	}
}

/*
 * Split 'domain.product'.
 */
DmeshProductRef
dmesh_parse_product_ref(const char *ref)
{
	DmeshProductRef result;
	const char *dot = strchr(ref, '.');

	if (dot == NULL || dot == ref || dot[1] == '\0' || strchr(dot + 1, '.') != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid data product name \"%s\"", ref),
				 errdetail("Data products are named 'domain.product', for example 'sales.orders'.")));

	result.domain = pnstrdup(ref, dot - ref);
	result.product = pstrdup(dot + 1);
	return result;
}

char *
dmesh_product_ident(const char *domain, const char *product)
{
	return psprintf("%s.%s", domain, product);
}

char *
dmesh_domain_schema(const char *domain)
{
	return psprintf("%s%s", DMESH_DOMAIN_SCHEMA_PREFIX, domain);
}

char *
dmesh_port_relation_name(const char *product, const char *object, int major)
{
	char	   *name = object ? psprintf("%s_%s_v%d", product, object, major) :
		psprintf("%s_v%d", product, major);

	if (strlen(name) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("published relation name \"%s\" is too long", name),
				 errdetail("Relation names are limited to %d bytes.", NAMEDATALEN - 1),
				 object ? errhint("The relation of object \"%s\" is named <product>_<object>_v<major>: give the object a shorter name.", object) : 0));
	return name;
}

/*
 * Major number of a semantic version "MAJOR.MINOR.PATCH" (checked by the
 * catalog's CHECK constraint before it gets here).
 */
int
dmesh_version_major(const char *version)
{
	long		major = strtol(version, NULL, 10);

	if (major < 0 || major > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("major version of \"%s\" is out of range", version)));
	return (int) major;
}

/*
 * Schema-qualified, quoted name of a relation.
 */
char *
dmesh_qualified_relname(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

/* Owner of a relation. */
Oid
dmesh_relation_owner(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}
