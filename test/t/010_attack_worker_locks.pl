# Issue 12, M1: a role with no privilege at all holds a lock on a
# product's relations (BEGIN; PREPARE p AS SELECT * FROM ...; then waits):
# PREPARE locks the relation without checking privileges.
#  - On a materialized product's data table: the worker's refresh waits
#    for the lock for the whole hold (it sets no lock_timeout), so every
#    job of every product stalls.  Fixed: the refresh gives up after a lock
#    timeout, is recorded (schedule.last_error) and retried later, and the
#    other product's scheduled check goes on running.
#  - On a published view: grant_access (which rewrites the view) waits for
#    ever.  Fixed: it fails with a lock timeout (SQLSTATE 55P03) and a
#    clear error, long before the 20 s statement_timeout this test sets as
#    a safety net.
# These assertions describe the fixed behaviour; on the vulnerable build
# they fail.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $node = PostgreSQL::Test::Cluster->new('attack_locks');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dmesh'
dmesh.database = 'postgres'
dmesh.naptime = 1
dmesh.lock_timeout = '1s'
});
$node->start;

$node->safe_psql('postgres', q{
    CREATE EXTENSION dmesh;
    CREATE ROLE team NOLOGIN;
    CREATE ROLE reader NOLOGIN;
    CREATE ROLE mallory LOGIN NOINHERIT;
    CREATE SCHEMA src AUTHORIZATION team;
    SELECT dmesh.create_domain('sales', 'team');
    SET ROLE team;
    CREATE TABLE src.orders (id int, country text);
    INSERT INTO src.orders VALUES (1, 'NL'), (2, 'FR');
    SELECT dmesh.create_data_product('sales', 'by_country',
        'SELECT country, count(*) AS n FROM src.orders GROUP BY 1',
        materialize => true, refresh => '1 second');
    SELECT dmesh.publish_data_product('sales.by_country');
    SELECT dmesh.create_data_product('sales', 'orders', 'src.orders');
    SELECT dmesh.publish_data_product('sales.orders');
    SELECT dmesh.set_schedule('sales.orders', "check" => '1 second');
});

# poll_query_until waits minutes; the vulnerable build must fail quickly.
sub wait_for
{
    my ($sql, $secs) = @_;
    my $end = time() + $secs;
    while (time() < $end)
    {
        return 1 if $node->safe_psql('postgres', $sql) eq 't';
        select(undef, undef, undef, 0.25);
    }
    return 0;
}

my $checks_sql = q{SELECT count(*) FROM dmesh.quality_run r JOIN dmesh.data_product p USING (product_id)
                    WHERE p.name = 'orders'};
ok($node->poll_query_until('postgres', "SELECT ($checks_sql) >= 1"),
    'the scheduled check of sales.orders runs');

# mallory, with no grant on anything, locks the materialized product's data
# table and keeps her transaction open.
my $mallory = $node->background_psql('postgres', extra_params => ['-U', 'mallory']);
$mallory->query_safe(q{BEGIN});
$mallory->query_safe(q{PREPARE p AS SELECT * FROM dmesh_sales.by_country_data});
$mallory->query_safe(q{PREPARE p2 AS SELECT * FROM dmesh_sales.orders_v1});
is($mallory->query_safe(q{SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid()
                            AND relation = 'dmesh_sales.by_country_data'::regclass}),
   '1', 'mallory holds a lock on the data table without any privilege');

# While she holds it, the other product's check keeps running.
my $before = $node->safe_psql('postgres', $checks_sql);
my $ran = 0;
my $until = time() + 15;
while (!$ran && time() < $until)
{
    sleep 1;
    $ran = $node->safe_psql('postgres', $checks_sql) > $before + 1;
}
ok($ran, 'other products\' scheduled checks go on while a data table is locked');
# It may wait for a lock, but never longer than dmesh.lock_timeout (1 s).
my $stuck = 0;
for (1 .. 8)
{
    $stuck += $node->safe_psql('postgres', q{SELECT count(*) FROM pg_locks l
        JOIN pg_stat_activity a USING (pid)
        WHERE a.backend_type = 'dmesh worker' AND NOT l.granted
          AND l.waitstart < now() - interval '3 s'});
    select(undef, undef, undef, 0.5);
}
is($stuck, 0, 'the worker is not stuck waiting for mallory\'s lock');
# The refresh is put off, not failed: no backoff, the reason recorded.
ok( wait_for(q{SELECT count(*) = 1 FROM dmesh.schedule s
        JOIN dmesh.data_product p USING (product_id)
        WHERE p.name = 'by_country' AND s.failures = 0 AND s.last_error ~ '55P03'}, 10),
    'the refresh that could not get its lock is recorded and retried later');

# grant_access rewrites the published view, on which mallory holds a lock.
my $t0 = time();
my ($ret, $out, $err) = $node->psql('postgres', q{
    SET statement_timeout = '20s';
    \set VERBOSITY verbose
    SET ROLE team;
    SELECT dmesh.grant_access('sales.orders', 'reader');
});
my $took = time() - $t0;
like($err, qr/55P03/, 'grant_access gives up with a lock timeout (55P03), not waiting for ever');
unlike($err, qr/57014|statement timeout/, 'and not by the statement_timeout safety net');
note("grant_access took $took s: $err");

$mallory->query_safe(q{ROLLBACK});
$mallory->quit;

# Once the lock is gone, the refresh and the grant go through.
ok( $node->poll_query_until('postgres', q{SELECT count(*) = 1 FROM dmesh.schedule s
        JOIN dmesh.data_product p USING (product_id)
        WHERE p.name = 'by_country' AND s.failures = 0 AND s.last_refresh_at IS NOT NULL}),
    'the refresh succeeds once the lock is released');

$node->stop;
done_testing();
