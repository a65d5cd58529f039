-- Limits of a contract: many unnamed quality rules are checked, compiled
-- and diffed in linear time; sizes are capped (54000); published column
-- names longer than 63 bytes are refused (42622); string members given as
-- another type, SLA durations that are not positive and a freshness SLA
-- naming no property are refused with their path (22023).
CREATE ROLE clim_team NOLOGIN;
SELECT dmesh.create_domain('clim', 'clim_team') > 0 AS created;
CREATE SCHEMA clim_src AUTHORIZATION clim_team;
SET ROLE clim_team;
CREATE TABLE clim_src.items (id int, v int, label text, updated_at timestamptz);
SELECT dmesh.create_data_product('clim', 'items', 'clim_src.items', 'Limits') > 0 AS created;
RESET ROLE;

-- A contract for clim.items; rules(n) is a list of n unnamed rules.
CREATE FUNCTION pg_temp.doc(version text) RETURNS jsonb LANGUAGE sql AS $$
SELECT jsonb_build_object('apiVersion', 'v3.1.0', 'kind', 'DataContract', 'id', 'clim-items',
    'version', version, 'status', 'active',
    'schema', jsonb_build_array(jsonb_build_object('name', 'items', 'properties', jsonb_build_array(
        jsonb_build_object('name', 'id', 'logicalType', 'integer'),
        jsonb_build_object('name', 'v', 'logicalType', 'integer'),
        jsonb_build_object('name', 'label', 'logicalType', 'string'),
        jsonb_build_object('name', 'updated_at', 'logicalType', 'timestamp')))),
    'slaProperties', jsonb_build_array(jsonb_build_object(
        'property', 'freshness', 'value', 1, 'unit', 'd', 'element', 'items.updated_at')))
$$;
CREATE FUNCTION pg_temp.rules_text(n int) RETURNS text LANGUAGE sql AS $$
SELECT '[' || coalesce(string_agg(format('{"metric": "nullValues", "mustBeLessOrEqualTo": %s}', i), ', ' ORDER BY i), '') || ']'
  FROM generate_series(1, n) i
$$;
CREATE FUNCTION pg_temp.rules(n int) RETURNS jsonb LANGUAGE sql AS $$
SELECT pg_temp.rules_text(n)::jsonb
$$;
-- try(edit): set the contract pg_temp.doc(<next version>) edited by "edit"
-- ($1 is the document); accepted, or the error with its detail and hint.
CREATE SEQUENCE pg_temp.minor;
CREATE FUNCTION pg_temp.try(edit text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
    doc jsonb := pg_temp.doc(format('1.%s.0', nextval('pg_temp.minor')));
    detail text;
    hint text;
BEGIN
    EXECUTE format('SELECT %s', edit) INTO doc USING doc;
    PERFORM dmesh.set_contract('clim.items', doc);
    RETURN 'accepted ' || (doc->>'version');
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RETURN SQLSTATE || ': ' || SQLERRM || coalesce(E'\nDETAIL: ' || nullif(detail, ''), '')
        || coalesce(E'\nHINT: ' || nullif(hint, ''), '');
END
$f$;
GRANT USAGE ON SEQUENCE pg_temp.minor TO clim_team;
SET ROLE clim_team;

-- 1. Many unnamed rules: 5,000 on one property are accepted and diffed;
-- the nth unnamed rule of a metric is matched as "metric#n".
SELECT pg_temp.try($$ jsonb_set($1, '{schema,0,properties,1,quality}', pg_temp.rules(5000)) $$);
SELECT pg_temp.try($$ jsonb_set(jsonb_set($1, '{schema,0,properties,1,quality}', pg_temp.rules(5001)),
                                '{schema,0,properties,1,quality,2,mustBeLessOrEqualTo}', '0') $$);
SELECT change, severity, count(*) FROM dmesh.contract_diff('clim.items', '1.1.0', '1.2.0')
 GROUP BY change, severity ORDER BY change, severity;
SELECT path, change, old, new FROM dmesh.contract_diff('clim.items', '1.1.0', '1.2.0')
 WHERE path LIKE '%quality%' ORDER BY path;
SELECT count(*) AS nothing_changed FROM dmesh.contract_diff('clim.items', '1.2.0', '1.2.0');
-- Every rule has its own key: named rules, unnamed ones and taken keys.
SELECT pg_temp.try($$ jsonb_set($1, '{schema,0,properties,1,quality}', '[
    {"metric": "nullValues", "mustBe": 0},
    {"name": "nullValues#2", "metric": "nullValues", "mustBe": 1},
    {"metric": "nullValues", "mustBe": 2},
    {"name": "nullValues", "metric": "nullValues", "mustBe": 3},
    {"name": "dup", "metric": "nullValues", "mustBe": 4},
    {"name": "dup", "metric": "nullValues", "mustBe": 5},
    {"type": "sql", "query": "SELECT 0", "mustBe": 0}]') $$);
SELECT path, change, new->'mustBe' AS must_be FROM dmesh.contract_diff('clim.items', '1.2.0', '1.3.0')
 WHERE path LIKE '%quality%' AND change <> 'removed' ORDER BY path;
SELECT count(*) AS removed FROM dmesh.contract_diff('clim.items', '1.2.0', '1.3.0') WHERE change = 'removed';

-- 2. Caps: 10,000 rules per quality list, 20,000 in a contract, 1,600
-- properties.
SELECT pg_temp.try($$ jsonb_set($1, '{schema,0,properties,2,quality}', pg_temp.rules(10001)) $$);
SELECT pg_temp.try($$ jsonb_set($1, '{schema,0,quality}', pg_temp.rules(10001)) $$);
SELECT pg_temp.try($$ jsonb_set($1, '{schema,0}', format('{"name": "items", "quality": %s, "properties": [
    {"name": "p1", "logicalType": "integer", "quality": %s},
    {"name": "p2", "logicalType": "integer", "quality": %s}]}',
    r.q, r.q, pg_temp.rules_text(1))::jsonb) FROM (SELECT pg_temp.rules_text(10000) AS q) r $$);
SELECT pg_temp.try($$ jsonb_set($1, '{schema,0,properties}',
    (SELECT jsonb_agg(jsonb_build_object('name', 'p' || i, 'logicalType', 'integer'))
       FROM generate_series(1, 1601) i)) $$);
-- 1,600 properties pass the cap (this source has not got their columns).
SELECT split_part(pg_temp.try($$ jsonb_set($1 - 'slaProperties', '{schema,0,properties}',
    (SELECT jsonb_agg(jsonb_build_object('name', 'p' || i, 'logicalType', 'integer'))
       FROM generate_series(1, 1600) i)) $$), E'\n', 1) AS at_the_cap;

-- 3. Published and source column names: at most 63 bytes.
SELECT pg_temp.try($$ jsonb_set($1, '{schema,0,properties,2}',
    jsonb_build_object('name', repeat('n', 63), 'physicalName', 'label', 'logicalType', 'string')) $$);
SELECT pg_temp.try($$ jsonb_set($1, '{schema,0,properties,2}',
    jsonb_build_object('name', repeat('n', 64), 'physicalName', 'label', 'logicalType', 'string')) $$);
SELECT pg_temp.try($$ jsonb_set($1, '{schema,0,properties,2}',
    jsonb_build_object('name', repeat('é', 32), 'physicalName', 'label', 'logicalType', 'string')) $$);
SELECT pg_temp.try($$ jsonb_set($1, '{schema,0,properties,2,physicalName}', to_jsonb(repeat('c', 64))) $$);
-- Two long names with one 63-byte prefix: refused at the first.
SELECT pg_temp.try($$ jsonb_set(jsonb_set($1, '{schema,0,properties,2}',
    jsonb_build_object('name', repeat('n', 63) || 'a', 'physicalName', 'label', 'logicalType', 'string')),
    '{schema,0,properties,3}',
    jsonb_build_object('name', repeat('n', 63) || 'b', 'physicalName', 'updated_at', 'logicalType', 'timestamp')) $$);

-- 4. String members given as another type are errors, not absent.
SELECT pg_temp.try($$ jsonb_set($1, '{schema,0,properties,1,quality}',
    '[{"metric": "nullValues", "mustBe": 0, "severity": ["warning"]}]') $$);
SELECT pg_temp.try($$ jsonb_set($1, '{schema,0,properties,1,quality}',
    '[{"metric": "nullValues", "mustBe": 0, "unit": {"percent": true}}]') $$);
SELECT pg_temp.try($$ jsonb_set($1, '{schema,0,properties,1,quality}',
    '[{"metric": ["nullValues"], "mustBe": 0}]') $$);
SELECT pg_temp.try($$ jsonb_set($1, '{schema,0,properties,1,quality}',
    '[{"name": 7, "metric": "nullValues", "mustBe": 0}]') $$);
SELECT pg_temp.try($$ jsonb_set($1, '{schema,0,properties,1,quality}',
    '[{"type": {"sql": true}, "query": "SELECT 1", "mustBe": 1}]') $$);
SELECT pg_temp.try($$ jsonb_set($1, '{schema,0,quality}',
    '[{"type": "sql", "query": ["SELECT 1"], "mustBe": 1}]') $$);
SELECT pg_temp.try($$ jsonb_set($1, '{schema,0,properties,1,quality}',
    '[{"metric": "nullValues", "mustBe": 0, "dimension": false}]') $$);
SELECT pg_temp.try($$ jsonb_set($1, '{schema,0,properties,2,quality}',
    '[{"metric": "invalidValues", "arguments": {"pattern": ["^a"]}, "mustBe": 0}]') $$);
SELECT pg_temp.try($$ jsonb_set($1, '{slaProperties,0,unit}', '["d"]') $$);
SELECT pg_temp.try($$ jsonb_set($1, '{slaProperties,0,element}', '{"items": "updated_at"}') $$);
SELECT pg_temp.try($$ jsonb_set($1, '{slaProperties,0,value}', '[1]') $$);
SELECT pg_temp.try($$ jsonb_set($1, '{schema,0,properties,2,logicalTypeOptions}', '{"maxLength": 3000000000}') $$);

-- 5. SLA durations are positive numbers with a unit; other SLA properties
-- keep any scalar value.
SELECT pg_temp.try($$ jsonb_set($1, '{slaProperties,0,value}', '0') $$);
SELECT pg_temp.try($$ jsonb_set($1, '{slaProperties,0,value}', '-1') $$);
SELECT pg_temp.try($$ jsonb_set($1, '{slaProperties,0,value}', '"1"') $$);
SELECT pg_temp.try($$ $1 || '{"slaProperties": [{"property": "latency", "value": -4, "unit": "h"}]}' $$);
SELECT pg_temp.try($$ $1 || '{"slaProperties": [{"property": "Retention", "value": 0, "unit": "y"}]}' $$);
SELECT pg_temp.try($$ $1 || '{"slaProperties": [{"property": "retention", "value": 3, "unit": "eons"}]}' $$);
SELECT pg_temp.try($$ $1 || '{"slaProperties": [{"property": "retention", "value": 3, "unit": "y"},
    {"property": "errorRate", "value": 0}, {"property": "generalAvailability", "value": "2022-05-12"},
    {"property": "latency", "value": 0.5, "unit": "h", "element": "elsewhere.label"}]}' $$);
-- Every SLA element names a property (the object part may be any name,
-- as the standard's own examples write table names).
SELECT pg_temp.try($$ $1 || '{"slaProperties": [
    {"property": "latency", "value": 0.5, "unit": "h", "element": "items.col"}]}' $$);
SELECT pg_temp.try($$ $1 || '{"slaDefaultElement": "items.nothing"}' $$);

-- 6. A freshness SLA names a property: "column" or "object.column".
SELECT pg_temp.try($$ jsonb_set($1, '{slaProperties,0,element}', '"updated_at"') $$);
SELECT pg_temp.try($$ jsonb_set($1, '{slaProperties,0,element}', '"created_at"') $$);
SELECT pg_temp.try($$ jsonb_set($1, '{slaProperties,0,element}', '"items.created_at"') $$);
SELECT pg_temp.try($$ jsonb_set($1, '{slaProperties,0,element}', '"orders.updated_at"') $$);
SELECT pg_temp.try($$ jsonb_set($1, '{slaProperties,0,element}', '"items.updated_at,items.id"') $$);
SELECT pg_temp.try($$ jsonb_set($1, '{slaProperties,0}',
    '{"property": "Freshness", "value": 2, "unit": "h", "element": "nothing"}') $$);
RESET ROLE;

-- Nothing but the accepted versions was stored.
SELECT c.version FROM dmesh.contract c JOIN dmesh.data_product p USING (product_id)
 WHERE p.name = 'items' ORDER BY c.major, c.minor, c.patch;

-- A contract stored by an earlier dmesh, with terms checked only since
-- 0.7.0 (a freshness SLA of 0 days naming no property), keeps loading:
-- the product can be read, checked and given a new contract.
SELECT dmesh.create_data_product('clim', 'clim_old', 'clim_src.items') > 0 AS created;
INSERT INTO dmesh.contract (product_id, document, derived, set_by)
SELECT p.product_id,
       jsonb_set(c.document, '{version}', '"1.0.1"')
         || '{"slaProperties": [{"property": "freshness", "value": 0, "unit": "d", "element": "gone"}]}',
       false, 'dmesh 0.6.0'
  FROM dmesh.data_product p JOIN dmesh.contract c USING (product_id) WHERE p.name = 'clim_old';
UPDATE dmesh.data_product SET version = '1.0.1' WHERE name = 'clim_old';
SELECT dmesh.contract_yaml('clim.clim_old') ~ 'value: 0' AS loads;
SELECT count(*) AS findings FROM dmesh.contract_check('clim.clim_old');
SELECT dmesh.set_contract('clim.clim_old',
       (SELECT jsonb_set(document, '{version}', '"1.1.0"') - 'slaProperties'
          FROM dmesh.contract c JOIN dmesh.data_product p USING (product_id)
         WHERE p.name = 'clim_old' AND c.version = '1.0.1')) > 0 AS replaced;
