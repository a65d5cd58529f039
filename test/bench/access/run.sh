#!/usr/bin/env bash
# Cost of reading a data product through dmesh's governance, on one
# throwaway cluster: bench_src.accounts (1,000,000 rows, owner bench_team)
# read by its owner directly ("raw") against bench_consumer reading the
# published view dmesh_bench.accounts_v1 ("gov"), whose agreement has the
# row filter region = 'north' (half of the rows) and whose masking
# policies hash email (pii) and partially mask iban (restricted); and, to
# tell the filter's cost from the masks', bench_auditor ("clr"), whose
# agreement has the same filter and sees both columns in clear:
#   A. point lookups by primary key (lookup.sh): pgbench TPS, 1 and 2
#      clients, every lookup returning one row in both variants;
#   B. full scans (scan.sh): every row the consumer may see, all columns,
#      aggregated in the server and copied to the client.
# Before timing, cluster.sh shows that the consumer only gets the north
# rows, masked, and is denied the table.  Each part runs `rounds` rounds
# (variants in rotating order) and prints medians and ratios.
# Run as root after the extension is installed (or as a user who can run
# pg_virtualenv):  test/bench/access/run.sh [rounds] [seconds] [all|lookup|scan]
# (seconds: length of each pgbench run, default 10; the default run takes
# about 8 minutes).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rounds=${1:-5}
secs=${2:-10}
part=${3:-all}
usage="usage: $0 [rounds>=1] [seconds>=1] [all|lookup|scan]"
case $rounds in ''|*[!0-9]*|0) echo "$usage" >&2; exit 2 ;; esac
case $secs in ''|*[!0-9]*|0) echo "$usage" >&2; exit 2 ;; esac
case $part in all|lookup|scan) ;; *) echo "$usage" >&2; exit 2 ;; esac

# Cluster settings: the table and its index (about 150 MB) fit in shared
# buffers and are prewarmed, no autovacuum or JIT compilation during the
# timings, parallel scans as on a default server.  pg_virtualenv sets
# fsync=off; nothing here writes anyway.
settings=(
  shared_preload_libraries=dmesh
  shared_buffers=1GB
  work_mem=64MB
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

echo "== dmesh governed-access bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $rounds rounds"
echo "machine: $(nproc) vCPU $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM"
"${as[@]}" pg_virtualenv -v 15 "${opts[@]}" bash cluster.sh "$rounds" "$secs" "$part"
