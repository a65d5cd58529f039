-- ODCS v3.0.x library rules, written rule: <name> without metric, each run
-- as the metric it names: nullCheck (nullValues), duplicateCount and unique
-- (duplicateValues), validValues (invalidValues, with the rule's own
-- validValues list), rowCount and countCheck (rowCount), minCheck,
-- maxCheck and between (invalidValues: values outside the bounds given in
-- the rule's customProperties as min and max).  Without an operator the
-- v3.0 meaning is "none allowed" (mustBe 0); several operators must all
-- hold (v3.0 writes mustBeBetween as mustBeGreaterThan with
-- mustBeLessThan).  sql rules take ${object} and ${property} (v3.0),
-- {object} and {property} (v3.1), and {table}, {column}, ${table},
-- ${column}; placeholders inside string literals, quoted identifiers and
-- comments stay as written.  A date property on a timestamp column (v3.0
-- had no timestamp type) compares dates as whole days.
CREATE ROLE qv30_team NOLOGIN;
SELECT dmesh.create_domain('qv30', 'qv30_team') > 0 AS created;
CREATE SCHEMA qv30_src AUTHORIZATION qv30_team;
SET ROLE qv30_team;
CREATE TABLE qv30_src.readings (id integer, station text, unit text, value numeric,
                                taken date, "{object}" integer);
INSERT INTO qv30_src.readings VALUES
    (1, 'north', 'pounds', 10,   '2024-01-05', 0),
    (2, 'north', 'kg',     20,   '2024-02-01', 0),
    (3, 'south', 'pounds', 600,  '2023-12-31', 0),
    (4, NULL,    'stone',  -5,   '2024-03-01', 0),
    (5, 'east',  'pounds', 250,  NULL,         0),
    (5, 'east',  NULL,     NULL, '2024-06-30', 0);

SELECT dmesh.create_data_product('qv30', 'readings', 'qv30_src.readings',
       contract => $y$
apiVersion: v3.0.2
kind: DataContract
id: qv30-readings
version: 1.0.0
status: active
schema:
  - name: readings
    quality:
      - {rule: rowCount, mustBeBetween: [5, 10], name: five_to_ten}
      - {rule: countCheck, mustBeGreaterThan: 0, mustBeLessThan: 6, name: under_six}
      - type: sql
        name: dollar_placeholders
        query: SELECT count(*) FROM ${object} WHERE ${object}.unit = 'pounds'
        mustBe: 3
      - type: sql
        name: table_placeholder
        query: SELECT count(*) + length('${table}') FROM {table} t WHERE t.unit = 'pounds'
        mustBe: 11
    properties:
      - name: id
        logicalType: integer
        quality:
          - {rule: nullCheck}
          - {rule: duplicateCount}
          - {rule: unique, mustBeLessThan: 20, unit: percent, name: mostly_unique}
      - name: station
        logicalType: string
        quality:
          - {rule: nullCheck, mustBeLessThan: 2, name: few_missing_stations}
          - {rule: nullValues, name: v31_name_as_rule}
      - name: unit
        logicalType: string
        quality:
          - rule: validValues
            validValues: [pounds, kg]
            dimension: conformity
          - {rule: validValues, validValues: [pounds, kg, stone], mustBeLessOrEqualTo: 1, name: lenient_units}
      - name: value
        logicalType: number
        quality:
          - rule: minCheck
            customProperties:
              - {property: min, value: 0}
          - rule: maxCheck
            customProperties:
              - {property: max, value: 500}
          - rule: between
            description: Positive values under 500.
            customProperties:
              - {property: min, value: 0}
              - {property: max, value: 500}
          - type: sql
            name: negative_values
            query: "SELECT count(*) FROM ${table} WHERE ${column} < 0 -- ${column} in a comment"
            mustBe: 1
      - name: taken
        logicalType: date
        quality:
          - rule: between
            customProperties:
              - {property: min, value: '2024-01-01'}
              - {property: max, value: '2024-06-30'}
          - type: sql
            name: curly_placeholders
            query: SELECT count({property}) FROM {object} WHERE "{object}" = 0 AND $q${column}$q$ <> ''
            mustBe: 5
      - {name: '{object}', logicalType: integer}
$y$) > 0 AS created;

-- 6 rows: id 5 twice; station NULL once; unit stone once and NULL once;
-- value 600 over 500 and -5 under 0; taken 2023-12-31 before 2024.  The
-- placeholder in table_placeholder's string literal stays as written: 3
-- rows in pounds plus the length of '${table}'.
SELECT rule, property, metric, passed, observed, expected, rows_checked
  FROM dmesh.check_product('qv30.readings');
SELECT rule, dimension FROM dmesh.quality_result
 WHERE run_id = (SELECT run_id FROM dmesh.quality_score WHERE domain = 'qv30' AND product = 'readings')
   AND dimension IS NOT NULL;

-- On write, rules that allow no offending row hold each row; the others
-- are checked by check_product only.
SELECT rule, property, checked FROM dmesh.enforce_contract('qv30.readings');
INSERT INTO qv30_src.readings VALUES (7, 'west', 'ounces', 1, '2024-01-01', 0);
INSERT INTO qv30_src.readings VALUES (7, 'west', 'kg', 501, '2024-01-01', 0);
INSERT INTO qv30_src.readings VALUES (7, 'west', 'kg', 1, '2024-07-01', 0);
INSERT INTO qv30_src.readings VALUES (1, 'west', 'kg', 1, '2024-01-01', 0);
INSERT INTO qv30_src.readings VALUES (7, 'west', 'kg', 500, '2024-06-30', 0);
SELECT count(*) AS rules FROM dmesh.enforce_contract('qv30.readings', 'off');

-- The same v3.0 rules at the object level: rowCount without an operator
-- is not run (not guessed); with one it runs.
SELECT dmesh.set_contract('qv30.readings', jsonb_set(jsonb_set(
         dmesh.contract_document('qv30.readings'), '{version}', '"1.1.0"'),
         '{schema,0,quality}', '[{"rule": "rowCount"}, {"rule": "countCheck", "mustBe": 7}]')) > 0 AS set;
SELECT rule, passed, observed, expected FROM dmesh.check_product('qv30.readings')
 WHERE property IS NULL;
RESET ROLE;

-- A date property on a timestamp column, as ODCS v3.0 contracts write
-- timestamps: bounds and valid values written as dates take in the whole
-- day (maximum 2024-12-31 allows 2024-12-31 18:00; exclusiveMinimum
-- 2024-01-01 starts on January 2); written with a time, they compare as
-- written.  The scan aggregate gives the counts: rows, then minimum,
-- maximum, validValues, and the minimum and maximum of the timestamptz.
SET timezone = 'UTC';
SELECT dmesh._quality_scan($j${"apiVersion": "v3.0.2", "kind": "DataContract", "id": "x",
         "version": "1.0.0", "status": "active", "schema": [{"name": "t", "properties": [
         {"name": "ts", "logicalType": "date",
          "logicalTypeOptions": {"minimum": "2024-01-01", "exclusiveMinimum": true, "maximum": "2024-12-31"},
          "quality": [{"rule": "validValues", "validValues": ["2024-12-31", "2025-01-01 00:00:00"]}]},
         {"name": "tz", "logicalType": "date",
          "logicalTypeOptions": {"minimum": "2024-01-01 12:00:00", "maximum": "2024-12-31"}}]}]}$j$,
         '{0,1}', t.ts, t.tz)
  FROM (VALUES ('2024-12-31 18:00'::timestamp, '2024-12-31 18:00Z'::timestamptz),
               ('2025-01-01 00:00', '2025-01-01 00:00Z'),
               ('2024-01-01 12:00', '2024-01-01 12:00Z'),
               ('2024-01-02 00:00', '2024-01-01 11:59Z')) t(ts, tz);
RESET timezone;
