-- Contract-keeping DDL on the source of a published data product: every
-- statement goes through the gate's full checks.
ALTER TABLE bench_src.orders ALTER COLUMN note SET STATISTICS 200;
ALTER TABLE bench_src.orders ALTER COLUMN note SET STATISTICS -1;
ALTER TABLE bench_src.orders SET (fillfactor = 90);
ALTER TABLE bench_src.orders RESET (fillfactor);
