-- The YAML writer quotes a string exactly when a YAML 1.1 reader (the
-- types of yaml.org/type, as PyYAML reads them) or a YAML 1.2 core schema
-- reader would take it, written plain, for something other than that
-- string; every other string stays plain.  Keys are written as values
-- are.  Whatever the style, yaml_to_jsonb reads every string back.

CREATE TEMP TABLE yw_strings (n serial, kind text, s text);
INSERT INTO yw_strings (kind, s) VALUES
    -- YAML 1.1 bool, null, merge and value
    ('bool', 'y'), ('bool', 'Y'), ('bool', 'yes'), ('bool', 'Yes'), ('bool', 'YES'),
    ('bool', 'n'), ('bool', 'N'), ('bool', 'no'), ('bool', 'No'), ('bool', 'NO'),
    ('bool', 'true'), ('bool', 'True'), ('bool', 'TRUE'),
    ('bool', 'false'), ('bool', 'False'), ('bool', 'FALSE'),
    ('bool', 'on'), ('bool', 'On'), ('bool', 'ON'),
    ('bool', 'off'), ('bool', 'Off'), ('bool', 'OFF'),
    ('null', '~'), ('null', 'null'), ('null', 'Null'), ('null', 'NULL'), ('null', ''),
    ('merge', '<<'), ('value', '='),
    -- YAML 1.1 int: binary, octal, decimal, hex, sexagesimal
    ('int', '0b1010_0111'), ('int', '-0b1'), ('int', '+0b_'),
    ('int', '02472256'), ('int', '0_'), ('int', '-017'),
    ('int', '0'), ('int', '-0'), ('int', '+685_230'), ('int', '1_000'),
    ('int', '0x_0A_74_AE'), ('int', '-0xff'),
    ('int', '190:20:30'), ('int', '1:20'), ('int', '-1:2:3'), ('int', '1_0:5'),
    ('int', repeat('9', 100)),
    -- YAML 1.1 float: base 10, base 60, infinity, not a number
    ('float', '6.8523015e+5'), ('float', '685.230_15e+03'), ('float', '685_230.15'),
    ('float', '1.'), ('float', '-.5'), ('float', '.5_'), ('float', '1.e-3'),
    ('float', '1.2.3'), ('float', '.'), ('float', '+.'),
    ('float', '190:20:30.15'), ('float', '0:30.'),
    ('float', '.inf'), ('float', '-.Inf'), ('float', '+.INF'),
    ('float', '.nan'), ('float', '.NaN'), ('float', '.NAN'),
    -- YAML 1.1 timestamp
    ('timestamp', '2002-12-14'), ('timestamp', '2001-12-15T02:59:43.1Z'),
    ('timestamp', '2001-12-14t21:59:43.10-05:00'), ('timestamp', '2001-12-14 21:59:43.10 -5'),
    ('timestamp', '2001-12-15 2:59:43.10'), ('timestamp', '2020-01-01 00:00:00'),
    ('timestamp', '2020-1-1 1:00:00'), ('timestamp', E'2020-01-01\t00:00:00 Z'),
    ('timestamp', '2020-01-01  00:00:00.+05:30'), ('timestamp', '2020-13-45'),
    ('timestamp', '2020-01-01 00:00:00 +1'),
    -- YAML 1.2 core schema only
    ('1.2 core', '09'), ('1.2 core', '-09'), ('1.2 core', '0o17'), ('1.2 core', '1e5'),
    ('1.2 core', '-1.5E3'), ('1.2 core', '1E+05'),
    -- blanks at either end
    ('blanks', ' x'), ('blanks', 'x '), ('blanks', E'\tx'),
    -- look-alikes that stay plain
    ('plain', '2020-01-01x'), ('plain', '2020-1-01'), ('plain', '20200-01-01'),
    ('plain', '2020-01-01T'), ('plain', '2020-01-01 00:00'), ('plain', '2020-01-01 00:00:00 x'),
    ('plain', '2020-01-01 00:00:00+'), ('plain', '2020-01-01 and later'),
    ('plain', '1:2:3x'), ('plain', '1:60'), ('plain', '0:30'), ('plain', '12:30 pm'),
    ('plain', 'yesterday'), ('plain', 'Norway'), ('plain', 'nope'), ('plain', 'onion'),
    ('plain', 'offset'), ('plain', 'truthy'), ('plain', 'nullable'), ('plain', 'yEs'),
    ('plain', '0x'), ('plain', '0b'), ('plain', '0b2'), ('plain', '0xg'), ('plain', '0o'),
    ('plain', '1e'), ('plain', '1e+'), ('plain', '1_000x'), ('plain', '+.5_'),
    ('plain', '1.2_3.4'), ('plain', '.infinity'), ('plain', 'inf'), ('plain', 'NaN'),
    ('plain', '-.nan'), ('plain', '<<<'), ('plain', '=='), ('plain', 'a=b'),
    ('plain', '3 apples'), ('plain', 'v1.0'), ('plain', '1abc'), ('plain', '+bar'),
    ('plain', '.hidden'), ('plain', '6aeafdc1-ed62-4c8f-bf0a-da1061c98cdb'),
    ('plain', repeat('1', 70) || 'x');

-- The emitted YAML (a string is double-quoted by this rule; libyaml
-- single-quotes what cannot be plain at all), and the round trip of the
-- string as a value, a key and a list element.
SELECT n, kind, left(to_jsonb(s)::text, 40) AS string,
       left(rtrim(dmesh.jsonb_to_yaml(jsonb_build_object('v', s)), E'\n'), 40) AS as_value,
       left(rtrim(dmesh.jsonb_to_yaml(jsonb_build_object(s, 1)), E'\n'), 40) AS as_key,
       dmesh.yaml_to_jsonb(dmesh.jsonb_to_yaml(doc)) = doc AS round_trip
FROM yw_strings,
     LATERAL (SELECT jsonb_build_object('v', s, s, 'k', 'l', jsonb_build_array(s))) d(doc)
ORDER BY n;

-- All of them in one document, and as a list.
SELECT dmesh.yaml_to_jsonb(dmesh.jsonb_to_yaml(doc)) = doc AS round_trip
FROM (SELECT jsonb_object_agg(s, s) AS doc FROM yw_strings
      UNION ALL
      SELECT jsonb_agg(s ORDER BY n) FROM yw_strings) d;

DROP TABLE yw_strings;
