/*-------------------------------------------------------------------------
 *
 * core_eventlog.c
 *		dmesh.event_log: one row per change dmesh makes, written in the
 *		same transaction as the change.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/json.h"

#include "dmesh.h"

/* A flat JSON object, built key by key with proper escaping. */
void
dmesh_json_init(DmeshJson *json)
{
	initStringInfo(&json->buf);
	appendStringInfoChar(&json->buf, '{');
	json->empty = true;
}

static void
json_key(DmeshJson *json, const char *key)
{
	if (!json->empty)
		appendStringInfoString(&json->buf, ", ");
	json->empty = false;
	escape_json(&json->buf, key);
	appendStringInfoString(&json->buf, ": ");
}

void
dmesh_json_str(DmeshJson *json, const char *key, const char *value)
{
	json_key(json, key);
	if (value)
		escape_json(&json->buf, value);
	else
		appendStringInfoString(&json->buf, "null");
}

void
dmesh_json_bool(DmeshJson *json, const char *key, bool value)
{
	json_key(json, key);
	appendStringInfoString(&json->buf, value ? "true" : "false");
}

/* A value that is already valid JSON text. */
void
dmesh_json_raw(DmeshJson *json, const char *key, const char *raw)
{
	json_key(json, key);
	appendStringInfoString(&json->buf, raw);
}

char *
dmesh_json_finish(DmeshJson *json)
{
	appendStringInfoChar(&json->buf, '}');
	return json->buf.data;
}

/*
 * Append an event.  Must be called inside a privileged section.  The role
 * is recorded by name so that the log outlives dropped roles.
 */
void
dmesh_log_event(Oid caller, const char *action, const char *object_type,
				const char *object_identity, int64 domain_id, int64 product_id,
				const char *details)
{
	DmeshArgs	args;

	dmesh_args_init(&args);
	dmesh_arg_text(&args, dmesh_role_name(caller));
	dmesh_arg_text(&args, action);
	dmesh_arg_text(&args, object_type);
	dmesh_arg_text(&args, object_identity);
	dmesh_arg_datum(&args, INT8OID, Int64GetDatum(domain_id), domain_id == 0);
	dmesh_arg_datum(&args, INT8OID, Int64GetDatum(product_id), product_id == 0);
	dmesh_arg_text(&args, details ? details : "{}");
	dmesh_spi_exec("INSERT INTO dmesh.event_log"
				   " (role_name, session_role, action, object_type, object_identity,"
				   "  domain_id, product_id, details)"
				   " VALUES ($1, session_user, $2, $3, $4, $5, $6, $7::jsonb)",
				   &args, SPI_OK_INSERT);
}
