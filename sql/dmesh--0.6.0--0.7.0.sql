-- dmesh 0.6.0 -> 0.7.0: security and reliability.  What the worker and
-- dmesh's helpers record is readable only by a product's managers and
-- consumers and carries no value of its data; replaced data is tracked
-- exactly; retirement can drop other roles' dependents; the health view
-- reads only what a contract declares public.  The lineage of CREATE
-- TABLE AS is read from the query as analyzed, before it is planned.
-- Each role can see what it may read of a product and how to ask for the
-- rest (access_status, the marketplace's access column); unknown product
-- and domain names get a "Did you mean".

\echo Use "ALTER EXTENSION dmesh UPDATE TO '0.7.0'" to load this file. \quit

-------------------------------------------------------------------------------
-- Data products with several objects (one published relation per object)
-------------------------------------------------------------------------------

ALTER TABLE @extschema@.data_product DROP CONSTRAINT data_product_source_kind_valid;
ALTER TABLE @extschema@.data_product ADD CONSTRAINT data_product_source_kind_valid
    CHECK (source_kind OPERATOR(pg_catalog.=) ANY (ARRAY['relation', 'query', 'objects']));
ALTER TABLE @extschema@.data_product DROP CONSTRAINT data_product_source_present;
ALTER TABLE @extschema@.data_product ADD CONSTRAINT data_product_source_present CHECK (
        (source_kind OPERATOR(pg_catalog.=) 'relation'
            AND source_relation IS NOT NULL AND source_query IS NULL)
        OR (source_kind OPERATOR(pg_catalog.=) 'query'
            AND source_relation IS NULL AND source_query IS NOT NULL)
        OR (source_kind OPERATOR(pg_catalog.=) 'objects'
            AND source_relation IS NULL AND source_query IS NULL));
COMMENT ON COLUMN @extschema@.data_product.source_kind IS
  'relation when the product exposes a table, view, materialized view or foreign table; query when it exposes a SELECT; objects when its contract has several objects, each with its own source (dmesh.product_object).';

ALTER TABLE @extschema@.output_port ADD COLUMN object text;
ALTER TABLE @extschema@.output_port DROP CONSTRAINT output_port_product_id_major_key;
ALTER TABLE @extschema@.output_port ADD CONSTRAINT output_port_product_major_object_key
    UNIQUE NULLS NOT DISTINCT (product_id, major, object);
COMMENT ON TABLE @extschema@.output_port IS
  'Output ports: each published relation of a data product, one per major version (and per object, for a product whose contract has several). The relation lives in the domain''s schema.';
COMMENT ON COLUMN @extschema@.output_port.relation_name IS
  'Name of the published view in the domain''s schema: <product>_v<major>, or <product>_<object>_v<major> for a product with several objects.';
COMMENT ON COLUMN @extschema@.output_port.object IS
  'The contract object the relation publishes, for a product whose contract has several; NULL for a product with one.';

CREATE TABLE @extschema@.product_object (
    product_id       bigint NOT NULL REFERENCES @extschema@.data_product (product_id),
    object           text NOT NULL,
    position         integer NOT NULL,
    source_kind      text NOT NULL
                     CONSTRAINT product_object_source_kind_valid
                     CHECK (source_kind OPERATOR(pg_catalog.=) ANY (ARRAY['relation', 'query'])),
    source_relation  regclass,
    source_query     text,
    created_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (product_id, object),
    CONSTRAINT product_object_source_present CHECK (
        (source_kind OPERATOR(pg_catalog.=) 'relation'
            AND source_relation IS NOT NULL AND source_query IS NULL)
        OR (source_kind OPERATOR(pg_catalog.=) 'query'
            AND source_relation IS NULL AND source_query IS NOT NULL))
);
CREATE INDEX ON @extschema@.product_object (source_relation);
COMMENT ON TABLE @extschema@.product_object IS
  'The objects of a data product whose contract has several (source_kind objects): each object''s source, from which its own relation is published. A product with one object keeps its source in dmesh.data_product.';
COMMENT ON COLUMN @extschema@.product_object.product_id IS 'The data product.';
COMMENT ON COLUMN @extschema@.product_object.object IS 'Name of the object in the contract''s schema.';
COMMENT ON COLUMN @extschema@.product_object.position IS 'Order of the objects, as first listed.';
COMMENT ON COLUMN @extschema@.product_object.source_kind IS 'relation or query, as for a product''s source.';
COMMENT ON COLUMN @extschema@.product_object.source_relation IS 'The object''s source relation (source_kind = relation).';
COMMENT ON COLUMN @extschema@.product_object.source_query IS
  'The object''s source query with every name schema-qualified (source_kind = query).';
COMMENT ON COLUMN @extschema@.product_object.created_at IS 'When the object was added to the product.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.product_object', '');
REVOKE ALL ON @extschema@.product_object FROM PUBLIC;
GRANT SELECT ON @extschema@.product_object TO PUBLIC;

-- Every product's sources: its one source, or one per object.
CREATE VIEW @extschema@.product_sources AS
SELECT p.product_id, NULL::text AS object, p.source_kind, p.source_relation, p.source_query
  FROM @extschema@.data_product p
 WHERE p.source_kind OPERATOR(pg_catalog.<>) 'objects'
UNION ALL
SELECT o.product_id, o.object, o.source_kind, o.source_relation, o.source_query
  FROM @extschema@.product_object o;
COMMENT ON VIEW @extschema@.product_sources IS
  'Where each data product reads its rows: one row per product with one source (object NULL), one per object for a product with several (dmesh.product_object).';
COMMENT ON COLUMN @extschema@.product_sources.product_id IS 'The data product.';
COMMENT ON COLUMN @extschema@.product_sources.object IS 'The object, for a product with several; NULL otherwise.';
COMMENT ON COLUMN @extschema@.product_sources.source_kind IS 'relation or query.';
COMMENT ON COLUMN @extschema@.product_sources.source_relation IS 'The source relation (source_kind = relation).';
COMMENT ON COLUMN @extschema@.product_sources.source_query IS 'The source query (source_kind = query).';
GRANT SELECT ON @extschema@.product_sources TO PUBLIC;


-- A contract that leaves its schema to the source: what the product is held to.
ALTER TABLE @extschema@.contract ADD COLUMN held_schema jsonb;
COMMENT ON COLUMN @extschema@.contract.held_schema IS
  'When the document leaves the schema to the source (no schema object, or objects without properties): the schema the product is held to, derived from its sources when the version was accepted (the document''s objects with their properties filled in). NULL when the document lists every property.';

-------------------------------------------------------------------------------
-- Who may read a product's operational details
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@._insider(product_id bigint)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT EXISTS (
        SELECT 1 FROM @extschema@.data_product p
         WHERE p.product_id OPERATOR(pg_catalog.=) _insider.product_id
           AND @extschema@.manages(p.domain_id, p.product_id))
        OR EXISTS (
        SELECT 1 FROM @extschema@.access_grant g
         WHERE g.product_id OPERATOR(pg_catalog.=) _insider.product_id
           AND pg_catalog.pg_has_role(g.consumer::pg_catalog.oid, 'USAGE'));
END;
COMMENT ON FUNCTION @extschema@._insider(bigint) IS
  'Internal: true when the current role manages the product or holds an access agreement on it (it, or a role it has the privileges of); such roles may read the product''s incidents, job errors and quality details.';

ALTER TABLE @extschema@.incident ENABLE ROW LEVEL SECURITY;
CREATE POLICY incident_visible ON @extschema@.incident FOR SELECT
    USING (@extschema@._insider(product_id));
COMMENT ON TABLE @extschema@.incident IS
  'Incidents of products: at most one open per product and kind; repeats count in occurrences. Opened and resolved by dmesh (the background worker); counted in dmesh.product_health. A role sees the incidents of the products it manages or holds an agreement on.';

ALTER TABLE @extschema@.schedule ENABLE ROW LEVEL SECURITY;
CREATE POLICY schedule_visible ON @extschema@.schedule FOR SELECT
    USING (@extschema@._insider(product_id));
COMMENT ON TABLE @extschema@.schedule IS
  'When the background worker refreshes and checks each product and how fresh its data must be, set by dmesh.set_schedule; with the state of the scheduled jobs. A role sees the schedules of the products it manages or holds an agreement on.';
COMMENT ON COLUMN @extschema@.schedule.last_error IS
  'Why the last scheduled job failed or was put off: the error as the code writes it, values left out ("..."), and its SQLSTATE; the full error is in the server log.';

ALTER TABLE @extschema@.quality_result ENABLE ROW LEVEL SECURITY;
CREATE POLICY quality_result_visible ON @extschema@.quality_result FOR SELECT
    USING (EXISTS (SELECT FROM @extschema@.quality_run r
                    WHERE r.run_id OPERATOR(pg_catalog.=) quality_result.run_id
                      AND @extschema@._insider(r.product_id)));
COMMENT ON COLUMN @extschema@.quality_result.detail IS
  'Why a rule could not be evaluated: the error as the code writes it, values left out, and its SQLSTATE. Readable by the product''s managers and consumers only (row-level security).';

-- Runtime lineage: like usage, a role sees its own writes and those that
-- read or write a relation of a product it manages.
ALTER TABLE @extschema@.lineage_run ENABLE ROW LEVEL SECURITY;
CREATE POLICY lineage_run_visible ON @extschema@.lineage_run FOR SELECT
    USING (EXISTS (SELECT FROM pg_catalog.pg_roles r
                    WHERE r.rolname OPERATOR(pg_catalog.=) lineage_run.role
                      AND pg_catalog.pg_has_role(r.oid, 'USAGE'))
           OR EXISTS (SELECT FROM @extschema@.data_product p
                        JOIN @extschema@.domain d ON d.domain_id OPERATOR(pg_catalog.=) p.domain_id
                       WHERE @extschema@.manages(p.domain_id, p.product_id)
                         AND (EXISTS (SELECT FROM @extschema@.product_sources s
                                       WHERE s.product_id OPERATOR(pg_catalog.=) p.product_id
                                         AND @extschema@._relname(s.source_relation)
                                             OPERATOR(pg_catalog.=) ANY (ARRAY[lineage_run.source, lineage_run.target]))
                              OR EXISTS (SELECT FROM @extschema@.output_port o
                                          WHERE o.product_id OPERATOR(pg_catalog.=) p.product_id
                                            AND pg_catalog.format('%I.%I', d.schema_name, o.relation_name)
                                                OPERATOR(pg_catalog.=) ANY (ARRAY[lineage_run.source, lineage_run.target])))));
COMMENT ON TABLE @extschema@.lineage_run IS
  'Runtime lineage: statements that wrote one relation (target) while reading another (source), per writing role and kind of statement, aggregated; only committed statements count. Flushed from shared memory by dmesh.flush_usage(). A role sees its own writes and those that read or write a relation of a product it manages (row-level security).';

-------------------------------------------------------------------------------
-- Incidents: the NOTIFY payload names the incident, never its detail
-------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@._incident(product_id bigint, kind text, failing boolean, detail jsonb DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    id bigint;
    name text;
BEGIN
    SELECT d.name || '.' || p.name INTO name
      FROM @extschema@.data_product p JOIN @extschema@.domain d USING (domain_id)
     WHERE p.product_id = _incident.product_id;
    IF failing THEN
        UPDATE @extschema@.incident i
           SET occurrences = i.occurrences + 1, last_seen = now(), detail = _incident.detail
         WHERE i.product_id = _incident.product_id AND i.kind = _incident.kind AND i.resolved_at IS NULL
        RETURNING i.incident_id INTO id;
        IF id IS NULL THEN
            INSERT INTO @extschema@.incident (product_id, kind, detail)
            VALUES (_incident.product_id, _incident.kind, _incident.detail)
            RETURNING incident_id INTO id;
            PERFORM pg_notify('dmesh_incident', jsonb_build_object(
                'event', 'opened', 'incident_id', id, 'product', name,
                'kind', _incident.kind)::text);
        END IF;
    ELSE
        UPDATE @extschema@.incident i SET resolved_at = now(), last_seen = now()
         WHERE i.product_id = _incident.product_id AND i.kind = _incident.kind AND i.resolved_at IS NULL
        RETURNING i.incident_id INTO id;
        IF id IS NOT NULL THEN
            PERFORM pg_notify('dmesh_incident', jsonb_build_object(
                'event', 'resolved', 'incident_id', id, 'product', name, 'kind', _incident.kind)::text);
        END IF;
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._incident(bigint, text, boolean, jsonb) IS
  'Internal (the worker): opens an incident of a product and kind, or counts one more occurrence of the open one, when failing; resolves the open one when not. NOTIFY dmesh_incident on open and resolve, with a jsonb payload naming the event, incident, product and kind (any role may listen: the detail stays in dmesh.incident).';

-------------------------------------------------------------------------------
-- Freshness: what the contract's SLA declares, for every role
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@._freshness(product text)
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'dmesh_freshness'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION @extschema@._freshness(text) IS
  'Internal: the newest value of the column the active contract''s freshness SLA names as its element (or, without one and with track_commit_timestamp on, the newest commit time of the source''s rows), read as the product''s owner; NULL when unknown, and for a column classified pii or restricted unless the caller manages the product.';
COMMENT ON FUNCTION @extschema@._newest_data(text, text) IS
  'Internal: the newest value of a published column (element: "column" or "object.column") of a live product, read as its owner; without an element, the newest commit time of the source''s rows when track_commit_timestamp is on; else NULL. Managers of the product only.';

CREATE OR REPLACE VIEW @extschema@.product_health AS
WITH base AS (
    SELECT p.product_id, d.name AS domain, p.name AS product, p.status AS lifecycle,
           d.name OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) p.name AS ref,
           (SELECT s FROM pg_catalog.jsonb_array_elements(
                       COALESCE(k.document OPERATOR(pg_catalog.->) 'slaProperties', '[]'::jsonb)) s
             WHERE s OPERATOR(pg_catalog.->>) 'property' OPERATOR(pg_catalog.=) 'freshness' LIMIT 1) AS freshness
      FROM @extschema@.data_product p
      JOIN @extschema@.domain d ON d.domain_id OPERATOR(pg_catalog.=) p.domain_id
      LEFT JOIN @extschema@.contract k ON k.product_id OPERATOR(pg_catalog.=) p.product_id
                                      AND k.version OPERATOR(pg_catalog.=) p.version
     WHERE p.status OPERATOR(pg_catalog.<>) 'retired'
), h AS (
    SELECT b.*,
           @extschema@._sla_interval((b.freshness OPERATOR(pg_catalog.->>) 'value')::numeric,
                                     b.freshness OPERATOR(pg_catalog.->>) 'unit') AS freshness_sla,
           @extschema@._freshness(b.ref) AS newest_data,
           q.score, q.finished_at, q.failed_errors, q.failed_warnings,
           @extschema@._contract_findings(b.ref) AS contract_findings,
           (SELECT COALESCE(pg_catalog.sum(u.queries), 0)::bigint FROM @extschema@.usage_daily u
             WHERE u.product_id OPERATOR(pg_catalog.=) b.product_id
               AND u.day OPERATOR(pg_catalog.>) (CURRENT_DATE OPERATOR(pg_catalog.-) 7)) AS reads_7d,
           (SELECT pg_catalog.count(*) FROM @extschema@.incident i
             WHERE i.product_id OPERATOR(pg_catalog.=) b.product_id AND i.resolved_at IS NULL) AS open_incidents
      FROM base b
      LEFT JOIN LATERAL (
            SELECT r.score, r.finished_at,
                   (SELECT pg_catalog.count(*) FROM @extschema@.quality_result x
                     WHERE x.run_id OPERATOR(pg_catalog.=) r.run_id AND NOT x.passed
                       AND x.severity OPERATOR(pg_catalog.=) 'error') AS failed_errors,
                   (SELECT pg_catalog.count(*) FROM @extschema@.quality_result x
                     WHERE x.run_id OPERATOR(pg_catalog.=) r.run_id AND NOT x.passed
                       AND x.severity OPERATOR(pg_catalog.<>) 'error') AS failed_warnings
              FROM @extschema@.quality_run r
             WHERE r.product_id OPERATOR(pg_catalog.=) b.product_id
             ORDER BY r.run_id DESC LIMIT 1) q ON true
), f AS (
    SELECT h.*, pg_catalog.now() OPERATOR(pg_catalog.-) h.newest_data AS data_age,
           CASE WHEN h.freshness_sla IS NULL OR h.newest_data IS NULL THEN NULL
                ELSE pg_catalog.now() OPERATOR(pg_catalog.-) h.newest_data OPERATOR(pg_catalog.<=) h.freshness_sla
           END AS fresh
      FROM h
)
SELECT f.domain, f.product, f.lifecycle, f.newest_data, f.data_age, f.freshness_sla, f.fresh,
       f.score AS quality_score, f.finished_at AS quality_checked_at,
       COALESCE(f.failed_errors, 0) AS failed_error_rules,
       COALESCE(f.failed_warnings, 0) AS failed_other_rules,
       f.contract_findings, f.reads_7d, f.open_incidents,
       CASE WHEN f.fresh IS FALSE OR COALESCE(f.failed_errors, 0) OPERATOR(pg_catalog.>) 0
                 OR COALESCE(f.contract_findings, 0) OPERATOR(pg_catalog.>) 0
                 OR f.open_incidents OPERATOR(pg_catalog.>) 0 THEN 'failing'
            WHEN COALESCE(f.failed_warnings, 0) OPERATOR(pg_catalog.>) 0
                 OR f.contract_findings IS NULL
                 OR (f.freshness_sla IS NOT NULL AND f.newest_data IS NULL) THEN 'warning'
            ELSE 'ok' END AS status
  FROM f;
COMMENT ON COLUMN @extschema@.product_health.newest_data IS
  'Newest value of the freshness SLA''s element column (or, without one and with track_commit_timestamp on, newest commit time of the source''s rows); NULL if unknown, and for an element classified pii or restricted unless the caller manages the product.';

-------------------------------------------------------------------------------
-- Replaced data, tracked exactly
-------------------------------------------------------------------------------

CREATE TABLE @extschema@.replaced_data (
    relid          oid PRIMARY KEY,
    relname        name NOT NULL,
    product_id     bigint NOT NULL REFERENCES @extschema@.data_product (product_id),
    kind           text NOT NULL
                   CONSTRAINT replaced_data_kind_valid
                   CHECK (kind OPERATOR(pg_catalog.=) ANY (ARRAY['replaced', 'failed'])),
    replaced_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    attempts       integer NOT NULL DEFAULT 0,
    last_error     text,
    last_error_at  timestamptz
);
CREATE INDEX ON @extschema@.replaced_data (product_id);
COMMENT ON TABLE @extschema@.replaced_data IS
  'Tables of materialized products that dmesh._refresh_cleanup drops: the data a refresh replaced (replaced) and the build of a failed refresh (failed, dropped once the product''s data is good again). Visible to the product''s managers.';
COMMENT ON COLUMN @extschema@.replaced_data.relid IS 'The table (it is dropped only if it still has this oid and name).';
COMMENT ON COLUMN @extschema@.replaced_data.relname IS 'Its name.';
COMMENT ON COLUMN @extschema@.replaced_data.product_id IS 'The product it held data of.';
COMMENT ON COLUMN @extschema@.replaced_data.kind IS 'replaced or failed.';
COMMENT ON COLUMN @extschema@.replaced_data.replaced_at IS 'When it was replaced.';
COMMENT ON COLUMN @extschema@.replaced_data.attempts IS 'Drops tried that failed.';
COMMENT ON COLUMN @extschema@.replaced_data.last_error IS 'Why the last one failed: the objects of other roles that depend on it (with their owners), or the error.';
COMMENT ON COLUMN @extschema@.replaced_data.last_error_at IS 'When.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.replaced_data', '');
REVOKE ALL ON @extschema@.replaced_data FROM PUBLIC;
GRANT SELECT ON @extschema@.replaced_data TO PUBLIC;
ALTER TABLE @extschema@.replaced_data ENABLE ROW LEVEL SECURITY;
CREATE POLICY replaced_data_visible ON @extschema@.replaced_data FOR SELECT
    USING (EXISTS (SELECT FROM @extschema@.data_product p
                    WHERE p.product_id OPERATOR(pg_catalog.=) replaced_data.product_id
                      AND @extschema@.manages(p.domain_id, p.product_id)));

-- What 0.6.0 left behind, found by exact names.
INSERT INTO @extschema@.replaced_data (relid, relname, product_id, kind)
SELECT c.oid, c.relname, p.product_id,
       CASE WHEN c.relname OPERATOR(pg_catalog.=) (d.relname OPERATOR(pg_catalog.||) '_failed')
            THEN 'failed' ELSE 'replaced' END
  FROM @extschema@.data_product p
  JOIN pg_catalog.pg_class d ON d.oid OPERATOR(pg_catalog.=) p.source_relation
  JOIN pg_catalog.pg_class c ON c.relnamespace OPERATOR(pg_catalog.=) d.relnamespace
                            AND c.relkind OPERATOR(pg_catalog.=) 'r'
 WHERE p.materialize_query IS NOT NULL
   AND (c.relname OPERATOR(pg_catalog.=) (d.relname OPERATOR(pg_catalog.||) '_failed')
        OR c.relname OPERATOR(pg_catalog.=) (d.relname OPERATOR(pg_catalog.||) '_old_'
                                            OPERATOR(pg_catalog.||) pg_catalog.substring(c.relname, '[0-9]+$')))
ON CONFLICT DO NOTHING;

CREATE FUNCTION @extschema@._dependents(rel oid)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT string_agg(DISTINCT CASE WHEN c.oid IS NOT NULL
                         THEN pg_describe_object('pg_class'::regclass, c.oid, 0)
                              || ' (owner ' || quote_ident(pg_get_userbyid(c.relowner)) || ')'
                         ELSE pg_describe_object(d.classid, d.objid, d.objsubid) END, ', ')
    FROM pg_depend d
    LEFT JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
    LEFT JOIN pg_class c ON c.oid = r.ev_class
   WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = rel
     AND d.deptype = 'n' AND r.ev_class IS DISTINCT FROM rel
$$;
COMMENT ON FUNCTION @extschema@._dependents(oid) IS
  'Internal: the objects that depend on a relation, each view or materialized view with its owner, comma-separated; NULL if none.';

CREATE OR REPLACE FUNCTION @extschema@._refresh_cleanup()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
    dropped integer := 0;
BEGIN
    FOR r IN
        SELECT x.relid, c.oid IS NOT NULL AS present,
               CASE WHEN c.oid IS NOT NULL THEN format('%I.%I', n.nspname, c.relname) END AS qname
          FROM @extschema@.replaced_data x
          LEFT JOIN pg_class c ON c.oid = x.relid AND c.relname = x.relname
          LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE x.kind = 'replaced'
            OR NOT EXISTS (SELECT FROM @extschema@.incident i
                            WHERE i.product_id = x.product_id AND i.kind = 'quality'
                              AND i.resolved_at IS NULL)
         ORDER BY x.replaced_at, x.relid
    LOOP
        -- each table on its own: one that cannot go holds back no other
        BEGIN
            IF r.present THEN
                EXECUTE format('DROP TABLE %s', r.qname);
                dropped := dropped + 1;
            END IF;
            DELETE FROM @extschema@.replaced_data WHERE relid = r.relid;
        EXCEPTION WHEN OTHERS THEN
            UPDATE @extschema@.replaced_data
               SET attempts = attempts + 1, last_error_at = now(),
                   last_error = CASE WHEN SQLSTATE = '2BP01'
                                     THEN 'other objects depend on it: ' || @extschema@._dependents(r.relid)
                                     ELSE SQLERRM || ' (SQLSTATE ' || SQLSTATE || ')' END
             WHERE relid = r.relid;
        END;
    END LOOP;
    RETURN dropped;
END
$$;
COMMENT ON FUNCTION @extschema@._refresh_cleanup() IS
  'Internal (the worker, after refreshing): drops the tables dmesh.replaced_data lists (data that refreshes replaced; failed builds of products whose data is good again), each on its own: one that cannot be dropped (another role''s view depends on it, or a lock) stays listed with the reason and holds back no other. Superusers only.';

-------------------------------------------------------------------------------
-- Retirement through other roles' dependents
-------------------------------------------------------------------------------

DROP FUNCTION @extschema@.retire_data_product(text, integer);
CREATE FUNCTION @extschema@.retire_data_product(product text, major integer DEFAULT NULL,
                                                "cascade" boolean DEFAULT false)
RETURNS void
AS 'MODULE_PATHNAME', 'dmesh_retire_data_product'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.retire_data_product(text, integer, boolean) IS
  'Retire a data product (or only an older major version): its published relations are dropped, history kept. Objects of other roles that depend on them make it fail, naming them and their owners, unless cascade is true: then they are dropped with them, as DROP ... CASCADE by the views'' owner would (never another product''s relations), and listed in the event log. Final.';

COMMENT ON FUNCTION @extschema@.derive_contract(text, boolean) IS
  'The contract dmesh would derive from the product''s source as it is now (or from its published relation), as a starting point for a new version. Managers of the product only: it lists the source''s unpublished columns too.';

-------------------------------------------------------------------------------
-- OpenLineage: a relation's dataset name without looking it up
-------------------------------------------------------------------------------

-- to_regclass() of a name in a schema the caller may not use fails: one
-- role's run into its private schema broke openlineage_events() for all.
CREATE OR REPLACE FUNCTION @extschema@._dataset_name(relation text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN relation ~ '^("([^"]|"")+"|[a-z_][a-z0-9_$]*)\.("([^"]|"")+"|[a-z_][a-z0-9_$]*)$'
              THEN array_to_string(parse_ident(relation), '.')
              ELSE relation END
$$;
COMMENT ON FUNCTION @extschema@._dataset_name(text) IS
  'Internal: schema.relation without quotes, for a relation name as dmesh writes it (each part quoted where needed); other text as given. Reads no catalog.';

-------------------------------------------------------------------------------
-- Agreements made before 0.7.0, checked as they would be now
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@._agreement_problems()
RETURNS TABLE (product text, consumer regrole, problem text)
AS 'MODULE_PATHNAME', 'dmesh_agreement_problems'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@._agreement_problems() IS
  'Internal: the live agreements whose row filter dmesh would refuse today (it calls code of an untrusted owner, or holds a constant dmesh cannot read safely), each checked as the role that wrote it. Superusers only. Run by the update to 0.7.0, which warns about each.';
REVOKE ALL ON FUNCTION @extschema@._agreement_problems() FROM PUBLIC;

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT * FROM @extschema@._agreement_problems() LOOP
        RAISE WARNING 'agreement of role % on data product "%" has a row filter dmesh refuses now: %',
                      r.consumer, r.product, r.problem
              USING HINT = 'Revoke it (dmesh.revoke_access), or grant it again with a filter that dmesh accepts.';
    END LOOP;
END
$$;

-------------------------------------------------------------------------------
-- Lineage of CREATE TABLE AS: the query before the planner changes it
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@._lineage_ddl_start()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'dmesh_lineage_ddl_start'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@._lineage_ddl_start() IS
  'Internal, event trigger (ddl_command_start, CREATE TABLE AS and SELECT INTO): keeps the statement''s query as parse analysis left it, for its lineage at the end of the command (by then the planner has changed it in place).';
CREATE EVENT TRIGGER dmesh_lineage_start ON ddl_command_start
    WHEN TAG IN ('CREATE TABLE AS', 'SELECT INTO')
    EXECUTE FUNCTION @extschema@._lineage_ddl_start();

-------------------------------------------------------------------------------
-- One pending request per role and product, even from concurrent sessions
-------------------------------------------------------------------------------

-- Two pending requests that slipped in side by side: the later is kept.
UPDATE @extschema@.access_request r
   SET status = 'denied', decided_at = pg_catalog.now(), decided_by = 'dmesh',
       reason = 'Another pending request of the same role for this product came later (dmesh 0.7.0 keeps one).'
 WHERE r.status OPERATOR(pg_catalog.=) 'pending'
   AND EXISTS (SELECT FROM @extschema@.access_request o
                WHERE o.product_id OPERATOR(pg_catalog.=) r.product_id
                  AND o.requester OPERATOR(pg_catalog.=) r.requester
                  AND o.status OPERATOR(pg_catalog.=) 'pending'
                  AND o.request_id OPERATOR(pg_catalog.>) r.request_id);
CREATE UNIQUE INDEX access_request_one_pending_idx ON @extschema@.access_request (product_id, requester)
    WHERE status OPERATOR(pg_catalog.=) 'pending';

-------------------------------------------------------------------------------
-- The lineage graph, walked by index probes, with runtime lineage in it
-------------------------------------------------------------------------------

-- Relation-level edges (target_column NULL) by either end; open column
-- edges by source column (impact); runtime lineage by target; published
-- relations by name.
CREATE INDEX lineage_edge_rel_source_idx ON @extschema@.lineage_edge (source)
    WHERE target_column IS NULL;
CREATE INDEX lineage_edge_rel_target_idx ON @extschema@.lineage_edge (target)
    WHERE target_column IS NULL;
CREATE INDEX lineage_edge_open_column_idx ON @extschema@.lineage_edge (source, source_column)
    WHERE closed_at IS NULL AND target_column IS NOT NULL;
CREATE INDEX lineage_run_target_idx ON @extschema@.lineage_run (target);
CREATE INDEX output_port_relation_name_idx ON @extschema@.output_port (relation_name);

CREATE FUNCTION @extschema@._relparts(relation text)
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN relation ~ '^("([^"]|"")+"|[a-z_][a-z0-9_$]*)\.("([^"]|"")+"|[a-z_][a-z0-9_$]*)$'
              THEN parse_ident(relation) END
$$;
COMMENT ON FUNCTION @extschema@._relparts(text) IS
  'Internal: {schema, relation} of a relation name as dmesh writes it (schema.relation, each part quoted where needed); NULL for other text.';

CREATE FUNCTION @extschema@._relid(relation text)
RETURNS oid
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT c.oid
    FROM (SELECT @extschema@._relparts(relation) AS p) x
    JOIN pg_namespace n ON n.nspname = x.p[1]::name
    JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = x.p[2]::name
$$;
COMMENT ON FUNCTION @extschema@._relid(text) IS
  'Internal: the relation a name as dmesh writes it names now, or NULL; looked up without permission checks (a name in a schema the caller may not use is no error).';

CREATE FUNCTION @extschema@._lineage_hop(node_types text[], nodes text[], upstream boolean)
RETURNS TABLE (source_type text, source text, target_type text, target text,
               kind text, dependency text, first_seen timestamptz, last_seen timestamptz,
               closed_at timestamptz)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rels text[] := ARRAY(SELECT n.nm FROM unnest(node_types, nodes) AS n(t, nm)
                          WHERE n.t IN ('relation', 'remote'));
    products text[] := ARRAY(SELECT n.nm FROM unnest(node_types, nodes) AS n(t, nm)
                              WHERE n.t = 'product');
BEGIN
    -- Relations are many, products few: edges of relations are found by
    -- index probes per relation; those of products by joining the (few)
    -- products' names with the nodes.
    IF upstream THEN
        RETURN QUERY
        WITH prod AS (
            SELECT d.name || '.' || p.name AS product, d.schema_name, p.product_id,
                   p.created_at, p.updated_at, p.retired_at
              FROM @extschema@.data_product p
              JOIN @extschema@.domain d ON d.domain_id = p.domain_id
        ), src AS (
            -- the products' sources: one per product, or one per object
            SELECT p.*, s.object, s.source_kind, s.source_relation
              FROM prod p JOIN @extschema@.product_sources s ON s.product_id = p.product_id
        )
        -- recorded relation-level edges into the relations
        SELECT CASE WHEN e.source_rel IS NULL AND e.kind = 'foreign_table' THEN 'remote' ELSE 'relation' END,
               e.source, 'relation', e.target, e.kind, e.dependency, e.first_seen, e.last_seen, e.closed_at
          FROM @extschema@.lineage_edge e
         WHERE e.target_column IS NULL AND e.target = ANY (rels)
        UNION ALL
        -- runtime lineage into the relations (the runs the caller may see)
        SELECT 'relation', r.source, 'relation', r.target, r.kind, 'direct',
               min(r.first_seen), max(r.last_seen), NULL::timestamptz
          FROM @extschema@.lineage_run r
         WHERE r.target = ANY (rels)
         GROUP BY r.source, r.target, r.kind
        UNION ALL
        -- a product from its source relations ...
        SELECT 'relation', format('%I.%I', n.nspname, c.relname) COLLATE "default", 'product', p.product,
               'product_source', 'direct', p.created_at, p.updated_at, p.retired_at
          FROM src p
          JOIN pg_class c ON c.oid = p.source_relation
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE p.product = ANY (products) AND p.source_kind = 'relation'
        UNION ALL
        -- ... or, made from a query, from what its published relations read
        SELECT DISTINCT 'relation', e.source, 'product', p.product,
               'product_source', 'direct', p.created_at, p.updated_at, p.retired_at
          FROM src p
          JOIN @extschema@.output_port o ON o.product_id = p.product_id AND o.object IS NOT DISTINCT FROM p.object
          JOIN @extschema@.lineage_edge e
            ON e.target = format('%I.%I', p.schema_name, o.relation_name) COLLATE "default"
           AND e.target_column IS NULL AND e.closed_at IS NULL
         WHERE p.product = ANY (products) AND p.source_kind = 'query'
        UNION ALL
        -- a published relation from its product
        SELECT 'product', p.product, 'relation', x.rel,
               'output_port', 'direct', x.created_at, x.updated_at, x.retired_at
          FROM (SELECT format('%I.%I', d.schema_name, o.relation_name) COLLATE "default" AS rel,
                       o.product_id, o.created_at, o.updated_at, o.retired_at
                  FROM @extschema@.output_port o
                  JOIN @extschema@.data_product dp ON dp.product_id = o.product_id
                  JOIN @extschema@.domain d ON d.domain_id = dp.domain_id) x
          JOIN prod p ON p.product_id = x.product_id
         WHERE x.rel = ANY (rels);
    ELSE
        RETURN QUERY
        WITH prod AS (
            SELECT d.name || '.' || p.name AS product, d.schema_name, p.product_id,
                   p.created_at, p.updated_at, p.retired_at
              FROM @extschema@.data_product p
              JOIN @extschema@.domain d ON d.domain_id = p.domain_id
        ), src AS (
            -- the products' sources: one per product, or one per object
            SELECT p.*, s.object, s.source_kind, s.source_relation
              FROM prod p JOIN @extschema@.product_sources s ON s.product_id = p.product_id
        ), ports AS (
            SELECT format('%I.%I', p.schema_name, o.relation_name) COLLATE "default" AS rel, p.product,
                   p.source_kind, p.created_at, p.updated_at, p.retired_at,
                   o.created_at AS port_created, o.updated_at AS port_updated, o.retired_at AS port_retired
              FROM src p JOIN @extschema@.output_port o ON o.product_id = p.product_id
                                                   AND o.object IS NOT DISTINCT FROM p.object
        )
        -- recorded relation-level edges out of the relations (and remote objects)
        SELECT CASE WHEN e.source_rel IS NULL AND e.kind = 'foreign_table' THEN 'remote' ELSE 'relation' END,
               e.source, 'relation', e.target, e.kind, e.dependency, e.first_seen, e.last_seen, e.closed_at
          FROM @extschema@.lineage_edge e
         WHERE e.target_column IS NULL AND e.source = ANY (rels)
        UNION ALL
        SELECT 'relation', r.source, 'relation', r.target, r.kind, 'direct',
               min(r.first_seen), max(r.last_seen), NULL::timestamptz
          FROM @extschema@.lineage_run r
         WHERE r.source = ANY (rels)
         GROUP BY r.source, r.target, r.kind
        UNION ALL
        -- products whose source a relation is ...
        SELECT 'relation', s.rel, 'product', s.product,
               'product_source', 'direct', s.created_at, s.updated_at, s.retired_at
          FROM (SELECT format('%I.%I', n.nspname, c.relname) COLLATE "default" AS rel, p.*
                  FROM src p
                  JOIN pg_class c ON c.oid = p.source_relation
                  JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE p.source_kind = 'relation') s
         WHERE s.rel = ANY (rels)
        UNION ALL
        -- ... or whose published relations, made from a query, read it
        SELECT DISTINCT 'relation', e.source, 'product', q.product,
               'product_source', 'direct', q.created_at, q.updated_at, q.retired_at
          FROM ports q
          JOIN @extschema@.lineage_edge e ON e.target = q.rel AND e.target_column IS NULL AND e.closed_at IS NULL
         WHERE q.source_kind = 'query' AND e.source = ANY (rels)
        UNION ALL
        -- a product's published relations
        SELECT 'product', q.product, 'relation', q.rel,
               'output_port', 'direct', q.port_created, q.port_updated, q.port_retired
          FROM ports q
         WHERE q.product = ANY (products);
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._lineage_hop(text[], text[], boolean) IS
  'Internal: the node-level edges of dmesh.lineage_graph into (upstream) or out of the given nodes (types relation, remote, product), found by index probes: recorded edges, runtime lineage (as the caller may see it), products'' sources and published relations.';

CREATE OR REPLACE FUNCTION @extschema@.lineage(object text, direction text DEFAULT 'both', depth integer DEFAULT 10)
RETURNS TABLE (source_type text, source text, source_column text,
               target_type text, target text, target_column text,
               kind text, dependency text, subtype text,
               first_seen timestamptz, last_seen timestamptz, closed_at timestamptz, hops integer)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    start_types text[];
    start_names text[];
    up boolean;
    f_types text[];
    f_names text[];
    seen jsonb;                 -- nodes reached, as the keys of an object
    hop integer;
    -- the node-level edges reached (e_) and those of one hop (s_), by column
    e_st text[] := '{}'; e_s text[] := '{}'; e_tt text[] := '{}'; e_t text[] := '{}';
    e_k text[] := '{}'; e_d text[] := '{}'; e_fs timestamptz[] := '{}'; e_ls timestamptz[] := '{}';
    e_ca timestamptz[] := '{}'; e_h integer[] := '{}';
    s_st text[]; s_s text[]; s_tt text[]; s_t text[]; s_k text[]; s_d text[];
    s_fs timestamptz[]; s_ls timestamptz[]; s_ca timestamptz[];
BEGIN
    IF direction IS NULL OR direction NOT IN ('upstream', 'downstream', 'both') THEN
        RAISE EXCEPTION 'invalid lineage direction: %', coalesce(quote_literal(direction), 'NULL')
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Use upstream, downstream or both.';
    END IF;
    IF depth IS NULL OR depth < 1 THEN
        RAISE EXCEPTION 'lineage depth must be at least 1'
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF object IS NULL THEN
        RAISE EXCEPTION 'object must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- A data product: the product and its published relations.
    SELECT array_agg(t ORDER BY o), array_agg(n ORDER BY o) INTO start_types, start_names
      FROM (SELECT 'product' AS t, d.name || '.' || p.name AS n, 0 AS o
              FROM @extschema@.domain d
              JOIN @extschema@.data_product p ON p.domain_id = d.domain_id
                                             AND p.name = substr(lineage.object, length(d.name) + 2)
             WHERE d.name = split_part(lineage.object, '.', 1)
            UNION ALL
            SELECT 'relation', format('%I.%I', d.schema_name, op.relation_name) COLLATE "default", 1
              FROM @extschema@.domain d
              JOIN @extschema@.data_product p ON p.domain_id = d.domain_id
                                             AND p.name = substr(lineage.object, length(d.name) + 2)
              JOIN @extschema@.output_port op ON op.product_id = p.product_id
             WHERE d.name = split_part(lineage.object, '.', 1)) AS s;
    -- A relation (any name PostgreSQL resolves), or a name only edges know.
    IF start_names IS NULL AND to_regclass(lineage.object) IS NOT NULL THEN
        start_types := ARRAY['relation'];
        start_names := ARRAY[@extschema@._relname(to_regclass(lineage.object))];
    END IF;
    IF start_names IS NULL THEN
        SELECT ARRAY[g.t], ARRAY[g.n] INTO start_types, start_names
          FROM (SELECT CASE WHEN e.source_rel IS NULL AND e.kind = 'foreign_table'
                            THEN 'remote' ELSE 'relation' END, e.source
                  FROM @extschema@.lineage_edge e WHERE e.source = object
                UNION ALL
                SELECT 'relation', e.target FROM @extschema@.lineage_edge e WHERE e.target = object
                UNION ALL
                SELECT 'relation', r.source FROM @extschema@.lineage_run r WHERE r.source = object
                UNION ALL
                SELECT 'relation', r.target FROM @extschema@.lineage_run r WHERE r.target = lineage.object) AS g(t, n)
         LIMIT 1;
    END IF;
    IF start_names IS NULL THEN
        RAISE EXCEPTION 'no relation, data product or lineage node named %', quote_literal(lineage.object)
              USING ERRCODE = 'undefined_object',
                    HINT = coalesce('Did you mean "' || @extschema@._suggest_product(lineage.object) || '"?',
                                    'Name a data product as domain.product, or a relation as schema.name.');
    END IF;

    -- Breadth first, one index probe per node and hop: upstream, downstream.
    -- The edges reached are kept in arrays, a column each.
    FOREACH up IN ARRAY CASE direction WHEN 'upstream' THEN ARRAY[true]
                                       WHEN 'downstream' THEN ARRAY[false]
                                       ELSE ARRAY[true, false] END LOOP
        f_types := start_types;
        f_names := start_names;
        seen := (SELECT jsonb_object_agg(t || ':' || n, true) FROM unnest(start_types, start_names) AS s(t, n));
        hop := 0;
        WHILE hop < depth AND cardinality(f_names) > 0 LOOP
            hop := hop + 1;
            SELECT coalesce(array_agg(h.source_type), '{}'), coalesce(array_agg(h.source), '{}'),
                   coalesce(array_agg(h.target_type), '{}'), coalesce(array_agg(h.target), '{}'),
                   coalesce(array_agg(h.kind), '{}'), coalesce(array_agg(h.dependency), '{}'),
                   coalesce(array_agg(h.first_seen), '{}'), coalesce(array_agg(h.last_seen), '{}'),
                   coalesce(array_agg(h.closed_at), '{}')
              INTO s_st, s_s, s_tt, s_t, s_k, s_d, s_fs, s_ls, s_ca
              FROM @extschema@._lineage_hop(f_types, f_names, up) h;
            e_st := e_st || s_st; e_s := e_s || s_s; e_tt := e_tt || s_tt; e_t := e_t || s_t;
            e_k := e_k || s_k; e_d := e_d || s_d; e_fs := e_fs || s_fs; e_ls := e_ls || s_ls;
            e_ca := e_ca || s_ca; e_h := e_h || array_fill(hop, ARRAY[cardinality(s_st)]);
            -- the new frontier: the far ends not seen yet
            SELECT coalesce(array_agg(x.t), '{}'), coalesce(array_agg(x.n), '{}')
              INTO f_types, f_names
              FROM (SELECT DISTINCT u.t, u.n
                      FROM unnest(CASE WHEN up THEN s_st ELSE s_tt END,
                                  CASE WHEN up THEN s_s ELSE s_t END) AS u(t, n)) x
             WHERE NOT seen ? (x.t || ':' || x.n);
            seen := seen || (SELECT coalesce(jsonb_object_agg(t || ':' || n, true), '{}')
                               FROM unnest(f_types, f_names) AS s(t, n));
        END LOOP;
    END LOOP;

    RETURN QUERY
    WITH nodes AS (
        -- each node-level edge once, at its fewest hops
        SELECT e.st, e.s, e.tt, e.t, e.k, e.d, e.fs, e.ls, e.ca, min(e.h) AS h
          FROM unnest(e_st, e_s, e_tt, e_t, e_k, e_d, e_fs, e_ls, e_ca, e_h)
               AS e(st, s, tt, t, k, d, fs, ls, ca, h)
         GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
    ), pairs AS (
        SELECT n.st, n.s, n.t, min(n.h) AS h
          FROM nodes n WHERE n.tt = 'relation' AND n.st <> 'product'
         GROUP BY 1, 2, 3
    )
    SELECT n.st, n.s, NULL::text, n.tt, n.t, NULL::text, n.k, n.d, NULL::text, n.fs, n.ls, n.ca, n.h
      FROM nodes n
    UNION ALL
    -- the column-level edges between the relations reached
    SELECT p.st, e.source, e.source_column, 'relation', e.target, e.target_column,
           e.kind, e.dependency, e.subtype, e.first_seen, e.last_seen, e.closed_at, p.h
      FROM pairs p
      JOIN @extschema@.lineage_edge e ON e.target = p.t AND e.source = p.s
                                     AND e.target_column IS NOT NULL
     ORDER BY 13, 2, 5, 3 NULLS FIRST, 6 NULLS FIRST, 8, 9;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.impact(product text, columns text[] DEFAULT NULL)
RETURNS TABLE (kind text, name text, affected_columns text[], reads bigint, hops integer)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    pid bigint;
    ports text[];
    f_rels text[];
    f_cols text[];
    seen jsonb;                 -- columns reached, as the keys of an object
    reached jsonb := '[]';      -- (rel, col, n) reached downstream
    n integer := 0;
BEGIN
    IF NOT @extschema@.usage_enabled() THEN
        RAISE NOTICE 'usage tracking is off: consumers are those of counts flushed before'
              USING HINT = 'Add dmesh to shared_preload_libraries to count reads.';
    END IF;
    SELECT p.product_id,
           array_agg(format('%I.%I', d.schema_name, o.relation_name) COLLATE "default")
             FILTER (WHERE o.status <> 'retired')
      INTO pid, ports
      FROM @extschema@.domain d
      JOIN @extschema@.data_product p ON p.domain_id = d.domain_id
                                     AND p.name = substr(impact.product, length(d.name) + 2)
      LEFT JOIN @extschema@.output_port o ON o.product_id = p.product_id
     WHERE d.name = split_part(impact.product, '.', 1)
     GROUP BY p.product_id;
    IF pid IS NULL THEN
        RAISE EXCEPTION 'data product % does not exist', quote_literal(impact.product)
              USING ERRCODE = 'undefined_object',
                    HINT = coalesce('Did you mean "' || @extschema@._suggest_product(impact.product) || '"?',
                                    'Name it as domain.product; dmesh.marketplace lists them.');
    END IF;

    -- The published columns in question (all of them when columns is NULL).
    SELECT coalesce(array_agg(r), '{}'), coalesce(array_agg(a.attname::text), '{}') INTO f_rels, f_cols
      FROM unnest(ports) AS r
      JOIN pg_attribute a ON a.attrelid = @extschema@._relid(r) AND a.attnum > 0 AND NOT a.attisdropped
     WHERE impact.columns IS NULL OR a.attname::text = ANY (impact.columns);
    seen := (SELECT coalesce(jsonb_object_agg(r || ':' || c, true), '{}') FROM unnest(f_rels, f_cols) AS x(r, c));

    -- Downstream, column by column through open edges (one index probe per
    -- column and hop), and through runtime lineage (which knows no columns:
    -- every column of a relation written from an affected one).
    WHILE n < 10 AND cardinality(f_rels) > 0 LOOP
        n := n + 1;
        SELECT coalesce(array_agg(x.r), '{}'), coalesce(array_agg(x.c), '{}') INTO f_rels, f_cols
          FROM (SELECT DISTINCT e.target AS r, e.target_column AS c
                  FROM unnest(f_rels, f_cols) AS f(r, c)
                  JOIN @extschema@.lineage_edge e
                    ON e.source = f.r AND e.source_column = f.c
                   AND e.closed_at IS NULL AND e.target_column IS NOT NULL
                UNION
                SELECT lr.target, a.attname::text
                  FROM (SELECT DISTINCT f.r FROM unnest(f_rels) AS f(r)) f
                  JOIN @extschema@.lineage_run lr ON lr.source = f.r
                  JOIN pg_attribute a ON a.attrelid = @extschema@._relid(lr.target)
                                     AND a.attnum > 0 AND NOT a.attisdropped) x
         WHERE NOT seen ? (x.r || ':' || x.c);
        seen := seen || (SELECT coalesce(jsonb_object_agg(r || ':' || c, true), '{}')
                           FROM unnest(f_rels, f_cols) AS x(r, c));
        reached := reached || (SELECT coalesce(jsonb_agg(jsonb_build_object('rel', r, 'col', c, 'n', n)), '[]')
                                 FROM unnest(f_rels, f_cols) AS x(r, c));
    END LOOP;

    RETURN QUERY
    WITH reach AS (
        SELECT x.rel, x.col, x.n FROM jsonb_to_recordset(reached) AS x(rel text, col text, n integer)
    ), relations AS (
        SELECT r.rel, array_agg(DISTINCT r.col ORDER BY r.col) AS cols, min(r.n) AS n
          FROM reach r GROUP BY r.rel
    ), products AS (
        -- products whose source is an affected relation, or whose
        -- published relations (made from a query) read one
        SELECT d.name || '.' || p.name AS name, min(r.n) + 1 AS n
          FROM relations r
          JOIN @extschema@.product_sources s ON s.source_relation = @extschema@._relid(r.rel)
                                            AND s.source_kind = 'relation'
          JOIN @extschema@.data_product p ON p.product_id = s.product_id
          JOIN @extschema@.domain d ON d.domain_id = p.domain_id
         GROUP BY 1
        UNION
        SELECT d.name || '.' || p.name, min(r.n) + 1
          FROM relations r
          JOIN @extschema@.lineage_edge e ON e.source = r.rel AND e.target_column IS NULL AND e.closed_at IS NULL
          JOIN @extschema@.output_port o ON o.relation_name = (@extschema@._relparts(e.target))[2]::name
          JOIN @extschema@.product_sources s ON s.product_id = o.product_id AND s.object IS NOT DISTINCT FROM o.object
                                            AND s.source_kind = 'query'
          JOIN @extschema@.data_product p ON p.product_id = o.product_id
          JOIN @extschema@.domain d ON d.domain_id = p.domain_id
                                   AND d.schema_name = (@extschema@._relparts(e.target))[1]::name
         GROUP BY 1
        UNION
        -- products (made from a query) whose published relation is itself
        -- an affected relation
        SELECT d.name || '.' || p.name, min(r.n)
          FROM relations r
          JOIN @extschema@.domain d ON d.schema_name = (@extschema@._relparts(r.rel))[1]::name
          JOIN @extschema@.output_port o ON o.relation_name = (@extschema@._relparts(r.rel))[2]::name
                                        AND o.status <> 'retired'
          JOIN @extschema@.data_product p ON p.product_id = o.product_id AND p.domain_id = d.domain_id
         WHERE p.product_id <> pid
         GROUP BY 1
    ), products_min AS (
        SELECT p.name, min(p.n) AS n FROM products p GROUP BY p.name
    ), affected_products AS (
        SELECT pid AS product_id, 0 AS n
        UNION ALL
        SELECT p.product_id, ap.n FROM products_min ap
          JOIN @extschema@.domain d ON d.name = split_part(ap.name, '.', 1)
          JOIN @extschema@.data_product p ON p.domain_id = d.domain_id
                                         AND p.name = substr(ap.name, length(d.name) + 2)
    ), consumer_rows AS (
        SELECT u.consumer::text AS name, u.queries, ap.n,
               CASE WHEN ap.n = 0 AND impact.columns IS NOT NULL
                    THEN ARRAY(SELECT unnest(u.columns) INTERSECT SELECT unnest(impact.columns))
                    ELSE u.columns END AS cols
          FROM affected_products ap
          JOIN @extschema@.usage_daily u ON u.product_id = ap.product_id
         WHERE u.day > CURRENT_DATE - 30
           AND (ap.n > 0 OR impact.columns IS NULL OR u.columns && impact.columns)
    ), consumers AS (
        SELECT cr.name, sum(cr.queries)::bigint AS reads, min(cr.n) AS n,
               ARRAY(SELECT DISTINCT c FROM consumer_rows cr2, unnest(cr2.cols) AS c
                      WHERE cr2.name = cr.name ORDER BY 1) AS cols
          FROM consumer_rows cr GROUP BY cr.name
    )
    SELECT 'relation'::text, r.rel, r.cols, NULL::bigint, r.n FROM relations r
    UNION ALL
    SELECT 'product', p.name, NULL, NULL, p.n FROM products_min p
    UNION ALL
    SELECT 'consumer', c.name, c.cols, c.reads, c.n FROM consumers c
    ORDER BY 5, 1, 2;
END
$$;
COMMENT ON FUNCTION @extschema@.impact(text, text[]) IS
  'What a change to a product (or to some of its published columns) would affect: the relations derived from them, column by column through the lineage (and through runtime lineage: every column of a relation written from an affected one), the products built on those relations, and the consumer roles that read the affected columns (of the product, or any of those products) in the last 30 days, with their reads. Walked by index probes, at most 10 hops.';

-- The whole graph, runtime lineage included; as the caller may see it
-- (runtime lineage has row-level security: the view runs as its reader).
CREATE OR REPLACE VIEW @extschema@.lineage_graph WITH (security_invoker = true) AS
SELECT CASE WHEN e.source_rel IS NULL AND e.kind OPERATOR(pg_catalog.=) 'foreign_table'
            THEN 'remote' ELSE 'relation' END AS source_type,
       COALESCE(@extschema@._relname(e.source_rel), e.source) AS source,
       e.source_column,
       'relation'::text AS target_type,
       COALESCE(@extschema@._relname(e.target_rel), e.target) AS target,
       e.target_column, e.kind, e.dependency, e.subtype, e.first_seen, e.last_seen, e.closed_at
  FROM @extschema@.lineage_edge e
UNION ALL
SELECT 'relation', @extschema@._relname(s.source_relation), NULL, 'product', d.name OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) p.name,
       NULL, 'product_source', 'direct', NULL, p.created_at, p.updated_at, p.retired_at
  FROM @extschema@.data_product p JOIN @extschema@.domain d USING (domain_id)
  JOIN @extschema@.product_sources s ON s.product_id OPERATOR(pg_catalog.=) p.product_id
 WHERE s.source_kind OPERATOR(pg_catalog.=) 'relation' AND s.source_relation IS NOT NULL
UNION ALL
-- a product made from a query reads what its published relations read
SELECT DISTINCT 'relation', COALESCE(@extschema@._relname(e.source_rel), e.source), NULL::text, 'product',
       d.name OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) p.name, NULL::text, 'product_source',
       'direct', NULL::text, p.created_at, p.updated_at, p.retired_at
  FROM @extschema@.data_product p
  JOIN @extschema@.domain d ON d.domain_id OPERATOR(pg_catalog.=) p.domain_id
  JOIN @extschema@.output_port o ON o.product_id OPERATOR(pg_catalog.=) p.product_id
  JOIN @extschema@.product_sources s ON s.product_id OPERATOR(pg_catalog.=) p.product_id
                                     AND s.object IS NOT DISTINCT FROM o.object
  JOIN @extschema@.lineage_edge e
    ON e.target OPERATOR(pg_catalog.=) pg_catalog.format('%I.%I', d.schema_name, o.relation_name) COLLATE "default"
   AND e.closed_at IS NULL AND e.source_column IS NULL AND e.target_column IS NULL
 WHERE s.source_kind OPERATOR(pg_catalog.=) 'query'
UNION ALL
SELECT 'product', d.name OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) p.name, NULL,
       'relation', pg_catalog.format('%I.%I', d.schema_name, o.relation_name) COLLATE "default",
       NULL, 'output_port', 'direct', NULL, o.created_at, o.updated_at, o.retired_at
  FROM @extschema@.output_port o
  JOIN @extschema@.data_product p USING (product_id)
  JOIN @extschema@.domain d ON d.domain_id OPERATOR(pg_catalog.=) p.domain_id
UNION ALL
-- runtime lineage: statements that wrote one relation from another
SELECT 'relation', r.source, NULL, 'relation', r.target, NULL, r.kind, 'direct', NULL,
       pg_catalog.min(r.first_seen), pg_catalog.max(r.last_seen), NULL
  FROM @extschema@.lineage_run r
 GROUP BY r.source, r.target, r.kind;
COMMENT ON VIEW @extschema@.lineage_graph IS
  'The whole lineage graph: the edges of dmesh.lineage_edge under current names, data products as nodes (source relation -> product (product_source; for a product made from a query, the relations its published relations read), product -> each published relation (output_port)), and runtime lineage (relation -> relation, kind insert, update, delete, merge, create_table_as or refresh_materialized_view: statements that wrote one from the other, as far as the caller may see them).';
COMMENT ON COLUMN @extschema@.lineage_graph.kind IS 'view, materialized_view, create_table_as, foreign_table (recorded), product_source, output_port (from the products); insert, update, delete, merge, create_table_as, refresh_materialized_view (runtime).';

-------------------------------------------------------------------------------
-- The quality scan: only the tested columns, any number of them
-------------------------------------------------------------------------------

-- It took every property's column as an argument, so a contract of more
-- than 98 properties could not be checked.  Now a list of the tested
-- properties comes first; past FUNC_MAX_ARGS the columns come as one row.
DROP AGGREGATE @extschema@._quality_scan(jsonb, VARIADIC "any");
DROP FUNCTION @extschema@._quality_scan_step(internal, jsonb, VARIADIC "any");
CREATE FUNCTION @extschema@._quality_scan_step(internal, jsonb, integer[], VARIADIC "any")
RETURNS internal
AS 'MODULE_PATHNAME', 'dmesh_quality_scan_step'
LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@._quality_scan_step(internal, jsonb, integer[], VARIADIC "any") IS
  'Internal: transition function of dmesh._quality_scan.';
CREATE AGGREGATE @extschema@._quality_scan(contract jsonb, columns integer[], VARIADIC "any") (
    SFUNC = @extschema@._quality_scan_step,
    STYPE = internal,
    FINALFUNC = @extschema@._quality_scan_final,
    COMBINEFUNC = @extschema@._quality_scan_combine,
    SERIALFUNC = @extschema@._quality_scan_serialize,
    DESERIALFUNC = @extschema@._quality_scan_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@._quality_scan(jsonb, integer[], VARIADIC "any") IS
  'Internal to dmesh.check_product: tests every row against every rule of a contract in one pass; "columns" lists the tested properties (0-based, ascending) and the arguments after it are their columns, or one row of them when there are more than a function takes.';

-------------------------------------------------------------------------------
-- Catalog text brought up to date
-------------------------------------------------------------------------------

-- search() returns marketplace rows, as it did up to 0.3.0: the columns
-- the marketplace gained since (consumers_30d, reads_30d, open_incidents).
-- The marketplace names the object each relation publishes.
CREATE OR REPLACE VIEW @extschema@.marketplace AS
SELECT d.name                AS domain,
       p.name                AS product,
       p.description,
       p.owner,
       CASE WHEN port.status OPERATOR(pg_catalog.=) 'deprecated' THEN 'deprecated'
            ELSE p.status END AS status,
       p.tags,
       port.version,
       cols.columns,
       c.oid::pg_catalog.regclass AS relation,
       p.deprecation_reason,
       p.sunset,
       p.created_at,
       p.updated_at,
       p.published_at,
       port.major,
       k.status              AS contract_status,
       k.document            AS contract,
       qr.score              AS quality_score,
       qr.finished_at        AS quality_checked_at,
       COALESCE(u.consumers, 0) AS consumers_30d,
       COALESCE(u.reads, 0)     AS reads_30d,
       (SELECT pg_catalog.count(*) FROM @extschema@.incident i
         WHERE i.product_id OPERATOR(pg_catalog.=) p.product_id AND i.resolved_at IS NULL) AS open_incidents,
       port.object
  FROM @extschema@.data_product p
  JOIN @extschema@.domain d ON d.domain_id OPERATOR(pg_catalog.=) p.domain_id
  JOIN @extschema@.output_port port
    ON port.product_id OPERATOR(pg_catalog.=) p.product_id
   AND port.status OPERATOR(pg_catalog.<>) 'retired'
  LEFT JOIN @extschema@.contract k
    ON k.product_id OPERATOR(pg_catalog.=) p.product_id
   AND k.version OPERATOR(pg_catalog.=) port.version
  LEFT JOIN pg_catalog.pg_namespace n ON n.nspname OPERATOR(pg_catalog.=) d.schema_name
  LEFT JOIN pg_catalog.pg_class c
    ON c.relnamespace OPERATOR(pg_catalog.=) n.oid
   AND c.relname OPERATOR(pg_catalog.=) port.relation_name
  LEFT JOIN LATERAL (
        SELECT pg_catalog.jsonb_agg(
                   pg_catalog.jsonb_build_object(
                       'name', a.attname,
                       'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
                       'description', pg_catalog.col_description(a.attrelid, a.attnum))
                   ORDER BY a.attnum) AS columns
          FROM pg_catalog.pg_attribute a
         WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid
           AND a.attnum OPERATOR(pg_catalog.>) 0
           AND NOT a.attisdropped) cols ON true
  LEFT JOIN LATERAL (
        SELECT q.score, q.finished_at FROM @extschema@.quality_run q
         WHERE q.product_id OPERATOR(pg_catalog.=) p.product_id
         ORDER BY q.run_id DESC LIMIT 1) qr ON true
  LEFT JOIN LATERAL (
        SELECT pg_catalog.count(DISTINCT ud.consumer) AS consumers, pg_catalog.sum(ud.queries)::bigint AS reads
          FROM @extschema@.usage_daily ud
         WHERE ud.product_id OPERATOR(pg_catalog.=) p.product_id
           AND ud.day OPERATOR(pg_catalog.>) (CURRENT_DATE OPERATOR(pg_catalog.-) 30)) u ON true
 WHERE p.status OPERATOR(pg_catalog.=) ANY (ARRAY['published', 'deprecated']);
COMMENT ON COLUMN @extschema@.marketplace.object IS 'The contract object the relation publishes, for a product with several objects (one row per object and major version); NULL for a product with one.';
COMMENT ON VIEW @extschema@.marketplace IS
  'Published and deprecated data products, one row per live published relation (major version, and object for a product with several), with their columns and contract. Readable by every role: metadata is discoverable, data is not.';

COMMENT ON FUNCTION @extschema@.lineage(text, text, integer) IS
  'Lineage edges around a data product (domain.product), a relation or a node known from history, upstream, downstream or both, up to depth hops: relation-level and column-level edges, closed ones included, and runtime lineage the caller may see (relation-level, kind insert, update, delete, merge, create_table_as or refresh_materialized_view), with the hop count of each. Walked one hop at a time by index probes.';
COMMENT ON COLUMN @extschema@.event_log.action IS
  'What happened: create_domain, create_data_product, publish, republish, deprecate, retire, grant_access, revoke_access, set_contract, set_contract_gate, contract_breach, enforce_contract, release_quarantine, discard_quarantine, request_access, approve_access, deny_access, create_policy, drop_policy, policy_violation, set_schedule, refresh, refresh_failed, ddl (DDL on a product''s source or published relation: details hold the command tag, the relation, the objects changed and the statement).';

-------------------------------------------------------------------------------
-- Contracts as teams edit them
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.contract_document(product text, version text DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'dmesh_contract_document'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.contract_document(text, text) IS
  'A product''s contract as a jsonb document, ready for jsonb_set and set_contract: the active version, or the version given.';
COMMENT ON COLUMN @extschema@.contract.derived IS
  'True when dmesh wrote the contract from the source because the product came without one. A derived contract stands in until the team sets one: the team''s first contract replaces it whatever its version, and contracts the team wrote are active before derived ones.';

DROP FUNCTION @extschema@.create_data_product(text, text, text, text, regrole, text[], text, interval, boolean);
CREATE FUNCTION @extschema@.create_data_product(
    domain text,
    name text,
    source text DEFAULT NULL,
    description text DEFAULT NULL,
    owner regrole DEFAULT NULL,
    tags text[] DEFAULT '{}',
    contract text DEFAULT NULL,
    refresh interval DEFAULT NULL,
    materialize boolean DEFAULT false,
    sources jsonb DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dmesh_create_data_product'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.create_data_product(text, text, text, text, regrole, text[], text, interval, boolean, jsonb) IS
  'Create a draft data product in a domain from a relation name or a SELECT query, with its contract (YAML or JSON) or one derived from the source. Without a source, each object of the contract is read from the relation its physicalName names, or from sources (a jsonb object mapping object names to relations or queries); a contract with several objects publishes one relation per object. With materialize, a query is materialized into a table of the product (refreshed by dmesh.refresh_product, and by the worker every refresh). Returns the product_id.';

DROP FUNCTION @extschema@.product_relation(text, integer);
CREATE FUNCTION @extschema@.product_relation(product text, major integer DEFAULT NULL, object text DEFAULT NULL)
RETURNS regclass
AS 'MODULE_PATHNAME', 'dmesh_product_relation'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.product_relation(text, integer, text) IS
  'The relation consumers query for a published or deprecated data product: of the given major version, or of the current one; for a product with several objects, of the object named.';



-------------------------------------------------------------------------------
-- Quality rules not run here
-------------------------------------------------------------------------------

-- What ODCS allows and dmesh cannot run (custom rules of other engines,
-- formats such as yyyy-MM-dd, ODCS v3.0 rules without the bounds they
-- need) is kept as a rule whose result has passed NULL, counted apart:
-- neither passed nor failed.
ALTER TABLE @extschema@.quality_run ADD COLUMN not_run integer NOT NULL DEFAULT 0;
ALTER TABLE @extschema@.quality_result ALTER COLUMN passed DROP NOT NULL;
COMMENT ON COLUMN @extschema@.quality_run.rules IS 'Rules run: passed and failed (rules not run here are in not_run).';
COMMENT ON COLUMN @extschema@.quality_run.score IS
  'Share of passed rules among the rules run, in percent, weighted by severity (error 3, warning 2, info 1); NULL when no rule was run.';
COMMENT ON COLUMN @extschema@.quality_run.not_run IS
  'Rules of the contract not run here (custom rules, formats dmesh does not check, ODCS v3.0 rules without what they need): neither passed nor failed.';
COMMENT ON COLUMN @extschema@.quality_result.metric IS 'nullValues, missingValues, invalidValues, duplicateValues, rowCount, sql or custom (or, for an ODCS v3.0 library rule dmesh does not know, its name).';
COMMENT ON COLUMN @extschema@.quality_result.passed IS 'Whether the rule passed. A rule that could not be evaluated did not; a rule not run here is NULL (expected says why).';
COMMENT ON COLUMN @extschema@.quality_result.expected IS 'The rule''s operators and thresholds, e.g. "= 0" or "< 5%"; for a rule not run here, "not run here: " and why.';
COMMENT ON FUNCTION @extschema@.check_product(text) IS
  'Evaluate every rule of the product''s active contract over its data, in one scan (sql rules run as their own queries); store and return the results. A rule not run here has passed NULL and says why in expected.';
COMMENT ON FUNCTION @extschema@.enforce_contract(text, text) IS
  'Hold writes to the product''s source table to its contract: reject, quarantine or warn; off removes the trigger. Returns each rule and how a write is checked against it, or why it is not run here.';

CREATE OR REPLACE VIEW @extschema@.quality_score AS
SELECT d.name AS domain,
       p.name AS product,
       r.score,
       r.rules,
       r.passed,
       r.failed,
       r.rows_checked,
       r.contract_version,
       r.finished_at AS checked_at,
       r.run_id,
       r.not_run
  FROM @extschema@.data_product p
  JOIN @extschema@.domain d ON d.domain_id OPERATOR(pg_catalog.=) p.domain_id
  JOIN LATERAL (SELECT q.* FROM @extschema@.quality_run q
                 WHERE q.product_id OPERATOR(pg_catalog.=) p.product_id
                 ORDER BY q.run_id DESC LIMIT 1) r ON true;
COMMENT ON COLUMN @extschema@.quality_score.score IS 'Passed rules among the rules run, in percent, weighted by severity (error 3, warning 2, info 1).';
COMMENT ON COLUMN @extschema@.quality_score.rules IS 'Rules run: passed and failed.';
COMMENT ON COLUMN @extschema@.quality_score.not_run IS 'Rules not run here: neither passed nor failed.';

-------------------------------------------------------------------------------
-- Quality of products with several objects: results name their object
-------------------------------------------------------------------------------

ALTER TABLE @extschema@.quality_result ADD COLUMN object text;
COMMENT ON COLUMN @extschema@.quality_result.object IS 'The contract object the rule is on, for a product with several objects; NULL for a product with one.';
DROP FUNCTION @extschema@.check_product(text);
CREATE FUNCTION @extschema@.check_product(product text)
RETURNS TABLE (rule text, property text, metric text, passed boolean, observed numeric,
               expected text, rows_checked bigint, severity text, object text)
AS 'MODULE_PATHNAME', 'dmesh_check_product'
LANGUAGE C STRICT;
COMMENT ON FUNCTION @extschema@.check_product(text) IS
  'Evaluate every rule of the product''s active contract over its data, in one scan per object (sql rules run as their own queries); store and return the results. A rule not run here has passed NULL and says why in expected; object names the contract object of a product with several.';
DROP FUNCTION @extschema@.enforce_contract(text, text);
CREATE FUNCTION @extschema@.enforce_contract(product text, mode text DEFAULT 'reject')
RETURNS TABLE (rule text, property text, checked text, object text)
AS 'MODULE_PATHNAME', 'dmesh_enforce_contract'
LANGUAGE C STRICT;
COMMENT ON FUNCTION @extschema@.enforce_contract(text, text) IS
  'Hold writes to the product''s source tables to its contract: reject, quarantine or warn; off removes the triggers. Returns each rule and how a write is checked against it, or why it is not run here; object names the contract object of a product with several.';
CREATE OR REPLACE VIEW @extschema@.enforcement AS
SELECT d.name AS domain,
       p.name AS product,
       t.tgrelid::pg_catalog.regclass AS relation,
       pg_catalog.split_part(pg_catalog.encode(t.tgargs, 'escape'), '\000', 2) AS mode
  FROM @extschema@.data_product p
  JOIN @extschema@.domain d ON d.domain_id OPERATOR(pg_catalog.=) p.domain_id
  JOIN @extschema@.product_sources s ON s.product_id OPERATOR(pg_catalog.=) p.product_id
  JOIN pg_catalog.pg_trigger t
    ON t.tgrelid OPERATOR(pg_catalog.=) s.source_relation::pg_catalog.oid
   AND t.tgname OPERATOR(pg_catalog.=) ('zz_dmesh_contract_' OPERATOR(pg_catalog.||) p.product_id);

-------------------------------------------------------------------------------
-- Properties of every object of the schema held (several objects, or a
-- schema left to the source): search, metadata, masking, freshness
-------------------------------------------------------------------------------

CREATE OR REPLACE VIEW @extschema@.product_metadata AS
SELECT p.product_id,
       d.name AS domain,
       p.name AS product,
       p.description,
       p.owner,
       p.status,
       p.tags,
       p.version,
       k.document OPERATOR(pg_catalog.#>>) '{description,purpose}' AS purpose,
       k.document OPERATOR(pg_catalog.#>>) '{description,usage}' AS usage,
       (SELECT pg_catalog.count(*)::integer
          FROM pg_catalog.jsonb_path_query(COALESCE(k.held_schema, k.document OPERATOR(pg_catalog.->) 'schema'), '$[*].properties[*]')) AS properties,
       (SELECT pg_catalog.array_agg(DISTINCT e OPERATOR(pg_catalog.->>) 'classification')
          FROM pg_catalog.jsonb_path_query(COALESCE(k.held_schema, k.document OPERATOR(pg_catalog.->) 'schema'), '$[*].properties[*]') e
         WHERE e OPERATOR(pg_catalog.?) 'classification') AS classifications,
       EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(
                   COALESCE(k.document OPERATOR(pg_catalog.->) 'slaProperties', '[]'::jsonb)) s
                WHERE s OPERATOR(pg_catalog.->>) 'property' OPERATOR(pg_catalog.=) 'freshness') AS has_freshness_sla,
       @extschema@._rule_count(p.product_id) AS quality_rules,
       k.document AS contract
  FROM @extschema@.data_product p
  JOIN @extschema@.domain d ON d.domain_id OPERATOR(pg_catalog.=) p.domain_id
  LEFT JOIN @extschema@.contract k ON k.product_id OPERATOR(pg_catalog.=) p.product_id
                                  AND k.version OPERATOR(pg_catalog.=) p.version;

CREATE OR REPLACE VIEW @extschema@.masking AS
SELECT d.name AS domain,
       p.name AS product,
       prop OPERATOR(pg_catalog.->>) 'name' AS property,
       prop OPERATOR(pg_catalog.->>) 'classification' AS classification,
       pol.name AS policy,
       pol.rule OPERATOR(pg_catalog.->>) 'mask' AS mask
  FROM @extschema@.data_product p
  JOIN @extschema@.domain d ON d.domain_id OPERATOR(pg_catalog.=) p.domain_id
  JOIN @extschema@.contract k ON k.product_id OPERATOR(pg_catalog.=) p.product_id
                             AND k.version OPERATOR(pg_catalog.=) p.version
  CROSS JOIN LATERAL pg_catalog.jsonb_path_query(COALESCE(k.held_schema, k.document OPERATOR(pg_catalog.->) 'schema'), '$[*].properties[*]') prop
  LEFT JOIN LATERAL (
        SELECT pl.name, pl.rule FROM @extschema@.policy pl
         WHERE pl.kind OPERATOR(pg_catalog.=) 'masking'
           AND pl.rule OPERATOR(pg_catalog.->>) 'classification' OPERATOR(pg_catalog.=) (prop OPERATOR(pg_catalog.->>) 'classification')
           AND (pl.product_id OPERATOR(pg_catalog.=) p.product_id
                OR (pl.product_id IS NULL AND pl.domain_id OPERATOR(pg_catalog.=) p.domain_id)
                OR (pl.product_id IS NULL AND pl.domain_id IS NULL))
         ORDER BY (pl.product_id IS NULL), (pl.domain_id IS NULL)
         LIMIT 1) pol ON true
 WHERE prop OPERATOR(pg_catalog.?) 'classification';

CREATE OR REPLACE FUNCTION @extschema@._watch_freshness()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
    watched integer := 0;
BEGIN
    FOR r IN
        SELECT p.product_id, d.name || '.' || p.name AS ref,
               coalesce(s.freshness,
                        @extschema@._sla_interval((sla ->> 'value')::numeric, sla ->> 'unit')) AS limit_age,
               sla ->> 'element' AS element,
               EXISTS (SELECT FROM jsonb_path_query(coalesce(k.held_schema, k.document -> 'schema', '[]'), '$[*].properties[*]') pr
                        WHERE pr ->> 'name' = regexp_replace(sla ->> 'element', '^.*\.', '')
                          AND lower(pr ->> 'classification') IN ('pii', 'restricted')) AS masked
          FROM @extschema@.data_product p
          JOIN @extschema@.domain d ON d.domain_id = p.domain_id
          LEFT JOIN @extschema@.schedule s ON s.product_id = p.product_id
          LEFT JOIN @extschema@.contract k ON k.product_id = p.product_id AND k.version = p.version
          LEFT JOIN LATERAL (
                SELECT e AS sla FROM jsonb_array_elements(coalesce(k.document -> 'slaProperties', '[]')) e
                 WHERE e ->> 'property' = 'freshness' LIMIT 1) f ON true
         WHERE p.status IN ('published', 'deprecated')
           AND (s.freshness IS NOT NULL OR f.sla IS NOT NULL)
    LOOP
        DECLARE
            newest timestamptz := @extschema@._newest_data(r.ref, r.element);
        BEGIN
            CONTINUE WHEN newest IS NULL OR r.limit_age IS NULL;    -- age unknown
            -- the age of a masked column's newest value would tell the value
            PERFORM @extschema@._incident(r.product_id, 'freshness', now() - newest > r.limit_age,
                                          CASE WHEN r.masked
                                               THEN jsonb_build_object('limit', r.limit_age::text)
                                               ELSE jsonb_build_object('newest_data', newest,
                                                                       'age', (now() - newest)::text,
                                                                       'limit', r.limit_age::text) END);
            watched := watched + 1;
        END;
    END LOOP;
    RETURN watched;
END
$$;

-------------------------------------------------------------------------------
-- Messages that guide: what each role may read of a product and how to ask
-- for more; "Did you mean" for unknown product names; refresh_product
-- truthful about drafts
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@._suggest_product(product text)
RETURNS text
AS 'MODULE_PATHNAME', 'dmesh_suggest_product'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION @extschema@._suggest_product(text) IS
  'Internal: the one data product (domain.product, not retired) whose name is a typo away from the one given, or NULL: the "Did you mean" hint of errors about unknown products.';

-- What the calling role may read of each product, in one word.  A view,
-- not a function: it reads agreements and requests as its owner, with no
-- row-level security to evaluate for each of them, so the marketplace
-- stays cheap; pg_has_role() asks about the role reading it, and only its
-- own agreements and requests decide.
CREATE VIEW @extschema@._access AS
SELECT p.product_id,
       CASE
           WHEN pg_catalog.pg_has_role(p.owner::pg_catalog.oid, 'USAGE') THEN 'owner'
           WHEN pg_catalog.pg_has_role(d.owner::pg_catalog.oid, 'USAGE') THEN 'manager'
           WHEN EXISTS (SELECT FROM @extschema@.access_grant g
                         WHERE g.product_id OPERATOR(pg_catalog.=) p.product_id
                           AND pg_catalog.pg_has_role(g.consumer::pg_catalog.oid, 'USAGE')
                           AND (g.expires_at IS NULL
                                OR g.expires_at OPERATOR(pg_catalog.>) pg_catalog.statement_timestamp()))
                THEN 'granted'
           WHEN EXISTS (SELECT FROM @extschema@.access_request r
                         WHERE r.product_id OPERATOR(pg_catalog.=) p.product_id
                           AND r.status OPERATOR(pg_catalog.=) 'pending'
                           AND pg_catalog.pg_has_role(r.requester::pg_catalog.oid, 'USAGE'))
                THEN 'pending'
           ELSE COALESCE(
               -- no live agreement: one that expired, or a denial, whichever is later
               (SELECT CASE WHEN e.expired_at OPERATOR(pg_catalog.>=)
                                 COALESCE(r.decided_at, '-infinity'::pg_catalog.timestamptz) THEN 'expired'
                            WHEN r.status OPERATOR(pg_catalog.=) 'denied' THEN 'denied' END
                  FROM (SELECT pg_catalog.max(g.expires_at) AS expired_at
                          FROM @extschema@.access_grant g
                         WHERE g.product_id OPERATOR(pg_catalog.=) p.product_id
                           AND pg_catalog.pg_has_role(g.consumer::pg_catalog.oid, 'USAGE')) e
                  LEFT JOIN LATERAL (
                       SELECT r.status, r.decided_at FROM @extschema@.access_request r
                        WHERE r.product_id OPERATOR(pg_catalog.=) p.product_id
                          AND r.status OPERATOR(pg_catalog.<>) 'pending'
                          AND pg_catalog.pg_has_role(r.requester::pg_catalog.oid, 'USAGE')
                        ORDER BY r.decided_at DESC NULLS LAST, r.request_id DESC
                        LIMIT 1) r ON true),
               'none') END AS access
  FROM @extschema@.data_product p
  JOIN @extschema@.domain d ON d.domain_id OPERATOR(pg_catalog.=) p.domain_id;
COMMENT ON VIEW @extschema@._access IS
  'Internal: what the role reading it may read of each data product, in one word: the access column of dmesh.marketplace and dmesh.access_status. Decided by the agreements and requests of the roles whose privileges the reader has, and by no other.';
COMMENT ON COLUMN @extschema@._access.product_id IS 'The data product.';
COMMENT ON COLUMN @extschema@._access.access IS
  'owner (the reader has the privileges of the product''s owner; superusers too), manager (of the domain''s owner: it manages the product, and reads every row once it holds SELECT), granted (an agreement, not expired), pending (no agreement; a request waits), expired (its agreement expired), denied (its latest request was denied, after any expiry), none.';
GRANT SELECT ON @extschema@._access TO PUBLIC;

CREATE FUNCTION @extschema@.access_status(product text)
RETURNS TABLE (relation regclass, object text, major integer, access text, row_filter text,
               masked text[], expires_at timestamptz, next_step text)
AS 'MODULE_PATHNAME', 'dmesh_access_status'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION @extschema@.access_status(text) IS
  'What the calling role may read of a data product, and how to ask for the rest: one row per live published relation (relation, its object for a product with several, its major version; one row with these NULL when none is published), with access (owner, manager, granted, pending, expired, denied or none; as in dmesh.marketplace), row_filter (the rows the caller''s own agreement lets it see there; NULL for all, or without an agreement), masked (the columns it sees masked there; empty for owners and managers, NULL when it reads nothing there), expires_at (of its agreement, live or expired) and next_step (a statement to run: SELECT dmesh.request_access(...), dmesh.publish_data_product(...) for a draft''s managers, dmesh.grant_access(...) for a manager without SELECT; or what a request waits for, or why nothing can be done; NULL when nothing is needed). Reads only the caller''s own agreements and requests.';

-- The marketplace shows the reader's access, and no column wider than a
-- line: the contract (and the columns) are one join away.  search() and
-- search_document() read the marketplace's row type: they go with it.
DROP FUNCTION @extschema@.search(text);
DROP FUNCTION @extschema@.search_document(@extschema@.marketplace);
DROP VIEW @extschema@.marketplace;
CREATE VIEW @extschema@.marketplace AS
SELECT d.name                AS domain,
       p.name                AS product,
       p.description,
       p.owner,
       CASE WHEN port.status OPERATOR(pg_catalog.=) 'deprecated' THEN 'deprecated'
            ELSE p.status END AS status,
       p.tags,
       port.version,
       c.oid::pg_catalog.regclass AS relation,
       p.deprecation_reason,
       p.sunset,
       p.created_at,
       p.updated_at,
       p.published_at,
       port.major,
       k.status              AS contract_status,
       qr.score              AS quality_score,
       qr.finished_at        AS quality_checked_at,
       COALESCE(u.consumers, 0) AS consumers_30d,
       COALESCE(u.reads, 0)     AS reads_30d,
       (SELECT pg_catalog.count(*) FROM @extschema@.incident i
         WHERE i.product_id OPERATOR(pg_catalog.=) p.product_id AND i.resolved_at IS NULL) AS open_incidents,
       port.object,
       a.access,
       p.product_id
  FROM @extschema@.data_product p
  JOIN @extschema@.domain d ON d.domain_id OPERATOR(pg_catalog.=) p.domain_id
  JOIN @extschema@._access a ON a.product_id OPERATOR(pg_catalog.=) p.product_id
  JOIN @extschema@.output_port port
    ON port.product_id OPERATOR(pg_catalog.=) p.product_id
   AND port.status OPERATOR(pg_catalog.<>) 'retired'
  LEFT JOIN @extschema@.contract k
    ON k.product_id OPERATOR(pg_catalog.=) p.product_id
   AND k.version OPERATOR(pg_catalog.=) port.version
  LEFT JOIN pg_catalog.pg_namespace n ON n.nspname OPERATOR(pg_catalog.=) d.schema_name
  LEFT JOIN pg_catalog.pg_class c
    ON c.relnamespace OPERATOR(pg_catalog.=) n.oid
   AND c.relname OPERATOR(pg_catalog.=) port.relation_name
  LEFT JOIN LATERAL (
        SELECT q.score, q.finished_at FROM @extschema@.quality_run q
         WHERE q.product_id OPERATOR(pg_catalog.=) p.product_id
         ORDER BY q.run_id DESC LIMIT 1) qr ON true
  LEFT JOIN LATERAL (
        SELECT pg_catalog.count(DISTINCT ud.consumer) AS consumers, pg_catalog.sum(ud.queries)::bigint AS reads
          FROM @extschema@.usage_daily ud
         WHERE ud.product_id OPERATOR(pg_catalog.=) p.product_id
           AND ud.day OPERATOR(pg_catalog.>) (CURRENT_DATE OPERATOR(pg_catalog.-) 30)) u ON true
 WHERE p.status OPERATOR(pg_catalog.=) ANY (ARRAY['published', 'deprecated']);
COMMENT ON VIEW @extschema@.marketplace IS
  'Published and deprecated data products, one row per live published relation (major version, and object for a product with several), with what the reading role may read of it (access; dmesh.access_status says how to ask for more). Readable by every role: metadata is discoverable, data is not. No column holds more than a line: the contract of the relation is one join away (JOIN dmesh.contract k ON k.product_id = m.product_id AND k.version = m.version; k.document is the ODCS document), and so are its columns (JOIN pg_catalog.pg_attribute a ON a.attrelid = m.relation AND a.attnum > 0 AND NOT a.attisdropped; pg_catalog.col_description(a.attrelid, a.attnum) describes each).';
COMMENT ON COLUMN @extschema@.marketplace.domain IS 'Domain of the product.';
COMMENT ON COLUMN @extschema@.marketplace.product IS 'Name of the product within its domain.';
COMMENT ON COLUMN @extschema@.marketplace.description IS 'Description of the product.';
COMMENT ON COLUMN @extschema@.marketplace.owner IS 'Owner role of the product.';
COMMENT ON COLUMN @extschema@.marketplace.status IS
  'published or deprecated; an older major version superseded by a newer one is deprecated.';
COMMENT ON COLUMN @extschema@.marketplace.tags IS 'Tags of the product.';
COMMENT ON COLUMN @extschema@.marketplace.version IS 'Contract version published through this relation.';
COMMENT ON COLUMN @extschema@.marketplace.relation IS 'The relation consumers query.';
COMMENT ON COLUMN @extschema@.marketplace.deprecation_reason IS 'Why the product is deprecated, if it is.';
COMMENT ON COLUMN @extschema@.marketplace.sunset IS 'Planned retirement date of a deprecated product.';
COMMENT ON COLUMN @extschema@.marketplace.created_at IS 'When the product was created.';
COMMENT ON COLUMN @extschema@.marketplace.updated_at IS 'When the product last changed.';
COMMENT ON COLUMN @extschema@.marketplace.published_at IS 'When the product was first published.';
COMMENT ON COLUMN @extschema@.marketplace.major IS 'Major version served by this relation.';
COMMENT ON COLUMN @extschema@.marketplace.contract_status IS 'ODCS status of that contract version.';
COMMENT ON COLUMN @extschema@.marketplace.quality_score IS
  'Score of the latest quality check (dmesh.check_product), in percent; NULL if never checked.';
COMMENT ON COLUMN @extschema@.marketplace.quality_checked_at IS 'When the latest quality check finished.';
COMMENT ON COLUMN @extschema@.marketplace.consumers_30d IS 'Roles that read the product in the last 30 days (as flushed; 0 without usage tracking).';
COMMENT ON COLUMN @extschema@.marketplace.reads_30d IS 'Statements that read the product in the last 30 days.';
COMMENT ON COLUMN @extschema@.marketplace.open_incidents IS 'Open incidents of the product (dmesh.incident).';
COMMENT ON COLUMN @extschema@.marketplace.object IS 'The contract object the relation publishes, for a product with several objects (one row per object and major version); NULL for a product with one.';
COMMENT ON COLUMN @extschema@.marketplace.access IS
  'What the reading role may read of the product: owner (every row, in clear), manager (of the domain: every row in clear, once it holds SELECT, which it may grant itself), granted (the rows and masks of its agreement), pending (a request of its waits), expired, denied or none (no rows). dmesh.access_status(''domain.product'') gives the details and the next step.';
COMMENT ON COLUMN @extschema@.marketplace.product_id IS 'Identifier of the product: the key of its contract (dmesh.contract), incidents, quality runs, usage and agreements.';
GRANT SELECT ON @extschema@.marketplace TO PUBLIC;

-- The text search document of a marketplace row: names weigh most, then
-- tags, then descriptions (the contract's purpose, usage and limitations
-- too), then columns, their comments and the contract's property
-- descriptions.
CREATE FUNCTION @extschema@.search_document(m @extschema@.marketplace)
RETURNS tsvector
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
               pg_catalog.concat_ws(' ', m.domain, m.product)), 'A')
        OPERATOR(pg_catalog.||) pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
               pg_catalog.array_to_string(m.tags, ' ')), 'B')
        OPERATOR(pg_catalog.||) pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
               pg_catalog.concat_ws(' ', m.description, m.deprecation_reason,
                   k.contract OPERATOR(pg_catalog.#>>) '{description,purpose}',
                   k.contract OPERATOR(pg_catalog.#>>) '{description,usage}',
                   k.contract OPERATOR(pg_catalog.#>>) '{description,limitations}',
                   (SELECT pg_catalog.string_agg(o OPERATOR(pg_catalog.->>) 'description', ' ')
                      FROM pg_catalog.jsonb_array_elements(COALESCE(k.contract OPERATOR(pg_catalog.->) 'schema', '[]')) o))), 'C')
        OPERATOR(pg_catalog.||) pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
               COALESCE((SELECT pg_catalog.string_agg(
                                    pg_catalog.concat_ws(' ', a.attname,
                                                              pg_catalog.col_description(a.attrelid, a.attnum)), ' '
                                    ORDER BY a.attnum)
                           FROM pg_catalog.pg_attribute a
                          WHERE a.attrelid OPERATOR(pg_catalog.=) m.relation::pg_catalog.oid
                            AND a.attnum OPERATOR(pg_catalog.>) 0
                            AND NOT a.attisdropped), '')
               OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||)
               COALESCE((SELECT pg_catalog.string_agg(
                                    pg_catalog.concat_ws(' ', prop OPERATOR(pg_catalog.->>) 'businessName',
                                                              prop OPERATOR(pg_catalog.->>) 'description'), ' ')
                           FROM pg_catalog.jsonb_path_query(
                                    k.contract, '$.schema[*].properties[*]') AS prop), '')), 'D')
      FROM (SELECT (SELECT c.document FROM @extschema@.contract c
                     WHERE c.product_id OPERATOR(pg_catalog.=) m.product_id
                       AND c.version OPERATOR(pg_catalog.=) m.version) AS contract) k;
END;
COMMENT ON FUNCTION @extschema@.search_document(@extschema@.marketplace) IS
  'Full-text document of a marketplace row, weighted: names A, tags B, descriptions and the contract''s purpose, usage and limitations C, columns, column comments and contract property descriptions D.';

CREATE FUNCTION @extschema@.search(query text)
RETURNS TABLE (
    rank               real,
    domain             text,
    product            text,
    description        text,
    owner              regrole,
    status             text,
    tags               text[],
    version            text,
    relation           regclass,
    deprecation_reason text,
    sunset             date,
    created_at         timestamptz,
    updated_at         timestamptz,
    published_at       timestamptz,
    major              integer,
    contract_status    text,
    quality_score      numeric,
    quality_checked_at timestamptz,
    consumers_30d      bigint,
    reads_30d          bigint,
    open_incidents     bigint,
    object             text,
    access             text,
    product_id         bigint)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET client_min_messages = warning
BEGIN ATOMIC
    SELECT (pg_catalog.ts_rank(@extschema@.search_document(m), q.q, 1)
            OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.lower(pg_catalog.btrim(search.query))
                                  OPERATOR(pg_catalog.=) ANY (ARRAY[pg_catalog.lower(m.product),
                                      pg_catalog.lower(m.domain OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) m.product)])
                        THEN 1 ELSE 0 END)::real AS rank,
           m.domain, m.product, m.description, m.owner, m.status, m.tags, m.version,
           m.relation, m.deprecation_reason, m.sunset, m.created_at,
           m.updated_at, m.published_at, m.major, m.contract_status,
           m.quality_score, m.quality_checked_at, m.consumers_30d, m.reads_30d,
           m.open_incidents, m.object, m.access, m.product_id
      FROM @extschema@.marketplace m,
           pg_catalog.websearch_to_tsquery('pg_catalog.english'::pg_catalog.regconfig, search.query) AS q(q)
     WHERE @extschema@.search_document(m) OPERATOR(pg_catalog.@@) q.q
     ORDER BY 1 DESC, m.domain, m.product, m.major, m.object;
END;
COMMENT ON FUNCTION @extschema@.search(text) IS
  'Marketplace rows matching a web-search style query (words, "phrases", OR, -word), best match first: an exact product name, then weighted full-text relevance.';

COMMENT ON FUNCTION @extschema@.refresh_product(text) IS
  'Refreshes a materialized product now, write-audit-publish: builds the new data beside the current data, checks every rule of the contract on it, and swaps it in only if no error rule failed; else keeps the current data, keeps the build as <product>_data_failed and opens a quality incident. Managers of the product only. Returns published: true when the new rows are what the product''s published relations show from now on; false when an error rule failed, and for a draft, whose good rows become its data but no relation publishes them until dmesh.publish_data_product; rows: the rows built; failed_rules: the rules that failed on them, of any severity, as a jsonb array of {rule, property, severity} ([] when none failed); relation: the table that holds the new rows (the product''s data table, or <product>_data_failed).';

-- The contract assistant (issue 17)
CREATE FUNCTION @extschema@.suggest_contract(source text, sample_rows integer DEFAULT 100000)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'dmesh_suggest_contract'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.suggest_contract(text, integer) IS
  'A draft ODCS v3.1.0 contract for a relation (a name, resolved on the caller''s search_path; not a query): types, required, keys, valid values, bounds rounded outward, patterns and formats, classification of personal data, CHECK constraints as rules, a freshness SLA and a row-count floor, each with its evidence in customProperties (dmesh.evidence). Reads the catalog, pg_stats and a sample of at most about sample_rows rows (TABLESAMPLE ... REPEATABLE, every row of a smaller relation; 0: no row) as the caller, who must be able to SELECT the relation. Never runs ANALYZE. The same data and statistics give the same document.';
-------------------------------------------------------------------------------
-- Products as code (issue 17)
-------------------------------------------------------------------------------

-- A data product as an ODPS v1.0.0 document (product_document,
-- product_yaml), made to match one (plan_product, apply_product), a
-- candidate contract diffed (contract_diff_document), a document checked
-- (lint_document); see sql/src/as_code.sql.

COMMENT ON COLUMN @extschema@.event_log.action IS
  'What happened: create_domain, create_data_product, publish, republish, deprecate, retire, grant_access, revoke_access, set_contract, set_contract_gate, contract_breach, enforce_contract, release_quarantine, discard_quarantine, request_access, approve_access, deny_access, create_policy, drop_policy, policy_violation, set_schedule, refresh, refresh_failed, describe (description or tags changed by apply_product), apply_document (the id of a product''s ODPS document, or what dmesh keeps of it, changed), apply_product (a document applied, with the number of changes), ddl (DDL on a product''s source or published relation: details hold the command tag, the relation, the objects changed and the statement).';

-------------------------------------------------------------------------------
-- Catalog
-------------------------------------------------------------------------------

CREATE TABLE @extschema@.applied_product (
    product_id   bigint PRIMARY KEY REFERENCES @extschema@.data_product (product_id),
    document_id  text NOT NULL UNIQUE
                 CONSTRAINT applied_product_document_id_given CHECK (document_id OPERATOR(pg_catalog.<>) ''),
    kept         jsonb NOT NULL DEFAULT '{}'
                 CONSTRAINT applied_product_kept_object CHECK (pg_catalog.jsonb_typeof(kept) OPERATOR(pg_catalog.=) 'object'),
    applied_by   text NOT NULL,
    applied_at   timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.applied_product IS
  'Data products applied from an ODPS document (dmesh.apply_product): the document''s id, and the fields dmesh keeps as written because it has no home for them or they say otherwise than dmesh would derive them; dmesh.product_document writes them back. Readable by every role, like the products.';
COMMENT ON COLUMN @extschema@.applied_product.product_id IS 'The data product.';
COMMENT ON COLUMN @extschema@.applied_product.document_id IS
  'The id of the ODPS document the product was last applied with: the id dmesh.product_document gives it. Unique: one document, one product.';
COMMENT ON COLUMN @extschema@.applied_product.kept IS
  'What dmesh keeps of the document as written: top-level fields (tenant, authoritativeDefinitions, managementPorts, productCreatedTs, team, support, inputPorts), description fields (limitations, usage, authoritativeDefinitions, customProperties), customProperties of the document''s own, and each output port''s own fields under "<name> <version>" (outputPorts).';
COMMENT ON COLUMN @extschema@.applied_product.applied_by IS 'Role that last changed the row (by applying a document).';
COMMENT ON COLUMN @extschema@.applied_product.applied_at IS 'When it last changed.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.applied_product', '');
REVOKE ALL ON @extschema@.applied_product FROM PUBLIC;
GRANT SELECT ON @extschema@.applied_product TO PUBLIC;

-------------------------------------------------------------------------------
-- Functions (C).  None is SECURITY DEFINER: each reads as its caller, and
-- apply_product changes the product by calling dmesh's functions as the
-- caller, which check the caller's rights.
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.product_document(product text)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'dmesh_product_document'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.product_document(text) IS
  'The data product as an Open Data Product Standard (ODPS v1.0.0) document: id, name, version, status, domain, description, tags, team, support, input ports (from lineage), output ports (one per published relation, with its contract''s id), and dmesh''s customProperties (owner, source, contract gate, enforcement, schedule, agreements, policies, deprecation), in the shape dmesh.apply_product reads back. Agreements and schedules as far as the caller may see them.';

CREATE FUNCTION @extschema@.product_yaml(product text)
RETURNS text
AS 'MODULE_PATHNAME', 'dmesh_product_yaml'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.product_yaml(text) IS
  'The data product as an ODPS v1.0.0 document in YAML (dmesh.product_document).';

CREATE FUNCTION @extschema@.apply_product(document text, contracts text[] DEFAULT '{}')
RETURNS TABLE (product text, kind text, item text, change text, breaking boolean,
               consumers text[], detail text)
AS 'MODULE_PATHNAME', 'dmesh_apply_product_text'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.apply_product(text, text[]) IS
  'Create or change a data product to match an ODPS document (YAML or JSON) and the ODCS contracts its output ports name (by contractId and version), by calling dmesh''s functions as the caller: create_data_product, set_contract, retire_data_product, create_policy and drop_policy, publish, deprecate and retire, grant_access and revoke_access, enforce_contract, set_schedule, set_contract_gate. One row per change made; none, and nothing logged, when the product matches already. A breaking contract change within a major version of a live product is refused, naming the roles that read what it breaks.';

CREATE FUNCTION @extschema@.apply_product(document jsonb, contracts text[] DEFAULT '{}')
RETURNS TABLE (product text, kind text, item text, change text, breaking boolean,
               consumers text[], detail text)
AS 'MODULE_PATHNAME', 'dmesh_apply_product_jsonb'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.apply_product(jsonb, text[]) IS
  'dmesh.apply_product with the ODPS document as jsonb (dmesh.product_document gives one).';

CREATE FUNCTION @extschema@.plan_product(document text, contracts text[] DEFAULT '{}')
RETURNS TABLE (product text, kind text, item text, change text, breaking boolean,
               consumers text[], detail text)
AS 'MODULE_PATHNAME', 'dmesh_plan_product_text'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.plan_product(text, text[]) IS
  'What dmesh.apply_product would change, changing nothing: the same rows, each breaking contract change with the consumer roles that read what it breaks in the last 30 days (as far as the caller may see usage), and change refused for what apply_product would refuse.';

CREATE FUNCTION @extschema@.plan_product(document jsonb, contracts text[] DEFAULT '{}')
RETURNS TABLE (product text, kind text, item text, change text, breaking boolean,
               consumers text[], detail text)
AS 'MODULE_PATHNAME', 'dmesh_plan_product_jsonb'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.plan_product(jsonb, text[]) IS
  'dmesh.plan_product with the ODPS document as jsonb.';

CREATE FUNCTION @extschema@._contract_diff_document(product text, contract text)
RETURNS TABLE (path text, change text, old jsonb, new jsonb, severity text)
AS 'MODULE_PATHNAME', 'dmesh_contract_diff_document'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@._contract_diff_document(text, text) IS
  'Internal: dmesh.contract_diff_document without the consumers. The changes from a product''s active contract to a candidate contract (ODCS YAML or JSON, checked as set_contract checks it, stored nowhere).';

-- The changes of a candidate contract with the consumers each breaking
-- change affects, as contract_diff (lineage.sql) gives them.
CREATE FUNCTION @extschema@.contract_diff_document(product text, contract text)
RETURNS TABLE (path text, change text, old jsonb, new jsonb, severity text, affected_consumers bigint)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT d.path, d.change, d.old, d.new, d.severity,
           CASE WHEN d.severity = 'breaking' THEN (
               SELECT count(DISTINCT u.consumer)
                 FROM @extschema@.usage_daily u
                 JOIN @extschema@.data_product p ON p.product_id = u.product_id
                 JOIN @extschema@.domain dm ON dm.domain_id = p.domain_id
                WHERE dm.name || '.' || p.name = contract_diff_document.product
                  AND u.day > CURRENT_DATE - 30
                  AND (substring(d.path FROM '^schema\[[^]]*\]\.properties\[([^]]*)\]') IS NULL
                       OR substring(d.path FROM '^schema\[[^]]*\]\.properties\[([^]]*)\]') = ANY (u.columns)))
           END
      FROM @extschema@._contract_diff_document(contract_diff_document.product,
                                               contract_diff_document.contract) AS d
$$;
COMMENT ON FUNCTION @extschema@.contract_diff_document(text, text) IS
  'Changes from a product''s active contract to a candidate contract (ODCS YAML or JSON, not stored), each added/removed/changed with its severity for consumers, and for breaking changes the number of consumer roles that read the property concerned (or the product, for changes to the whole object) in the last 30 days, as dmesh.contract_diff.';

CREATE FUNCTION @extschema@.lint_document(document text)
RETURNS TABLE (kind text, path text, severity text, message text, hint text)
AS 'MODULE_PATHNAME', 'dmesh_lint_document'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.lint_document(text) IS
  'Check an ODCS contract (kind DataContract) or an ODPS data product document (kind DataProduct), YAML or JSON, against its standard''s schema and dmesh''s rules, touching no data and no catalog: one row per problem (error, or warning for a likely typo the standard allows) with its path and hint; no rows when the document is valid.';

-- Federation (issue 18)
-- Peers are logged in dmesh.event_log (add_peer, drop_peer), and so is a
-- product's visibility to the mesh (set_mesh_visibility).
ALTER TABLE @extschema@.event_log DROP CONSTRAINT event_log_object_type_valid;
ALTER TABLE @extschema@.event_log ADD CONSTRAINT event_log_object_type_valid
    CHECK (object_type OPERATOR(pg_catalog.=) ANY (
        ARRAY['domain', 'data_product', 'output_port', 'access_grant', 'contract',
              'access_request', 'policy', 'peer']));
COMMENT ON COLUMN @extschema@.event_log.action IS
  'What happened: create_domain, create_data_product, publish, republish, deprecate, retire, grant_access, revoke_access, set_contract, set_contract_gate, contract_breach, enforce_contract, release_quarantine, discard_quarantine, request_access, approve_access, deny_access, create_policy, drop_policy, policy_violation, set_schedule, refresh, refresh_failed, describe (description or tags changed by apply_product), apply_document (the id of a product''s ODPS document, or what dmesh keeps of it, changed), apply_product (a document applied, with the number of changes), add_peer, drop_peer, set_mesh_visibility, ddl (DDL on a product''s source or published relation: details hold the command tag, the relation, the objects changed and the statement).';
COMMENT ON COLUMN @extschema@.event_log.object_type IS
  'Kind of object changed: domain, data_product, output_port, access_grant, contract, access_request, policy or peer.';
-- dmesh federation: other dmesh databases (peers), reached through
-- postgres_fdw foreign servers.  The connection details stay where
-- PostgreSQL keeps them (the foreign server and its user mappings); dmesh
-- keeps only the name of the server.

CREATE TABLE @extschema@.peer (
    peer_id      bigserial PRIMARY KEY,
    name         text NOT NULL UNIQUE
                 CONSTRAINT peer_name_valid CHECK (
                     name OPERATOR(pg_catalog.<>) ''
                     AND pg_catalog.strpos(name, '.') OPERATOR(pg_catalog.=) 0
                     AND pg_catalog.strpos(name, ':') OPERATOR(pg_catalog.=) 0
                     AND pg_catalog.octet_length(name) OPERATOR(pg_catalog.<=) 50),
    server_name  name NOT NULL,
    added_by     text NOT NULL,
    added_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    status       text NOT NULL DEFAULT 'new'
                 CONSTRAINT peer_status_valid
                 CHECK (status OPERATOR(pg_catalog.=) ANY (ARRAY['new', 'ok', 'unreachable', 'incompatible'])),
    last_sync_at timestamptz,
    last_error   text,
    last_error_at timestamptz
);
COMMENT ON TABLE @extschema@.peer IS
  'Other dmesh databases this one is federated with, each reached through a postgres_fdw foreign server (the user mapping decides which remote role this database acts as). Readable by every role; connection details are not here.';
COMMENT ON COLUMN @extschema@.peer.peer_id IS 'Identifier of the peer.';
COMMENT ON COLUMN @extschema@.peer.name IS 'Name of the peer in this mesh: no dot, no colon, at most 50 bytes (a remote product is named peer:domain.product).';
COMMENT ON COLUMN @extschema@.peer.server_name IS 'The postgres_fdw foreign server that reaches the peer.';
COMMENT ON COLUMN @extschema@.peer.added_by IS 'Role that added the peer.';
COMMENT ON COLUMN @extschema@.peer.added_at IS 'When the peer was added.';
COMMENT ON COLUMN @extschema@.peer.status IS 'new (never synced), ok (last sync succeeded), unreachable (last sync could not connect), incompatible (the peer has no dmesh, or one too old).';
COMMENT ON COLUMN @extschema@.peer.last_sync_at IS 'When the last successful sync started.';
COMMENT ON COLUMN @extschema@.peer.last_error IS 'The last sync''s error, without values, with its SQLSTATE.';
COMMENT ON COLUMN @extschema@.peer.last_error_at IS 'When the last sync failed.';
GRANT SELECT ON @extschema@.peer TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.peer', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.peer_peer_id_seq', '');

-------------------------------------------------------------------------------
-- Peers: add_peer, drop_peer (fed_peer.c)
-------------------------------------------------------------------------------

-- Each peer's dmesh.mesh_export is read through a foreign table that
-- add_peer creates, dmesh._peer_export_<peer_id>: owned by the extension
-- owner, readable only by the role that added the peer, so that
-- postgres_fdw connects with that role's user mapping.  (Not in a schema of
-- its own: every dmesh_<name> could be a domain's.)

CREATE FUNCTION @extschema@.add_peer(name text, server name)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dmesh_add_peer'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.add_peer(text, name) IS
  'Register another dmesh database, reached through a postgres_fdw foreign server, as a peer of this mesh; returns its peer_id. Superusers, and roles with USAGE on the server and CREATE on this database. The peer is synced with the user mapping of the role that added it.';

CREATE FUNCTION @extschema@.drop_peer(name text)
RETURNS void
AS 'MODULE_PATHNAME', 'dmesh_drop_peer'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.drop_peer(text) IS
  'Forget a peer and the copy of its products (dmesh.remote_product). Superusers and roles with the privileges of the role that added it. The foreign server and user mappings stay.';

-------------------------------------------------------------------------------
-- The provider side: what this database shows the mesh
-------------------------------------------------------------------------------

CREATE TABLE @extschema@.mesh_visibility (
    product_id  bigint PRIMARY KEY REFERENCES @extschema@.data_product (product_id),
    visible     boolean NOT NULL,
    set_by      text NOT NULL,
    set_at      timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.mesh_visibility IS
  'Whether a product is shown to the mesh (dmesh.mesh_export); a product without a row is visible. Written by dmesh.set_mesh_visibility.';
COMMENT ON COLUMN @extschema@.mesh_visibility.product_id IS 'The data product.';
COMMENT ON COLUMN @extschema@.mesh_visibility.visible IS 'false: the product is kept local, peers do not see it.';
COMMENT ON COLUMN @extschema@.mesh_visibility.set_by IS 'Role that set it.';
COMMENT ON COLUMN @extschema@.mesh_visibility.set_at IS 'When it was set.';
GRANT SELECT ON @extschema@.mesh_visibility TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.mesh_visibility', '');

CREATE FUNCTION @extschema@.set_mesh_visibility(product text, visible boolean)
RETURNS void
AS 'MODULE_PATHNAME', 'dmesh_set_mesh_visibility'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.set_mesh_visibility(text, boolean) IS
  'Show a product to the mesh (true, the default) or keep it local (false): a product kept local is not in dmesh.mesh_export, and leaves peers'' copies at their next sync. Managers of the product.';

CREATE VIEW @extschema@.mesh_export AS
SELECT d.name                AS domain,
       p.name                AS product,
       port.object,
       port.major,
       port.version,
       CASE WHEN port.status OPERATOR(pg_catalog.=) 'deprecated' THEN 'deprecated'
            ELSE p.status END AS status,
       p.owner::pg_catalog.text AS owner,
       p.description,
       p.tags,
       (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'name', a.attname,
                   'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
                   'description', pg_catalog.col_description(a.attrelid, a.attnum::integer))
                   ORDER BY a.attnum)
          FROM pg_catalog.pg_attribute a
         WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid
           AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) AS columns,
       k.document OPERATOR(pg_catalog.->>) 'id' AS contract_id,
       k.status              AS contract_status,
       qr.score              AS quality_score,
       CASE WHEN inc.open OPERATOR(pg_catalog.>) 0 THEN 'incident' ELSE 'ok' END AS health_status,
       inc.open              AS open_incidents,
       p.published_at,
       GREATEST(p.updated_at, port.updated_at, d.updated_at, k.set_at, qr.finished_at, inc.changed)
                             AS changed_at
  FROM @extschema@.data_product p
  JOIN @extschema@.domain d ON d.domain_id OPERATOR(pg_catalog.=) p.domain_id
  JOIN @extschema@.output_port port
    ON port.product_id OPERATOR(pg_catalog.=) p.product_id
   AND port.status OPERATOR(pg_catalog.<>) 'retired'
  LEFT JOIN @extschema@.contract k
    ON k.product_id OPERATOR(pg_catalog.=) p.product_id
   AND k.version OPERATOR(pg_catalog.=) port.version
  LEFT JOIN pg_catalog.pg_namespace n ON n.nspname OPERATOR(pg_catalog.=) d.schema_name
  LEFT JOIN pg_catalog.pg_class c
    ON c.relnamespace OPERATOR(pg_catalog.=) n.oid
   AND c.relname OPERATOR(pg_catalog.=) port.relation_name
  LEFT JOIN LATERAL (
        SELECT q.score, q.finished_at FROM @extschema@.quality_run q
         WHERE q.product_id OPERATOR(pg_catalog.=) p.product_id
         ORDER BY q.run_id DESC LIMIT 1) qr ON true
  LEFT JOIN LATERAL (
        SELECT pg_catalog.count(*) FILTER (WHERE i.resolved_at IS NULL) AS open,
               pg_catalog.max(GREATEST(i.opened_at, i.resolved_at)) AS changed
          FROM @extschema@.incident i
         WHERE i.product_id OPERATOR(pg_catalog.=) p.product_id) inc ON true
 WHERE p.status OPERATOR(pg_catalog.=) ANY (ARRAY['published', 'deprecated'])
   AND NOT EXISTS (SELECT 1 FROM @extschema@.mesh_visibility v
                    WHERE v.product_id OPERATOR(pg_catalog.=) p.product_id AND NOT v.visible);
COMMENT ON VIEW @extschema@.mesh_export IS
  'What this database shows the mesh: one row per live published relation of a published or deprecated product, unless the product is kept local (dmesh.set_mesh_visibility). Peers read it through postgres_fdw (dmesh.sync_peer), as the remote role of their user mapping. Metadata only, as in dmesh.marketplace; readable by every role.';
COMMENT ON COLUMN @extschema@.mesh_export.domain IS 'Domain of the product.';
COMMENT ON COLUMN @extschema@.mesh_export.product IS 'Name of the product within its domain.';
COMMENT ON COLUMN @extschema@.mesh_export.object IS 'The contract object the relation publishes, for a product with several; NULL otherwise.';
COMMENT ON COLUMN @extschema@.mesh_export.major IS 'Major version served by the relation.';
COMMENT ON COLUMN @extschema@.mesh_export.version IS 'Contract version published through the relation.';
COMMENT ON COLUMN @extschema@.mesh_export.status IS 'published or deprecated.';
COMMENT ON COLUMN @extschema@.mesh_export.owner IS 'Owner role of the product (a name in this database).';
COMMENT ON COLUMN @extschema@.mesh_export.description IS 'Description of the product.';
COMMENT ON COLUMN @extschema@.mesh_export.tags IS 'Tags of the product.';
COMMENT ON COLUMN @extschema@.mesh_export.columns IS 'The published relation''s columns: a JSON array of {name, type, description}.';
COMMENT ON COLUMN @extschema@.mesh_export.contract_id IS 'The id of the ODCS contract.';
COMMENT ON COLUMN @extschema@.mesh_export.contract_status IS 'ODCS status of the contract version.';
COMMENT ON COLUMN @extschema@.mesh_export.quality_score IS 'Score of the latest quality check, in percent; NULL if never checked.';
COMMENT ON COLUMN @extschema@.mesh_export.health_status IS 'ok, or incident when the product has open incidents.';
COMMENT ON COLUMN @extschema@.mesh_export.open_incidents IS 'Number of open incidents of the product.';
COMMENT ON COLUMN @extschema@.mesh_export.published_at IS 'When the product was first published.';
COMMENT ON COLUMN @extschema@.mesh_export.changed_at IS
  'When anything in the row last changed (product, port, domain, contract, quality run, incidents): a peer fetches again only the products whose changed_at differs from its copy.';
GRANT SELECT ON @extschema@.mesh_export TO PUBLIC;

-------------------------------------------------------------------------------
-- The consumer side: the copy of peers' products, sync, the mesh marketplace
-------------------------------------------------------------------------------

CREATE TABLE @extschema@.remote_product (
    peer_id          bigint NOT NULL REFERENCES @extschema@.peer (peer_id) ON DELETE CASCADE,
    domain           text NOT NULL,
    product          text NOT NULL,
    object           text,
    major            integer NOT NULL,
    version          text,
    status           text,
    owner            text,
    description      text,
    tags             text[],
    columns          jsonb,
    contract_id      text,
    contract_status  text,
    quality_score    numeric,
    health_status    text,
    open_incidents   bigint,
    published_at     timestamptz,
    changed_at       timestamptz,
    synced_at        timestamptz NOT NULL,
    CONSTRAINT remote_product_key UNIQUE NULLS NOT DISTINCT (peer_id, domain, product, major, object)
);
COMMENT ON TABLE @extschema@.remote_product IS
  'The copy of the peers'' products (their dmesh.mesh_export), as of each peer''s last sync (dmesh.sync_peer). Kept when a peer is unreachable; dropped with the peer. Written by dmesh only; readable by every role.';
COMMENT ON COLUMN @extschema@.remote_product.peer_id IS 'The peer (dmesh.peer).';
COMMENT ON COLUMN @extschema@.remote_product.domain IS 'Domain of the product on the peer.';
COMMENT ON COLUMN @extschema@.remote_product.product IS 'Name of the product on the peer.';
COMMENT ON COLUMN @extschema@.remote_product.object IS 'The object published, for a product with several; NULL otherwise.';
COMMENT ON COLUMN @extschema@.remote_product.major IS 'Major version of the published relation.';
COMMENT ON COLUMN @extschema@.remote_product.version IS 'Contract version published.';
COMMENT ON COLUMN @extschema@.remote_product.status IS 'published or deprecated.';
COMMENT ON COLUMN @extschema@.remote_product.owner IS 'Owner role of the product, on the peer.';
COMMENT ON COLUMN @extschema@.remote_product.description IS 'Description of the product.';
COMMENT ON COLUMN @extschema@.remote_product.tags IS 'Tags of the product.';
COMMENT ON COLUMN @extschema@.remote_product.columns IS 'Columns of the published relation: a JSON array of {name, type, description}.';
COMMENT ON COLUMN @extschema@.remote_product.contract_id IS 'The id of the ODCS contract.';
COMMENT ON COLUMN @extschema@.remote_product.contract_status IS 'ODCS status of the contract version.';
COMMENT ON COLUMN @extschema@.remote_product.quality_score IS 'Score of the latest quality check on the peer.';
COMMENT ON COLUMN @extschema@.remote_product.health_status IS 'ok, or incident when the product had open incidents.';
COMMENT ON COLUMN @extschema@.remote_product.open_incidents IS 'Open incidents of the product on the peer.';
COMMENT ON COLUMN @extschema@.remote_product.published_at IS 'When the product was first published.';
COMMENT ON COLUMN @extschema@.remote_product.changed_at IS 'The peer''s changed_at of the row: compared at each sync to fetch only what changed.';
COMMENT ON COLUMN @extschema@.remote_product.synced_at IS 'When this row was last fetched from the peer.';
GRANT SELECT ON @extschema@.remote_product TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.remote_product', '');

CREATE FUNCTION @extschema@.sync_peer(name text)
RETURNS TABLE (peer text, status text, listed bigint, fetched bigint, changed bigint,
               removed bigint, error text)
AS 'MODULE_PATHNAME', 'dmesh_sync_peer'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.sync_peer(text) IS
  'Bring the copy of a peer''s products (dmesh.remote_product) up to date: reads the keys and changed_at of the peer''s dmesh.mesh_export, then only the rows that changed; drops the rows the peer no longer shows. A peer that cannot be read keeps its copy: status unreachable (or incompatible), with the error (no values, SQLSTATE) in the result and in dmesh.peer. Superusers and roles with the privileges of the role that added the peer; the background worker syncs every peer every dmesh.peer_sync_interval.';

CREATE VIEW @extschema@.mesh_marketplace AS
SELECT NULL::pg_catalog.text AS peer,
       m.domain OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) m.product AS ref,
       m.domain, m.product, m.object, m.major, m.version, m.status,
       m.owner::pg_catalog.text AS owner, m.description, m.tags,
       (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'name', a.attname,
                   'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
                   'description', pg_catalog.col_description(a.attrelid, a.attnum::integer))
                   ORDER BY a.attnum)
          FROM pg_catalog.pg_attribute a
         WHERE a.attrelid OPERATOR(pg_catalog.=) m.relation::pg_catalog.oid
           AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) AS columns,
       m.contract_status, m.quality_score,
       CASE WHEN m.open_incidents OPERATOR(pg_catalog.>) 0 THEN 'incident' ELSE 'ok' END AS health_status,
       m.open_incidents, m.published_at,
       NULL::timestamptz AS synced_at
  FROM @extschema@.marketplace m
UNION ALL
SELECT pe.name,
       pe.name OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) r.domain
           OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) r.product,
       r.domain, r.product, r.object, r.major, r.version, r.status,
       r.owner, r.description, r.tags, r.columns,
       r.contract_status, r.quality_score, r.health_status, r.open_incidents, r.published_at,
       r.synced_at
  FROM @extschema@.remote_product r
  JOIN @extschema@.peer pe ON pe.peer_id OPERATOR(pg_catalog.=) r.peer_id;
COMMENT ON VIEW @extschema@.mesh_marketplace IS
  'The marketplace of the whole mesh: this database''s products (peer NULL) and the copy of every peer''s (dmesh.remote_product), one row per published relation. Readable by every role.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.peer IS 'The peer the product lives on; NULL for this database.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.ref IS 'The product''s name in the mesh: domain.product here, peer:domain.product on a peer.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.domain IS 'Domain of the product.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.product IS 'Name of the product within its domain.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.object IS 'The object published, for a product with several; NULL otherwise.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.major IS 'Major version of the published relation.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.version IS 'Contract version published.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.status IS 'published or deprecated.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.owner IS 'Owner role of the product, in the database it lives in.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.description IS 'Description of the product.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.tags IS 'Tags of the product.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.columns IS 'Columns of the published relation: a JSON array of {name, type, description}.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.contract_status IS 'ODCS status of the contract version.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.quality_score IS 'Score of the latest quality check.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.health_status IS 'ok, or incident when the product has open incidents.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.open_incidents IS 'Open incidents of the product.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.published_at IS 'When the product was first published.';
COMMENT ON COLUMN @extschema@.mesh_marketplace.synced_at IS 'For a peer''s product, when its row was last fetched; the peer''s last_sync_at (dmesh.peer) says when the copy was last checked.';
GRANT SELECT ON @extschema@.mesh_marketplace TO PUBLIC;

CREATE FUNCTION @extschema@.mesh_search(query text)
RETURNS TABLE (
    rank             real,
    peer             text,
    ref              text,
    domain           text,
    product          text,
    object           text,
    major            integer,
    version          text,
    status           text,
    owner            text,
    description      text,
    tags             text[],
    quality_score    numeric,
    health_status    text,
    synced_at        timestamptz,
    last_sync_at     timestamptz)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET client_min_messages = warning
BEGIN ATOMIC
    SELECT (pg_catalog.ts_rank(x.doc, q.q, 1)
            OPERATOR(pg_catalog.+) CASE WHEN x.exact THEN 1 ELSE 0 END)::real AS rank,
           m.peer, m.ref, m.domain, m.product, m.object, m.major, m.version, m.status,
           m.owner, m.description, m.tags, m.quality_score, m.health_status, m.synced_at,
           pe.last_sync_at
      FROM @extschema@.mesh_marketplace m
      LEFT JOIN @extschema@.peer pe ON pe.name OPERATOR(pg_catalog.=) m.peer
      CROSS JOIN LATERAL (
            SELECT pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
                       pg_catalog.concat_ws(' ', m.domain, m.product, m.peer)), 'A')
                OPERATOR(pg_catalog.||) pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
                       pg_catalog.array_to_string(m.tags, ' ')), 'B')
                OPERATOR(pg_catalog.||) pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
                       COALESCE(m.description, '')), 'C')
                OPERATOR(pg_catalog.||) pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
                       COALESCE((SELECT pg_catalog.string_agg(pg_catalog.concat_ws(' ',
                                            c OPERATOR(pg_catalog.->>) 'name',
                                            c OPERATOR(pg_catalog.->>) 'description'), ' ')
                                   FROM pg_catalog.jsonb_array_elements(COALESCE(m.columns, '[]'::jsonb)) c), '')), 'D')
                AS doc,
                   pg_catalog.lower(pg_catalog.btrim(mesh_search.query))
                       OPERATOR(pg_catalog.=) ANY (ARRAY[pg_catalog.lower(m.product),
                           pg_catalog.lower(m.domain OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) m.product),
                           pg_catalog.lower(m.ref)]) AS exact) x,
           pg_catalog.websearch_to_tsquery('pg_catalog.english'::pg_catalog.regconfig, mesh_search.query) AS q(q)
     WHERE x.doc OPERATOR(pg_catalog.@@) q.q OR x.exact
     ORDER BY 1 DESC, m.peer NULLS FIRST, m.domain, m.product, m.major, m.object;
END;
COMMENT ON FUNCTION @extschema@.mesh_search(text) IS
  'Rows of dmesh.mesh_marketplace (this database''s products and the copy of every peer''s) matching a web-search style query, best match first: an exact name, then weighted full-text relevance (names, tags, description, columns). Answers from the local copy; last_sync_at says how old a peer''s rows may be.';
-- Subscriptions (issue 18)
-------------------------------------------------------------------------------

-- dmesh subscriptions (issue 18): reading a peer's data product here,
-- pinned to the major version (and contract) it was subscribed to.  A live
-- subscription is a postgres_fdw foreign table over the peer's published
-- relation, owned by the subscriber: the peer's agreement for the remote
-- role of the user mapping decides the rows and masks.  What the peer
-- publishes is read through temporary foreign tables, as the subscriber
-- (its user mapping), never stored but for the contract and columns at
-- subscription time.  dmesh.check_subscriptions(), run by the background
-- worker, opens an upstream_change incident when the peer moves on.

CREATE TABLE @extschema@.subscription (
    subscription_id   bigserial PRIMARY KEY,
    peer_id           bigint NOT NULL REFERENCES @extschema@.peer (peer_id),
    remote_domain     text NOT NULL,
    remote_product    text NOT NULL,
    remote_product_id bigint NOT NULL,
    major             integer NOT NULL CHECK (major OPERATOR(pg_catalog.>=) 0),
    contract_version  text,
    contract          jsonb,
    columns           jsonb NOT NULL,
    remote_relation   text NOT NULL,
    mode              text NOT NULL
                      CONSTRAINT subscription_mode_valid
                      CHECK (mode OPERATOR(pg_catalog.=) ANY (ARRAY['live', 'replica'])),
    relation          regclass NOT NULL UNIQUE,
    status            text NOT NULL DEFAULT 'ok'
                      CONSTRAINT subscription_status_valid
                      CHECK (status OPERATOR(pg_catalog.=) ANY (ARRAY['ok', 'upstream_change', 'unreachable'])),
    created_by        text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    last_checked_at   timestamptz,
    last_error        text
);
CREATE INDEX ON @extschema@.subscription (peer_id, remote_domain, remote_product);
COMMENT ON TABLE @extschema@.subscription IS
  'Subscriptions to peers'' data products (dmesh.subscribe): each pinned to one major version, with the contract and columns it was built for. Readable by every role (metadata, no data); changed only by dmesh.subscribe, dmesh.unsubscribe and dmesh.check_subscriptions.';
COMMENT ON COLUMN @extschema@.subscription.subscription_id IS 'Identifier of the subscription.';
COMMENT ON COLUMN @extschema@.subscription.peer_id IS 'The peer that publishes the product (dmesh.peer).';
COMMENT ON COLUMN @extschema@.subscription.remote_domain IS 'Domain of the product on the peer.';
COMMENT ON COLUMN @extschema@.subscription.remote_product IS 'Name of the product on the peer.';
COMMENT ON COLUMN @extschema@.subscription.remote_product_id IS 'product_id of the product on the peer.';
COMMENT ON COLUMN @extschema@.subscription.major IS 'The major version the subscription is pinned to.';
COMMENT ON COLUMN @extschema@.subscription.contract_version IS 'Version of the peer''s contract of that major at subscription time.';
COMMENT ON COLUMN @extschema@.subscription.contract IS 'The peer''s contract document (ODCS, as jsonb) at subscription time.';
COMMENT ON COLUMN @extschema@.subscription.columns IS 'The columns of the local relation, [{"name", "type"}], as the peer''s relation had them at subscription time; dmesh.check_subscriptions compares the peer''s relation with them.';
COMMENT ON COLUMN @extschema@.subscription.remote_relation IS 'The published relation on the peer (schema.relation).';
COMMENT ON COLUMN @extschema@.subscription.mode IS 'live (a foreign table: every read goes to the peer) or replica (reserved: logical replication, not available yet).';
COMMENT ON COLUMN @extschema@.subscription.relation IS 'The local relation, owned by the subscriber.';
COMMENT ON COLUMN @extschema@.subscription.status IS 'ok, upstream_change (the last check found the peer moved on: see the open incident) or unreachable (the last check could not read the peer: last_error).';
COMMENT ON COLUMN @extschema@.subscription.created_by IS 'The subscriber: the role that subscribed and owns the local relation; checks read the peer through its user mapping.';
COMMENT ON COLUMN @extschema@.subscription.created_at IS 'When the subscription was made.';
COMMENT ON COLUMN @extschema@.subscription.last_checked_at IS 'When dmesh.check_subscriptions last read the peer for it.';
COMMENT ON COLUMN @extschema@.subscription.last_error IS 'Why the last check could not read the peer: its class (could not connect, role refused, could not read) and SQLSTATE; the message is in the server log.';
GRANT SELECT ON @extschema@.subscription TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.subscription', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.subscription_subscription_id_seq', '');

-- Incidents of subscriptions: an incident belongs to a local product or to
-- a subscription (the peer's product is not in dmesh.data_product here).
ALTER TABLE @extschema@.incident ALTER COLUMN product_id DROP NOT NULL;
ALTER TABLE @extschema@.incident
    ADD COLUMN subscription_id bigint REFERENCES @extschema@.subscription (subscription_id) ON DELETE CASCADE;
ALTER TABLE @extschema@.incident ADD CONSTRAINT incident_of_one
    CHECK ((product_id IS NULL) OPERATOR(pg_catalog.<>) (subscription_id IS NULL));
ALTER TABLE @extschema@.incident DROP CONSTRAINT incident_kind_valid;
ALTER TABLE @extschema@.incident ADD CONSTRAINT incident_kind_valid
    CHECK (kind OPERATOR(pg_catalog.=) ANY (ARRAY['quality', 'freshness', 'refresh_failed',
                                               'contract_breach', 'upstream_change']));
CREATE UNIQUE INDEX incident_one_open_subscription_idx ON @extschema@.incident (subscription_id, kind)
    WHERE resolved_at IS NULL AND subscription_id IS NOT NULL;
COMMENT ON COLUMN @extschema@.incident.product_id IS 'The product; NULL for an incident of a subscription.';
COMMENT ON COLUMN @extschema@.incident.subscription_id IS 'The subscription (dmesh.subscription), for an upstream_change incident; NULL for an incident of a local product. Deleted with the subscription.';
COMMENT ON COLUMN @extschema@.incident.kind IS 'quality, freshness, refresh_failed, contract_breach, or upstream_change (a subscription''s peer published a new major, deprecated or retired the pinned one, or changed its relation''s columns).';
DROP POLICY incident_visible ON @extschema@.incident;
CREATE POLICY incident_visible ON @extschema@.incident FOR SELECT
    USING (@extschema@._insider(product_id)
           OR EXISTS (SELECT FROM @extschema@.subscription s
                       JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) s.created_by
                      WHERE s.subscription_id OPERATOR(pg_catalog.=) incident.subscription_id
                        AND pg_catalog.pg_has_role(r.oid, 'USAGE')));

-------------------------------------------------------------------------------
-- Reading a peer, as the calling role
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@._sub_remote_ports(server name, domain text, product text)
RETURNS TABLE (major integer, status text, version text, relation text, product_id bigint, document jsonb)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF to_regclass('pg_temp._dmesh_sub_market') IS NOT NULL THEN
        DROP FOREIGN TABLE pg_temp._dmesh_sub_market;
    END IF;
    IF to_regclass('pg_temp._dmesh_sub_contract') IS NOT NULL THEN
        DROP FOREIGN TABLE pg_temp._dmesh_sub_contract;
    END IF;
    EXECUTE format('CREATE FOREIGN TABLE pg_temp._dmesh_sub_market (domain text, product text, status text, '
                   'version text, relation text, major integer, object text, product_id bigint) '
                   'SERVER %I OPTIONS (schema_name %L, table_name %L)', server, 'dmesh', 'marketplace');
    EXECUTE format('CREATE FOREIGN TABLE pg_temp._dmesh_sub_contract (product_id bigint, version text, document jsonb) '
                   'SERVER %I OPTIONS (schema_name %L, table_name %L)', server, 'dmesh', 'contract');
    RETURN QUERY
        SELECT m.major, m.status, m.version, m.relation, m.product_id, k.document
          FROM pg_temp._dmesh_sub_market m
          LEFT JOIN pg_temp._dmesh_sub_contract k ON k.product_id = m.product_id AND k.version = m.version
         WHERE m.domain = _sub_remote_ports.domain AND m.product = _sub_remote_ports.product
           AND m.object IS NULL
         ORDER BY m.major;
    DROP FOREIGN TABLE pg_temp._dmesh_sub_market, pg_temp._dmesh_sub_contract;
END
$$;
COMMENT ON FUNCTION @extschema@._sub_remote_ports(name, text, text) IS
  'Internal: the live published relations (one per major) of a product on the peer reached by a foreign server, with their contracts, read from the peer''s dmesh.marketplace and dmesh.contract as the calling role (its user mapping).';

CREATE FUNCTION @extschema@._sub_remote_columns(server name, relation text)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    parts text[] := parse_ident(relation);
    result jsonb;
BEGIN
    IF array_length(parts, 1) <> 2 THEN
        RAISE EXCEPTION 'remote relation % is not schema-qualified', quote_literal(relation)
              USING ERRCODE = 'invalid_name';
    END IF;
    IF to_regclass(format('pg_temp.%I', parts[2])) IS NOT NULL THEN
        EXECUTE format('DROP FOREIGN TABLE pg_temp.%I', parts[2]);
    END IF;
    EXECUTE format('IMPORT FOREIGN SCHEMA %I LIMIT TO (%I) FROM SERVER %I INTO pg_temp',
                   parts[1], parts[2], server);
    SELECT coalesce(jsonb_agg(jsonb_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod))
                              ORDER BY a.attnum), '[]')
      INTO result
      FROM pg_attribute a
     WHERE a.attrelid = format('pg_temp.%I', parts[2])::regclass AND a.attnum > 0 AND NOT a.attisdropped;
    EXECUTE format('DROP FOREIGN TABLE pg_temp.%I', parts[2]);
    RETURN result;
END
$$;
COMMENT ON FUNCTION @extschema@._sub_remote_columns(name, text) IS
  'Internal: the columns of a relation on a peer, [{"name", "type"}] in order, as IMPORT FOREIGN SCHEMA sees them through the foreign server as the calling role.';

-------------------------------------------------------------------------------
-- Recording (privileged, checked)
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@._sub_insert(peer_id bigint, remote_domain text, remote_product text,
                                        remote_product_id bigint, major integer, contract_version text,
                                        contract jsonb, columns jsonb, remote_relation text, mode text,
                                        relation regclass, created_by text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    id bigint;
    node text := format('%s:%s.%s', (SELECT p.name FROM @extschema@.peer p WHERE p.peer_id = _sub_insert.peer_id),
                          remote_domain, remote_product);
BEGIN
    INSERT INTO @extschema@.subscription (peer_id, remote_domain, remote_product, remote_product_id, major,
                                          contract_version, contract, columns, remote_relation, mode,
                                          relation, created_by)
    VALUES (peer_id, remote_domain, remote_product, remote_product_id, major, contract_version, contract,
            columns, remote_relation, mode, relation, created_by)
    RETURNING subscription_id INTO id;
    -- Lineage: the foreign table comes from the peer's product, by name.
    UPDATE @extschema@.lineage_edge e SET source = node
     WHERE e.target_rel = _sub_insert.relation AND e.kind = 'foreign_table' AND e.closed_at IS NULL;
    RETURN id;
END
$$;
COMMENT ON FUNCTION @extschema@._sub_insert(bigint, text, text, bigint, integer, text, jsonb, jsonb, text, text, regclass, text) IS
  'Internal (dmesh._sub_record, as the extension owner): inserts a subscription and names the peer''s product (peer:domain.product) as the source of its foreign table''s lineage.';
REVOKE ALL ON FUNCTION @extschema@._sub_insert(bigint, text, text, bigint, integer, text, jsonb, jsonb, text, text, regclass, text) FROM PUBLIC;

CREATE FUNCTION @extschema@._sub_record(peer_id bigint, remote_domain text, remote_product text,
                                        remote_product_id bigint, major integer, contract_version text,
                                        contract jsonb, columns jsonb, remote_relation text, mode text,
                                        relation regclass)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dmesh_fed_sub_record'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@._sub_record(bigint, text, text, bigint, integer, text, jsonb, jsonb, text, text, regclass) IS
  'Internal (dmesh.subscribe): records a subscription of the current role, whose foreign table over the peer''s server it must own, and names the peer''s product (peer:domain.product) as the source of the foreign table''s lineage.';

CREATE FUNCTION @extschema@._sub_forget(subscription_id bigint)
RETURNS void
AS 'MODULE_PATHNAME', 'dmesh_fed_sub_forget'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@._sub_forget(bigint) IS
  'Internal (dmesh.unsubscribe): deletes a subscription made by the current role (or a role it has the privileges of), with its incidents.';

CREATE FUNCTION @extschema@._sub_incident(subscription_id bigint, failing boolean, detail jsonb DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    id bigint;
    name text;
BEGIN
    SELECT p.name || ':' || s.remote_domain || '.' || s.remote_product INTO name
      FROM @extschema@.subscription s JOIN @extschema@.peer p USING (peer_id)
     WHERE s.subscription_id = _sub_incident.subscription_id;
    IF failing THEN
        UPDATE @extschema@.incident i
           SET occurrences = i.occurrences + 1, last_seen = now(), detail = _sub_incident.detail
         WHERE i.subscription_id = _sub_incident.subscription_id AND i.kind = 'upstream_change'
           AND i.resolved_at IS NULL
        RETURNING i.incident_id INTO id;
        IF id IS NULL THEN
            INSERT INTO @extschema@.incident (subscription_id, kind, detail)
            VALUES (_sub_incident.subscription_id, 'upstream_change', _sub_incident.detail)
            RETURNING incident_id INTO id;
            PERFORM pg_notify('dmesh_incident', jsonb_build_object(
                'event', 'opened', 'incident_id', id, 'product', name,
                'subscription_id', _sub_incident.subscription_id, 'kind', 'upstream_change')::text);
        END IF;
    ELSE
        UPDATE @extschema@.incident i SET resolved_at = now(), last_seen = now()
         WHERE i.subscription_id = _sub_incident.subscription_id AND i.kind = 'upstream_change'
           AND i.resolved_at IS NULL
        RETURNING i.incident_id INTO id;
        IF id IS NOT NULL THEN
            PERFORM pg_notify('dmesh_incident', jsonb_build_object(
                'event', 'resolved', 'incident_id', id, 'product', name,
                'subscription_id', _sub_incident.subscription_id, 'kind', 'upstream_change')::text);
        END IF;
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._sub_incident(bigint, boolean, jsonb) IS
  'Internal (dmesh.check_subscriptions): opens the upstream_change incident of a subscription, or counts one more occurrence, when failing; resolves it when not. NOTIFY dmesh_incident as dmesh._incident does, the product named peer:domain.product.';
REVOKE ALL ON FUNCTION @extschema@._sub_incident(bigint, boolean, jsonb) FROM PUBLIC;

-------------------------------------------------------------------------------
-- subscribe, unsubscribe, check_subscriptions
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.subscribe(peer text, product text, major integer DEFAULT NULL,
                                      mode text DEFAULT 'live', into_schema name DEFAULT NULL)
RETURNS regclass
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    pr @extschema@.peer;
    dom text;
    prod text;
    ports record;
    chosen record;
    newest integer;
    cols jsonb;
    wanted text[];
    missing text[];
    target_schema name := coalesce(into_schema, current_schema());
    relname text;
    rel regclass;
    defs text;
    rparts text[];
BEGIN
    IF peer IS NULL OR product IS NULL OR mode IS NULL THEN
        RAISE EXCEPTION 'peer, product and mode must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF mode NOT IN ('live', 'replica') THEN
        RAISE EXCEPTION 'invalid subscription mode: %', quote_literal(mode)
              USING ERRCODE = 'invalid_parameter_value', HINT = 'Use live or replica.';
    END IF;
    IF mode = 'replica' THEN
        RAISE EXCEPTION 'replica subscriptions are not available yet'
              USING ERRCODE = 'feature_not_supported',
                    HINT = 'Subscribe with mode => ''live'' (a foreign table over the peer''s published relation).';
    END IF;
    IF major IS NOT NULL AND major < 0 THEN
        RAISE EXCEPTION 'major version must not be negative' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF strpos(product, '.') = 0 THEN
        RAISE EXCEPTION 'invalid product name: %', quote_literal(product)
              USING ERRCODE = 'invalid_parameter_value',
                    DETAIL = 'A remote product is named domain.product, as the peer names it.';
    END IF;
    dom := split_part(product, '.', 1);
    prod := substr(product, length(dom) + 2);
    SELECT * INTO pr FROM @extschema@.peer p WHERE p.name = subscribe.peer;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'peer % does not exist', quote_literal(peer)
              USING ERRCODE = 'undefined_object', HINT = 'The peers are listed in dmesh.peer.';
    END IF;
    IF to_regnamespace(quote_ident(target_schema)) IS NULL THEN
        RAISE EXCEPTION 'schema % does not exist', quote_ident(target_schema) USING ERRCODE = 'invalid_schema_name';
    END IF;
    IF NOT has_schema_privilege(quote_ident(target_schema), 'CREATE') THEN
        RAISE EXCEPTION 'permission denied for schema %', quote_ident(target_schema)
              USING ERRCODE = 'insufficient_privilege',
                    DETAIL = 'The subscription''s foreign table is created there, owned by the current role.';
    END IF;
    IF NOT has_server_privilege(pr.server_name, 'USAGE') THEN
        RAISE EXCEPTION 'permission denied for foreign server % of peer %', quote_ident(pr.server_name), quote_literal(peer)
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'The server''s owner can GRANT USAGE ON FOREIGN SERVER and create a user mapping for the role.';
    END IF;

    SELECT max(p.major) INTO newest FROM @extschema@._sub_remote_ports(pr.server_name, dom, prod) p;
    IF newest IS NULL THEN
        RAISE EXCEPTION 'peer % publishes no product %', quote_literal(peer), quote_literal(product)
              USING ERRCODE = 'undefined_object',
                    HINT = 'The peer''s dmesh.marketplace lists what it publishes.';
    END IF;
    SELECT * INTO chosen FROM @extschema@._sub_remote_ports(pr.server_name, dom, prod) p
     WHERE p.major = coalesce(subscribe.major, newest);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'peer % publishes no major version % of %', quote_literal(peer), major, quote_literal(product)
              USING ERRCODE = 'undefined_object',
                    HINT = format('The newest major version published is %s.', newest);
    END IF;

    cols := @extschema@._sub_remote_columns(pr.server_name, chosen.relation);
    -- Exactly the contract's columns (of its one object), in the relation's order.
    SELECT array_agg(e ->> 'name') INTO wanted
      FROM jsonb_path_query(coalesce(chosen.document -> 'schema', '[]'), '$[0].properties[*]') e;
    IF wanted IS NOT NULL THEN
        SELECT array_agg(w) INTO missing FROM unnest(wanted) w
         WHERE NOT EXISTS (SELECT FROM jsonb_array_elements(cols) AS x (c) WHERE x.c ->> 'name' = w);
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION 'the relation of % on peer % lacks columns of its contract', quote_literal(product), quote_literal(peer)
                  USING ERRCODE = 'object_not_in_prerequisite_state',
                        DETAIL = format('Missing: %s.', array_to_string(missing, ', '));
        END IF;
        SELECT coalesce(jsonb_agg(c ORDER BY o), '[]') INTO cols
          FROM jsonb_array_elements(cols) WITH ORDINALITY AS x (c, o)
         WHERE c ->> 'name' = ANY (wanted);
    END IF;
    SELECT string_agg(format('%I %s OPTIONS (column_name %L)', c ->> 'name', c ->> 'type', c ->> 'name'), ', ' ORDER BY o)
      INTO defs FROM jsonb_array_elements(cols) WITH ORDINALITY AS x (c, o);
    rparts := parse_ident(chosen.relation);
    relname := format('%s_v%s', prod, chosen.major);
    EXECUTE format('CREATE FOREIGN TABLE %I.%I (%s) SERVER %I OPTIONS (schema_name %L, table_name %L)',
                   target_schema, relname, defs, pr.server_name, rparts[1], rparts[2]);
    rel := format('%I.%I', target_schema, relname)::regclass;
    EXECUTE format('REVOKE ALL ON %s FROM PUBLIC', rel);
    EXECUTE format('COMMENT ON FOREIGN TABLE %s IS %L', rel,
                   format('Subscription to %s:%s major version %s (contract %s), read live from the peer (dmesh.subscription).',
                          peer, product, chosen.major, coalesce(chosen.version, 'unknown')));
    PERFORM @extschema@._sub_record(pr.peer_id, dom, prod, chosen.product_id, chosen.major, chosen.version,
                                    chosen.document, cols, chosen.relation, mode, rel);
    RETURN rel;
END
$$;
COMMENT ON FUNCTION @extschema@.subscribe(text, text, integer, text, name) IS
  'Subscribe to a peer''s data product (domain.product, as the peer names it), pinned to a major version (default: the newest published): mode live makes a foreign table <product>_v<major> in into_schema (default: the current schema) over the peer''s published relation, with exactly its contract''s columns and types, owned by the caller and granted to nobody. The peer''s agreement for the remote role of the caller''s user mapping decides rows and masks. Records it in dmesh.subscription; returns the relation. Mode replica is not available yet.';

CREATE FUNCTION @extschema@.unsubscribe(peer text, product text, major integer DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s record;
    n integer := 0;
BEGIN
    IF peer IS NULL OR product IS NULL THEN
        RAISE EXCEPTION 'peer and product must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    FOR s IN
        SELECT x.subscription_id, x.relation
          FROM @extschema@.subscription x JOIN @extschema@.peer p USING (peer_id)
         WHERE p.name = unsubscribe.peer
           AND x.remote_domain || '.' || x.remote_product = unsubscribe.product
           AND (unsubscribe.major IS NULL OR x.major = unsubscribe.major)
           AND pg_has_role((SELECT oid FROM pg_roles WHERE rolname = x.created_by), 'USAGE')
         ORDER BY x.subscription_id
    LOOP
        IF to_regclass(s.relation::text) IS NOT NULL THEN
            EXECUTE format('DROP FOREIGN TABLE %s', s.relation);
        END IF;
        PERFORM @extschema@._sub_forget(s.subscription_id);
        n := n + 1;
    END LOOP;
    IF n = 0 THEN
        RAISE EXCEPTION 'no subscription of the current role to % on peer %', quote_literal(product), quote_literal(peer)
              USING ERRCODE = 'undefined_object', HINT = 'The subscriptions are listed in dmesh.subscription.';
    END IF;
    RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.unsubscribe(text, text, integer) IS
  'End the current role''s subscriptions to a peer''s product (all its majors, or one): drops the local relation (RESTRICT: views built on it must go first) and the catalog row with its incidents. Returns how many ended.';

CREATE FUNCTION @extschema@.check_subscriptions()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s record;
    checked integer := 0;
    ports jsonb;
    cols jsonb;
    pinned jsonb;
    newest integer;
    detail jsonb;
BEGIN
    -- A subscription whose relation its owner dropped (DROP FOREIGN TABLE
    -- rather than dmesh.unsubscribe) has ended: forget it.
    DELETE FROM @extschema@.subscription x
     WHERE NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = x.relation);
    FOR s IN
        SELECT x.*, p.server_name, p.name AS peer_name
          FROM @extschema@.subscription x JOIN @extschema@.peer p USING (peer_id)
         WHERE x.mode = 'live'
         ORDER BY x.subscription_id
    LOOP
        BEGIN
            -- Read the peer as the subscriber, through its user mapping.
            EXECUTE format('SET LOCAL ROLE %I', s.created_by);
            SELECT coalesce(jsonb_agg(to_jsonb(r) - 'document'), '[]') INTO ports
              FROM @extschema@._sub_remote_ports(s.server_name, s.remote_domain, s.remote_product) r;
            SELECT r.v INTO pinned FROM jsonb_array_elements(ports) AS r (v) WHERE (r.v ->> 'major')::integer = s.major;
            cols := CASE WHEN pinned IS NULL THEN NULL
                         ELSE @extschema@._sub_remote_columns(s.server_name, pinned ->> 'relation') END;
            RESET ROLE;
        EXCEPTION WHEN OTHERS THEN
            -- Every role reads dmesh.subscription: the error's class and
            -- SQLSTATE only; the message goes to the server log.
            RAISE LOG 'dmesh: subscription % to %:%.% could not be checked: % (SQLSTATE %)',
                      s.subscription_id, s.peer_name, s.remote_domain, s.remote_product, SQLERRM, SQLSTATE;
            UPDATE @extschema@.subscription x
               SET status = 'unreachable', last_checked_at = now(),
                   last_error = format('%s (SQLSTATE %s)',
                                       CASE WHEN SQLSTATE LIKE '08%' THEN 'could not connect to the peer'
                                            WHEN SQLSTATE = '42501' OR SQLSTATE LIKE '28%' THEN 'the peer refused the subscriber''s role'
                                            ELSE 'could not read the peer' END, SQLSTATE)
             WHERE x.subscription_id = s.subscription_id;
            checked := checked + 1;
            CONTINUE;
        END;
        SELECT max((r.v ->> 'major')::integer) INTO newest FROM jsonb_array_elements(ports) AS r (v);
        detail := jsonb_strip_nulls(jsonb_build_object(
            'pinned_major', s.major,
            'newest_major', CASE WHEN newest > s.major THEN newest END,
            'pinned_status', CASE WHEN pinned IS NULL THEN 'retired'
                                  WHEN pinned ->> 'status' <> 'published' THEN pinned ->> 'status' END,
            'columns_changed', CASE WHEN cols IS NOT NULL
                                     AND NOT (cols @> s.columns AND jsonb_array_length(cols) >= jsonb_array_length(s.columns))
                                    THEN true END));
        PERFORM @extschema@._sub_incident(s.subscription_id,
                                          detail ?| ARRAY['newest_major', 'pinned_status', 'columns_changed'], detail);
        UPDATE @extschema@.subscription x
           SET status = CASE WHEN detail ?| ARRAY['newest_major', 'pinned_status', 'columns_changed']
                             THEN 'upstream_change' ELSE 'ok' END,
               last_checked_at = now(), last_error = NULL
         WHERE x.subscription_id = s.subscription_id;
        checked := checked + 1;
    END LOOP;
    RETURN checked;
END
$$;
COMMENT ON FUNCTION @extschema@.check_subscriptions() IS
  'Compare each live subscription with its peer, read as the subscriber (its user mapping): a newer major published, the pinned major deprecated or retired, or the pinned relation''s columns no longer those subscribed to open (or count) an upstream_change incident of the subscription, with NOTIFY dmesh_incident; none of these resolves it. A peer that cannot be read marks the subscription unreachable with the error. A subscription whose relation was dropped is forgotten. Returns the number checked. Run by the background worker each round; superusers only.';
REVOKE ALL ON FUNCTION @extschema@.check_subscriptions() FROM PUBLIC;

-------------------------------------------------------------------------------
-- The peers' products read here
-------------------------------------------------------------------------------

CREATE VIEW @extschema@.subscribed_products AS
SELECT p.name AS peer,
       s.remote_domain AS domain,
       s.remote_product AS product,
       pg_catalog.format('%s:%s.%s', p.name, s.remote_domain, s.remote_product) AS name,
       s.major,
       s.contract_version,
       s.mode,
       s.relation,
       s.status,
       (SELECT pg_catalog.count(*) FROM @extschema@.incident i
         WHERE i.subscription_id OPERATOR(pg_catalog.=) s.subscription_id AND i.resolved_at IS NULL) AS open_incidents,
       s.created_by,
       s.created_at,
       s.subscription_id
  FROM @extschema@.subscription s
  JOIN @extschema@.peer p ON p.peer_id OPERATOR(pg_catalog.=) s.peer_id;
COMMENT ON VIEW @extschema@.subscribed_products IS
  'The peers'' data products read in this database, one row per subscription: the product as peer:domain.product, the pinned major and contract version, the mode, the local relation and its status. Readable by every role; open_incidents counts only the incidents the reader may see.';
COMMENT ON COLUMN @extschema@.subscribed_products.peer IS 'The peer (dmesh.peer).';
COMMENT ON COLUMN @extschema@.subscribed_products.domain IS 'Domain of the product on the peer.';
COMMENT ON COLUMN @extschema@.subscribed_products.product IS 'Name of the product on the peer.';
COMMENT ON COLUMN @extschema@.subscribed_products.name IS 'The product as this mesh names it: peer:domain.product (also its name in lineage).';
COMMENT ON COLUMN @extschema@.subscribed_products.major IS 'The pinned major version.';
COMMENT ON COLUMN @extschema@.subscribed_products.contract_version IS 'The contract version subscribed to.';
COMMENT ON COLUMN @extschema@.subscribed_products.mode IS 'live or replica.';
COMMENT ON COLUMN @extschema@.subscribed_products.relation IS 'The local relation.';
COMMENT ON COLUMN @extschema@.subscribed_products.status IS 'ok, upstream_change or unreachable (dmesh.subscription.status).';
COMMENT ON COLUMN @extschema@.subscribed_products.open_incidents IS 'Open upstream_change incidents the reader may see.';
COMMENT ON COLUMN @extschema@.subscribed_products.created_by IS 'The subscriber.';
COMMENT ON COLUMN @extschema@.subscribed_products.created_at IS 'When it subscribed.';
COMMENT ON COLUMN @extschema@.subscribed_products.subscription_id IS 'The subscription (dmesh.subscription).';
GRANT SELECT ON @extschema@.subscribed_products TO PUBLIC;

-- OpenLineage: a peer's product read through a subscription is the
-- peer's published relation, in the peer's namespace (lineage.sql).
CREATE FUNCTION @extschema@._source_dataset(source text, target regclass)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result jsonb;
BEGIN
    -- A peer's product (peer:domain.product) read here through a
    -- subscription: the peer's published relation, in the peer's namespace.
    IF strpos(source, ':') > 0 THEN
        SELECT jsonb_build_object(
                   'namespace', 'postgres://'
                                || coalesce(nullif(regexp_replace(o.opts ->> 'host', '^/.*$', 'localhost'), ''), 'localhost')
                                || ':' || coalesce(o.opts ->> 'port', '5432'),
                   'name', coalesce(o.opts ->> 'dbname', current_database()) || '.'
                           || @extschema@._dataset_name(s.remote_relation))
          INTO result
          FROM @extschema@.subscription s
          JOIN @extschema@.peer p ON p.peer_id = s.peer_id
          JOIN pg_foreign_server fs ON fs.srvname = p.server_name
          CROSS JOIN LATERAL (
                SELECT jsonb_object_agg(split_part(x, '=', 1), substr(x, strpos(x, '=') + 1)) AS opts
                  FROM unnest(fs.srvoptions) x) o
         WHERE s.relation = target
           AND format('%s:%s.%s', p.name, s.remote_domain, s.remote_product) = source;
        IF result IS NOT NULL THEN
            RETURN result;
        END IF;
    END IF;
    -- The remote object of a foreign table: server/schema.table.
    RETURN jsonb_build_object('namespace', 'postgres://' || split_part(source, '/', 1),
                              'name', substr(source, strpos(source, '/') + 1));
END
$$;
COMMENT ON FUNCTION @extschema@._source_dataset(text, regclass) IS
  'Internal (openlineage_events): a lineage source that is not a local relation as an OpenLineage dataset: a peer''s product read through a subscription as the peer''s published relation in the peer''s namespace (postgres://host:port of the foreign server, database.schema.relation); the remote object of another foreign table as postgres://server and schema.table.';

CREATE OR REPLACE FUNCTION @extschema@.openlineage_events(since timestamptz DEFAULT '-infinity')
RETURNS SETOF jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
WITH ns AS (
    SELECT 'postgres://' || coalesce(host(inet_server_addr()), 'localhost') || ':'
           || current_setting('port') AS namespace,
           current_database() AS db,
           'urn:dmesh:' || (SELECT extversion FROM pg_extension WHERE extname = 'dmesh') AS producer
), rel AS (
    -- every relation that is an end of an open edge or of a runtime run
    SELECT c.oid, n.nspname, c.relname, c.relowner
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid IN (SELECT source_rel FROM @extschema@.lineage_edge WHERE closed_at IS NULL
                     UNION SELECT target_rel FROM @extschema@.lineage_edge WHERE closed_at IS NULL)
), dataset AS (
    -- a relation as an OpenLineage dataset, by oid and by its quoted name
    SELECT r.oid, @extschema@._relname(r.oid) AS qname,
           ns.namespace, ns.db || '.' || r.nspname || '.' || r.relname AS name, r.relowner
      FROM rel r, ns
), quality AS (
    -- latest quality results of the product whose source or published relation a dataset is
    SELECT ds.oid,
           jsonb_build_object(
               '_producer', (SELECT producer FROM ns),
               '_schemaURL', 'https://openlineage.io/spec/facets/1-0-1/DataQualityAssertionsDatasetFacet.json#/$defs/DataQualityAssertionsDatasetFacet',
               'assertions', jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                   'assertion', qr.rule, 'success', qr.passed, 'column', qr.property)) ORDER BY qr.position)) AS facet
      FROM dataset ds
      JOIN @extschema@.data_product p ON p.status <> 'retired'
      JOIN @extschema@.domain d ON d.domain_id = p.domain_id
      JOIN LATERAL (SELECT q.run_id FROM @extschema@.quality_run q
                     WHERE q.product_id = p.product_id ORDER BY q.run_id DESC LIMIT 1) lr ON true
      JOIN @extschema@.quality_result qr ON qr.run_id = lr.run_id
                                        AND qr.passed IS NOT NULL    -- not run here: no assertion
     WHERE EXISTS (SELECT FROM @extschema@.product_sources s
                    WHERE s.product_id = p.product_id AND s.source_relation = ds.oid)
        OR EXISTS (SELECT FROM @extschema@.output_port o
                    WHERE o.product_id = p.product_id AND o.status <> 'retired'
                      AND to_regclass(format('%I.%I', d.schema_name, o.relation_name)) = ds.oid)
     GROUP BY ds.oid
), input_ds AS (
    -- an input: a relation (with its quality assertions) or a remote object
    SELECT e.target_rel, e.source_rel, e.source,
           CASE WHEN ds.oid IS NOT NULL
                THEN jsonb_strip_nulls(jsonb_build_object(
                         'namespace', ds.namespace, 'name', ds.name,
                         'inputFacets', CASE WHEN q.facet IS NOT NULL
                                             THEN jsonb_build_object('dataQualityAssertions', q.facet) END))
                ELSE @extschema@._source_dataset(e.source, e.target_rel)
           END AS input
      FROM (SELECT DISTINCT target_rel, source_rel, source FROM @extschema@.lineage_edge
             WHERE closed_at IS NULL AND source_column IS NULL AND target_column IS NULL) e
      LEFT JOIN dataset ds ON ds.oid = e.source_rel
      LEFT JOIN quality q ON q.oid = e.source_rel
), column_lineage AS (
    SELECT e.target_rel,
           jsonb_object_agg(e.target_column, e.inputs) AS fields
      FROM (SELECT ce.target_rel, ce.target_column,
                   jsonb_build_object('inputFields', jsonb_agg(jsonb_build_object(
                       'namespace', coalesce(ds.namespace, @extschema@._source_dataset(ce.source, ce.target_rel) ->> 'namespace'),
                       'name', coalesce(ds.name, @extschema@._source_dataset(ce.source, ce.target_rel) ->> 'name'),
                       'field', ce.source_column,
                       'transformations', jsonb_build_array(jsonb_build_object(
                           'type', upper(ce.dependency), 'subtype', ce.subtype)))
                       ORDER BY ce.source, ce.source_column, ce.dependency, ce.subtype)) AS inputs
              FROM @extschema@.lineage_edge ce
              LEFT JOIN dataset ds ON ds.oid = ce.source_rel
             WHERE ce.closed_at IS NULL AND ce.target_column IS NOT NULL AND ce.source_column IS NOT NULL
             GROUP BY ce.target_rel, ce.target_column) e
     GROUP BY e.target_rel
), design AS (
    -- one event per derived relation, for its current definition
    SELECT max(e.last_seen) AS event_time, e.target_rel, min(e.kind) AS kind
      FROM @extschema@.lineage_edge e WHERE e.closed_at IS NULL
     GROUP BY e.target_rel
)
SELECT jsonb_build_object(
           'eventType', 'COMPLETE',
           'eventTime', to_char(d.event_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
           'producer', ns.producer,
           'schemaURL', 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
           'run', jsonb_build_object('runId', md5('dmesh design ' || t.name || ' ' || d.event_time::text)::uuid),
           'job', jsonb_build_object('namespace', ns.namespace, 'name', ns.db || '.' || d.kind || '.' || t.qname),
           'inputs', coalesce((SELECT jsonb_agg(i.input ORDER BY i.source) FROM input_ds i
                                WHERE i.target_rel = d.target_rel), '[]'),
           'outputs', jsonb_build_array(jsonb_build_object(
               'namespace', t.namespace, 'name', t.name,
               'facets', jsonb_strip_nulls(jsonb_build_object(
                   'schema', jsonb_build_object(
                       '_producer', ns.producer,
                       '_schemaURL', 'https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet',
                       'fields', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                      'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod))
                                      ORDER BY a.attnum), '[]')
                                    FROM pg_attribute a
                                   WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped)),
                   'columnLineage', CASE WHEN cl.fields IS NOT NULL THEN jsonb_build_object(
                       '_producer', ns.producer,
                       '_schemaURL', 'https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet',
                       'fields', cl.fields) END,
                   'ownership', jsonb_build_object(
                       '_producer', ns.producer,
                       '_schemaURL', 'https://openlineage.io/spec/facets/1-0-1/OwnershipDatasetFacet.json#/$defs/OwnershipDatasetFacet',
                       'owners', jsonb_build_array(jsonb_build_object(
                           'name', 'role:' || coalesce(
                               (SELECT p.owner::text FROM @extschema@.data_product p
                                  JOIN @extschema@.domain dm ON dm.domain_id = p.domain_id
                                  JOIN @extschema@.output_port o ON o.product_id = p.product_id
                                 WHERE to_regclass(format('%I.%I', dm.schema_name, o.relation_name)) = t.oid
                                 LIMIT 1),
                               pg_get_userbyid(t.relowner)),
                           'type', 'OWNER'))))))))
  FROM design d
  JOIN dataset t ON t.oid = d.target_rel
  LEFT JOIN column_lineage cl ON cl.target_rel = d.target_rel
  CROSS JOIN ns
 WHERE d.event_time >= since
UNION ALL
-- one event per runtime run: statements of one kind by one role writing one relation
SELECT jsonb_build_object(
           'eventType', 'COMPLETE',
           'eventTime', to_char(r.event_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
           'producer', ns.producer,
           'schemaURL', 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
           'run', jsonb_build_object(
               'runId', md5('dmesh run ' || r.target || ' ' || r.role || ' ' || r.kind || ' '
                            || r.event_time::text)::uuid,
               'facets', jsonb_build_object('dmesh_statements', jsonb_build_object(
                   '_producer', ns.producer,
                   '_schemaURL', ns.producer || ':facets:statements',
                   'role', r.role, 'kind', r.kind, 'statements', r.statements, 'rows', r.rows,
                   'firstSeen', r.first_seen))),
           'job', jsonb_build_object('namespace', ns.namespace,
                                     'name', ns.db || '.' || r.kind || '.' || r.target || '.' || r.role),
           'inputs', r.inputs,
           'outputs', jsonb_build_array(jsonb_build_object('namespace', ns.namespace,
                                                           'name', ns.db || '.' || r.target_name)))
  FROM (SELECT lr.target, @extschema@._dataset_name(lr.target) AS target_name, lr.role, lr.kind,
               max(lr.last_seen) AS event_time, min(lr.first_seen) AS first_seen,
               sum(lr.statements) AS statements, sum(lr.rows) AS rows,
               jsonb_agg(jsonb_build_object('namespace', (SELECT namespace FROM ns),
                                            'name', (SELECT db FROM ns) || '.' || @extschema@._dataset_name(lr.source))
                         ORDER BY lr.source) AS inputs
          FROM @extschema@.lineage_run lr
         GROUP BY lr.target, lr.role, lr.kind) r
  CROSS JOIN ns
 WHERE r.event_time >= since
$$;
