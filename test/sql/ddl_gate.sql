-- The DDL gate: changes to a published product's source or relation that
-- would break its contract are refused in the same transaction; changes
-- that keep the contract go through; 'warn' lets them through and records
-- a breach; objects of no product, and drafts, are left alone, silently.
CREATE ROLE gate_team NOLOGIN;
SELECT dmesh.create_domain('gate', 'gate_team') > 0 AS created;
CREATE SCHEMA gate_src AUTHORIZATION gate_team;
SET ROLE gate_team;
CREATE TABLE gate_src.orders (id int PRIMARY KEY, amount numeric(10,2) NOT NULL,
                              note text, customer text);
CREATE VIEW gate_src.big_orders AS SELECT id, amount FROM gate_src.orders WHERE amount > 100;
CREATE TABLE gate_src.drafts (id int, v text);
SELECT dmesh.create_data_product('gate', 'orders', 'gate_src.orders', contract => $$
apiVersion: v3.0.2
kind: DataContract
id: gate-orders
version: 1.0.0
status: active
schema:
  - name: orders
    physicalName: gate_src.orders
    properties:
      - {name: id, logicalType: integer, required: true}
      - {name: amount, logicalType: number, physicalType: 'numeric(10,2)'}
      - {name: buyer, physicalName: customer, logicalType: string}
$$) > 0 AS created;
SELECT dmesh.create_data_product('gate', 'big', 'gate_src.big_orders') > 0 AS created;
SELECT dmesh.create_data_product('gate', 'draft', 'gate_src.drafts') > 0 AS created;
SELECT dmesh.publish_data_product('gate.orders') IS NOT NULL AS published;
SELECT dmesh.publish_data_product('gate.big') IS NOT NULL AS published;
RESET ROLE;

-- Refused: each change that breaks the contract, with the product, the
-- contract version and the column named.
ALTER TABLE gate_src.orders DROP COLUMN customer;
ALTER TABLE gate_src.orders DROP COLUMN customer CASCADE;
ALTER TABLE gate_src.orders RENAME COLUMN customer TO client;
ALTER TABLE gate_src.orders ALTER COLUMN customer TYPE varchar(20);
ALTER TABLE gate_src.orders ALTER COLUMN id TYPE bigint;
ALTER TABLE gate_src.orders RENAME TO purchases;
CREATE SCHEMA gate_other;
ALTER TABLE gate_src.orders SET SCHEMA gate_other;
DROP TABLE gate_src.orders CASCADE;
DROP VIEW gate_src.big_orders;
DROP VIEW gate_src.big_orders CASCADE;
CREATE OR REPLACE VIEW gate_src.big_orders AS SELECT id, amount::float8 AS amount FROM gate_src.orders WHERE amount > 100;
-- The published relations are guarded too.
DROP VIEW dmesh_gate.orders_v1;
ALTER VIEW dmesh_gate.orders_v1 RENAME COLUMN buyer TO client;
ALTER VIEW dmesh_gate.orders_v1 RENAME TO orders_old;
CREATE OR REPLACE VIEW dmesh_gate.orders_v1 AS SELECT id, amount, customer AS buyer, note FROM gate_src.orders;
DROP SCHEMA dmesh_gate CASCADE;
DROP OWNED BY gate_team CASCADE;

-- Nothing of it happened.
SELECT attname FROM pg_attribute WHERE attrelid = 'gate_src.orders'::regclass AND attnum > 0
 AND NOT attisdropped ORDER BY attnum;
SELECT relname FROM pg_class WHERE relnamespace = 'dmesh_gate'::regnamespace ORDER BY 1;
SELECT * FROM dmesh.contract_check('gate.orders');

-- A refused change inside a transaction aborts it like any error.
BEGIN;
CREATE TABLE gate_src.scratch (x int);
ALTER TABLE gate_src.orders DROP COLUMN customer;
ROLLBACK;
SELECT to_regclass('gate_src.scratch') AS scratch;

-- Allowed, silently: changes that keep the contract.
ALTER TABLE gate_src.orders ADD COLUMN shipped boolean;
CREATE INDEX ON gate_src.orders (amount);
ALTER TABLE gate_src.orders ALTER COLUMN note TYPE varchar(200);
ALTER TABLE gate_src.orders RENAME COLUMN note TO remark;
ALTER TABLE gate_src.orders DROP COLUMN remark;
ALTER TABLE gate_src.orders ALTER COLUMN customer SET NOT NULL;
ALTER TABLE gate_src.orders ALTER COLUMN customer DROP NOT NULL;
COMMENT ON COLUMN gate_src.orders.amount IS 'In euros';
ALTER TABLE gate_src.orders ADD CONSTRAINT positive CHECK (amount >= 0);
CREATE OR REPLACE VIEW gate_src.big_orders AS SELECT id, amount FROM gate_src.orders WHERE amount > 200;
GRANT SELECT ON gate_src.orders TO PUBLIC;
REVOKE SELECT ON gate_src.orders FROM PUBLIC;
-- A draft's source is not gated.
ALTER TABLE gate_src.drafts DROP COLUMN v;
DROP TABLE gate_src.drafts;
-- Objects of no product are left alone, and nothing is printed.
CREATE TABLE gate_other.t (a int, b text);
ALTER TABLE gate_other.t RENAME COLUMN b TO c;
ALTER TABLE gate_other.t ALTER COLUMN a TYPE bigint;
CREATE VIEW gate_other.v AS SELECT a FROM gate_other.t;
DROP VIEW gate_other.v;
DROP TABLE gate_other.t;
DROP SCHEMA gate_other;

-- A major version that no longer needs a column makes dropping it
-- possible once the old version is retired.
SET ROLE gate_team;
SELECT dmesh.set_contract('gate.orders', jsonb_set(jsonb_set(
       (SELECT document FROM dmesh.contract WHERE version = '1.0.0'
           AND product_id = (SELECT product_id FROM dmesh.data_product WHERE name = 'orders'
                               AND domain_id = (SELECT domain_id FROM dmesh.domain WHERE name = 'gate'))),
       '{version}', '"2.0.0"'), '{schema,0,properties}',
       (SELECT document->'schema'->0->'properties' FROM dmesh.contract WHERE version = '1.0.0'
           AND product_id = (SELECT product_id FROM dmesh.data_product WHERE name = 'orders'
                               AND domain_id = (SELECT domain_id FROM dmesh.domain WHERE name = 'gate'))) - 2)) > 0 AS v2;
RESET ROLE;
ALTER TABLE gate_src.orders DROP COLUMN customer;
SET ROLE gate_team;
SELECT dmesh.retire_data_product('gate.orders', 1);
RESET ROLE;
ALTER TABLE gate_src.orders DROP COLUMN customer;

-- 'warn': the change goes through, with a warning and a recorded breach.
SET ROLE gate_team;
SELECT dmesh.set_contract_gate('gate.big', 'warn');
SELECT dmesh.set_contract_gate('gate.big', 'block');
ALTER VIEW gate_src.big_orders RENAME COLUMN amount TO total;
RESET ROLE;
SELECT * FROM dmesh.contract_check('gate.big');
SELECT role_name, action, object_identity, details->>'command' AS command,
       details->>'contract_version' AS version, details->>'problems' AS problems
  FROM dmesh.event_log WHERE action = 'contract_breach' AND object_identity = 'gate.big';
-- Back to 'enforce' only once the product matches its contract again.
SET ROLE gate_team;
SELECT dmesh.set_contract_gate('gate.big', 'enforce');
RESET ROLE;
ALTER VIEW gate_src.big_orders RENAME COLUMN total TO amount;
SET ROLE gate_team;
SELECT dmesh.set_contract_gate('gate.big', 'enforce');
RESET ROLE;
SELECT p.name, p.contract_gate FROM dmesh.data_product p JOIN dmesh.domain d USING (domain_id)
 WHERE d.name = 'gate' ORDER BY 1;

-- Retiring a product lifts the gate: its source is an ordinary table again.
ALTER TABLE gate_src.orders RENAME COLUMN id TO order_id;
SET ROLE gate_team;
SELECT dmesh.retire_data_product('gate.orders');
RESET ROLE;
ALTER TABLE gate_src.orders RENAME COLUMN id TO order_id;
SELECT attname FROM pg_attribute WHERE attrelid = 'gate_src.orders'::regclass AND attnum > 0
 AND NOT attisdropped ORDER BY attnum;
