-- Usage: with shared_preload_libraries = 'dmesh' (as in these tests), an
-- executor hook counts, per published relation and reading role, queries,
-- rows returned, first and last read and the columns referenced, in shared
-- memory; dmesh.flush_usage() moves them into dmesh.usage_daily, seen
-- through dmesh.usage and the marketplace.  Other tests leave counts of
-- their own: flush them first.
SELECT dmesh.usage_enabled();
SELECT enabled, max_entries FROM dmesh.usage_status();
SELECT dmesh.flush_usage() >= 0 AS flushed_earlier_counts;

CREATE ROLE use_team NOLOGIN;
CREATE ROLE use_ana NOLOGIN;
CREATE ROLE use_bob NOLOGIN;
CREATE ROLE use_nobody NOLOGIN;
SELECT dmesh.create_domain('usage', 'use_team') > 0 AS created;
CREATE SCHEMA use_src AUTHORIZATION use_team;
SET ROLE use_team;
CREATE TABLE use_src.orders (id int PRIMARY KEY, amount numeric, note text);
INSERT INTO use_src.orders SELECT g, g * 10, 'n' || g FROM generate_series(1, 10) g;
SELECT dmesh.create_data_product('usage', 'orders', 'use_src.orders', 'Orders') > 0 AS created;
SELECT dmesh.publish_data_product('usage.orders');
SELECT dmesh.grant_access('usage.orders', 'use_ana') > 0 AS granted;
SELECT dmesh.grant_access('usage.orders', 'use_bob') > 0 AS granted;
RESET ROLE;

-- ana: three queries (a self-join is one query), 2 + 1 + 10 rows.
SET ROLE use_ana;
SELECT id, amount FROM dmesh_usage.orders_v1 WHERE id <= 2 ORDER BY id;
SELECT a.id FROM dmesh_usage.orders_v1 a JOIN dmesh_usage.orders_v1 b USING (id) WHERE a.id = 5;
SELECT count(*) FROM dmesh_usage.orders_v1;
RESET ROLE;
-- bob: one query of note; a read in a rolled-back transaction still happened.
SET ROLE use_bob;
BEGIN;
SELECT note FROM dmesh_usage.orders_v1 WHERE id = 3;
ROLLBACK;
RESET ROLE;
-- Not counted: reads of the source by its owner, EXPLAIN without ANALYZE,
-- and reads while tracking is off.
SET ROLE use_team;
SELECT count(*) FROM use_src.orders;
RESET ROLE;
EXPLAIN (COSTS OFF) SELECT count(*) FROM dmesh_usage.orders_v1;
SET dmesh.track_usage = off;
SET ROLE use_ana;
SELECT count(*) FROM dmesh_usage.orders_v1;
RESET ROLE;
RESET dmesh.track_usage;

-- Flushing moves the counts: once.
SELECT dmesh.flush_usage() > 0 AS flushed;
SELECT dmesh.flush_usage() AS flushed_again;
SELECT product, consumer, queries, rows, columns, first_read <= last_read AS ordered
  FROM dmesh.usage WHERE product = 'usage.orders' ORDER BY consumer;
SELECT consumers_30d, reads_30d FROM dmesh.marketplace WHERE domain = 'usage';

-- A flush rolled back leaves the counts to the next one.
SET ROLE use_ana;
SELECT id FROM dmesh_usage.orders_v1 WHERE id = 1;
RESET ROLE;
BEGIN;
SELECT dmesh.flush_usage() AS flushed_then_rolled_back;
ROLLBACK;
SELECT dmesh.flush_usage() AS flushed;
SELECT consumer, queries, rows FROM dmesh.usage WHERE product = 'usage.orders' ORDER BY consumer;

-- Who sees what: managers all, a consumer its own, others nothing.
SET ROLE use_bob;
SELECT consumer, queries FROM dmesh.usage WHERE product = 'usage.orders';
RESET ROLE;
SET ROLE use_team;
SELECT consumer, queries FROM dmesh.usage WHERE product = 'usage.orders' ORDER BY consumer;
RESET ROLE;
SET ROLE use_nobody;
SELECT count(*) FROM dmesh.usage WHERE product = 'usage.orders';
SELECT count(*) FROM dmesh.usage_daily;
SELECT count(*) FROM dmesh.impact('usage.orders') WHERE kind = 'consumer';
INSERT INTO dmesh.usage_daily VALUES (1, 'use_nobody', current_date, 1, 1, now(), now(), '{}');
SELECT dmesh.flush_usage();
RESET ROLE;

-- Impact: the consumers that read the columns in question, and what is derived.
CREATE VIEW use_src.big AS SELECT id, amount * 2 AS doubled FROM dmesh_usage.orders_v1 WHERE amount > 30;
SELECT kind, name, affected_columns, reads, hops FROM dmesh.impact('usage.orders');
SELECT kind, name, affected_columns, reads, hops FROM dmesh.impact('usage.orders', ARRAY['note']);
SELECT kind, name, affected_columns, reads, hops FROM dmesh.impact('usage.orders', ARRAY['amount']);
SELECT * FROM dmesh.impact('usage.nothing');
-- A product made from a query over the published relation is affected
-- too: its own published relation is derived from the columns in question.
SET ROLE use_team;
SELECT dmesh.create_data_product('usage', 'totals',
       'SELECT sum(amount) AS total FROM dmesh_usage.orders_v1') > 0 AS created;
SELECT dmesh.publish_data_product('usage.totals');
RESET ROLE;
SELECT kind, name, affected_columns, hops FROM dmesh.impact('usage.orders', ARRAY['amount'])
 WHERE kind <> 'consumer';
SELECT count(*) AS products FROM dmesh.impact('usage.orders', ARRAY['note']) WHERE kind = 'product';
SET ROLE use_team;
SELECT dmesh.retire_data_product('usage.totals');
RESET ROLE;
-- contract_diff counts the consumers of a removed property.
SET ROLE use_team;
SELECT dmesh.set_contract('usage.orders',
         jsonb_set(jsonb_set(dmesh.derive_contract('usage.orders'), '{version}', '"2.0.0"'),
                   '{schema,0,properties}',
                   (dmesh.derive_contract('usage.orders') -> 'schema' -> 0 -> 'properties') - 2)) > 0 AS set;
SELECT path, change, severity, affected_consumers
  FROM dmesh.contract_diff('usage.orders', '1.0.0', '2.0.0') ORDER BY path;
RESET ROLE;
-- A consumer counts only itself.
SET ROLE use_bob;
SELECT path, affected_consumers FROM dmesh.contract_diff('usage.orders', '1.0.0', '2.0.0')
 WHERE severity = 'breaking';
RESET ROLE;
