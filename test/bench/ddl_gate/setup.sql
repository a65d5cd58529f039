-- A mesh for the "mesh" database: 3 domains, 30 published products, each
-- over its own source table; bench_src.orders is the source of d1.p1.
CREATE EXTENSION dmesh;
CREATE SCHEMA bench_src;
DO $$
BEGIN
    FOR d IN 1..3 LOOP
        PERFORM dmesh.create_domain('d' || d);
        FOR p IN 1..10 LOOP
            EXECUTE format('CREATE TABLE bench_src.%I (id int PRIMARY KEY, amount numeric(10,2) NOT NULL, note text)',
                           CASE WHEN d = 1 AND p = 1 THEN 'orders' ELSE 't_' || d || '_' || p END);
            PERFORM dmesh.create_data_product('d' || d, 'p' || p,
                CASE WHEN d = 1 AND p = 1 THEN 'bench_src.orders' ELSE 'bench_src.t_' || d || '_' || p END);
            PERFORM dmesh.publish_data_product('d' || d || '.p' || p);
        END LOOP;
    END LOOP;
END $$;
