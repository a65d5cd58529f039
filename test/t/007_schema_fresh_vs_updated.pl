# A fresh install of the current version (sql/dmesh--<version>.sql, which
# make builds from the concept files sql/src/catalog.sql ... discovery.sql)
# gives exactly the schema that sql/dmesh--0.1.0.sql and every update script
# give: same tables with their columns in the same order, constraints,
# indexes, defaults, sequences, functions (bodies included), views,
# triggers, event triggers, row-level security policies, grants, owners and
# comments, same extension members, dependencies and pg_dump registrations.
#
# pg_dump leaves extension members out, so both databases first detach every
# member from the extension (ALTER EXTENSION dmesh DROP ...), making them
# ordinary objects that pg_dump writes out; then their dumps must be the
# same.  What pg_dump does not show is compared with queries, before the
# members are detached.
use strict;
use warnings;
use File::Spec;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('schema');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'dmesh'");
$node->start;

my $current = $node->safe_psql('postgres',
	q{SELECT default_version FROM pg_available_extensions WHERE name = 'dmesh'});
my $sharedir = $node->config_data('--sharedir');

# Without the built script CREATE EXTENSION would walk the update chain too,
# and the comparison below would prove nothing.
ok(-f "$sharedir/extension/dmesh--$current.sql",
	"the install script of $current (built from the concept files) is installed");

$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('postgres', 'CREATE DATABASE updated');
$node->safe_psql('fresh', 'CREATE EXTENSION dmesh');
$node->safe_psql('updated', q{
    CREATE EXTENSION dmesh VERSION '0.1.0';
    ALTER EXTENSION dmesh UPDATE;
});
for my $db ('fresh', 'updated')
{
	is($node->safe_psql($db, q{SELECT extversion FROM pg_extension WHERE extname = 'dmesh'}),
		$current, "$db: dmesh $current");
}

# Compare one text from each database; on a difference, show it as a diff.
my $tmp = PostgreSQL::Test::Utils::tempdir;
sub same
{
	my ($what, $fresh, $updated) = @_;
	return pass("$what: fresh install and updated chain agree") if $fresh eq $updated;

	my $f = File::Spec->catfile($tmp, 'fresh.txt');
	my $u = File::Spec->catfile($tmp, 'updated.txt');
	open(my $fh, '>', $f) or die "$f: $!";
	print $fh $fresh;
	close $fh;
	open($fh, '>', $u) or die "$u: $!";
	print $fh $updated;
	close $fh;
	my ($diff) = run_command([ 'diff', '-u', $u, $f ]);
	fail("$what: fresh install and updated chain agree");
	diag("$what differs (- updated chain, + fresh install):\n$diff");
	return;
}

sub both
{
	my ($sql) = @_;
	return map { $node->safe_psql($_, $sql) } ('fresh', 'updated');
}

# The extension itself.
same('the extension row', both(q{
    SELECT e.extname, r.rolname, n.nspname, e.extrelocatable, e.extversion
      FROM pg_extension e
      JOIN pg_roles r ON r.oid = e.extowner
      JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'dmesh'}));

# pg_extension_config_dump() registrations, by relation name: which tables
# and sequences pg_dump keeps the rows and positions of, and with which
# condition.
same('extconfig and extcondition', both(q{
    SELECT c.relid::regclass::text || ' ' || coalesce(quote_literal(c.cond), 'NULL')
      FROM pg_extension e,
           unnest(e.extconfig, e.extcondition) AS c(relid, cond)
     WHERE e.extname = 'dmesh'
     ORDER BY 1}));

# The members of the extension (what a DROP EXTENSION takes with it).
my $members = q{
    SELECT o.type, o.identity
      FROM pg_depend d
     CROSS JOIN LATERAL pg_identify_object(d.classid, d.objid, d.objsubid) o
     WHERE d.refclassid = 'pg_extension'::regclass
       AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'dmesh')
       AND d.deptype = 'e'
     ORDER BY 1, 2};
my ($fresh_members) = both($members);
ok($fresh_members =~ /^aggregate\|/m && $fresh_members =~ /^event trigger\|/m
	  && $fresh_members =~ /^function\|/m && $fresh_members =~ /^table\|/m
	  && $fresh_members =~ /^view\|/m && $fresh_members =~ /^sequence\|/m,
	'the extension has members of every kind detached below');
same('extension members', both($members));

# The privileges the extension scripts left (pg_init_privs): pg_dump
# compares against them, and they cover the schema, which is not a member
# and keeps them after the members are detached.
same('initial privileges', both(q{
    SELECT pg_describe_object(classoid, objoid, objsubid), privtype, initprivs::text
      FROM pg_init_privs
     WHERE pg_describe_object(classoid, objoid, objsubid) ~ 'dmesh'
     ORDER BY 1, 2}));
same('the schema', both(q{
    SELECT n.nspname, r.rolname, n.nspacl::text, obj_description(n.oid, 'pg_namespace')
      FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner
     WHERE n.nspname = 'dmesh'}));

# Columns by number, dropped ones included: pg_dump shows neither the
# numbers nor dropped columns, and C code may address columns by number.
same('columns by attnum', both(q{
    SELECT c.relname, a.attnum, a.attname, a.attisdropped
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
     WHERE c.relnamespace = 'dmesh'::regnamespace AND a.attnum > 0
     ORDER BY 1, 2}));

# Dependencies between objects (what DROP ... RESTRICT refuses, CASCADE
# takes along, and membership).  Names that carry an OID (toast tables, the
# triggers of foreign keys) are made alike.
same('dependencies', both(q{
    SELECT regexp_replace(regexp_replace(
               pg_describe_object(classid, objid, objsubid) || ' -> '
               || pg_describe_object(refclassid, refobjid, refobjsubid) || ' (' || deptype::text || ')',
               'pg_toast_[0-9]+', 'pg_toast_N', 'g'),
               'RI_ConstraintTrigger_([ac])_[0-9]+', 'RI_ConstraintTrigger_\1_N', 'g') AS dep
      FROM pg_depend
     WHERE classid <> 0
       AND (pg_describe_object(classid, objid, objsubid) ~ 'dmesh'
            OR pg_describe_object(refclassid, refobjid, refobjsubid) ~ 'dmesh')
     ORDER BY 1}));

# Detach every member, each with the statement for its kind: pg_identify_object
# names it as ALTER EXTENSION ... DROP takes it (function, aggregate,
# procedure, event trigger, table, view, sequence, type, schema ...).
for my $db ('fresh', 'updated')
{
	$node->safe_psql($db, q{
        DO $$
        DECLARE
            m record;
        BEGIN
            FOR m IN
                SELECT o.type, o.identity
                  FROM pg_depend d
                 CROSS JOIN LATERAL pg_identify_object(d.classid, d.objid, d.objsubid) o
                 WHERE d.refclassid = 'pg_extension'::regclass
                   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'dmesh')
                   AND d.deptype = 'e'
            LOOP
                EXECUTE format('ALTER EXTENSION dmesh DROP %s %s', m.type, m.identity);
            END LOOP;
        END
        $$;
    });
	is( $node->safe_psql($db, q{
            SELECT count(*) FROM pg_depend
             WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
               AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'dmesh')}),
		'0', "$db: every member is detached");
}

# The dumps.  Only one kind of line differs legitimately, and is removed:
#  - \restrict KEY and \unrestrict KEY: pg_dump (15.14 and later) brackets
#    its output with a random key, new in every dump.
# Nothing else is filtered: the database name appears in no line of a plain
# dump made without --create, and both databases are on the same server.
sub dump_of
{
	my ($db, @options) = @_;
	my ($out, $err) = run_command(
		[ $node->installed_command('pg_dump'), @options, '-d', $node->connstr($db) ]);
	die "pg_dump of $db failed: $err" if $err ne '';
	$out =~ s/^\\(?:un)?restrict \S+\n//mg;
	return $out;
}

my $fresh_schema = dump_of('fresh', '--schema-only');
like($fresh_schema, qr/^CREATE TABLE dmesh\.data_product \(/m,
	'the dump holds the detached objects');
same('pg_dump --schema-only', $fresh_schema, dump_of('updated', '--schema-only'));
# No update script leaves rows or moves a sequence that a fresh install
# would not.
same('pg_dump --data-only', dump_of('fresh', '--data-only'), dump_of('updated', '--data-only'));

$node->stop;
done_testing();
