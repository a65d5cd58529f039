# The packaging files agree with the extension: META.json (PGXN) names the
# version dmesh.control installs, the install script it points at is the
# one make builds, CHANGELOG.md has an entry for that version, LICENSE is
# the PostgreSQL License, and the installed server offers that version.
use strict;
use warnings;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $control = slurp_file('dmesh.control');
my ($version) = $control =~ /^default_version\s*=\s*'([^']+)'/m;
ok(defined $version, "dmesh.control has a default_version");

my $meta = decode_json(slurp_file('META.json'));
is($meta->{name}, 'dmesh', 'META.json names dmesh');
is($meta->{version}, $version, 'META.json has the version of dmesh.control');
is($meta->{provides}{dmesh}{version}, $version, 'META.json provides that version');
is($meta->{provides}{dmesh}{file}, "sql/dmesh--$version.sql",
    'META.json points at the install script of that version');
ok(-f "sql/dmesh--$version.sql", 'that install script is built');
is($meta->{license}, 'postgresql', 'META.json says the PostgreSQL License');
like(slurp_file('LICENSE'), qr/^PostgreSQL License$/m, 'LICENSE is the PostgreSQL License');
like(slurp_file('CHANGELOG.md'), qr/^## \Q$version\E\b/m,
    'CHANGELOG.md has an entry for this version');

my $node = PostgreSQL::Test::Cluster->new('packaging');
$node->init;
$node->start;
is($node->safe_psql('postgres',
        q{SELECT default_version FROM pg_available_extensions WHERE name = 'dmesh'}),
    $version, 'the installed server offers that version');
$node->stop;

done_testing();
