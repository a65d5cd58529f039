-- Quality checks, invalid values: the invalidValues metric with
-- arguments.validValues on text, char, integer, numeric, boolean, date and
-- uuid columns (values compared with the column type's equality, NULL
-- never invalid), and with arguments.pattern (a PostgreSQL regular
-- expression, unanchored like ~), in rows and in percent.
CREATE ROLE qvalid_team NOLOGIN;
SELECT dmesh.create_domain('qvalid', 'qvalid_team') > 0 AS created;
CREATE SCHEMA qvalid_src AUTHORIZATION qvalid_team;
SET ROLE qvalid_team;
CREATE TABLE qvalid_src.orders (
    id        integer,
    status    text,
    country   char(3),
    priority  integer,
    rate      numeric(4,2),
    paid      boolean,
    ship      date,
    token     uuid,
    ref       text,
    account   bigint);
INSERT INTO qvalid_src.orders VALUES
    (1, 'open',    'DE', 1,    0.50, true,  '2024-01-15', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'ORD-001',    9007199254740993),
    (2, 'closed',  'FR', 2,    1.00, false, '2024-02-29', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12', 'ORD-002',    1),
    (3, 'Open',    'DEU', 5,   0.75, NULL,  '2024-03-01', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a13', 'ord-3',      1),
    (4, 'pending', 'FR', 3,    1.50, true,  NULL,         NULL,                                   'ORD-0004',   NULL),
    (5, NULL,      NULL, NULL, NULL, NULL,  '2023-12-31', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', NULL,         NULL),
    (6, 'open',    'IT', 2,    0.5,  true,  '2024-01-15', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12', 'X ORD-006 ', 9007199254740992);

SELECT dmesh.create_data_product('qvalid', 'orders', 'qvalid_src.orders',
       contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: qvalid-orders
version: 1.0.0
status: active
schema:
  - name: orders
    properties:
      - {name: id, logicalType: integer}
      - name: status
        logicalType: string
        quality:
          - {name: status_known, metric: invalidValues, arguments: {validValues: [open, closed, pending]}, mustBe: 0}
      - name: country
        logicalType: string
        quality:
          - {name: country_known, metric: invalidValues, arguments: {validValues: [DE, FR]}, mustBe: 0}
      - name: priority
        logicalType: integer
        quality:
          - {name: priority_known, metric: invalidValues, arguments: {validValues: [1, 2, 3]}, mustBe: 0}
          - {name: priority_fractional, metric: invalidValues, arguments: {validValues: [1.0, 2, 3.5]}, mustBeLessOrEqualTo: 2}
          - {name: priority_digit, metric: invalidValues, arguments: {pattern: '^[1-3]$'}, mustBe: 0}
      - name: rate
        logicalType: number
        quality:
          - {name: rate_known, metric: invalidValues, arguments: {validValues: [0.5, 0.75, 1]}, mustBe: 0}
      - name: paid
        logicalType: boolean
        quality:
          - {name: paid_only, metric: invalidValues, arguments: {validValues: [true]}, unit: percent, mustBeLessThan: 20}
      - name: ship
        logicalType: date
        quality:
          - {name: ship_known, metric: invalidValues, arguments: {validValues: ['2024-01-15', '2024-02-29', '2024-03-01']}, mustBe: 0}
      - name: token
        logicalType: string
        quality:
          - name: token_known
            metric: invalidValues
            arguments: {validValues: [A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11, '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12}']}
            mustBe: 0
      - name: ref
        logicalType: string
        quality:
          - {name: ref_anchored, metric: invalidValues, arguments: {pattern: '^ORD-[0-9]{3}$'}, mustBe: 0}
          - {name: ref_unanchored, metric: invalidValues, arguments: {pattern: 'ORD-[0-9]'}, mustBeLessOrEqualTo: 1}
          - {name: ref_any_case, metric: invalidValues, arguments: {pattern: '(?i)^ord-\d+$'}, mustBe: 0}
          - {name: ref_share, metric: invalidValues, arguments: {pattern: '^ORD-'}, unit: percent, mustBeLessThan: 50}
      - name: account
        logicalType: integer
        quality:
          - {name: account_known, metric: invalidValues, arguments: {validValues: [1, 9007199254740992]}, mustBe: 0}
$y$) > 0 AS created;

-- status: 'Open' is not 'open' (1). country: 'DEU' and 'IT' (2; char
-- values compare without their padding, as in PostgreSQL). priority: 5 (1); with 1.0, 2, 3.5
-- listed, 3 and 5 (2); the pattern sees the value as text: 5 (1).
-- rate: 1.50 (1; 0.50 is 0.5, 1.00 is 1). paid: false, 1 of 6 rows.
-- ship: 2023-12-31 (1). token: read as uuids, the one ending in a13 (1).
-- ref: 'ord-3', 'ORD-0004', 'X ORD-006 ' break the anchored pattern (3),
-- only 'ord-3' the unanchored one (1); with (?i) 'ORD-0004' and 'ord-3'
-- match, 'X ORD-006 ' does not (1); 'ord-3' and 'X ORD-006 ' do not start
-- with ORD- (2 of 6).  account: bigint values compare exactly, beyond
-- the precision of a double: 9007199254740993 is not listed (1).
SELECT rule, property, passed, round(observed, 2) AS observed, expected, rows_checked
  FROM dmesh.check_product('qvalid.orders');

-- Fix the bad values: every rule passes, NULLs still ignored.
UPDATE qvalid_src.orders SET status = 'open', country = 'DE', priority = 1,
       rate = 1, paid = true, ship = NULL, ref = 'ORD-003' WHERE id = 3;
UPDATE qvalid_src.orders SET priority = 3, rate = 0.75, paid = true, ref = 'ORD-004' WHERE id = 4;
UPDATE qvalid_src.orders SET country = 'FR', paid = NULL, ref = 'ORD-006' WHERE id IN (2, 6);
UPDATE qvalid_src.orders SET ship = '2024-01-15', token = NULL WHERE id = 5;
UPDATE qvalid_src.orders SET token = NULL WHERE id = 3;
UPDATE qvalid_src.orders SET account = 9007199254740992 WHERE id = 1;
SELECT rule, passed, observed FROM dmesh.check_product('qvalid.orders');
RESET ROLE;
