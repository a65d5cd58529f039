-- dmesh lineage and usage: design-time lineage, recorded by event triggers
-- as DDL happens (the relations and columns each view, materialized view,
-- CREATE TABLE AS table and foreign table comes from); runtime lineage and
-- reads, counted in shared memory and flushed into tables; the lineage graph
-- and its walk (dmesh.lineage(), with data products as nodes too); the
-- impact of a change; contract diffs with the consumers they affect; the
-- audit of DDL on products' relations; OpenLineage events.

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

-- Relation-level edges (target_column NULL) by either end; open column
-- edges by source column (impact).
CREATE INDEX lineage_edge_rel_source_idx ON @extschema@.lineage_edge (source)
    WHERE target_column IS NULL;
CREATE INDEX lineage_edge_rel_target_idx ON @extschema@.lineage_edge (target)
    WHERE target_column IS NULL;
CREATE INDEX lineage_edge_open_column_idx ON @extschema@.lineage_edge (source, source_column)
    WHERE closed_at IS NULL AND target_column IS NOT NULL;

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

CREATE EVENT TRIGGER dmesh_lineage ON ddl_command_end
    WHEN TAG IN ('CREATE VIEW', 'CREATE MATERIALIZED VIEW', 'CREATE TABLE AS', 'SELECT INTO',
                 'CREATE FOREIGN TABLE', 'ALTER TABLE', 'ALTER VIEW', 'ALTER MATERIALIZED VIEW',
                 'ALTER FOREIGN TABLE', 'ALTER SCHEMA', 'REFRESH MATERIALIZED VIEW')
    EXECUTE FUNCTION @extschema@._lineage_ddl();
CREATE EVENT TRIGGER dmesh_lineage_drop ON sql_drop
    EXECUTE FUNCTION @extschema@._lineage_drop();

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
  'Runtime lineage: statements that wrote one relation (target) while reading another (source), per writing role and kind of statement, aggregated; only committed statements count. Flushed from shared memory by dmesh.flush_usage(). A role sees its own writes and those that read or write a relation of a product it manages (row-level security).';
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

-- Runtime lineage by target.
CREATE INDEX lineage_run_target_idx ON @extschema@.lineage_run (target);
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
-- The lineage graph, walked by index probes, with runtime lineage in it
-------------------------------------------------------------------------------

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

-- The whole graph, runtime lineage included; as the caller may see it
-- (runtime lineage has row-level security: the view runs as its reader).
CREATE VIEW @extschema@.lineage_graph WITH (security_invoker = true) AS
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
COMMENT ON COLUMN @extschema@.lineage_graph.source_type IS 'relation, product or remote (the remote object of a foreign table).';
COMMENT ON COLUMN @extschema@.lineage_graph.source IS 'Source node: schema.relation under its current name (its last name once closed), domain.product, or server/schema.table.';
COMMENT ON COLUMN @extschema@.lineage_graph.source_column IS 'Source column; NULL for the node as a whole.';
COMMENT ON COLUMN @extschema@.lineage_graph.target_type IS 'relation or product.';
COMMENT ON COLUMN @extschema@.lineage_graph.target IS 'Target node, named like source.';
COMMENT ON COLUMN @extschema@.lineage_graph.target_column IS 'Target column; NULL for the node as a whole.';
COMMENT ON COLUMN @extschema@.lineage_graph.kind IS 'view, materialized_view, create_table_as, foreign_table (recorded), product_source, output_port (from the products); insert, update, delete, merge, create_table_as, refresh_materialized_view (runtime).';
COMMENT ON COLUMN @extschema@.lineage_graph.dependency IS 'direct or indirect.';
COMMENT ON COLUMN @extschema@.lineage_graph.subtype IS 'OpenLineage transformation type of a column edge; NULL for node-level edges.';
COMMENT ON COLUMN @extschema@.lineage_graph.first_seen IS 'When the edge first existed.';
COMMENT ON COLUMN @extschema@.lineage_graph.last_seen IS 'When it was last seen (for products: their last change).';
COMMENT ON COLUMN @extschema@.lineage_graph.closed_at IS 'When it stopped existing (for products: retirement); NULL while it exists.';
GRANT SELECT ON @extschema@.lineage_graph TO PUBLIC;

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
COMMENT ON FUNCTION @extschema@.lineage(text, text, integer) IS
  'Lineage edges around a data product (domain.product), a relation or a node known from history, upstream, downstream or both, up to depth hops: relation-level and column-level edges, closed ones included, and runtime lineage the caller may see (relation-level, kind insert, update, delete, merge, create_table_as or refresh_materialized_view), with the hop count of each. Walked one hop at a time by index probes.';

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

-- The changes between two versions of a contract (_contract_diff, in
-- contracts.sql) with the consumers each breaking change affects.
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

-------------------------------------------------------------------------------
-- OpenLineage
-------------------------------------------------------------------------------

-- Reads no catalog: to_regclass() of a name in a schema the caller may not
-- use fails, and one role's run into its private schema would break
-- openlineage_events() for all.
CREATE FUNCTION @extschema@._dataset_name(relation text)
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
COMMENT ON FUNCTION @extschema@.openlineage_events(timestamptz) IS
  'OpenLineage 2-0-2 run events (jsonb) since a time: one per derived relation for its current definition (inputs, output with schema, columnLineage and ownership facets; inputs of products carry dataQualityAssertions from the latest check), and one per runtime run (statements of one kind by one role writing one relation). Datasets are named postgres://host:port and database.schema.table.';
