-- Errors of their own class, never an internal error: arrays of different
-- lengths, no hash key, unknown quarantined rows, roles that do not
-- exist, names too long, taken names.  Each shown as SQLSTATE: message.
CREATE FUNCTION pg_temp.err(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT pg_temp.err($q$SELECT dmesh._agreement(1, '{}', '{10}', '{}')$q$);
-- Without a key for hash masks (in a new session: the key is kept per
-- backend once read).
\c
CREATE FUNCTION pg_temp.err(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
BEGIN;
DELETE FROM dmesh.mesh_secret;
SELECT pg_temp.err($q$SELECT dmesh._mask_value('x'::text, 1, 0)$q$);
ROLLBACK;

CREATE ROLE ecl_team NOLOGIN;
SELECT pg_temp.err($q$SELECT dmesh.create_domain('ecl', 99999999::regrole)$q$);
SELECT pg_temp.err($q$SELECT dmesh.create_domain('ecl', '-'::regrole)$q$);
SELECT dmesh.create_domain('ecl', 'ecl_team') > 0 AS created;
CREATE TABLE ecl_src (id int);
ALTER TABLE ecl_src OWNER TO ecl_team;
SELECT pg_temp.err($q$SELECT dmesh.create_data_product('ecl', 'items', 'ecl_src', owner => 99999999::regrole)$q$);
SELECT pg_temp.err($q$SELECT dmesh.create_data_product('ecl', 'items', 'ecl_src', owner => '-')$q$);
SELECT dmesh.create_data_product('ecl', 'items', 'ecl_src') > 0 AS created;
SELECT pg_temp.err($q$SELECT dmesh.grant_access('ecl.items', 99999999::regrole)$q$);
SELECT pg_temp.err($q$SELECT dmesh.grant_access('ecl.items', '-')$q$);
-- Revoking the agreement of a role that no longer exists is allowed (a
-- notice: there is none here).
SELECT dmesh.revoke_access('ecl.items', 99999999::regrole);
SELECT count(*) AS agreements FROM dmesh.access_grant g JOIN dmesh.data_product p USING (product_id)
 WHERE p.name = 'items' AND p.domain_id = (SELECT domain_id FROM dmesh.domain WHERE name = 'ecl');

-- Unknown quarantined rows: 42704, like any unknown object.
SELECT pg_temp.err($q$SELECT dmesh.discard_quarantine('ecl.items', '{424242}')$q$);

-- A policy name has at most 200 bytes; a taken name is 42710.
SELECT pg_temp.err($q$SELECT dmesh.create_policy(repeat('p', 201), 'masking', '{"classification": "ecl", "mask": "null"}', 'domain:ecl')$q$);
SELECT pg_temp.err($q$SELECT dmesh.create_policy(repeat('p', 1000000), 'masking', '{"classification": "ecl", "mask": "null"}', 'domain:ecl')$q$);
SELECT dmesh.create_policy('ecl mask', 'masking', '{"classification": "ecl", "mask": "null"}', 'domain:ecl') > 0 AS created;
SELECT pg_temp.err($q$SELECT dmesh.create_policy('ecl mask', 'masking', '{"classification": "ecl", "mask": "null"}', 'domain:ecl')$q$);
SELECT dmesh.drop_policy('ecl mask');

-- One pending request per role and product.
CREATE ROLE ecl_reader LOGIN;
SELECT dmesh.publish_data_product('ecl.items') IS NOT NULL AS published;
SET ROLE ecl_reader;
SELECT dmesh.request_access('ecl.items', 'reports') > 0 AS requested;
SELECT pg_temp.err($q$SELECT dmesh.request_access('ecl.items', 'reports again')$q$);
RESET ROLE;
