-- Security: who may do what, search_path attacks, injection through names
-- and sources.
CREATE ROLE sec_team NOLOGIN;
CREATE ROLE sec_dev LOGIN IN ROLE sec_team;
CREATE ROLE sec_noinherit LOGIN NOINHERIT IN ROLE sec_team;
CREATE ROLE sec_rival_team NOLOGIN;
CREATE ROLE sec_rival LOGIN IN ROLE sec_rival_team;
CREATE ROLE sec_consumer LOGIN;
SELECT dmesh.create_domain('sec', 'sec_team') > 0 AS created;
SELECT dmesh.create_domain('sec_rival', 'sec_rival_team') > 0 AS created;
CREATE SCHEMA sec_src AUTHORIZATION sec_team;
SET ROLE sec_team;
CREATE TABLE sec_src.accounts (id int, owner_name text, balance numeric);
INSERT INTO sec_src.accounts VALUES (1, 'ann', 100), (2, 'ben', 200);
RESET ROLE;
SET ROLE sec_dev;
SELECT dmesh.create_data_product('sec', 'accounts', 'sec_src.accounts') > 0 AS created;
SELECT dmesh.publish_data_product('sec.accounts');
RESET ROLE;

-- Another team, a consumer and a non-inheriting member are refused every
-- management action, with the domain named.
SET ROLE sec_rival;
SELECT dmesh.create_data_product('sec', 'stolen', 'sec_src.accounts');
SELECT dmesh.publish_data_product('sec.accounts');
SELECT dmesh.deprecate_data_product('sec.accounts', 'mine now');
SELECT dmesh.retire_data_product('sec.accounts');
SELECT dmesh.grant_access('sec.accounts', 'sec_rival');
SELECT dmesh.revoke_access('sec.accounts', 'sec_dev');
RESET ROLE;
SET ROLE sec_consumer;
SELECT dmesh.grant_access('sec.accounts', 'sec_consumer');
RESET ROLE;
SET ROLE sec_noinherit;
SELECT dmesh.grant_access('sec.accounts', 'sec_consumer');
-- ... until it takes on the owner role.
SET ROLE sec_team;
SELECT dmesh.grant_access('sec.accounts', 'sec_consumer') > 0 AS granted;
RESET ROLE;
-- A session cannot take on a role it is not a member of.
SET SESSION AUTHORIZATION sec_rival;
SET ROLE sec_team;
SELECT current_user, dmesh.grant_access('sec.accounts', 'sec_rival');
RESET SESSION AUTHORIZATION;

-- Nothing was changed by the refused calls.
SELECT p.name, p.status, array_agg(a.consumer ORDER BY a.consumer::text) AS consumers
  FROM dmesh.data_product p JOIN dmesh.domain d USING (domain_id)
  LEFT JOIN dmesh.access_grant a USING (product_id)
 WHERE d.name = 'sec' GROUP BY p.name, p.status;

-- The product owner that is not in the domain's owner role manages its own
-- product, not the others.
CREATE ROLE sec_steward LOGIN;
GRANT sec_steward TO sec_dev;
GRANT SELECT ON sec_src.accounts TO sec_steward;
SET ROLE sec_dev;
SELECT dmesh.create_data_product('sec', 'stewarded', 'sec_src.accounts', owner => 'sec_steward') > 0 AS created;
RESET ROLE;
SET ROLE sec_steward;
SELECT dmesh.publish_data_product('sec.stewarded');
SELECT dmesh.publish_data_product('sec.accounts');
SELECT dmesh.create_data_product('sec', 'own_idea', 'sec_src.accounts');
RESET ROLE;

-- search_path attack: a role shadows pg_catalog's text equality and now()
-- in a schema it puts first.  dmesh's lookups are not fooled: the rival
-- still cannot reach the other domain's product, and unknown names stay
-- unknown.
CREATE SCHEMA sec_evil AUTHORIZATION sec_rival;
SET ROLE sec_rival;
CREATE FUNCTION sec_evil.always(text, text) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR sec_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = sec_evil.always);
CREATE FUNCTION sec_evil.now() RETURNS timestamptz LANGUAGE sql AS $$SELECT '2000-01-01'::timestamptz$$;
CREATE FUNCTION sec_evil.pg_has_role(oid, text) RETURNS boolean LANGUAGE sql AS 'SELECT true';
SET search_path = sec_evil, pg_catalog, public;
SELECT 'a'::text = 'b'::text AS shadowed_equality;
SELECT dmesh.publish_data_product('sec.no_such_product');
SELECT dmesh.grant_access('sec.accounts', 'sec_rival');
SELECT dmesh.create_data_product('sec_rival', 'mine', 'SELECT 1 AS one') > 0 AS created;
SELECT count(*) AS grants_seen FROM dmesh.access_grant;
SELECT domain, product FROM dmesh.marketplace WHERE domain LIKE 'sec%' ORDER BY 1, 2;
RESET search_path;
RESET ROLE;
SELECT created_at > '2001-01-01' AS real_now FROM dmesh.data_product WHERE name = 'mine';

-- Injection through names: quotes and semicolons are data, never SQL.
SET ROLE sec_dev;
SELECT dmesh.create_data_product('sec', 'x''); DROP TABLE sec_src.accounts; --',
                                 'sec_src.accounts') > 0 AS created;
SELECT dmesh.publish_data_product('sec.x''); DROP TABLE sec_src.accounts; --');
SELECT dmesh.create_data_product('sec', 'y', 'sec_src.accounts; DROP TABLE sec_src.accounts');
SELECT dmesh.create_data_product('sec', 'y', 'sec_src.accounts"; DROP TABLE sec_src.accounts; --');
SELECT dmesh.create_data_product('sec', 'y', 'SELECT 1 AS a; DROP TABLE sec_src.accounts');
SELECT dmesh.create_data_product('sec', 'y', 'SELECT 1 AS a) s; DROP TABLE sec_src.accounts; --');
SELECT dmesh.create_data_product('sec', 'commented', 'SELECT 1 AS a --') > 0 AS created;
SELECT dmesh.publish_data_product('sec.commented');
SELECT dmesh.create_data_product('sec', 'y', 'WITH gone AS (DELETE FROM sec_src.accounts RETURNING id) SELECT id FROM gone');
SELECT dmesh.create_data_product('sec', 'y', 'SELECT id FROM sec_src.accounts FOR UPDATE');
SELECT dmesh.create_data_product('sec', 'y', 'SELECT id INTO sec_src.copy FROM sec_src.accounts');
RESET ROLE;
SELECT count(*) AS accounts_intact FROM sec_src.accounts;
SELECT to_regclass('sec_src.copy') AS no_copy;
SELECT relname FROM pg_class WHERE relnamespace = 'dmesh_sec'::regnamespace ORDER BY 1;

-- A source query is checked with its owner's rights, not dmesh's: the
-- owner cannot expose a table it cannot read, even though dmesh itself
-- could.
CREATE TABLE sec_src.secrets (s text);
SET ROLE sec_dev;
SELECT dmesh.create_data_product('sec', 'leak', 'SELECT s FROM sec_src.secrets');
SELECT dmesh.create_data_product('sec', 'leak', 'sec_src.secrets');
SELECT dmesh.create_data_product('sec', 'leak', 'SELECT rolpassword FROM pg_authid');
RESET ROLE;
DROP TABLE sec_src.secrets;

-- The published relation belongs to the product owner, who can never
-- read more through it than through the source.
SELECT relowner::regrole FROM pg_class WHERE oid = 'dmesh_sec.accounts_v1'::regclass;

-- A source that every role can read is reported at publication.
GRANT SELECT ON sec_src.accounts TO PUBLIC;
SET ROLE sec_dev;
SELECT dmesh.publish_data_product('sec.accounts');
RESET ROLE;
REVOKE SELECT ON sec_src.accounts FROM PUBLIC;
