/*-------------------------------------------------------------------------
 *
 * quality_rule_cache.c
 *		Per-backend cache of the compiled rules that the write trigger
 *		enforces, one entry per data product.
 *
 * An entry holds the rule set compiled against the source table's columns,
 * so that a row costs no catalog access.  It is invalidated by a relcache
 * invalidation of the source table: PostgreSQL sends one when a trigger
 * is created or dropped and on any DDL, and dmesh sends one when it stores
 * a new contract (contract_store.c).  Invalidation reaches other backends
 * when the change commits.  A stale entry is only marked; it is rebuilt
 * the next time it is needed.
 *
 * Entries also count the rows that broke each rule during the current
 * statement (warn and quarantine modes); the statement trigger records and
 * clears them.  Abort clears them too, so a failed statement leaves
 * nothing behind.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/partition.h"
#include "executor/spi.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "dmesh.h"
#include "contract.h"
#include "quality.h"

static HTAB *rule_cache = NULL;

static void
invalidate_callback(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS status;
	DmeshEnforcement *entry;

	if (rule_cache == NULL)
		return;
	hash_seq_init(&status, rule_cache);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (!OidIsValid(relid) || entry->key.relid == relid || entry->source_relid == relid)
			entry->valid = false;
	}
}

static void
clear_counts(void)
{
	HASH_SEQ_STATUS status;
	DmeshEnforcement *entry;

	if (rule_cache == NULL)
		return;
	hash_seq_init(&status, rule_cache);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (entry->cxt != NULL)
		{
			memset(entry->broken, 0, sizeof(int64) * Max(entry->rs->nrules, 1));
			entry->quarantined = 0;
		}
	}
}

static void
xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		clear_counts();
}

static void
subxact_callback(SubXactEvent event, SubTransactionId mySubid,
				 SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		clear_counts();
}

static void
init_cache(void)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(DmeshEnforcementKey);
	ctl.entrysize = sizeof(DmeshEnforcement);
	ctl.hcxt = CacheMemoryContext;
	rule_cache = hash_create("dmesh rule cache", 16, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	CacheRegisterRelcacheCallback(invalidate_callback, (Datum) 0);
	RegisterXactCallback(xact_callback, NULL);
	RegisterSubXactCallback(subxact_callback, NULL);
}

static void
release_entry(DmeshEnforcement *entry)
{
	for (int i = 0; entry->lookup_plans && i < entry->rs->nrules; i++)
		if (entry->lookup_plans[i] != NULL)
			SPI_freeplan(entry->lookup_plans[i]);
	if (entry->cxt != NULL)
		MemoryContextDelete(entry->cxt);
	entry->cxt = NULL;
	entry->rs = NULL;
	entry->lookup_plans = NULL;
}

static bool
is_masked_classification(const char *classification)
{
	return classification != NULL &&
		(pg_strcasecmp(classification, "pii") == 0 ||
		 pg_strcasecmp(classification, "restricted") == 0);
}

/*
 * Is "relid" the product's source table, or a partition of it?
 */
static bool
is_source_or_partition(Oid relid, Oid source)
{
	ListCell   *lc;

	if (!OidIsValid(source))
		return false;
	if (relid == source)
		return true;
	if (!get_rel_relispartition(relid))
		return false;
	foreach(lc, get_partition_ancestors(relid))
		if (lfirst_oid(lc) == source)
			return true;
	return false;
}

/*
 * Build an entry: read the product and its active contract as the
 * extension owner; refuse a table that is not the product's source (the
 * trigger functions can be attached to any table by its owner); compile
 * the rules against the table as the product's owner, under
 * SECURITY_RESTRICTED_OPERATION, since compiling reads values with the
 * column types' input functions.
 */
static void
build_entry(DmeshEnforcement *entry, int64 product_id, Relation rel)
{
	DmeshSection section;
	DmeshArgs	args;
	DmeshProductRef ref;
	DmeshProduct product;
	DmeshContract *contract;
	MemoryContext cxt;
	MemoryContext old;
	Jsonb	   *doc;
	Oid		   *types;
	AttrNumber *attnums;
	int			object = -1;
	int			contract_object = 0;

	SPI_connect();
	dmesh_enter_privileged(&section);
	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product_id);
	if (dmesh_spi_exec("SELECT d.name, p.name FROM dmesh.data_product p"
					   "  JOIN dmesh.domain d ON d.domain_id = p.domain_id"
					   " WHERE p.product_id = $1", &args, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger on %s refers to data product %lld, which does not exist",
						dmesh_qualified_relname(RelationGetRelid(rel)), (long long) product_id)));
	ref.domain = dmesh_spi_text(0, 1);
	ref.product = dmesh_spi_text(0, 2);
	if (!dmesh_load_product(&ref, DMESH_NO_LOCK, &product))
		elog(ERROR, "data product %lld vanished", (long long) product_id);
	/* the object whose source the table is (a product's one source, or an object's) */
	for (int i = 0; i < product.nobjects; i++)
		if (is_source_or_partition(RelationGetRelid(rel), product.objects[i].relid))
			object = i;
	if (object < 0 && !dmesh_product_has_objects(&product) &&
		is_source_or_partition(RelationGetRelid(rel), product.source_relid))
		object = 0;
	if (object < 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("dmesh enforcement trigger on %s does not belong to it",
						dmesh_qualified_relname(RelationGetRelid(rel))),
				 errdetail("The trigger names data product \"%s\", whose source is another relation.",
						   dmesh_product_display(&product)),
				 errhint("Use dmesh.enforce_contract to hold a product's source to its contract.")));
	contract = dmesh_load_contract(&product, NULL, -1);
	product = dmesh_product_object(&product, object);
	if (product.object != NULL)
	{
		contract_object = dmesh_contract_find_object(contract, product.object);
		if (contract_object < 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the active contract of data product \"%s\" has no object \"%s\"",
							dmesh_product_display(&product), product.object),
					 errhint("Stop enforcing it on %s with dmesh.enforce_contract('%s', 'off').",
							 dmesh_qualified_relname(RelationGetRelid(rel)),
							 dmesh_product_display(&product))));
	}

	cxt = AllocSetContextCreate(CacheMemoryContext, "dmesh enforcement",
								ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		doc = DatumGetJsonbPCopy(JsonbPGetDatum(contract->doc));
		contract = dmesh_contract_compile_stored(doc);
		if (contract->nobjects > 1)
			contract = dmesh_contract_object(contract, contract_object);
		attnums = palloc(sizeof(AttrNumber) * Max(contract->nprops, 1));
		types = dmesh_property_types(contract, RelationGetDescr(rel), attnums);
		entry->rs = dmesh_rules_compile_as(product.owner, contract, types, cxt);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(old);
		MemoryContextDelete(cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();

	entry->cxt = cxt;
	entry->source_relid = product.source_relid;
	entry->run_as = product.owner;
	entry->display = pstrdup(dmesh_product_display(&product));
	entry->attnums = attnums;
	entry->masked = palloc0(sizeof(bool) * Max(contract->nprops, 1));
	for (int i = 0; i < contract->nprops; i++)
		entry->masked[i] = is_masked_classification(contract->props[i].classification);
	entry->broken = palloc0(sizeof(int64) * Max(entry->rs->nrules, 1));
	entry->quarantined = 0;
	entry->lookup_plans = palloc0(sizeof(SPIPlanPtr) * Max(entry->rs->nrules, 1));
	entry->valid = true;
	MemoryContextSwitchTo(old);

	dmesh_leave(&section);
	SPI_finish();
}

/*
 * The compiled rules a trigger on "rel" enforces for a product.
 */
DmeshEnforcement *
dmesh_enforcement(int64 product_id, Relation rel)
{
	DmeshEnforcement *entry;
	DmeshEnforcementKey key;
	bool		found;

	if (rule_cache == NULL)
		init_cache();
	memset(&key, 0, sizeof(key));
	key.product_id = product_id;
	key.relid = RelationGetRelid(rel);
	entry = hash_search(rule_cache, &key, HASH_ENTER, &found);
	if (!found)
	{
		entry->quarantined = 0;
		entry->cxt = NULL;
		entry->valid = false;
		entry->rs = NULL;
		entry->lookup_plans = NULL;
	}
	if (!entry->valid)
	{
		release_entry(entry);
		build_entry(entry, product_id, rel);
	}
	return entry;
}

/*
 * Visit every entry of a product (all partitions of its source), for the
 * statement trigger to collect the counts.
 */
void
dmesh_enforcement_foreach(int64 product_id, void (*fn) (DmeshEnforcement *, void *), void *arg)
{
	HASH_SEQ_STATUS status;
	DmeshEnforcement *entry;

	if (rule_cache == NULL)
		return;
	hash_seq_init(&status, rule_cache);
	while ((entry = hash_seq_search(&status)) != NULL)
		if (entry->key.product_id == product_id && entry->cxt != NULL)
			fn(entry, arg);
}
