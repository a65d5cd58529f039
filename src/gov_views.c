/*-------------------------------------------------------------------------
 *
 * gov_views.c
 *		Access agreements and masks, compiled into the published views.
 *
 * A product's published relation is a security_barrier view that carries
 * the product's governance as constants:
 *
 *	SELECT q.id, dmesh._mask(q.email, 1, 0, <product>, ..., <clear for>)::text AS email, ...
 *	  FROM (SELECT s.id AS id, s.mail AS email, ... FROM source s) q
 *	 WHERE CASE dmesh._agreement(<product>, <managers>, <consumers>, <expiries>)
 *			 WHEN 0 THEN true					-- a manager: every row
 *			 WHEN 1 THEN (<row filter of agreement 1>)
 *			 WHEN 2 THEN true					-- agreement 2 has no filter
 *			 ELSE false END						-- anyone else: no row
 *
 * Consumers hold SELECT on the view and nothing on the source, so the view
 * is the only way to the data; being a security barrier, no function of
 * theirs sees a row before the filter.  current_user inside the view is the
 * role reading, even through another view or function, so a role without
 * an agreement of its own gets nothing, whoever wrote the view it reads
 * through.  The view is rewritten whenever an agreement or a masking policy
 * changes (CREATE OR REPLACE keeps its privileges); expiry needs nothing.
 *
 * Row filters are validated when an agreement is made (gov_condition.c): one
 * boolean expression over the published columns, analyzed by its author
 * with search_path pinned to pg_catalog as it is put into the view, so
 * names resolve the same way and nothing can be smuggled around it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/analyze.h"
#include "parser/parser.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "datatype/timestamp.h"
#include "utils/timestamp.h"

#include "dmesh.h"
#include "contract.h"
#include "product.h"
#include "gov.h"

/*
 * The published columns, before masks: the source's columns under the
 * contract's names, as a query.
 */
char *
dmesh_port_select(const DmeshProduct *product, const DmeshContract *contract)
{
	StringInfoData sql;

	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT ");
	for (int i = 0; i < contract->nprops; i++)
		appendStringInfo(&sql, "%ss.%s AS %s", i > 0 ? ", " : "",
						 quote_identifier(contract->props[i].column),
						 quote_identifier(contract->props[i].name));
	if (OidIsValid(product->source_relid))
		appendStringInfo(&sql, " FROM %s s", dmesh_qualified_relname(product->source_relid));
	else
		appendStringInfo(&sql, " FROM (%s) s", product->source_query);
	return sql.data;
}

/* The published columns as a FROM item "q", as the view has it. */
char *
dmesh_port_source(const DmeshProduct *product, const DmeshContract *contract)
{
	return psprintf("(%s) q", dmesh_port_select(product, contract));
}

/* ----------------------------------------------------------------
 * Building the view
 * ----------------------------------------------------------------
 */

typedef struct Agreement
{
	Oid			consumer;
	char	   *expires;		/* TimestampTz as an integer; DT_NOEND: never */
	char	   *filter;
	Datum		unmask;			/* text[] */
	bool		unmask_null;
} Agreement;

/* Masking policy for a classification: the narrowest scope. */
static bool
masking_for(const DmeshProduct *product, const char *classification, int *mask, int *keep)
{
	DmeshArgs	args;
	char	   *kind;

	dmesh_args_init(&args);
	dmesh_arg_text(&args, classification);
	dmesh_arg_int8(&args, product->id);
	dmesh_arg_int8(&args, product->domain.id);
	if (dmesh_spi_exec("SELECT rule->>'mask', coalesce((rule->>'keep')::int, 0)"
					   "  FROM dmesh.policy"
					   " WHERE kind = 'masking' AND rule->>'classification' = $1"
					   "   AND (product_id = $2"
					   "        OR (product_id IS NULL AND domain_id = $3)"
					   "        OR (product_id IS NULL AND domain_id IS NULL))"
					   " ORDER BY product_id IS NULL, domain_id IS NULL LIMIT 1",
					   &args, SPI_OK_SELECT) == 0)
		return false;
	kind = dmesh_spi_text(0, 1);
	*keep = (int) dmesh_spi_int8(0, 2);
	*mask = dmesh_mask_code(kind);
	return true;
}

/*
 * Roles as a constant the view keeps by name: a regrole[] literal, cast to
 * oid[] for dmesh's functions.  pg_dump writes regrole constants as names,
 * so a restore into another cluster (other role oids) keeps each agreement
 * with its role.  A dropped role is "-" (no role).
 */
static char *
role_array(Oid *oids, int n)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int i = 0; i < n; i++)
	{
		char	   *name = GetUserNameFromId(oids[i], true);
		const char *ident = name ? quote_identifier(name) : "-";

		if (i > 0)
			appendStringInfoChar(&buf, ',');
		appendStringInfoChar(&buf, '"');
		for (const char *p = ident; *p; p++)
		{
			if (*p == '"' || *p == '\\')
				appendStringInfoChar(&buf, '\\');
			appendStringInfoChar(&buf, *p);
		}
		appendStringInfoChar(&buf, '"');
	}
	appendStringInfoChar(&buf, '}');
	return psprintf("%s::pg_catalog.regrole[]::pg_catalog.oid[]", quote_literal_cstr(buf.data));
}

/*
 * The query of a published view: the contract's properties, filtered and
 * masked per agreement and policy.
 */
char *
dmesh_port_query(const DmeshProduct *product, const DmeshContract *contract)
{
	DmeshArgs	args;
	uint64		n;
	Agreement  *agreements;
	Oid		   *consumers;
	StringInfoData expires;
	StringInfoData sql;
	StringInfoData where;
	char	   *call_args;
	TupleDesc	desc = dmesh_source_tupdesc(product);
	Oid		   *types = dmesh_property_types(contract, desc, NULL);
	Oid			managers[2] = {product->owner, product->domain.owner};

	/* the view is created as the extension owner: see core_trust.c */
	if (product->source_query != NULL)
		dmesh_check_stored_query(product->source_query, product->owner);

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product->id);
	n = dmesh_spi_exec("SELECT consumer, expires_at, row_filter, unmask"
					   "  FROM dmesh.access_grant WHERE product_id = $1 ORDER BY grant_id",
					   &args, SPI_OK_SELECT);
	agreements = palloc0(sizeof(Agreement) * Max(n, 1));
	consumers = palloc(sizeof(Oid) * Max(n, 1));
	initStringInfo(&expires);
	appendStringInfoChar(&expires, '{');
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;

		agreements[i].consumer = dmesh_spi_oid(i, 1);
		{
			Datum		e = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull);

			agreements[i].expires = psprintf(INT64_FORMAT,
											 isnull ? (int64) DT_NOEND : (int64) DatumGetTimestampTz(e));
		}
		agreements[i].filter = dmesh_spi_text(i, 3);
		agreements[i].unmask = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 4,
											 &isnull);
		agreements[i].unmask_null = isnull;
		consumers[i] = agreements[i].consumer;
		appendStringInfo(&expires, "%s%s", i ? "," : "", agreements[i].expires);
	}
	appendStringInfoChar(&expires, '}');
	call_args = psprintf("%lld, %s, %s, %s::pg_catalog.int8[]",
						 (long long) product->id, role_array(managers, 2),
						 role_array(consumers, n), quote_literal_cstr(expires.data));

	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT ");
	for (int i = 0; i < contract->nprops; i++)
	{
		DmeshProperty *p = &contract->props[i];
		const char *name = quote_identifier(p->name);
		int			mask;
		int			keep;

		if (i > 0)
			appendStringInfoString(&sql, ", ");
		if (p->classification == NULL || !masking_for(product, p->classification, &mask, &keep))
		{
			appendStringInfo(&sql, "q.%s", name);
			continue;
		}
		{
			/* The agreements that see this column in clear. */
			StringInfoData clear;
			int			atttypmod = -1;

			initStringInfo(&clear);
			appendStringInfoChar(&clear, '{');
			for (uint64 a = 0; a < n; a++)
			{
				Datum	   *elems;
				bool	   *nulls;
				int			nelems;
				bool		listed = false;

				if (agreements[a].unmask_null)
					continue;
				deconstruct_array(DatumGetArrayTypeP(agreements[a].unmask), TEXTOID, -1, false,
								  TYPALIGN_INT, &elems, &nulls, &nelems);
				for (int e = 0; e < nelems; e++)
					if (!nulls[e] && strcmp(TextDatumGetCString(elems[e]), p->name) == 0)
						listed = true;
				if (listed)
					appendStringInfo(&clear, "%s%d", clear.len > 1 ? "," : "", (int) a + 1);
			}
			appendStringInfoChar(&clear, '}');
			for (int a = 0; desc && a < desc->natts; a++)
				if (!TupleDescAttr(desc, a)->attisdropped &&
					strcmp(NameStr(TupleDescAttr(desc, a)->attname), p->column) == 0)
					atttypmod = TupleDescAttr(desc, a)->atttypmod;
			appendStringInfo(&sql,
							 "dmesh._mask(q.%s, %d, %d, %s, %s::pg_catalog.int4[])::%s AS %s",
							 name, mask, keep, call_args, quote_literal_cstr(clear.data),
							 format_type_with_typemod(types[i], atttypmod), name);
		}
	}
	appendStringInfo(&sql, " FROM %s", dmesh_port_source(product, contract));

	initStringInfo(&where);
	appendStringInfo(&where, " WHERE CASE dmesh._agreement(%s) WHEN 0 THEN true", call_args);
	for (uint64 a = 0; a < n; a++)
	{
		/* of a product with several objects, a filter applies where its columns are */
		if (agreements[a].filter &&
			(product->object == NULL || dmesh_row_filter_fits(agreements[a].filter, contract)))
			appendStringInfo(&where, " WHEN %d THEN (\n%s\n)", (int) a + 1, agreements[a].filter);
		else
			appendStringInfo(&where, " WHEN %d THEN true", (int) a + 1);
	}
	appendStringInfoString(&where, " ELSE false END");
	appendStringInfoString(&sql, where.data);
	return sql.data;
}

/*
 * The published columns of a relation (the product seen through the
 * object the relation publishes, and its contract) that the view shows
 * masked to the role of an agreement whose unmask list is given (NULL:
 * none): those a masking policy covers that the list does not name.  As
 * dmesh_port_query writes them.  A list of C strings.
 */
List *
dmesh_masked_columns(const DmeshProduct *product, const DmeshContract *contract,
					 ArrayType *unmask)
{
	List	   *masked = NIL;
	Datum	   *elems = NULL;
	bool	   *nulls = NULL;
	int			nelems = 0;

	if (unmask != NULL)
		deconstruct_array(unmask, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &nelems);
	for (int i = 0; i < contract->nprops; i++)
	{
		DmeshProperty *p = &contract->props[i];
		int			mask;
		int			keep;
		bool		listed = false;

		if (p->classification == NULL || !masking_for(product, p->classification, &mask, &keep))
			continue;
		for (int e = 0; e < nelems; e++)
			if (!nulls[e] && strcmp(TextDatumGetCString(elems[e]), p->name) == 0)
				listed = true;
		if (!listed)
			masked = lappend(masked, pstrdup(p->name));
	}
	return masked;
}

int
dmesh_mask_code(const char *mask)
{
	if (mask == NULL)
		return DMESH_MASK_NULL;
	if (strcmp(mask, "hash") == 0)
		return DMESH_MASK_HASH;
	if (strcmp(mask, "redact") == 0)
		return DMESH_MASK_REDACT;
	if (strcmp(mask, "partial") == 0)
		return DMESH_MASK_PARTIAL;
	return DMESH_MASK_NULL;
}
