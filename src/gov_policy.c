/*-------------------------------------------------------------------------
 *
 * gov_policy.c
 *		Governance policies as code: dmesh.create_policy and drop_policy.
 *
 * A masking policy maps a classification to a mask:
 *		{"classification": "pii", "mask": "hash"}
 *		{"classification": "phone", "mask": "partial", "keep": 4}
 * for the whole mesh (superusers), a domain (its owner) or a product (its
 * managers); the narrowest scope covering a property wins.  Creating or
 * dropping one rewrites the published views of the products in its scope,
 * so masks apply from the next query on.
 *
 * A publish policy is a check a product must pass to be published:
 *		{"require": ["has_description", "has_owner", "has_purpose",
 *					 "pii_masked", "has_freshness_sla"]}
 *		{"min_quality_rules": 3}
 *		{"sql": "<boolean expression over dmesh.product_metadata>"}
 * (several keys: all must hold).  dmesh.publish_data_product refuses a
 * product that fails an "enforce" policy, listing every failing policy,
 * and records the failures of "warn" policies.  dmesh.compliance evaluates
 * every product against every policy that applies, at query time.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "access/htup_details.h"
#include "access/xact.h"
#include "funcapi.h"
#include "utils/acl.h"
#include "utils/memutils.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "dmesh.h"
#include "contract.h"
#include "product.h"
#include "quality.h"
#include "gov.h"

PG_FUNCTION_INFO_V1(dmesh_create_policy);
PG_FUNCTION_INFO_V1(dmesh_drop_policy);

static void
policy_error(const char *problem, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid policy rule: %s", problem),
			 hint ? errhint("%s", hint) : 0));
}

static void
check_masking_rule(Jsonb *rule)
{
	char	   *classification = dmesh_json_text(&rule->root, "classification");
	char	   *mask = dmesh_json_text(&rule->root, "mask");
	JsonbValue *keep = dmesh_json_get(&rule->root, "keep");

	static const char *const keys[] = {"classification", "mask", "keep"};
	char	   *unknown;

	if (!JsonContainerIsObject(&rule->root))
		policy_error("a masking rule is an object", "For example {\"classification\": \"pii\", \"mask\": \"hash\"}.");
	unknown = dmesh_json_unknown_key(&rule->root, keys, lengthof(keys), NULL);
	if (unknown)
		policy_error(psprintf("unknown key \"%s\"", unknown),
					 "A masking rule has classification, mask and, for partial, keep.");
	if (classification == NULL || classification[0] == '\0')
		policy_error("classification (a string) is required", NULL);
	if (mask == NULL ||
		(strcmp(mask, "hash") != 0 && strcmp(mask, "redact") != 0 &&
		 strcmp(mask, "partial") != 0 && strcmp(mask, "null") != 0))
		policy_error(psprintf("unknown mask \"%s\"", mask ? mask : "(none)"),
					 "Masks are hash, redact, partial and null.");
	if (keep != NULL)
	{
		int64		n;

		if (strcmp(mask, "partial") != 0)
			policy_error("keep applies to the partial mask only", NULL);
		if (keep->type != jbvNumeric || !dmesh_numeric_to_int64(keep->val.numeric, &n) ||
			n < 0 || n > 1000)
			policy_error("keep must be a whole number from 0 to 1000", NULL);
	}
	else if (strcmp(mask, "partial") == 0)
		policy_error("the partial mask needs keep (how many last characters stay)", NULL);
}

static const char *const publish_checks[] = {
	"has_description", "has_owner", "has_purpose", "pii_masked", "has_freshness_sla"
};

static void
check_publish_rule(Jsonb *rule, Oid author)
{
	JsonbValue *require = dmesh_json_get(&rule->root, "require");
	JsonbValue *min_rules = dmesh_json_get(&rule->root, "min_quality_rules");
	JsonbValue *sql = dmesh_json_get(&rule->root, "sql");
	int64		count;

	static const char *const keys[] = {"require", "min_quality_rules", "sql"};
	char	   *unknown;

	if (!JsonContainerIsObject(&rule->root))
		policy_error("a publish rule is an object",
					 "For example {\"require\": [\"has_description\", \"pii_masked\"]}.");
	unknown = dmesh_json_unknown_key(&rule->root, keys, lengthof(keys), NULL);
	if (unknown)
		policy_error(psprintf("unknown key \"%s\"", unknown),
					 "A publish rule has require, min_quality_rules and sql.");
	if (JsonContainerSize(&rule->root) == 0)
		policy_error("a publish rule checks something", "Give require, min_quality_rules or sql.");
	if (require != NULL)
	{
		if (require->type != jbvBinary || !JsonContainerIsArray(require->val.binary.data) ||
			JsonContainerSize(require->val.binary.data) == 0)
			policy_error("require is a non-empty list of check names", NULL);
		for (uint32 i = 0; i < JsonContainerSize(require->val.binary.data); i++)
		{
			JsonbValue *c = getIthJsonbValueFromContainer(require->val.binary.data, i);
			bool		known = false;

			for (int k = 0; c->type == jbvString && k < lengthof(publish_checks); k++)
				if (strlen(publish_checks[k]) == c->val.string.len &&
					strncmp(publish_checks[k], c->val.string.val, c->val.string.len) == 0)
					known = true;
			if (!known)
				policy_error(c->type == jbvString ?
							 psprintf("unknown check \"%.*s\"", c->val.string.len, c->val.string.val) :
							 "check names are strings",
							 "Checks are has_description, has_owner, has_purpose, pii_masked and has_freshness_sla.");
		}
	}
	if (min_rules != NULL &&
		(min_rules->type != jbvNumeric || !dmesh_numeric_to_int64(min_rules->val.numeric, &count) ||
		 count < 0))
		policy_error("min_quality_rules is a whole number, 0 or more", NULL);
	if (sql != NULL)
	{
		if (sql->type != jbvString)
			policy_error("sql is a boolean expression over dmesh.product_metadata, as a string", NULL);
		dmesh_check_policy_expression(pnstrdup(sql->val.string.val, sql->val.string.len), author);
	}
}

typedef struct Scope
{
	int64		domain_id;		/* 0 for the mesh */
	int64		product_id;		/* 0 unless a product */
	DmeshProduct product;
	DmeshDomain domain;
} Scope;

/* Parse a scope and check that the caller may govern it. */
static Scope
resolve_scope(const char *scope, Oid caller)
{
	Scope		s;

	memset(&s, 0, sizeof(s));
	if (strcmp(scope, "mesh") == 0)
	{
		if (!superuser_arg(caller))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to govern the whole mesh"),
					 errdetail("Only superusers make mesh-wide policies."),
					 errhint("Use scope 'domain:<name>' or 'product:<domain.product>' for what you own.")));
	}
	else if (strncmp(scope, "domain:", 7) == 0)
	{
		dmesh_require_domain(scope + 7, DMESH_NO_LOCK, &s.domain);
		if (!has_privs_of_role(caller, s.domain.owner))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied for domain \"%s\"", s.domain.name),
					 errdetail("Only role \"%s\" (owner of domain \"%s\") and its members can govern it.",
							   dmesh_role_name(s.domain.owner), s.domain.name)));
		s.domain_id = s.domain.id;
	}
	else if (strncmp(scope, "product:", 8) == 0)
	{
		dmesh_require_product(scope + 8, DMESH_NO_LOCK, &s.product);
		dmesh_require_manager(caller, &s.product, "govern");
		s.domain_id = s.product.domain.id;
		s.product_id = s.product.id;
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid policy scope \"%s\"", scope),
				 errhint("Scopes are mesh, domain:<name> and product:<domain.product>.")));
	return s;
}

/* Rewrite the published views of every live product in a scope. */
static void
rewrite_scope(const Scope *s)
{
	DmeshArgs	args;
	uint64		n;
	SPITupleTable *products;

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, s->domain_id);
	dmesh_arg_int8(&args, s->product_id);
	n = dmesh_spi_exec("SELECT d.name, p.name FROM dmesh.data_product p"
					   "  JOIN dmesh.domain d USING (domain_id)"
					   " WHERE p.status IN ('published', 'deprecated')"
					   "   AND ($1 = 0 OR p.domain_id = $1) AND ($2 = 0 OR p.product_id = $2)"
					   " ORDER BY p.product_id",
					   &args, SPI_OK_SELECT);
	products = SPI_tuptable;
	for (uint64 i = 0; i < n; i++)
	{
		DmeshProduct product;

		dmesh_require_product(dmesh_product_ident(SPI_getvalue(products->vals[i], products->tupdesc, 1),
												  SPI_getvalue(products->vals[i], products->tupdesc, 2)),
							  DMESH_LOCK_FOR_UPDATE, &product);
		dmesh_rewrite_ports(&product);
	}
}

static void
log_policy(Oid caller, const char *action, const Scope *s, const char *name, const char *details)
{
	dmesh_log_event(caller, action, "policy", name, s->domain_id, s->product_id, details);
}

Datum
dmesh_create_policy(PG_FUNCTION_ARGS)
{
	char	   *name = dmesh_text_arg(fcinfo, 0, "name");
	char	   *kind = dmesh_text_arg(fcinfo, 1, "kind");
	char	   *scope_text = dmesh_text_arg(fcinfo, 3, "scope");
	char	   *enforcement = dmesh_text_arg(fcinfo, 4, "enforcement");
	Jsonb	   *rule;
	Oid			caller = GetUserId();
	DmeshSection section;
	DmeshArgs	args;
	Scope		s;
	int64		policy_id;
	DmeshJson	details;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("rule must not be null")));
	rule = PG_GETARG_JSONB_P(2);
	if (strspn(name, " \t\r\n") == strlen(name))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("policy name must not be empty")));
	if (strlen(name) > DMESH_MAX_POLICY_NAME_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("policy name is too long"),
				 errdetail("A policy name has at most %d bytes; this one has %zu.",
						   DMESH_MAX_POLICY_NAME_BYTES, strlen(name))));
	if (strcmp(enforcement, "enforce") != 0 && strcmp(enforcement, "warn") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown enforcement \"%s\"", enforcement),
				 errhint("Enforcement is enforce or warn.")));
	if (strcmp(kind, "masking") == 0)
		check_masking_rule(rule);
	else if (strcmp(kind, "publish") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown policy kind \"%s\"", kind),
				 errhint("Kinds are masking and publish.")));

	SPI_connect();
	dmesh_enter_privileged(&section);
	if (strcmp(kind, "publish") == 0)
		check_publish_rule(rule, caller);
	s = resolve_scope(scope_text, caller);

	dmesh_args_init(&args);
	dmesh_arg_text(&args, name);
	dmesh_arg_text(&args, kind);
	dmesh_arg_datum(&args, JSONBOID, JsonbPGetDatum(rule), false);
	dmesh_arg_text(&args, scope_text);
	dmesh_arg_text(&args, enforcement);
	dmesh_arg_datum(&args, INT8OID, Int64GetDatum(s.domain_id), s.domain_id == 0);
	dmesh_arg_datum(&args, INT8OID, Int64GetDatum(s.product_id), s.product_id == 0);
	dmesh_arg_text(&args, dmesh_role_name(caller));
	/* a name taken, even by a transaction not yet committed: 42710 */
	if (dmesh_spi_exec("INSERT INTO dmesh.policy (name, kind, rule, scope, enforcement, domain_id,"
					   " product_id, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
					   " ON CONFLICT (name) DO NOTHING RETURNING policy_id",
					   &args, SPI_OK_INSERT_RETURNING) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("policy \"%s\" already exists", name)));
	policy_id = dmesh_spi_int8(0, 1);

	/* The mesh's key for hash masks, made once (kept by dumps). */
	dmesh_spi_exec("INSERT INTO dmesh.mesh_secret"
				   " SELECT 1, substring(decode(replace(gen_random_uuid()::text, '-', ''), 'hex'), 1, 8)"
				   "        || substring(decode(replace(gen_random_uuid()::text, '-', ''), 'hex'), 9, 8)"
				   " ON CONFLICT (secret_id) DO NOTHING",
				   NULL, SPI_OK_INSERT);
	rewrite_scope(&s);

	dmesh_json_init(&details);
	dmesh_json_str(&details, "kind", kind);
	dmesh_json_str(&details, "scope", scope_text);
	dmesh_json_raw(&details, "rule", DatumGetCString(DirectFunctionCall1(jsonb_out,
																		 JsonbPGetDatum(rule))));
	log_policy(caller, "create_policy", &s, name, dmesh_json_finish(&details));
	dmesh_end_call(&section);
	PG_RETURN_INT64(policy_id);
}

Datum
dmesh_drop_policy(PG_FUNCTION_ARGS)
{
	char	   *name = dmesh_text_arg(fcinfo, 0, "name");
	Oid			caller = GetUserId();
	DmeshSection section;
	DmeshArgs	args;
	Scope		s;
	DmeshJson	details;

	SPI_connect();
	dmesh_enter_privileged(&section);
	dmesh_args_init(&args);
	dmesh_arg_text(&args, name);
	if (dmesh_spi_exec("SELECT scope FROM dmesh.policy WHERE name = $1 FOR UPDATE",
					   &args, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("policy \"%s\" does not exist", name)));
	s = resolve_scope(dmesh_spi_text(0, 1), caller);
	dmesh_spi_exec("DELETE FROM dmesh.policy WHERE name = $1", &args, SPI_OK_DELETE);
	rewrite_scope(&s);
	dmesh_json_init(&details);
	log_policy(caller, "drop_policy", &s, name, dmesh_json_finish(&details));
	dmesh_end_call(&section);
	PG_RETURN_VOID();
}

/* ----------------------------------------------------------------
 * Evaluating publish policies
 * ----------------------------------------------------------------
 */

static bool
metadata_bool(const char *expr, int64 product_id)
{
	DmeshArgs	args;
	char	   *v;

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product_id);
	if (dmesh_spi_exec(psprintf("SELECT (%s) FROM dmesh.product_metadata m WHERE m.product_id = $1",
								expr), &args, SPI_OK_SELECT) == 0)
		return false;
	v = dmesh_spi_text(0, 1);
	return v != NULL && strcmp(v, "t") == 0;
}

typedef struct PolicySqlCall
{
	const char *expr;
	Oid			author;
	int64		product_id;
	char	   *value;			/* the result as text, or NULL */
} PolicySqlCall;

static void
policy_sql_body(void *arg)
{
	PolicySqlCall *c = arg;
	DmeshSection as_author;
	DmeshArgs	args;

	/* names resolve anew each time: what they name now must be trusted */
	dmesh_check_policy_expression(c->expr, c->author);
	dmesh_enter_as_role(&as_author, c->author);
	dmesh_args_init(&args);
	dmesh_arg_int8(&args, c->product_id);
	if (SPI_execute_with_args(psprintf("SELECT (\n%s\n)::boolean FROM dmesh.product_metadata m"
									   " WHERE m.product_id = $1", c->expr),
							  args.n, args.types, args.values, args.nulls, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "policy expression failed");
	c->value = SPI_processed > 0 ? dmesh_spi_text(0, 1) : NULL;
	dmesh_leave(&as_author);
}

/* An sql rule, as the policy's author, read-only; an error is a failure. */
static char *
run_policy_sql(const char *expr, const char *author, int64 product_id)
{
	PolicySqlCall call = {expr, get_role_oid(author, true), product_id, NULL};
	char	   *message;

	if (!OidIsValid(call.author))
		return psprintf("the policy's author \"%s\" no longer exists", author);
	if (!dmesh_try(policy_sql_body, &call, &message))
		return psprintf("the expression could not be evaluated: %s", message);
	if (call.value == NULL)
		return "the expression is NULL";
	if (strcmp(call.value, "t") != 0)
		return "the expression is false";
	return NULL;
}

/*
 * Why a product fails a publish policy, or NULL if it passes.  Runs in a
 * privileged section.
 */
static char *
policy_failure(Jsonb *rule, const char *author, int64 product_id)
{
	StringInfoData why;
	JsonbValue *require = dmesh_json_get(&rule->root, "require");
	JsonbValue *min_rules = dmesh_json_get(&rule->root, "min_quality_rules");
	char	   *sql = dmesh_json_text(&rule->root, "sql");

	initStringInfo(&why);
	for (uint32 i = 0; require && require->type == jbvBinary &&
		 i < JsonContainerSize(require->val.binary.data); i++)
	{
		JsonbValue *c = getIthJsonbValueFromContainer(require->val.binary.data, i);
		char	   *check = pnstrdup(c->val.string.val, c->val.string.len);
		const char *problem = NULL;

		if (strcmp(check, "has_description") == 0)
		{
			if (!metadata_bool("coalesce(btrim(m.description), '') <> ''", product_id))
				problem = "the product has no description";
		}
		else if (strcmp(check, "has_owner") == 0)
		{
			if (!metadata_bool("EXISTS (SELECT 1 FROM pg_roles r WHERE r.oid = m.owner AND NOT r.rolsuper)",
							   product_id))
				problem = "the product's owner is not a role of its own (a superuser or a dropped role)";
		}
		else if (strcmp(check, "has_purpose") == 0)
		{
			if (!metadata_bool("coalesce(btrim(m.purpose), '') <> ''", product_id))
				problem = "the contract has no description.purpose";
		}
		else if (strcmp(check, "has_freshness_sla") == 0)
		{
			if (!metadata_bool("m.has_freshness_sla", product_id))
				problem = "the contract has no freshness SLA";
		}
		else if (strcmp(check, "pii_masked") == 0)
		{
			DmeshArgs	args;

			dmesh_args_init(&args);
			dmesh_arg_int8(&args, product_id);
			dmesh_spi_exec("SELECT string_agg(k.property, ', ' ORDER BY k.property)"
						   "  FROM dmesh.masking k JOIN dmesh.product_metadata m"
						   "    ON m.domain = k.domain AND m.product = k.product"
						   " WHERE m.product_id = $1 AND k.mask IS NULL"
						   "   AND lower(k.classification) IN ('pii', 'restricted')",
						   &args, SPI_OK_SELECT);
			if (dmesh_spi_text(0, 1) != NULL)
				problem = psprintf("no masking policy covers %s", dmesh_spi_text(0, 1));
		}
		if (problem)
			appendStringInfo(&why, "%s%s: %s", why.len ? "; " : "", check, problem);
	}
	if (min_rules != NULL && min_rules->type == jbvNumeric)
	{
		int64		want = 0;
		DmeshArgs	args;

		(void) dmesh_numeric_to_int64(min_rules->val.numeric, &want);
		dmesh_args_init(&args);
		dmesh_arg_int8(&args, product_id);
		dmesh_spi_exec("SELECT coalesce(quality_rules, -1) FROM dmesh.product_metadata WHERE product_id = $1",
					   &args, SPI_OK_SELECT);
		if (dmesh_spi_int8(0, 1) < want)
		{
			long long	have = (long long) dmesh_spi_int8(0, 1);

			appendStringInfo(&why, "%smin_quality_rules: the contract has %lld quality %s, %lld required",
							 why.len ? "; " : "", have, have == 1 ? "rule" : "rules",
							 (long long) want);
		}
	}
	if (sql != NULL)
	{
		char	   *failure = run_policy_sql(sql, author, product_id);

		if (failure)
			appendStringInfo(&why, "%ssql: %s", why.len ? "; " : "", failure);
	}
	return why.len ? why.data : NULL;
}

PG_FUNCTION_INFO_V1(dmesh_policy_check);
Datum
dmesh_policy_check(PG_FUNCTION_ARGS)
{
	int64		policy_id = PG_GETARG_INT64(0);
	int64		product_id = PG_GETARG_INT64(1);
	DmeshSection section;
	DmeshArgs	args;
	TupleDesc	desc;
	Datum		values[2];
	bool		nulls[2] = {false, false};
	char	   *failure = NULL;
	bool		found;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	SPI_connect();
	dmesh_enter_privileged(&section);
	dmesh_args_init(&args);
	dmesh_arg_int8(&args, policy_id);
	found = dmesh_spi_exec("SELECT rule, created_by FROM dmesh.policy WHERE policy_id = $1 AND kind = 'publish'",
						   &args, SPI_OK_SELECT) > 0;
	if (found)
	{
		bool		isnull;
		Jsonb	   *rule = DatumGetJsonbPCopy(SPI_getbinval(SPI_tuptable->vals[0],
															SPI_tuptable->tupdesc, 1, &isnull));

		failure = policy_failure(rule, dmesh_spi_text(0, 2), product_id);
		if (failure)
			failure = dmesh_spi_return(cstring_to_text(failure));
	}
	dmesh_leave(&section);
	SPI_finish();
	if (!found)
		PG_RETURN_NULL();
	values[0] = BoolGetDatum(failure == NULL);
	nulls[1] = (failure == NULL);
	if (failure)
		values[1] = PointerGetDatum(failure);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}

/*
 * At publication: every publish policy that applies to the product.  A
 * failing "enforce" policy refuses, listing every failure; failing "warn"
 * policies are warned about and recorded.
 */
void
dmesh_require_publish_policies(const DmeshProduct *product, Oid caller)
{
	DmeshArgs	args;
	uint64		n;
	SPITupleTable *policies;
	StringInfoData refused;
	StringInfoData warned;
	StringInfoData events;
	int			nrefused = 0;

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product->id);
	dmesh_arg_int8(&args, product->domain.id);
	n = dmesh_spi_exec("SELECT name, enforcement, rule, created_by FROM dmesh.policy"
					   " WHERE kind = 'publish'"
					   "   AND (product_id = $1 OR (product_id IS NULL AND domain_id = $2)"
					   "        OR (product_id IS NULL AND domain_id IS NULL))"
					   " ORDER BY name",
					   &args, SPI_OK_SELECT);
	if (n == 0)
		return;
	policies = SPI_tuptable;
	initStringInfo(&refused);
	initStringInfo(&warned);
	initStringInfo(&events);
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;
		char	   *name = SPI_getvalue(policies->vals[i], policies->tupdesc, 1);
		char	   *enforcement = SPI_getvalue(policies->vals[i], policies->tupdesc, 2);
		Jsonb	   *rule = DatumGetJsonbPCopy(SPI_getbinval(policies->vals[i], policies->tupdesc, 3, &isnull));
		char	   *author = SPI_getvalue(policies->vals[i], policies->tupdesc, 4);
		char	   *failure = policy_failure(rule, author, product->id);

		if (failure == NULL)
			continue;
		if (strcmp(enforcement, "enforce") == 0)
		{
			appendStringInfo(&refused, "\npolicy \"%s\": %s", name, failure);
			nrefused++;
		}
		else
		{
			DmeshJson	details;

			appendStringInfo(&warned, "\npolicy \"%s\" (warn): %s", name, failure);
			dmesh_json_init(&details);
			dmesh_json_str(&details, "policy", name);
			dmesh_json_str(&details, "reason", failure);
			dmesh_log_event(caller, "policy_violation", "data_product", dmesh_product_display(product),
							product->domain.id, product->id, dmesh_json_finish(&details));
		}
	}
	if (nrefused > 0)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("data product \"%s\" fails %d publish %s",
						dmesh_product_display(product), nrefused,
						nrefused == 1 ? "policy" : "policies"),
				 errdetail("Failing policies:%s%s", refused.data, warned.data),
				 errhint("See dmesh.compliance.")));
	if (warned.len > 0)
		ereport(WARNING,
				(errmsg("data product \"%s\" fails publish policies in warn mode",
						dmesh_product_display(product)),
				 errdetail("Failing policies:%s", warned.data),
				 errhint("It is published; the failures are in dmesh.event_log and dmesh.compliance.")));
}

/*
 * dmesh._rule_count: rules of the product's active contract, or NULL when
 * they cannot be compiled (a source gone, a contract from before 0.3.0
 * with a rule dmesh cannot evaluate).
 */
typedef struct RuleCountCall
{
	int64		product_id;
	int			count;
} RuleCountCall;

static void
rule_count_body(void *arg)
{
	RuleCountCall *c = arg;
	DmeshSection section;
	DmeshArgs	args;
	DmeshProduct product;

	SPI_connect();
	dmesh_enter_privileged(&section);
	dmesh_args_init(&args);
	dmesh_arg_int8(&args, c->product_id);
	if (dmesh_spi_exec("SELECT d.name || '.' || p.name FROM dmesh.data_product p"
					   "  JOIN dmesh.domain d USING (domain_id) WHERE p.product_id = $1",
					   &args, SPI_OK_SELECT) > 0)
	{
		DmeshContract *contract;
		DmeshRuleSet *rs;

		dmesh_require_product(dmesh_spi_text(0, 1), DMESH_NO_LOCK, &product);
		contract = dmesh_load_contract(&product, NULL, -1);
		rs = dmesh_rules_compile_as(product.owner, contract,
									dmesh_property_types(contract, dmesh_source_tupdesc(&product), NULL),
									CurrentMemoryContext);
		c->count = rs->nrules - rs->nnot_run;	/* rules that run here */
		MemoryContextDelete(rs->cxt);
	}
	dmesh_leave(&section);
	SPI_finish();
}

PG_FUNCTION_INFO_V1(dmesh_rule_count);
Datum
dmesh_rule_count(PG_FUNCTION_ARGS)
{
	RuleCountCall call = {PG_GETARG_INT64(0), -1};

	if (!dmesh_try(rule_count_body, &call, NULL) || call.count < 0)
		PG_RETURN_NULL();
	PG_RETURN_INT32(call.count);
}

/*
 * dmesh._rewrite_views(): rewrite every live product's published views
 * with their agreements and masks (superusers).
 */
PG_FUNCTION_INFO_V1(dmesh_rewrite_views);
Datum
dmesh_rewrite_views(PG_FUNCTION_ARGS)
{
	DmeshSection section;
	Scope		s;

	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only superusers can rewrite every published view")));
	memset(&s, 0, sizeof(s));
	SPI_connect();
	dmesh_enter_privileged(&section);
	rewrite_scope(&s);
	dmesh_leave(&section);
	SPI_finish();
	PG_RETURN_VOID();
}
