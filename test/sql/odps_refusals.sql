-- What apply_product and plan_product refuse, before or while changing
-- anything, and the SQLSTATE of each: a role without rights, unknown
-- names (with the name meant), unknown keys (with their path), contracts
-- not given or not matching, NULLs.  A refusal leaves nothing behind.
CREATE ROLE odre_team NOLOGIN;
CREATE ROLE odre_other NOLOGIN;
CREATE ROLE odre_mallory NOLOGIN;
SELECT dmesh.create_domain('odre_sales', 'odre_team') > 0 AS created;
CREATE SCHEMA odre_src AUTHORIZATION odre_team;
SET ROLE odre_team;
CREATE TABLE odre_src.orders (id int PRIMARY KEY, amount numeric);
RESET ROLE;

CREATE FUNCTION pg_temp.refused(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    state text;
    message text;
    hint text;
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
    RETURN state || ' ' || message || CASE WHEN hint <> '' THEN ' | ' || hint ELSE '' END;
END
$$;

SELECT '{"apiVersion": "v3.1.0", "kind": "DataContract", "id": "odre-orders", "version": "1.0.0",
  "status": "active", "schema": [{"name": "orders", "physicalName": "odre_src.orders",
  "properties": [{"name": "id", "logicalType": "integer"}, {"name": "amount", "logicalType": "number"}]}]}'
  AS contract \gset
SELECT '{"apiVersion": "v1.0.0", "kind": "DataProduct", "id": "odre-orders-product", "name": "orders",
  "domain": "odre_sales", "status": "active", "version": "1.0.0",
  "outputPorts": [{"name": "orders", "version": "1.0.0", "contractId": "odre-orders"}]}' AS product \gset
-- Creating a product takes the rights create_data_product asks for.
SET ROLE odre_mallory;
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L, ARRAY[%L])', :'product', :'contract'));
SELECT pg_temp.refused(format('SELECT * FROM dmesh.plan_product(%L, ARRAY[%L])', :'product', :'contract'));
RESET ROLE;
SET ROLE odre_team;
SELECT kind, change FROM dmesh.apply_product(:'product', ARRAY[:'contract']);
RESET ROLE;

-- A role without rights: refused, for the product and for the domain.
SELECT coalesce(max(event_id), 0) AS events_before FROM dmesh.event_log \gset
SET ROLE odre_mallory;
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L)', :'product'));
SELECT pg_temp.refused(format('SELECT * FROM dmesh.plan_product(%L)', :'product'));
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L)',
                              jsonb_set(jsonb_set(:'product'::jsonb, '{name}', '"mine"'), '{id}', '"m"')));
RESET ROLE;
-- Another team's member may not change the product through a document
-- either; a superuser may (as with every function dmesh calls).
SET ROLE odre_other;
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L)',
                              jsonb_set(:'product'::jsonb, '{tags}', '["mine"]')));
RESET ROLE;
SELECT count(*) AS new_events FROM dmesh.event_log WHERE event_id > :events_before;

SET ROLE odre_team;
-- Unknown names, with the name meant.
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L)',
                              jsonb_set(:'product'::jsonb, '{domain}', '"odre_sale"')));
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L)',
                              jsonb_set(:'product'::jsonb, '{outputPorts,0,name}', '"order"')));
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L)',
                              jsonb_set(:'product'::jsonb, '{status}', '"actve"')));
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L)',
         jsonb_set(:'product'::jsonb, '{customProperties}',
                   '[{"property": "dmeshAgreements", "value": [{"consumer": "odre_nobody"}]}]')));
-- Unknown keys, with their path and the key meant.
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L)',
                              (:'product'::jsonb - 'outputPorts') || '{"outputPort": []}'));
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L)',
                              jsonb_set(:'product'::jsonb, '{outputPorts,0,contractID}', '"x"')));
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L)',
         jsonb_set(:'product'::jsonb, '{customProperties}',
                   '[{"property": "dmeshEnforcment", "value": "reject"}]')));
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L)',
         jsonb_set(:'product'::jsonb, '{customProperties}',
                   '[{"property": "dmeshSchedule", "value": {"chek": "1 day"}}]')));
-- Contracts: not given, given twice, another id, other content, invalid.
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L)',
         jsonb_set(jsonb_set(:'product'::jsonb, '{outputPorts,0,version}', '"1.1.0"'), '{version}', '"1.1.0"')));
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L, ARRAY[%L, %L])',
         jsonb_set(jsonb_set(:'product'::jsonb, '{outputPorts,0,version}', '"1.1.0"'), '{version}', '"1.1.0"'),
         jsonb_set(:'contract'::jsonb, '{version}', '"1.1.0"'), jsonb_set(:'contract'::jsonb, '{version}', '"1.1.0"')));
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L)',
                              jsonb_set(:'product'::jsonb, '{outputPorts,0,contractId}', '"odre-other"')));
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L, ARRAY[%L])', :'product',
                              jsonb_set(:'contract'::jsonb, '{status}', '"draft"')));
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L, ARRAY[%L])', :'product',
                              jsonb_set(:'contract'::jsonb, '{version}', '"3.0.0"')));
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L, ARRAY[%L])',
         jsonb_set(jsonb_set(:'product'::jsonb, '{outputPorts,0,version}', '"1.1.0"'), '{version}', '"1.1.0"'),
         jsonb_set(jsonb_set(:'contract'::jsonb, '{version}', '"1.1.0"'), '{schema,0,properties,0,requird}', 'true')));
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L, ARRAY[%L])', :'product', 'kind: [x'));
-- The document's version is its newest port's; the id is one product's.
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L)',
                              jsonb_set(:'product'::jsonb, '{version}', '"1.0.1"')));
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L)',
         jsonb_set(jsonb_set(:'product'::jsonb, '{name}', '"copy"'), '{customProperties}',
                   '[{"property": "dmeshSource", "value": "odre_src.orders"}]') - 'outputPorts'));
-- What does not change: the owner, whether it is materialized, its source.
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L)',
         jsonb_set(:'product'::jsonb, '{customProperties}', '[{"property": "dmeshOwner", "value": "odre_other"}]')));
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L)',
         jsonb_set(:'product'::jsonb, '{customProperties}', '[{"property": "dmeshMaterialized", "value": true}]')));
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L)',
         jsonb_set(:'product'::jsonb, '{customProperties}',
                   '[{"property": "dmeshSource", "value": "SELECT 1 AS id, 2 AS amount"}]')));
SELECT count(*) AS changes FROM dmesh.apply_product(jsonb_set(:'product'::jsonb, '{customProperties}',
         '[{"property": "dmeshSource", "value": "odre_src.orders"}, {"property": "dmeshOwner", "value": "odre_team"}]'));
-- A document without name or domain; a new product with nothing to make
-- it from, or retired from the start.
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L)', :'product'::jsonb - 'name'));
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L)', :'product'::jsonb - 'domain'));
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L)',
         jsonb_set(jsonb_set(:'product'::jsonb, '{name}', '"other"'), '{id}', '"o"') - 'outputPorts' - 'version'));
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L, ARRAY[%L])',
         jsonb_set(jsonb_set(jsonb_set(:'product'::jsonb, '{name}', '"other"'), '{id}', '"o"'), '{status}', '"retired"'),
         :'contract'));
-- A call dmesh makes that refuses (a row filter on no column): nothing of
-- the apply remains.
SELECT coalesce(max(event_id), 0) AS events_before FROM dmesh.event_log \gset
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L)',
         jsonb_set(jsonb_set(:'product'::jsonb, '{tags}', '["changed"]'), '{customProperties}',
                   '[{"property": "dmeshAgreements", "value": [{"consumer": "odre_other", "rowFilter": "colour = 1"}]}]')));
SELECT count(*) AS new_events FROM dmesh.event_log WHERE event_id > :events_before;
SELECT tags FROM dmesh.data_product WHERE name = 'orders' AND domain_id =
       (SELECT domain_id FROM dmesh.domain WHERE name = 'odre_sales');
-- NULLs.
SELECT pg_temp.refused('SELECT * FROM dmesh.apply_product(NULL::text)');
SELECT pg_temp.refused('SELECT * FROM dmesh.apply_product(NULL::jsonb)');
SELECT pg_temp.refused('SELECT * FROM dmesh.plan_product(NULL::text, NULL)');
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L, ARRAY[NULL])', :'product'));
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L, ARRAY[[%L]])', :'product', :'contract'));
SELECT count(*) AS changes FROM dmesh.apply_product(:'product', NULL);
SELECT pg_temp.refused(format('SELECT * FROM dmesh.apply_product(%L)', jsonb_set(:'product'::jsonb, '{name}', 'null')));
RESET ROLE;
