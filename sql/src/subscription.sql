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
