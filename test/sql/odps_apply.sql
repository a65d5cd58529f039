-- Products as code: dmesh.apply_product makes a data product match an ODPS
-- document and the ODCS contracts its output ports name, calling dmesh's
-- functions as the caller; one row per change; the same files applied
-- again change nothing and log nothing.
CREATE ROLE odps_team NOLOGIN;
CREATE ROLE odps_sam NOLOGIN IN ROLE odps_team;
CREATE ROLE odps_ana NOLOGIN;
CREATE ROLE odps_bob NOLOGIN;
CREATE ROLE odps_mallory NOLOGIN;
SELECT dmesh.create_domain('odps_shop', 'odps_team') > 0 AS created;
CREATE SCHEMA odps_src AUTHORIZATION odps_team;
SET ROLE odps_team;
CREATE TABLE odps_src.orders (
    order_id bigint PRIMARY KEY,
    country  text NOT NULL,
    amount   numeric(10,2) NOT NULL,
    note     text);
INSERT INTO odps_src.orders
SELECT g, (ARRAY['NL', 'BE', 'DE'])[1 + g % 3], g * 10, 'n' || g FROM generate_series(1, 9) g;
RESET ROLE;

-- The files: the contract (ODCS) and the product (ODPS).
SELECT $$
apiVersion: v3.1.0
kind: DataContract
id: odps-shop-orders
name: Orders
version: 1.0.0
status: active
domain: odps_shop
dataProduct: orders
description:
  purpose: Every order of the shop.
  usage: Revenue reporting.
  limitations: Orders of the last year only.
schema:
  - name: orders
    physicalName: odps_src.orders
    properties:
      - {name: order_id, logicalType: integer, required: true, primaryKey: true}
      - {name: country, logicalType: string, required: true}
      - {name: amount, logicalType: number, required: true, logicalTypeOptions: {minimum: 0}}
team:
  name: Shop team
  members:
    - {username: odps_sam, role: owner}
support:
  - {channel: "#shop-data", url: "https://chat.example.com/shop-data", tool: slack}
$$ AS contract_100 \gset
SELECT $$
apiVersion: v1.0.0
kind: DataProduct
id: 7f1c9a52-0d7e-4a43-9d0b-2b1f3c1e8a10
name: orders
version: 1.0.0
status: active
domain: odps_shop
tenant: ShopCorp
description:
  purpose: Every order of the web shop
tags: [orders, revenue]
outputPorts:
  - {name: orders, version: 1.0.0, contractId: odps-shop-orders}
customProperties:
  - {property: dmeshEnforcement, value: reject}
  - {property: dmeshSchedule, value: {check: 1 day}}
  - property: dmeshAgreements
    value:
      - {consumer: odps_ana, purpose: Revenue report, rowFilter: "country = 'NL'"}
  - property: dmeshPolicies
    value:
      - {name: odps shop internal, kind: masking, rule: {classification: internal, mask: redact}}
  - {property: costCenter, value: CC-42}
$$ AS product_100 \gset

-- A new product: created from its contract, published, governed.
SELECT coalesce(max(event_id), 0) AS events_before FROM dmesh.event_log \gset
SET ROLE odps_sam;
SELECT kind, item, change, breaking, consumers, detail
  FROM dmesh.apply_product(:'product_100', ARRAY[:'contract_100']);
RESET ROLE;
SELECT name, status, version, description, tags FROM dmesh.data_product WHERE name = 'orders'
   AND domain_id = (SELECT domain_id FROM dmesh.domain WHERE name = 'odps_shop');
SELECT consumer, row_filter, purpose FROM dmesh.access_grant g
  JOIN dmesh.data_product p USING (product_id) WHERE p.name = 'orders' AND p.domain_id =
       (SELECT domain_id FROM dmesh.domain WHERE name = 'odps_shop');
SELECT mode FROM dmesh.enforcement WHERE domain = 'odps_shop';
SELECT document_id, kept FROM dmesh.applied_product a JOIN dmesh.data_product p USING (product_id)
 WHERE p.name = 'orders';
SELECT action FROM dmesh.event_log WHERE event_id > :events_before ORDER BY event_id;

-- The same files again: nothing to do, nothing logged.
SELECT coalesce(max(event_id), 0) AS events_before FROM dmesh.event_log \gset
SET ROLE odps_sam;
SELECT count(*) AS changes FROM dmesh.apply_product(:'product_100', ARRAY[:'contract_100']);
SELECT count(*) AS changes FROM dmesh.apply_product(:'product_100');   -- the contract is set
RESET ROLE;
SELECT count(*) AS new_events FROM dmesh.event_log WHERE event_id > :events_before;

-- What dmesh writes back: the document as applied, with the contract's
-- team and support and dmesh's own properties.
SELECT dmesh.product_yaml('odps_shop.orders');
SET ROLE odps_sam;
SELECT count(*) AS changes FROM dmesh.apply_product(dmesh.product_yaml('odps_shop.orders'));
SELECT count(*) AS changes FROM dmesh.apply_product(dmesh.product_document('odps_shop.orders'));
RESET ROLE;

-- The next versions of the files are edited as jsonb (apply_product takes
-- either): a customProperty set, or dropped when the value is NULL.
CREATE FUNCTION pg_temp.prop(doc jsonb, name text, value jsonb) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT jsonb_set(doc, '{customProperties}',
             coalesce((SELECT jsonb_agg(p) FROM jsonb_array_elements(doc -> 'customProperties') p
                        WHERE p ->> 'property' <> name), '[]')
             || CASE WHEN value IS NULL THEN '[]'::jsonb
                     ELSE jsonb_build_array(jsonb_build_object('property', name, 'value', value)) END)
$$;
-- The error of an apply, without the position of the error in SQL dmesh wrote.
CREATE FUNCTION pg_temp.apply_error(doc jsonb, contracts text[]) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM dmesh.apply_product(doc, contracts);
    RETURN 'applied';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ' ' || SQLERRM;
END
$$;
SELECT dmesh.yaml_to_jsonb(:'product_100') AS product_100j,
       dmesh.yaml_to_jsonb(:'contract_100') AS contract_100j \gset

-- Fields dmesh has no home for, or written otherwise than it derives
-- them, are kept as the document gives them; left out, they are forgotten.
SET ROLE odps_sam;
SELECT kind, item, change, detail
  FROM dmesh.apply_product((:'product_100j'::jsonb - 'tenant')
         || '{"team": {"name": "Web shop", "members": [{"username": "odps_sam", "role": "owner"}]},
              "managementPorts": [{"name": "events", "content": "observability", "type": "topic"}]}'::jsonb);
SELECT dmesh.product_document('odps_shop.orders') -> 'team' AS team,
       dmesh.product_document('odps_shop.orders') ? 'tenant' AS has_tenant;
SELECT kind, item, change, detail FROM dmesh.apply_product(:'product_100j'::jsonb);
SELECT dmesh.product_document('odps_shop.orders') -> 'team' AS team;
RESET ROLE;

-- A new minor version of the contract (an optional column), a changed
-- agreement, a new consumer, another schedule, enforcement mode and gate.
SELECT jsonb_set(jsonb_set(:'contract_100j'::jsonb, '{version}', '"1.1.0"'),
                 '{schema,0,properties}',
                 (:'contract_100j'::jsonb #> '{schema,0,properties}')
                 || '[{"name": "note", "logicalType": "string"}]') AS contract_110 \gset
SELECT pg_temp.prop(pg_temp.prop(pg_temp.prop(pg_temp.prop(
         jsonb_set(jsonb_set(:'product_100j'::jsonb, '{version}', '"1.1.0"'),
                   '{outputPorts}', '[{"name": "orders", "version": "1.1.0", "contractId": "odps-shop-orders"}]'),
         'dmeshAgreements', $$[{"consumer": "odps_ana", "purpose": "Revenue report", "rowFilter": "country IN ('NL', 'BE')"},
                               {"consumer": "odps_bob", "unmask": ["note"], "expiresAt": "2999-01-01T00:00:00Z"}]$$),
         'dmeshSchedule', '{"check": "12 hours", "freshness": "2 days"}'),
         'dmeshEnforcement', '"warn"'),
         'dmeshContractGate', '"warn"') AS product_110 \gset
SET ROLE odps_sam;
-- plan first: what apply will do (the contract 1.0.0 given again is no news)
SELECT kind, item, change, breaking, consumers, detail
  FROM dmesh.plan_product(:'product_110'::jsonb, ARRAY[:'contract_100', :'contract_110']);
SELECT kind, item, change, breaking, consumers, detail
  FROM dmesh.apply_product(:'product_110'::jsonb, ARRAY[:'contract_100', :'contract_110']);
SELECT count(*) AS changes FROM dmesh.apply_product(:'product_110'::jsonb, ARRAY[:'contract_110']);
RESET ROLE;
SELECT version, status FROM dmesh.marketplace WHERE domain = 'odps_shop' ORDER BY version;
SELECT consumer, row_filter, unmask, expires_at FROM dmesh.access_grant g
  JOIN dmesh.data_product p USING (product_id) WHERE p.name = 'orders' AND p.domain_id =
       (SELECT domain_id FROM dmesh.domain WHERE name = 'odps_shop') ORDER BY consumer::text;
SELECT refresh_every, check_every, freshness FROM dmesh.schedule s
  JOIN dmesh.data_product p USING (product_id) WHERE p.name = 'orders' AND p.domain_id =
       (SELECT domain_id FROM dmesh.domain WHERE name = 'odps_shop');

-- An agreement the document no longer lists is revoked; a policy it no
-- longer lists is dropped; a property it leaves out is left as it is.
SELECT pg_temp.prop(pg_temp.prop(:'product_110'::jsonb,
         'dmeshAgreements', $$[{"consumer": "odps_ana", "purpose": "Revenue report", "rowFilter": "country IN ('NL', 'BE')"}]$$),
         'dmeshPolicies', '[]') AS product_111 \gset
SET ROLE odps_sam;
SELECT kind, item, change, breaking, consumers, detail
  FROM dmesh.apply_product(pg_temp.prop(:'product_111'::jsonb, 'dmeshSchedule', NULL), ARRAY[:'contract_110']);
SELECT count(*) AS changes FROM dmesh.apply_product(:'product_111'::jsonb);
RESET ROLE;

-- A new major version, published beside the old one; then a document
-- that lists only the new one retires the old one.
SELECT jsonb_set(jsonb_set(:'contract_100j'::jsonb, '{version}', '"2.0.0"'),
                 '{schema,0,properties}', (:'contract_100j'::jsonb #> '{schema,0,properties}') - 2)
       AS contract_200 \gset
SELECT jsonb_set(jsonb_set(:'product_111'::jsonb, '{version}', '"2.0.0"'),
                 '{outputPorts}', '[{"name": "orders", "version": "1.1.0", "contractId": "odps-shop-orders"},
                                    {"name": "orders", "version": "2.0.0", "contractId": "odps-shop-orders"}]')
       AS product_200 \gset
SELECT jsonb_set(:'product_200'::jsonb, '{outputPorts}', (:'product_200'::jsonb -> 'outputPorts') - 0)
       AS product_200_only \gset
SET ROLE odps_sam;
-- Without country, which odps_ana's row filter reads, set_contract refuses
-- version 2.0.0, and nothing of the apply remains.
SELECT coalesce(max(event_id), 0) AS events_before FROM dmesh.event_log \gset
SELECT pg_temp.apply_error(pg_temp.prop(:'product_200'::jsonb, 'dmeshEnforcement', '"reject"'),
         ARRAY[jsonb_set(:'contract_200'::jsonb, '{schema,0,properties}',
                         (:'contract_100j'::jsonb #> '{schema,0,properties}') - 1)::text]);
SELECT count(*) AS new_events FROM dmesh.event_log WHERE event_id > :events_before;
SELECT mode FROM dmesh.enforcement WHERE domain = 'odps_shop';
SELECT kind, item, change, breaking, consumers, detail
  FROM dmesh.apply_product(:'product_200'::jsonb, ARRAY[:'contract_200']);
SELECT version, status, relation FROM dmesh.marketplace WHERE domain = 'odps_shop' ORDER BY version;
SELECT count(*) AS changes FROM dmesh.apply_product(:'product_200'::jsonb, ARRAY[:'contract_200']);
SELECT count(*) AS changes FROM dmesh.apply_product(dmesh.product_document('odps_shop.orders'));
SELECT kind, item, change, breaking, consumers, detail
  FROM dmesh.apply_product(:'product_200_only'::jsonb);
SELECT version, status, relation FROM dmesh.marketplace WHERE domain = 'odps_shop' ORDER BY version;
-- the document must not lag behind: version 1.1.0 is older than 2.0.0
SELECT dmesh.apply_product(:'product_110'::jsonb);
RESET ROLE;

-- Deprecation, then retirement.
SELECT pg_temp.prop(jsonb_set(:'product_200_only'::jsonb, '{status}', '"deprecated"'),
                    'dmeshDeprecation', '{"reason": "Use odps_shop.sales", "sunset": "2999-12-31"}')
       AS product_deprecated \gset
SET ROLE odps_sam;
SELECT dmesh.apply_product(pg_temp.prop(:'product_deprecated'::jsonb, 'dmeshDeprecation', NULL));   -- fails: no reason
SELECT kind, item, change, breaking, consumers, detail FROM dmesh.apply_product(:'product_deprecated'::jsonb);
SELECT count(*) AS changes FROM dmesh.apply_product(:'product_deprecated'::jsonb);
SELECT kind, item, change, breaking, consumers, detail
  FROM dmesh.apply_product(pg_temp.prop(:'product_deprecated'::jsonb, 'dmeshDeprecation',
                                        '{"reason": "Use odps_shop.revenue"}'));
SELECT dmesh.apply_product(jsonb_set(:'product_deprecated'::jsonb, '{status}', '"draft"'));   -- fails
SELECT kind, item, change, breaking, detail
  FROM dmesh.apply_product(jsonb_set(:'product_deprecated'::jsonb, '{status}', '"retired"'));
SELECT count(*) AS changes
  FROM dmesh.apply_product(jsonb_set(:'product_deprecated'::jsonb, '{status}', '"retired"'));
SELECT dmesh.apply_product(:'product_200_only'::jsonb);   -- fails: retirement is final
RESET ROLE;
SELECT name, status FROM dmesh.data_product WHERE name = 'orders' AND domain_id =
       (SELECT domain_id FROM dmesh.domain WHERE name = 'odps_shop');

-- A product made from a source (customProperties dmeshSource), draft.
SELECT $$
apiVersion: v1.0.0
kind: DataProduct
id: urn:dmesh:odps_shop:notes
name: notes
status: draft
domain: odps_shop
customProperties:
  - {property: dmeshSource, value: "SELECT order_id, note FROM odps_src.orders"}
$$ AS product_notes \gset
SET ROLE odps_sam;
SELECT kind, item, change, detail FROM dmesh.apply_product(:'product_notes');
SELECT count(*) AS changes FROM dmesh.apply_product(:'product_notes');
SELECT count(*) AS changes FROM dmesh.apply_product(dmesh.product_yaml('odps_shop.notes'));
-- its source does not change
SELECT dmesh.apply_product(replace(:'product_notes', 'note FROM', 'amount FROM'));
RESET ROLE;

-- The team's first contract replaces the one dmesh derived, even of the
-- same version.
SELECT $${"apiVersion": "v3.1.0", "kind": "DataContract", "id": "odps-shop-notes", "version": "1.0.0",
  "status": "active", "schema": [{"name": "notes", "properties": [
    {"name": "order_id", "logicalType": "integer"}, {"name": "note", "logicalType": "string"}]}]}$$
  AS contract_notes \gset
SELECT jsonb_set(dmesh.yaml_to_jsonb(:'product_notes'), '{outputPorts}',
                 '[{"name": "notes", "version": "1.0.0", "contractId": "odps-shop-notes"}]') AS product_notes_own \gset
SET ROLE odps_sam;
SELECT kind, item, change, detail FROM dmesh.apply_product(:'product_notes_own'::jsonb, ARRAY[:'contract_notes']);
SELECT count(*) AS changes FROM dmesh.apply_product(:'product_notes_own'::jsonb, ARRAY[:'contract_notes']);
RESET ROLE;
SELECT version, derived, document ->> 'id' AS id FROM dmesh.contract
 WHERE product_id = (SELECT product_id FROM dmesh.data_product WHERE name = 'notes'
                       AND domain_id = (SELECT domain_id FROM dmesh.domain WHERE name = 'odps_shop'))
 ORDER BY contract_id;

-- A materialized product, refreshed on schedule.
SELECT $$
apiVersion: v1.0.0
kind: DataProduct
id: urn:dmesh:odps_shop:big_orders
name: big_orders
status: active
domain: odps_shop
customProperties:
  - {property: dmeshSource, value: "SELECT order_id, amount FROM odps_src.orders WHERE amount > 40"}
  - {property: dmeshMaterialized, value: true}
  - {property: dmeshSchedule, value: {refresh: 1 hour}}
$$ AS product_big \gset
SET ROLE odps_sam;
SELECT kind, item, change, detail FROM dmesh.apply_product(:'product_big');
SELECT count(*) AS changes FROM dmesh.apply_product(:'product_big');
SELECT count(*) AS changes FROM dmesh.apply_product(dmesh.product_yaml('odps_shop.big_orders'));
SELECT dmesh.apply_product(replace(:'product_big', 'value: true', 'value: false'));   -- fails
RESET ROLE;
SELECT refresh_every FROM dmesh.schedule
 WHERE product_id = (SELECT product_id FROM dmesh.data_product WHERE name = 'big_orders'
                       AND domain_id = (SELECT domain_id FROM dmesh.domain WHERE name = 'odps_shop'));
