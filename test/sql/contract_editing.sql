-- Editing contracts as teams do: a derived contract stands in until the
-- team's first contract, which replaces it whatever its version; then
-- versions move forward only.  contract_document() gives any version as
-- jsonb for jsonb_set and set_contract.
CREATE ROLE cedit_team NOLOGIN;
SELECT dmesh.create_domain('cedit', 'cedit_team') > 0 AS created;
CREATE SCHEMA cedit_src AUTHORIZATION cedit_team;
SET ROLE cedit_team;
CREATE TABLE cedit_src.orders (id bigint NOT NULL, amount numeric, note text);
CREATE TABLE cedit_src.items (id bigint NOT NULL, sku text);
CREATE TABLE cedit_src.users (id bigint NOT NULL, email text);

-- Without a contract, each product gets a derived 1.0.0.
SELECT dmesh.create_data_product('cedit', 'eorders', 'cedit_src.orders') > 0 AS created;
SELECT dmesh.create_data_product('cedit', 'eitems', 'cedit_src.items') > 0 AS created;
SELECT dmesh.create_data_product('cedit', 'eusers', 'cedit_src.users') > 0 AS created;
SELECT p.name, c.version, c.derived FROM dmesh.contract c JOIN dmesh.data_product p USING (product_id)
 WHERE p.name IN ('eorders', 'eitems', 'eusers') ORDER BY 1, 2;

-- The team's contract written elsewhere as 1.0.0 replaces the derived
-- 1.0.0 (it was "not newer" before).
SELECT dmesh.set_contract('cedit.eorders', $y$
apiVersion: v3.1.0
kind: DataContract
id: cedit-orders
version: 1.0.0
status: active
name: Orders, as the team wrote them
schema:
  - name: orders
    properties:
      - {name: id, logicalType: integer, required: true}
      - {name: amount, logicalType: number}
$y$) > 0 AS set;
SELECT version, derived, document->>'name' AS name FROM dmesh.contract
 WHERE product_id = (SELECT product_id FROM dmesh.data_product WHERE name = 'eorders') ORDER BY version;

-- A team contract at 0.1.0 (a lower number) is accepted too: it is the
-- active one, the derived 1.0.0 stays as history.
SELECT dmesh.set_contract('cedit.eitems', $y$
apiVersion: v3.1.0
kind: DataContract
id: cedit-items
version: 0.1.0
status: draft
schema:
  - name: items
    properties:
      - {name: id, logicalType: integer}
      - {name: sku, logicalType: string}
$y$) > 0 AS set;
SELECT version, derived FROM dmesh.contract
 WHERE product_id = (SELECT product_id FROM dmesh.data_product WHERE name = 'eitems') ORDER BY version;
SELECT version FROM dmesh.data_product WHERE name = 'eitems';
SELECT dmesh.contract_document('cedit.eitems')->>'version' AS active;
-- From then on versions move forward only: 0.0.9 is refused, 0.2.0 taken.
SELECT dmesh.set_contract('cedit.eitems',
       jsonb_set(dmesh.contract_document('cedit.eitems'), '{version}', '"0.0.9"'));
SELECT dmesh.set_contract('cedit.eitems',
       jsonb_set(dmesh.contract_document('cedit.eitems'), '{version}', '"0.2.0"')) > 0 AS set;
-- The team may still write a 1.0.0 later: it replaces the derived 1.0.0.
SELECT dmesh.set_contract('cedit.eitems',
       jsonb_set(dmesh.contract_document('cedit.eitems'), '{version}', '"1.0.0"')) > 0 AS set;
SELECT version, derived FROM dmesh.contract
 WHERE product_id = (SELECT product_id FROM dmesh.data_product WHERE name = 'eitems') ORDER BY version;

-- A published product keeps its consumers: the team's first contract may
-- not break the published major version either.
SELECT dmesh.publish_data_product('cedit.eusers') IS NOT NULL AS published;
SELECT dmesh.set_contract('cedit.eusers', $y$
apiVersion: v3.1.0
kind: DataContract
id: cedit-users
version: 1.0.0
status: active
schema:
  - name: users
    properties:
      - {name: id, logicalType: integer}
$y$);
-- ... but a new major version of it is taken, beside the derived one.
SELECT dmesh.set_contract('cedit.eusers', $y$
apiVersion: v3.1.0
kind: DataContract
id: cedit-users
version: 2.0.0
status: active
schema:
  - name: users
    properties:
      - {name: id, logicalType: integer}
$y$) > 0 AS set;
SELECT major, version, status FROM dmesh.output_port
 WHERE product_id = (SELECT product_id FROM dmesh.data_product WHERE name = 'eusers') ORDER BY major;

-- contract_document: the stored document, any version, as jsonb.
SELECT dmesh.contract_document('cedit.eorders') = (SELECT document FROM dmesh.contract
        WHERE product_id = (SELECT product_id FROM dmesh.data_product WHERE name = 'eorders')
          AND version = '1.0.0') AS same;
SELECT dmesh.contract_document('cedit.eitems', '0.1.0')->>'version' AS version;
SELECT dmesh.contract_document('cedit.eitems', '9.9.9');
SELECT dmesh.contract_document('cedit.nothing');
SELECT dmesh.contract_document(NULL);
SELECT dmesh.contract_document('cedit.eitems', NULL)->>'version' AS active;
RESET ROLE;
