/*-------------------------------------------------------------------------
 *
 * product_spec.c
 *		Reading a data product document: an Open Data Product Standard
 *		(ODPS v1.0.0) document, checked against the standard's schema, and
 *		the customProperties dmesh reads from it.
 *
 * A document is first walked against the ODPS schema (contract_validate.c,
 * with the tables of product_odps_tables.c): unknown keys, types, enums
 * and required keys, each named by its path.  Then dmesh reads what it
 * acts on (DmeshProductSpec): the product's name and domain, its status
 * (proposed or draft, active, deprecated, retired), the purpose of its
 * description, its tags, its output ports, and its customProperties whose
 * names start with "dmesh":
 *
 *	dmeshOwner			the role owning the product (at creation)
 *	dmeshSource			"relation or query", or {"object": "relation or query"}
 *	dmeshMaterialized	true: the query's rows kept in a table of the product
 *	dmeshContractGate	enforce or warn
 *	dmeshEnforcement	reject, quarantine, warn or off
 *	dmeshSchedule		{refresh, check, freshness}: intervals
 *	dmeshAgreements		[{consumer, rowFilter, purpose, expiresAt, unmask}]
 *	dmeshPolicies		[{name, kind, rule, enforcement}]: policies of the product
 *	dmeshDeprecation	{reason, sunset}
 *
 * A property of an output port named dmeshRelation is what dmesh reports
 * (the relation to query) and is not read.  Any other name that starts
 * with "dmesh" is refused, with the name meant when one is close; a name
 * of one's own close to one of dmesh's draws a warning.
 *
 * Problems are errors (22023, "path: message"), or, for lint_document,
 * collected with their paths; values are then read on, so that every
 * problem of the document is found in one pass.  Reading is linear in
 * the size of the document.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "dmesh.h"
#include "contract.h"
#include "product.h"

typedef struct Reader
{
	List	  **problems;		/* NULL: the first problem is an error */
	int			errors;
} Reader;

/* The customProperties dmesh reads (see above). */
static const char *const dmesh_properties[] = {
	"dmeshOwner", "dmeshSource", "dmeshMaterialized", "dmeshContractGate",
	"dmeshEnforcement", "dmeshSchedule", "dmeshAgreements", "dmeshPolicies",
	"dmeshDeprecation",
};

/* ... and those dmesh writes on an output port (not read). */
static const char *const port_properties[] = {"dmeshRelation"};

/* ODPS statuses and dmesh's lifecycle. */
static const char *const statuses[][2] = {
	{"proposed", "draft"},
	{"draft", "draft"},
	{"active", "published"},
	{"deprecated", "deprecated"},
	{"retired", "retired"},
};

static const char *const agreement_keys[] = {
	"consumer", "rowFilter", "purpose", "expiresAt", "unmask"
};
static const char *const policy_keys[] = {"name", "kind", "rule", "enforcement"};
static const char *const schedule_keys[] = {"refresh", "check", "freshness"};
static const char *const deprecation_keys[] = {"reason", "sunset"};

/* ----------------------------------------------------------------
 * Problems
 * ----------------------------------------------------------------
 */

static void
report(Reader *r, const char *path, const char *message, const char *detail,
	   const char *hint)
{
	DmeshProblem *p;

	if (r->problems == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: %s", path, message),
				 detail ? errdetail("%s", detail) : 0,
				 hint ? errhint("%s", hint) : 0));
	p = palloc0(sizeof(DmeshProblem));
	p->path = pstrdup(path);
	p->message = pstrdup(message);
	p->detail = detail ? pstrdup(detail) : NULL;
	p->hint = hint ? pstrdup(hint) : NULL;
	*r->problems = lappend(*r->problems, p);
	r->errors++;
}

static void
warn(Reader *r, const char *path, const char *message, const char *hint)
{
	DmeshProblem *p;

	if (r->problems == NULL)
	{
		ereport(WARNING,
				(errmsg("%s: %s", path, message),
				 hint ? errhint("%s", hint) : 0));
		return;
	}
	p = palloc0(sizeof(DmeshProblem));
	p->path = pstrdup(path);
	p->message = pstrdup(message);
	p->hint = hint ? pstrdup(hint) : NULL;
	p->warning = true;
	*r->problems = lappend(*r->problems, p);
}

/*
 * Run fn(arg) in an internal subtransaction.  A problem of the document (an
 * error of class 22, data exception, or 54, program limit exceeded) rolls
 * the subtransaction back and is returned in *edata (the caller's memory);
 * any other error (a cancel, out of memory, an internal error) is raised
 * again after the rollback.
 */
bool
dmesh_try_document(void (*fn) (void *arg), void *arg, ErrorData **edata)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	ErrorData  *caught = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		caught = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	if (caught == NULL)
		return true;
	if (ERRCODE_TO_CATEGORY(caught->sqlerrcode) != ERRCODE_DATA_EXCEPTION &&
		ERRCODE_TO_CATEGORY(caught->sqlerrcode) != ERRCODE_PROGRAM_LIMIT_EXCEEDED)
		ReThrowError(caught);
	if (edata)
		*edata = caught;
	return false;
}

/* ----------------------------------------------------------------
 * Values
 * ----------------------------------------------------------------
 */

static bool
is_object(JsonbValue *v)
{
	return v != NULL && v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data);
}

static bool
is_array(JsonbValue *v)
{
	return v != NULL && v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data) &&
		!JsonContainerIsScalar(v->val.binary.data);
}

static const char *
type_name(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "a string";
		case jbvNumeric:
			return "a number";
		case jbvBool:
			return "a boolean";
		case jbvBinary:
			return JsonContainerIsObject(v->val.binary.data) ? "an object" : "an array";
		default:
			return "a value";
	}
}

/* A value as JSON text. */
static char *
value_text(JsonbValue *v)
{
	Jsonb	   *jb = JsonbValueToJsonb(v);

	return JsonbToCString(NULL, &jb->root, VARSIZE(jb));
}

static char *
sub(const char *path, const char *key)
{
	return psprintf("%s.%s", path, key);
}

/* A string value (NULL after a problem; NULL or "" allowed as asked). */
static char *
string_value(Reader *r, JsonbValue *v, const char *path, bool null_ok)
{
	if (v == NULL || (null_ok && v->type == jbvNull))
		return NULL;
	if (v->type != jbvString)
	{
		report(r, path, psprintf("must be a string, not %s", type_name(v)), NULL, NULL);
		return NULL;
	}
	if (v->val.string.len == 0)
	{
		report(r, path, "must not be empty", NULL, NULL);
		return NULL;
	}
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/*
 * A string the schema types: NULL, silently, when it is no string (the
 * schema said so); an empty one is dmesh's own problem.
 */
static char *
schema_string(Reader *r, JsonbValue *v, const char *path)
{
	if (v == NULL || v->type != jbvString)
		return NULL;
	return string_value(r, v, path, false);
}

/* One of a list of words, with a suggestion when it is none of them. */
static char *
word_value(Reader *r, JsonbValue *v, const char *path, const char *what,
		   const char *const *words, int nwords)
{
	char	   *s = string_value(r, v, path, false);
	DmeshSuggest sg;
	StringInfoData list;
	const char *hint;

	if (s == NULL)
		return NULL;
	for (int i = 0; i < nwords; i++)
		if (strcmp(s, words[i]) == 0)
			return s;
	initStringInfo(&list);
	dmesh_suggest_init(&sg, s, strlen(s));
	for (int i = 0; i < nwords; i++)
	{
		appendStringInfo(&list, "%s%s", i == 0 ? "" : (i == nwords - 1 ? " and " : ", "), words[i]);
		dmesh_suggest_try(&sg, words[i]);
	}
	hint = dmesh_suggest_result(&sg);
	report(r, path, psprintf("unknown %s \"%s\"", what, s),
		   psprintf("dmesh reads %s.", list.data),
		   hint ? psprintf("Did you mean \"%s\"?", hint) : NULL);
	return NULL;
}

/*
 * The keys of an object value, each one of "allowed": an unknown key is
 * a problem, with the key meant when one is close.  False when the value
 * is no object.
 */
static bool
object_value(Reader *r, JsonbValue *v, const char *path, const char *const *allowed,
			 int nallowed)
{
	JsonbIterator *it;
	JsonbValue	k;
	JsonbIteratorToken tok;
	int			depth = 0;

	if (!is_object(v))
	{
		report(r, path, psprintf("must be an object, not %s", type_name(v)), NULL, NULL);
		return false;
	}
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		bool		known = false;
		DmeshSuggest sg;
		const char *hint;
		StringInfoData list;

		CHECK_FOR_INTERRUPTS();
		if (tok == WJB_BEGIN_OBJECT || tok == WJB_BEGIN_ARRAY)
			depth++;
		else if (tok == WJB_END_OBJECT || tok == WJB_END_ARRAY)
			depth--;
		if (tok != WJB_KEY || depth != 1)
			continue;
		for (int i = 0; i < nallowed; i++)
			if (strlen(allowed[i]) == k.val.string.len &&
				memcmp(allowed[i], k.val.string.val, k.val.string.len) == 0)
				known = true;
		if (known)
			continue;
		initStringInfo(&list);
		dmesh_suggest_init(&sg, k.val.string.val, k.val.string.len);
		for (int i = 0; i < nallowed; i++)
		{
			appendStringInfo(&list, "%s%s", i == 0 ? "" : ", ", allowed[i]);
			dmesh_suggest_try(&sg, allowed[i]);
		}
		hint = dmesh_suggest_result(&sg);
		report(r, sub(path, pnstrdup(k.val.string.val, k.val.string.len)), "unknown key",
			   psprintf("dmesh reads here: %s.", list.data),
			   hint ? psprintf("Did you mean \"%s\"?", hint) : NULL);
	}
	return true;
}

static JsonbValue *
member(JsonbValue *obj, const char *key)
{
	if (!is_object(obj))
		return NULL;
	return getKeyJsonValueFromContainer(obj->val.binary.data, key, strlen(key), NULL);
}

/* A value read with a type's input function, in a subtransaction. */
typedef struct InputCall
{
	PGFunction	fn;
	const char *text;
	Datum		result;
} InputCall;

static void
input_call(void *arg)
{
	InputCall  *c = arg;

	c->result = DirectFunctionCall3(c->fn, CStringGetDatum(c->text),
									ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}

static bool
typed_value(Reader *r, JsonbValue *v, const char *path, PGFunction fn, const char *what,
			const char *example, Datum *result)
{
	char	   *s = string_value(r, v, path, false);
	InputCall	c;

	if (s == NULL)
		return false;
	c.fn = fn;
	c.text = s;
	if (!dmesh_try_document(input_call, &c, NULL))
	{
		report(r, path, psprintf("\"%s\" is not %s", s, what), NULL,
			   psprintf("Write it as PostgreSQL reads it, for example \"%s\".", example));
		return false;
	}
	*result = c.result;
	return true;
}

/* Is this the name of one of dmesh's customProperties (any "dmesh..." name)? */
bool
dmesh_is_dmesh_property(const char *name, int len)
{
	return len >= 5 && memcmp(name, "dmesh", 5) == 0;
}

/* A version as written, without the leading "v" ODPS examples give it. */
char *
dmesh_version_text(const char *version)
{
	if (version == NULL)
		return NULL;
	if (version[0] == 'v' && isdigit((unsigned char) version[1]))
		return pstrdup(version + 1);
	return pstrdup(version);
}

/* ----------------------------------------------------------------
 * dmesh's customProperties
 * ----------------------------------------------------------------
 */

static void
read_source(Reader *r, DmeshProductSpec *spec, JsonbValue *v, const char *path)
{
	spec->has_source = true;
	if (v->type == jbvString)
	{
		spec->source = string_value(r, v, path, false);
		return;
	}
	if (is_object(v))
	{
		JsonbIterator *it = JsonbIteratorInit(v->val.binary.data);
		JsonbValue	k;
		JsonbIteratorToken tok;
		char	   *key = NULL;

		while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
		{
			CHECK_FOR_INTERRUPTS();
			if (tok == WJB_KEY)
				key = pnstrdup(k.val.string.val, k.val.string.len);
			else if (tok == WJB_VALUE)
				(void) string_value(r, &k, sub(path, key), false);
		}
		spec->sources = JsonbValueToJsonb(v);
		return;
	}
	report(r, path, psprintf("must be a string or an object, not %s", type_name(v)), NULL,
		   "Give the product's source (a relation or a query), or {\"object\": \"source\"} for each object of its contract.");
}

static void
read_schedule(Reader *r, DmeshProductSpec *spec, JsonbValue *v, const char *path)
{
	Interval  **slots[3] = {&spec->refresh, &spec->check, &spec->freshness};

	spec->has_schedule = true;
	if (v->type == jbvNull)
		return;
	if (!object_value(r, v, path, schedule_keys, lengthof(schedule_keys)))
		return;
	for (int i = 0; i < lengthof(schedule_keys); i++)
	{
		JsonbValue *e = member(v, schedule_keys[i]);
		Datum		d;

		if (e == NULL || e->type == jbvNull)
			continue;
		if (typed_value(r, e, sub(path, schedule_keys[i]), interval_in, "an interval",
						"1 hour", &d))
		{
			Interval   *iv = DatumGetIntervalP(d);

			if (iv->month < 0 || iv->day < 0 || iv->time < 0 ||
				(iv->month == 0 && iv->day == 0 && iv->time == 0))
				report(r, sub(path, schedule_keys[i]), "must be a positive interval", NULL, NULL);
			else
				*slots[i] = iv;
		}
	}
}

static void
read_agreements(Reader *r, DmeshProductSpec *spec, JsonbValue *v, const char *path)
{
	int			n;
	DmeshNameMap *consumers;

	spec->has_agreements = true;
	if (!is_array(v))
	{
		report(r, path, psprintf("must be an array of agreements, not %s", type_name(v)), NULL,
			   "Each agreement is {consumer, rowFilter, purpose, expiresAt, unmask}.");
		return;
	}
	n = JsonContainerSize(v->val.binary.data);
	consumers = dmesh_name_map_create(n);
	for (int i = 0; i < n; i++)
	{
		JsonbValue *a = getIthJsonbValueFromContainer(v->val.binary.data, i);
		char	   *apath = psprintf("%s[%d]", path, i);
		DmeshAgreementSpec *g;
		JsonbValue *e;
		bool		found;

		CHECK_FOR_INTERRUPTS();
		if (!object_value(r, a, apath, agreement_keys, lengthof(agreement_keys)))
			continue;
		g = palloc0(sizeof(DmeshAgreementSpec));
		g->path = apath;
		e = member(a, "consumer");
		if (e == NULL)
		{
			report(r, sub(apath, "consumer"), "is required", NULL, NULL);
			continue;
		}
		g->consumer = string_value(r, e, sub(apath, "consumer"), false);
		g->row_filter = string_value(r, member(a, "rowFilter"), sub(apath, "rowFilter"), true);
		g->purpose = string_value(r, member(a, "purpose"), sub(apath, "purpose"), true);
		e = member(a, "expiresAt");
		if (e != NULL && e->type != jbvNull)
		{
			Datum		d;

			if (typed_value(r, e, sub(apath, "expiresAt"), timestamptz_in, "a timestamp",
							"2027-01-01T00:00:00Z", &d))
			{
				g->has_expiry = true;
				g->expires_at = DatumGetTimestampTz(d);
			}
		}
		e = member(a, "unmask");
		if (e != NULL && e->type != jbvNull)
		{
			if (!is_array(e))
				report(r, sub(apath, "unmask"),
					   psprintf("must be an array of column names, not %s", type_name(e)),
					   NULL, NULL);
			else
			{
				int			m = JsonContainerSize(e->val.binary.data);
				Datum	   *cols = palloc(sizeof(Datum) * Max(m, 1));

				for (int j = 0; j < m; j++)
				{
					char	   *col = string_value(r, getIthJsonbValueFromContainer(e->val.binary.data, j),
												   psprintf("%s.unmask[%d]", apath, j), false);

					cols[j] = CStringGetTextDatum(col ? col : "");
				}
				g->unmask = construct_array(cols, m, TEXTOID, -1, false, TYPALIGN_INT);
			}
		}
		if (g->unmask == NULL)
			g->unmask = construct_empty_array(TEXTOID);
		if (g->consumer == NULL)
			continue;
		(void) dmesh_name_map_insert(consumers, g->consumer, &found);
		if (found)
			report(r, sub(apath, "consumer"),
				   psprintf("role \"%s\" has two agreements", g->consumer), NULL,
				   "A consumer holds one agreement per product.");
		spec->agreements = lappend(spec->agreements, g);
	}
}

static void
read_policies(Reader *r, DmeshProductSpec *spec, JsonbValue *v, const char *path)
{
	static const char *const kinds[] = {"masking", "publish"};
	static const char *const enforcements[] = {"enforce", "warn"};
	int			n;
	DmeshNameMap *names;

	spec->has_policies = true;
	if (!is_array(v))
	{
		report(r, path, psprintf("must be an array of policies, not %s", type_name(v)), NULL,
			   "Each policy is {name, kind, rule, enforcement}.");
		return;
	}
	n = JsonContainerSize(v->val.binary.data);
	names = dmesh_name_map_create(n);
	for (int i = 0; i < n; i++)
	{
		JsonbValue *p = getIthJsonbValueFromContainer(v->val.binary.data, i);
		char	   *ppath = psprintf("%s[%d]", path, i);
		DmeshPolicySpec *ps;
		JsonbValue *e;
		bool		found;

		CHECK_FOR_INTERRUPTS();
		if (!object_value(r, p, ppath, policy_keys, lengthof(policy_keys)))
			continue;
		ps = palloc0(sizeof(DmeshPolicySpec));
		ps->path = ppath;
		for (int k = 0; k < 3; k++)
			if (member(p, policy_keys[k]) == NULL)
				report(r, sub(ppath, policy_keys[k]), "is required", NULL, NULL);
		ps->name = string_value(r, member(p, "name"), sub(ppath, "name"), false);
		if (member(p, "kind"))
			ps->kind = word_value(r, member(p, "kind"), sub(ppath, "kind"), "policy kind",
								  kinds, lengthof(kinds));
		e = member(p, "rule");
		if (e != NULL && !is_object(e))
			report(r, sub(ppath, "rule"), psprintf("must be an object, not %s", type_name(e)),
				   NULL, NULL);
		else if (e != NULL)
			ps->rule = JsonbValueToJsonb(e);
		ps->enforcement = "enforce";
		if (member(p, "enforcement"))
			ps->enforcement = word_value(r, member(p, "enforcement"), sub(ppath, "enforcement"),
										 "enforcement", enforcements, lengthof(enforcements));
		if (ps->name == NULL || ps->kind == NULL || ps->rule == NULL || ps->enforcement == NULL)
			continue;
		(void) dmesh_name_map_insert(names, ps->name, &found);
		if (found)
			report(r, sub(ppath, "name"), psprintf("policy \"%s\" is listed twice", ps->name),
				   NULL, NULL);
		spec->policies = lappend(spec->policies, ps);
	}
}

static void
read_deprecation(Reader *r, DmeshProductSpec *spec, JsonbValue *v, const char *path)
{
	JsonbValue *e;

	spec->has_deprecation = true;
	if (v->type == jbvNull)
		return;
	if (!object_value(r, v, path, deprecation_keys, lengthof(deprecation_keys)))
		return;
	e = member(v, "reason");
	if (e == NULL)
		report(r, sub(path, "reason"), "is required", NULL,
			   "Tell consumers why, and what to use instead.");
	else
		spec->deprecation_reason = string_value(r, e, sub(path, "reason"), false);
	e = member(v, "sunset");
	if (e != NULL && e->type != jbvNull)
	{
		Datum		d;

		if (typed_value(r, e, sub(path, "sunset"), date_in, "a date", "2027-01-31", &d))
		{
			spec->has_sunset = true;
			spec->sunset = DatumGetDateADT(d);
		}
	}
}

/* One of dmesh's customProperties. */
static void
read_property(Reader *r, DmeshProductSpec *spec, const char *name, JsonbValue *v,
			  const char *path)
{
	static const char *const gates[] = {"enforce", "warn"};
	static const char *const modes[] = {"reject", "quarantine", "warn", "off"};

	if (strcmp(name, "dmeshOwner") == 0)
		spec->owner = string_value(r, v, path, false);
	else if (strcmp(name, "dmeshSource") == 0)
		read_source(r, spec, v, path);
	else if (strcmp(name, "dmeshMaterialized") == 0)
	{
		if (v->type != jbvBool)
			report(r, path, psprintf("must be true or false, not %s", type_name(v)), NULL, NULL);
		else
		{
			spec->has_materialized = true;
			spec->materialized = v->val.boolean;
		}
	}
	else if (strcmp(name, "dmeshContractGate") == 0)
		spec->gate = word_value(r, v, path, "contract gate mode", gates, lengthof(gates));
	else if (strcmp(name, "dmeshEnforcement") == 0)
		spec->enforcement = word_value(r, v, path, "enforcement mode", modes, lengthof(modes));
	else if (strcmp(name, "dmeshSchedule") == 0)
		read_schedule(r, spec, v, path);
	else if (strcmp(name, "dmeshAgreements") == 0)
		read_agreements(r, spec, v, path);
	else if (strcmp(name, "dmeshPolicies") == 0)
		read_policies(r, spec, v, path);
	else if (strcmp(name, "dmeshDeprecation") == 0)
		read_deprecation(r, spec, v, path);
}

/*
 * A customProperties list: dmesh's properties read into the spec (when
 * given), others kept as written (appended to "others" as JSON texts).
 * "known" lists the dmesh names read here.
 */
static void
read_properties(Reader *r, DmeshProductSpec *spec, JsonbValue *list, const char *path,
				const char *const *known, int nknown, StringInfo others)
{
	int			n = JsonContainerSize(list->val.binary.data);
	bool	   *seen = palloc0(sizeof(bool) * nknown);

	for (int i = 0; i < n; i++)
	{
		JsonbValue *item = getIthJsonbValueFromContainer(list->val.binary.data, i);
		JsonbValue *name = member(item, "property");
		JsonbValue *value = member(item, "value");
		char	   *ipath = psprintf("%s[%d]", path, i);
		int			k = -1;
		DmeshSuggest sg;
		const char *hint;

		CHECK_FOR_INTERRUPTS();
		/* what the schema refused, it reported */
		if (name == NULL || name->type != jbvString || value == NULL)
			continue;
		for (int j = 0; j < nknown; j++)
			if (strlen(known[j]) == name->val.string.len &&
				memcmp(known[j], name->val.string.val, name->val.string.len) == 0)
				k = j;
		dmesh_suggest_init(&sg, name->val.string.val, name->val.string.len);
		for (int j = 0; j < nknown; j++)
			dmesh_suggest_try(&sg, known[j]);
		hint = dmesh_suggest_result(&sg);

		if (k >= 0)
		{
			if (seen[k])
				report(r, sub(ipath, "property"), psprintf("%s is given twice", known[k]),
					   NULL, NULL);
			seen[k] = true;
			if (spec != NULL)
				read_property(r, spec, known[k], value, sub(ipath, "value"));
			continue;
		}
		if (dmesh_is_dmesh_property(name->val.string.val, name->val.string.len))
		{
			StringInfoData names;

			initStringInfo(&names);
			for (int j = 0; j < nknown; j++)
				appendStringInfo(&names, "%s%s", j == 0 ? "" : ", ", known[j]);
			report(r, sub(ipath, "property"),
				   psprintf("unknown dmesh property \"%.*s\"", name->val.string.len,
							name->val.string.val),
				   psprintf("dmesh reads here: %s; names starting with \"dmesh\" are dmesh's.",
							names.data),
				   hint ? psprintf("Did you mean \"%s\"?", hint) : NULL);
			continue;
		}
		if (hint != NULL)
			warn(r, sub(ipath, "property"), "kept as written, not read by dmesh",
				 psprintf("Did you mean \"%s\"?", hint));
		if (others != NULL)
			appendStringInfo(others, "%s%s", others->len > 1 ? ", " : "", value_text(item));
	}
}

/* ----------------------------------------------------------------
 * The document
 * ----------------------------------------------------------------
 */

static void
read_ports(Reader *r, DmeshProductSpec *spec, JsonbValue *ports)
{
	int			n = JsonContainerSize(ports->val.binary.data);

	spec->has_ports = true;
	spec->ports = palloc0(sizeof(DmeshPortSpec) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		JsonbValue *port = getIthJsonbValueFromContainer(ports->val.binary.data, i);
		DmeshPortSpec *p = &spec->ports[spec->nports];
		JsonbIterator *it;
		JsonbValue	k;
		JsonbIteratorToken tok;
		StringInfoData extras;
		char	   *key = NULL;
		JsonbValue *v;

		CHECK_FOR_INTERRUPTS();
		p->path = psprintf("outputPorts[%d]", i);
		/* name and version are required by the schema */
		if (!is_object(port))
			continue;			/* the schema said so */
		p->name = schema_string(r, member(port, "name"), sub(p->path, "name"));
		p->version = dmesh_version_text(schema_string(r, member(port, "version"),
													  sub(p->path, "version")));
		v = member(port, "contractId");
		p->contract_id = schema_string(r, v, sub(p->path, "contractId"));

		/* The rest is kept as written, but for dmesh's own properties. */
		initStringInfo(&extras);
		appendStringInfoChar(&extras, '{');
		it = JsonbIteratorInit(port->val.binary.data);
		while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
		{
			if (tok == WJB_KEY)
			{
				key = pnstrdup(k.val.string.val, k.val.string.len);
				continue;
			}
			if (tok != WJB_VALUE || strcmp(key, "name") == 0 || strcmp(key, "version") == 0 ||
				strcmp(key, "contractId") == 0)
				continue;
			if (strcmp(key, "customProperties") == 0)
			{
				StringInfoData others;

				if (!is_array(&k))
					continue;	/* the schema said so */

				initStringInfo(&others);
				appendStringInfoChar(&others, '[');
				read_properties(r, NULL, &k, sub(p->path, "customProperties"),
								port_properties, lengthof(port_properties), &others);
				appendStringInfoChar(&others, ']');
				if (others.len > 2)
					appendStringInfo(&extras, "%s\"customProperties\": %s",
									 extras.len > 1 ? ", " : "", others.data);
				continue;
			}
			if (extras.len > 1)
				appendStringInfoString(&extras, ", ");
			escape_json(&extras, key);
			appendStringInfo(&extras, ": %s", value_text(&k));
		}
		appendStringInfoChar(&extras, '}');
		p->extras = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(extras.data)));
		if (p->name != NULL && p->version != NULL)
			spec->nports++;
	}
}

/*
 * Read a data product document: check it against the ODPS schema, then
 * read what dmesh acts on.  With "problems", every problem found is
 * appended there (and the spec returned as far as it could be read, or
 * NULL when the schema refused the document); without, the first is an
 * error.
 */
DmeshProductSpec *
dmesh_product_spec(Jsonb *doc, List **problems)
{
	DmeshProductSpec *spec = palloc0(sizeof(DmeshProductSpec));
	Reader		r = {problems, 0};
	JsonbValue	root;
	JsonbValue *v;

	/*
	 * The schema first.  When problems are collected, dmesh's reading goes on
	 * after the schema's problems (it reads only values of the types it
	 * needs, and leaves the others to the schema's report).
	 */
	if (problems != NULL)
	{
		ListCell   *lc;

		foreach(lc, dmesh_document_problems(&odps_standard, doc))
		{
			DmeshProblem *p = lfirst(lc);

			*problems = lappend(*problems, p);
			if (!p->warning)
				r.errors++;
		}
		if (!JB_ROOT_IS_OBJECT(doc))
			return NULL;
	}
	else
		dmesh_document_validate(&odps_standard, doc);

	spec->doc = doc;
	root.type = jbvBinary;
	root.val.binary.data = &doc->root;
	root.val.binary.len = VARSIZE(doc);

	/* What the schema requires or types is there, as a string. */
	spec->id = schema_string(&r, member(&root, "id"), "id");
	spec->name = schema_string(&r, member(&root, "name"), "name");
	spec->domain = schema_string(&r, member(&root, "domain"), "domain");
	spec->version = dmesh_version_text(schema_string(&r, member(&root, "version"), "version"));
	spec->status_written = schema_string(&r, member(&root, "status"), "status");
	if (spec->status_written != NULL)
	{
		const char *words[lengthof(statuses)];

		for (int i = 0; i < lengthof(statuses); i++)
			words[i] = statuses[i][0];
		if (word_value(&r, member(&root, "status"), "status", "status", words, lengthof(words)))
			for (int i = 0; i < lengthof(statuses); i++)
				if (strcmp(statuses[i][0], spec->status_written) == 0)
					spec->status = unconstify(char *, statuses[i][1]);
	}

	v = member(member(&root, "description"), "purpose");
	if (v != NULL && v->type == jbvString)
	{
		spec->has_purpose = true;
		spec->purpose = schema_string(&r, v, "description.purpose");
	}

	v = member(&root, "tags");
	if (is_array(v))
	{
		int			n = JsonContainerSize(v->val.binary.data);
		Datum	   *tags = palloc(sizeof(Datum) * Max(n, 1));

		for (int i = 0; i < n; i++)
		{
			char	   *tag = schema_string(&r, getIthJsonbValueFromContainer(v->val.binary.data, i),
											psprintf("tags[%d]", i));

			tags[i] = CStringGetTextDatum(tag ? tag : "");
		}
		spec->has_tags = true;
		spec->tags = construct_array(tags, n, TEXTOID, -1, false, TYPALIGN_INT);
	}

	v = member(&root, "outputPorts");
	if (is_array(v))
		read_ports(&r, spec, v);

	v = member(&root, "customProperties");
	if (is_array(v))
	{
		StringInfoData others;

		initStringInfo(&others);
		appendStringInfoChar(&others, '[');
		read_properties(&r, spec, v, "customProperties", dmesh_properties,
						lengthof(dmesh_properties), &others);
		appendStringInfoChar(&others, ']');
		if (others.len > 2)
			spec->custom = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
															  CStringGetDatum(others.data)));
	}
	if (r.errors > 0)
		return NULL;
	return spec;
}
