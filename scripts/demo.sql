-- dmesh demo: three domains own products over generated data; an analyst
-- discovers them in the marketplace and reads what it was granted.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION dmesh;

\echo '== the teams: one role per domain, a person in each, and an analyst'
CREATE ROLE sales_team NOLOGIN;
CREATE ROLE logistics_team NOLOGIN;
CREATE ROLE marketing_team NOLOGIN;
CREATE ROLE sam LOGIN IN ROLE sales_team;
CREATE ROLE lou LOGIN IN ROLE logistics_team;
CREATE ROLE mia LOGIN IN ROLE marketing_team;
CREATE ROLE ana LOGIN;

\echo '== their operational data (generated)'
CREATE SCHEMA sales AUTHORIZATION sales_team;
CREATE SCHEMA logistics AUTHORIZATION logistics_team;
CREATE SCHEMA marketing AUTHORIZATION marketing_team;

SET ROLE sales_team;
CREATE TABLE sales.customers (
    customer_id int PRIMARY KEY,
    name        text NOT NULL,
    country     text NOT NULL,
    signed_up   date NOT NULL);
COMMENT ON COLUMN sales.customers.country IS 'ISO 3166 country code of the billing address';
CREATE TABLE sales.orders (
    order_id    int PRIMARY KEY,
    customer_id int NOT NULL REFERENCES sales.customers,
    ordered_at  timestamptz NOT NULL,
    amount      numeric(10,2) NOT NULL);
COMMENT ON COLUMN sales.orders.amount IS 'Order total in euros, taxes included';
INSERT INTO sales.customers
SELECT g, 'Customer ' || g, (ARRAY['FR','DE','NL','ES','IT'])[1 + g % 5],
       date '2024-01-01' + (g % 700)
  FROM generate_series(1, 5000) g;
INSERT INTO sales.orders
SELECT g, 1 + (g * 7919) % 5000, timestamptz '2026-01-01' + g * interval '3 minutes',
       round((10 + (g * 37) % 490)::numeric, 2)
  FROM generate_series(1, 100000) g;
GRANT USAGE ON SCHEMA sales TO marketing_team;
GRANT SELECT ON sales.customers TO marketing_team;
RESET ROLE;

SET ROLE logistics_team;
CREATE TABLE logistics.shipments (
    shipment_id int PRIMARY KEY,
    order_id    int NOT NULL,
    carrier     text NOT NULL,
    shipped_at  timestamptz NOT NULL,
    delivered_at timestamptz);
COMMENT ON COLUMN logistics.shipments.carrier IS 'Parcel carrier that handled the delivery';
INSERT INTO logistics.shipments
SELECT g, g, (ARRAY['PostNL','DHL','Colissimo'])[1 + g % 3],
       timestamptz '2026-01-01' + g * interval '3 minutes' + interval '1 day',
       CASE WHEN g % 10 = 0 THEN NULL
            ELSE timestamptz '2026-01-01' + g * interval '3 minutes'
                 + (1 + g % 3) * interval '1 day' + (g % 7) * interval '5 hours' END
  FROM generate_series(1, 90000) g;
RESET ROLE;

\echo '== domains and products: each team creates and publishes its own, without a superuser'
\o /dev/null
SELECT dmesh.create_domain('sales', 'sales_team', 'Customers, orders and revenue');
SELECT dmesh.create_domain('logistics', 'logistics_team', 'Shipping and delivery');
SELECT dmesh.create_domain('marketing', 'marketing_team', 'Segments and campaigns');

SET ROLE sam;
SELECT dmesh.create_data_product('sales', 'orders', 'sales.orders',
       'Every order, one row per order', tags => ARRAY['orders', 'revenue']);
SELECT dmesh.create_data_product('sales', 'daily_revenue',
       $$SELECT ordered_at::date AS day, count(*) AS orders, sum(amount) AS revenue
           FROM sales.orders GROUP BY 1$$,
       'Orders and revenue per day', tags => ARRAY['revenue', 'kpi']);
SELECT dmesh.create_data_product('sales', 'customers', 'sales.customers',
       'Customers with their country', tags => ARRAY['customers']);
SELECT dmesh.publish_data_product('sales.orders');
SELECT dmesh.publish_data_product('sales.daily_revenue');
SELECT dmesh.publish_data_product('sales.customers');
SELECT dmesh.grant_access('sales.daily_revenue', 'ana');
RESET ROLE;

SET ROLE lou;
SELECT dmesh.create_data_product('logistics', 'shipments', 'logistics.shipments',
       'Shipments and their delivery', tags => ARRAY['delivery']);
SELECT dmesh.create_data_product('logistics', 'delivery_times',
       $$SELECT carrier, count(*) AS delivered,
                date_trunc('minute', avg(delivered_at - shipped_at)) AS mean_delay
           FROM logistics.shipments WHERE delivered_at IS NOT NULL GROUP BY carrier$$,
       'Mean delivery delay per carrier', tags => ARRAY['delivery', 'kpi']);
SELECT dmesh.publish_data_product('logistics.shipments');
SELECT dmesh.publish_data_product('logistics.delivery_times');
SELECT dmesh.grant_access('logistics.delivery_times', 'ana');
SELECT dmesh.deprecate_data_product('logistics.shipments', 'Use logistics.delivery_times for reporting', current_date + 90);
RESET ROLE;

SET ROLE mia;
SELECT dmesh.create_data_product('marketing', 'customers_by_country',
       $$SELECT country, count(*) AS customers, min(signed_up) AS first_signup
           FROM sales.customers GROUP BY country$$,
       'How many customers each country has', tags => ARRAY['segments', 'kpi']);
SELECT dmesh.publish_data_product('marketing.customers_by_country');
SELECT dmesh.grant_access('marketing.customers_by_country', 'ana');
RESET ROLE;

\o
SELECT d.name AS domain, d.owner, count(p.*) AS products
  FROM dmesh.domain d LEFT JOIN dmesh.data_product p USING (domain_id)
 GROUP BY d.name, d.owner ORDER BY 1;

\echo '== the marketplace, as the analyst sees it'
SET ROLE ana;
SELECT domain, product, status, version, owner, tags, relation, access,
       (SELECT string_agg(a.attname::text, ', ' ORDER BY a.attnum) FROM pg_attribute a
         WHERE a.attrelid = m.relation AND a.attnum > 0 AND NOT a.attisdropped) AS columns
  FROM dmesh.marketplace m ORDER BY domain, product;

\echo '== search: "euros" is only in a column comment'
SELECT domain, product, round(rank::numeric, 3) AS rank FROM dmesh.search('euros');
\echo '== search: kpi'
SELECT domain, product, round(rank::numeric, 3) AS rank FROM dmesh.search('kpi');

\echo '== the analyst reads what it was granted ...'
SELECT * FROM dmesh_logistics.delivery_times_v1 ORDER BY carrier;
SELECT dmesh.product_relation('marketing.customers_by_country');
SELECT * FROM dmesh_marketing.customers_by_country_v1 ORDER BY country;

\echo '== ... and nothing else (default deny):'
\set ON_ERROR_STOP 0
SELECT count(*) FROM dmesh_sales.orders_v1;
SELECT count(*) FROM sales.orders;
\set ON_ERROR_STOP 1
RESET ROLE;

\echo '== every product has a contract (derived here from its source), versioned'
SELECT d.name AS domain, p.name AS product, c.version, c.derived,
       jsonb_array_length(c.document->'schema'->0->'properties') AS columns
  FROM dmesh.contract c JOIN dmesh.data_product p USING (product_id)
  JOIN dmesh.domain d USING (domain_id) ORDER BY 1, 2;

\echo '== the DDL gate keeps a published source true to its contract'
\set ON_ERROR_STOP 0
ALTER TABLE sales.orders DROP COLUMN amount;
\set ON_ERROR_STOP 1
ALTER TABLE sales.orders ADD COLUMN channel text;

\echo '== a new contract version: classify a column, publish the new column'
SET ROLE sam;
\o /dev/null
SELECT dmesh.set_contract('sales.orders',
       jsonb_set(jsonb_set(dmesh.derive_contract('sales.orders'), '{version}', '"1.1.0"'),
                 '{schema,0,properties,1,classification}', '"internal"'));
\o
SELECT path, change, severity, new FROM dmesh.contract_diff('sales.orders', '1.0.0', '1.1.0');
\echo '== a breaking change needs a new major version'
\set ON_ERROR_STOP 0
SELECT dmesh.set_contract('sales.orders',
       jsonb_set(dmesh.derive_contract('sales.orders'), '{version}', '"1.2.0"') #- '{schema,0,properties,3}');
\set ON_ERROR_STOP 1
\o /dev/null
SELECT dmesh.set_contract('sales.orders',
       jsonb_set(dmesh.derive_contract('sales.orders'), '{version}', '"2.0.0"') #- '{schema,0,properties,3}');
\o
RESET ROLE;
SELECT product, version, major, status, relation FROM dmesh.marketplace
 WHERE domain = 'sales' AND product = 'orders' ORDER BY major;
\echo '== the active contract, as ODCS YAML'
SELECT dmesh.contract_yaml('sales.orders');

\echo '== quality: rules written in the contract, all checked in one pass over the data'
SET ROLE sam;
\o /dev/null
SELECT dmesh.set_contract('sales.customers',
       jsonb_set(jsonb_set(jsonb_set(jsonb_set(dmesh.derive_contract('sales.customers'),
           '{version}', '"1.1.0"'),
           '{schema,0,properties,1,quality}',
           $$[{"metric": "missingValues", "arguments": {"missingValues": ["", "N/A"]}, "mustBe": 0}]$$),
           '{schema,0,properties,2,quality}',
           $$[{"metric": "invalidValues", "name": "iso code", "arguments": {"pattern": "^[A-Z]{2}$"}, "mustBe": 0}]$$),
           '{schema,0,quality}',
           $$[{"metric": "rowCount", "mustBeGreaterThan": 1000},
              {"type": "sql", "name": "recent signups", "severity": "warning", "mustBeGreaterThan": 0,
               "query": "SELECT count(*) FROM {object} WHERE signed_up >= date '2025-06-01'"}]$$));
\o
SELECT rule, property, metric, passed, observed, expected FROM dmesh.check_product('sales.customers');
\echo '== ... and on every write, in the writing transaction: reject mode'
SELECT * FROM dmesh.enforce_contract('sales.customers');
\set ON_ERROR_STOP 0
INSERT INTO sales.customers VALUES (5001, 'Acme', 'xx', current_date);
\set ON_ERROR_STOP 1
\echo '== quarantine mode: good rows go in, bad rows wait for review'
SELECT count(*) AS rules FROM dmesh.enforce_contract('sales.customers', 'quarantine');
INSERT INTO sales.customers VALUES (5001, 'Acme', 'FR', current_date), (5002, 'Bad Co', 'fr', current_date);
SELECT quarantine_id, product, row_data, broken_rules FROM dmesh.quarantine;
RESET ROLE;
\echo '== the marketplace shows each product''s latest quality score'
SELECT domain, product, major, quality_score FROM dmesh.marketplace ORDER BY 1, 2, 3;

\echo '== governance: ana gets the latest orders only, customer ids masked (classified internal)'
\o /dev/null
SELECT dmesh.create_policy('internal ids hashed', 'masking', '{"classification": "internal", "mask": "hash"}');
SET ROLE sam;
SELECT dmesh.grant_access('sales.orders', 'ana', row_filter => 'order_id > 99990', purpose => 'Order review',
                          expires_at => now() + interval '90 days');
RESET ROLE;
\o
SET ROLE ana;
SELECT order_id, customer_id, amount FROM dmesh_sales.orders_v1 ORDER BY order_id LIMIT 3;
SELECT count(*) AS orders_ana_sees FROM dmesh_sales.orders_v1;
RESET ROLE;
\echo '== a publish policy, and compliance'
\o /dev/null
SELECT dmesh.create_policy('described', 'publish', '{"require": ["has_description", "has_owner"]}');
\o
SELECT domain, product, policy, passed FROM dmesh.compliance ORDER BY 1, 2;

\echo '== lineage: where the marketing product comes from, recorded as the DDL happened'
SELECT hops, source, source_column, target, target_column, dependency, subtype
  FROM dmesh.lineage('marketing.customers_by_country', 'upstream', 2)
 WHERE closed_at IS NULL AND (target_column IS NULL OR target LIKE 'dmesh_marketing.%')
 ORDER BY hops, source, target, target_column NULLS FIRST, source_column NULLS FIRST;
\echo '== usage: who read what (counted by the executor hook; the worker flushes it every round)'
\o /dev/null
SELECT dmesh.flush_usage();
\o
SELECT product, consumer, queries, rows, columns FROM dmesh.usage ORDER BY 1, 2;
\echo '== impact of changing sales.orders.amount, before doing it'
SELECT kind, name, affected_columns, reads FROM dmesh.impact('sales.orders', ARRAY['amount']);
\echo '== a materialized product, refreshed write-audit-publish (the worker does it every refresh)'
SET ROLE sam;
\o /dev/null
SELECT dmesh.create_data_product('sales', 'big_orders', 'SELECT order_id, amount FROM sales.orders WHERE amount > 400', 'Orders above 400',
       materialize => true, refresh => '1 hour');
SELECT dmesh.publish_data_product('sales.big_orders');
\o
SELECT published, rows, failed_rules FROM dmesh.refresh_product('sales.big_orders');
RESET ROLE;
\echo '== health of every product'
SELECT domain, product, lifecycle, quality_score, contract_findings, reads_7d, open_incidents, status
  FROM dmesh.product_health ORDER BY 1, 2;

\echo '== the event log'
SELECT event_id, role_name, action, object_identity FROM dmesh.event_log ORDER BY event_id;
