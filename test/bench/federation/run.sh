#!/usr/bin/env bash
# Federation at scale, on two throwaway clusters of one installation: a
# provider publishing `products` products and a consumer that has it as a
# peer (postgres_fdw server, user mapping, dmesh.add_peer):
#   A. dmesh.sync_peer: a full sync of every product (the copy emptied
#      first), an incremental sync after 10 descriptions changed, and one
#      after no change; `rounds` rounds each, medians; the plan of the
#      sync's first query (what it sends to the peer);
#   B. dmesh.mesh_search over the synced copy (`products` remote rows), then
#      over `remote_total` remote rows (generated rows written straight into
#      dmesh.remote_product for a second peer: fill_remote.sql), p50/p95 of
#      `runs` calls per query, against dmesh.search over the provider's own
#      catalog of the same number of local products;
#   C. a live subscription's foreign table (dmesh.subscribe) against a plain
#      postgres_fdw foreign table (IMPORT FOREIGN SCHEMA) on the same
#      published view, read through the same user mapping: pgbench TPS,
#      one client, `secs` seconds per run, `rounds` alternating rounds;
#      then dmesh.check_subscriptions() timed, and the provider's usage.
# The PostgreSQL installation is the one of $PG_CONFIG (or $PGBIN, a bin
# directory; default: pg_config on the PATH), with dmesh installed in it.
# Run as root (clusters run as postgres) or as a user who can run initdb:
#   PG_CONFIG=/opt/pgh/x/lib/postgresql/15/bin/pg_config test/bench/federation/run.sh \
#       [products] [remote_total] [rounds] [runs] [secs] [big_runs]
# (big_runs: calls per query over remote_total rows.)  Ports: $PORT_BASE
# (default 5696) and the next one, on a Unix socket in the work directory
# only.  The default run (10000 100000 3 10 5 5) takes 5 to 7 minutes on
# 2 vCPUs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
products=${1:-10000}
remote_total=${2:-100000}
rounds=${3:-3}
runs=${4:-10}
secs=${5:-5}
big_runs=${6:-5}
usage="usage: $0 [products>=10] [remote_total>=products] [rounds>=1] [runs>=2] [secs>=1] [big_runs>=2]"
for v in "$products" "$remote_total" "$rounds" "$runs" "$secs" "$big_runs"; do
  case $v in ''|*[!0-9]*|0) echo "$usage" >&2; exit 2 ;; esac
done
[ "$products" -ge 10 ] && [ "$remote_total" -ge "$products" ] && [ "$runs" -ge 2 ] && [ "$big_runs" -ge 2 ] || { echo "$usage" >&2; exit 2; }

if [ -n "${PGBIN:-}" ]; then bin=$PGBIN
else bin=$("${PG_CONFIG:-pg_config}" --bindir); fi
[ -x "$bin/initdb" ] && [ -x "$bin/pgbench" ] || { echo "no initdb/pgbench in $bin" >&2; exit 2; }
pbase=${PORT_BASE:-5696}
pport=$pbase cport=$((pbase + 1))

work=$(mktemp -d /tmp/dmesh-fedbench.XXXXXX)
cp "$here"/*.sql "$work/"
as=()
if [ "$(id -u)" -eq 0 ]; then chown -R postgres: "$work"; as=(runuser -u postgres --); fi
cleanup() {
  for n in provider consumer; do
    [ -f "$work/$n/postmaster.pid" ] && "${as[@]}" "$bin/pg_ctl" -D "$work/$n" stop -m immediate >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

# Both clusters: trust authentication on a Unix socket in $work, no
# autovacuum or JIT during the timings, fsync off (a throwaway cluster);
# the consumer's worker does not sync peers or check subscriptions on its
# own (peer_sync_interval 0, dmesh.database not this database).
for n in provider consumer; do
  port=$pport; [ $n = consumer ] && port=$cport
  "${as[@]}" "$bin/initdb" -D "$work/$n" -A trust -U postgres >/dev/null
  cat >>"$work/$n/postgresql.conf" <<CONF
port = $port
listen_addresses = ''
unix_socket_directories = '$work'
shared_preload_libraries = 'dmesh'
shared_buffers = 512MB
fsync = off
synchronous_commit = off
autovacuum = off
jit = off
dmesh.peer_sync_interval = 0
CONF
  "${as[@]}" "$bin/pg_ctl" -D "$work/$n" -l "$work/$n.log" -w start >/dev/null
  "${as[@]}" "$bin/createdb" -h "$work" -p "$port" -U postgres bench
done
pq() { "${as[@]}" "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$work" -p "$pport" -U postgres -d bench "$@"; }
cq() { "${as[@]}" "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$work" -p "$cport" -U postgres -d bench "$@"; }

# timed Q N SQL...: run the statements once untimed, then N times under
# \timing in one session of Q (pq or cq); print the N times in ms.
timed() {
  local q=$1 n=$2 stmt=$3 out
  out=$({ printf '%s\n' "$stmt" '\timing on'; for _ in $(seq "$n"); do printf '%s\n' "$stmt"; done; } | $q -o /dev/null)
  out=$(awk '/^Time: / { print $2 }' <<<"$out")
  [ "$(grep -c . <<<"$out")" -eq "$n" ] || { echo "timed: expected $n times for: $stmt; got: $out" >&2; return 1; }
  echo "$out"
}
# pct P N...: the P-th percentile (nearest rank) of the values.
pct() { local p=$1; shift; printf '%s\n' "$@" | sort -g | awk -v p="$p" '{ v[NR] = $1 }
  END { r = int((p * NR + 99) / 100); if (r < 1) r = 1; printf "%.1f\n", v[r] }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
  END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f\n", m }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }

echo "== dmesh federation bench, $(date -u '+%Y-%m-%d %H:%M UTC'): $products products, $remote_total remote rows, $rounds rounds, $runs runs, ${secs}s pgbench runs"
echo "machine: $(nproc) vCPU $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM"
echo "$(pq -At -c 'SELECT version()'); bin $bin"

# --- the provider's products
start=$(date +%s)
pq -o /dev/null -f provider_setup.sql
batch=1000
for ((from = 1; from <= products; from += batch)); do
  to=$((from + batch - 1)); [ $to -gt "$products" ] && to=$products
  pq -o /dev/null -v from=$from -v to=$to -f provider_products.sql
done
pq -c 'VACUUM ANALYZE' 2>/dev/null
echo "provider: dmesh $(pq -At -c "SELECT extversion FROM pg_extension WHERE extname = 'dmesh'"), $(pq -At -c 'SELECT count(*) FROM dmesh.mesh_export') rows in mesh_export; setup $(( $(date +%s) - start )) s"
echo "  mesh_export rows: $(pq -At -c "SELECT round(avg(pg_column_size(e.*))) || ' B per row (pg_column_size), keys (domain, product, major, object, changed_at) '
                                          || round(avg(pg_column_size(ROW(domain, product, major, object, changed_at)))) || ' B'
                                     FROM dmesh.mesh_export e")"
kq="SELECT domain, product, major, object, changed_at FROM dmesh.mesh_export;"
fq="SELECT * FROM dmesh.mesh_export;"
mapfile -t tk < <(timed pq 5 "$kq")
mapfile -t tf < <(timed pq 5 "$fq")
echo "  on the provider itself: keys of every row $(median "${tk[@]}") ms, every row in full $(median "${tf[@]}") ms (medians of 5)"

cq -o /dev/null -v phost="$work" -v pport="$pport" -f consumer_setup.sql

# --- A. sync
echo
echo "== A. dmesh.sync_peer('prov'), $products products"
echo "  what sync_peer's first query sends to the peer (EXPLAIN VERBOSE on the consumer):"
cq -At -c "EXPLAIN (VERBOSE, COSTS OFF)
           SELECT COALESCE(jsonb_agg(jsonb_build_object('domain', f.domain, 'product', f.product, 'major', f.major,
                                                        'object', f.object, 'changed_at', f.changed_at)), '[]'::jsonb), count(*)
             FROM dmesh._peer_export_$(cq -At -c "SELECT peer_id FROM dmesh.peer WHERE name = 'prov'") f" | sed 's/^/    /'
sync_once() { # prints: ms|listed|fetched|changed|removed|status
  cq -At -F '|' -c '\timing on' -c "SELECT listed, fetched, changed, removed, status FROM dmesh.sync_peer('prov')" |
    awk -F'|' '/^Time: / { split($0, t, " "); ms = t[2] } !/^Time: / { r = $0 } END { print ms "|" r }'
}
full=() incr=() none=()
for r in $(seq "$rounds"); do
  cq -c "DELETE FROM dmesh.remote_product WHERE peer_id = (SELECT peer_id FROM dmesh.peer WHERE name = 'prov')"  -o /dev/null
  IFS='|' read -r ms l f c d s < <(sync_once); full+=("$ms")
  echo "  round $r full:        ${ms} ms (listed $l, fetched $f, changed $c, removed $d, $s)"
  pq -o /dev/null -c "UPDATE dmesh.data_product SET description = description || ' (rev $r)', updated_at = now()
                       WHERE name IN (SELECT 'p' || g FROM generate_series(1, $products, $((products / 10))) g)"
  IFS='|' read -r ms l f c d s < <(sync_once); incr+=("$ms")
  echo "  round $r 10 changed:  ${ms} ms (listed $l, fetched $f, changed $c, removed $d, $s)"
  IFS='|' read -r ms l f c d s < <(sync_once); none+=("$ms")
  echo "  round $r no change:   ${ms} ms (listed $l, fetched $f, changed $c, removed $d, $s)"
done
echo "  medians: full $(median "${full[@]}") ms, 10 changed $(median "${incr[@]}") ms, no change $(median "${none[@]}") ms"

# --- B. search
echo
echo "== B. search, p50/p95 of $runs calls (ms)"
queries=("p4242" "shipments" "monthly invoices" "amount euros")
search_row() { # label q n stmt-template(with %s)
  local label=$1 q=$2 n=$3 tmpl=$4 line="| $1 |"
  for s in "${queries[@]}"; do
    mapfile -t t < <(timed "$q" "$n" "$(printf "$tmpl" "$s")")
    line+=" $(pct 50 "${t[@]}") / $(pct 95 "${t[@]}") |"
  done
  echo "$line"
}
hits() { local q=$1 tmpl=$2 line=""; for s in "${queries[@]}"; do line+=" '$s' $($q -At -c "$(printf "$tmpl" "$s")")"; done; echo "$line"; }
echo "| catalog | $(printf "'%s' | " "${queries[@]}")"
echo "|---|---|---|---|---|"
search_row "dmesh.search, provider, $products local products" pq "$runs" "SELECT * FROM dmesh.search('%s');"
search_row "dmesh.mesh_search, consumer, $products remote rows" cq "$runs" "SELECT * FROM dmesh.mesh_search('%s');"
echo "  (rows found:$(hits pq "SELECT count(*) FROM dmesh.search('%s')"), local;$(hits cq "SELECT count(*) FROM dmesh.mesh_search('%s')"), remote)"
cq -o /dev/null -v total="$remote_total" -f fill_remote.sql
echo "  dmesh.remote_product now: $(cq -At -c "SELECT count(*) || ' rows, table ' || pg_size_pretty(pg_table_size('dmesh.remote_product'))
     || ' (' || round(pg_table_size('dmesh.remote_product')::numeric / count(*)) || ' B per row, TOAST included), indexes '
     || pg_size_pretty(pg_indexes_size('dmesh.remote_product'))
     || ' (' || round(pg_indexes_size('dmesh.remote_product')::numeric / count(*)) || ' B per row)' FROM dmesh.remote_product")"
search_row "dmesh.mesh_search, consumer, $remote_total remote rows ($big_runs calls)" cq "$big_runs" "SELECT * FROM dmesh.mesh_search('%s');"
echo "  (rows found:$(hits cq "SELECT count(*) FROM dmesh.mesh_search('%s')"))"

# --- C. live reads
echo
echo "== C. live reads: subscription (sub.orders_v1) vs plain postgres_fdw (plain.orders_v1), as analyst, pgbench TPS"
cq -At -c "SELECT 'subscription: ' || relation || ', ' || mode || ', ' || status FROM dmesh.subscribed_products"
echo "  rows seen: sub $(cq -At -U analyst -c 'SELECT count(*) FROM sub.orders_v1'), plain $(cq -At -U analyst -c 'SELECT count(*) FROM plain.orders_v1') (the agreement's filter: region = eu)"
tps() {
  local script=$1 out t
  out=$("${as[@]}" "$bin/pgbench" -n -M prepared -h "$work" -p "$cport" -U analyst -c 1 -j 1 -T "$secs" -f "$script" bench 2>&1) ||
    { echo "pgbench $script failed: $out" >&2; return 1; }
  t=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' <<<"$out")
  if [ -z "$t" ] || grep -q '^number of failed transactions: [1-9]' <<<"$out"; then echo "pgbench $script: $out" >&2; return 1; fi
  printf '%.0f\n' "$t"
}
for w in lookup range; do
  s=() p=()
  for r in $(seq "$rounds"); do
    if [ $((r % 2)) -eq 1 ]; then a=$(tps ${w}_sub.sql); b=$(tps ${w}_plain.sql)
    else b=$(tps ${w}_plain.sql); a=$(tps ${w}_sub.sql); fi
    s+=("$a") p+=("$b")
    echo "  $w round $r: sub $a, plain $b"
  done
  ms=$(median "${s[@]}") mp=$(median "${p[@]}")
  echo "  $w medians: sub $ms, plain $mp, sub / plain $(ratio "$ms" "$mp")"
done
mapfile -t tc < <(timed cq 5 "SELECT dmesh.check_subscriptions();")
echo "  dmesh.check_subscriptions() with this one subscription (the worker runs it every naptime): p50 $(pct 50 "${tc[@]}") ms, max $(pct 100 "${tc[@]}") ms of 5"
pq -o /dev/null -c "SELECT dmesh.flush_usage()"
echo "  provider's usage: $(pq -At -c "SELECT string_agg(product || ' by ' || consumer || ': ' || queries || ' queries, ' || rows || ' rows', '; ') FROM dmesh.usage WHERE product = 'live.orders'")"
echo "done in $SECONDS s"
