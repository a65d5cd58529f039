-- The contract assistant, types and keys: dmesh.suggest_contract gives each
-- column the logicalType and physicalType a derived contract gives it,
-- required from NOT NULL or from data and statistics that agree, primary
-- and unique keys from the indexes (a unique index on several NOT NULL
-- columns as a duplicateValues rule), unique from all-distinct data that
-- pg_stats agrees with, descriptions from comments.  The suggestion is a
-- valid contract that create_data_product accepts for the same source and
-- that check_product passes on the data it came from.
CREATE ROLE sgt_team NOLOGIN;
SELECT dmesh.create_domain('sgt', 'sgt_team') > 0 AS created;
CREATE SCHEMA sgt AUTHORIZATION sgt_team;
SET ROLE sgt_team;
CREATE TYPE sgt.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN sgt.positive AS integer CHECK (VALUE > 0);
CREATE TABLE sgt.things (
    id          integer PRIMARY KEY,
    code        varchar(20) NOT NULL UNIQUE,
    shelf       smallint NOT NULL,
    slot        smallint NOT NULL,
    bin         smallint,
    rack        smallint,
    price       numeric(10,2),
    weight      real,
    ratio       double precision,
    big         bigint,
    active      boolean NOT NULL,
    made_on     date,
    made_at     timestamp,
    seen_at     timestamptz,
    opens       time,
    token       uuid,
    attrs       jsonb,
    tags        text[],
    flag        char(2),
    blob        bytea,
    host        inet,
    mood        sgt.mood,
    amount      sgt.positive,
    serial_no   text,
    remark      text,
    UNIQUE (shelf, slot),
    UNIQUE (bin, rack)
) WITH (autovacuum_enabled = false);
COMMENT ON TABLE sgt.things IS 'Things on shelves.';
COMMENT ON COLUMN sgt.things.code IS 'The code printed on the label.';
COMMENT ON COLUMN sgt.things.remark IS 'Free text.';
INSERT INTO sgt.things
SELECT i, 'T-' || i, i % 10, i / 10, CASE WHEN i % 3 = 0 THEN NULL ELSE i END, i % 7,
       (i % 50) + 0.25, (i % 9) / 4.0, i / 3.0, i * 1000, i % 2 = 0,
       date '2024-01-01' + i, timestamp '2024-01-01' + i * interval '1 hour',
       timestamptz '2024-01-01 00:00+00' + i * interval '1 hour', time '08:00' + i * interval '1 minute',
       md5(i::text)::uuid, jsonb_build_object('n', i), ARRAY['a' || i % 3],
       'X' || i % 2, '\x00'::bytea, '10.0.0.1'::inet, (ARRAY['sad', 'ok', 'happy'])[1 + i % 3]::sgt.mood,
       i, 'SN' || lpad(i::text, 6, '0'), CASE WHEN i % 5 = 0 THEN NULL ELSE 'remark ' || i % 4 END
  FROM generate_series(1, 300) AS i;
-- statistics of every row (fewer than ANALYZE's sample): deterministic
ANALYZE sgt.things;

CREATE FUNCTION pg_temp.summary(doc jsonb)
RETURNS TABLE (property text, type text, req boolean, uniq boolean, pk integer, options jsonb, rules jsonb)
LANGUAGE sql AS $$
  SELECT p->>'name', (p->>'logicalType') || ' / ' || (p->>'physicalType'),
         coalesce((p->>'required')::boolean, false), coalesce((p->>'unique')::boolean, false),
         (p->>'primaryKeyPosition')::integer, p->'logicalTypeOptions',
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

CREATE TEMP TABLE suggested AS SELECT dmesh.suggest_contract('sgt.things') AS doc;
SELECT doc->>'apiVersion' AS api, doc->>'kind' AS kind, doc->>'version' AS version,
       doc->>'status' AS status, doc->'schema'->0->>'name' AS object,
       doc->'schema'->0->>'physicalName' AS physical_name,
       doc->'schema'->0->>'description' AS description
  FROM suggested;
SELECT s.* FROM suggested, pg_temp.summary(doc) AS s;

-- The same types as the contract dmesh derives for a product of that source.
SELECT dmesh.create_data_product('sgt', 'derived', 'sgt.things') > 0 AS created;
SELECT count(*) AS same_types
  FROM suggested,
       jsonb_array_elements(doc->'schema'->0->'properties') AS s(p),
       jsonb_array_elements(dmesh.derive_contract('sgt.derived')->'schema'->0->'properties') AS d(p)
 WHERE s.p->>'name' = d.p->>'name'
   AND s.p->>'logicalType' = d.p->>'logicalType' AND s.p->>'physicalType' = d.p->>'physicalType';
SELECT jsonb_array_length(doc->'schema'->0->'properties') AS properties FROM suggested;

-- Keys: the primary key, a unique index, a unique index on two NOT NULL
-- columns (a rule on the object), one on columns that may be NULL (evidence).
SELECT jsonb_pretty(q - 'customProperties') AS object_rule
  FROM suggested, jsonb_array_elements(doc->'schema'->0->'quality') AS q
 WHERE q->>'metric' = 'duplicateValues';
SELECT e AS object_evidence
  FROM suggested, jsonb_array_elements(doc->'schema'->0->'customProperties') AS cp,
       jsonb_array_elements_text(cp->'value') AS e
 WHERE e LIKE 'unique index%';
SELECT pg_temp.evidence(doc, 'id') FROM suggested;
SELECT pg_temp.evidence(doc, 'code') FROM suggested;
-- unique from the data: 300 distinct values, pg_stats n_distinct -1
SELECT pg_temp.evidence(doc, 'serial_no') FROM suggested;
-- required from the data: no NULL in every row read, pg_stats agreeing;
-- remark has NULLs: neither required nor unique
SELECT pg_temp.evidence(doc, 'price') FROM suggested;
SELECT pg_temp.evidence(doc, 'remark') FROM suggested;
-- an enum's labels, a uuid's format, a domain over integer
SELECT pg_temp.evidence(doc, 'mood') FROM suggested;
SELECT pg_temp.evidence(doc, 'token') FROM suggested;

-- A composite primary key: positions.
CREATE TABLE sgt.lines (order_id integer, line_no integer, qty integer NOT NULL,
                        PRIMARY KEY (order_id, line_no)) WITH (autovacuum_enabled = false);
INSERT INTO sgt.lines SELECT i / 3, i % 3, 1 + i % 5 FROM generate_series(0, 29) AS i;
SELECT s.property, s.req, s.pk FROM pg_temp.summary(dmesh.suggest_contract('sgt.lines')) AS s;

-- The same data and statistics give the same document, whatever the
-- session's DateStyle, TimeZone and search_path.
SET DateStyle = 'SQL, DMY';
SET TimeZone = 'America/New_York';
SET search_path = sgt, public;
SELECT dmesh.suggest_contract('things') = doc AS same_document FROM suggested;
RESET DateStyle;
RESET TimeZone;
RESET search_path;

-- A valid contract: create_data_product takes it for the same source, and
-- check_product passes on the data it came from.
SELECT dmesh.create_data_product('sgt', 'things', 'sgt.things', contract => doc::text) > 0 AS created
  FROM suggested;
SELECT count(*) AS rules, count(*) FILTER (WHERE passed) AS passed,
       count(*) FILTER (WHERE passed IS NULL) AS not_run
  FROM dmesh.check_product('sgt.things');
SELECT rule, property FROM dmesh.check_product('sgt.things') WHERE passed IS NOT TRUE;
RESET ROLE;
