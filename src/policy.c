/*-------------------------------------------------------------------------
 *
 * policy.c
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
 * Publish policies are checked when products are published (kind
 * 'publish'); this version refuses them rather than store rules it would
 * not enforce.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "dmesh.h"

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
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			depth = 0;
	char	   *classification = dmesh_json_text(&rule->root, "classification");
	char	   *mask = dmesh_json_text(&rule->root, "mask");
	JsonbValue *keep = dmesh_json_get(&rule->root, "keep");

	if (!JsonContainerIsObject(&rule->root))
		policy_error("a masking rule is an object", "For example {\"classification\": \"pii\", \"mask\": \"hash\"}.");
	it = JsonbIteratorInit(&rule->root);
	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		if (tok == WJB_BEGIN_OBJECT || tok == WJB_BEGIN_ARRAY)
			depth++;
		else if (tok == WJB_END_OBJECT || tok == WJB_END_ARRAY)
			depth--;
		else if (tok == WJB_KEY && depth == 1)
		{
			char	   *key = pnstrdup(v.val.string.val, v.val.string.len);

			if (strcmp(key, "classification") != 0 && strcmp(key, "mask") != 0 &&
				strcmp(key, "keep") != 0)
				policy_error(psprintf("unknown key \"%s\"", key),
							 "A masking rule has classification, mask and, for partial, keep.");
		}
	}
	if (classification == NULL || classification[0] == '\0')
		policy_error("classification (a string) is required", NULL);
	if (mask == NULL ||
		(strcmp(mask, "hash") != 0 && strcmp(mask, "redact") != 0 &&
		 strcmp(mask, "partial") != 0 && strcmp(mask, "null") != 0))
		policy_error(psprintf("unknown mask \"%s\"", mask ? mask : "(none)"),
					 "Masks are hash, redact, partial and null.");
	if (keep != NULL)
	{
		if (strcmp(mask, "partial") != 0)
			policy_error("keep applies to the partial mask only", NULL);
		if (keep->type != jbvNumeric ||
			DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(keep->val.numeric),
											  NumericGetDatum(int64_to_numeric(0)))) < 0 ||
			DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(keep->val.numeric),
											  NumericGetDatum(int64_to_numeric(1000)))) > 0 ||
			!DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(keep->val.numeric),
											  DirectFunctionCall1(numeric_floor,
																  NumericGetDatum(keep->val.numeric)))))
			policy_error("keep must be a whole number from 0 to 1000", NULL);
	}
	else if (strcmp(mask, "partial") == 0)
		policy_error("the partial mask needs keep (how many last characters stay)", NULL);
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
		if (!dmesh_load_domain(scope + 7, DMESH_NO_LOCK, &s.domain))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("domain \"%s\" does not exist", scope + 7)));
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
	if (strcmp(enforcement, "enforce") != 0 && strcmp(enforcement, "warn") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown enforcement \"%s\"", enforcement),
				 errhint("Enforcement is enforce or warn.")));
	if (strcmp(kind, "masking") == 0)
		check_masking_rule(rule);
	else if (strcmp(kind, "publish") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("publish policies are not supported yet"),
				 errdetail("dmesh refuses a policy it would not enforce.")));
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown policy kind \"%s\"", kind),
				 errhint("Kinds are masking and publish.")));

	SPI_connect();
	dmesh_enter_privileged(&section);
	s = resolve_scope(scope_text, caller);

	dmesh_args_init(&args);
	dmesh_arg_text(&args, name);
	if (dmesh_spi_exec("SELECT 1 FROM dmesh.policy WHERE name = $1", &args, SPI_OK_SELECT) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("policy \"%s\" already exists", name)));
	dmesh_arg_text(&args, kind);
	dmesh_arg_datum(&args, JSONBOID, JsonbPGetDatum(rule), false);
	dmesh_arg_text(&args, scope_text);
	dmesh_arg_text(&args, enforcement);
	dmesh_arg_datum(&args, INT8OID, Int64GetDatum(s.domain_id), s.domain_id == 0);
	dmesh_arg_datum(&args, INT8OID, Int64GetDatum(s.product_id), s.product_id == 0);
	dmesh_arg_text(&args, dmesh_role_name(caller));
	dmesh_spi_exec("INSERT INTO dmesh.policy (name, kind, rule, scope, enforcement, domain_id,"
				   " product_id, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
				   " RETURNING policy_id",
				   &args, SPI_OK_INSERT_RETURNING);
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
