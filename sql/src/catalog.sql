-- dmesh catalog: the schema, the core tables (domains, data products, their
-- output ports, access agreements, the event log) with their row-level
-- security, and the two tests every visibility rule is built from:
-- manages() (the product's owners) and _insider() (its managers and
-- consumers).
--
-- This is the first of the concept files; the Makefile concatenates them,
-- in dependency order, into the install script sql/dmesh--<version>.sql.

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
                        CHECK (source_kind OPERATOR(pg_catalog.=) ANY (ARRAY['relation', 'query', 'objects'])),
    source_relation     regclass,
    source_query        text,
    deprecation_reason  text,
    sunset              date,
    created_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
    published_at        timestamptz,
    deprecated_at       timestamptz,
    retired_at          timestamptz,
    contract_gate       text NOT NULL DEFAULT 'enforce'
                        CONSTRAINT data_product_contract_gate_valid
                        CHECK (contract_gate OPERATOR(pg_catalog.=) ANY (ARRAY['enforce', 'warn'])),
    materialize_query   text,
    UNIQUE (domain_id, name),
    CONSTRAINT data_product_source_present CHECK (
        (source_kind OPERATOR(pg_catalog.=) 'relation'
            AND source_relation IS NOT NULL AND source_query IS NULL)
        OR (source_kind OPERATOR(pg_catalog.=) 'query'
            AND source_relation IS NULL AND source_query IS NOT NULL)
        OR (source_kind OPERATOR(pg_catalog.=) 'objects'
            AND source_relation IS NULL AND source_query IS NULL)),
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
  'Version of the product''s active (highest) contract; its major number is part of the published relation''s name.';
COMMENT ON COLUMN @extschema@.data_product.source_kind IS
  'relation when the product exposes a table, view, materialized view or foreign table; query when it exposes a SELECT; objects when its contract has several objects, each with its own source (dmesh.product_object).';
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
COMMENT ON COLUMN @extschema@.data_product.contract_gate IS
  'What the DDL gate does with a change that would break the contract: enforce (refuse it) or warn (allow it, record a contract breach).';
COMMENT ON COLUMN @extschema@.data_product.materialize_query IS
  'For a materialized product: the query its data table (its source_relation) is refreshed from; NULL otherwise.';

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
    object         text,
    CONSTRAINT output_port_retirement_consistent CHECK (
        (status OPERATOR(pg_catalog.=) 'retired') OPERATOR(pg_catalog.=) (retired_at IS NOT NULL)),
    CONSTRAINT output_port_product_major_object_key UNIQUE NULLS NOT DISTINCT (product_id, major, object)
);
COMMENT ON TABLE @extschema@.output_port IS
  'Output ports: each published relation of a data product, one per major version (and per object, for a product whose contract has several). The relation lives in the domain''s schema.';
COMMENT ON COLUMN @extschema@.output_port.port_id IS 'Identifier of the output port.';
COMMENT ON COLUMN @extschema@.output_port.product_id IS 'Data product the port belongs to.';
COMMENT ON COLUMN @extschema@.output_port.major IS 'Major version served by the port.';
COMMENT ON COLUMN @extschema@.output_port.version IS 'Full version last published through the port.';
COMMENT ON COLUMN @extschema@.output_port.relation_name IS
  'Name of the published view in the domain''s schema: <product>_v<major>, or <product>_<object>_v<major> for a product with several objects.';
COMMENT ON COLUMN @extschema@.output_port.status IS
  'active, deprecated (still queryable) or retired (relation dropped).';
COMMENT ON COLUMN @extschema@.output_port.created_at IS 'When the port was first published.';
COMMENT ON COLUMN @extschema@.output_port.updated_at IS 'When the port was last published or changed state.';
COMMENT ON COLUMN @extschema@.output_port.retired_at IS 'When the port''s relation was dropped.';
COMMENT ON COLUMN @extschema@.output_port.object IS
  'The contract object the relation publishes, for a product whose contract has several; NULL for a product with one.';
-- Published relations by name (lineage and impact look them up).
CREATE INDEX output_port_relation_name_idx ON @extschema@.output_port (relation_name);

CREATE TABLE @extschema@.product_object (
    product_id       bigint NOT NULL REFERENCES @extschema@.data_product (product_id),
    object           text NOT NULL,
    position         integer NOT NULL,
    source_kind      text NOT NULL
                     CONSTRAINT product_object_source_kind_valid
                     CHECK (source_kind OPERATOR(pg_catalog.=) ANY (ARRAY['relation', 'query'])),
    source_relation  regclass,
    source_query     text,
    created_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (product_id, object),
    CONSTRAINT product_object_source_present CHECK (
        (source_kind OPERATOR(pg_catalog.=) 'relation'
            AND source_relation IS NOT NULL AND source_query IS NULL)
        OR (source_kind OPERATOR(pg_catalog.=) 'query'
            AND source_relation IS NULL AND source_query IS NOT NULL))
);
CREATE INDEX ON @extschema@.product_object (source_relation);
COMMENT ON TABLE @extschema@.product_object IS
  'The objects of a data product whose contract has several (source_kind objects): each object''s source, from which its own relation is published. A product with one object keeps its source in dmesh.data_product.';
COMMENT ON COLUMN @extschema@.product_object.product_id IS 'The data product.';
COMMENT ON COLUMN @extschema@.product_object.object IS 'Name of the object in the contract''s schema.';
COMMENT ON COLUMN @extschema@.product_object.position IS 'Order of the objects, as first listed.';
COMMENT ON COLUMN @extschema@.product_object.source_kind IS 'relation or query, as for a product''s source.';
COMMENT ON COLUMN @extschema@.product_object.source_relation IS 'The object''s source relation (source_kind = relation).';
COMMENT ON COLUMN @extschema@.product_object.source_query IS
  'The object''s source query with every name schema-qualified (source_kind = query).';
COMMENT ON COLUMN @extschema@.product_object.created_at IS 'When the object was added to the product.';

-- Every product's sources: its one source, or one per object.
CREATE VIEW @extschema@.product_sources AS
SELECT p.product_id, NULL::text AS object, p.source_kind, p.source_relation, p.source_query
  FROM @extschema@.data_product p
 WHERE p.source_kind OPERATOR(pg_catalog.<>) 'objects'
UNION ALL
SELECT o.product_id, o.object, o.source_kind, o.source_relation, o.source_query
  FROM @extschema@.product_object o;
COMMENT ON VIEW @extschema@.product_sources IS
  'Where each data product reads its rows: one row per product with one source (object NULL), one per object for a product with several (dmesh.product_object).';
COMMENT ON COLUMN @extschema@.product_sources.product_id IS 'The data product.';
COMMENT ON COLUMN @extschema@.product_sources.object IS 'The object, for a product with several; NULL otherwise.';
COMMENT ON COLUMN @extschema@.product_sources.source_kind IS 'relation or query.';
COMMENT ON COLUMN @extschema@.product_sources.source_relation IS 'The source relation (source_kind = relation).';
COMMENT ON COLUMN @extschema@.product_sources.source_query IS 'The source query (source_kind = query).';

CREATE TABLE @extschema@.access_grant (
    grant_id    bigserial PRIMARY KEY,
    product_id  bigint NOT NULL REFERENCES @extschema@.data_product (product_id),
    consumer    regrole NOT NULL,
    granted_by  text NOT NULL,
    granted_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    row_filter  text,
    purpose     text,
    expires_at  timestamptz,
    unmask      text[] NOT NULL DEFAULT '{}',
    request_id  bigint,
    updated_at  timestamptz,
    UNIQUE (product_id, consumer)
);
COMMENT ON TABLE @extschema@.access_grant IS
  'Access agreements: which consumer roles may read which data product, which rows (row_filter), for what purpose, until when, and which masked columns they see in clear. Without a row here a role cannot read the product (default deny). A role sees the agreements it holds and those of the products it manages.';
COMMENT ON COLUMN @extschema@.access_grant.grant_id IS 'Identifier of the grant.';
COMMENT ON COLUMN @extschema@.access_grant.product_id IS 'Data product the grant is on.';
COMMENT ON COLUMN @extschema@.access_grant.consumer IS 'Role allowed to read the product (and its members).';
COMMENT ON COLUMN @extschema@.access_grant.granted_by IS 'Role that made the grant.';
COMMENT ON COLUMN @extschema@.access_grant.granted_at IS 'When the grant was made.';
COMMENT ON COLUMN @extschema@.access_grant.row_filter IS
  'Boolean expression over the product''s published columns: the consumer sees only the rows where it is true; NULL for all rows. Kept as dmesh validated it.';
COMMENT ON COLUMN @extschema@.access_grant.purpose IS 'What the consumer uses the product for.';
COMMENT ON COLUMN @extschema@.access_grant.expires_at IS
  'When the agreement stops working (checked by every query, nothing to run); NULL for never.';
COMMENT ON COLUMN @extschema@.access_grant.unmask IS
  'Published columns the consumer sees in clear although a masking policy covers them.';
COMMENT ON COLUMN @extschema@.access_grant.request_id IS 'The access request the agreement was approved from, if any.';
COMMENT ON COLUMN @extschema@.access_grant.updated_at IS 'When the agreement''s terms last changed.';

CREATE TABLE @extschema@.event_log (
    event_id         bigserial PRIMARY KEY,
    event_time       timestamptz NOT NULL DEFAULT pg_catalog.now(),
    role_name        text NOT NULL,
    session_role     text NOT NULL,
    action           text NOT NULL,
    object_type      text NOT NULL
                     CONSTRAINT event_log_object_type_valid
                     CHECK (object_type OPERATOR(pg_catalog.=) ANY (
                         ARRAY['domain', 'data_product', 'output_port', 'access_grant', 'contract',
                               'access_request', 'policy', 'peer'])),
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
  'What happened: create_domain, create_data_product, publish, republish, deprecate, retire, grant_access, revoke_access, set_contract, set_contract_gate, contract_breach, enforce_contract, release_quarantine, discard_quarantine, request_access, approve_access, deny_access, create_policy, drop_policy, policy_violation, set_schedule, refresh, refresh_failed, describe (description or tags changed by apply_product), apply_document (the id of a product''s ODPS document, or what dmesh keeps of it, changed), apply_product (a document applied, with the number of changes), add_peer, drop_peer, set_mesh_visibility, ddl (DDL on a product''s source or published relation: details hold the command tag, the relation, the objects changed and the statement).';
COMMENT ON COLUMN @extschema@.event_log.object_type IS
  'Kind of object changed: domain, data_product, output_port, access_grant, contract, access_request, policy or peer.';
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
SELECT pg_catalog.pg_extension_config_dump('@extschema@.product_object', '');
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
GRANT SELECT ON @extschema@.product_object, @extschema@.product_sources TO PUBLIC;

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
-- Who may read a product's operational details
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@._insider(product_id bigint)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT EXISTS (
        SELECT 1 FROM @extschema@.data_product p
         WHERE p.product_id OPERATOR(pg_catalog.=) _insider.product_id
           AND @extschema@.manages(p.domain_id, p.product_id))
        OR EXISTS (
        SELECT 1 FROM @extschema@.access_grant g
         WHERE g.product_id OPERATOR(pg_catalog.=) _insider.product_id
           AND pg_catalog.pg_has_role(g.consumer::pg_catalog.oid, 'USAGE'));
END;
COMMENT ON FUNCTION @extschema@._insider(bigint) IS
  'Internal: true when the current role manages the product or holds an access agreement on it (it, or a role it has the privileges of); such roles may read the product''s incidents, job errors and quality details.';
