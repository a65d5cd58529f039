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
