-- dmesh 0.5.0 -> 0.6.0: the background worker: schedules, scheduled
-- quality checks, freshness watching, incidents opened and resolved.

\echo Use "ALTER EXTENSION dmesh UPDATE TO '0.6.0'" to load this file. \quit

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
    updated_at     timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.schedule IS
  'When the background worker checks each product (check_every) and how fresh its data must be (freshness; NULL: the contract''s SLA), set by dmesh.set_schedule; with the state of the scheduled checks.';
COMMENT ON COLUMN @extschema@.schedule.product_id IS 'The product.';
COMMENT ON COLUMN @extschema@.schedule.refresh_every IS 'How often the product is refreshed (materialized products).';
COMMENT ON COLUMN @extschema@.schedule.check_every IS 'How often dmesh.check_product runs; NULL: never on schedule.';
COMMENT ON COLUMN @extschema@.schedule.freshness IS 'Greatest acceptable age of the newest data; NULL: the contract''s freshness SLA.';
COMMENT ON COLUMN @extschema@.schedule.next_check_at IS 'When the next check is due.';
COMMENT ON COLUMN @extschema@.schedule.last_check_at IS 'When the last scheduled check ran.';
COMMENT ON COLUMN @extschema@.schedule.failures IS 'Scheduled checks that failed in a row (each doubles the wait before the next try, at most an hour).';
COMMENT ON COLUMN @extschema@.schedule.last_error IS 'Error of the last failed check.';
COMMENT ON COLUMN @extschema@.schedule.last_error_at IS 'When it failed.';
COMMENT ON COLUMN @extschema@.schedule.updated_at IS 'When the schedule was last set.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.schedule', '');
REVOKE ALL ON @extschema@.schedule FROM PUBLIC;
GRANT SELECT ON @extschema@.schedule TO PUBLIC;

CREATE FUNCTION @extschema@.set_schedule(product text, refresh interval DEFAULT NULL,
                                         "check" interval DEFAULT NULL,
                                         freshness interval DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'dmesh_set_schedule'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.set_schedule(text, interval, interval, interval) IS
  'Sets when the background worker refreshes (materialized products), checks (dmesh.check_product) and watches the freshness of a product (NULL: not on schedule; freshness NULL: the contract''s SLA). The first check is due at once. Managers of the product only.';

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
                'kind', _incident.kind, 'detail', _incident.detail)::text);
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
  'Internal (the worker): opens an incident of a product and kind, or counts one more occurrence of the open one, when failing; resolves the open one when not. NOTIFY dmesh_incident (a jsonb payload) on open and resolve.';
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
               sla ->> 'element' AS element
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
            PERFORM @extschema@._incident(r.product_id, 'freshness', now() - newest > r.limit_age,
                                          jsonb_build_object('newest_data', newest,
                                                             'age', (now() - newest)::text,
                                                             'limit', r.limit_age::text));
            watched := watched + 1;
        END;
    END LOOP;
    RETURN watched;
END
$$;
COMMENT ON FUNCTION @extschema@._watch_freshness() IS
  'Internal (the worker): for every live product with a freshness limit (dmesh.schedule or the contract''s SLA) whose data age is known, opens or repeats a freshness incident when the data is older, resolves it when not. Returns the number of products watched.';
REVOKE ALL ON FUNCTION @extschema@._watch_freshness() FROM PUBLIC;

-------------------------------------------------------------------------------
-- Materialized products and write-audit-publish refresh
-------------------------------------------------------------------------------

ALTER TABLE @extschema@.data_product ADD COLUMN materialize_query text;
COMMENT ON COLUMN @extschema@.data_product.materialize_query IS
  'For a materialized product: the query its data table (its source_relation) is refreshed from; NULL otherwise.';
ALTER TABLE @extschema@.schedule ADD COLUMN next_refresh_at timestamptz,
                                 ADD COLUMN last_refresh_at timestamptz;
COMMENT ON COLUMN @extschema@.schedule.next_refresh_at IS 'When the next refresh is due.';
COMMENT ON COLUMN @extschema@.schedule.last_refresh_at IS 'When the product was last refreshed (published or not).';

DROP FUNCTION @extschema@.create_data_product(text, text, text, text, regrole, text[], text);
CREATE FUNCTION @extschema@.create_data_product(
    domain text,
    name text,
    source text,
    description text DEFAULT NULL,
    owner regrole DEFAULT NULL,
    tags text[] DEFAULT '{}',
    contract text DEFAULT NULL,
    refresh interval DEFAULT NULL,
    materialize boolean DEFAULT false)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dmesh_create_data_product'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.create_data_product(text, text, text, text, regrole, text[], text, interval, boolean) IS
  'Create a draft data product in a domain from a relation name or a SELECT query, with its contract (YAML or JSON) or one derived from the source. With materialize, a query is materialized into a table of the product (refreshed by dmesh.refresh_product, and by the worker every refresh). Returns the product_id.';

CREATE FUNCTION @extschema@.refresh_product(product text, OUT published boolean, OUT rows bigint,
                                            OUT failed_rules jsonb, OUT relation text)
RETURNS record
AS 'MODULE_PATHNAME', 'dmesh_refresh_product'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.refresh_product(text) IS
  'Refreshes a materialized product now, write-audit-publish: builds the new data beside the published data, checks every rule of the contract on it, and swaps it in only if no error rule failed; else keeps the published data, keeps the build as <product>_failed and opens a quality incident. Managers of the product only.';

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
        SELECT c.oid::regclass AS rel
          FROM @extschema@.data_product p
          JOIN pg_class d ON d.oid = p.source_relation
          JOIN pg_class c ON c.relnamespace = d.relnamespace AND c.relkind = 'r'
         WHERE p.materialize_query IS NOT NULL
           AND (c.relname LIKE d.relname || '\_old\_%'
                OR (c.relname = d.relname || '_failed'
                    AND NOT EXISTS (SELECT FROM @extschema@.incident i
                                     WHERE i.product_id = p.product_id AND i.kind = 'quality'
                                       AND i.resolved_at IS NULL)))
    LOOP
        EXECUTE format('DROP TABLE %s', r.rel);
        dropped := dropped + 1;
    END LOOP;
    RETURN dropped;
END
$$;
COMMENT ON FUNCTION @extschema@._refresh_cleanup() IS
  'Internal (the worker, after refreshing): drops the data that refreshes replaced (<product>_data_old_<oid>) and failed builds of products whose data is good again, each in the worker''s own transaction so that no reader waits for it. Superusers only.';
REVOKE ALL ON FUNCTION @extschema@._refresh_cleanup() FROM PUBLIC;

-------------------------------------------------------------------------------
-- Discovery: incidents
-------------------------------------------------------------------------------

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
         WHERE i.product_id OPERATOR(pg_catalog.=) p.product_id AND i.resolved_at IS NULL) AS open_incidents
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
COMMENT ON COLUMN @extschema@.marketplace.open_incidents IS 'Open incidents of the product (dmesh.incident).';

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
