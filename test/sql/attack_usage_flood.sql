-- Issue 12, M3: the shared usage/lineage table (dmesh.usage_max_entries,
-- 10000 by default, for the whole cluster) is filled by one role's writes
-- between its own relations, which touch no product: 120 INSERT ... SELECT
-- over 120 of mallory's own tables make 120 x 119 keys.  Until the next
-- flush, consumers' reads of products are dropped, not counted.
-- Fixed (either design: writes that touch no product are not counted, or
-- a bound per role): the table is not full and the analyst's read is
-- counted (reads = 1).
\set VERBOSITY terse
CREATE ROLE atk10_team NOLOGIN;
CREATE ROLE atk10_analyst LOGIN NOINHERIT;
CREATE ROLE atk10_mallory LOGIN NOINHERIT;
SELECT dmesh.create_domain('atk10', 'atk10_team') > 0 AS created;
CREATE SCHEMA atk10_src AUTHORIZATION atk10_team;
CREATE SCHEMA atk10_mallory AUTHORIZATION atk10_mallory;
SET ROLE atk10_team;
CREATE TABLE atk10_src.orders (id int);
INSERT INTO atk10_src.orders VALUES (1), (2);
SELECT dmesh.create_data_product('atk10', 'atk10_orders', 'atk10_src.orders') > 0 AS created;
SELECT dmesh.publish_data_product('atk10.atk10_orders');
SELECT dmesh.grant_access('atk10.atk10_orders', 'atk10_analyst') > 0 AS granted;
RESET ROLE;
-- Start from an empty table (counts of earlier tests flushed).
SELECT dmesh.flush_usage() IS NOT NULL AS flushed;

SET ROLE atk10_mallory;
DO $$BEGIN
  FOR i IN 1..120 LOOP
    EXECUTE format('CREATE TABLE atk10_mallory.t%s (a int)', i);
  END LOOP;
END$$;
DO $$DECLARE src text;
BEGIN
  FOR i IN 1..120 LOOP
    SELECT string_agg(format('SELECT a FROM atk10_mallory.t%s', j), ' UNION ALL ')
      INTO src FROM generate_series(1, 120) j WHERE j <> i;
    EXECUTE format('INSERT INTO atk10_mallory.t%s %s', i, src);
  END LOOP;
END$$;
RESET ROLE;

-- The analyst reads the product while the table is full.
SET ROLE atk10_analyst;
SELECT count(*) FROM dmesh_atk10.atk10_orders_v1;
RESET ROLE;
-- Harm 1: the table is full (t; must be f).
SELECT entries >= max_entries AS table_full FROM dmesh.usage_status();
SELECT dmesh.flush_usage() IS NOT NULL AS flushed;
-- Harm 2: the analyst's read was not counted (no row; must be 1).
SELECT queries AS analyst_reads FROM dmesh.usage
 WHERE product = 'atk10.atk10_orders' AND consumer = 'atk10_analyst';

-- Clean up what the flush wrote for mallory, and her tables.
DELETE FROM dmesh.lineage_run WHERE role = 'atk10_mallory';
DROP SCHEMA atk10_mallory CASCADE;
