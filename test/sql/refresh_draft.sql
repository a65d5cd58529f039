-- dmesh.refresh_product reports published = true only when the new rows
-- are what the product's published relations show: a draft has none, so
-- its good rows become its data and published is false (a notice says
-- what to do); once published, a good refresh publishes.  The event log
-- says the same.
CREATE ROLE rdraft_team NOLOGIN;
CREATE ROLE rdraft_reader NOLOGIN;
SELECT dmesh.create_domain('rdraft', 'rdraft_team') > 0 AS created;
CREATE SCHEMA rdraft_src AUTHORIZATION rdraft_team;
SET ROLE rdraft_team;
CREATE TABLE rdraft_src.orders (id int PRIMARY KEY, amount numeric);
INSERT INTO rdraft_src.orders SELECT g, g * 10 FROM generate_series(1, 3) g;
SELECT dmesh.create_data_product('rdraft', 'totals', 'SELECT id, amount FROM rdraft_src.orders',
  materialize => true, contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: rdraft-totals
version: 1.0.0
status: active
schema:
  - name: totals
    properties:
      - {name: id, logicalType: integer, required: true}
      - {name: amount, logicalType: number, logicalTypeOptions: {maximum: 100}}
$y$) > 0 AS created;
SELECT dmesh.grant_access('rdraft.totals', 'rdraft_reader') > 0 AS granted;

-- A draft: the refresh succeeds and the data table has the new rows, but
-- nothing publishes them.
INSERT INTO rdraft_src.orders VALUES (4, 40);
SELECT * FROM dmesh.refresh_product('rdraft.totals');
SELECT count(*) AS data_rows FROM dmesh_rdraft.totals_data;
SELECT count(*) AS published_relations FROM dmesh.output_port o
  JOIN dmesh.data_product p USING (product_id)
  JOIN dmesh.domain d USING (domain_id)
 WHERE d.name = 'rdraft' AND p.name = 'totals';
-- A failing rule on a draft: not published either, and the rules named.
INSERT INTO rdraft_src.orders VALUES (5, 500);
SELECT * FROM dmesh.refresh_product('rdraft.totals');
DELETE FROM rdraft_src.orders WHERE id = 5;

-- Published: a good refresh publishes, and the consumer sees the new rows.
SELECT dmesh.publish_data_product('rdraft.totals');
INSERT INTO rdraft_src.orders VALUES (6, 60);
SELECT * FROM dmesh.refresh_product('rdraft.totals');
RESET ROLE;
SET ROLE rdraft_reader;
SELECT count(*) AS rows_seen FROM dmesh_rdraft.totals_v1;
RESET ROLE;
-- Deprecated products are still read: still published.
SET ROLE rdraft_team;
SELECT dmesh.deprecate_data_product('rdraft.totals', 'Use rdraft.sums');
SELECT published, rows FROM dmesh.refresh_product('rdraft.totals');
RESET ROLE;

-- The event log agrees with what was returned.
SELECT action, details FROM dmesh.event_log
 WHERE object_identity = 'rdraft.totals' AND action IN ('refresh', 'refresh_failed')
 ORDER BY event_id;

-- The function's comment says what each column means.
SELECT obj_description('dmesh.refresh_product(text)'::regprocedure, 'pg_proc') ~ 'Returns published: .*; rows: .*; failed_rules: .*; relation: '
       AS documented;
