-- product_document and product_yaml: a data product as an ODPS v1.0.0
-- document, valid against the standard, in the shape apply_product reads:
-- applied to the product it came from, it changes nothing; applied in a
-- fresh database with its contracts, it makes the same product.
SELECT current_database() AS home \gset
CREATE ROLE odoc_team NOLOGIN;
CREATE ROLE odoc_ana NOLOGIN;
CREATE ROLE odoc_bob NOLOGIN;
CREATE ROLE odoc_nobody NOLOGIN;

-- A team and its table (run again in a fresh database below).
SELECT $$
CREATE SCHEMA odoc_src AUTHORIZATION odoc_team;
SET ROLE odoc_team;
CREATE TABLE odoc_src.stock (sku text PRIMARY KEY, site text NOT NULL, units int NOT NULL,
                             counted_at timestamptz);
INSERT INTO odoc_src.stock VALUES ('a-1', 'Ghent', 4, '2026-01-01'), ('b-2', 'Lyon', 0, '2026-01-02');
RESET ROLE;
SELECT dmesh.create_domain('odoc_stores', 'odoc_team', 'Shops and their stock') > 0 AS created;
$$ AS setup \gset
:setup

-- A product made with dmesh's functions: a contract with a team and
-- support, a second version, an agreement, a policy of its own, a
-- schedule, enforcement, a product built on it.
SET ROLE odoc_team;
SELECT dmesh.create_data_product('odoc_stores', 'stock', description => 'Units on hand per site',
       tags => ARRAY['stock', 'inventory'], contract => $$
apiVersion: v3.0.2
kind: DataContract
id: odoc-stock
version: 1.0.0
status: active
description:
  purpose: Units on hand.
  limitations: Counted once a day.
  usage: Replenishment.
schema:
  - name: stock
    physicalName: odoc_src.stock
    properties:
      - {name: sku, logicalType: string, required: true, primaryKey: true}
      - {name: site, logicalType: string, required: true}
      - {name: units, logicalType: integer, required: true}
team:
  - {username: odoc_team, role: owner, comment: the whole team}
  - {role: reader}
support:
  - {channel: stock-help, url: "mailto:stock@example.com", tool: email}
  - {channel: stock-chat, url: "https://chat.example.com/stock", comment: weekdays only}
$$) > 0 AS created;
SELECT dmesh.set_contract('odoc_stores.stock', jsonb_set(jsonb_set(
         dmesh.contract_document('odoc_stores.stock'), '{version}', '"1.1.0"'),
         '{schema,0,properties}', dmesh.contract_document('odoc_stores.stock') #> '{schema,0,properties}'
           || '[{"name": "counted_at", "logicalType": "date"}]')) > 0 AS set;
SELECT dmesh.publish_data_product('odoc_stores.stock');
SELECT dmesh.grant_access('odoc_stores.stock', 'odoc_ana', $$site = 'Ghent'$$, 'Restocking',
       '2999-06-30 12:00:00+00', ARRAY['units']) > 0 AS granted;
SELECT dmesh.grant_access('odoc_stores.stock', 'odoc_bob') > 0 AS granted;
SELECT dmesh.create_policy('odoc stock fresh', 'publish', '{"require": ["has_description"]}',
       'product:odoc_stores.stock', 'warn') > 0 AS created;
SELECT dmesh.set_schedule('odoc_stores.stock', "check" => '6 hours', freshness => '1 day 12:00');
SELECT count(*) AS rules FROM dmesh.enforce_contract('odoc_stores.stock', 'warn');
SELECT dmesh.create_data_product('odoc_stores', 'empty_sites',
       'SELECT site FROM dmesh_odoc_stores.stock_v1 WHERE units = 0') > 0 AS created;
RESET ROLE;

-- The document: ODPS v1.0.0, valid (lint finds nothing), in YAML.
SELECT dmesh.product_yaml('odoc_stores.stock');
SELECT count(*) AS problems FROM dmesh.lint_document(dmesh.product_yaml('odoc_stores.stock'));
SET ROLE odoc_team;
SELECT dmesh.publish_data_product('odoc_stores.empty_sites');
RESET ROLE;
SELECT dmesh.product_document('odoc_stores.empty_sites') #> '{inputPorts}' AS reads,
       dmesh.product_document('odoc_stores.empty_sites') #> '{outputPorts,0}' AS port,
       dmesh.product_document('odoc_stores.empty_sites') ->> 'status' AS status;
SELECT count(*) AS problems FROM dmesh.lint_document(dmesh.product_yaml('odoc_stores.empty_sites'));

-- Applied to the product it describes, it changes nothing.
SET ROLE odoc_team;
SELECT count(*) AS changes FROM dmesh.apply_product(dmesh.product_yaml('odoc_stores.stock'));
SELECT count(*) AS changes FROM dmesh.plan_product(dmesh.product_document('odoc_stores.empty_sites'));
RESET ROLE;

-- Anyone may read it; agreements and schedules as far as the reader may
-- see them (a consumer: its own agreement).
SET ROLE odoc_ana;
SELECT jsonb_path_query(dmesh.product_document('odoc_stores.stock'),
                        '$.customProperties[*] ? (@.property == "dmeshAgreements" || @.property == "dmeshSchedule").value');
RESET ROLE;
SET ROLE odoc_nobody;
SELECT jsonb_path_query(dmesh.product_document('odoc_stores.stock'),
                        '$.customProperties[*] ? (@.property == "dmeshAgreements" || @.property == "dmeshSchedule").value');
RESET ROLE;

-- A deprecated product says why; a retired one has no output port.
SET ROLE odoc_team;
SELECT dmesh.deprecate_data_product('odoc_stores.stock', 'Use stock_v2', '2999-01-01');
SELECT jsonb_path_query(dmesh.product_document('odoc_stores.stock'),
                        '$.customProperties[*] ? (@.property == "dmeshDeprecation").value') AS deprecation,
       dmesh.product_document('odoc_stores.stock') ->> 'status' AS status;
SELECT dmesh.publish_data_product('odoc_stores.stock');
SELECT dmesh.retire_data_product('odoc_stores.empty_sites');
SELECT dmesh.product_document('odoc_stores.empty_sites') ? 'outputPorts' AS has_ports,
       dmesh.product_document('odoc_stores.empty_sites') ->> 'status' AS status;
RESET ROLE;

-- The files move: the document and the contracts, applied in a fresh
-- database (same roles, same tables), make the same product.
SET ROLE odoc_team;
SELECT dmesh.product_yaml('odoc_stores.stock') AS product,
       dmesh.contract_yaml('odoc_stores.stock', '1.0.0') AS contract_100,
       dmesh.contract_yaml('odoc_stores.stock', '1.1.0') AS contract_110,
       dmesh.product_document('odoc_stores.stock') AS document \gset
RESET ROLE;
CREATE DATABASE odoc_fresh;
\c odoc_fresh
CREATE EXTENSION dmesh;
:setup
SET ROLE odoc_team;
SELECT kind, item, change, detail
  FROM dmesh.apply_product(:'product', ARRAY[:'contract_110', :'contract_100']);
SELECT dmesh.product_document('odoc_stores.stock') = :'document'::jsonb AS same_document;
SELECT count(*) AS changes FROM dmesh.apply_product(:'product', ARRAY[:'contract_100', :'contract_110']);
SELECT version FROM dmesh.contract ORDER BY contract_id;
RESET ROLE;
\c :home
DROP DATABASE odoc_fresh;

-- Publish policies apply wherever dmesh.compliance is read: this one goes.
SET ROLE odoc_team;
SELECT dmesh.drop_policy('odoc stock fresh');
RESET ROLE;

-- NULL and unknown products.
SELECT dmesh.product_document(NULL);
SELECT dmesh.product_yaml(NULL);
SELECT dmesh.product_yaml('odoc_stores.stok');
SELECT dmesh.product_yaml('odoc_store.stock');
