-- NEW (found while testing issue 12; same family as C1(a) and C2): a row
-- filter is parse-analyzed as the extension owner (a superuser) when it is
-- requested (request_access, open to every role), granted or approved,
-- and again whenever the published view is rewritten.  Parse analysis
-- reads literals with their type's input function: a literal of an array
-- of mallory's domain runs the domain's CHECK, i.e. her plpgsql function,
-- as a superuser.  No grant, no agreement needed: one request_access call
-- makes her superuser.
-- Fixed: filters are analyzed as the requester (or the product owner)
-- under SECURITY_RESTRICTED_OPERATION, or such types are refused; mallory
-- stays NOSUPERUSER.
\set VERBOSITY terse
CREATE ROLE atk12_team NOLOGIN;
CREATE ROLE atk12_mallory LOGIN NOINHERIT;
SELECT dmesh.create_domain('atk12', 'atk12_team') > 0 AS created;
CREATE SCHEMA atk12_src AUTHORIZATION atk12_team;
CREATE SCHEMA atk12_mallory AUTHORIZATION atk12_mallory;
SET ROLE atk12_team;
CREATE TABLE atk12_src.orders (id int, country text);
SELECT dmesh.create_data_product('atk12', 'atk12_orders', 'atk12_src.orders') > 0 AS created;
SELECT dmesh.publish_data_product('atk12.atk12_orders');
RESET ROLE;

SET ROLE atk12_mallory;
CREATE FUNCTION atk12_mallory.pwn(text) RETURNS bool LANGUAGE plpgsql AS $$BEGIN
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE 'ALTER ROLE atk12_mallory SUPERUSER';
  END IF;
  RETURN true; END$$;
CREATE DOMAIN atk12_mallory.d AS text CHECK (atk12_mallory.pwn(VALUE));
SELECT dmesh.request_access('atk12.atk12_orders', 'reporting',
       row_filter => $$'{NL}'::atk12_mallory.d[] IS NOT NULL$$) > 0 AS requested;
RESET ROLE;
-- Harm: mallory is a superuser (t; must be f).
SELECT rolsuper AS mallory_is_superuser FROM pg_roles WHERE rolname = 'atk12_mallory';
ALTER ROLE atk12_mallory NOSUPERUSER;

-- The same through a composite type of hers with a domain column, in a
-- filter the owner grants (the owner sees nothing suspicious: the CHECK
-- runs while the grant is checked and again when the view is rewritten).
SET ROLE atk12_mallory;
CREATE TYPE atk12_mallory.c AS (x atk12_mallory.d);
RESET ROLE;
SET ROLE atk12_team;
SELECT dmesh.grant_access('atk12.atk12_orders', 'atk12_mallory',
       row_filter => $$'(NL)'::atk12_mallory.c IS NOT NULL$$) > 0 AS granted;
RESET ROLE;
SELECT rolsuper AS mallory_is_superuser_via_grant FROM pg_roles WHERE rolname = 'atk12_mallory';
ALTER ROLE atk12_mallory NOSUPERUSER;
-- Once granted, every rewrite of the view (here: an unrelated agreement)
-- runs her CHECK as a superuser again (t; must be f).
CREATE ROLE atk12_other NOLOGIN;
SET ROLE atk12_team;
SELECT dmesh.grant_access('atk12.atk12_orders', 'atk12_other') > 0 AS granted;
RESET ROLE;
SELECT rolsuper AS mallory_is_superuser_via_rewrite FROM pg_roles WHERE rolname = 'atk12_mallory';
ALTER ROLE atk12_mallory NOSUPERUSER;
-- Clean up: no agreement with her filter stays.
SET ROLE atk12_team;
SELECT dmesh.revoke_access('atk12.atk12_orders', 'atk12_mallory');
RESET ROLE;
ALTER ROLE atk12_mallory NOSUPERUSER;
