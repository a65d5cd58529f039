-- Fuzzing the YAML reader and writer (C, libyaml), deterministically:
--  1. random mutations of YAML documents: every one is parsed or refused
--     with a clean error of a known kind, and whatever parses writes back
--     to YAML that reads back identical;
--  2. random jsonb documents full of YAML-significant strings round-trip
--     through jsonb_to_yaml / yaml_to_jsonb unchanged.
SELECT setseed(0.4242);

CREATE TEMP TABLE fuzz_seeds (doc text);
INSERT INTO fuzz_seeds VALUES
($$apiVersion: v3.0.2
kind: DataContract
id: x
version: 1.0.0
status: active
schema:
  - name: orders
    properties:
      - {name: id, logicalType: integer, required: true}
      - name: note
        logicalType: string
        description: |
          multi
          line
slaProperties: [{property: freshness, value: 1, unit: d}]
$$),
($$base: &b {a: 1, b: [x, "y", 'z']}
copy: *b
list:
  - ? complex key
    : value
  - !!str 123
  - >
    folded
    text
$$),
($${"json": [1, 2.5, true, null, "s"], "nested": {"k": "v"}}$$);

-- Mutate: delete, insert a significant character, duplicate a slice, or
-- cut the text, a few times per document.
CREATE FUNCTION pg_temp.mutate(doc text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
    chars text := E':-[]{}&*!|>''"#%@`,? \n\t\\0aZé~.';
    pos int;
    n int := 1 + floor(random() * 4)::int;
BEGIN
    FOR i IN 1..n LOOP
        pos := 1 + floor(random() * greatest(length(doc), 1))::int;
        CASE floor(random() * 4)::int
            WHEN 0 THEN doc := overlay(doc PLACING '' FROM pos FOR 1);
            WHEN 1 THEN doc := overlay(doc PLACING substr(chars, 1 + floor(random() * length(chars))::int, 1)
                                   FROM pos FOR 0);
            WHEN 2 THEN doc := overlay(doc PLACING substr(doc, pos, 1 + floor(random() * 12)::int)
                                   FROM pos FOR 0);
            ELSE doc := left(doc, pos);
        END CASE;
    END LOOP;
    RETURN doc;
END
$f$;

CREATE TEMP TABLE fuzz_results (outcome text);
DO $$
DECLARE
    doc text;
    parsed jsonb;
BEGIN
    FOR i IN 1..3000 LOOP
        doc := pg_temp.mutate((SELECT s.doc FROM fuzz_seeds s ORDER BY random() LIMIT 1));
        BEGIN
            parsed := dmesh.yaml_to_jsonb(doc);
            IF dmesh.yaml_to_jsonb(dmesh.jsonb_to_yaml(parsed)) = parsed THEN
                INSERT INTO fuzz_results VALUES ('parsed, round trip ok');
            ELSE
                INSERT INTO fuzz_results VALUES ('ROUND TRIP FAILED: ' || doc);
            END IF;
        EXCEPTION
            WHEN invalid_text_representation OR invalid_parameter_value
              OR invalid_binary_representation OR numeric_value_out_of_range THEN
                INSERT INTO fuzz_results VALUES ('refused cleanly');
            WHEN OTHERS THEN
                INSERT INTO fuzz_results VALUES ('UNEXPECTED ' || SQLSTATE || ': ' || SQLERRM);
        END;
    END LOOP;
END $$;
-- Both outcomes occur, often, and nothing else does.
SELECT outcome, count(*) > 100 AS often FROM fuzz_results
 WHERE outcome IN ('parsed, round trip ok', 'refused cleanly') GROUP BY 1 ORDER BY 1;
SELECT count(*) AS mutations FROM fuzz_results;
SELECT outcome FROM fuzz_results
 WHERE outcome NOT IN ('parsed, round trip ok', 'refused cleanly') LIMIT 5;

-- Random documents of YAML-significant strings, numbers and nesting.
CREATE FUNCTION pg_temp.random_value(depth int) RETURNS jsonb LANGUAGE plpgsql AS $f$
DECLARE
    words text[] := ARRAY['true', 'false', 'null', '~', 'yes', 'no', 'on', 'off', 'y', 'N',
        '1.5', '1e3', '0x1F', '0o7', '.inf', '-.nan', '2024-01-01', '12:30', '1.0.0', '',
        ' ', '- item', ': colon', '#hash', '&anchor', '*alias', '!tag', '|', '>', '''q''',
        '"dq"', E'line\nbreak', E'tab\there', 'trailing ', ' leading', '[x]', '{y}', '%', '@',
        '`', 'ünï', 'plain words', '<<', '=', '?', '-', '---', '...'];
    r int := floor(random() * (CASE WHEN depth > 3 THEN 3 ELSE 5 END))::int;
    result jsonb;
BEGIN
    CASE r
        WHEN 0 THEN RETURN to_jsonb(words[1 + floor(random() * array_length(words, 1))::int] ||
                                    CASE WHEN random() < 0.3 THEN words[1 + floor(random() * array_length(words, 1))::int] ELSE '' END);
        WHEN 1 THEN RETURN to_jsonb(round(((random() - 0.5) * 10 ^ floor(random() * 12)::int)::numeric, floor(random() * 4)::int));
        WHEN 2 THEN RETURN (ARRAY['true', 'false', 'null'])[1 + floor(random() * 3)::int]::jsonb;
        WHEN 3 THEN
            result := '[]';
            FOR i IN 1..floor(random() * 4)::int LOOP
                result := result || jsonb_build_array(pg_temp.random_value(depth + 1));
            END LOOP;
            RETURN result;
        ELSE
            result := '{}';
            FOR i IN 1..floor(random() * 4)::int LOOP
                result := result || jsonb_build_object(
                    words[1 + floor(random() * array_length(words, 1))::int] || i,
                    pg_temp.random_value(depth + 1));
            END LOOP;
            RETURN result;
    END CASE;
END
$f$;
SELECT count(*) AS documents,
       count(*) FILTER (WHERE dmesh.yaml_to_jsonb(dmesh.jsonb_to_yaml(d)) = d) AS round_trips
  FROM (SELECT pg_temp.random_value(0) AS d FROM generate_series(1, 2000)) s;
