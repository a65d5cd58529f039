-- Quality checks on wide contracts: the batch check passes only the
-- columns its rules test, as arguments while they fit in a function call
-- and as one row past that, so any number of properties can be checked.
-- The internal aggregate refuses malformed calls with errors, not crashes.
CREATE ROLE qwide_team NOLOGIN;
SELECT dmesh.create_domain('qwide', 'qwide_team') > 0 AS created;
CREATE SCHEMA qwide_src AUTHORIZATION qwide_team;
SET ROLE qwide_team;

-- 150 columns c1 .. c150 (c1 integer, the others text), 20 rows.
-- Column cN is NULL in the rows whose id is divisible by N (for N > 1).
SELECT format('CREATE TABLE qwide_src.wide (%s)',
              string_agg(format('c%s %s', i, CASE WHEN i = 1 THEN 'integer' ELSE 'text' END),
                         ', ' ORDER BY i))
  FROM generate_series(1, 150) i \gexec
SELECT format('INSERT INTO qwide_src.wide SELECT r, %s FROM generate_series(1, 20) r',
              string_agg(format('CASE WHEN r %% %s = 0 THEN NULL ELSE %L END', i, 'v' || i),
                         ', ' ORDER BY i))
  FROM generate_series(2, 150) i \gexec

-- A contract naming all 150 columns, every one required: 150 tested
-- columns, more than a function takes as arguments.
SELECT dmesh.create_data_product('qwide', 'wide', 'qwide_src.wide',
       contract => jsonb_build_object(
         'apiVersion', 'v3.1.0', 'kind', 'DataContract', 'id', 'qwide-wide',
         'version', '1.0.0', 'status', 'active',
         'schema', jsonb_build_array(jsonb_build_object(
           'name', 'wide',
           'properties', (SELECT jsonb_agg(jsonb_build_object(
                                   'name', 'c' || i,
                                   'logicalType', CASE WHEN i = 1 THEN 'integer' ELSE 'string' END,
                                   'required', true) ORDER BY i)
                            FROM generate_series(1, 150) i))))::text) > 0 AS created;

-- Each column's NULL count is floor(20 / N): c2 has 10, c11 .. c20 one
-- each, c21 and on none.  The rules of c1, c10, c20, c21 and c150:
SELECT property, passed, observed, rows_checked
  FROM dmesh.check_product('qwide.wide')
 WHERE property IN ('c1', 'c2', 'c10', 'c20', 'c21', 'c150') ORDER BY property;
-- Every column was tested: 19 rules fail (c2 .. c20), 131 pass.
SELECT passed, count(*) FROM dmesh.check_product('qwide.wide') GROUP BY passed ORDER BY passed;

-- The same width with only three columns tested: the others are not read.
SELECT dmesh.set_contract('qwide.wide', jsonb_build_object(
         'apiVersion', 'v3.1.0', 'kind', 'DataContract', 'id', 'qwide-wide',
         'version', '1.1.0', 'status', 'active',
         'schema', jsonb_build_array(jsonb_build_object(
           'name', 'wide',
           'properties', (SELECT jsonb_agg(jsonb_build_object(
                                   'name', 'c' || i,
                                   'logicalType', CASE WHEN i = 1 THEN 'integer' ELSE 'string' END,
                                   'required', i IN (1, 3, 149)) ORDER BY i)
                            FROM generate_series(1, 150) i))))::text) IS NOT NULL AS set;
SELECT property, passed, observed FROM dmesh.check_product('qwide.wide') ORDER BY property;
RESET ROLE;

-- Malformed direct calls of the internal aggregate: errors, never a crash.
CREATE TEMP TABLE qwide_c AS
SELECT '{"apiVersion": "v3.1.0", "kind": "DataContract", "id": "x", "version": "1.0.0",
         "status": "active", "schema": [{"name": "t", "properties": [
           {"name": "a", "logicalType": "integer", "required": true},
           {"name": "b", "logicalType": "string", "required": true}]}]}'::jsonb AS doc;
-- well formed, as arguments and as a row
SELECT dmesh._quality_scan(doc, '{0,1}', x, y) FROM qwide_c, (VALUES (1, 'a'), (NULL, 'b')) v(x, y);
SELECT dmesh._quality_scan(doc, '{0,1}', ROW(x, y)) FROM qwide_c, (VALUES (1, 'a'), (2, NULL)) v(x, y);
-- a tested property left out, too many or too few columns
SELECT dmesh._quality_scan(doc, '{1}', 'b'::text) FROM qwide_c;
SELECT dmesh._quality_scan(doc, '{0,1}', 1) FROM qwide_c;
SELECT dmesh._quality_scan(doc, '{0}', 1, 2, 3) FROM qwide_c;
-- out of range, unordered, NULL, two-dimensional column lists
SELECT dmesh._quality_scan(doc, '{0,5}', 1, 'a'::text) FROM qwide_c;
SELECT dmesh._quality_scan(doc, '{1,0}', 'a'::text, 1) FROM qwide_c;
SELECT dmesh._quality_scan(doc, '{0,NULL}', 1, 'a'::text) FROM qwide_c;
SELECT dmesh._quality_scan(doc, NULL, 1, 'a'::text) FROM qwide_c;
SELECT dmesh._quality_scan(doc, '{{0},{1}}', 1, 'a'::text) FROM qwide_c;
-- a row of the wrong width, a NULL row, rows of changing shape
SELECT dmesh._quality_scan(doc, '{0,1}', ROW(1, 'a', 3)) FROM qwide_c;
SELECT dmesh._quality_scan(doc, '{0,1}', NULL::record) FROM qwide_c;
SELECT dmesh._quality_scan(doc, '{0,1}', CASE WHEN x = 1 THEN ROW(x, 'a'::text) ELSE ROW(x, 'a'::varchar) END)
  FROM qwide_c, generate_series(1, 2) x;
-- the column list changing between groups (only "a" is tested here): the
-- first group's plan does not serve the second, which leaves "a" out
SELECT g, dmesh._quality_scan(jsonb_set(doc, '{schema,0,properties,1,required}', 'false'),
                              CASE WHEN g = 1 THEN '{0}'::int[] ELSE '{1}'::int[] END, x)
  FROM qwide_c, (VALUES (1, 1), (2, 2)) v(g, x) GROUP BY g ORDER BY g;
SELECT g, dmesh._quality_scan(jsonb_set(doc, '{schema,0,properties,1,required}', 'false'),
                              '{0}', x)
  FROM qwide_c, (VALUES (1, 1), (2, NULL), (2, 3)) v(g, x) GROUP BY g ORDER BY g;
