-- Health: dmesh.product_health computes, per product that is not retired,
-- the age of its newest data against the contract's freshness SLA (from
-- the SLA's element column), the latest quality check, departures from
-- the contract, reads in the last 7 days, open incidents, and one status
-- (ok, warning, failing); dmesh.metrics carries them for Prometheus.
SELECT dmesh.flush_usage() >= 0 AS flushed_earlier_counts;
CREATE ROLE hl_team NOLOGIN;
CREATE ROLE hl_reader NOLOGIN;
SELECT dmesh.create_domain('health', 'hl_team') > 0 AS created;
CREATE SCHEMA hl_src AUTHORIZATION hl_team;
SET ROLE hl_team;
CREATE TABLE hl_src.fresh (id int PRIMARY KEY, updated_at timestamptz NOT NULL);
CREATE TABLE hl_src.stale (id int PRIMARY KEY, updated_at timestamptz NOT NULL);
CREATE TABLE hl_src.odd (id int PRIMARY KEY, label text);
CREATE TABLE hl_src.plain (id int PRIMARY KEY, v int);
INSERT INTO hl_src.fresh VALUES (1, now() - interval '3 days'), (2, now() - interval '2 hours');
INSERT INTO hl_src.stale VALUES (1, now() - interval '3 days');
INSERT INTO hl_src.odd VALUES (1, 'not a time');
INSERT INTO hl_src.plain VALUES (1, 1), (2, -1);
CREATE FUNCTION pg_temp.contract(name text, props text, sla text) RETURNS text LANGUAGE sql AS $f$
  SELECT format($y$
apiVersion: v3.1.0
kind: DataContract
id: %s
version: 1.0.0
status: active
schema:
  - name: %s
    properties: %s
%s
$y$, name, name, props, sla)
$f$;
SELECT dmesh.create_data_product('health', 'fresh', 'hl_src.fresh', 'Fresh', contract => pg_temp.contract('fresh',
  '[{name: id, logicalType: integer}, {name: updated_at, logicalType: timestamp}]',
  'slaProperties: [{property: freshness, value: 1, unit: d, element: fresh.updated_at}]')) > 0 AS created;
SELECT dmesh.create_data_product('health', 'stale', 'hl_src.stale', 'Stale', contract => pg_temp.contract('stale',
  '[{name: id, logicalType: integer}, {name: updated_at, logicalType: timestamp}]',
  'slaProperties: [{property: freshness, value: 24, unit: hours, element: updated_at}]')) > 0 AS created;
SELECT dmesh.create_data_product('health', 'odd', 'hl_src.odd', 'Odd', contract => pg_temp.contract('odd',
  '[{name: id, logicalType: integer}, {name: label, logicalType: string}]',
  'slaProperties: [{property: freshness, value: 1, unit: d, element: label}]')) > 0 AS created;
SELECT dmesh.create_data_product('health', 'plain', 'hl_src.plain', 'Plain', contract => pg_temp.contract('plain',
  '[{name: id, logicalType: integer}, {name: v, logicalType: integer, logicalTypeOptions: {minimum: 0}}]', '')) > 0 AS created;
SELECT dmesh.publish_data_product('health.' || p) FROM unnest(ARRAY['fresh', 'stale', 'odd']) p;
SELECT dmesh.grant_access('health.fresh', 'hl_reader') > 0 AS granted;
RESET ROLE;

SELECT product, lifecycle, freshness_sla, fresh, data_age < interval '3 hours' AS recent,
       quality_score, contract_findings, reads_7d, open_incidents, status
  FROM dmesh.product_health WHERE domain = 'health' ORDER BY product;

-- A failed error rule makes the product fail; reads count.
SET ROLE hl_team;
SELECT count(*) FROM dmesh.check_product('health.plain');
RESET ROLE;
SET ROLE hl_reader;
SELECT count(*) FROM dmesh_health.fresh_v1;
RESET ROLE;
SELECT dmesh.flush_usage() > 0 AS flushed;
-- A draft whose source left its contract.
SET ROLE hl_team;
ALTER TABLE hl_src.plain DROP COLUMN v;
RESET ROLE;
-- An open incident makes the product fail until it is resolved.
INSERT INTO dmesh.incident (product_id, kind, detail)
SELECT product_id, 'freshness', '{"age": "2 days"}' FROM dmesh.data_product WHERE name = 'fresh';
SELECT product, quality_score, failed_error_rules, contract_findings, reads_7d, open_incidents, status
  FROM dmesh.product_health WHERE domain = 'health' ORDER BY product;
UPDATE dmesh.incident SET resolved_at = now() WHERE resolved_at IS NULL;
SELECT product, open_incidents, status FROM dmesh.product_health WHERE product = 'fresh';
-- One open incident per product and kind.
INSERT INTO dmesh.incident (product_id, kind) SELECT product_id, 'quality' FROM dmesh.data_product WHERE name = 'fresh';
\set VERBOSITY terse
INSERT INTO dmesh.incident (product_id, kind) SELECT product_id, 'quality' FROM dmesh.data_product WHERE name = 'fresh';
\set VERBOSITY default
DELETE FROM dmesh.incident;

-- The metrics.
SELECT metric, labels->>'product' AS product, value
  FROM dmesh.metrics
 WHERE labels->>'domain' = 'health'
   AND metric IN ('dmesh_fresh', 'dmesh_health_status', 'dmesh_contract_findings', 'dmesh_reads_7d')
 ORDER BY 2, 1;
SELECT count(*) FROM dmesh.metrics
 WHERE labels->>'domain' = 'health' AND metric = 'dmesh_data_age_seconds' AND value > 0;
-- Written by dmesh only.
SET ROLE hl_team;
INSERT INTO dmesh.incident (product_id, kind) VALUES (1, 'quality');
SELECT count(*) >= 0 AS readable FROM dmesh.incident;
RESET ROLE;
