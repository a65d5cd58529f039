-- The contract assistant, personal data: classification pii for columns
-- whose names or values look like personal data (e-mail, phone, names,
-- addresses, birth dates, IP addresses), restricted for national
-- identifiers, IBANs and card numbers; none for ordinary columns (ids,
-- amounts, status, country codes, product names, times of writing), even
-- when their names contain a personal word.  No value of a classified
-- column is quoted in the evidence, and none becomes a validValues list.
CREATE ROLE sgp_team NOLOGIN;
SELECT dmesh.create_domain('sgp', 'sgp_team') > 0 AS created;
CREATE SCHEMA sgp AUTHORIZATION sgp_team;
SET ROLE sgp_team;

CREATE FUNCTION pg_temp.classes(doc jsonb)
RETURNS TABLE (property text, classification text)
LANGUAGE sql AS $$
  SELECT p->>'name', coalesce(p->>'classification', '-')
    FROM jsonb_array_elements(doc->'schema'->0->'properties') WITH ORDINALITY AS e(p, n)
   ORDER BY n
$$;
CREATE FUNCTION pg_temp.evidence(doc jsonb, property text)
RETURNS SETOF text
LANGUAGE sql AS $$
  SELECT jsonb_array_elements_text(cp->'value')
    FROM jsonb_array_elements(doc->'schema'->0->'properties') AS p,
         jsonb_array_elements(p->'customProperties') AS cp
   WHERE p->>'name' = property AND cp->>'property' = 'dmesh.evidence'
$$;

CREATE TABLE sgp.customers (
    -- personal, by name
    id              integer PRIMARY KEY,
    name            text,
    email           text,
    first_name      text,
    "lastName"      text,
    full_name       text,
    phone_number    text,
    street_address  text,
    zip_code        text,
    date_of_birth   date,
    ip_address      inet,
    username        text,
    ssn             text,
    national_id     text,
    passport_no     text,
    iban            text,
    -- personal, by value
    contact         text,
    device          text,
    tax_ref         text,
    -- ordinary
    customer_id     bigint,
    amount          numeric(10,2),
    status          text,
    country         text,
    country_code    text,
    currency        text,
    product_name    text,
    company_name    text,
    created_at      timestamptz,
    updated_at      timestamptz,
    order_date      date,
    quantity        integer,
    sku             text,
    description     text,
    email_count     integer,
    email_verified  boolean,
    email_status    text,
    mac_address     text,
    server_address  text,
    version         text,
    file_name       text
) WITH (autovacuum_enabled = false);
INSERT INTO sgp.customers
SELECT i, 'Person ' || i % 40, 'p' || i || '@example.com',
       (ARRAY['Ann', 'Bob', 'Cid', 'Dee', 'Eve'])[1 + i % 5], 'Smith' || i % 30, 'Ann Smith' || i % 30,
       '+44 20 ' || lpad((i * 7919 % 10000000)::text, 8, '0'), i || ' High Street', lpad((i % 9999)::text, 4, '0') || ' AB',
       date '1961-04-03' + i * 17, ('192.168.' || i % 200 || '.' || i % 250)::inet, 'user' || i,
       lpad((i % 899 + 100)::text, 3, '0') || '-' || lpad((i % 99 + 1)::text, 2, '0') || '-' || lpad(i::text, 4, '0'),
       'NID' || i, 'P' || lpad(i::text, 8, '0'),
       (ARRAY['NL91ABNA0417164300', 'DE89370400440532013000', 'BE68539007547034'])[1 + i % 3],
       'c' || i || '@mail.example.org', '172.16.' || i % 200 || '.' || i % 250,
       lpad((i % 899 + 100)::text, 3, '0') || '-' || lpad((i % 99 + 1)::text, 2, '0') || '-' || lpad((i + 1000)::text, 4, '0'),
       1000 + i % 70, (i % 500) * 1.5, (ARRAY['new', 'paid', 'shipped'])[1 + i % 3],
       (ARRAY['NL', 'BE', 'DE', 'FR'])[1 + i % 4], (ARRAY['NL', 'BE', 'DE', 'FR'])[1 + i % 4],
       (ARRAY['EUR', 'USD'])[1 + i % 2], 'Widget ' || i % 25, 'Acme ' || i % 10,
       timestamptz '2024-01-01 00:00+00' + i * interval '1 hour',
       timestamptz '2024-01-02 00:00+00' + i * interval '1 hour',
       date '2024-01-01' + i % 100, 1 + i % 9, 'SKU-' || i, 'A fine widget, number ' || i,
       i % 4, i % 2 = 0, (ARRAY['sent', 'bounced'])[1 + i % 2],
       '00:1B:44:11:3A:' || lpad(to_hex(i % 256), 2, '0'), 'db' || i % 3 || '.example.org',
       '10.2.' || i % 10 || '.1', 'report_' || i || '.pdf'
  FROM generate_series(1, 300) AS i;
ANALYZE sgp.customers;

CREATE TEMP TABLE suggested AS SELECT dmesh.suggest_contract('sgp.customers') AS doc;
SELECT c.* FROM suggested, pg_temp.classes(doc) AS c;

-- Ordinary columns: none classified.
SELECT count(*) AS false_pii
  FROM suggested, jsonb_array_elements(doc->'schema'->0->'properties') AS p
 WHERE p->>'name' IN ('customer_id', 'amount', 'status', 'country', 'country_code', 'currency',
                      'product_name', 'company_name', 'created_at', 'updated_at', 'order_date',
                      'quantity', 'sku', 'description', 'email_count', 'email_verified',
                      'email_status', 'mac_address', 'server_address', 'version', 'file_name')
   AND p ? 'classification';

-- Why: the name, or the values.
SELECT pg_temp.evidence(doc, 'lastName') FROM suggested;
SELECT pg_temp.evidence(doc, 'contact') FROM suggested;
SELECT pg_temp.evidence(doc, 'tax_ref') FROM suggested;
-- "name" in a table of customers is a person's name; in a table of products it is not.
CREATE TABLE sgp.products (id integer, name text) WITH (autovacuum_enabled = false);
INSERT INTO sgp.products SELECT i, 'Widget ' || i FROM generate_series(1, 10) AS i;
SELECT c.* FROM pg_temp.classes(dmesh.suggest_contract('sgp.products')) AS c;

-- The values of classified columns are not quoted: the birth dates' range
-- is given rounded (to years), never its extremes; first names (5
-- distinct) get no validValues list; ordinary status gets one.
SELECT pg_temp.evidence(doc, 'date_of_birth') FROM suggested;
SELECT count(*) AS extremes_quoted
  FROM suggested, jsonb_array_elements(doc->'schema'->0->'properties') AS p,
       jsonb_array_elements(p->'customProperties') AS cp, jsonb_array_elements_text(cp->'value') AS e
 WHERE p ? 'classification'
   AND (e LIKE '%1961-04-20%' OR e LIKE '%Ann%' OR e LIKE '%@example.com%' OR e LIKE '%High Street%');
SELECT p->>'name' AS property, p ? 'quality' AS has_rules
  FROM suggested, jsonb_array_elements(doc->'schema'->0->'properties') AS p
 WHERE p->>'name' IN ('first_name', 'status');

-- Accepted, and passing on the data: the classified columns are masked for
-- consumers as dmesh's masking does by classification.
SELECT dmesh.create_data_product('sgp', 'customers', 'sgp.customers', contract => doc::text) > 0 AS created
  FROM suggested;
SELECT count(*) AS rules, count(*) FILTER (WHERE passed) AS passed
  FROM dmesh.check_product('sgp.customers');
RESET ROLE;
