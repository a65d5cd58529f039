-- YAML in and out: typing of scalars, structure, errors with line and
-- column, and a round trip that preserves every value.

-- Plain scalars follow the YAML 1.2 core schema; quoted ones are strings.
SELECT dmesh.yaml_to_jsonb($$
null_tilde: ~
null_word: null
empty:
yes_is_a_string: yes
on_is_a_string: on
bool_true: true
bool_false: False
int: 42
negative: -7
octal: 0o17
hex: 0x1F
float: 3.25
exponent: 1.5e3
version_like: 1.0.0
time_like: 09:00-08:00
quoted_true: "true"
quoted_int: '42'
string: hello world
$$);

-- Block scalars, flow collections, nesting, anchors and aliases.
SELECT jsonb_pretty(dmesh.yaml_to_jsonb($$
literal: |
  line one
  line two
folded: >
  folded
  text
flow: {a: 1, b: [x, y]}
list:
  - name: first
    tags: [t1, t2]
  - name: second
base: &b
  unit: d
  value: 1
copy: *b
$$));

-- Explicit tags.
SELECT dmesh.yaml_to_jsonb($$
str: !!str 123
int: !!int "7"
flt: !!float 2
$$);
SELECT dmesh.yaml_to_jsonb('x: !!int abc');
SELECT dmesh.yaml_to_jsonb('x: !custom value');

-- A scalar or a list may be the whole document.
SELECT dmesh.yaml_to_jsonb('just text'), dmesh.yaml_to_jsonb('- 1' || E'\n' || '- two');

-- Errors: syntax (with line and column), duplicate keys (with path),
-- several documents, values JSON cannot hold, nothing at all.
SELECT dmesh.yaml_to_jsonb(E'a: 1\nb: [1, 2\nc: 3');
SELECT dmesh.yaml_to_jsonb(E'a:\n  b: 1\n   c: 2');
SELECT dmesh.yaml_to_jsonb(E'schema:\n  - name: t\n    name: u');
SELECT dmesh.yaml_to_jsonb(E'a: 1\n---\nb: 2');
SELECT dmesh.yaml_to_jsonb('x: .inf');
SELECT dmesh.yaml_to_jsonb('x: .nan');
SELECT dmesh.yaml_to_jsonb('');
SELECT dmesh.yaml_to_jsonb('# only a comment');
SELECT dmesh.yaml_to_jsonb('? [a, b]' || E'\n' || ': 1');
-- An alias bomb is stopped.
SELECT dmesh.yaml_to_jsonb($$
a: &a [x, x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
g: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
$$);

-- Writing: ODCS keys first in the standard's order, strings that would
-- read back as something else quoted, multi-line strings as blocks.
SELECT dmesh.jsonb_to_yaml('{"zeta": 1, "schema": [], "kind": "DataContract",
  "apiVersion": "v3.0.2", "version": "1.0.0", "id": "x", "status": "active",
  "t": "true", "n": "null", "i": "42", "f": "1.5", "e": "", "sp": " padded ",
  "multi": "a\nb\n", "plain": "hello", "nothing": null, "yes": "yes",
  "date": "2024-01-01", "ver": "1.0.0", "words": "3 apples", "merge": "<<",
  "nested": {"list": [1, "two", {"k": false}]}, "u": "ünïcödé"}');

-- Round trip: anything jsonb can hold comes back identical.
WITH docs(doc) AS (VALUES
    ('{"a": "true", "b": "1e3", "c": "0x10", "d": "~", "e": "", "f": "  x", "g": "-"}'::jsonb),
    ('{"n": [1, 1.50, -0.001, 12345678901234567890, 1e-7]}'),
    ('{"s": "line1\nline2\n\nline4  ", "t": "tab\there", "q": "it''s \"quoted\""}'),
    ('{"k: with colon": 1, "- dash": 2, "#hash": 3, "[bracket": 4, "": 5}'),
    ('[1, [2, [3, {"x": null}]], {}, []]'),
    ('"a lone string"'),
    ('{"colon": "a: b", "comment": "a #b", "anchor": "&x", "alias": "*y", "tag": "!z"}'))
SELECT doc, dmesh.yaml_to_jsonb(dmesh.jsonb_to_yaml(doc)) = doc AS round_trip FROM docs;
