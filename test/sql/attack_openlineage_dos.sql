-- NEW (found while testing issue 12; denial of service by an unprivileged
-- role): dmesh.openlineage_events() names every relation at an end of a
-- runtime run (dmesh.lineage_run) with to_regclass(), which fails with
-- "permission denied for schema" for a schema the caller may not use.
-- mallory copies one of her tables into another, in her own schema (not
-- usable by others); once the usage counters are flushed (the worker does
-- it every round), openlineage_events fails for every role without USAGE
-- on her schema.
-- Fixed: the function answers (events_listed t) for every role.
\set VERBOSITY terse
CREATE ROLE atk14_mallory LOGIN NOINHERIT;
CREATE ROLE atk14_nobody LOGIN NOINHERIT;
CREATE SCHEMA atk14_mallory AUTHORIZATION atk14_mallory;
SET ROLE atk14_mallory;
CREATE TABLE atk14_mallory.t (a int);
CREATE TABLE atk14_mallory.t2 (a int);
INSERT INTO atk14_mallory.t2 SELECT a FROM atk14_mallory.t;
RESET ROLE;
SELECT dmesh.flush_usage() IS NOT NULL AS flushed;
SET ROLE atk14_nobody;
SELECT count(*) >= 0 AS events_listed FROM dmesh.openlineage_events(now() - interval '1 day');
RESET ROLE;
DELETE FROM dmesh.lineage_run WHERE role = 'atk14_mallory';
DROP SCHEMA atk14_mallory CASCADE;
