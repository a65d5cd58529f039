-- dmesh worker: what the background worker does and the state it keeps:
-- schedules, refreshes of materialized products (write-audit-publish, with
-- the cleanup of replaced data), incidents opened and resolved by the
-- watchers of freshness and contracts, and product health and metrics.

-------------------------------------------------------------------------------
-- Schedules
-------------------------------------------------------------------------------

CREATE TABLE @extschema@.schedule (
    product_id     bigint PRIMARY KEY REFERENCES @extschema@.data_product (product_id),
    refresh_every  interval,
    check_every    interval,
    freshness      interval,
    next_check_at  timestamptz,
    last_check_at  timestamptz,
    failures       integer NOT NULL DEFAULT 0,
    last_error     text,
    last_error_at  timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    next_refresh_at timestamptz,
    last_refresh_at timestamptz
);
COMMENT ON TABLE @extschema@.schedule IS
  'When the background worker refreshes and checks each product and how fresh its data must be, set by dmesh.set_schedule; with the state of the scheduled jobs. A role sees the schedules of the products it manages or holds an agreement on.';
COMMENT ON COLUMN @extschema@.schedule.product_id IS 'The product.';
COMMENT ON COLUMN @extschema@.schedule.refresh_every IS 'How often the product is refreshed (materialized products).';
COMMENT ON COLUMN @extschema@.schedule.check_every IS 'How often dmesh.check_product runs; NULL: never on schedule.';
COMMENT ON COLUMN @extschema@.schedule.freshness IS 'Greatest acceptable age of the newest data; NULL: the contract''s freshness SLA.';
COMMENT ON COLUMN @extschema@.schedule.next_check_at IS 'When the next check is due.';
COMMENT ON COLUMN @extschema@.schedule.last_check_at IS 'When the last scheduled check ran.';
COMMENT ON COLUMN @extschema@.schedule.failures IS 'Scheduled checks that failed in a row (each doubles the wait before the next try, at most an hour).';
COMMENT ON COLUMN @extschema@.schedule.last_error IS
  'Why the last scheduled job failed or was put off: the error as the code writes it, values left out ("..."), and its SQLSTATE; the full error is in the server log.';
COMMENT ON COLUMN @extschema@.schedule.last_error_at IS 'When it failed.';
COMMENT ON COLUMN @extschema@.schedule.updated_at IS 'When the schedule was last set.';
COMMENT ON COLUMN @extschema@.schedule.next_refresh_at IS 'When the next refresh is due.';
COMMENT ON COLUMN @extschema@.schedule.last_refresh_at IS 'When the product was last refreshed (published or not).';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.schedule', '');
REVOKE ALL ON @extschema@.schedule FROM PUBLIC;
GRANT SELECT ON @extschema@.schedule TO PUBLIC;
ALTER TABLE @extschema@.schedule ENABLE ROW LEVEL SECURITY;
CREATE POLICY schedule_visible ON @extschema@.schedule FOR SELECT
    USING (@extschema@._insider(product_id));

CREATE FUNCTION @extschema@.set_schedule(product text, refresh interval DEFAULT NULL,
                                         "check" interval DEFAULT NULL,
                                         freshness interval DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'dmesh_set_schedule'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.set_schedule(text, interval, interval, interval) IS
  'Sets when the background worker refreshes (materialized products), checks (dmesh.check_product) and watches the freshness of a product (NULL: not on schedule; freshness NULL: the contract''s SLA). The first check is due at once. Managers of the product only.';

-------------------------------------------------------------------------------
-- Incidents
-------------------------------------------------------------------------------

CREATE TABLE @extschema@.incident (
    incident_id  bigserial PRIMARY KEY,
    product_id   bigint NOT NULL REFERENCES @extschema@.data_product (product_id),
    kind         text NOT NULL
                 CONSTRAINT incident_kind_valid
                 CHECK (kind OPERATOR(pg_catalog.=) ANY (ARRAY['quality', 'freshness', 'refresh_failed',
                                                            'contract_breach'])),
    opened_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    last_seen    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    resolved_at  timestamptz,
    occurrences  integer NOT NULL DEFAULT 1 CHECK (occurrences OPERATOR(pg_catalog.>) 0),
    detail       jsonb NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX incident_one_open_idx ON @extschema@.incident (product_id, kind) WHERE resolved_at IS NULL;
COMMENT ON TABLE @extschema@.incident IS
  'Incidents of products: at most one open per product and kind; repeats count in occurrences. Opened and resolved by dmesh (the background worker); counted in dmesh.product_health. A role sees the incidents of the products it manages or holds an agreement on.';
COMMENT ON COLUMN @extschema@.incident.incident_id IS 'Identifier of the incident.';
COMMENT ON COLUMN @extschema@.incident.product_id IS 'The product.';
COMMENT ON COLUMN @extschema@.incident.kind IS 'quality, freshness, refresh_failed or contract_breach.';
COMMENT ON COLUMN @extschema@.incident.opened_at IS 'When it was opened.';
COMMENT ON COLUMN @extschema@.incident.last_seen IS 'When the condition was last seen.';
COMMENT ON COLUMN @extschema@.incident.resolved_at IS 'When the condition cleared; NULL while open.';
COMMENT ON COLUMN @extschema@.incident.occurrences IS 'How many times the condition was seen while open.';
COMMENT ON COLUMN @extschema@.incident.detail IS 'What was seen (failing rules, data age, error).';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.incident', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.incident_incident_id_seq', '');
REVOKE ALL ON @extschema@.incident FROM PUBLIC;
REVOKE ALL ON SEQUENCE @extschema@.incident_incident_id_seq FROM PUBLIC;
GRANT SELECT ON @extschema@.incident TO PUBLIC;

ALTER TABLE @extschema@.incident ENABLE ROW LEVEL SECURITY;
CREATE POLICY incident_visible ON @extschema@.incident FOR SELECT
    USING (@extschema@._insider(product_id));

-------------------------------------------------------------------------------
-- Freshness and contract findings, and the watchers that open and resolve
-- incidents from them
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@._sla_interval(value numeric, unit text)
RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT value * CASE
           WHEN unit IN ('s', 'sec', 'second', 'seconds') THEN interval '1 second'
           WHEN unit IN ('m', 'min', 'minute', 'minutes') THEN interval '1 minute'
           WHEN unit IN ('h', 'hr', 'hour', 'hours') THEN interval '1 hour'
           WHEN unit IN ('d', 'day', 'days') THEN interval '1 day'
           WHEN unit IN ('w', 'week', 'weeks') THEN interval '1 week'
           WHEN unit IN ('mo', 'month', 'months') THEN interval '1 month'
           WHEN unit IN ('y', 'yr', 'year', 'years') THEN interval '1 year'
         END
$$;
COMMENT ON FUNCTION @extschema@._sla_interval(numeric, text) IS
  'Internal: an SLA duration (value and ODCS unit) as an interval; NULL for an unknown unit.';

CREATE FUNCTION @extschema@._newest_data(product text, element text)
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'dmesh_newest_data'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@._newest_data(text, text) IS
  'Internal: the newest value of a published column (element: "column" or "object.column") of a live product, read as its owner; without an element, the newest commit time of the source''s rows when track_commit_timestamp is on; else NULL. Managers of the product only.';

CREATE FUNCTION @extschema@._freshness(product text)
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'dmesh_freshness'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION @extschema@._freshness(text) IS
  'Internal: the newest value of the column the active contract''s freshness SLA names as its element (or, without one and with track_commit_timestamp on, the newest commit time of the source''s rows), read as the product''s owner; NULL when unknown, and for a column classified pii or restricted unless the caller manages the product.';

CREATE FUNCTION @extschema@._contract_findings(product text)
RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN (SELECT count(*) FROM @extschema@.contract_check(product));
EXCEPTION WHEN OTHERS THEN
    RETURN NULL;    -- cannot be checked (e.g. its source is gone): unknown
END
$$;
COMMENT ON FUNCTION @extschema@._contract_findings(text) IS
  'Internal: the number of departures of a product''s source from its active contract (dmesh.contract_check), NULL when it cannot be checked.';

CREATE FUNCTION @extschema@._incident(product_id bigint, kind text, failing boolean, detail jsonb DEFAULT '{}')
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
REVOKE ALL ON FUNCTION @extschema@._incident(bigint, text, boolean, jsonb) FROM PUBLIC;

CREATE FUNCTION @extschema@._watch_freshness()
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
COMMENT ON FUNCTION @extschema@._watch_freshness() IS
  'Internal (the worker): for every live product with a freshness limit (dmesh.schedule or the contract''s SLA) whose data age is known, opens or repeats a freshness incident when the data is older, resolves it when not. Returns the number of products watched.';
REVOKE ALL ON FUNCTION @extschema@._watch_freshness() FROM PUBLIC;

CREATE FUNCTION @extschema@._watch_contracts()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
    findings bigint;
    watched integer := 0;
BEGIN
    FOR r IN
        SELECT p.product_id, d.name || '.' || p.name AS ref
          FROM @extschema@.data_product p JOIN @extschema@.domain d ON d.domain_id = p.domain_id
         WHERE p.status IN ('published', 'deprecated')
    LOOP
        findings := @extschema@._contract_findings(r.ref);
        CONTINUE WHEN findings IS NULL;     -- cannot be checked: leave it as it is
        PERFORM @extschema@._incident(r.product_id, 'contract_breach', findings > 0,
            (SELECT jsonb_build_object('findings', coalesce(jsonb_agg(to_jsonb(c)), '[]'))
               FROM @extschema@.contract_check(r.ref) c));
        watched := watched + 1;
    END LOOP;
    RETURN watched;
END
$$;
COMMENT ON FUNCTION @extschema@._watch_contracts() IS
  'Internal (the worker): for every live product, opens or repeats a contract_breach incident while its source departs from its active contract (dmesh.contract_check; possible when its gate is warn or event triggers were off), resolves it when they agree again. Returns the number of products watched.';
REVOKE ALL ON FUNCTION @extschema@._watch_contracts() FROM PUBLIC;

-------------------------------------------------------------------------------
-- Materialized products and write-audit-publish refresh
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.refresh_product(product text, OUT published boolean, OUT rows bigint,
                                            OUT failed_rules jsonb, OUT relation text)
RETURNS record
AS 'MODULE_PATHNAME', 'dmesh_refresh_product'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.refresh_product(text) IS
  'Refreshes a materialized product now, write-audit-publish: builds the new data beside the current data, checks every rule of the contract on it, and swaps it in only if no error rule failed; else keeps the current data, keeps the build as <product>_data_failed and opens a quality incident. Managers of the product only. Returns published: true when the new rows are what the product''s published relations show from now on; false when an error rule failed, and for a draft, whose good rows become its data but no relation publishes them until dmesh.publish_data_product; rows: the rows built; failed_rules: the rules that failed on them, of any severity, as a jsonb array of {rule, property, severity} ([] when none failed); relation: the table that holds the new rows (the product''s data table, or <product>_data_failed).';

-- Replaced data, tracked exactly: what _refresh_cleanup drops.
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

CREATE FUNCTION @extschema@._refresh_cleanup()
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

REVOKE ALL ON FUNCTION @extschema@._refresh_cleanup() FROM PUBLIC;

-------------------------------------------------------------------------------
-- Health
-------------------------------------------------------------------------------

CREATE VIEW @extschema@.product_health AS
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
COMMENT ON VIEW @extschema@.product_health IS
  'Health of every product that is not retired, computed when queried: age of its newest data against its freshness SLA, latest quality check, departures from its contract, reads in the last 7 days, open incidents, and one status: failing (stale data, a failed error rule, a departure from the contract or an open incident), warning (another failed rule, a freshness SLA whose data age is unknown, a contract that cannot be checked) or ok.';
COMMENT ON COLUMN @extschema@.product_health.domain IS 'Domain of the product.';
COMMENT ON COLUMN @extschema@.product_health.product IS 'Name of the product.';
COMMENT ON COLUMN @extschema@.product_health.lifecycle IS 'draft, published or deprecated.';
COMMENT ON COLUMN @extschema@.product_health.newest_data IS
  'Newest value of the freshness SLA''s element column (or, without one and with track_commit_timestamp on, newest commit time of the source''s rows); NULL if unknown, and for an element classified pii or restricted unless the caller manages the product.';
COMMENT ON COLUMN @extschema@.product_health.data_age IS 'now() minus newest_data.';
COMMENT ON COLUMN @extschema@.product_health.freshness_sla IS 'The contract''s freshness SLA as an interval; NULL without one.';
COMMENT ON COLUMN @extschema@.product_health.fresh IS 'Whether data_age is within the SLA; NULL if either is unknown.';
COMMENT ON COLUMN @extschema@.product_health.quality_score IS 'Score of the latest check_product, percent.';
COMMENT ON COLUMN @extschema@.product_health.quality_checked_at IS 'When it finished.';
COMMENT ON COLUMN @extschema@.product_health.failed_error_rules IS 'Rules of severity error that failed in it.';
COMMENT ON COLUMN @extschema@.product_health.failed_other_rules IS 'Other rules that failed in it.';
COMMENT ON COLUMN @extschema@.product_health.contract_findings IS 'Departures of the source from the active contract (dmesh.contract_check); NULL if it cannot be checked.';
COMMENT ON COLUMN @extschema@.product_health.reads_7d IS 'Statements that read the product in the last 7 days (flushed usage).';
COMMENT ON COLUMN @extschema@.product_health.open_incidents IS 'Open incidents (dmesh.incident).';
COMMENT ON COLUMN @extschema@.product_health.status IS 'ok, warning or failing.';
GRANT SELECT ON @extschema@.product_health TO PUBLIC;

-------------------------------------------------------------------------------
-- Metrics
-------------------------------------------------------------------------------

CREATE VIEW @extschema@.metrics AS
WITH p AS (
    SELECT p.product_id, p.status,
           pg_catalog.jsonb_build_object('domain', d.name, 'product', p.name) AS labels
      FROM @extschema@.data_product p
      JOIN @extschema@.domain d ON d.domain_id OPERATOR(pg_catalog.=) p.domain_id
)
SELECT 'dmesh_product_published'::text AS metric, p.labels,
       CASE WHEN p.status OPERATOR(pg_catalog.=) ANY (ARRAY['published', 'deprecated'])
            THEN 1 ELSE 0 END::double precision AS value
  FROM p
UNION ALL
SELECT 'dmesh_quality_score', p.labels, r.score::double precision
  FROM p JOIN LATERAL (SELECT q.score FROM @extschema@.quality_run q
                        WHERE q.product_id OPERATOR(pg_catalog.=) p.product_id
                        ORDER BY q.run_id DESC LIMIT 1) r ON true
UNION ALL
SELECT 'dmesh_quality_failed_rules', p.labels, r.failed::double precision
  FROM p JOIN LATERAL (SELECT q.failed FROM @extschema@.quality_run q
                        WHERE q.product_id OPERATOR(pg_catalog.=) p.product_id
                        ORDER BY q.run_id DESC LIMIT 1) r ON true
UNION ALL
SELECT 'dmesh_agreements', p.labels,
       (SELECT pg_catalog.count(*) FROM @extschema@.access_grant g
         WHERE g.product_id OPERATOR(pg_catalog.=) p.product_id
           AND (g.expires_at IS NULL OR g.expires_at OPERATOR(pg_catalog.>) pg_catalog.now()))::double precision
  FROM p
UNION ALL
SELECT 'dmesh_quarantined_rows', p.labels,
       (SELECT pg_catalog.count(*) FROM @extschema@.quarantined_row q
         WHERE q.product_id OPERATOR(pg_catalog.=) p.product_id)::double precision
  FROM p
UNION ALL
SELECT 'dmesh_downstream_relations', p.labels,
       (SELECT pg_catalog.count(DISTINCT e.target_rel) FROM @extschema@.lineage_edge e
          JOIN @extschema@.output_port o ON o.product_id OPERATOR(pg_catalog.=) p.product_id
          JOIN @extschema@.data_product dp ON dp.product_id OPERATOR(pg_catalog.=) o.product_id
          JOIN @extschema@.domain d ON d.domain_id OPERATOR(pg_catalog.=) dp.domain_id
         WHERE e.closed_at IS NULL AND e.source_column IS NULL AND e.target_column IS NULL
           AND e.source_rel OPERATOR(pg_catalog.=) pg_catalog.to_regclass(
                 pg_catalog.format('%I.%I', d.schema_name, o.relation_name)))::double precision
  FROM p
UNION ALL
SELECT m.metric, pg_catalog.jsonb_build_object('domain', h.domain, 'product', h.product), m.value
  FROM @extschema@.product_health h
  CROSS JOIN LATERAL (VALUES
      ('dmesh_data_age_seconds', pg_catalog.date_part('epoch', h.data_age)),
      ('dmesh_fresh', CASE WHEN h.fresh THEN 1 WHEN NOT h.fresh THEN 0 END::double precision),
      ('dmesh_contract_findings', h.contract_findings::double precision),
      ('dmesh_reads_7d', h.reads_7d::double precision),
      ('dmesh_open_incidents', h.open_incidents::double precision),
      ('dmesh_health_status', CASE h.status WHEN 'ok' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END::double precision)
  ) AS m(metric, value)
 WHERE m.value IS NOT NULL;
COMMENT ON VIEW @extschema@.metrics IS
  'Prometheus-shaped metrics, one row per metric and product: metric name, labels (domain, product) and value. scripts/prometheus-queries.yaml serves them through prometheus-postgres-exporter.';
COMMENT ON COLUMN @extschema@.metrics.metric IS 'Metric name: dmesh_product_published (1 if published or deprecated), dmesh_quality_score (latest check, percent), dmesh_quality_failed_rules, dmesh_agreements (live agreements), dmesh_quarantined_rows, dmesh_downstream_relations (relations derived from its published relations); from dmesh.product_health (products not retired, when known): dmesh_data_age_seconds, dmesh_fresh (1 within the freshness SLA, 0 not), dmesh_contract_findings, dmesh_reads_7d, dmesh_open_incidents, dmesh_health_status (0 ok, 1 warning, 2 failing).';
COMMENT ON COLUMN @extschema@.metrics.labels IS 'Labels: at least domain and product.';
COMMENT ON COLUMN @extschema@.metrics.value IS 'Value of the metric.';
GRANT SELECT ON @extschema@.metrics TO PUBLIC;
