-- dmesh 0.6.0's lineage() and impact(), for comparison (test/bench/lineage):
-- recursive CTEs over the whole dmesh.lineage_graph view.
CREATE SCHEMA bench;
CREATE FUNCTION bench.lineage_060(object text, direction text DEFAULT 'both', depth integer DEFAULT 10)
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
              FROM dmesh.data_product p JOIN dmesh.domain d USING (domain_id)
             WHERE d.name || '.' || p.name = object
            UNION ALL
            SELECT 'relation', format('%I.%I', d.schema_name, op.relation_name) COLLATE "default", 1
              FROM dmesh.data_product p JOIN dmesh.domain d USING (domain_id)
              JOIN dmesh.output_port op ON op.product_id = p.product_id
             WHERE d.name || '.' || p.name = object) AS s;
    -- A relation, or a name that only history knows.
    IF start_names IS NULL AND to_regclass(object) IS NOT NULL THEN
        start_types := ARRAY['relation'];
        start_names := ARRAY[dmesh._relname(to_regclass(object))];
    END IF;
    IF start_names IS NULL THEN
        SELECT ARRAY[g.t], ARRAY[g.n] INTO start_types, start_names
          FROM (SELECT l.source_type, l.source FROM dmesh.lineage_graph l
                UNION SELECT l.target_type, l.target FROM dmesh.lineage_graph l) AS g(t, n)
         WHERE g.n = object
         LIMIT 1;
    END IF;
    IF start_names IS NULL THEN
        RAISE EXCEPTION 'no relation, data product or lineage node named %', quote_literal(object)
              USING ERRCODE = 'undefined_object',
                    HINT = 'Name a data product as domain.product, or a relation as schema.name.';
    END IF;

    RETURN QUERY
    WITH RECURSIVE g AS (
        SELECT * FROM dmesh.lineage_graph
    ), hop AS (
        SELECT DISTINCT g.source_type, g.source, g.target_type, g.target FROM g
         WHERE g.source_column IS NULL AND g.target_column IS NULL
    ), up(node_type, node, n) AS (
        SELECT s.t, s.nm, 0 FROM unnest(start_types, start_names) AS s(t, nm)
         WHERE lineage_060.direction IN ('upstream', 'both')
        UNION
        SELECT h.source_type, h.source, up.n + 1
          FROM up JOIN hop h ON h.target_type = up.node_type AND h.target = up.node
         WHERE up.n < lineage_060.depth
    ), down(node_type, node, n) AS (
        SELECT s.t, s.nm, 0 FROM unnest(start_types, start_names) AS s(t, nm)
         WHERE lineage_060.direction IN ('downstream', 'both')
        UNION
        SELECT h.target_type, h.target, down.n + 1
          FROM down JOIN hop h ON h.source_type = down.node_type AND h.source = down.node
         WHERE down.n < lineage_060.depth
    ), reached AS (
        -- upstream: edges into a node reached upstream; downstream: out of one
        SELECT h.source_type, h.source, h.target_type, h.target, min(up.n) + 1 AS n
          FROM hop h JOIN up ON up.node_type = h.target_type AND up.node = h.target
         WHERE up.n < lineage_060.depth
         GROUP BY 1, 2, 3, 4
        UNION ALL
        SELECT h.source_type, h.source, h.target_type, h.target, min(down.n) + 1
          FROM hop h JOIN down ON down.node_type = h.source_type AND down.node = h.source
         WHERE down.n < lineage_060.depth
         GROUP BY 1, 2, 3, 4
    )
    SELECT g.source_type, g.source, g.source_column, g.target_type, g.target, g.target_column,
           g.kind, g.dependency, g.subtype, g.first_seen, g.last_seen, g.closed_at, min(r.n)::integer
      FROM g JOIN reached r
        ON r.source_type = g.source_type AND r.source = g.source
       AND r.target_type = g.target_type AND r.target = g.target
     GROUP BY g.source_type, g.source, g.source_column, g.target_type, g.target, g.target_column,
              g.kind, g.dependency, g.subtype, g.first_seen, g.last_seen, g.closed_at
     ORDER BY 13, 2, 5, 3 NULLS FIRST, 6 NULLS FIRST, 8, 9;
END
$$;

CREATE FUNCTION bench.impact_060(product text, columns text[] DEFAULT NULL)
RETURNS TABLE (kind text, name text, affected_columns text[], reads bigint, hops integer)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    pid bigint;
    ports text[];
BEGIN
    IF NOT dmesh.usage_enabled() THEN
        RAISE NOTICE 'usage tracking is off: consumers are those of counts flushed before'
              USING HINT = 'Add dmesh to shared_preload_libraries to count reads.';
    END IF;
    SELECT p.product_id,
           array_agg(format('%I.%I', d.schema_name, o.relation_name) COLLATE "default")
             FILTER (WHERE o.status <> 'retired')
      INTO pid, ports
      FROM dmesh.data_product p
      JOIN dmesh.domain d USING (domain_id)
      LEFT JOIN dmesh.output_port o ON o.product_id = p.product_id
     WHERE d.name || '.' || p.name = impact_060.product
     GROUP BY p.product_id;
    IF pid IS NULL THEN
        RAISE EXCEPTION 'data product % does not exist', quote_literal(impact_060.product)
              USING ERRCODE = 'undefined_object',
                    HINT = 'Name it as domain.product; dmesh.marketplace lists them.';
    END IF;

    RETURN QUERY
    WITH RECURSIVE g AS (
        SELECT * FROM dmesh.lineage_graph WHERE closed_at IS NULL
    ), start AS (
        -- the published columns in question (all of them when columns is NULL)
        SELECT r AS rel, a.attname::text AS col
          FROM unnest(ports) AS r
          JOIN pg_attribute a ON a.attrelid = to_regclass(r) AND a.attnum > 0 AND NOT a.attisdropped
         WHERE impact_060.columns IS NULL OR a.attname::text = ANY (impact_060.columns)
    ), reach(rel, col, n) AS (
        SELECT rel, col, 0 FROM start
        UNION
        SELECT g.target, g.target_column, reach.n + 1
          FROM reach JOIN g ON g.source = reach.rel AND g.source_column = reach.col
         WHERE g.target_column IS NOT NULL AND reach.n < 10
    ), relations AS (
        SELECT r.rel, array_agg(DISTINCT r.col ORDER BY r.col) AS cols, min(r.n) AS n
          FROM reach r WHERE r.n > 0 GROUP BY r.rel
    ), products AS (
        -- products whose source is an affected relation
        SELECT g.target AS name, min(r.n) + 1 AS n
          FROM relations r JOIN g ON g.source = r.rel AND g.kind = 'product_source'
         GROUP BY g.target
    ), affected_products AS (
        SELECT pid AS product_id, 0 AS n
        UNION ALL
        SELECT p.product_id, ap.n FROM products ap
          JOIN dmesh.data_product p ON TRUE
          JOIN dmesh.domain d ON d.domain_id = p.domain_id AND d.name || '.' || p.name = ap.name
    ), consumer_rows AS (
        SELECT u.consumer::text AS name, u.queries, ap.n,
               CASE WHEN ap.n = 0 AND impact_060.columns IS NOT NULL
                    THEN ARRAY(SELECT unnest(u.columns) INTERSECT SELECT unnest(impact_060.columns))
                    ELSE u.columns END AS cols
          FROM affected_products ap
          JOIN dmesh.usage_daily u ON u.product_id = ap.product_id
         WHERE u.day > CURRENT_DATE - 30
           AND (ap.n > 0 OR impact_060.columns IS NULL OR u.columns && impact_060.columns)
    ), consumers AS (
        SELECT cr.name, sum(cr.queries)::bigint AS reads, min(cr.n) AS n,
               ARRAY(SELECT DISTINCT c FROM consumer_rows cr2, unnest(cr2.cols) AS c
                      WHERE cr2.name = cr.name ORDER BY 1) AS cols
          FROM consumer_rows cr GROUP BY cr.name
    )
    SELECT 'relation'::text, r.rel, r.cols, NULL::bigint, r.n FROM relations r
    UNION ALL
    SELECT 'product', p.name, NULL, NULL, p.n FROM products p
    UNION ALL
    SELECT 'consumer', c.name, c.cols, c.reads, c.n FROM consumers c
    ORDER BY 5, 1, 2;
END
$$;
