/*-------------------------------------------------------------------------
 *
 * fed_sync.c
 *		dmesh.sync_peer: bring the copy of a peer's products
 *		(dmesh.remote_product) up to date, incrementally.
 *
 * A sync reads the peer's dmesh.mesh_export through the peer's foreign
 * table (fed_peer.c) twice, as the role that added the peer (its user
 * mapping), under SECURITY_RESTRICTED_OPERATION with search_path pinned:
 *   1. the key and changed_at of every row (a few short columns);
 *   2. the full rows of the products whose changed_at differs from the
 *      copy's, or that the copy lacks: nothing else crosses the network.
 * Then, as the extension owner, the copy loses the rows the peer no longer
 * shows (retired, or kept local since) and takes the fetched ones; a row
 * whose values did not change keeps its synced_at.  Remote values reach
 * only the input functions of built-in types (text, integer, numeric,
 * jsonb, timestamptz); they are stored as parameters, never as SQL.
 *
 * All of it runs in a subtransaction: a peer that cannot be reached, or
 * answers with something that is not a dmesh.mesh_export, leaves the copy
 * as it was; dmesh.peer then says unreachable or incompatible, with the
 * error as dmesh_error_summary writes it (no values, SQLSTATE).  Argument
 * and privilege errors are raised as usual.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "dmesh.h"
#include "fed.h"

PG_FUNCTION_INFO_V1(dmesh_sync_peer);

typedef struct SyncState
{
	DmeshPeer	peer;
	Oid			role;			/* the role that added the peer */
	char	   *table;			/* its foreign table, quoted and qualified */
	int64		listed;
	int64		fetched;
	int64		changed;
	int64		removed;
} SyncState;

/* The first column of the one row SPI returned, as a copyable Datum. */
static Datum
spi_first_datum(bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, isnull);
}

static void
sync_work(void *arg)
{
	SyncState  *st = arg;
	DmeshSection section;
	DmeshArgs	args;
	Datum		keys;
	Datum		changed_refs;
	Datum		rows = (Datum) 0;
	bool		isnull;
	int			nchanged;

	/* 1. every key, with its changed_at, as the adding role */
	dmesh_enter_as_role(&section, st->role);
	(void) dmesh_spi_exec(psprintf("SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object("
								   "           'domain', f.domain, 'product', f.product, 'major', f.major,"
								   "           'object', f.object, 'changed_at', f.changed_at)), '[]'::jsonb),"
								   "       pg_catalog.count(*)"
								   "  FROM %s f", st->table),
						  NULL, SPI_OK_SELECT);
	keys = spi_first_datum(&isnull);
	st->listed = dmesh_spi_int8(0, 2);
	dmesh_leave(&section);

	/* which products changed: compared with the copy, as dmesh */
	dmesh_enter_privileged(&section);
	dmesh_args_init(&args);
	dmesh_arg_int8(&args, st->peer.id);
	dmesh_arg_datum(&args, JSONBOID, keys, false);
	(void) dmesh_spi_exec("SELECT COALESCE(pg_catalog.array_agg(DISTINCT k.domain || '.' || k.product), '{}'),"
						  "       pg_catalog.count(DISTINCT k.domain || '.' || k.product)::int4"
						  "  FROM pg_catalog.jsonb_to_recordset($2)"
						  "       AS k(domain text, product text, major integer, object text, changed_at timestamptz)"
						  " WHERE NOT EXISTS (SELECT 1 FROM dmesh.remote_product r"
						  "                    WHERE r.peer_id = $1 AND r.domain = k.domain"
						  "                      AND r.product = k.product AND r.major = k.major"
						  "                      AND r.object IS NOT DISTINCT FROM k.object"
						  "                      AND r.changed_at IS NOT DISTINCT FROM k.changed_at)",
						  &args, SPI_OK_SELECT);
	changed_refs = spi_first_datum(&isnull);
	nchanged = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	dmesh_leave(&section);

	/* 2. the full rows of those products only, as the adding role */
	if (nchanged > 0)
	{
		dmesh_enter_as_role(&section, st->role);
		dmesh_args_init(&args);
		dmesh_arg_datum(&args, TEXTARRAYOID, changed_refs, false);
		(void) dmesh_spi_exec(psprintf("SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(f)), '[]'::jsonb),"
									   "       pg_catalog.count(*)"
									   "  FROM %s f"
									   " WHERE (f.domain OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) f.product)"
									   "       OPERATOR(pg_catalog.=) ANY ($1)", st->table),
							  &args, SPI_OK_SELECT);
		rows = spi_first_datum(&isnull);
		st->fetched = dmesh_spi_int8(0, 2);
		dmesh_leave(&section);
	}

	/* the copy: rows the peer no longer shows go, fetched rows come in */
	dmesh_enter_privileged(&section);
	dmesh_args_init(&args);
	dmesh_arg_int8(&args, st->peer.id);
	dmesh_arg_datum(&args, JSONBOID, keys, false);
	st->removed = dmesh_spi_exec("DELETE FROM dmesh.remote_product r"
								 " WHERE r.peer_id = $1"
								 "   AND NOT EXISTS (SELECT 1 FROM pg_catalog.jsonb_to_recordset($2)"
								 "                       AS k(domain text, product text, major integer, object text)"
								 "                    WHERE k.domain = r.domain AND k.product = r.product"
								 "                      AND k.major = r.major AND k.object IS NOT DISTINCT FROM r.object)",
								 &args, SPI_OK_DELETE);
	if (nchanged > 0)
	{
		dmesh_args_init(&args);
		dmesh_arg_int8(&args, st->peer.id);
		dmesh_arg_datum(&args, JSONBOID, rows, false);
		st->changed = dmesh_spi_exec(
			"INSERT INTO dmesh.remote_product AS r"
			"    (peer_id, domain, product, object, major, version, status, owner, description, tags,"
			"     columns, contract_id, contract_status, quality_score, health_status, open_incidents,"
			"     published_at, changed_at, synced_at)"
			" SELECT $1, e.domain, e.product, e.object, e.major, e.version, e.status, e.owner,"
			"        e.description, e.tags, e.columns, e.contract_id, e.contract_status, e.quality_score,"
			"        e.health_status, e.open_incidents, e.published_at, e.changed_at, now()"
			"   FROM pg_catalog.jsonb_populate_recordset(NULL::dmesh.mesh_export, $2) e"
			" ON CONFLICT ON CONSTRAINT remote_product_key DO UPDATE"
			"   SET version = excluded.version, status = excluded.status, owner = excluded.owner,"
			"       description = excluded.description, tags = excluded.tags, columns = excluded.columns,"
			"       contract_id = excluded.contract_id, contract_status = excluded.contract_status,"
			"       quality_score = excluded.quality_score, health_status = excluded.health_status,"
			"       open_incidents = excluded.open_incidents, published_at = excluded.published_at,"
			"       changed_at = excluded.changed_at, synced_at = excluded.synced_at"
			" WHERE (r.version, r.status, r.owner, r.description, r.tags, r.columns, r.contract_id,"
			"        r.contract_status, r.quality_score, r.health_status, r.open_incidents,"
			"        r.published_at, r.changed_at)"
			"       IS DISTINCT FROM"
			"       (excluded.version, excluded.status, excluded.owner, excluded.description,"
			"        excluded.tags, excluded.columns, excluded.contract_id, excluded.contract_status,"
			"        excluded.quality_score, excluded.health_status, excluded.open_incidents,"
			"        excluded.published_at, excluded.changed_at)",
			&args, SPI_OK_INSERT);
	}
	dmesh_leave(&section);
}

/*
 * What a failed sync means for the peer: its database answered but is not
 * a dmesh database new enough (no dmesh.mesh_export, other columns, rows
 * the copy refuses), or it could not be read at all.
 */
static const char *
failure_status(int sqlerrcode)
{
	switch (ERRCODE_TO_CATEGORY(sqlerrcode))
	{
		case ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION:
		case ERRCODE_DATA_EXCEPTION:
			return "incompatible";
		default:
			break;
	}
	switch (sqlerrcode)
	{
		case ERRCODE_UNDEFINED_TABLE:
		case ERRCODE_UNDEFINED_COLUMN:
		case ERRCODE_UNDEFINED_FUNCTION:
		case ERRCODE_INVALID_SCHEMA_NAME:
		case ERRCODE_DATATYPE_MISMATCH:
			return "incompatible";
		default:
			return "unreachable";
	}
}

/*
 * Run the sync in a subtransaction; on error, roll it back and return the
 * error's summary and SQLSTATE.
 */
static char *
try_sync(SyncState *st, int *sqlerrcode)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	char	   *summary = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		sync_work(st);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		summary = dmesh_error_summary(edata);
		*sqlerrcode = edata->sqlerrcode;
		ereport(LOG,
				(errmsg("dmesh: sync of peer \"%s\" failed: %s", st->peer.name,
						edata->message ? edata->message : "unknown error")));
		FreeErrorData(edata);
		st->listed = st->fetched = st->changed = st->removed = 0;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return summary;
}

Datum
dmesh_sync_peer(PG_FUNCTION_ARGS)
{
	char	   *name = dmesh_text_arg(fcinfo, 0, "peer name");
	Oid			caller = GetUserId();
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	SyncState	st = {0};
	DmeshSection section;
	DmeshArgs	args;
	char	   *error;
	int			sqlerrcode = 0;
	const char *status;
	Datum		values[7];
	bool		nulls[7] = {false};

	InitMaterializedSRF(fcinfo, 0);

	SPI_connect();
	dmesh_enter_privileged(&section);
	/* one sync of a peer at a time: the row stays locked to the end */
	dmesh_require_peer(name, true, &st.peer);
	dmesh_require_peer_manager(caller, &st.peer, "sync");
	st.role = dmesh_peer_role(&st.peer);
	if (!OidIsValid(st.role))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role \"%s\", which added peer \"%s\", does not exist", st.peer.added_by,
						st.peer.name),
				 errdetail("A peer is read with the user mapping of the role that added it."),
				 errhint("Drop the peer and add it again.")));
	st.table = quote_qualified_identifier("dmesh", dmesh_peer_export_table(st.peer.id));
	dmesh_leave(&section);

	error = try_sync(&st, &sqlerrcode);
	status = error ? failure_status(sqlerrcode) : "ok";

	dmesh_enter_privileged(&section);
	dmesh_args_init(&args);
	dmesh_arg_int8(&args, st.peer.id);
	dmesh_arg_text(&args, status);
	dmesh_arg_text(&args, error);
	if (error == NULL)
		(void) dmesh_spi_exec("UPDATE dmesh.peer SET status = $2, last_sync_at = now(), last_error = NULL"
							  " WHERE peer_id = $1", &args, SPI_OK_UPDATE);
	else
		(void) dmesh_spi_exec("UPDATE dmesh.peer SET status = $2, last_error = $3, last_error_at = now()"
							  " WHERE peer_id = $1", &args, SPI_OK_UPDATE);
	dmesh_leave(&section);

	/* the strings live in SPI's memory: store the row before leaving it */
	values[0] = CStringGetTextDatum(st.peer.name);
	values[1] = CStringGetTextDatum(status);
	values[2] = Int64GetDatum(st.listed);
	values[3] = Int64GetDatum(st.fetched);
	values[4] = Int64GetDatum(st.changed);
	values[5] = Int64GetDatum(st.removed);
	if (error)
		values[6] = CStringGetTextDatum(error);
	else
		nulls[6] = true;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	SPI_finish();
	return (Datum) 0;
}
