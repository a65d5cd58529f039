# The dmesh command-line client (src/client, docs/client.md), the binary
# make installs into the bindir of the pg_config used, driven against a real
# server with the extension: help, usage and connection errors (exit 2), and
# each command's output (human and --json) and exit status, every command
# against dmesh's real server functions (lint_document, plan_product,
# apply_product, contract_diff_document, product_yaml, suggest_contract ...).
#
# The node preloads dmesh, so that reads of a product are counted: plan and
# diff name the consumers that really read what a change breaks.  plan and
# apply work on a directory of several ODPS product documents and ODCS
# contracts (in subdirectories, a contract in two versions), as a team keeps
# them: a new product from a contract dmesh suggest wrote, a second apply
# that changes and logs nothing, a breaking change plan fails on (naming its
# reader) and apply refuses as one transaction, a new major version applied,
# and exported documents that plan back to no change.
use strict;
use warnings;
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# The client installed next to the extension: in the bindir of the
# pg_config that built it (prove_installcheck puts that bindir first on PATH).
my $bindir = `pg_config --bindir`;
chomp $bindir;
my $dmesh = "$bindir/dmesh";
ok(-x $dmesh, "the client is installed in pg_config's bindir ($bindir)");

my $node = PostgreSQL::Test::Cluster->new('client');
$node->init;
# Usage counting needs the preloaded library; no worker: the test flushes.
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'dmesh'\ndmesh.worker_enabled = off");
$node->start;
my $port = $node->port;
my $host = $node->host;

$node->safe_psql('postgres', 'CREATE EXTENSION dmesh');
$node->safe_psql('postgres', 'CREATE DATABASE plain');

# A mesh: sales.orders (a failing error rule, a rule not run here), sales.
# daily_revenue (no rules), inv.stock (a failing warning rule), q.<odd name>
# (names and values that need escaping).
$node->safe_psql('postgres', q{
CREATE ROLE sales_team NOLOGIN;
CREATE ROLE ana LOGIN;
CREATE ROLE bob LOGIN;
CREATE SCHEMA sales AUTHORIZATION sales_team;
SET ROLE sales_team;
CREATE TABLE sales.orders (order_id bigint PRIMARY KEY, email text NOT NULL,
                           country text NOT NULL, amount numeric(10,2) NOT NULL, status text NOT NULL);
INSERT INTO sales.orders
SELECT g, 'u' || g || '@example.com', (ARRAY['NL', 'BE', 'DE'])[1 + g % 3], 10 + g,
       (ARRAY['new', 'paid', 'lost'])[1 + g % 3]
  FROM generate_series(1, 30) g;
RESET ROLE;
SELECT dmesh.create_domain('sales', 'sales_team', 'Orders and revenue');
SET ROLE sales_team;
SELECT dmesh.create_data_product('sales', 'orders', description => 'Every order of the web shop',
       tags => ARRAY['orders'], contract => $$
apiVersion: v3.1.0
kind: DataContract
id: sales-orders
name: Orders
version: 1.0.0
status: active
domain: sales
dataProduct: orders
description:
  purpose: Every order placed in the web shop.
schema:
  - name: orders
    physicalName: sales.orders
    quality:
      - {metric: rowCount, mustBeGreaterThan: 0}
    properties:
      - {name: order_id, logicalType: integer, physicalType: bigint, required: true, primaryKey: true}
      - {name: email, logicalType: string, logicalTypeOptions: {format: email}}
      - {name: country, logicalType: string}
      - {name: amount, logicalType: number, logicalTypeOptions: {minimum: 0}}
      - name: status
        logicalType: string
        quality:
          - {metric: invalidValues, arguments: {validValues: [new, paid]}, mustBe: 0}
          - {type: custom, engine: soda, implementation: "checks for orders"}
$$);
SELECT dmesh.publish_data_product('sales.orders');
SELECT dmesh.create_data_product('sales', 'daily_revenue',
       'SELECT country, sum(amount) AS revenue FROM dmesh_sales.orders_v1 GROUP BY 1',
       description => 'Revenue per country');
SELECT dmesh.publish_data_product('sales.daily_revenue');
RESET ROLE;

CREATE SCHEMA inv;
CREATE TABLE inv.stock (sku text PRIMARY KEY, qty int NOT NULL);
INSERT INTO inv.stock VALUES ('a', 1), ('b', 2);
SELECT dmesh.create_domain('inv');
SELECT dmesh.create_data_product('inv', 'stock', description => 'Stock per article', contract => $$
apiVersion: v3.1.0
kind: DataContract
id: inv-stock
version: 1.0.0
status: active
schema:
  - name: stock
    physicalName: inv.stock
    properties:
      - {name: sku, logicalType: string, required: true}
      - name: qty
        logicalType: integer
        quality:
          - {metric: invalidValues, arguments: {validValues: [1]}, mustBe: 0, severity: warning}
$$);
SELECT dmesh.publish_data_product('inv.stock');

CREATE SCHEMA q;
CREATE TABLE q.t ("x<y&z" int);
INSERT INTO q.t VALUES (1), (NULL);
SELECT dmesh.create_domain('q');
SELECT dmesh.create_data_product('q', $n$a<b&"c'$n$, contract => $$
apiVersion: v3.1.0
kind: DataContract
id: q-odd
version: 1.0.0
status: active
schema:
  - name: t
    physicalName: q.t
    properties:
      - {name: "x<y&z", logicalType: integer, required: true}
$$);
});
my $odd = q{q.a<b&"c'};

my $json = JSON::PP->new->utf8;

# Runs the client with the node in the environment (PGHOST, PGPORT,
# PGDATABASE; PGUSER is the OS user, the superuser); returns (exit status,
# stdout, stderr).
sub dmesh
{
	my @args = @_;
	my %env = ref $args[0] eq 'HASH' ? %{ shift @args } : ();
	my ($out, $err) = ('', '');
	local %ENV = %ENV;
	$ENV{PGHOST} = $host;
	$ENV{PGPORT} = $port;
	$ENV{PGDATABASE} = 'postgres';
	# undef: the variable is not set
	while (my ($k, $v) = each %env)
	{
		if (defined $v) { $ENV{$k} = $v; }
		else { delete $ENV{$k}; }
	}
	IPC::Run::run([ $dmesh, @args ], '<', \'', '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

sub decode
{
	my ($text, $name) = @_;
	my $v = eval { $json->decode($text) };
	ok(defined $v, "$name: stdout is JSON") or diag("$@\n$text");
	return $v;
}

# A small XML 1.0 well-formedness check: one root, tags nested and closed,
# attribute values quoted, only the five entities and character references.
sub xml_problem
{
	my ($xml) = @_;
	$xml =~ s/\A<\?xml version="1\.0" encoding="UTF-8"\?>\n// or return 'no XML declaration';
	my $entity = qr/&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);/;
	my $name = qr/[A-Za-z_][\w.-]*/;
	my $attr = qr/\s+$name="(?:[^"<&]|$entity)*"/;
	my (@stack, $roots);
	pos($xml) = 0;
	while (pos($xml) < length($xml))
	{
		if ($xml =~ /\G<($name)((?:$attr)*)\s*(\/?)>/gc)
		{
			$roots++ unless @stack;
			push @stack, $1 unless $3;
		}
		elsif ($xml =~ /\G<\/($name)>/gc)
		{
			my $open = pop @stack;
			return "</$1> closes " . ($open // 'nothing') unless defined $open && $open eq $1;
		}
		elsif ($xml =~ /\G((?:[^<&]|$entity)+)/gc)
		{
			return 'text outside the root' if !@stack && $1 =~ /\S/;
		}
		else
		{
			return 'bad markup at: ' . substr($xml, pos($xml) // 0, 40);
		}
	}
	return "unclosed <$stack[-1]>" if @stack;
	return 'not one root element' unless ($roots // 0) == 1;
	return undef;
}

my $tmp = tempdir(CLEANUP => 1);
my ($version) = slurp_file('dmesh.control') =~ /^default_version\s*=\s*'([^']+)'/m;
my ($rc, $out, $err);

#
# Version and help
#
($rc, $out) = dmesh('--version');
is($rc, 0, '--version exits 0');
is($out, "dmesh (the dmesh client) $version\n", '--version prints the version of dmesh.control');

my @commands = qw(lint plan apply diff test export catalog health suggest);
for my $args ([ '--help' ], [ 'help' ], [ '-?' ])
{
	($rc, $out, $err) = dmesh({ PGPORT => 1 }, @$args);
	is($rc, 0, "@$args exits 0");
	like($out, qr/^Usage:\n  dmesh \[OPTION\]\.\.\. COMMAND/m, "@$args shows the usage");
	like($out, qr/^  \Q$_\E /m, "@$args lists $_") for @commands;
	like($out, qr/Exit status: 0 ok; 1 checks failed/, "@$args gives the exit statuses");
	is($err, '', "@$args writes nothing on stderr");
}
for my $cmd (@commands)
{
	for my $args ([ $cmd, '--help' ], [ '--help', $cmd ], [ 'help', $cmd ], [ $cmd, 'x', 'y', '--help' ])
	{
		($rc, $out, $err) = dmesh({ PGPORT => 1 }, @$args);
		is($rc, 0, "dmesh @$args exits 0 without connecting");
		like($out, qr/^Usage:\n  dmesh \Q$cmd\E \[OPTION\]\.\.\./m, "dmesh @$args: the usage of $cmd");
		like($out, qr/^Exit status: /m, "dmesh @$args: the exit statuses of $cmd");
		like($out, qr/^  -d, --dbname=DBNAME/m, "dmesh @$args: the connection options");
		is($err, '', "dmesh @$args: nothing on stderr");
	}
}
like((dmesh('test', '--help'))[1], qr/--junit=FILE/, 'test --help describes --junit');
like((dmesh('export', '--help'))[1], qr/--format=FORMAT.*odcs.*odps.*openlineage/s,
    'export --help describes the formats');
like((dmesh('suggest', '--help'))[1], qr/--sample-rows=N/, 'suggest --help describes --sample-rows');

#
# Usage errors: exit 2, a message naming the problem, before any connection
# (the port is wrong: a connection would say "could not connect")
#
my @usage = (
    [ [], qr/no command given/ ],
    [ ['frobnicate'], qr/unknown command "frobnicate"/ ],
    [ [ 'help', 'frobnicate' ], qr/unknown command "frobnicate"/ ],
    [ [ '--frobnicate', 'catalog' ], qr/unknown option "--frobnicate"/ ],
    [ [ '-x', 'catalog' ], qr/unknown option -x/ ],
    [ [ 'catalog', '-d' ], qr/option -d needs a value/ ],
    [ [ 'test', 'sales.orders', '--junit' ], qr/option --junit needs a value/ ],
    [ ['lint'], qr/lint: an argument is missing.*dmesh lint --help/s ],
    [ ['plan'], qr/plan: an argument is missing/ ],
    [ ['apply'], qr/apply: an argument is missing/ ],
    [ [ 'plan', 'a', 'b' ], qr/plan: too many arguments \(first extra: "b"\)/ ],
    [ [ 'diff', 'sales.orders' ], qr/diff: arguments are missing/ ],
    [ [ 'diff', 'a', 'b', 'c' ], qr/diff: too many arguments/ ],
    [ ['test'], qr/test: an argument is missing/ ],
    [ ['export'], qr/export: an argument is missing/ ],
    [ ['suggest'], qr/suggest: an argument is missing/ ],
    [ [ 'health', '--format', 'odcs' ], qr/health: the option --format belongs to another command/ ],
    [ [ 'test', 'sales.orders', '--sample-rows', '5' ], qr/the option --sample-rows belongs to another command/ ],
    [ [ 'catalog', '--junit', 'x.xml' ], qr/the option --junit belongs to another command/ ],
    [ [ 'export', 'sales.orders', '--format', 'xml' ], qr/export: unknown format "xml"/ ],
    [ [ 'export', 'sales.orders', '--format', 'odps', '--contract-version', '1.0.0' ],
      qr/--contract-version goes with --format odcs/ ],
    [ [ 'suggest', 'sales.orders', '--sample-rows', '-1' ], qr/--sample-rows must be a whole number from 0 / ],
    [ [ 'suggest', 'sales.orders', '--sample-rows', '12abc' ], qr/--sample-rows must be a whole number/ ],
    [ [ 'suggest', 'sales.orders', '--sample-rows', '99999999999' ], qr/--sample-rows must be a whole number/ ],
    [ [ 'lint', "$tmp/missing.odcs.yaml" ], qr/could not read ".*missing\.odcs\.yaml": No such file/ ],
    [ [ 'lint', $tmp ], qr/no documents to check/ ],
    [ [ 'diff', 'sales.orders', "$tmp/missing.odcs.yaml" ], qr/could not read/ ],
    [ [ 'plan', "$tmp/missing" ], qr/"\Q$tmp\E\/missing" is not a directory/ ],
    [ [ 'apply', $tmp ], qr/no \*\.odps\.\* or \*\.odcs\.\* documents below/ ],
    [ [ 'test', 'sales.orders', '--junit', "$tmp/no/such/dir/report.xml" ],
      qr/could not write the JUnit report/ ],);
for my $case (@usage)
{
	my ($args, $message) = @$case;
	($rc, $out, $err) = dmesh({ PGPORT => 1 }, @$args);
	is($rc, 2, "usage error exits 2: dmesh @$args");
	like($err, $message, "usage error says what is wrong: dmesh @$args");
	unlike($err, qr/could not connect/, "usage error is found before connecting: dmesh @$args");
	is($out, '', "usage error prints nothing on stdout: dmesh @$args");
}

#
# Connection errors: exit 2
#
($rc, $out, $err) = dmesh({ PGPORT => 1 }, 'catalog');
is($rc, 2, 'a server that is not there (PGPORT): exit 2');
like($err, qr/^dmesh: could not connect to the server: .*PGSQL\.1\b/s, 'the connection error is libpq\'s, on stderr');
($rc, $out, $err) = dmesh('-p', '1', 'health');
is($rc, 2, 'a server that is not there (-p): exit 2');
($rc, $out, $err) = dmesh('--port=1', '--host', $host, 'health');
is($rc, 2, 'a server that is not there (--port, --host): exit 2');
($rc, $out, $err) = dmesh('-d', 'nosuchdb', 'catalog');
is($rc, 2, 'an unknown database: exit 2');
like($err, qr/database "nosuchdb" does not exist/, 'the server says which database');
($rc, $out, $err) = dmesh('-U', 'nosuchrole', 'catalog');
is($rc, 2, 'an unknown role: exit 2');
like($err, qr/role "nosuchrole" does not exist/, 'the server says which role');
($rc, $out, $err) = dmesh('-d', 'plain', 'catalog');
is($rc, 2, 'a database without the extension: exit 2');
like($err, qr/the dmesh extension is not installed in database "plain"\nHINT:  .*CREATE EXTENSION dmesh/,
    'a database without the extension: said, with a hint');
($rc, $out, $err) = dmesh('-d', 'host=/nonexistent port=1 dbname=x', 'catalog');
is($rc, 2, 'a conninfo string in -d is used (and fails): exit 2');
like($err, qr{/nonexistent/\.s\.PGSQL\.1}, 'the conninfo string is what libpq tried');

# A server whose dmesh lacks the function a command needs (dmesh 0.6.0,
# before products as code and the contract assistant): said, exit 2.
$node->safe_psql('postgres', 'CREATE DATABASE old');
$node->safe_psql('old', q{CREATE EXTENSION dmesh VERSION '0.6.0'});
my $olddir = "$tmp/old";
make_path("$olddir/c");
PostgreSQL::Test::Utils::append_to_file("$olddir/p.odps.yaml",
	"apiVersion: v1.0.0\nkind: DataProduct\nid: p\nstatus: active\n");
PostgreSQL::Test::Utils::append_to_file("$olddir/c/c.odcs.yaml",
	"apiVersion: v3.1.0\nkind: DataContract\nid: c\nversion: 1.0.0\nstatus: active\n");
for my $case (
	[ [ 'lint', "$olddir/p.odps.yaml" ], 'dmesh.lint_document(text)', 'dmesh lint' ],
	[ [ 'plan', $olddir ], 'dmesh.plan_product(text,text[])', 'dmesh plan' ],
	[ [ 'apply', $olddir ], 'dmesh.apply_product(text,text[])', 'dmesh apply' ],
	[ [ 'diff', 'sales.orders', "$olddir/c/c.odcs.yaml" ], 'dmesh.contract_diff_document(text,text)', 'dmesh diff' ],
	[ [ 'export', 'sales.orders', '--format', 'odps' ], 'dmesh.product_yaml(text)', 'dmesh export --format odps' ],
	[ [ 'export', 'sales.orders', '--format', 'odps', '--json' ], 'dmesh.product_document(text)',
	  'dmesh export --format odps' ],
	[ [ 'suggest', 'sales.orders' ], 'dmesh.suggest_contract(text,integer)', 'dmesh suggest' ])
{
	my ($args, $function, $purpose) = @$case;
	($rc, $out, $err) = dmesh('-d', 'old', @$args);
	is($rc, 2, "a server without $function: dmesh @$args exits 2");
	like($err, qr/^dmesh: the server's dmesh \(version 0\.6\.0\) has no function \Q$function\E\nHINT:  \Q$purpose\E needs a newer dmesh/,
		"dmesh @$args: the missing function is named, with a hint");
	is($out, '', "dmesh @$args: nothing on stdout");
}

# The usual ways of connecting all reach the server.
for my $how (
	[ 'PG* environment', {}, [] ],
	[ '-h -p -d', { PGHOST => undef, PGPORT => undef, PGDATABASE => undef }, [ '-h', $host, '-p', $port, '-d', 'postgres' ] ],
	[ '--host --port --dbname --username', { PGHOST => undef, PGPORT => undef },
	  [ "--host=$host", "--port=$port", '--dbname=postgres', '--username=' . scalar(getpwuid($<)) ] ],
	[ '-d conninfo -w', { PGHOST => undef, PGPORT => undef }, [ '-w', '-d', "host=$host port=$port dbname=postgres" ] ],
	[ '-d URI', { PGPORT => '1' }, [ '-d', "postgresql:///postgres?host=$host&port=$port" ] ])
{
	my ($name, $env, $args) = @$how;
	my %env = %$env;
	($rc, $out, $err) = dmesh(\%env, @$args, 'catalog', '--json');
	is($rc, 0, "connecting with $name works");
	like($out, qr/"product":"orders"/, "connecting with $name: the marketplace of the node");
}

#
# test: exit 0/1, human, --json, --junit
#
($rc, $out, $err) = dmesh('test', 'sales.daily_revenue');
is($rc, 0, 'test of a product without failures: exit 0');
like($out, qr/^sales\.daily_revenue: 0 rules, 0 passed, 0 failed, 0 not run here/m, 'test: the product\'s summary');

($rc, $out, $err) = dmesh('test', 'inv.stock');
is($rc, 0, 'test: a failed rule of severity warning does not fail the run');
like($out, qr/^  FAILED\s+invalidValues\s+qty\s+warning\s+1\s+= 0$/m, 'test: the failed warning rule is shown');

($rc, $out, $err) = dmesh('test', 'sales.orders');
is($rc, 1, 'test: a failed rule of severity error: exit 1');
like($out, qr/^sales\.orders: 7 rules, 5 passed, 1 failed, 1 not run here \(30 rows\)$/m, 'test: counts');
like($out, qr/^  result\s+rule\s+property\s+severity\s+observed\s+expected$/m, 'test: a table with a header');
like($out, qr/^  FAILED\s+invalidValues\s+status\s+error\s+10\s+= 0$/m, 'test: the failed rule, observed and expected');
like($out, qr/^  not run\s+custom\s+status\s+error\s+not run here: /m, 'test: the rule not run here is shown');
like($out, qr/^  ok\s+rowCount\s+error\s+30\s+> 0$/m, 'test: a passed rule');
unlike($err, qr/\r|\e\[/, 'test: no progress lines when stderr is not a terminal');

($rc, $out, $err) = dmesh('test', 'sales.order');
is($rc, 1, 'test: an unknown product: exit 1');
like($err, qr/^dmesh: sales\.order: ERROR:  data product "sales\.order" does not exist\nHINT:  Did you mean "sales\.orders"\?/m,
    'test: the server\'s error with its hint');

my $junit = "$tmp/report.xml";
($rc, $out, $err) = dmesh('test', 'sales.orders', 'inv.stock', 'sales.daily_revenue', 'no.such', $odd,
    '--junit', $junit, '--json');
is($rc, 1, 'test of several products: exit 1 when one fails');
my $tests = decode($out, 'test --json');
is(ref $tests, 'ARRAY', 'test --json: an array');
is(scalar @$tests, 5, 'test --json: one element per product');
is_deeply([ map { $_->{product} } @$tests ], [ 'sales.orders', 'inv.stock', 'sales.daily_revenue', 'no.such', $odd ],
    'test --json: the products in the order given');
is_deeply([ map { $_->{passed} ? 1 : 0 } @$tests ], [ 0, 1, 1, 0, 0 ], 'test --json: passed per product');
is(scalar @{ $tests->[0]{rules} }, 7, 'test --json: the rules of a product');
my ($failed) = grep { defined $_->{passed} && !$_->{passed} } @{ $tests->[0]{rules} };
is_deeply(
	$failed,
	{ rule => 'invalidValues', property => 'status', metric => 'invalidValues', passed => JSON::PP::false,
	  observed => 10, expected => '= 0', rows_checked => 30, severity => 'error', object => undef },
	'test --json: a rule\'s columns, typed (boolean, numbers, null)');
my ($notrun) = grep { !defined $_->{passed} } @{ $tests->[0]{rules} };
like($notrun->{expected}, qr/^not run here: /, 'test --json: a rule not run here has passed null');
is($tests->[3]{error}{sqlstate}, '42704', 'test --json: a refused product has its error');

ok(-f $junit, 'test --junit writes the report');
my $xml = slurp_file($junit);
is(xml_problem($xml), undef, 'the JUnit report is well-formed XML');
like($xml, qr/^<testsuites name="dmesh test" tests="11" failures="3" errors="1" skipped="1" time="[0-9.]+">$/m,
    'JUnit: totals over the products');
my @suites = $xml =~ /<testsuite name="([^"]*)"/g;
is_deeply(\@suites, [ 'sales.orders', 'inv.stock', 'sales.daily_revenue', 'no.such', 'q.a&lt;b&amp;&quot;c&apos;' ],
    'JUnit: one testsuite per product, names escaped');
like($xml, qr/<testsuite name="sales\.orders" tests="7" failures="1" errors="0" skipped="1" /,
    'JUnit: the counts of a testsuite');
is(scalar(() = $xml =~ /<testcase /g), 11, 'JUnit: one testcase per rule (and per refused product)');
like($xml, qr{<testcase name="invalidValues \(status\)" classname="sales\.orders" time="0">\n\s*<failure message="invalidValues on status: observed 10, expected = 0" type="error">rule: invalidValues&#10;property: status&#10;}s,
    'JUnit: a failed rule is a failure, typed by its severity');
like($xml, qr{<testcase name="invalidValues \(qty\)" classname="inv\.stock" time="0">\n\s*<failure [^>]*type="warning">}s,
    'JUnit: a failed warning rule is a failure of type warning');
like($xml, qr{<testcase name="custom \(status\)" classname="sales\.orders" time="0">\n\s*<skipped message="not run here: [^"]*"/>}s,
    'JUnit: a rule not run here is skipped, with the reason');
like($xml, qr{<testsuite name="no\.such" tests="1" failures="0" errors="1" .*?<error message="domain &quot;no&quot; does not exist" type="42704">}s,
    'JUnit: a product the server refuses is an error');
like($xml, qr{<testcase name="required \(x&lt;y&amp;z\)" classname="q\.a&lt;b&amp;&quot;c&apos;" time="0">\n\s*<failure message="required on x&lt;y&amp;z: observed 1, expected = 0" type="error">}s,
    'JUnit: rule, property and product names are escaped');

($rc, $out, $err) = dmesh('-q', 'test', 'sales.daily_revenue', '--junit', $junit);
is($rc, 0, 'test --junit of a passing product: exit 0');
is(xml_problem(slurp_file($junit)), undef, 'the report is rewritten, well-formed');
like(slurp_file($junit), qr/tests="0" failures="0" errors="0" skipped="0"/, 'the report is the new one');

# A product name is a value, never SQL.
($rc, $out, $err) = dmesh('test', q{x'); DROP TABLE sales.orders; --});
is($rc, 1, 'test of a name holding SQL: exit 1 (no such product)');
is($node->safe_psql('postgres', q{SELECT count(*) FROM sales.orders}), '30', 'the name was not run as SQL');

#
# export: odcs round trip, openlineage
#
($rc, $out, $err) = dmesh('export', 'sales.orders');
is($rc, 0, 'export (odcs by default): exit 0');
like($out, qr/^apiVersion: v3\.1\.0\nkind: DataContract\nid: sales-orders\n/, 'export: the contract as ODCS YAML');
my $exported = $out;
is( $node->safe_psql('postgres',
        q{SELECT dmesh.yaml_to_jsonb($dmeshyaml$} . $exported . q{$dmeshyaml$) = dmesh.contract_document('sales.orders')}),
    't', 'export: the YAML reads back as the active contract');

($rc, $out, $err) = dmesh('export', '--format=odcs', '--json', 'sales.orders');
is($rc, 0, 'export --json: exit 0');
my $doc = decode($out, 'export --json');
is($doc->{id}, 'sales-orders', 'export --json: the contract as JSON');
is( $node->safe_psql('postgres',
        q{SELECT dmesh.contract_document('sales.orders') = $dmeshjson$} . $out . q{$dmeshjson$::jsonb}),
    't', 'export --json: the active contract document');

my $contract_file = "$tmp/orders.odcs.yaml";
PostgreSQL::Test::Utils::append_to_file($contract_file, $exported);
($rc, $out, $err) = dmesh('lint', $contract_file);
is($rc, 0, 'the exported contract lints clean');
like($out, qr/\Q$contract_file\E: ok\n1 document checked: 1 valid, 0 with problems \(0 problems\)/, 'lint: ok');

# Set back as a new version, then the older one by --contract-version.
(my $next = $exported) =~ s/^version: "?1\.0\.0"?$/version: 1.0.1/m;
$node->safe_psql('postgres',
	q{SET ROLE sales_team; SELECT dmesh.set_contract('sales.orders', $dmeshyaml$} . $next . q{$dmeshyaml$)});
is($node->safe_psql('postgres', q{SELECT version FROM dmesh.data_product WHERE name = 'orders'}),
    '1.0.1', 'the exported contract, its version raised, is accepted by set_contract');
($rc, $out, $err) = dmesh('export', 'sales.orders', '--contract-version', '1.0.0');
is($rc, 0, 'export --contract-version: exit 0');
is($out, $exported, 'export --contract-version: that version');
($rc, $out, $err) = dmesh('export', 'sales.orders', '--contract-version', '9.9.9');
is($rc, 1, 'export of a version that does not exist: exit 1');
like($err, qr/ERROR:  .*9\.9\.9/, 'export: the server\'s error');
($rc, $out, $err) = dmesh('export', 'sales.ordrs');
is($rc, 1, 'export of an unknown product: exit 1');
like($err, qr/HINT:  Did you mean "sales\.orders"\?/, 'export: the server\'s hint');

($rc, $out, $err) = dmesh('export', 'sales.orders', '--format', 'openlineage');
is($rc, 0, 'export --format openlineage: exit 0');
my @events = map { decode($_, 'an OpenLineage line') } split /\n/, $out;
is(scalar @events, 2, 'openlineage: the events of the product: its view, and the product built on it');
my $db = 'postgres';
for my $e (@events)
{
	my @names = map { $_->{name} } @{ $e->{inputs} }, @{ $e->{outputs} };
	ok((grep { $_ eq "$db.sales.orders" || $_ eq "$db.dmesh_sales.orders_v1" } @names),
		"openlineage: event $e->{job}{name} has the product's relation among its datasets");
	is($e->{eventType}, 'COMPLETE', 'openlineage: a RunEvent');
}
($rc, $out, $err) = dmesh('export', 'inv.stock', '--format', 'openlineage', '--json');
is($rc, 0, 'openlineage of a product with one event: exit 0');
my @lines = split /\n/, $out;
is(scalar @lines, 1, 'openlineage: only the events of that product');
($rc, $out, $err) = dmesh('export', 'sales.nope', '--format', 'openlineage');
is($rc, 1, 'openlineage of an unknown product: exit 1');
like($err, qr/data product "sales\.nope" does not exist/, 'openlineage: the server\'s error');

($rc, $out, $err) = dmesh('export', 'sales.orders', '--format', 'odps');
is($rc, 0, 'export --format odps: exit 0');
like($out, qr/^apiVersion: v1\.0\.0\nkind: DataProduct\n/, 'export --format odps: an ODPS document in YAML');
my $odps_file = "$tmp/orders.odps.yaml";
PostgreSQL::Test::Utils::append_to_file($odps_file, $out);
is( $node->safe_psql('postgres',
        q{SELECT dmesh.yaml_to_jsonb($dmeshyaml$} . $out . q{$dmeshyaml$) = dmesh.product_document('sales.orders')}),
    't', 'export --format odps: the product\'s document');
($rc, $out, $err) = dmesh('lint', $odps_file);
is($rc, 0, 'the exported product document lints clean');
($rc, $out, $err) = dmesh('export', 'sales.orders', '--format', 'odps', '--json');
is($rc, 0, 'export --format odps --json: exit 0');
is(decode($out, 'export odps --json')->{kind}, 'DataProduct', 'export --format odps --json: the document as JSON');
is( $node->safe_psql('postgres',
        q{SELECT dmesh.product_document('sales.orders') = $dmeshjson$} . $out . q{$dmeshjson$::jsonb}),
    't', 'export --format odps --json: the product\'s document');

# The exported product document and its contract, planned back: no change.
my $orders_dir = "$tmp/orders-export";
make_path("$orders_dir/contracts");
PostgreSQL::Test::Utils::append_to_file("$orders_dir/orders.odps.yaml", slurp_file($odps_file));
PostgreSQL::Test::Utils::append_to_file("$orders_dir/contracts/orders.odcs.yaml", (dmesh('export', 'sales.orders'))[1]);
($rc, $out, $err) = dmesh('plan', $orders_dir);
is($rc, 0, 'plan of the exported product and contract: exit 0');
is($out, "No changes (1 product).\n", 'plan of the exported product and contract: no change');
is($err, '', 'plan of the exported product and contract: no warning');

#
# catalog
#
($rc, $out, $err) = dmesh('catalog');
is($rc, 0, 'catalog: exit 0');
like($out, qr/^domain\s+product\s+version\s+status\s+relation\s+access\s+quality_score\s+description\n[- ]+\n/,
    'catalog: a table with the marketplace\'s columns');
like($out, qr/^sales\s+orders\s+1\.0\.1\s+published\s+dmesh_sales\.orders_v1\s+owner\s+[0-9.]+\s+Every order of the web shop$/m,
    'catalog: a product\'s row');
like($out, qr/^inv\s+stock\s/m, 'catalog: every published product');
unlike($out, qr/a<b/, 'catalog: not drafts');
($rc, $out, $err) = dmesh('catalog', '--json');
is($rc, 0, 'catalog --json: exit 0');
my $catalog = decode($out, 'catalog --json');
is(scalar @$catalog, 3, 'catalog --json: one element per published relation');
is_deeply([ sort keys %{ $catalog->[0] } ],
    [ sort qw(domain product version status relation access quality_score description) ],
    'catalog --json: the columns');
my ($orders) = grep { $_->{product} eq 'orders' } @$catalog;
is($orders->{relation}, 'dmesh_sales.orders_v1', 'catalog --json: relation as text');
is($orders->{access}, 'owner', 'catalog --json: access as text');
ok(!ref $orders->{quality_score} && $orders->{quality_score} =~ /^[0-9.]+$/, 'catalog --json: the score as a number');
($rc, $out, $err) = dmesh('catalog', 'web', 'shop', '--json');
is($rc, 0, 'catalog WORDS: exit 0');
is_deeply([ map { $_->{product} } @{ decode($out, 'catalog WORDS --json') } ], ['orders'], 'catalog WORDS: what matches');
($rc, $out, $err) = dmesh('catalog', '--', 'orders', '-web');
is($rc, 0, 'catalog -- WORDS with a dash: exit 0');
like($out, qr/No product matches "orders -web"\./, 'catalog: words after -- reach the search');
($rc, $out, $err) = dmesh('catalog', q{'; DROP TABLE inv.stock; --});
is($rc, 0, 'catalog of words holding SQL: exit 0');
is($node->safe_psql('postgres', q{SELECT count(*) FROM inv.stock}), '2', 'the words were not run as SQL');

#
# health
#
($rc, $out, $err) = dmesh('health');
is($rc, 1, 'health: exit 1 when a product is failing');
like($out, qr/^product\s+lifecycle\s+status\s+fresh\s+data_age\s+quality_score\s+failed_errors\s+failed_others\s+findings\s+incidents\s+reads_7d$/m,
    'health: a table');
like($out, qr/^sales\.orders\s+published\s+failing\s/m, 'health: a failing product');
like($out, qr/^\Q$odd\E\s+draft\s/m, 'health: drafts too');
like($err, qr/health: \d products? failing: .*sales\.orders/, 'health: the failing products named on stderr');
($rc, $out, $err) = dmesh('health', 'sales.daily_revenue');
is($rc, 0, 'health of a product that is ok: exit 0');
like($out, qr/^sales\.daily_revenue\s+published\s+ok\b/m, 'health PRODUCT: its row');
is(scalar(() = $out =~ /\n/g), 3, 'health PRODUCT: only that product');
($rc, $out, $err) = dmesh('health', '--json', 'sales.orders', 'inv.stock');
is($rc, 1, 'health --json of a failing product: exit 1');
my $health = decode($out, 'health --json');
is_deeply([ map { "$_->{domain}.$_->{product}" } @$health ], [ 'inv.stock', 'sales.orders' ], 'health --json: those products');
ok(exists $health->[0]{$_}, "health --json: column $_") for qw(lifecycle newest_data data_age freshness_sla fresh
  quality_score quality_checked_at failed_error_rules failed_other_rules contract_findings reads_7d open_incidents status);
is($health->[1]{status}, 'failing', 'health --json: the status');
($rc, $out, $err) = dmesh('health', 'sales.ordres');
is($rc, 1, 'health of an unknown product: exit 1');
like($err, qr/HINT:  Did you mean "sales\.orders"\?/, 'health: the server\'s hint');

#
# lint
#
my $lintdir = "$tmp/lint";
make_path("$lintdir/sub");
PostgreSQL::Test::Utils::append_to_file("$lintdir/good.odcs.yaml", $exported);
PostgreSQL::Test::Utils::append_to_file("$lintdir/good.odps.yaml", slurp_file($odps_file));
PostgreSQL::Test::Utils::append_to_file("$lintdir/sub/bad.odcs.yaml", <<'EOF');
apiVersion: v3.1.0
kind: DataContract
id: bad
version: 1.0.0
status: active
schema:
  - name: t
    properties:
      - {name: a, logicalType: strin}
EOF
PostgreSQL::Test::Utils::append_to_file("$lintdir/sub/bad.odps.yaml", <<'EOF');
apiVersion: v1.0.0
kind: DataProduct
id: bad-product
name: bad
domain: sales
status: actve
outputPorts:
  - {name: bad, version: 1.0.0, contractID: bad}
customProperties:
  - {property: dmeshEnforcment, value: reject}
EOF
PostgreSQL::Test::Utils::append_to_file("$lintdir/sub/broken.odcs.yaml", "id: [\n");
PostgreSQL::Test::Utils::append_to_file("$lintdir/notes.txt", "not a document\n");
($rc, $out, $err) = dmesh('lint', $lintdir);
is($rc, 1, 'lint of a directory with invalid documents: exit 1');
like($out, qr/^\Q$lintdir\E\/good\.odcs\.yaml: ok$/m, 'lint: a valid contract');
like($out, qr/^\Q$lintdir\E\/good\.odps\.yaml: ok$/m, 'lint: a valid product document');
like($out,
	qr/^\Q$lintdir\E\/sub\/bad\.odcs\.yaml: error: schema\[0\]\.properties\[0\]\.logicalType: unknown type "strin"\n  ODCS v3\.1\.0 allows string, .*\n  hint: Did you mean "string"\?$/m,
	'lint: a problem with its severity, path, the standard\'s detail indented below, and the name meant');
like($out, qr/^\Q$lintdir\E\/sub\/bad\.odps\.yaml: error: outputPorts\[0\]\.contractID: unknown key\n(  .*\n)?  hint: Did you mean "contractId"\?/m,
	'lint: an unknown key of a product document, with the key meant');
like($out, qr/^\Q$lintdir\E\/sub\/bad\.odps\.yaml: error: status: unknown status "actve"\n(  .*\n)?  hint: Did you mean "active"\?/m,
	'lint: a value the standard does not allow, with the value meant');
like($out, qr/^\Q$lintdir\E\/sub\/bad\.odps\.yaml: error: customProperties\[0\]\.property: unknown dmesh property "dmeshEnforcment"\n(  .*\n)?  hint: Did you mean "dmeshEnforcement"\?/m,
	'lint: a misspelt dmesh customProperty, with the name meant');
like($out, qr/^\Q$lintdir\E\/sub\/broken\.odcs\.yaml: error: invalid YAML at line \d+/m, 'lint: a document the server cannot read');
unlike($out, qr/notes\.txt/, 'lint DIR: only *.odcs.* and *.odps.* files');
like($out, qr/^5 documents checked: 2 valid, 3 with problems \(5 problems\)$/m, 'lint: the summary');
($rc, $out, $err) = dmesh('lint', "$lintdir/good.odcs.yaml", "$lintdir/good.odps.yaml");
is($rc, 0, 'lint of valid documents: exit 0');
is($out, "$lintdir/good.odcs.yaml: ok\n$lintdir/good.odps.yaml: ok\n2 documents checked: 2 valid, 0 with problems (0 problems)\n",
	'lint of valid documents: each ok');
($rc, $out, $err) = dmesh('lint', '--json', "$lintdir/good.odcs.yaml", "$lintdir/sub/bad.odcs.yaml", "$lintdir/sub/broken.odcs.yaml");
is($rc, 1, 'lint --json: exit 1');
my $lint = decode($out, 'lint --json');
is_deeply([ map { $_->{valid} ? 1 : 0 } @$lint ], [ 1, 0, 0 ], 'lint --json: valid per file');
is($lint->[0]{file}, "$lintdir/good.odcs.yaml", 'lint --json: the file');
is_deeply($lint->[0]{problems}, [], 'lint --json: no problems for a valid file');
is_deeply([ sort keys %{ $lint->[1]{problems}[0] } ], [qw(hint kind message path severity)], 'lint --json: a problem\'s fields');
is_deeply([ @{ $lint->[1]{problems}[0] }{qw(kind path severity hint)} ],
	[ 'DataContract', 'schema[0].properties[0].logicalType', 'error', 'Did you mean "string"?' ],
	'lint --json: the problem\'s kind, path, severity and hint');
like($lint->[1]{problems}[0]{message}, qr/\Aunknown type "strin"\nODCS v3\.1\.0 allows /, 'lint --json: the message, its lines as they are');
like($lint->[2]{problems}[0]{message}, qr/YAML/, 'lint --json: a document that is no YAML has that as its problem');
($rc, $out, $err) = dmesh('lint', '-q', "$lintdir/sub/bad.odcs.yaml");
is($rc, 1, 'lint -q of an invalid document: exit 1');
unlike($out, qr/documents? checked/, 'lint -q: no summary');

#
# diff
#
($rc, $out, $err) = dmesh('export', 'sales.orders');
my $current = "$tmp/current.odcs.yaml";
PostgreSQL::Test::Utils::append_to_file($current, $out);
($rc, $out, $err) = dmesh('diff', 'sales.orders', $current);
is($rc, 0, 'diff of the active contract: exit 0');
is($out, "No changes: the file is the active contract of sales.orders.\n", 'diff: no changes');
(my $dropped = $out = slurp_file($current)) =~ s/^  - name: country\n    logicalType: string\n//m;
$dropped =~ s/^version: "?1\.0\.1"?$/version: 2.0.0/m;
isnt($dropped, $out, 'a contract without the country property');
my $dropped_file = "$tmp/dropped.odcs.yaml";
PostgreSQL::Test::Utils::append_to_file($dropped_file, $dropped);
# Ana reads the country of the orders; Bob may, but reads nothing.  (The
# count of readers before her: daily_revenue's checks read the orders too.)
$node->safe_psql('postgres', 'SELECT dmesh.flush_usage()');
($rc, $out, $err) = dmesh('diff', '--json', 'sales.orders', $dropped_file);
my ($readers_before) = map { $_->{affected_consumers} } grep { $_->{severity} eq 'breaking' } @{ decode($out, 'diff --json') };
$node->safe_psql('postgres', q{
SELECT dmesh.grant_access('sales.orders', 'ana');
SELECT dmesh.grant_access('sales.orders', 'bob');
SET ROLE ana;
SELECT country, count(*) FROM dmesh_sales.orders_v1 GROUP BY country;
RESET ROLE;
SELECT dmesh.flush_usage();
});
($rc, $out, $err) = dmesh('diff', 'sales.orders', $dropped_file);
is($rc, 1, 'diff with a breaking change: exit 1');
like($out, qr/^path\s+change\s+severity\s+old\s+new\s+affected_consumers$/m, 'diff: a table');
my $readers = $readers_before + 1;
like($out, qr/^schema\[orders\]\.properties\[country\]\s+removed\s+breaking\s+\{.*\}\s+$readers$/m,
	"diff: the removed property, breaking, read by Ana too ($readers consumers)");
like($out, qr/^version\s+changed\s+info\s+"1\.0\.1"\s+"2\.0\.0"$/m, 'diff: the new version (no trailing spaces)');
like($err, qr/diff: 1 breaking change for sales\.orders \(a change affects up to $readers consumers?\)/, 'diff: said on stderr');
($rc, $out, $err) = dmesh('diff', '--json', 'sales.orders', $dropped_file);
is($rc, 1, 'diff --json: exit 1');
my $diff = decode($out, 'diff --json');
my ($removed) = grep { $_->{severity} eq 'breaking' } @$diff;
ok($removed, 'diff --json: a breaking change');
is_deeply([ sort keys %$removed ], [qw(affected_consumers change new old path severity)], 'diff --json: the columns');
is_deeply([ @$removed{qw(path change affected_consumers new)} ], [ 'schema[orders].properties[country]', 'removed', $readers, undef ],
	'diff --json: the change, its consumers as a number, new as null');
is($removed->{old}{name}, 'country', 'diff --json: old as a JSON value');
($rc, $out, $err) = dmesh('diff', 'sales.nope', $dropped_file);
is($rc, 1, 'diff of an unknown product: exit 1');
like($err, qr/^dmesh: diff: ERROR:  data product "sales\.nope" does not exist/m, 'diff: the server\'s error');

#
# suggest
#
($rc, $out, $err) = dmesh('suggest', 'inv.stock');
is($rc, 0, 'suggest: exit 0');
is( $node->safe_psql('postgres',
        q{SELECT dmesh.yaml_to_jsonb($dmeshyaml$} . $out . q{$dmeshyaml$) = dmesh.suggest_contract('inv.stock')}),
    't', 'suggest: the suggested contract, in YAML');
like($out, qr/^apiVersion: v3\.1\.0\nkind: DataContract\n/, 'suggest: an ODCS document');
($rc, $out, $err) = dmesh('suggest', 'inv.stock', '--sample-rows', '0', '--json');
is($rc, 0, 'suggest --sample-rows 0 --json: exit 0');
my $suggested = decode($out, 'suggest --json');
is($suggested->{kind}, 'DataContract', 'suggest --json: the contract as JSON');
ok((grep { /^sample: none \(sample_rows 0\)/ } @{ $suggested->{schema}[0]{customProperties}[0]{value} }),
	'suggest --sample-rows: the server read as many rows as asked (none)');
($rc, $out, $err) = dmesh('suggest', 'inv.nosuch');
is($rc, 1, 'suggest of a relation that does not exist: exit 1');
like($err, qr/^dmesh: suggest: ERROR:  source relation "inv\.nosuch" does not exist/m, 'suggest: the server\'s error');
($rc, $out, $err) = dmesh('suggest', 'SELECT 1 AS x');
is($rc, 1, 'suggest of a query: exit 1');
like($err, qr/ERROR:  dmesh\.suggest_contract takes a relation, not a query\n.*HINT:  /s, 'suggest: a query is refused, with a hint');

#
# plan and apply: a directory of several products, as a team keeps it
#
sub write_tree
{
	my ($dir, %files) = @_;
	while (my ($path, $text) = each %files)
	{
		my ($sub) = "$dir/$path" =~ m{^(.*)/};
		make_path($sub);
		open my $fh, '>', "$dir/$path" or die "$dir/$path: $!";
		print $fh $text;
		close $fh;
	}
}

# The shop's team owns the domain; its CI role applies the documents.
$node->safe_psql('postgres', q{
CREATE ROLE shop_team NOLOGIN;
CREATE ROLE shop_ci LOGIN IN ROLE shop_team;
CREATE SCHEMA shop AUTHORIZATION shop_team;
SET ROLE shop_team;
CREATE TABLE shop.items (id int PRIMARY KEY, name text NOT NULL, price numeric NOT NULL);
INSERT INTO shop.items VALUES (1, 'pen', 2), (2, 'ink', 5);
CREATE TABLE shop.carts (id int PRIMARY KEY, items int NOT NULL);
INSERT INTO shop.carts SELECT g, g % 4 + 1 FROM generate_series(1, 20) g;
RESET ROLE;
SELECT dmesh.create_domain('shop', 'shop_team', 'The web shop');
});
sub ci { return dmesh({ PGUSER => 'shop_ci' }, @_); }
my $sql = sub { return $node->safe_psql('postgres', $_[0]); };
my $events = sub { return $sql->(q{SELECT count(*) FROM dmesh.event_log}); };
my $shop_products = sub {
	return $sql->(q{SELECT string_agg(p.name || ':' || p.status || ':' || p.version, ',' ORDER BY p.name)
	                  FROM dmesh.data_product p JOIN dmesh.domain d USING (domain_id) WHERE d.name = 'shop'});
};
my $ports = sub {
	return $sql->(q{SELECT string_agg(o.major || ':' || o.status, ',' ORDER BY o.major)
	                  FROM dmesh.output_port o JOIN dmesh.data_product p USING (product_id) WHERE p.name = 'items'});
};
my $carts_purpose = sub {
	return $sql->(q{SELECT description FROM dmesh.data_product WHERE name = 'carts'});
};

# An ODCS v3.1.0 contract of shop.items, of a version, with some columns.
my $items_contract = sub {
	my ($version, @props) = @_;
	@props = qw(id name price) unless @props;
	my %prop = (
		id => '{name: id, logicalType: integer, physicalType: integer, required: true, primaryKey: true}',
		name => '{name: name, logicalType: string, physicalType: text, required: true}',
		price => '{name: price, logicalType: number, physicalType: numeric, required: true}');
	return <<"EOF" . join('', map { "      - $prop{$_}\n" } @props);
apiVersion: v3.1.0
kind: DataContract
id: shop-items
name: Items
version: $version
status: active
domain: shop
dataProduct: items
description:
  purpose: Every article the web shop sells.
schema:
  - name: items
    physicalName: shop.items
    quality:
      - {metric: rowCount, mustBeGreaterThan: 0}
    properties:
EOF
};
# An ODPS v1.0.0 document of shop.items with output ports of those versions.
my $items_product = sub {
	my @versions = @_;
	return <<"EOF" . join('', map { "  - {name: items, version: $_, contractId: shop-items}\n" } @versions);
apiVersion: v1.0.0
kind: DataProduct
id: 6b1f3c52-8e0a-4d7e-9c21-5a4e2f7d9b10
name: items
version: $versions[-1]
domain: shop
status: active
description:
  purpose: Articles of the web shop
tags: [shop, articles]
outputPorts:
EOF
};

# The carts' contract is the one dmesh suggest writes for the table.
($rc, $out, $err) = ci('suggest', 'shop.carts');
is($rc, 0, 'suggest shop.carts (as the team): exit 0');
my $carts_contract = $out;
my $carts_id = $sql->(q{SELECT dmesh.yaml_to_jsonb($dmeshyaml$} . $carts_contract . q{$dmeshyaml$)->>'id'});
ok($carts_id ne '', "suggest: the contract has an id ($carts_id)");
is( $sql->(q{SELECT string_agg(p->>'name', ',') FROM jsonb_array_elements(dmesh.yaml_to_jsonb($dmeshyaml$}
	  . $carts_contract . q{$dmeshyaml$)->'schema'->0->'properties') p}),
	'id,items', 'suggest: the table\'s columns are its properties');
my $carts_product = sub {
	my ($purpose) = @_;
	return <<"EOF";
apiVersion: v1.0.0
kind: DataProduct
id: 0d7a9e4c-3b25-4f81-a6c9-e2b8f1d45c37
name: carts
version: 1.0.0
domain: shop
status: active
description:
  purpose: $purpose
outputPorts:
  - name: carts
    version: 1.0.0
    contractId: "$carts_id"
EOF
};

my $mesh = "$tmp/mesh";
write_tree($mesh,
	'products/carts.odps.yaml' => $carts_product->('Shopping carts'),
	'products/items.odps.yaml' => $items_product->('1.0.0'),
	'contracts/carts/carts.odcs.yaml' => $carts_contract,
	'contracts/items/items-1.0.0.odcs.yaml' => $items_contract->('1.0.0'),
	'contracts/unused.odcs.json' => '{"apiVersion": "v3.1.0", "kind": "DataContract", "id": "unused", "version": "1.0.0", "status": "active"}',
	'README.md' => "not a document\n");

($rc, $out, $err) = ci('lint', $mesh);
is($rc, 0, 'lint of the mesh (the suggested contract too): exit 0');
like($out, qr/^\Q$mesh\E\/contracts\/carts\/carts\.odcs\.yaml: ok$/m, 'lint: the suggested contract is valid');
like($out, qr/^5 documents checked: 5 valid, 0 with problems/m, 'lint: every document of the mesh is valid');

# A new directory: both products planned, then applied.
my $events_before = $events->();
my $events_last = $sql->(q{SELECT coalesce(max(event_id), 0) FROM dmesh.event_log});
($rc, $out, $err) = ci('plan', $mesh);
is($rc, 0, 'plan of two new products: exit 0');
like($out, qr/^product\s+kind\s+item\s+change\s+breaking\s+consumers\s+detail$/m, 'plan: a table');
like($out, qr/^shop\.carts\s+product\s+shop\.carts\s+create\s+a draft with contract "\Q$carts_id\E" version 1\.0\.0$/m,
	'plan: the first product, created from the suggested contract');
like($out, qr/^shop\.items\s+product\s+shop\.items\s+create\s+a draft with contract "shop-items" version 1\.0\.0$/m,
	'plan: the second product, created from its contract');
like($out, qr/^shop\.items\s+status\s+active\s+publish\s/m, 'plan: the product published (status: active)');
like($out, qr/^Plan: \d+ changes in 2 products, 0 breaking\.$/m, 'plan: the summary');
like($err, qr/warning: \Q$mesh\E\/contracts\/unused\.odcs\.json: no product names contract "unused"; it is left out/,
	'plan: a contract no product names is a warning');
is($shop_products->(), '', 'plan changes nothing');
is($events->(), $events_before, 'plan logs nothing');

($rc, $out, $err) = ci('apply', $mesh);
is($rc, 0, 'apply of two new products: exit 0');
like($out, qr/^shop\.carts\s+product\s+shop\.carts\s+create\s/m, 'apply: what was done to the first product');
like($out, qr/^shop\.items\s+product\s+shop\.items\s+create\s/m, 'apply: what was done to the second product');
like($out, qr/^Applied: \d+ changes in 2 products, 0 breaking\.$/m, 'apply: the summary');
is($shop_products->(), 'carts:published:1.0.0,items:published:1.0.0', 'apply created and published both products');
is($sql->(q{SELECT dmesh.contract_document('shop.carts')->>'id'}), $carts_id,
	'apply: the suggested contract is the contract of its table\'s product');
is( $sql->(qq{SELECT string_agg(DISTINCT role_name, ',') || ' ' || string_agg(object_identity, ',' ORDER BY event_id)
                 FILTER (WHERE action = 'apply_product') FROM dmesh.event_log WHERE event_id > $events_last}),
    'shop_ci shop.carts,shop.items', 'apply: each change logged as the connected role, one apply_product event per product');

# Applying the same directory again: no change, nothing logged.
$events_before = $events->();
($rc, $out, $err) = ci('apply', $mesh);
is($rc, 0, 'a second apply of the same directory: exit 0');
is($out, "No changes applied (2 products).\n", 'a second apply: no change');
is($events->(), $events_before, 'a second apply adds no dmesh.event_log row');
($rc, $out, $err) = ci('apply', '--json', $mesh);
is($rc, 0, 'a second apply --json: exit 0');
is_deeply(decode($out, 'apply --json'), [], 'a second apply --json: no rows');
($rc, $out, $err) = ci('plan', $mesh);
is($rc, 0, 'plan of what is applied: exit 0');
is($out, "No changes (2 products).\n", 'plan of what is applied: no change');
is($events->(), $events_before, 'nothing logged');

# Readers: Ana reads the articles, prices included; Bob may, and reads nothing.
$sql->(q{
SELECT dmesh.grant_access('shop.items', 'ana');
SELECT dmesh.grant_access('shop.items', 'bob');
SET ROLE ana;
SELECT * FROM dmesh_shop.items_v1;
RESET ROLE;
SELECT dmesh.flush_usage();
});

# A breaking change within major version 1 (1.1.0 drops the price), and a
# new description of the carts, which sort first.
write_tree($mesh,
	'contracts/items/items-1.1.0.odcs.yaml' => $items_contract->('1.1.0', qw(id name)),
	'products/items.odps.yaml' => $items_product->('1.1.0'),
	'products/carts.odps.yaml' => $carts_product->('Shopping carts, one row each'));
$events_before = $events->();
($rc, $out, $err) = ci('plan', $mesh);
is($rc, 1, 'plan of a breaking change: exit 1');
like($out, qr/^shop\.carts\s+description\s+.*$/m, 'plan: the compatible change of the other product');
like($out, qr/^shop\.items\s+contract\s+1\.1\.0\s+refused\s+yes\s+ana\s+1\.0\.0 -> 1\.1\.0: .*price/m,
	'plan: the breaking change, refused within the major version, with the consumer that read it');
like($err, qr/^dmesh: plan: 1 breaking change; consumers affected: ana$/m, 'plan: the consumer named on stderr');
unlike($out . $err, qr/\bbob\b/, 'plan: a consumer that read nothing is not named');
like($err, qr/^dmesh: plan: apply would refuse 1 change/m, 'plan: says apply would refuse it');
($rc, $out, $err) = ci('plan', '--json', $mesh);
is($rc, 1, 'plan --json of a breaking change: exit 1');
my $plan = decode($out, 'plan --json');
is_deeply([ sort keys %{ $plan->[0] } ], [qw(breaking change consumers detail file item kind product)], 'plan --json: the columns');
my ($breaking) = grep { $_->{breaking} } @$plan;
is_deeply([ @$breaking{qw(file product kind item change)} ],
	[ "$mesh/products/items.odps.yaml", 'shop.items', 'contract', '1.1.0', 'refused' ],
	'plan --json: the breaking row, with its product document');
is_deeply($breaking->{consumers}, ['ana'], 'plan --json: consumers as an array');
is(scalar(grep { $_->{breaking} } @$plan), 1, 'plan --json: one breaking change');
is($events->(), $events_before, 'plan logs nothing');

# apply refuses it: ONE transaction, the carts applied before it roll back too.
($rc, $out, $err) = ci('apply', $mesh);
is($rc, 1, 'apply of a breaking change within a major version: exit 1');
like($err,
	qr/^dmesh: \Q$mesh\E\/products\/items\.odps\.yaml: ERROR:  contract version 1\.1\.0 of data product "shop\.items" breaks version 1\.0\.0 without a new major version\nDETAIL:  Breaking changes: .*price.*\nRoles that read what it breaks in the last 30 days: ana\.\nHINT:  Publish it as version 2\.0\.0/m,
	'apply: the server\'s error with the product document, its DETAIL naming the reader, and its HINT');
like($err, qr/^dmesh: apply: rolled back: nothing was applied$/m, 'apply: says nothing was applied');
is($out, '', 'apply: no changes printed');
is($carts_purpose->(), 'Shopping carts', 'apply: the product applied before the error is rolled back too');
is($shop_products->(), 'carts:published:1.0.0,items:published:1.0.0', 'apply: the refused product is unchanged');
is($events->(), $events_before, 'apply rolled back: nothing logged');

# A new major version instead: 2.0.0 beside 1.0.0, which stays listed.
unlink "$mesh/contracts/items/items-1.1.0.odcs.yaml" or die $!;
write_tree($mesh,
	'contracts/items/items-2.0.0.odcs.yaml' => $items_contract->('2.0.0', qw(id name)),
	'products/items.odps.yaml' => $items_product->('1.0.0', '2.0.0'));
($rc, $out, $err) = ci('plan', $mesh);
is($rc, 1, 'plan of a new major version: exit 1 (breaking)');
like($out, qr/^shop\.items\s+contract\s+2\.0\.0\s+set\s+yes\s+ana\s+.*major version 2 published beside 1/m,
	'plan: the new major version, breaking, with its consumer');
like($err, qr/plan: 1 breaking change; consumers affected: ana/, 'plan: the consumer named');
unlike($err, qr/would refuse/, 'plan: nothing apply would refuse');
($rc, $out, $err) = ci('apply', $mesh);
is($rc, 0, 'apply of a new major version: exit 0');
like($out, qr/^shop\.items\s+contract\s+2\.0\.0\s+set\s+yes\s+ana\s/m, 'apply: the breaking change applied and shown');
like($out, qr/^Applied: \d+ changes in 2 products, 1 breaking\.$/m, 'apply: the summary');
is($shop_products->(), 'carts:published:1.0.0,items:published:2.0.0', 'apply: the new version is the active one');
is($ports->(), '1:deprecated,2:active', 'apply: major 2 published beside major 1, now deprecated');
is($carts_purpose->(), 'Shopping carts, one row each', 'apply: the other product\'s change applied with it');
is($sql->(q{SET ROLE ana; SELECT sum(price) FROM dmesh_shop.items_v1}), '7', 'Ana still reads major version 1');
$events_before = $events->();
($rc, $out, $err) = ci('apply', $mesh);
is($rc, 0, 'apply again: exit 0');
is($out, "No changes applied (2 products).\n", 'apply again: no change');
is($events->(), $events_before, 'apply again: nothing logged');

# Export round trips: the product document and its contract, as YAML and as
# JSON, plan back to no change; the contract lints clean.
for my $form ([ 'yaml', [] ], [ 'json', ['--json'] ])
{
	my ($ext, $json_opt) = @$form;
	my $rt = "$tmp/roundtrip-$ext";
	($rc, $out, $err) = ci('export', 'shop.items', '--format', 'odps', @$json_opt);
	is($rc, 0, "export --format odps (as $ext): exit 0");
	write_tree($rt, "items.odps.$ext" => $out);
	($rc, $out, $err) = ci('export', 'shop.items', @$json_opt);
	is($rc, 0, "export --format odcs (as $ext): exit 0");
	write_tree($rt, "contracts/items.odcs.$ext" => $out);
	($rc, $out, $err) = ci('lint', $rt);
	is($rc, 0, "the exported documents ($ext) lint clean");
	($rc, $out, $err) = ci('plan', $rt);
	is($rc, 0, "plan of the exported documents ($ext): exit 0");
	is($out, "No changes (1 product).\n", "plan of the exported documents ($ext): no change");
	is($err, '', "plan of the exported documents ($ext): no warning");
}

# plan goes on after a product the server refuses, and fails.
my $mesh2 = "$tmp/mesh2";
(my $tagged = $carts_product->('Shopping carts, one row each')) =~ s/^outputPorts:/tags: [carts]\noutputPorts:/m;
write_tree($mesh2,
	'a/carts.odps.yaml' => $tagged,
	'a/carts.odcs.yaml' => $carts_contract,
	'z/nameless.odps.yaml' => "apiVersion: v1.0.0\nkind: DataProduct\nid: nameless\ndomain: shop\nstatus: active\n");
($rc, $out, $err) = ci('plan', $mesh2);
is($rc, 1, 'plan with a product the server refuses: exit 1');
like($err, qr/^dmesh: \Q$mesh2\E\/z\/nameless\.odps\.yaml: ERROR:  name: is required\nHINT:  /m,
	'plan: the refused product and the server\'s error');
like($out, qr/^shop\.carts\s+tags\s/m, 'plan: the other products are still planned');
like($err, qr/plan: the server refused 1 of 2 products/, 'plan: how many were refused');
is($sql->(q{SELECT tags::text FROM dmesh.data_product WHERE name = 'carts'}), '{}', 'plan changes nothing');

# Documents that do not hold together: exit 2, nothing planned or applied.
my $bad = "$tmp/bad-mesh";
write_tree($bad, 'p.odps.yaml' => $items_product->('1.0.0'), 'c/other.odcs.yaml' => $carts_contract);
($rc, $out, $err) = ci('apply', $bad);
is($rc, 2, 'apply: a contractId no contract has: exit 2');
like($err, qr/p\.odps\.yaml: contractId "shop-items" is the id of no contract below/, 'apply: the missing contract named');
is($out, '', 'apply: nothing printed');
write_tree($bad, 'c/1.odcs.yaml' => $items_contract->('1.0.0'), 'c/one.odcs.yaml' => $items_contract->('1.0.0'),
	'c/2.odcs.yaml' => $items_contract->('2.0.0', qw(id name)));
($rc, $out, $err) = ci('plan', $bad);
is($rc, 2, 'plan: a contract id and version twice: exit 2');
like($err, qr/contract "shop-items" version 1\.0\.0 is in both ".*c\/1\.odcs\.yaml" and ".*c\/one\.odcs\.yaml"/,
	'plan: both files named');
unlike($err, qr/2\.odcs\.yaml/, 'plan: another version of the same contract is no conflict');
unlink "$bad/c/one.odcs.yaml" or die $!;
write_tree($bad, 'broken.odcs.yaml' => "id: [\n");
$events_before = $events->();
($rc, $out, $err) = ci('apply', $bad);
is($rc, 2, 'apply: a document the server cannot read: exit 2');
like($err, qr/broken\.odcs\.yaml: ERROR:  .*YAML/, 'apply: the document and the server\'s error');
is($shop_products->(), 'carts:published:1.0.0,items:published:2.0.0', 'nothing was applied');
is($events->(), $events_before, 'nothing was logged');

$node->stop;
done_testing();
