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
	"       d.domain_id, d.name, d.owner, d.schema_name, p.source_kind" \
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
/*
 * The objects of a product just read: its one source, or the rows of
 * dmesh.product_object.  The product's source fields are its first
 * object's.
 */
static void
load_objects(DmeshProduct *product, bool several)
{
	DmeshArgs	args;
	uint64		n;

	product->object = NULL;
	if (!several)
	{
		product->nobjects = 1;
		product->objects = palloc0(sizeof(DmeshObjectSource));
		product->objects[0].relid = product->source_relid;
		product->objects[0].query = product->source_query;
		return;
	}
	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product->id);
	n = dmesh_spi_exec("SELECT object, source_relation, source_query FROM dmesh.product_object"
					   " WHERE product_id = $1 ORDER BY position, object",
					   &args, SPI_OK_SELECT);
	product->nobjects = n;
	product->objects = palloc0(sizeof(DmeshObjectSource) * Max(n, 1));
	for (uint64 i = 0; i < n; i++)
	{
		product->objects[i].name = dmesh_spi_text(i, 1);
		product->objects[i].relid = dmesh_spi_oid(i, 2);
		product->objects[i].query = dmesh_spi_text(i, 3);
	}
	if (n > 0)
	{
		product->source_relid = product->objects[0].relid;
		product->source_query = product->objects[0].query;
	}
}

/* Whether the product's contract has several objects (dmesh.product_object). */
bool
dmesh_product_has_objects(const DmeshProduct *product)
{
	return product->nobjects > 1 || (product->nobjects == 1 && product->objects[0].name != NULL);
}

/* The product seen through one of its objects (see DmeshProduct). */
DmeshProduct
dmesh_product_object(const DmeshProduct *product, int index)
{
	DmeshProduct view = *product;

	Assert(index >= 0 && index < product->nobjects);
	/* one source: the product's own fields (a refresh may have moved them) */
	if (!dmesh_product_has_objects(product))
		return view;
	view.object = product->objects[index].name;
	view.source_relid = product->objects[index].relid;
	view.source_query = product->objects[index].query;
	return view;
}

/* The index of a product's object of that name, or -1. */
int
dmesh_product_find_object(const DmeshProduct *product, const char *name)
{
	for (int i = 0; i < product->nobjects; i++)
		if (product->objects[i].name != NULL && strcmp(product->objects[i].name, name) == 0)
			return i;
	return -1;
}

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
	load_objects(product, strcmp(dmesh_spi_text(0, 14), "objects") == 0);
	return true;
}

/* ----------------------------------------------------------------
 * Unknown names: "Did you mean ...?"
 *
 * The names offered are those of dmesh.domain and dmesh.data_product,
 * which every role may read (GRANT SELECT ... TO PUBLIC, no row-level
 * security): a suggestion tells the caller nothing it could not read.
 * Only names of a length within reach are read.
 * ----------------------------------------------------------------
 */

StaticAssertDecl(DMESH_SUGGEST_MAX_LEN >= 2 * DMESH_MAX_NAME_BYTES + 1,
				 "every 'domain.product' must be comparable");

/* The one name of the query's results close to "word", or NULL. */
static const char *
suggest_from(const char *sql, const char *word)
{
	DmeshSuggest s;
	DmeshArgs	args;
	uint64		n;

	dmesh_suggest_init(&s, word, strlen(word));
	if (s.len > DMESH_SUGGEST_MAX_LEN)
		return NULL;
	dmesh_args_init(&args);
	dmesh_arg_int4(&args, s.len - s.max);
	dmesh_arg_int4(&args, s.len + s.max);
	n = dmesh_spi_exec(sql, &args, SPI_OK_SELECT);
	for (uint64 i = 0; i < n; i++)
		dmesh_suggest_try(&s, dmesh_spi_text(i, 1));
	return dmesh_suggest_result(&s);
}

/* The one domain whose name is close to "name", or NULL. */
const char *
dmesh_domain_suggestion(const char *name)
{
	return suggest_from("SELECT name FROM dmesh.domain"
						" WHERE octet_length(name) BETWEEN $1 AND $2", name);
}

/*
 * The one product ('domain.product') not retired whose name is close to
 * "ref", or NULL.
 */
const char *
dmesh_product_suggestion(const char *ref)
{
	return suggest_from("SELECT d.name || '.' || p.name FROM dmesh.data_product p"
						"  JOIN dmesh.domain d ON d.domain_id = p.domain_id"
						" WHERE p.status <> 'retired'"
						"   AND octet_length(d.name) + 1 + octet_length(p.name) BETWEEN $1 AND $2",
						ref);
}

/* Load the domain of that name or fail, suggesting a close name. */
void
dmesh_require_domain(const char *name, DmeshLock lock, DmeshDomain *domain)
{
	const char *hint;

	if (dmesh_load_domain(name, lock, domain))
		return;
	hint = dmesh_domain_suggestion(name);
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("domain \"%s\" does not exist", name),
			 hint ? errhint("Did you mean \"%s\"?", hint) : 0));
}

/*
 * Load the product named 'domain.product' or fail, saying which part is
 * missing and suggesting the product meant: a close product name, or,
 * when the domain is unknown and no product is close, a close domain.
 */
void
dmesh_require_product(const char *ref_text, DmeshLock lock, DmeshProduct *product)
{
	DmeshProductRef ref = dmesh_parse_product_ref(ref_text);
	DmeshDomain domain;
	const char *hint;

	if (dmesh_load_product(&ref, lock, product))
		return;
	hint = dmesh_product_suggestion(ref_text);
	if (!dmesh_load_domain(ref.domain, DMESH_NO_LOCK, &domain))
	{
		if (hint == NULL)
			hint = dmesh_domain_suggestion(ref.domain);
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("domain \"%s\" does not exist", ref.domain),
				 hint ? errhint("Did you mean \"%s\"?", hint) : 0));
	}
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("data product \"%s\" does not exist", ref_text),
			 hint ? errhint("Did you mean \"%s\"?", hint) : 0));
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
 * The live relation of the product's given major version (of the object
 * the product is seen through), or InvalidOid.
 */
Oid
dmesh_port_relid(const DmeshProduct *product, int major)
{
	DmeshArgs	args;

	/* a product of several objects has a relation per object: name one */
	if (product->object == NULL && dmesh_product_has_objects(product))
		return InvalidOid;

	/*
	 * The object is only named when there is one: update scripts of older
	 * versions run this code against catalogs without output_port.object.
	 */
	dmesh_args_init(&args);
	dmesh_arg_int8(&args, product->id);
	dmesh_arg_int4(&args, major);
	if (product->object != NULL)
		dmesh_arg_text(&args, product->object);
	if (dmesh_spi_exec(product->object == NULL ?
					   "SELECT relation_name FROM dmesh.output_port"
					   " WHERE product_id = $1 AND major = $2 AND status <> 'retired'" :
					   "SELECT relation_name FROM dmesh.output_port"
					   " WHERE product_id = $1 AND major = $2 AND status <> 'retired'"
					   "   AND object = $3",
					   &args, SPI_OK_SELECT) == 0)
		return InvalidOid;
	return dmesh_port_relation(product, dmesh_spi_text(0, 1));
}
