-- "Did you mean": wherever dmesh reads a product name ('domain.product')
-- or a domain name that does not exist, the error hints at the one name a
-- typo away (a few edits, transpositions included); none when no name is
-- close, or when two are.  Only names every role may read are offered:
-- those of domains and of products not retired.  The SQLSTATE stays
-- undefined_object (42704).
CREATE ROLE dym_team NOLOGIN;
CREATE ROLE dym_nobody NOLOGIN;
SELECT dmesh.create_domain('dym_sales', 'dym_team') > 0 AS created;
CREATE SCHEMA dym_src AUTHORIZATION dym_team;
SET ROLE dym_team;
CREATE TABLE dym_src.t (id int);
SELECT dmesh.create_data_product('dym_sales', 'orders', 'dym_src.t') > 0 AS created;
SELECT dmesh.create_data_product('dym_sales', 'stock_a', 'dym_src.t') > 0 AS created;
SELECT dmesh.create_data_product('dym_sales', 'stock_b', 'dym_src.t') > 0 AS created;
SELECT dmesh.create_data_product('dym_sales', 'legacy', 'dym_src.t') > 0 AS created;
SELECT dmesh.publish_data_product('dym_sales.orders');
SELECT dmesh.publish_data_product('dym_sales.legacy');
SELECT dmesh.retire_data_product('dym_sales.legacy');
RESET ROLE;

-- The error of a statement: SQLSTATE, message, hint.
CREATE FUNCTION pg_temp.error_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    state text;
    message text;
    hint text;
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
    RETURN state || ' ' || message || coalesce(E'\n  HINT: ' || nullif(hint, ''), '');
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.error_of(text) TO PUBLIC;

-- A role with no privilege at all gets the hints: the names are in
-- catalogs it may read, which row-level security does not filter.
SET ROLE dym_nobody;
SELECT has_table_privilege('dmesh.domain', 'SELECT') AS domains_readable,
       has_table_privilege('dmesh.data_product', 'SELECT') AS products_readable,
       (SELECT bool_or(relrowsecurity) FROM pg_class
         WHERE oid IN ('dmesh.domain'::regclass, 'dmesh.data_product'::regclass)) AS filtered;
\pset format unaligned
\pset tuples_only on
-- A product name a typo away, wherever a product is named: a letter
-- missing, two swapped, one too many, another case.
SELECT pg_temp.error_of($$SELECT dmesh.product_relation('dym_sales.ordrs')$$);
SELECT pg_temp.error_of($$SELECT dmesh.request_access('dym_sales.oredrs', 'reports')$$);
SELECT pg_temp.error_of($$SELECT * FROM dmesh.access_status('dym_sales.orderss')$$);
SELECT pg_temp.error_of($$SELECT dmesh.contract_yaml('dym_sales.Orders')$$);
SELECT pg_temp.error_of($$SELECT * FROM dmesh.impact('dym_sales.ordres')$$);
SELECT pg_temp.error_of($$SELECT * FROM dmesh.lineage('dym_sales.order')$$);
-- The domain misspelt: the product meant, else the domain meant.
SELECT pg_temp.error_of($$SELECT dmesh.product_relation('dym_sale.orders')$$);
SELECT pg_temp.error_of($$SELECT dmesh.product_relation('dym_sale.invoices')$$);
-- Far from every name: no hint (or the hint that was there before).
SELECT pg_temp.error_of($$SELECT dmesh.product_relation('dym_sales.invoices')$$);
SELECT pg_temp.error_of($$SELECT dmesh.product_relation('dym_finance.orders')$$);
SELECT pg_temp.error_of($$SELECT * FROM dmesh.impact('dym_sales.invoices')$$);
SELECT pg_temp.error_of($$SELECT * FROM dmesh.lineage('dym_sales.invoices')$$);
-- Two names as close: no hint, rather than a guess.
SELECT pg_temp.error_of($$SELECT dmesh.product_relation('dym_sales.stock_c')$$);
-- A retired product is not offered.
SELECT pg_temp.error_of($$SELECT dmesh.product_relation('dym_sales.legac')$$);
RESET ROLE;

-- Domain names, where a domain is named alone.
SET ROLE dym_team;
SELECT pg_temp.error_of($$SELECT dmesh.create_data_product('dym_sale', 'x', 'dym_src.t')$$);
SELECT pg_temp.error_of($$SELECT dmesh.create_data_product('dym_finance', 'x', 'dym_src.t')$$);
SELECT pg_temp.error_of($$SELECT dmesh.create_policy('dym p', 'masking', '{"classification": "x", "mask": "null"}', 'domain:dym_slaes')$$);
SELECT pg_temp.error_of($$SELECT dmesh.create_policy('dym p', 'masking', '{"classification": "x", "mask": "null"}', 'product:dym_sales.ordrs')$$);
-- The manager's own calls too.
SELECT pg_temp.error_of($$SELECT dmesh.publish_data_product('dym_sales.order')$$);
SELECT pg_temp.error_of($$SELECT * FROM dmesh.refresh_product('dym_sales.odrers')$$);
RESET ROLE;
\pset format aligned
\pset tuples_only off

-- The hint of SQL functions (dmesh.impact, dmesh.lineage) comes from here.
SELECT dmesh._suggest_product('dym_sales.ordrs') AS close,
       dmesh._suggest_product('dym_sales.invoices') AS far,
       dmesh._suggest_product('dym_sales.stock_c') AS two_close,
       dmesh._suggest_product('dym_sales.orders') AS exact,
       dmesh._suggest_product(repeat('x', 500)) AS long;

-- Contract keys keep their "Did you mean" (the same suggestions).
SELECT pg_temp.error_of($$SELECT dmesh.set_contract('dym_sales.orders', '{"apiVersion": "v3.1.0", "kind": "DataContract", "id": "x", "version": "2.0.0", "status": "active", "stauts": "x"}'::jsonb)$$);
