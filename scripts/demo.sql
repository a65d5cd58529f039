-- dmesh demo: one story in 21 numbered steps, each introduced by a line
-- saying who does what and why, then a summary.  Run by scripts/demo.sh.
--
-- A shop has three teams (sales, logistics, marketing) and an analyst, ana.
-- The platform admin (postgres) creates their roles and schemas and
-- registers each team as a domain; from then on each team works as itself.
--   1-4    the teams' tables (generated data); the domains; the teams create
--          and publish products (one a query, one materialized and built on
--          another product's view), grant ana three of them, and deprecate
--          one.
--   5-8    ana browses the marketplace, searches it (a column comment, a
--          tag), reads the column lineage of a product, reads what she was
--          granted, and is refused the rest (default deny).
--   9-11   every product's contract (ODCS, derived, version 1.0.0) and a few
--          lines of one in YAML; sales adds a column (the DDL gate lets it
--          through) and publishes contract 1.1.0 (not breaking: its diff);
--          the admin sets a masking policy (internal columns hashed) and a
--          publish policy; sales grants ana its orders with a row filter, a
--          purpose and an expiry; ana reads 10 rows, customer ids hashed;
--          compliance.
--   12-15  sales wants to drop the column amount: usage (who read what) and
--          impact (what and who depend on it) first; then the DDL gate
--          refuses the drop, a minor contract version without it is refused,
--          and contract 2.0.0 is published as orders_v2 beside orders_v1
--          (deprecated), with the consumers the removal affects.
--   16-18  quality rules in the customers contract, checked in one pass;
--          enforced on writes: reject, then quarantine (its notice, the row
--          held back); the quality score in the marketplace.
--   19-21  1,000 new orders, and the materialized product refreshed
--          write-audit-publish; the health of every product; the size of
--          the event log and the history of sales.orders in it.
--
-- Intended failures are announced ("-- expected: ...") and run through
-- pg_temp.expect_error, which prints "expected error: <message>" as a
-- notice, and stops the demo if the statement does not fail.  The only
-- other notice is the quarantine's.  Outputs are trimmed to what makes each
-- point; nothing depends on timing (the background worker may run at any
-- moment), only the hashed customer ids differ from run to run.
--
-- It needs a cluster of its own (it creates roles) with
-- shared_preload_libraries = dmesh.  scripts/demo.sh feeds it to psql on
-- standard input, so that notices print without psql's "psql:file:line:"
-- prefix:
--   psql -X -q -v ON_ERROR_STOP=1 -P pager=off < demo.sql
\set ON_ERROR_STOP 1
CREATE EXTENSION dmesh;

-- Runs a statement that must fail; prints its error as a notice.
CREATE PROCEDURE pg_temp.expect_error(statement text)
LANGUAGE plpgsql AS $$
DECLARE
    msg text;
    detail text;
    hint text;
BEGIN
    BEGIN
        EXECUTE statement;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL,
                                hint = PG_EXCEPTION_HINT;
    END;
    IF msg IS NULL THEN
        RAISE EXCEPTION 'the demo expected this statement to fail, and it did not: %', statement;
    END IF;
    msg := 'expected error: ' || msg;
    IF detail <> '' AND hint <> '' THEN
        RAISE NOTICE '%', msg USING DETAIL = detail, HINT = hint;
    ELSIF detail <> '' THEN
        RAISE NOTICE '%', msg USING DETAIL = detail;
    ELSIF hint <> '' THEN
        RAISE NOTICE '%', msg USING HINT = hint;
    ELSE
        RAISE NOTICE '%', msg;
    END IF;
END
$$;

\echo '== 1. The people'
\echo '   A shop has three teams: sales, logistics and marketing. The platform admin'
\echo '   (postgres) creates a role for each team, one person in each (sam in sales,'
\echo '   lou in logistics, mia in marketing) and ana, an analyst in no team.'
CREATE ROLE sales_team NOLOGIN;
CREATE ROLE logistics_team NOLOGIN;
CREATE ROLE marketing_team NOLOGIN;
CREATE ROLE sam LOGIN IN ROLE sales_team;
CREATE ROLE lou LOGIN IN ROLE logistics_team;
CREATE ROLE mia LOGIN IN ROLE marketing_team;
CREATE ROLE ana LOGIN;
CREATE SCHEMA sales AUTHORIZATION sales_team;
CREATE SCHEMA logistics AUTHORIZATION logistics_team;
CREATE SCHEMA marketing AUTHORIZATION marketing_team;

\echo
\echo '== 2. Their data'
\echo '   Each team keeps its operational tables in its own schema (generated here):'
\echo '   sales 5,000 customers and 100,000 orders, logistics 90,000 shipments.'
\echo '   Sales lets marketing read its customers table.'
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

\echo
\echo '== 3. The mesh'
\echo '   The admin registers each team as a domain of the mesh, owned by the team''s'
\echo '   role. From here on each team manages its products itself, no superuser needed.'
\o /dev/null
SELECT dmesh.create_domain('sales', 'sales_team', 'Customers, orders and revenue');
SELECT dmesh.create_domain('logistics', 'logistics_team', 'Shipping and delivery');
SELECT dmesh.create_domain('marketing', 'marketing_team', 'Segments and campaigns');
\o

\echo
\echo '== 4. Each team publishes data products and grants ana what she needs'
\echo '   A product is a table or a query of the team; publishing it makes a view,'
\echo '   dmesh_<domain>.<product>_v1, that only the team may read until it grants it.'
\echo '   sam (sales): orders, daily_revenue, customers, and big_orders, a product'
\echo '     built on the published orders and materialized as a table;'
\echo '   lou (logistics): shipments and delivery_times, then deprecates shipments'
\echo '     in favour of delivery_times;'
\echo '   mia (marketing): customers_by_country, built on the sales customers table.'
\echo '   ana is granted daily_revenue, delivery_times and customers_by_country.'
\o /dev/null
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
-- A product on a product: it reads the published view, and is refreshed
-- every hour by the background worker.
SELECT dmesh.create_data_product('sales', 'big_orders',
       'SELECT order_id, amount FROM dmesh_sales.orders_v1 WHERE amount > 400',
       'Orders above 400', materialize => true, refresh => '1 hour');
SELECT dmesh.publish_data_product('sales.big_orders');
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
SELECT dmesh.deprecate_data_product('logistics.shipments',
       'Use logistics.delivery_times for reporting', current_date + 90);
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
SELECT d.name AS domain, d.owner, string_agg(p.name, ', ' ORDER BY p.name) AS products
  FROM dmesh.domain d JOIN dmesh.data_product p USING (domain_id)
 GROUP BY d.name, d.owner ORDER BY 1;

\echo '== 5. ana browses the marketplace'
\echo '   Every published product, with its lifecycle, contract version and the view'
\echo '   to query. ana sees them all, and in access whether she may read each'
\echo '   (dmesh.access_status(product) tells her how to ask for the others).'
SET ROLE ana;
SELECT domain, product, status, version, relation, access
  FROM dmesh.marketplace ORDER BY domain, product;

\echo '== 6. ana searches it'
\echo '   Search reads names, descriptions, tags and column comments: "euros" is only'
\echo '   in the comment on sales.orders.amount, "kpi" only in tags.'
SELECT domain, product, round(rank::numeric, 3) AS rank FROM dmesh.search('euros');
SELECT domain, product, round(rank::numeric, 3) AS rank FROM dmesh.search('kpi');

\echo '== 7. ana looks where customers_by_country comes from'
\echo '   dmesh recorded its lineage when mia published it, column by column: which'
\echo '   source columns feed each published column, and how (copied, aggregated,'
\echo '   grouped by).'
SELECT source, source_column, target, target_column, dependency, subtype
  FROM dmesh.lineage('marketing.customers_by_country', 'upstream', 2)
 WHERE closed_at IS NULL AND target_column IS NOT NULL
 ORDER BY source, target, target_column, source_column;

\echo '== 8. ana reads what she was granted, and nothing else'
\echo '   dmesh.product_relation() names the view to read.'
SELECT dmesh.product_relation('marketing.customers_by_country');
SELECT * FROM dmesh_marketing.customers_by_country_v1 ORDER BY country;
SELECT * FROM dmesh_logistics.delivery_times_v1 ORDER BY carrier;
\echo '-- expected: ana may not read the orders product, nobody granted it to her'
CALL pg_temp.expect_error('SELECT count(*) FROM dmesh_sales.orders_v1');
\echo '-- expected: nor the sales tables behind it'
CALL pg_temp.expect_error('SELECT count(*) FROM sales.orders');
RESET ROLE;

\echo
\echo '== 9. Every product has a data contract'
\echo '   Written in the Open Data Contract Standard (ODCS), here derived from each'
\echo '   source when the product was created: version 1.0.0, the published columns.'
SELECT d.name AS domain, p.name AS product, c.version, c.derived,
       jsonb_array_length(c.document->'schema'->0->'properties') AS columns
  FROM dmesh.contract c JOIN dmesh.data_product p USING (product_id)
  JOIN dmesh.domain d USING (domain_id) ORDER BY 1, 2;
\echo '   The contract of sales.orders in YAML: its first lines and the property amount,'
\echo '   described by the comment on its column:'
\pset format unaligned
\pset tuples_only on
SELECT substring(y FROM '^(?:[^\n]*\n){5}')                       -- the first 5 lines
       || E'...\n'
       || substring(y FROM '  - name: amount\n(?:    [^\n]*\n)*')   -- the property amount
       || '(' || array_length(string_to_array(rtrim(y, E'\n'), E'\n'), 1) || ' lines in all)'
  FROM dmesh.contract_yaml('sales.orders') AS y;
\pset format aligned
\pset tuples_only off

\echo
\echo '== 10. Sales changes its table without breaking anyone'
\echo '   sam adds a column channel to sales.orders. The DDL gate lets it through:'
\echo '   the contract does not publish it. Then sam writes contract 1.1.0, which'
\echo '   publishes channel and classifies customer_id as internal. Nothing breaks, so'
\echo '   orders_v1 is updated in place. The diff against 1.0.0:'
SET ROLE sam;
ALTER TABLE sales.orders ADD COLUMN channel text;
\o /dev/null
-- derive_contract reads the table again (it now has channel); property 1 is customer_id.
SELECT dmesh.set_contract('sales.orders',
       jsonb_set(jsonb_set(dmesh.derive_contract('sales.orders'), '{version}', '"1.1.0"'),
                 '{schema,0,properties,1,classification}', '"internal"'));
\o
SELECT path, change, severity, new FROM dmesh.contract_diff('sales.orders', '1.0.0', '1.1.0');
RESET ROLE;

\echo '== 11. Governance: policies, and a grant with conditions'
\echo '   The admin sets two mesh-wide policies: columns classified internal are'
\echo '   hashed for consumers, and a product needs a description and an owner to be'
\echo '   published. sam grants ana the orders for an order review, for 90 days, and'
\echo '   only the latest ones (row filter order_id > 99990). ana reads them: 10 rows,'
\echo '   customer ids hashed.'
\o /dev/null
SELECT dmesh.create_policy('internal ids hashed', 'masking', '{"classification": "internal", "mask": "hash"}');
SELECT dmesh.create_policy('described', 'publish', '{"require": ["has_description", "has_owner"]}');
SET ROLE sam;
SELECT dmesh.grant_access('sales.orders', 'ana', row_filter => 'order_id > 99990',
       purpose => 'Order review', expires_at => now() + interval '90 days');
RESET ROLE;
\o
SET ROLE ana;
SELECT order_id, customer_id, amount FROM dmesh_sales.orders_v1 ORDER BY order_id LIMIT 3;
SELECT count(*) AS orders_ana_sees FROM dmesh_sales.orders_v1;
RESET ROLE;
\echo '   Compliance with the publish policy, product by product:'
SELECT domain, product, policy, passed FROM dmesh.compliance ORDER BY 1, 2;

\echo '== 12. Who reads what'
\echo '   dmesh counted every read of a product as it ran (the background worker'
\echo '   flushes the counters every round; flushed by hand here). sales_team read'
\echo '   the orders to build big_orders.'
\o /dev/null
SELECT dmesh.flush_usage();
\o
SELECT product, consumer, queries, rows, columns FROM dmesh.usage ORDER BY 1, 2;

\echo '== 13. sam wants to drop orders.amount: first, what would it break?'
\echo '   impact() follows the lineage and the usage downstream of the column: the'
\echo '   relations and products built on it, and who read it in the last 30 days.'
SELECT kind, name, affected_columns, reads FROM dmesh.impact('sales.orders', ARRAY['amount']);

\echo '== 14. The breaking change is refused'
\echo '   sam tries anyway, as the table''s owner.'
SET ROLE sam;
\echo '-- expected: the DDL gate refuses it: the published contract lists amount'
CALL pg_temp.expect_error('ALTER TABLE sales.orders DROP COLUMN amount');
\echo '   Then as a contract change: version 1.2.0 without amount.'
\echo '-- expected: refused, a breaking change needs a new major version'
-- property 3 of the contract is amount
CALL pg_temp.expect_error($$
    SELECT dmesh.set_contract('sales.orders',
           jsonb_set(dmesh.contract_document('sales.orders'), '{version}', '"1.2.0"')
           #- '{schema,0,properties,3}')$$);

\echo
\echo '== 15. ... and made as a new major version'
\echo '   Contract 2.0.0 without amount is published as a second view, orders_v2.'
\echo '   orders_v1 stays, deprecated, so ana and big_orders keep working until they'
\echo '   move; amount can go from the table once version 1 is retired.'
\o /dev/null
SELECT dmesh.set_contract('sales.orders',
       jsonb_set(dmesh.contract_document('sales.orders'), '{version}', '"2.0.0"')
       #- '{schema,0,properties,3}');
\o
RESET ROLE;
SELECT product, version, major, status, relation FROM dmesh.marketplace
 WHERE domain = 'sales' AND product = 'orders' ORDER BY major;
SELECT path, change, severity, affected_consumers
  FROM dmesh.contract_diff('sales.orders', '1.1.0', '2.0.0') WHERE severity = 'breaking';

\echo '== 16. Quality rules, written in the contract'
\echo '   sam adds rules to the customers contract (1.1.0): names not empty or N/A,'
\echo '   ISO country codes, more than 1,000 rows, some recent signups (an SQL rule,'
\echo '   a warning). check_product tests them all, with the contract''s own required'
\echo '   and unique, in one pass over the data.'
SET ROLE sam;
\o /dev/null
SELECT dmesh.set_contract('sales.customers',
       jsonb_set(jsonb_set(jsonb_set(jsonb_set(dmesh.derive_contract('sales.customers'),
           '{version}', '"1.1.0"'),
           '{schema,0,properties,1,quality}',      -- name
           $$[{"metric": "missingValues", "arguments": {"missingValues": ["", "N/A"]}, "mustBe": 0}]$$),
           '{schema,0,properties,2,quality}',      -- country
           $$[{"metric": "invalidValues", "name": "iso code", "arguments": {"pattern": "^[A-Z]{2}$"}, "mustBe": 0}]$$),
           '{schema,0,quality}',                   -- the whole table
           $$[{"metric": "rowCount", "mustBeGreaterThan": 1000},
              {"type": "sql", "name": "recent signups", "severity": "warning", "mustBeGreaterThan": 0,
               "query": "SELECT count(*) FROM {object} WHERE signed_up >= date '2025-06-01'"}]$$));
\o
SELECT rule, property, metric, passed, observed, expected FROM dmesh.check_product('sales.customers');

\echo '== 17. ... enforced on every write: reject'
\echo '   sam turns enforcement on. Rules on a row are checked in the writing'
\echo '   transaction; rules on the whole table are left to check_product.'
SELECT checked, string_agg(DISTINCT rule, ', ') AS rules
  FROM dmesh.enforce_contract('sales.customers') GROUP BY checked ORDER BY checked;
\echo '-- expected: a new customer with country xx is refused'
CALL pg_temp.expect_error($$INSERT INTO sales.customers VALUES (5001, 'Acme', 'xx', date '2026-03-02')$$);

\echo
\echo '== 18. ... or quarantine'
\echo '   In quarantine mode good rows go in and bad rows are set aside for review,'
\echo '   with a notice to the writer. sam inserts two customers, one with country fr.'
\o /dev/null
SELECT dmesh.enforce_contract('sales.customers', 'quarantine');
\o
INSERT INTO sales.customers VALUES (5001, 'Acme', 'FR', date '2026-03-02'),
                                   (5002, 'Bad Co', 'fr', date '2026-03-02');
SELECT quarantine_id, product, row_data->>'customer_id' AS customer_id,
       row_data->>'country' AS country, broken_rules->0->>'rule' AS broken_rule
  FROM dmesh.quarantine;
SELECT count(*) AS customers_now FROM sales.customers;
RESET ROLE;
\echo '   The marketplace shows the quality score of the last check:'
SELECT domain, product, quality_score
  FROM dmesh.marketplace WHERE quality_score IS NOT NULL;

\echo '== 19. The materialized product is refreshed write-audit-publish'
\echo '   1,000 new orders arrive. sam refreshes big_orders as the worker does every'
\echo '   hour: the new data is written aside, audited against the contract of'
\echo '   big_orders, and published (swapped in) only if it passes.'
SET ROLE sam;
SELECT count(*) AS rows_before FROM dmesh_sales.big_orders_v1 \gset
INSERT INTO sales.orders
SELECT g, 1 + (g * 7919) % 5000, timestamptz '2026-01-01' + g * interval '3 minutes',
       round((10 + (g * 37) % 490)::numeric, 2)
  FROM generate_series(100001, 101000) g;
SELECT :rows_before AS rows_before, rows AS rows_after, published, failed_rules
  FROM dmesh.refresh_product('sales.big_orders');
RESET ROLE;

\echo '== 20. The health of every product'
\echo '   Lifecycle, quality, departures from the contract, reads and open incidents.'
SELECT domain, product, lifecycle, quality_score, contract_findings, reads_7d, open_incidents, status
  FROM dmesh.product_health ORDER BY 1, 2;

\echo '== 21. Everything was recorded'
\echo '   The event log holds every change dmesh made, who made it, in the same'
\echo '   transaction (the refused changes left nothing: they were rolled back).'
\echo '   Its size, and the history of sales.orders:'
SELECT count(*) AS events FROM dmesh.event_log;
SELECT event_id, role_name, action,
       CASE action
            WHEN 'create_data_product' THEN 'from ' || (details->>'source')
            WHEN 'publish' THEN details->>'relation'
            WHEN 'ddl' THEN details->>'statement'
            WHEN 'set_contract' THEN 'version ' || (details->>'version') || ', ' || (details->>'relation')
            WHEN 'grant_access' THEN 'to ' || (details->>'consumer') || ' where ' || (details->>'row_filter')
       END AS what
  FROM dmesh.event_log WHERE object_identity = 'sales.orders' ORDER BY event_id;

\echo '== What this showed'
\echo '   1-4    Teams create, publish, grant and deprecate their own data products;'
\echo '          the admin only made the roles, the domains and (11) mesh-wide policies.'
\echo '   5-8    A consumer finds products in the marketplace, by search and by column'
\echo '          lineage, and reads only what she was granted.'
\echo '   9-11   Every product has a versioned ODCS contract; a change that breaks'
\echo '          nothing goes through; a grant can carry a row filter, a purpose and an'
\echo '          expiry, and classified columns are masked.'
\echo '   12-15  Usage and impact name who a change would hit before it is made; the DDL'
\echo '          gate and the version rules refuse the breaking change until it is a new'
\echo '          major version, published beside the old one.'
\echo '   16-18  Quality rules from the contract: checked in one pass, enforced on'
\echo '          writes (reject, or quarantine for review).'
\echo '   19-21  A write-audit-publish refresh, the health of every product, and the'
\echo '          event log of every change.'
