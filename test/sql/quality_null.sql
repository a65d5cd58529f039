-- Quality checks, null values: required: true and the nullValues metric,
-- counted in rows or in percent of the rows checked, with the default
-- (mustBe 0) and other operators; a physicalName column; the same rules
-- passing once the data is fixed; an empty source.
CREATE ROLE qnull_team NOLOGIN;
SELECT dmesh.create_domain('qnull', 'qnull_team') > 0 AS created;
CREATE SCHEMA qnull_src AUTHORIZATION qnull_team;
SET ROLE qnull_team;
CREATE TABLE qnull_src.people (
    id      integer,
    name    text,
    email   text,
    phone   text,
    nick    text);
-- 10 rows: name NULL once, email NULL 3 times, phone NULL 5 times, nick
-- never NULL but sometimes empty (an empty string is not NULL).
INSERT INTO qnull_src.people
SELECT i,
       CASE WHEN i = 4 THEN NULL ELSE 'person ' || i END,
       CASE WHEN i IN (2, 5, 8) THEN NULL ELSE 'p' || i || '@example.org' END,
       CASE WHEN i > 5 THEN NULL ELSE '555-010' || i END,
       CASE WHEN i % 2 = 0 THEN '' ELSE 'n' || i END
  FROM generate_series(1, 10) i;

SELECT dmesh.create_data_product('qnull', 'people', 'qnull_src.people',
       contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: qnull-people
version: 1.0.0
status: active
schema:
  - name: people
    properties:
      - {name: id, logicalType: integer, required: true}
      - name: name
        logicalType: string
        required: true
        quality:
          - {metric: nullValues, mustBeLessThan: 20, unit: percent}
      - name: email
        logicalType: string
        quality:
          - {name: few_missing_emails, metric: nullValues, mustBeLessOrEqualTo: 2}
          - {name: email_null_share, metric: nullValues, unit: percent, mustBeLessThan: 25}
      - name: phone
        logicalType: string
        quality:
          - {metric: nullValues, mustBeBetween: [40, 60], unit: percent, severity: warning}
          - {metric: nullValues, unit: rows, mustBeGreaterThan: 5}
      - name: nickname
        physicalName: nick
        logicalType: string
        required: true
        quality:
          - {metric: nullValues, mustBe: 0}
$y$) > 0 AS created;

-- id passes; name has one NULL (10%: the percent rule passes, required
-- does not); email has 3 (fails both); phone 5 of 10 (between 40% and 60%,
-- not > 5 rows); nick is never NULL.
SELECT * FROM dmesh.check_product('qnull.people');

-- Fix the data: every rule but the phone row count now passes.
UPDATE qnull_src.people SET name = 'person 4' WHERE id = 4;
UPDATE qnull_src.people SET email = 'p2@example.org' WHERE id = 2;
SELECT rule, property, passed, observed, expected FROM dmesh.check_product('qnull.people');

-- At and over the limits: 2 of 10 names (20% is not < 20%), 9 of 10
-- phones (90% is not between 40% and 60%).
UPDATE qnull_src.people SET name = NULL WHERE id IN (3, 7);
UPDATE qnull_src.people SET phone = NULL WHERE id > 1;
SELECT rule, property, passed, observed, expected
  FROM dmesh.check_product('qnull.people') WHERE property IN ('name', 'phone');

-- The stored results match what was returned.
SELECT r.position, r.rule, r.property, r.metric, r.passed, r.observed, r.expected,
       r.unit, r.rows_checked
  FROM dmesh.quality_result r
 WHERE r.run_id = (SELECT run_id FROM dmesh.quality_score
                    WHERE domain = 'qnull' AND product = 'people')
 ORDER BY r.position;

-- An empty source: no NULLs anywhere, 0 rows checked; the percent rules
-- see 0% (not a division by zero).
CREATE TABLE qnull_src.empty (id integer, name text);
SELECT dmesh.create_data_product('qnull', 'empty', 'qnull_src.empty',
       contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: qnull-empty
version: 1.0.0
status: active
schema:
  - name: empty
    properties:
      - {name: id, logicalType: integer, required: true}
      - name: name
        logicalType: string
        quality:
          - {metric: nullValues, mustBeLessThan: 5, unit: percent}
$y$) > 0 AS created;
SELECT * FROM dmesh.check_product('qnull.empty');
RESET ROLE;
