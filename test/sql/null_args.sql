-- Every function of schema dmesh called with all its arguments NULL, by a
-- superuser: none crashes the server, none raises an internal error
-- (class XX); each returns NULL, or nothing, or refuses with an error of
-- its own class.  Functions without arguments are left out (nothing to be
-- NULL), and so are those taking "internal" (not callable from SQL).
CREATE TEMP TABLE null_calls (fn text, outcome text);
DO $$
DECLARE
    r record;
    call text;
    state text;
BEGIN
    FOR r IN
        SELECT p.oid, p.oid::regprocedure::text AS sig, p.prokind,
               (SELECT string_agg('NULL::' || CASE WHEN t.oid IN ('anyelement'::regtype, '"any"'::regtype)
                                                   THEN 'text' ELSE format_type(t.oid, NULL) END,
                                  ', ' ORDER BY a.n)
                  FROM unnest(p.proargtypes) WITH ORDINALITY AS a(typ, n)
                  JOIN pg_type t ON t.oid = a.typ) AS args
          FROM pg_proc p
         WHERE p.pronamespace = 'dmesh'::regnamespace
           AND p.pronargs > 0
           AND NOT ('internal'::regtype = ANY (p.proargtypes::oid[]))
         ORDER BY 2
    LOOP
        call := format('SELECT %s(%s)', r.oid::regproc, r.args);
        IF r.prokind = 'f' AND (SELECT proretset FROM pg_proc WHERE oid = r.oid) THEN
            call := format('SELECT count(*) FROM %s(%s)', r.oid::regproc, r.args);
        END IF;
        BEGIN
            EXECUTE call;
            INSERT INTO null_calls VALUES (r.sig, 'ok');
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE;
            INSERT INTO null_calls VALUES (r.sig, state || ' ' || SQLERRM);
        END;
    END LOOP;
END
$$;
SELECT fn, outcome FROM null_calls ORDER BY fn;
-- None is an internal error.
SELECT count(*) AS internal_errors FROM null_calls WHERE outcome ~ '^XX';
