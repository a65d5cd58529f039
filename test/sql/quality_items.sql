-- Rules on arrays and objects, from logicalTypeOptions: minItems, maxItems
-- and uniqueItems of PostgreSQL arrays (the items of a two-dimensional
-- array are its rows) and of json and jsonb arrays; minProperties,
-- maxProperties and required of json and jsonb objects and of composites
-- (whose properties are the attributes that are not NULL).  Each value is
-- tested on its own: in the single scan of check_product and on each
-- written row by the enforcement trigger.  A json value of another kind
-- (an object under maxItems) does not break an array rule, nor NULL.
CREATE ROLE qitems_team NOLOGIN;
SELECT dmesh.create_domain('qitems', 'qitems_team') > 0 AS created;
CREATE SCHEMA qitems_src AUTHORIZATION qitems_team;
SET ROLE qitems_team;
CREATE TYPE qitems_src.box AS (w integer, h integer, d integer);
CREATE TABLE qitems_src.parcels (
    id     integer,
    tags   text[],
    grid   integer[],
    doc    jsonb,
    steps  jsonb,
    note   json,
    box    qitems_src.box
);
-- Row by row (the comment says what each breaks):
INSERT INTO qitems_src.parcels VALUES
    -- 1: nothing
    (1, '{fragile,heavy}', '{{1,2},{3,4}}', '{"sku": "A1", "qty": 2}', '[1, 2, 3]',
        '{"a": 1}', ROW(10, 20, NULL)),
    -- 2: tags has 5 items (maxItems 3) and "fragile" twice (uniqueItems);
    --    grid has 3 rows (maxItems 2); doc lacks qty (required)
    (2, '{fragile,heavy,fragile,cold,wet}', '{{1,2},{3,4},{5,6}}', '{"sku": "A2"}', '[]',
        '{"a": 1, "b": 2}', ROW(1, 2, NULL)),
    -- 3: tags empty (minItems 1); grid rows {1,2} twice (uniqueItems);
    --    doc has 4 properties (maxProperties 3); steps 1 and 1.0 are equal
    --    (uniqueItems); note has 3 properties (maxProperties 2); box has
    --    3 attributes set (maxProperties 2)
    (3, '{}', '{{1,2},{1,2}}', '{"sku": "A3", "qty": 1, "x": 0, "y": 0}', '[1, 1.0]',
        '{"a": 1, "b": 2, "c": 3}', ROW(1, 2, 3)),
    -- 4: tags {NULL,NULL}: two equal items; doc {} (minProperties 1,
    --    required); steps has an object twice, keys in another order
    --    (uniqueItems); box without h (required)
    (4, '{NULL,NULL}', NULL, '{}', '[{"a": 1, "b": [true]}, {"b": [true], "a": 1}]',
        NULL, ROW(5, NULL, NULL)),
    -- 5: values of another kind break no array or object rule: a jsonb
    --    object for steps, a jsonb array for doc, a json string for note
    (5, '{a}', '{7}', '[1, 2, 3, 4, 5]', '{"not": "an array"}', '"text"', NULL),
    -- 6: all NULL: nothing (no rule here asks for a value)
    (6, NULL, NULL, NULL, NULL, NULL, NULL);
-- 7 and 8: large arrays, toasted: 1000 distinct items pass
-- uniqueItems; the same with the first item again at the end does not.
INSERT INTO qitems_src.parcels (id, grid)
SELECT 7, array_agg(i ORDER BY i) FROM generate_series(1, 1000) i;
INSERT INTO qitems_src.parcels (id, grid)
SELECT 8, array_agg(i ORDER BY i) || 1 FROM generate_series(1, 1000) i;

SELECT dmesh.create_data_product('qitems', 'parcels', 'qitems_src.parcels',
       contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: qitems-parcels
version: 1.0.0
status: active
schema:
  - name: parcels
    properties:
      - {name: id, logicalType: integer}
      - name: tags
        logicalType: array
        logicalTypeOptions: {minItems: 1, maxItems: 3, uniqueItems: true}
      - name: grid
        logicalType: array
        logicalTypeOptions: {uniqueItems: true}
      - name: doc
        logicalType: object
        logicalTypeOptions: {minProperties: 1, maxProperties: 3, required: [sku, qty]}
      - name: steps
        logicalType: array
        logicalTypeOptions: {maxItems: 3, uniqueItems: true}
      - name: note
        logicalType: object
        logicalTypeOptions: {maxProperties: 2}
      - name: box
        logicalType: object
        logicalTypeOptions: {maxProperties: 2, required: [w, h]}
$y$) > 0 AS created;

-- grid's maxItems comes in version 1.1.0 (an added bound), below.
SELECT rule, property, metric, passed, observed, expected, rows_checked
  FROM dmesh.check_product('qitems.parcels');

SELECT dmesh.set_contract('qitems.parcels', jsonb_set(jsonb_set(
         dmesh.contract_document('qitems.parcels'), '{version}', '"1.1.0"'),
         '{schema,0,properties,2,logicalTypeOptions}', '{"maxItems": 2, "uniqueItems": true}')) > 0 AS set;
SELECT rule, property, passed, observed FROM dmesh.check_product('qitems.parcels')
 WHERE property = 'grid';

-- On write, each row is tested; a row with 5 items against maxItems 3 is
-- refused, naming the rule.
SELECT rule, property, checked FROM dmesh.enforce_contract('qitems.parcels');
DELETE FROM qitems_src.parcels WHERE id > 1;
INSERT INTO qitems_src.parcels (id, tags) VALUES (10, '{a,b,c,d,e}');
INSERT INTO qitems_src.parcels (id, tags) VALUES (10, '{a,b,a}');
INSERT INTO qitems_src.parcels (id, tags) VALUES (10, '{}');
INSERT INTO qitems_src.parcels (id, grid) VALUES (10, '{{1,2},{3,4},{5,6}}');
INSERT INTO qitems_src.parcels (id, doc) VALUES (10, '{"sku": "B"}');
INSERT INTO qitems_src.parcels (id, doc) VALUES (10, '{"sku": "B", "qty": 1, "a": 1, "b": 2}');
INSERT INTO qitems_src.parcels (id, steps) VALUES (10, '["x", "y", "x"]');
INSERT INTO qitems_src.parcels (id, note) VALUES (10, '{"a": 1, "b": 2, "c": 3}');
INSERT INTO qitems_src.parcels (id, box) VALUES (10, ROW(1, NULL, NULL));
-- Rows that keep the rules go through, with COPY and UPDATE too.
INSERT INTO qitems_src.parcels VALUES
    (11, '{a,b,c}', '{{1,2},{2,1}}', '{"sku": "C", "qty": 3}', '[{"a": 1}, {"a": 2}]',
     '{"a": 1}', ROW(1, 1, NULL));
COPY qitems_src.parcels (id, tags, steps) FROM STDIN;
12	{x,y}	[1, "1"]
\.
UPDATE qitems_src.parcels SET tags = '{x,y,z,w}' WHERE id = 12;
UPDATE qitems_src.parcels SET tags = tags || '{q}'::text[] WHERE id = 12;
SELECT id, tags FROM qitems_src.parcels ORDER BY id;

-- Quarantine: rows breaking item rules are held back with the rules they
-- broke; good rows are written.
SELECT count(*) AS rules FROM dmesh.enforce_contract('qitems.parcels', 'quarantine');
INSERT INTO qitems_src.parcels (id, tags, steps) VALUES
    (20, '{a,b,c,d,e}', '[1, 2]'), (21, '{a}', '[2, 2]'), (22, '{a}', '[1, 2]');
SELECT row_data->>'id' AS id, jsonb_path_query_array(broken_rules, '$[*].rule') AS rules
  FROM dmesh.quarantine WHERE domain = 'qitems' AND product = 'parcels' ORDER BY quarantine_id;
SELECT id FROM qitems_src.parcels WHERE id >= 20 ORDER BY id;
SELECT count(*) AS rules FROM dmesh.enforce_contract('qitems.parcels', 'off');
RESET ROLE;

-- The same options in an ODCS v3.0.2 contract mean the same, and the scan
-- aggregate gives the counts directly: rows, then one count per rule
-- (minItems, maxItems, uniqueItems of tags).
SELECT dmesh._quality_scan($j${"apiVersion": "v3.0.2", "kind": "DataContract", "id": "x",
         "version": "1.0.0", "status": "active", "schema": [{"name": "t", "properties": [
         {"name": "tags", "logicalType": "array",
          "logicalTypeOptions": {"minItems": 1, "maxItems": 3, "uniqueItems": true}}]}]}$j$,
         '{0}', t.tags)
  FROM (VALUES ('{a}'::text[]), ('{a,b,c,d,e}'), ('{a,a}'), ('{}'), (NULL)) t(tags);
