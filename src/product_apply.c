/*-------------------------------------------------------------------------
 *
 * product_apply.c
 *		dmesh.apply_product() and dmesh.plan_product(): make a data product
 *		match an ODPS document and its ODCS contracts, or say what that
 *		would change.
 *
 * The document names the product (domain and name) and what it should
 * be (product_spec.c); the contracts are the ODCS documents its output
 * ports name by contractId and version.  The product is compared with
 * what dmesh holds (product_document.c), and each difference becomes a
 * call of dmesh's own function, made as the caller, so that the function
 * checks the caller's rights as when the caller runs it:
 *
 *	a new product			create_data_product (from the first contract
 *							the ports name, or from dmeshSource)
 *	description, tags		an update of the product (its managers only)
 *	a contract version		set_contract, in version order (earlier
 *							versions of a port's contract given too are
 *							set first); a breaking change within the
 *							major version of a live product is refused,
 *							naming the consumers who read what it breaks
 *	an older major version	retire_data_product(product, major), when no
 *	no port lists			port lists it any more
 *	dmeshPolicies			create_policy, drop_policy (product scope)
 *	status					publish_data_product, deprecate_data_product,
 *							retire_data_product
 *	dmeshAgreements			grant_access, revoke_access
 *	dmeshEnforcement		enforce_contract
 *	dmeshSchedule			set_schedule
 *	dmeshContractGate		set_contract_gate
 *	the document's id and	dmesh.applied_product (see product_document.c)
 *	what dmesh keeps of it
 *
 * Each change made is a row of the result, and nothing is called when
 * nothing differs: applying the same files twice changes nothing and
 * logs nothing the second time.  A property the document leaves out is
 * left as it is; one it gives (an empty list of agreements, say) is made
 * to match.  plan_product runs the same comparison and calls nothing: its
 * rows are what apply_product would do, a breaking contract change with
 * the roles that read what it breaks in the last 30 days (as far as the
 * caller may see usage), a change apply would refuse as "refused".
 * Everything happens in the caller's transaction: an error undoes it all.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "dmesh.h"
#include "contract.h"
#include "product.h"

PG_FUNCTION_INFO_V1(dmesh_apply_product_text);
PG_FUNCTION_INFO_V1(dmesh_apply_product_jsonb);
PG_FUNCTION_INFO_V1(dmesh_plan_product_text);
PG_FUNCTION_INFO_V1(dmesh_plan_product_jsonb);

/* A contract given in contracts[]. */
typedef struct Given
{
	int			index;
	char	   *id;
	char	   *version;
	Jsonb	   *doc;
	DmeshContract *compiled;
	bool		used;
} Given;

/* A contract version an output port names. */
typedef struct Step
{
	char	   *version;
	Given	   *given;			/* NULL: already set */
	DmeshContract *compiled;	/* of the given document */
} Step;

typedef struct Apply
{
	bool		apply;			/* false: plan */
	Oid			caller;
	ReturnSetInfo *rsinfo;
	DmeshProductSpec *spec;
	List	   *given;			/* of Given */
	char	   *display;		/* domain.product */
	DmeshDomain domain;
	bool		exists;			/* before this call */
	DmeshProductState st;		/* the product (as it will be, in a plan) */
	int			changes;
	List	   *steps;			/* of Step: contract versions to set, in order */
	List	   *majors;			/* majors the ports list */
	char	   *newest;			/* the newest version the ports list */
} Apply;

/* ----------------------------------------------------------------
 * Rows, calls, reads
 * ----------------------------------------------------------------
 */

static void
row(Apply *a, const char *kind, const char *item, const char *change, bool breaking,
	ArrayType *consumers, const char *detail)
{
	Datum		values[7];
	bool		nulls[7] = {false, false, item == NULL, false, false, consumers == NULL,
	detail == NULL};

	values[0] = CStringGetTextDatum(a->display);
	values[1] = CStringGetTextDatum(kind);
	values[2] = item ? CStringGetTextDatum(item) : (Datum) 0;
	values[3] = CStringGetTextDatum(change);
	values[4] = BoolGetDatum(breaking);
	values[5] = consumers ? PointerGetDatum(consumers) : (Datum) 0;
	values[6] = detail ? CStringGetTextDatum(detail) : (Datum) 0;
	tuplestore_putvalues(a->rsinfo->setResult, a->rsinfo->setDesc, values, nulls);
	a->changes++;
}

/*
 * Call one of dmesh's functions as the caller, with the caller's
 * search_path (it resolves names in sources as the caller would).
 */
static void
call(Apply *a, const char *sql, DmeshArgs *args)
{
	Assert(a->apply);
	(void) dmesh_spi_exec(sql, args, SPI_OK_SELECT);
}

/* Read as the caller, with search_path pinned. */
static uint64
read_rows(const char *sql, DmeshArgs *args)
{
	DmeshSection section;
	uint64		n;

	dmesh_pin_search_path(&section);
	n = dmesh_spi_exec(sql, args, SPI_OK_SELECT);
	dmesh_leave(&section);
	return n;
}

/*
 * The roles that read the product in the last 30 days (as far as the
 * caller may see usage): those that read one of "columns", or any of it
 * when columns is NULL.
 */
static ArrayType *
readers(Apply *a, List *columns)
{
	DmeshArgs	args;
	bool		isnull;

	if (!a->exists)
		return construct_empty_array(TEXTOID);
	dmesh_args_init(&args);
	dmesh_arg_int8(&args, a->st.product.id);
	if (columns == NIL)
		dmesh_arg_datum(&args, TEXTARRAYOID, (Datum) 0, true);
	else
	{
		Datum	   *elems = palloc(sizeof(Datum) * list_length(columns));
		int			n = 0;
		ListCell   *lc;

		foreach(lc, columns)
			elems[n++] = CStringGetTextDatum(lfirst(lc));
		dmesh_arg_datum(&args, TEXTARRAYOID,
						PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false,
														TYPALIGN_INT)), false);
	}
	(void) read_rows("SELECT coalesce(array_agg(DISTINCT u.consumer::text ORDER BY u.consumer::text),"
					 "                '{}')"
					 "  FROM dmesh.usage_daily u"
					 " WHERE u.product_id = $1 AND u.day > current_date - 30"
					 "   AND ($2::text[] IS NULL OR u.columns && $2)",
					 &args);
	return DatumGetArrayTypePCopy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
												1, &isnull));
}

/* "a, b" of a text[] (what a row's detail names). */
static char *
names_text(ArrayType *array)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	StringInfoData buf;

	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	initStringInfo(&buf);
	for (int i = 0; i < n; i++)
		appendStringInfo(&buf, "%s%s", i == 0 ? "" : ", ",
						 nulls[i] ? "NULL" : TextDatumGetCString(elems[i]));
	return buf.data;
}

static bool
text_equal(const char *x, const char *y)
{
	if (x == NULL || y == NULL)
		return x == y;
	return strcmp(x, y) == 0;
}

/* Two text[] with the same elements in the same order (NULL elements too). */
static bool
arrays_equal(ArrayType *x, ArrayType *y)
{
	Datum	   *xe,
			   *ye;
	bool	   *xn,
			   *yn;
	int			nx,
				ny;

	deconstruct_array(x, TEXTOID, -1, false, TYPALIGN_INT, &xe, &xn, &nx);
	deconstruct_array(y, TEXTOID, -1, false, TYPALIGN_INT, &ye, &yn, &ny);
	if (nx != ny)
		return false;
	for (int i = 0; i < nx; i++)
	{
		if (xn[i] != yn[i])
			return false;
		if (!xn[i] && strcmp(TextDatumGetCString(xe[i]), TextDatumGetCString(ye[i])) != 0)
			return false;
	}
	return true;
}

static bool
jsonb_equal(Jsonb *x, Jsonb *y)
{
	if (x == NULL || y == NULL)
		return x == y;
	return DatumGetBool(DirectFunctionCall2(jsonb_eq, JsonbPGetDatum(x), JsonbPGetDatum(y)));
}

static bool
intervals_equal(Interval *x, Interval *y)
{
	if (x == NULL || y == NULL)
		return x == y;
	return DatumGetBool(DirectFunctionCall2(interval_eq, IntervalPGetDatum(x),
											IntervalPGetDatum(y)));
}

static Oid
role_named(const char *name, const char *path)
{
	Oid			role = get_role_oid(name, true);

	if (!OidIsValid(role))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("%s: role \"%s\" does not exist", path, name)));
	return role;
}

/* ----------------------------------------------------------------
 * Contracts
 * ----------------------------------------------------------------
 */

/* A contract's id and version, as one key. */
static char *
given_key(const char *id, const char *version)
{
	return psprintf("%s\x1f%s", id, version);
}

typedef struct GivenContext
{
	int			index;
} GivenContext;

static void
given_context(void *arg)
{
	errcontext("contracts[%d]", ((GivenContext *) arg)->index);
}

/* The contracts given, each read and checked (ODCS schema and dmesh's rules). */
static List *
read_given(FunctionCallInfo fcinfo)
{
	List	   *given = NIL;
	DmeshNameMap *keys;
	ArrayType  *array;
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (PG_NARGS() < 2 || PG_ARGISNULL(1))
		return NIL;
	array = PG_GETARG_ARRAYTYPE_P(1);
	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("contracts must be a one-dimensional array")));
	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	keys = dmesh_name_map_create(n);
	for (int i = 0; i < n; i++)
	{
		Given	   *g = palloc0(sizeof(Given));
		ErrorContextCallback callback;
		GivenContext cx = {i + 1};
		int		   *slot;
		bool		found;

		CHECK_FOR_INTERRUPTS();
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("contracts[%d] must not be null", i + 1)));
		callback.callback = given_context;
		callback.arg = &cx;
		callback.previous = error_context_stack;
		error_context_stack = &callback;
		g->index = i + 1;
		g->doc = dmesh_parse_document(TextDatumGetCString(elems[i]));
		g->compiled = dmesh_contract_compile(g->doc);
		error_context_stack = callback.previous;
		g->id = dmesh_json_text(&g->doc->root, "id");
		g->version = g->compiled->version;
		slot = dmesh_name_map_insert(keys, given_key(g->id, g->version), &found);
		if (found)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("contracts[%d]: contract \"%s\" version %s is given twice, as contracts[%d] too",
							g->index, g->id, g->version, *slot)));
		*slot = g->index;
		given = lappend(given, g);
	}
	return given;
}

/* The object names of a contract, or the product's name for one without. */
static bool
names_object(const DmeshContract *c, const char *name, const char *product, DmeshSuggest *s)
{
	if (c->nobjects == 0)
	{
		dmesh_suggest_try(s, product);
		return strcmp(name, product) == 0;
	}
	for (int i = 0; i < c->nobjects; i++)
	{
		dmesh_suggest_try(s, c->objects[i].name);
		if (strcmp(c->objects[i].name, name) == 0)
			return true;
	}
	return false;
}

static int
step_cmp(const ListCell *x, const ListCell *y)
{
	Step	   *p = lfirst(x);
	Step	   *q = lfirst(y);

	return dmesh_semver_cmp(p->compiled, q->compiled);
}

/*
 * The contract version each output port names: given in contracts[] (to
 * be set) or set already.  Fills a->steps (in version order), a->majors
 * and a->newest.
 */
static void
resolve_ports(Apply *a)
{
	DmeshProductSpec *spec = a->spec;
	DmeshContract *newest = NULL;
	List	   *history = NIL;
	int			ngiven = list_length(a->given);
	DmeshNameMap *by_key = dmesh_name_map_create(ngiven);
	DmeshNameMap *by_version = dmesh_name_map_create(ngiven);
	DmeshNameMap *stepped = dmesh_name_map_create(spec->nports);
	DmeshNameMap *majors = dmesh_name_map_create(spec->nports);
	DmeshNameMap *newest_of = dmesh_name_map_create(spec->nports);
	ListCell   *lc;

	/* the contracts given, by id and version, and by version */
	foreach(lc, a->given)
	{
		Given	   *g = lfirst(lc);
		bool		found;
		int		   *slot;

		slot = dmesh_name_map_insert(by_key, given_key(g->id, g->version), &found);
		*slot = foreach_current_index(lc);
		slot = dmesh_name_map_insert(by_version, g->version, &found);
		if (!found)
			*slot = foreach_current_index(lc);
	}

	for (int i = 0; i < spec->nports; i++)
	{
		DmeshPortSpec *port = &spec->ports[i];
		Given	   *given = NULL;
		DmeshContract *contract = NULL;
		DmeshSuggest s;
		int			major,
					minor,
					patch;
		int			g;
		bool		found;
		int		   *slot;

		CHECK_FOR_INTERRUPTS();
		if (!dmesh_semver_parse(port->version, &major, &minor, &patch))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s.version: \"%s\" is not a semantic version", port->path, port->version),
					 errhint("An output port's version is its contract's, MAJOR.MINOR.PATCH.")));
		g = port->contract_id != NULL ?
			dmesh_name_map_lookup(by_key, given_key(port->contract_id, port->version)) :
			dmesh_name_map_lookup(by_version, port->version);
		if (g >= 0)
			given = list_nth(a->given, g);

		/* set already? */
		if (a->exists)
		{
			DmeshArgs	args;

			dmesh_args_init(&args);
			dmesh_arg_int8(&args, a->st.product.id);
			dmesh_arg_text(&args, port->version);
			dmesh_arg_datum(&args, BOOLOID, BoolGetDatum(given != NULL), false);

			/*
			 * A version dmesh derived stands in until the team sets one: a
			 * contract given of that version replaces it (set_contract).
			 */
			if (read_rows("SELECT document, document ->> 'id',"
						  "       CASE WHEN held_schema IS NOT NULL"
						  "            THEN jsonb_set(document, '{schema}', held_schema) ELSE document END"
						  "  FROM dmesh.contract WHERE product_id = $1 AND version = $2"
						  "   AND NOT (derived AND $3)"
						  " ORDER BY derived LIMIT 1", &args) > 0)
			{
				bool		isnull;
				Jsonb	   *stored = DatumGetJsonbPCopy(SPI_getbinval(SPI_tuptable->vals[0],
																	  SPI_tuptable->tupdesc, 1, &isnull));
				char	   *id = dmesh_spi_text(0, 2);
				Jsonb	   *effective = DatumGetJsonbPCopy(SPI_getbinval(SPI_tuptable->vals[0],
																		 SPI_tuptable->tupdesc, 3, &isnull));

				if (port->contract_id != NULL && !text_equal(id, port->contract_id))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("%s.contractId: version %s of the contract of data product \"%s\" has id \"%s\", not \"%s\"",
									port->path, port->version, a->display, id ? id : "",
									port->contract_id),
							 errhint("A contract version, once set, stays as it was set; give the new one a new version.")));
				if (given != NULL && !jsonb_equal(given->doc, stored))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("contracts[%d]: version %s of the contract of data product \"%s\" is set already, with other content",
									given->index, port->version, a->display),
							 errhint("Every accepted contract is kept as it was set; give this one a higher version.")));
				if (given != NULL)
					given->used = true;
				given = NULL;
				contract = dmesh_contract_compile_stored(effective);
			}
		}
		if (contract == NULL && given == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("%s: contract \"%s\" version %s is neither given nor set",
							port->path, port->contract_id ? port->contract_id : "(no contractId)",
							port->version),
					 errdetail("Data product \"%s\" has no contract version %s, and no contract in contracts has that id and version.",
							   a->display, port->version),
					 errhint("Pass the contract's ODCS document: dmesh.apply_product(document, ARRAY[contract, ...]).")));
		if (given != NULL)
		{
			given->used = true;
			contract = given->compiled;
			(void) dmesh_name_map_insert(stepped, port->version, &found);
			if (!found)
			{
				Step	   *step = palloc0(sizeof(Step));

				step->version = port->version;
				step->given = given;
				step->compiled = given->compiled;
				a->steps = lappend(a->steps, step);
				slot = dmesh_name_map_insert(newest_of, given->id, &found);
				if (!found || dmesh_semver_cmp(given->compiled,
											   ((Step *) list_nth(a->steps, *slot))->compiled) > 0)
					*slot = list_length(a->steps) - 1;
			}
		}

		/* the port's name is an object of its contract */
		dmesh_suggest_init(&s, port->name, strlen(port->name));
		if (!names_object(contract, port->name, a->spec->name, &s))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s.name: contract version %s has no object \"%s\"", port->path,
							port->version, port->name),
					 dmesh_suggest_result(&s) ?
					 errhint("Did you mean \"%s\"?", dmesh_suggest_result(&s)) :
					 errhint("An output port is named after the contract object it publishes.")));
		(void) dmesh_name_map_insert(majors, psprintf("%d", contract->major), &found);
		if (!found)
			a->majors = lappend_int(a->majors, contract->major);
		if (newest == NULL || dmesh_semver_cmp(contract, newest) > 0)
			newest = contract;
	}

	foreach(lc, a->given)
	{
		Given	   *g = lfirst(lc);

		if (!g->used && a->exists)
		{
			/* a version set already, as it was set, is no news */
			DmeshArgs	args;

			dmesh_args_init(&args);
			dmesh_arg_int8(&args, a->st.product.id);
			dmesh_arg_text(&args, g->version);
			if (read_rows("SELECT document, document ->> 'id' FROM dmesh.contract"
						  " WHERE product_id = $1 AND version = $2 ORDER BY derived LIMIT 1",
						  &args) > 0)
			{
				bool		isnull;
				Jsonb	   *stored = DatumGetJsonbPCopy(SPI_getbinval(SPI_tuptable->vals[0],
																	  SPI_tuptable->tupdesc, 1, &isnull));

				if (!jsonb_equal(stored, g->doc) || !text_equal(dmesh_spi_text(0, 2), g->id))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("contracts[%d]: version %s of the contract of data product \"%s\" is set already, with other content",
									g->index, g->version, a->display),
							 errhint("Every accepted contract is kept as it was set; give this one a higher version.")));
				g->used = true;
			}
		}
		if (g->used)
			continue;

		/*
		 * An earlier version of a contract a port names is its history: set
		 * first, in version order (a new product gets its whole history).
		 */
		{
			int			newest_step = dmesh_name_map_lookup(newest_of, g->id);

			if (newest_step >= 0 &&
				dmesh_semver_cmp(g->compiled, ((Step *) list_nth(a->steps, newest_step))->compiled) < 0)
				g->used = true;
		}
		if (!g->used)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("contracts[%d]: contract \"%s\" version %s is named by no output port",
							g->index, g->id, g->version),
					 errhint("List it in outputPorts (name, version, contractId), or leave it out; earlier versions of a contract a port names are set before it.")));
		history = lappend(history, g);
	}
	foreach(lc, history)
	{
		Given	   *g = lfirst(lc);
		Step	   *step = palloc0(sizeof(Step));

		step->version = g->version;
		step->given = g;
		step->compiled = g->compiled;
		a->steps = lappend(a->steps, step);
	}
	list_sort(a->steps, step_cmp);
	a->newest = newest ? newest->version : NULL;
}

/* ----------------------------------------------------------------
 * The steps
 * ----------------------------------------------------------------
 */

static void
create_product(Apply *a)
{
	DmeshProductSpec *spec = a->spec;
	Step	   *first = a->steps != NIL ? linitial(a->steps) : NULL;
	DmeshArgs	args;
	StringInfoData detail;

	if (first == NULL && !spec->has_source)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("data product \"%s\" does not exist, and the document gives neither a contract nor a source to create it from",
						a->display),
				 errhint("List an output port naming a contract given in contracts, or give customProperties dmeshSource.")));
	initStringInfo(&detail);
	appendStringInfo(&detail, "a draft");
	if (first != NULL)
		appendStringInfo(&detail, " with contract \"%s\" version %s", first->given->id,
						 first->version);
	else
		appendStringInfoString(&detail, " with a contract derived from its source");
	if (spec->materialized)
		appendStringInfoString(&detail, ", materialized");
	if (a->apply)
	{
		Jsonb	   *doc = first ? first->given->doc : NULL;

		dmesh_args_init(&args);
		dmesh_arg_text(&args, spec->domain);
		dmesh_arg_text(&args, spec->name);
		dmesh_arg_text(&args, spec->source);
		dmesh_arg_text(&args, spec->has_purpose ? spec->purpose : NULL);
		dmesh_arg_oid(&args, REGROLEOID,
					  spec->owner ? role_named(spec->owner, "customProperties.dmeshOwner") : InvalidOid);
		dmesh_arg_datum(&args, TEXTARRAYOID,
						PointerGetDatum(spec->has_tags ? spec->tags : construct_empty_array(TEXTOID)),
						false);
		dmesh_arg_text(&args, doc ? JsonbToCString(NULL, &doc->root, VARSIZE(doc)) : NULL);
		dmesh_arg_datum(&args, BOOLOID, BoolGetDatum(spec->materialized), false);
		dmesh_arg_datum(&args, JSONBOID, PointerGetDatum(spec->sources), spec->sources == NULL);
		call(a, "SELECT dmesh.create_data_product($1, $2, $3, $4, $5, $6, $7, NULL, $8, $9)", &args);
	}
	row(a, "product", a->display, "create", false, NULL, detail.data);
	if (first != NULL)
		a->steps = list_delete_first(a->steps);

	if (a->apply)
		dmesh_product_state(&a->st, a->display);
	else
	{
		/* what the new product will be, for the comparisons that follow */
		DmeshProductState *st = &a->st;

		memset(st, 0, sizeof(DmeshProductState));
		st->product.name = spec->name;
		st->product.domain = a->domain;
		st->product.status = "draft";
		st->product.gate = "enforce";
		st->product.description = spec->has_purpose ? spec->purpose : NULL;
		st->product.version = first ? first->version : "1.0.0";
		st->tags = spec->has_tags ? spec->tags : construct_empty_array(TEXTOID);
		st->enforcement = "off";
		st->document_id = psprintf("urn:dmesh:%s:%s", a->domain.name, spec->name);
		st->kept = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
		st->contract = first ? first->given->doc : NULL;
	}
}

/* What exists and cannot change: owner, source, materialized. */
static void
check_fixed(Apply *a)
{
	DmeshProductSpec *spec = a->spec;
	DmeshProduct *product = &a->st.product;

	if (spec->owner != NULL &&
		role_named(spec->owner, "customProperties.dmeshOwner") != product->owner)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("customProperties.dmeshOwner: the owner of data product \"%s\" is role \"%s\", not \"%s\"",
						a->display, dmesh_role_name(product->owner), spec->owner),
				 errhint("The owner of a data product does not change; leave dmeshOwner as it is.")));
	if (spec->has_materialized && spec->materialized != (a->st.materialize_query != NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("customProperties.dmeshMaterialized: data product \"%s\" is %smaterialized",
						a->display, a->st.materialize_query ? "" : "not "),
				 errhint("Whether a product is materialized is decided when it is created.")));
	if (!spec->has_source)
		return;
	if (spec->source != NULL)
	{
		DmeshSource s = dmesh_resolve_source(spec->source);
		bool		same;

		if (a->st.materialize_query != NULL)
			same = s.query != NULL && strcmp(s.query, a->st.materialize_query) == 0;
		else if (dmesh_product_has_objects(product))
			same = false;
		else if (OidIsValid(s.relid))
			same = s.relid == product->source_relid;
		else
			same = product->source_query != NULL && strcmp(s.query, product->source_query) == 0;
		if (!same)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("customProperties.dmeshSource: data product \"%s\" has another source",
							a->display),
					 errhint("The source of a data product does not change; export the product's document with dmesh.product_yaml('%s') to see it.",
							 a->display)));
	}
	else if (spec->sources != NULL)
	{
		JsonbIterator *it = JsonbIteratorInit(&spec->sources->root);
		JsonbValue	v;
		JsonbIteratorToken tok;
		char	   *key = NULL;
		int			n = 0;
		bool		same = dmesh_product_has_objects(product);

		while (same && (tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		{
			int			i;
			DmeshSource s;

			if (tok == WJB_KEY)
			{
				key = pnstrdup(v.val.string.val, v.val.string.len);
				continue;
			}
			if (tok != WJB_VALUE)
				continue;
			n++;
			i = dmesh_product_find_object(product, key);
			if (i < 0)
			{
				same = false;
				break;
			}
			s = dmesh_resolve_source(pnstrdup(v.val.string.val, v.val.string.len));
			same = OidIsValid(s.relid) ? s.relid == product->objects[i].relid :
				(product->objects[i].query != NULL && strcmp(s.query, product->objects[i].query) == 0);
		}
		if (!same || n != product->nobjects)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("customProperties.dmeshSource: data product \"%s\" has other sources",
							a->display),
					 errhint("The sources of a data product do not change; export the product's document with dmesh.product_yaml('%s') to see them.",
							 a->display)));
	}
}

/*
 * Description and tags: dmesh's own update, made as the extension owner
 * for a caller who manages the product, in the event log.
 */
static void
describe_product(Apply *a, bool set_purpose, bool set_tags)
{
	DmeshProductSpec *spec = a->spec;
	DmeshSection section;
	DmeshProduct product;
	DmeshArgs	args;
	DmeshJson	details;

	dmesh_begin_product_call(a->display, a->caller, "describe", &section, &product);
	dmesh_refuse_retired(&product, "describe");
	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product.id);
	dmesh_arg_datum(&args, BOOLOID, BoolGetDatum(set_purpose), false);
	dmesh_arg_text(&args, spec->purpose);
	dmesh_arg_datum(&args, BOOLOID, BoolGetDatum(set_tags), false);
	dmesh_arg_datum(&args, TEXTARRAYOID, PointerGetDatum(spec->tags), spec->tags == NULL);
	dmesh_spi_exec("UPDATE dmesh.data_product"
				   "   SET description = CASE WHEN $2 THEN $3 ELSE description END,"
				   "       tags = CASE WHEN $4 THEN $5 ELSE tags END, updated_at = now()"
				   " WHERE product_id = $1",
				   &args, SPI_OK_UPDATE);
	dmesh_json_init(&details);
	if (set_purpose)
	{
		dmesh_json_str(&details, "description", spec->purpose);
		dmesh_json_str(&details, "previous_description", product.description);
	}
	if (set_tags)
		dmesh_json_raw(&details, "tags",
					   TextDatumGetCString(DirectFunctionCall1(array_to_json,
															   PointerGetDatum(spec->tags))));
	dmesh_log_event(a->caller, "describe", "data_product", a->display, product.domain.id,
					product.id, dmesh_json_finish(&details));
	dmesh_end_call(&section);
}

static void
apply_description(Apply *a)
{
	DmeshProductSpec *spec = a->spec;
	DmeshProductState *st = &a->st;
	const char *purpose = st->product.description;
	bool		set_purpose;
	bool		set_tags;

	if (purpose == NULL && st->contract != NULL)
	{
		JsonbValue *d = dmesh_json_get(&st->contract->root, "description");

		if (d != NULL && d->type == jbvBinary)
			purpose = dmesh_json_text(d->val.binary.data, "purpose");
	}
	set_purpose = spec->has_purpose && !text_equal(spec->purpose, purpose);
	set_tags = spec->has_tags && !arrays_equal(spec->tags, st->tags);
	if (!set_purpose && !set_tags)
		return;
	if (a->apply)
		describe_product(a, set_purpose, set_tags);
	if (set_purpose)
		row(a, "description", "purpose", "update", false, NULL,
			psprintf("was %s", purpose ? psprintf("\"%s\"", purpose) : "none"));
	if (set_tags)
		row(a, "tags", names_text(spec->tags), "update", false, NULL,
			psprintf("was %s", names_text(st->tags)));
}

/* Property names of the breaking changes, or NIL when one is of the whole. */
static List *
breaking_columns(List *changes, bool *whole, StringInfo text)
{
	List	   *columns = NIL;
	DmeshNameMap *seen = dmesh_name_map_create(list_length(changes));
	ListCell   *lc;

	*whole = false;
	foreach(lc, changes)
	{
		DmeshChange *c = lfirst(lc);
		const char *p;
		const char *end;
		char	   *column;
		bool		found;

		if (c->severity != DMESH_BREAKING)
			continue;
		/* path and kind only: a line of a plan, not the values */
		appendStringInfo(text, "%s%s %s", text->len > 0 ? "; " : "", c->path, c->change);
		p = strstr(c->path, "].properties[");
		if (strncmp(c->path, "schema[", 7) != 0 || p == NULL ||
			(end = strchr(p + 13, ']')) == NULL)
		{
			*whole = true;
			continue;
		}
		column = pnstrdup(p + 13, end - (p + 13));
		(void) dmesh_name_map_insert(seen, column, &found);
		if (!found)
			columns = lappend(columns, column);
	}
	return columns;
}

static void
apply_contracts(Apply *a)
{
	DmeshProductState *st = &a->st;
	DmeshContract *prev = NULL;
	ListCell   *lc;
	bool		live = dmesh_product_is_live(&st->product);

	foreach(lc, a->steps)
	{
		Step	   *step = lfirst(lc);
		DmeshContract *next = step->compiled;
		DmeshSection section;
		int			counts[3] = {0, 0, 0};
		StringInfoData breaking;
		StringInfoData detail;
		ArrayType  *consumers = NULL;
		bool		refused = false;
		bool		derived = false;
		List	   *changes = NIL;
		DmeshContract *held = next;
		ListCell   *c;

		CHECK_FOR_INTERRUPTS();
		initStringInfo(&breaking);
		initStringInfo(&detail);

		/* the contract it follows, and the changes (a draft has no consumers) */
		dmesh_enter_privileged(&section);
		if (prev == NULL && a->exists)
			prev = dmesh_load_contract(&st->product, NULL, -1);
		if (prev != NULL)
		{
			derived = prev->derived;
			if (!prev->derived && dmesh_semver_cmp(next, prev) <= 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("contract version %s of data product \"%s\" is not newer than version %s",
								next->version, a->display, prev->version),
						 errhint("Every accepted contract is kept; give this one a higher version.")));
			if (live)
			{
				if (dmesh_contract_leaves_schema(next))
					held = dmesh_contract_hold(&st->product, next);
				changes = dmesh_contract_diff(prev, held);
			}
		}
		dmesh_leave(&section);

		foreach(c, changes)
			counts[((DmeshChange *) lfirst(c))->severity]++;
		if (counts[DMESH_BREAKING] > 0)
		{
			bool		whole;
			List	   *columns = breaking_columns(changes, &whole, &breaking);

			consumers = readers(a, whole ? NIL : columns);
			refused = next->major == prev->major;
		}
		if (refused && a->apply)
		{
			int			nconsumers = ArrayGetNItems(ARR_NDIM(consumers), ARR_DIMS(consumers));

			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("contract version %s of data product \"%s\" breaks version %s without a new major version",
							next->version, a->display, prev->version),
					 nconsumers > 0 ?
					 errdetail("Breaking changes: %s.\nRoles that read what it breaks in the last 30 days: %s.",
							   breaking.data, names_text(consumers)) :
					 errdetail("Breaking changes: %s.\nNo role read what it breaks in the last 30 days.",
							   breaking.data),
					 errhint("Publish it as version %d.0.0: consumers keep major version %d until they move.",
							 prev->major + 1, prev->major)));
		}

		if (prev == NULL)
			appendStringInfo(&detail, "contract \"%s\" version %s", step->given->id, next->version);
		else
			appendStringInfo(&detail, "%s -> %s%s", prev->version, next->version,
							 derived ? " (replaces the derived contract)" : "");
		if (live && prev != NULL)
			appendStringInfo(&detail, ": %d breaking, %d warning, %d info",
							 counts[DMESH_BREAKING], counts[DMESH_WARNING], counts[DMESH_INFO]);
		if (refused)
			appendStringInfo(&detail, "; refused: a breaking change needs a new major version (%d.0.0): %s",
							 prev->major + 1, breaking.data);
		else if (counts[DMESH_BREAKING] > 0)
			appendStringInfo(&detail, "; %s", breaking.data);
		if (live && prev != NULL && next->major != prev->major)
			appendStringInfo(&detail, "; major version %d published beside %d, which becomes deprecated",
							 next->major, prev->major);

		if (a->apply)
		{
			DmeshArgs	args;
			Jsonb	   *doc = step->given->doc;

			dmesh_args_init(&args);
			dmesh_arg_text(&args, a->display);
			dmesh_arg_text(&args, JsonbToCString(NULL, &doc->root, VARSIZE(doc)));
			call(a, "SELECT dmesh.set_contract($1, $2::text)", &args);
		}
		row(a, "contract", next->version, refused ? "refused" : "set",
			counts[DMESH_BREAKING] > 0, consumers, detail.data);
		prev = held;
		st->contract = step->given->doc;
		st->product.version = next->version;
	}
}

/* Older major versions that no port lists any more are retired. */
static void
retire_majors(Apply *a)
{
	DmeshProductState *st = &a->st;
	int			current = dmesh_version_major(st->product.version);
	List	   *done = NIL;
	ListCell   *lc;

	if (!a->spec->has_ports || a->spec->nports == 0 || strcmp(st->product.status, "draft") == 0)
		return;
	foreach(lc, st->ports)
	{
		DmeshPortState *port = lfirst(lc);
		ArrayType  *consumers;

		if (port->major == current || list_member_int(a->majors, port->major) ||
			list_member_int(done, port->major))
			continue;
		done = lappend_int(done, port->major);
		consumers = readers(a, NIL);
		if (a->apply)
		{
			DmeshArgs	args;

			dmesh_args_init(&args);
			dmesh_arg_text(&args, a->display);
			dmesh_arg_int4(&args, port->major);
			call(a, "SELECT dmesh.retire_data_product($1, $2)", &args);
		}
		row(a, "output_port", psprintf("%d", port->major), "retire", true, consumers,
			psprintf("no output port lists major version %d: its relations are dropped",
					 port->major));
	}
}

static void
apply_policies(Apply *a)
{
	DmeshProductSpec *spec = a->spec;
	DmeshNameMap *current;
	DmeshNameMap *asked;
	bool		found;
	int		   *slot;
	ListCell   *lc;

	if (!spec->has_policies)
		return;
	current = dmesh_name_map_create(list_length(a->st.policies));
	foreach(lc, a->st.policies)
	{
		slot = dmesh_name_map_insert(current, ((DmeshPolicySpec *) lfirst(lc))->name, &found);
		*slot = foreach_current_index(lc);
	}
	asked = dmesh_name_map_create(list_length(spec->policies));
	foreach(lc, spec->policies)
	{
		slot = dmesh_name_map_insert(asked, ((DmeshPolicySpec *) lfirst(lc))->name, &found);
		*slot = foreach_current_index(lc);
	}

	foreach(lc, a->st.policies)
	{
		DmeshPolicySpec *p = lfirst(lc);

		CHECK_FOR_INTERRUPTS();
		if (dmesh_name_map_lookup(asked, p->name) >= 0)
			continue;
		if (a->apply)
		{
			DmeshArgs	args;

			dmesh_args_init(&args);
			dmesh_arg_text(&args, p->name);
			call(a, "SELECT dmesh.drop_policy($1)", &args);
		}
		row(a, "policy", p->name, "drop", false, NULL, psprintf("%s policy", p->kind));
	}
	foreach(lc, spec->policies)
	{
		DmeshPolicySpec *p = lfirst(lc);
		int			i = dmesh_name_map_lookup(current, p->name);
		DmeshPolicySpec *now = i >= 0 ? list_nth(a->st.policies, i) : NULL;

		CHECK_FOR_INTERRUPTS();
		if (now != NULL && strcmp(now->kind, p->kind) == 0 &&
			jsonb_equal(now->rule, p->rule) &&
			strcmp(now->enforcement, p->enforcement) == 0)
			continue;
		if (a->apply)
		{
			DmeshArgs	args;

			if (now != NULL)
			{
				dmesh_args_init(&args);
				dmesh_arg_text(&args, p->name);
				call(a, "SELECT dmesh.drop_policy($1)", &args);
			}
			dmesh_args_init(&args);
			dmesh_arg_text(&args, p->name);
			dmesh_arg_text(&args, p->kind);
			dmesh_arg_datum(&args, JSONBOID, JsonbPGetDatum(p->rule), false);
			dmesh_arg_text(&args, psprintf("product:%s", a->display));
			dmesh_arg_text(&args, p->enforcement);
			call(a, "SELECT dmesh.create_policy($1, $2, $3, $4, $5)", &args);
		}
		row(a, "policy", p->name, now ? "update" : "create", false, NULL,
			psprintf("%s policy, %s", p->kind, p->enforcement));
	}
}

static void
lifecycle_call(Apply *a, const char *sql, const char *reason, bool has_sunset, DateADT sunset)
{
	DmeshArgs	args;

	dmesh_args_init(&args);
	dmesh_arg_text(&args, a->display);
	if (reason != NULL)
	{
		dmesh_arg_text(&args, reason);
		dmesh_arg_datum(&args, DATEOID, DateADTGetDatum(sunset), !has_sunset);
	}
	call(a, sql, &args);
}

#define PUBLISH		"SELECT dmesh.publish_data_product($1)"
#define DEPRECATE	"SELECT dmesh.deprecate_data_product($1, $2, $3)"

static void
apply_status(Apply *a)
{
	DmeshProductSpec *spec = a->spec;
	DmeshProductState *st = &a->st;
	const char *from = st->product.status;
	const char *to = spec->status;

	if (strcmp(to, "deprecated") == 0 && spec->deprecation_reason == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("status: a deprecated data product needs a reason"),
				 errhint("Give customProperties dmeshDeprecation: {reason: ..., sunset: ...}.")));
	if (strcmp(to, "draft") == 0)
	{
		if (strcmp(from, "draft") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("status: data product \"%s\" is %s and cannot be a draft again",
							a->display, dmesh_odps_status(from)),
					 errhint("Deprecate it or retire it instead.")));
		return;
	}
	if (strcmp(to, "published") == 0)
	{
		if (strcmp(from, "published") == 0)
			return;
		if (a->apply)
			lifecycle_call(a, PUBLISH, NULL, false, 0);
		row(a, "status", "active", "publish", false, NULL,
			strcmp(from, "deprecated") == 0 ? "the deprecation is undone" : "was a draft");
		return;
	}
	/* deprecated */
	if (strcmp(from, "deprecated") == 0)
	{
		if (text_equal(st->deprecation_reason, spec->deprecation_reason) &&
			st->has_sunset == spec->has_sunset &&
			(!st->has_sunset || st->sunset == spec->sunset))
			return;
		if (a->apply)
		{
			lifecycle_call(a, PUBLISH, NULL, false, 0);
			lifecycle_call(a, DEPRECATE, spec->deprecation_reason, spec->has_sunset, spec->sunset);
		}
		row(a, "status", "deprecated", "update", false, NULL,
			"another reason or sunset: published, then deprecated again");
		return;
	}
	if (strcmp(from, "draft") == 0)
	{
		if (a->apply)
			lifecycle_call(a, PUBLISH, NULL, false, 0);
		row(a, "status", "active", "publish", false, NULL, "was a draft");
	}
	if (a->apply)
		lifecycle_call(a, DEPRECATE, spec->deprecation_reason, spec->has_sunset, spec->sunset);
	row(a, "status", "deprecated", "deprecate", false, NULL, spec->deprecation_reason);
}

static bool
agreement_equal(DmeshAgreementSpec *x, DmeshAgreementSpec *y)
{
	return text_equal(x->row_filter, y->row_filter) && text_equal(x->purpose, y->purpose) &&
		x->has_expiry == y->has_expiry && (!x->has_expiry || x->expires_at == y->expires_at) &&
		arrays_equal(x->unmask, y->unmask);
}

static void
apply_agreements(Apply *a)
{
	DmeshProductSpec *spec = a->spec;
	DmeshNameMap *current;
	DmeshNameMap *asked;
	ListCell   *lc;

	if (!spec->has_agreements)
		return;
	/* the agreements, current and asked for, by the role's name */
	current = dmesh_name_map_create(list_length(a->st.agreements));
	foreach(lc, a->st.agreements)
	{
		DmeshAgreementSpec *g = lfirst(lc);
		bool		found;
		int		   *slot = dmesh_name_map_insert(current, g->consumer, &found);

		*slot = foreach_current_index(lc);
	}
	asked = dmesh_name_map_create(list_length(spec->agreements));
	foreach(lc, spec->agreements)
	{
		DmeshAgreementSpec *g = lfirst(lc);
		bool		found;
		int		   *slot;

		CHECK_FOR_INTERRUPTS();
		/* as the catalog names the role */
		g->consumer = dmesh_role_name(role_named(g->consumer,
												 psprintf("customProperties.dmeshAgreements (%s)",
														  g->consumer)));
		slot = dmesh_name_map_insert(asked, g->consumer, &found);
		*slot = foreach_current_index(lc);
	}

	foreach(lc, a->st.agreements)
	{
		DmeshAgreementSpec *g = lfirst(lc);
		Oid			role = get_role_oid(g->consumer, true);
		ArrayType  *consumers = construct_empty_array(TEXTOID);

		CHECK_FOR_INTERRUPTS();
		if (dmesh_name_map_lookup(asked, g->consumer) >= 0 || !OidIsValid(role))
			continue;
		if (a->exists)
		{
			/* the consumer, if it read the product in the last 30 days */
			DmeshArgs	args;
			bool		isnull;

			dmesh_args_init(&args);
			dmesh_arg_int8(&args, a->st.product.id);
			dmesh_arg_text(&args, g->consumer);
			(void) read_rows("SELECT coalesce(array_agg(DISTINCT u.consumer::text), '{}')"
							 "  FROM dmesh.usage_daily u"
							 " WHERE u.product_id = $1 AND u.day > current_date - 30"
							 "   AND u.consumer = $2::name",
							 &args);
			consumers = DatumGetArrayTypePCopy(SPI_getbinval(SPI_tuptable->vals[0],
															 SPI_tuptable->tupdesc, 1, &isnull));
		}
		if (a->apply)
		{
			DmeshArgs	args;

			dmesh_args_init(&args);
			dmesh_arg_text(&args, a->display);
			dmesh_arg_oid(&args, REGROLEOID, role);
			call(a, "SELECT dmesh.revoke_access($1, $2)", &args);
		}
		row(a, "agreement", g->consumer, "revoke", true, consumers,
			"the role loses its access to the product");
	}
	foreach(lc, spec->agreements)
	{
		DmeshAgreementSpec *g = lfirst(lc);
		Oid			role = get_role_oid(g->consumer, false);
		int			i = dmesh_name_map_lookup(current, g->consumer);
		DmeshAgreementSpec *now = i >= 0 ? list_nth(a->st.agreements, i) : NULL;

		CHECK_FOR_INTERRUPTS();
		if (now != NULL && agreement_equal(now, g))
			continue;
		if (a->apply)
		{
			DmeshArgs	args;

			dmesh_args_init(&args);
			dmesh_arg_text(&args, a->display);
			dmesh_arg_oid(&args, REGROLEOID, role);
			dmesh_arg_text(&args, g->row_filter);
			dmesh_arg_text(&args, g->purpose);
			dmesh_arg_datum(&args, TIMESTAMPTZOID, TimestampTzGetDatum(g->expires_at),
							!g->has_expiry);
			dmesh_arg_datum(&args, TEXTARRAYOID, PointerGetDatum(g->unmask), false);
			call(a, "SELECT dmesh.grant_access($1, $2, $3, $4, $5, $6)", &args);
		}
		row(a, "agreement", g->consumer, now ? "update" : "grant", false, NULL,
			g->row_filter ? psprintf("rows where %s", g->row_filter) : "every row");
	}
}

static void
apply_operations(Apply *a)
{
	DmeshProductSpec *spec = a->spec;
	DmeshProductState *st = &a->st;
	DmeshArgs	args;

	if (spec->enforcement != NULL && strcmp(spec->enforcement, st->enforcement) != 0)
	{
		if (a->apply)
		{
			dmesh_args_init(&args);
			dmesh_arg_text(&args, a->display);
			dmesh_arg_text(&args, spec->enforcement);
			call(a, "SELECT pg_catalog.count(*) FROM dmesh.enforce_contract($1, $2)", &args);
		}
		row(a, "enforcement", spec->enforcement, "set", false, NULL,
			psprintf("was %s", st->enforcement));
	}
	if (spec->has_schedule &&
		(!intervals_equal(spec->refresh, st->refresh) || !intervals_equal(spec->check, st->check) ||
		 !intervals_equal(spec->freshness, st->freshness)))
	{
		StringInfoData item;

		initStringInfo(&item);
		appendStringInfo(&item, "refresh %s, check %s, freshness %s",
						 spec->refresh ? dmesh_interval_text(spec->refresh) : "none",
						 spec->check ? dmesh_interval_text(spec->check) : "none",
						 spec->freshness ? dmesh_interval_text(spec->freshness) : "none");
		if (a->apply)
		{
			dmesh_args_init(&args);
			dmesh_arg_text(&args, a->display);
			dmesh_arg_datum(&args, INTERVALOID, IntervalPGetDatum(spec->refresh), spec->refresh == NULL);
			dmesh_arg_datum(&args, INTERVALOID, IntervalPGetDatum(spec->check), spec->check == NULL);
			dmesh_arg_datum(&args, INTERVALOID, IntervalPGetDatum(spec->freshness),
							spec->freshness == NULL);
			call(a, "SELECT dmesh.set_schedule($1, $2, $3, $4)", &args);
		}
		row(a, "schedule", item.data, "set", false, NULL, NULL);
	}
	if (spec->gate != NULL && strcmp(spec->gate, st->product.gate) != 0)
	{
		if (a->apply)
		{
			dmesh_args_init(&args);
			dmesh_arg_text(&args, a->display);
			dmesh_arg_text(&args, spec->gate);
			call(a, "SELECT dmesh.set_contract_gate($1, $2)", &args);
		}
		row(a, "contract_gate", spec->gate, "set", false, NULL,
			psprintf("was %s", st->product.gate));
	}
}

/* ----------------------------------------------------------------
 * What dmesh keeps of the document
 * ----------------------------------------------------------------
 */

static const char *const kept_top[] = {
	"tenant", "authoritativeDefinitions", "managementPorts", "productCreatedTs", "team",
	"support", "inputPorts",
};
static const char *const kept_description[] = {
	"limitations", "usage", "authoritativeDefinitions", "customProperties",
};

static JsonbValue *
get(Jsonb *doc, const char *key)
{
	return doc ? dmesh_json_get(&doc->root, key) : NULL;
}

static JsonbValue *
get2(JsonbValue *v, const char *key)
{
	if (v == NULL || v->type != jbvBinary)
		return NULL;
	return dmesh_json_get(v->val.binary.data, key);
}

static bool
values_equal(JsonbValue *x, JsonbValue *y)
{
	if (x == NULL || y == NULL)
		return x == y;
	return jsonb_equal(JsonbValueToJsonb(x), JsonbValueToJsonb(y));
}

static char *
json_text(JsonbValue *v)
{
	Jsonb	   *jb = JsonbValueToJsonb(v);

	return JsonbToCString(NULL, &jb->root, VARSIZE(jb));
}

static void
keep(StringInfo buf, const char *key, const char *json)
{
	if (buf->len > 1)
		appendStringInfoString(buf, ", ");
	escape_json(buf, key);
	appendStringInfo(buf, ": %s", json);
}

/*
 * What dmesh keeps of the document: each field it has no home for, or
 * that says otherwise than "derived" (the document dmesh would write).
 */
static Jsonb *
kept_of(DmeshProductSpec *spec, Jsonb *derived)
{
	Jsonb	   *doc = spec->doc;
	StringInfoData buf;
	StringInfoData sub;
	JsonbValue *v;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int i = 0; i < lengthof(kept_top); i++)
	{
		v = get(doc, kept_top[i]);
		if (v != NULL && !values_equal(v, get(derived, kept_top[i])))
			keep(&buf, kept_top[i], json_text(v));
	}

	initStringInfo(&sub);
	appendStringInfoChar(&sub, '{');
	for (int i = 0; i < lengthof(kept_description); i++)
	{
		v = get2(get(doc, "description"), kept_description[i]);
		if (v != NULL && !values_equal(v, get2(get(derived, "description"), kept_description[i])))
			keep(&sub, kept_description[i], json_text(v));
	}
	appendStringInfoChar(&sub, '}');
	if (sub.len > 2)
		keep(&buf, "description", sub.data);

	if (spec->custom != NULL)
		keep(&buf, "customProperties", JsonbToCString(NULL, &spec->custom->root,
													  VARSIZE(spec->custom)));

	resetStringInfo(&sub);
	appendStringInfoChar(&sub, '{');
	for (int i = 0; i < spec->nports; i++)
	{
		DmeshPortSpec *p = &spec->ports[i];
		JsonbValue *type = get(p->extras, "type");
		int			nextras = JsonContainerSize(&p->extras->root);

		/* type tables is what dmesh writes */
		if (nextras == 0 ||
			(nextras == 1 && type != NULL && type->type == jbvString &&
			 type->val.string.len == strlen(DMESH_DEFAULT_PORT_TYPE) &&
			 memcmp(type->val.string.val, DMESH_DEFAULT_PORT_TYPE, type->val.string.len) == 0))
			continue;
		keep(&sub, psprintf("%s %s", p->name, p->version),
			 JsonbToCString(NULL, &p->extras->root, VARSIZE(p->extras)));
	}
	appendStringInfoChar(&sub, '}');
	if (sub.len > 2)
		keep(&buf, "outputPorts", sub.data);
	appendStringInfoChar(&buf, '}');
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

/* The keys (and, for description and outputPorts, their keys) that differ. */
static void
kept_changes(Apply *a, Jsonb *old, Jsonb *new)
{
	const char *const groups[] = {"description", "outputPorts"};
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	List	   *keys = NIL;
	ListCell   *lc;

	/* every key of either, once */
	for (int side = 0; side < 2; side++)
	{
		Jsonb	   *doc = side == 0 ? old : new;
		int			depth = 0;

		it = JsonbIteratorInit(&doc->root);
		while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
		{
			if (tok == WJB_BEGIN_OBJECT || tok == WJB_BEGIN_ARRAY)
				depth++;
			else if (tok == WJB_END_OBJECT || tok == WJB_END_ARRAY)
				depth--;
			else if (tok == WJB_KEY && depth == 1)
				keys = list_append_unique(keys, makeString(pnstrdup(v.val.string.val,
																	v.val.string.len)));
		}
	}
	foreach(lc, keys)
	{
		char	   *key = strVal(lfirst(lc));
		bool		group = strcmp(key, groups[0]) == 0 || strcmp(key, groups[1]) == 0;
		JsonbValue *x = get(old, key);
		JsonbValue *y = get(new, key);

		if (values_equal(x, y))
			continue;
		if (!group)
		{
			row(a, "document", key, y ? "keep" : "forget", false, NULL,
				y ? "kept as written" : "dmesh writes what it derives");
			continue;
		}
		/* the keys within */
		for (int side = 0; side < 2; side++)
		{
			JsonbValue *g = side == 0 ? x : y;

			if (g == NULL || g->type != jbvBinary)
				continue;
			it = JsonbIteratorInit(g->val.binary.data);
			while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
			{
				char	   *k;
				JsonbValue *ox;
				JsonbValue *oy;

				if (tok != WJB_KEY)
					continue;
				k = pnstrdup(v.val.string.val, v.val.string.len);
				ox = get2(x, k);
				oy = get2(y, k);
				if (values_equal(ox, oy) || (side == 1 && ox != NULL))
					continue;
				row(a, "document", psprintf("%s[%s]", key, k), oy ? "keep" : "forget", false, NULL,
					oy ? "kept as written" : "dmesh writes what it derives");
			}
		}
	}
}

static void
apply_document(Apply *a)
{
	DmeshProductSpec *spec = a->spec;
	Jsonb	   *kept;
	bool		id_changes;
	Jsonb	   *old = a->st.kept;
	char	   *default_id = psprintf("urn:dmesh:%s:%s", a->domain.name, spec->name);

	if (a->apply)
	{
		/* what dmesh derives now, after the changes */
		dmesh_product_state(&a->st, a->display);
		kept = kept_of(spec, dmesh_product_odps(&a->st, false));
	}
	else if (a->exists)
		kept = kept_of(spec, dmesh_product_odps(&a->st, false));
	else
	{
		/* a plan of a new product: as if dmesh derived nothing yet */
		kept = kept_of(spec, NULL);
	}
	id_changes = strcmp(spec->id, a->st.document_id) != 0;
	if (!id_changes && jsonb_equal(kept, old))
		return;
	if (id_changes)
		row(a, "document", "id", "set", false, NULL,
			psprintf("was \"%s\"", a->st.document_id));
	kept_changes(a, old, kept);

	if (a->apply)
	{
		DmeshSection section;
		DmeshProduct product;
		DmeshArgs	args;
		DmeshJson	details;
		bool		back_to_default;

		/* the id dmesh gives, nothing kept: no row */
		back_to_default = strcmp(spec->id, default_id) == 0 && JsonContainerSize(&kept->root) == 0;
		dmesh_begin_product_call(a->display, a->caller, "apply a document to", &section, &product);
		dmesh_args_init(&args);
		dmesh_arg_int8(&args, product.id);
		if (back_to_default)
			dmesh_spi_exec("DELETE FROM dmesh.applied_product WHERE product_id = $1",
						   &args, SPI_OK_DELETE);
		else
		{
			dmesh_arg_text(&args, spec->id);
			dmesh_arg_datum(&args, JSONBOID, JsonbPGetDatum(kept), false);
			dmesh_arg_text(&args, dmesh_role_name(a->caller));
			dmesh_spi_exec("INSERT INTO dmesh.applied_product AS a"
						   " (product_id, document_id, kept, applied_by)"
						   " VALUES ($1, $2, $3, $4)"
						   " ON CONFLICT (product_id) DO UPDATE"
						   " SET document_id = excluded.document_id, kept = excluded.kept,"
						   "     applied_by = excluded.applied_by, applied_at = now()",
						   &args, SPI_OK_INSERT);
		}
		dmesh_json_init(&details);
		dmesh_json_str(&details, "document_id", spec->id);
		dmesh_json_raw(&details, "kept", JsonbToCString(NULL, &kept->root, VARSIZE(kept)));
		dmesh_log_event(a->caller, "apply_document", "data_product", a->display,
						product.domain.id, product.id, dmesh_json_finish(&details));
		dmesh_end_call(&section);
	}
}

/* ----------------------------------------------------------------
 * plan_product, apply_product
 * ----------------------------------------------------------------
 */

/* Who may plan or apply: the product's managers, or the domain's to create. */
static void
require_rights(Apply *a)
{
	if (a->exists)
	{
		dmesh_require_manager(a->caller, &a->st.product,
							  a->apply ? "apply a document to" : "plan a document for");
		return;
	}
	if (!has_privs_of_role(a->caller, a->domain.owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for domain \"%s\"", a->domain.name),
				 errdetail("Only role \"%s\" (owner of domain \"%s\") and its members can create data products in it.",
						   dmesh_role_name(a->domain.owner), a->domain.name)));
}

/* The document's version must be that of the newest output port. */
static void
check_version(Apply *a)
{
	DmeshProductSpec *spec = a->spec;
	const char *expected = a->newest;

	if (a->exists && a->newest != NULL)
	{
		DmeshContract *active;
		DmeshSection section;
		bool		older;
		int			major,
					minor,
					patch;

		dmesh_enter_privileged(&section);
		active = dmesh_load_contract(&a->st.product, NULL, -1);
		dmesh_semver_parse(a->newest, &major, &minor, &patch);
		older = !active->derived &&
			(major < active->major ||
			 (major == active->major && (minor < active->minor ||
										 (minor == active->minor && patch < active->patch))));
		dmesh_leave(&section);
		if (older)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("outputPorts: the newest version listed, %s, is older than version %s of the contract of data product \"%s\"",
							a->newest, a->st.product.version, a->display),
					 errhint("List an output port of version %s; dmesh.product_yaml('%s') gives the product's current document.",
							 a->st.product.version, a->display)));
	}
	if (expected == NULL)
		expected = a->exists ? a->st.product.version : NULL;
	if (spec->version != NULL && expected != NULL && strcmp(spec->version, expected) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("version: \"%s\" is not the version of the product's newest contract, %s",
						spec->version, expected),
				 errhint("The version of a data product is that of its newest output port's contract.")));
}

static void
run(FunctionCallInfo fcinfo, Jsonb *doc, bool apply)
{
	Apply		a;
	DmeshProductSpec *spec;
	DmeshProductRef ref;
	DmeshSection section;

	memset(&a, 0, sizeof(a));
	a.apply = apply;
	a.caller = GetUserId();
	InitMaterializedSRF(fcinfo, 0);
	a.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	/* The document and the contracts, before anything is read. */
	a.spec = spec = dmesh_product_spec(doc, NULL);
	if (spec->name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("name: is required"),
				 errhint("dmesh names the data product after the document's name, in its domain.")));
	if (spec->domain == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("domain: is required"),
				 errhint("A data product belongs to a domain of dmesh (dmesh.domain).")));
	dmesh_check_name(spec->name, "data product");
	a.given = read_given(fcinfo);
	a.display = dmesh_product_ident(spec->domain, spec->name);

	SPI_connect();
	(void) dmesh_extension_owner();

	dmesh_pin_search_path(&section);
	dmesh_require_domain(spec->domain, DMESH_NO_LOCK, &a.domain);
	ref.domain = spec->domain;
	ref.product = spec->name;
	{
		DmeshProduct product;

		a.exists = dmesh_load_product(&ref, DMESH_NO_LOCK, &product);
	}
	dmesh_leave(&section);
	if (a.exists)
		dmesh_product_state(&a.st, a.display);
	require_rights(&a);

	/* One document, one product. */
	{
		DmeshArgs	args;

		dmesh_args_init(&args);
		dmesh_arg_text(&args, spec->id);
		dmesh_arg_int8(&args, a.exists ? a.st.product.id : 0);
		if (read_rows("SELECT d.name || '.' || p.name FROM dmesh.applied_product a"
					  "  JOIN dmesh.data_product p ON p.product_id = a.product_id"
					  "  JOIN dmesh.domain d ON d.domain_id = p.domain_id"
					  " WHERE a.document_id = $1 AND a.product_id <> $2", &args) > 0)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_OBJECT),
					 errmsg("id: \"%s\" is the id of the document of data product \"%s\"",
							spec->id, dmesh_spi_text(0, 1)),
					 errhint("Give each data product's document an id of its own.")));
	}

	resolve_ports(&a);
	check_version(&a);

	if (a.exists && strcmp(a.st.product.status, "retired") == 0)
	{
		if (strcmp(spec->status, "retired") != 0)
			dmesh_refuse_retired(&a.st.product, "apply a document to");
	}
	else if (strcmp(spec->status, "retired") == 0)
	{
		/* retiring: nothing else matters */
		bool		live = a.exists && dmesh_product_is_live(&a.st.product);
		ArrayType  *consumers = live ? readers(&a, NIL) : NULL;

		if (!a.exists)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("status: data product \"%s\" does not exist and cannot be created retired",
							a.display)));
		if (a.apply)
			lifecycle_call(&a, "SELECT dmesh.retire_data_product($1)", NULL, false, 0);
		row(&a, "status", "retired", "retire", live, consumers,
			live ? "its published relations are dropped; retirement is final" :
			"retirement is final");
	}
	else
	{
		if (!a.exists)
			create_product(&a);
		else
		{
			check_fixed(&a);
			apply_description(&a);
		}
		apply_contracts(&a);
		retire_majors(&a);
		apply_policies(&a);
		apply_status(&a);
		apply_agreements(&a);
		apply_operations(&a);
		apply_document(&a);
	}

	if (a.apply && a.changes > 0)
	{
		DmeshProduct product;
		DmeshJson	details;

		dmesh_begin_product_call(a.display, a.caller, "apply a document to", &section, &product);
		dmesh_json_init(&details);
		dmesh_json_str(&details, "document_id", spec->id);
		dmesh_json_raw(&details, "changes", psprintf("%d", a.changes));
		dmesh_log_event(a.caller, "apply_product", "data_product", a.display,
						product.domain.id, product.id, dmesh_json_finish(&details));
		dmesh_end_call(&section);
	}
	SPI_finish();
}

static Jsonb *
document_arg(FunctionCallInfo fcinfo, bool as_text)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("document must not be null")));
	if (as_text)
		return dmesh_parse_document(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	return PG_GETARG_JSONB_P(0);
}

/* dmesh.apply_product(document text, contracts text[]) */
Datum
dmesh_apply_product_text(PG_FUNCTION_ARGS)
{
	run(fcinfo, document_arg(fcinfo, true), true);
	return (Datum) 0;
}

/* dmesh.apply_product(document jsonb, contracts text[]) */
Datum
dmesh_apply_product_jsonb(PG_FUNCTION_ARGS)
{
	run(fcinfo, document_arg(fcinfo, false), true);
	return (Datum) 0;
}

/* dmesh.plan_product(document text, contracts text[]) */
Datum
dmesh_plan_product_text(PG_FUNCTION_ARGS)
{
	run(fcinfo, document_arg(fcinfo, true), false);
	return (Datum) 0;
}

/* dmesh.plan_product(document jsonb, contracts text[]) */
Datum
dmesh_plan_product_jsonb(PG_FUNCTION_ARGS)
{
	run(fcinfo, document_arg(fcinfo, false), false);
	return (Datum) 0;
}
