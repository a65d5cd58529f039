# The README's "Products as code" section, run as a person would: on a
# cluster with shared_preload_libraries = dmesh, the README's SQL blocks
# first (Getting started, through psql, as the doc test extracts them),
# then each ```sh block of the section, in order, with bash, in one working
# directory, as the cluster's superuser (PGHOST, PGPORT, PGDATABASE set as
# the README says).  Each block's exit status and the facts its text
# promises are checked.
use strict;
use warnings;
use File::Temp qw(tempdir);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# The ```sh blocks under the README's "## Products as code", in order.
sub section_blocks
{
	my ($file, $heading) = @_;
	my (@blocks, $in_section, $block);
	foreach my $line (split /\n/, slurp_file($file))
	{
		if (!defined $block && $line =~ /^## /)
		{
			$in_section = ($line eq "## $heading");
			next;
		}
		next unless $in_section;
		if (!defined $block && $line =~ /^```sh\s*$/)
		{
			$block = '';
		}
		elsif (defined $block && $line =~ /^```\s*$/)
		{
			push @blocks, $block;
			undef $block;
		}
		elsif (defined $block)
		{
			$block .= "$line\n";
		}
	}
	return @blocks;
}

my @blocks = section_blocks('README.md', 'Products as code');
is(scalar @blocks, 5, 'the section has five shell blocks');

my $node = PostgreSQL::Test::Cluster->new('readme_as_code');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'dmesh'\n");
$node->start;

# Getting started, as the doc test runs it (its intended errors included).
my $story = `test/doc/extract.sh README.md`;
is($?, 0, 'the README\'s SQL blocks extracted');
my ($out, $err) = ('', '');
IPC::Run::run([ 'psql', '-X', '-q', '-d', $node->connstr('postgres') ],
	'<', \$story, '>', \$out, '2>', \$err);
like($out, qr/sales\.orders/, 'Getting started ran');
is($node->safe_psql('postgres',
		q{SELECT string_agg(name || ':' || status, ',' ORDER BY name) FROM dmesh.data_product}),
	'big_orders:published,daily_revenue:retired,orders:published',
	'Getting started left its three products');

my $dir = tempdir(CLEANUP => 1);
local $ENV{PGHOST} = $node->host;
local $ENV{PGPORT} = $node->port;
local $ENV{PGDATABASE} = 'postgres';
delete local $ENV{PGOPTIONS};
delete local $ENV{PGUSER};

# Runs the blocks in one bash, so that exports carry over as they do for a
# person pasting them into one shell; a marker after each block records its
# status.
my $script = "cd '$dir'\n";
for my $i (0 .. $#blocks)
{
	$script .= $blocks[$i] . "echo \"==block $i status \$?==\"\n";
}
my ($sh_out, $sh_err) = ('', '');
IPC::Run::run([ 'bash', '-c', $script ], '>', \$sh_out, '2>', \$sh_err);
note("stderr:\n$sh_err") if $sh_err ne '';
my %out;
my $rest = $sh_out;
for my $i (0 .. $#blocks)
{
	if ($rest =~ s/\A(.*?)==block $i status (\d+)==\n//s)
	{
		$out{$i} = { text => $1, status => $2 };
	}
}
is(scalar keys %out, scalar @blocks, 'every block ran to its end');

# 1: the table.
is($out{0}{status}, 0, 'block 1 (the table) succeeded');
is($node->safe_psql('postgres', 'SELECT count(*) FROM sales.refunds'), 200, 'the refunds are there');

# 2: the suggested contract, reviewed.
is($out{1}{status}, 0, 'block 2 (suggest) succeeded');
like($out{1}{text}, qr/validValues:\n\s*- damaged\n\s*- late\n\s*- wrong size/,
	'the suggestion holds the three reasons as valid values');
my $contract = slurp_file("$dir/mesh/refunds/refunds.odcs.yaml");
like($contract, qr/^id: sales-refunds$/m, 'the contract has its id');
like($contract, qr/^  - property: freshness$|^- property: freshness$/m, 'and a freshness SLA');

# 3: lint, plan, apply, apply again.
is($out{2}{status}, 0, 'block 3 (lint, plan, apply, apply) succeeded');
like($out{2}{text}, qr/2 documents checked: 2 valid/, 'lint: both files valid');
like($out{2}{text}, qr/^Plan: \d+ changes in 1 product, 0 breaking\.$/m, 'plan: the changes, none breaking');
like($out{2}{text}, qr/^Applied: \d+ changes in 1 product, 0 breaking\.$/m, 'apply: applied');
like($out{2}{text}, qr/^No changes applied \(1 product\)\.$/m, 'apply again: nothing to change');
is($node->safe_psql('postgres',
		q{SELECT p.status || ',' || p.owner || ',' ||
		         (SELECT count(*) FROM dmesh.access_grant g WHERE g.product_id = p.product_id
		            AND g.consumer = 'ana'::regrole)
		    FROM dmesh.data_product p WHERE p.name = 'refunds'}),
	'published,sales_team,1', 'the product is published, owned by the team, with the agreement');
is($node->safe_psql('postgres',
		q{SELECT string_agg(DISTINCT role_name, ',') FROM dmesh.event_log e
		    JOIN dmesh.data_product p USING (product_id) WHERE p.name = 'refunds'}),
	'sam', 'every change was made as sam');

# 4: test and catalog.
is($out{3}{status}, 0, 'block 4 (test, catalog) succeeded');
like($out{3}{text}, qr/^sales\.refunds: (\d+) rules, \1 passed, 0 failed/m, 'every rule passed');
my $junit = slurp_file("$dir/refunds.xml");
like($junit, qr/<testsuite name="sales\.refunds" tests="\d+" failures="0"/, 'the JUnit file');
like($out{3}{text}, qr/^sales\s+refunds\s+1\.0\.0\s+published\s+dmesh_sales\.refunds_v1\s+owner\b/m,
	'the catalog lists it, owned by the caller');

# 5: the breaking change caught, with the consumer named; nothing changed.
is($out{4}{status}, 0, 'block 5 ran (its plan fails on purpose)');
like($out{4}{text}, qr/^plan: exit status 1$/m, 'plan exits with status 1');
like($out{4}{text}, qr/^sales\.refunds\s+contract\s+1\.1\.0\s+refused\s+yes\s+ana\b/m, 'the breaking change names ana');
like($out{4}{text}, qr/damaged/, 'ana read the refunds by reason');
is($node->safe_psql('postgres',
		q{SELECT string_agg(k.version, ',' ORDER BY k.contract_id) FROM dmesh.contract k
		    JOIN dmesh.data_product p USING (product_id) WHERE p.name = 'refunds'}),
	'1.0.0', 'plan changed nothing');
is(slurp_file("$dir/mesh/refunds/refunds.odcs.yaml"), $contract, 'the files are back as they were');

$node->stop;
done_testing();
