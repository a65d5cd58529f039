# The background workers: a launcher and one worker per database in
# dmesh.database.  They flush usage, run scheduled quality checks, watch
# freshness, open and resolve incidents (with NOTIFY dmesh_incident),
# survive kill -9 and restarts, and do nothing when disabled.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('worker');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dmesh'
dmesh.database = 'postgres, nomesh'
dmesh.naptime = 1
restart_after_crash = on
});
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE nomesh');

$node->safe_psql('postgres', q{
    CREATE EXTENSION dmesh;
    CREATE ROLE team NOLOGIN;
    CREATE ROLE reader NOLOGIN;
    CREATE TABLE public.orders (id int PRIMARY KEY, amount numeric, at timestamptz);
    INSERT INTO public.orders VALUES (1, 10, now()), (2, 20, now());
    ALTER TABLE public.orders OWNER TO team;
    SELECT dmesh.create_domain('sales', 'team');
    SELECT dmesh.create_data_product('sales', 'orders', 'public.orders', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: orders
version: 1.0.0
status: active
schema:
  - name: orders
    properties:
      - {name: id, logicalType: integer}
      - {name: amount, logicalType: number, logicalTypeOptions: {minimum: 0}}
      - {name: at, logicalType: timestamp}
slaProperties:
  - {property: freshness, value: 1, unit: h, element: orders.at}
$y$);
    SELECT dmesh.publish_data_product('sales.orders');
    SELECT dmesh.grant_access('sales.orders', 'reader');
});

# The workers run and show themselves.
$node->poll_query_until('postgres',
    q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'dmesh worker' AND datname = 'postgres'
        AND state IS NOT NULL})
  or die 'no dmesh worker for postgres';
is( $node->safe_psql('postgres',
        q{SELECT application_name FROM pg_stat_activity WHERE backend_type = 'dmesh worker' AND datname = 'postgres'}),
    'dmesh worker', 'the worker names itself in pg_stat_activity');
is( $node->safe_psql('postgres', q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dmesh launcher'}),
    '1', 'one launcher');
ok( $node->poll_query_until('postgres',
        q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'dmesh worker' AND datname = 'nomesh'}),
    'a worker waits in a database without dmesh');
sleep 3;
my @skips = (slurp_file($node->logfile) =~ /database "nomesh" has no dmesh extension/g);
is(scalar(@skips), 1, 'and says so once');

# Usage is flushed without anyone calling flush_usage.
$node->safe_psql('postgres', 'SET ROLE reader; SELECT count(*) FROM dmesh_sales.orders_v1');
ok( $node->poll_query_until('postgres',
        q{SELECT queries = 1 FROM dmesh.usage WHERE product = 'sales.orders' AND consumer = 'reader'}),
    'the worker flushes usage');

# Scheduled checks: a failing error rule opens a quality incident (NOTIFY),
# a passing check resolves it.
$node->safe_psql('postgres', q{SELECT dmesh.set_schedule('sales.orders', "check" => '1 second')});
ok($node->poll_query_until('postgres', q{SELECT count(*) >= 1 FROM dmesh.quality_run}),
    'the scheduled check runs');
$node->safe_psql('postgres', q{INSERT INTO public.orders VALUES (3, -5, now())});
ok( $node->poll_query_until('postgres',
        q{SELECT count(*) = 1 FROM dmesh.incident WHERE kind = 'quality' AND resolved_at IS NULL}),
    'a failing check opens a quality incident');
ok( $node->poll_query_until('postgres',
        q{SELECT occurrences > 1 FROM dmesh.incident WHERE kind = 'quality' AND resolved_at IS NULL}),
    'repeats count as occurrences, not new incidents');
is($node->safe_psql('postgres', q{SELECT count(*) FROM dmesh.incident WHERE kind = 'quality'}),
    '1', 'one incident per product and kind');
is( $node->safe_psql('postgres',
        q{SELECT status FROM dmesh.product_health WHERE product = 'orders'}),
    'failing', 'product_health shows it');
$node->safe_psql('postgres', q{DELETE FROM public.orders WHERE id = 3});
ok( $node->poll_query_until('postgres',
        q{SELECT count(*) = 0 FROM dmesh.incident WHERE kind = 'quality' AND resolved_at IS NULL}),
    'a passing check resolves it');

# Freshness: data older than the SLA opens an incident, fresh data resolves it.
$node->safe_psql('postgres', q{UPDATE public.orders SET at = now() - interval '2 hours'});
ok( $node->poll_query_until('postgres',
        q{SELECT count(*) = 1 FROM dmesh.incident WHERE kind = 'freshness' AND resolved_at IS NULL}),
    'stale data opens a freshness incident');
$node->safe_psql('postgres', q{INSERT INTO public.orders VALUES (4, 40, now())});
ok( $node->poll_query_until('postgres',
        q{SELECT count(*) = 0 FROM dmesh.incident WHERE kind = 'freshness' AND resolved_at IS NULL}),
    'fresh data resolves it');

# A source that departs from its contract (gate set to warn) has a
# contract_breach incident until they agree again.
$node->safe_psql('postgres', q{
    SELECT dmesh.set_contract_gate('sales.orders', 'warn');
    SET client_min_messages = error;
    ALTER TABLE public.orders RENAME COLUMN amount TO amount_eur;
});
ok( $node->poll_query_until('postgres',
        q{SELECT count(*) = 1 FROM dmesh.incident WHERE kind = 'contract_breach' AND resolved_at IS NULL}),
    'a departure from the contract opens a contract_breach incident');
$node->safe_psql('postgres', q{
    ALTER TABLE public.orders RENAME COLUMN amount_eur TO amount;
    SELECT dmesh.set_contract_gate('sales.orders', 'enforce');
});
ok( $node->poll_query_until('postgres',
        q{SELECT count(*) = 0 FROM dmesh.incident WHERE kind = 'contract_breach' AND resolved_at IS NULL}),
    'agreeing again resolves it');

# NOTIFY on open and resolve.
my ($rc, $out, $err) = $node->psql('postgres', q{
    LISTEN dmesh_incident;
    SELECT dmesh._incident(product_id, 'contract_breach', true, '{"why": "test"}') FROM dmesh.data_product;
    SELECT dmesh._incident(product_id, 'contract_breach', false) FROM dmesh.data_product;
});
my ($opened) = $out =~ /("dmesh_incident" with payload "\{[^\n]*"event": "opened"[^\n]*)/;
ok(defined $opened && $opened =~ /"kind": "contract_breach"/ && $opened =~ /"product": "sales.orders"/
     && $opened =~ /"incident_id": \d+/,
    'opening notifies dmesh_incident with a jsonb payload');
ok(defined $opened && $opened !~ /"detail"|why/,
    'the payload carries no detail (any role may listen; the detail is in dmesh.incident)');
like($out, qr/"dmesh_incident" with payload "\{.*"event": "resolved"/, 'resolving notifies too');

# A job that fails is recorded, retried with backoff, and the worker goes on.
$node->safe_psql('postgres', q{REVOKE SELECT ON public.orders FROM team});
ok( $node->poll_query_until('postgres',
        q{SELECT failures >= 1 AND last_error LIKE '%permission denied%' FROM dmesh.schedule}),
    'a failing check is recorded in dmesh.schedule');
$node->safe_psql('postgres', q{GRANT SELECT ON public.orders TO team});
ok($node->poll_query_until('postgres', q{SELECT failures = 0 FROM dmesh.schedule}),
    'the retried check succeeds and clears the failures');

# A materialized product with refresh => '1 second' is refreshed by the
# worker: consumers see new rows within seconds; a build that breaks a rule
# is not published (a quality incident), and good data publishes again.
$node->safe_psql('postgres', q{
    SELECT dmesh.create_data_product('sales', 'big', 'SELECT id, amount FROM public.orders WHERE amount >= 20',
      materialize => true, refresh => '1 second', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: big
version: 1.0.0
status: active
schema:
  - name: big
    properties:
      - {name: id, logicalType: integer}
      - {name: amount, logicalType: number, logicalTypeOptions: {maximum: 1000}}
$y$);
    SELECT dmesh.publish_data_product('sales.big');
    SELECT dmesh.grant_access('sales.big', 'reader');
});
my $big = q{SET ROLE reader; SELECT count(*) FROM dmesh_sales.big_v1};
my $before = $node->safe_psql('postgres', $big);
$node->safe_psql('postgres', q{INSERT INTO public.orders VALUES (100, 100, now()), (101, 101, now())});
ok($node->poll_query_until('postgres', q{SELECT count(*) FROM dmesh_sales.big_v1}, $before + 2),
    'the worker refreshes the product');
is($node->safe_psql('postgres', $big), $before + 2, 'consumers see the new rows');
$node->safe_psql('postgres', q{INSERT INTO public.orders VALUES (102, 5000, now())});
ok( $node->poll_query_until('postgres',
        q{SELECT count(*) = 1 FROM dmesh.incident i JOIN dmesh.data_product p USING (product_id)
           WHERE p.name = 'big' AND i.kind = 'quality' AND i.resolved_at IS NULL}),
    'a refresh that breaks a rule opens a quality incident');
is($node->safe_psql('postgres', $big), $before + 2, 'and consumers keep the last good rows');
$node->safe_psql('postgres', q{DELETE FROM public.orders WHERE id = 102});
ok( $node->poll_query_until('postgres',
        q{SELECT count(*) = 0 FROM dmesh.incident i JOIN dmesh.data_product p USING (product_id)
           WHERE p.name = 'big' AND i.kind = 'quality' AND i.resolved_at IS NULL}),
    'good data again resolves it');

# kill -9 of the worker: everything restarts, the worker too.
my $pid = $node->safe_psql('postgres',
    q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'dmesh worker' AND datname = 'postgres'});
kill 'KILL', $pid;
ok( $node->poll_query_until('postgres',
        qq{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'dmesh worker'
             AND datname = 'postgres' AND pid <> $pid}),
    'after kill -9 the worker is back');
my $runs = $node->safe_psql('postgres', 'SELECT count(*) FROM dmesh.quality_run');
ok($node->poll_query_until('postgres', "SELECT count(*) > $runs FROM dmesh.quality_run"),
    'and the schedule goes on');

# A restart keeps schedules and incidents.
$node->safe_psql('postgres', q{UPDATE public.orders SET at = now() - interval '3 hours'});
$node->poll_query_until('postgres',
    q{SELECT count(*) = 1 FROM dmesh.incident WHERE kind = 'freshness' AND resolved_at IS NULL})
  or die 'no freshness incident';
$node->restart;
is( $node->safe_psql('postgres',
        q{SELECT string_agg(coalesce(check_every::text, '-') || '/' || coalesce(refresh_every::text, '-'), ','
                            ORDER BY product_id) FROM dmesh.schedule}),
    '00:00:01/-,-/00:00:01', 'the schedules survive a restart');
is( $node->safe_psql('postgres',
        q{SELECT count(*) FROM dmesh.incident WHERE kind = 'freshness' AND resolved_at IS NULL}),
    '1', 'the open incident survives a restart');

# Disabled: the workers stop and nothing runs.
$node->safe_psql('postgres', q{ALTER SYSTEM SET dmesh.worker_enabled = off; SELECT pg_reload_conf()});
ok( $node->poll_query_until('postgres',
        q{SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'dmesh worker'}),
    'with dmesh.worker_enabled = off the workers stop');
$runs = $node->safe_psql('postgres', 'SELECT count(*) FROM dmesh.quality_run');
sleep 3;
is($node->safe_psql('postgres', 'SELECT count(*) FROM dmesh.quality_run'), $runs,
    'and no check runs');
$node->safe_psql('postgres', q{ALTER SYSTEM SET dmesh.worker_enabled = on; SELECT pg_reload_conf()});
ok( $node->poll_query_until('postgres',
        q{SELECT count(*) = 2 FROM pg_stat_activity WHERE backend_type = 'dmesh worker'}),
    'turned on again, the workers are back');

$node->stop;
done_testing();
