#!/usr/bin/env bash
# Cost of the usage and runtime-lineage hook (shared_preload_libraries =
# dmesh) on ordinary statements and on reads of a data product, on one
# throwaway cluster: pgbench TPS with dmesh.track_usage on against off, in
# alternating runs, several rounds:
#   tpcb:     pgbench's TPC-B-like script (dmesh installed, no product);
#   select:   pgbench -S (primary-key lookups, no product);
#   product:  primary-key lookups on a published product's view, as a
#             consumer (each one counted);
#   etl:      INSERT ... SELECT of 100 rows from one table into another
#             (each one a runtime-lineage write).
# Run as root after scripts/setup.sh (or as a user who can run
# pg_virtualenv): test/bench/usage/run.sh [rounds] [seconds]
set -euo pipefail
rounds=${1:-5}
secs=${2:-5}
work=$(mktemp -d /tmp/dmesh-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$work" && as=(runuser -u postgres --) || as=()
cd "$work"
cat > product.sql <<'SQL'
\set id random(1, 100000)
SELECT * FROM dmesh_bench.items_v1 WHERE id = :id;
SQL
cat > etl.sql <<'SQL'
\set id random(1, 99900)
INSERT INTO bench_src.copy SELECT id, v FROM bench_src.items WHERE id BETWEEN :id AND :id + 99;
SQL
"${as[@]}" pg_virtualenv -v 15 -o shared_preload_libraries=dmesh -o shared_buffers=256MB \
    -o synchronous_commit=off -o autovacuum=off bash -c "
set -e
createdb bench
pgbench -q -i -s 10 bench >/dev/null 2>&1
psql -X -q -d bench -v pw=\"\$PGPASSWORD\" <<'SQL'
\set ON_ERROR_STOP on
CREATE EXTENSION dmesh;
CREATE ROLE bench_team; CREATE ROLE bench_reader LOGIN;
SET client_min_messages = warning;
ALTER ROLE bench_reader PASSWORD :'pw';
RESET client_min_messages;
SELECT dmesh.create_domain('bench', 'bench_team');
CREATE SCHEMA bench_src AUTHORIZATION bench_team;
CREATE TABLE bench_src.items (id int PRIMARY KEY, v text);
INSERT INTO bench_src.items SELECT g, md5(g::text) FROM generate_series(1, 100000) g;
CREATE TABLE bench_src.copy (id int, v text);
ALTER TABLE bench_src.items OWNER TO bench_team;
SELECT dmesh.create_data_product('bench', 'items', 'bench_src.items');
SELECT dmesh.publish_data_product('bench.items');
SELECT dmesh.grant_access('bench.items', 'bench_reader');
VACUUM ANALYZE;
SQL
run() { # mode script-args...
  local mode=\$1; shift
  psql -X -q -d bench -c \"ALTER SYSTEM SET dmesh.track_usage = \$mode\" -c 'SELECT pg_reload_conf()' >/dev/null
  sleep 0.2
  pgbench -n -T $secs \"\$@\" bench 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}
for w in tpcb select product etl; do
  case \$w in
    tpcb) args=() ;;
    select) args=(-S) ;;
    product) args=(-U bench_reader -f product.sql) ;;
    etl) args=(-f etl.sql) ;;
  esac
  ratios=()
  for r in \$(seq $rounds); do
    off=\$(run off \"\${args[@]}\"); on=\$(run on \"\${args[@]}\")
    ratio=\$(awk -v a=\$on -v b=\$off 'BEGIN { printf \"%.3f\", a / b }')
    ratios+=(\$ratio)
    echo \"\$w round \$r: off \$off tps, on \$on tps, on/off \$ratio\"
  done
  printf '%s\n' \"\${ratios[@]}\" | sort -n | awk -v w=\$w '{ a[NR] = \$1 } END { printf \"%s median on/off: %s\n\", w, a[int((NR + 1) / 2)] }'
done
psql -X -q -d bench -c 'SELECT dmesh.flush_usage() AS flushed' -c \"SELECT consumer, queries FROM dmesh.usage\" -c \"SELECT source, target, statements FROM dmesh.lineage_run\"
"
