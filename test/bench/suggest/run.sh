#!/usr/bin/env bash
# dmesh.suggest_contract on a 10,000,000-row, 20-column table (about 2 GB)
# against a baseline in the same run, SELECT count(*) of the table, on one
# throwaway cluster: rounds in alternating order, medians and the ratio;
# then how the time grows with sample_rows, how fast a cancel stops it,
# and what the sample misses against a full scan on skewed columns (a
# status seen in 9 rows of 10,000,000, one price far beyond the others):
# the suggested contract is made a product and dmesh.check_product reads
# every row.
#
# Usage: test/bench/suggest/run.sh [rounds] [rows]
#
# The cluster: with PG_CONFIG set, initdb and pg_ctl of that installation
# (its bindir) on a socket of its own (in the work directory; port
# BENCH_PORT, default 5694, names it), e.g. a
# private copy with dmesh installed in it:
#   PG_CONFIG=/opt/pgh/suggest/lib/postgresql/15/bin/pg_config test/bench/suggest/run.sh
# without it, pg_virtualenv -v 15 (the system's PostgreSQL 15, with dmesh
# installed there).  Run as root (the cluster runs as postgres) or as a
# user who can run initdb.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rounds=${1:-5}
rows=${2:-10000000}
case $rounds in ''|*[!0-9]*|0) echo "usage: $0 [rounds>=1] [rows]" >&2; exit 2 ;; esac
case $rows in ''|*[!0-9]*|0) echo "usage: $0 [rounds>=1] [rows]" >&2; exit 2 ;; esac

# The table (2 GB) fits in shared buffers and is prewarmed; no autovacuum,
# JIT or background worker during a timed statement.
settings=(
  shared_preload_libraries=dmesh
  shared_buffers=3GB
  work_mem=64MB
  maintenance_work_mem=512MB
  max_wal_size=8GB
  checkpoint_timeout=30min
  synchronous_commit=off
  fsync=off
  autovacuum=off
  jit=off
  max_parallel_workers_per_gather=2
  dmesh.worker_enabled=off
)

work=$(mktemp -d /tmp/dmesh-bench.XXXXXX)
cp "$here"/bench.sh "$here"/setup.sql "$work/"
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$work" && as=(runuser -u postgres --) || as=()
cd "$work"

echo "== dmesh.suggest_contract bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $rounds rounds, $rows rows"
echo "machine: $(nproc) vCPU $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM"

if [ -n "${PG_CONFIG:-}" ]; then
  bindir=$("$PG_CONFIG" --bindir)
  port=${BENCH_PORT:-5694}
  opts="-p $port -k $work -c listen_addresses="   # a socket of its own, no TCP
  for s in "${settings[@]}"; do opts+=" -c $s"; done
  stop() { "${as[@]}" "$bindir/pg_ctl" -D "$work/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$work"; }
  trap stop EXIT
  "${as[@]}" "$bindir/initdb" -D "$work/data" -A trust -U postgres >/dev/null
  "${as[@]}" "$bindir/pg_ctl" -D "$work/data" -o "$opts" -l "$work/server.log" -w start >/dev/null ||
    { tail -5 "$work/server.log" >&2; exit 1; }
  "${as[@]}" env PATH="$bindir:$PATH" PGHOST="$work" PGPORT="$port" PGUSER=postgres \
    bash bench.sh "$rounds" "$rows"
else
  trap 'rm -rf "$work"' EXIT
  vopts=()
  for s in "${settings[@]}"; do vopts+=(-o "$s"); done
  "${as[@]}" pg_virtualenv -v 15 "${vopts[@]}" bash bench.sh "$rounds" "$rows"
fi
