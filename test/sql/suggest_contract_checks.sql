-- The contract assistant, CHECK constraints, the SLA and refusals: CHECK
-- constraints on one column become rules where they map (bounds, IN lists,
-- patterns, lengths, IS NOT NULL), the others are named in the evidence; a
-- freshness SLA on the time column most like the time rows are written; a
-- row-count floor; relations without statistics, empty ones, views,
-- sample_rows 0; the data read as the caller (its privileges, its
-- row-level security); NULL arguments, unknown relations, queries and
-- missing privileges refused with their SQLSTATE.
CREATE ROLE sgc_team NOLOGIN;
CREATE ROLE sgc_other NOLOGIN;
SELECT dmesh.create_domain('sgc', 'sgc_team') > 0 AS created;
CREATE SCHEMA sgc AUTHORIZATION sgc_team;
GRANT USAGE ON SCHEMA sgc TO sgc_other;
SET ROLE sgc_team;

CREATE FUNCTION pg_temp.summary(doc jsonb)
RETURNS TABLE (property text, req boolean, options jsonb, rules jsonb)
LANGUAGE sql AS $$
  SELECT p->>'name', coalesce((p->>'required')::boolean, false), p->'logicalTypeOptions',
         (SELECT jsonb_agg(q - 'customProperties') FROM jsonb_array_elements(p->'quality') AS q)
    FROM jsonb_array_elements(doc->'schema'->0->'properties') WITH ORDINALITY AS e(p, n)
   ORDER BY n
$$;
CREATE FUNCTION pg_temp.evidence(doc jsonb, property text)
RETURNS SETOF text
LANGUAGE sql AS $$
  SELECT jsonb_array_elements_text(cp->'value')
    FROM jsonb_array_elements(doc->'schema'->0->'properties') AS p,
         jsonb_array_elements(p->'customProperties') AS cp
   WHERE p->>'name' = property AND cp->>'property' = 'dmesh.evidence'
$$;
CREATE FUNCTION pg_temp.object_evidence(doc jsonb)
RETURNS SETOF text
LANGUAGE sql AS $$
  SELECT jsonb_array_elements_text(cp->'value')
    FROM jsonb_array_elements(doc->'schema'->0->'customProperties') AS cp
   WHERE cp->>'property' = 'dmesh.evidence'
$$;

-- CHECK constraints.  Data inside every bound; the data's own range would
-- be narrower than the constraint's, which wins.
CREATE TABLE sgc.items (
    id         integer PRIMARY KEY,
    qty        integer CHECK (qty >= 0),
    price      numeric(8,2) CHECK (price > 0 AND price <= 1000),
    kind       text CHECK (kind IN ('book', 'game', 'toy')),
    code       text CHECK (code ~ '^[A-Z]{3}[0-9]$'),
    label      varchar(80) CHECK (length(label) <= 40),
    note       text CHECK (note IS NOT NULL),
    since      date CHECK (since >= date '2020-01-01'),
    level      integer CHECK (level BETWEEN 1 AND 5),
    even       integer CHECK (even % 2 = 0),
    starts     date,
    ends       date,
    CHECK (starts <= ends)
) WITH (autovacuum_enabled = false);
ALTER TABLE sgc.items ADD CONSTRAINT qty_small CHECK (qty < 1000) NOT VALID;
INSERT INTO sgc.items
SELECT i, i % 50, 5 + i % 20, (ARRAY['book', 'game', 'toy'])[1 + i % 3], 'ABC' || i % 10,
       'Label ' || i, 'n' || i, date '2022-05-01' + i, 1 + i % 5, 2 * i,
       date '2024-01-01' + i, date '2024-02-01' + i
  FROM generate_series(1, 200) AS i;
ANALYZE sgc.items;
CREATE TEMP TABLE suggested AS SELECT dmesh.suggest_contract('sgc.items') AS doc;
SELECT s.* FROM suggested, pg_temp.summary(doc) AS s;
SELECT pg_temp.evidence(doc, 'price') FROM suggested;
SELECT pg_temp.evidence(doc, 'even') FROM suggested;
SELECT pg_temp.object_evidence(doc) FROM suggested;
SELECT dmesh.create_data_product('sgc', 'items', 'sgc.items', contract => doc::text) > 0 AS created
  FROM suggested;
SELECT count(*) AS rules, count(*) FILTER (WHERE passed) AS passed FROM dmesh.check_product('sgc.items');

-- A CHECK constraint that calls its author's function is named, not read:
-- its code does not run with the rights of whoever asks for a suggestion.
CREATE FUNCTION sgc.limit_of() RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF current_user <> 'sgc_team' THEN
        RAISE NOTICE 'limit_of ran as %', current_user;
    END IF;
    RETURN 100;
END $$;
CREATE TABLE sgc.guarded (v integer CHECK (v < sgc.limit_of())) WITH (autovacuum_enabled = false);
INSERT INTO sgc.guarded VALUES (1), (2), (3);
GRANT SELECT ON sgc.guarded TO sgc_other;
RESET ROLE;
SET ROLE sgc_other;
SELECT pg_temp.object_evidence(dmesh.suggest_contract('sgc.guarded'));
SELECT s.* FROM pg_temp.summary(dmesh.suggest_contract('sgc.guarded')) AS s;
RESET ROLE;
SET ROLE sgc_team;

-- The freshness SLA: of the time columns, the one most like the time rows
-- are written (updated_at over created_at; not a birth date, not an
-- expiry), N days from the pace of its values (loads once a day: 2 d);
-- the row-count floor: half the rows, rounded down.
CREATE TABLE sgc.loads (
    id          integer,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz,
    expires_at  timestamptz,
    loaded_on   date,
    payload     text
) WITH (autovacuum_enabled = false);
INSERT INTO sgc.loads
SELECT i, timestamptz '2024-03-01 00:00+00' + (i / 50) * interval '1 day',
       timestamptz '2024-03-01 06:00+00' + (i / 50) * interval '1 day',
       timestamptz '2025-01-01 00:00+00' + i * interval '1 day',
       date '2024-03-01' + i / 50, 'p' || i
  FROM generate_series(0, 1499) AS i;
ANALYZE sgc.loads;
CREATE TEMP TABLE fresh AS SELECT dmesh.suggest_contract('sgc.loads') AS doc;
SELECT jsonb_pretty(doc->'slaProperties') AS sla FROM fresh;
SELECT pg_temp.evidence(doc, 'updated_at') FROM fresh;
SELECT jsonb_pretty(doc->'schema'->0->'quality') AS object_rules FROM fresh;
-- no maximum on times that grow (written, loaded, expiring: all move on)
SELECT s.property, s.options FROM fresh, pg_temp.summary(doc) AS s;

-- No statistics (never analyzed): said so; empty: no row-count floor, no
-- bounds, required only from NOT NULL; still a valid contract.
CREATE TABLE sgc.empty (id integer PRIMARY KEY, name text NOT NULL, at timestamptz)
  WITH (autovacuum_enabled = false);
CREATE TEMP TABLE empty AS SELECT dmesh.suggest_contract('sgc.empty') AS doc;
SELECT s.* FROM empty, pg_temp.summary(doc) AS s;
SELECT pg_temp.object_evidence(doc) FROM empty;
SELECT doc->'schema'->0 ? 'quality' AS has_row_count FROM empty;
SELECT dmesh.create_data_product('sgc', 'empty', 'sgc.empty', contract => doc::text) > 0 AS created
  FROM empty;
SELECT count(*) AS rules, count(*) FILTER (WHERE passed) AS passed FROM dmesh.check_product('sgc.empty');

-- sample_rows 0: the catalog and pg_stats only.
SELECT pg_temp.object_evidence(dmesh.suggest_contract('sgc.items', 0));
SELECT s.property, s.req, s.options FROM pg_temp.summary(dmesh.suggest_contract('sgc.items', 0)) AS s
 WHERE s.property IN ('id', 'kind', 'level');

-- A view: its rows as it gives them, no statistics.
CREATE VIEW sgc.cheap AS SELECT id, kind, price FROM sgc.items WHERE price < 10;
SELECT pg_temp.object_evidence(dmesh.suggest_contract('sgc.cheap'));
SELECT pg_temp.object_evidence(dmesh.suggest_contract('sgc.cheap', 10));

-- As the caller: row-level security shows it its own rows only.
CREATE TABLE sgc.shared (id integer, owner_name name, v integer) WITH (autovacuum_enabled = false);
INSERT INTO sgc.shared SELECT i, CASE WHEN i <= 10 THEN 'sgc_other' ELSE 'sgc_team' END, i
  FROM generate_series(1, 100) AS i;
ALTER TABLE sgc.shared ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON sgc.shared USING (owner_name = current_user);
GRANT SELECT ON sgc.shared TO sgc_other;
RESET ROLE;
SET ROLE sgc_other;
SELECT pg_temp.object_evidence(dmesh.suggest_contract('sgc.shared'));
SELECT dmesh.suggest_contract('sgc.shared')->'schema'->0->'quality'->0->>'mustBeGreaterThan' AS floor;

-- Refusals.
\set VERBOSITY default
-- no privilege on the relation (42501), or on some of its columns
SELECT dmesh.suggest_contract('sgc.items');
RESET ROLE;
GRANT SELECT (id, qty) ON sgc.items TO sgc_other;
SET ROLE sgc_other;
SELECT dmesh.suggest_contract('sgc.items');
RESET ROLE;
SET ROLE sgc_team;
-- unknown relation (42P01), a query (0A000), a temporary table
SELECT dmesh.suggest_contract('sgc.nowhere');
SELECT dmesh.suggest_contract('SELECT id FROM sgc.items');
CREATE TEMP TABLE scratch (id integer);
SELECT dmesh.suggest_contract('scratch');
-- NULL arguments (22004), a negative sample (22023)
SELECT dmesh.suggest_contract(NULL);
SELECT dmesh.suggest_contract('sgc.items', NULL);
SELECT dmesh.suggest_contract('sgc.items', -1);
\set VERBOSITY terse
DO $$
BEGIN
    PERFORM dmesh.suggest_contract('sgc.nowhere');
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'unknown relation: %', SQLSTATE;
END $$;
DO $$
BEGIN
    PERFORM dmesh.suggest_contract('SELECT 1 AS one');
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'query: %', SQLSTATE;
END $$;
DO $$
BEGIN
    PERFORM dmesh.suggest_contract(NULL, 10);
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'null source: %', SQLSTATE;
END $$;
RESET ROLE;
SET ROLE sgc_other;
DO $$
BEGIN
    PERFORM dmesh.suggest_contract('sgc.items');
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'no privilege: %', SQLSTATE;
END $$;
RESET ROLE;
