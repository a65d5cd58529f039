# Issue 12, Low: a refresh failure stores the raw value in
# dmesh.incident.detail and dmesh.schedule.last_error (both readable by
# every role) and sends it in the NOTIFY dmesh_incident payload (any role
# may LISTEN): invalid input syntax for type bigint: "078-05-1120".
# Fixed: none of these carries the value, and a role that may not manage
# the product and holds no agreement on it does not see the incident or
# the job error.  These assertions describe the fixed behaviour; on the
# vulnerable build they fail.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('attack_leaks');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dmesh'
dmesh.database = 'postgres'
dmesh.naptime = 1
});
$node->start;

$node->safe_psql('postgres', q{
    CREATE EXTENSION dmesh;
    CREATE ROLE team NOLOGIN;
    CREATE ROLE nobody LOGIN;
    CREATE SCHEMA src AUTHORIZATION team;
    SELECT dmesh.create_domain('hr', 'team');
    SET ROLE team;
    CREATE TABLE src.people (id int, ssn text);
    INSERT INTO src.people VALUES (1, '078051120');
    SELECT dmesh.create_data_product('hr', 'ids', 'SELECT id, ssn::bigint AS ssn_number FROM src.people',
        materialize => true, refresh => '1 second', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: ids
version: 1.0.0
status: active
schema:
  - name: ids
    properties:
      - {name: id, logicalType: integer}
      - {name: ssn_number, logicalType: integer, classification: restricted}
$y$);
    SELECT dmesh.publish_data_product('hr.ids');
});

# nobody listens for incidents.
my $listener = $node->background_psql('postgres', extra_params => ['-U', 'nobody']);
$listener->query_safe('LISTEN dmesh_incident');

# A row the product's query cannot convert: the next refresh fails.
$node->safe_psql('postgres', q{INSERT INTO src.people VALUES (2, '078-05-1120')});
ok( $node->poll_query_until('postgres',
        q{SELECT count(*) = 1 FROM dmesh.incident WHERE kind = 'refresh_failed' AND resolved_at IS NULL}),
    'the failing refresh opens a refresh_failed incident');

my $as_nobody = sub {
    my ($sql) = @_;
    return $node->safe_psql('postgres', "SET ROLE nobody; $sql");
};
is($as_nobody->(q{SELECT count(*) FROM dmesh.incident WHERE detail::text ~ '078-05-1120'}),
   '0', 'incident.detail does not show the value to a role without rights');
is($as_nobody->(q{SELECT count(*) FROM dmesh.schedule WHERE last_error ~ '078-05-1120'}),
   '0', 'schedule.last_error does not show the value to a role without rights');
is($as_nobody->(q{SELECT count(*) FROM dmesh.incident}),
   '0', 'a role that neither manages nor consumes the product sees none of its incidents');
is($as_nobody->(q{SELECT count(*) FROM dmesh.schedule}),
   '0', 'nor its schedule');
like($node->safe_psql('postgres', q{SELECT detail->>'error' FROM dmesh.incident WHERE kind = 'refresh_failed'}),
   qr/^invalid input syntax for type \.\.\.: "\.\.\." \(SQLSTATE 22P02\)$/,
   'the incident says what failed, values left out');
is($node->safe_psql('postgres', q{SELECT count(*) FROM dmesh.incident WHERE detail::text ~ '078-05-1120'}),
   '0', 'incident.detail does not carry the value at all');
is($node->safe_psql('postgres', q{SELECT count(*) FROM dmesh.schedule WHERE last_error ~ '078-05-1120'}),
   '0', 'schedule.last_error does not carry the value at all');

# The notification reached the listener: its payload has no value.
my $notes = $listener->query_safe('SELECT 1');
note("listener got: $notes");
like($notes, qr/Asynchronous notification "dmesh_incident"/, 'the listener got the incident notification');
unlike($notes, qr/078-05-1120/, 'the NOTIFY dmesh_incident payload does not carry the value');
$listener->quit;

$node->stop;
done_testing();
