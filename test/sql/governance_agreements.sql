-- Access agreements: a row filter per consumer, enforced by the published
-- view for that consumer whichever way it reads (directly, through a view
-- or a function it writes); filters validated when granted; purposes,
-- expiry without anything to run, revocation at once.
CREATE ROLE gagr_team NOLOGIN;
CREATE ROLE gagr_north NOLOGIN;
CREATE ROLE gagr_south NOLOGIN;
CREATE ROLE gagr_nobody NOLOGIN;
SELECT dmesh.create_domain('gagr', 'gagr_team') > 0 AS created;
CREATE SCHEMA gagr_src AUTHORIZATION gagr_team;
CREATE SCHEMA gagr_north_work AUTHORIZATION gagr_north;
GRANT USAGE ON SCHEMA gagr_north_work TO gagr_nobody;
SET ROLE gagr_team;
CREATE TABLE gagr_src.sales (id int PRIMARY KEY, region text NOT NULL, amount numeric(8,2) NOT NULL);
INSERT INTO gagr_src.sales VALUES (1, 'north', 10), (2, 'north', 20), (3, 'south', 30), (4, 'east', 40);
SELECT dmesh.create_data_product('gagr', 'sales', 'gagr_src.sales', 'Sales') > 0 AS created;
SELECT dmesh.publish_data_product('gagr.sales');
SELECT dmesh.grant_access('gagr.sales', 'gagr_north', row_filter => $$region = 'north'$$,
                          purpose => 'Regional report') > 0 AS granted;
SELECT dmesh.grant_access('gagr.sales', 'gagr_south', row_filter => $$region IN ('south', 'east') AND amount > 35$$) > 0 AS granted;
SELECT c.consumer, c.row_filter, c.purpose, c.expires_at, c.unmask
  FROM dmesh.access_grant c JOIN dmesh.data_product p USING (product_id)
 WHERE p.name = 'sales' ORDER BY c.grant_id;
-- The owner sees every row.
SELECT id FROM dmesh_gagr.sales_v1 ORDER BY id;
RESET ROLE;

-- Each consumer sees its own rows.
SET ROLE gagr_north;
SELECT id, region FROM dmesh_gagr.sales_v1 ORDER BY id;
SELECT count(*) FROM dmesh_gagr.sales_v1 WHERE region = 'south';
-- Not the source.
SELECT * FROM gagr_src.sales;
-- Through a view and a function of its own, still its own rows.
CREATE VIEW gagr_north_work.mine AS SELECT * FROM dmesh_gagr.sales_v1;
CREATE FUNCTION gagr_north_work.total() RETURNS numeric LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog AS $$ SELECT sum(amount) FROM dmesh_gagr.sales_v1 $$;
SELECT id FROM gagr_north_work.mine ORDER BY id;
SELECT gagr_north_work.total();
GRANT SELECT ON gagr_north_work.mine TO gagr_nobody;
GRANT EXECUTE ON FUNCTION gagr_north_work.total() TO gagr_nobody;
RESET ROLE;
SET ROLE gagr_south;
SELECT id, region FROM dmesh_gagr.sales_v1 ORDER BY id;
RESET ROLE;
-- A role without an agreement gets nothing through someone else's view:
-- the filter is chosen by the role reading.  A SECURITY DEFINER function
-- runs as its owner, so it shows what its owner may see, no more.
SET ROLE gagr_nobody;
SELECT count(*) FROM gagr_north_work.mine;
SELECT gagr_north_work.total();
SELECT count(*) FROM dmesh_gagr.sales_v1;
RESET ROLE;

-- A leaky function of the consumer's sees no row it may not read (the
-- view is a security barrier).
CREATE FUNCTION gagr_north_work.peek(r text) RETURNS boolean LANGUAGE plpgsql COST 0.0001 AS
$$ BEGIN RAISE NOTICE 'saw %', r; RETURN true; END $$;
ALTER FUNCTION gagr_north_work.peek(text) OWNER TO gagr_north;
SET ROLE gagr_north;
SELECT id FROM dmesh_gagr.sales_v1 WHERE gagr_north_work.peek(region) ORDER BY id;
RESET ROLE;

-- Row filters are validated when granted.
SET ROLE gagr_team;
SELECT dmesh.grant_access('gagr.sales', 'gagr_nobody', row_filter => 'amount');
SELECT dmesh.grant_access('gagr.sales', 'gagr_nobody', row_filter => 'secret = 1');
SELECT dmesh.grant_access('gagr.sales', 'gagr_nobody', row_filter => 'id IN (SELECT 1)');
SELECT dmesh.grant_access('gagr.sales', 'gagr_nobody', row_filter => 'random() < 0.5');
SELECT dmesh.grant_access('gagr.sales', 'gagr_nobody', row_filter => 'count(*) > 0');
SELECT dmesh.grant_access('gagr.sales', 'gagr_nobody', row_filter => $$true); DROP TABLE gagr_src.sales; SELECT (true$$);
SELECT dmesh.grant_access('gagr.sales', 'gagr_nobody', row_filter => $$true) UNION SELECT 1 FROM gagr_src.sales WHERE (true$$);
SELECT dmesh.grant_access('gagr.sales', 'gagr_nobody', row_filter => 'true /*');
SELECT dmesh.grant_access('gagr.sales', 'gagr_nobody', row_filter => '   ');
SELECT dmesh.grant_access('gagr.sales', 'gagr_nobody', row_filter => $$region = 'x' ORDER BY 1$$);
SELECT dmesh.grant_access('gagr.sales', 'gagr_nobody', expires_at => now() - interval '1 day');
SELECT dmesh.grant_access('gagr.sales', 'gagr_nobody', unmask => ARRAY['nope']);
-- None of them made an agreement.
SELECT count(*) FROM dmesh.access_grant WHERE consumer = 'gagr_nobody'::regrole;

-- Changing an agreement's terms takes effect at once.
SELECT dmesh.grant_access('gagr.sales', 'gagr_north', row_filter => 'amount >= 20', purpose => 'Regional report') > 0 AS changed;
RESET ROLE;
SET ROLE gagr_north;
SELECT id FROM dmesh_gagr.sales_v1 ORDER BY id;
RESET ROLE;

-- Expiry: checked by every statement, nothing to run.
SET ROLE gagr_team;
SELECT dmesh.grant_access('gagr.sales', 'gagr_south', expires_at => clock_timestamp() + interval '300 milliseconds') > 0 AS granted;
RESET ROLE;
SET ROLE gagr_south;
SELECT count(*) FROM dmesh_gagr.sales_v1;
SELECT pg_sleep(0.4);
\set VERBOSITY terse
SELECT count(*) FROM dmesh_gagr.sales_v1;
\set VERBOSITY default
RESET ROLE;

-- Revoking removes the agreement and the privilege at once.
SET ROLE gagr_team;
SELECT dmesh.revoke_access('gagr.sales', 'gagr_north');
RESET ROLE;
SET ROLE gagr_north;
SELECT count(*) FROM dmesh_gagr.sales_v1;
RESET ROLE;
SELECT action, details - 'expires_at' AS details FROM dmesh.event_log
 WHERE object_identity = 'gagr.sales' AND action IN ('grant_access', 'revoke_access') ORDER BY event_id;
-- The view keeps its roles by name (regrole constants), so a dump restored
-- into a cluster where roles have other oids keeps each agreement with its
-- role.
SELECT pg_get_viewdef('dmesh_gagr.sales_v1'::regclass) ~ 'gagr_south.*::regrole\[\]' AS roles_by_name;
