-- Rules "not run here": what the standard allows and dmesh cannot run is
-- kept as written, never refused, never counted as passed or failed.
-- That is: custom rules of other engines; formats dmesh does not check
-- (yyyy-MM-dd, HH:mm:ss, i64, ipv4 ...); ODCS v3.0 library rules without
-- what they need (a count without bounds, minCheck without min, validValues
-- without a list, a property rule on the object) or with a name dmesh does
-- not know; sql rules without an operator; uniqueItems of a type without a
-- hash function.  check_product reports each with passed NULL, observed
-- NULL and "not run here: <why>" as expected; the run counts them in
-- not_run, apart from rules, passed and failed, and the score leaves them
-- out; enforce_contract lists them with the reason, and writes are not held
-- to them.  Text rules stay descriptions, not listed at all.
CREATE ROLE qnr_team NOLOGIN;
SELECT dmesh.create_domain('qnr', 'qnr_team') > 0 AS created;
CREATE SCHEMA qnr_src AUTHORIZATION qnr_team;
SET ROLE qnr_team;
CREATE TABLE qnr_src.visits (id integer, day date, at text, guests integer, ip text,
                             spots point[]);
INSERT INTO qnr_src.visits VALUES
    (1, '2024-01-01', '10:00', 2, '10.0.0.1', '{"(1,1)","(1,1)"}'),
    (2, '2024-01-02', '11:00', NULL, 'nope', NULL);

SELECT dmesh.create_data_product('qnr', 'visits', 'qnr_src.visits', contract => $y$
apiVersion: v3.0.2
kind: DataContract
id: qnr-visits
version: 1.0.0
status: active
schema:
  - name: visits
    quality:
      - {type: text, description: Visits are counted at the door.}
      - {rule: countCheck, description: Row count within the expected volume.}
      - {rule: rowCount, mustBeGreaterThan: 0}
      - type: custom
        engine: soda
        implementation: |
          type: row_count
          must_be_greater_than: 0
      - {rule: nullCheck, name: no_nulls_anywhere}
      - {rule: duplicateCount}
      - {type: sql, name: no_operator, query: 'SELECT count(*) FROM ${object}'}
      - {rule: freshness, severity: high}
      - {rule: nulCheck}
    properties:
      - {name: id, logicalType: integer, required: true}
      - {name: day, logicalType: date, logicalTypeOptions: {format: yyyy-MM-dd}}
      - {name: at, logicalType: string, logicalTypeOptions: {format: 'HH:mm:ss'}}
      - name: guests
        logicalType: integer
        logicalTypeOptions: {format: i64}
        quality:
          - {rule: minCheck, customProperties: [{property: max, value: 10}]}
          - {rule: between, customProperties: [{property: min, value: 1}]}
          - {rule: validValues}
          - {type: custom, engine: greatExpectations, implementation: {type: expect_column_values_to_not_be_null}}
      - {name: ip, logicalType: string, logicalTypeOptions: {format: ipv4}}
      - {name: spots, logicalType: array, logicalTypeOptions: {uniqueItems: true}}
$y$) > 0 AS created;

-- required (id) and rowCount run and pass; all the others are not run.
SELECT rule, property, metric, passed, observed, expected, rows_checked, severity
  FROM dmesh.check_product('qnr.visits');
-- The run counts 2 rules run, both passed, and 16 not run; the score is
-- that of the rules run.
SELECT rules, passed, failed, not_run, score FROM dmesh.quality_score
 WHERE domain = 'qnr' AND product = 'visits';
SELECT count(*) FILTER (WHERE passed IS NULL) AS not_run,
       count(*) FILTER (WHERE passed IS NULL AND observed IS NULL AND unit IS NULL
                          AND rows_checked IS NULL AND expected LIKE 'not run here: %') AS as_documented
  FROM dmesh.quality_result
 WHERE run_id = (SELECT run_id FROM dmesh.quality_score WHERE domain = 'qnr' AND product = 'visits');

-- enforce_contract says which rules are not run, and why; writes are held
-- to the rules that run (required) only.
SELECT rule, property, checked FROM dmesh.enforce_contract('qnr.visits');
INSERT INTO qnr_src.visits VALUES (3, '2024-01-03', '12:00', 99, 'not an ip', '{"(2,2)","(2,2)"}');
INSERT INTO qnr_src.visits VALUES (NULL, '2024-01-03', '12:00', 1, '10.0.0.2', NULL);
SELECT count(*) AS rules FROM dmesh.enforce_contract('qnr.visits', 'off');

-- A contract whose rules are all not run: no rule run, no score.
SELECT dmesh.set_contract('qnr.visits', $y$
apiVersion: v3.0.2
kind: DataContract
id: qnr-visits
version: 1.1.0
status: active
schema:
  - name: visits
    quality:
      - {type: custom, engine: montecarlo, implementation: anything}
    properties:
      - {name: id, logicalType: integer}
      - {name: day, logicalType: date, logicalTypeOptions: {format: yyyy-MM-dd}}
      - {name: at, logicalType: string}
      - {name: guests, logicalType: integer}
      - {name: ip, logicalType: string}
      - {name: spots, logicalType: array}
$y$) > 0 AS set;
SELECT rule, passed, expected FROM dmesh.check_product('qnr.visits');
SELECT rules, passed, failed, not_run, score FROM dmesh.quality_score
 WHERE domain = 'qnr' AND product = 'visits';

-- Published, the marketplace shows the latest score (NULL here), and the
-- health view counts no failed rule.
SELECT dmesh.publish_data_product('qnr.visits') IS NOT NULL AS published;
SELECT product, quality_score FROM dmesh.marketplace WHERE domain = 'qnr';
SELECT failed_error_rules, failed_other_rules FROM dmesh.product_health WHERE domain = 'qnr';
RESET ROLE;
