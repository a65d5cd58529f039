-- Issue 12, C2: a consumer's own function in an approved row filter is
-- redefined after approval.  analyst asks for the filter
-- atk6_analyst.eng_only(dept, name, ssn, salary), a STABLE SQL function
-- returning dept = 'eng'; the owner approves; analyst then replaces the
-- function with a plpgsql body that shows (RAISE NOTICE) and copies its
-- arguments and returns true: every row, with the masked columns in
-- clear.  Also: the filter is refused neither when requested nor when
-- approved, though its function belongs to the requester.
-- Fixed: a filter calling a function owned by the requester is refused at
-- request_access and at approve_access/grant_access (a function of a
-- trusted owner only), so no agreement exists and nothing leaks.
\set VERBOSITY terse
CREATE ROLE atk6_team NOLOGIN;
CREATE ROLE atk6_analyst LOGIN NOINHERIT;
SELECT dmesh.create_domain('atk6', 'atk6_team') > 0 AS created;
CREATE SCHEMA atk6_src AUTHORIZATION atk6_team;
CREATE SCHEMA atk6_analyst AUTHORIZATION atk6_analyst;
SET ROLE atk6_team;
CREATE TABLE atk6_src.people (id int, name text, dept text, ssn text, salary numeric);
INSERT INTO atk6_src.people VALUES
  (1, 'ann', 'eng', '078-05-1120', 100), (2, 'ben', 'ops', '219-09-9999', 200),
  (3, 'cat', 'eng', '457-55-5462', 300);
SELECT dmesh.create_data_product('atk6', 'atk6_people', 'atk6_src.people', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: atk6-people
version: 1.0.0
status: active
schema:
  - name: people
    properties:
      - {name: id, logicalType: integer}
      - {name: name, logicalType: string}
      - {name: dept, logicalType: string}
      - {name: ssn, logicalType: string, classification: restricted}
      - {name: salary, logicalType: number, classification: restricted}
$y$) > 0 AS created;
SELECT dmesh.create_policy('atk6 restricted', 'masking', '{"classification": "restricted", "mask": "null"}',
                           'domain:atk6') > 0 AS created;
SELECT dmesh.publish_data_product('atk6.atk6_people');
RESET ROLE;

SET ROLE atk6_analyst;
CREATE TABLE atk6_analyst.loot (name text, ssn text, salary numeric);
CREATE FUNCTION atk6_analyst.eng_only(d text, n text, s text, sal numeric) RETURNS boolean
  LANGUAGE sql STABLE AS $$ SELECT d = 'eng' $$;
-- The request naming the requester's own function is refused (on the
-- vulnerable build it was accepted, approved, and then redefined).
SELECT dmesh.request_access('atk6.atk6_people', 'Engineering headcount',
                            row_filter => 'atk6_analyst.eng_only(dept, name, ssn, salary)') > 0 AS requested;
-- The same filter with built-in code is accepted and approved.
SELECT dmesh.request_access('atk6.atk6_people', 'Engineering headcount',
                            row_filter => $$dept = 'eng'$$) > 0 AS requested;
RESET ROLE;
SET ROLE atk6_team;
SELECT dmesh.approve_access(r.request_id) > 0 AS approved
  FROM dmesh.access_request r WHERE r.requester = 'atk6_analyst'::regrole AND r.status = 'pending';
RESET ROLE;

SET ROLE atk6_analyst;
-- What the agreement gives: engineering rows, ssn and salary masked.
SELECT id, name, ssn, salary FROM dmesh_atk6.atk6_people_v1 ORDER BY id;
-- The redefinition: same signature, same OID, new body.  No agreement
-- calls it, so nothing leaks.
CREATE OR REPLACE FUNCTION atk6_analyst.eng_only(d text, n text, s text, sal numeric) RETURNS boolean
  LANGUAGE plpgsql VOLATILE AS $$BEGIN
    RAISE NOTICE 'leak: % % %', n, s, sal;
    INSERT INTO atk6_analyst.loot VALUES (n, s, sal);
    RETURN true; END$$;
SELECT count(*) AS rows_seen FROM dmesh_atk6.atk6_people_v1;
RESET ROLE;

-- Harm: the analyst now holds every row's ssn and salary in clear (3 rows,
-- 3 clear ssn; must be 0 and 0), and reads 3 rows instead of 2.
SELECT count(*) AS rows_leaked, count(*) FILTER (WHERE ssn ~ '^[0-9]{3}-[0-9]{2}-[0-9]{4}$') AS clear_ssn
  FROM atk6_analyst.loot;
-- The live agreement still references the consumer's own function (1;
-- must be 0: refused when requested or approved).
SELECT count(*) AS agreements_with_own_function FROM dmesh.access_grant
 WHERE consumer = 'atk6_analyst'::regrole AND row_filter ~ 'atk6_analyst\.';

-- grant_access by the owner naming a (stable) function of the consumer is
-- refused too (the owner can see it: the consumer's schema is readable).
SET ROLE atk6_analyst;
CREATE FUNCTION atk6_analyst.ops_only(d text) RETURNS boolean
  LANGUAGE sql STABLE AS $$ SELECT d = 'ops' $$;
GRANT USAGE ON SCHEMA atk6_analyst TO PUBLIC;
RESET ROLE;
SET ROLE atk6_team;
SELECT dmesh.grant_access('atk6.atk6_people', 'atk6_analyst',
       row_filter => 'atk6_analyst.ops_only(dept)') > 0 AS granted_with_consumer_function;
-- A function of the product's owner is trusted: the owner answers for it.
CREATE FUNCTION atk6_src.is_ops(d text) RETURNS boolean
  LANGUAGE sql STABLE AS $$ SELECT d = 'ops' $$;
GRANT USAGE ON SCHEMA atk6_src TO PUBLIC;
GRANT EXECUTE ON FUNCTION atk6_src.is_ops(text) TO PUBLIC;
SELECT dmesh.grant_access('atk6.atk6_people', 'atk6_analyst',
       row_filter => 'atk6_src.is_ops(dept)') > 0 AS granted_with_owner_function;
RESET ROLE;
SET ROLE atk6_analyst;
SELECT id, name, ssn, salary FROM dmesh_atk6.atk6_people_v1 ORDER BY id;
RESET ROLE;

-- An agreement from before these checks (here written into the catalog
-- directly) is reported by dmesh._agreement_problems(), which the update
-- to 0.7.0 runs, checked as the role that wrote it.
CREATE ROLE atk6_old NOLOGIN;
INSERT INTO dmesh.access_grant (product_id, consumer, row_filter, granted_by)
SELECT product_id, 'atk6_old', 'atk6_analyst.ops_only(dept)', 'atk6_team'
  FROM dmesh.data_product WHERE name = 'atk6_people';
SELECT product, consumer, problem FROM dmesh._agreement_problems();
SET ROLE atk6_team;
SELECT * FROM dmesh._agreement_problems();
RESET ROLE;
DELETE FROM dmesh.access_grant WHERE consumer = 'atk6_old'::regrole;
