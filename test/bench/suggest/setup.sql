-- The bench table: 20 columns of the kinds suggest_contract looks at, two
-- of them skewed.  status: 4 values, and 'lost' in one row of 1,000,003
-- (9 rows of 10,000,000); price: 0 to 499.9, and 10,000,000 in one row.
\set ON_ERROR_STOP on
CREATE EXTENSION dmesh;
CREATE EXTENSION pg_prewarm;
CREATE TABLE orders (
    id          bigint PRIMARY KEY,
    customer_id bigint NOT NULL,
    email       text,
    first_name  text,
    country     text,
    currency    text,
    status      text,
    amount      numeric(12,2),
    quantity    integer,
    price       double precision,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz,
    order_date  date,
    token       uuid,
    sku         text,
    phone       text,
    note        text,
    is_gift     boolean,
    discount    numeric(5,2),
    score       integer
);
INSERT INTO orders
SELECT i, 1 + (i * 7919) % 1000000,
       'u' || (i % 2000000) || '@example.org',
       (ARRAY['Ann', 'Bob', 'Cid', 'Dee', 'Eve', 'Fay', 'Gus', 'Hal'])[1 + i % 8],
       (ARRAY['NL', 'BE', 'DE', 'FR', 'ES', 'IT', 'PT', 'AT', 'PL', 'SE', 'US', 'GB'])[1 + i % 12],
       (ARRAY['EUR', 'USD', 'GBP'])[1 + i % 3],
       CASE WHEN i % 1000003 = 0 THEN 'lost' ELSE (ARRAY['new', 'paid', 'shipped', 'closed'])[1 + i % 4] END,
       round(((i * 31) % 100000) / 100.0, 2),
       1 + i % 20,
       CASE WHEN i = :rows - 1 THEN 1e7 ELSE (i % 5000) / 10.0 END,
       timestamptz '2020-01-01 00:00:00+00' + i * interval '10 seconds',
       timestamptz '2020-01-01 00:00:00+00' + i * interval '10 seconds' + interval '1 day',
       date '2020-01-01' + (i / 10000)::integer,
       md5(i::text)::uuid,
       'SKU-' || (i % 50000),
       '+1 555 ' || lpad((i % 10000000)::text, 7, '0'),
       CASE WHEN i % 10 = 0 THEN NULL ELSE 'note ' || i END,
       i % 7 = 0,
       (i % 50)::numeric,
       i % 101
  FROM generate_series(1, :rows::bigint) AS i;
VACUUM ANALYZE orders;
SELECT dmesh.create_domain('bench', CURRENT_USER::regrole) > 0 AS domain;
