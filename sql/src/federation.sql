-- dmesh federation: other dmesh databases (peers), reached through
-- postgres_fdw foreign servers.  The connection details stay where
-- PostgreSQL keeps them (the foreign server and its user mappings); dmesh
-- keeps only the name of the server.

CREATE TABLE @extschema@.peer (
    peer_id      bigserial PRIMARY KEY,
    name         text NOT NULL UNIQUE
                 CONSTRAINT peer_name_valid CHECK (
                     name OPERATOR(pg_catalog.<>) ''
                     AND pg_catalog.strpos(name, '.') OPERATOR(pg_catalog.=) 0
                     AND pg_catalog.strpos(name, ':') OPERATOR(pg_catalog.=) 0
                     AND pg_catalog.octet_length(name) OPERATOR(pg_catalog.<=) 50),
    server_name  name NOT NULL,
    added_by     text NOT NULL,
    added_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    status       text NOT NULL DEFAULT 'new'
                 CONSTRAINT peer_status_valid
                 CHECK (status OPERATOR(pg_catalog.=) ANY (ARRAY['new', 'ok', 'unreachable', 'incompatible'])),
    last_sync_at timestamptz,
    last_error   text,
    last_error_at timestamptz
);
COMMENT ON TABLE @extschema@.peer IS
  'Other dmesh databases this one is federated with, each reached through a postgres_fdw foreign server (the user mapping decides which remote role this database acts as). Readable by every role; connection details are not here.';
COMMENT ON COLUMN @extschema@.peer.peer_id IS 'Identifier of the peer.';
COMMENT ON COLUMN @extschema@.peer.name IS 'Name of the peer in this mesh: no dot, no colon, at most 50 bytes (a remote product is named peer:domain.product).';
COMMENT ON COLUMN @extschema@.peer.server_name IS 'The postgres_fdw foreign server that reaches the peer.';
COMMENT ON COLUMN @extschema@.peer.added_by IS 'Role that added the peer.';
COMMENT ON COLUMN @extschema@.peer.added_at IS 'When the peer was added.';
COMMENT ON COLUMN @extschema@.peer.status IS 'new (never synced), ok (last sync succeeded), unreachable (last sync could not connect), incompatible (the peer has no dmesh, or one too old).';
COMMENT ON COLUMN @extschema@.peer.last_sync_at IS 'When the last successful sync started.';
COMMENT ON COLUMN @extschema@.peer.last_error IS 'The last sync''s error, without values, with its SQLSTATE.';
COMMENT ON COLUMN @extschema@.peer.last_error_at IS 'When the last sync failed.';
GRANT SELECT ON @extschema@.peer TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.peer', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.peer_peer_id_seq', '');

-------------------------------------------------------------------------------
-- Peers: add_peer, drop_peer (fed_peer.c)
-------------------------------------------------------------------------------

-- Each peer's dmesh.mesh_export is read through a foreign table that
-- add_peer creates, dmesh._peer_export_<peer_id>: owned by the extension
-- owner, readable only by the role that added the peer, so that
-- postgres_fdw connects with that role's user mapping.  (Not in a schema of
-- its own: every dmesh_<name> could be a domain's.)

CREATE FUNCTION @extschema@.add_peer(name text, server name)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dmesh_add_peer'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.add_peer(text, name) IS
  'Register another dmesh database, reached through a postgres_fdw foreign server, as a peer of this mesh; returns its peer_id. Superusers, and roles with USAGE on the server and CREATE on this database. The peer is synced with the user mapping of the role that added it.';

CREATE FUNCTION @extschema@.drop_peer(name text)
RETURNS void
AS 'MODULE_PATHNAME', 'dmesh_drop_peer'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.drop_peer(text) IS
  'Forget a peer and the copy of its products (dmesh.remote_product). Superusers and roles with the privileges of the role that added it. The foreign server and user mappings stay.';

-------------------------------------------------------------------------------
-- The provider side: what this database shows the mesh
-------------------------------------------------------------------------------

CREATE TABLE @extschema@.mesh_visibility (
    product_id  bigint PRIMARY KEY REFERENCES @extschema@.data_product (product_id),
    visible     boolean NOT NULL,
    set_by      text NOT NULL,
    set_at      timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.mesh_visibility IS
  'Whether a product is shown to the mesh (dmesh.mesh_export); a product without a row is visible. Written by dmesh.set_mesh_visibility.';
COMMENT ON COLUMN @extschema@.mesh_visibility.product_id IS 'The data product.';
COMMENT ON COLUMN @extschema@.mesh_visibility.visible IS 'false: the product is kept local, peers do not see it.';
COMMENT ON COLUMN @extschema@.mesh_visibility.set_by IS 'Role that set it.';
COMMENT ON COLUMN @extschema@.mesh_visibility.set_at IS 'When it was set.';
GRANT SELECT ON @extschema@.mesh_visibility TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.mesh_visibility', '');

CREATE FUNCTION @extschema@.set_mesh_visibility(product text, visible boolean)
RETURNS void
AS 'MODULE_PATHNAME', 'dmesh_set_mesh_visibility'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.set_mesh_visibility(text, boolean) IS
  'Show a product to the mesh (true, the default) or keep it local (false): a product kept local is not in dmesh.mesh_export, and leaves peers'' copies at their next sync. Managers of the product.';

CREATE VIEW @extschema@.mesh_export AS
SELECT d.name                AS domain,
       p.name                AS product,
       port.object,
       port.major,
       port.version,
       CASE WHEN port.status OPERATOR(pg_catalog.=) 'deprecated' THEN 'deprecated'
            ELSE p.status END AS status,
       p.owner::pg_catalog.text AS owner,
       p.description,
       p.tags,
       (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'name', a.attname,
                   'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
                   'description', pg_catalog.col_description(a.attrelid, a.attnum::integer))
                   ORDER BY a.attnum)
          FROM pg_catalog.pg_attribute a
         WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid
           AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) AS columns,
       k.document OPERATOR(pg_catalog.->>) 'id' AS contract_id,
       k.status              AS contract_status,
       qr.score              AS quality_score,
       CASE WHEN inc.open OPERATOR(pg_catalog.>) 0 THEN 'incident' ELSE 'ok' END AS health_status,
       inc.open              AS open_incidents,
       p.published_at,
       GREATEST(p.updated_at, port.updated_at, d.updated_at, k.set_at, qr.finished_at, inc.changed)
                             AS changed_at
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
        SELECT q.score, q.finished_at FROM @extschema@.quality_run q
         WHERE q.product_id OPERATOR(pg_catalog.=) p.product_id
         ORDER BY q.run_id DESC LIMIT 1) qr ON true
  LEFT JOIN LATERAL (
        SELECT pg_catalog.count(*) FILTER (WHERE i.resolved_at IS NULL) AS open,
               pg_catalog.max(GREATEST(i.opened_at, i.resolved_at)) AS changed
          FROM @extschema@.incident i
         WHERE i.product_id OPERATOR(pg_catalog.=) p.product_id) inc ON true
 WHERE p.status OPERATOR(pg_catalog.=) ANY (ARRAY['published', 'deprecated'])
   AND NOT EXISTS (SELECT 1 FROM @extschema@.mesh_visibility v
                    WHERE v.product_id OPERATOR(pg_catalog.=) p.product_id AND NOT v.visible);
COMMENT ON VIEW @extschema@.mesh_export IS
  'What this database shows the mesh: one row per live published relation of a published or deprecated product, unless the product is kept local (dmesh.set_mesh_visibility). Peers read it through postgres_fdw (dmesh.sync_peer), as the remote role of their user mapping. Metadata only, as in dmesh.marketplace; readable by every role.';
COMMENT ON COLUMN @extschema@.mesh_export.domain IS 'Domain of the product.';
COMMENT ON COLUMN @extschema@.mesh_export.product IS 'Name of the product within its domain.';
COMMENT ON COLUMN @extschema@.mesh_export.object IS 'The contract object the relation publishes, for a product with several; NULL otherwise.';
COMMENT ON COLUMN @extschema@.mesh_export.major IS 'Major version served by the relation.';
COMMENT ON COLUMN @extschema@.mesh_export.version IS 'Contract version published through the relation.';
COMMENT ON COLUMN @extschema@.mesh_export.status IS 'published or deprecated.';
COMMENT ON COLUMN @extschema@.mesh_export.owner IS 'Owner role of the product (a name in this database).';
COMMENT ON COLUMN @extschema@.mesh_export.description IS 'Description of the product.';
COMMENT ON COLUMN @extschema@.mesh_export.tags IS 'Tags of the product.';
COMMENT ON COLUMN @extschema@.mesh_export.columns IS 'The published relation''s columns: a JSON array of {name, type, description}.';
COMMENT ON COLUMN @extschema@.mesh_export.contract_id IS 'The id of the ODCS contract.';
COMMENT ON COLUMN @extschema@.mesh_export.contract_status IS 'ODCS status of the contract version.';
COMMENT ON COLUMN @extschema@.mesh_export.quality_score IS 'Score of the latest quality check, in percent; NULL if never checked.';
COMMENT ON COLUMN @extschema@.mesh_export.health_status IS 'ok, or incident when the product has open incidents.';
COMMENT ON COLUMN @extschema@.mesh_export.open_incidents IS 'Number of open incidents of the product.';
COMMENT ON COLUMN @extschema@.mesh_export.published_at IS 'When the product was first published.';
COMMENT ON COLUMN @extschema@.mesh_export.changed_at IS
  'When anything in the row last changed (product, port, domain, contract, quality run, incidents): a peer fetches again only the products whose changed_at differs from its copy.';
GRANT SELECT ON @extschema@.mesh_export TO PUBLIC;

-------------------------------------------------------------------------------
-- The consumer side: the copy of peers' products, sync, the mesh marketplace
-------------------------------------------------------------------------------

CREATE TABLE @extschema@.remote_product (
    peer_id          bigint NOT NULL REFERENCES @extschema@.peer (peer_id) ON DELETE CASCADE,
    domain           text NOT NULL,
    product          text NOT NULL,
    object           text,
    major            integer NOT NULL,
    version          text,
    status           text,
    owner            text,
    description      text,
    tags             text[],
    columns          jsonb,
    contract_id      text,
    contract_status  text,
    quality_score    numeric,
    health_status    text,
    open_incidents   bigint,
    published_at     timestamptz,
    changed_at       timestamptz,
    synced_at        timestamptz NOT NULL,
    CONSTRAINT remote_product_key UNIQUE NULLS NOT DISTINCT (peer_id, domain, product, major, object)
);
COMMENT ON TABLE @extschema@.remote_product IS
  'The copy of the peers'' products (their dmesh.mesh_export), as of each peer''s last sync (dmesh.sync_peer). Kept when a peer is unreachable; dropped with the peer. Written by dmesh only; readable by every role.';
COMMENT ON COLUMN @extschema@.remote_product.peer_id IS 'The peer (dmesh.peer).';
COMMENT ON COLUMN @extschema@.remote_product.domain IS 'Domain of the product on the peer.';
COMMENT ON COLUMN @extschema@.remote_product.product IS 'Name of the product on the peer.';
COMMENT ON COLUMN @extschema@.remote_product.object IS 'The object published, for a product with several; NULL otherwise.';
COMMENT ON COLUMN @extschema@.remote_product.major IS 'Major version of the published relation.';
COMMENT ON COLUMN @extschema@.remote_product.version IS 'Contract version published.';
COMMENT ON COLUMN @extschema@.remote_product.status IS 'published or deprecated.';
COMMENT ON COLUMN @extschema@.remote_product.owner IS 'Owner role of the product, on the peer.';
COMMENT ON COLUMN @extschema@.remote_product.description IS 'Description of the product.';
COMMENT ON COLUMN @extschema@.remote_product.tags IS 'Tags of the product.';
COMMENT ON COLUMN @extschema@.remote_product.columns IS 'Columns of the published relation: a JSON array of {name, type, description}.';
COMMENT ON COLUMN @extschema@.remote_product.contract_id IS 'The id of the ODCS contract.';
COMMENT ON COLUMN @extschema@.remote_product.contract_status IS 'ODCS status of the contract version.';
COMMENT ON COLUMN @extschema@.remote_product.quality_score IS 'Score of the latest quality check on the peer.';
COMMENT ON COLUMN @extschema@.remote_product.health_status IS 'ok, or incident when the product had open incidents.';
COMMENT ON COLUMN @extschema@.remote_product.open_incidents IS 'Open incidents of the product on the peer.';
COMMENT ON COLUMN @extschema@.remote_product.published_at IS 'When the product was first published.';
COMMENT ON COLUMN @extschema@.remote_product.changed_at IS 'The peer''s changed_at of the row: compared at each sync to fetch only what changed.';
COMMENT ON COLUMN @extschema@.remote_product.synced_at IS 'When this row was last fetched from the peer.';
GRANT SELECT ON @extschema@.remote_product TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.remote_product', '');

CREATE FUNCTION @extschema@.sync_peer(name text)
RETURNS TABLE (peer text, status text, listed bigint, fetched bigint, changed bigint,
               removed bigint, error text)
AS 'MODULE_PATHNAME', 'dmesh_sync_peer'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.sync_peer(text) IS
  'Bring the copy of a peer''s products (dmesh.remote_product) up to date: reads the keys and changed_at of the peer''s dmesh.mesh_export, then only the rows that changed; drops the rows the peer no longer shows. A peer that cannot be read keeps its copy: status unreachable (or incompatible), with the error (no values, SQLSTATE) in the result and in dmesh.peer. Superusers and roles with the privileges of the role that added the peer; the background worker syncs every peer every dmesh.peer_sync_interval.';

CREATE VIEW @extschema@.mesh_marketplace AS
SELECT NULL::pg_catalog.text AS peer,
       m.domain OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) m.product AS ref,
       m.domain, m.product, m.object, m.major, m.version, m.status,
       m.owner::pg_catalog.text AS owner, m.description, m.tags,
       (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'name', a.attname,
                   'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
                   'description', pg_catalog.col_description(a.attrelid, a.attnum::integer))
                   ORDER BY a.attnum)
          FROM pg_catalog.pg_attribute a
         WHERE a.attrelid OPERATOR(pg_catalog.=) m.relation::pg_catalog.oid
           AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) AS columns,
       m.contract_status, m.quality_score,
       CASE WHEN m.open_incidents OPERATOR(pg_catalog.>) 0 THEN 'incident' ELSE 'ok' END AS health_status,
       m.open_incidents, m.published_at,
       NULL::timestamptz AS synced_at
  FROM @extschema@.marketplace m
UNION ALL
SELECT pe.name,
       pe.name OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) r.domain
           OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) r.product,
       r.domain, r.product, r.object, r.major, r.version, r.status,
       r.owner, r.description, r.tags, r.columns,
       r.contract_status, r.quality_score, r.health_status, r.open_incidents, r.published_at,
       r.synced_at
  FROM @extschema@.remote_product r
  JOIN @extschema@.peer pe ON pe.peer_id OPERATOR(pg_catalog.=) r.peer_id;
COMMENT ON VIEW @extschema@.mesh_marketplace IS
  'The marketplace of the whole mesh: this database''s products (peer NULL) and the copy of every peer''s (dmesh.remote_product), one row per published relation. Readable by every role.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.peer IS 'The peer the product lives on; NULL for this database.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.ref IS 'The product''s name in the mesh: domain.product here, peer:domain.product on a peer.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.domain IS 'Domain of the product.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.product IS 'Name of the product within its domain.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.object IS 'The object published, for a product with several; NULL otherwise.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.major IS 'Major version of the published relation.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.version IS 'Contract version published.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.status IS 'published or deprecated.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.owner IS 'Owner role of the product, in the database it lives in.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.description IS 'Description of the product.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.tags IS 'Tags of the product.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.columns IS 'Columns of the published relation: a JSON array of {name, type, description}.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.contract_status IS 'ODCS status of the contract version.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.quality_score IS 'Score of the latest quality check.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.health_status IS 'ok, or incident when the product has open incidents.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.open_incidents IS 'Open incidents of the product.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.published_at IS 'When the product was first published.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.synced_at IS 'For a peer''s product, when its row was last fetched; the peer''s last_sync_at (dmesh.peer) says when the copy was last checked.';
GRANT SELECT ON @extschema@.mesh_marketplace TO PUBLIC;

CREATE FUNCTION @extschema@.mesh_search(query text)
RETURNS TABLE (
    rank             real,
    peer             text,
    ref              text,
    domain           text,
    product          text,
    object           text,
    major            integer,
    version          text,
    status           text,
    owner            text,
    description      text,
    tags             text[],
    quality_score    numeric,
    health_status    text,
    synced_at        timestamptz,
    last_sync_at     timestamptz)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET client_min_messages = warning
BEGIN ATOMIC
    SELECT (pg_catalog.ts_rank(x.doc, q.q, 1)
            OPERATOR(pg_catalog.+) CASE WHEN x.exact THEN 1 ELSE 0 END)::real AS rank,
           m.peer, m.ref, m.domain, m.product, m.object, m.major, m.version, m.status,
           m.owner, m.description, m.tags, m.quality_score, m.health_status, m.synced_at,
           pe.last_sync_at
      FROM @extschema@.mesh_marketplace m
      LEFT JOIN @extschema@.peer pe ON pe.name OPERATOR(pg_catalog.=) m.peer
      CROSS JOIN LATERAL (
            SELECT pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
                       pg_catalog.concat_ws(' ', m.domain, m.product, m.peer)), 'A')
                OPERATOR(pg_catalog.||) pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
                       pg_catalog.array_to_string(m.tags, ' ')), 'B')
                OPERATOR(pg_catalog.||) pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
                       COALESCE(m.description, '')), 'C')
                OPERATOR(pg_catalog.||) pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
                       COALESCE((SELECT pg_catalog.string_agg(pg_catalog.concat_ws(' ',
                                            c OPERATOR(pg_catalog.->>) 'name',
                                            c OPERATOR(pg_catalog.->>) 'description'), ' ')
                                   FROM pg_catalog.jsonb_array_elements(COALESCE(m.columns, '[]'::jsonb)) c), '')), 'D')
                AS doc,
                   pg_catalog.lower(pg_catalog.btrim(mesh_search.query))
                       OPERATOR(pg_catalog.=) ANY (ARRAY[pg_catalog.lower(m.product),
                           pg_catalog.lower(m.domain OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) m.product),
                           pg_catalog.lower(m.ref)]) AS exact) x,
           pg_catalog.websearch_to_tsquery('pg_catalog.english'::pg_catalog.regconfig, mesh_search.query) AS q(q)
     WHERE x.doc OPERATOR(pg_catalog.@@) q.q OR x.exact
     ORDER BY 1 DESC, m.peer NULLS FIRST, m.domain, m.product, m.major, m.object;
END;
COMMENT ON FUNCTION @extschema@.mesh_search(text) IS
  'Rows of dmesh.mesh_marketplace (this database''s products and the copy of every peer''s) matching a web-search style query, best match first: an exact name, then weighted full-text relevance (names, tags, description, columns). Answers from the local copy; last_sync_at says how old a peer''s rows may be.';
