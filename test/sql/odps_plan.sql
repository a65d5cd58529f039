-- plan_product: what apply_product would do, changing nothing; each
-- breaking contract change with the roles that read what it breaks in the
-- last 30 days, from real usage (counted by the preload, flushed here).
-- contract_diff_document: a candidate contract against the active one.
SELECT dmesh.flush_usage() >= 0 AS flushed_earlier_counts;
CREATE ROLE odpl_team NOLOGIN;
CREATE ROLE odpl_ana NOLOGIN;
CREATE ROLE odpl_bob NOLOGIN;
SELECT dmesh.create_domain('odpl_crm', 'odpl_team') > 0 AS created;
CREATE SCHEMA odpl_src AUTHORIZATION odpl_team;
SET ROLE odpl_team;
CREATE TABLE odpl_src.customers (id int PRIMARY KEY, email text, country text, segment text);
INSERT INTO odpl_src.customers
SELECT g, 'c' || g || '@example.com', (ARRAY['NL', 'BE'])[1 + g % 2], 'retail' FROM generate_series(1, 6) g;
RESET ROLE;

SELECT $${
  "apiVersion": "v3.1.0", "kind": "DataContract", "id": "odpl-customers", "version": "1.0.0",
  "status": "active",
  "schema": [{"name": "customers", "physicalName": "odpl_src.customers", "properties": [
    {"name": "id", "logicalType": "integer", "required": true},
    {"name": "email", "logicalType": "string"},
    {"name": "country", "logicalType": "string"},
    {"name": "segment", "logicalType": "string"}]}]
}$$ AS contract_100 \gset
SELECT $${
  "apiVersion": "v1.0.0", "kind": "DataProduct", "id": "odpl-customers-product",
  "name": "customers", "domain": "odpl_crm", "status": "active", "version": "1.0.0",
  "outputPorts": [{"name": "customers", "version": "1.0.0", "contractId": "odpl-customers"}],
  "customProperties": [
    {"property": "dmeshAgreements", "value": [{"consumer": "odpl_ana"}, {"consumer": "odpl_bob"}]}]
}$$ AS product_100 \gset

-- A plan of a new product creates nothing.
SELECT coalesce(max(event_id), 0) AS events_before FROM dmesh.event_log \gset
SET ROLE odpl_team;
SELECT kind, item, change, breaking, consumers, detail
  FROM dmesh.plan_product(:'product_100', ARRAY[:'contract_100']);
RESET ROLE;
SELECT count(*) AS products FROM dmesh.data_product p JOIN dmesh.domain d USING (domain_id)
 WHERE d.name = 'odpl_crm';
SELECT count(*) AS new_events FROM dmesh.event_log WHERE event_id > :events_before;

SET ROLE odpl_team;
SELECT count(*) AS changes FROM dmesh.apply_product(:'product_100', ARRAY[:'contract_100']);
RESET ROLE;

-- Ana reads email and country, Bob reads segment.
SET ROLE odpl_ana;
SELECT count(*) FROM dmesh_odpl_crm.customers_v1 WHERE email LIKE '%1@%' AND country = 'BE';
RESET ROLE;
SET ROLE odpl_bob;
SELECT DISTINCT segment FROM dmesh_odpl_crm.customers_v1;
RESET ROLE;
SELECT dmesh.flush_usage() > 0 AS flushed;

-- Version 1.1.0 without email breaks version 1.0.0: plan names Ana, who
-- read it; apply refuses, naming her; nothing changes.
SELECT jsonb_set(jsonb_set(:'contract_100'::jsonb, '{version}', '"1.1.0"'),
                 '{schema,0,properties}', (:'contract_100'::jsonb #> '{schema,0,properties}') - 1)
       AS contract_110 \gset
SELECT jsonb_set(jsonb_set(:'product_100'::jsonb, '{version}', '"1.1.0"'),
                 '{outputPorts,0,version}', '"1.1.0"') AS product_110 \gset
SELECT coalesce(max(event_id), 0) AS events_before FROM dmesh.event_log \gset
SET ROLE odpl_team;
SELECT kind, item, change, breaking, consumers, detail
  FROM dmesh.plan_product(:'product_110'::jsonb, ARRAY[:'contract_110']);
SELECT * FROM dmesh.apply_product(:'product_110'::jsonb, ARRAY[:'contract_110']);
-- the same as contract_diff_document says
SELECT path, change, severity, affected_consumers
  FROM dmesh.contract_diff_document('odpl_crm.customers', :'contract_110');
RESET ROLE;
SELECT count(*) AS new_events FROM dmesh.event_log WHERE event_id > :events_before;
SELECT p.version FROM dmesh.data_product p JOIN dmesh.domain d USING (domain_id)
 WHERE d.name = 'odpl_crm' AND p.name = 'customers';

-- A change to segment breaks Bob's reads; to the whole object, everyone's.
SELECT jsonb_set(:'contract_110'::jsonb, '{schema,0,properties}',
                 jsonb_set(:'contract_100'::jsonb #> '{schema,0,properties}', '{3,logicalType}', '"integer"'))
       AS contract_110_segment \gset
SELECT jsonb_set(:'contract_110'::jsonb, '{schema,0,name}', '"clients"') AS contract_110_object \gset
SET ROLE odpl_team;
SELECT kind, item, change, breaking, consumers
  FROM dmesh.plan_product(:'product_110'::jsonb, ARRAY[:'contract_110_segment']);
SELECT kind, item, change, breaking, consumers
  FROM dmesh.plan_product(jsonb_set(:'product_110'::jsonb, '{outputPorts,0,name}', '"clients"'),
                          ARRAY[:'contract_110_object']);
-- As a new major version it is applied, still breaking, with its readers.
SELECT kind, item, change, breaking, consumers, detail
  FROM dmesh.plan_product(jsonb_set(jsonb_set(:'product_100'::jsonb, '{version}', '"2.0.0"'),
                                    '{outputPorts}', '[{"name": "customers", "version": "1.0.0"},
                                                       {"name": "customers", "version": "2.0.0"}]'),
                          ARRAY[jsonb_set(:'contract_110'::jsonb, '{version}', '"2.0.0"')::text]);
-- Revoking Bob's agreement and retiring the product break what they read.
SELECT kind, item, change, breaking, consumers
  FROM dmesh.plan_product(jsonb_set(:'product_100'::jsonb, '{customProperties,0,value}',
                                    '[{"consumer": "odpl_ana"}]'));
SELECT kind, item, change, breaking, consumers
  FROM dmesh.plan_product(jsonb_set(:'product_100'::jsonb, '{status}', '"retired"'));
RESET ROLE;

-- contract_diff_document: any role may diff a candidate that lists its
-- properties, and sees the consumers it may see (Ana: herself).
SET ROLE odpl_ana;
SELECT path, change, severity, affected_consumers
  FROM dmesh.contract_diff_document('odpl_crm.customers', :'contract_110');
-- a candidate that leaves its schema to the source shows the source's
-- columns: the product's managers only
SELECT * FROM dmesh.contract_diff_document('odpl_crm.customers',
  '{"apiVersion": "v3.1.0", "kind": "DataContract", "id": "odpl-customers", "version": "1.2.0", "status": "active"}');
RESET ROLE;
SET ROLE odpl_team;
SELECT path, change, severity, affected_consumers
  FROM dmesh.contract_diff_document('odpl_crm.customers',
  '{"apiVersion": "v3.1.0", "kind": "DataContract", "id": "odpl-customers", "version": "1.2.0", "status": "active"}');
-- the candidate is checked as set_contract checks it
SELECT * FROM dmesh.contract_diff_document('odpl_crm.customers',
  jsonb_set(:'contract_110'::jsonb, '{schema,0,properties,0,requird}', 'true')::text);
SELECT * FROM dmesh.contract_diff_document('odpl_crm.custmers', :'contract_110');
SELECT * FROM dmesh.contract_diff_document(NULL, :'contract_110');
SELECT * FROM dmesh.contract_diff_document('odpl_crm.customers', NULL);
RESET ROLE;
