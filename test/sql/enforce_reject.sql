-- Enforcement on write, reject mode: the C trigger refuses a row that
-- breaks a rule, naming product, column and rule, with the value shown
-- (truncated, or masked when classified); INSERT, INSERT ... SELECT,
-- COPY, UPDATE and MERGE are all covered; who may enforce, and on what.
CREATE ROLE erej_team NOLOGIN;
CREATE ROLE erej_writer NOLOGIN;
CREATE ROLE erej_other NOLOGIN;
SELECT dmesh.create_domain('erej', 'erej_team') > 0 AS created;
CREATE SCHEMA erej_src AUTHORIZATION erej_team;
GRANT USAGE ON SCHEMA erej_src TO erej_writer, erej_other;
SET ROLE erej_team;
CREATE TABLE erej_src.customers (
    id      bigint,
    email   text,
    name    text,
    tier    text,
    credit  numeric(10,2));
GRANT SELECT, INSERT, UPDATE ON erej_src.customers TO erej_writer;
INSERT INTO erej_src.customers VALUES (1, 'ann@example.org', 'Ann', 'gold', 100);
SELECT dmesh.create_data_product('erej', 'customers', 'erej_src.customers', 'Customers',
    contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: erej-customers
version: 1.0.0
status: active
schema:
  - name: customers
    properties:
      - {name: id, logicalType: integer, required: true, unique: true}
      - name: email
        logicalType: string
        classification: pii
        logicalTypeOptions: {format: email}
      - name: name
        logicalType: string
        logicalTypeOptions: {maxLength: 200}
      - name: tier
        logicalType: string
        quality:
          - metric: invalidValues
            arguments: {validValues: [gold, silver, bronze]}
            mustBe: 0
      - name: credit
        logicalType: number
        logicalTypeOptions: {minimum: 0}
        quality:
          - {metric: nullValues, mustBeLessThan: 10, unit: percent}
$y$) > 0 AS created;
-- Each rule, and how a write is held to it.
SELECT * FROM dmesh.enforce_contract('erej.customers');
SELECT domain, product, relation, mode FROM dmesh.enforcement WHERE domain = 'erej';
RESET ROLE;

-- A good row goes through; each broken rule is refused with check_violation.
SET ROLE erej_writer;
INSERT INTO erej_src.customers VALUES (2, 'bob@example.org', 'Bob', 'silver', 0);
INSERT INTO erej_src.customers VALUES (3, 'not-an-email', 'Cy', 'gold', 1);
-- The error carries its SQLSTATE and the table and column.
DO $$
DECLARE st text; sch text; tab text; col text;
BEGIN
    INSERT INTO erej_src.customers VALUES (3, 'not-an-email', 'Cy', 'gold', 1);
EXCEPTION WHEN check_violation THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, sch = SCHEMA_NAME, tab = TABLE_NAME, col = COLUMN_NAME;
    RAISE NOTICE 'sqlstate %, table %.%, column %', st, sch, tab, col;
END $$;
INSERT INTO erej_src.customers VALUES (NULL, 'cy@example.org', 'Cy', 'gold', 1);
INSERT INTO erej_src.customers VALUES (2, 'cy@example.org', 'Cy', 'gold', 1);
INSERT INTO erej_src.customers VALUES (3, 'cy@example.org', 'Cy', 'platinum', 1);
INSERT INTO erej_src.customers VALUES (3, 'cy@example.org', 'Cy', 'gold', -0.01);
-- A long value is shown truncated to 64 characters.
INSERT INTO erej_src.customers VALUES (3, 'cy@example.org', repeat('x', 201), 'gold', 1);
-- Several broken rules: the first is named, the count is given.
INSERT INTO erej_src.customers VALUES (2, 'bad', 'Cy', 'none', -1);
-- A percentage threshold cannot be judged on one row: NULL credit passes here.
INSERT INTO erej_src.customers VALUES (3, 'cy@example.org', 'Cy', NULL, NULL);

-- INSERT ... SELECT fails as a whole on its first bad row.
INSERT INTO erej_src.customers
SELECT g, 'u' || g || '@example.org', 'U', CASE WHEN g = 15 THEN 'wood' ELSE 'gold' END, 1
  FROM generate_series(10, 20) g;
SELECT count(*) FROM erej_src.customers WHERE id >= 10;

-- UPDATE: the new row is checked; a row keeps its own key.
UPDATE erej_src.customers SET credit = credit + 1 WHERE id = 1;
UPDATE erej_src.customers SET credit = -5 WHERE id = 1;
UPDATE erej_src.customers SET id = 2 WHERE id = 1;
RESET ROLE;

-- COPY
COPY erej_src.customers FROM stdin;
30	c30@example.org	C	gold	1
31	c31@example.org	C	gold	1
\.
COPY erej_src.customers FROM stdin;
32	c32@example.org	C	gold	1
33	c33	C	gold	1
\.

-- MERGE, both actions.
MERGE INTO erej_src.customers c
USING (VALUES (30, 'tin'), (40, 'gold')) AS v(id, tier) ON c.id = v.id
WHEN MATCHED THEN UPDATE SET tier = v.tier
WHEN NOT MATCHED THEN INSERT VALUES (v.id, 'm@example.org', 'M', v.tier, 0);
MERGE INTO erej_src.customers c
USING (VALUES (30, 'silver'), (40, 'gold')) AS v(id, tier) ON c.id = v.id
WHEN MATCHED THEN UPDATE SET tier = v.tier
WHEN NOT MATCHED THEN INSERT VALUES (v.id, 'm@example.org', 'M', v.tier, 0);
SELECT id, email, tier, credit FROM erej_src.customers ORDER BY id;

-- Only the product's manager who owns the table may enforce, on tables only.
SET ROLE erej_other;
SELECT * FROM dmesh.enforce_contract('erej.customers', 'warn');
RESET ROLE;
CREATE ROLE erej_manager NOLOGIN IN ROLE erej_team;
SET ROLE erej_manager;
CREATE TABLE erej_src.not_owned (id int);
RESET ROLE;
ALTER TABLE erej_src.not_owned OWNER TO erej_other;
GRANT SELECT ON erej_src.not_owned TO erej_team;
SELECT dmesh.create_data_product('erej', 'not_owned', 'erej_src.not_owned', owner => 'erej_team') > 0 AS created;
SET ROLE erej_team;
SELECT * FROM dmesh.enforce_contract('erej.not_owned');
SELECT * FROM dmesh.enforce_contract('erej.customers', 'block');
SELECT dmesh.create_data_product('erej', 'by_query', 'SELECT id, tier FROM erej_src.customers') > 0 AS created;
SELECT * FROM dmesh.enforce_contract('erej.by_query');
CREATE VIEW erej_src.v AS SELECT id FROM erej_src.customers;
SELECT dmesh.create_data_product('erej', 'by_view', 'erej_src.v') > 0 AS created;
SELECT * FROM dmesh.enforce_contract('erej.by_view');
RESET ROLE;

-- The trigger function cannot be misused.
SELECT dmesh._contract_row();
CREATE TABLE erej_src.misuse (id int);
CREATE TRIGGER t BEFORE INSERT ON erej_src.misuse FOR EACH ROW EXECUTE FUNCTION dmesh._contract_row();
INSERT INTO erej_src.misuse VALUES (1);
DROP TABLE erej_src.misuse;

-- Off removes the triggers; writes are no longer checked.
SET ROLE erej_team;
SELECT count(*) FROM dmesh.enforce_contract('erej.customers', 'off');
SELECT count(*) FROM dmesh.enforcement WHERE domain = 'erej';
INSERT INTO erej_src.customers VALUES (50, 'bad', 'X', 'none', -1);
SELECT tgname FROM pg_trigger WHERE tgrelid = 'erej_src.customers'::regclass;
RESET ROLE;
SELECT action, details->>'mode' AS mode FROM dmesh.event_log
 WHERE action = 'enforce_contract' AND object_identity = 'erej.customers' ORDER BY event_id;

-- Retiring the product removes its enforcement for good.
SET ROLE erej_team;
SELECT count(*) > 0 AS enforced FROM dmesh.enforce_contract('erej.customers', 'reject');
SELECT dmesh.retire_data_product('erej.customers');
SELECT count(*) FROM dmesh.enforcement WHERE domain = 'erej';
SELECT * FROM dmesh.enforce_contract('erej.customers');
SELECT count(*) FROM dmesh.enforce_contract('erej.customers', 'off');
RESET ROLE;
