#!/usr/bin/env bash
# DDL gate cost: pgbench runs of DDL scripts in a database without dmesh
# ("plain") and one with dmesh and 30 published products ("mesh"), on one
# throwaway cluster, alternating, several rounds.  Prints TPS per run and
# the median ratio mesh/plain.  Run as root after scripts/setup.sh (or as
# a user who can run pg_virtualenv): test/bench/ddl_gate/run.sh [rounds] [transactions]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rounds=${1:-5}
xacts=${2:-300}
work=$(mktemp -d /tmp/dmesh-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$here"/*.sql "$work/"
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$work" && as=(runuser -u postgres --) || as=()
cd "$work"
"${as[@]}" pg_virtualenv -v 15 -o shared_preload_libraries=dmesh bash -c "
set -e
createdb plain; createdb mesh
psql -X -q -d mesh -f setup.sql
psql -X -q -d plain -c 'CREATE SCHEMA bench_src; CREATE TABLE bench_src.orders (id int PRIMARY KEY, amount numeric(10,2) NOT NULL, note text)'
tps() { pgbench -n -c 1 -t $xacts -f \"\$2\" \"\$1\" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p'; }
for script in plain_ddl.sql product_ddl.sql; do
  echo \"== \$script ($rounds rounds of $xacts transactions)\"
  ratios=()
  for r in \$(seq $rounds); do
    p=\$(tps plain \$script); m=\$(tps mesh \$script)
    ratio=\$(awk -v m=\$m -v p=\$p 'BEGIN { printf \"%.3f\", m / p }')
    ratios+=(\$ratio)
    echo \"round \$r: plain \$p tps, mesh \$m tps, mesh/plain \$ratio\"
  done
  printf '%s\n' \"\${ratios[@]}\" | sort -n | awk '{ a[NR] = \$1 } END { printf \"median mesh/plain: %s\n\", a[int((NR + 1) / 2)] }'
done
"
