-- physicalType as contracts from other platforms write it: a PostgreSQL
-- type holds the column exactly; a well-known name of another platform
-- (string, long, double, float(p,s), array, map, struct, ...) holds it to
-- a kind of type; anything else is kept as written and not held (the
-- logicalType still is).  No type name raises a raw syntax error.
CREATE ROLE cphys_team NOLOGIN;
SELECT dmesh.create_domain('cphys', 'cphys_team') > 0 AS created;
CREATE SCHEMA cphys_src AUTHORIZATION cphys_team;
SET ROLE cphys_team;
CREATE TABLE cphys_src.t (
    s text, v varchar(20), l bigint, i integer, d double precision, f real, n numeric(5,2),
    a integer[], j jsonb, b bytea, ts timestamp, tz timestamptz, r int8range);

CREATE FUNCTION pg_temp.try(props jsonb) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
    PERFORM dmesh.create_data_product('cphys', 'p' || (SELECT count(*) FROM dmesh.data_product p
                                       JOIN dmesh.domain d USING (domain_id) WHERE d.name = 'cphys'),
        'cphys_src.t', contract => jsonb_build_object(
            'apiVersion', 'v3.1.0', 'kind', 'DataContract', 'id', 'x', 'version', '1.0.0',
            'status', 'active', 'schema', jsonb_build_array(jsonb_build_object(
                'name', 't', 'properties', props)))::text);
    RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$f$;
CREATE FUNCTION pg_temp.detail(props jsonb) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE d text;
BEGIN
    PERFORM dmesh.create_data_product('cphys', 'q' || (SELECT count(*) FROM dmesh.data_product),
        'cphys_src.t', contract => jsonb_build_object(
            'apiVersion', 'v3.1.0', 'kind', 'DataContract', 'id', 'x', 'version', '1.0.0',
            'status', 'active', 'schema', jsonb_build_array(jsonb_build_object(
                'name', 't', 'properties', props)))::text);
    RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ': ' || d;
END
$f$;

-- Names of other platforms, each on a column of the kind it names.
SELECT pg_temp.try($$[
  {"name": "s", "logicalType": "string", "physicalType": "string"},
  {"name": "v", "logicalType": "string", "physicalType": "STRING"},
  {"name": "l", "logicalType": "integer", "physicalType": "long"},
  {"name": "i", "logicalType": "integer", "physicalType": "serial"},
  {"name": "d", "logicalType": "number", "physicalType": "double"},
  {"name": "f", "logicalType": "number", "physicalType": "float(3,2)"},
  {"name": "n", "logicalType": "number", "physicalType": "number(5,2)"},
  {"name": "a", "logicalType": "array", "physicalType": "array"},
  {"name": "j", "logicalType": "object", "physicalType": "map"},
  {"name": "b", "logicalType": "string", "physicalType": "binary"},
  {"name": "ts", "logicalType": "timestamp", "physicalType": "timestamp_ntz"},
  {"name": "tz", "logicalType": "timestamp", "physicalType": "datetime"}]$$) AS portable;
-- ... and on columns of another kind: each a finding, with its property.
SELECT pg_temp.detail($$[
  {"name": "s", "logicalType": "string", "physicalType": "long"},
  {"name": "l", "logicalType": "integer", "physicalType": "short"},
  {"name": "d", "logicalType": "number", "physicalType": "float32"},
  {"name": "a", "logicalType": "array", "physicalType": "map"},
  {"name": "ts", "logicalType": "timestamp", "physicalType": "timestamp_tz"}]$$) AS wrong_kind;
-- PostgreSQL types are held exactly, typmod included, as before.
SELECT pg_temp.try($$[{"name": "v", "logicalType": "string", "physicalType": "varchar(20)"},
                      {"name": "n", "logicalType": "number", "physicalType": "numeric(5,2)"}]$$) AS exact;
SELECT pg_temp.detail($$[{"name": "v", "logicalType": "string", "physicalType": "varchar(10)"},
                         {"name": "l", "logicalType": "integer", "physicalType": "integer"}]$$) AS exact_mismatch;
-- Names no one knows are kept as written and not held (the logicalType
-- is); MySQL's integer display widths stand for the integer type.
SELECT pg_temp.try($$[{"name": "j", "logicalType": "object", "physicalType": "STRUCT<a: INT>"},
                      {"name": "s", "logicalType": "string", "physicalType": "geography"},
                      {"name": "l", "logicalType": "integer", "physicalType": "bigint(20)"},
                      {"name": "i", "logicalType": "integer", "physicalType": "int(11)"}]$$) AS kept;
-- ... but a PostgreSQL type written wrong is a finding, not a foreign name.
SELECT pg_temp.detail($$[{"name": "n", "logicalType": "number", "physicalType": "numeric(5,2"},
                         {"name": "v", "logicalType": "string", "physicalType": "varchar(-1)"},
                         {"name": "i", "logicalType": "integer", "physicalType": "int(11)x"}]$$) AS misspelled;
SELECT pg_temp.detail($$[{"name": "s", "logicalType": "integer", "physicalType": "whatever"}]$$) AS logical_still_held;
-- The contract keeps the names as written.
SELECT document #> '{schema,0,properties}' -> 0 ->> 'physicalType' AS kept_as_written
  FROM dmesh.contract c JOIN dmesh.data_product p USING (product_id)
 WHERE p.name = 'p0' AND p.domain_id = (SELECT domain_id FROM dmesh.domain WHERE name = 'cphys');

-- contract_diff: "string" to "STRING" is the same name, to "varchar" a change.
SELECT dmesh.set_contract('cphys.p0', jsonb_set(jsonb_set(dmesh.contract_document('cphys.p0'),
       '{version}', '"1.1.0"'), '{schema,0,properties,0,physicalType}', '"STRING"')) > 0 AS set;
SELECT path, severity FROM dmesh.contract_diff('cphys.p0', '1.0.0', '1.1.0');
SELECT dmesh.set_contract('cphys.p0', jsonb_set(jsonb_set(dmesh.contract_document('cphys.p0'),
       '{version}', '"1.2.0"'), '{schema,0,properties,0,physicalType}', '"text"')) > 0 AS set;
SELECT path, severity FROM dmesh.contract_diff('cphys.p0', '1.1.0', '1.2.0');

-- Types as tools write them outside SQL: a domain by its own name ("Name",
-- which PostgreSQL would fold to the built-in name type), a length in
-- brackets (varchar[20] for varchar(20)) on a column that is no array; an
-- array column keeps PostgreSQL's reading.
CREATE DOMAIN cphys_src."Name" AS varchar(50);
CREATE DOMAIN cphys_src."Flag" AS boolean;
CREATE TABLE cphys_src.t2 (n cphys_src."Name", f cphys_src."Flag", v varchar(20), a varchar[], tm time);
SELECT dmesh.create_data_product('cphys', 'w1', 'cphys_src.t2', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: x
version: 1.0.0
status: active
schema:
  - name: t2
    properties:
      - {name: n, logicalType: string, physicalType: Name}
      - {name: v, logicalType: string, physicalType: "varchar[20]"}
      - {name: a, logicalType: array, physicalType: "varchar[20]"}
$y$) > 0 AS created;
SELECT pg_temp.detail($$[{"name": "v", "logicalType": "string", "physicalType": "varchar[10]"}]$$) AS bracket_length_held;
-- ODCS v3.0.x had no time type and wrote user-defined types as object: a
-- v3.0 contract may say date for a time column and object for a domain.
SELECT dmesh.create_data_product('cphys', 'w2', 'cphys_src.t2', contract => $y$
apiVersion: v3.0.2
kind: DataContract
id: x
version: 1.0.0
status: active
schema:
  - name: t2
    properties:
      - {name: n, logicalType: object, physicalType: Name}
      - {name: f, logicalType: object, physicalType: Flag}
      - {name: tm, logicalType: date, physicalType: time}
$y$) > 0 AS created;
-- ... which a v3.1.0 contract, which has time and string, may not.
SELECT dmesh.create_data_product('cphys', 'w3', 'cphys_src.t2', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: x
version: 1.0.0
status: active
schema:
  - name: t2
    properties:
      - {name: f, logicalType: object}
      - {name: tm, logicalType: date}
$y$);
RESET ROLE;
