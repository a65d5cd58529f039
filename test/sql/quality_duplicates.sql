-- Quality checks, duplicates: unique: true, duplicateValues on a property
-- and on the object over two properties.  Observed is the number of rows
-- whose key is not NULL minus the number of distinct keys; a key with a
-- NULL in it is ignored.  Values are equal as the column type says
-- (case matters in text, 1.0 = 1.00 in numeric).  Percent units; a large
-- table, read with and without parallel workers.
CREATE ROLE qdup_team NOLOGIN;
SELECT dmesh.create_domain('qdup', 'qdup_team') > 0 AS created;
CREATE SCHEMA qdup_src AUTHORIZATION qdup_team;
SET ROLE qdup_team;
CREATE TABLE qdup_src.visits (
    id      integer,
    email   text,
    day     date,
    room    integer,
    amount  numeric);
INSERT INTO qdup_src.visits VALUES
    (1, 'a@x.org', '2024-01-01', 1,    1.0),
    (2, 'b@x.org', '2024-01-01', 2,    1.00),
    (3, 'a@x.org', '2024-01-02', 1,    2),
    (4, 'a@x.org', '2024-01-01', 1,    NULL),
    (5, NULL,      '2024-01-01', NULL, NULL),
    (6, NULL,      '2024-01-01', NULL, 3),
    (7, 'c@x.org', NULL,         1,    4),
    (8, 'c@x.org', NULL,         1,    5),
    (9, 'B@x.org', '2024-01-02', 2,    6);

SELECT dmesh.create_data_product('qdup', 'visits', 'qdup_src.visits',
       contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: qdup-visits
version: 1.0.0
status: active
schema:
  - name: visits
    quality:
      - {name: one_booking_per_room_and_day, metric: duplicateValues, arguments: {properties: [day, room]}, mustBe: 0}
      - {name: visit_pairs, metric: duplicateValues, arguments: {properties: [email, day]}, mustBeLessThan: 1}
    properties:
      - {name: id, logicalType: integer, unique: true}
      - name: email
        logicalType: string
        unique: true
        quality:
          - {name: email_dup_share, metric: duplicateValues, unit: percent, mustBeLessThan: 30}
      - name: day
        logicalType: date
      - name: room
        logicalType: integer
        quality:
          - {metric: duplicateValues, mustBeLessOrEqualTo: 5}
      - name: amount
        logicalType: number
        quality:
          - {metric: duplicateValues, mustBe: 0}
$y$) > 0 AS created;

-- (day, room): rows 1 and 4 share a key; rows 5 to 8 have a NULL in it: 1.
-- (email, day): rows 1 and 4 again: 1, not < 1.
-- id: no duplicate.  email: 7 rows with an email, 4 distinct ('B@x.org'
-- is not 'b@x.org'): 3, which is 33.3% of the 9 rows.  room: 7 rows, 2
-- distinct: 5.  amount: 1.0 = 1.00: 1.
SELECT rule, property, metric, passed, round(observed, 2) AS observed, expected, rows_checked
  FROM dmesh.check_product('qdup.visits');

-- Remove the duplicates: every rule passes.
UPDATE qdup_src.visits SET email = 'd@x.org', day = '2024-01-03', amount = 7 WHERE id = 4;
UPDATE qdup_src.visits SET email = 'e@x.org', amount = 1.5 WHERE id = 3;
UPDATE qdup_src.visits SET email = 'f@x.org', room = 3 WHERE id = 8;
UPDATE qdup_src.visits SET amount = 8 WHERE id = 2;
SELECT rule, property, passed, observed FROM dmesh.check_product('qdup.visits');

-- A larger table: 30000 rows, codes 1 to 29990 once, and 10 duplicates.
CREATE TABLE qdup_src.events (id integer, code integer, kind text);
INSERT INTO qdup_src.events
SELECT i, CASE WHEN i > 29990 THEN i - 29990 ELSE i END, 'k' || (i % 3)
  FROM generate_series(1, 30000) i;
ANALYZE qdup_src.events;
SELECT dmesh.create_data_product('qdup', 'events', 'qdup_src.events',
       contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: qdup-events
version: 1.0.0
status: active
schema:
  - name: events
    quality:
      - {name: code_kind, metric: duplicateValues, arguments: {properties: [code, kind]}, mustBe: 0}
    properties:
      - {name: id, logicalType: integer, unique: true}
      - {name: code, logicalType: integer, unique: true}
      - {name: kind, logicalType: string}
$y$) > 0 AS created;
-- Codes 1 to 10 appear twice: 10 duplicates; code i and i + 29990 have
-- the same kind when 29990 is a multiple of 3, which it is not: 0.
SELECT rule, property, passed, observed, rows_checked FROM dmesh.check_product('qdup.events');
-- The same counts when the scan runs in parallel.
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT rule, property, passed, observed, rows_checked FROM dmesh.check_product('qdup.events');
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET ROLE;
