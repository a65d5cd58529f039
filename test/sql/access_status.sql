-- What a role may read of a product, and how to ask for the rest:
-- dmesh.access_status(product) answers for the calling role, one row per
-- published relation (a product with several objects has several), with
-- its access, its own row filter and masked columns there, its expiry and
-- the next step; the marketplace's access column gives the same word.
-- Each answer is checked against what the published views really do for
-- that role.  No column of the marketplace is wider than a line.
CREATE ROLE acst_domain NOLOGIN;        -- owns the domain
CREATE ROLE acst_team NOLOGIN;          -- owns the product
CREATE ROLE acst_manager NOLOGIN IN ROLE acst_domain;
CREATE ROLE acst_nobody NOLOGIN;        -- no agreement, no request
CREATE ROLE acst_curious NOLOGIN;       -- runs the statement it is given
CREATE ROLE acst_asker NOLOGIN;         -- a pending request
CREATE ROLE acst_reader NOLOGIN;        -- an agreement: a row filter, a mask
CREATE ROLE acst_member NOLOGIN IN ROLE acst_reader;
CREATE ROLE acst_lapsed NOLOGIN;        -- agreement expired, then a request denied
CREATE ROLE acst_refused NOLOGIN;       -- request denied, then an agreement that expired
SELECT dmesh.create_domain('acst', 'acst_domain') > 0 AS created;
CREATE SCHEMA acst_src AUTHORIZATION acst_team;
SET ROLE acst_team;
CREATE TABLE acst_src.orders (id int PRIMARY KEY, region text, amount numeric, email text);
CREATE TABLE acst_src.lines (order_id int, sku text);
INSERT INTO acst_src.orders VALUES (1, 'EU', 10, 'ann@example.org'), (2, 'US', 20, 'bo@example.org'),
                                   (3, 'EU', 30, 'cy@example.org');
INSERT INTO acst_src.lines VALUES (1, 'A'), (2, 'B'), (3, 'C');
RESET ROLE;
-- Two objects, so two relations; the product's owner is not the domain's.
SELECT dmesh.create_data_product('acst', 'sales', owner => 'acst_team', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: acst-sales
version: 1.0.0
status: active
schema:
  - name: orders
    physicalName: acst_src.orders
    properties:
      - {name: id, logicalType: integer, required: true}
      - {name: region, logicalType: string}
      - {name: amount, logicalType: number, classification: acst_money}
      - {name: email, logicalType: string, classification: acst_contact}
  - name: lines
    physicalName: acst_src.lines
    properties:
      - {name: order_id, logicalType: integer}
      - {name: sku, logicalType: string}
$y$) > 0 AS created;
SET ROLE acst_team;
SELECT dmesh.create_policy('acst contact', 'masking', '{"classification": "acst_contact", "mask": "redact"}',
                           'product:acst.sales') > 0 AS created;
SELECT dmesh.create_policy('acst money', 'masking', '{"classification": "acst_money", "mask": "null"}',
                           'product:acst.sales') > 0 AS created;
SELECT dmesh.publish_data_product('acst.sales');
-- The reader's rows are those of the EU; it sees amounts in clear, e-mails masked.
SELECT dmesh.grant_access('acst.sales', 'acst_reader', row_filter => $$region = 'EU'$$,
                          purpose => 'EU revenue', expires_at => '2999-01-01 00:00:00+00',
                          unmask => ARRAY['amount']) > 0 AS granted;
RESET ROLE;
SET ROLE acst_asker;
SELECT dmesh.request_access('acst.sales', 'monthly report') AS asker_request \gset
RESET ROLE;
-- Refused first, then granted briefly; granted briefly, then refused.
SET ROLE acst_refused;
SELECT dmesh.request_access('acst.sales', 'marketing') AS refused_request \gset
RESET ROLE;
SET ROLE acst_team;
SELECT dmesh.deny_access(:refused_request, 'not for marketing');
SELECT dmesh.grant_access('acst.sales', 'acst_refused',
                          expires_at => clock_timestamp() + interval '300 milliseconds') > 0 AS granted;
SELECT dmesh.grant_access('acst.sales', 'acst_lapsed',
                          expires_at => clock_timestamp() + interval '300 milliseconds') > 0 AS granted;
RESET ROLE;
SELECT pg_sleep(0.4);
SET ROLE acst_lapsed;
SELECT dmesh.request_access('acst.sales', 'again') AS lapsed_request \gset
RESET ROLE;
SET ROLE acst_manager;
SELECT dmesh.deny_access(:lapsed_request, 'the project has ended');
RESET ROLE;

-- A query's answer as another role.
CREATE FUNCTION pg_temp.as_role(r text, q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    result text;
BEGIN
    EXECUTE format('SET ROLE %I', r);
    EXECUTE q INTO result;
    RESET ROLE;
    RETURN result;
END
$$;

-- What each role is told, beside the marketplace's word for it.  Request
-- numbers vary from run to run: shown as N, checked apart.
CREATE TEMP VIEW acst_status AS
SELECT s.relation, s.object, s.major, s.access, m.access AS marketplace, s.row_filter, s.masked,
       s.expires_at, regexp_replace(s.next_step, 'request [0-9]+', 'request N') AS next_step
  FROM dmesh.access_status('acst.sales') s
  LEFT JOIN dmesh.marketplace m ON m.relation = s.relation
 ORDER BY s.object;
GRANT SELECT ON acst_status TO PUBLIC;

-- A consumer with no agreement: nothing to read, and the statement that asks.
SET ROLE acst_nobody;
SELECT * FROM acst_status;
SELECT count(*) FROM dmesh_acst.sales_orders_v1;
RESET ROLE;
-- The statement runs as given.
SET ROLE acst_curious;
SELECT DISTINCT next_step FROM dmesh.access_status('acst.sales') \gset
:next_step > 0 AS requested;
SELECT DISTINCT access FROM dmesh.access_status('acst.sales');
RESET ROLE;

-- A pending request: what it waits for, and whom.
SET ROLE acst_asker;
SELECT * FROM acst_status;
SELECT DISTINCT next_step = format('request %s waits for approval by role "acst_team" or role "acst_domain"',
                                   :asker_request) AS names_the_request
  FROM dmesh.access_status('acst.sales');
SELECT count(*) FROM dmesh_acst.sales_lines_v1;
RESET ROLE;

-- Granted: its filter where it applies (the lines publish no region), its
-- masks per relation, its expiry; and so the views show it.
SET ROLE acst_reader;
SELECT * FROM acst_status;
SELECT * FROM dmesh_acst.sales_orders_v1 ORDER BY id;
SELECT count(*) AS lines FROM dmesh_acst.sales_lines_v1;
RESET ROLE;
-- A member of the reader's role reads through its agreement, and is told so.
SET ROLE acst_member;
SELECT object, access, row_filter, masked FROM dmesh.access_status('acst.sales') ORDER BY object;
SELECT count(*) FROM dmesh_acst.sales_orders_v1;
RESET ROLE;

-- Expired, then denied: the denial is what counts, with its reason.
SET ROLE acst_lapsed;
SELECT * FROM acst_status;
SELECT DISTINCT next_step LIKE format('request %s was denied %%', :lapsed_request) AS names_the_request
  FROM dmesh.access_status('acst.sales');
\set VERBOSITY terse
SELECT count(*) FROM dmesh_acst.sales_orders_v1;
\set VERBOSITY default
RESET ROLE;
-- Denied, then an agreement that expired: the expiry is what counts.
SET ROLE acst_refused;
SELECT object, access, marketplace, expires_at < now() AS past, next_step FROM acst_status;
RESET ROLE;

-- A manager of the domain sees every row in clear, once it holds SELECT:
-- it is told how to give it to itself, and then reads.
SET ROLE acst_manager;
SELECT * FROM acst_status;
SELECT count(*) FROM dmesh_acst.sales_orders_v1;
SELECT DISTINCT next_step FROM dmesh.access_status('acst.sales') \gset
:next_step > 0 AS granted;
SELECT * FROM acst_status;
SELECT * FROM dmesh_acst.sales_orders_v1 ORDER BY id;
RESET ROLE;
-- The product's owner owns the views: nothing to do.
SET ROLE acst_team;
SELECT object, access, marketplace, row_filter, masked, next_step FROM acst_status;
RESET ROLE;
-- Superusers have the privileges of every role: the owner's.
SELECT DISTINCT access FROM dmesh.access_status('acst.sales');

-- Nobody learns another role's agreement: the reader's filter is shown to
-- the reader and its members only.
SELECT r AS role,
       pg_temp.as_role(r, $$SELECT string_agg(DISTINCT coalesce(row_filter, '-'), ', ')
                             FROM dmesh.access_status('acst.sales')$$) AS filters_seen
  FROM unnest(ARRAY['acst_nobody', 'acst_asker', 'acst_lapsed', 'acst_refused', 'acst_manager',
                    'acst_reader', 'acst_member']) AS r;

-- A draft publishes nothing: one row, without a relation.  Its owner is
-- told to publish it; a consumer may ask already.
SELECT dmesh.create_data_product('acst', 'plan', 'acst_src.lines', owner => 'acst_team') > 0 AS created;
SET ROLE acst_team;
SELECT dmesh.grant_access('acst.plan', 'acst_reader') > 0 AS granted;
SELECT relation, object, major, access, masked, next_step FROM dmesh.access_status('acst.plan');
RESET ROLE;
SET ROLE acst_nobody;
SELECT relation, access, next_step FROM dmesh.access_status('acst.plan');
RESET ROLE;
SET ROLE acst_reader;
SELECT relation, access, next_step FROM dmesh.access_status('acst.plan');
RESET ROLE;
-- A retired product: nothing to ask for.
SET ROLE acst_team;
SELECT dmesh.publish_data_product('acst.plan');
SELECT dmesh.retire_data_product('acst.plan');
RESET ROLE;
SET ROLE acst_nobody;
SELECT relation, access, next_step FROM dmesh.access_status('acst.plan');
-- Unknown products are refused as everywhere in dmesh; NULL is nothing.
SELECT * FROM dmesh.access_status('acst.sale');
SELECT * FROM dmesh.access_status('acst.nothing_like_it');
SELECT count(*) FROM dmesh.access_status(NULL);
RESET ROLE;

-- The marketplace: its access column for each role, and no column wider
-- than a line (no contract document, no list of columns; both are one
-- join away, as its comment says).
SELECT r AS role,
       pg_temp.as_role(r, $$SELECT string_agg(DISTINCT access, ', ') FROM dmesh.marketplace
                             WHERE domain = 'acst'$$) AS access
  FROM unnest(ARRAY['acst_nobody', 'acst_asker', 'acst_reader', 'acst_member', 'acst_lapsed',
                    'acst_refused', 'acst_manager', 'acst_team']) AS r;
SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute
 WHERE attrelid = 'dmesh.marketplace'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum;
SELECT key, max(length(value)) AS widest FROM dmesh.marketplace m, jsonb_each_text(to_jsonb(m))
 WHERE m.domain = 'acst' GROUP BY key HAVING max(length(value)) > 60;
SELECT m.object, k.document->>'id' AS contract, k.version
  FROM dmesh.marketplace m
  JOIN dmesh.contract k ON k.product_id = m.product_id AND k.version = m.version
 WHERE m.domain = 'acst' ORDER BY 1;
SELECT obj_description('dmesh.marketplace'::regclass, 'pg_class')
       LIKE '%JOIN dmesh.contract k ON k.product_id = m.product_id AND k.version = m.version%' AS documented;
