-- Issue 12, C1(a) and C1 item 1 (deliverable 1): mallory (a login role with
-- CREATE on a schema of her own and nothing else) attaches
-- dmesh._contract_row to her own table, naming another team's product.
-- The rules are compiled against her columns as the extension owner; the
-- validValues strings are read with her column type's input function,
-- which runs her domain's CHECK, which runs her plpgsql function as a
-- superuser: she makes herself superuser.
-- Fixed: the trigger refuses to run on a table that is not the product's
-- source (an error, before any rule is compiled), and mallory stays
-- NOSUPERUSER.
\set VERBOSITY terse
CREATE ROLE atk1_team NOLOGIN;
CREATE ROLE atk1_mallory LOGIN NOINHERIT;
SELECT dmesh.create_domain('atk1', 'atk1_team') > 0 AS created;
CREATE SCHEMA atk1_src AUTHORIZATION atk1_team;
CREATE SCHEMA atk1_mallory AUTHORIZATION atk1_mallory;
SET ROLE atk1_team;
CREATE TABLE atk1_src.customers (customer_id bigint, email text, phone text, country text,
                                 card text, credit_limit numeric(10,2), signup date);
SELECT dmesh.create_data_product('atk1', 'atk1_customers', 'atk1_src.customers', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: atk1-customers
version: 1.0.0
status: active
schema:
  - name: customers
    properties:
      - {name: customer_id, logicalType: integer, required: true, unique: true}
      - {name: email, logicalType: string, classification: pii}
      - {name: phone, logicalType: string}
      - name: country
        logicalType: string
        quality:
          - {metric: invalidValues, arguments: {validValues: [FR, DE, NL, ES, IT]}, mustBe: 0}
      - {name: card, logicalType: string, classification: restricted}
      - {name: credit_limit, logicalType: number}
      - {name: signup, logicalType: date}
$y$) AS pid \gset
SELECT count(*) > 0 AS enforced FROM dmesh.enforce_contract('atk1.atk1_customers', 'reject');
RESET ROLE;

-- The attack, as mallory.
SET ROLE atk1_mallory;
CREATE FUNCTION atk1_mallory.pwn(name) RETURNS bool LANGUAGE plpgsql AS $$BEGIN
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE 'ALTER ROLE atk1_mallory SUPERUSER';
  END IF;
  RETURN true; END$$;
CREATE DOMAIN atk1_mallory.cc AS name CHECK (atk1_mallory.pwn(VALUE));
CREATE TABLE atk1_mallory.t (customer_id bigint, email text, phone text, country atk1_mallory.cc,
                             card text, credit_limit numeric(10,2), signup date);
CREATE TRIGGER x BEFORE INSERT ON atk1_mallory.t FOR EACH ROW
  EXECUTE FUNCTION dmesh._contract_row(:'pid', 'reject');
INSERT INTO atk1_mallory.t VALUES (100001, 'a@b.c', null, 'NL', null, null, null);
RESET ROLE;

-- Harm: mallory is a superuser (t on the vulnerable build; must be f).
SELECT rolsuper AS mallory_is_superuser FROM pg_roles WHERE rolname = 'atk1_mallory';
-- The trigger ran its rules on her table (1 row kept; must be 0: the
-- trigger must refuse to run there).
SELECT count(*) AS rows_through_foreign_trigger FROM atk1_mallory.t;

-- Same with the statement trigger: it must refuse a table that is not the
-- source too.
SET ROLE atk1_mallory;
CREATE TABLE atk1_mallory.t2 (customer_id bigint);
CREATE TRIGGER y AFTER INSERT ON atk1_mallory.t2 FOR EACH STATEMENT
  EXECUTE FUNCTION dmesh._contract_statement(:'pid', 'warn');
INSERT INTO atk1_mallory.t2 VALUES (1);
SELECT count(*) AS rows_through_foreign_stmt_trigger FROM atk1_mallory.t2;
RESET ROLE;

-- Named as dmesh names it, on her table: refused as well (the table is
-- not the product's source), before any rule is compiled.
SET ROLE atk1_mallory;
SELECT format('CREATE TRIGGER %I BEFORE INSERT ON atk1_mallory.t FOR EACH ROW EXECUTE FUNCTION dmesh._contract_row(%L, %L)',
              'zz_dmesh_contract_' || :'pid', :'pid', 'reject') AS ddl \gset
:ddl;
DROP TRIGGER x ON atk1_mallory.t;
INSERT INTO atk1_mallory.t VALUES (100002, 'a@b.c', null, 'NL', null, null, null);
RESET ROLE;
SELECT rolsuper AS mallory_is_superuser FROM pg_roles WHERE rolname = 'atk1_mallory';
SELECT count(*) AS rows_through_named_trigger FROM atk1_mallory.t;

-- The name must carry the id exactly as dmesh writes it: with a leading
-- zero or a sign, in name and argument alike, it is not dmesh's trigger.
SET ROLE atk1_mallory;
CREATE TABLE atk1_mallory.t3 (customer_id bigint);
SELECT format('CREATE TRIGGER %I BEFORE INSERT ON atk1_mallory.t3 FOR EACH ROW EXECUTE FUNCTION dmesh._contract_row(%L, %L)',
              'zz_dmesh_contract_0' || :'pid', '0' || :'pid', 'reject') AS ddl \gset
:ddl;
DO $$BEGIN
  INSERT INTO atk1_mallory.t3 VALUES (1);
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE '% %', SQLSTATE, regexp_replace(SQLERRM, 'contract_0[0-9]+', 'contract_0<id>');
END$$;
RESET ROLE;

-- Undo, so that later tests run with mallory as she was.
ALTER ROLE atk1_mallory NOSUPERUSER;
