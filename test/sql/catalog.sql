-- The catalog: tables, keys, constraints, comments, dump registration,
-- privileges.  Each query lists what is wrong, so an empty result passes.

-- The catalog tables, their primary keys and foreign keys.
SELECT c.relname, pg_get_constraintdef(k.oid) AS constraint_def
  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
 WHERE c.relnamespace = 'dmesh'::regnamespace AND k.contype IN ('p', 'f')
 ORDER BY c.relname, k.contype DESC, constraint_def;

-- Every table, view and column of the dmesh schema has a comment.
SELECT c.relname, a.attname
  FROM pg_class c
  LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relnamespace = 'dmesh'::regnamespace AND c.relkind IN ('r', 'v')
   AND (obj_description(c.oid, 'pg_class') IS NULL
        OR (a.attname IS NOT NULL AND col_description(c.oid, a.attnum) IS NULL));

-- The SQL interface: names, parameter names and defaults, return types.
SELECT p.proname, pg_get_function_arguments(p.oid) AS arguments,
       pg_get_function_result(p.oid) AS result, p.provolatile, p.prosecdef
  FROM pg_proc p WHERE p.pronamespace = 'dmesh'::regnamespace
 ORDER BY p.proname, arguments;

-- Every function has a comment.
SELECT p.oid::regprocedure FROM pg_proc p
 WHERE p.pronamespace = 'dmesh'::regnamespace
   AND obj_description(p.oid, 'pg_proc') IS NULL;

-- No function is SECURITY DEFINER without a pinned search_path.
SELECT p.oid::regprocedure FROM pg_proc p
 WHERE p.pronamespace = 'dmesh'::regnamespace AND p.prosecdef
   AND NOT coalesce(p.proconfig::text[] @> '{"search_path=pg_catalog, pg_temp"}', false);

-- pg_dump keeps every catalog table and sequence: none is left unregistered.
SELECT c.relname FROM pg_class c
 WHERE c.relnamespace = 'dmesh'::regnamespace AND c.relkind IN ('r', 'S')
   AND c.oid <> ALL ((SELECT extconfig FROM pg_extension WHERE extname = 'dmesh')::oid[]);
SELECT array_length(extconfig, 1) AS registered FROM pg_extension WHERE extname = 'dmesh';

-- The extension is fixed to its schema.
SELECT extrelocatable, extnamespace::regnamespace FROM pg_extension WHERE extname = 'dmesh';

-- Every role may read the catalog; nobody but the owner may write it.
CREATE ROLE catalog_nobody;
SET ROLE catalog_nobody;
SELECT count(*) >= 0 AS readable FROM dmesh.domain, dmesh.data_product, dmesh.output_port;
INSERT INTO dmesh.domain (name, owner, schema_name) VALUES ('x', 'catalog_nobody', 'dmesh_x');
UPDATE dmesh.data_product SET status = 'retired';
DELETE FROM dmesh.event_log;
SELECT nextval('dmesh.domain_domain_id_seq');
RESET ROLE;
DROP ROLE catalog_nobody;

-- CHECK constraints guard the catalog even against direct writes.
\set VERBOSITY terse
INSERT INTO dmesh.domain (name, owner, schema_name) VALUES ('a.b', 'pg_database_owner', 'dmesh_a.b');
INSERT INTO dmesh.domain (name, owner, schema_name) VALUES (' padded', 'pg_database_owner', 'dmesh_ padded');
BEGIN;
INSERT INTO dmesh.domain (domain_id, name, owner, schema_name) VALUES (-1, 'chk', 'pg_database_owner', 'dmesh_chk');
INSERT INTO dmesh.data_product (domain_id, name, owner, source_kind, source_query, status)
VALUES (-1, 'p', 'pg_database_owner', 'query', 'SELECT 1', 'live');
ROLLBACK;
BEGIN;
INSERT INTO dmesh.domain (domain_id, name, owner, schema_name) VALUES (-1, 'chk', 'pg_database_owner', 'dmesh_chk');
INSERT INTO dmesh.data_product (domain_id, name, owner, source_kind, source_query, version)
VALUES (-1, 'p', 'pg_database_owner', 'query', 'SELECT 1', '1.0');
ROLLBACK;
BEGIN;
INSERT INTO dmesh.domain (domain_id, name, owner, schema_name) VALUES (-1, 'chk', 'pg_database_owner', 'dmesh_chk');
INSERT INTO dmesh.data_product (domain_id, name, owner, source_kind)
VALUES (-1, 'p', 'pg_database_owner', 'query');
ROLLBACK;
BEGIN;
INSERT INTO dmesh.domain (domain_id, name, owner, schema_name) VALUES (-1, 'chk', 'pg_database_owner', 'dmesh_chk');
INSERT INTO dmesh.data_product (domain_id, name, owner, source_kind, source_query, status)
VALUES (-1, 'p', 'pg_database_owner', 'query', 'SELECT 1', 'deprecated');
ROLLBACK;
\set VERBOSITY default
