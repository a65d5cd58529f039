-- dmesh 0.4.1 -> 0.5.0: lineage (design time).
--
-- Event triggers record, as DDL happens, the relations and columns each
-- view, materialized view, CREATE TABLE AS table and foreign table comes
-- from; dmesh.lineage() walks them, with data products as nodes too.

\echo Use "ALTER EXTENSION dmesh UPDATE TO '0.5.0'" to load this file. \quit

-------------------------------------------------------------------------------
-- Catalog
-------------------------------------------------------------------------------

CREATE TABLE @extschema@.lineage_edge (
    edge_id        bigserial PRIMARY KEY,
    source_rel     regclass,
    source         text NOT NULL,
    source_column  text,
    target_rel     regclass,
    target         text NOT NULL,
    target_column  text,
    kind           text NOT NULL
                   CONSTRAINT lineage_edge_kind_valid
                   CHECK (kind OPERATOR(pg_catalog.=) ANY (ARRAY['view', 'materialized_view',
                                                              'create_table_as', 'foreign_table'])),
    dependency     text NOT NULL
                   CONSTRAINT lineage_edge_dependency_valid
                   CHECK (dependency OPERATOR(pg_catalog.=) ANY (ARRAY['direct', 'indirect'])),
    subtype        text
                   CONSTRAINT lineage_edge_subtype_valid
                   CHECK (subtype OPERATOR(pg_catalog.=) ANY (ARRAY['IDENTITY', 'TRANSFORMATION', 'AGGREGATION',
                                                                 'JOIN', 'FILTER', 'GROUP_BY', 'SORT',
                                                                 'WINDOW', 'CONDITIONAL'])),
    first_seen     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    last_seen      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    closed_at      timestamptz,
    CONSTRAINT lineage_edge_closed_by_name CHECK (
        closed_at IS NULL OR (source_rel IS NULL AND target_rel IS NULL)),
    CONSTRAINT lineage_edge_relation_level CHECK (
        (target_column IS NULL) OPERATOR(pg_catalog.<=) (source_column IS NULL AND subtype IS NULL))
);
CREATE INDEX lineage_edge_open_source_idx ON @extschema@.lineage_edge (source_rel) WHERE closed_at IS NULL;
CREATE INDEX lineage_edge_open_target_idx ON @extschema@.lineage_edge (target_rel) WHERE closed_at IS NULL;
CREATE INDEX lineage_edge_source_idx ON @extschema@.lineage_edge (source);
CREATE INDEX lineage_edge_target_idx ON @extschema@.lineage_edge (target);
COMMENT ON TABLE @extschema@.lineage_edge IS
  'Design-time lineage, recorded by event triggers as DDL happens: each relation-level edge (columns NULL) and column-level edge from a source to a derived relation. Open edges follow renames; closed edges (the target was redefined without them, or an end was dropped) stay as history, by name.';
COMMENT ON COLUMN @extschema@.lineage_edge.edge_id IS 'Identifier of the edge.';
COMMENT ON COLUMN @extschema@.lineage_edge.source_rel IS 'Source relation while the edge is open; NULL for a remote object (foreign tables) and once closed.';
COMMENT ON COLUMN @extschema@.lineage_edge.source IS 'Source as schema.relation (quoted where needed), or server/schema.table for the remote object of a foreign table.';
COMMENT ON COLUMN @extschema@.lineage_edge.source_column IS 'Source column; NULL for the relation as a whole.';
COMMENT ON COLUMN @extschema@.lineage_edge.target_rel IS 'Derived relation while the edge is open; NULL once closed.';
COMMENT ON COLUMN @extschema@.lineage_edge.target IS 'Derived relation as schema.relation.';
COMMENT ON COLUMN @extschema@.lineage_edge.target_column IS 'Derived column; NULL for the relation as a whole.';
COMMENT ON COLUMN @extschema@.lineage_edge.kind IS 'How the target was derived: view, materialized_view, create_table_as (also SELECT INTO), foreign_table.';
COMMENT ON COLUMN @extschema@.lineage_edge.dependency IS 'direct: the target column is computed from the source column; indirect: the source column decides which rows there are or their order.';
COMMENT ON COLUMN @extschema@.lineage_edge.subtype IS 'OpenLineage transformation type: IDENTITY, TRANSFORMATION, AGGREGATION (direct); JOIN, FILTER, GROUP_BY, SORT, WINDOW, CONDITIONAL (indirect). NULL for relation-level edges.';
COMMENT ON COLUMN @extschema@.lineage_edge.first_seen IS 'When the edge was first recorded.';
COMMENT ON COLUMN @extschema@.lineage_edge.last_seen IS 'When a definition last had this edge.';
COMMENT ON COLUMN @extschema@.lineage_edge.closed_at IS 'When the edge stopped existing (redefinition or drop); NULL while open.';
-- pg_dump keeps the history (closed edges) and the lineage of CREATE TABLE
-- AS tables, which nothing can derive again; the open edges of views,
-- materialized views and foreign tables are recorded again by the event
-- trigger as pg_restore creates them.  Restored rows whose edge_id is taken
-- by such a new edge get a new one (the trigger below).
SELECT pg_catalog.pg_extension_config_dump('@extschema@.lineage_edge',
    'WHERE closed_at IS NOT NULL OR kind OPERATOR(pg_catalog.=) ''create_table_as''');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.lineage_edge_edge_id_seq', '');
CREATE FUNCTION @extschema@._lineage_edge_fresh_id()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    WHILE EXISTS (SELECT FROM @extschema@.lineage_edge WHERE edge_id = NEW.edge_id) LOOP
        NEW.edge_id := nextval('@extschema@.lineage_edge_edge_id_seq');
    END LOOP;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@._lineage_edge_fresh_id() IS
  'Internal trigger of dmesh.lineage_edge: a row whose edge_id is taken gets a new one (pg_restore brings back rows next to edges recorded while it created the views).';
CREATE TRIGGER lineage_edge_fresh_id BEFORE INSERT ON @extschema@.lineage_edge
    FOR EACH ROW EXECUTE FUNCTION @extschema@._lineage_edge_fresh_id();
REVOKE ALL ON @extschema@.lineage_edge FROM PUBLIC;
REVOKE ALL ON SEQUENCE @extschema@.lineage_edge_edge_id_seq FROM PUBLIC;
GRANT SELECT ON @extschema@.lineage_edge TO PUBLIC;

-------------------------------------------------------------------------------
-- Functions
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@._relname(rel regclass)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT pg_catalog.format('%I.%I', n.nspname, c.relname)
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
   WHERE c.oid OPERATOR(pg_catalog.=) rel
$$;
COMMENT ON FUNCTION @extschema@._relname(regclass) IS
  'Internal: schema.relation of a relation, each part quoted where needed; NULL if it does not exist.';

CREATE FUNCTION @extschema@._lineage_ddl()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'dmesh_lineage_ddl'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@._lineage_ddl() IS
  'Internal, event trigger (ddl_command_end): records the lineage of views, materialized views, CREATE TABLE AS tables and foreign tables, and follows renames.';

CREATE FUNCTION @extschema@._lineage_drop()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'dmesh_lineage_drop'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@._lineage_drop() IS
  'Internal, event trigger (sql_drop): closes the lineage edges of dropped relations and columns.';

CREATE FUNCTION @extschema@._record_lineage(rel regclass)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dmesh_record_lineage'
LANGUAGE C STRICT;
COMMENT ON FUNCTION @extschema@._record_lineage(regclass) IS
  'Internal: records (again) the lineage of an existing view, materialized view or foreign table, as the event trigger does when it is created; false for other relations and temporary ones. Superusers only.';
REVOKE ALL ON FUNCTION @extschema@._record_lineage(regclass) FROM PUBLIC;

-- What existed before 0.5.0: views, materialized views and foreign tables
-- outside extensions and system schemas.
SELECT @extschema@._record_lineage(c.oid)
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
 WHERE c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['v', 'm', 'f']::"char"[])
   AND c.relpersistence OPERATOR(pg_catalog.=) 'p'
   AND n.nspname OPERATOR(pg_catalog.<>) ALL (ARRAY['pg_catalog', 'information_schema', '@extschema@'])
   AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                    WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                      AND d.objid OPERATOR(pg_catalog.=) c.oid
                      AND d.deptype OPERATOR(pg_catalog.=) 'e')
 ORDER BY c.oid;

CREATE EVENT TRIGGER dmesh_lineage ON ddl_command_end
    WHEN TAG IN ('CREATE VIEW', 'CREATE MATERIALIZED VIEW', 'CREATE TABLE AS', 'SELECT INTO',
                 'CREATE FOREIGN TABLE', 'ALTER TABLE', 'ALTER VIEW', 'ALTER MATERIALIZED VIEW',
                 'ALTER FOREIGN TABLE', 'ALTER SCHEMA', 'REFRESH MATERIALIZED VIEW')
    EXECUTE FUNCTION @extschema@._lineage_ddl();
CREATE EVENT TRIGGER dmesh_lineage_drop ON sql_drop
    EXECUTE FUNCTION @extschema@._lineage_drop();

-------------------------------------------------------------------------------
-- The lineage graph and its walk
-------------------------------------------------------------------------------

CREATE VIEW @extschema@.lineage_graph AS
SELECT CASE WHEN e.source_rel IS NULL AND e.kind OPERATOR(pg_catalog.=) 'foreign_table'
            THEN 'remote' ELSE 'relation' END AS source_type,
       COALESCE(@extschema@._relname(e.source_rel), e.source) AS source,
       e.source_column,
       'relation'::text AS target_type,
       COALESCE(@extschema@._relname(e.target_rel), e.target) AS target,
       e.target_column, e.kind, e.dependency, e.subtype, e.first_seen, e.last_seen, e.closed_at
  FROM @extschema@.lineage_edge e
UNION ALL
SELECT 'relation', @extschema@._relname(p.source_relation), NULL, 'product', d.name OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) p.name,
       NULL, 'product_source', 'direct', NULL, p.created_at, p.updated_at, p.retired_at
  FROM @extschema@.data_product p JOIN @extschema@.domain d USING (domain_id)
 WHERE p.source_kind OPERATOR(pg_catalog.=) 'relation' AND p.source_relation IS NOT NULL
UNION ALL
-- a product made from a query reads what its published relations read
SELECT DISTINCT 'relation', COALESCE(@extschema@._relname(e.source_rel), e.source), NULL::text, 'product',
       d.name OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) p.name, NULL::text, 'product_source',
       'direct', NULL::text, p.created_at, p.updated_at, p.retired_at
  FROM @extschema@.data_product p
  JOIN @extschema@.domain d ON d.domain_id OPERATOR(pg_catalog.=) p.domain_id
  JOIN @extschema@.output_port o ON o.product_id OPERATOR(pg_catalog.=) p.product_id
  JOIN @extschema@.lineage_edge e
    ON e.target_rel OPERATOR(pg_catalog.=) pg_catalog.to_regclass(pg_catalog.format('%I.%I', d.schema_name, o.relation_name))
   AND e.closed_at IS NULL AND e.source_column IS NULL AND e.target_column IS NULL
 WHERE p.source_kind OPERATOR(pg_catalog.=) 'query'
UNION ALL
SELECT 'product', d.name OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) p.name, NULL,
       'relation', pg_catalog.format('%I.%I', d.schema_name, o.relation_name) COLLATE "default",
       NULL, 'output_port', 'direct', NULL, o.created_at, o.updated_at, o.retired_at
  FROM @extschema@.output_port o
  JOIN @extschema@.data_product p USING (product_id)
  JOIN @extschema@.domain d ON d.domain_id OPERATOR(pg_catalog.=) p.domain_id;
COMMENT ON VIEW @extschema@.lineage_graph IS
  'The whole lineage graph: the edges of dmesh.lineage_edge under current names, and data products as nodes: source relation -> product (product_source; for a product made from a query, the relations its published relations read), product -> each published relation (output_port).';
COMMENT ON COLUMN @extschema@.lineage_graph.source_type IS 'relation, product or remote (the remote object of a foreign table).';
COMMENT ON COLUMN @extschema@.lineage_graph.source IS 'Source node: schema.relation under its current name (its last name once closed), domain.product, or server/schema.table.';
COMMENT ON COLUMN @extschema@.lineage_graph.source_column IS 'Source column; NULL for the node as a whole.';
COMMENT ON COLUMN @extschema@.lineage_graph.target_type IS 'relation or product.';
COMMENT ON COLUMN @extschema@.lineage_graph.target IS 'Target node, named like source.';
COMMENT ON COLUMN @extschema@.lineage_graph.target_column IS 'Target column; NULL for the node as a whole.';
COMMENT ON COLUMN @extschema@.lineage_graph.kind IS 'view, materialized_view, create_table_as, foreign_table (recorded), product_source, output_port (from the products).';
COMMENT ON COLUMN @extschema@.lineage_graph.dependency IS 'direct or indirect.';
COMMENT ON COLUMN @extschema@.lineage_graph.subtype IS 'OpenLineage transformation type of a column edge; NULL for node-level edges.';
COMMENT ON COLUMN @extschema@.lineage_graph.first_seen IS 'When the edge first existed.';
COMMENT ON COLUMN @extschema@.lineage_graph.last_seen IS 'When it was last seen (for products: their last change).';
COMMENT ON COLUMN @extschema@.lineage_graph.closed_at IS 'When it stopped existing (for products: retirement); NULL while it exists.';
GRANT SELECT ON @extschema@.lineage_graph TO PUBLIC;

CREATE FUNCTION @extschema@.lineage(object text, direction text DEFAULT 'both', depth integer DEFAULT 10)
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
              FROM @extschema@.data_product p JOIN @extschema@.domain d USING (domain_id)
             WHERE d.name || '.' || p.name = object
            UNION ALL
            SELECT 'relation', format('%I.%I', d.schema_name, op.relation_name) COLLATE "default", 1
              FROM @extschema@.data_product p JOIN @extschema@.domain d USING (domain_id)
              JOIN @extschema@.output_port op ON op.product_id = p.product_id
             WHERE d.name || '.' || p.name = object) AS s;
    -- A relation, or a name that only history knows.
    IF start_names IS NULL AND to_regclass(object) IS NOT NULL THEN
        start_types := ARRAY['relation'];
        start_names := ARRAY[@extschema@._relname(to_regclass(object))];
    END IF;
    IF start_names IS NULL THEN
        SELECT ARRAY[g.t], ARRAY[g.n] INTO start_types, start_names
          FROM (SELECT l.source_type, l.source FROM @extschema@.lineage_graph l
                UNION SELECT l.target_type, l.target FROM @extschema@.lineage_graph l) AS g(t, n)
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
        SELECT * FROM @extschema@.lineage_graph
    ), hop AS (
        SELECT DISTINCT g.source_type, g.source, g.target_type, g.target FROM g
         WHERE g.source_column IS NULL AND g.target_column IS NULL
    ), up(node_type, node, n) AS (
        SELECT s.t, s.nm, 0 FROM unnest(start_types, start_names) AS s(t, nm)
         WHERE lineage.direction IN ('upstream', 'both')
        UNION
        SELECT h.source_type, h.source, up.n + 1
          FROM up JOIN hop h ON h.target_type = up.node_type AND h.target = up.node
         WHERE up.n < lineage.depth
    ), down(node_type, node, n) AS (
        SELECT s.t, s.nm, 0 FROM unnest(start_types, start_names) AS s(t, nm)
         WHERE lineage.direction IN ('downstream', 'both')
        UNION
        SELECT h.target_type, h.target, down.n + 1
          FROM down JOIN hop h ON h.source_type = down.node_type AND h.source = down.node
         WHERE down.n < lineage.depth
    ), reached AS (
        -- upstream: edges into a node reached upstream; downstream: out of one
        SELECT h.source_type, h.source, h.target_type, h.target, min(up.n) + 1 AS n
          FROM hop h JOIN up ON up.node_type = h.target_type AND up.node = h.target
         WHERE up.n < lineage.depth
         GROUP BY 1, 2, 3, 4
        UNION ALL
        SELECT h.source_type, h.source, h.target_type, h.target, min(down.n) + 1
          FROM hop h JOIN down ON down.node_type = h.source_type AND down.node = h.source
         WHERE down.n < lineage.depth
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
COMMENT ON FUNCTION @extschema@.lineage(text, text, integer) IS
  'Lineage edges around a data product (domain.product), a relation or a node known from history, upstream, downstream or both, up to depth hops: relation-level and column-level edges, closed ones included, with the hop count of each.';


-------------------------------------------------------------------------------
-- Usage and runtime lineage
-------------------------------------------------------------------------------

CREATE TABLE @extschema@.usage_daily (
    product_id  bigint NOT NULL REFERENCES @extschema@.data_product (product_id),
    consumer    name NOT NULL,
    day         date NOT NULL,
    queries     bigint NOT NULL CHECK (queries OPERATOR(pg_catalog.>=) 0),
    rows        bigint NOT NULL CHECK (rows OPERATOR(pg_catalog.>=) 0),
    first_read  timestamptz NOT NULL,
    last_read   timestamptz NOT NULL,
    columns     text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (product_id, consumer, day)
);
COMMENT ON TABLE @extschema@.usage_daily IS
  'Reads of each product''s published relations per consumer role and day, flushed from shared memory by dmesh.flush_usage(). A role sees the rows of the products it manages and its own (row-level security); dmesh.usage sums them.';
COMMENT ON COLUMN @extschema@.usage_daily.product_id IS 'The product read.';
COMMENT ON COLUMN @extschema@.usage_daily.consumer IS 'Role that read (current_user of the query).';
COMMENT ON COLUMN @extschema@.usage_daily.day IS 'Day of the flush that brought the counts.';
COMMENT ON COLUMN @extschema@.usage_daily.queries IS 'Statements that read a published relation of the product.';
COMMENT ON COLUMN @extschema@.usage_daily.rows IS 'Rows those SELECT statements returned.';
COMMENT ON COLUMN @extschema@.usage_daily.first_read IS 'Start of the first of those statements.';
COMMENT ON COLUMN @extschema@.usage_daily.last_read IS 'Start of the last of those statements.';
COMMENT ON COLUMN @extschema@.usage_daily.columns IS 'Published columns those statements referenced.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.usage_daily', '');
REVOKE ALL ON @extschema@.usage_daily FROM PUBLIC;
-- A role reads the usage of the products it manages and its own.
ALTER TABLE @extschema@.usage_daily ENABLE ROW LEVEL SECURITY;
CREATE POLICY usage_daily_visible ON @extschema@.usage_daily FOR SELECT
    USING (EXISTS (SELECT FROM @extschema@.data_product p
                    WHERE p.product_id OPERATOR(pg_catalog.=) usage_daily.product_id
                      AND @extschema@.manages(p.domain_id, p.product_id))
           OR EXISTS (SELECT FROM pg_catalog.pg_roles r
                       WHERE r.rolname OPERATOR(pg_catalog.=) usage_daily.consumer
                         AND pg_catalog.pg_has_role(r.oid, 'USAGE')));
GRANT SELECT ON @extschema@.usage_daily TO PUBLIC;

CREATE TABLE @extschema@.lineage_run (
    source      text NOT NULL,
    target      text NOT NULL,
    role        name NOT NULL,
    kind        text NOT NULL
                CONSTRAINT lineage_run_kind_valid
                CHECK (kind OPERATOR(pg_catalog.=) ANY (ARRAY['insert', 'update', 'delete', 'merge',
                                                           'create_table_as', 'refresh_materialized_view'])),
    statements  bigint NOT NULL,
    rows        bigint NOT NULL,
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL,
    PRIMARY KEY (source, target, role, kind)
);
COMMENT ON TABLE @extschema@.lineage_run IS
  'Runtime lineage: statements that wrote one relation (target) while reading another (source), per writing role and kind of statement, aggregated; only committed statements count. Flushed from shared memory by dmesh.flush_usage().';
COMMENT ON COLUMN @extschema@.lineage_run.source IS 'Relation read, schema.relation.';
COMMENT ON COLUMN @extschema@.lineage_run.target IS 'Relation written, schema.relation.';
COMMENT ON COLUMN @extschema@.lineage_run.role IS 'Role that ran the statements.';
COMMENT ON COLUMN @extschema@.lineage_run.kind IS 'insert (INSERT ... SELECT), update (UPDATE ... FROM), delete (DELETE ... USING), merge, create_table_as, refresh_materialized_view.';
COMMENT ON COLUMN @extschema@.lineage_run.statements IS 'Statements counted.';
COMMENT ON COLUMN @extschema@.lineage_run.rows IS 'Rows they wrote.';
COMMENT ON COLUMN @extschema@.lineage_run.first_seen IS 'Start of the first of them.';
COMMENT ON COLUMN @extschema@.lineage_run.last_seen IS 'Start of the last of them.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.lineage_run', '');
REVOKE ALL ON @extschema@.lineage_run FROM PUBLIC;
GRANT SELECT ON @extschema@.lineage_run TO PUBLIC;

CREATE FUNCTION @extschema@._usage_time(us bigint)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.to_timestamp(us OPERATOR(pg_catalog./) 1000000.0 OPERATOR(pg_catalog.+) 946684800) $$;
COMMENT ON FUNCTION @extschema@._usage_time(bigint) IS
  'Internal: a PostgreSQL timestamp (microseconds since 2000-01-01 UTC) as timestamptz.';

CREATE FUNCTION @extschema@.usage_enabled()
RETURNS boolean
AS 'MODULE_PATHNAME', 'dmesh_usage_enabled'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.usage_enabled() IS
  'Whether reads and writes are counted: dmesh is in shared_preload_libraries and dmesh.track_usage is on.';

CREATE FUNCTION @extschema@.usage_status(OUT enabled boolean, OUT entries bigint,
                                         OUT max_entries bigint, OUT dropped bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'dmesh_usage_status_fn'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.usage_status() IS
  'The shared-memory counters: whether counting is on, entries in use (all databases), the table''s size (dmesh.usage_max_entries), and counts dropped because it was full.';

CREATE FUNCTION @extschema@.flush_usage()
RETURNS bigint
AS 'MODULE_PATHNAME', 'dmesh_flush_usage'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.flush_usage() IS
  'Moves this database''s usage and runtime-lineage counters from shared memory into dmesh.usage_daily and dmesh.lineage_run; they leave shared memory when the transaction commits. Returns the number of counters flushed. Superusers and roles granted EXECUTE.';
REVOKE ALL ON FUNCTION @extschema@.flush_usage() FROM PUBLIC;

CREATE VIEW @extschema@.usage WITH (security_barrier) AS
SELECT d.name OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) p.name AS product,
       u.consumer,
       pg_catalog.sum(u.queries)::bigint AS queries,
       pg_catalog.sum(u.rows)::bigint AS rows,
       pg_catalog.min(u.first_read) AS first_read,
       pg_catalog.max(u.last_read) AS last_read,
       ARRAY(SELECT DISTINCT c FROM @extschema@.usage_daily u2, pg_catalog.unnest(u2.columns) AS c
              WHERE u2.product_id OPERATOR(pg_catalog.=) u.product_id
                AND u2.consumer OPERATOR(pg_catalog.=) u.consumer
              ORDER BY 1) AS columns
  FROM @extschema@.usage_daily u
  JOIN @extschema@.data_product p ON p.product_id OPERATOR(pg_catalog.=) u.product_id
  JOIN @extschema@.domain d ON d.domain_id OPERATOR(pg_catalog.=) p.domain_id
 WHERE @extschema@.manages(p.domain_id, p.product_id)
    OR EXISTS (SELECT FROM pg_catalog.pg_roles r
                WHERE r.rolname OPERATOR(pg_catalog.=) u.consumer
                  AND pg_catalog.pg_has_role(r.oid, 'USAGE'))
 GROUP BY d.name, p.name, u.product_id, u.consumer;
COMMENT ON VIEW @extschema@.usage IS
  'Who reads each product: per product and consumer role, queries, rows returned, first and last read, and the published columns referenced, since counting began (as flushed). A role sees the usage of the products it manages and its own.';
COMMENT ON COLUMN @extschema@.usage.product IS 'domain.product.';
COMMENT ON COLUMN @extschema@.usage.consumer IS 'Role that read.';
COMMENT ON COLUMN @extschema@.usage.queries IS 'Statements that read the product.';
COMMENT ON COLUMN @extschema@.usage.rows IS 'Rows returned by those SELECT statements.';
COMMENT ON COLUMN @extschema@.usage.first_read IS 'First read.';
COMMENT ON COLUMN @extschema@.usage.last_read IS 'Last read.';
COMMENT ON COLUMN @extschema@.usage.columns IS 'Published columns referenced.';
GRANT SELECT ON @extschema@.usage TO PUBLIC;

-------------------------------------------------------------------------------
-- Discovery: usage
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
       COALESCE(u.reads, 0)     AS reads_30d
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
COMMENT ON COLUMN @extschema@.marketplace.consumers_30d IS 'Roles that read the product in the last 30 days (as flushed; 0 without usage tracking).';
COMMENT ON COLUMN @extschema@.marketplace.reads_30d IS 'Statements that read the product in the last 30 days.';

-------------------------------------------------------------------------------
-- Impact
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.impact(product text, columns text[] DEFAULT NULL)
RETURNS TABLE (kind text, name text, affected_columns text[], reads bigint, hops integer)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    pid bigint;
    ports text[];
BEGIN
    IF NOT @extschema@.usage_enabled() THEN
        RAISE NOTICE 'usage tracking is off: consumers are those of counts flushed before'
              USING HINT = 'Add dmesh to shared_preload_libraries to count reads.';
    END IF;
    SELECT p.product_id,
           array_agg(format('%I.%I', d.schema_name, o.relation_name) COLLATE "default")
             FILTER (WHERE o.status <> 'retired')
      INTO pid, ports
      FROM @extschema@.data_product p
      JOIN @extschema@.domain d USING (domain_id)
      LEFT JOIN @extschema@.output_port o ON o.product_id = p.product_id
     WHERE d.name || '.' || p.name = impact.product
     GROUP BY p.product_id;
    IF pid IS NULL THEN
        RAISE EXCEPTION 'data product % does not exist', quote_literal(impact.product)
              USING ERRCODE = 'undefined_object',
                    HINT = 'Name it as domain.product; dmesh.marketplace lists them.';
    END IF;

    RETURN QUERY
    WITH RECURSIVE g AS (
        SELECT * FROM @extschema@.lineage_graph WHERE closed_at IS NULL
    ), start AS (
        -- the published columns in question (all of them when columns is NULL)
        SELECT r AS rel, a.attname::text AS col
          FROM unnest(ports) AS r
          JOIN pg_attribute a ON a.attrelid = to_regclass(r) AND a.attnum > 0 AND NOT a.attisdropped
         WHERE impact.columns IS NULL OR a.attname::text = ANY (impact.columns)
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
          JOIN @extschema@.data_product p ON TRUE
          JOIN @extschema@.domain d ON d.domain_id = p.domain_id AND d.name || '.' || p.name = ap.name
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
    SELECT 'product', p.name, NULL, NULL, p.n FROM products p
    UNION ALL
    SELECT 'consumer', c.name, c.cols, c.reads, c.n FROM consumers c
    ORDER BY 5, 1, 2;
END
$$;
COMMENT ON FUNCTION @extschema@.impact(text, text[]) IS
  'What a change to a product (or to some of its published columns) would affect: the relations derived from them, column by column through the lineage, the products built on those relations, and the consumer roles that read the affected columns (of the product, or any of those products) in the last 30 days, with their reads.';

ALTER FUNCTION @extschema@.contract_diff(text, text, text) RENAME TO _contract_diff;
COMMENT ON FUNCTION @extschema@._contract_diff(text, text, text) IS
  'Internal: the changes between two versions of a contract (dmesh.contract_diff without usage).';

CREATE FUNCTION @extschema@.contract_diff(product text, from_version text, to_version text)
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
                WHERE dm.name || '.' || p.name = contract_diff.product
                  AND u.day > CURRENT_DATE - 30
                  AND (substring(d.path FROM '^schema\[[^]]*\]\.properties\[([^]]*)\]') IS NULL
                       OR substring(d.path FROM '^schema\[[^]]*\]\.properties\[([^]]*)\]') = ANY (u.columns)))
           END
      FROM @extschema@._contract_diff(contract_diff.product, contract_diff.from_version,
                                      contract_diff.to_version) AS d
$$;
COMMENT ON FUNCTION @extschema@.contract_diff(text, text, text) IS
  'Changes between two versions of a product''s contract, each added/removed/changed with its severity for consumers (breaking, warning or info), and for breaking changes the consumer roles that read the property concerned (or the product, for changes to the whole object) in the last 30 days.';

-------------------------------------------------------------------------------
-- Audit of DDL on products' relations
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@._audit_ddl()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'dmesh_audit_ddl'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@._audit_ddl() IS
  'Internal, event trigger (ddl_command_end): DDL on the source or a published relation of a product lands in dmesh.event_log (action ddl).';

CREATE FUNCTION @extschema@._audit_drop()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'dmesh_audit_drop'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@._audit_drop() IS
  'Internal, event trigger (sql_drop): dropping the source of a draft product lands in dmesh.event_log (action ddl).';

CREATE EVENT TRIGGER dmesh_audit ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE', 'ALTER VIEW', 'ALTER MATERIALIZED VIEW', 'ALTER FOREIGN TABLE',
                 'ALTER INDEX', 'CREATE INDEX', 'CREATE TRIGGER', 'CREATE RULE', 'CREATE POLICY',
                 'ALTER POLICY', 'CREATE STATISTICS', 'COMMENT', 'GRANT', 'REVOKE', 'SECURITY LABEL')
    EXECUTE FUNCTION @extschema@._audit_ddl();
CREATE EVENT TRIGGER dmesh_audit_drop ON sql_drop
    WHEN TAG IN ('DROP TABLE', 'DROP VIEW', 'DROP MATERIALIZED VIEW', 'DROP FOREIGN TABLE')
    EXECUTE FUNCTION @extschema@._audit_drop();

COMMENT ON COLUMN @extschema@.event_log.action IS
  'What happened: create_domain, create_data_product, publish, republish, deprecate, retire, grant_access, revoke_access, set_contract, set_contract_gate, contract_breach, enforce_contract, release_quarantine, discard_quarantine, request_access, approve_access, deny_access, create_policy, drop_policy, policy_violation, ddl (DDL on a product''s source or published relation: details hold the command tag, the relation, the objects changed and the statement).';

-------------------------------------------------------------------------------
-- OpenLineage
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@._dataset_name(relation text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce((SELECT n.nspname || '.' || c.relname
                     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE c.oid = to_regclass(relation)), relation)
$$;
COMMENT ON FUNCTION @extschema@._dataset_name(text) IS
  'Internal: schema.relation without quotes for a relation given as dmesh writes it (quoted where needed), when it still exists; else the text as given.';

CREATE FUNCTION @extschema@.openlineage_events(since timestamptz DEFAULT '-infinity')
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
     WHERE p.source_relation = ds.oid
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
                ELSE jsonb_build_object('namespace', 'postgres://' || split_part(e.source, '/', 1),
                                        'name', substr(e.source, strpos(e.source, '/') + 1))
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
                       'namespace', coalesce(ds.namespace, 'postgres://' || split_part(ce.source, '/', 1)),
                       'name', coalesce(ds.name, substr(ce.source, strpos(ce.source, '/') + 1)),
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
COMMENT ON FUNCTION @extschema@.openlineage_events(timestamptz) IS
  'OpenLineage 2-0-2 run events (jsonb) since a time: one per derived relation for its current definition (inputs, output with schema, columnLineage and ownership facets; inputs of products carry dataQualityAssertions from the latest check), and one per runtime run (statements of one kind by one role writing one relation). Datasets are named postgres://host:port and database.schema.table.';

-------------------------------------------------------------------------------
-- Health
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
  'Incidents of products: at most one open per product and kind; repeats count in occurrences. Opened and resolved by dmesh (the background worker); counted in dmesh.product_health.';
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
  'Internal: the newest value of the freshness SLA''s element column (a published property) of a live product, read as its owner; without an element, the newest commit time of the source''s rows when track_commit_timestamp is on; else NULL.';

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
           @extschema@._newest_data(b.ref, b.freshness OPERATOR(pg_catalog.->>) 'element') AS newest_data,
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
COMMENT ON COLUMN @extschema@.product_health.newest_data IS 'Newest value of the freshness SLA''s element column (or, without one and with track_commit_timestamp on, newest commit time of the source''s rows); NULL if unknown.';
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
