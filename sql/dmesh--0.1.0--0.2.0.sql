-- dmesh 0.1.0 -> 0.2.0: contracts (ODCS v3), versions and diffs, the DDL gate.
\echo Use "ALTER EXTENSION dmesh UPDATE TO '0.2.0'" to load this file. \quit

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
COMMENT ON COLUMN @extschema@.contract.derived IS
  'True when dmesh wrote the contract from the source because the product came without one.';
COMMENT ON COLUMN @extschema@.contract.set_by IS 'Role that set the contract.';
COMMENT ON COLUMN @extschema@.contract.set_at IS 'When the contract was set.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.contract', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.contract_contract_id_seq', '');
REVOKE ALL ON @extschema@.contract FROM PUBLIC;
REVOKE ALL ON SEQUENCE @extschema@.contract_contract_id_seq FROM PUBLIC;
GRANT SELECT ON @extschema@.contract TO PUBLIC;

ALTER TABLE @extschema@.data_product
    ADD COLUMN contract_gate text NOT NULL DEFAULT 'enforce'
    CONSTRAINT data_product_contract_gate_valid
    CHECK (contract_gate OPERATOR(pg_catalog.=) ANY (ARRAY['enforce', 'warn']));
COMMENT ON COLUMN @extschema@.data_product.contract_gate IS
  'What the DDL gate does with a change that would break the contract: enforce (refuse it) or warn (allow it, record a contract breach).';
COMMENT ON COLUMN @extschema@.data_product.version IS
  'Version of the product''s active (highest) contract; its major number is part of the published relation''s name.';

ALTER TABLE @extschema@.event_log DROP CONSTRAINT event_log_object_type_valid;
ALTER TABLE @extschema@.event_log ADD CONSTRAINT event_log_object_type_valid
    CHECK (object_type OPERATOR(pg_catalog.=) ANY (
        ARRAY['domain', 'data_product', 'output_port', 'access_grant', 'contract']));
COMMENT ON COLUMN @extschema@.event_log.action IS
  'What happened: create_domain, create_data_product, publish, republish, deprecate, retire, grant_access, revoke_access, set_contract, set_contract_gate, contract_breach.';
COMMENT ON COLUMN @extschema@.event_log.object_type IS
  'Kind of object changed: domain, data_product, output_port, access_grant or contract.';

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

DROP FUNCTION @extschema@.create_data_product(text, text, text, text, regrole, text[]);
CREATE FUNCTION @extschema@.create_data_product(
    domain text,
    name text,
    source text,
    description text DEFAULT NULL,
    owner regrole DEFAULT NULL,
    tags text[] DEFAULT '{}',
    contract text DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dmesh_create_data_product'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.create_data_product(text, text, text, text, regrole, text[], text) IS
  'Create a draft data product in a domain from a relation name or a SELECT query, with its contract (YAML or JSON) or one derived from the source. Returns the product_id.';

DROP FUNCTION @extschema@.product_relation(text);
CREATE FUNCTION @extschema@.product_relation(product text, major integer DEFAULT NULL)
RETURNS regclass
AS 'MODULE_PATHNAME', 'dmesh_product_relation'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.product_relation(text, integer) IS
  'The relation consumers query for a published or deprecated data product: of the given major version, or of the current one.';

DROP FUNCTION @extschema@.retire_data_product(text);
CREATE FUNCTION @extschema@.retire_data_product(product text, major integer DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'dmesh_retire_data_product'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.retire_data_product(text, integer) IS
  'Retire a data product (drop its published relations, keep its history), or only the relation of an older major version.';

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

CREATE FUNCTION @extschema@.contract_check(product text)
RETURNS TABLE (object text, property text, problem text)
AS 'MODULE_PATHNAME', 'dmesh_contract_check'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.contract_check(text) IS
  'Where the live source of a product departs from its active contract: one row per finding, none when they agree.';

CREATE FUNCTION @extschema@.contract_diff(product text, from_version text, to_version text)
RETURNS TABLE (path text, change text, old jsonb, new jsonb, severity text)
AS 'MODULE_PATHNAME', 'dmesh_contract_diff_sql'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.contract_diff(text, text, text) IS
  'Changes between two versions of a product''s contract, each added/removed/changed with its severity for consumers: breaking, warning or info.';

CREATE FUNCTION @extschema@.derive_contract(product text, from_published boolean DEFAULT false)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'dmesh_derive_contract'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.derive_contract(text, boolean) IS
  'The contract dmesh derives from a product''s source as it is now (or from its published relation), as a starting point for a new version. Nothing is stored.';

CREATE FUNCTION @extschema@.set_contract_gate(product text, mode text)
RETURNS void
AS 'MODULE_PATHNAME', 'dmesh_set_contract_gate'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.set_contract_gate(text, text) IS
  'Set what the DDL gate does with changes that would break the product''s contract: enforce (refuse) or warn (allow and record).';

-------------------------------------------------------------------------------
-- Contracts for the products that exist: what consumers see today.
-------------------------------------------------------------------------------

INSERT INTO @extschema@.contract (product_id, document, derived, set_by)
SELECT p.product_id,
       @extschema@.derive_contract(d.name OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) p.name, true),
       true, 'ALTER EXTENSION dmesh UPDATE'
  FROM @extschema@.data_product p
  JOIN @extschema@.domain d ON d.domain_id OPERATOR(pg_catalog.=) p.domain_id
 ORDER BY p.product_id;

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

-------------------------------------------------------------------------------
-- Discovery: versions, contract status and the contract itself
-------------------------------------------------------------------------------

CREATE OR REPLACE VIEW @extschema@.marketplace AS
SELECT d.name                AS domain,
       p.name                AS product,
       p.description,
       p.owner,
       CASE WHEN port.status OPERATOR(pg_catalog.=) 'deprecated' THEN 'deprecated'
            ELSE p.status END AS status,
       p.tags,
       port.version,
       cols.columns,
       c.oid::pg_catalog.regclass AS relation,
       p.deprecation_reason,
       p.sunset,
       p.created_at,
       p.updated_at,
       p.published_at,
       port.major,
       k.status              AS contract_status,
       k.document            AS contract
  FROM @extschema@.data_product p
  JOIN @extschema@.domain d ON d.domain_id OPERATOR(pg_catalog.=) p.domain_id
  JOIN @extschema@.output_port port
    ON port.product_id OPERATOR(pg_catalog.=) p.product_id
   AND port.status OPERATOR(pg_catalog.<>) 'retired'
  LEFT JOIN @extschema@.contract k
    ON k.product_id OPERATOR(pg_catalog.=) p.product_id
   AND k.version OPERATOR(pg_catalog.=) port.version
  LEFT JOIN pg_catalog.pg_namespace n ON n.nspname OPERATOR(pg_catalog.=) d.schema_name
  LEFT JOIN pg_catalog.pg_class c
    ON c.relnamespace OPERATOR(pg_catalog.=) n.oid
   AND c.relname OPERATOR(pg_catalog.=) port.relation_name
  LEFT JOIN LATERAL (
        SELECT pg_catalog.jsonb_agg(
                   pg_catalog.jsonb_build_object(
                       'name', a.attname,
                       'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
                       'description', pg_catalog.col_description(a.attrelid, a.attnum))
                   ORDER BY a.attnum) AS columns
          FROM pg_catalog.pg_attribute a
         WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid
           AND a.attnum OPERATOR(pg_catalog.>) 0
           AND NOT a.attisdropped) cols ON true
 WHERE p.status OPERATOR(pg_catalog.=) ANY (ARRAY['published', 'deprecated']);
COMMENT ON VIEW @extschema@.marketplace IS
  'Published and deprecated data products, one row per live published relation (major version), with their columns and contract. Readable by every role: metadata is discoverable, data is not.';
COMMENT ON COLUMN @extschema@.marketplace.status IS
  'published or deprecated; an older major version superseded by a newer one is deprecated.';
COMMENT ON COLUMN @extschema@.marketplace.version IS 'Contract version published through this relation.';
COMMENT ON COLUMN @extschema@.marketplace.major IS 'Major version served by this relation.';
COMMENT ON COLUMN @extschema@.marketplace.contract_status IS 'ODCS status of that contract version.';
COMMENT ON COLUMN @extschema@.marketplace.contract IS 'That contract version, as an ODCS JSON document.';

CREATE OR REPLACE FUNCTION @extschema@.search_document(m @extschema@.marketplace)
RETURNS tsvector
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
               pg_catalog.concat_ws(' ', m.domain, m.product)), 'A')
        OPERATOR(pg_catalog.||) pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
               pg_catalog.array_to_string(m.tags, ' ')), 'B')
        OPERATOR(pg_catalog.||) pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
               pg_catalog.concat_ws(' ', m.description, m.deprecation_reason,
                   m.contract OPERATOR(pg_catalog.#>>) '{description,purpose}',
                   m.contract OPERATOR(pg_catalog.#>>) '{description,usage}',
                   m.contract OPERATOR(pg_catalog.#>>) '{description,limitations}',
                   m.contract OPERATOR(pg_catalog.#>>) '{schema,0,description}')), 'C')
        OPERATOR(pg_catalog.||) pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
               COALESCE((SELECT pg_catalog.string_agg(
                                    pg_catalog.concat_ws(' ', col OPERATOR(pg_catalog.->>) 'name',
                                                              col OPERATOR(pg_catalog.->>) 'description'), ' ')
                           FROM pg_catalog.jsonb_array_elements(m.columns) AS col), '')
               OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||)
               COALESCE((SELECT pg_catalog.string_agg(
                                    pg_catalog.concat_ws(' ', prop OPERATOR(pg_catalog.->>) 'businessName',
                                                              prop OPERATOR(pg_catalog.->>) 'description'), ' ')
                           FROM pg_catalog.jsonb_array_elements(
                                    m.contract OPERATOR(pg_catalog.#>) '{schema,0,properties}') AS prop), '')), 'D');
END;
COMMENT ON FUNCTION @extschema@.search_document(@extschema@.marketplace) IS
  'Full-text document of a marketplace row, weighted: names A, tags B, descriptions and the contract''s purpose, usage and limitations C, columns, column comments and contract property descriptions D.';

DROP FUNCTION @extschema@.search(text);
CREATE FUNCTION @extschema@.search(query text)
RETURNS TABLE (
    rank               real,
    domain             text,
    product            text,
    description        text,
    owner              regrole,
    status             text,
    tags               text[],
    version            text,
    columns            jsonb,
    relation           regclass,
    deprecation_reason text,
    sunset             date,
    created_at         timestamptz,
    updated_at         timestamptz,
    published_at       timestamptz,
    major              integer,
    contract_status    text,
    contract           jsonb)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET client_min_messages = warning
BEGIN ATOMIC
    SELECT (pg_catalog.ts_rank(@extschema@.search_document(m), q.q, 1)
            OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.lower(pg_catalog.btrim(search.query))
                                  OPERATOR(pg_catalog.=) ANY (ARRAY[pg_catalog.lower(m.product),
                                      pg_catalog.lower(m.domain OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) m.product)])
                        THEN 1 ELSE 0 END)::real AS rank,
           m.domain, m.product, m.description, m.owner, m.status, m.tags, m.version,
           m.columns, m.relation, m.deprecation_reason, m.sunset, m.created_at,
           m.updated_at, m.published_at, m.major, m.contract_status, m.contract
      FROM @extschema@.marketplace m,
           pg_catalog.websearch_to_tsquery('pg_catalog.english'::pg_catalog.regconfig, search.query) AS q(q)
     WHERE @extschema@.search_document(m) OPERATOR(pg_catalog.@@) q.q
     ORDER BY 1 DESC, m.domain, m.product, m.major;
END;
COMMENT ON FUNCTION @extschema@.search(text) IS
  'Marketplace rows matching a web-search style query (words, "phrases", OR, -word), best match first: an exact product name, then weighted full-text relevance.';
