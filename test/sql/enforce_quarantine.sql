-- Enforcement on write, quarantine mode: bad rows go to the quarantine,
-- good rows go through, nothing is lost (COPY with mixed rows); updates
-- are held back too; release writes rows back and checks them again;
-- discard deletes them; only managers see quarantined rows.
CREATE ROLE equa_team NOLOGIN;
CREATE ROLE equa_writer NOLOGIN;
CREATE ROLE equa_other NOLOGIN;
SELECT dmesh.create_domain('equa', 'equa_team') > 0 AS created;
CREATE SCHEMA equa_src AUTHORIZATION equa_team;
GRANT USAGE ON SCHEMA equa_src TO equa_writer;
SET ROLE equa_team;
CREATE TABLE equa_src.readings (
    sensor  text,
    at      timestamptz,
    celsius double precision,
    note    text GENERATED ALWAYS AS ('sensor ' || sensor) STORED);
GRANT SELECT, INSERT, UPDATE ON equa_src.readings TO equa_writer;
SELECT dmesh.create_data_product('equa', 'readings', 'equa_src.readings', 'Readings',
    contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: equa-readings
version: 1.0.0
status: active
schema:
  - name: readings
    properties:
      - name: sensor
        logicalType: string
        required: true
        logicalTypeOptions: {pattern: '^S[0-9]{3}$'}
      - {name: at, logicalType: timestamp, required: true}
      - name: celsius
        logicalType: number
        logicalTypeOptions: {minimum: -90, maximum: 60}
    quality:
      - {metric: duplicateValues, arguments: {properties: [sensor, at]}, mustBe: 0}
$y$) > 0 AS created;
SELECT count(*) AS rules FROM dmesh.enforce_contract('equa.readings', 'quarantine');
RESET ROLE;

-- COPY of 8 rows, 3 of them bad: 5 land in the table, 3 in quarantine.
SET ROLE equa_writer;
COPY equa_src.readings (sensor, at, celsius) FROM stdin;
S001	2026-01-01 00:00+00	12.5
S002	2026-01-01 00:00+00	99
S003	2026-01-01 00:00+00	-4
bad	2026-01-01 00:00+00	1
S004	\N	1
S005	2026-01-01 00:00+00	20
S001	2026-01-01 01:00+00	13
S006	2026-01-01 00:00+00	21
\.
RESET ROLE;
SELECT (SELECT count(*) FROM equa_src.readings) AS written,
       (SELECT count(*) FROM dmesh.quarantine WHERE domain = 'equa') AS quarantined;
SELECT row_data->>'sensor' AS sensor, operation, written_by,
       (SELECT string_agg(r->>'property' || '.' || (r->>'rule'), ', ')
          FROM jsonb_array_elements(broken_rules) r) AS broken
  FROM dmesh.quarantine WHERE domain = 'equa' ORDER BY quarantine_id;
SELECT rule, property, mode, violations FROM dmesh.rule_violation v
  JOIN dmesh.data_product p USING (product_id)
 WHERE p.name = 'readings' ORDER BY rule, property;

-- A duplicate key within one statement: the second row is held back.
SET ROLE equa_writer;
INSERT INTO equa_src.readings (sensor, at, celsius)
VALUES ('S007', '2026-01-02 00:00+00', 1), ('S007', '2026-01-02 00:00+00', 2);
-- An update that breaks a rule leaves the row as it was.
UPDATE equa_src.readings SET celsius = 70 WHERE sensor = 'S003';
RESET ROLE;
SELECT sensor, celsius FROM equa_src.readings WHERE sensor IN ('S003', 'S007') ORDER BY 1, 2;
SELECT operation, row_data->>'celsius' AS new_celsius, old_row->>'celsius' AS old_celsius
  FROM dmesh.quarantine WHERE domain = 'equa' AND operation = 'UPDATE';

-- A statement that fails leaves no quarantine behind.
SET ROLE equa_writer;
BEGIN;
INSERT INTO equa_src.readings (sensor, at, celsius) VALUES ('bad', now(), 1);
SELECT 1 / 0;
ROLLBACK;
RESET ROLE;
SELECT count(*) AS quarantined FROM dmesh.quarantine WHERE domain = 'equa';

-- Only managers see quarantined rows, and only they release them.
SET ROLE equa_other;
SELECT count(*) FROM dmesh.quarantine WHERE domain = 'equa';
SELECT count(*) FROM dmesh.quarantined_row;
SELECT dmesh.release_quarantine('equa.readings');
RESET ROLE;

-- Fix two rows at the source of the trouble: a wider range in contract
-- 1.1.0 (set from the document as stored, with the bounds changed).
SET ROLE equa_team;
SELECT dmesh.set_contract('equa.readings',
    jsonb_set(jsonb_set(document, '{version}', '"1.1.0"'),
              '{schema,0,properties,2,logicalTypeOptions,maximum}', '100')) > 0 AS set
  FROM dmesh.contract WHERE version = '1.0.0'
   AND product_id = (SELECT product_id FROM dmesh.data_product WHERE name = 'readings');
-- Releasing an unknown id changes nothing.
SELECT dmesh.release_quarantine('equa.readings', ARRAY[-1]::bigint[]);
-- Release all: rows that now pass are written (the update is applied),
-- the others are quarantined again.
SELECT dmesh.release_quarantine('equa.readings');
SELECT sensor, celsius, note FROM equa_src.readings WHERE sensor IN ('S002', 'S003') ORDER BY 1;
SELECT row_data->>'sensor' AS sensor, contract_version
  FROM dmesh.quarantine WHERE domain = 'equa' ORDER BY quarantine_id;
-- Discard deletes for good.
SELECT dmesh.discard_quarantine('equa.readings',
    ARRAY(SELECT quarantine_id FROM dmesh.quarantine WHERE domain = 'equa'));
SELECT count(*) FROM dmesh.quarantine WHERE domain = 'equa';
RESET ROLE;
SELECT action, details FROM dmesh.event_log
 WHERE action IN ('release_quarantine', 'discard_quarantine') AND object_identity = 'equa.readings'
 ORDER BY event_id;
