# Subscriptions to a peer's data product (issue 18): two nodes, a provider
# publishing sales.orders with an agreement (row filter, mask) for the role
# the consumer's user mapping uses, and a consumer that subscribes live.
# The consumer reads the filtered, masked rows; a new major on the provider
# opens an upstream_change incident (NOTIFY) while the pinned relation still
# reads; the provider's usage and contract_diff name the remote role; the
# consumer's lineage starts at hq:sales.orders; the worker checks
# subscriptions; a stopped provider fails the read clearly and marks the
# subscription unreachable.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $provider = PostgreSQL::Test::Cluster->new('provider');
$provider->init;
$provider->append_conf('postgresql.conf', "shared_preload_libraries = 'dmesh'\n");
$provider->start;

my $consumer = PostgreSQL::Test::Cluster->new('consumer');
$consumer->init;
$consumer->append_conf('postgresql.conf', "shared_preload_libraries = 'dmesh'\n");
$consumer->start;

$provider->safe_psql('postgres', q{
    CREATE EXTENSION dmesh;
    CREATE ROLE sales_team NOLOGIN;
    CREATE ROLE remote_reader LOGIN;
    SELECT dmesh.create_domain('sales', 'sales_team');
    CREATE SCHEMA sales_src AUTHORIZATION sales_team;
    SET ROLE sales_team;
    CREATE TABLE sales_src.orders (id int PRIMARY KEY, region text NOT NULL, email text, amount numeric(10,2));
    INSERT INTO sales_src.orders VALUES (1, 'eu', 'a@x.org', 10), (2, 'us', 'b@x.org', 20), (3, 'eu', 'c@x.org', 30);
    SELECT dmesh.create_data_product('sales', 'orders', 'sales_src.orders', 'Orders', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: sales-orders
version: 1.0.0
status: active
schema:
  - name: orders
    properties:
      - {name: id, logicalType: integer}
      - {name: region, logicalType: string}
      - {name: email, logicalType: string, classification: pii}
      - {name: amount, logicalType: number}
$y$);
    SELECT dmesh.publish_data_product('sales.orders');
    SELECT dmesh.grant_access('sales.orders', 'remote_reader', row_filter => $$region = 'eu'$$);
    RESET ROLE;
    SELECT dmesh.create_policy('pii', 'masking', '{"classification": "pii", "mask": "redact"}');
});

my $phost = $provider->host;
my $pport = $provider->port;
$consumer->safe_psql('postgres', qq{
    CREATE EXTENSION dmesh;
    CREATE EXTENSION postgres_fdw;
    CREATE ROLE analyst LOGIN;
    CREATE ROLE other LOGIN;
    CREATE SERVER hq_server FOREIGN DATA WRAPPER postgres_fdw
        OPTIONS (host '$phost', port '$pport', dbname 'postgres', application_name 'dmesh peer consumer');
    GRANT USAGE ON FOREIGN SERVER hq_server TO analyst;
    CREATE USER MAPPING FOR analyst SERVER hq_server OPTIONS (user 'remote_reader', password_required 'false');
    SELECT dmesh.add_peer('hq', 'hq_server');
    CREATE SCHEMA ana AUTHORIZATION analyst;
});

# Live: a foreign table with the contract's columns, owned by the
# subscriber; the provider's agreement filters and masks.
is( $consumer->safe_psql('postgres', q{
        SET ROLE analyst;
        SELECT dmesh.subscribe('hq', 'sales.orders', into_schema => 'ana')}),
    'ana.orders_v1', 'subscribe returns the local relation');
is( $consumer->safe_psql('postgres', q{SET ROLE analyst; SELECT id, region, email, amount FROM ana.orders_v1 ORDER BY id}),
    "1|eu|***|10.00\n3|eu|***|30.00", 'live reads are filtered and masked by the provider');
is( $consumer->safe_psql('postgres', q{
        SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
          FROM pg_attribute WHERE attrelid = 'ana.orders_v1'::regclass AND attnum > 0}),
    'id integer, region text, email text, amount numeric(10,2)', 'exactly the published columns and types');
is( $consumer->safe_psql('postgres', q{
        SELECT pg_get_userbyid(relowner), relacl IS NULL OR NOT relacl::text LIKE '%=r%'
          FROM pg_class WHERE oid = 'ana.orders_v1'::regclass}),
    'analyst|t', 'owned by the subscriber, granted to nobody');
my ($rc, $out, $err) = $consumer->psql('postgres', q{SET ROLE other; SELECT * FROM ana.orders_v1});
like($err, qr/permission denied/, 'another local role cannot read it');
is( $consumer->safe_psql('postgres', q{
        SELECT name, major, contract_version, mode, relation, status, created_by FROM dmesh.subscribed_products}),
    'hq:sales.orders|1|1.0.0|live|ana.orders_v1|ok|analyst', 'subscribed_products lists it');
is( $consumer->safe_psql('postgres', q{SELECT contract->>'id', columns->0->>'name' FROM dmesh.subscription}),
    'sales-orders|id', 'the contract and columns at subscription time are kept');

# Lineage across servers: peer:domain.product -> foreign table -> view.
$consumer->safe_psql('postgres', q{
    SET ROLE analyst;
    CREATE VIEW ana.eu_total AS SELECT sum(amount) AS total FROM ana.orders_v1;
});
is( $consumer->safe_psql('postgres', q{
        SELECT string_agg(source || '>' || target, ',' ORDER BY hops)
          FROM dmesh.lineage('hq:sales.orders', 'downstream') WHERE source_column IS NULL}),
    'hq:sales.orders>ana.orders_v1,ana.orders_v1>ana.eu_total', 'lineage walks from the peer\'s product');
like( $consumer->safe_psql('postgres', q{
        SELECT string_agg(DISTINCT source, ',') FROM dmesh.lineage_edge
         WHERE target = 'ana.orders_v1' AND closed_at IS NULL}),
    qr/^hq:sales\.orders$/, 'every edge of the foreign table names the peer\'s product, columns too');

is( $consumer->safe_psql('postgres', qq{
        SELECT i->>'namespace', i->>'name'
          FROM dmesh.openlineage_events() e, jsonb_array_elements(e->'inputs') i
         WHERE e->'outputs'->0->>'name' = 'postgres.ana.orders_v1'}),
    "postgres://localhost:$pport|postgres.dmesh_sales.orders_v1",
    'OpenLineage: the input is the peer\'s published relation, in the peer\'s namespace');
like( $consumer->safe_psql('postgres', q{
        SELECT string_agg(DISTINCT f->>'namespace', ',')
          FROM dmesh.openlineage_events() e,
               jsonb_each(e->'outputs'->0->'facets'->'columnLineage'->'fields') c,
               jsonb_array_elements(c.value->'inputFields') f
         WHERE e->'outputs'->0->>'name' = 'postgres.ana.orders_v1'}),
    qr{^postgres://localhost:\d+$}, 'OpenLineage column lineage names the peer too');

$consumer->safe_psql('postgres', q{SELECT dmesh._record_lineage('ana.orders_v1')});
is( $consumer->safe_psql('postgres', q{
        SELECT string_agg(DISTINCT source, ',') FROM dmesh.lineage_edge
         WHERE target = 'ana.orders_v1' AND closed_at IS NULL}),
    'hq:sales.orders', 'recording the foreign table\'s lineage again keeps the peer\'s product');

# The provider sees the remote role as a consumer.
$provider->safe_psql('postgres', 'SELECT dmesh.flush_usage()');
is( $provider->safe_psql('postgres', q{SELECT string_agg(DISTINCT consumer, ',') FROM dmesh.usage_daily}),
    'remote_reader', 'provider usage names the remote role');
is( $provider->safe_psql('postgres', q{
        SELECT affected_consumers FROM dmesh.contract_diff_document('sales.orders', $y$
apiVersion: v3.1.0
kind: DataContract
id: sales-orders
version: 1.1.0
status: active
schema:
  - name: orders
    properties:
      - {name: id, logicalType: integer}
      - {name: email, logicalType: string, classification: pii}
      - {name: amount, logicalType: number}
$y$) WHERE severity = 'breaking'}),
    '1', 'contract_diff counts the remote role among the affected consumers');

# No change yet: the check finds nothing.
is($consumer->safe_psql('postgres', 'SELECT dmesh.check_subscriptions()'), '1', 'one subscription checked');
is($consumer->safe_psql('postgres', 'SELECT count(*) FROM dmesh.incident'), '0', 'no incident while the peer keeps still');

# A new major on the provider: an upstream_change incident with NOTIFY;
# the pinned major still reads.
$provider->safe_psql('postgres', q{
    SET ROLE sales_team;
    SELECT dmesh.set_contract('sales.orders', (SELECT jsonb_set(document, '{version}', '"2.0.0"') #- '{schema,0,properties,3}'
                                                 FROM dmesh.contract WHERE version = '1.0.0'));
});
($rc, $out, $err) = $consumer->psql('postgres', q{
    LISTEN dmesh_incident;
    SELECT dmesh.check_subscriptions();
    SELECT 'after';
});
like($out, qr/Asynchronous notification "dmesh_incident" with payload ".*"event": "opened".*"product": "hq:sales\.orders"/,
     'NOTIFY dmesh_incident names the peer\'s product');
is( $consumer->safe_psql('postgres', q{
        SELECT kind, subscription_id IS NOT NULL, product_id IS NULL, detail->>'newest_major', detail->>'pinned_status'
          FROM dmesh.incident WHERE resolved_at IS NULL}),
    'upstream_change|t|t|2|deprecated', 'upstream_change incident: new major, pinned one deprecated');
is( $consumer->safe_psql('postgres', q{SELECT status, open_incidents FROM dmesh.subscribed_products}),
    'upstream_change|1', 'the subscription shows it');
is( $consumer->safe_psql('postgres', q{SET ROLE analyst; SELECT count(*) FROM dmesh.incident}),
    '1', 'the subscriber sees its incident');
is( $consumer->safe_psql('postgres', q{SET ROLE other; SELECT count(*) FROM dmesh.incident}),
    '0', 'another role does not');
is( $consumer->safe_psql('postgres', q{SET ROLE analyst; SELECT count(*) FROM ana.orders_v1}),
    '2', 'the pinned major still reads');

# The worker checks subscriptions each round.
$consumer->append_conf('postgresql.conf', "dmesh.database = 'postgres'\ndmesh.naptime = 1\n");
$consumer->restart;
ok( $consumer->poll_query_until('postgres',
        q{SELECT occurrences > 1 FROM dmesh.incident WHERE kind = 'upstream_change'}),
    'the worker checks the subscription again');

# The pinned relation's columns no longer those subscribed to (as if the
# peer had changed them), then the pinned major retired on the provider.
$consumer->safe_psql('postgres', q{
    UPDATE dmesh.subscription SET columns = columns || '[{"name": "gone", "type": "text"}]';
    SELECT dmesh.check_subscriptions();
});
is( $consumer->safe_psql('postgres', q{SELECT detail->>'columns_changed' FROM dmesh.incident WHERE resolved_at IS NULL}),
    'true', 'changed columns are an upstream change');
$provider->safe_psql('postgres', q{SET ROLE sales_team; SELECT dmesh.retire_data_product('sales.orders', 1)});
$consumer->safe_psql('postgres', q{SELECT dmesh.check_subscriptions()});
is( $consumer->safe_psql('postgres', q{SELECT detail->>'pinned_status', detail ? 'columns_changed' FROM dmesh.incident WHERE resolved_at IS NULL}),
    'retired|f', 'the pinned major retired is an upstream change');
($rc, $out, $err) = $consumer->psql('postgres', q{SET ROLE analyst; SELECT * FROM ana.orders_v1});
like($err, qr/orders_v1" does not exist/, 'a retired major no longer reads');

# Unsubscribing refuses while a local view depends on it.
($rc, $out, $err) = $consumer->psql('postgres', q{SELECT dmesh.drop_peer('hq')});
like($err, qr/cannot drop peer "hq": 1 subscription reads its products/,
	'a peer whose products are subscribed to cannot be dropped');
($rc, $out, $err) = $consumer->psql('postgres', q{SET ROLE other; SELECT dmesh.unsubscribe('hq', 'sales.orders')});
like($err, qr/no subscription of the current role/, 'another role cannot unsubscribe it');
($rc, $out, $err) = $consumer->psql('postgres', q{SET ROLE analyst; SELECT dmesh.unsubscribe('hq', 'sales.orders')});
like($err, qr/depend/, 'unsubscribe refuses while a view depends on the relation');

# The provider stops: the live read fails clearly; the check marks it.
$provider->stop;
($rc, $out, $err) = $consumer->psql('postgres', q{SET ROLE analyst; SELECT * FROM ana.orders_v1});
like($err, qr/could not connect to server "hq_server"/, 'a live read fails with a clear error when the peer is down');
$consumer->safe_psql('postgres', q{SELECT dmesh.check_subscriptions()});
is( $consumer->safe_psql('postgres', q{SELECT status, last_error FROM dmesh.subscription}),
    'unreachable|could not connect to the peer (SQLSTATE 08001)',
    'the check marks the subscription unreachable, without the message (server log only)');

# Unsubscribe drops the relation and the catalog row with its incidents.
is( $consumer->safe_psql('postgres', q{
        SET ROLE analyst; DROP VIEW ana.eu_total; SELECT dmesh.unsubscribe('hq', 'sales.orders')}),
    '1', 'unsubscribe ends one subscription');
is( $consumer->safe_psql('postgres', q{
        SELECT to_regclass('ana.orders_v1') IS NULL, (SELECT count(*) FROM dmesh.subscription),
               (SELECT count(*) FROM dmesh.incident)}),
    't|0|0', 'the relation, the subscription and its incidents are gone');

done_testing();
