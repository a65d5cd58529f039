-- Peers: dmesh.add_peer and dmesh.drop_peer refuse what is not a
-- postgres_fdw server, names that cannot be a peer's, duplicates, NULLs
-- and roles without the rights; they log what they do, and each peer gets
-- a foreign table only the adding role can read.  No remote server is
-- needed here (test/t/015 syncs real peers).
CREATE EXTENSION postgres_fdw;
CREATE FOREIGN DATA WRAPPER fp_other_fdw;
CREATE SERVER fp_not_pg FOREIGN DATA WRAPPER fp_other_fdw;
CREATE SERVER fp_nowhere FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host '/nonexistent/socket/dir', dbname 'nowhere', connect_timeout '2');
CREATE USER MAPPING FOR CURRENT_USER SERVER fp_nowhere;
CREATE ROLE fp_admin LOGIN;
CREATE ROLE fp_mallory LOGIN;
GRANT USAGE ON FOREIGN SERVER fp_nowhere TO fp_admin, fp_mallory;
DO $$ BEGIN EXECUTE format('GRANT CREATE ON DATABASE %I TO fp_admin', current_database()); END $$;

-- Arguments.
SELECT dmesh.add_peer(NULL, 'fp_nowhere');
SELECT dmesh.add_peer('east', NULL);
SELECT dmesh.add_peer('east', 'fp_missing');
SELECT dmesh.add_peer('east', 'fp_not_pg');
SELECT dmesh.add_peer('', 'fp_nowhere');
SELECT dmesh.add_peer('a.b', 'fp_nowhere');
SELECT dmesh.add_peer('a:b', 'fp_nowhere');
SELECT dmesh.add_peer(repeat('x', 51), 'fp_nowhere');
SELECT dmesh.add_peer(' east', 'fp_nowhere');
SELECT dmesh.drop_peer(NULL);
SELECT dmesh.drop_peer('nobody');
SELECT * FROM dmesh.sync_peer(NULL);
SELECT * FROM dmesh.sync_peer('nobody');

-- Who may add: USAGE on the server and CREATE on the database.
SET ROLE fp_mallory;
SELECT dmesh.add_peer('east', 'fp_nowhere');
SELECT dmesh.add_peer('east', 'fp_not_pg');
RESET ROLE;
SET ROLE fp_admin;
SELECT dmesh.add_peer('east', 'fp_nowhere') > 0 AS added;
SELECT dmesh.add_peer('east', 'fp_nowhere');
RESET ROLE;
SELECT name, server_name, added_by, status, last_sync_at, last_error FROM dmesh.peer;
SELECT action, object_type, object_identity, role_name, details FROM dmesh.event_log
 WHERE object_type = 'peer' AND object_identity = 'east' ORDER BY event_id;
-- The peer's foreign table: the extension owner's, readable by fp_admin only.
SELECT c.relname ~ '^_peer_export_[0-9]+$' AS named, c.relkind,
       c.relowner = (SELECT extowner FROM pg_extension WHERE extname = 'dmesh') AS extension_owners,
       has_table_privilege('fp_admin', c.oid, 'SELECT') AS admin_reads,
       has_table_privilege('fp_mallory', c.oid, 'SELECT') AS mallory_reads,
       ft.ftoptions
  FROM pg_class c JOIN pg_foreign_table ft ON ft.ftrelid = c.oid
 WHERE c.relnamespace = 'dmesh'::regnamespace;

-- Who may sync and drop: the adding role (and roles with its rights), superusers.
SET ROLE fp_mallory;
SELECT * FROM dmesh.sync_peer('east');
SELECT dmesh.drop_peer('east');
DELETE FROM dmesh.peer;
INSERT INTO dmesh.remote_product (peer_id, domain, product, major, synced_at) VALUES (1, 'd', 'p', 1, now());
RESET ROLE;

-- The sync reads as fp_admin, with fp_admin's user mapping (there is
-- none yet), never the superuser's: status unreachable, the error without
-- values, with its SQLSTATE; nothing raised.
SET ROLE fp_admin;
SELECT peer, status, listed, fetched, changed, removed, error FROM dmesh.sync_peer('east');
RESET ROLE;
-- With a mapping: a server that cannot be reached, the same way (no host,
-- no database name in the error).
CREATE USER MAPPING FOR fp_admin SERVER fp_nowhere OPTIONS (user 'fp_admin', password 'secret');
SET ROLE fp_admin;
SELECT peer, status, listed, fetched, changed, removed, error FROM dmesh.sync_peer('east');
RESET ROLE;
SELECT status, last_sync_at, last_error, last_error_at IS NOT NULL AS failed_at FROM dmesh.peer;

-- Dropping: the row, the foreign table and the copy go; logged.
SET ROLE fp_admin;
SELECT dmesh.drop_peer('east');
RESET ROLE;
SELECT count(*) AS peers FROM dmesh.peer;
SELECT count(*) AS foreign_tables FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid
 WHERE c.relnamespace = 'dmesh'::regnamespace;
SELECT action, object_identity, role_name FROM dmesh.event_log
 WHERE object_type = 'peer' AND object_identity = 'east' ORDER BY event_id;
-- A superuser may add a peer on any postgres_fdw server; the name is free again.
SELECT dmesh.add_peer('east', 'fp_nowhere') > 0 AS added_again;
SELECT dmesh.drop_peer('east');
-- postgres_fdw goes, with the servers and user mappings (other tests create it).
SET client_min_messages = warning;
DROP EXTENSION postgres_fdw CASCADE;
RESET client_min_messages;
