-- Limits of the document reader (yaml_to_jsonb, and contracts given as YAML
-- or JSON text): nesting depth 64, 100,000 keys per mapping, 1,000,000
-- nodes and 64 MB of text with aliases expanded, 10 MB of input, 100 %TAG
-- directives.  A limit is error 54000, a duplicate key 22P02, each with
-- the path and the line and column.  Nothing here is timed: the checks
-- are on results (the inputs that used to take minutes now take
-- milliseconds, but only the cancel test at the end relies on time).
CREATE FUNCTION pg_temp.try(doc text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
    RETURN left(dmesh.yaml_to_jsonb(doc)::text, 40);
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$f$;

-- Nesting: 64 levels are read, the 65th is refused where it starts, and
-- so is a million levels (once in quadratic time, and not cancellable).
SELECT dmesh.yaml_to_jsonb(repeat('[', 64) || repeat(']', 64)) =
       (repeat('[', 64) || repeat(']', 64))::jsonb AS depth_64_read;
SELECT pg_temp.try(repeat('[', 65) || repeat(']', 65));
SELECT pg_temp.try(repeat('[', 1000000) || repeat(']', 1000000));
SELECT pg_temp.try(repeat('{a: ', 1000000));
-- Block style: the path names the keys.
SELECT jsonb_path_query(dmesh.yaml_to_jsonb(string_agg(repeat(' ', i) || 'k' || i || ':', E'\n' ORDER BY i) || ' leaf'),
                        ('$.' || string_agg('k' || i, '.' ORDER BY i))::jsonpath) AS leaf_at_64
  FROM generate_series(0, 63) i;
SELECT pg_temp.try(string_agg(repeat(' ', i) || 'k' || i || ':', E'\n' ORDER BY i) || ' leaf')
  FROM generate_series(0, 64) i;
-- Aliases cannot nest deeper either.
SELECT pg_temp.try('a: &a ' || repeat('[', 40) || repeat(']', 40) || E'\nb: '
                   || repeat('[', 30) || '*a' || repeat(']', 30));

-- Mappings: 100,000 keys are read (in linear time: duplicates are found
-- with a hash table), one more is refused.
SELECT count(*) AS keys FROM jsonb_object_keys(
    (SELECT dmesh.yaml_to_jsonb(string_agg('key' || i || ': ' || i, E'\n'))
       FROM generate_series(1, 100000) i));
SELECT pg_temp.try(string_agg('key' || i || ': ' || i, E'\n')) FROM generate_series(1, 100001) i;
-- A duplicate among many keys, in block and in flow style.
SELECT pg_temp.try(E'schema:\n  - name: t\n    props:\n' ||
                   string_agg('      k' || i || E': 1\n', '') || '      k7: 2')
  FROM generate_series(1, 20000) i;
SELECT pg_temp.try('{' || string_agg('"k' || i || '": 1', ', ') || ', "k19999": 2}')
  FROM generate_series(1, 20000) i;

-- Sequences: a flat sequence of 100,000 elements is read; one of
-- 1,000,000 elements (1,000,001 nodes with the sequence itself) is
-- refused as soon as its last element is read.
SELECT jsonb_array_length(dmesh.yaml_to_jsonb('[' || repeat('1, ', 99999) || '1]')) AS elements;
SELECT pg_temp.try('[' || repeat('1, ', 999999) || '1]');

-- Aliases: they count as many nodes and as much text as they expand to.
SELECT pg_temp.try(E'a: &a ' || repeat('x', 1000000) ||
                   E'\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b]');
SELECT pg_temp.try(E'a: &a [x, y]\nb: *a\nc: [*a, *a]');
-- An alias inside the node it names, an unknown one, an anchor twice.
SELECT pg_temp.try('a: &a [1, *a]');
SELECT pg_temp.try('a: *b');
SELECT pg_temp.try(E'a: &x 1\nb: &x 2');

-- %TAG directives: libyaml compares them pairwise before the first event.
SELECT pg_temp.try(string_agg(format('%%TAG !t%s! tag:example.com,2024:', i), E'\n') || E'\n--- x')
  FROM generate_series(1, 100) i;
SELECT pg_temp.try(string_agg(format('%%TAG !t%s! tag:example.com,2024:', i), E'\n') || E'\n--- x')
  FROM generate_series(1, 101) i;

-- Size: 10 MB at most.
SELECT pg_temp.try('x #' || repeat('-', 10 * 1024 * 1024 - 3));
SELECT pg_temp.try(repeat('x', 10 * 1024 * 1024 + 1));

-- Contracts as text: YAML and JSON are refused the same way, through
-- set_contract and create_data_product, before anything else is checked.
CREATE ROLE ylim_team NOLOGIN;
SELECT dmesh.create_domain('ylim', 'ylim_team') > 0 AS created;
CREATE SCHEMA ylim_src AUTHORIZATION ylim_team;
SET ROLE ylim_team;
CREATE TABLE ylim_src.items (id int PRIMARY KEY);
SELECT dmesh.create_data_product('ylim', 'items', 'ylim_src.items') > 0 AS created;
RESET ROLE;
CREATE FUNCTION pg_temp.try_contract(doc text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
    PERFORM dmesh.set_contract('ylim.items', doc);
    RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$f$;
CREATE FUNCTION pg_temp.try_create(doc text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
    PERFORM dmesh.create_data_product('ylim', 'other', 'ylim_src.items', contract => doc);
    RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$f$;
-- Duplicate keys: YAML, then JSON (which jsonb would have read, keeping
-- the last), with the path of the mapping and the place of the key.
SELECT pg_temp.try_contract(E'apiVersion: v3.0.2\nkind: DataContract\nschema:\n  - name: t\n    name: u');
SELECT pg_temp.try_contract('{"apiVersion": "v3.0.2", "kind": "DataContract", "schema": [{"name": "t", "name": "u"}]}');
SELECT pg_temp.try_contract(E'{"apiVersion": "v3.0.2",\n "kind": "DataContract",\n "kind": "DataContract"}');
SELECT pg_temp.try_create(E'{"schema": [{"name": "t",\n  "properties": [{"name": "ünï", "x": 1,\t"name": "b"}]}]}');
-- Keys are compared as jsonb sees them, escapes decoded.
SELECT pg_temp.try_contract('{"kind": "DataContract", "k\u0069nd": "x"}');
SELECT '{"kind": "DataContract", "k\u0069nd": "x"}'::jsonb AS what_jsonb_would_keep;
-- The same limits hold for JSON text, and its syntax errors are jsonb's.
SELECT pg_temp.try_contract('{"a": ' || repeat('[', 63) || repeat(']', 63) || ', "a": 1}');
SELECT pg_temp.try_contract('{"a": ' || repeat('[', 64) || repeat(']', 64) || '}');
SELECT pg_temp.try_contract('{"a": ' || repeat('{"b": ', 1000000));
SELECT pg_temp.try_contract('{' || string_agg('"k' || i || '": ' || i, ', ') || '}') FROM generate_series(1, 100001) i;
SELECT pg_temp.try_contract('{"a": 1, "b": [1, 2,]}');
SELECT pg_temp.try_create(repeat('[', 65));
-- Nothing was stored: the product has only the contract derived when it
-- was created, and no other product was created.
SELECT p.name, count(*) AS contracts, bool_and(c.derived) AS derived
  FROM dmesh.contract c JOIN dmesh.data_product p USING (product_id)
  JOIN dmesh.domain d USING (domain_id) WHERE d.name = 'ylim' GROUP BY 1;

-- Cancel: the readers check for interrupts at every node, so a statement
-- timeout stops them in the middle.  Reading these documents takes far
-- longer than 10 ms, so the timeout always fires before a reader is done;
-- were a reader deaf to it, the call would return and nextval() (which
-- runs next, with no interrupt check in between) would advance the
-- sequence.
CREATE TEMP SEQUENCE ylim_after;
CREATE TEMP TABLE ylim_docs AS
SELECT '[' || repeat('1, ', 999998) || '1]' AS yaml,
       '{"x": [' || repeat('1, ', 999997) || '1]}' AS json;
SET statement_timeout = '10ms';
SELECT dmesh.yaml_to_jsonb(yaml) IS NULL, nextval('ylim_after') FROM ylim_docs;
SELECT dmesh.set_contract('ylim.items', json) IS NULL, nextval('ylim_after') FROM ylim_docs;
RESET statement_timeout;
SELECT last_value, is_called FROM ylim_after;
