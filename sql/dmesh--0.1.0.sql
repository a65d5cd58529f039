-- dmesh 0.1.0: catalogs, data product lifecycle, access, discovery.
\echo Use "CREATE EXTENSION dmesh" to load this file. \quit

-- The schema is created by CREATE EXTENSION (dmesh.control: schema = dmesh).
-- Metadata is discoverable by every role; data is not.
GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;
COMMENT ON SCHEMA @extschema@ IS
  'dmesh catalogs, views and functions: domains, data products, output ports, access grants and the event log';

-------------------------------------------------------------------------------
-- Catalog tables
-------------------------------------------------------------------------------

CREATE TABLE @extschema@.domain (
    domain_id    bigserial PRIMARY KEY,
    name         text NOT NULL UNIQUE
                 CONSTRAINT domain_name_valid CHECK (
                     name OPERATOR(pg_catalog.<>) ''
                     AND pg_catalog.strpos(name, '.') OPERATOR(pg_catalog.=) 0
                     AND pg_catalog.octet_length(name) OPERATOR(pg_catalog.<=) 50
                     AND name OPERATOR(pg_catalog.=) pg_catalog.btrim(name)),
    owner        regrole NOT NULL,
    description  text,
    schema_name  name NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at   timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.domain IS
  'Domains: the teams that own data products. One row per domain; each has a schema holding its published relations.';
COMMENT ON COLUMN @extschema@.domain.domain_id IS 'Identifier of the domain.';
COMMENT ON COLUMN @extschema@.domain.name IS
  'Name of the domain, exactly as created (case-sensitive, no dot, at most 50 bytes).';
COMMENT ON COLUMN @extschema@.domain.owner IS
  'Role owning the domain; it and its members manage the domain''s data products.';
COMMENT ON COLUMN @extschema@.domain.description IS 'Free-text description of the domain.';
COMMENT ON COLUMN @extschema@.domain.schema_name IS
  'Schema holding the published relations of the domain''s products: dmesh_<domain name>.';
COMMENT ON COLUMN @extschema@.domain.created_at IS 'When the domain was created.';
COMMENT ON COLUMN @extschema@.domain.updated_at IS 'When the domain row last changed.';

CREATE TABLE @extschema@.data_product (
    product_id          bigserial PRIMARY KEY,
    domain_id           bigint NOT NULL REFERENCES @extschema@.domain (domain_id),
    name                text NOT NULL
                        CONSTRAINT data_product_name_valid CHECK (
                            name OPERATOR(pg_catalog.<>) ''
                            AND pg_catalog.strpos(name, '.') OPERATOR(pg_catalog.=) 0
                            AND pg_catalog.octet_length(name) OPERATOR(pg_catalog.<=) 50
                            AND name OPERATOR(pg_catalog.=) pg_catalog.btrim(name)),
    description         text,
    owner               regrole NOT NULL,
    tags                text[] NOT NULL DEFAULT '{}'
                        CONSTRAINT data_product_tags_valid CHECK (pg_catalog.array_position(tags, NULL) IS NULL),
    status              text NOT NULL DEFAULT 'draft'
                        CONSTRAINT data_product_status_valid
                        CHECK (status OPERATOR(pg_catalog.=) ANY (ARRAY['draft', 'published', 'deprecated', 'retired'])),
    version             text NOT NULL DEFAULT '1.0.0'
                        CONSTRAINT data_product_version_semver
                        CHECK (version OPERATOR(pg_catalog.~) '^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$'),
    source_kind         text NOT NULL
                        CONSTRAINT data_product_source_kind_valid
                        CHECK (source_kind OPERATOR(pg_catalog.=) ANY (ARRAY['relation', 'query'])),
    source_relation     regclass,
    source_query        text,
    deprecation_reason  text,
    sunset              date,
    created_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
    published_at        timestamptz,
    deprecated_at       timestamptz,
    retired_at          timestamptz,
    UNIQUE (domain_id, name),
    CONSTRAINT data_product_source_present CHECK (
        (source_kind OPERATOR(pg_catalog.=) 'relation'
            AND source_relation IS NOT NULL AND source_query IS NULL)
        OR (source_kind OPERATOR(pg_catalog.=) 'query'
            AND source_relation IS NULL AND source_query IS NOT NULL)),
    CONSTRAINT data_product_deprecation_consistent CHECK (
        (status OPERATOR(pg_catalog.=) 'deprecated') OPERATOR(pg_catalog.=)
        (deprecation_reason IS NOT NULL AND deprecated_at IS NOT NULL)
        OR status OPERATOR(pg_catalog.=) 'retired'),
    CONSTRAINT data_product_retirement_consistent CHECK (
        (status OPERATOR(pg_catalog.=) 'retired') OPERATOR(pg_catalog.=) (retired_at IS NOT NULL))
);
CREATE INDEX ON @extschema@.data_product (source_relation);
COMMENT ON TABLE @extschema@.data_product IS
  'Data products: one row per product of a domain, with its owner, lifecycle status and source. Rows are never deleted; retired products keep their history.';
COMMENT ON COLUMN @extschema@.data_product.product_id IS 'Identifier of the data product.';
COMMENT ON COLUMN @extschema@.data_product.domain_id IS 'Domain the product belongs to.';
COMMENT ON COLUMN @extschema@.data_product.name IS
  'Name of the product within its domain, exactly as created; products are referred to as ''domain.product''.';
COMMENT ON COLUMN @extschema@.data_product.description IS 'What the product contains and what it is for.';
COMMENT ON COLUMN @extschema@.data_product.owner IS
  'Role owning the product: it owns the published relations, which read the source with its privileges.';
COMMENT ON COLUMN @extschema@.data_product.tags IS 'Free-form tags used by discovery.';
COMMENT ON COLUMN @extschema@.data_product.status IS
  'Lifecycle status: draft, published, deprecated or retired.';
COMMENT ON COLUMN @extschema@.data_product.version IS
  'Semantic version of the product; its major number is part of the published relation''s name.';
COMMENT ON COLUMN @extschema@.data_product.source_kind IS
  'relation when the product exposes a table, view, materialized view or foreign table; query when it exposes a SELECT.';
COMMENT ON COLUMN @extschema@.data_product.source_relation IS
  'The source relation (source_kind = relation).';
COMMENT ON COLUMN @extschema@.data_product.source_query IS
  'The source query with every name schema-qualified, as PostgreSQL deparsed it (source_kind = query).';
COMMENT ON COLUMN @extschema@.data_product.deprecation_reason IS 'Why the product was deprecated.';
COMMENT ON COLUMN @extschema@.data_product.sunset IS 'Date after which a deprecated product may be retired.';
COMMENT ON COLUMN @extschema@.data_product.created_at IS 'When the product was created.';
COMMENT ON COLUMN @extschema@.data_product.updated_at IS 'When the product row last changed.';
COMMENT ON COLUMN @extschema@.data_product.published_at IS 'When the product was first published.';
COMMENT ON COLUMN @extschema@.data_product.deprecated_at IS 'When the product was deprecated.';
COMMENT ON COLUMN @extschema@.data_product.retired_at IS 'When the product was retired.';

CREATE TABLE @extschema@.output_port (
    port_id        bigserial PRIMARY KEY,
    product_id     bigint NOT NULL REFERENCES @extschema@.data_product (product_id),
    major          integer NOT NULL CHECK (major OPERATOR(pg_catalog.>=) 0),
    version        text NOT NULL,
    relation_name  name NOT NULL,
    status         text NOT NULL DEFAULT 'active'
                   CONSTRAINT output_port_status_valid
                   CHECK (status OPERATOR(pg_catalog.=) ANY (ARRAY['active', 'deprecated', 'retired'])),
    created_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    retired_at     timestamptz,
    UNIQUE (product_id, major),
    CONSTRAINT output_port_retirement_consistent CHECK (
        (status OPERATOR(pg_catalog.=) 'retired') OPERATOR(pg_catalog.=) (retired_at IS NOT NULL))
);
COMMENT ON TABLE @extschema@.output_port IS
  'Output ports: each published relation of a data product, one per major version. The relation lives in the domain''s schema.';
COMMENT ON COLUMN @extschema@.output_port.port_id IS 'Identifier of the output port.';
COMMENT ON COLUMN @extschema@.output_port.product_id IS 'Data product the port belongs to.';
COMMENT ON COLUMN @extschema@.output_port.major IS 'Major version served by the port.';
COMMENT ON COLUMN @extschema@.output_port.version IS 'Full version last published through the port.';
COMMENT ON COLUMN @extschema@.output_port.relation_name IS
  'Name of the published view in the domain''s schema: <product>_v<major>.';
COMMENT ON COLUMN @extschema@.output_port.status IS
  'active, deprecated (still queryable) or retired (relation dropped).';
COMMENT ON COLUMN @extschema@.output_port.created_at IS 'When the port was first published.';
COMMENT ON COLUMN @extschema@.output_port.updated_at IS 'When the port was last published or changed state.';
COMMENT ON COLUMN @extschema@.output_port.retired_at IS 'When the port''s relation was dropped.';

CREATE TABLE @extschema@.access_grant (
    grant_id    bigserial PRIMARY KEY,
    product_id  bigint NOT NULL REFERENCES @extschema@.data_product (product_id),
    consumer    regrole NOT NULL,
    granted_by  text NOT NULL,
    granted_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    UNIQUE (product_id, consumer)
);
COMMENT ON TABLE @extschema@.access_grant IS
  'Access grants: which consumer roles may read which data product. Without a row here a role cannot read the product (default deny). A role sees the grants it holds and those of the products it manages.';
COMMENT ON COLUMN @extschema@.access_grant.grant_id IS 'Identifier of the grant.';
COMMENT ON COLUMN @extschema@.access_grant.product_id IS 'Data product the grant is on.';
COMMENT ON COLUMN @extschema@.access_grant.consumer IS 'Role allowed to read the product (and its members).';
COMMENT ON COLUMN @extschema@.access_grant.granted_by IS 'Role that made the grant.';
COMMENT ON COLUMN @extschema@.access_grant.granted_at IS 'When the grant was made.';

CREATE TABLE @extschema@.event_log (
    event_id         bigserial PRIMARY KEY,
    event_time       timestamptz NOT NULL DEFAULT pg_catalog.now(),
    role_name        text NOT NULL,
    session_role     text NOT NULL,
    action           text NOT NULL,
    object_type      text NOT NULL
                     CONSTRAINT event_log_object_type_valid
                     CHECK (object_type OPERATOR(pg_catalog.=) ANY (ARRAY['domain', 'data_product', 'output_port', 'access_grant'])),
    object_identity  text NOT NULL,
    domain_id        bigint REFERENCES @extschema@.domain (domain_id),
    product_id       bigint REFERENCES @extschema@.data_product (product_id),
    details          jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX ON @extschema@.event_log (product_id);
CREATE INDEX ON @extschema@.event_log (event_time);
COMMENT ON TABLE @extschema@.event_log IS
  'Every change dmesh makes to the mesh, in order, committed with the change itself. A role sees its own events and those of the domains and products it manages.';
COMMENT ON COLUMN @extschema@.event_log.event_id IS 'Order of the event.';
COMMENT ON COLUMN @extschema@.event_log.event_time IS 'Start of the transaction that made the change.';
COMMENT ON COLUMN @extschema@.event_log.role_name IS 'Role that called dmesh (current_user at the call).';
COMMENT ON COLUMN @extschema@.event_log.session_role IS 'Session user at the call.';
COMMENT ON COLUMN @extschema@.event_log.action IS
  'What happened: create_domain, create_data_product, publish, republish, deprecate, retire, grant_access, revoke_access.';
COMMENT ON COLUMN @extschema@.event_log.object_type IS 'Kind of object changed: domain, data_product, output_port or access_grant.';
COMMENT ON COLUMN @extschema@.event_log.object_identity IS
  'Name of the object changed: the domain name or ''domain.product''.';
COMMENT ON COLUMN @extschema@.event_log.domain_id IS 'Domain concerned.';
COMMENT ON COLUMN @extschema@.event_log.product_id IS 'Data product concerned, if any.';
COMMENT ON COLUMN @extschema@.event_log.details IS 'Facts of the change as jsonb (owner, relation, version, reason, consumer ...).';

-- pg_dump keeps the whole mesh: rows and sequence positions.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.domain', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.domain_domain_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.data_product', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.data_product_product_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.output_port', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.output_port_port_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.access_grant', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.access_grant_grant_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.event_log', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.event_log_event_id_seq', '');

-------------------------------------------------------------------------------
-- Catalog visibility
-------------------------------------------------------------------------------

-- Catalog tables are written only by dmesh's functions, which check the
-- caller and then act as the extension owner.
REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA @extschema@ FROM PUBLIC;
GRANT SELECT ON @extschema@.domain, @extschema@.data_product, @extschema@.output_port,
                @extschema@.access_grant, @extschema@.event_log TO PUBLIC;

CREATE FUNCTION @extschema@.manages(domain_id bigint, product_id bigint DEFAULT NULL)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT EXISTS (
        SELECT 1 FROM @extschema@.domain d
         WHERE d.domain_id OPERATOR(pg_catalog.=) manages.domain_id
           AND pg_catalog.pg_has_role(d.owner::pg_catalog.oid, 'USAGE'))
        OR EXISTS (
        SELECT 1 FROM @extschema@.data_product p
         WHERE p.product_id OPERATOR(pg_catalog.=) manages.product_id
           AND pg_catalog.pg_has_role(p.owner::pg_catalog.oid, 'USAGE'));
END;
COMMENT ON FUNCTION @extschema@.manages(bigint, bigint) IS
  'True when the current role has the privileges of the owner of the given domain or data product (superusers always do).';

ALTER TABLE @extschema@.access_grant ENABLE ROW LEVEL SECURITY;
CREATE POLICY access_grant_visible ON @extschema@.access_grant FOR SELECT TO PUBLIC
    USING (pg_catalog.pg_has_role(consumer::pg_catalog.oid, 'USAGE')
           OR @extschema@.manages(
                  (SELECT p.domain_id FROM @extschema@.data_product p
                    WHERE p.product_id OPERATOR(pg_catalog.=) access_grant.product_id),
                  product_id));

ALTER TABLE @extschema@.event_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY event_log_visible ON @extschema@.event_log FOR SELECT TO PUBLIC
    USING (role_name OPERATOR(pg_catalog.=) CURRENT_USER
           OR @extschema@.manages(domain_id, product_id));

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
    source text,
    description text DEFAULT NULL,
    owner regrole DEFAULT NULL,
    tags text[] DEFAULT '{}')
RETURNS bigint
AS 'MODULE_PATHNAME', 'dmesh_create_data_product'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.create_data_product(text, text, text, text, regrole, text[]) IS
  'Create a draft data product in a domain from a relation name or a SELECT query. Returns the product_id.';

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

CREATE FUNCTION @extschema@.retire_data_product(product text)
RETURNS void
AS 'MODULE_PATHNAME', 'dmesh_retire_data_product'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.retire_data_product(text) IS
  'Retire a data product: drop its published relations; the catalog keeps its history.';

CREATE FUNCTION @extschema@.product_relation(product text)
RETURNS regclass
AS 'MODULE_PATHNAME', 'dmesh_product_relation'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION @extschema@.product_relation(text) IS
  'The relation consumers query for a published or deprecated data product.';

CREATE FUNCTION @extschema@.grant_access(product text, consumer regrole)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dmesh_grant_access'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.grant_access(text, regrole) IS
  'Allow a role (and its members) to read a data product. Returns the grant_id.';

CREATE FUNCTION @extschema@.revoke_access(product text, consumer regrole)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dmesh_revoke_access'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.revoke_access(text, regrole) IS
  'Withdraw a role''s access to a data product. Returns false when the role held no grant.';

-------------------------------------------------------------------------------
-- Discovery
-------------------------------------------------------------------------------

CREATE VIEW @extschema@.marketplace AS
SELECT d.name                AS domain,
       p.name                AS product,
       p.description,
       p.owner,
       p.status,
       p.tags,
       port.version,
       cols.columns,
       c.oid::pg_catalog.regclass AS relation,
       p.deprecation_reason,
       p.sunset,
       p.created_at,
       p.updated_at,
       p.published_at
  FROM @extschema@.data_product p
  JOIN @extschema@.domain d ON d.domain_id OPERATOR(pg_catalog.=) p.domain_id
  JOIN @extschema@.output_port port
    ON port.product_id OPERATOR(pg_catalog.=) p.product_id
   AND port.status OPERATOR(pg_catalog.<>) 'retired'
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
  'Published and deprecated data products, one row per live output port, with their published columns. Readable by every role: metadata is discoverable, data is not.';
COMMENT ON COLUMN @extschema@.marketplace.domain IS 'Domain of the product.';
COMMENT ON COLUMN @extschema@.marketplace.product IS 'Name of the product within its domain.';
COMMENT ON COLUMN @extschema@.marketplace.description IS 'Description of the product.';
COMMENT ON COLUMN @extschema@.marketplace.owner IS 'Owner role of the product.';
COMMENT ON COLUMN @extschema@.marketplace.status IS 'published or deprecated.';
COMMENT ON COLUMN @extschema@.marketplace.tags IS 'Tags of the product.';
COMMENT ON COLUMN @extschema@.marketplace.version IS 'Version published through this relation.';
COMMENT ON COLUMN @extschema@.marketplace.columns IS
  'Published columns as a jsonb array of {name, type, description}.';
COMMENT ON COLUMN @extschema@.marketplace.relation IS 'The relation consumers query.';
COMMENT ON COLUMN @extschema@.marketplace.deprecation_reason IS 'Why the product is deprecated, if it is.';
COMMENT ON COLUMN @extschema@.marketplace.sunset IS 'Planned retirement date of a deprecated product.';
COMMENT ON COLUMN @extschema@.marketplace.created_at IS 'When the product was created.';
COMMENT ON COLUMN @extschema@.marketplace.updated_at IS 'When the product last changed.';
COMMENT ON COLUMN @extschema@.marketplace.published_at IS 'When the product was first published.';
GRANT SELECT ON @extschema@.marketplace TO PUBLIC;

-- The text search document of a marketplace row: names weigh most, then
-- tags, then descriptions, then columns and their comments.
CREATE FUNCTION @extschema@.search_document(m @extschema@.marketplace)
RETURNS tsvector
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
               pg_catalog.concat_ws(' ', m.domain, m.product)), 'A')
        OPERATOR(pg_catalog.||) pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
               pg_catalog.array_to_string(m.tags, ' ')), 'B')
        OPERATOR(pg_catalog.||) pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
               pg_catalog.concat_ws(' ', m.description, m.deprecation_reason)), 'C')
        OPERATOR(pg_catalog.||) pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
               COALESCE((SELECT pg_catalog.string_agg(
                                    pg_catalog.concat_ws(' ', col OPERATOR(pg_catalog.->>) 'name',
                                                              col OPERATOR(pg_catalog.->>) 'description'), ' ')
                           FROM pg_catalog.jsonb_array_elements(m.columns) AS col), '')), 'D');
END;
COMMENT ON FUNCTION @extschema@.search_document(@extschema@.marketplace) IS
  'Full-text document of a marketplace row, weighted: names A, tags B, descriptions C, columns and column comments D.';

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
    published_at       timestamptz)
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
           m.updated_at, m.published_at
      FROM @extschema@.marketplace m,
           pg_catalog.websearch_to_tsquery('pg_catalog.english'::pg_catalog.regconfig, search.query) AS q(q)
     WHERE @extschema@.search_document(m) OPERATOR(pg_catalog.@@) q.q
     ORDER BY 1 DESC, m.domain, m.product, m.version;
END;
COMMENT ON FUNCTION @extschema@.search(text) IS
  'Marketplace rows matching a web-search style query (words, "phrases", OR, -word), best match first: an exact product name, then weighted full-text relevance.';
