/*-------------------------------------------------------------------------
 *
 * core_privilege.c
 *		Acting as the extension owner, or as another role, for a while.
 *
 * dmesh's SQL functions are SECURITY INVOKER so that they can see who
 * called them (GetUserId()).  After checking the caller they enter a
 * section: the user id changes (to the extension owner, or to a product
 * owner when user-supplied SQL must run with that role's rights) and
 * search_path is pinned to "pg_catalog, pg_temp" at a new GUC nest level.
 * Privileged sections also mark DDL as dmesh's own (dmesh.internal_ddl),
 * for the DDL gate; sections running user-supplied SQL clear the mark.
 * dmesh_leave() undoes all of it; on error, (sub)transaction abort restores the
 * user id and pops the GUC nest level, so no state is left behind.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/rel.h"

#include "dmesh.h"

/*
 * Owner of the dmesh extension in the current database.  Also checks that
 * the SQL objects installed are those of this library's version: after new
 * binaries are installed, dmesh refuses to work until ALTER EXTENSION dmesh
 * UPDATE has run (or while it runs, which the update script needs).
 */
Oid
dmesh_extension_owner(void)
{
	Oid			extoid = get_extension_oid("dmesh", false);
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	Oid			owner;
	Datum		version;
	bool		isnull;
	char	   *installed;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "could not find tuple for extension %u", extoid);
	owner = ((Form_pg_extension) GETSTRUCT(tuple))->extowner;
	version = heap_getattr(tuple, Anum_pg_extension_extversion, RelationGetDescr(rel), &isnull);
	installed = isnull ? "" : TextDatumGetCString(version);
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	if (strcmp(installed, DMESH_VERSION) != 0 &&
		!(creating_extension && CurrentExtensionObject == extoid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("dmesh library version %s cannot work with extension version %s",
						DMESH_VERSION, installed),
				 errhint("Run ALTER EXTENSION dmesh UPDATE in this database.")));
	return owner;
}

/*
 * Pin search_path at a new GUC nest level, keeping the current user.
 */
void
dmesh_pin_search_path(DmeshSection *section)
{
	GetUserIdAndSecContext(&section->save_userid, &section->save_sec_context);
	section->save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

static void
enter_section(DmeshSection *section, Oid role, int extra_context, bool internal_ddl)
{
	dmesh_pin_search_path(section);
	(void) set_config_option("dmesh.internal_ddl", internal_ddl ? "on" : "off",
							 PGC_INTERNAL, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	SetUserIdAndSecContext(role, section->save_sec_context |
						   SECURITY_LOCAL_USERID_CHANGE | extra_context);
}

/*
 * Act as the extension owner: used for every write to dmesh's catalogs and
 * for the DDL on published relations.
 */
void
dmesh_enter_privileged(DmeshSection *section)
{
	enter_section(section, dmesh_extension_owner(), 0, true);
}

/*
 * Act as the given role with SECURITY_RESTRICTED_OPERATION: used to run
 * user-supplied SQL with the rights of the role it will run as later.
 */
void
dmesh_enter_as_role(DmeshSection *section, Oid role)
{
	enter_section(section, role, SECURITY_RESTRICTED_OPERATION, false);
}

void
dmesh_leave(DmeshSection *section)
{
	AtEOXact_GUC(true, section->save_nestlevel);
	SetUserIdAndSecContext(section->save_userid, section->save_sec_context);
}

/*
 * Name of a role, or its OID in brackets if it no longer exists.
 */
char *
dmesh_role_name(Oid role)
{
	char	   *name = GetUserNameFromId(role, true);

	return name ? name : psprintf("(dropped role %u)", role);
}
