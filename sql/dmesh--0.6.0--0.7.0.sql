-- dmesh 0.6.0 -> 0.7.0: security.  What the worker and dmesh's helpers
-- record is readable only by a product's managers and consumers and
-- carries no value of its data; replaced data is tracked exactly;
-- retirement can drop other roles' dependents; the health view reads only
-- what a contract declares public.

\echo Use "ALTER EXTENSION dmesh UPDATE TO '0.7.0'" to load this file. \quit

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
                         AND (@extschema@._relname(p.source_relation) OPERATOR(pg_catalog.=) lineage_run.source
                              OR @extschema@._relname(p.source_relation) OPERATOR(pg_catalog.=) lineage_run.target
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
               EXISTS (SELECT FROM jsonb_array_elements(coalesce(k.document -> 'schema' -> 0 -> 'properties', '[]')) pr
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
