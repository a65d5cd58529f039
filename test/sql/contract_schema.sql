-- Contracts checked against the JSON Schema of the ODCS version they
-- declare: no silent typo (with a suggestion), fields of another version
-- named as such, JSON types, enum values, required keys, conditionals,
-- free-form customProperties, unknown versions.
CREATE ROLE cs_team NOLOGIN;
SELECT dmesh.create_domain('cs', 'cs_team') > 0 AS created;
CREATE SCHEMA cs_src AUTHORIZATION cs_team;
SET ROLE cs_team;
CREATE TABLE cs_src.parcels (
    parcel_id   integer PRIMARY KEY,
    label       text NOT NULL,
    weight      numeric(8,3),
    sent_on     date,
    tags        jsonb);
RESET ROLE;

-- try(version, edit): a small contract of that version (the same shape in
-- each), edited by an expression over $1, set as the next contract of
-- cs.parcels; the error (or "accepted") with its detail and hint.
CREATE TEMP SEQUENCE cs_minor;
CREATE FUNCTION pg_temp.base(api text) RETURNS jsonb LANGUAGE sql AS $f$
SELECT dmesh.yaml_to_jsonb(format($$
apiVersion: %s
kind: DataContract
id: cs-parcels
version: 1.0.0
status: active
description: {purpose: Parcels sent}
servers:
  - {server: main, type: postgres, host: db.example.com, port: 5432, database: shop, schema: cs_src}
schema:
  - name: parcels
    physicalName: cs_src.parcels
    quality:
      - {type: sql, query: 'SELECT count(*) FROM {object}', mustBeGreaterThan: 0}
    properties:
      - {name: parcel_id, logicalType: integer, required: true, primaryKey: true}
      - name: label
        logicalType: string
        logicalTypeOptions: {maxLength: 40}
      - {name: weight, logicalType: number}
      - {name: sent_on, logicalType: date}
slaProperties:
  - {property: latency, value: 4, unit: h}
$$, api))
$f$;
CREATE FUNCTION pg_temp.try(api text, edit text DEFAULT '$1') RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
    doc jsonb := pg_temp.base(api);
    msg text; det text; hin text;
BEGIN
    EXECUTE format('SELECT %s', edit) INTO doc USING doc;
    doc := jsonb_set(doc, '{version}', to_jsonb(format('1.%s.0', nextval('cs_minor'))));
    PERFORM dmesh.set_contract('cs.parcels', doc);
    RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL, hin = PG_EXCEPTION_HINT;
    RETURN SQLSTATE || ': ' || msg
        || CASE WHEN det <> '' THEN E'\nDETAIL: ' || det ELSE '' END
        || CASE WHEN hin <> '' THEN E'\nHINT: ' || hin ELSE '' END;
END
$f$;
GRANT USAGE ON SEQUENCE cs_minor TO cs_team;

SET ROLE cs_team;
SELECT dmesh.create_data_product('cs', 'parcels', 'cs_src.parcels',
       contract => pg_temp.base('v3.1.0')::text) > 0 AS created;

-- The same contract is valid in every version dmesh knows.
SELECT api, pg_temp.try(api) FROM unnest(ARRAY['v3.0.0', 'v3.0.1', 'v3.0.2', 'v3.1.0']) api;

-- Typos, each with its suggestion: at the root, in a schema object, in a
-- property, in logicalTypeOptions, in a quality rule, in an SLA property,
-- in a server.
SELECT pg_temp.try('v3.1.0', $$ $1 || '{"descripton": {"purpose": "x"}}' $$);
SELECT pg_temp.try('v3.0.2', $$ jsonb_set($1, '{schema,0,propertes}', $1->'schema'->0->'properties') #- '{schema,0,properties}' $$);
SELECT pg_temp.try('v3.0.2', $$ jsonb_set($1, '{schema,0,properties,1,requird}', 'true') $$);
SELECT pg_temp.try('v3.0.0', $$ jsonb_set($1, '{schema,0,properties,1,logicalTypeOptions}', '{"maxLenght": 5}') $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{schema,0,quality,0,qurey}', '"SELECT 1"') #- '{schema,0,quality,0,query}' $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{slaProperties,0,unti}', '"h"') #- '{slaProperties,0,unit}' $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{servers,0,databse}', '"shop"') #- '{servers,0,database}' $$);
-- Without a close key: no suggestion.
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{schema,0,properties,2,colour}', '"red"') $$);
-- v3.0.x leaves quality rules, SLA properties and servers open: a likely
-- typo there is accepted with a warning.
SELECT pg_temp.try('v3.0.2', $$ jsonb_set($1, '{slaProperties,0,unti}', '"h"') $$);

-- A field of another version.
SELECT pg_temp.try('v3.0.2', $$ jsonb_set($1, '{schema,0,relationships}', '[{"from": "parcels.parcel_id", "to": "boxes.parcel_id"}]') $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{schema,0,relationships}', '[{"from": "parcels.parcel_id", "to": "boxes.parcel_id"}]') $$);
SELECT pg_temp.try('v3.0.0', $$ $1 || '{"authoritativeDefinitions": [{"type": "wiki", "url": "https://example.com/parcels"}]}' $$);
SELECT pg_temp.try('v3.0.1', $$ $1 || '{"authoritativeDefinitions": [{"type": "wiki", "url": "https://example.com/parcels"}]}' $$);
SELECT pg_temp.try('v3.0.2', $$ jsonb_set($1, '{slaProperties,0}', '{"property": "latency", "value": 4, "unit": "h", "id": "sla1"}') $$);
-- A value of another version: timestamp is a v3.1.0 logical type.
SELECT pg_temp.try('v3.0.2', $$ jsonb_set($1, '{schema,0,properties,3,logicalType}', '"timestamp"') $$);

-- Wrong JSON types.
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{schema,0,properties,1,required}', '"yes"') $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{tags}', '"parcels"') $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{servers,0,port}', '"5432"') $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{schema,0,properties,1,logicalTypeOptions,maxLength}', '4.5') $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{schema,0,properties,0,primaryKeyPosition}', '[1]') $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{schema,0,properties}', 'null') $$);
-- v3.0.x bounds are flags, v3.1.0 bounds are numbers.
SELECT pg_temp.try('v3.0.2', $$ jsonb_set($1, '{schema,0,properties,2,logicalTypeOptions}', '{"minimum": 0, "exclusiveMinimum": true}') #- '{schema,0,quality}' $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{schema,0,properties,2,logicalTypeOptions}', '{"minimum": 0, "exclusiveMinimum": true}') $$);

-- Enum values.
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{schema,0,properties,1,logicalType}', '"strnig"') $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{servers,0,type}', '"snowflak"') $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{schema,0,quality,0,dimension}', '"acuracy"') $$);
SELECT pg_temp.try('v3.0.2', $$ jsonb_set($1, '{schema,0,properties,0,logicalTypeOptions}', '{"format": "i33"}') $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{kind}', '"DataProduct"') $$);

-- Missing required keys.
SELECT pg_temp.try('v3.1.0', $$ $1 - 'status' $$);
SELECT pg_temp.try('v3.1.0', $$ $1 #- '{servers,0,server}' $$);
SELECT pg_temp.try('v3.1.0', $$ $1 #- '{slaProperties,0,value}' $$);
SELECT pg_temp.try('v3.1.0', $$ $1 || '{"support": [{"url": "https://example.com"}]}' $$);

-- Conditionals: what a server of each type needs, what a quality rule of
-- each type needs and allows.
SELECT pg_temp.try('v3.1.0', $$ $1 #- '{servers,0,host}' $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{servers,0}', '{"server": "lake", "type": "s3", "location": "s3://bucket/parcels"}') $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{servers,0}', '{"server": "lake", "type": "s3"}') $$);
SELECT pg_temp.try('v3.1.0', $$ $1 #- '{schema,0,quality,0,query}' $$);
SELECT pg_temp.try('v3.0.2', $$ $1 #- '{schema,0,quality,0,query}' $$);
SELECT pg_temp.try('v3.1.0', $$ $1 #- '{schema,0,quality,0,mustBeGreaterThan}' $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{schema,0,quality,0,mustBe}', '0') $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{schema,0,quality,0}', '{"metric": "rowCount", "mustBeGreaterThan": 0, "query": "SELECT 1"}') $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{schema,0,quality,0}', '{"type": "text", "description": "Parcels are weighed.", "mustBe": 0}') $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{schema,0,quality,0}', '{"type": "text", "description": "Parcels are weighed."}') $$);
-- v3.0.x library rules are written with rule (the v3.1.0 name is metric).
SELECT pg_temp.try('v3.0.2', $$ jsonb_set($1, '{schema,0,quality,0}', '{"metric": "rowCount", "mustBeGreaterThan": 0}') $$);
SELECT pg_temp.try('v3.0.2', $$ jsonb_set($1, '{schema,0,quality,0}', '{"rule": "rowCount", "mustBeGreaterThan": 0}') $$);
-- logicalTypeOptions follow the logical type.
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{schema,0,properties,2,logicalTypeOptions}', '{"maxLength": 5}') $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{schema,0,properties,3,logicalTypeOptions}', '{"minimum": "2020-01-01"}') $$);

-- customProperties: any value inside; only their shape is checked.
SELECT pg_temp.try('v3.1.0', $$ $1 || '{"customProperties": [{"property": "x-anything", "value": {"deep": [1, {"x": null}], "requird": true}}, {"property": "n", "value": null}]}' $$);
SELECT pg_temp.try('v3.0.0', $$ jsonb_set($1, '{schema,0,properties,1,customProperties}', '[{"property": "owner", "value": ["a", 1, true]}]') $$);
SELECT pg_temp.try('v3.1.0', $$ $1 || '{"customProperties": {"x-anything": 1}}' $$);
SELECT pg_temp.try('v3.1.0', $$ $1 || '{"customProperties": [{"property": "x", "value": 1, "note": 2}]}' $$);

-- Unknown or missing apiVersion.
SELECT pg_temp.try('v3.1.1');
SELECT pg_temp.try('v2.2.2');
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{apiVersion}', '3.1') $$);

-- Odd input never crashes: scalars and arrays where objects are expected,
-- empty arrays and objects, nulls.
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{schema,0,properties,1}', '"label"') $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{servers}', '[[]]') $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{servers}', '[]') $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{schema,0,quality}', '[]') $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{schema,0,properties,1,logicalTypeOptions}', '{}') $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{schema,0,quality,0}', '{}') $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_set($1, '{description}', 'null') $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_insert($1, '{schema,0,properties,4}', '{"name": "tags", "logicalType": "array", "items": {"logicalType": "array", "items": {"logicalType": "array", "items": {"logicalType": "string", "logicalTypeOptions": {"maxItems": 1}}}}}') $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_insert($1, '{schema,0,properties,4}', '{"name": "tags", "logicalType": "array", "items": {"logicalType": "array", "items": {"logicalType": "array", "items": {"logicalType": "string", "logicalTypeOptions": {"maxLength": 1}}}}}') $$);
SELECT pg_temp.try('v3.1.0', $$ jsonb_insert($1, '{schema,0,properties,4}', '{"name": "tags", "logicalType": "object", "properties": [{"name": "box", "logicalType": "object", "properties": [{"nme": "x"}]}]}') $$);
SET ROLE cs_team;
SELECT dmesh.set_contract('cs.parcels', '"just a string"'::jsonb);
SELECT dmesh.set_contract('cs.parcels', '[]'::jsonb);
SELECT dmesh.set_contract('cs.parcels', '{}'::jsonb);
SELECT dmesh.set_contract('cs.parcels', '{"apiVersion": null}'::jsonb);

-- Contracts stored earlier are not checked again: they keep loading.
RESET ROLE;
UPDATE dmesh.contract SET document = document || '{"x-legacy": true}'
 WHERE product_id = (SELECT product_id FROM dmesh.data_product WHERE name = 'parcels')
   AND version = (SELECT version FROM dmesh.data_product WHERE name = 'parcels');
SET ROLE cs_team;
SELECT dmesh.contract_yaml('cs.parcels') LIKE '%x-legacy: true%' AS loads;
SELECT count(*) > 0 AS checked FROM dmesh.check_product('cs.parcels');
RESET ROLE;
