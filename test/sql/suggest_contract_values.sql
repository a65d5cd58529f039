-- The contract assistant, values and patterns: validValues for text with a
-- few values (pg_stats' most common values covering every row, the sample
-- agreeing; from the sample alone without statistics), minimum and maximum
-- for numbers and dates rounded outward, formats and patterns for text
-- that (nearly) every value matches: e-mail, UUID, ISO 3166 and ISO 4217
-- codes, phone numbers, IBANs, ISO dates and date-times, IPv4.  Nearly
-- every value: a rule that allows the share that does not match.  Sampling
-- with TABLESAMPLE ... REPEATABLE gives the same sample each time.
CREATE ROLE sgv_team NOLOGIN;
SELECT dmesh.create_domain('sgv', 'sgv_team') > 0 AS created;
CREATE SCHEMA sgv AUTHORIZATION sgv_team;
SET ROLE sgv_team;

CREATE FUNCTION pg_temp.summary(doc jsonb)
RETURNS TABLE (property text, options jsonb, rules jsonb)
LANGUAGE sql AS $$
  SELECT p->>'name', p->'logicalTypeOptions',
         (SELECT jsonb_agg(q - 'customProperties') FROM jsonb_array_elements(p->'quality') AS q)
    FROM jsonb_array_elements(doc->'schema'->0->'properties') WITH ORDINALITY AS e(p, n)
   ORDER BY n
$$;
-- every evidence line of a property, its rules' included
CREATE FUNCTION pg_temp.evidence(doc jsonb, property text)
RETURNS SETOF text
LANGUAGE sql AS $$
  SELECT jsonb_array_elements_text(cp->'value')
    FROM jsonb_array_elements(doc->'schema'->0->'properties') AS p,
         LATERAL (SELECT p->'customProperties' AS c
                  UNION ALL
                  SELECT q->'customProperties' FROM jsonb_array_elements(p->'quality') AS q) AS l,
         jsonb_array_elements(l.c) AS cp
   WHERE p->>'name' = property AND cp->>'property' = 'dmesh.evidence'
$$;

CREATE TABLE sgv.orders (
    order_id    integer PRIMARY KEY,
    status      text NOT NULL,
    channel     text,
    age         integer,
    amount      numeric(10,2),
    temperature double precision,
    score       integer,
    constant    integer,
    ordered_on  date,
    born_on     date,
    email       text,
    token       text,
    country     text,
    currency    text,
    origin      char(3),
    contact_phone text,
    mobile      text,
    acct_ref    text,
    day_text    text,
    moment_text text,
    device_ip   text,
    reply_to    text,
    almost      text,
    sku         text
) WITH (autovacuum_enabled = false);
INSERT INTO sgv.orders
SELECT i,
       (ARRAY['new', 'paid', 'shipped', 'closed'])[1 + i % 4],
       CASE WHEN i % 10 = 0 THEN NULL ELSE (ARRAY['web', 'shop'])[1 + i % 2] END,
       18 + i % 60,
       0.87 + (i * 2477 % 99913) / 100.0,
       -12.5 + (i % 508) / 10.0,
       i % 101,
       42,
       date '2021-03-05' + i % 260,
       date '1950-06-15' + i * 13,
       'buyer' || i || '@example.com',
       md5(i::text)::uuid::text,
       (ARRAY['NL', 'BE', 'DE', 'FR', 'ES', 'IT', 'PT', 'AT', 'PL', 'SE', 'DK', 'IE'])[1 + i % 12],
       (ARRAY['EUR', 'USD', 'GBP', 'CHF', 'JPY', 'SEK'])[1 + i % 6],
       (ARRAY['NLD', 'BEL', 'DEU', 'FRA', 'ESP', 'ITA', 'PRT', 'AUT', 'POL', 'SWE'])[1 + i % 10],
       '+31 6 ' || lpad((i * 7919 % 100000000)::text, 8, '0'),
       '06-' || lpad((i * 7907 % 100000000)::text, 8, '0'),
       (ARRAY['NL91ABNA0417164300', 'DE89370400440532013000', 'GB29NWBK60161331926819',
              'FR1420041010050500013M02606', 'BE68539007547034'])[1 + i % 5],
       to_char(date '2024-01-01' + i, 'YYYY-MM-DD'),
       to_char(timestamp '2024-01-01' + i * interval '90 minutes', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
       '10.' || i % 256 || '.' || i / 256 || '.1',
       CASE WHEN i = 77 THEN 'not an address' ELSE 'reply' || i || '@example.org' END,
       CASE WHEN i % 10 = 0 THEN 'nobody' ELSE 'x' || i || '@example.net' END,
       'SKU-' || lpad(i::text, 5, '0')
  FROM generate_series(1, 400) AS i;
ANALYZE sgv.orders;

CREATE TEMP TABLE suggested AS SELECT dmesh.suggest_contract('sgv.orders') AS doc;
SELECT s.* FROM suggested, pg_temp.summary(doc) AS s;

-- validValues: pg_stats lists every value, the rows read hold no other
SELECT pg_temp.evidence(doc, 'status') FROM suggested;
-- numbers rounded outward to the power of ten below their range: 18..77
-- to 10..80; amounts to 0..1000; -12.4..27.5 to -20..30; 0..100 stays; a
-- constant 42 to 40..50
SELECT pg_temp.evidence(doc, 'age') FROM suggested;
SELECT pg_temp.evidence(doc, 'amount') FROM suggested;
SELECT pg_temp.evidence(doc, 'temperature') FROM suggested;
SELECT pg_temp.evidence(doc, 'constant') FROM suggested;
-- dates: to months within two years, else to years
SELECT pg_temp.evidence(doc, 'ordered_on') FROM suggested;
-- formats and patterns
SELECT pg_temp.evidence(doc, 'email') FROM suggested;
SELECT pg_temp.evidence(doc, 'country') FROM suggested;
SELECT pg_temp.evidence(doc, 'origin') FROM suggested;
-- an account number without a telling name: IBAN by its checksum
SELECT pg_temp.evidence(doc, 'acct_ref') FROM suggested;
-- national phone numbers by name (mobile); international ones by their +
SELECT pg_temp.evidence(doc, 'mobile') FROM suggested;
-- one value in 400 is not an e-mail address: a rule allowing 1 percent
SELECT pg_temp.evidence(doc, 'reply_to') FROM suggested;
-- one in ten is not: no pattern
SELECT pg_temp.evidence(doc, 'almost') FROM suggested;

-- Valid, accepted for the same source, and passing on its data.
SELECT dmesh.create_data_product('sgv', 'orders', 'sgv.orders', contract => doc::text) > 0 AS created
  FROM suggested;
SELECT count(*) AS rules, count(*) FILTER (WHERE passed) AS passed
  FROM dmesh.check_product('sgv.orders');
SELECT rule, property FROM dmesh.check_product('sgv.orders') WHERE passed IS NOT TRUE;

-- Statistics that no longer cover every value: the rows read show a value
-- pg_stats does not list, so no validValues; the bounds take in the new
-- extremes that only the rows read have.
INSERT INTO sgv.orders (order_id, status, age) VALUES (401, 'lost', 99);
SELECT pg_temp.evidence(dmesh.suggest_contract('sgv.orders'), 'status');
SELECT pg_temp.evidence(dmesh.suggest_contract('sgv.orders'), 'age');

-- Without statistics (never analyzed): validValues and patterns from the
-- rows read alone.
CREATE TABLE sgv.fresh (id integer, kind text, mail text) WITH (autovacuum_enabled = false);
INSERT INTO sgv.fresh SELECT i, (ARRAY['a', 'b', 'c'])[1 + i % 3], 'm' || i || '@example.com'
  FROM generate_series(1, 60) AS i;
SELECT s.* FROM pg_temp.summary(dmesh.suggest_contract('sgv.fresh')) AS s;
SELECT pg_temp.evidence(dmesh.suggest_contract('sgv.fresh'), 'kind');

-- A sample: 20,000 rows, 2,000 asked for: BERNOULLI (a small table) with a
-- fixed seed, the same rows each time.  The rare value (one row in 5,000)
-- and the rare extreme are not in the sample: that is what sampling misses,
-- and check_product then finds.
CREATE TABLE sgv.events (id integer, kind text NOT NULL, size integer NOT NULL)
  WITH (autovacuum_enabled = false);
INSERT INTO sgv.events
SELECT i, CASE WHEN i % 5000 = 0 THEN 'rare' ELSE (ARRAY['click', 'view', 'buy'])[1 + i % 3] END,
       CASE WHEN i = 12345 THEN 100000 ELSE i % 500 END
  FROM generate_series(1, 20000) AS i;
CREATE TEMP TABLE sampled AS SELECT dmesh.suggest_contract('sgv.events', 2000) AS doc;
SELECT e AS object_evidence
  FROM sampled, jsonb_array_elements(doc->'schema'->0->'customProperties') AS cp,
       jsonb_array_elements_text(cp->'value') AS e;
SELECT s.* FROM sampled, pg_temp.summary(doc) AS s;
-- the row count from the sample (never analyzed: the planner's size guess
-- only sets how much to sample)
SELECT jsonb_path_query(doc, '$.schema[0].quality[*].customProperties[*].value[*]') #>> '{}' AS row_count
  FROM sampled;
SELECT dmesh.suggest_contract('sgv.events', 2000) = doc AS same_sample FROM sampled;
SELECT dmesh.create_data_product('sgv', 'events', 'sgv.events', contract => doc::text) > 0 AS created
  FROM sampled;
SELECT rule, property, passed, observed FROM dmesh.check_product('sgv.events')
 WHERE passed IS NOT TRUE ORDER BY 1, 2;
-- Every row read (sample_rows above the row count) finds them.
SELECT s.property, s.options, s.rules FROM pg_temp.summary(dmesh.suggest_contract('sgv.events', 20000)) AS s;
RESET ROLE;
