-- Pattern rules run on dmesh's own matcher (src/quality_fastre.c) when the
-- pattern allows, else on PostgreSQL's engine.  Differential test: for
-- many patterns and many generated strings (ASCII and multibyte), the
-- number of values breaking the rule must equal what the ~ operator says.
-- Deterministic: the strings come from md5 of a counter.
CREATE TEMP TABLE fuzz_patterns (p text);
INSERT INTO fuzz_patterns VALUES
  ('^[^@ ]+@[^@ ]+$'), ('^[A-Z]{2}[0-9]{4}$'), ('^S[0-9]{3}$'), ('[0-9]'), ('^a'), ('b$'),
  ('ab'), ('^$'), (''), ('^.*$'), ('^.{3}$'), ('^.{2,4}$'), ('^.{3,}$'), ('^a*b+c?$'),
  ('a.c'), ('^[a-f0-9]+$'), ('^[^a-f]*$'), ('^\d+$'), ('^\w+$'), ('^\S+$'), ('\s'),
  ('^[[:alpha:]]+$'), ('^[[:digit:][:upper:]]*$'), ('^[]a]+$'), ('^[^]a]+$'), ('^[a-]+$'),
  ('^x?y?z?$'), ('é'), ('^[^x]é'), ('^.é.$'), ('\.'), ('^[.]+$'), ('a{2}'), ('^(ab)+$'),
  ('^a|b$'), ('^[ab]*?c'), ('^\D'), ('^\W'), ('[[:punct:]]$'), ('^[a-c]{1,2}[d-f]{0,3}$'),
  ('^-?[0-9]+(\.[0-9]+)?$'), ('^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$'), ('\t'), ('^..?.?$'),
  ('(?i)^AB'), ('^\\'), ('x*'), ('^[[:space:]]*$');
CREATE TEMP TABLE fuzz_strings AS
SELECT g, translate(substr(md5(g::text), 1, 1 + g % 9), '0123456789', 'ab@ é.-c1Z') ||
          CASE WHEN g % 7 = 0 THEN 'ab' WHEN g % 11 = 0 THEN ' x' WHEN g % 13 = 0 THEN 'éé' ELSE '' END AS v
  FROM generate_series(1, 3000) g
UNION ALL VALUES (0, ''), (-1, 'ab'), (-2, 'AB1234'), (-3, 'S123'), (-4, 'user@example.org'),
                 (-5, 'a	b'), (-6, '\x'), (-7, 'aabbc');
SELECT count(*) AS patterns FROM fuzz_patterns;
SELECT count(*) AS strings, count(*) FILTER (WHERE v ~ '[^\x01-\x7f]') AS multibyte FROM fuzz_strings;

-- Every pattern: dmesh's count of values that do not match, against ~.
SELECT f.p, d.breaking AS dmesh, s.breaking AS postgres
  FROM fuzz_patterns f,
       LATERAL (SELECT (dmesh._quality_scan(jsonb_build_object(
                    'apiVersion', 'v3.1.0', 'kind', 'DataContract', 'id', 'fuzz', 'version', '1.0.0',
                    'status', 'active', 'schema', jsonb_build_array(jsonb_build_object(
                        'name', 'fuzz', 'properties', jsonb_build_array(jsonb_build_object(
                            'name', 'v', 'logicalType', 'string',
                            'logicalTypeOptions', jsonb_build_object('pattern', f.p)))))),
                    '{0}', x.v))[2] AS breaking
                  FROM fuzz_strings x) d,
       LATERAL (SELECT count(*) FILTER (WHERE NOT x.v ~ f.p) AS breaking FROM fuzz_strings x) s
 WHERE d.breaking IS DISTINCT FROM s.breaking;

-- The same with the patterns used as invalidValues arguments, and a
-- sample of counts, so that the comparison above cannot pass by being empty.
SELECT f.p, (SELECT (dmesh._quality_scan(jsonb_build_object(
                    'apiVersion', 'v3.1.0', 'kind', 'DataContract', 'id', 'fuzz', 'version', '1.0.0',
                    'status', 'active', 'schema', jsonb_build_array(jsonb_build_object(
                        'name', 'fuzz', 'properties', jsonb_build_array(jsonb_build_object(
                            'name', 'v', 'logicalType', 'string',
                            'quality', jsonb_build_array(jsonb_build_object(
                                'metric', 'invalidValues', 'arguments', jsonb_build_object('pattern', f.p)))))))),
                    '{0}', x.v))[2] FROM fuzz_strings x) AS breaking
  FROM fuzz_patterns f
 WHERE f.p IN ('^[^@ ]+@[^@ ]+$', '[0-9]', 'é', '^\w+$', '^.{3}$', '^(ab)+$')
 ORDER BY f.p;
