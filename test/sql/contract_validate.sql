-- Contracts against the database: derived contracts, type checks, the
-- published relation built from the contract, dmesh.contract_check().
CREATE ROLE cv_team NOLOGIN;
SELECT dmesh.create_domain('cv', 'cv_team') > 0 AS created;
CREATE SCHEMA cv_src AUTHORIZATION cv_team;
SET ROLE cv_team;
CREATE DOMAIN cv_src.money_eur AS numeric(12,2) CHECK (VALUE >= 0);
CREATE TABLE cv_src.invoices (
    invoice_id  integer PRIMARY KEY,
    number      text NOT NULL UNIQUE,
    customer    text NOT NULL,
    total       cv_src.money_eur NOT NULL,
    issued_on   date NOT NULL,
    paid_at     timestamptz,
    lines       jsonb,
    flags       text[],
    internal    text);
COMMENT ON TABLE cv_src.invoices IS 'Invoices sent to customers';
COMMENT ON COLUMN cv_src.invoices.total IS 'Amount due, taxes included';
CREATE TABLE cv_src.pairs (a int, b int, note text, PRIMARY KEY (a, b));
RESET ROLE;

-- A product without a contract gets one derived from its source: types,
-- NOT NULL as required, keys, comments, the description as purpose.
SET ROLE cv_team;
SELECT dmesh.create_data_product('cv', 'invoices', 'cv_src.invoices', 'Invoices, one row each') > 0 AS created;
SELECT dmesh.create_data_product('cv', 'pairs', 'cv_src.pairs') > 0 AS created;
SELECT dmesh.create_data_product('cv', 'unpaid',
    'SELECT invoice_id, total FROM cv_src.invoices WHERE paid_at IS NULL') > 0 AS created;
RESET ROLE;
SELECT jsonb_pretty(document) FROM dmesh.contract JOIN dmesh.data_product p USING (product_id)
 WHERE p.name = 'invoices';
SELECT prop->>'name' AS name, prop->>'primaryKey' AS pk, prop->>'primaryKeyPosition' AS position,
       prop->>'unique' AS uniq
  FROM dmesh.contract JOIN dmesh.data_product p USING (product_id),
       jsonb_array_elements(document->'schema'->0->'properties') prop
 WHERE p.name = 'pairs';
SELECT (document->'schema'->0) - 'properties' AS object,
       document->'schema'->0->'properties' AS properties
  FROM dmesh.contract JOIN dmesh.data_product p USING (product_id) WHERE p.name = 'unpaid';
SELECT c.version, c.derived, c.set_by FROM dmesh.contract c JOIN dmesh.data_product p USING (product_id)
 WHERE p.name IN ('invoices', 'pairs', 'unpaid') ORDER BY p.name;

-- A contract that does not match the source is refused, naming the
-- column, the contract's type and the actual type.
CREATE FUNCTION pg_temp.contract(props text, extra text DEFAULT '', version text DEFAULT '2.0.0') RETURNS text
LANGUAGE sql AS $f$
SELECT format($$apiVersion: v3.1.0
kind: DataContract
id: cv-test
version: %s
status: active
schema:
  - name: invoices%s
    properties:
%s$$, version, extra, props)
$f$;
GRANT EXECUTE ON FUNCTION pg_temp.contract(text, text, text) TO cv_team;
SET ROLE cv_team;
SELECT dmesh.set_contract('cv.invoices', pg_temp.contract($$
      - {name: invoice_id, logicalType: string}$$));
SELECT dmesh.set_contract('cv.invoices', pg_temp.contract($$
      - {name: total, logicalType: number, physicalType: 'numeric(10,2)'}$$));
SELECT dmesh.set_contract('cv.invoices', pg_temp.contract($$
      - {name: total, logicalType: number, physicalType: 'numeric(10'}$$));
SELECT dmesh.set_contract('cv.invoices', pg_temp.contract($$
      - {name: total, logicalType: number, physicalType: numeric}$$));
SELECT dmesh.set_contract('cv.invoices', pg_temp.contract($$
      - {name: invoice_id, logicalType: integer, physicalType: 'int4(3'}$$));
SELECT dmesh.set_contract('cv.invoices', pg_temp.contract($$
      - {name: due_on, logicalType: date}
      - {name: issued_on, logicalType: timestamp}$$));
SELECT dmesh.set_contract('cv.invoices', pg_temp.contract($$
      - {name: invoice_id, logicalType: integer}$$, E'\n    physicalName: cv_src.bills'));
-- An object without properties is held to its source's columns.
SELECT dmesh.set_contract('cv.invoices', pg_temp.contract('      []', '', '1.9.0')) > 0 AS accepted;
SELECT jsonb_array_length(held_schema->0->'properties') AS held_properties
  FROM dmesh.contract WHERE version = '1.9.0'
   AND product_id = (SELECT product_id FROM dmesh.data_product WHERE name = 'invoices');
-- Compatible types: a domain over numeric is a number; arrays, jsonb.
SELECT dmesh.set_contract('cv.invoices', pg_temp.contract($$
      - {name: total, logicalType: number, physicalType: cv_src.money_eur}
      - {name: lines, logicalType: object}
      - {name: flags, logicalType: array, physicalType: 'text[]'}
      - {name: issued_on, logicalType: date, physicalType: date}$$)) > 0 AS accepted;
RESET ROLE;

-- The published relation exposes exactly the contract's columns, in the
-- contract's order, named as the contract names them (physicalName maps a
-- source column), with the contract's descriptions as column comments.
SET ROLE cv_team;
SELECT dmesh.set_contract('cv.invoices', pg_temp.contract($$
      - name: due_amount
        physicalName: total
        logicalType: number
        description: What the customer owes.
      - name: invoice_number
        physicalName: number
        logicalType: string
      - name: invoice_id
        logicalType: integer
        description: Key of the invoice.$$, E'\n    physicalName: cv_src.invoices', '2.1.0')) > 0 AS accepted;
SELECT dmesh.publish_data_product('cv.invoices');
RESET ROLE;
SELECT a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) AS type,
       col_description(a.attrelid, a.attnum) AS comment
  FROM pg_attribute a WHERE a.attrelid = 'dmesh_cv.invoices_v2'::regclass AND a.attnum > 0
 ORDER BY a.attnum;

-- contract_check: nothing while the source agrees ...
SELECT * FROM dmesh.contract_check('cv.invoices');
SELECT * FROM dmesh.contract_check('cv.pairs');
SELECT * FROM dmesh.contract_check('cv.unpaid');
-- ... one row per finding once it does not (pairs is a draft: not gated).
ALTER TABLE cv_src.pairs RENAME COLUMN note TO remark;
ALTER TABLE cv_src.pairs ALTER COLUMN b TYPE text;
ALTER TABLE cv_src.pairs RENAME TO couples;
SELECT * FROM dmesh.contract_check('cv.pairs');
-- Publication refuses a product that does not match its contract.
SET ROLE cv_team;
SELECT dmesh.publish_data_product('cv.pairs');
RESET ROLE;
SELECT * FROM dmesh.contract_check('cv.nothing');
