-- Subscriptions to peers' products: argument errors and privileges that
-- need no peer to answer (the two-node behaviour is test/t/016).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS postgres_fdw;
RESET client_min_messages;
CREATE ROLE sub_analyst LOGIN;
CREATE ROLE sub_other LOGIN;
CREATE SERVER sub_srv FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '/nonexistent', dbname 'x');
CREATE SERVER sub_srv2 FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '/nonexistent', dbname 'x');
SELECT dmesh.add_peer('sub_hq', 'sub_srv') > 0 AS added;
CREATE SCHEMA sub_ana AUTHORIZATION sub_analyst;

-- Arguments.
SELECT dmesh.subscribe(NULL, 'sales.orders');
SELECT dmesh.subscribe('sub_hq', NULL);
SELECT dmesh.subscribe('sub_hq', 'sales.orders', mode => 'copy');
SELECT dmesh.subscribe('sub_hq', 'sales.orders', mode => 'replica');
SELECT dmesh.subscribe('sub_hq', 'sales.orders', major => -1);
SELECT dmesh.subscribe('sub_hq', 'orders');
SELECT dmesh.subscribe('nowhere', 'sales.orders');
SELECT dmesh.subscribe('sub_hq', 'sales.orders', into_schema => 'no_such_schema');
SELECT dmesh.unsubscribe(NULL, 'sales.orders');
SELECT dmesh.unsubscribe('sub_hq', 'sales.orders');

-- Privileges: the schema, the foreign server.
SET ROLE sub_other;
SELECT dmesh.subscribe('sub_hq', 'sales.orders', into_schema => 'sub_ana');
RESET ROLE;
SET ROLE sub_analyst;
SELECT dmesh.subscribe('sub_hq', 'sales.orders', into_schema => 'sub_ana');
RESET ROLE;

-- Only superusers (the worker) check subscriptions.
SET ROLE sub_analyst;
SELECT dmesh.check_subscriptions();
RESET ROLE;

-- The catalog is written by dmesh only.
SET ROLE sub_analyst;
INSERT INTO dmesh.subscription (peer_id, remote_domain, remote_product, remote_product_id, major, columns,
                                remote_relation, mode, relation, created_by)
VALUES (1, 'a', 'b', 1, 1, '[]', 'a.b_v1', 'live', 'pg_class', 'sub_analyst');
RESET ROLE;

-- A role can record a subscription only for its own foreign table on the
-- peer's server.
GRANT USAGE ON FOREIGN SERVER sub_srv, sub_srv2 TO sub_analyst, sub_other;
CREATE FOREIGN TABLE sub_ana.theirs (id int) SERVER sub_srv;
SET ROLE sub_analyst;
CREATE FOREIGN TABLE sub_ana.wrong_server (id int) SERVER sub_srv2;
CREATE FOREIGN TABLE sub_ana.mine (id int) SERVER sub_srv OPTIONS (schema_name 'dmesh_sales', table_name 'orders_v1');
SELECT dmesh._sub_record((SELECT peer_id FROM dmesh.peer WHERE name = 'sub_hq'), 'sales', 'orders', 1, 1, NULL, NULL,
                         '[{"name": "id", "type": "integer"}]', 'dmesh_sales.orders_v1', 'live', 'sub_ana.theirs');
SELECT dmesh._sub_record((SELECT peer_id FROM dmesh.peer WHERE name = 'sub_hq'), 'sales', 'orders', 1, 1, NULL, NULL,
                         '[{"name": "id", "type": "integer"}]', 'dmesh_sales.orders_v1', 'live', 'sub_ana.wrong_server');
SELECT dmesh._sub_record((SELECT peer_id FROM dmesh.peer WHERE name = 'sub_hq'), 'sales', 'orders', 1, 1, NULL, NULL,
                         '[{"name": "id", "type": "integer"}]', 'dmesh_sales.orders_v1', 'live', 'sub_ana.mine') > 0 AS recorded;
RESET ROLE;
SELECT name, major, relation, status, created_by FROM dmesh.subscribed_products;
SELECT DISTINCT source, target FROM dmesh.lineage_edge WHERE target = 'sub_ana.mine' AND closed_at IS NULL;
-- Only its subscriber (or a role with its privileges) forgets it.
SET ROLE sub_other;
\set VERBOSITY terse
SELECT dmesh._sub_forget((SELECT subscription_id FROM dmesh.subscription));
\set VERBOSITY default
SELECT dmesh.unsubscribe('sub_hq', 'sales.orders');
RESET ROLE;
SET ROLE sub_analyst;
SELECT dmesh.unsubscribe('sub_hq', 'sales.orders', 2);
SELECT dmesh.unsubscribe('sub_hq', 'sales.orders', 1);
SELECT to_regclass('sub_ana.mine'), (SELECT count(*) FROM dmesh.subscription);
RESET ROLE;

-- A subscription whose relation its owner drops is forgotten by the next check.
SET ROLE sub_analyst;
CREATE FOREIGN TABLE sub_ana.dropped (id int) SERVER sub_srv;
SELECT dmesh._sub_record((SELECT peer_id FROM dmesh.peer WHERE name = 'sub_hq'), 'sales', 'orders', 1, 1, NULL, NULL,
                         '[{"name": "id", "type": "integer"}]', 'dmesh_sales.orders_v1', 'live', 'sub_ana.dropped') > 0 AS recorded;
DROP FOREIGN TABLE sub_ana.dropped;
RESET ROLE;
SELECT count(*) FROM dmesh.subscription;
SELECT dmesh.check_subscriptions();
SELECT count(*) FROM dmesh.subscription;

-- An incident belongs to a product or to a subscription, not both.
\set VERBOSITY terse
INSERT INTO dmesh.incident (kind) VALUES ('upstream_change');
\set VERBOSITY default

DROP SCHEMA sub_ana CASCADE;
SELECT dmesh.drop_peer('sub_hq');
DROP SERVER sub_srv, sub_srv2 CASCADE;
DROP ROLE sub_analyst, sub_other;
