-- Data products with several objects: a contract whose schema lists
-- several objects publishes one relation per object and major version
-- (dmesh_<domain>.<product>_<object>_v<major>); the product can be created
-- from its contract alone (each object's source from its physicalName, or
-- from sources => {...}).
CREATE ROLE pobj_team NOLOGIN;
CREATE ROLE pobj_reader NOLOGIN;
CREATE ROLE pobj_filtered NOLOGIN;
SELECT dmesh.create_domain('pobj', 'pobj_team') > 0 AS created;
CREATE SCHEMA pobj_src AUTHORIZATION pobj_team;
SET ROLE pobj_team;
CREATE TABLE pobj_src.orders (id bigint PRIMARY KEY, customer_id bigint, amount numeric(10,2));
CREATE TABLE pobj_src.customers (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE pobj_src.lines (order_id bigint, sku text, qty int);
INSERT INTO pobj_src.orders VALUES (1, 10, 5.00), (2, 11, 7.50);
INSERT INTO pobj_src.customers VALUES (10, 'Ann'), (11, 'Bo');
INSERT INTO pobj_src.lines VALUES (1, 'A', 2), (2, 'B', 1);

CREATE TEMP TABLE sales_contract AS SELECT $y$
apiVersion: v3.1.0
kind: DataContract
id: pobj-sales
version: 1.0.0
status: active
schema:
  - name: orders
    physicalName: pobj_src.orders
    properties:
      - {name: id, logicalType: integer, required: true, primaryKey: true}
      - {name: customer_id, logicalType: integer}
      - {name: amount, logicalType: number}
  - name: customers
    physicalName: pobj_src.customers
    properties:
      - {name: id, logicalType: integer, required: true}
      - {name: name, logicalType: string, required: true}
slaProperties:
  - {property: latency, value: 1, unit: d, element: orders.amount}
$y$::text AS yaml;

-- Contract-first: no source, each object read from its physicalName.
SELECT dmesh.create_data_product('pobj', 'psales', contract => (SELECT yaml FROM sales_contract)) > 0 AS created;
SELECT source_kind, source_relation, source_query FROM dmesh.data_product WHERE name = 'psales';
SELECT o.object, o.position, o.source_kind, o.source_relation FROM dmesh.product_object o
  JOIN dmesh.data_product p USING (product_id) WHERE p.name = 'psales' ORDER BY position;
SELECT * FROM dmesh.contract_check('pobj.psales');

-- Published: one relation per object.
SELECT dmesh.publish_data_product('pobj.psales');
SELECT o.object, o.major, o.relation_name, o.status FROM dmesh.output_port o
  JOIN dmesh.data_product p USING (product_id) WHERE p.name = 'psales' ORDER BY object;
SELECT * FROM dmesh_pobj.psales_orders_v1 ORDER BY id;
SELECT * FROM dmesh_pobj.psales_customers_v1 ORDER BY id;
SELECT dmesh.product_relation('pobj.psales', NULL, 'customers');
SELECT dmesh.product_relation('pobj.psales', 1, 'orders');
SELECT dmesh.product_relation('pobj.psales');
SELECT dmesh.product_relation('pobj.psales', 1, 'nothing');

-- One grant covers every relation of the product.
SELECT dmesh.grant_access('pobj.psales', 'pobj_reader') > 0 AS granted;
RESET ROLE;
SET ROLE pobj_reader;
SELECT count(*) FROM dmesh_pobj.psales_orders_v1;
SELECT count(*) FROM dmesh_pobj.psales_customers_v1;
RESET ROLE;

-- A new version adds an object (its source from its physicalName): the
-- diff calls it information, and a relation is published for it.
SET ROLE pobj_team;
SELECT dmesh.set_contract('pobj.psales', (SELECT replace(replace(yaml, 'version: 1.0.0', 'version: 1.1.0'),
       'slaProperties:', '  - name: lines
    physicalName: pobj_src.lines
    properties:
      - {name: order_id, logicalType: integer}
      - {name: sku, logicalType: string}
slaProperties:') FROM sales_contract)) > 0 AS set;
SELECT path, severity FROM dmesh.contract_diff('pobj.psales', '1.0.0', '1.1.0');
SELECT object, major, relation_name FROM dmesh.output_port o
  JOIN dmesh.data_product p USING (product_id) WHERE p.name = 'psales' ORDER BY object;
RESET ROLE;
SET ROLE pobj_reader;
SELECT * FROM dmesh_pobj.psales_lines_v1 ORDER BY order_id;
RESET ROLE;

-- Removing an object breaks its consumers: refused within the major.
SET ROLE pobj_team;
SELECT dmesh.set_contract('pobj.psales',
       jsonb_set(dmesh.contract_document('pobj.psales') #- '{schema,1}', '{version}', '"1.2.0"'));

-- sources => overrides physicalName; a query is a source too.
SELECT dmesh.create_data_product('pobj', 'psales2', contract => (SELECT yaml FROM sales_contract),
       sources => '{"customers": "SELECT id, name FROM pobj_src.customers WHERE id > 10"}') > 0 AS created;
SELECT o.object, o.source_kind, o.source_relation, o.source_query IS NOT NULL AS has_query FROM dmesh.product_object o
  JOIN dmesh.data_product p USING (product_id) WHERE p.name = 'psales2' ORDER BY position;

-- Refusals: each names the object.
SELECT dmesh.create_data_product('pobj', 'bad1', contract => (SELECT replace(yaml, 'pobj_src.customers', 'pobj_src.nothing') FROM sales_contract));
SELECT dmesh.create_data_product('pobj', 'bad2', contract => (SELECT replace(yaml, E'    physicalName: pobj_src.customers\n', '') FROM sales_contract));
SELECT dmesh.create_data_product('pobj', 'bad3', contract => (SELECT yaml FROM sales_contract),
       sources => '{"nothing": "pobj_src.orders"}');
SELECT dmesh.create_data_product('pobj', 'bad4', 'pobj_src.orders', contract => (SELECT yaml FROM sales_contract));
SELECT dmesh.create_data_product('pobj', 'bad5', contract => (SELECT yaml FROM sales_contract),
       sources => '["pobj_src.orders"]');
SELECT dmesh.create_data_product('pobj', 'bad6');
SELECT dmesh.create_data_product('pobj', 'bad7', contract => (SELECT yaml FROM sales_contract), materialize => true);
SELECT dmesh.create_data_product('pobj', repeat('x', 40), contract => (SELECT replace(yaml, 'name: customers', 'name: customers_and_their_addresses') FROM sales_contract));

-- A one-object contract needs no source either.
SELECT dmesh.create_data_product('pobj', 'pcusts', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: pobj-custs
version: 1.0.0
status: active
schema:
  - name: customers
    physicalName: pobj_src.customers
    properties:
      - {name: id, logicalType: integer}
$y$) > 0 AS created;
SELECT source_kind, source_relation FROM dmesh.data_product WHERE name = 'pcusts';
SELECT dmesh.publish_data_product('pobj.pcusts');

-- The DDL gate guards every object's source, naming the object.
ALTER TABLE pobj_src.customers DROP COLUMN name;
ALTER TABLE pobj_src.customers RENAME COLUMN name TO full_name;
ALTER TABLE pobj_src.lines ADD COLUMN note text;     -- keeps the contract
DROP TABLE pobj_src.customers;
SELECT dmesh.contract_check('pobj.psales');
-- Lineage: each object's source feeds the product, which publishes a
-- relation per object.
SELECT source, target, kind FROM dmesh.lineage('pobj.psales', 'both', 1)
 WHERE source_column IS NULL ORDER BY kind, source, target;
SELECT kind, name FROM dmesh.impact('pobj.psales') ORDER BY 1, 2;
-- The audit records DDL on any object's source.
SELECT details->>'relation' AS relation, details->>'relation_is' AS relation_is
  FROM dmesh.event_log WHERE action = 'ddl' AND object_identity = 'pobj.psales'
 ORDER BY event_id;

-- A row filter filters each relation that publishes the columns it names;
-- one that names columns no object has is refused.
SELECT dmesh.grant_access('pobj.psales', 'pobj_filtered', row_filter => 'customer_id = 10') > 0 AS granted;
SELECT dmesh.grant_access('pobj.psales', 'pobj_filtered', row_filter => 'no_such_column = 1');
RESET ROLE;
SET ROLE pobj_filtered;
SELECT id FROM dmesh_pobj.psales_orders_v1 ORDER BY id;
SELECT id FROM dmesh_pobj.psales_customers_v1 ORDER BY id;
RESET ROLE;
SET ROLE pobj_team;

-- Quality: each object checked on its own source, results naming the
-- object; writes held on every object's source table.
INSERT INTO pobj_src.customers VALUES (12, 'Cy');
SELECT object, rule, property, passed, observed, rows_checked FROM dmesh.check_product('pobj.psales')
 ORDER BY object, rule, property;
SELECT rules, passed, failed FROM dmesh.quality_run
 WHERE product_id = (SELECT product_id FROM dmesh.data_product WHERE name = 'psales')
 ORDER BY run_id DESC LIMIT 1;
SELECT object, rule, property, checked FROM dmesh.enforce_contract('pobj.psales', 'reject')
 ORDER BY object, rule, property;
SELECT relation, mode FROM dmesh.enforcement WHERE product = 'psales' ORDER BY relation::text;
INSERT INTO pobj_src.customers VALUES (13, NULL);
INSERT INTO pobj_src.orders VALUES (NULL, 10, 1.00);
INSERT INTO pobj_src.lines VALUES (3, 'C', 1);           -- no rule broken
SELECT count(*) AS rules FROM dmesh.enforce_contract('pobj.psales', 'quarantine');
INSERT INTO pobj_src.customers VALUES (14, NULL);
SELECT relation, row_data->>'id' AS id FROM dmesh.quarantine WHERE product = 'psales';
UPDATE pobj_src.customers SET name = 'Di' WHERE id = 14;  -- nothing there: it was held back
SELECT dmesh.release_quarantine('pobj.psales');           -- still breaks the rule: held again
SELECT relation, row_data->>'id' AS id FROM dmesh.quarantine WHERE product = 'psales';
SELECT dmesh.discard_quarantine('pobj.psales', (SELECT array_agg(quarantine_id) FROM dmesh.quarantine WHERE product = 'psales'));
SELECT count(*) AS rules FROM dmesh.enforce_contract('pobj.psales', 'off');
SELECT count(*) AS enforced FROM dmesh.enforcement WHERE product = 'psales';

-- Metadata counts the properties of every object.
SELECT properties FROM dmesh.product_metadata WHERE product = 'psales';

-- A contract that leaves its schema to the source: kept as written, held
-- to the source's columns (dmesh.contract.held_schema).
SELECT dmesh.create_data_product('pobj', 'pheld', 'pobj_src.orders', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: pobj-held
version: 1.0.0
status: active
slaProperties:
  - {property: retention, value: 3, unit: y, element: amount}
$y$) > 0 AS created;
SELECT document ? 'schema' AS written_schema,
       jsonb_path_query_array(held_schema, '$[*].properties[*].name') AS held_properties
  FROM dmesh.contract c JOIN dmesh.data_product p USING (product_id) WHERE p.name = 'pheld';
SELECT dmesh.yaml_to_jsonb(dmesh.contract_yaml('pobj.pheld')) ? 'schema' AS yaml_has_schema;
SELECT properties FROM dmesh.product_metadata WHERE product = 'pheld';
SELECT dmesh.publish_data_product('pobj.pheld');
SELECT * FROM dmesh.contract_check('pobj.pheld');
-- ... and an SLA element the source does not have is refused then.
SELECT dmesh.create_data_product('pobj', 'pheld2', 'pobj_src.orders', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: pobj-held
version: 1.0.0
status: active
slaProperties:
  - {property: retention, value: 3, unit: y, element: nothing}
$y$);

-- Retiring drops every relation of the product.
SELECT dmesh.retire_data_product('pobj.psales');
SELECT o.object, o.status FROM dmesh.output_port o
  JOIN dmesh.data_product p USING (product_id) WHERE p.name = 'psales' ORDER BY object;
SELECT count(*) AS left_over FROM pg_class WHERE relname LIKE 'psales\_%\_v1' AND relnamespace = 'dmesh_pobj'::regnamespace;
RESET ROLE;
