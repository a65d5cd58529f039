-- Part B set-up: 5,000,000 valid rows.  id has no index and its values come
-- in scrambled order (g * 48271 mod 2^31-1 is a permutation), so a
-- uniqueness check really has to sort or hash.
CREATE TABLE bench_src.checked (
    id bigint, email text, amount numeric(12,2), status text, country text, qty int);
INSERT INTO bench_src.checked
SELECT (g * 48271) % 2147483647,
       'user' || g || '@example.com',
       ((g * 7919) % 100000000) / 100.0,          -- 0 .. 999999.99
       (ARRAY['new', 'paid', 'shipped', 'cancelled'])[1 + g % 4],
       (ARRAY['DE', 'FR', 'US', 'JP', 'BR'])[1 + g % 5],
       1 + g % 10
FROM generate_series(1::bigint, 5000000) g;
VACUUM ANALYZE bench_src.checked;
SELECT pg_prewarm('bench_src.checked') \g /dev/null
