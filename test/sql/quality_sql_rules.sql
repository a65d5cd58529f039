-- Quality checks, object-level and sql rules: rowCount with every
-- operator (between and not between included); type: sql rules with
-- {object} and {property}, before publishing (the source) and after (the
-- published view, property names); sql rules that cannot be evaluated are
-- failed, with observed NULL and the reason in quality_result.detail;
-- text rules are skipped; a product whose source is a query.
CREATE ROLE qsql_team NOLOGIN;
SELECT dmesh.create_domain('qsql', 'qsql_team') > 0 AS created;
CREATE SCHEMA qsql_src AUTHORIZATION qsql_team;
SET ROLE qsql_team;
CREATE TABLE qsql_src.sales (id integer, region text, amount numeric);
INSERT INTO qsql_src.sales
SELECT i, (ARRAY['north', 'south', 'east'])[i % 3 + 1], CASE WHEN i = 12 THEN -5 ELSE i * 10 END
  FROM generate_series(1, 12) i;

SELECT dmesh.create_data_product('qsql', 'sales', 'qsql_src.sales',
       contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: qsql-sales
version: 1.0.0
status: active
schema:
  - name: sales
    quality:
      - {type: text, description: Sales are booked daily.}
      - {name: more_than_10, metric: rowCount, mustBeGreaterThan: 10}
      - {name: exactly_12, metric: rowCount, mustBe: 12}
      - {name: not_empty, metric: rowCount, mustNotBe: 0}
      - {name: one_to_ten, metric: rowCount, mustBeBetween: [1, 10]}
      - {name: not_one_to_ten, metric: rowCount, mustNotBeBetween: [1, 10]}
      - {name: at_most_12, metric: rowCount, mustBeLessOrEqualTo: 12}
      - {name: under_12, metric: rowCount, mustBeLessThan: 12}
      - {name: at_least_13, metric: rowCount, mustBeGreaterOrEqualTo: 13}
      - {name: under_a_million, metric: rowCount, mustBeLessThan: 1000000}
      - {name: up_to_1234567, metric: rowCount, mustBeBetween: [1, 1234567]}
      - {type: sql, name: regions, query: 'SELECT count(DISTINCT region) FROM {object}', mustBe: 3}
      - {type: sql, name: bad_column, query: 'SELECT count(*) FROM {object} WHERE nope > 0', mustBe: 0}
      - {type: sql, name: two_rows, query: 'SELECT 1 UNION ALL SELECT 2', mustBe: 1}
      - {type: sql, name: null_result, query: 'SELECT max(id) FROM {object} WHERE false', mustBe: 0}
      - {type: sql, name: not_a_number, query: "SELECT 'many'", mustBe: 0}
      - {type: sql, name: by_zero, query: 'SELECT 1 / 0', mustBe: 0}
      - {type: sql, query: 'SELECT count(*) FROM {object}', mustBeGreaterThan: 0, dimension: completeness}
    properties:
      - {name: id, logicalType: integer}
      - {name: region, logicalType: string}
      - name: total
        physicalName: amount
        logicalType: number
        quality:
          - {type: sql, name: revenue, query: 'SELECT sum({property}) FROM {object}', mustBeBetween: [500, 1000]}
          - {type: sql, name: no_negative, query: 'SELECT count(*) FROM {object} WHERE {property} < 0', mustBe: 0}
          - {type: sql, name: largest, query: 'SELECT max({property}) FROM {object}', mustBeLessThan: 110}
$y$) > 0 AS created;

-- 12 rows; 3 regions; amounts 10 to 110 and -5: sum 655, one negative,
-- largest 110 (not < 110).  Thresholds are shown in full.  Unevaluated
-- rules fail with no observed value, and do not stop the rules after them.
SELECT rule, property, metric, passed, observed, expected, rows_checked, severity
  FROM dmesh.check_product('qsql.sales');
SELECT r.position, r.rule, r.dimension, r.unit, r.detail
  FROM dmesh.quality_result r
 WHERE r.run_id = (SELECT run_id FROM dmesh.quality_score WHERE domain = 'qsql' AND product = 'sales')
   AND (r.detail IS NOT NULL OR r.dimension IS NOT NULL)
 ORDER BY r.position;

-- Published, {object} is the published view and {property} the property
-- name (total, not amount): same outcomes.
SELECT dmesh.publish_data_product('qsql.sales') IS NOT NULL AS published;
SELECT rule, passed, observed FROM dmesh.check_product('qsql.sales')
 WHERE metric = 'sql' AND observed IS NOT NULL;

-- A query that writes is refused when the contract is set: the rows are
-- still there.
SELECT dmesh.set_contract('qsql.sales', $y$
apiVersion: v3.1.0
kind: DataContract
id: qsql-sales
version: 1.1.0
status: active
schema:
  - name: sales
    properties:
      - {name: id, logicalType: integer}
      - {name: region, logicalType: string}
      - {name: total, physicalName: amount, logicalType: number}
    quality:
      - {type: sql, name: sneaky, query: 'WITH d AS (DELETE FROM qsql_src.sales RETURNING 1) SELECT count(*) FROM d', mustBe: 0}
$y$) > 0 AS set;
SELECT count(*) FROM qsql_src.sales;

-- A product whose source is a query: 6 sales over 50.  {object} is the
-- query until the product is published, and works with or without an
-- alias.
SELECT dmesh.create_data_product('qsql', 'big_sales',
       'SELECT id, region, amount FROM qsql_src.sales WHERE amount > 50',
       contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: qsql-big-sales
version: 1.0.0
status: active
schema:
  - name: big_sales
    quality:
      - {metric: rowCount, mustBe: 6}
      - {type: sql, name: over_100, query: 'SELECT count(*) FROM {object} WHERE amount > 100', mustBe: 1}
      - {type: sql, name: largest, query: 'SELECT max(b.amount) FROM {object} b', mustBe: 110}
    properties:
      - {name: id, logicalType: integer, required: true, unique: true}
      - {name: region, logicalType: string}
      - {name: amount, logicalType: number, logicalTypeOptions: {minimum: 60}}
$y$) > 0 AS created;
SELECT rule, property, passed, observed, rows_checked FROM dmesh.check_product('qsql.big_sales');
SELECT r.rule, r.detail FROM dmesh.quality_result r
 WHERE r.run_id = (SELECT run_id FROM dmesh.quality_score WHERE domain = 'qsql' AND product = 'big_sales')
   AND r.metric = 'sql' ORDER BY r.position;
SELECT dmesh.publish_data_product('qsql.big_sales') IS NOT NULL AS published;
SELECT rule, property, passed, observed, rows_checked FROM dmesh.check_product('qsql.big_sales');
RESET ROLE;
