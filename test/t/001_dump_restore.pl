# pg_dump and pg_restore keep the whole mesh: catalogs, sequences,
# published relations, their owners and grants, enforcement triggers,
# quarantined rows and quality results.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'dmesh'");
$node->start;

$node->safe_psql('postgres', q{
    CREATE ROLE "Dump Team" NOLOGIN;
    CREATE ROLE dump_dev LOGIN IN ROLE "Dump Team";
    CREATE ROLE dump_reader LOGIN;
    CREATE ROLE dump_filtered LOGIN;
    CREATE DATABASE src;
});

$node->safe_psql('src', q{
    CREATE EXTENSION dmesh;
    CREATE SCHEMA "Dump Src" AUTHORIZATION "Dump Team";
    SET ROLE "Dump Team";
    CREATE TABLE "Dump Src".orders (id int PRIMARY KEY, amount numeric);
    COMMENT ON COLUMN "Dump Src".orders.amount IS 'Amount in euros';
    INSERT INTO "Dump Src".orders SELECT g, g * 10 FROM generate_series(1, 5) g;
    RESET ROLE;
    SELECT dmesh.create_domain('Dump "Sales"', '"Dump Team"', 'Sales');
    SET ROLE dump_dev;
    SELECT dmesh.create_data_product('Dump "Sales"', 'orders', '"Dump Src".orders',
                                     'Orders', tags => ARRAY['finance']);
    SELECT dmesh.create_data_product('Dump "Sales"', 'big',
                                     'SELECT id FROM "Dump Src".orders WHERE amount > 20');
    SELECT dmesh.create_data_product('Dump "Sales"', 'draft', '"Dump Src".orders');
    SELECT dmesh.create_data_product('Dump "Sales"', 'old', '"Dump Src".orders');
    SELECT dmesh.publish_data_product('Dump "Sales".orders');
    SELECT dmesh.publish_data_product('Dump "Sales".big');
    SELECT dmesh.publish_data_product('Dump "Sales".old');
    SELECT dmesh.grant_access('Dump "Sales".orders', 'dump_reader');
    SELECT dmesh.grant_access('Dump "Sales".orders', 'dump_filtered', row_filter => 'amount >= 40');
    SELECT dmesh.deprecate_data_product('Dump "Sales".big', 'Use orders', '2999-01-01');
    SELECT dmesh.retire_data_product('Dump "Sales".old');
    SELECT dmesh.set_contract('Dump "Sales".draft',
           jsonb_set(jsonb_set(dmesh.derive_contract('Dump "Sales".draft'), '{version}', '"1.1.0"'),
                     '{schema,0,properties,1,logicalTypeOptions}', '{"maximum": 100}'));
    SELECT count(*) FROM dmesh.enforce_contract('Dump "Sales".draft', 'quarantine');
    INSERT INTO "Dump Src".orders VALUES (6, 60), (7, 700);
    SELECT count(*) FROM dmesh.check_product('Dump "Sales".draft');
});

# Lineage: a view on a published view, a CREATE TABLE AS, and a dropped
# view whose edges are history.
$node->safe_psql('src', q{
    CREATE SCHEMA lin;
    CREATE VIEW lin.big_orders AS SELECT id, amount * 2 AS doubled FROM "dmesh_Dump ""Sales""".orders_v1 WHERE amount > 20;
    CREATE TABLE lin.copy AS SELECT id, amount FROM "Dump Src".orders;
    CREATE VIEW lin.gone AS SELECT id FROM "Dump Src".orders;
    DROP VIEW lin.gone;
});

my $dump = $node->basedir . '/mesh.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('src') ],
    'pg_dump of a database with a mesh');
$node->safe_psql('postgres', 'CREATE DATABASE dst');
$node->command_ok(
    [ 'pg_restore', '--exit-on-error', '-d', $node->connstr('dst'), $dump ],
    'pg_restore of the mesh into an empty database');

# Every catalog table comes back row for row, timestamps included.  (The
# restore's own DDL on the products' tables, such as their indexes and
# triggers, is audited in the restored database as new 'ddl' events.)
my $last_event = $node->safe_psql('src', 'SELECT max(event_id) FROM dmesh.event_log');
for my $table (qw(domain data_product output_port access_grant event_log contract
                   quality_run quality_result quarantined_row rule_violation_log usage_daily lineage_run))
{
    my $q = "SELECT * FROM dmesh.$table ORDER BY 1";
    $q = "SELECT * FROM dmesh.event_log WHERE event_id <= $last_event ORDER BY 1" if $table eq 'event_log';
    is($node->safe_psql('dst', $q), $node->safe_psql('src', $q),
        "dmesh.$table is identical after restore");
}
is( $node->safe_psql('dst',
        "SELECT count(*) FROM dmesh.event_log WHERE event_id > $last_event AND action <> 'ddl'"),
    '0', 'the restore adds only audit events of its DDL');
# Lineage: the same edges, open and closed (ids and times of open view
# edges are those of the restore).
my $lq = q{SELECT source, source_column, target, target_column, kind, dependency, subtype,
                  closed_at IS NULL FROM dmesh.lineage_graph ORDER BY 1, 2, 3, 4, 5, 6, 7, 8};
is($node->safe_psql('dst', $lq), $node->safe_psql('src', $lq), 'lineage is identical after restore');
like($node->safe_psql('dst', $lq), qr/lin\.copy/, 'CREATE TABLE AS lineage is restored');
like($node->safe_psql('dst', $lq), qr/lin\.gone\|\|view\|direct\|\|f/, 'closed lineage is restored');
is( $node->safe_psql('dst', q{SELECT count(*) FROM dmesh.lineage_edge GROUP BY edge_id HAVING count(*) > 1}),
    '', 'edge ids stay unique');
my $mq = q{SELECT domain, product, status, version,
                  (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', '
                                     ORDER BY a.attnum)
                     FROM pg_attribute a
                    WHERE a.attrelid = m.relation AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
                  relation::text, tags
             FROM dmesh.marketplace m ORDER BY 1, 2};
is($node->safe_psql('dst', $mq), $node->safe_psql('src', $mq), 'marketplace is identical after restore');
isnt($node->safe_psql('dst', $mq), '', 'marketplace is not empty');

# The published relations keep their owner and grants.
is( $node->safe_psql('dst',
        q{SELECT relowner::regrole FROM pg_class WHERE oid = dmesh.product_relation('Dump "Sales".orders')}),
    '"Dump Team"', 'published relation keeps its owner');
is( $node->safe_psql('dst',
        q{SET ROLE dump_reader; SELECT sum(amount) FROM "dmesh_Dump ""Sales""".orders_v1}),
    '210', 'granted consumer reads the restored product (row 7 was quarantined)');
my ($ret, $out, $err) = $node->psql('dst',
    q{SET ROLE dump_reader; SELECT * FROM "dmesh_Dump ""Sales""".big_v1});
like($err, qr/permission denied/, 'ungranted consumer is still refused');

# Enforcement comes back with the source table's triggers.
is($node->safe_psql('dst', q{SELECT product || ':' || mode FROM dmesh.enforcement}),
    'draft:quarantine', 'enforcement is restored');
$node->safe_psql('dst', q{INSERT INTO "Dump Src".orders VALUES (8, 800), (9, 90)});
is( $node->safe_psql('dst',
        q{SELECT string_agg(row_data->>'id', ',' ORDER BY quarantine_id) FROM dmesh.quarantine}),
    '7,8', 'the restored trigger quarantines, next to the restored quarantine');

# The restored mesh keeps working: the source regclass resolves, sequences
# continue, events are appended.
$node->safe_psql('dst', q{
    SET ROLE dump_dev;
    SELECT dmesh.publish_data_product('Dump "Sales".draft');
    SELECT dmesh.create_data_product('Dump "Sales"', 'fresh', '"Dump Src".orders');
    SELECT dmesh.revoke_access('Dump "Sales".orders', 'dump_reader');
});
is( $node->safe_psql('dst',
        q{SELECT count(*) FROM dmesh.data_product WHERE product_id > (SELECT max(product_id) FROM dmesh.data_product WHERE name <> 'fresh')}),
    '1', 'new product gets a fresh id');
($ret, $out, $err) = $node->psql('dst',
    q{SET ROLE dump_reader; SELECT * FROM "dmesh_Dump ""Sales""".orders_v1});
like($err, qr/permission denied/, 'revoke works on the restored product');

# Into another cluster whose roles have other oids: each agreement stays
# with its role, because the published views keep roles by name.
my $other = PostgreSQL::Test::Cluster->new('other');
$other->init;
$other->append_conf('postgresql.conf', "shared_preload_libraries = 'dmesh'");
$other->start;
$other->safe_psql('postgres', q{
    CREATE ROLE shift_1; CREATE ROLE shift_2; CREATE ROLE shift_3; CREATE ROLE shift_4; CREATE ROLE shift_5;
    CREATE ROLE dump_filtered LOGIN;
    CREATE ROLE dump_reader LOGIN;
    CREATE ROLE "Dump Team" NOLOGIN;
    CREATE ROLE dump_dev LOGIN IN ROLE "Dump Team";
    CREATE DATABASE dst;
});
isnt( $other->safe_psql('postgres', q{SELECT 'dump_filtered'::regrole::oid}),
      $node->safe_psql('postgres', q{SELECT 'dump_filtered'::regrole::oid}),
      'the other cluster gives the roles other oids');
$other->command_ok(
    [ 'pg_restore', '--exit-on-error', '-d', $other->connstr('dst'), $dump ],
    'pg_restore of the mesh into another cluster');
is( $other->safe_psql('dst',
        q{SET ROLE dump_filtered; SELECT string_agg(id::text, ',' ORDER BY id) FROM "dmesh_Dump ""Sales""".orders_v1}),
    '4,5,6', 'the filtered consumer sees its own rows in the other cluster');
is( $other->safe_psql('dst',
        q{SET ROLE dump_reader; SELECT count(*) FROM "dmesh_Dump ""Sales""".orders_v1}),
    '6', 'the unfiltered consumer sees every row in the other cluster');
$other->stop;

$node->stop;
done_testing();
