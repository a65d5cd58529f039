-- The provider side and the mesh marketplace: dmesh.mesh_export shows the
-- live products not kept local (dmesh.set_mesh_visibility, managers only);
-- dmesh.sync_peer against this very database through a loopback server
-- copies them into dmesh.remote_product, incrementally; mesh_marketplace
-- and mesh_search show local and remote rows.
CREATE EXTENSION postgres_fdw;
CREATE ROLE fx_team NOLOGIN;
CREATE ROLE fx_other NOLOGIN;
SELECT dmesh.create_domain('fxsales', 'fx_team') > 0 AS created;
CREATE SCHEMA fx_src AUTHORIZATION fx_team;
SET ROLE fx_team;
CREATE TABLE fx_src.orders (id int PRIMARY KEY, amount numeric);
COMMENT ON COLUMN fx_src.orders.amount IS 'Order total in euros';
CREATE TABLE fx_src.refunds (id int PRIMARY KEY);
CREATE TABLE fx_src.drafty (id int PRIMARY KEY);
SELECT dmesh.create_data_product('fxsales', 'orders', 'fx_src.orders',
         description => 'Every customer order', tags => '{sales,finance}') > 0 AS created;
SELECT dmesh.create_data_product('fxsales', 'refunds', 'fx_src.refunds',
         description => 'Refunds paid') > 0 AS created;
SELECT dmesh.create_data_product('fxsales', 'drafty', 'fx_src.drafty') > 0 AS created;
SELECT dmesh.publish_data_product('fxsales.orders') IS NOT NULL AS published;
SELECT dmesh.publish_data_product('fxsales.refunds') IS NOT NULL AS published;
RESET ROLE;

-- Published products only, columns as jsonb; drafts are not shown.
SELECT domain, product, object, major, version, status, owner, description, tags, columns,
       health_status, open_incidents, changed_at IS NOT NULL AS has_changed_at
  FROM dmesh.mesh_export WHERE domain = 'fxsales' ORDER BY product;

-- Visibility: managers only; NULLs and unknown products refused.
SET ROLE fx_other;
SELECT dmesh.set_mesh_visibility('fxsales.refunds', false);
RESET ROLE;
SELECT dmesh.set_mesh_visibility('fxsales.refunds', NULL);
SELECT dmesh.set_mesh_visibility('fxsales.nothing', false);
SET ROLE fx_team;
SELECT dmesh.set_mesh_visibility('fxsales.refunds', false);
RESET ROLE;
SELECT product FROM dmesh.mesh_export WHERE domain = 'fxsales' ORDER BY product;
-- Still in the local marketplace: visibility is about peers.
SELECT product FROM dmesh.marketplace WHERE domain = 'fxsales' ORDER BY product;
SELECT action, object_identity, details FROM dmesh.event_log
 WHERE action = 'set_mesh_visibility' ORDER BY event_id;

-- A loopback peer: this database, through postgres_fdw.
DO $$
BEGIN
    EXECUTE format('CREATE SERVER fx_loop FOREIGN DATA WRAPPER postgres_fdw'
                   ' OPTIONS (host %L, port %L, dbname %L, connect_timeout ''5'')',
                   split_part(current_setting('unix_socket_directories'), ',', 1),
                   current_setting('port'), current_database());
END
$$;
CREATE USER MAPPING FOR CURRENT_USER SERVER fx_loop;
SELECT dmesh.add_peer('self', 'fx_loop') > 0 AS added;
SELECT peer, status, listed >= 1 AS listed, fetched = listed AS all_fetched, changed = listed AS all_new,
       removed, error
  FROM dmesh.sync_peer('self');
SELECT domain, product, major, version, status, description, tags, columns
  FROM dmesh.remote_product WHERE domain = 'fxsales' ORDER BY product;
SELECT status, last_sync_at IS NOT NULL AS synced, last_error FROM dmesh.peer WHERE name = 'self';
-- Nothing changed: nothing fetched, nothing written.
SELECT status, fetched, changed, removed FROM dmesh.sync_peer('self');

-- A change to one product: only its row is fetched and written.
SET ROLE fx_team;
SELECT dmesh.set_mesh_visibility('fxsales.refunds', true);
RESET ROLE;
SELECT status, fetched, changed, removed FROM dmesh.sync_peer('self');
SELECT product FROM dmesh.remote_product WHERE domain = 'fxsales' ORDER BY product;
-- Kept local again: removed from the copy, nothing fetched.
SET ROLE fx_team;
SELECT dmesh.set_mesh_visibility('fxsales.refunds', false);
RESET ROLE;
SELECT status, fetched, changed, removed FROM dmesh.sync_peer('self');
SELECT product FROM dmesh.remote_product WHERE domain = 'fxsales' ORDER BY product;

-- The mesh marketplace: local rows (peer NULL) and the peer's copy.
SELECT peer, ref, status, synced_at IS NOT NULL AS copied
  FROM dmesh.mesh_marketplace WHERE domain = 'fxsales' ORDER BY peer NULLS FIRST, ref;
SELECT peer, ref, rank > 0 AS ranked, last_sync_at IS NOT NULL AS peer_synced
  FROM dmesh.mesh_search('customer orders') WHERE domain = 'fxsales';
-- Column comments are searched too; an exact name comes first.
SELECT ref FROM dmesh.mesh_search('euros') WHERE domain = 'fxsales';
SELECT ref, rank >= 1 AS exact FROM dmesh.mesh_search('self:fxsales.orders') LIMIT 1;
SELECT count(*) FROM dmesh.mesh_search('nothing matches this');
-- Every role reads the marketplace, the copy and the export.
SET ROLE fx_other;
SELECT count(*) > 0 AS reads FROM dmesh.mesh_marketplace;
SELECT count(*) > 0 AS reads FROM dmesh.remote_product;
SELECT count(*) > 0 AS reads FROM dmesh.mesh_export;
RESET ROLE;
SELECT dmesh.drop_peer('self');
SELECT count(*) AS copy_left FROM dmesh.remote_product;
-- A database without dmesh: incompatible, with the remote error's SQLSTATE.
DO $$
BEGIN
    EXECUTE format('CREATE SERVER fx_plain FOREIGN DATA WRAPPER postgres_fdw'
                   ' OPTIONS (host %L, port %L, dbname ''template1'', connect_timeout ''5'')',
                   split_part(current_setting('unix_socket_directories'), ',', 1),
                   current_setting('port'));
END
$$;
CREATE USER MAPPING FOR CURRENT_USER SERVER fx_plain;
SELECT dmesh.add_peer('plain', 'fx_plain') > 0 AS added;
SELECT peer, status, listed, fetched, changed, removed, error FROM dmesh.sync_peer('plain');
SELECT status, last_sync_at, last_error FROM dmesh.peer WHERE name = 'plain';
SELECT dmesh.drop_peer('plain');
-- postgres_fdw goes, with the servers and user mappings (other tests create it).
SET client_min_messages = warning;
DROP EXTENSION postgres_fdw CASCADE;
RESET client_min_messages;
