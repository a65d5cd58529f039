/*-------------------------------------------------------------------------
 *
 * gov_status.c
 *		dmesh.access_status(): what the calling role may read of a data
 *		product, relation by relation, and how to ask for the rest.
 *
 * The access itself, one word (owner, manager, granted, pending, expired,
 * denied, none), is the view dmesh._access read by the caller: the same
 * answer as the access column of dmesh.marketplace.  The rest is what
 * the published views apply to the caller (gov_views.c): the agreement
 * they pick (the first, by grant_id, of a role whose privileges the caller
 * has that has not expired), its row filter where it applies (of a product
 * with several objects, on the relations that publish every column it
 * names), and the columns masked for it; and the step that would give the
 * caller more: the statement that requests access, the roles a pending
 * request waits for, the publication a draft waits for.  Managing is not
 * reading: the views show a domain's manager every row in clear, but only
 * the product's owner and the roles granted hold SELECT on them, so a
 * manager without it is told to grant itself access.
 *
 * Only the caller's own agreements and requests are read (those of roles
 * whose privileges it has), which it could read in dmesh.access_grant and
 * dmesh.access_request itself; the rest (owners, relations, masking
 * policies) every role may read.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "dmesh.h"
#include "contract.h"
#include "product.h"
#include "gov.h"

PG_FUNCTION_INFO_V1(dmesh_access_status);

/* What applies to the caller, product-wide. */
typedef struct Status
{
	char	   *access;
	/* the agreement the views pick (granted), or the latest expired one */
	char	   *filter;
	ArrayType  *unmask;
	bool		expires_null;
	TimestampTz expires_at;
	/* the caller's pending request, or its latest decided one (denied) */
	int64		request_id;
	char	   *decided_by;
	char	   *reason;
	/* a live relation the caller holds no SELECT on (a domain's manager) */
	bool		unreadable;
} Status;

#define STATUS_NCOLS 8

/*
 * The caller's access in one word: dmesh._access read as the caller (its
 * pg_has_role() calls ask about the current role), outside any section.
 */
static char *
caller_access(int64 product_id)
{
	DmeshArgs	args;

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product_id);
	if (dmesh_spi_exec("SELECT access FROM dmesh._access"
					   " WHERE product_id OPERATOR(pg_catalog.=) $1",
					   &args, SPI_OK_SELECT) != 1)
		elog(ERROR, "dmesh._access has no row for data product %lld", (long long) product_id);
	return dmesh_spi_text(0, 1);
}

/*
 * The caller's agreement, as the views choose it: the first by grant_id
 * of a role whose privileges the caller has and that has not expired at
 * "now" (returns "granted"); failing that, the one that expired last
 * ("expired"); else "none".
 */
static char *
caller_agreement(const DmeshProduct *product, Oid caller, TimestampTz now, Status *st)
{
	DmeshArgs	args;
	SPITupleTable *rows;
	uint64		n;
	bool		expired = false;

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product->id);
	n = dmesh_spi_exec("SELECT consumer, expires_at, row_filter, unmask FROM dmesh.access_grant"
					   " WHERE product_id = $1 ORDER BY grant_id",
					   &args, SPI_OK_SELECT);
	rows = SPI_tuptable;
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;
		bool		never;
		Oid			consumer = DatumGetObjectId(SPI_getbinval(rows->vals[i], rows->tupdesc, 1,
															  &isnull));
		Datum		expires = SPI_getbinval(rows->vals[i], rows->tupdesc, 2, &never);
		Datum		unmask;

		if (!has_privs_of_role(caller, consumer))
			continue;
		if (!never && DatumGetTimestampTz(expires) <= now)
		{
			if (!expired || DatumGetTimestampTz(expires) > st->expires_at)
				st->expires_at = DatumGetTimestampTz(expires);
			st->expires_null = false;
			expired = true;
			continue;
		}
		st->expires_null = never;
		st->expires_at = never ? 0 : DatumGetTimestampTz(expires);
		st->filter = SPI_getvalue(rows->vals[i], rows->tupdesc, 3);
		unmask = SPI_getbinval(rows->vals[i], rows->tupdesc, 4, &isnull);
		st->unmask = isnull ? NULL : DatumGetArrayTypePCopy(unmask);
		return "granted";
	}
	return expired ? "expired" : "none";
}

/*
 * The caller's pending request (pending), or its latest decided one
 * (denied), in the order dmesh._access reads them.
 */
static void
caller_request(const DmeshProduct *product, Oid caller, bool pending, Status *st)
{
	DmeshArgs	args;
	SPITupleTable *rows;
	uint64		n;

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product->id);
	n = dmesh_spi_exec(pending ?
					   "SELECT request_id, requester, decided_by, reason FROM dmesh.access_request"
					   " WHERE product_id = $1 AND status = 'pending' ORDER BY request_id DESC" :
					   "SELECT request_id, requester, decided_by, reason FROM dmesh.access_request"
					   " WHERE product_id = $1 AND status <> 'pending'"
					   " ORDER BY decided_at DESC NULLS LAST, request_id DESC",
					   &args, SPI_OK_SELECT);
	rows = SPI_tuptable;
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;

		if (!has_privs_of_role(caller, DatumGetObjectId(SPI_getbinval(rows->vals[i], rows->tupdesc,
																	  2, &isnull))))
			continue;
		st->request_id = DatumGetInt64(SPI_getbinval(rows->vals[i], rows->tupdesc, 1, &isnull));
		st->decided_by = SPI_getvalue(rows->vals[i], rows->tupdesc, 3);
		st->reason = SPI_getvalue(rows->vals[i], rows->tupdesc, 4);
		return;
	}
}

/* The statement that asks for access to the product. */
static char *
request_statement(const DmeshProduct *product)
{
	return psprintf("SELECT dmesh.request_access(%s, purpose => '<what the data is for>')",
					quote_literal_cstr(dmesh_product_display(product)));
}

/* What would give the caller more, or NULL when nothing would. */
static char *
next_step(const DmeshProduct *product, Oid caller, const Status *st)
{
	const char *display = dmesh_product_display(product);
	bool		draft = strcmp(product->status, "draft") == 0;

	if (strcmp(st->access, "owner") == 0 || strcmp(st->access, "manager") == 0)
	{
		if (draft)
			return psprintf("SELECT dmesh.publish_data_product(%s)", quote_literal_cstr(display));
		/* managing is not reading: a manager may give itself SELECT */
		if (st->unreadable)
			return psprintf("SELECT dmesh.grant_access(%s, %s)", quote_literal_cstr(display),
							quote_literal_cstr(quote_identifier(dmesh_role_name(caller))));
		return NULL;
	}
	if (strcmp(product->status, "retired") == 0)
		return psprintf("data product \"%s\" is retired: nothing of it can be read or requested",
						display);
	if (strcmp(st->access, "granted") == 0)
		return draft ? psprintf("data product \"%s\" is a draft: the agreement applies once it is published",
								display) : NULL;
	if (strcmp(st->access, "pending") == 0)
	{
		if (product->owner == product->domain.owner)
			return psprintf("request %lld waits for approval by role \"%s\"",
							(long long) st->request_id, dmesh_role_name(product->owner));
		return psprintf("request %lld waits for approval by role \"%s\" or role \"%s\"",
						(long long) st->request_id, dmesh_role_name(product->owner),
						dmesh_role_name(product->domain.owner));
	}
	if (strcmp(st->access, "denied") == 0 && st->request_id > 0)
		return psprintf("request %lld was denied by role \"%s\"%s%s%s; to ask again: %s",
						(long long) st->request_id, st->decided_by ? st->decided_by : "?",
						st->reason ? " (" : "", st->reason ? st->reason : "", st->reason ? ")" : "",
						request_statement(product));
	return request_statement(product);
}

static Datum
text_array(List *names)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(list_length(names), 1));
	int			n = 0;
	ListCell   *lc;

	foreach(lc, names)
		elems[n++] = CStringGetTextDatum((char *) lfirst(lc));
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* Does the caller hold SELECT on the relation (which exists)? */
static bool
readable(const DmeshPort *port, Oid caller)
{
	return OidIsValid(port->relid) &&
		pg_class_aclcheck(port->relid, caller, ACL_SELECT) == ACLCHECK_OK;
}

/*
 * One row: a live relation of the product (port NULL: the product has
 * none, and the row says so with a NULL relation).
 */
static void
put_row(ReturnSetInfo *rsinfo, const DmeshProduct *product, const DmeshPort *port,
		Oid caller, const Status *st, const char *step)
{
	Datum		values[STATUS_NCOLS];
	bool		nulls[STATUS_NCOLS];
	bool		granted = strcmp(st->access, "granted") == 0;
	bool		manages = strcmp(st->access, "owner") == 0 || strcmp(st->access, "manager") == 0;
	const char *filter = granted ? st->filter : NULL;
	List	   *masked = NIL;
	bool		masked_known = manages && port != NULL && readable(port, caller);

	memset(nulls, true, sizeof(nulls));
	if (port != NULL && granted)
	{
		DmeshContract *contract = dmesh_load_contract(product, NULL, port->major);
		DmeshProduct view;

		/* as dmesh_rewrite_ports writes the relation's view */
		if (contract != NULL && dmesh_port_object(product, contract, port->object, &view, &contract))
		{
			if (filter != NULL && view.object != NULL &&
				!dmesh_row_filter_fits(filter, contract))
				filter = NULL;
			masked = dmesh_masked_columns(&view, contract, st->unmask);
			masked_known = true;
		}
	}

	if (port != NULL && OidIsValid(port->relid))
	{
		values[0] = ObjectIdGetDatum(port->relid);
		nulls[0] = false;
	}
	if (port != NULL && port->object != NULL)
	{
		values[1] = CStringGetTextDatum(port->object);
		nulls[1] = false;
	}
	if (port != NULL)
	{
		values[2] = Int32GetDatum(port->major);
		nulls[2] = false;
	}
	values[3] = CStringGetTextDatum(st->access);
	nulls[3] = false;
	if (filter != NULL)
	{
		values[4] = CStringGetTextDatum(filter);
		nulls[4] = false;
	}
	if (masked_known && port != NULL)
	{
		values[5] = text_array(masked);
		nulls[5] = false;
	}
	if ((granted || strcmp(st->access, "expired") == 0) && !st->expires_null)
	{
		values[6] = TimestampTzGetDatum(st->expires_at);
		nulls[6] = false;
	}
	if (step != NULL)
	{
		values[7] = CStringGetTextDatum(step);
		nulls[7] = false;
	}
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * dmesh.access_status(product): one row per live relation of the product
 * (one row with a NULL relation when it has none), as the caller sees it.
 */
Datum
dmesh_access_status(PG_FUNCTION_ARGS)
{
	char	   *ref = dmesh_text_arg(fcinfo, 0, "product");
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			caller = GetUserId();
	DmeshSection section;
	DmeshProduct product;
	Status		st;
	char	   *step;
	List	   *ports;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	memset(&st, 0, sizeof(st));
	st.expires_null = true;

	SPI_connect();
	dmesh_enter_privileged(&section);
	dmesh_require_product(ref, DMESH_NO_LOCK, &product);
	dmesh_leave(&section);

	/* the access as the caller's own role-level checks give it */
	st.access = caller_access(product.id);

	dmesh_enter_privileged(&section);
	if (strcmp(st.access, "granted") == 0 || strcmp(st.access, "expired") == 0)
	{
		/* what the views apply; an agreement may have expired since */
		char	   *now_access = caller_agreement(&product, caller, GetCurrentTimestamp(), &st);

		if (strcmp(st.access, "granted") == 0)
			st.access = now_access;
	}
	else if (strcmp(st.access, "pending") == 0)
		caller_request(&product, caller, true, &st);
	else if (strcmp(st.access, "denied") == 0)
		caller_request(&product, caller, false, &st);
	ports = dmesh_live_port_list(&product);
	foreach(lc, ports)
		st.unreadable |= OidIsValid(((DmeshPort *) lfirst(lc))->relid) &&
			!readable((DmeshPort *) lfirst(lc), caller);
	step = next_step(&product, caller, &st);

	foreach(lc, ports)
		put_row(rsinfo, &product, (DmeshPort *) lfirst(lc), caller, &st, step);
	if (ports == NIL)
		put_row(rsinfo, &product, NULL, caller, &st, step);
	dmesh_end_call(&section);
	return (Datum) 0;
}
