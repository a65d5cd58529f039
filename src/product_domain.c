/*-------------------------------------------------------------------------
 *
 * product_domain.c
 *		dmesh.create_domain(): a team that owns data products.
 *
 * Creating a domain creates the schema dmesh_<domain> that will hold the
 * published relations of its products.  The schema belongs to the
 * extension owner (only dmesh creates objects in it); every role may use
 * it, since reading a published relation still needs a grant.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "commands/comment.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"

#include "dmesh.h"

PG_FUNCTION_INFO_V1(dmesh_create_domain);

Datum
dmesh_create_domain(PG_FUNCTION_ARGS)
{
	char	   *name = dmesh_text_arg(fcinfo, 0, "domain name");
	char	   *description = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	Oid			caller = GetUserId();
	Oid			owner;
	char	   *schema;
	DmeshSection section;
	DmeshDomain existing;
	DmeshArgs	args;
	DmeshJson	details;
	int64		domain_id;

	dmesh_check_name(name, "domain");
	owner = dmesh_role_arg(fcinfo, 1, psprintf("owner of domain \"%s\"", name), false);

	if (pg_database_aclcheck(MyDatabaseId, caller, ACL_CREATE) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to create domain \"%s\"", name),
				 errdetail("Creating a domain creates a schema, which requires the CREATE privilege on database \"%s\".",
						   get_database_name(MyDatabaseId))));
	if (!is_member_of_role(caller, owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be able to SET ROLE \"%s\"", dmesh_role_name(owner)),
				 errdetail("Only members of a role can make it the owner of a domain.")));

	schema = dmesh_domain_schema(name);

	SPI_connect();
	dmesh_enter_privileged(&section);

	/* Serialize domain creation so that duplicates get a clear error. */
	dmesh_spi_utility("LOCK TABLE dmesh.domain IN SHARE ROW EXCLUSIVE MODE");
	if (dmesh_load_domain(name, DMESH_NO_LOCK, &existing))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("domain \"%s\" already exists", name)));
	if (OidIsValid(get_namespace_oid(schema, true)))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_SCHEMA),
				 errmsg("schema \"%s\" already exists", schema),
				 errdetail("dmesh keeps the published relations of domain \"%s\" in schema \"%s\".",
						   name, schema),
				 errhint("Drop or rename that schema, or choose another domain name.")));

	dmesh_spi_utility(psprintf("CREATE SCHEMA %s", quote_identifier(schema)));
	dmesh_spi_utility(psprintf("GRANT USAGE ON SCHEMA %s TO PUBLIC", quote_identifier(schema)));
	CreateComments(get_namespace_oid(schema, false), NamespaceRelationId, 0,
				   psprintf("Published relations of dmesh domain %s. Managed by dmesh; reading a relation needs a grant (dmesh.grant_access).",
							name));

	dmesh_args_init(&args);
	dmesh_arg_text(&args, name);
	dmesh_arg_oid(&args, REGROLEOID, owner);
	dmesh_arg_text(&args, description);
	dmesh_arg_text(&args, schema);
	dmesh_spi_exec("INSERT INTO dmesh.domain (name, owner, description, schema_name)"
				   " VALUES ($1, $2, $3, $4) RETURNING domain_id",
				   &args, SPI_OK_INSERT_RETURNING);
	domain_id = dmesh_spi_int8(0, 1);

	dmesh_json_init(&details);
	dmesh_json_str(&details, "owner", dmesh_role_name(owner));
	dmesh_json_str(&details, "schema", schema);
	dmesh_json_str(&details, "description", description);
	dmesh_log_event(caller, "create_domain", "domain", name, domain_id, 0,
					dmesh_json_finish(&details));

	dmesh_end_call(&section);
	PG_RETURN_INT64(domain_id);
}
