-- Issue 12, Low ("values and metadata that leak"), the parts a single
-- session shows: _newest_data reads a pii column for a role with no grant;
-- derive_contract lists unpublished source columns to any role;
-- lineage_run shows every role's writes; a consumer's bad row filter in
-- request_access echoes the internal query (source table and columns); an
-- sql rule's error puts a raw value into quality_result.detail (readable
-- by every role); pg_get_viewdef shows every consumer's filter and expiry
-- (cannot be closed: documented).
-- Fixed values are given with each check.
\set VERBOSITY terse
CREATE ROLE atk8_team NOLOGIN;
CREATE ROLE atk8_analyst LOGIN NOINHERIT;
CREATE ROLE atk8_nobody LOGIN NOINHERIT;
SELECT dmesh.create_domain('atk8', 'atk8_team') > 0 AS created;
CREATE SCHEMA atk8_src AUTHORIZATION atk8_team;
CREATE SCHEMA atk8_analyst AUTHORIZATION atk8_analyst;
SET ROLE atk8_team;
CREATE TABLE atk8_src.people (id int, dept text, ssn text, birth_date date, secret_note text);
INSERT INTO atk8_src.people VALUES (1, 'eng', '078-05-1120', '1961-04-12', 'fired soon'),
                                   (2, 'ops', '219-09-9999', '1990-02-03', 'raise');
SELECT dmesh.create_data_product('atk8', 'atk8_people', 'atk8_src.people', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: atk8-people
version: 1.0.0
status: active
schema:
  - name: people
    quality:
      - type: sql
        name: ssn numeric
        query: SELECT count(*) FROM {object} WHERE ssn::bigint > 0
        mustBeGreaterThan: 0
    properties:
      - {name: id, logicalType: integer}
      - {name: dept, logicalType: string}
      - {name: ssn, logicalType: string, classification: restricted}
      - {name: birth_date, logicalType: date, classification: pii}
$y$) > 0 AS created;
SELECT dmesh.create_policy('atk8 masks', 'masking', '{"classification": "restricted", "mask": "null"}',
                           'domain:atk8') > 0 AS created;
SELECT dmesh.create_policy('atk8 pii', 'masking', '{"classification": "pii", "mask": "null"}',
                           'domain:atk8') > 0 AS created;
SELECT dmesh.publish_data_product('atk8.atk8_people');
SELECT dmesh.grant_access('atk8.atk8_people', 'atk8_analyst', row_filter => $$dept = 'eng'$$,
                          expires_at => '2099-01-01') > 0 AS granted;
SELECT count(*) AS results FROM dmesh.check_product('atk8.atk8_people');
RESET ROLE;

SET ROLE atk8_nobody;
-- 1. _newest_data: the newest birth_date, a pii column, for a role with no
-- grant (non-null on the vulnerable build; fixed: refused or NULL).
SELECT dmesh._newest_data('atk8.atk8_people', 'birth_date') IS NOT NULL AS pii_max_leaked,
       dmesh._newest_data('atk8.atk8_people', 'birth_date')::date = '1990-02-03' AS exact_value;
-- product_health shows every role the newest data of the column the
-- freshness SLA names; not when that column is classified pii or
-- restricted, except to the product's managers.
RESET ROLE;
SET ROLE atk8_team;
SELECT dmesh.set_contract('atk8.atk8_people',
       jsonb_set(jsonb_set((SELECT document FROM dmesh.contract c JOIN dmesh.data_product p USING (product_id)
                             WHERE p.name = 'atk8_people'), '{version}', '"1.1.0"'),
                 '{slaProperties}', '[{"property": "freshness", "value": 1, "unit": "d", "element": "birth_date"}]'))
       IS NOT NULL AS set;
SELECT newest_data::date AS newest_seen_by_manager FROM dmesh.product_health WHERE product = 'atk8_people';
RESET ROLE;
SET ROLE atk8_nobody;
SELECT newest_data AS newest_seen_by_nobody FROM dmesh.product_health WHERE product = 'atk8_people';
-- 2. derive_contract: the source's unpublished column secret_note, for any
-- role (t; fixed: refused).
SELECT dmesh.derive_contract('atk8.atk8_people')::text ~ 'secret_note' AS unpublished_column_listed;
-- 3. The sql rule's error, with the ssn value in clear, readable by every
-- role (t; fixed: f, the value not stored or the row not visible).
SELECT count(*) > 0 AS raw_value_in_quality_detail FROM dmesh.quality_result
 WHERE detail::text ~ '078-05-1120';
-- Not stored at all: the detail says what failed, values left out; and
-- only the product's managers and consumers see it.
RESET ROLE;
SELECT count(*) AS raw_value_stored FROM dmesh.quality_result WHERE detail ~ '078-05-1120';
SET ROLE atk8_team;
SELECT r.rule, r.detail FROM dmesh.quality_result r
  JOIN dmesh.quality_run q USING (run_id) JOIN dmesh.data_product p USING (product_id)
 WHERE p.name = 'atk8_people' AND r.detail IS NOT NULL;
RESET ROLE;
SET ROLE atk8_nobody;
SELECT count(*) AS details_visible_to_nobody FROM dmesh.quality_result r
  JOIN dmesh.quality_run q USING (run_id) JOIN dmesh.data_product p USING (product_id)
 WHERE p.name = 'atk8_people';
-- 4. pg_get_viewdef shows the analyst's filter and expiry to anyone (t;
-- stays t: documented in SECURITY.md as a limit that cannot be closed).
-- (the expiry is stored as microseconds since 2000-01-01)
SELECT d ~ 'atk8_analyst' AND d ~ $$'eng'$$ AND d ~ '3124252800000000' AS agreements_in_viewdef
  FROM pg_get_viewdef('dmesh_atk8.atk8_people_v1'::regclass) d;
RESET ROLE;

-- 5. A bad row filter in request_access: the error's QUERY line shows the
-- internal query, naming the source table atk8_src.people and its columns
-- (fixed: an error about the filter only, no QUERY line).
SET ROLE atk8_analyst;
\set VERBOSITY default
SELECT dmesh.request_access('atk8.atk8_people', 'x', row_filter => 'dept = 1');
SELECT dmesh.request_access('atk8.atk8_people', 'x', row_filter => 'secret_note IS NULL');
\set VERBOSITY terse
RESET ROLE;

-- 6. lineage_run: the analyst copies what it reads into a table of its
-- own; after the flush every role sees who copied which product where
-- (1; fixed: 0 for atk8_nobody, like dmesh.usage).
SET ROLE atk8_analyst;
CREATE TABLE atk8_analyst.copy AS SELECT id FROM dmesh_atk8.atk8_people_v1;
INSERT INTO atk8_analyst.copy SELECT id FROM dmesh_atk8.atk8_people_v1;
RESET ROLE;
SELECT dmesh.flush_usage() IS NOT NULL AS flushed;
SET ROLE atk8_nobody;
SELECT count(*) AS others_writes_visible FROM dmesh.lineage_run WHERE role = 'atk8_analyst';
SELECT count(*) AS others_reads_visible FROM dmesh.usage WHERE consumer = 'atk8_analyst';
RESET ROLE;
-- The writer sees its own writes, the product's managers the writes that
-- read their product (like usage).
SET ROLE atk8_analyst;
SELECT source, target, kind FROM dmesh.lineage_run WHERE role = 'atk8_analyst' ORDER BY kind;
RESET ROLE;
SET ROLE atk8_team;
SELECT source, target, kind FROM dmesh.lineage_run WHERE role = 'atk8_analyst' ORDER BY kind;
RESET ROLE;
