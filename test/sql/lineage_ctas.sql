-- CREATE TABLE AS and SELECT INTO over subqueries, views, system views,
-- sublinks and LATERAL: the planner rewrites such a query in place, so
-- the lineage is read from the query as parse analysis left it (kept at
-- ddl_command_start).  Each crashed the server before (PostgreSQL's own
-- regression suite found them).
CREATE SCHEMA lctas;
CREATE TABLE lctas.t (a int, b int);
INSERT INTO lctas.t VALUES (1, 2), (3, 4);
CREATE VIEW lctas.v AS SELECT a, b FROM lctas.t;
CREATE TABLE lctas.c AS SELECT * FROM (SELECT a, b FROM lctas.t) s;
SELECT * INTO lctas.x1 FROM (SELECT a FROM lctas.t) s;
CREATE TABLE lctas.x2 AS SELECT * FROM lctas.v;
CREATE TABLE lctas.x3 AS SELECT relname FROM pg_stat_user_tables WHERE false;
CREATE TABLE lctas.x4 AS SELECT * FROM lctas.t WHERE a IN (SELECT b FROM lctas.t);
CREATE TABLE lctas.x5 AS SELECT * FROM (VALUES (1), (2)) r(a), LATERAL (SELECT r.a + 1 AS g GROUP BY 1) s;
CREATE TABLE lctas.x6 AS SELECT v1.a, v2.b FROM lctas.v v1 JOIN lctas.v v2 USING (a);
CREATE TABLE lctas.x7 AS SELECT a, count(*) AS n FROM (SELECT a FROM lctas.t UNION ALL SELECT b FROM lctas.t) u GROUP BY a ORDER BY a;
-- Inside a function, planned and run through SPI (a cached plan).
CREATE FUNCTION lctas.make(n text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TABLE lctas.%I AS SELECT * FROM (SELECT a, b FROM lctas.t) s WHERE a > 0', n);
END $$;
SELECT lctas.make('x8');
DO $$BEGIN CREATE TABLE lctas.x9 AS SELECT * FROM (SELECT a FROM lctas.t) s; END$$;
-- A failed CREATE TABLE AS leaves nothing that a later one could take.
CREATE TABLE lctas.bad AS SELECT 1 / 0 AS z FROM (SELECT a FROM lctas.t) s;
CREATE TABLE lctas.x10 AS SELECT b FROM (SELECT b FROM lctas.t) s;
-- The data is there, and the lineage of each.
SELECT count(*) AS rows FROM lctas.c;
SELECT target, source, source_column, target_column, dependency, subtype
  FROM dmesh.lineage_edge WHERE target LIKE 'lctas.%' AND closed_at IS NULL
 ORDER BY target, source, source_column NULLS FIRST, target_column NULLS FIRST, dependency, subtype;
