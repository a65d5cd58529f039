-- Design-time lineage: event triggers record, as DDL happens, where each
-- view, materialized view, CREATE TABLE AS table and foreign table comes
-- from, down to columns (direct: IDENTITY, TRANSFORMATION, AGGREGATION;
-- indirect: JOIN, FILTER, GROUP_BY, SORT, WINDOW, CONDITIONAL), read from
-- the query tree.  Redefinitions and drops close edges (history stays),
-- renames are followed, nothing is recorded for temporary objects or
-- rolled-back DDL.
CREATE SCHEMA lin;
CREATE TABLE lin.orders (id int PRIMARY KEY, customer_id int, amount numeric,
                         status text, created date);
CREATE TABLE lin.customers (id int PRIMARY KEY, name text, country text);

-- A view: a join, a filter, an order.
CREATE VIEW lin.paid AS
  SELECT o.id, upper(c.name) AS customer, o.amount, o.amount * 2 AS doubled
    FROM lin.orders o JOIN lin.customers c ON c.id = o.customer_id
   WHERE o.status = 'paid' ORDER BY o.created;
-- What each column of lin.paid comes from.
CREATE VIEW lin.edges AS
SELECT source, source_column, target, target_column, kind, dependency, subtype,
       closed_at IS NOT NULL AS closed
  FROM dmesh.lineage_edge;
SELECT source, source_column, target_column, dependency, subtype
  FROM lin.edges WHERE target = 'lin.paid'
 ORDER BY target_column NULLS FIRST, dependency, source, source_column NULLS FIRST, subtype;

-- A materialized view: grouping, aggregates, a CASE, a window.
CREATE MATERIALIZED VIEW lin.revenue AS
  SELECT c.country, sum(o.amount) AS total,
         CASE WHEN c.country = 'NL' THEN 'home' ELSE 'abroad' END AS market,
         rank() OVER (ORDER BY sum(o.amount) DESC) AS position
    FROM lin.orders o JOIN lin.customers c ON c.id = o.customer_id
   GROUP BY c.country;
SELECT source_column, target_column, dependency, subtype
  FROM lin.edges WHERE target = 'lin.revenue' AND target_column IN ('total', 'market', 'position')
 ORDER BY target_column, dependency, source_column, subtype;

-- CREATE TABLE AS and SELECT INTO from a view: the view is the source.
CREATE TABLE lin.snapshot AS SELECT id, amount FROM lin.paid WHERE amount > 10;
SELECT id, customer INTO lin.names FROM lin.paid;
SELECT target, kind, source, source_column, target_column, dependency, subtype
  FROM lin.edges WHERE target IN ('lin.snapshot', 'lin.names')
 ORDER BY target, target_column NULLS FIRST, dependency, source_column, subtype;

-- Set operations, CTEs, subqueries in FROM, scalar and EXISTS sublinks.
CREATE VIEW lin.shapes AS
  WITH big AS (SELECT id, amount FROM lin.orders WHERE amount > 100)
  SELECT b.id, b.amount,
         (SELECT max(c.name) FROM lin.customers c) AS top_name
    FROM big b
   WHERE EXISTS (SELECT 1 FROM lin.customers c WHERE c.country = 'NL')
  UNION ALL
  SELECT s.id, s.amount, NULL FROM (SELECT id, amount * 1.1 AS amount FROM lin.orders) s;
SELECT source, source_column, target_column, dependency, subtype
  FROM lin.edges WHERE target = 'lin.shapes'
 ORDER BY target_column NULLS FIRST, dependency, source, source_column NULLS FIRST, subtype;

-- Redefinition: edges no longer there are closed, the others kept.
SELECT min(first_seen) AS first_seen FROM dmesh.lineage_edge WHERE target = 'lin.paid' \gset
CREATE OR REPLACE VIEW lin.paid AS
  SELECT o.id, upper(c.name) AS customer, o.amount, o.amount * 3 AS doubled
    FROM lin.orders o JOIN lin.customers c ON c.id = o.customer_id;
SELECT closed, count(*) FROM lin.edges WHERE target = 'lin.paid' GROUP BY closed ORDER BY closed;
SELECT DISTINCT source_column, subtype FROM lin.edges WHERE target = 'lin.paid' AND closed ORDER BY 1;
SELECT count(*) AS kept_first_seen FROM dmesh.lineage_edge
 WHERE target = 'lin.paid' AND closed_at IS NULL AND first_seen = :'first_seen';

-- Renames are followed: columns, relations, schemas.
ALTER TABLE lin.orders RENAME COLUMN amount TO total_amount;
ALTER TABLE lin.customers RENAME TO clients;
CREATE SCHEMA "Lin Archive";
ALTER TABLE lin.snapshot SET SCHEMA "Lin Archive";
SELECT DISTINCT source, source_column FROM lin.edges
 WHERE NOT closed AND source LIKE 'lin.%'
   AND (source_column IN ('total_amount', 'amount') OR source = 'lin.clients')
 ORDER BY 1, 2;
SELECT DISTINCT target FROM lin.edges WHERE NOT closed AND target LIKE '%Archive%';

-- Drops close edges: history stays under the old names.
DROP TABLE "Lin Archive".snapshot;
SELECT source, source_column, target, target_column, closed FROM lin.edges
 WHERE target = '"Lin Archive".snapshot' ORDER BY target_column NULLS FIRST, source_column, dependency;
ALTER TABLE lin.clients DROP COLUMN country CASCADE;
SELECT count(*) AS open_edges_on_country FROM lin.edges
 WHERE source = 'lin.clients' AND source_column = 'country' AND NOT closed;

-- Names that need quoting.
CREATE TABLE lin."Order Lines" ("Line No" int, "Qty" int);
CREATE VIEW lin."Big Lines" AS SELECT "Line No", "Qty" * 2 AS "Double Qty" FROM lin."Order Lines";
SELECT source, source_column, target, target_column, subtype FROM lin.edges
 WHERE target = 'lin."Big Lines"' ORDER BY target_column NULLS FIRST, subtype;

-- Not recorded: temporary views, rolled-back DDL, objects of extension scripts.
CREATE TEMP VIEW tmp_orders AS SELECT id FROM lin.orders;
BEGIN;
CREATE VIEW lin.rolled_back AS SELECT id FROM lin.orders;
ROLLBACK;
SELECT count(*) AS recorded FROM dmesh.lineage_edge
 WHERE target LIKE '%tmp_orders%' OR target LIKE '%rolled_back%';

-- Foreign tables: the remote object (server/schema.table) and its columns.
CREATE EXTENSION postgres_fdw;
CREATE SERVER lin_remote FOREIGN DATA WRAPPER postgres_fdw OPTIONS (dbname 'nowhere');
CREATE FOREIGN TABLE lin.remote_orders (id int, total numeric OPTIONS (column_name 'amount'))
  SERVER lin_remote OPTIONS (schema_name 'sales', table_name 'orders');
SELECT source, source_column, target, target_column, kind, subtype FROM lin.edges
 WHERE target = 'lin.remote_orders' ORDER BY target_column NULLS FIRST;

-- dmesh.lineage: walks the graph from a relation or a product, both ways.
SELECT hops, source_type, source, target_type, target, kind
  FROM dmesh.lineage('lin.orders', 'downstream')
 WHERE source_column IS NULL AND target_column IS NULL AND closed_at IS NULL
 ORDER BY hops, source, target;
SELECT hops, source, target FROM dmesh.lineage('lin.names', 'upstream', 1)
 WHERE source_column IS NULL AND target_column IS NULL ORDER BY hops, source;
SELECT count(*) > 0 AS has_column_edges FROM dmesh.lineage('lin.names', 'upstream', 1)
 WHERE target_column = 'customer' AND source_column = 'customer';
-- History: a dropped relation is still a node.
SELECT source, target, closed_at IS NOT NULL AS closed
  FROM dmesh.lineage('"Lin Archive".snapshot', 'upstream')
 WHERE source_column IS NULL AND target_column IS NULL;

-- A data product: its source, the product, its published relation.
CREATE ROLE lin_team NOLOGIN;
SELECT dmesh.create_domain('lineage', 'lin_team') > 0 AS created;
ALTER TABLE lin.orders OWNER TO lin_team;
GRANT USAGE ON SCHEMA lin TO lin_team;
SELECT dmesh.create_data_product('lineage', 'orders', 'lin.orders', 'Orders') > 0 AS created;
SELECT dmesh.publish_data_product('lineage.orders');
SELECT hops, source_type, source, target_type, target, kind
  FROM dmesh.lineage('lineage.orders')
 WHERE source_column IS NULL AND target_column IS NULL AND closed_at IS NULL
   AND (source_type = 'product' OR target_type = 'product' OR target LIKE 'dmesh_lineage.%')
 ORDER BY hops, source, target;
SELECT source_column, target_column, dependency, subtype FROM dmesh.lineage('lineage.orders', 'upstream', 1)
 WHERE target = 'dmesh_lineage.orders_v1' AND target_column IS NOT NULL ORDER BY 2, 1;

-- A product made from a query reads what its query reads.
SET ROLE lin_team;
SELECT dmesh.create_data_product('lineage', 'big_orders',
         'SELECT id, total_amount FROM lin.orders WHERE total_amount > 10') > 0 AS created;
SELECT dmesh.publish_data_product('lineage.big_orders');
RESET ROLE;
SELECT hops, source_type, source, target_type, target, kind
  FROM dmesh.lineage('lineage.big_orders', 'upstream')
 WHERE source_column IS NULL AND target_column IS NULL AND closed_at IS NULL
 ORDER BY hops, source, target;

-- Arguments are checked.
SELECT * FROM dmesh.lineage('lin.orders', 'sideways');
SELECT * FROM dmesh.lineage('lin.orders', 'both', 0);
SELECT * FROM dmesh.lineage('no_such.thing');
SELECT * FROM dmesh.lineage(NULL);
-- Readable by all, written only by dmesh.
SET ROLE lin_team;
SELECT count(*) > 0 AS readable FROM dmesh.lineage_edge;
INSERT INTO dmesh.lineage_edge (source, target, kind, dependency) VALUES ('a', 'b', 'view', 'direct');
UPDATE dmesh.lineage_edge SET closed_at = now();
RESET ROLE;
