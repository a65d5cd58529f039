-- Agreements answered at plan time: for the role being planned for, the
-- view's agreement test becomes that agreement's own row filter and each
-- masked column the column itself or dmesh._mask_value.  A plan made for one
-- role is never used for another (prepared statements, SET ROLE, security
-- definer functions), nor after membership changes; agreements that expire
-- stay a run-time test; masks are the same either way.
CREATE ROLE gplan_team NOLOGIN;
CREATE ROLE gplan_north NOLOGIN;
CREATE ROLE gplan_south NOLOGIN;
CREATE ROLE gplan_temp NOLOGIN;
CREATE ROLE gplan_member NOLOGIN IN ROLE gplan_north, gplan_south;
CREATE ROLE gplan_stranger NOLOGIN;
SELECT dmesh.create_domain('gplan', 'gplan_team') > 0 AS created;
CREATE SCHEMA gplan_src AUTHORIZATION gplan_team;
SET ROLE gplan_team;
CREATE TABLE gplan_src.accounts (
    id     int PRIMARY KEY,
    region text NOT NULL,
    email  text NOT NULL,
    iban   text NOT NULL);
INSERT INTO gplan_src.accounts
SELECT g, CASE WHEN g % 2 = 0 THEN 'north' ELSE 'south' END,
       'user' || g || '@example.org', 'NL00BANK' || lpad(g::text, 10, '0')
  FROM generate_series(1, 6) g;
SELECT dmesh.create_data_product('gplan', 'accounts', 'gplan_src.accounts', 'Accounts', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: gplan-accounts
version: 1.0.0
status: active
schema:
  - name: accounts
    properties:
      - {name: id, logicalType: integer}
      - {name: region, logicalType: string}
      - {name: email, logicalType: string, classification: pii}
      - {name: iban, logicalType: string, classification: restricted}
$y$) > 0 AS created;
RESET ROLE;
SELECT dmesh.create_policy('gplan pii', 'masking', '{"classification": "pii", "mask": "hash"}',
                           'domain:gplan') > 0 AS created;
SELECT dmesh.create_policy('gplan restricted', 'masking',
                           '{"classification": "restricted", "mask": "partial", "keep": 4}',
                           'domain:gplan') > 0 AS created;
SET ROLE gplan_team;
SELECT dmesh.publish_data_product('gplan.accounts');
SELECT dmesh.grant_access('gplan.accounts', 'gplan_north', row_filter => $$region = 'north'$$) > 0 AS granted;
SELECT dmesh.grant_access('gplan.accounts', 'gplan_south', row_filter => $$region = 'south'$$,
                          unmask => ARRAY['iban']) > 0 AS granted;
SELECT dmesh.grant_access('gplan.accounts', 'gplan_temp', row_filter => 'id <= 4',
                          expires_at => now() + interval '1 day') > 0 AS granted;
RESET ROLE;

-- The plans: each role gets its own filter and masks, no agreement test.
SET ROLE gplan_north;
EXPLAIN (COSTS OFF, VERBOSE) SELECT * FROM dmesh_gplan.accounts_v1 WHERE id = 2;
RESET ROLE;
SET ROLE gplan_south;
EXPLAIN (COSTS OFF, VERBOSE) SELECT * FROM dmesh_gplan.accounts_v1 WHERE id = 2;
RESET ROLE;
SET ROLE gplan_team;
EXPLAIN (COSTS OFF, VERBOSE) SELECT * FROM dmesh_gplan.accounts_v1 WHERE id = 2;
RESET ROLE;
-- An agreement that expires stays a run-time test (its plan holds the
-- agreement constants, whose role oids vary: only what the plan calls).
CREATE FUNCTION gplan_src.plan_calls(query text) RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
    line text;
    calls text[] := '{}';
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF, VERBOSE) ' || query LOOP
        calls := calls || ARRAY(SELECT m[1] FROM regexp_matches(line, 'dmesh\.(\w+)\(', 'g') m);
    END LOOP;
    RETURN calls;
END $$;
GRANT USAGE ON SCHEMA gplan_src TO PUBLIC;
SET ROLE gplan_temp;
SELECT gplan_src.plan_calls('SELECT * FROM dmesh_gplan.accounts_v1');
RESET ROLE;
SET ROLE gplan_north;
SELECT gplan_src.plan_calls('SELECT * FROM dmesh_gplan.accounts_v1');
RESET ROLE;

-- Masks are the same folded or not: gplan_temp's are computed at run time.
SET ROLE gplan_temp;
CREATE TEMP TABLE gplan_runtime AS SELECT id, email, iban FROM dmesh_gplan.accounts_v1;
GRANT SELECT ON gplan_runtime TO gplan_north;
RESET ROLE;
SET ROLE gplan_north;
SELECT v.id, v.email = r.email AS same_email, v.iban = r.iban AS same_iban, v.iban
  FROM dmesh_gplan.accounts_v1 v JOIN gplan_runtime r USING (id) ORDER BY id;
RESET ROLE;

-- One prepared statement, generic plan, executed as different roles.
SET plan_cache_mode = force_generic_plan;
SET ROLE gplan_north;
PREPARE gplan_read AS SELECT id, region, email LIKE '%@%' AS email_clear, iban
  FROM dmesh_gplan.accounts_v1 ORDER BY id;
EXECUTE gplan_read;
RESET ROLE;
SET ROLE gplan_south;
EXECUTE gplan_read;
RESET ROLE;
SET ROLE gplan_team;
EXECUTE gplan_read;
RESET ROLE;
SET ROLE gplan_stranger;
EXECUTE gplan_read;
RESET ROLE;
SET ROLE gplan_north;
EXECUTE gplan_read;
RESET ROLE;

-- Membership: gplan_member reads with the first agreement of a role it
-- belongs to (north); once it leaves gplan_north, its cached plan is not
-- used again and it reads with south's agreement.
SET ROLE gplan_member;
EXECUTE gplan_read;
RESET ROLE;
REVOKE gplan_north FROM gplan_member;
SET ROLE gplan_member;
EXECUTE gplan_read;
RESET ROLE;
GRANT gplan_north TO gplan_member;

-- Revoking an agreement applies to plans already made.
SET ROLE gplan_north;
EXECUTE gplan_read;
RESET ROLE;
SET ROLE gplan_team;
SELECT dmesh.revoke_access('gplan.accounts', 'gplan_north');
RESET ROLE;
SET ROLE gplan_north;
EXECUTE gplan_read;
RESET ROLE;
SET ROLE gplan_team;
SELECT dmesh.grant_access('gplan.accounts', 'gplan_north', row_filter => $$region = 'north'$$) > 0 AS granted;
RESET ROLE;

-- A security definer function reads with its owner's agreement, whoever
-- calls it, and its cached plans are not shared with the caller's.
CREATE FUNCTION gplan_src.regions() RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
AS $$ BEGIN RETURN (SELECT string_agg(region, ',' ORDER BY id) FROM dmesh_gplan.accounts_v1); END $$;
ALTER FUNCTION gplan_src.regions() OWNER TO gplan_north;
SET ROLE gplan_south;
SELECT gplan_src.regions() AS as_owner,
       (SELECT string_agg(region, ',' ORDER BY id) FROM dmesh_gplan.accounts_v1) AS as_caller,
       gplan_src.regions() AS as_owner_again;
RESET ROLE;
DEALLOCATE gplan_read;
RESET plan_cache_mode;

-- _mask_value is only a mask: no value through a code that is not one.
SELECT dmesh._mask_value('secret'::text, 9, 0) IS NULL AS nothing,
       dmesh._mask_value('secret'::text, 3, 2) AS partial,
       dmesh._mask_value(42, 2, 0) AS redacted,
       dmesh._mask_value(NULL::text, 1, 0) IS NULL AS null_stays_null;
