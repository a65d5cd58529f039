-- dmesh products as code: a data product as an Open Data Product Standard
-- (ODPS v1.0.0) document, and the functions a client calls to keep products
-- in files: plan_product and apply_product (make the product match a
-- document and its ODCS contracts), contract_diff_document (a candidate
-- contract against the active one) and lint_document (check a document,
-- touching nothing).  See docs/products-as-code.md.

-------------------------------------------------------------------------------
-- Catalog
-------------------------------------------------------------------------------

CREATE TABLE @extschema@.applied_product (
    product_id   bigint PRIMARY KEY REFERENCES @extschema@.data_product (product_id),
    document_id  text NOT NULL UNIQUE
                 CONSTRAINT applied_product_document_id_given CHECK (document_id OPERATOR(pg_catalog.<>) ''),
    kept         jsonb NOT NULL DEFAULT '{}'
                 CONSTRAINT applied_product_kept_object CHECK (pg_catalog.jsonb_typeof(kept) OPERATOR(pg_catalog.=) 'object'),
    applied_by   text NOT NULL,
    applied_at   timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.applied_product IS
  'Data products applied from an ODPS document (dmesh.apply_product): the document''s id, and the fields dmesh keeps as written because it has no home for them or they say otherwise than dmesh would derive them; dmesh.product_document writes them back. Readable by every role, like the products.';
COMMENT ON COLUMN @extschema@.applied_product.product_id IS 'The data product.';
COMMENT ON COLUMN @extschema@.applied_product.document_id IS
  'The id of the ODPS document the product was last applied with: the id dmesh.product_document gives it. Unique: one document, one product.';
COMMENT ON COLUMN @extschema@.applied_product.kept IS
  'What dmesh keeps of the document as written: top-level fields (tenant, authoritativeDefinitions, managementPorts, productCreatedTs, team, support, inputPorts), description fields (limitations, usage, authoritativeDefinitions, customProperties), customProperties of the document''s own, and each output port''s own fields under "<name> <version>" (outputPorts).';
COMMENT ON COLUMN @extschema@.applied_product.applied_by IS 'Role that last changed the row (by applying a document).';
COMMENT ON COLUMN @extschema@.applied_product.applied_at IS 'When it last changed.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.applied_product', '');
REVOKE ALL ON @extschema@.applied_product FROM PUBLIC;
GRANT SELECT ON @extschema@.applied_product TO PUBLIC;

-------------------------------------------------------------------------------
-- Functions (C).  None is SECURITY DEFINER: each reads as its caller, and
-- apply_product changes the product by calling dmesh's functions as the
-- caller, which check the caller's rights.
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.product_document(product text)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'dmesh_product_document'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.product_document(text) IS
  'The data product as an Open Data Product Standard (ODPS v1.0.0) document: id, name, version, status, domain, description, tags, team, support, input ports (from lineage), output ports (one per published relation, with its contract''s id), and dmesh''s customProperties (owner, source, contract gate, enforcement, schedule, agreements, policies, deprecation), in the shape dmesh.apply_product reads back. Agreements and schedules as far as the caller may see them.';

CREATE FUNCTION @extschema@.product_yaml(product text)
RETURNS text
AS 'MODULE_PATHNAME', 'dmesh_product_yaml'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.product_yaml(text) IS
  'The data product as an ODPS v1.0.0 document in YAML (dmesh.product_document).';

CREATE FUNCTION @extschema@.apply_product(document text, contracts text[] DEFAULT '{}')
RETURNS TABLE (product text, kind text, item text, change text, breaking boolean,
               consumers text[], detail text)
AS 'MODULE_PATHNAME', 'dmesh_apply_product_text'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.apply_product(text, text[]) IS
  'Create or change a data product to match an ODPS document (YAML or JSON) and the ODCS contracts its output ports name (by contractId and version), by calling dmesh''s functions as the caller: create_data_product, set_contract, retire_data_product, create_policy and drop_policy, publish, deprecate and retire, grant_access and revoke_access, enforce_contract, set_schedule, set_contract_gate. One row per change made; none, and nothing logged, when the product matches already. A breaking contract change within a major version of a live product is refused, naming the roles that read what it breaks.';

CREATE FUNCTION @extschema@.apply_product(document jsonb, contracts text[] DEFAULT '{}')
RETURNS TABLE (product text, kind text, item text, change text, breaking boolean,
               consumers text[], detail text)
AS 'MODULE_PATHNAME', 'dmesh_apply_product_jsonb'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.apply_product(jsonb, text[]) IS
  'dmesh.apply_product with the ODPS document as jsonb (dmesh.product_document gives one).';

CREATE FUNCTION @extschema@.plan_product(document text, contracts text[] DEFAULT '{}')
RETURNS TABLE (product text, kind text, item text, change text, breaking boolean,
               consumers text[], detail text)
AS 'MODULE_PATHNAME', 'dmesh_plan_product_text'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.plan_product(text, text[]) IS
  'What dmesh.apply_product would change, changing nothing: the same rows, each breaking contract change with the consumer roles that read what it breaks in the last 30 days (as far as the caller may see usage), and change refused for what apply_product would refuse.';

CREATE FUNCTION @extschema@.plan_product(document jsonb, contracts text[] DEFAULT '{}')
RETURNS TABLE (product text, kind text, item text, change text, breaking boolean,
               consumers text[], detail text)
AS 'MODULE_PATHNAME', 'dmesh_plan_product_jsonb'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.plan_product(jsonb, text[]) IS
  'dmesh.plan_product with the ODPS document as jsonb.';

CREATE FUNCTION @extschema@._contract_diff_document(product text, contract text)
RETURNS TABLE (path text, change text, old jsonb, new jsonb, severity text)
AS 'MODULE_PATHNAME', 'dmesh_contract_diff_document'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@._contract_diff_document(text, text) IS
  'Internal: dmesh.contract_diff_document without the consumers. The changes from a product''s active contract to a candidate contract (ODCS YAML or JSON, checked as set_contract checks it, stored nowhere).';

-- The changes of a candidate contract with the consumers each breaking
-- change affects, as contract_diff (lineage.sql) gives them.
CREATE FUNCTION @extschema@.contract_diff_document(product text, contract text)
RETURNS TABLE (path text, change text, old jsonb, new jsonb, severity text, affected_consumers bigint)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT d.path, d.change, d.old, d.new, d.severity,
           CASE WHEN d.severity = 'breaking' THEN (
               SELECT count(DISTINCT u.consumer)
                 FROM @extschema@.usage_daily u
                 JOIN @extschema@.data_product p ON p.product_id = u.product_id
                 JOIN @extschema@.domain dm ON dm.domain_id = p.domain_id
                WHERE dm.name || '.' || p.name = contract_diff_document.product
                  AND u.day > CURRENT_DATE - 30
                  AND (substring(d.path FROM '^schema\[[^]]*\]\.properties\[([^]]*)\]') IS NULL
                       OR substring(d.path FROM '^schema\[[^]]*\]\.properties\[([^]]*)\]') = ANY (u.columns)))
           END
      FROM @extschema@._contract_diff_document(contract_diff_document.product,
                                               contract_diff_document.contract) AS d
$$;
COMMENT ON FUNCTION @extschema@.contract_diff_document(text, text) IS
  'Changes from a product''s active contract to a candidate contract (ODCS YAML or JSON, not stored), each added/removed/changed with its severity for consumers, and for breaking changes the number of consumer roles that read the property concerned (or the product, for changes to the whole object) in the last 30 days, as dmesh.contract_diff.';

CREATE FUNCTION @extschema@.lint_document(document text)
RETURNS TABLE (kind text, path text, severity text, message text, hint text)
AS 'MODULE_PATHNAME', 'dmesh_lint_document'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.lint_document(text) IS
  'Check an ODCS contract (kind DataContract) or an ODPS data product document (kind DataProduct), YAML or JSON, against its standard''s schema and dmesh''s rules, touching no data and no catalog: one row per problem (error, or warning for a likely typo the standard allows) with its path and hint; no rows when the document is valid.';
