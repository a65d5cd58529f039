-- pgbench, as bench_consumer: the same lookup on the published view (row
-- filter region = 'north', email and iban masked).  Only even ids, all in
-- 'north': every lookup returns one row, as in lookup_raw.sql.
\set id 2 * random(1, 500000)
SELECT * FROM dmesh_bench.accounts_v1 WHERE id = :id;
