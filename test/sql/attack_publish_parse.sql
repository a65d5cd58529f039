-- NEW (found while testing issue 12; deliverable 2): the published view of
-- a query-sourced product is created (publish_data_product, and every
-- rewrite: grant_access, revoke_access, policies) as the extension owner,
-- a superuser; creating a view parse-analyzes the product's source query,
-- which reads literals with their type's input function.  A domain member
-- puts a literal of an array of her own domain into the source query: its
-- CHECK (her plpgsql function) runs as a superuser at publication.  (The
-- source query is checked as the owner at create_data_product: there the
-- CHECK runs without privileges.)
-- Fixed: the CHECK never runs as a superuser (ran_as_superuser f; the
-- member stays NOSUPERUSER).
\set VERBOSITY terse
CREATE ROLE atk13_team NOLOGIN;
CREATE ROLE atk13_dev LOGIN IN ROLE atk13_team;
SELECT dmesh.create_domain('atk13', 'atk13_team') > 0 AS created;
CREATE SCHEMA atk13_src AUTHORIZATION atk13_team;
CREATE TABLE atk13_src.ran (stage text, su boolean);
GRANT INSERT ON atk13_src.ran TO PUBLIC;
SET ROLE atk13_dev;
CREATE FUNCTION atk13_src.pwn(text) RETURNS bool LANGUAGE plpgsql AS $$BEGIN
  INSERT INTO atk13_src.ran SELECT current_setting('application_name'), rolsuper
    FROM pg_roles WHERE rolname = current_user;
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE 'ALTER ROLE atk13_dev SUPERUSER';
  END IF;
  RETURN true; END$$;
CREATE DOMAIN atk13_src.d AS text CHECK (atk13_src.pwn(VALUE));
SET application_name = 'create';
SELECT dmesh.create_data_product('atk13', 'atk13_p',
       $$SELECT 1 AS a, '{x}'::atk13_src.d[] IS NOT NULL AS b$$) > 0 AS created;
SET application_name = 'publish';
SELECT dmesh.publish_data_product('atk13.atk13_p');
RESET application_name;
RESET ROLE;
-- Harm: at publication the CHECK ran as a superuser, and the member is one
-- now (t, t; must be f, f).
SELECT stage, bool_or(su) AS ran_as_superuser FROM atk13_src.ran GROUP BY stage ORDER BY stage;
SELECT rolsuper AS member_is_superuser FROM pg_roles WHERE rolname = 'atk13_dev';
ALTER ROLE atk13_dev NOSUPERUSER;
