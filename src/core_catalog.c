/*-------------------------------------------------------------------------
 *
 * core_catalog.c
 *		Reading domains, data products and their published relations
 *		from dmesh's catalog tables, and the rule of who may manage them.
 *
 * Callers are inside a privileged section (search_path pinned) and
 * connected to SPI; results live in the SPI procedure context.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"

#include "dmesh.h"

bool
dmesh_load_domain(const char *name, DmeshLock lock, DmeshDomain *domain)
{
	DmeshArgs	args;

	dmesh_args_init(&args);
	dmesh_arg_text(&args, name);
	if (dmesh_spi_exec(lock == DMESH_LOCK_FOR_UPDATE ?
					   "SELECT domain_id, name, owner, schema_name FROM dmesh.domain"
					   " WHERE name = $1 FOR NO KEY UPDATE" :
					   "SELECT domain_id, name, owner, schema_name FROM dmesh.domain"
					   " WHERE name = $1",
					   &args, SPI_OK_SELECT) == 0)
		return false;

	domain->id = dmesh_spi_int8(0, 1);
	domain->name = dmesh_spi_text(0, 2);
	domain->owner = dmesh_spi_oid(0, 3);
	domain->schema_name = dmesh_spi_text(0, 4);
	return true;
}

#define PRODUCT_SELECT \
	"SELECT p.product_id, p.name, p.owner, p.status, p.version," \
	"       p.source_relation, p.source_query, p.contract_gate, p.description," \
	"       d.domain_id, d.name, d.owner, d.schema_name" \
	"  FROM dmesh.data_product p" \
	"  JOIN dmesh.domain d ON d.domain_id = p.domain_id" \
	" WHERE d.name = $1 AND p.name = $2"

/*
 * Load a product, locked with DMESH_LOCK_FOR_UPDATE against other calls
 * that manage it.  The lock is FOR NO KEY UPDATE: it never blocks the
 * FOR KEY SHARE locks that writers take on the row when their statement
 * records a violation or quarantines a row (foreign keys), so a writer
 * never waits for, or deadlocks with, a call that holds a product while
 * it waits for the writer's table.
 */
bool
dmesh_load_product(const DmeshProductRef *ref, DmeshLock lock, DmeshProduct *product)
{
	DmeshArgs	args;

	dmesh_args_init(&args);
	dmesh_arg_text(&args, ref->domain);
	dmesh_arg_text(&args, ref->product);
	if (dmesh_spi_exec(lock == DMESH_LOCK_FOR_UPDATE ?
					   PRODUCT_SELECT " FOR NO KEY UPDATE OF p" : PRODUCT_SELECT,
					   &args, SPI_OK_SELECT) == 0)
		return false;

	product->id = dmesh_spi_int8(0, 1);
	product->name = dmesh_spi_text(0, 2);
	product->owner = dmesh_spi_oid(0, 3);
	product->status = dmesh_spi_text(0, 4);
	product->version = dmesh_spi_text(0, 5);
	product->source_relid = dmesh_spi_oid(0, 6);
	product->source_query = dmesh_spi_text(0, 7);
	product->gate = dmesh_spi_text(0, 8);
	product->description = dmesh_spi_text(0, 9);
	product->domain.id = dmesh_spi_int8(0, 10);
	product->domain.name = dmesh_spi_text(0, 11);
	product->domain.owner = dmesh_spi_oid(0, 12);
	product->domain.schema_name = dmesh_spi_text(0, 13);
	return true;
}

/*
 * Load the product named 'domain.product' or fail, saying which part is
 * missing.
 */
void
dmesh_require_product(const char *ref_text, DmeshLock lock, DmeshProduct *product)
{
	DmeshProductRef ref = dmesh_parse_product_ref(ref_text);
	DmeshDomain domain;

	if (dmesh_load_product(&ref, lock, product))
		return;
	if (!dmesh_load_domain(ref.domain, DMESH_NO_LOCK, &domain))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("domain \"%s\" does not exist", ref.domain)));
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("data product \"%s\" does not exist", ref_text)));
}

/*
 * The caller must have the privileges of the domain's owner or of the
 * product's owner (superusers always do).
 */
void
dmesh_require_manager(Oid caller, const DmeshProduct *product, const char *action)
{
	if (has_privs_of_role(caller, product->domain.owner) ||
		has_privs_of_role(caller, product->owner))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied for domain \"%s\"", product->domain.name),
			 errdetail("Only role \"%s\" (owner of domain \"%s\"), its members and the owner of data product \"%s\" can %s it.",
					   dmesh_role_name(product->domain.owner), product->domain.name,
					   dmesh_product_display(product), action)));
}

char *
dmesh_product_display(const DmeshProduct *product)
{
	return dmesh_product_ident(product->domain.name, product->name);
}

/* Published or deprecated: consumers may be reading it. */
bool
dmesh_product_is_live(const DmeshProduct *product)
{
	return strcmp(product->status, "published") == 0 ||
		strcmp(product->status, "deprecated") == 0;
}

void
dmesh_refuse_retired(const DmeshProduct *product, const char *action)
{
	if (strcmp(product->status, "retired") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot %s data product \"%s\" because it is retired",
						action, dmesh_product_display(product)),
				 errdetail("Retirement is final; the catalog keeps the product only as history."),
				 errhint("Create a new data product instead.")));
}

/*
 * Start a call that manages one product: connect to SPI, enter a
 * privileged section, lock the product's catalog row and check that the
 * caller may perform the action.  dmesh_end_call() undoes the first two.
 */
void
dmesh_begin_product_call(const char *ref, Oid caller, const char *action,
						 DmeshSection *section, DmeshProduct *product)
{
	SPI_connect();
	dmesh_enter_privileged(section);
	dmesh_require_product(ref, DMESH_LOCK_FOR_UPDATE, product);
	dmesh_require_manager(caller, product, action);
}

void
dmesh_end_call(DmeshSection *section)
{
	dmesh_leave(section);
	SPI_finish();
}

/*
 * The relation of an output port, or InvalidOid if it does not exist.
 */
Oid
dmesh_port_relation(const DmeshProduct *product, const char *relname)
{
	Oid			nspoid = get_namespace_oid(product->domain.schema_name, true);

	if (!OidIsValid(nspoid))
		return InvalidOid;
	return get_relname_relid(relname, nspoid);
}

/*
 * The live relation of the product's given major version, or InvalidOid.
 */
Oid
dmesh_port_relid(const DmeshProduct *product, int major)
{
	DmeshArgs	args;

	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product->id);
	dmesh_arg_int4(&args, major);
	if (dmesh_spi_exec("SELECT relation_name FROM dmesh.output_port"
					   " WHERE product_id = $1 AND major = $2 AND status <> 'retired'",
					   &args, SPI_OK_SELECT) == 0)
		return InvalidOid;
	return dmesh_port_relation(product, dmesh_spi_text(0, 1));
}
