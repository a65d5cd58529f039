/*-------------------------------------------------------------------------
 *
 * core_spi.c
 *		Small helpers around SPI: typed parameters and typed results,
 *		errors caught as messages, and errors in SQL built around user text
 *		pointed at that text.
 *
 * Every statement dmesh runs through SPI takes its values as parameters
 * ($1, $2 ...) and names objects with quote_identifier(); nothing the user
 * supplies is pasted into SQL text unquoted.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "storage/proc.h"
#include "utils/guc.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "dmesh.h"

void
dmesh_args_init(DmeshArgs *args)
{
	args->n = 0;
}

void
dmesh_arg_datum(DmeshArgs *args, Oid type, Datum value, bool isnull)
{
	if (args->n >= DMESH_MAX_ARGS)
		elog(ERROR, "too many SPI arguments");
	args->types[args->n] = type;
	args->values[args->n] = value;
	args->nulls[args->n] = isnull ? 'n' : ' ';
	args->n++;
}

void
dmesh_arg_text(DmeshArgs *args, const char *value)
{
	dmesh_arg_datum(args, TEXTOID,
					value ? CStringGetTextDatum(value) : (Datum) 0,
					value == NULL);
}

void
dmesh_arg_int8(DmeshArgs *args, int64 value)
{
	dmesh_arg_datum(args, INT8OID, Int64GetDatum(value), false);
}

void
dmesh_arg_int4(DmeshArgs *args, int32 value)
{
	dmesh_arg_datum(args, INT4OID, Int32GetDatum(value), false);
}

void
dmesh_arg_oid(DmeshArgs *args, Oid type, Oid value)
{
	dmesh_arg_datum(args, type, ObjectIdGetDatum(value), !OidIsValid(value));
}

/*
 * Run a parameterized statement; check that SPI returned the expected
 * code.  Returns the number of rows processed.
 */
uint64
dmesh_spi_exec(const char *sql, DmeshArgs *args, int expected)
{
	int			rc;

	if (args && args->n > 0)
		rc = SPI_execute_with_args(sql, args->n, args->types, args->values,
								   args->nulls, false, 0);
	else
		rc = SPI_execute(sql, false, 0);
	if (rc != expected)
		elog(ERROR, "SPI_execute failed for \"%s\": %s", sql, SPI_result_code_string(rc));
	return SPI_processed;
}

/*
 * Run a utility statement (DDL) built with quoted identifiers, waiting at
 * most dmesh.lock_timeout for any lock it needs (see core_lock.c; the main
 * relations are usually locked before, with dmesh_lock_relation, whose
 * error names who holds them).
 */
void
dmesh_spi_utility(const char *sql)
{
	int			nestlevel = NewGUCNestLevel();

	if (dmesh_lock_timeout > 0 && (LockTimeout == 0 || LockTimeout > dmesh_lock_timeout))
		(void) set_config_option("lock_timeout", psprintf("%d", dmesh_lock_timeout),
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	(void) dmesh_spi_exec(sql, NULL, SPI_OK_UTILITY);
	AtEOXact_GUC(true, nestlevel);
}

/*
 * A copy of a varlena value in the caller's memory, which outlives
 * SPI_finish: for functions that return what they built under SPI.
 */
void *
dmesh_spi_return(const void *value)
{
	void	   *copy = SPI_palloc(VARSIZE_ANY(value));

	memcpy(copy, value, VARSIZE_ANY(value));
	return copy;
}

/* Text of a result column, or NULL. */
char *
dmesh_spi_text(uint64 row, int col)
{
	return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
}

int64
dmesh_spi_int8(uint64 row, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

/* An oid-typed column (oid, regclass, regrole ...), InvalidOid if NULL. */
Oid
dmesh_spi_oid(uint64 row, int col)
{
	bool		isnull;
	Datum		d;
	Oid			type = SPI_gettypeid(SPI_tuptable->tupdesc, col);

	/* only an oid or one of its reg* aliases is read as one */
	if (type != OIDOID && type != REGCLASSOID && type != REGROLEOID && type != REGTYPEOID &&
		type != REGPROCEDUREOID && type != REGNAMESPACEOID)
		elog(ERROR, "column %d is of type %s, not an oid", col, format_type_be(type));
	d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, &isnull);
	return isnull ? InvalidOid : DatumGetObjectId(d);
}

/*
 * What an error was, without the values its message may quote: the
 * message as the code writes it, each value it would show replaced by
 * "...", and the SQLSTATE.  An error raised while reading a product's
 * data can quote that data ("invalid input syntax for type bigint:
 * \"078-05-1120\""); this is what dmesh stores where consumers read.
 */
char *
dmesh_error_summary(const ErrorData *edata)
{
	const char *fmt = edata->message_id ? edata->message_id : "unknown error";
	StringInfoData buf;

	initStringInfo(&buf);
	for (const char *p = fmt; *p; p++)
	{
		if (*p != '%')
		{
			appendStringInfoChar(&buf, *p);
			continue;
		}
		if (p[1] == '%')
		{
			appendStringInfoChar(&buf, '%');
			p++;
			continue;
		}
		/* flags, width, precision and length, then the conversion */
		for (p++; *p && strchr("-+ #0123456789.*hlqLjzt", *p); p++)
			;
		if (*p == '\0')
			break;
		appendStringInfoString(&buf, "...");
	}
	appendStringInfo(&buf, " (SQLSTATE %s)", unpack_sql_state(edata->sqlerrcode));
	return buf.data;
}

static bool
try_call(void (*fn) (void *arg), void *arg, char **message, bool summary)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	bool		ok = true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		if (message)
			*message = summary ? dmesh_error_summary(edata) : pstrdup(edata->message);
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return ok;
}

/*
 * Run fn(arg) in an internal subtransaction.  On error, roll the
 * subtransaction back and return false, with the error's message in
 * *message (allocated in the caller's memory context) if message is not
 * NULL.  Memory context and resource owner are the caller's afterwards.
 */
bool
dmesh_try(void (*fn) (void *arg), void *arg, char **message)
{
	return try_call(fn, arg, message, false);
}

/* The same, with the error's summary (dmesh_error_summary) instead. */
bool
dmesh_try_summary(void (*fn) (void *arg), void *arg, char **summary)
{
	return try_call(fn, arg, summary, true);
}

/*
 * Run a statement through a plan kept for the life of the backend in
 * *slot, made at the first call with search_path pinned (the plan cache
 * replans with that search_path).  For the statements event triggers and
 * hooks run on every command, where planning each time would cost more
 * than running.  Returns the number of rows processed.
 */
uint64
dmesh_spi_exec_saved(SPIPlanPtr *slot, const char *sql, DmeshArgs *args, int expected,
					 bool read_only, long count)
{
	int			rc;

	if (*slot == NULL)
	{
		DmeshSection section;
		SPIPlanPtr	plan;

		dmesh_pin_search_path(&section);
		plan = SPI_prepare(sql, args ? args->n : 0, args ? args->types : NULL);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql, SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		dmesh_leave(&section);
		*slot = plan;
	}
	rc = SPI_execute_plan(*slot, args ? args->values : NULL, args ? args->nulls : NULL,
						  read_only, count);
	if (rc != expected)
		elog(ERROR, "SPI_execute_plan failed for \"%s\": %s", sql, SPI_result_code_string(rc));
	return SPI_processed;
}

/*
 * See DmeshQueryContext: report positions inside a piece of SQL as
 * positions in it, not in the statement that called dmesh.
 */
void
dmesh_query_error_context(void *arg)
{
	DmeshQueryContext *ctx = (DmeshQueryContext *) arg;
	int			pos = geterrposition();

	if (pos > 0)
	{
		errposition(0);
		if (ctx->query != NULL && pos > ctx->offset)
		{
			internalerrposition(pos - ctx->offset);
			internalerrquery(ctx->query);
		}
	}
	if (ctx->what != NULL && (ctx->always || pos <= 0))
		errcontext("%s", ctx->what);
}
