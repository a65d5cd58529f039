-- Issue 12, M2: a role with no grants creates a view on a materialized
-- product's data table (allowed: privileges are checked when the view is
-- read).  Every refresh renames that table to <product>_data_old_<oid>,
-- which _refresh_cleanup then cannot drop: it fails for all products at
-- once, and the replaced tables of every other product pile up.  A view of
-- hers on a published relation makes retire_data_product fail too.
-- Fixed: each product's cleanup runs on its own (the other product's old
-- table is dropped); retire_data_product gives a clear error naming the
-- view and its owner.
\set VERBOSITY terse
CREATE ROLE atk7_team NOLOGIN;
CREATE ROLE atk7_mallory LOGIN NOINHERIT;
SELECT dmesh.create_domain('atk7', 'atk7_team') > 0 AS created;
CREATE SCHEMA atk7_src AUTHORIZATION atk7_team;
CREATE SCHEMA atk7_mallory AUTHORIZATION atk7_mallory;
SET ROLE atk7_team;
CREATE TABLE atk7_src.orders (id int, country text);
INSERT INTO atk7_src.orders VALUES (1, 'NL'), (2, 'FR');
SELECT dmesh.create_data_product('atk7', 'atk7_by_country', 'SELECT country, count(*) AS n FROM atk7_src.orders GROUP BY 1',
                                 materialize => true) > 0 AS created;
SELECT dmesh.create_data_product('atk7', 'atk7_other', 'SELECT id FROM atk7_src.orders',
                                 materialize => true) > 0 AS created;
SELECT dmesh.publish_data_product('atk7.atk7_by_country');
SELECT dmesh.publish_data_product('atk7.atk7_other');
RESET ROLE;

-- mallory: no grant on anything of atk7.
SET ROLE atk7_mallory;
SELECT count(*) FROM dmesh_atk7.atk7_by_country_data;
CREATE VIEW atk7_mallory.dep1 AS SELECT * FROM dmesh_atk7.atk7_by_country_data;
CREATE VIEW atk7_mallory.dep2 AS SELECT * FROM dmesh_atk7.atk7_other_v1;
RESET ROLE;

-- Both products are refreshed; the worker's cleanup runs.
SET ROLE atk7_team;
SELECT published FROM dmesh.refresh_product('atk7.atk7_by_country');
SELECT published FROM dmesh.refresh_product('atk7.atk7_other');
RESET ROLE;
DO $$BEGIN
  PERFORM dmesh._refresh_cleanup();
  RAISE NOTICE 'cleanup ran';
EXCEPTION WHEN others THEN
  RAISE NOTICE 'cleanup failed: %', regexp_replace(SQLERRM, '[0-9]+', 'N', 'g');
END$$;
-- Harm: the other product's replaced table is still there (1; must be 0:
-- its cleanup does not depend on the blocked product).  dmesh finds the
-- tables it replaced in dmesh.replaced_data, never by name patterns.
SELECT count(*) AS other_old_tables_left
  FROM dmesh.replaced_data x JOIN dmesh.data_product p USING (product_id)
 WHERE p.name = 'atk7_other';
-- The blocked one stays, with the reason: mallory's view and its owner.
SELECT x.kind, x.attempts, x.last_error, pg_class.oid IS NOT NULL AS table_still_there
  FROM dmesh.replaced_data x JOIN dmesh.data_product p USING (product_id)
  LEFT JOIN pg_class ON pg_class.oid = x.relid
 WHERE p.name = 'atk7_by_country';
-- The product's owner has a way through: the table is its own, and
-- PostgreSQL lets an owner drop it with what depends on it; the next
-- cleanup forgets it.
SET ROLE atk7_team;
DO $$BEGIN
  EXECUTE format('DROP TABLE %s CASCADE',
                 (SELECT relid::regclass FROM dmesh.replaced_data x JOIN dmesh.data_product p USING (product_id)
                   WHERE p.name = 'atk7_by_country'));
END$$;
RESET ROLE;
SELECT dmesh._refresh_cleanup() AS dropped;
SELECT count(*) AS blocked_old_tables_left
  FROM dmesh.replaced_data x JOIN dmesh.data_product p USING (product_id)
 WHERE p.name = 'atk7_by_country';
SELECT to_regclass('atk7_mallory.dep1') AS dep1_dropped_with_it;

-- retire_data_product fails because of mallory's view on the published
-- relation, with a clear error naming atk7_mallory.dep2 and its owner.
SET ROLE atk7_team;
\set VERBOSITY default
SELECT dmesh.retire_data_product('atk7.atk7_other');
\set VERBOSITY terse
RESET ROLE;
SELECT status FROM dmesh.data_product WHERE name = 'atk7_other'
   AND domain_id = (SELECT domain_id FROM dmesh.domain WHERE name = 'atk7');
-- The managers' way through: cascade drops the view with it (as DROP
-- VIEW ... CASCADE by the view's owner would), and the event log says so.
SET ROLE atk7_team;
SELECT dmesh.retire_data_product('atk7.atk7_other', cascade => true);
RESET ROLE;
SELECT status FROM dmesh.data_product WHERE name = 'atk7_other'
   AND domain_id = (SELECT domain_id FROM dmesh.domain WHERE name = 'atk7');
SELECT to_regclass('atk7_mallory.dep2') AS dep2_dropped_with_it;
SELECT details->'dropped_dependents' AS dropped_dependents FROM dmesh.event_log
 WHERE action = 'retire' AND object_identity = 'atk7.atk7_other';
-- cascade never drops another product's relations: a product built on
-- this one's published view keeps it.
SET ROLE atk7_team;
SELECT dmesh.create_data_product('atk7', 'atk7_derived', 'SELECT country FROM dmesh_atk7.atk7_by_country_v1') > 0 AS created;
SELECT dmesh.publish_data_product('atk7.atk7_derived') IS NOT NULL AS published;
\set VERBOSITY default
SELECT dmesh.retire_data_product('atk7.atk7_by_country', cascade => true);
\set VERBOSITY terse
RESET ROLE;
SELECT to_regclass('dmesh_atk7.atk7_derived_v1') IS NOT NULL AS derived_still_published;
