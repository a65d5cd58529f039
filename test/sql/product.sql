-- dmesh.create_data_product(): every kind of source, ownership, drafts.
CREATE ROLE prod_team NOLOGIN;
CREATE ROLE prod_dev LOGIN IN ROLE prod_team;
CREATE ROLE prod_other NOLOGIN;
CREATE ROLE prod_dev_alt NOLOGIN;
GRANT prod_dev_alt TO prod_dev;
SELECT dmesh.create_domain('prod_shop', 'prod_team', 'Web shop') > 0 AS created;

CREATE SCHEMA prod_src AUTHORIZATION prod_team;
SET ROLE prod_team;
CREATE TABLE prod_src.customers (id int PRIMARY KEY, name text NOT NULL, email text);
CREATE TABLE prod_src.events (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE prod_src.events_2026 PARTITION OF prod_src.events
    FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE VIEW prod_src.customer_names AS SELECT id, name FROM prod_src.customers;
CREATE MATERIALIZED VIEW prod_src.customer_count AS SELECT count(*) AS n FROM prod_src.customers;
RESET ROLE;
CREATE EXTENSION file_fdw;
CREATE SERVER prod_files FOREIGN DATA WRAPPER file_fdw;
CREATE FOREIGN TABLE prod_src.imports (line text) SERVER prod_files
    OPTIONS (filename '/dev/null', format 'text');
ALTER FOREIGN TABLE prod_src.imports OWNER TO prod_team;

SET ROLE prod_dev;
-- A table, schema-qualified.
SELECT dmesh.create_data_product('prod_shop', 'customers', 'prod_src.customers',
                                 'Every customer', tags => ARRAY['crm', 'pii']) > 0 AS created;
-- A partitioned table, a view, a materialized view, a foreign table.
SELECT dmesh.create_data_product('prod_shop', 'events', 'prod_src.events') > 0 AS created;
SELECT dmesh.create_data_product('prod_shop', 'names', 'prod_src.customer_names') > 0 AS created;
SELECT dmesh.create_data_product('prod_shop', 'count', 'prod_src.customer_count') > 0 AS created;
SELECT dmesh.create_data_product('prod_shop', 'imports', 'prod_src.imports') > 0 AS created;
-- An unqualified name is looked up in the caller's search_path.
SET search_path = prod_src, public;
SELECT dmesh.create_data_product('prod_shop', 'customers_unqualified', 'customers') > 0 AS created;
-- A query; its names are resolved with the caller's search_path too.
SELECT dmesh.create_data_product('prod_shop', 'emails',
    'SELECT id, lower(email) AS email FROM customers WHERE email IS NOT NULL') > 0 AS created;
RESET search_path;
-- Another owner, which the caller is a member of.
RESET ROLE;
GRANT SELECT ON prod_src.customers TO prod_dev_alt;
SET ROLE prod_dev;
SELECT dmesh.create_data_product('prod_shop', 'alt_owned', 'prod_src.customers',
                                 owner => 'prod_dev_alt') > 0 AS created;
RESET ROLE;

-- Everything is a draft, owned by the domain owner unless told otherwise,
-- and the source is recorded; queries with every name schema-qualified.
SELECT p.name, p.owner, p.status, p.version, p.tags, p.source_kind, p.source_relation,
       p.source_query
  FROM dmesh.data_product p JOIN dmesh.domain d USING (domain_id)
 WHERE d.name = 'prod_shop' ORDER BY p.product_id;

-- A draft has no published relation yet.
SELECT count(*) AS relations FROM pg_class WHERE relnamespace = 'dmesh_prod_shop'::regnamespace;
SELECT dmesh.product_relation('prod_shop.customers');

-- The stored query does not depend on the search_path of later callers:
-- a table that would shadow the source under another search_path is not used.
CREATE SCHEMA prod_shadow;
CREATE TABLE prod_shadow.customers (id int, email text);
SET search_path = prod_shadow, public;
SELECT dmesh.publish_data_product('prod_shop.emails');
SELECT pg_get_viewdef('dmesh_prod_shop.emails_v1'::regclass) ~ 'prod_src\.customers' AS reads_original_source;
RESET search_path;
DROP SCHEMA prod_shadow CASCADE;

-- Events record who created what, from which source.
SELECT role_name, action, object_identity, details->>'source_kind' AS kind,
       details->>'source' AS source, details->'tags' AS tags
  FROM dmesh.event_log
 WHERE object_identity LIKE 'prod\_shop.%' AND action = 'create_data_product'
 ORDER BY event_id;

-- The owner must be able to read the source.
REVOKE SELECT ON prod_src.customers FROM prod_dev_alt;
SET ROLE prod_dev;
SELECT dmesh.create_data_product('prod_shop', 'not_readable', 'prod_src.customers', owner => 'prod_dev_alt');
SELECT dmesh.create_data_product('prod_shop', 'not_readable',
    'SELECT id FROM prod_src.customers', owner => 'prod_dev_alt');
RESET ROLE;
GRANT USAGE ON SCHEMA prod_src TO prod_dev_alt;
SET ROLE prod_dev;
SELECT dmesh.create_data_product('prod_shop', 'not_readable',
    'SELECT c.id FROM prod_src.customer_count n, prod_src.customers c', owner => 'prod_dev_alt');
-- A role the caller is not a member of cannot be made owner.
SELECT dmesh.create_data_product('prod_shop', 'not_mine', 'prod_src.customers', owner => 'prod_other');
RESET ROLE;
SELECT count(*) FROM dmesh.data_product WHERE name IN ('not_readable', 'not_mine');

-- VALUES and TABLE are queries too.
SELECT dmesh.create_data_product('prod_shop', 'constants', 'VALUES (1, ''one''), (2, ''two'')') > 0 AS created;
SELECT dmesh.create_data_product('prod_shop', 'whole_table', 'TABLE prod_src.customers') > 0 AS created;
SELECT name, source_query FROM dmesh.data_product WHERE name IN ('constants', 'whole_table') ORDER BY 1;
