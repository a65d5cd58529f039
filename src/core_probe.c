/*-------------------------------------------------------------------------
 *
 * core_probe.c
 *		Cheap questions about a relation that event triggers and hooks ask
 *		before doing any real work, answered from the system caches and
 *		an index scan of a dmesh catalog table, without SPI.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"

#include "dmesh.h"

/* Is the relation in a domain's schema (dmesh_*)? */
bool
dmesh_in_domain_schema(Oid relid)
{
	char	   *nspname = get_namespace_name(get_rel_namespace(relid));

	return nspname != NULL &&
		strncmp(nspname, DMESH_DOMAIN_SCHEMA_PREFIX,
				strlen(DMESH_DOMAIN_SCHEMA_PREFIX)) == 0;
}

/*
 * Does dmesh.<table> have a row whose oid column equals value?  Scans
 * dmesh.<index>, whose first column is that column.  False when the
 * table or the index is not there (an older catalog: nothing recorded).
 */
bool
dmesh_catalog_has_oid(const char *table, const char *index, const char *column,
					  Oid value)
{
	Oid			nsp = get_namespace_oid("dmesh", true);
	Oid			tableid;
	Oid			indexid;
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	bool		found;

	if (!OidIsValid(nsp) || !OidIsValid(value))
		return false;
	tableid = get_relname_relid(table, nsp);
	indexid = get_relname_relid(index, nsp);
	if (!OidIsValid(tableid) || !OidIsValid(indexid))
		return false;
	rel = table_open(tableid, AccessShareLock);
	ScanKeyInit(&key, get_attnum(tableid, column), BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(value));
	scan = systable_beginscan(rel, indexid, true, NULL, 1, &key);
	found = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}
