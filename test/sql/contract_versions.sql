-- Contract versions: every accepted version kept, versions increase, the
-- diff and its severity rules (one case per rule), breaking changes gated
-- on published products, major versions published side by side.
CREATE ROLE cver_team NOLOGIN;
CREATE ROLE cver_reader LOGIN;
SELECT dmesh.create_domain('cver', 'cver_team') > 0 AS created;
CREATE SCHEMA cver_src AUTHORIZATION cver_team;
SET ROLE cver_team;
CREATE TABLE cver_src.items (
    id      integer PRIMARY KEY,
    name    text NOT NULL,
    price   numeric(8,2),
    code    text,
    color   text,
    weight  integer);
INSERT INTO cver_src.items VALUES (1, 'Mug', 9.50, 'MUG', 'red', 300);
RESET ROLE;

CREATE TEMP TABLE base AS SELECT dmesh.yaml_to_jsonb($$
apiVersion: v3.1.0
kind: DataContract
id: items
version: 1.0.0
status: active
description: {purpose: Items for sale}
tags: [shop]
slaProperties: [{property: freshness, value: 1, unit: d}]
schema:
  - name: items
    quality:
      - {name: not_empty, metric: rowCount, mustBeGreaterThan: 0}
    properties:
      - {name: id, logicalType: integer, physicalType: int4, required: true, primaryKey: true}
      - name: name
        logicalType: string
        required: true
        description: Display name
        logicalTypeOptions: {maxLength: 100}
      - name: price
        logicalType: number
        classification: internal
        logicalTypeOptions: {minimum: 0, maximum: 1000}
      - name: code
        logicalType: string
        logicalTypeOptions: {pattern: '^[A-Z]{3}$'}
      - name: color
        logicalType: string
        quality:
          - {name: known_colors, metric: invalidValues, arguments: {validValues: [red, green, blue]}, mustBe: 0}
$$) AS doc;
GRANT SELECT ON base TO PUBLIC;

-- A draft takes any change: one version per rule, each the base plus one
-- change, each compared with the base.
SET ROLE cver_team;
SELECT dmesh.create_data_product('cver', 'rules', 'cver_src.items',
       contract => (SELECT doc::text FROM base)) > 0 AS created;
CREATE FUNCTION pg_temp.rule(version text, edit text) RETURNS void LANGUAGE plpgsql AS $f$
DECLARE
    doc jsonb := jsonb_set((SELECT b.doc FROM base b), '{version}', to_jsonb(version));
BEGIN
    EXECUTE format('SELECT %s', edit) INTO doc USING doc;
    PERFORM dmesh.set_contract('cver.rules', doc);
END
$f$;
SELECT pg_temp.rule('1.1.0', $$ $1 #- '{schema,0,properties,4}' $$);
SELECT pg_temp.rule('1.2.0', $$ jsonb_insert($1, '{schema,0,properties,5}', '{"name": "weight", "logicalType": "integer"}') $$);
SELECT pg_temp.rule('1.3.0', $$ jsonb_insert($1, '{schema,0,properties,5}', '{"name": "weight", "logicalType": "integer", "required": true}') $$);
SELECT pg_temp.rule('1.4.0', $$ jsonb_set($1, '{schema,0,properties,0,logicalType}', '"number"') $$);
SELECT pg_temp.rule('1.5.0', $$ jsonb_set($1, '{schema,0,properties,0,physicalType}', '"integer"') $$);
SELECT pg_temp.rule('1.6.0', $$ jsonb_set($1, '{schema,0,properties,1,physicalType}', '"text"') $$);
SELECT pg_temp.rule('1.7.0', $$ $1 #- '{schema,0,properties,0,physicalType}' $$);
SELECT pg_temp.rule('1.8.0', $$ jsonb_set($1, '{schema,0,properties,2,required}', 'true') $$);
SELECT pg_temp.rule('1.9.0', $$ jsonb_set($1, '{schema,0,properties,1,required}', 'false') $$);
SELECT pg_temp.rule('1.10.0', $$ jsonb_set($1, '{schema,0,properties,3,unique}', 'true') $$);
SELECT pg_temp.rule('1.11.0', $$ jsonb_set($1, '{schema,0,properties,0,primaryKey}', 'false') $$);
SELECT pg_temp.rule('1.12.0', $$ jsonb_set($1, '{schema,0,properties,3,logicalTypeOptions,pattern}', '"^[A-Z]{2}$"') $$);
SELECT pg_temp.rule('1.13.0', $$ $1 #- '{schema,0,properties,3,logicalTypeOptions,pattern}' $$);
SELECT pg_temp.rule('1.14.0', $$ jsonb_set($1, '{schema,0,properties,2,logicalTypeOptions,maximum}', '500') $$);
SELECT pg_temp.rule('1.15.0', $$ jsonb_set($1, '{schema,0,properties,2,logicalTypeOptions,maximum}', '2000') $$);
SELECT pg_temp.rule('1.16.0', $$ jsonb_set($1, '{schema,0,properties,2,logicalTypeOptions,minimum}', '10') $$);
SELECT pg_temp.rule('1.17.0', $$ jsonb_set($1, '{schema,0,properties,3,logicalTypeOptions,maxLength}', '3') $$);
SELECT pg_temp.rule('1.18.0', $$ jsonb_set($1, '{schema,0,properties,1,logicalTypeOptions,maxLength}', '200') $$);
SELECT pg_temp.rule('1.19.0', $$ jsonb_set($1, '{schema,0,properties,4,quality,0,arguments,validValues}', '["red", "green"]') $$);
SELECT pg_temp.rule('1.20.0', $$ jsonb_set($1, '{schema,0,properties,4,quality,0,arguments,validValues}', '["red", "green", "blue", "black"]') $$);
SELECT pg_temp.rule('1.21.0', $$ jsonb_set($1, '{schema,0,properties,4,enum}', '["red", "green", "blue"]') $$);
SELECT pg_temp.rule('1.22.0', $$ jsonb_set($1, '{schema,0,properties,2,classification}', '"restricted"') $$);
SELECT pg_temp.rule('1.23.0', $$ $1 #- '{schema,0,properties,2,classification}' $$);
SELECT pg_temp.rule('1.24.0', $$ jsonb_set($1, '{schema,0,properties,1,classification}', '"public"') $$);
SELECT pg_temp.rule('1.25.0', $$ $1 #- '{schema,0,quality,0}' $$);
SELECT pg_temp.rule('1.26.0', $$ jsonb_set($1, '{schema,0,properties,2,quality}', '[{"metric": "nullValues", "mustBe": 0}]') $$);
SELECT pg_temp.rule('1.27.0', $$ jsonb_set($1, '{schema,0,properties,4,quality,0,mustBe}', '5') $$);
SELECT pg_temp.rule('1.28.0', $$ jsonb_set($1, '{schema,0,properties,3,logicalTypeOptions,format}', '"uuid"') $$);
SELECT pg_temp.rule('1.29.0', $$ jsonb_set(jsonb_set($1, '{schema,0,properties,1,description}', '"Name on the label"'), '{tags}', '["shop", "catalog"]') $$);
SELECT pg_temp.rule('1.30.0', $$ jsonb_set($1, '{description,usage}', '"Price lists"') $$);
SELECT pg_temp.rule('1.31.0', $$ jsonb_set($1, '{slaProperties,0,value}', '2') $$);
SELECT pg_temp.rule('1.32.0', $$ jsonb_set($1, '{schema,0,properties}', ($1->'schema'->0->'properties'->1) || (($1->'schema'->0->'properties') - 1)) $$);
SELECT pg_temp.rule('1.33.0', $$ jsonb_set($1, '{schema,0,name}', '"goods"') $$);
RESET ROLE;

SELECT v.version, d.path, d.change, d.severity,
       left(d.old::text, 40) AS old, left(d.new::text, 40) AS new
  FROM dmesh.contract c JOIN dmesh.data_product p USING (product_id)
  CROSS JOIN LATERAL (SELECT c.version) v
  CROSS JOIN LATERAL dmesh.contract_diff('cver.rules', '1.0.0', c.version) d
 WHERE p.name = 'rules' AND c.version <> '1.0.0' AND d.path <> 'version'
 ORDER BY c.minor, d.path;
-- Diffing a version with itself finds nothing; unknown versions are errors.
SELECT count(*) FROM dmesh.contract_diff('cver.rules', '1.5.0', '1.5.0');
SELECT * FROM dmesh.contract_diff('cver.rules', '1.0.0', '9.0.0');

-- Versions must increase.
SET ROLE cver_team;
SELECT dmesh.set_contract('cver.rules', (SELECT jsonb_set(doc, '{version}', '"1.33.0"') FROM base));
SELECT dmesh.set_contract('cver.rules', (SELECT jsonb_set(doc, '{version}', '"1.9.9"') FROM base));
RESET ROLE;

-- A published product: breaking changes need a new major version.
SET ROLE cver_team;
SELECT dmesh.create_data_product('cver', 'catalog', 'cver_src.items', 'The catalog',
       contract => (SELECT doc::text FROM base)) > 0 AS created;
SELECT dmesh.publish_data_product('cver.catalog');
SELECT dmesh.grant_access('cver.catalog', 'cver_reader') > 0 AS granted;
SELECT dmesh.set_contract('cver.catalog', (SELECT jsonb_set(jsonb_set(doc, '{version}', '"1.1.0"'),
       '{schema,0,properties,2,required}', 'true') #- '{schema,0,properties,4}' FROM base));
-- A compatible change republishes the same relation: a new optional column.
SELECT dmesh.set_contract('cver.catalog', (SELECT jsonb_insert(jsonb_set(doc, '{version}', '"1.1.0"'),
       '{schema,0,properties,5}', '{"name": "weight", "logicalType": "integer"}') FROM base)) > 0 AS set;
RESET ROLE;
SET ROLE cver_reader;
SELECT * FROM dmesh_cver.catalog_v1;
RESET ROLE;
-- Reordering columns (info) rebuilds the relation; grants are kept.
SET ROLE cver_team;
SELECT dmesh.set_contract('cver.catalog', (SELECT jsonb_set(c.document, '{version}', '"1.2.0"')
       #- '{schema,0,properties,5}' FROM dmesh.contract c WHERE c.version = '1.1.0'
         AND c.product_id = (SELECT product_id FROM dmesh.data_product WHERE name = 'catalog')) ||
       jsonb_build_object('schema', jsonb_build_array(
         (SELECT jsonb_set(c.document->'schema'->0, '{properties}',
                 jsonb_build_array(c.document->'schema'->0->'properties'->5) ||
                 ((c.document->'schema'->0->'properties') - 5))
            FROM dmesh.contract c WHERE c.version = '1.1.0'
             AND c.product_id = (SELECT product_id FROM dmesh.data_product WHERE name = 'catalog'))))) > 0 AS set;
RESET ROLE;
SET ROLE cver_reader;
SELECT * FROM dmesh_cver.catalog_v1;
RESET ROLE;

-- A new major version is published beside the old one.
SET ROLE cver_team;
SELECT dmesh.set_contract('cver.catalog', (SELECT jsonb_set(doc, '{version}', '"2.0.0"')
       #- '{schema,0,properties,4}' FROM base)) > 0 AS set;
SELECT dmesh.set_contract('cver.catalog', (SELECT jsonb_set(doc, '{version}', '"2.1.0"')
       #- '{schema,0,properties,4}' #- '{schema,0,properties,3}' FROM base));
RESET ROLE;
SET ROLE cver_reader;
SELECT * FROM dmesh_cver.catalog_v1;
SELECT * FROM dmesh_cver.catalog_v2;
RESET ROLE;
SELECT product, version, major, status, contract_status, relation
  FROM dmesh.marketplace WHERE domain = 'cver' ORDER BY major;
SELECT dmesh.product_relation('cver.catalog'), dmesh.product_relation('cver.catalog', 1);
SELECT dmesh.product_relation('cver.catalog', 3);
SELECT obj_description('dmesh_cver.catalog_v1'::regclass, 'pg_class');
SELECT c.version FROM dmesh.contract c JOIN dmesh.data_product p USING (product_id)
 WHERE p.name = 'catalog' ORDER BY c.major, c.minor, c.patch;
SELECT version FROM dmesh.data_product WHERE name = 'catalog';
SELECT dmesh.contract_yaml('cver.catalog', '1.2.0') <> dmesh.contract_yaml('cver.catalog') AS distinct_versions;

-- The old major version can be retired on its own; the current one cannot.
SET ROLE cver_team;
SELECT dmesh.retire_data_product('cver.catalog', 2);
SELECT dmesh.retire_data_product('cver.catalog', 1);
SELECT dmesh.retire_data_product('cver.catalog', 1);
RESET ROLE;
SELECT product, version, major, status FROM dmesh.marketplace WHERE domain = 'cver';
SELECT to_regclass('dmesh_cver.catalog_v1') AS v1, to_regclass('dmesh_cver.catalog_v2') AS v2;
SELECT o.major, o.status FROM dmesh.output_port o JOIN dmesh.data_product p USING (product_id)
 WHERE p.name = 'catalog' ORDER BY major;

SELECT action, object_type, details - 'relation' AS details FROM dmesh.event_log
 WHERE object_identity = 'cver.catalog' AND action IN ('set_contract', 'retire') ORDER BY event_id;
