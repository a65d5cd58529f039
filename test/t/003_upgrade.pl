# From dmesh 0.1.0 to the current version (through every update script),
# with a mesh built by 0.1.0 (fixtures/mesh-0.1.0.sql, a pg_dump of it):
#  - in place: restored as version 0.1.0, dmesh refuses to run until
#    ALTER EXTENSION dmesh UPDATE, which gives every product a contract
#    describing what consumers see today;
#  - by restoring the old dump into the current version: products without a contract get
#    one on first use (a safety net; restore into 0.1.0, then update).
# Either way the mesh keeps working and the DDL gate protects it.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('upgrade');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'dmesh'");
$node->start;

my $current = $node->safe_psql('postgres',
	q{SELECT default_version FROM pg_available_extensions WHERE name = 'dmesh'});
my $dump = slurp_file("$ENV{TESTDIR}/test/t/fixtures/mesh-0.1.0.sql");
(my $dump_010 = $dump) =~
  s/CREATE EXTENSION IF NOT EXISTS dmesh WITH SCHEMA dmesh;/CREATE EXTENSION dmesh WITH SCHEMA dmesh VERSION '0.1.0';/
  or die "fixture has no CREATE EXTENSION dmesh";

$node->safe_psql('postgres', q{
    CREATE ROLE up_team NOLOGIN;
    CREATE ROLE up_reader LOGIN;
    CREATE DATABASE inplace;
    CREATE DATABASE restored;
});

sub check_mesh
{
	my ($db, $how) = @_;

	is( $node->safe_psql($db, q{
            SELECT string_agg(p.name || ':' || c.version || ':' || c.derived, ',' ORDER BY p.name)
              FROM dmesh.data_product p JOIN dmesh.contract c USING (product_id)}),
		'draft:1.0.0:true,old:1.0.0:true,orders:1.0.0:true,totals:1.0.0:true',
		"$how: every product has a derived contract 1.0.0");
	is( $node->safe_psql($db, q{
            SELECT string_agg(prop->>'name' || ':' || coalesce(prop->>'description', '-'), ',')
              FROM dmesh.contract c JOIN dmesh.data_product p USING (product_id),
                   jsonb_array_elements(c.document->'schema'->0->'properties') prop
             WHERE p.name = 'orders'}),
		'id:-,amount:Order total,note:-',
		"$how: a published product's contract describes its published columns");
	is( $node->safe_psql($db, q{
            SELECT string_agg(prop->>'name', ',')
              FROM dmesh.contract c JOIN dmesh.data_product p USING (product_id),
                   jsonb_array_elements(c.document->'schema'->0->'properties') prop
             WHERE p.name = 'draft'}),
		'id,amount,note,later', "$how: a draft's contract describes its source");
	is($node->safe_psql($db, q{SELECT count(*) FROM dmesh.contract_check('up.orders')}),
		'0', "$how: the published product matches its contract");
	is( $node->safe_psql($db, 'SET ROLE up_reader; SELECT sum(amount) FROM dmesh_up.orders_v1'),
		'30', "$how: the consumer still reads the product");
	$node->safe_psql($db, 'SELECT dmesh._rewrite_views()');
	is( $node->safe_psql($db, 'SET ROLE up_reader; SELECT sum(amount) FROM dmesh_up.orders_v1'),
		'30', "$how: rewritten as a security barrier, the view reads the same");
	is( $node->safe_psql($db, q{SELECT reloptions::text FROM pg_class WHERE oid = 'dmesh_up.orders_v1'::regclass}),
		'{security_barrier=true}', "$how: the published view is a security barrier");
	is( $node->safe_psql($db,
			q{SELECT status || ':' || contract_status FROM dmesh.marketplace WHERE product = 'totals'}),
		'deprecated:active', "$how: the marketplace shows deprecation and contract status");

	my ($rc, $out, $err) = $node->psql($db, 'ALTER TABLE up_src.orders DROP COLUMN note CASCADE');
	like($err, qr/data product "up\.orders" publishes it/,
		"$how: the DDL gate refuses to drop a published column");
	($rc, $out, $err) = $node->psql($db, 'ALTER TABLE up_src.orders DROP COLUMN later');
	is($rc, 0, "$how: an unpublished column can be dropped");

	$node->safe_psql($db, q{
        SET ROLE up_team;
        SELECT dmesh.set_contract('up.orders',
               jsonb_set(dmesh.derive_contract('up.orders', true), '{version}', '"1.1.0"'));
    });
	is( $node->safe_psql($db,
			q{SELECT count(*) FROM dmesh.contract_diff('up.orders', '1.0.0', '1.1.0') WHERE severity = 'breaking'}),
		'0', "$how: an old product takes a new contract version");

	# Quality rules on an upgraded mesh.
	$node->safe_psql($db, q{
        SELECT dmesh.set_contract('up.orders',
               jsonb_set(jsonb_set(dmesh.derive_contract('up.orders', true), '{version}', '"1.2.0"'),
                         '{schema,0,quality}', '[{"metric": "rowCount", "mustBeGreaterThan": 0},
                                                 {"metric": "duplicateValues", "mustBe": 0, "arguments": {"properties": ["id"]}}]'));
    });
	is( $node->safe_psql($db, q{
            SELECT string_agg(rule || ':' || passed || ':' || observed, ',')
              FROM dmesh.check_product('up.orders')}),
		'rowCount:true:2,duplicateValues:true:0', "$how: the new rules are checked and pass on the old data");
	is( $node->safe_psql($db, q{SELECT score FROM dmesh.quality_score WHERE product = 'orders'}),
		'100.0', "$how: the quality score is recorded");
}

# In place.
$node->safe_psql('inplace', $dump_010);
is($node->safe_psql('inplace', q{SELECT extversion FROM pg_extension WHERE extname = 'dmesh'}),
	'0.1.0', 'the mesh is restored at version 0.1.0');
my ($rc, $out, $err) = $node->psql('inplace', q{SELECT dmesh.product_relation('up.orders')});
like($err, qr/dmesh library version \Q$current\E cannot work with extension version 0\.1\.0/,
	'before the update, dmesh says what to do');
like($err, qr/ALTER EXTENSION dmesh UPDATE/, 'and how');
$node->safe_psql('inplace', 'ALTER EXTENSION dmesh UPDATE');
is($node->safe_psql('inplace', q{SELECT extversion FROM pg_extension WHERE extname = 'dmesh'}),
	$current, "updated to $current");
check_mesh('inplace', 'in place');

# Restoring the 0.1.0 dump straight into the current version (the README says to create
# the extension at the dump's version first; this is the safety net).
$node->safe_psql('restored', $dump);
ok( $node->safe_psql('restored', q{SELECT count(*) FROM dmesh.contract}) < 4,
	'an old dump brings no contracts');
is( $node->safe_psql('restored', q{
        SELECT count(dmesh.contract_yaml(d.name || '.' || p.name))
          FROM dmesh.data_product p JOIN dmesh.domain d USING (domain_id)}),
	'4', 'each product gets its contract on first use');
check_mesh('restored', 'restored');

$node->stop;
done_testing();
