-- Issue 12, C1 (last two points) and deliverable 2: the rule compilation
-- that runs as the extension owner is reached by any member of a domain
-- through create_data_product / set_contract / enforce_contract /
-- check_product, and by anyone through dmesh.compliance: a validValues
-- string is read with the source column's type input function, which runs
-- the member's domain CHECK as a superuser.
-- Fixed: compilation runs as the product owner (never a superuser) under
-- SECURITY_RESTRICTED_OPERATION; the member stays NOSUPERUSER and the
-- CHECK function never sees a superuser.
\set VERBOSITY terse
CREATE ROLE atk5_team NOLOGIN;
CREATE ROLE atk5_dev LOGIN IN ROLE atk5_team;
SELECT dmesh.create_domain('atk5', 'atk5_team') > 0 AS created;
CREATE SCHEMA atk5_src AUTHORIZATION atk5_team;
CREATE TABLE atk5_src.ran_as (who text, su boolean);
GRANT INSERT ON atk5_src.ran_as TO PUBLIC;

SET ROLE atk5_dev;
CREATE FUNCTION atk5_src.pwn(name) RETURNS bool LANGUAGE plpgsql AS $$BEGIN
  INSERT INTO atk5_src.ran_as SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user;
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE 'ALTER ROLE atk5_dev SUPERUSER';
  END IF;
  RETURN true; END$$;
CREATE DOMAIN atk5_src.cc AS name CHECK (atk5_src.pwn(VALUE));
CREATE TABLE atk5_src.customers (customer_id bigint, country atk5_src.cc);
ALTER TABLE atk5_src.customers OWNER TO atk5_team;
SELECT dmesh.create_data_product('atk5', 'atk5_customers', 'atk5_src.customers', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: atk5-customers
version: 1.0.0
status: active
schema:
  - name: customers
    properties:
      - {name: customer_id, logicalType: integer}
      - name: country
        logicalType: string
        quality:
          - {metric: invalidValues, arguments: {validValues: [FR, DE, NL]}, mustBe: 0}
$y$) > 0 AS created;
RESET ROLE;

-- Harm: the member is a superuser (t; must be f), and the CHECK ran as a
-- superuser (t; must be f).
SELECT rolsuper AS member_is_superuser FROM pg_roles WHERE rolname = 'atk5_dev';
SELECT bool_or(su) AS check_ran_as_superuser FROM atk5_src.ran_as;
ALTER ROLE atk5_dev NOSUPERUSER;
TRUNCATE atk5_src.ran_as;

-- Any role reading dmesh.compliance compiles every product's rules
-- (dmesh._rule_count): the CHECK runs as a superuser again, started by a
-- role with no rights at all.
CREATE ROLE atk5_nobody LOGIN;
SELECT dmesh.create_policy('atk5 tested', 'publish', '{"min_quality_rules": 1}', 'domain:atk5') > 0 AS created;
SET ROLE atk5_nobody;
SELECT count(*) >= 0 AS read FROM dmesh.compliance WHERE domain = 'atk5';
RESET ROLE;
SELECT bool_or(su) AS check_ran_as_superuser_via_compliance FROM atk5_src.ran_as;
SELECT rolsuper AS member_is_superuser FROM pg_roles WHERE rolname = 'atk5_dev';
ALTER ROLE atk5_dev NOSUPERUSER;
SELECT dmesh.drop_policy('atk5 tested');
