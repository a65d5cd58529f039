-- Provider side of the federation bench (run.sh): :n products in 10
-- domains, each a draft over a SELECT on one shared small table (each
-- product is one view, dmesh_<domain>.<product>_v1), all published; one
-- more product, live.orders (10,000 rows, a contract, an agreement with a
-- row filter for remote_reader), read by the consumer in part C.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dmesh;
CREATE ROLE bench_team NOLOGIN;
CREATE ROLE remote_reader LOGIN;
CREATE SCHEMA bench_src AUTHORIZATION bench_team;
CREATE TABLE bench_src.items (id int PRIMARY KEY, name text, amount numeric);
COMMENT ON COLUMN bench_src.items.amount IS 'Amount in euros';
INSERT INTO bench_src.items SELECT g, 'item ' || g, g FROM generate_series(1, 10) g;
CREATE TABLE bench_src.orders (id int PRIMARY KEY, region text NOT NULL, email text, amount numeric(10,2));
INSERT INTO bench_src.orders
SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, 'user' || g || '@example.org', g % 1000
  FROM generate_series(1, 10000) g;
ALTER TABLE bench_src.items OWNER TO bench_team;
ALTER TABLE bench_src.orders OWNER TO bench_team;
ANALYZE bench_src.items, bench_src.orders;

SELECT dmesh.create_domain('d' || d, 'bench_team') FROM generate_series(0, 9) d;
SELECT dmesh.create_domain('live', 'bench_team');

SET ROLE bench_team;
SELECT dmesh.create_data_product('live', 'orders', 'bench_src.orders', 'Orders, one row each', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: live-orders
version: 1.0.0
status: active
schema:
  - name: orders
    properties:
      - {name: id, logicalType: integer}
      - {name: region, logicalType: string}
      - {name: email, logicalType: string}
      - {name: amount, logicalType: number}
$y$);
SELECT dmesh.publish_data_product('live.orders');
SELECT dmesh.grant_access('live.orders', 'remote_reader', row_filter => $$region = 'eu'$$);
RESET ROLE;
