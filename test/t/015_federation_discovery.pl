# Federated discovery: a consumer database (hub) with two peers (east and
# west, each a node of its own with its own domains and products), reached
# through postgres_fdw.  add_peer, sync_peer, mesh_marketplace and
# mesh_search find both peers' products; a sync fetches only what changed;
# a product kept local leaves the copy; a stopped peer is unreachable while
# the copy still answers; the background worker syncs on its own.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my %provider;
for my $name ('east', 'west')
{
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dmesh'
dmesh.database = 'mesh'
dmesh.naptime = 1
});
	$node->start;
	$node->safe_psql('postgres', 'CREATE DATABASE mesh');
	$node->safe_psql('mesh', 'CREATE EXTENSION dmesh');
	$provider{$name} = $node;
}

$provider{east}->safe_psql('mesh', q{
    CREATE ROLE sales_team NOLOGIN;
    CREATE SCHEMA src AUTHORIZATION sales_team;
    CREATE TABLE src.orders (id int PRIMARY KEY, amount numeric);
    CREATE TABLE src.returns (id int PRIMARY KEY, reason text);
    ALTER TABLE src.orders OWNER TO sales_team;
    ALTER TABLE src.returns OWNER TO sales_team;
    COMMENT ON COLUMN src.returns.reason IS 'Why the parcel came back';
    SELECT dmesh.create_domain('sales', 'sales_team');
    SELECT dmesh.create_data_product('sales', 'orders', 'src.orders',
             description => 'Customer orders', tags => '{sales}');
    SELECT dmesh.create_data_product('sales', 'returns', 'src.returns',
             description => 'Returned parcels');
    SELECT dmesh.publish_data_product('sales.orders');
    SELECT dmesh.publish_data_product('sales.returns');
});
$provider{west}->safe_psql('mesh', q{
    CREATE ROLE fleet_team NOLOGIN;
    CREATE SCHEMA src AUTHORIZATION fleet_team;
    CREATE TABLE src.vehicles (id int PRIMARY KEY, plate text);
    ALTER TABLE src.vehicles OWNER TO fleet_team;
    SELECT dmesh.create_domain('fleet', 'fleet_team');
    SELECT dmesh.create_data_product('fleet', 'vehicles', 'src.vehicles',
             description => 'Delivery vans and trucks', tags => '{fleet}');
    SELECT dmesh.publish_data_product('fleet.vehicles');
});

# The consumer: its own product, and the two peers.  Its worker does not
# sync peers until told to (dmesh.peer_sync_interval = 0).
my $hub = PostgreSQL::Test::Cluster->new('hub');
$hub->init;
$hub->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dmesh'
dmesh.database = 'mesh'
dmesh.naptime = 1
dmesh.peer_sync_interval = 0
});
$hub->start;
$hub->safe_psql('postgres', 'CREATE DATABASE mesh');
$hub->safe_psql('mesh', q{
    CREATE EXTENSION dmesh;
    CREATE EXTENSION postgres_fdw;
    CREATE ROLE hr_team NOLOGIN;
    CREATE SCHEMA src AUTHORIZATION hr_team;
    CREATE TABLE src.staff (id int PRIMARY KEY);
    ALTER TABLE src.staff OWNER TO hr_team;
    SELECT dmesh.create_domain('hr', 'hr_team');
    SELECT dmesh.create_data_product('hr', 'staff', 'src.staff', description => 'Staff of the orders desk');
    SELECT dmesh.publish_data_product('hr.staff');
});
for my $name ('east', 'west')
{
	my $node = $provider{$name};
	my ($host, $port) = ($node->host, $node->port);
	$hub->safe_psql('mesh', qq{
        CREATE SERVER ${name}_srv FOREIGN DATA WRAPPER postgres_fdw
            OPTIONS (host '$host', port '$port', dbname 'mesh', connect_timeout '3');
        CREATE USER MAPPING FOR CURRENT_USER SERVER ${name}_srv;
    });
	ok($hub->safe_psql('mesh', qq{SELECT dmesh.add_peer('$name', '${name}_srv')}) > 0, "add_peer $name");
}

is( $hub->safe_psql('mesh', q{SELECT string_agg(format('%s %s %s %s %s', peer, status, listed, fetched, changed), ', ' ORDER BY peer)
                                FROM (SELECT s.* FROM dmesh.peer p, dmesh.sync_peer(p.name) s) x}),
    'east ok 2 2 2, west ok 1 1 1', 'first sync: every row fetched');
is( $hub->safe_psql('mesh', q{SELECT string_agg(ref, ', ' ORDER BY peer NULLS FIRST, ref) FROM dmesh.mesh_marketplace}),
    'hr.staff, east:sales.orders, east:sales.returns, west:fleet.vehicles',
    'mesh_marketplace: the local product and both peers\'');
is( $hub->safe_psql('mesh', q{SELECT string_agg(ref, ', ' ORDER BY rank DESC, ref) FROM dmesh.mesh_search('orders')}),
    'east:sales.orders, hr.staff', 'mesh_search over local and remote products');
is( $hub->safe_psql('mesh', q{SELECT ref FROM dmesh.mesh_search('vans')}),
    'west:fleet.vehicles', 'mesh_search finds the other peer\'s product');
is( $hub->safe_psql('mesh', q{SELECT ref FROM dmesh.mesh_search('parcel came back')}),
    'east:sales.returns', 'and searches remote column descriptions');
is( $hub->safe_psql('mesh', q{SELECT string_agg(name || ' ' || status, ', ' ORDER BY name) FROM dmesh.peer
                               WHERE last_sync_at IS NOT NULL AND last_error IS NULL}),
    'east ok, west ok', 'dmesh.peer: both synced');

# Incremental: a description changed on east moves only that row.
my $before = $hub->safe_psql('mesh', q{SELECT string_agg(product || '=' || synced_at, ',' ORDER BY product) FROM dmesh.remote_product});
$provider{east}->safe_psql('mesh', q{
    UPDATE dmesh.data_product SET description = 'Customer orders, one row each', updated_at = now()
     WHERE name = 'orders'});
is( $hub->safe_psql('mesh', q{SELECT format('%s %s %s %s %s', status, listed, fetched, changed, removed) FROM dmesh.sync_peer('east')}),
    'ok 2 1 1 0', 'the second sync lists every key, fetches and writes one row');
is( $hub->safe_psql('mesh', q{SELECT description FROM dmesh.remote_product WHERE product = 'orders'}),
    'Customer orders, one row each', 'the new description is in the copy');
my %old = map { split /=/, $_, 2 } split /,/, $before;
my %new = map { split /=/, $_, 2 } split /,/,
  $hub->safe_psql('mesh', q{SELECT string_agg(product || '=' || synced_at, ',' ORDER BY product) FROM dmesh.remote_product});
isnt($new{orders}, $old{orders}, 'synced_at of the changed row moved');
is($new{returns}, $old{returns}, 'synced_at of the unchanged row on the same peer did not');
is($new{vehicles}, $old{vehicles}, 'nor the other peer\'s');
is( $hub->safe_psql('mesh', q{SELECT format('%s %s %s', fetched, changed, removed) FROM dmesh.sync_peer('west')}),
    '0 0 0', 'a peer without changes: nothing fetched');

# Kept local: gone from the copy at the next sync.
$provider{east}->safe_psql('mesh', q{SELECT dmesh.set_mesh_visibility('sales.returns', false)});
is( $hub->safe_psql('mesh', q{SELECT format('%s %s %s %s', listed, fetched, changed, removed) FROM dmesh.sync_peer('east')}),
    '1 0 0 1', 'a product kept local is removed from the copy');
is( $hub->safe_psql('mesh', q{SELECT string_agg(ref, ', ' ORDER BY ref) FROM dmesh.mesh_marketplace WHERE peer = 'east'}),
    'east:sales.orders', 'and from mesh_marketplace');

# A peer that stops: unreachable, the copy kept, search still answers.
my $last_sync = $hub->safe_psql('mesh', q{SELECT last_sync_at FROM dmesh.peer WHERE name = 'east'});
$provider{east}->stop;
like( $hub->safe_psql('mesh', q{SELECT format('%s|%s', status, error) FROM dmesh.sync_peer('east')}),
    qr/^unreachable\|could not connect to server "\.\.\." \(SQLSTATE 08001\)$/,
    'a stopped peer is unreachable; the error names no host');
is( $hub->safe_psql('mesh', q{SELECT format('%s|%s', status, last_sync_at) FROM dmesh.peer WHERE name = 'east'}),
    "unreachable|$last_sync", 'dmesh.peer: unreachable, last_sync_at of the last good sync');
is( $hub->safe_psql('mesh', q{SELECT format('%s|%s', ref, last_sync_at) FROM dmesh.mesh_search('orders') WHERE peer = 'east'}),
    "east:sales.orders|$last_sync", 'mesh_search answers from the copy, with the last sync time');
unlike(slurp_file($hub->logfile), qr/ERROR:.*sync_peer/, 'no error raised by sync_peer');

# The worker: syncs every peer on its own, and a peer that comes back is ok again.
$provider{east}->start;
$provider{west}->safe_psql('mesh', q{
    UPDATE dmesh.data_product SET description = 'Delivery vans', updated_at = now() WHERE name = 'vehicles'});
$hub->safe_psql('mesh', q{ALTER SYSTEM SET dmesh.peer_sync_interval = '1s'; SELECT pg_reload_conf()});
ok( $hub->poll_query_until('mesh',
        q{SELECT description = 'Delivery vans' FROM dmesh.remote_product WHERE product = 'vehicles'}),
    'the worker syncs a peer by itself');
ok( $hub->poll_query_until('mesh', q{SELECT status = 'ok' FROM dmesh.peer WHERE name = 'east'}),
    'and the peer that came back is ok again');
$provider{east}->stop;
ok( $hub->poll_query_until('mesh', q{SELECT status = 'unreachable' FROM dmesh.peer WHERE name = 'east'}),
    'a peer that stops is marked unreachable by the worker');
$provider{west}->safe_psql('mesh', q{
    UPDATE dmesh.data_product SET description = 'Delivery vans and bikes', updated_at = now() WHERE name = 'vehicles'});
ok( $hub->poll_query_until('mesh',
        q{SELECT description = 'Delivery vans and bikes' FROM dmesh.remote_product WHERE product = 'vehicles'}),
    'its failure does not stop the other peer\'s syncs');
is( $hub->safe_psql('mesh', q{SELECT count(*) FROM dmesh.remote_product WHERE peer_id = (SELECT peer_id FROM dmesh.peer WHERE name = 'east')}),
    '1', 'the unreachable peer\'s copy is kept');

# A peer that hangs (its catalog locked): the worker cancels the sync after
# dmesh.peer_sync_timeout, marks the peer unreachable, and syncs it again
# once it answers.
$hub->safe_psql('mesh', q{ALTER SYSTEM SET dmesh.peer_sync_timeout = '1s'; SELECT pg_reload_conf()});
my $locker = $provider{west}->background_psql('mesh');
$locker->query_safe(q{BEGIN});
$locker->query_safe(q{LOCK TABLE dmesh.data_product IN ACCESS EXCLUSIVE MODE});
ok( $hub->poll_query_until('mesh',
        q{SELECT status = 'unreachable' AND last_error = 'canceling statement due to statement timeout (SQLSTATE 57014)'
            FROM dmesh.peer WHERE name = 'west'}),
    'a peer that does not answer: the sync is cancelled after dmesh.peer_sync_timeout');
$locker->query_safe(q{ROLLBACK});
$locker->quit;
ok( $hub->poll_query_until('mesh', q{SELECT status = 'ok' FROM dmesh.peer WHERE name = 'west'}),
    'and synced again once it answers');

# Dropping a peer drops its copy.
$hub->safe_psql('mesh', q{ALTER SYSTEM SET dmesh.peer_sync_interval = 0; SELECT pg_reload_conf()});
$hub->safe_psql('mesh', q{SELECT dmesh.drop_peer('east')});
is( $hub->safe_psql('mesh', q{SELECT string_agg(coalesce(peer, '-'), ',' ORDER BY peer NULLS FIRST) FROM dmesh.mesh_marketplace}),
    '-,west', 'drop_peer: its products leave the mesh marketplace');

done_testing();
