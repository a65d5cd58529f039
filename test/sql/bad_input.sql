-- Bad input: unknown names, duplicates, bad sources, failing queries,
-- NULLs.  Each is a clear error with a fitting SQLSTATE, and nothing is
-- left half-created.
CREATE ROLE bad_team NOLOGIN;
SELECT dmesh.create_domain('bad', 'bad_team') > 0 AS created;
CREATE SCHEMA bad_src AUTHORIZATION bad_team;
CREATE TABLE bad_src.t (a int, b text);
ALTER TABLE bad_src.t OWNER TO bad_team;
CREATE SEQUENCE bad_src.s;
CREATE TYPE bad_src.ty AS (x int);
CREATE TEMP TABLE bad_temp (x int);
SELECT dmesh.create_data_product('bad', 'ok', 'bad_src.t') > 0 AS created;

-- Snapshot of everything dmesh could leave behind.
CREATE TEMP TABLE bad_before AS
SELECT (SELECT count(*) FROM dmesh.domain) AS domains,
       (SELECT count(*) FROM dmesh.data_product) AS products,
       (SELECT count(*) FROM dmesh.output_port) AS ports,
       (SELECT count(*) FROM dmesh.access_grant) AS grants,
       (SELECT count(*) FROM dmesh.event_log) AS events,
       (SELECT count(*) FROM pg_class WHERE relnamespace = 'dmesh_bad'::regnamespace) AS relations;

-- try(): run a statement, show its SQLSTATE and message.
CREATE FUNCTION pg_temp.try(stmt text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
    EXECUTE 'SELECT ' || stmt;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$f$;
-- Unknown domain or product; malformed product names.
SELECT pg_temp.try($$dmesh.create_data_product('nowhere', 'x', 'bad_src.t')$$);
SELECT pg_temp.try($$dmesh.publish_data_product('nowhere.x')$$);
SELECT pg_temp.try($$dmesh.publish_data_product('bad.nothing')$$);
SELECT pg_temp.try($$dmesh.deprecate_data_product('bad.nothing', 'r')$$);
SELECT pg_temp.try($$dmesh.retire_data_product('bad.nothing')$$);
SELECT pg_temp.try($$dmesh.grant_access('bad.nothing', 'bad_team')$$);
SELECT pg_temp.try($$dmesh.revoke_access('bad.nothing', 'bad_team')$$);
SELECT pg_temp.try($$dmesh.product_relation('bad.nothing')$$);
SELECT pg_temp.try($$dmesh.product_relation('bad')$$);
SELECT pg_temp.try($$dmesh.product_relation('.x')$$);
SELECT pg_temp.try($$dmesh.product_relation('bad.')$$);
SELECT pg_temp.try($$dmesh.product_relation('bad.x.y')$$);
-- Duplicates.
SELECT pg_temp.try($$dmesh.create_domain('bad', 'bad_team')$$);
SELECT pg_temp.try($$dmesh.create_data_product('bad', 'ok', 'bad_src.t')$$);
-- Bad product names and tags.
SELECT pg_temp.try($$dmesh.create_data_product('bad', 'a.b', 'bad_src.t')$$);
SELECT pg_temp.try($$dmesh.create_data_product('bad', '', 'bad_src.t')$$);
SELECT pg_temp.try($$dmesh.create_data_product('bad', repeat('p', 51), 'bad_src.t')$$);
SELECT pg_temp.try($$dmesh.create_data_product('bad', 'tagged', 'bad_src.t', tags => ARRAY['a', NULL])$$);
SELECT pg_temp.try($$dmesh.create_data_product('bad', 'tagged', 'bad_src.t', tags => ARRAY[''])$$);
SELECT pg_temp.try($$dmesh.create_data_product('bad', 'tagged', 'bad_src.t', tags => ARRAY[['a'], ['b']])$$);
-- NULL arguments.
SELECT pg_temp.try($$dmesh.create_data_product(NULL, 'x', 'bad_src.t')$$);
SELECT pg_temp.try($$dmesh.create_data_product('bad', NULL, 'bad_src.t')$$);
SELECT pg_temp.try($$dmesh.create_data_product('bad', 'x', NULL)$$);
SELECT pg_temp.try($$dmesh.publish_data_product(NULL)$$);
SELECT pg_temp.try($$dmesh.deprecate_data_product('bad.ok', NULL)$$);
SELECT pg_temp.try($$dmesh.retire_data_product(NULL)$$);
SELECT pg_temp.try($$dmesh.revoke_access('bad.ok', NULL)$$);
-- Sources that do not exist, are not relations, or are not SELECTs.
SELECT pg_temp.try($$dmesh.create_data_product('bad', 'x', '')$$);
SELECT pg_temp.try($$dmesh.create_data_product('bad', 'x', '   ')$$);
SELECT pg_temp.try($$dmesh.create_data_product('bad', 'x', 'bad_src.missing')$$);
SELECT pg_temp.try($$dmesh.create_data_product('bad', 'x', 'missing')$$);
SELECT pg_temp.try($$dmesh.create_data_product('bad', 'x', 'otherdb.bad_src.t')$$);
SELECT pg_temp.try($$dmesh.create_data_product('bad', 'x', 'a.b.c.d')$$);
SELECT pg_temp.try($$dmesh.create_data_product('bad', 'x', 'bad_src.s')$$);
SELECT pg_temp.try($$dmesh.create_data_product('bad', 'x', 'bad_src.ty')$$);
SELECT pg_temp.try($$dmesh.create_data_product('bad', 'x', 'pg_class_oid_index')$$);
SELECT pg_temp.try($$dmesh.create_data_product('bad', 'x', 'bad_temp')$$);
SELECT pg_temp.try($$dmesh.create_data_product('bad', 'x', 'SELECT x FROM bad_temp')$$);
SELECT pg_temp.try($$dmesh.create_data_product('bad', 'x', 'INSERT INTO bad_src.t VALUES (1)')$$);
SELECT pg_temp.try($$dmesh.create_data_product('bad', 'x', 'SELECT FROM bad_src.t')$$);
SELECT pg_temp.try($$dmesh.create_data_product('bad', 'x', 'SELECT a, a FROM bad_src.t')$$);
SELECT pg_temp.try($$dmesh.create_data_product('bad', 'x', 'SELECT a + 1 FROM bad_src.t')$$);
SELECT pg_temp.try($$dmesh.create_data_product('bad', 'x', 'SELECT nope FROM bad_src.t')$$);
SELECT pg_temp.try($$dmesh.create_data_product('bad', 'x', 'SELECT a FROM bad_src.t WHERE b = $1')$$);
SELECT pg_temp.try($$dmesh.create_data_product('bad', 'x', 'SELECT a FROM bad_src.t WHERE')$$);
SELECT pg_temp.try($$dmesh.create_data_product('bad', 'x', 'SELECT no_such_function(a) AS f FROM bad_src.t')$$);
-- Illegal transitions on a draft.
SELECT pg_temp.try($$dmesh.deprecate_data_product('bad.ok', 'not yet published')$$);
SELECT pg_temp.try($$dmesh.product_relation('bad.ok')$$);

-- Nothing was left behind.
SELECT (SELECT count(*) FROM dmesh.domain) - domains AS new_domains,
       (SELECT count(*) FROM dmesh.data_product) - products AS new_products,
       (SELECT count(*) FROM dmesh.output_port) - ports AS new_ports,
       (SELECT count(*) FROM dmesh.access_grant) - grants AS new_grants,
       (SELECT count(*) FROM dmesh.event_log) - events AS new_events,
       (SELECT count(*) FROM pg_class WHERE relnamespace = 'dmesh_bad'::regnamespace) - relations AS new_relations
  FROM bad_before;

-- A failure inside a larger transaction undoes dmesh's earlier work too.
BEGIN;
SELECT dmesh.publish_data_product('bad.ok');
SELECT dmesh.grant_access('bad.ok', 'bad_team') > 0 AS granted;
SELECT dmesh.create_data_product('bad', 'later', 'bad_src.missing');
ROLLBACK;
SELECT status FROM dmesh.data_product WHERE name = 'ok';
SELECT to_regclass('dmesh_bad.ok_v1') AS relation;
SELECT count(*) AS grants FROM dmesh.access_grant JOIN dmesh.data_product USING (product_id) WHERE name = 'ok';

-- The same, with a savepoint: the failed call is undone, the rest kept.
BEGIN;
SELECT dmesh.publish_data_product('bad.ok');
SAVEPOINT s;
SELECT dmesh.retire_data_product('bad.nothing');
ROLLBACK TO SAVEPOINT s;
SELECT current_user = session_user AS user_restored, current_setting('search_path') AS search_path;
COMMIT;
SELECT status FROM dmesh.data_product WHERE name = 'ok';
