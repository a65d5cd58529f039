-- OpenLineage export: dmesh.openlineage_events(since) returns OpenLineage
-- 2-0-2 run events: one per derived relation (its current definition,
-- with schema, columnLineage and ownership facets; inputs of products with
-- dataQualityAssertions from the latest check) and one per runtime run.
-- Every event is checked against the required fields of the OpenLineage
-- 2-0-2 schema and of the facets used, listed below (this file's own copy).
SELECT dmesh.flush_usage() >= 0 AS flushed_earlier_counts;
CREATE TEMP TABLE ol_required (part text, path text, kind text);
INSERT INTO ol_required VALUES
  -- RunEvent (BaseEvent: eventTime, producer, schemaURL; RunEvent: run, job)
  ('event', '$.eventTime', 'timestamp'),
  ('event', '$.producer', 'uri'),
  ('event', '$.schemaURL', 'uri'),
  ('event', '$.eventType', 'event_type'),
  ('event', '$.run', 'object'),
  ('event', '$.run.runId', 'uuid'),
  ('event', '$.job', 'object'),
  ('event', '$.job.namespace', 'string'),
  ('event', '$.job.name', 'string'),
  ('event', '$.inputs', 'array'),
  ('event', '$.outputs', 'array'),
  -- Dataset (input and output): namespace, name
  ('dataset', '$.namespace', 'string'),
  ('dataset', '$.name', 'string'),
  -- every facet (BaseFacet): _producer, _schemaURL
  ('facet', '$._producer', 'uri'),
  ('facet', '$._schemaURL', 'uri'),
  -- SchemaDatasetFacet: fields[].name
  ('schema', '$.fields', 'array'),
  ('schema_field', '$.name', 'string'),
  -- ColumnLineageDatasetFacet: fields.<column>.inputFields[] with namespace, name, field
  ('column_lineage', '$.fields', 'object'),
  ('input_field', '$.namespace', 'string'),
  ('input_field', '$.name', 'string'),
  ('input_field', '$.field', 'string'),
  ('transformation', '$.type', 'transformation_type'),
  -- OwnershipDatasetFacet: owners[].name
  ('owner', '$.name', 'string'),
  -- DataQualityAssertionsDatasetFacet: assertions[] with assertion, success
  ('assertion', '$.assertion', 'string'),
  ('assertion', '$.success', 'boolean');

-- Where each part of an event is.
CREATE TEMP TABLE ol_parts (part text, selector jsonpath);
INSERT INTO ol_parts VALUES
  ('event', '$'),
  ('dataset', '$.inputs[*]'),
  ('dataset', '$.outputs[*]'),
  ('facet', '$.run.facets.*'),
  ('facet', '$.outputs[*].facets.*'),
  ('facet', '$.inputs[*].inputFacets.*'),
  ('schema', '$.outputs[*].facets.schema'),
  ('schema_field', '$.outputs[*].facets.schema.fields[*]'),
  ('column_lineage', '$.outputs[*].facets.columnLineage'),
  ('input_field', '$.outputs[*].facets.columnLineage.fields.*.inputFields[*]'),
  ('transformation', '$.outputs[*].facets.columnLineage.fields.*.inputFields[*].transformations[*]'),
  ('owner', '$.outputs[*].facets.ownership.owners[*]'),
  ('assertion', '$.inputs[*].inputFacets.dataQualityAssertions.assertions[*]');

-- Problems of one event against ol_required: none when it is valid.
CREATE FUNCTION pg_temp.ol_problems(e jsonb) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    r record;
    v jsonb;
    ok boolean;
BEGIN
    FOR r IN SELECT q.part, q.path, q.kind, x.value
               FROM ol_required q JOIN ol_parts p USING (part),
                    jsonb_path_query(e, p.selector) AS x(value)
              ORDER BY q.part, q.path
    LOOP
        v := jsonb_path_query_first(r.value, r.path::jsonpath);
        ok := CASE r.kind
            WHEN 'string' THEN jsonb_typeof(v) = 'string' AND v #>> '{}' <> ''
            WHEN 'uri' THEN jsonb_typeof(v) = 'string' AND v #>> '{}' ~ '^[a-z][a-z0-9+.-]*:'
            WHEN 'uuid' THEN jsonb_typeof(v) = 'string'
                             AND v #>> '{}' ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
            WHEN 'timestamp' THEN jsonb_typeof(v) = 'string'
                             AND v #>> '{}' ~ '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$'
            WHEN 'event_type' THEN v #>> '{}' IN ('START', 'RUNNING', 'COMPLETE', 'ABORT', 'FAIL', 'OTHER')
            WHEN 'transformation_type' THEN v #>> '{}' IN ('DIRECT', 'INDIRECT')
            WHEN 'array' THEN jsonb_typeof(v) = 'array'
            WHEN 'object' THEN jsonb_typeof(v) = 'object'
            WHEN 'boolean' THEN jsonb_typeof(v) = 'boolean'
        END;
        IF ok IS NOT TRUE THEN
            RETURN NEXT r.part || ' ' || r.path || ' is not a valid ' || r.kind;
        END IF;
    END LOOP;
END $$;

-- A product with a quality check, a view on it, a table filled from it.
CREATE ROLE ol_team NOLOGIN;
SELECT dmesh.create_domain('ol', 'ol_team') > 0 AS created;
CREATE SCHEMA ol_src AUTHORIZATION ol_team;
SET ROLE ol_team;
CREATE TABLE ol_src.orders (id int PRIMARY KEY, amount numeric, region text);
INSERT INTO ol_src.orders VALUES (1, 10, 'north'), (2, 20, 'south');
SELECT dmesh.create_data_product('ol', 'orders', 'ol_src.orders', 'Orders', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: ol-orders
version: 1.0.0
status: active
schema:
  - name: orders
    properties:
      - {name: id, logicalType: integer, required: true, unique: true}
      - {name: amount, logicalType: number, logicalTypeOptions: {minimum: 0}}
      - {name: region, logicalType: string}
$y$) > 0 AS created;
SELECT dmesh.publish_data_product('ol.orders');
SELECT count(*) FROM dmesh.check_product('ol.orders');
CREATE VIEW ol_src.north AS SELECT id, amount * 2 AS doubled FROM dmesh_ol.orders_v1 WHERE region = 'north';
CREATE TABLE ol_src.totals (region text, total numeric);
INSERT INTO ol_src.totals SELECT region, sum(amount) FROM ol_src.orders GROUP BY region;
RESET ROLE;
SELECT dmesh.flush_usage() > 0 AS flushed;

-- Every event is valid.
SELECT count(*) > 0 AS some_events,
       count(*) FILTER (WHERE EXISTS (SELECT FROM pg_temp.ol_problems(e))) AS invalid_events
  FROM dmesh.openlineage_events() AS e;
-- The view's event: its inputs, output, facets.
SELECT e->>'eventType' AS type, e #>> '{job,name}' AS job,
       jsonb_path_query_array(e, '$.inputs[*].name') AS inputs,
       e #>> '{outputs,0,name}' AS output,
       e #> '{outputs,0,facets,schema,fields}' AS schema_fields,
       e #> '{outputs,0,facets,ownership,owners}' AS owners
  FROM dmesh.openlineage_events() AS e
 WHERE e #>> '{outputs,0,name}' = current_database() || '.ol_src.north';
SELECT e #>> '{outputs,0,namespace}' ~ '^postgres://[^:/]+:[0-9]+$' AS namespace_is_postgres_host_port,
       (SELECT jsonb_pretty(jsonb_agg(f - 'namespace'))
          FROM jsonb_array_elements(e #> '{outputs,0,facets,columnLineage,fields,doubled,inputFields}') f)
         AS doubled_lineage
  FROM dmesh.openlineage_events() AS e
 WHERE e #>> '{outputs,0,name}' = current_database() || '.ol_src.north';
-- The published relation's event carries the product's quality assertions on its input.
SELECT jsonb_path_query_array(e, '$.inputs[*].inputFacets.dataQualityAssertions.assertions[*]') AS assertions
  FROM dmesh.openlineage_events() AS e
 WHERE e #>> '{outputs,0,name}' = current_database() || '.dmesh_ol.orders_v1';
-- The runtime run: INSERT ... SELECT into ol_src.totals.
SELECT e #>> '{job,name}' AS job, jsonb_path_query_array(e, '$.inputs[*].name') AS inputs,
       (e #> '{run,facets,dmesh_statements}') - ARRAY['_producer', '_schemaURL', 'firstSeen'] AS run
  FROM dmesh.openlineage_events() AS e
 WHERE e #>> '{outputs,0,name}' = current_database() || '.ol_src.totals';
-- Run ids are stable uuids: the same event twice has the same id, events differ.
SELECT count(DISTINCT e #>> '{run,runId}') = count(*) AS distinct_run_ids
  FROM dmesh.openlineage_events() AS e;
-- since: nothing after now.
SELECT count(*) AS future_events FROM dmesh.openlineage_events(now() + interval '1 minute');
-- The checks can fail: an event without a run id, with a bad transformation type.
SELECT pg_temp.ol_problems(jsonb_set(jsonb_set(e, '{run}', '{}'),
         '{outputs,0,facets,columnLineage,fields,doubled,inputFields,0,transformations,0,type}', '"COPY"'))
  FROM dmesh.openlineage_events() AS e
 WHERE e #>> '{outputs,0,name}' = current_database() || '.ol_src.north';
