#!/usr/bin/env bash
# Write-audit-publish refresh of a 1,000,000-row materialized product
# against a plain REFRESH MATERIALIZED VIEW of the same query, on one
# throwaway cluster, alternating, several rounds (the refresh checks the
# contract's rules on every new row; the materialized view checks nothing).
# Then how long the swap blocks readers: pgbench clients read the product
# (one row per query) while refreshes run, and their longest latency is
# compared with the longest latency without refreshes.
# Run as root after scripts/setup.sh (or as a user who can run
# pg_virtualenv): test/bench/refresh/run.sh [rounds] [rows]
set -euo pipefail
rounds=${1:-5}
rows=${2:-1000000}
work=$(mktemp -d /tmp/dmesh-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$work" && as=(runuser -u postgres --) || as=()
cd "$work"
cat > read.sql <<'SQL'
SELECT id, gross FROM dmesh_bench.sales_v1 LIMIT 1;
SQL
"${as[@]}" pg_virtualenv -v 15 -o shared_preload_libraries=dmesh -o shared_buffers=1GB \
    -o work_mem=64MB -o max_wal_size=4GB -o synchronous_commit=off -o autovacuum=off -o jit=off \
    -o dmesh.worker_enabled=off bash -c "
set -e
createdb bench
psql -X -q -d bench <<'SQL'
\set ON_ERROR_STOP on
CREATE EXTENSION dmesh;
CREATE TABLE orders (id int PRIMARY KEY, customer int NOT NULL, amount numeric(10,2) NOT NULL, region text NOT NULL);
INSERT INTO orders SELECT g, g % 5000, (g % 997) + 0.5, CASE WHEN g % 2 = 0 THEN 'north' ELSE 'south' END
  FROM generate_series(1, $rows) g;
VACUUM ANALYZE orders;
CREATE MATERIALIZED VIEW sales_mv AS
  SELECT id, customer, amount * 1.2 AS gross, region FROM orders WHERE amount > 1;
SELECT dmesh.create_domain('bench', CURRENT_USER::regrole);
SELECT dmesh.create_data_product('bench', 'sales',
  'SELECT id, customer, amount * 1.2 AS gross, region FROM orders WHERE amount > 1',
  materialize => true, contract => \$y\$
apiVersion: v3.1.0
kind: DataContract
id: bench-sales
version: 1.0.0
status: active
schema:
  - name: sales
    properties:
      - {name: id, logicalType: integer, required: true}
      - {name: customer, logicalType: integer, required: true, logicalTypeOptions: {minimum: 0}}
      - {name: gross, logicalType: number, required: true, logicalTypeOptions: {minimum: 0, maximum: 10000}}
      - {name: region, logicalType: string, required: true, logicalTypeOptions: {maxLength: 10}}
\$y\$);
SELECT dmesh.publish_data_product('bench.sales');
SQL
echo \"== rows: \$(psql -X -At -d bench -c 'SELECT count(*) FROM dmesh_bench.sales_v1'), rules: 6, $(nproc) vCPU\"
t() { psql -X -At -d bench -c '\\timing on' -c \"\$1\" | sed -n 's/^Time: \\([0-9.]*\\) ms.*/\\1/p'; }
t 'REFRESH MATERIALIZED VIEW sales_mv' >/dev/null; t \"SELECT dmesh.refresh_product('bench.sales')\" >/dev/null
ratios=(); mvs=(); waps=()
for r in \$(seq $rounds); do
  psql -X -q -d bench -c 'SELECT dmesh._refresh_cleanup()' >/dev/null
  if [ \$((r % 2)) -eq 1 ]; then
    mv=\$(t 'REFRESH MATERIALIZED VIEW sales_mv'); wap=\$(t \"SELECT dmesh.refresh_product('bench.sales')\")
  else
    wap=\$(t \"SELECT dmesh.refresh_product('bench.sales')\"); mv=\$(t 'REFRESH MATERIALIZED VIEW sales_mv')
  fi
  ratio=\$(awk -v a=\$wap -v b=\$mv 'BEGIN { printf \"%.2f\", a / b }')
  ratios+=(\$ratio); mvs+=(\$mv); waps+=(\$wap)
  echo \"round \$r: REFRESH MATERIALIZED VIEW \$mv ms, refresh_product \$wap ms, ratio \$ratio\"
done
med() { printf '%s\n' \"\$@\" | sort -g | awk '{ a[NR] = \$1 } END { print a[int((NR + 1) / 2)] }'; }
echo \"medians: REFRESH MATERIALIZED VIEW \$(med \${mvs[@]}) ms, refresh_product \$(med \${waps[@]}) ms, ratio \$(med \${ratios[@]}) (target <= 1.3)\"

echo '== readers during refreshes (1 pgbench client, one row per query)'
pgbench -n -c 1 -j 1 -T 5 -l --log-prefix=quiet -f read.sql bench >/dev/null 2>&1
quiet_max=\$(cat quiet.* | awk '{ if (\$3 > m) m = \$3 } END { printf \"%.1f\", m / 1000 }')
rm -f quiet.*
pgbench -n -c 1 -j 1 -T 12 -l --log-prefix=busy -f read.sql bench >/dev/null 2>&1 &
pid=\$!
sleep 1
for i in 1 2 3; do
  psql -X -q -d bench -c 'SET client_min_messages = debug1' -c \"SELECT dmesh.refresh_product('bench.sales')\" 2>&1 >/dev/null |
    sed -n 's/.*published in \([0-9.]*\) ms.*/\1/p' >> swaps
  psql -X -q -d bench -c 'SELECT dmesh._refresh_cleanup()' >/dev/null    # as the worker does
done
wait \$pid
echo \"publish (views rewritten, tables renamed, before commit): \$(sort -g swaps | tr '\\n' ' ')ms\"
busy_max=\$(cat busy.* | awk '{ if (\$3 > m) m = \$3 } END { printf \"%.1f\", m / 1000 }')
busy_n=\$(cat busy.* | wc -l)
busy_slow=\$(cat busy.* | awk '\$3 > 10000' | wc -l)
echo \"longest read: \$quiet_max ms without refreshes, \$busy_max ms during 3 refreshes (\$busy_n reads, \$busy_slow over 10 ms)\"
echo \"slowest reads (ms): \$(cat busy.* | awk '{ printf \"%.1f\\n\", \$3 / 1000 }' | sort -g | tail -6 | tr '\\n' ' ')\"
"
