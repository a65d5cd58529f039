-- dmesh contracts: data contracts (ODCS v3) and their versions, YAML in and
-- out, checks of a source against its contract, diffs between versions, the
-- contract derived from a source, and the DDL gate (event triggers) that
-- keeps published products to their contracts.  contract_diff(), which adds
-- to _contract_diff() the consumers a change affects, reads usage and so is
-- in lineage.sql, next to dmesh.usage_daily.

-------------------------------------------------------------------------------
-- Catalog
-------------------------------------------------------------------------------

CREATE TABLE @extschema@.contract (
    contract_id  bigserial PRIMARY KEY,
    product_id   bigint NOT NULL REFERENCES @extschema@.data_product (product_id),
    document     jsonb NOT NULL
                 CONSTRAINT contract_document_versioned CHECK (
                     (document OPERATOR(pg_catalog.->>) 'version')
                     OPERATOR(pg_catalog.~) '^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$'),
    version      text GENERATED ALWAYS AS (document OPERATOR(pg_catalog.->>) 'version') STORED,
    major        integer GENERATED ALWAYS AS (
                     pg_catalog.split_part(document OPERATOR(pg_catalog.->>) 'version', '.', 1)::integer) STORED,
    minor        integer GENERATED ALWAYS AS (
                     pg_catalog.split_part(document OPERATOR(pg_catalog.->>) 'version', '.', 2)::integer) STORED,
    patch        integer GENERATED ALWAYS AS (
                     pg_catalog.split_part(document OPERATOR(pg_catalog.->>) 'version', '.', 3)::integer) STORED,
    status       text GENERATED ALWAYS AS (document OPERATOR(pg_catalog.->>) 'status') STORED,
    derived      boolean NOT NULL DEFAULT false,
    set_by       text NOT NULL,
    set_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
    held_schema  jsonb,
    UNIQUE (product_id, version)
);
CREATE INDEX ON @extschema@.contract (product_id, major, minor, patch);
COMMENT ON TABLE @extschema@.contract IS
  'Data contracts: every accepted version of every product''s contract (ODCS v3). The active contract of a product is its highest version; each published major version is served by the highest version of that major.';
COMMENT ON COLUMN @extschema@.contract.contract_id IS 'Identifier of the contract version.';
COMMENT ON COLUMN @extschema@.contract.product_id IS 'Data product the contract belongs to.';
COMMENT ON COLUMN @extschema@.contract.document IS
  'The contract as an ODCS v3 JSON document, with every field as written (unknown fields included).';
COMMENT ON COLUMN @extschema@.contract.version IS 'Semantic version of the contract (from the document).';
COMMENT ON COLUMN @extschema@.contract.major IS 'Major number of the version; part of the published relation''s name.';
COMMENT ON COLUMN @extschema@.contract.minor IS 'Minor number of the version.';
COMMENT ON COLUMN @extschema@.contract.patch IS 'Patch number of the version.';
COMMENT ON COLUMN @extschema@.contract.status IS 'ODCS status of the contract (from the document), e.g. active.';
COMMENT ON COLUMN @extschema@.contract.held_schema IS
  'When the document leaves the schema to the source (no schema object, or objects without properties): the schema the product is held to, derived from its sources when the version was accepted (the document''s objects with their properties filled in). NULL when the document lists every property.';
COMMENT ON COLUMN @extschema@.contract.derived IS
  'True when dmesh wrote the contract from the source because the product came without one. A derived contract stands in until the team sets one: the team''s first contract replaces it whatever its version, and contracts the team wrote are active before derived ones.';
COMMENT ON COLUMN @extschema@.contract.set_by IS 'Role that set the contract.';
COMMENT ON COLUMN @extschema@.contract.set_at IS 'When the contract was set.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.contract', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.contract_contract_id_seq', '');
REVOKE ALL ON @extschema@.contract FROM PUBLIC;
REVOKE ALL ON SEQUENCE @extschema@.contract_contract_id_seq FROM PUBLIC;
GRANT SELECT ON @extschema@.contract TO PUBLIC;

-------------------------------------------------------------------------------
-- Functions
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.yaml_to_jsonb(yaml text)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'dmesh_yaml_to_jsonb'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.yaml_to_jsonb(text) IS
  'Parse one YAML document into jsonb (YAML 1.2 core schema for plain scalars).';

CREATE FUNCTION @extschema@.jsonb_to_yaml(document jsonb)
RETURNS text
AS 'MODULE_PATHNAME', 'dmesh_jsonb_to_yaml'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.jsonb_to_yaml(jsonb) IS
  'Write jsonb as a YAML document that parses back to the same jsonb; ODCS keys first, in the standard''s order.';

CREATE FUNCTION @extschema@.set_contract(product text, contract text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dmesh_set_contract_text'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.set_contract(text, text) IS
  'Set a new version of a product''s contract from ODCS YAML or JSON text. Returns the contract_id.';

CREATE FUNCTION @extschema@.set_contract(product text, contract jsonb)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dmesh_set_contract_jsonb'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.set_contract(text, jsonb) IS
  'Set a new version of a product''s contract from an ODCS jsonb document. Returns the contract_id.';

CREATE FUNCTION @extschema@.contract_yaml(product text, version text DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'dmesh_contract_yaml'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.contract_yaml(text, text) IS
  'A product''s contract as ODCS YAML: the active version, or the version given.';

CREATE FUNCTION @extschema@.contract_document(product text, version text DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'dmesh_contract_document'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.contract_document(text, text) IS
  'A product''s contract as a jsonb document, ready for jsonb_set and set_contract: the active version, or the version given.';

CREATE FUNCTION @extschema@.contract_check(product text)
RETURNS TABLE (object text, property text, problem text)
AS 'MODULE_PATHNAME', 'dmesh_contract_check'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.contract_check(text) IS
  'Where the live source of a product departs from its active contract: one row per finding, none when they agree.';

CREATE FUNCTION @extschema@._contract_diff(product text, from_version text, to_version text)
RETURNS TABLE (path text, change text, old jsonb, new jsonb, severity text)
AS 'MODULE_PATHNAME', 'dmesh_contract_diff_sql'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@._contract_diff(text, text, text) IS
  'Internal: the changes between two versions of a contract (dmesh.contract_diff without usage).';

CREATE FUNCTION @extschema@.derive_contract(product text, from_published boolean DEFAULT false)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'dmesh_derive_contract'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.derive_contract(text, boolean) IS
  'The contract dmesh would derive from the product''s source as it is now (or from its published relation), as a starting point for a new version. Managers of the product only: it lists the source''s unpublished columns too.';

CREATE FUNCTION @extschema@.set_contract_gate(product text, mode text)
RETURNS void
AS 'MODULE_PATHNAME', 'dmesh_set_contract_gate'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.set_contract_gate(text, text) IS
  'Set what the DDL gate does with changes that would break the product''s contract: enforce (refuse) or warn (allow and record).';

-------------------------------------------------------------------------------
-- The DDL gate
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.ddl_gate()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'dmesh_ddl_gate'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.ddl_gate() IS
  'Event trigger (ddl_command_end): refuses changes to a published product''s source or relation that break its contract.';

CREATE FUNCTION @extschema@.drop_gate()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'dmesh_drop_gate'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.drop_gate() IS
  'Event trigger (sql_drop): refuses to drop a published product''s source or relation.';

CREATE FUNCTION @extschema@.column_gate()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'dmesh_column_gate'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.column_gate() IS
  'Event trigger (ddl_command_start): refuses to drop, retype or rename a source column that a published contract version publishes.';

-- Only commands that can change a relation's columns, name or schema reach
-- the first two; every drop reaches the third.
CREATE EVENT TRIGGER dmesh_column_gate ON ddl_command_start
    WHEN TAG IN ('ALTER TABLE', 'ALTER VIEW', 'ALTER MATERIALIZED VIEW', 'ALTER FOREIGN TABLE')
    EXECUTE FUNCTION @extschema@.column_gate();
CREATE EVENT TRIGGER dmesh_ddl_gate ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE', 'ALTER VIEW', 'ALTER MATERIALIZED VIEW', 'ALTER FOREIGN TABLE',
                 'CREATE VIEW')
    EXECUTE FUNCTION @extschema@.ddl_gate();
CREATE EVENT TRIGGER dmesh_drop_gate ON sql_drop
    EXECUTE FUNCTION @extschema@.drop_gate();
