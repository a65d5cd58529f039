-- Issue 12, H1: forged quarantine rows.  mallory attaches dmesh's row and
-- statement triggers (quarantine mode) to her own table, naming another
-- team's product: her rows land in dmesh.quarantine attributed to the
-- team's source table, her counts in dmesh.rule_violation, and the
-- owner's release_quarantine writes her row into the real source.  (Her
-- column is an enum of hers with a cast to json, so that the row breaks
-- the rule on her table but reads as valid once released.)
-- Fixed: the triggers refuse her table; no quarantined row, no violation
-- count, nothing released; the owner's source keeps only its own rows.
\set VERBOSITY terse
CREATE ROLE atk4_team NOLOGIN;
CREATE ROLE atk4_mallory LOGIN NOINHERIT;
SELECT dmesh.create_domain('atk4', 'atk4_team') > 0 AS created;
CREATE SCHEMA atk4_src AUTHORIZATION atk4_team;
CREATE SCHEMA atk4_mallory AUTHORIZATION atk4_mallory;
SET ROLE atk4_team;
CREATE TABLE atk4_src.customers (customer_id bigint, email text, country text);
INSERT INTO atk4_src.customers VALUES (1, 'ann@corp.example', 'NL');
SELECT dmesh.create_data_product('atk4', 'atk4_customers', 'atk4_src.customers', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: atk4-customers
version: 1.0.0
status: active
schema:
  - name: customers
    properties:
      - {name: customer_id, logicalType: integer, required: true}
      - {name: email, logicalType: string, classification: pii}
      - name: country
        logicalType: string
        quality:
          - {metric: invalidValues, arguments: {validValues: [FR, DE, NL]}, mustBe: 0}
$y$) AS pid \gset
SELECT count(*) > 0 AS enforced FROM dmesh.enforce_contract('atk4.atk4_customers', 'quarantine');
RESET ROLE;

SET ROLE atk4_mallory;
CREATE TYPE atk4_mallory.c AS ENUM ('FR', 'DE', 'NL', 'xNL');
CREATE FUNCTION atk4_mallory.c_json(atk4_mallory.c) RETURNS json LANGUAGE sql
  AS $$ SELECT pg_catalog.to_json(pg_catalog.ltrim($1::text, 'x')) $$;
CREATE CAST (atk4_mallory.c AS json) WITH FUNCTION atk4_mallory.c_json(atk4_mallory.c);
CREATE TABLE atk4_mallory.t (customer_id bigint, email text, country atk4_mallory.c);
CREATE TRIGGER x BEFORE INSERT ON atk4_mallory.t FOR EACH ROW
  EXECUTE FUNCTION dmesh._contract_row(:'pid', 'quarantine');
CREATE TRIGGER y AFTER INSERT ON atk4_mallory.t FOR EACH STATEMENT
  EXECUTE FUNCTION dmesh._contract_statement(:'pid', 'quarantine');
INSERT INTO atk4_mallory.t SELECT 900 + i, 'mallory@evil.example', 'xNL' FROM generate_series(1, 5) i;
RESET ROLE;

-- Harm 1: forged rows in the team's quarantine, attributed to its source
-- (5 rows on the vulnerable build; must be 0).
SELECT relation, written_by, count(*) AS forged_rows
  FROM dmesh.quarantine WHERE domain = 'atk4' AND row_data->>'email' = 'mallory@evil.example'
 GROUP BY 1, 2;
-- Harm 2: forged violation counts (5; must be no row).
SELECT rule, property, mode, violations FROM dmesh.rule_violation
 WHERE product_id = :pid;

-- Harm 3: the owner releases its quarantine; mallory's rows are written to
-- the real source (5; must be 0).
SET ROLE atk4_team;
SELECT dmesh.release_quarantine('atk4.atk4_customers') AS released;
RESET ROLE;
SELECT count(*) AS mallory_rows_in_source FROM atk4_src.customers
 WHERE email = 'mallory@evil.example';
