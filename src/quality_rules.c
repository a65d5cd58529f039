/*-------------------------------------------------------------------------
 *
 * quality_rules.c
 *		Compiling a contract's quality rules and testing values against them.
 *
 * A contract states rules in two ways: constraints on a property
 * (required, unique, logicalTypeOptions such as pattern, maximum or
 * maxItems) and ODCS quality[] entries (nullValues, missingValues,
 * invalidValues, duplicateValues, rowCount and sql rules, each with
 * operators such as mustBe or mustBeLessThan; ODCS v3.0 library rules
 * written as rule: nullCheck, validValues, minCheck ... are read as the
 * metric they name).  Both become DmeshRule entries of a rule set.  A rule
 * set is compiled once, in a memory context the caller chooses, with
 * everything a row test needs ready: regular expressions compiled, bounds
 * and value lists converted to the column's type.
 *
 * A rule dmesh cannot evaluate as written is an error when it is compiled,
 * never a rule that passes.  What the standard allows but dmesh cannot run
 * (custom rules of other engines, formats such as yyyy-MM-dd, a v3.0 rule
 * without the bounds it needs) is kept as a rule "not run here", with the
 * reason: never refused, never counted as passed or failed.  Descriptive
 * rules (type: text) are not checks and are not compiled.
 *
 * Row tests see one value per property, NULL included.  A value of NULL
 * only breaks required, nullValues and missingValues rules.  Values of
 * arrays and objects are tested in quality_items.c.
 *
 * Compiling takes time linear in the size of the contract: properties are
 * found by name through a hash table.  contract_compile.c caps the number of
 * properties and rules; a string member of a rule given as another type
 * is an error, never taken as absent.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/xact.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "parser/parser.h"
#include "regex/regex.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datum.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"
#include "utils/varlena.h"

#include "dmesh.h"
#include "contract.h"
#include "quality.h"

static const struct
{
	const char *key;
	DmeshRuleOp op;
	const char *symbol;
}			operators[] =
{
	{"mustBe", DMESH_OP_EQ, "="},
	{"mustNotBe", DMESH_OP_NE, "<>"},
	{"mustBeGreaterThan", DMESH_OP_GT, ">"},
	{"mustBeGreaterOrEqualTo", DMESH_OP_GE, ">="},
	{"mustBeGreaterThanOrEqualTo", DMESH_OP_GE, ">="},
	{"mustBeLessThan", DMESH_OP_LT, "<"},
	{"mustBeLessOrEqualTo", DMESH_OP_LE, "<="},
	{"mustBeLessThanOrEqualTo", DMESH_OP_LE, "<="},
	{"mustBeBetween", DMESH_OP_BETWEEN, "between"},
	{"mustNotBeBetween", DMESH_OP_NOT_BETWEEN, "not between"},
};

static const char *op_symbol(DmeshRuleOp op);

static void
rule_error(const char *path, const char *problem, const char *hint)
{
	size_t		len = strlen(path);

	if (len > 0 && path[len - 1] == '.')
		path = pnstrdup(path, len - 1);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s: %s", path, problem),
			 hint ? errhint("%s", hint) : 0));
}

/* ----------------------------------------------------------------
 * Columns
 * ----------------------------------------------------------------
 */

static DmeshNumKind
numeric_kind(Oid base)
{
	switch (base)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
			return DMESH_NUM_INT;
		case FLOAT4OID:
		case FLOAT8OID:
			return DMESH_NUM_FLOAT;
		case NUMERICOID:
			return DMESH_NUM_NUMERIC;
		default:
			return DMESH_NUM_NONE;
	}
}

static void
init_column(DmeshRuleColumn *col, Oid typid)
{
	Oid			base = getBaseType(typid);
	char		category;
	bool		preferred;

	col->typid = typid;
	col->base = base;
	get_typlenbyval(typid, &col->typlen, &col->typbyval);
	get_type_category_preferred(base, &category, &preferred);
	col->is_text = (base == TEXTOID || base == VARCHAROID || base == BPCHAROID);
	col->collation = get_typcollation(typid);
	col->num = numeric_kind(base);
	col->out_ready = false;
	col->shape = DMESH_SHAPE_SCALAR;
	if (base == JSONOID)
		col->shape = DMESH_SHAPE_JSON;
	else if (base == JSONBOID)
		col->shape = DMESH_SHAPE_JSONB;
	else if (category == TYPCATEGORY_ARRAY && OidIsValid(get_element_type(base)))
	{
		col->shape = DMESH_SHAPE_ARRAY;
		get_typlenbyvalalign(get_element_type(base), &col->elem_len, &col->elem_byval,
							 &col->elem_align);
	}
	else if (category == TYPCATEGORY_COMPOSITE)
		col->shape = DMESH_SHAPE_COMPOSITE;
}

static int64
int_value(const DmeshRuleColumn *col, Datum value)
{
	switch (col->base)
	{
		case INT2OID:
			return DatumGetInt16(value);
		case INT4OID:
			return DatumGetInt32(value);
		default:
			return DatumGetInt64(value);
	}
}

static double
float_value(const DmeshRuleColumn *col, Datum value)
{
	if (col->num == DMESH_NUM_INT)
		return (double) int_value(col, value);
	return col->base == FLOAT4OID ? (double) DatumGetFloat4(value) : DatumGetFloat8(value);
}

/*
 * The text a row test sees: the value itself for text columns, the output
 * of the type's output function otherwise.  Not NUL-terminated.
 */
static const char *
value_text(DmeshRuleColumn *col, Datum value, int *len)
{
	if (col->is_text)
	{
		text	   *t = DatumGetTextPP(value);
		const char *data = VARDATA_ANY(t);

		*len = VARSIZE_ANY_EXHDR(t);
		/* character(n): trailing blanks are padding, as for char_length */
		if (col->base == BPCHAROID)
			while (*len > 0 && data[*len - 1] == ' ')
				(*len)--;
		return data;
	}
	if (!col->out_ready)
	{
		Oid			func;
		bool		varlena;

		getTypeOutputInfo(col->typid, &func, &varlena);
		fmgr_info_cxt(func, &col->out, col->cxt);
		col->out_ready = true;
	}
	{
		char	   *s = OutputFunctionCall(&col->out, value);

		*len = strlen(s);
		return s;
	}
}

/* ----------------------------------------------------------------
 * Parameters
 * ----------------------------------------------------------------
 */

static Numeric
json_numeric(JsonbValue *v, const char *path)
{
	if (v->type == jbvNumeric)
		return v->val.numeric;
	if (v->type == jbvString)
	{
		char	   *s = pnstrdup(v->val.string.val, v->val.string.len);

		return DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(s),
												   ObjectIdGetDatum(InvalidOid),
												   Int32GetDatum(-1)));
	}
	rule_error(path, "must be a number", NULL);
	return NULL;				/* keep compiler quiet */
}

static double
numeric_double(Numeric n)
{
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(n)));
}

static char *
json_scalar_text(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvString:
			return pnstrdup(v->val.string.val, v->val.string.len);
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out,
													   NumericGetDatum(v->val.numeric)));
		case jbvBool:
			return pstrdup(v->val.boolean ? "true" : "false");
		default:
			return NULL;
	}
}

/* A length option (a non-negative integer, as contract_compile.c checks), or -1. */
static int
int_option(JsonbContainer *opts, const char *key, const char *path)
{
	JsonbValue *v = dmesh_json_get(opts, key);
	int64		n;

	if (v == NULL || v->type != jbvNumeric)
		return -1;
	if (!dmesh_numeric_to_int64(v->val.numeric, &n) || n > PG_INT32_MAX)
		rule_error(psprintf("%s%s", path, key), psprintf("must be at most %d", PG_INT32_MAX), NULL);
	return (int) n;
}

static regex_t *
compile_regex(const char *pattern, int flags)
{
	int			len = strlen(pattern);
	pg_wchar   *wide = palloc((len + 1) * sizeof(pg_wchar));
	int			wlen = pg_mb2wchar_with_len(pattern, wide, len);
	regex_t    *re = palloc(sizeof(regex_t));
	int			rc = pg_regcomp(re, wide, wlen, flags, DEFAULT_COLLATION_OID);

	if (rc != REG_OKAY)
	{
		char		msg[256];

		pg_regerror(rc, re, msg, sizeof(msg));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_REGULAR_EXPRESSION),
				 errmsg("invalid regular expression \"%s\": %s", pattern, msg)));
	}
	pfree(wide);
	return re;
}

/* ----------------------------------------------------------------
 * Building rules
 * ----------------------------------------------------------------
 */

static DmeshRule *
new_rule(DmeshRuleSet *rs, const char *name, int prop, DmeshRuleMetric metric)
{
	DmeshRule  *r;

	if (rs->nrules == rs->maxrules)
	{
		rs->maxrules *= 2;
		rs->rules = repalloc(rs->rules, sizeof(DmeshRule) * rs->maxrules);
	}
	r = &rs->rules[rs->nrules++];
	memset(r, 0, sizeof(DmeshRule));
	r->name = pstrdup(name);
	r->prop = prop;
	r->property = prop >= 0 ? rs->contract->props[prop].name : NULL;
	r->metric = metric;
	r->severity = "error";
	r->nconds = 1;				/* mustBe 0 */
	r->conds = palloc0(sizeof(DmeshRuleCond));
	r->conds[0].op = DMESH_OP_EQ;
	r->unit_percent = false;
	r->nkeys = 0;
	r->min_count = -1;
	r->max_count = -1;
	return r;
}

/*
 * A rule kept as written but not run here: what the standard allows and
 * dmesh cannot evaluate.  It never passes and never fails.
 */
static DmeshRule *
not_run_rule(DmeshRuleSet *rs, const char *name, int prop, DmeshRuleMetric metric,
			 const char *reason)
{
	DmeshRule  *r = new_rule(rs, name, prop, metric);

	r->test = DMESH_TEST_NONE;
	r->not_run = pstrdup(reason);
	return r;
}

static DmeshRuleColumn *
rule_column(DmeshRuleSet *rs, int prop, const char *path)
{
	DmeshRuleColumn *col = &rs->columns[prop];

	rs->column_needed[prop] = true;
	if (!OidIsValid(col->typid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("%s: column \"%s\" of property \"%s\" is not in the source",
						path, rs->contract->props[prop].column, rs->contract->props[prop].name)));
	return col;
}

static void
set_pattern(DmeshRule *r, const char *pattern, int flags)
{
	r->test = DMESH_TEST_PATTERN;
	r->pattern = pstrdup(pattern);
	r->re = compile_regex(pattern, flags);
	r->fast = dmesh_fastre_compile(pattern);
}

/* "2024-12-31": a date without a time of day (ISO 8601, as ODCS writes dates). */
static bool
is_plain_date(const char *s)
{
	for (int part = 0; part < 3; part++)
	{
		int			n = 0;

		if (part > 0 && *s++ != '-')
			return false;
		while (isdigit((unsigned char) *s))
		{
			s++;
			n++;
		}
		if (n == 0 || (part == 0 ? n < 4 : n > 2))
			return false;
	}
	return *s == '\0';
}

/* The day after a date, as text. */
static char *
next_day(const char *date)
{
	DateADT		d = DatumGetDateADT(DirectFunctionCall1(date_in, CStringGetDatum(date)));

	if (!DATE_NOT_FINITE(d))
		d++;
	return DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(d)));
}

/*
 * A bound on the value: minimum, maximum and their exclusive forms, the
 * bounds of a v3.0 minCheck, maxCheck or between; a rule has at most two,
 * which must both hold.  Integers are compared as integers (the bound
 * rounded inward), floats as floats, numeric as numeric, anything else
 * with the type's btree order after reading the bound with the type's
 * input function.
 */
static void
add_bound(DmeshRuleSet *rs, DmeshRule *r, JsonbValue *v, DmeshRuleOp op, const char *path)
{
	DmeshRuleColumn *col = rule_column(rs, r->prop, path);
	DmeshBound *b;

	Assert(r->nbounds < lengthof(r->bounds));
	b = &r->bounds[r->nbounds++];
	r->test = DMESH_TEST_BOUND;
	b->op = op;
	b->symbol = op_symbol(op);
	b->text = json_scalar_text(v);
	if (b->text == NULL)
		rule_error(path, "must be a number or a string", NULL);

	if (col->num != DMESH_NUM_NONE)
	{
		Numeric		n = json_numeric(v, path);

		if (numeric_is_nan(n))
			rule_error(path, "must not be NaN", NULL);
		b->num = n;
		b->fnum = numeric_double(n);
		if (col->num == DMESH_NUM_INT)
		{
			/* x >= 2.5 is x >= 3 for integers; x > 2.5 likewise. */
			bool		lower = (op == DMESH_OP_GE || op == DMESH_OP_GT);
			Numeric		edge;
			Numeric		limit;

			edge = DatumGetNumeric(DirectFunctionCall1(lower ? numeric_floor : numeric_ceil,
													   NumericGetDatum(n)));
			if (DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(edge),
												 NumericGetDatum(n))))
				b->op = op;		/* integral bound: keep the operator */
			else
			{
				/* fractional: x >= 2.5 -> x > 2, x <= 2.5 -> x < 3 */
				b->op = lower ? DMESH_OP_GT : DMESH_OP_LT;
			}
			limit = edge;
			if (numeric_is_inf(limit) ||
				DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(limit),
												  NumericGetDatum(int64_to_numeric(PG_INT64_MAX)))) > 0)
				b->int_overflow = 1;
			else if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(limit),
													   NumericGetDatum(int64_to_numeric(PG_INT64_MIN)))) < 0)
				b->int_overflow = -1;
			else
				b->ival = DatumGetInt64(DirectFunctionCall1(numeric_int8,
															NumericGetDatum(limit)));
		}
		return;
	}

	/* Other ordered types: read the bound as a value of the column's type. */
	{
		TypeCacheEntry *tc = lookup_type_cache(col->typid, TYPECACHE_CMP_PROC_FINFO);
		const char *input = b->text;
		Oid			infunc;
		Oid			ioparam;

		if (!OidIsValid(tc->cmp_proc_finfo.fn_oid))
			rule_error(path, psprintf("values of type %s have no order to compare with",
									  format_type_be(col->typid)), NULL);

		/*
		 * A date property on a timestamp column (ODCS v3.0 had no timestamp
		 * type): a bound written as a date takes in the whole day, so that
		 * maximum: 2024-12-31 allows 2024-12-31 18:00 and exclusiveMinimum:
		 * 2024-01-01 starts on January 2.  A bound with a time of day is
		 * compared as written.  Days of timestamptz are those of the time
		 * zone the rules are compiled in.
		 */
		if (col->as_date && is_plain_date(b->text) && (op == DMESH_OP_LE || op == DMESH_OP_GT))
		{
			input = next_day(b->text);
			b->op = (op == DMESH_OP_LE) ? DMESH_OP_LT : DMESH_OP_GE;
		}
		getTypeInputInfo(col->typid, &infunc, &ioparam);
		b->datum = OidInputFunctionCall(infunc, (char *) input, ioparam, -1);
		r->bound_cmp = &tc->cmp_proc_finfo;
		r->bound_collation = get_typcollation(col->typid);
	}
}

/*
 * Read a value with the column type's input function.  With "soft", a
 * value the type rejects returns false instead of an error; that needs a
 * subtransaction, so in parallel mode (the workers of a quality scan) the
 * value is read directly: check_product hands workers a contract whose
 * lists keep only the values that read (see values_kept).
 */
typedef struct ReadCall
{
	Oid			infunc;
	Oid			ioparam;
	const char *text;
	Datum		value;
} ReadCall;

static void
read_body(void *arg)
{
	ReadCall   *c = arg;

	c->value = OidInputFunctionCall(c->infunc, (char *) c->text, c->ioparam, -1);
}

static bool
read_value(DmeshRuleColumn *col, const char *text, bool soft, Datum *out)
{
	ReadCall	call;

	getTypeInputInfo(col->typid, &call.infunc, &call.ioparam);
	call.text = text;
	if (!soft || IsInParallelMode())
		read_body(&call);
	else if (!dmesh_try(read_body, &call, NULL))
		return false;
	*out = col->typbyval ? call.value : datumCopy(call.value, false, col->typlen);
	return true;
}

static void
append_json_scalar(StringInfo buf, JsonbValue *v)
{
	switch (v->type)
	{
		case jbvString:
			escape_json(buf, pnstrdup(v->val.string.val, v->val.string.len));
			break;
		case jbvNumeric:
			appendStringInfoString(buf, json_scalar_text(v));
			break;
		case jbvBool:
			appendStringInfoString(buf, v->val.boolean ? "true" : "false");
			break;
		default:
			appendStringInfoString(buf, "null");
	}
}

/* "schema[0].quality[1].arguments.x" as a text[] literal for jsonb_set. */
static char *
json_path_array(const char *path)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (const char *p = path; *p; p++)
	{
		if (*p == '[' || *p == '.')
		{
			if (p[1] != '\0')
				appendStringInfoChar(&buf, ',');
		}
		else if (*p != ']')
			appendStringInfoChar(&buf, *p);
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/*
 * A list of values: valid values or missing values.  Strings are kept for
 * text columns, numbers for numeric columns, booleans for boolean columns;
 * for other types strings are read with the type's input function.
 * Entries that cannot be a value of the column are an error for valid
 * values and ignored for missing values (such a value cannot be present).
 */
static void
set_values(DmeshRuleSet *rs, DmeshRule *r, JsonbContainer *list, bool valid, const char *path)
{
	DmeshRuleColumn *col = rule_column(rs, r->prop, path);
	uint32		n = JsonContainerSize(list);

	StringInfoData kept;

	initStringInfo(&kept);
	appendStringInfoChar(&kept, '[');
	r->values = palloc0(sizeof(DmeshRuleValue) * Max(n, 1));
	r->nvalues = 0;
	for (uint32 i = 0; i < n; i++)
	{
		JsonbValue *v = getIthJsonbValueFromContainer(list, i);
		DmeshRuleValue *out = &r->values[r->nvalues];
		char	   *ipath = psprintf("%s[%u]", path, i);
		char	   *text;

		CHECK_FOR_INTERRUPTS();

		if (v->type == jbvNull)
		{
			r->null_listed = true;
			continue;
		}
		if (v->type == jbvBinary)
			rule_error(ipath, "must be a scalar", NULL);

		if (col->is_text)
		{
			/* Any scalar, as text: 42 in a list is the string "42". */
			out->text = json_scalar_text(v);
			out->len = strlen(out->text);
		}
		else if (col->num != DMESH_NUM_NONE)
		{
			if (v->type != jbvNumeric)
			{
				if (valid)
					rule_error(ipath, psprintf("must be a number for column \"%s\" of type %s",
											   rs->contract->props[r->prop].column,
											   format_type_be(col->typid)), NULL);
				continue;
			}
			out->num = v->val.numeric;
			out->fnum = numeric_double(v->val.numeric);
			if (col->num == DMESH_NUM_INT)
				out->int_ok = dmesh_numeric_to_int64(v->val.numeric, &out->ival);
		}
		else if (col->base == BOOLOID)
		{
			if (v->type != jbvBool)
			{
				if (valid)
					rule_error(ipath, "must be true or false for a boolean column", NULL);
				continue;
			}
			out->datum = BoolGetDatum(v->val.boolean);
		}
		else
		{
			TypeCacheEntry *tc = lookup_type_cache(col->typid, TYPECACHE_EQ_OPR_FINFO);

			if (v->type != jbvString)
			{
				if (valid)
					rule_error(ipath, "must be a string", NULL);
				continue;
			}
			if (!OidIsValid(tc->eq_opr_finfo.fn_oid))
				rule_error(path, psprintf("values of type %s cannot be compared for equality",
										  format_type_be(col->typid)), NULL);
			r->values_eq = &tc->eq_opr_finfo;
			text = json_scalar_text(v);
			if (col->as_date && is_plain_date(text))
			{
				/* a date property on a timestamp column: the whole day */
				Datum		start;
				Datum		end;

				if (!read_value(col, text, !valid, &start) ||
					!read_value(col, next_day(text), !valid, &end))
				{
					r->values_dropped = true;
					continue;
				}
				out->whole_day = true;
				out->day_start = DatumGetTimestamp(start);
				out->day_end = DatumGetTimestamp(end);
			}
			else if (!read_value(col, text, !valid, &out->datum))
			{
				/* cannot be a value of the column, so cannot be missing */
				r->values_dropped = true;
				continue;
			}
		}
		appendStringInfo(&kept, "%s", r->nvalues ? ", " : "");
		append_json_scalar(&kept, v);
		r->nvalues++;
	}
	if (r->null_listed)
		appendStringInfo(&kept, "%snull", r->nvalues ? ", " : "");
	appendStringInfoChar(&kept, ']');
	r->values_kept = kept.data;
	r->values_path = json_path_array(path);
}

/*
 * The operators of a quality rule: mustBe... with a number, or a pair for
 * the between forms.  ODCS v3.1.0 allows one (its JSON Schema says so);
 * v3.0.x allows several, which must all hold: its documentation writes
 * mustBeBetween: [0, 100] as mustBeGreaterThan: 0 with mustBeLessThan: 100.
 * Returns false if the rule has none.
 */
static bool
set_operator(DmeshRule *r, JsonbContainer *rule, const char *path)
{
	const char *keys[lengthof(operators)];
	DmeshRuleCond conds[lengthof(operators)];
	int			n = 0;
	char	   *unknown;

	/* A misspelled operator must not leave the rule at its default. */
	for (int i = 0; i < lengthof(operators); i++)
		keys[i] = operators[i].key;
	unknown = dmesh_json_unknown_key(rule, keys, lengthof(keys), "must");
	if (unknown)
		rule_error(psprintf("%s%s", path, unknown), "unknown operator",
				   "Operators are mustBe, mustNotBe, mustBeGreaterThan, mustBeGreaterOrEqualTo, mustBeLessThan, mustBeLessOrEqualTo, mustBeBetween and mustNotBeBetween.");

	for (int i = 0; i < lengthof(operators); i++)
	{
		JsonbValue *v = dmesh_json_get(rule, operators[i].key);
		DmeshRuleCond *c;
		char	   *opath;

		if (v == NULL)
			continue;
		opath = psprintf("%s%s", path, operators[i].key);
		c = &conds[n++];
		memset(c, 0, sizeof(DmeshRuleCond));
		c->op = operators[i].op;
		if (c->op == DMESH_OP_BETWEEN || c->op == DMESH_OP_NOT_BETWEEN)
		{
			JsonbValue *a,
					   *b;

			if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data) ||
				JsonContainerSize(v->val.binary.data) != 2)
				rule_error(opath, "must be a list of two numbers", NULL);
			a = getIthJsonbValueFromContainer(v->val.binary.data, 0);
			b = getIthJsonbValueFromContainer(v->val.binary.data, 1);
			if (a->type != jbvNumeric || b->type != jbvNumeric)
				rule_error(opath, "must be a list of two numbers", NULL);
			c->t1 = numeric_double(a->val.numeric);
			c->t2 = numeric_double(b->val.numeric);
			c->t1_text = json_scalar_text(a);
			c->t2_text = json_scalar_text(b);
			if (c->t1 > c->t2)
				rule_error(opath, "the lower bound comes first", NULL);
		}
		else
		{
			if (v->type != jbvNumeric)
				rule_error(opath, "must be a number", NULL);
			c->t1 = numeric_double(v->val.numeric);
			c->t1_text = json_scalar_text(v);
		}
	}
	if (n == 0)
		return false;
	r->nconds = n;
	r->conds = palloc(sizeof(DmeshRuleCond) * n);
	memcpy(r->conds, conds, sizeof(DmeshRuleCond) * n);
	return true;
}

static void
set_duplicate_keys(DmeshRuleSet *rs, DmeshRule *r, int *keys, int nkeys, const char *path)
{
	r->nkeys = nkeys;
	r->keys = keys;
	for (int k = 0; k < nkeys; k++)
	{
		DmeshRuleColumn *col = rule_column(rs, keys[k], path);
		TypeCacheEntry *tc = lookup_type_cache(col->typid,
											   TYPECACHE_HASH_EXTENDED_PROC_FINFO |
											   TYPECACHE_EQ_OPR);

		if (!OidIsValid(tc->hash_extended_proc_finfo.fn_oid) || !OidIsValid(tc->eq_opr))
			rule_error(path, psprintf("duplicates of type %s cannot be found: the type has no hash function",
									  format_type_be(col->typid)), NULL);
		col->hash = &tc->hash_extended_proc_finfo;
		col->eq_opr = tc->eq_opr;
	}
}

static void
rule_path_context(void *arg)
{
	const char *path = arg;
	size_t		len = strlen(path);

	errcontext("contract rule at %.*s", (int) (len > 0 && path[len - 1] == '.' ? len - 1 : len), path);
}

/*
 * Library rules by name: the metrics of ODCS v3.1.0 and the rule names of
 * v3.0.x (rule: nullCheck ...), each read as the metric it names.
 */
typedef enum LibraryKind
{
	LIB_NULL,					/* nullValues, nullCheck */
	LIB_MISSING,				/* missingValues */
	LIB_INVALID,				/* invalidValues */
	LIB_VALID,					/* v3.0 validValues: invalidValues, the rule's list */
	LIB_DUPLICATE,				/* duplicateValues, duplicateCount, unique */
	LIB_ROWS,					/* rowCount, countCheck */
	LIB_MIN,					/* v3.0 minCheck: no value under customProperties min */
	LIB_MAX,					/* v3.0 maxCheck: none over max */
	LIB_BETWEEN					/* v3.0 between: none outside [min, max] */
} LibraryKind;

static const struct
{
	const char *name;
	LibraryKind kind;
	bool		metric;			/* a v3.1.0 metric, else a v3.0.x rule name */
}			library[] =
{
	{"nullValues", LIB_NULL, true},
	{"missingValues", LIB_MISSING, true},
	{"invalidValues", LIB_INVALID, true},
	{"duplicateValues", LIB_DUPLICATE, true},
	{"rowCount", LIB_ROWS, true},
	{"nullCheck", LIB_NULL, false},
	{"duplicateCount", LIB_DUPLICATE, false},
	{"unique", LIB_DUPLICATE, false},
	{"validValues", LIB_VALID, false},
	{"countCheck", LIB_ROWS, false},
	{"minCheck", LIB_MIN, false},
	{"maxCheck", LIB_MAX, false},
	{"between", LIB_BETWEEN, false},
};

#define METRIC_HINT "Metrics are nullValues, missingValues, invalidValues, duplicateValues and rowCount."

/*
 * Arguments a metric does not take would be ignored, and a misspelled one
 * would leave the rule checking something else: both are refused.
 */
static void
check_arguments(JsonbContainer *args, LibraryKind kind, const char *name, const char *path)
{
	const char *allowed[2] = {NULL, NULL};
	char	   *unknown;

	if (kind == LIB_MISSING)
		allowed[0] = "missingValues";
	else if (kind == LIB_INVALID || kind == LIB_VALID)
	{
		allowed[0] = "validValues";
		allowed[1] = kind == LIB_INVALID ? "pattern" : NULL;
	}
	else if (kind == LIB_DUPLICATE)
		allowed[0] = "properties";

	unknown = dmesh_json_unknown_key(args, allowed, lengthof(allowed), NULL);
	if (unknown)
		rule_error(psprintf("%sarguments.%s", path, unknown),
				   psprintf("not an argument of %s", name),
				   "missingValues takes missingValues; invalidValues takes validValues or pattern; duplicateValues takes properties.");
}

/*
 * The value of one of a rule's customProperties ([{property: min, value:
 * 0}], where ODCS v3.0 examples put the bounds of minCheck, maxCheck and
 * between), or NULL if it is not there or null; *index is its position.
 */
static JsonbValue *
custom_property(JsonbContainer *rule, const char *key, int *index)
{
	JsonbValue *list = dmesh_json_get(rule, "customProperties");

	if (list == NULL || list->type != jbvBinary || !JsonContainerIsArray(list->val.binary.data))
		return NULL;
	for (uint32 i = 0; i < JsonContainerSize(list->val.binary.data); i++)
	{
		JsonbValue *item = getIthJsonbValueFromContainer(list->val.binary.data, i);
		char	   *property;
		JsonbValue *value;

		CHECK_FOR_INTERRUPTS();
		if (item->type != jbvBinary || !JsonContainerIsObject(item->val.binary.data))
			continue;
		property = dmesh_json_text(item->val.binary.data, "property");
		if (property == NULL || strcmp(property, key) != 0)
			continue;
		value = dmesh_json_get(item->val.binary.data, "value");
		if (value == NULL || value->type == jbvNull)
			return NULL;
		*index = (int) i;
		return value;
	}
	return NULL;
}

static char *
lower_copy(const char *s)
{
	char	   *out = pstrdup(s);

	for (char *p = out; *p; p++)
		*p = pg_tolower((unsigned char) *p);
	return out;
}

/* " (did you mean \"nullCheck\"?)" for a name close to a known one, else "". */
static const char *
library_suggestion(const char *name)
{
	const char *best = NULL;
	int			best_distance = 3;	/* at most two edits away */
	char	   *lname;

	if (strlen(name) > 64)
		return "";
	lname = lower_copy(name);
	for (int i = 0; i < lengthof(library); i++)
	{
		char	   *known = lower_copy(library[i].name);
		int			d = varstr_levenshtein_less_equal(lname, strlen(lname), known, strlen(known),
													  1, 1, 1, best_distance, false);

		if (d < best_distance)
		{
			best = library[i].name;
			best_distance = d;
		}
	}
	return best ? psprintf(" (did you mean \"%s\"?)", best) : "";
}

/*
 * A rule not run here keeps its name, severity and dimension as written:
 * it is never refused, and nothing else of it matters to dmesh.
 */
static void
keep_not_run(DmeshRule *r, char *severity, char *dimension)
{
	if (severity != NULL)
		r->severity = severity;
	r->dimension = dimension;
}

/*
 * A quality rule.  "props" maps property names to indexes.  String members
 * given as another type are errors (dmesh_json_string), never absent.
 */
static void
compile_quality_rule(DmeshRuleSet *rs, DmeshNameMap *props, JsonbContainer *rule, int prop,
					 const char *path)
{
	char	   *type = dmesh_json_string(rule, "type", path);
	char	   *metric = dmesh_json_string(rule, "metric", path);
	char	   *name = dmesh_json_string(rule, "name", path);
	char	   *severity = dmesh_json_string(rule, "severity", path);
	char	   *unit = dmesh_json_string(rule, "unit", path);
	char	   *dimension = dmesh_json_string(rule, "dimension", path);
	char	   *rule_name = dmesh_json_string(rule, "rule", path);
	JsonbValue *args_value = dmesh_json_get(rule, "arguments");
	JsonbContainer *args = NULL;
	DmeshRule  *r;
	bool		has_op;

	if (type == NULL)
		type = "library";
	if (strcmp(type, "text") == 0)
		return;					/* a description, not a check */
	if (strcmp(type, "custom") == 0)
	{
		/* another engine's check (Soda, Great Expectations ...), as written */
		char	   *engine = dmesh_json_string(rule, "engine", path);

		r = not_run_rule(rs, name ? name : "custom", prop, DMESH_METRIC_CUSTOM,
						 psprintf("a custom rule of %s; dmesh runs library and sql rules",
								  engine ? engine : "another engine"));
		keep_not_run(r, severity, dimension);
		return;
	}

	if (args_value != NULL && args_value->type == jbvBinary &&
		JsonContainerIsObject(args_value->val.binary.data))
		args = args_value->val.binary.data;
	else if (args_value != NULL && args_value->type != jbvNull)
		rule_error(psprintf("%sarguments", path), "must be an object", NULL);

	if (strcmp(type, "sql") == 0)
	{
		char	   *query = dmesh_json_string(rule, "query", path);

		if (args != NULL)
			check_arguments(args, LIB_ROWS, "an sql rule", path);
		if (query == NULL || query[0] == '\0')
			rule_error(psprintf("%squery", path), "an sql rule needs a query", NULL);
		r = new_rule(rs, name ? name : "sql", prop, DMESH_METRIC_SQL);
		r->query = query;
		dmesh_rule_sql_text(rs, r, "dmesh_object", false, NULL);	/* parses, or errors */
	}
	else if (strcmp(type, "library") == 0)
	{
		const char *lname = metric ? metric : rule_name;
		int			lib = -1;
		LibraryKind kind;
		bool		v30;

		if (lname == NULL)
			rule_error(path, "a library rule needs a metric", METRIC_HINT);
		for (int i = 0; i < lengthof(library) && lib < 0; i++)
			if (strcmp(library[i].name, lname) == 0)
				lib = i;
		if (lib < 0 && metric != NULL)
			rule_error(psprintf("%smetric", path), psprintf("unknown metric \"%s\"", metric),
					   METRIC_HINT);
		if (lib < 0)
		{
			/* ODCS v3.0.x leaves rule names open: one dmesh does not know */
			r = not_run_rule(rs, name ? name : lname, prop, DMESH_METRIC_CUSTOM,
							 psprintf("dmesh does not know library rule \"%s\"%s",
									  lname, library_suggestion(lname)));
			r->metric_text = pstrdup(lname);
			keep_not_run(r, severity, dimension);
			return;
		}
		kind = library[lib].kind;
		v30 = !library[lib].metric;
		if (args != NULL)
			check_arguments(args, kind, lname, path);

		if (prop < 0 && kind != LIB_DUPLICATE && kind != LIB_ROWS)
		{
			if (!v30)
				rule_error(psprintf("%smetric", path),
						   psprintf("%s is a property rule; list it under the property", lname), NULL);
			r = not_run_rule(rs, name ? name : lname, prop,
							 kind == LIB_NULL ? DMESH_METRIC_NULL : DMESH_METRIC_INVALID,
							 psprintf("%s is a property rule, and this one is on the object",
									  lname));
			keep_not_run(r, severity, dimension);
			return;
		}

		switch (kind)
		{
			case LIB_NULL:
				(void) rule_column(rs, prop, path);
				r = new_rule(rs, name ? name : lname, prop, DMESH_METRIC_NULL);
				r->test = DMESH_TEST_NULL;
				break;
			case LIB_MISSING:
				{
					JsonbValue *list = args ? dmesh_json_get(args, "missingValues") : NULL;

					(void) rule_column(rs, prop, path);
					r = new_rule(rs, name ? name : lname, prop, DMESH_METRIC_MISSING);
					r->test = DMESH_TEST_MISSING;
					if (list == NULL)
						r->null_listed = true;
					else if (list->type != jbvBinary || !JsonContainerIsArray(list->val.binary.data))
						rule_error(psprintf("%sarguments.missingValues", path), "must be a list", NULL);
					else
						set_values(rs, r, list->val.binary.data, false,
								   psprintf("%sarguments.missingValues", path));
					break;
				}
			case LIB_INVALID:
			case LIB_VALID:
				{
					JsonbValue *list = args ? dmesh_json_get(args, "validValues") : NULL;
					char	   *pattern = args ? dmesh_json_string(args, "pattern",
																	   psprintf("%sarguments.", path)) : NULL;
					char	   *lpath = psprintf("%sarguments.validValues", path);

					if (kind == LIB_VALID)
					{
						/* v3.0 writes the list beside the rule: validValues: [a, b] */
						JsonbValue *own = dmesh_json_get(rule, "validValues");

						if (own != NULL && list != NULL)
							rule_error(path, "validValues is given twice, beside the rule and in its arguments", NULL);
						if (own != NULL)
						{
							list = own;
							lpath = psprintf("%svalidValues", path);
						}
						if (list == NULL || list->type == jbvNull)
						{
							r = not_run_rule(rs, name ? name : lname, prop, DMESH_METRIC_INVALID,
											 "validValues without a list of valid values");
							keep_not_run(r, severity, dimension);
							return;
						}
					}
					(void) rule_column(rs, prop, path);
					r = new_rule(rs, name ? name : lname, prop, DMESH_METRIC_INVALID);
					if ((list == NULL) == (pattern == NULL))
						rule_error(psprintf("%sarguments", path),
								   "invalidValues needs either validValues or pattern", NULL);
					if (list != NULL)
					{
						if (list->type != jbvBinary || !JsonContainerIsArray(list->val.binary.data))
							rule_error(lpath, "must be a list", NULL);
						r->test = DMESH_TEST_VALID;
						set_values(rs, r, list->val.binary.data, true, lpath);
					}
					else
						set_pattern(r, pattern, REG_ADVANCED);
					break;
				}
			case LIB_DUPLICATE:
				{
					int		   *keys;
					int			nkeys;
					JsonbValue *list = args ? dmesh_json_get(args, "properties") : NULL;

					if (list == NULL && prop < 0)
					{
						if (!v30)
							rule_error(path, "an object-level duplicateValues rule needs arguments.properties", NULL);
						r = not_run_rule(rs, name ? name : lname, prop, DMESH_METRIC_DUPLICATE,
										 psprintf("%s on the object without the properties to compare",
												  lname));
						keep_not_run(r, severity, dimension);
						return;
					}
					r = new_rule(rs, name ? name : lname, prop, DMESH_METRIC_DUPLICATE);
					r->test = DMESH_TEST_DUPLICATE;
					if (list != NULL)
					{
						char	   *lpath = psprintf("%sarguments.properties", path);

						if (list->type != jbvBinary || !JsonContainerIsArray(list->val.binary.data) ||
							JsonContainerSize(list->val.binary.data) == 0)
							rule_error(lpath, "must be a list of property names", NULL);
						nkeys = JsonContainerSize(list->val.binary.data);
						keys = palloc(sizeof(int) * nkeys);
						for (int k = 0; k < nkeys; k++)
						{
							JsonbValue *p = getIthJsonbValueFromContainer(list->val.binary.data, k);
							char	   *pname = json_scalar_text(p);

							CHECK_FOR_INTERRUPTS();
							keys[k] = pname ? dmesh_name_map_lookup(props, pname) : -1;
							if (keys[k] < 0)
								rule_error(psprintf("%s[%d]", lpath, k),
										   psprintf("\"%s\" is not a property of the contract",
													pname ? pname : "?"), NULL);
						}
					}
					else
					{
						nkeys = 1;
						keys = palloc(sizeof(int));
						keys[0] = prop;
					}
					set_duplicate_keys(rs, r, keys, nkeys, path);
					break;
				}
			case LIB_ROWS:
				r = new_rule(rs, name ? name : lname, prop, DMESH_METRIC_ROWS);
				r->test = DMESH_TEST_NONE;
				break;
			case LIB_MIN:
			case LIB_MAX:
			case LIB_BETWEEN:
				{
					int			imin = -1;
					int			imax = -1;
					JsonbValue *min = kind != LIB_MAX ? custom_property(rule, "min", &imin) : NULL;
					JsonbValue *max = kind != LIB_MIN ? custom_property(rule, "max", &imax) : NULL;

					if ((kind != LIB_MAX && min == NULL) || (kind != LIB_MIN && max == NULL))
					{
						r = not_run_rule(rs, name ? name : lname, prop, DMESH_METRIC_INVALID,
										 psprintf("%s without %s in customProperties", lname,
												  kind == LIB_MIN ? "a min" :
												  kind == LIB_MAX ? "a max" : "a min and a max"));
						keep_not_run(r, severity, dimension);
						return;
					}
					r = new_rule(rs, name ? name : lname, prop, DMESH_METRIC_INVALID);
					if (min != NULL)
						add_bound(rs, r, min, DMESH_OP_GE,
								  psprintf("%scustomProperties[%d].value", path, imin));
					if (max != NULL)
						add_bound(rs, r, max, DMESH_OP_LE,
								  psprintf("%scustomProperties[%d].value", path, imax));
					break;
				}
			default:
				elog(ERROR, "unexpected library rule kind %d", (int) kind);
				r = NULL;		/* keep compiler quiet */
		}
	}
	else
		rule_error(psprintf("%stype", path),
				   psprintf("dmesh cannot evaluate rules of type \"%s\"", type),
				   "dmesh evaluates library and sql rules; text rules are descriptions, custom rules are kept as written.");

	has_op = set_operator(r, rule, path);
	if (!has_op && (r->metric == DMESH_METRIC_ROWS || r->metric == DMESH_METRIC_SQL))
	{
		/* what a count or a query must be is not said: not guessed */
		r->not_run = r->metric == DMESH_METRIC_ROWS ?
			pstrdup("a row count without an operator such as mustBeGreaterThan") :
			pstrdup("an sql rule without an operator such as mustBe");
		keep_not_run(r, severity, dimension);
		return;
	}
	if (unit != NULL)
	{
		if (strcmp(unit, "percent") == 0)
			r->unit_percent = true;
		else if (strcmp(unit, "rows") != 0)
			rule_error(psprintf("%sunit", path), psprintf("unknown unit \"%s\"", unit),
					   "Units are rows and percent.");
		if (r->unit_percent && (r->metric == DMESH_METRIC_ROWS || r->metric == DMESH_METRIC_SQL))
			rule_error(psprintf("%sunit", path), "percent applies to counts of values", NULL);
	}
	if (severity != NULL)
	{
		if (strcmp(severity, "error") != 0 && strcmp(severity, "warning") != 0 &&
			strcmp(severity, "info") != 0)
			rule_error(psprintf("%sseverity", path), psprintf("unknown severity \"%s\"", severity),
					   "Severities are error, warning and info.");
		r->severity = severity;
	}
	r->dimension = dimension;
}

/*
 * Can a column hold what an array option ("items") or an object option
 * applies to?  If not, the option is kept as a rule not run here.
 */
static bool
shape_fits(DmeshRuleSet *rs, int prop, bool items, const char *key, const char *path)
{
	DmeshRuleColumn *col = rule_column(rs, prop, path);

	if (items ? (col->shape == DMESH_SHAPE_ARRAY || col->shape == DMESH_SHAPE_JSON ||
				 col->shape == DMESH_SHAPE_JSONB) :
		(col->shape == DMESH_SHAPE_COMPOSITE || col->shape == DMESH_SHAPE_JSON ||
		 col->shape == DMESH_SHAPE_JSONB))
	{
		if (col->shape == DMESH_SHAPE_COMPOSITE && col->rowdesc == NULL)
			col->rowdesc = lookup_rowtype_tupdesc_copy(col->base, -1);
		return true;
	}
	(void) not_run_rule(rs, key, prop, DMESH_METRIC_INVALID,
						psprintf("%s applies to %s, and column \"%s\" has type %s", key,
								 items ? "arrays (PostgreSQL arrays, json)" :
								 "objects (json, composite types)",
								 rs->contract->props[prop].column, format_type_be(col->typid)));
	return false;
}

/*
 * logicalTypeOptions of arrays and objects: minItems, maxItems and
 * uniqueItems of an array (a PostgreSQL array; a json or jsonb array),
 * minProperties, maxProperties and required (the names of properties it
 * must have) of an object (a json or jsonb object; a composite, whose
 * properties are its attributes that are not NULL).  Each value is tested
 * on its own; a json value of another kind (an object for maxItems) is not
 * what the option is about and does not break it, as in JSON Schema.
 */
static void
compile_shape_options(DmeshRuleSet *rs, int prop, JsonbContainer *opts, const char *opath,
					  const char *path)
{
	static const char *const count_keys[] = {
		"minItems", "maxItems", "minProperties", "maxProperties"
	};
	JsonbValue *unique = dmesh_json_get(opts, "uniqueItems");
	JsonbValue *required = dmesh_json_get(opts, "required");
	DmeshRuleColumn *col = &rs->columns[prop];
	DmeshRule  *r;

	for (int i = 0; i < lengthof(count_keys); i++)
	{
		int			n = int_option(opts, count_keys[i], opath);
		bool		items = (i < 2);

		if (n < 0 || !shape_fits(rs, prop, items, count_keys[i], path))
			continue;
		r = new_rule(rs, count_keys[i], prop, DMESH_METRIC_INVALID);
		r->test = items ? DMESH_TEST_ITEMS : DMESH_TEST_PROPERTIES;
		if (i % 2 == 0)
			r->min_count = n;
		else
			r->max_count = n;
	}

	if (unique != NULL && unique->type == jbvBool && unique->val.boolean &&
		shape_fits(rs, prop, true, "uniqueItems", path))
	{
		TypeCacheEntry *tc = NULL;

		if (col->shape == DMESH_SHAPE_ARRAY)
			tc = lookup_type_cache(get_element_type(col->base),
								   TYPECACHE_HASH_EXTENDED_PROC_FINFO | TYPECACHE_EQ_OPR_FINFO);
		if (tc != NULL && (!OidIsValid(tc->hash_extended_proc_finfo.fn_oid) ||
						   !OidIsValid(tc->eq_opr_finfo.fn_oid)))
			(void) not_run_rule(rs, "uniqueItems", prop, DMESH_METRIC_INVALID,
								psprintf("items of type %s cannot be compared: the type has no hash function",
										 format_type_be(tc->type_id)));
		else
		{
			r = new_rule(rs, "uniqueItems", prop, DMESH_METRIC_INVALID);
			r->test = DMESH_TEST_UNIQUE_ITEMS;
			if (tc != NULL)
			{
				r->item_hash = &tc->hash_extended_proc_finfo;
				r->item_eq = &tc->eq_opr_finfo;
				r->item_collation = col->collation;
			}
		}
	}

	if (required != NULL && required->type != jbvNull)
	{
		char	   *rpath = psprintf("%srequired", opath);
		JsonbContainer *list;
		int			n;
		DmeshNameMap *atts = NULL;

		if (required->type != jbvBinary || !JsonContainerIsArray(required->val.binary.data))
			rule_error(rpath, "must be a list of property names", NULL);
		list = required->val.binary.data;
		n = JsonContainerSize(list);
		if (n == 0 || !shape_fits(rs, prop, false, "requiredProperties", path))
			return;
		r = new_rule(rs, "requiredProperties", prop, DMESH_METRIC_INVALID);
		r->test = DMESH_TEST_REQUIRED;
		r->nrequired = n;
		r->required = palloc(sizeof(char *) * n);
		r->required_len = palloc(sizeof(int) * n);
		if (col->shape == DMESH_SHAPE_COMPOSITE)
		{
			/* each name as an attribute of the type, looked up by name */
			r->required_att = palloc0(sizeof(AttrNumber) * n);
			atts = dmesh_name_map_create(col->rowdesc->natts);
			for (int a = 0; a < col->rowdesc->natts; a++)
			{
				Form_pg_attribute att = TupleDescAttr(col->rowdesc, a);
				bool		found;

				if (!att->attisdropped)
					*dmesh_name_map_insert(atts, NameStr(att->attname), &found) = a + 1;
			}
		}
		for (int i = 0; i < n; i++)
		{
			JsonbValue *v = getIthJsonbValueFromContainer(list, i);

			CHECK_FOR_INTERRUPTS();
			if (v->type != jbvString)
				rule_error(psprintf("%s[%d]", rpath, i), "must be a property name", NULL);
			r->required[i] = pnstrdup(v->val.string.val, v->val.string.len);
			r->required_len[i] = v->val.string.len;
			if (atts != NULL)
			{
				int			att = dmesh_name_map_lookup(atts, r->required[i]);

				r->required_att[i] = att > 0 ? att : 0;	/* 0: no such attribute */
			}
		}
		if (atts != NULL)
			dmesh_name_map_free(atts);
	}
}

static void
compile_property_constraints(DmeshRuleSet *rs, int prop, const char *path)
{
	DmeshProperty *p = &rs->contract->props[prop];
	JsonbValue *optsv = dmesh_json_get(p->json->val.binary.data, "logicalTypeOptions");
	JsonbContainer *opts = (optsv && optsv->type == jbvBinary) ? optsv->val.binary.data : NULL;
	DmeshRule  *r;

	if (p->required || p->primary_key)
	{
		(void) rule_column(rs, prop, path);
		r = new_rule(rs, p->required ? "required" : "primaryKey", prop, DMESH_METRIC_NULL);
		r->test = DMESH_TEST_NULL;
	}
	if (p->unique)
	{
		int		   *keys = palloc(sizeof(int));

		keys[0] = prop;
		r = new_rule(rs, "unique", prop, DMESH_METRIC_DUPLICATE);
		r->test = DMESH_TEST_DUPLICATE;
		set_duplicate_keys(rs, r, keys, 1, path);
	}
	if (opts == NULL)
		return;

	{
		char	   *opath = psprintf("%slogicalTypeOptions.", path);
		int			minlen = int_option(opts, "minLength", opath);
		int			maxlen = int_option(opts, "maxLength", opath);
		char	   *pattern = dmesh_json_string(opts, "pattern", opath);
		char	   *format = dmesh_json_string(opts, "format", opath);
		static const char *const bound_keys[] = {
			"minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"
		};
		static const DmeshRuleOp bound_ops[] = {
			DMESH_OP_GE, DMESH_OP_GT, DMESH_OP_LE, DMESH_OP_LT
		};

		if (minlen >= 0)
		{
			(void) rule_column(rs, prop, path);
			r = new_rule(rs, "minLength", prop, DMESH_METRIC_INVALID);
			r->test = DMESH_TEST_LENGTH;
			r->min_len = minlen;
			r->max_len = -1;
		}
		if (maxlen >= 0)
		{
			(void) rule_column(rs, prop, path);
			r = new_rule(rs, "maxLength", prop, DMESH_METRIC_INVALID);
			r->test = DMESH_TEST_LENGTH;
			r->min_len = -1;
			r->max_len = maxlen;
		}
		if (pattern != NULL)
		{
			(void) rule_column(rs, prop, path);
			r = new_rule(rs, "pattern", prop, DMESH_METRIC_INVALID);
			set_pattern(r, pattern, REG_ADVANCED);
		}
		if (format != NULL)
		{
			const char *re = NULL;

			if (strcmp(format, "email") == 0)
				re = DMESH_FORMAT_EMAIL;
			else if (strcmp(format, "uuid") == 0)
				re = DMESH_FORMAT_UUID;
			else if (strcmp(format, "uri") == 0)
				re = DMESH_FORMAT_URI;
			if (re == NULL)
			{
				/* yyyy-MM-dd, HH:mm:ss, i64, f32, ipv4 ...: kept, not checked */
				(void) not_run_rule(rs, "format", prop, DMESH_METRIC_INVALID,
									psprintf("dmesh checks the formats email, uuid and uri, not \"%s\"",
											 format));
			}
			else if (rule_column(rs, prop, path)->base != UUIDOID)
			{
				r = new_rule(rs, "format", prop, DMESH_METRIC_INVALID);
				set_pattern(r, re, REG_ADVANCED);
				r->format = format;
			}
		}
		for (int i = 0; i < lengthof(bound_keys); i++)
		{
			JsonbValue *v = dmesh_json_get(opts, bound_keys[i]);
			DmeshRuleOp op = bound_ops[i];

			if (v == NULL || v->type == jbvNull)
				continue;
			if (v->type == jbvBool)
				continue;		/* ODCS v3.0 flag, applied below */
			if (i == 0 || i == 2)
			{
				/* v3.0: exclusiveMinimum: true qualifies minimum */
				JsonbValue *flag = dmesh_json_get(opts, bound_keys[i + 1]);

				if (flag && flag->type == jbvBool && flag->val.boolean)
					op = (i == 0) ? DMESH_OP_GT : DMESH_OP_LT;
			}
			(void) rule_column(rs, prop, path);
			r = new_rule(rs, bound_keys[i], prop, DMESH_METRIC_INVALID);
			add_bound(rs, r, v, op, psprintf("%s%s", opath, bound_keys[i]));
		}
		compile_shape_options(rs, prop, opts, opath, path);
	}
}

static void
compile_quality_list(DmeshRuleSet *rs, DmeshNameMap *props, JsonbContainer *parent, int prop,
					 const char *path)
{
	JsonbValue *v = dmesh_json_get(parent, "quality");

	if (v == NULL || v->type != jbvBinary)
		return;
	for (uint32 i = 0; i < JsonContainerSize(v->val.binary.data); i++)
	{
		JsonbValue *rule = getIthJsonbValueFromContainer(v->val.binary.data, i);

		ErrorContextCallback callback;
		char	   *rpath = psprintf("%squality[%u].", path, i);

		CHECK_FOR_INTERRUPTS();
		callback.callback = rule_path_context;
		callback.arg = rpath;
		callback.previous = error_context_stack;
		error_context_stack = &callback;
		compile_quality_rule(rs, props, rule->val.binary.data, prop, rpath);
		error_context_stack = callback.previous;
	}
}

static void
free_rule_set(void *arg)
{
	DmeshRuleSet *rs = arg;

	for (int i = 0; i < rs->nrules; i++)
		if (rs->rules[i].re != NULL)
			pg_regfree(rs->rules[i].re);
}

/*
 * Compile the rules of a contract.  types[i] is the type of the column of
 * property i, or InvalidOid if the column is not there.  Everything lives
 * in a new child of "parent"; deleting it frees the rule set, regular
 * expressions included.
 */
DmeshRuleSet *
dmesh_rules_compile(DmeshContract *contract, const Oid *types, MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "dmesh rules", ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	DmeshRuleSet *rs = palloc0(sizeof(DmeshRuleSet));
	MemoryContextCallback *cb = palloc0(sizeof(MemoryContextCallback));
	DmeshNameMap *props;

	rs->cxt = cxt;
	rs->contract = contract;
	rs->version = pstrdup(contract->version);
	rs->maxrules = 8;
	rs->rules = palloc(sizeof(DmeshRule) * rs->maxrules);
	rs->columns = palloc0(sizeof(DmeshRuleColumn) * Max(contract->nprops, 1));
	rs->column_needed = palloc0(sizeof(bool) * Max(contract->nprops, 1));
	cb->func = free_rule_set;
	cb->arg = rs;
	MemoryContextRegisterResetCallback(cxt, cb);

	props = dmesh_name_map_create(contract->nprops);
	for (int i = 0; i < contract->nprops; i++)
	{
		bool		found;

		rs->columns[i].cxt = cxt;
		if (OidIsValid(types[i]))
		{
			init_column(&rs->columns[i], types[i]);
			/* a date on a timestamp column (ODCS v3.0 had no timestamp type) */
			rs->columns[i].as_date = strcmp(contract->props[i].logical_type, "date") == 0 &&
				(rs->columns[i].base == TIMESTAMPOID || rs->columns[i].base == TIMESTAMPTZOID);
		}
		*dmesh_name_map_insert(props, contract->props[i].name, &found) = i;
	}
	for (int i = 0; i < contract->nprops; i++)
	{
		char	   *path = psprintf("schema[%d].properties[%d].", contract->object_index, i);
		ErrorContextCallback callback;

		CHECK_FOR_INTERRUPTS();
		callback.callback = rule_path_context;
		callback.arg = path;
		callback.previous = error_context_stack;
		error_context_stack = &callback;
		compile_property_constraints(rs, i, path);
		error_context_stack = callback.previous;
		compile_quality_list(rs, props, contract->props[i].json->val.binary.data, i, path);
	}
	/* A primary key is unique as a whole (a single column may say so already). */
	{
		int		   *keys = palloc(sizeof(int) * Max(contract->nprops, 1));
		int			nkeys = 0;

		for (int i = 0; i < contract->nprops; i++)
			if (contract->props[i].primary_key)
				keys[nkeys++] = i;
		if (nkeys > 1 || (nkeys == 1 && !contract->props[keys[0]].unique))
		{
			DmeshRule  *r = new_rule(rs, "primaryKey", nkeys == 1 ? keys[0] : -1,
									 DMESH_METRIC_DUPLICATE);

			r->test = DMESH_TEST_DUPLICATE;
			set_duplicate_keys(rs, r, keys, nkeys, psprintf("schema[%d].", contract->object_index));
		}
	}
	compile_quality_list(rs, props, contract->object, -1, psprintf("schema[%d].", contract->object_index));
	dmesh_name_map_free(props);

	/* What each rule needs, and which rules a write can break alone. */
	for (int i = 0; i < rs->nrules; i++)
	{
		DmeshRule  *r = &rs->rules[i];
		double		tiny = r->unit_percent ? 1e-9 : 1;
		bool		zero_only = dmesh_rule_passes(r, 0) && !dmesh_rule_passes(r, tiny);

		CHECK_FOR_INTERRUPTS();
		r->index = i;
		if (r->test != DMESH_TEST_NONE && r->test != DMESH_TEST_DUPLICATE)
			rs->has_row_tests = true;
		if (r->test == DMESH_TEST_DUPLICATE)
			rs->has_duplicates = true;
		if (r->not_run != NULL)
		{
			rs->nnot_run++;
			r->on_write = DMESH_ON_WRITE_NOT_RUN;
			r->expected = psprintf("not run here: %s", r->not_run);
			continue;
		}
		switch (r->metric)
		{
			case DMESH_METRIC_NULL:
			case DMESH_METRIC_MISSING:
			case DMESH_METRIC_INVALID:
				r->on_write = zero_only ? DMESH_ON_WRITE_ROW : DMESH_ON_WRITE_BATCH;
				break;
			case DMESH_METRIC_DUPLICATE:
				r->on_write = zero_only ? DMESH_ON_WRITE_LOOKUP : DMESH_ON_WRITE_BATCH;
				break;
			default:
				r->on_write = DMESH_ON_WRITE_BATCH;
		}
		r->expected = dmesh_rule_expected(r);
	}
	MemoryContextSwitchTo(old);
	return rs;
}

/*
 * Compile as the given role (a product's owner), under
 * SECURITY_RESTRICTED_OPERATION with search_path pinned: compiling reads
 * values with the column types' input functions, which may run a domain's
 * CHECK, so it never runs with more rights than the product's owner.
 */
DmeshRuleSet *
dmesh_rules_compile_as(Oid role, DmeshContract *contract, const Oid *types,
					   MemoryContext parent)
{
	DmeshSection section;
	DmeshRuleSet *rs;

	dmesh_enter_as_role(&section, role);
	rs = dmesh_rules_compile(contract, types, parent);
	dmesh_leave(&section);
	return rs;
}

/* ----------------------------------------------------------------
 * Testing values
 * ----------------------------------------------------------------
 */

/*
 * numeric_cmp detoasts its arguments, which for a value with a short
 * (1-byte) header means a palloc'd copy per call.  A small value is given
 * a 4-byte header in the caller's buffer instead.
 */
typedef union NumericBuf
{
	int32		align;
	char		data[64];
} NumericBuf;

static Datum
plain_numeric(Datum value, NumericBuf *buf)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(value);

	/* (a toast pointer has a 1-byte header too, and is detoasted by the callee) */
	if (VARATT_IS_SHORT(v) && !VARATT_IS_EXTERNAL(v) &&
		VARSIZE_SHORT(v) - VARHDRSZ_SHORT + VARHDRSZ <= sizeof(buf->data))
	{
		Size		len = VARSIZE_SHORT(v) - VARHDRSZ_SHORT;

		memcpy(buf->data + VARHDRSZ, VARDATA_SHORT(v), len);
		SET_VARSIZE(buf->data, len + VARHDRSZ);
		return PointerGetDatum(buf->data);
	}
	return value;
}

static bool
in_values(DmeshRuleSet *rs, DmeshRule *r, Datum value)
{
	DmeshRuleColumn *col = &rs->columns[r->prop];

	if (col->is_text)
	{
		int			len;
		const char *s = value_text(col, value, &len);

		for (int i = 0; i < r->nvalues; i++)
			if (r->values[i].len == len && memcmp(r->values[i].text, s, len) == 0)
				return true;
		return false;
	}
	if (col->num == DMESH_NUM_NUMERIC)
	{
		NumericBuf	buf;

		value = plain_numeric(value, &buf);
		for (int i = 0; i < r->nvalues; i++)
			if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, value,
												  NumericGetDatum(r->values[i].num))) == 0)
				return true;
		return false;
	}
	if (col->num == DMESH_NUM_INT)
	{
		int64		v = int_value(col, value);

		for (int i = 0; i < r->nvalues; i++)
			if (r->values[i].int_ok && r->values[i].ival == v)
				return true;
		return false;
	}
	if (col->num != DMESH_NUM_NONE)
	{
		double		d = float_value(col, value);

		for (int i = 0; i < r->nvalues; i++)
			if (r->values[i].fnum == d)
				return true;
		return false;
	}
	if (col->base == BOOLOID)
	{
		for (int i = 0; i < r->nvalues; i++)
			if (DatumGetBool(r->values[i].datum) == DatumGetBool(value))
				return true;
		return false;
	}
	if (col->as_date)
	{
		/* timestamps compare as their int64 microseconds */
		Timestamp	t = DatumGetTimestamp(value);

		for (int i = 0; i < r->nvalues; i++)
		{
			DmeshRuleValue *v = &r->values[i];

			if (v->whole_day ? (t >= v->day_start && t < v->day_end) :
				t == DatumGetTimestamp(v->datum))
				return true;
		}
		return false;
	}
	for (int i = 0; i < r->nvalues; i++)
		if (DatumGetBool(FunctionCall2Coll(r->values_eq, col->collation,
										   value, r->values[i].datum)))
			return true;
	return false;
}

static bool
op_holds(DmeshRuleOp op, int cmp)
{
	switch (op)
	{
		case DMESH_OP_GE:
			return cmp >= 0;
		case DMESH_OP_GT:
			return cmp > 0;
		case DMESH_OP_LE:
			return cmp <= 0;
		case DMESH_OP_LT:
			return cmp < 0;
		default:
			return false;
	}
}

static bool
within_bound(DmeshRuleSet *rs, DmeshRule *r, Datum value)
{
	DmeshRuleColumn *col = &rs->columns[r->prop];
	NumericBuf	buf;

	if (col->num == DMESH_NUM_NUMERIC)
	{
		value = plain_numeric(value, &buf);
		if (numeric_is_nan(DatumGetNumeric(value)))
			return false;
	}
	for (int i = 0; i < r->nbounds; i++)
	{
		DmeshBound *b = &r->bounds[i];
		int			cmp;

		switch (col->num)
		{
			case DMESH_NUM_INT:
				{
					int64		v = int_value(col, value);

					if (b->int_overflow != 0)
						cmp = -b->int_overflow;
					else
						cmp = (v > b->ival) - (v < b->ival);
					break;
				}
			case DMESH_NUM_FLOAT:
				{
					double		v = float_value(col, value);

					if (isnan(v))
						return false;
					cmp = (v > b->fnum) - (v < b->fnum);
					break;
				}
			case DMESH_NUM_NUMERIC:
				cmp = DatumGetInt32(DirectFunctionCall2(numeric_cmp, value,
														NumericGetDatum(b->num)));
				break;
			default:
				cmp = DatumGetInt32(FunctionCall2Coll(r->bound_cmp, r->bound_collation,
													  value, b->datum));
		}
		if (!op_holds(b->op, cmp))
			return false;
	}
	return true;
}

bool
dmesh_regex_matches(regex_t *re, const char *s, int len)
{
	pg_wchar	stackbuf[256];
	pg_wchar   *wide = (len < lengthof(stackbuf)) ? stackbuf : palloc((len + 1) * sizeof(pg_wchar));
	int			wlen = pg_mb2wchar_with_len(s, wide, len);
	int			rc = pg_regexec(re, wide, wlen, 0, NULL, 0, NULL, 0);

	if (wide != stackbuf)
		pfree(wide);
	if (rc == REG_OKAY)
		return true;
	if (rc == REG_NOMATCH)
		return false;
	{
		char		msg[256];

		pg_regerror(rc, re, msg, sizeof(msg));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_REGULAR_EXPRESSION),
				 errmsg("regular expression failed: %s", msg)));
	}
	return false;
}

/*
 * Does this value break a row-level rule?
 */
bool
dmesh_rule_offends(DmeshRuleSet *rs, DmeshRule *r, Datum value, bool isnull)
{
	DmeshRuleColumn *col;
	const char *s;
	int			len;

	switch (r->test)
	{
		case DMESH_TEST_NULL:
			return isnull;
		case DMESH_TEST_MISSING:
			if (isnull)
				return r->null_listed;
			return r->nvalues > 0 && in_values(rs, r, value);
		case DMESH_TEST_VALID:
			return !isnull && !in_values(rs, r, value);
		case DMESH_TEST_LENGTH:
			if (isnull)
				return false;
			col = &rs->columns[r->prop];
			s = value_text(col, value, &len);
			len = pg_mbstrlen_with_len(s, len);
			return (r->min_len >= 0 && len < r->min_len) ||
				(r->max_len >= 0 && len > r->max_len);
		case DMESH_TEST_PATTERN:
			if (isnull)
				return false;
			col = &rs->columns[r->prop];
			s = value_text(col, value, &len);
			if (r->fast)
			{
				int			m = dmesh_fastre_match(r->fast, s, len);

				if (m != DMESH_FASTRE_UNKNOWN)
					return m == DMESH_FASTRE_NOMATCH;
			}
			return !dmesh_regex_matches(r->re, s, len);
		case DMESH_TEST_BOUND:
			return !isnull && !within_bound(rs, r, value);
		case DMESH_TEST_ITEMS:
		case DMESH_TEST_UNIQUE_ITEMS:
		case DMESH_TEST_PROPERTIES:
		case DMESH_TEST_REQUIRED:
			return !isnull && dmesh_shape_offends(rs, r, value);
		default:
			return false;
	}
}

static bool
cond_holds(const DmeshRuleCond *c, double observed)
{
	switch (c->op)
	{
		case DMESH_OP_EQ:
			return observed == c->t1;
		case DMESH_OP_NE:
			return observed != c->t1;
		case DMESH_OP_GT:
			return observed > c->t1;
		case DMESH_OP_GE:
			return observed >= c->t1;
		case DMESH_OP_LT:
			return observed < c->t1;
		case DMESH_OP_LE:
			return observed <= c->t1;
		case DMESH_OP_BETWEEN:
			return observed >= c->t1 && observed <= c->t2;
		case DMESH_OP_NOT_BETWEEN:
			return observed < c->t1 || observed > c->t2;
	}
	return false;
}

/*
 * Does the metric pass the rule's operators (all of them)?  A rule not run
 * here never passes; its callers do not count it as failed either.
 */
bool
dmesh_rule_passes(const DmeshRule *r, double observed)
{
	if (r->not_run != NULL)
		return false;
	for (int i = 0; i < r->nconds; i++)
		if (!cond_holds(&r->conds[i], observed))
			return false;
	return true;
}

static const char *
op_symbol(DmeshRuleOp op)
{
	for (int i = 0; i < lengthof(operators); i++)
		if (operators[i].op == op)
			return operators[i].symbol;
	return "?";
}

/* The operators as text, e.g. "= 0", "between 1 and 5", "> 0 and < 2%". */
char *
dmesh_rule_expected(const DmeshRule *r)
{
	const char *pct = r->unit_percent ? "%" : "";
	StringInfoData buf;

	if (r->not_run != NULL)
		return psprintf("not run here: %s", r->not_run);
	initStringInfo(&buf);
	for (int i = 0; i < r->nconds; i++)
	{
		const DmeshRuleCond *c = &r->conds[i];
		const char *t1 = c->t1_text ? c->t1_text : "0";

		if (i > 0)
			appendStringInfoString(&buf, " and ");
		if (c->op == DMESH_OP_BETWEEN || c->op == DMESH_OP_NOT_BETWEEN)
			appendStringInfo(&buf, "%s %s%s and %s%s", op_symbol(c->op), t1, pct,
							 c->t2_text, pct);
		else
			appendStringInfo(&buf, "%s %s%s", op_symbol(c->op), t1, pct);
	}
	return buf.data;
}

/* The required properties, for messages: "a", "b" (at most a few). */
static char *
required_list(const DmeshRule *r)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < r->nrequired; i++)
	{
		if (i == 8)
		{
			appendStringInfo(&buf, " and %d more", r->nrequired - i);
			break;
		}
		appendStringInfo(&buf, "%s%s", i ? ", " : "", quote_identifier(r->required[i]));
	}
	return buf.data;
}

/* What a row-level rule asks of a value, for messages. */
char *
dmesh_rule_describe(const DmeshRule *r)
{
	switch (r->test)
	{
		case DMESH_TEST_NULL:
			return pstrdup("a value is required");
		case DMESH_TEST_MISSING:
			return pstrdup("the value must not be a missing value");
		case DMESH_TEST_VALID:
			return pstrdup("the value must be one of the valid values");
		case DMESH_TEST_LENGTH:
			if (r->min_len >= 0)
				return psprintf("at least %d characters", r->min_len);
			return psprintf("at most %d characters", r->max_len);
		case DMESH_TEST_PATTERN:
			if (r->format)
				return psprintf("format %s", r->format);
			return psprintf("must match %s", r->pattern);
		case DMESH_TEST_BOUND:
			if (r->nbounds == 2)
				return psprintf("%s %s and %s %s", r->bounds[0].symbol, r->bounds[0].text,
								r->bounds[1].symbol, r->bounds[1].text);
			return psprintf("%s %s", r->bounds[0].symbol, r->bounds[0].text);
		case DMESH_TEST_ITEMS:
		case DMESH_TEST_PROPERTIES:
			{
				int64		n = r->min_count >= 0 ? r->min_count : r->max_count;
				bool		items = (r->test == DMESH_TEST_ITEMS);

				return psprintf("at %s " INT64_FORMAT " %s", r->min_count >= 0 ? "least" : "most", n,
								items ? (n == 1 ? "item" : "items") :
								(n == 1 ? "property" : "properties"));
			}
		case DMESH_TEST_UNIQUE_ITEMS:
			return pstrdup("no item twice");
		case DMESH_TEST_REQUIRED:
			return psprintf("properties %s are required", required_list(r));
		case DMESH_TEST_DUPLICATE:
			return pstrdup("values must be unique");
		default:
			return pstrdup(r->name);
	}
}

static void
refuse_sql(const DmeshRule *r, const char *problem)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("sql rule \"%s\" %s", r->name, problem),
			 errhint("An sql rule is one SELECT that returns one number, and changes nothing.")));
}

/*
 * Placeholders of sql rules: ODCS v3.1.0 writes {object} and {property},
 * v3.0.x ${object} and ${property}; both show {table} and {column} as
 * well.  Each form stands for the same.
 */
static const struct
{
	const char *name;
	bool		object;			/* the relation, else the rule's column */
}			placeholders[] =
{
	{"object", true},
	{"table", true},
	{"property", false},
	{"column", false},
};

/* The length of the placeholder at p, or 0; *object says what it is for. */
static int
placeholder_at(const char *p, bool *object)
{
	const char *q = (*p == '$') ? p + 1 : p;

	if (*q != '{')
		return 0;
	q++;
	for (int i = 0; i < lengthof(placeholders); i++)
	{
		size_t		len = strlen(placeholders[i].name);

		if (strncmp(q, placeholders[i].name, len) == 0 && q[len] == '}')
		{
			*object = placeholders[i].object;
			return (int) (q - p) + len + 1;
		}
	}
	return 0;
}

static bool
sql_ident_char(char c)
{
	return isalnum((unsigned char) c) || c == '_' || c == '$' || IS_HIGHBIT_SET(c);
}

/*
 * If a string literal, a quoted identifier, a comment or a dollar-quoted
 * string starts at p (in query "start"), where it ends (just after it, or
 * at the end of an unterminated one); else p.  Placeholders inside them
 * are text like any other and are left as written.
 */
static const char *
sql_skip_quoted(const char *start, const char *p)
{
	const char *q;

	if (*p == '\'' || *p == '"')
	{
		/* E'...' strings have backslash escapes (standard_conforming_strings) */
		bool		escapes = *p == '\'' && p > start && (p[-1] == 'E' || p[-1] == 'e') &&
			(p - 1 == start || !sql_ident_char(p[-2]));

		for (q = p + 1; *q; q++)
		{
			if (escapes && *q == '\\' && q[1] != '\0')
				q++;
			else if (*q == *p)
			{
				if (q[1] != *p)
					return q + 1;
				q++;			/* a doubled quote */
			}
		}
		return q;
	}
	if (p[0] == '-' && p[1] == '-')
	{
		for (q = p; *q && *q != '\n'; q++)
			;
		return q;
	}
	if (p[0] == '/' && p[1] == '*')
	{
		int			depth = 0;

		for (q = p; *q; q++)
		{
			CHECK_FOR_INTERRUPTS();
			if (q[0] == '/' && q[1] == '*')
			{
				depth++;
				q++;
			}
			else if (q[0] == '*' && q[1] == '/')
			{
				q++;
				if (--depth == 0)
					return q + 1;
			}
		}
		return q;
	}
	if (*p == '$' && (p == start || !sql_ident_char(p[-1])))
	{
		/* $tag$ ... $tag$, the tag an identifier without $, or empty */
		const char *end;
		char	   *tag;

		q = p + 1;
		if (isalpha((unsigned char) *q) || *q == '_' || IS_HIGHBIT_SET(*q))
			while (*q && *q != '$' && sql_ident_char(*q))
				q++;
		if (*q != '$')
			return p;
		tag = pnstrdup(p, q - p + 1);
		end = strstr(q + 1, tag);
		q = end ? end + strlen(tag) : q + strlen(q);
		pfree(tag);
		return q;
	}
	return p;
}

/*
 * The query of an sql rule with its placeholders replaced: {object} (or
 * ${object}, {table}, ${table}) by the relation, {property} (or
 * ${property}, {column}, ${column}) by the rule's column, quoted.  Only
 * placeholders in the SQL text are replaced, not those inside string
 * literals, quoted identifiers or comments, which stay as written.  The
 * query must parse as one plain SELECT (no data-modifying WITH, no INTO, no
 * locking).  With "cte" (a query source not yet published), the relation is
 * a WITH item holding the source query.
 */
char *
dmesh_rule_sql_text(DmeshRuleSet *rs, const DmeshRule *r, const char *object, bool physical,
					const char *cte)
{
	StringInfoData buf;
	const char *p = r->query;
	List	   *stmts;
	SelectStmt *select;
	DmeshQueryContext ctx;
	ErrorContextCallback callback;

	if (cte)
		object = "dmesh_object";
	initStringInfo(&buf);
	while (*p)
	{
		bool		is_object;
		int			len = placeholder_at(p, &is_object);
		const char *end;

		CHECK_FOR_INTERRUPTS();
		if (len > 0 && is_object)
			appendStringInfoString(&buf, object);
		else if (len > 0)
		{
			if (r->prop < 0)
				refuse_sql(r, psprintf("uses %.*s but is not the rule of a property", len, p));
			appendStringInfoString(&buf, quote_identifier(physical ?
														  rs->contract->props[r->prop].column :
														  rs->contract->props[r->prop].name));
		}
		if (len > 0)
		{
			p += len;
			continue;
		}
		end = sql_skip_quoted(r->query, p);
		if (end > p)
		{
			appendBinaryStringInfo(&buf, p, end - p);
			p = end;
		}
		else
			appendStringInfoChar(&buf, *p++);
	}

	ctx.query = buf.data;
	ctx.what = psprintf("sql rule \"%s\"", r->name);
	ctx.always = true;
	ctx.offset = 0;
	callback.callback = dmesh_query_error_context;
	callback.arg = &ctx;
	callback.previous = error_context_stack;
	error_context_stack = &callback;
	stmts = raw_parser(buf.data, RAW_PARSE_DEFAULT);
	error_context_stack = callback.previous;

	if (list_length(stmts) != 1 || !IsA(linitial_node(RawStmt, stmts)->stmt, SelectStmt))
		refuse_sql(r, "must be a single SELECT statement");
	select = (SelectStmt *) linitial_node(RawStmt, stmts)->stmt;
	if (select->intoClause || select->lockingClause)
		refuse_sql(r, "must not use INTO or a locking clause");
	if (select->withClause)
	{
		ListCell   *lc;

		foreach(lc, select->withClause->ctes)
		{
			CommonTableExpr *c = lfirst_node(CommonTableExpr, lc);

			if (!IsA(c->ctequery, SelectStmt))
				refuse_sql(r, "must not change data");
		}
	}

	if (cte)
	{
		/* Put the source first among the query's WITH items. */
		StringInfoData out;
		const char *q = buf.data;

		initStringInfo(&out);
		while (isspace((unsigned char) *q))
			q++;
		if (select->withClause)
		{
			q += 4;				/* WITH */
			while (isspace((unsigned char) *q))
				q++;
			if (select->withClause->recursive)
			{
				q += 9;			/* RECURSIVE */
				appendStringInfoString(&out, "WITH RECURSIVE ");
			}
			else
				appendStringInfoString(&out, "WITH ");
			appendStringInfo(&out, "dmesh_object AS (%s), %s", cte, q);
		}
		else
			appendStringInfo(&out, "WITH dmesh_object AS (%s) %s", cte, q);
		return out.data;
	}
	return buf.data;
}

const char *
dmesh_metric_name(DmeshRuleMetric metric)
{
	switch (metric)
	{
		case DMESH_METRIC_NULL:
			return "nullValues";
		case DMESH_METRIC_MISSING:
			return "missingValues";
		case DMESH_METRIC_INVALID:
			return "invalidValues";
		case DMESH_METRIC_DUPLICATE:
			return "duplicateValues";
		case DMESH_METRIC_ROWS:
			return "rowCount";
		case DMESH_METRIC_SQL:
			return "sql";
		case DMESH_METRIC_CUSTOM:
			return "custom";
	}
	return "?";
}

/* The metric of a rule: its name, or the rule's as written. */
const char *
dmesh_rule_metric(const DmeshRule *r)
{
	return r->metric_text ? r->metric_text : dmesh_metric_name(r->metric);
}
