-- Issue 12, Low: an expired agreement keeps working inside a long CALL
-- that commits in a loop (the expiry is compared with the start of the
-- top-level statement, the CALL).
-- Fixed: the read after the expiry fails with "access agreement ... has
-- expired" (read_after_expiry_ok = f).
\set VERBOSITY terse
CREATE ROLE atk9_team NOLOGIN;
CREATE ROLE atk9_analyst LOGIN NOINHERIT;
SELECT dmesh.create_domain('atk9', 'atk9_team') > 0 AS created;
CREATE SCHEMA atk9_src AUTHORIZATION atk9_team;
CREATE SCHEMA atk9_analyst AUTHORIZATION atk9_analyst;
SET ROLE atk9_team;
CREATE TABLE atk9_src.orders (id int, amount numeric);
INSERT INTO atk9_src.orders VALUES (1, 10), (2, 20);
SELECT dmesh.create_data_product('atk9', 'atk9_orders', 'atk9_src.orders') > 0 AS created;
SELECT dmesh.publish_data_product('atk9.atk9_orders');
RESET ROLE;

SET ROLE atk9_analyst;
CREATE TABLE atk9_analyst.log (step int, ok boolean, rows_seen bigint, err text);
CREATE PROCEDURE atk9_analyst.long_job() LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  SELECT count(*) INTO n FROM dmesh_atk9.atk9_orders_v1;
  INSERT INTO atk9_analyst.log VALUES (1, true, n, NULL);
  COMMIT;
  PERFORM pg_sleep(3);   -- the agreement expires meanwhile
  BEGIN
    SELECT count(*) INTO n FROM dmesh_atk9.atk9_orders_v1;
    INSERT INTO atk9_analyst.log VALUES (2, true, n, NULL);
  EXCEPTION WHEN others THEN
    INSERT INTO atk9_analyst.log VALUES (2, false, NULL, regexp_replace(SQLERRM, '"[^"]*"', '"..."', 'g'));
  END;
END$$;
RESET ROLE;
SET ROLE atk9_team;
SELECT dmesh.grant_access('atk9.atk9_orders', 'atk9_analyst', expires_at => now() + interval '1.5 seconds') > 0 AS granted;
RESET ROLE;
SET ROLE atk9_analyst;
CALL atk9_analyst.long_job();
-- Outside the CALL the agreement has expired (an error either way).
SELECT count(*) FROM dmesh_atk9.atk9_orders_v1;
RESET ROLE;
-- Harm: step 2, after the expiry, still read the rows (t, 2; must be f,
-- NULL, with the expiry error).
SELECT step, ok AS read_ok, rows_seen, err FROM atk9_analyst.log ORDER BY step;
