/*-------------------------------------------------------------------------
 *
 * gov_agreement.c
 *		Which access agreement applies to the role reading a published
 *		view, at run time or, when the answer cannot change, at plan time.
 *
 * A published view carries its agreements as constants (see
 * gov_views.c): the roles that manage the product, the consumer role and
 * expiry of each agreement, and for each masked column the agreements that
 * see it in clear.  dmesh._agreement picks the agreement in the view's
 * WHERE clause and dmesh._mask decides, per masked column, clear value or
 * mask.
 *
 * At plan time both have a planner support function that answers for the
 * role being planned for, whenever the answer cannot change with time:
 * _agreement becomes a constant (the view's CASE then reduces to the
 * agreement's own filter), and _mask becomes the column itself or a call of
 * dmesh._mask_value, which masks without asking again.  The plan is marked
 * as depending on the role, so PostgreSQL's plan cache never uses it for
 * another role (the same mechanism that keeps row-level security plans
 * apart).  Role membership and superuser status are not part of what the
 * plan cache checks, so once a backend has folded an agreement, any change
 * to pg_authid or pg_auth_members invalidates its cached plans.  Agreements
 * that expire are not folded: their calls stay in the plan and are
 * answered at run time, at the first row of each execution, and kept in
 * fn_extra (init plans would compute them once too, but a query with init
 * plans below a security-barrier view is never run in parallel).
 *
 * Nothing here reads a catalog table.  Expiry is compared with the time
 * at which each execution of a query reads its first row (the clock, not
 * the start of the top-level statement: a procedure that commits in a
 * loop, or a cursor, runs each query at its own time).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/pathnodes.h"
#include "nodes/supportnodes.h"
#include "parser/parse_func.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "dmesh.h"
#include "gov.h"

PG_FUNCTION_INFO_V1(dmesh_agreement);
PG_FUNCTION_INFO_V1(dmesh_agreement_support);
PG_FUNCTION_INFO_V1(dmesh_mask_support);

/* The agreement arguments, from "first" on: product, managers, consumers, expiries. */
#define AGREEMENT_NARGS 4

/*
 * The elements of the view's constant arrays, read in place (no copy) when
 * they have no NULL, which is how dmesh writes them.
 */
static const Oid *
oid_elems(ArrayType *arr, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	Oid		   *out;

	*n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	if (!ARR_HASNULL(arr))
		return (const Oid *) ARR_DATA_PTR(arr);
	deconstruct_array(arr, OIDOID, sizeof(Oid), true, TYPALIGN_INT, &elems, &nulls, n);
	out = palloc(sizeof(Oid) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
		out[i] = nulls[i] ? InvalidOid : DatumGetObjectId(elems[i]);
	return out;
}

static const int64 *
expiry_elems(ArrayType *arr, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	int64	   *out;

	*n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	if (!ARR_HASNULL(arr))
		return (const int64 *) ARR_DATA_PTR(arr);
	deconstruct_array(arr, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, n);
	out = palloc(sizeof(int64) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
		out[i] = nulls[i] ? DT_NOEND : DatumGetInt64(elems[i]);
	return out;
}

/* "domain.product" of a product id, for an error message. */
static char *
product_name(int64 product_id)
{
	DmeshSection section;
	DmeshArgs	args;
	text	   *name = NULL;

	SPI_connect();
	dmesh_enter_privileged(&section);
	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product_id);
	if (dmesh_spi_exec("SELECT d.name || '.' || p.name FROM dmesh.data_product p"
					   "  JOIN dmesh.domain d USING (domain_id) WHERE p.product_id = $1",
					   &args, SPI_OK_SELECT) > 0)
		name = dmesh_spi_return(cstring_to_text(dmesh_spi_text(0, 1)));
	dmesh_leave(&section);
	SPI_finish();
	return name ? text_to_cstring(name) : psprintf("%lld", (long long) product_id);
}

/* The agreement arguments of one call, and the answer for one role. */
typedef struct AgreementArgs
{
	int64		product_id;
	int			nmanagers;
	const Oid  *managers;
	int			nconsumers;
	const Oid  *consumers;
	const int64 *expires;
} AgreementArgs;

typedef struct AgreementAnswer
{
	int			agreement;		/* 0 manager, 1-based agreement, -1 none */
	bool		lasting;		/* the same answer at every later time */
	int			expired;		/* a matching expired agreement, 1-based */
	TimestampTz expired_at;
} AgreementAnswer;

/*
 * 0 when "user" manages the product (it sees everything, in clear), else
 * the 1-based position of the first agreement of a role whose privileges
 * the user has and that has not expired at "now", else -1.  The answer is
 * lasting when time alone cannot change it: an expired agreement stays
 * expired, so that holds unless the chosen agreement has an expiry or only
 * expired agreements matched (an error at run time).
 */
static AgreementAnswer
choose_agreement(Oid user, const AgreementArgs *a, TimestampTz now)
{
	AgreementAnswer answer = {-1, true, 0, 0};

	for (int i = 0; i < a->nmanagers; i++)
		if (OidIsValid(a->managers[i]) && (i == 0 || a->managers[i] != a->managers[i - 1]) &&
			has_privs_of_role(user, a->managers[i]))
		{
			answer.agreement = 0;
			return answer;
		}
	for (int i = 0; i < a->nconsumers; i++)
	{
		if (!OidIsValid(a->consumers[i]) || !has_privs_of_role(user, a->consumers[i]))
			continue;
		if (a->expires[i] > now)
		{
			answer.agreement = i + 1;
			answer.lasting = (a->expires[i] == DT_NOEND);
			return answer;
		}
		answer.expired = i + 1;
		answer.expired_at = a->expires[i];
		answer.lasting = false;
	}
	return answer;
}

static void
agreement_args(AgreementArgs *a, Datum product, Datum managers, Datum consumers, Datum expires)
{
	int			nexpires;

	a->product_id = DatumGetInt64(product);
	a->managers = oid_elems(DatumGetArrayTypeP(managers), &a->nmanagers);
	a->consumers = oid_elems(DatumGetArrayTypeP(consumers), &a->nconsumers);
	a->expires = expiry_elems(DatumGetArrayTypeP(expires), &nexpires);
	if (nexpires != a->nconsumers)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("consumers and expiries must be arrays of the same length"),
				 errdetail("There are %d consumers and %d expiries.", a->nconsumers, nexpires)));
}

/*
 * The agreement of the current role, for a call whose agreement arguments
 * start at argument "first".  Only expired agreements: an error that says so.
 */
static int
current_agreement(FunctionCallInfo fcinfo, int first)
{
	AgreementArgs a;
	AgreementAnswer answer;

	for (int i = 0; i < AGREEMENT_NARGS; i++)
		if (PG_ARGISNULL(first + i))
			return -1;
	agreement_args(&a, PG_GETARG_DATUM(first), PG_GETARG_DATUM(first + 1),
				   PG_GETARG_DATUM(first + 2), PG_GETARG_DATUM(first + 3));
	answer = choose_agreement(GetUserId(), &a, GetCurrentTimestamp());
	if (answer.agreement < 0 && answer.expired > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("access agreement of role \"%s\" on data product \"%s\" has expired",
						dmesh_role_name(a.consumers[answer.expired - 1]),
						product_name(a.product_id)),
				 errdetail("It expired at %s.", timestamptz_to_str(answer.expired_at)),
				 errhint("Ask the product's owner to renew it, or request access again with dmesh.request_access.")));
	return answer.agreement;
}

/* Is "agreement" listed in an int4[] of agreements that see a column in clear? */
static bool
listed_in(ArrayType *unmasked_by, int agreement)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	deconstruct_array(unmasked_by, INT4OID, sizeof(int32), true,
					  TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
		if (!nulls[i] && DatumGetInt32(elems[i]) == agreement)
			return true;
	return false;
}

/*
 * dmesh._agreement(product, managers, consumers, expiries).  The answer is
 * the same for every row of one execution (same role, same statement), so
 * it is computed at the first row and kept in fn_extra, which the executor
 * makes anew for each execution.
 */
Datum
dmesh_agreement(PG_FUNCTION_ARGS)
{
	if (fcinfo->flinfo->fn_extra == NULL)
	{
		int32	   *cached = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(int32));

		*cached = current_agreement(fcinfo, 0);
		fcinfo->flinfo->fn_extra = cached;
	}
	PG_RETURN_INT32(*(int32 *) fcinfo->flinfo->fn_extra);
}

/*
 * Does the current role see a masked column in clear?  For dmesh._mask,
 * whose agreement arguments start at "first" and whose list of agreements
 * that see the column in clear is argument "unmasked_by".
 */
bool
dmesh_sees_clear(FunctionCallInfo fcinfo, int first, int unmasked_by)
{
	int			agreement = current_agreement(fcinfo, first);

	if (agreement == 0)
		return true;
	if (agreement < 0 || PG_ARGISNULL(unmasked_by))
		return false;
	return listed_in(PG_GETARG_ARRAYTYPE_P(unmasked_by), agreement);
}

/* ----------------------------------------------------------------
 * Plan time
 * ----------------------------------------------------------------
 */

static bool folded_any = false;

/*
 * Membership and superuser status decide agreements but are not what the
 * plan cache checks (it checks only the role a plan was made for): after
 * any change to them, no plan of this backend is trusted.
 */
static void
roles_changed(Datum arg, int cacheid, uint32 hashvalue)
{
	ResetPlanCache();
}

/*
 * The answer for the role being planned for, if the agreement arguments
 * (from "first" on) are constants and the answer lasts.  The plan is then
 * marked as made for this role only.
 */
static bool
fold_agreement(SupportRequestSimplify *req, int first, int *agreement)
{
	List	   *args = req->fcall->args;
	Datum		values[AGREEMENT_NARGS];
	AgreementArgs a;
	AgreementAnswer answer;

	if (req->root == NULL || req->root->glob == NULL || list_length(args) < first + AGREEMENT_NARGS)
		return false;
	for (int i = 0; i < AGREEMENT_NARGS; i++)
	{
		Node	   *arg = list_nth(args, first + i);

		if (!IsA(arg, Const) || ((Const *) arg)->constisnull)
			return false;
		values[i] = ((Const *) arg)->constvalue;
	}
	agreement_args(&a, values[0], values[1], values[2], values[3]);
	answer = choose_agreement(GetUserId(), &a, GetCurrentTimestamp());
	if (!answer.lasting)
		return false;

	if (!folded_any)
	{
		CacheRegisterSyscacheCallback(AUTHOID, roles_changed, (Datum) 0);
		CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, roles_changed, (Datum) 0);
		folded_any = true;
	}
	req->root->glob->dependsOnRole = true;
	*agreement = answer.agreement;
	return true;
}

/* Support function of dmesh._agreement: the agreement as a constant. */
Datum
dmesh_agreement_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	int			agreement;

	if (IsA(rawreq, SupportRequestSimplify) &&
		fold_agreement((SupportRequestSimplify *) rawreq, 0, &agreement))
		PG_RETURN_POINTER(makeConst(INT4OID, -1, InvalidOid, sizeof(int32),
									Int32GetDatum(agreement), false, true));
	PG_RETURN_POINTER(NULL);
}

/*
 * Support function of dmesh._mask(value, mask, keep, product, managers,
 * consumers, expiries, unmasked_by): the value itself for a role that sees
 * it in clear; NULL for the null mask; else dmesh._mask_value(value, mask,
 * keep).  The result keeps the call's type.
 */
Datum
dmesh_mask_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	SupportRequestSimplify *req;
	FuncExpr   *call;
	Node	   *value;
	Node	   *mask;
	Node	   *unmasked_by;
	int			agreement;
	bool		clear;
	Oid			argtypes[3] = {ANYELEMENTOID, INT4OID, INT4OID};
	Oid			mask_value;
	FuncExpr   *result;

	if (!IsA(rawreq, SupportRequestSimplify))
		PG_RETURN_POINTER(NULL);
	req = (SupportRequestSimplify *) rawreq;
	call = req->fcall;
	if (list_length(call->args) != 8)
		PG_RETURN_POINTER(NULL);
	value = linitial(call->args);
	mask = lsecond(call->args);
	unmasked_by = llast(call->args);
	if (!IsA(unmasked_by, Const) || !fold_agreement(req, 3, &agreement))
		PG_RETURN_POINTER(NULL);

	clear = agreement == 0 ||
		(agreement > 0 && !((Const *) unmasked_by)->constisnull &&
		 listed_in(DatumGetArrayTypeP(((Const *) unmasked_by)->constvalue), agreement));
	if (clear)
	{
		if (exprType(value) == call->funcresulttype && exprTypmod(value) == -1 &&
			exprCollation(value) == call->funccollid)
			PG_RETURN_POINTER(value);
		PG_RETURN_POINTER(makeRelabelType((Expr *) value, call->funcresulttype, -1,
										  call->funccollid, COERCE_IMPLICIT_CAST));
	}
	if (IsA(mask, Const) &&
		(((Const *) mask)->constisnull || DatumGetInt32(((Const *) mask)->constvalue) == DMESH_MASK_NULL))
		PG_RETURN_POINTER(makeNullConst(call->funcresulttype, -1, call->funccollid));

	/* dmesh._mask_value, beside dmesh._mask; absent before 0.4.1 */
	mask_value = LookupFuncName(list_make2(makeString(get_namespace_name(get_func_namespace(call->funcid))),
										   makeString("_mask_value")),
								3, argtypes, true);
	if (!OidIsValid(mask_value))
		PG_RETURN_POINTER(NULL);
	result = makeFuncExpr(mask_value, call->funcresulttype,
						  list_make3(value, mask, lthird(call->args)),
						  call->funccollid, call->inputcollid, COERCE_EXPLICIT_CALL);
	result->location = call->location;
	PG_RETURN_POINTER(result);
}
