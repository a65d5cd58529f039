#!/usr/bin/env bash
# Cost of data-quality rules, dmesh against the usual alternatives, on one
# throwaway cluster:
#   A. write path (write_path.sh): one INSERT ... SELECT of 1,000,000 valid
#      rows into a table with no rules, native CHECK constraints, a PL/pgSQL
#      trigger, or a dmesh contract enforced with dmesh.enforce_contract;
#   B. batch check (batch_check.sh): the rules of a contract checked over a
#      5,000,000-row table, one query per rule against dmesh.check_product.
# Each part runs `rounds` rounds (variants in rotating order) and prints the
# median times and ratios.  A dmesh variant whose functions are missing is
# skipped with "dmesh variant unavailable: <error>".
# Run as root after the extension is installed (or as a user who can run
# pg_virtualenv):  test/bench/quality/run.sh [rounds] [all|write|batch]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rounds=${1:-3}
part=${2:-all}
case $rounds in ''|*[!0-9]*|0) echo "usage: $0 [rounds>=1] [all|write|batch]" >&2; exit 2 ;; esac
case $part in all|write|batch) ;; *) echo "usage: $0 [rounds>=1] [all|write|batch]" >&2; exit 2 ;; esac

# Cluster settings for a bench: all tables of a run (about 1 GB) fit in
# shared buffers and are prewarmed, WAL of a run fits in max_wal_size, no
# checkpoint or autovacuum in the middle of a timed statement (the scripts
# checkpoint and vacuum explicitly), no JIT compilation in the timings.
# pg_virtualenv itself sets fsync=off: WAL and data are written but not
# flushed, so the timings measure CPU and memory, not the disk.
settings=(
  shared_preload_libraries=dmesh
  shared_buffers=2GB
  work_mem=64MB
  maintenance_work_mem=512MB
  max_wal_size=4GB
  checkpoint_timeout=30min
  synchronous_commit=off
  autovacuum=off
  jit=off
  max_parallel_workers_per_gather=2
)
opts=()
for s in "${settings[@]}"; do opts+=(-o "$s"); done

work=$(mktemp -d /tmp/dmesh-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$here"/*.sh "$here"/*.sql "$work/"
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$work" && as=(runuser -u postgres --) || as=()
cd "$work"

echo "== dmesh quality-rule bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $rounds rounds"
echo "machine: $(nproc) vCPU $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM"
"${as[@]}" pg_virtualenv -v 15 "${opts[@]}" bash cluster.sh "$rounds" "$part"
