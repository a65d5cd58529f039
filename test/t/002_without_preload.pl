# dmesh works without shared_preload_libraries, can be installed in
# template1 so that every new database has it, and changes nothing for SQL
# that touches no data product.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('nopreload');
$node->init;
$node->start;

is($node->safe_psql('postgres', 'SHOW shared_preload_libraries'), '',
    'dmesh is not preloaded');

$node->safe_psql('template1', 'CREATE EXTENSION dmesh');
$node->safe_psql('postgres', 'CREATE DATABASE withmesh');
$node->safe_psql('postgres', 'CREATE DATABASE plain TEMPLATE template0');
is( $node->safe_psql('withmesh',
        q{SELECT e.extversion = a.default_version FROM pg_extension e
            JOIN pg_available_extensions a ON a.name = e.extname WHERE e.extname = 'dmesh'}),
    't', 'a database created from template1 has the current dmesh');

# The whole lifecycle, without the preload.
$node->safe_psql('withmesh', q{
    CREATE ROLE np_team NOLOGIN;
    CREATE ROLE np_reader LOGIN;
    CREATE TABLE public.readings (sensor int, value float8);
    ALTER TABLE public.readings OWNER TO np_team;
    INSERT INTO public.readings VALUES (1, 0.5), (2, 1.5);
    SELECT dmesh.create_domain('iot', 'np_team');
    SELECT dmesh.create_data_product('iot', 'readings', 'public.readings');
    SELECT dmesh.publish_data_product('iot.readings');
    SELECT dmesh.grant_access('iot.readings', 'np_reader');
});
is( $node->safe_psql('withmesh', 'SET ROLE np_reader; SELECT sum(value) FROM dmesh_iot.readings_v1'),
    '2', 'consumer reads the product without the preload');
is($node->safe_psql('withmesh', q{SELECT count(*) FROM dmesh.marketplace}),
    '1', 'marketplace lists the product');

# Without the preload usage is not counted, and the functions that need it
# say so once per session.
is($node->safe_psql('withmesh', 'SELECT dmesh.usage_enabled()'), 'f', 'usage tracking is off');
my ($urc, $uout, $uerr) = $node->psql('withmesh',
    'SELECT dmesh.flush_usage(); SELECT dmesh.flush_usage(); SELECT enabled, entries FROM dmesh.usage_status()');
is($urc, 0, 'flush_usage does not fail without the preload');
is($uout, "0\n0\nf|0", 'flush_usage flushes nothing and the table is empty');
my @notices = ($uerr =~ /NOTICE:  usage tracking is off/g);
is(scalar(@notices), 1, 'flush_usage says once that usage tracking is off');

# Ordinary SQL, including errors, prints exactly the same with and without
# dmesh in the database.
my $workload = q{
CREATE TABLE t (id int PRIMARY KEY, v text);
INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 100) g;
CREATE INDEX ON t (v);
ALTER TABLE t ADD COLUMN w int DEFAULT 0;
CREATE VIEW tv AS SELECT id, v FROM t WHERE id < 10;
CREATE MATERIALIZED VIEW tm AS SELECT count(*) AS n FROM t;
REFRESH MATERIALIZED VIEW tm;
UPDATE t SET w = id WHERE id % 2 = 0;
DELETE FROM t WHERE id > 90;
SELECT count(*), sum(w) FROM t;
SELECT * FROM tv ORDER BY id LIMIT 3;
INSERT INTO t VALUES (1, 'dup');
SELECT * FROM no_such_table;
ALTER TABLE t DROP COLUMN no_such_column;
DROP VIEW tv;
DROP TABLE t;
DROP TABLE t CASCADE;
DROP MATERIALIZED VIEW tm;
};
my (undef, $with_out, $with_err) = $node->psql('withmesh', $workload, extra_params => ['-a']);
my (undef, $plain_out, $plain_err) = $node->psql('plain', $workload, extra_params => ['-a']);
is($with_out, $plain_out, 'ordinary workload output is identical with dmesh');
is($with_err, $plain_err, 'ordinary workload errors are identical with dmesh');
like($plain_err, qr/duplicate key value/, 'the workload does produce errors');

# The extension can be dropped: its event triggers go with it, silently.
my ($rc, $out, $err) = $node->psql('withmesh', 'DROP EXTENSION dmesh CASCADE');
is($rc, 0, 'DROP EXTENSION dmesh succeeds');
unlike($err, qr/ERROR|WARNING/, 'DROP EXTENSION prints no error or warning');
is($node->safe_psql('withmesh', q{SELECT count(*) FROM pg_event_trigger WHERE evtname LIKE 'dmesh%'}),
    '0', 'no dmesh event trigger is left');
$node->safe_psql('withmesh', 'CREATE TABLE after_drop (x int); DROP TABLE after_drop');

$node->stop;
done_testing();
