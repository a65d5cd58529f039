-- Issue 12, M4: renames rescan every open lineage edge.  A role creates
-- views over a 200-column table of its own (the issue: 300 views, 60,000
-- open column edges; here 100 views, 20,000 edges, to keep the test short);
-- an unrelated owner's ALTER TABLE ... RENAME of a table that has a view
-- then takes about a second.
-- Fixed: the rename's cost does not grow with unrelated edges: it reads
-- only the renamed relation's edges.
\set VERBOSITY terse
CREATE ROLE atk11_mallory LOGIN NOINHERIT;
CREATE ROLE atk11_owner LOGIN NOINHERIT;
CREATE SCHEMA atk11_mallory AUTHORIZATION atk11_mallory;
CREATE SCHEMA atk11_owner AUTHORIZATION atk11_owner;
SET ROLE atk11_mallory;
DO $$BEGIN
  EXECUTE 'CREATE TABLE atk11_mallory.wide (' ||
          (SELECT string_agg(format('c%s int', i), ', ') FROM generate_series(1, 200) i) || ')';
  FOR i IN 1..100 LOOP
    EXECUTE format('CREATE VIEW atk11_mallory.v%s AS SELECT * FROM atk11_mallory.wide', i);
  END LOOP;
END$$;
RESET ROLE;
SELECT count(*) >= 20000 AS open_edges FROM dmesh.lineage_edge
 WHERE closed_at IS NULL AND target LIKE 'atk11_mallory.%';

SET ROLE atk11_owner;
CREATE TABLE atk11_owner.t (a int);
CREATE VIEW atk11_owner.tv AS SELECT a FROM atk11_owner.t;
-- What the renames read of dmesh.lineage_edge (this transaction's counts,
-- in a new session: a backend keeps its earlier transactions' counts a
-- while): only the edges of the renamed table, not the 20,000 others
-- (every open edge on the vulnerable build; a few when fixed).  Counted,
-- not timed.
\c
SET ROLE atk11_owner;
\set VERBOSITY terse
BEGIN;
ALTER TABLE atk11_owner.t RENAME COLUMN a TO b;
ALTER TABLE atk11_owner.t RENAME TO t_renamed;
SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) < 100 AS renames_read_few_edges
  FROM pg_stat_xact_all_tables WHERE relid = 'dmesh.lineage_edge'::regclass;
COMMIT;
-- ... and the edges follow the new names.
SELECT source, source_column, target, target_column FROM dmesh.lineage_edge
 WHERE target_rel = 'atk11_owner.tv'::regclass AND closed_at IS NULL
 ORDER BY source_column NULLS FIRST;
RESET ROLE;
DROP SCHEMA atk11_mallory CASCADE;
