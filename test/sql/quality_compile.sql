-- Quality rules dmesh cannot evaluate as written are refused when the
-- contract is set, with the path of the offending entry: unknown metric,
-- unit or severity; operators missing, doubled or of the wrong shape;
-- invalid regular expressions; sql rules that are not one SELECT; values
-- of the wrong type for the column; rules at the wrong level or on
-- unknown properties or columns.  A refused contract leaves nothing
-- behind.  (Custom rules and formats dmesh does not check are kept and
-- not run: quality_not_run.)
CREATE ROLE qcomp_team NOLOGIN;
SELECT dmesh.create_domain('qcomp', 'qcomp_team') > 0 AS created;
CREATE SCHEMA qcomp_src AUTHORIZATION qcomp_team;
SET ROLE qcomp_team;
CREATE TABLE qcomp_src.items (id integer, name text, price numeric, active boolean, added date);
INSERT INTO qcomp_src.items VALUES (1, 'Mug', 9.5, true, '2024-01-01');
CREATE TEMP TABLE base AS SELECT dmesh.yaml_to_jsonb($y$
apiVersion: v3.1.0
kind: DataContract
id: qcomp-items
version: 1.0.0
status: active
schema:
  - name: items
    quality:
      - {metric: rowCount, mustBeGreaterThan: 0}
    properties:
      - {name: id, logicalType: integer, required: true}
      - {name: name, logicalType: string}
      - {name: price, logicalType: number}
      - {name: active, logicalType: boolean}
      - {name: added, logicalType: date}
$y$) AS doc;
SELECT dmesh.create_data_product('qcomp', 'items', 'qcomp_src.items',
       contract => (SELECT doc::text FROM base)) > 0 AS created;
-- Version 1.1.0 of the base contract with one part replaced.
CREATE FUNCTION pg_temp.edit(path text[], value jsonb) RETURNS jsonb LANGUAGE sql AS
$$ SELECT jsonb_set(jsonb_set(doc, '{version}', '"1.1.0"'), path, value) FROM base $$;

-- Unknown metric, unit and severity.
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,properties,1,quality}', '[{"metric": "bogusValues", "mustBe": 0}]'));
-- An argument the metric does not take (or misspelled) is refused.
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,properties,1,quality}',
       '[{"metric": "missingValues", "mustBe": 0, "arguments": {"missingValue": ["n/a"]}}]'));
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,properties,1,quality}',
       '[{"metric": "nullValues", "mustBe": 0, "arguments": {"validValues": ["a"]}}]'));
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,properties,1,quality}', '[{"metric": "nullValues", "mustBe": 0, "unit": "bananas"}]'));
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,properties,1,quality}', '[{"metric": "nullValues", "mustBe": 0, "severity": "critical"}]'));
-- Operators: two at once, none where one is needed, between of the wrong
-- shape, a threshold that is not a number, percent on a row count.
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,properties,1,quality}', '[{"metric": "nullValues", "mustBe": 0, "mustBeLessThan": 5}]'));
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,quality}', '[{"metric": "rowCount"}]'));
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,quality}', '[{"metric": "rowCount", "mustBeBetween": 5}]'));
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,quality}', '[{"metric": "rowCount", "mustBeBetween": [1, 2, 3]}]'));
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,quality}', '[{"metric": "rowCount", "mustNotBeBetween": ["a", "b"]}]'));
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,quality}', '[{"metric": "rowCount", "mustBeBetween": [10, 1]}]'));
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,quality}', '[{"metric": "rowCount", "mustBe": "ten"}]'));
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,quality}', '[{"metric": "rowCount", "mustBe": 10, "unit": "percent"}]'));
-- Invalid regular expressions, in a property's pattern and in a rule.
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,properties,1,logicalTypeOptions}', '{"pattern": "([a-z"}'));
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,properties,1,quality}', '[{"metric": "invalidValues", "mustBe": 0, "arguments": {"pattern": "a{3,1}"}}]'));
-- invalidValues needs exactly one of validValues and pattern.
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,properties,1,quality}', '[{"metric": "invalidValues", "mustBe": 0}]'));
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,properties,1,quality}', '[{"metric": "invalidValues", "mustBe": 0, "arguments": {"validValues": ["a"], "pattern": "a"}}]'));
-- sql rules: one SELECT, with an operator; {property} only on a property.
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,quality}', '[{"type": "sql", "query": "DELETE FROM qcomp_src.items", "mustBe": 0}]'));
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,quality}', '[{"type": "sql", "query": "SELECT 1; SELECT 2", "mustBe": 1}]'));
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,quality}', '[{"type": "sql", "query": "SELEC 1", "mustBe": 1}]'));
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,quality}', '[{"type": "sql", "query": "SELECT 1"}]'));
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,quality}', '[{"type": "sql", "mustBe": 1}]'));
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,quality}', '[{"type": "sql", "query": "SELECT count({property}) FROM {object}", "mustBe": 1}]'));
-- Values of the wrong type for the column: strings for numeric, strings
-- for boolean, strings that are not dates; bounds that are not numbers.
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,properties,2,quality}', '[{"metric": "invalidValues", "mustBe": 0, "arguments": {"validValues": [1, "cheap"]}}]'));
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,properties,3,quality}', '[{"metric": "invalidValues", "mustBe": 0, "arguments": {"validValues": ["yes"]}}]'));
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,properties,4,quality}', '[{"metric": "invalidValues", "mustBe": 0, "arguments": {"validValues": ["2024-13-45"]}}]'));
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,properties,2,logicalTypeOptions}', '{"minimum": "cheap"}'));
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,properties,2,logicalTypeOptions}', '{"maximum": "NaN"}'));
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,properties,4,logicalTypeOptions}', '{"minimum": "last tuesday"}'));
-- Rules at the wrong level or on what is not there.
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,quality}', '[{"metric": "nullValues", "mustBe": 0}]'));
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,quality}', '[{"metric": "duplicateValues", "mustBe": 0}]'));
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,quality}', '[{"metric": "duplicateValues", "mustBe": 0, "arguments": {"properties": ["id", "nope"]}}]'));
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,properties,5}', '{"name": "ghost", "logicalType": "string", "required": true}'));

-- Nothing was stored: one version, still 1.0.0, and no contract events
-- but the first.
SELECT p.version, count(c.*) AS versions
  FROM dmesh.data_product p JOIN dmesh.domain d USING (domain_id)
  JOIN dmesh.contract c USING (product_id)
 WHERE d.name = 'qcomp' AND p.name = 'items'
 GROUP BY p.version;
SELECT count(*) AS set_contract_events FROM dmesh.event_log
 WHERE object_identity = 'qcomp.items' AND action = 'set_contract';
-- A product created with a refused contract is not created.
SELECT dmesh.create_data_product('qcomp', 'broken', 'qcomp_src.items',
       contract => (SELECT pg_temp.edit('{schema,0,quality}', '[{"metric": "nullValues", "mustBe": 0}]')::text));
SELECT count(*) AS broken_products FROM dmesh.data_product p JOIN dmesh.domain d USING (domain_id)
 WHERE d.name = 'qcomp' AND p.name = 'broken';
-- A text rule or a sql rule about the whole object is fine; the edit
-- itself was never the problem.
SELECT dmesh.set_contract('qcomp.items', pg_temp.edit('{schema,0,quality}',
       '[{"type": "text", "description": "Anything goes."}, {"type": "sql", "query": "SELECT count(*) FROM {object}", "mustBeGreaterThan": 0}]')) > 0 AS set;
SELECT p.version FROM dmesh.data_product p JOIN dmesh.domain d USING (domain_id)
 WHERE d.name = 'qcomp' AND p.name = 'items';
SELECT rule, passed FROM dmesh.check_product('qcomp.items');
RESET ROLE;
