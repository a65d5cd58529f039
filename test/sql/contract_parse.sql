-- Contracts in and out: a full ODCS v3 contract in YAML, kept without
-- loss; JSON text and jsonb; every kind of invalid contract refused with
-- the path of the problem.
CREATE ROLE cp_team NOLOGIN;
SELECT dmesh.create_domain('cp', 'cp_team') > 0 AS created;
CREATE SCHEMA cp_src AUTHORIZATION cp_team;
SET ROLE cp_team;
CREATE TABLE cp_src.orders (
    order_id     bigint PRIMARY KEY,
    customer     text NOT NULL,
    email        text,
    amount       numeric(10,2) NOT NULL,
    status       text NOT NULL,
    ordered_at   timestamptz NOT NULL);
RESET ROLE;

CREATE TEMP TABLE cp_contract AS SELECT $$
apiVersion: v3.1.0
kind: DataContract
id: 6aeafdc1-ed62-4c8f-bf0a-da1061c98cdb
name: Orders
version: 1.0.0
status: active
domain: cp
dataProduct: orders
tenant: acme
description:
  purpose: Every order placed in the web shop.
  usage: Revenue reporting and customer analytics.
  limitations: Orders older than 2020 are not included.
tags: [orders, finance]
schema:
  - name: orders
    physicalName: cp_src.orders
    physicalType: table
    logicalType: object
    description: One row per order.
    dataGranularityDescription: order
    quality:
      - name: some_orders
        metric: rowCount
        mustBeGreaterThan: 0
        severity: error
    properties:
      - name: order_id
        logicalType: integer
        physicalType: bigint
        required: true
        unique: true
        primaryKey: true
        primaryKeyPosition: 1
        description: Identifier of the order.
        criticalDataElement: true
      - name: customer_email
        physicalName: email
        logicalType: string
        classification: pii
        description: Where the receipt goes.
        logicalTypeOptions:
          format: email
          maxLength: 254
          pattern: '^[^@]+@[^@]+$'
        examples: [ann@example.com]
      - name: amount
        logicalType: number
        physicalType: numeric(10,2)
        required: true
        logicalTypeOptions:
          minimum: 0
          exclusiveMaximum: 1000000
        quality:
          - metric: nullValues
            mustBe: 0
      - name: status
        logicalType: string
        required: true
        quality:
          - name: known_status
            metric: invalidValues
            arguments:
              validValues: [new, paid, shipped]
            mustBe: 0
      - name: ordered_at
        logicalType: timestamp
        required: true
slaProperties:
  - property: freshness
    value: 1
    unit: d
    element: orders.ordered_at
  - property: latency
    value: 4
    unit: hours
  - property: retention
    value: 3
    unit: y
team:
  - username: ann
    role: owner
support:
  - channel: '#orders'
    url: https://chat.example.com/orders
roles:
  - role: orders_reader
    access: read
customProperties:
  - property: refreshPolicy
    value: hourly
  - property: x-internal-notes
    value: kept as written
$$::text AS yaml;
GRANT SELECT ON cp_contract TO PUBLIC;

SET ROLE cp_team;
SELECT dmesh.create_data_product('cp', 'orders', 'cp_src.orders', 'Orders',
                                 contract => (SELECT yaml FROM cp_contract)) > 0 AS created;
RESET ROLE;

-- The stored document is the YAML, field for field, unknown fields included.
SELECT c.version, c.major, c.minor, c.patch, c.status, c.derived, c.set_by,
       c.document = dmesh.yaml_to_jsonb((SELECT yaml FROM cp_contract)) AS stored_as_written,
       c.document->'customProperties'->1->>'value' AS unknown_field,
       c.document->'schema'->0->'properties'->0->>'criticalDataElement' AS unknown_property_field
  FROM dmesh.contract c JOIN dmesh.data_product p USING (product_id) WHERE p.name = 'orders'
   AND p.domain_id = (SELECT domain_id FROM dmesh.domain WHERE name = 'cp');
SELECT version FROM dmesh.data_product WHERE name = 'orders'
   AND domain_id = (SELECT domain_id FROM dmesh.domain WHERE name = 'cp');

-- YAML out, and back: the same document.
SELECT dmesh.contract_yaml('cp.orders');
SELECT dmesh.yaml_to_jsonb(dmesh.contract_yaml('cp.orders')) = document AS round_trip
  FROM dmesh.contract WHERE version = '1.0.0'
   AND product_id = (SELECT product_id FROM dmesh.data_product p JOIN dmesh.domain d USING (domain_id)
                      WHERE d.name = 'cp' AND p.name = 'orders');
SELECT dmesh.contract_yaml('cp.orders', '1.0.0') = dmesh.contract_yaml('cp.orders') AS same_version;
SELECT dmesh.contract_yaml('cp.orders', '9.9.9');

-- JSON text and jsonb are accepted too.
SET ROLE cp_team;
SELECT dmesh.set_contract('cp.orders',
       (SELECT jsonb_set(dmesh.yaml_to_jsonb((SELECT yaml FROM cp_contract)), '{version}', '"1.0.1"'))::text) > 0 AS json_text;
SELECT dmesh.set_contract('cp.orders',
       jsonb_set(dmesh.yaml_to_jsonb((SELECT yaml FROM cp_contract)), '{version}', '"1.0.2"')) > 0 AS jsonb_document;
RESET ROLE;
SELECT c.version, c.derived FROM dmesh.contract c JOIN dmesh.data_product p USING (product_id)
 WHERE p.name = 'orders' ORDER BY major, minor, patch;

-- Invalid contracts: each refused with the path of the problem.
CREATE FUNCTION pg_temp.try_contract(edit text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
    doc jsonb := jsonb_set(dmesh.yaml_to_jsonb((SELECT dmesh.contract_yaml('cp.orders'))),
                           '{version}', '"2.0.0"');
BEGIN
    EXECUTE format('SELECT %s', edit) INTO doc USING doc;
    BEGIN
        PERFORM dmesh.set_contract('cp.orders', doc);
        -- each case on its own: an accepted contract is rolled back too
        RAISE EXCEPTION 'accepted' USING ERRCODE = 'DM001';
    EXCEPTION WHEN SQLSTATE 'DM001' THEN
        RETURN 'accepted';
    END;
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$f$;
SELECT pg_temp.try_contract($$ '[1, 2]'::jsonb $$);
SELECT pg_temp.try_contract($$ $1 - 'apiVersion' $$);
SELECT pg_temp.try_contract($$ jsonb_set($1, '{apiVersion}', '"v2.2.0"') $$);
SELECT pg_temp.try_contract($$ jsonb_set($1, '{apiVersion}', '"v3.2.0"') $$);
SELECT pg_temp.try_contract($$ jsonb_set($1, '{kind}', '"DataProduct"') $$);
SELECT pg_temp.try_contract($$ $1 - 'id' $$);
SELECT pg_temp.try_contract($$ jsonb_set($1, '{id}', '""') $$);
SELECT pg_temp.try_contract($$ $1 - 'version' $$);
SELECT pg_temp.try_contract($$ jsonb_set($1, '{version}', '"2.0"') $$);
SELECT pg_temp.try_contract($$ jsonb_set($1, '{version}', '2.0') $$);
SELECT pg_temp.try_contract($$ jsonb_set($1, '{version}', '"02.0.0"') $$);
SELECT pg_temp.try_contract($$ $1 - 'status' $$);
SELECT pg_temp.try_contract($$ jsonb_set($1, '{description}', '"a string"') $$);
SELECT pg_temp.try_contract($$ jsonb_set($1, '{tags}', '["a", 1]') $$);
-- A contract that leaves its schema to the source is accepted (its schema
-- is then derived from the source: see contract_held_schema).
SELECT pg_temp.try_contract($$ $1 - 'schema' $$);
SELECT pg_temp.try_contract($$ jsonb_set($1, '{schema}', '[]') $$);
-- Two objects on a product made from one source: each object needs its own.
SELECT pg_temp.try_contract($$ jsonb_insert($1, '{schema,1}', $1->'schema'->0) $$);
SELECT pg_temp.try_contract($$ jsonb_insert($1, '{schema,1}', jsonb_set($1->'schema'->0, '{name}', '"other"')) $$);
SELECT pg_temp.try_contract($$ jsonb_set($1, '{schema,0}', '"orders"') $$);
SELECT pg_temp.try_contract($$ $1 #- '{schema,0,name}' $$);
SELECT pg_temp.try_contract($$ jsonb_set($1, '{schema,0,properties,2,logicalType}', '"strng"') $$);
SELECT pg_temp.try_contract($$ $1 #- '{schema,0,properties,2,logicalType}' $$);
SELECT pg_temp.try_contract($$ $1 #- '{schema,0,properties,2,name}' $$);
SELECT pg_temp.try_contract($$ jsonb_set($1, '{schema,0,properties,1,required}', '"yes"') $$);
SELECT pg_temp.try_contract($$ jsonb_set($1, '{schema,0,properties,1,name}', '"order_id"') $$);
SELECT pg_temp.try_contract($$ jsonb_set($1, '{schema,0,properties,1,physicalName}', '"order_id"') $$);
SELECT pg_temp.try_contract($$ jsonb_set($1, '{schema,0,properties,1,logicalTypeOptions,pattern}', '"([a-z"') $$);
SELECT pg_temp.try_contract($$ jsonb_set($1, '{schema,0,properties,1,logicalTypeOptions,maxLength}', '-1') $$);
SELECT pg_temp.try_contract($$ jsonb_set($1, '{schema,0,properties,1,logicalTypeOptions,maxLength}', '2.5') $$);
SELECT pg_temp.try_contract($$ jsonb_set($1, '{schema,0,properties,2,logicalTypeOptions,minimum}', 'true') $$);
SELECT pg_temp.try_contract($$ jsonb_set($1, '{schema,0,properties,3,quality}', '{"metric": "x"}') $$);
SELECT pg_temp.try_contract($$ jsonb_set($1, '{schema,0,properties,3,quality,0}', '"x"') $$);
SELECT pg_temp.try_contract($$ jsonb_set($1, '{slaProperties,0,unit}', '"fortnight"') $$);
SELECT pg_temp.try_contract($$ $1 #- '{slaProperties,1,value}' $$);
SELECT pg_temp.try_contract($$ $1 #- '{slaProperties,0,property}' $$);
-- v3.0 boolean and v3.1 numeric exclusive bounds are both accepted.
SELECT pg_temp.try_contract($$ jsonb_set(jsonb_set($1, '{schema,0,properties,2,logicalTypeOptions,exclusiveMinimum}', 'true'), '{version}', '"1.0.3"') $$);

-- YAML syntax errors name the line and column.
SELECT dmesh.set_contract('cp.orders', E'apiVersion: v3.0.2\nkind: DataContract\nschema: [\n  - x');

-- Nothing was stored by the failures.
SELECT count(*) AS versions FROM dmesh.contract c JOIN dmesh.data_product p USING (product_id)
 WHERE p.name = 'orders';
