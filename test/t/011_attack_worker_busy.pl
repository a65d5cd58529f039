# Issue 12, M-section (not attacker-made): with dmesh.schedule empty (the
# default), next_due returns greatest(0, NULL) = 0 and the worker wakes
# every few milliseconds; an open freshness incident counts one more
# occurrence at every wake-up (thousands in minutes), each round
# rescanning sources.
# Fixed: with nothing scheduled the worker sleeps dmesh.naptime; an
# incident's occurrences counts checks (about one per naptime), not
# wake-ups.  These assertions describe the fixed behaviour; on the
# vulnerable build they fail.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('attack_busy');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dmesh'
dmesh.database = 'postgres'
dmesh.naptime = 2
});
$node->start;

$node->safe_psql('postgres', q{
    CREATE EXTENSION dmesh;
    CREATE ROLE team NOLOGIN;
    CREATE SCHEMA src AUTHORIZATION team;
    SELECT dmesh.create_domain('sales', 'team');
    SET ROLE team;
    CREATE TABLE src.orders (id int, at timestamptz);
    INSERT INTO src.orders VALUES (1, now() - interval '2 days');
    SELECT dmesh.create_data_product('sales', 'orders', 'src.orders', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: orders
version: 1.0.0
status: active
schema:
  - name: orders
    properties:
      - {name: id, logicalType: integer}
      - {name: at, logicalType: timestamp}
slaProperties:
  - {property: freshness, value: 1, unit: h, element: orders.at}
$y$);
    SELECT dmesh.publish_data_product('sales.orders');
});
is( $node->safe_psql('postgres',
        q{SELECT count(*) FROM dmesh.schedule WHERE check_every IS NOT NULL OR refresh_every IS NOT NULL}),
    '0', 'nothing is scheduled');

ok( $node->poll_query_until('postgres',
        q{SELECT count(*) = 1 FROM dmesh.incident WHERE kind = 'freshness' AND resolved_at IS NULL}),
    'stale data opens a freshness incident');
my $first = $node->safe_psql('postgres',
    q{SELECT occurrences FROM dmesh.incident WHERE kind = 'freshness' AND resolved_at IS NULL});
sleep 6;
my $later = $node->safe_psql('postgres',
    q{SELECT occurrences FROM dmesh.incident WHERE kind = 'freshness' AND resolved_at IS NULL});
my $delta = $later - $first;
note("occurrences grew by $delta in 6 s with dmesh.naptime = 2");
cmp_ok($delta, '<=', 6, 'with an empty schedule the worker sleeps naptime: occurrences count checks, not wake-ups');

$node->stop;
done_testing();
