-- pgbench, as bench_team (the owner): one primary-key lookup on the table.
-- Only even ids, all in 'north': every lookup returns one row, as in
-- lookup_gov.sql.
\set id 2 * random(1, 500000)
SELECT * FROM bench_src.accounts WHERE id = :id;
