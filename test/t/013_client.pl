# The dmesh command-line client (src/client, docs/client.md), the binary
# make installs into the bindir of the pg_config used, driven against a real
# server with the extension: help, usage and connection errors (exit 2), and
# each command's output (human and --json) and exit status.
#
# test, export (odcs, openlineage), catalog and health run against the real
# extension.  lint, plan, apply, diff, export --format odps and suggest call
# server functions that other branches add (dmesh.lint_document,
# plan_product, apply_product, contract_diff_document, product_yaml,
# suggest_contract); until they are in this tree, test/t/fixtures/
# client_stubs.sql creates test-only STAND-INS with the same signatures, each
# only when the real function is missing.  The tests of those commands check
# the client's side (exit codes, one transaction, messages, JSON shapes), so
# that they hold against the real functions too.
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
$node->start;
my $port = $node->port;
my $host = $node->host;

$node->safe_psql('postgres', 'CREATE EXTENSION dmesh');
$node->safe_psql('postgres', 'CREATE DATABASE plain');

# Stand-ins for the server functions not in this tree yet.
$node->safe_psql('postgres', slurp_file('test/t/fixtures/client_stubs.sql'));
my $stubs = $node->safe_psql('postgres',
    q{SELECT string_agg(signature, ', ' ORDER BY signature) FROM dmesh_client_stubs.created});
note($stubs ne '' ? "STAND-INS in use (test only): $stubs" : 'no stand-ins: every server function is real');

# A mesh: sales.orders (a failing error rule, a rule not run here), sales.
# daily_revenue (no rules), inv.stock (a failing warning rule), q.<odd name>
# (names and values that need escaping).
$node->safe_psql('postgres', q{
CREATE ROLE sales_team NOLOGIN;
CREATE ROLE ana LOGIN;
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
    [ [ 'suggest', 'sales.orders', '--sample-rows', '0' ], qr/--sample-rows must be a whole number/ ],
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

# A server whose dmesh lacks the function a command needs: said, exit 2.
$node->safe_psql('postgres', 'CREATE DATABASE bare');
$node->safe_psql('bare', 'CREATE EXTENSION dmesh');
SKIP:
{
	skip 'dmesh.lint_document exists: no server lacks it', 3
	  if $node->safe_psql('bare', q{SELECT to_regprocedure('dmesh.lint_document(text)') IS NOT NULL}) eq 't';
	($rc, $out, $err) = dmesh('-d', 'bare', 'lint', 'test/t/fixtures/client_stubs.sql');
	is($rc, 2, 'a server without the function a command needs: exit 2');
	like($err, qr/the server's dmesh \(version \Q$version\E\) has no function dmesh\.lint_document\(text\)\nHINT:  dmesh lint needs a newer dmesh/,
		'the missing function is named, with a hint');
	is($out, '', 'nothing on stdout');
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
my $odps_file = "$tmp/orders.odps.yaml";
PostgreSQL::Test::Utils::append_to_file($odps_file, $out);
is($node->safe_psql('postgres', q{SELECT dmesh.yaml_to_jsonb($dmeshyaml$} . $out . q{$dmeshyaml$)->>'kind'}),
    'DataProduct', 'export --format odps: an ODPS document');
($rc, $out, $err) = dmesh('lint', $odps_file);
is($rc, 0, 'the exported product document lints clean');
($rc, $out, $err) = dmesh('export', 'sales.orders', '--format', 'odps', '--json');
is($rc, 0, 'export --format odps --json: exit 0');
is(decode($out, 'export odps --json')->{kind}, 'DataProduct', 'export --format odps --json: the document as JSON');

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
PostgreSQL::Test::Utils::append_to_file("$lintdir/sub/broken.odcs.yaml", "id: [\n");
PostgreSQL::Test::Utils::append_to_file("$lintdir/notes.txt", "not a document\n");
($rc, $out, $err) = dmesh('lint', $lintdir);
is($rc, 1, 'lint of a directory with invalid documents: exit 1');
like($out, qr/^\Q$lintdir\E\/good\.odcs\.yaml: ok$/m, 'lint: a valid document');
like($out, qr/^\Q$lintdir\E\/sub\/bad\.odcs\.yaml: error: .*strin/m, 'lint: a problem, with its severity');
like($out, qr/^\Q$lintdir\E\/sub\/broken\.odcs\.yaml: error: .*YAML/m, 'lint: a document the server cannot read');
unlike($out, qr/notes\.txt/, 'lint DIR: only *.odcs.* and *.odps.* files');
like($out, qr/^3 documents checked: 1 valid, 2 with problems/m, 'lint: the summary');
($rc, $out, $err) = dmesh('lint', '--json', "$lintdir/good.odcs.yaml", "$lintdir/sub/bad.odcs.yaml", "$lintdir/sub/broken.odcs.yaml");
is($rc, 1, 'lint --json: exit 1');
my $lint = decode($out, 'lint --json');
is_deeply([ map { $_->{valid} ? 1 : 0 } @$lint ], [ 1, 0, 0 ], 'lint --json: valid per file');
is($lint->[0]{file}, "$lintdir/good.odcs.yaml", 'lint --json: the file');
is_deeply($lint->[0]{problems}, [], 'lint --json: no problems for a valid file');
is_deeply([ sort keys %{ $lint->[1]{problems}[0] } ], [qw(hint kind message path severity)], 'lint --json: a problem\'s fields');
like($lint->[2]{problems}[0]{message}, qr/YAML/, 'lint --json: the server\'s error as a problem');

#
# diff
#
($rc, $out, $err) = dmesh('export', 'sales.orders');
my $current = "$tmp/current.odcs.yaml";
PostgreSQL::Test::Utils::append_to_file($current, $out);
($rc, $out, $err) = dmesh('diff', 'sales.orders', $current);
is($rc, 0, 'diff of the active contract: exit 0');
like($out, qr/^No changes/m, 'diff: no changes');
(my $dropped = $out = slurp_file($current)) =~ s/^  - name: country\n    logicalType: string\n//m;
$dropped =~ s/^version: "?1\.0\.1"?$/version: 2.0.0/m;
isnt($dropped, $out, 'a contract without the country property');
my $dropped_file = "$tmp/dropped.odcs.yaml";
PostgreSQL::Test::Utils::append_to_file($dropped_file, $dropped);
$node->safe_psql('postgres', q{SELECT dmesh.grant_access('sales.orders', 'ana')});
($rc, $out, $err) = dmesh('diff', 'sales.orders', $dropped_file);
is($rc, 1, 'diff with a breaking change: exit 1');
like($out, qr/^path\s+change\s+severity\s+old\s+new\s+affected_consumers$/m, 'diff: a table');
like($out, qr/country.*breaking/, 'diff: the removed property, breaking');
like($err, qr/diff: \d+ breaking changes? for sales\.orders/, 'diff: said on stderr');
($rc, $out, $err) = dmesh('diff', '--json', 'sales.orders', $dropped_file);
is($rc, 1, 'diff --json: exit 1');
my $diff = decode($out, 'diff --json');
my ($removed) = grep { $_->{severity} eq 'breaking' } @$diff;
ok($removed, 'diff --json: a breaking change');
is_deeply([ sort keys %$removed ], [qw(affected_consumers change new old path severity)], 'diff --json: the columns');
($rc, $out, $err) = dmesh('diff', 'sales.nope', $dropped_file);
is($rc, 1, 'diff of an unknown product: exit 1');

#
# suggest
#
($rc, $out, $err) = dmesh('suggest', 'inv.stock');
is($rc, 0, 'suggest: exit 0');
is($node->safe_psql('postgres', q{SELECT dmesh.yaml_to_jsonb($dmeshyaml$} . $out . q{$dmeshyaml$)->>'kind'}),
    'DataContract', 'suggest: a contract file in YAML');
($rc, $out, $err) = dmesh('suggest', 'inv.stock', '--sample-rows', '1', '--json');
is($rc, 0, 'suggest --sample-rows --json: exit 0');
is(decode($out, 'suggest --json')->{kind}, 'DataContract', 'suggest --json: the contract as JSON');
($rc, $out, $err) = dmesh('suggest', 'inv.nosuch');
is($rc, 1, 'suggest of a relation that does not exist: exit 1');
like($err, qr/^dmesh: suggest: ERROR:  /m, 'suggest: the server\'s error');

#
# plan and apply
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

$node->safe_psql('postgres', q{
CREATE SCHEMA shop;
CREATE TABLE shop.items (id int PRIMARY KEY, name text NOT NULL, price numeric NOT NULL);
INSERT INTO shop.items VALUES (1, 'pen', 2), (2, 'ink', 5);
CREATE TABLE shop.carts (id int PRIMARY KEY, items int NOT NULL);
});
my $items_contract = sub {
	my ($version, @props) = @_;
	@props = qw(id name price) unless @props;
	my %type = (id => 'integer', name => 'string', price => 'number');
	return "apiVersion: v3.1.0\nkind: DataContract\nid: shop-items\nname: Items\nversion: $version\nstatus: active\n"
	  . "schema:\n  - name: items\n    physicalName: shop.items\n    properties:\n"
	  . join('', map { "      - {name: $_, logicalType: $type{$_}}\n" } @props);
};
my $product_doc = sub {
	my ($name, @contracts) = @_;
	return "apiVersion: v1.0.0\nkind: DataProduct\nid: shop.$name\nname: $name\ndomain: shop\nstatus: active\n"
	  . "outputPorts:\n"
	  . join('', map { "  - name: $name\n    version: 1.0.0\n    contractId: $_\n" } @contracts);
};
my $carts_contract = "apiVersion: v3.1.0\nkind: DataContract\nid: shop-carts\nversion: 1.0.0\nstatus: active\n"
  . "schema:\n  - name: carts\n    physicalName: shop.carts\n    properties:\n"
  . "      - {name: id, logicalType: integer}\n      - {name: items, logicalType: integer}\n";
my $count_products = sub {
	return $node->safe_psql('postgres',
		q{SELECT count(*) FROM dmesh.data_product p JOIN dmesh.domain d USING (domain_id) WHERE d.name = 'shop'});
};

my $mesh = "$tmp/mesh";
write_tree($mesh,
	'products/items.odps.yaml' => $product_doc->('items', 'shop-items'),
	'contracts/items.odcs.yml' => $items_contract->('1.0.0'),
	'contracts/unused.odcs.json' => '{"apiVersion": "v3.1.0", "kind": "DataContract", "id": "unused", "version": "1.0.0", "status": "active"}',
	'README.md' => "not a document\n");
($rc, $out, $err) = dmesh('plan', $mesh);
is($rc, 0, 'plan of a new product: exit 0');
like($out, qr/^product\s+kind\s+item\s+change\s+breaking\s+consumers\s+detail$/m, 'plan: a table');
like($out, qr/^shop\.items\s/m, 'plan: the product\'s changes');
like($err, qr/warning: .*unused\.odcs\.json: no product names contract "unused"; it is left out/,
    'plan: a contract no product names is a warning');
is($count_products->(), '0', 'plan changes nothing');

($rc, $out, $err) = dmesh('apply', $mesh);
is($rc, 0, 'apply of a new product: exit 0');
like($out, qr/^Applied: \d+ changes? in 1 product, 0 breaking\.$/m, 'apply: what was applied');
is($count_products->(), '1', 'apply created the product');
is($node->safe_psql('postgres', q{SELECT version FROM dmesh.data_product WHERE name = 'items'}), '1.0.0',
    'apply: the product has its contract');
$node->safe_psql('postgres', q{SELECT dmesh.publish_data_product('shop.items')});

# A compatible change.
write_tree($mesh, 'contracts/items.odcs.yml' => $items_contract->('1.1.0'));
($rc, $out, $err) = dmesh('plan', '--json', $mesh);
is($rc, 0, 'plan of a compatible change: exit 0');
my $plan = decode($out, 'plan --json');
ok(scalar @$plan >= 1, 'plan --json: the changes');
is_deeply([ sort keys %{ $plan->[0] } ], [qw(breaking change consumers detail file item kind product)], 'plan --json: the columns');
is($plan->[0]{file}, "$mesh/products/items.odps.yaml", 'plan --json: the product document');
ok(!grep({ $_->{breaking} } @$plan), 'plan --json: nothing breaking');
($rc, $out, $err) = dmesh('apply', '-q', $mesh);
is($rc, 0, 'apply of a compatible change: exit 0');
is($node->safe_psql('postgres', q{SELECT version FROM dmesh.data_product WHERE name = 'items'}), '1.1.0',
    'apply: the new version');

# A breaking change, with a consumer.
$node->safe_psql('postgres', q{SELECT dmesh.grant_access('shop.items', 'ana')});
write_tree($mesh, 'contracts/items.odcs.yml' => $items_contract->('2.0.0', qw(id name)));
($rc, $out, $err) = dmesh('plan', $mesh);
is($rc, 1, 'plan of a breaking change: exit 1');
like($out, qr/^shop\.items\s.*\byes\s+ana\b/m, 'plan: the breaking change and its consumers');
like($err, qr/plan: 1 breaking change; consumers affected: ana/, 'plan: the consumers named on stderr');
($rc, $out, $err) = dmesh('plan', '--json', $mesh);
is($rc, 1, 'plan --json of a breaking change: exit 1');
my ($breaking) = grep { $_->{breaking} } @{ decode($out, 'plan --json') };
is_deeply($breaking->{consumers}, ['ana'], 'plan --json: consumers as an array');

# ONE transaction: the first product is applied, the second refused: neither stays.
write_tree($mesh,
	'contracts/items.odcs.yml' => $items_contract->('1.2.0', qw(id name)),    # breaking within major 1
	'a/carts.odps.yaml' => $product_doc->('carts', 'shop-carts'),              # sorts first: applied first
	'contracts/carts.odcs.yaml' => $carts_contract);
($rc, $out, $err) = dmesh('apply', $mesh);
is($rc, 1, 'apply with a product the server refuses: exit 1');
like($err, qr/^dmesh: \Q$mesh\E\/products\/items\.odps\.yaml: ERROR:  .+\n(DETAIL:  .+\n)?(HINT:  .+\n)?/m,
    'apply: the server\'s error, with the product document');
like($err, qr/DETAIL:  /, 'apply: the error\'s DETAIL');
like($err, qr/HINT:  /, 'apply: the error\'s HINT');
like($err, qr/apply: rolled back: nothing was applied/, 'apply: says nothing was applied');
is($out, '', 'apply: no changes printed');
is($count_products->(), '1', 'apply: the product applied before the error is rolled back too');
is($node->safe_psql('postgres', q{SELECT version FROM dmesh.data_product WHERE name = 'items'}), '1.1.0',
    'apply: the refused product is unchanged');

# plan goes on after a refused product, and fails.
my $mesh2 = "$tmp/mesh2";
write_tree($mesh2,
	'a/carts.odps.yaml' => $product_doc->('carts', 'shop-carts'),
	'a/carts.odcs.yaml' => $carts_contract,
	'z/nameless.odps.yaml' => "apiVersion: v1.0.0\nkind: DataProduct\nid: nameless\nstatus: active\n");
($rc, $out, $err) = dmesh('plan', $mesh2);
is($rc, 1, 'plan with a product the server refuses: exit 1');
like($err, qr/^dmesh: \Q$mesh2\E\/z\/nameless\.odps\.yaml: ERROR:  /m, 'plan: the refused product and the server\'s error');
like($out, qr/^shop\.carts\s/m, 'plan: the other products are still planned');
like($err, qr/plan: the server refused 1 of 2 products/, 'plan: how many were refused');
is($count_products->(), '1', 'plan changes nothing');

# A contractId without a contract, a contract id twice, a document the
# server cannot read: exit 2, nothing planned or applied.
my $bad = "$tmp/bad-mesh";
write_tree($bad, 'p.odps.yaml' => $product_doc->('pens', 'shop-pens'));
($rc, $out, $err) = dmesh('apply', $bad);
is($rc, 2, 'apply: a contractId no contract has: exit 2');
like($err, qr/p\.odps\.yaml: contractId "shop-pens" is the id of no contract below/, 'apply: the missing contract named');
write_tree($bad, 'c1.odcs.yaml' => $carts_contract, 'c2.odcs.yaml' => $carts_contract,
	'p.odps.yaml' => $product_doc->('carts', 'shop-carts'));
($rc, $out, $err) = dmesh('plan', $bad);
is($rc, 2, 'plan: a contract id twice: exit 2');
like($err, qr/contract id "shop-carts" is the id of both ".*c1\.odcs\.yaml" and ".*c2\.odcs\.yaml"/, 'plan: both files named');
unlink "$bad/c2.odcs.yaml";
write_tree($bad, 'broken.odcs.yaml' => "id: [\n");
($rc, $out, $err) = dmesh('apply', $bad);
is($rc, 2, 'apply: a document the server cannot read: exit 2');
like($err, qr/broken\.odcs\.yaml: ERROR:  .*YAML/, 'apply: the document and the server\'s error');
is($count_products->(), '1', 'nothing was applied');

$node->stop;
done_testing();
