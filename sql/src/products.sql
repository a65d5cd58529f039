-- dmesh products: the lifecycle of domains and data products, from creation
-- (from a relation, a query, or a query materialized into a table) through
-- publication of their output ports to deprecation and retirement, and the
-- relation consumers query.  Access agreements are in governance.sql.

-------------------------------------------------------------------------------
-- Functions (C).  None is SECURITY DEFINER: each checks its caller, then does
-- its catalog work as the extension owner with search_path pinned.
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.create_domain(
    name text,
    owner regrole DEFAULT pg_catalog.quote_ident(CURRENT_USER)::pg_catalog.regrole,
    description text DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dmesh_create_domain'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.create_domain(text, regrole, text) IS
  'Create a domain owned by a role, with a schema dmesh_<name> for its published relations. Returns the domain_id.';

CREATE FUNCTION @extschema@.create_data_product(
    domain text,
    name text,
    source text DEFAULT NULL,
    description text DEFAULT NULL,
    owner regrole DEFAULT NULL,
    tags text[] DEFAULT '{}',
    contract text DEFAULT NULL,
    refresh interval DEFAULT NULL,
    materialize boolean DEFAULT false,
    sources jsonb DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dmesh_create_data_product'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.create_data_product(text, text, text, text, regrole, text[], text, interval, boolean, jsonb) IS
  'Create a draft data product in a domain from a relation name or a SELECT query, with its contract (YAML or JSON) or one derived from the source. Without a source, each object of the contract is read from the relation its physicalName names, or from sources (a jsonb object mapping object names to relations or queries); a contract with several objects publishes one relation per object. With materialize, a query is materialized into a table of the product (refreshed by dmesh.refresh_product, and by the worker every refresh). Returns the product_id.';

CREATE FUNCTION @extschema@.publish_data_product(product text)
RETURNS regclass
AS 'MODULE_PATHNAME', 'dmesh_publish_data_product'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.publish_data_product(text) IS
  'Publish (or refresh) a data product: create or replace its published relation, apply its grants. Returns the relation.';

CREATE FUNCTION @extschema@.deprecate_data_product(product text, reason text, sunset date DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'dmesh_deprecate_data_product'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.deprecate_data_product(text, text, date) IS
  'Mark a published data product as deprecated, with a reason and an optional sunset date. It stays queryable.';

CREATE FUNCTION @extschema@.retire_data_product(product text, major integer DEFAULT NULL,
                                                "cascade" boolean DEFAULT false)
RETURNS void
AS 'MODULE_PATHNAME', 'dmesh_retire_data_product'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.retire_data_product(text, integer, boolean) IS
  'Retire a data product (or only an older major version): its published relations are dropped, history kept. Objects of other roles that depend on them make it fail, naming them and their owners, unless cascade is true: then they are dropped with them, as DROP ... CASCADE by the views'' owner would (never another product''s relations), and listed in the event log. Final.';

CREATE FUNCTION @extschema@.product_relation(product text, major integer DEFAULT NULL, object text DEFAULT NULL)
RETURNS regclass
AS 'MODULE_PATHNAME', 'dmesh_product_relation'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.product_relation(text, integer, text) IS
  'The relation consumers query for a published or deprecated data product: of the given major version, or of the current one; for a product with several objects, of the object named.';

CREATE FUNCTION @extschema@._suggest_product(product text)
RETURNS text
AS 'MODULE_PATHNAME', 'dmesh_suggest_product'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION @extschema@._suggest_product(text) IS
  'Internal: the one data product (domain.product, not retired) whose name is a typo away from the one given, or NULL: the "Did you mean" hint of errors about unknown products.';
