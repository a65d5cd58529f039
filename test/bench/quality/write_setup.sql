-- Part A set-up (schemas bench_stage, bench_src, bench_util come from
-- cluster.sh): 1,000,000 valid rows staged in an unlogged table, and one
-- empty logged target table per variant.  The 4 rules:
--   email required; email matches '^[^@ ]+@[^@ ]+$';
--   0 <= amount <= 1000000; status in (new, paid, shipped, cancelled).

CREATE UNLOGGED TABLE bench_stage.w (id bigint, email text, amount numeric(12,2), status text);
INSERT INTO bench_stage.w
SELECT g,
       'user' || g || '@example.com',
       ((g * 7919) % 100000000) / 100.0,          -- 0 .. 999999.99
       (ARRAY['new', 'paid', 'shipped', 'cancelled'])[1 + g % 4]
FROM generate_series(1::bigint, 1000000) g;
VACUUM ANALYZE bench_stage.w;
SELECT pg_prewarm('bench_stage.w') \g /dev/null

-- 1. none: no rules
CREATE TABLE bench_src.w_none (id bigint, email text, amount numeric(12,2), status text);

-- 2. check: native constraints
CREATE TABLE bench_src.w_check (
    id bigint,
    email text CHECK (email IS NOT NULL) CHECK (email ~ '^[^@ ]+@[^@ ]+$'),
    amount numeric(12,2) CHECK (amount >= 0 AND amount <= 1000000),
    status text CHECK (status IN ('new', 'paid', 'shipped', 'cancelled')));

-- 3. plpgsql: a row trigger checking the same rules
CREATE TABLE bench_src.w_plpgsql (id bigint, email text, amount numeric(12,2), status text);
CREATE FUNCTION bench_util.w_rules() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.email IS NULL THEN
        RAISE EXCEPTION 'email is required' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.email !~ '^[^@ ]+@[^@ ]+$' THEN
        RAISE EXCEPTION 'email does not match the pattern' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.amount < 0 OR NEW.amount > 1000000 THEN
        RAISE EXCEPTION 'amount out of range' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.status NOT IN ('new', 'paid', 'shipped', 'cancelled') THEN
        RAISE EXCEPTION 'invalid status' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER w_rules BEFORE INSERT OR UPDATE ON bench_src.w_plpgsql
    FOR EACH ROW EXECUTE FUNCTION bench_util.w_rules();

-- 4. dmesh: the table only; the product and its enforcement are set up by
-- write_dmesh.sql, which may fail while dmesh lacks enforce_contract.
CREATE TABLE bench_src.w_dmesh (id bigint, email text, amount numeric(12,2), status text);

-- Which of 4 invalid rows (one per rule) a table rejects, and the SQLSTATEs:
-- e.g. 'rejected 4 of 4 (23514 23514 23514 23514)'.  Nothing is kept.
CREATE FUNCTION bench_util.rejects(target regclass) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    bad text[] := ARRAY[
        '(-1, NULL, 1, ''new'')',               -- email missing
        '(-2, ''no at sign'', 1, ''new'')',     -- email pattern
        '(-3, ''a@b'', 1000000.01, ''new'')',   -- amount out of range
        '(-4, ''a@b'', 1, ''lost'')'];          -- invalid status
    v text;
    n int := 0;
    states text := '';
BEGIN
    FOREACH v IN ARRAY bad LOOP
        BEGIN
            EXECUTE format('INSERT INTO %s VALUES %s', target, v);
            -- accepted: undo the insert by leaving the block with an error
            RAISE EXCEPTION 'accepted' USING ERRCODE = 'BNCH0';
        EXCEPTION WHEN OTHERS THEN
            IF SQLSTATE = 'BNCH0' THEN
                states := states || ' -';
            ELSE
                n := n + 1;
                states := states || ' ' || SQLSTATE;
            END IF;
        END;
    END LOOP;
    RETURN format('rejected %s of 4 (%s)', n, ltrim(states));
END $$;
