-- The governance security suite: each attack of SECURITY.md, refused or
-- contained.  A team publishes a product with a row filter and a mask for
-- an analyst; the analyst and an outsider try to get more.
CREATE ROLE sgov_team NOLOGIN;
CREATE ROLE sgov_analyst NOLOGIN;
CREATE ROLE sgov_outsider NOLOGIN;
SELECT dmesh.create_domain('sgov', 'sgov_team') > 0 AS created;
CREATE SCHEMA sgov_src AUTHORIZATION sgov_team;
CREATE SCHEMA sgov_play;
GRANT ALL ON SCHEMA sgov_play TO PUBLIC;
CREATE TABLE sgov_play.pwned (who text, what text);
GRANT ALL ON sgov_play.pwned TO PUBLIC;
SET ROLE sgov_team;
CREATE TABLE sgov_src.accounts (id int PRIMARY KEY, region text NOT NULL, iban text NOT NULL, balance numeric NOT NULL);
INSERT INTO sgov_src.accounts VALUES
  (1, 'north', 'NL91ABNA0417164300', 100), (2, 'south', 'DE89370400440532013000', 200),
  (3, 'north', 'FR1420041010050500013M02606', 300);
SELECT dmesh.create_data_product('sgov', 'accounts', 'sgov_src.accounts', 'Accounts', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: sgov-accounts
version: 1.0.0
status: active
schema:
  - name: accounts
    properties:
      - {name: id, logicalType: integer}
      - {name: region, logicalType: string}
      - {name: iban, logicalType: string, classification: restricted}
      - {name: balance, logicalType: number}
$y$) > 0 AS created;
SELECT dmesh.create_policy('sgov restricted', 'masking', '{"classification": "restricted", "mask": "partial", "keep": 4}',
                           'domain:sgov') > 0 AS created;
SELECT dmesh.publish_data_product('sgov.accounts');
SELECT dmesh.grant_access('sgov.accounts', 'sgov_analyst', row_filter => $$region = 'north'$$) > 0 AS granted;
RESET ROLE;

-- 1. A consumer without an agreement reads nothing.
SET ROLE sgov_outsider;
SELECT * FROM dmesh_sgov.accounts_v1;
-- 2. Nobody reads the source directly.
SELECT * FROM sgov_src.accounts;
RESET ROLE;
SET ROLE sgov_analyst;
SELECT * FROM sgov_src.accounts;
-- What the analyst does see: its rows, the IBAN masked.
SELECT * FROM dmesh_sgov.accounts_v1 ORDER BY id;

-- 3. Through a view or a function it writes, the analyst gets its own rows
-- and masks, and gives nobody more than that.
CREATE VIEW sgov_play.copy AS SELECT * FROM dmesh_sgov.accounts_v1;
CREATE FUNCTION sgov_play.dump() RETURNS SETOF text LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
    AS $$ SELECT id || ':' || iban FROM dmesh_sgov.accounts_v1 ORDER BY id $$;
SELECT id, iban FROM sgov_play.copy ORDER BY id;
SELECT sgov_play.dump();
GRANT SELECT ON sgov_play.copy TO sgov_outsider;
RESET ROLE;
SET ROLE sgov_outsider;
SELECT count(*) FROM sgov_play.copy;
SELECT sgov_play.dump();
RESET ROLE;
-- A leaky function sees only the rows the filter lets through.
SET ROLE sgov_analyst;
CREATE FUNCTION sgov_play.leak(text, text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS
$$ BEGIN INSERT INTO sgov_play.pwned VALUES ($1, $2); RETURN true; END $$;
SELECT count(*) FROM dmesh_sgov.accounts_v1 WHERE sgov_play.leak(region, iban);
SELECT who AS region, what AS iban_seen FROM sgov_play.pwned ORDER BY 1, 2;
DELETE FROM sgov_play.pwned;

-- 4. A consumer cannot change its filter, a policy, the catalog or the view.
SELECT dmesh.grant_access('sgov.accounts', 'sgov_analyst');
SELECT dmesh.revoke_access('sgov.accounts', 'sgov_analyst');
SELECT dmesh.drop_policy('sgov restricted');
SELECT dmesh.create_policy('sgov mine', 'masking', '{"classification": "restricted", "mask": "null"}', 'product:sgov.accounts');
UPDATE dmesh.access_grant SET row_filter = NULL;
DELETE FROM dmesh.policy;
INSERT INTO dmesh.access_grant (product_id, consumer, granted_by) VALUES (1, 'sgov_outsider', 'x');
CREATE OR REPLACE VIEW dmesh_sgov.accounts_v1 AS SELECT * FROM sgov_src.accounts;
ALTER VIEW dmesh_sgov.accounts_v1 RESET (security_barrier);
-- 5. A consumer cannot approve its own request.
SELECT dmesh.request_access('sgov.accounts', 'All regions please') AS req \gset
SELECT dmesh.approve_access(:req);
RESET ROLE;
-- 8. Nor become a role it is not a member of (as its own session).
SET SESSION AUTHORIZATION sgov_analyst;
SET ROLE sgov_team;
SET ROLE sgov_outsider;
SELECT current_user;
RESET SESSION AUTHORIZATION;

-- 6. search_path attacks: a role puts functions and operators in a schema
-- first in its search_path, shadowing ones dmesh uses, then calls dmesh.
SET ROLE sgov_outsider;
CREATE FUNCTION sgov_play.lower(text) RETURNS text LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO sgov_play.pwned VALUES (current_user, 'lower'); RETURN $1; END $$;
CREATE FUNCTION sgov_play.texteq_evil(text, text) RETURNS boolean LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO sgov_play.pwned VALUES (current_user, 'operator ='); RETURN true; END $$;
CREATE OPERATOR sgov_play.= (LEFTARG = text, RIGHTARG = text, FUNCTION = sgov_play.texteq_evil);
CREATE FUNCTION sgov_play.jsonb_set(jsonb, text[], jsonb) RETURNS jsonb LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO sgov_play.pwned VALUES (current_user, 'jsonb_set'); RETURN $1; END $$;
CREATE FUNCTION sgov_play.btrim(text) RETURNS text LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO sgov_play.pwned VALUES (current_user, 'btrim'); RETURN $1; END $$;
RESET ROLE;
SET search_path = sgov_play, public, pg_catalog;
SET ROLE sgov_outsider;
SELECT product, status FROM dmesh.marketplace WHERE domain LIKE 'sgov';
SELECT count(*) FROM dmesh.search('accounts') WHERE domain LIKE 'sgov';
SELECT dmesh.request_access('sgov.accounts', 'Audit') > 0 AS requested;
RESET ROLE;
SET ROLE sgov_team;
SELECT dmesh.grant_access('sgov.accounts', 'sgov_outsider', row_filter => $$lower(region) = 'south'$$) > 0 AS granted;
SELECT policy, passed FROM dmesh.compliance WHERE domain = 'sgov';
SELECT count(*) FROM dmesh.check_product('sgov.accounts');
RESET ROLE;
SET ROLE sgov_outsider;
SELECT id, region, iban FROM dmesh_sgov.accounts_v1 ORDER BY id;
RESET ROLE;
RESET search_path;
-- None of the shadowing objects ran inside dmesh (the filter's lower() is
-- pg_catalog's: the filter was checked and stored with search_path pinned).
SELECT who, what FROM sgov_play.pwned ORDER BY 1, 2;

-- 7. Injection through names, filters, purposes and policy rules.
SET ROLE sgov_team;
SELECT dmesh.grant_access('sgov.accounts', 'sgov_analyst', row_filter => $$region = 'north'); DROP TABLE sgov_src.accounts; --$$);
SELECT dmesh.grant_access('sgov.accounts', 'sgov_analyst', row_filter => $$region = 'north' OR (SELECT true)$$);
-- Parentheses and newlines cannot break out: this parses as one
-- expression, (region = 'north') OR true OR (true), and that is what is
-- enforced (a manager may always grant every row).
SELECT dmesh.grant_access('sgov.accounts', 'sgov_analyst', row_filter => $$region = 'north'
) OR true OR (
true$$) > 0 AS granted;
RESET ROLE;
SET ROLE sgov_analyst;
SELECT count(*) AS rows_seen FROM dmesh_sgov.accounts_v1;
RESET ROLE;
SET ROLE sgov_team;
SELECT dmesh.grant_access('sgov.accounts', 'sgov_analyst', row_filter => $$region = 'north'$$,
                          purpose => $$'); DROP TABLE sgov_src.accounts; --$$) > 0 AS granted;
SELECT dmesh.create_policy($$p'); DROP TABLE sgov_src.accounts; --$$, 'publish',
       '{"sql": "true) OR (SELECT true FROM pg_class LIMIT 1"}', 'domain:sgov');
SELECT dmesh.create_data_product('sgov', $$x'); DROP TABLE sgov_src.accounts; --$$, 'sgov_src.accounts') > 0 AS created;
SELECT count(*) AS accounts_still_there FROM sgov_src.accounts;
RESET ROLE;

-- 9. Filters with side effects or subqueries are refused; a function that
-- claims to be stable cannot write when the filter runs.
CREATE SEQUENCE sgov_play.s;
CREATE FUNCTION sgov_play.sneaky(text) RETURNS boolean LANGUAGE plpgsql VOLATILE AS
$$ BEGIN INSERT INTO sgov_play.pwned VALUES ('sneaky', $1); RETURN true; END $$;
CREATE FUNCTION sgov_play.liar(text) RETURNS boolean LANGUAGE plpgsql STABLE AS
$$ BEGIN INSERT INTO sgov_play.pwned VALUES ('liar', $1); RETURN true; END $$;
SET ROLE sgov_team;
SELECT dmesh.grant_access('sgov.accounts', 'sgov_analyst', row_filter => 'sgov_play.sneaky(region)');
SELECT dmesh.grant_access('sgov.accounts', 'sgov_analyst', row_filter => $$nextval('sgov_play.s') > 0$$);
SELECT dmesh.grant_access('sgov.accounts', 'sgov_analyst', row_filter => 'id IN (SELECT id FROM sgov_src.accounts)');
SELECT dmesh.grant_access('sgov.accounts', 'sgov_analyst', row_filter => 'EXISTS (SELECT 1)');
SELECT dmesh.grant_access('sgov.accounts', 'sgov_analyst', row_filter => 'sgov_play.liar(region)') > 0 AS granted;
RESET ROLE;
SET ROLE sgov_analyst;
SELECT count(*) FROM dmesh_sgov.accounts_v1;
RESET ROLE;
SELECT count(*) AS writes FROM sgov_play.pwned;
