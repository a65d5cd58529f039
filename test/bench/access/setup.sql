-- The governed product of the access bench, made as the superuser:
-- bench_src.accounts (1,000,000 rows, owned by bench_team; every even id,
-- exactly half of the rows, in region 'north'), published as
-- dmesh_bench.accounts_v1 with email hashed (pii) and iban partially masked
-- (restricted), and an agreement giving bench_consumer the 'north' rows;
-- bench_auditor's agreement gives the same rows with both columns in clear
-- (to tell the cost of the row filter from that of the masks).
-- The roles log in with the password of the cluster's superuser (psql
-- variable pw), so pgbench and psql can connect as them over TCP.
\set ON_ERROR_STOP on
CREATE EXTENSION dmesh;
CREATE EXTENSION pg_prewarm;
CREATE ROLE bench_team LOGIN;
CREATE ROLE bench_consumer LOGIN;
CREATE ROLE bench_auditor LOGIN;
SET client_min_messages = warning;
ALTER ROLE bench_team PASSWORD :'pw';
ALTER ROLE bench_consumer PASSWORD :'pw';
ALTER ROLE bench_auditor PASSWORD :'pw';
RESET client_min_messages;
SELECT dmesh.create_domain('bench', 'bench_team');

CREATE SCHEMA bench_src AUTHORIZATION bench_team;
-- The consumer may look into the schema: a denied read of the table is then
-- refused by the table's own privileges, not by the schema's.
GRANT USAGE ON SCHEMA bench_src TO bench_consumer;
CREATE TABLE bench_src.accounts (
    id      int PRIMARY KEY,
    region  text NOT NULL,
    iban    text NOT NULL,
    email   text NOT NULL,
    balance numeric(12,2) NOT NULL
);
INSERT INTO bench_src.accounts
SELECT g,
       CASE WHEN g % 2 = 0 THEN 'north' WHEN g % 4 = 1 THEN 'south' ELSE 'east' END,
       'DE' || lpad((g::bigint * 7919 % 100)::text, 2, '0') || lpad((g::bigint * 104729 % 1000000000000000000)::text, 18, '0'),
       'customer.' || g || '@mail' || (g % 97) || '.example.org',
       ((g::bigint * 7907) % 100000000) / 100.0
FROM generate_series(1, 1000000) g;
ALTER TABLE bench_src.accounts OWNER TO bench_team;

SELECT dmesh.create_data_product('bench', 'accounts', 'bench_src.accounts', 'Accounts', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: bench-accounts
version: 1.0.0
status: active
schema:
  - name: accounts
    properties:
      - {name: id, logicalType: integer}
      - {name: region, logicalType: string}
      - {name: iban, logicalType: string, classification: restricted}
      - {name: email, logicalType: string, classification: pii}
      - {name: balance, logicalType: number}
$y$);
SELECT dmesh.create_policy('bench pii', 'masking', '{"classification": "pii", "mask": "hash"}');
SELECT dmesh.create_policy('bench restricted', 'masking', '{"classification": "restricted", "mask": "partial", "keep": 4}');
SELECT dmesh.publish_data_product('bench.accounts');
SELECT dmesh.grant_access('bench.accounts', 'bench_consumer', row_filter => $$region = 'north'$$);
-- For comparison only: the same rows, both masked columns in clear.
SELECT dmesh.grant_access('bench.accounts', 'bench_auditor', row_filter => $$region = 'north'$$,
                          unmask => ARRAY['iban', 'email']);

VACUUM (FREEZE, ANALYZE) bench_src.accounts;
CHECKPOINT;
SELECT pg_prewarm('bench_src.accounts'), pg_prewarm('bench_src.accounts_pkey');
