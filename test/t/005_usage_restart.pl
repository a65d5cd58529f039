# Usage counters live in shared memory: a clean restart keeps them (the
# postmaster writes them to pg_stat/dmesh_usage.stat and reads them back), a
# crash loses what was not flushed, never what was.  When the table is full
# (dmesh.usage_max_entries), new pairs are dropped, counted, and logged once
# until a flush frees entries.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('usage');
$node->init;
$node->append_conf('postgresql.conf',
    "shared_preload_libraries = 'dmesh'\ndmesh.usage_max_entries = 100\nrestart_after_crash = on\n"
      . "dmesh.worker_enabled = off");    # no flush but the test's own
$node->start;

$node->safe_psql('postgres', q{
    CREATE EXTENSION dmesh;
    CREATE ROLE team NOLOGIN;
    CREATE ROLE reader NOLOGIN;
    CREATE TABLE public.orders (id int PRIMARY KEY, amount numeric);
    INSERT INTO public.orders SELECT g, g FROM generate_series(1, 10) g;
    ALTER TABLE public.orders OWNER TO team;
    SELECT dmesh.create_domain('sales', 'team');
    SELECT dmesh.create_data_product('sales', 'orders', 'public.orders');
    SELECT dmesh.publish_data_product('sales.orders');
    SELECT dmesh.grant_access('sales.orders', 'reader');
    SELECT dmesh.flush_usage();
});
my $read = 'SET ROLE reader; SELECT count(*) FROM dmesh_sales.orders_v1';
my $queries = q{SELECT coalesce(sum(queries), 0) FROM dmesh.usage WHERE product = 'sales.orders'};

$node->safe_psql('postgres', $read) for 1 .. 3;
$node->restart;    # fast shutdown
ok(!-e $node->data_dir . '/pg_stat/dmesh_usage.stat', 'the saved counters were read back and the file removed');
$node->safe_psql('postgres', 'SELECT dmesh.flush_usage()');
is($node->safe_psql('postgres', $queries), '3', 'a clean restart keeps unflushed counts');

$node->safe_psql('postgres', $read) for 1 .. 2;
$node->safe_psql('postgres', 'SELECT dmesh.flush_usage()');
$node->safe_psql('postgres', $read);
# A crash: a server process killed, the postmaster reinitializes shared memory.
my $victim = $node->safe_psql('postgres',
    q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'});
kill 'KILL', $victim;
$node->poll_query_until('postgres',
    q{SELECT pid <> } . $victim . q{ FROM pg_stat_activity WHERE backend_type = 'checkpointer'})
  or die 'the server did not come back after the crash';
$node->safe_psql('postgres', 'SELECT dmesh.flush_usage()');
is($node->safe_psql('postgres', $queries), '5',
    'a crash loses the unflushed read, keeps the flushed ones');

# Fill the table: 120 writes from 120 different tables (100 entries).
$node->safe_psql('postgres', q{
    CREATE TABLE target (id int);
    DO $$ BEGIN
      FOR i IN 1 .. 120 LOOP
        EXECUTE format('CREATE TABLE src_%s (id int); INSERT INTO src_%s VALUES (1);', i, i);
        EXECUTE format('INSERT INTO target SELECT id FROM src_%s', i);
      END LOOP;
    END $$;
});
my ($enabled, $entries, $max, $dropped) = split /\|/,
    $node->safe_psql('postgres', 'SELECT enabled, entries, max_entries, dropped FROM dmesh.usage_status()');
is($max, '100', 'the table has the configured size');
ok($entries <= 100 && $entries >= 90, "the table is full ($entries entries)");
ok($dropped >= 20, "counts that did not fit are dropped and counted ($dropped)");
my $log = slurp_file($node->logfile);
my @full = ($log =~ /dmesh usage table is full/g);
is(scalar(@full), 1, 'the full table is logged once');

# A flush frees the entries: new pairs are counted again.
$node->safe_psql('postgres', 'SELECT dmesh.flush_usage()');
($enabled, $entries) = split /\|/, $node->safe_psql('postgres', 'SELECT enabled, entries FROM dmesh.usage_status()');
is($entries, '0', 'a flush empties the table');
cmp_ok($node->safe_psql('postgres', q{SELECT count(*) FROM dmesh.lineage_run WHERE target = 'public.target'}),
    '>=', 90, 'what fitted was flushed into dmesh.lineage_run');
$node->safe_psql('postgres', 'INSERT INTO target SELECT id FROM src_120');
$node->safe_psql('postgres', 'SELECT dmesh.flush_usage()');
is($node->safe_psql('postgres',
        q{SELECT statements FROM dmesh.lineage_run WHERE source = 'public.src_120' AND target = 'public.target'}),
    '1', 'after the flush a new pair is counted');

$node->stop;
done_testing();
