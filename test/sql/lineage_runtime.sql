-- Runtime lineage: statements that write one relation while reading
-- others, counted per (relation read, relation written, role, kind) with
-- rows written, kept with their transaction (only committed statements
-- count, a rolled-back savepoint takes its statements back), moved into
-- dmesh.lineage_run by dmesh.flush_usage().
SELECT dmesh.flush_usage() >= 0 AS flushed_earlier_counts;
CREATE ROLE rt_etl NOLOGIN;
CREATE SCHEMA rt AUTHORIZATION rt_etl;
GRANT CREATE ON SCHEMA rt TO rt_etl;
SET ROLE rt_etl;
CREATE TABLE rt.orders (id int PRIMARY KEY, amount numeric);
INSERT INTO rt.orders SELECT g, g FROM generate_series(1, 10) g;
CREATE TABLE rt.totals (id int PRIMARY KEY, amount numeric);
CREATE TABLE rt.rates (id int, factor numeric);
INSERT INTO rt.rates VALUES (1, 2), (2, 3);
-- INSERT ... SELECT: twice in one transaction, once committed alone.
BEGIN;
INSERT INTO rt.totals SELECT id, amount FROM rt.orders WHERE id <= 3;
INSERT INTO rt.totals SELECT id, amount FROM rt.orders WHERE id = 4;
COMMIT;
INSERT INTO rt.totals SELECT id, amount FROM rt.orders WHERE id = 5;
-- Rolled back: not counted; a rolled-back savepoint takes its statements back.
BEGIN;
INSERT INTO rt.totals SELECT id, amount FROM rt.orders WHERE id = 6;
ROLLBACK;
BEGIN;
SAVEPOINT s;
INSERT INTO rt.totals SELECT id, amount FROM rt.orders WHERE id = 7;
ROLLBACK TO SAVEPOINT s;
SAVEPOINT t;
INSERT INTO rt.totals SELECT id, amount FROM rt.orders WHERE id = 8;
RELEASE SAVEPOINT t;
COMMIT;
-- UPDATE ... FROM, DELETE ... USING, MERGE.
UPDATE rt.totals t SET amount = t.amount * r.factor FROM rt.rates r WHERE r.id = t.id;
DELETE FROM rt.totals t USING rt.rates r WHERE r.id = t.id AND r.factor > 2;
MERGE INTO rt.totals t USING rt.orders o ON o.id = t.id
  WHEN NOT MATCHED AND o.id > 8 THEN INSERT VALUES (o.id, o.amount);
-- Not counted: writes that read nothing else, plain UPDATE, temporary tables.
INSERT INTO rt.totals VALUES (100, 1);
UPDATE rt.totals SET amount = amount + 1 WHERE id = 100;
CREATE TEMP TABLE rt_tmp AS SELECT * FROM rt.orders;
INSERT INTO rt.totals SELECT id + 1000, amount FROM rt_tmp WHERE id = 1;
-- CREATE TABLE AS, SELECT INTO, materialized views and their refresh.
CREATE TABLE rt.snapshot AS SELECT * FROM rt.orders WHERE id <= 4;
SELECT id INTO rt.ids FROM rt.orders;
CREATE MATERIALIZED VIEW rt.big AS SELECT o.id, o.amount * r.factor AS weighted
  FROM rt.orders o JOIN rt.rates r USING (id);
REFRESH MATERIALIZED VIEW rt.big;
RESET ROLE;

SELECT dmesh.flush_usage() > 0 AS flushed;
SELECT source, target, role, kind, statements, rows, first_seen <= last_seen AS ordered
  FROM dmesh.lineage_run WHERE target LIKE 'rt.%' ORDER BY target, kind, source;
-- Counts add up across flushes.
SET ROLE rt_etl;
INSERT INTO rt.totals SELECT id + 2000, amount FROM rt.orders WHERE id <= 2;
RESET ROLE;
SELECT dmesh.flush_usage() > 0 AS flushed;
SELECT statements, rows FROM dmesh.lineage_run
 WHERE source = 'rt.orders' AND target = 'rt.totals' AND kind = 'insert';
-- Runtime edges are in the graph, with their kind: lineage() and impact()
-- walk them (rt.totals is written from rt.orders by INSERT ... SELECT).
SELECT hops, source, target, kind FROM dmesh.lineage('rt.totals', 'upstream', 1)
 WHERE source_column IS NULL ORDER BY source, kind;
SELECT DISTINCT source, target, kind FROM dmesh.lineage_graph
 WHERE target = 'rt.totals' AND kind = 'insert';
-- Readable by the writer, written only by dmesh.
SET ROLE rt_etl;
SELECT count(*) > 0 AS readable FROM dmesh.lineage_run;
DELETE FROM dmesh.lineage_run;
RESET ROLE;

-- impact() follows runtime lineage: a consumer copies a product's rows
-- into a table of its own; every column of that table is affected by a
-- change to the product (runtime lineage knows no columns).
CREATE ROLE rt_team NOLOGIN;
CREATE ROLE rt_reader NOLOGIN;
SELECT dmesh.create_domain('rtl', 'rt_team') > 0 AS created;
GRANT SELECT ON rt.orders TO rt_team;
GRANT USAGE ON SCHEMA rt TO rt_team;
SET ROLE rt_team;
SELECT dmesh.create_data_product('rtl', 'orders', 'rt.orders') > 0 AS created;
SELECT dmesh.publish_data_product('rtl.orders') IS NOT NULL AS published;
SELECT dmesh.grant_access('rtl.orders', 'rt_reader') > 0 AS granted;
RESET ROLE;
CREATE SCHEMA rt_copy AUTHORIZATION rt_reader;
SET ROLE rt_reader;
CREATE TABLE rt_copy.mine (n int, amt numeric);
INSERT INTO rt_copy.mine SELECT id, amount FROM dmesh_rtl.orders_v1;
RESET ROLE;
SELECT dmesh.flush_usage() > 0 AS flushed;
SET ROLE rt_team;
SELECT kind, name, affected_columns, hops FROM dmesh.impact('rtl.orders') WHERE kind <> 'consumer';
RESET ROLE;
