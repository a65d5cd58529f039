-- Quality checks, bounds from logicalTypeOptions: minimum, maximum,
-- exclusiveMinimum and exclusiveMaximum on integer columns (fractional
-- bounds round inward, bounds beyond bigint), numeric and float8 (NaN and
-- infinities), date and timestamptz (bounds read as values of the column
-- type) and text; the ODCS v3.0 form, where exclusiveMinimum: true makes
-- minimum exclusive; numerics stored out of the row.
CREATE ROLE qbound_team NOLOGIN;
SELECT dmesh.create_domain('qbound', 'qbound_team') > 0 AS created;
CREATE SCHEMA qbound_src AUTHORIZATION qbound_team;
SET ROLE qbound_team;
CREATE TABLE qbound_src.readings (
    id      integer,
    qty     integer,
    small   smallint,
    big     bigint,
    price   numeric(10,2),
    temp    float8,
    day     date,
    at      timestamptz,
    grade   text);
INSERT INTO qbound_src.readings VALUES
    (1, 2,    0,    -2,   -0.01, -50,         '2023-12-31', '2024-06-01 00:00:00+00', 'A'),
    (2, 3,    1,    -1,   0,     60,          '2024-01-01', '2024-12-31 23:59:59+00', 'B'),
    (3, 7,    9,    9223372036854775807, 99.99, 60.000001, '2024-12-31', '2025-01-01 00:00:00+00', 'BA'),
    (4, 8,    10,   0,    100,   'NaN',       '2025-01-01', '2025-06-01 00:00:00+00', 'C'),
    (5, NULL, NULL, NULL, NULL,  NULL,        NULL,         NULL,                     NULL),
    (6, 5,    5,    5,    'NaN', 'Infinity',  'infinity',   NULL,                     'C'),
    (7, 5,    5,    5,    50,    '-Infinity', '2024-06-01', NULL,                     'C');

SELECT dmesh.create_data_product('qbound', 'readings', 'qbound_src.readings',
       contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: qbound-readings
version: 1.0.0
status: active
schema:
  - name: readings
    properties:
      - {name: id, logicalType: integer}
      - {name: qty, logicalType: integer, logicalTypeOptions: {minimum: 2.5, maximum: 7.5}}
      - {name: small, logicalType: integer, logicalTypeOptions: {exclusiveMinimum: 0, exclusiveMaximum: 9.5}}
      - {name: big, logicalType: integer, logicalTypeOptions: {minimum: -1.5, maximum: 9223372036854775808}}
      - {name: price, logicalType: number, logicalTypeOptions: {minimum: 0, exclusiveMaximum: 100}}
      - {name: temp, logicalType: number, logicalTypeOptions: {minimum: -50, maximum: 60}}
      - {name: day, logicalType: date, logicalTypeOptions: {minimum: '2024-01-01', maximum: '2024-12-31'}}
      - {name: at, logicalType: timestamp, logicalTypeOptions: {exclusiveMaximum: '2025-01-01T00:00:00Z'}}
      - {name: grade, logicalType: string}
$y$) > 0 AS created;
-- ODCS gives no bounds to strings: minimum on a string property is refused.
SELECT dmesh.set_contract('qbound.readings', jsonb_set(
       dmesh.yaml_to_jsonb(dmesh.contract_yaml('qbound.readings')), '{schema,0,properties,8}',
       '{"name": "grade", "logicalType": "string", "logicalTypeOptions": {"minimum": "B"}}'));

-- qty: >= 2.5 is >= 3 (2 breaks it), <= 7.5 is <= 7 (8 breaks it).
-- small: > 0 (0 breaks it), < 9.5 is <= 9 (10 breaks it).
-- big: >= -1.5 is >= -1 (-2 breaks it); no bigint is above 2^63.
-- price: -0.01 and NaN are not >= 0; 100 and NaN are not < 100.
-- temp: NaN and -Infinity are not >= -50; 60.000001, NaN and Infinity
-- are not <= 60 (60 itself is).
-- day: 2023-12-31 is before 2024-01-01; 2025-01-01 and infinity are after
-- 2024-12-31.  at: midnight of 2025-01-01 UTC and later break < it.
SELECT rule, property, metric, passed, observed, expected, rows_checked
  FROM dmesh.check_product('qbound.readings');

-- Move the values inside the bounds: every rule passes.
UPDATE qbound_src.readings SET qty = 3, small = 1, big = -1, price = 0, temp = -50,
       day = '2024-01-01', grade = 'B' WHERE id = 1;
UPDATE qbound_src.readings SET qty = 7, small = 9, price = 99.99, temp = 60,
       day = '2024-12-31', at = '2024-12-31 23:59:59.999999+00' WHERE id = 4;
UPDATE qbound_src.readings SET price = 0.01, temp = 59.999, day = '2024-02-29' WHERE id = 6;
UPDATE qbound_src.readings SET temp = -49.5 WHERE id = 7;
UPDATE qbound_src.readings SET temp = 0, at = NULL WHERE id = 3;
SELECT rule, property, passed, observed FROM dmesh.check_product('qbound.readings');

-- ODCS v3.0: exclusiveMinimum/exclusiveMaximum are flags on minimum and
-- maximum.  qty > 3 and < 7 (3 and 7 now break it, 2 of 7 rows each
-- after the updates above: 3 in rows 1 and 2, 7 in rows 3 and 4); a false
-- flag leaves small >= 1 inclusive (nothing breaks it).
SELECT dmesh.create_data_product('qbound', 'legacy', 'qbound_src.readings',
       contract => $y$
apiVersion: v3.0.2
kind: DataContract
id: qbound-legacy
version: 1.0.0
status: active
schema:
  - name: legacy
    properties:
      - name: qty
        logicalType: integer
        logicalTypeOptions: {minimum: 3, exclusiveMinimum: true, maximum: 7, exclusiveMaximum: true}
      - name: small
        logicalType: integer
        logicalTypeOptions: {minimum: 1, exclusiveMinimum: false}
$y$) > 0 AS created;
SELECT rule, property, passed, observed, expected FROM dmesh.check_product('qbound.legacy');

-- A numeric stored out of the row (its toast pointer has a 1-byte header,
-- like a short value, and is no such value) is compared like any other: in
-- the scan, and on write when an update keeps it.
CREATE TABLE qbound_src.huge (id integer, v numeric);
ALTER TABLE qbound_src.huge ALTER COLUMN v SET STORAGE EXTERNAL;
INSERT INTO qbound_src.huge VALUES (1, repeat('9', 40000)::numeric), (2, 0.5);
SELECT dmesh.create_data_product('qbound', 'huge', 'qbound_src.huge',
       contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: qbound-huge
version: 1.0.0
status: active
schema:
  - name: huge
    properties:
      - {name: id, logicalType: integer}
      - {name: v, logicalType: number, logicalTypeOptions: {minimum: 0, maximum: 1}}
$y$) > 0 AS created;
SELECT rule, property, passed, observed FROM dmesh.check_product('qbound.huge');
SELECT count(*) AS rules FROM dmesh.enforce_contract('qbound.huge');
UPDATE qbound_src.huge SET id = 3 WHERE id = 1;
UPDATE qbound_src.huge SET id = 4 WHERE id = 2;
SELECT count(*) AS rules FROM dmesh.enforce_contract('qbound.huge', 'off');
RESET ROLE;
