-- Ordinary DDL on a table that belongs to no data product.
CREATE TABLE bench_t (a int, b text);
ALTER TABLE bench_t ADD COLUMN c int;
ALTER TABLE bench_t RENAME COLUMN b TO d;
ALTER TABLE bench_t ALTER COLUMN c TYPE bigint;
CREATE INDEX bench_t_a ON bench_t (a);
DROP TABLE bench_t;
