# scripts/prometheus-queries.yaml works with the real Debian
# prometheus-postgres-exporter: the exporter, started on a cluster with a
# published data product, serves every row of dmesh.metrics over HTTP with
# the domain and product labels, and a later scrape follows changes in the
# database.
use strict;
use warnings;
use Cwd ();
use FindBin;
use HTTP::Tiny;
use IPC::Run;
use Time::HiRes qw(sleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $exporter = '/usr/bin/prometheus-postgres-exporter';
my $queries  = Cwd::abs_path("$FindBin::RealBin/../../scripts/prometheus-queries.yaml");

# CI installs the exporter (scripts/setup.sh does), so a missing binary is
# a failure, not a reason to skip.
if (!-x $exporter)
{
    fail("$exporter is missing: install the Debian package prometheus-postgres-exporter "
          . '(scripts/setup.sh installs it)');
    done_testing();
    exit;
}
ok(-r $queries, "the queries file $queries is readable");

my $node = PostgreSQL::Test::Cluster->new('prometheus');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'dmesh'");
$node->start;

$node->safe_psql('postgres', q{
    CREATE EXTENSION dmesh;
    CREATE ROLE team NOLOGIN;
    CREATE SCHEMA src;
    CREATE TABLE src.orders (id int PRIMARY KEY, amount numeric);
    ALTER TABLE src.orders OWNER TO team;
    SELECT dmesh.create_domain('sales', 'team');
    SELECT dmesh.create_data_product('sales', 'orders', 'src.orders', 'Orders');
    SELECT dmesh.publish_data_product('sales.orders');
});

# Start the exporter in the background on a port of its own (the packaged
# service, when it runs, listens on 9187).  It connects over the cluster's
# Unix socket as the OS user running the test, who owns the cluster.
# Only the custom queries are wanted: the built-in metric maps, the
# pg_settings metrics and the two built-in collectors are turned off.
my $http_port = PostgreSQL::Test::Cluster::get_free_port();
my $url       = "http://127.0.0.1:$http_port/metrics";
my $os_user   = getpwuid($<);
my $log       = "$PostgreSQL::Test::Utils::log_path/004_prometheus_exporter.log";
my @command   = (
    $exporter,
    "--web.listen-address=127.0.0.1:$http_port",
    "--extend.query-path=$queries",
    '--disable-default-metrics',
    '--disable-settings-metrics',
    '--no-collector.database',
    '--no-collector.bgwriter');
my $dsn = sprintf("host='%s' port=%d user='%s' dbname=postgres sslmode=disable",
    $node->host, $node->port, $os_user);
note "starting: DATA_SOURCE_NAME=\"$dsn\" @command (log in $log)";

my $exporter_run;
{
    # The exporter gets no PG* variables from the test environment: its
    # PostgreSQL driver (lib/pq) panics on some of them, such as the
    # PGSYSCONFDIR that pg_virtualenv sets, and PG_EXPORTER_* ones would
    # change its flags.
    local %ENV = %ENV;
    delete $ENV{$_} for grep { /^PG/ } keys %ENV;
    $ENV{DATA_SOURCE_NAME} = $dsn;
    $exporter_run = IPC::Run::start(\@command, '<', '/dev/null', '>&', $log);
}

# Stop the exporter however the test ends (including a die in safe_psql).
END
{
    # Keep the exit status Test::More has set.
    local $?;
    $exporter_run->kill_kill(grace => 5) if $exporter_run;
}

# Returns the body of one successful GET of /metrics, polling for up to
# 30 seconds while the exporter starts; undef (with the exporter's log as
# a diagnostic) if it never answers or dies.
my $http = HTTP::Tiny->new(timeout => 10);
sub scrape
{
    my $deadline = time() + 30;
    while (time() < $deadline)
    {
        my $response = $http->get($url);
        return $response->{content} if $response->{success};
        last unless $exporter_run->pumpable;    # the exporter exited
        sleep(0.2);
    }
    diag("no answer from $url; exporter log:\n" . slurp_file($log));
    return undef;
}

# Parses the Prometheus text format into a list of samples
# { name => ..., labels => { ... }, value => ... }.
sub parse_samples
{
    my ($text) = @_;
    my @samples;
    for my $line (split /\n/, $text // '')
    {
        next if $line =~ /^#/ || $line !~ /\S/;
        my ($name, $labels, $value) = $line =~ /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/
          or die "unexpected line in the exporter's output: $line";
        my %labels;
        while (defined $labels && $labels =~ /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)
        {
            my ($key, $val) = ($1, $2);
            $val =~ s/\\(.)/$1 eq 'n' ? "\n" : $1/ge;
            $labels{$key} = $val;
        }
        push @samples, { name => $name, labels => \%labels, value => $value };
    }
    return @samples;
}

# The dmesh samples of a scrape, one "metric|domain|product|value" line
# each, sorted: the same shape as dmesh_rows() below.
sub dmesh_samples
{
    my ($text) = @_;
    return join "\n", sort map {
        join '|', @{ $_->{labels} }{qw(metric domain product)}, 0 + $_->{value}
    } grep { $_->{name} eq 'dmesh_metrics_value' } parse_samples($text);
}

# What the view says, in the shape of dmesh_samples().
sub dmesh_rows
{
    return join "\n", sort split /\n/, $node->safe_psql('postgres', q{
        SELECT concat_ws('|', metric, labels->>'domain', labels->>'product', value)
          FROM dmesh.metrics});
}

# The value of the dmesh metric $metric for a product, or undef.
sub dmesh_value
{
    my ($text, $metric, $domain, $product) = @_;
    my @found = grep {
             $_->{name} eq 'dmesh_metrics_value'
          && ($_->{labels}{metric}  // '') eq $metric
          && ($_->{labels}{domain}  // '') eq $domain
          && ($_->{labels}{product} // '') eq $product
    } parse_samples($text);
    return @found == 1 ? $found[0]{value} : undef;
}

my $body = scrape();
if (!ok(defined $body, "the exporter answers on $url"))
{
    done_testing();
    exit;
}
note "first scrape, dmesh lines:\n" . join "\n", grep { /dmesh/ } split /\n/, $body;

my ($load_error) =
  grep { $_->{name} eq 'pg_exporter_user_queries_load_error' } parse_samples($body);
is($load_error && $load_error->{labels}{filename}, $queries, 'the exporter read the queries file');
is($load_error && $load_error->{value}, '0', 'the queries file loaded without error');
is((grep { /^pg_exporter_last_scrape_error / } split /\n/, $body)[0],
    'pg_exporter_last_scrape_error 0', 'the dmesh query ran without error');

is(dmesh_value($body, 'dmesh_product_published', 'sales', 'orders'),
    '1', 'dmesh_product_published{domain="sales",product="orders"} is 1');
is(dmesh_value($body, 'dmesh_agreements', 'sales', 'orders'),
    '0', 'dmesh_agreements{domain="sales",product="orders"} is 0');
my ($sample) = grep { $_->{name} eq 'dmesh_metrics_value' } parse_samples($body);
is(join(',', sort keys %{ $sample->{labels} }), 'domain,metric,product,server',
    'the labels are the view\'s metric, domain and product, plus the exporter\'s server');
like($body, qr/^# TYPE dmesh_metrics_value gauge$/m, 'dmesh_metrics_value is a gauge');
is(dmesh_samples($body), dmesh_rows(), 'the scrape holds exactly the rows of dmesh.metrics');
unlike($body, qr/^pg_settings_/m, 'no pg_settings metrics (--disable-settings-metrics)');

# A second product, in a domain whose name needs escaping in the output:
# first as a draft, then checked against a contract that one row breaks,
# published and granted.  Each scrape reads the view again.
$node->safe_psql('postgres', q{
    GRANT USAGE ON SCHEMA src TO team;
    CREATE TABLE src.invoices (id int PRIMARY KEY, total numeric);
    ALTER TABLE src.invoices OWNER TO team;
    INSERT INTO src.invoices VALUES (1, 10), (2, 500), (3, 50);
    SELECT dmesh.create_domain('finance "EU"', 'team');
    SELECT dmesh.create_data_product('finance "EU"', 'invoices', 'src.invoices', 'Invoices');
});
$body = scrape();
is(dmesh_value($body, 'dmesh_product_published', 'finance "EU"', 'invoices'),
    '0', 'a new draft product is scraped, not yet published');
is(dmesh_value($body, 'dmesh_quality_score', 'finance "EU"', 'invoices'),
    undef, 'no quality score before the first check');

# Three rules (id required, id unique, total at most 100); row 2 breaks
# the last one, so the score is 2 of 3 rules, 66.7 percent.
$node->safe_psql('postgres', q{
    CREATE ROLE reader;
    SELECT dmesh.set_contract('finance "EU".invoices',
           jsonb_set(jsonb_set(dmesh.derive_contract('finance "EU".invoices'), '{version}', '"1.1.0"'),
                     '{schema,0,properties,1,logicalTypeOptions}', '{"maximum": 100}'));
    SELECT count(*) FROM dmesh.check_product('finance "EU".invoices');
    SELECT dmesh.publish_data_product('finance "EU".invoices');
    SELECT dmesh.grant_access('finance "EU".invoices', 'reader');
});
$body = scrape();
is(dmesh_value($body, 'dmesh_product_published', 'finance "EU"', 'invoices'),
    '1', 'the next scrape shows the product published');
is(dmesh_value($body, 'dmesh_quality_score', 'finance "EU"', 'invoices'),
    '66.7', 'the quality score of the check is scraped');
is(dmesh_value($body, 'dmesh_quality_failed_rules', 'finance "EU"', 'invoices'),
    '1', 'the failed rule of the check is scraped');
is(dmesh_value($body, 'dmesh_agreements', 'finance "EU"', 'invoices'),
    '1', 'the agreement is scraped');
is(dmesh_value($body, 'dmesh_product_published', 'sales', 'orders'),
    '1', 'the first product is still there');
is(dmesh_samples($body), dmesh_rows(), 'the scrape still holds exactly the rows of dmesh.metrics');
note "last scrape, dmesh lines:\n" . join "\n", grep { /dmesh/ } split /\n/, $body;

$exporter_run->kill_kill(grace => 5);
undef $exporter_run;
$node->stop;
done_testing();
