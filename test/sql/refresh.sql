-- Materialized products and write-audit-publish refresh: a product made
-- from a query with materialize => true keeps its rows in a table of its
-- own; dmesh.refresh_product builds new rows beside it, checks every rule
-- of the contract on them, and publishes them (the product's views read
-- the new table) only if no error rule failed.  Otherwise consumers keep
-- the last good rows, the build is kept as <product>_data_failed (owner
-- only), and a quality incident is opened; a good refresh resolves it.
CREATE ROLE rf_team NOLOGIN;
CREATE ROLE rf_reader NOLOGIN;
SELECT dmesh.create_domain('refresh', 'rf_team') > 0 AS created;
CREATE SCHEMA rf_src AUTHORIZATION rf_team;
SET ROLE rf_team;
CREATE TABLE rf_src.orders (id int PRIMARY KEY, amount numeric);
INSERT INTO rf_src.orders SELECT g, g * 10 FROM generate_series(1, 5) g;
SELECT dmesh.create_data_product('refresh', 'big', 'SELECT id, amount FROM rf_src.orders WHERE amount > 10',
  materialize => true, refresh => '1 hour', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: refresh-big
version: 1.0.0
status: active
schema:
  - name: big
    properties:
      - {name: id, logicalType: integer, required: true}
      - {name: amount, logicalType: number, logicalTypeOptions: {maximum: 100}}
$y$) > 0 AS created;
SELECT source_kind, source_relation, materialize_query IS NOT NULL AS materialized
  FROM dmesh.data_product WHERE name = 'big' AND domain_id = (SELECT domain_id FROM dmesh.domain WHERE name = 'refresh');
SELECT refresh_every, next_refresh_at > now() AS later FROM dmesh.schedule s
  JOIN dmesh.data_product p USING (product_id) WHERE p.name = 'big' AND p.domain_id = (SELECT domain_id FROM dmesh.domain WHERE name = 'refresh');
SELECT dmesh.publish_data_product('refresh.big');
SELECT dmesh.grant_access('refresh.big', 'rf_reader') > 0 AS granted;
RESET ROLE;
SET ROLE rf_reader;
SELECT count(*) AS rows_seen FROM dmesh_refresh.big_v1;
RESET ROLE;

-- New source rows reach consumers only with a refresh.
SET ROLE rf_team;
INSERT INTO rf_src.orders VALUES (6, 60), (7, 70);
SELECT count(*) AS before_refresh FROM dmesh_refresh.big_v1;
SELECT * FROM dmesh.refresh_product('refresh.big');
SELECT count(*) AS after_refresh FROM dmesh_refresh.big_v1;
-- A build that breaks an error rule is not published.
INSERT INTO rf_src.orders VALUES (8, 800);
SELECT * FROM dmesh.refresh_product('refresh.big');
SELECT count(*) AS still_last_good, max(amount) FROM dmesh_refresh.big_v1;
SELECT count(*) AS kept_build, max(amount) FROM dmesh_refresh.big_data_failed;
RESET ROLE;
SELECT product, open_incidents FROM dmesh.marketplace WHERE domain = 'refresh';
SELECT kind, occurrences, resolved_at IS NULL AS open, detail->'failed_rules' AS failed_rules
  FROM dmesh.incident i JOIN dmesh.data_product p USING (product_id) WHERE p.name = 'big' AND p.domain_id = (SELECT domain_id FROM dmesh.domain WHERE name = 'refresh');
-- Consumers keep their privileges and cannot read the failed build.
SET ROLE rf_reader;
SELECT count(*) FROM dmesh_refresh.big_v1;
SELECT count(*) FROM dmesh_refresh.big_data_failed;
RESET ROLE;
-- Good data again: published, the incident resolved.
SET ROLE rf_team;
DELETE FROM rf_src.orders WHERE id = 8;
SELECT published, rows, failed_rules FROM dmesh.refresh_product('refresh.big');
RESET ROLE;
SELECT kind, occurrences, resolved_at IS NULL AS open
  FROM dmesh.incident i JOIN dmesh.data_product p USING (product_id) WHERE p.name = 'big' AND p.domain_id = (SELECT domain_id FROM dmesh.domain WHERE name = 'refresh');
-- What refreshes replaced waits for dmesh._refresh_cleanup (the worker runs
-- it in a transaction of its own, so that no reader waits for the drop).
-- dmesh.replaced_data lists them (never found by a name pattern); each
-- exists under the name recorded.
SELECT x.kind, count(*) AS replaced_tables,
       bool_and(EXISTS (SELECT FROM pg_class c WHERE c.oid = x.relid AND c.relname = x.relname
                           AND c.relnamespace = 'dmesh_refresh'::regnamespace)) AS present
  FROM dmesh.replaced_data x JOIN dmesh.data_product p USING (product_id)
 WHERE p.name = 'big' GROUP BY x.kind ORDER BY 1;
SELECT dmesh._refresh_cleanup() AS dropped;
SELECT count(*) AS replaced_tables FROM dmesh.replaced_data x JOIN dmesh.data_product p USING (product_id)
 WHERE p.name = 'big';
SELECT to_regclass('dmesh_refresh.big_data_failed') AS failed_build;
SELECT source_relation FROM dmesh.data_product WHERE name = 'big'
   AND domain_id = (SELECT domain_id FROM dmesh.domain WHERE name = 'refresh');
SELECT action, details - 'failed_rules' AS details FROM dmesh.event_log
 WHERE object_identity = 'refresh.big' AND action LIKE 'refresh%' ORDER BY event_id;

-- Refused: not materialized, not a query, a non-manager, refresh without materialize.
SET ROLE rf_team;
CREATE TABLE rf_src.plain (id int);
SELECT dmesh.create_data_product('refresh', 'plain', 'rf_src.plain') > 0 AS created;
SELECT * FROM dmesh.refresh_product('refresh.plain');
SELECT dmesh.create_data_product('refresh', 'plain2', 'rf_src.plain', materialize => true);
SELECT dmesh.create_data_product('refresh', 'plain3', 'SELECT 1 AS x', refresh => '1 hour');
SELECT dmesh.create_data_product('refresh', 'plain4', 'SELECT 1 AS x', materialize => true, refresh => '0 s');
RESET ROLE;
SET ROLE rf_reader;
SELECT * FROM dmesh.refresh_product('refresh.big');
RESET ROLE;

-- Names that are patterns of each other ("p%" and "pz_data_old_1": the
-- first's old tables once matched LIKE 'p%_data_old_%'), and a name of 50
-- bytes: every table dmesh makes has a name that fits, and cleanup drops
-- only what it recorded.
SET ROLE rf_team;
SELECT dmesh.create_data_product('refresh', 'p%', 'SELECT id FROM rf_src.orders', materialize => true) > 0 AS created;
SELECT dmesh.create_data_product('refresh', 'pz_data_old_1', 'SELECT id FROM rf_src.orders', materialize => true) > 0 AS created;
SELECT dmesh.create_data_product('refresh', repeat('n', 50), 'SELECT id FROM rf_src.orders', materialize => true) > 0 AS created;
SELECT published FROM dmesh.refresh_product('refresh.p%');
SELECT published FROM dmesh.refresh_product('refresh.pz_data_old_1');
SELECT published FROM dmesh.refresh_product('refresh.' || repeat('n', 50));
SELECT published FROM dmesh.refresh_product('refresh.' || repeat('n', 50));
RESET ROLE;
SELECT dmesh._refresh_cleanup() AS dropped;
SELECT p.name, c.relname IS NOT NULL AS data_table_present, count(x.*) AS left_to_drop
  FROM dmesh.data_product p
  LEFT JOIN pg_class c ON c.oid = p.source_relation
  LEFT JOIN dmesh.replaced_data x ON x.product_id = p.product_id
 WHERE p.name IN ('p%', 'pz_data_old_1', repeat('n', 50))
 GROUP BY 1, 2 ORDER BY 1;
