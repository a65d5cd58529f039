#!/usr/bin/env bash
# Runs inside the throwaway cluster made by run.sh: reports the server and
# its settings, builds the governed product (setup.sql), shows that the
# consumer really reads through the governance (row filter, masks, no
# access to the table), shows the plans, runs the parts.
# Usage: cluster.sh rounds seconds all|lookup|scan
set -euo pipefail
rounds=$1 secs=$2 part=$3
createdb bench
. ./lib.sh
q -At -c 'SELECT version()'
echo "settings:"
q -At -F ' = ' -c "
  SELECT name, current_setting(name) FROM pg_settings
  WHERE name IN ('shared_preload_libraries', 'shared_buffers', 'work_mem', 'synchronous_commit',
                 'fsync', 'autovacuum', 'jit', 'max_parallel_workers_per_gather',
                 'max_parallel_workers', 'plan_cache_mode')
  ORDER BY name" | sed 's/^/  /'

start=$(date +%s)
q -o /dev/null -v pw="$PGPASSWORD" -f setup.sql
echo "dmesh $(q -At -c "SELECT extversion FROM pg_extension WHERE extname = 'dmesh'");" \
     "bench_src.accounts: $(q -At -c "SELECT count(*) || ' rows, ' || count(*) FILTER (WHERE region = 'north')
                                             || ' north, ' || pg_size_pretty(pg_table_size('bench_src.accounts'))
                                             FROM bench_src.accounts")," \
     "owner $(q -At -c "SELECT tableowner FROM pg_tables WHERE schemaname = 'bench_src' AND tablename = 'accounts'")," \
     "prewarmed; setup $(( $(date +%s) - start )) s"

echo
echo "== governance as seen by bench_consumer"
n=$(q_as bench_consumer -At -c 'SELECT count(*) FROM dmesh_bench.accounts_v1')
echo "SELECT count(*) FROM dmesh_bench.accounts_v1: $n"
[ "$n" -eq 500000 ] || { echo "the consumer sees $n rows, not the 500000 north rows" >&2; exit 1; }
echo "row 2 as bench_team on bench_src.accounts:"
q_as bench_team -c 'SELECT * FROM bench_src.accounts WHERE id = 2' | sed 's/^/  /'
echo "row 2 as bench_consumer on dmesh_bench.accounts_v1:"
q_as bench_consumer -c 'SELECT * FROM dmesh_bench.accounts_v1 WHERE id = 2' | sed 's/^/  /'
# Masked: email is a 16-digit hex hash, iban stars but for its last 4 characters.
IFS='|' read -r raw_iban raw_email < <(q_as bench_team -At -c 'SELECT iban, email FROM bench_src.accounts WHERE id = 2')
IFS='|' read -r gov_iban gov_email < <(q_as bench_consumer -At -c 'SELECT iban, email FROM dmesh_bench.accounts_v1 WHERE id = 2')
stars=$(printf '%*s' $(( ${#raw_iban} - 4 )) '' | tr ' ' '*')
if ! [[ $gov_email =~ ^[0-9a-f]{16}$ ]] || [ "$gov_email" = "$raw_email" ] || [ "$gov_iban" != "$stars${raw_iban: -4}" ]; then
  echo "row 2 is not masked as expected for bench_consumer: $gov_iban, $gov_email" >&2; exit 1
fi
IFS='|' read -r clr_iban clr_email < <(q_as bench_auditor -At -c 'SELECT iban, email FROM dmesh_bench.accounts_v1 WHERE id = 2')
[ "$clr_iban|$clr_email" = "$raw_iban|$raw_email" ] ||
  { echo "row 2 is not in clear for bench_auditor: $clr_iban, $clr_email" >&2; exit 1; }
echo "row 2 as bench_auditor (same filter, unmasked): in clear"
echo "lookups as bench_consumer: id 1000000 -> $(q_as bench_consumer -At -c 'SELECT count(*) FROM dmesh_bench.accounts_v1 WHERE id = 1000000') row," \
     "id 3 (east) -> $(q_as bench_consumer -At -c 'SELECT count(*) FROM dmesh_bench.accounts_v1 WHERE id = 3') rows;" \
     "as bench_team on the table: id 3 -> $(q_as bench_team -At -c 'SELECT count(*) FROM bench_src.accounts WHERE id = 3') row"
if err=$(q_as bench_consumer -At -c 'SELECT count(*) FROM bench_src.accounts' 2>&1); then
  echo "bench_consumer can read bench_src.accounts ($err rows): not governed" >&2; exit 1
fi
echo "SELECT count(*) FROM bench_src.accounts as bench_consumer: $(sed -n 's/^.*ERROR: *//p' <<<"$err" | head -1)"
grep -q 'permission denied' <<<"$err" || { echo "unexpected error: $err" >&2; exit 1; }

echo
echo "== plans"
# The generic plan, as pgbench -M prepared runs it, after 3 untimed
# executions warm the session (catalog caches, the mesh key).
explain_lookup() {
  local role=$1 rel=$2
  q_as "$role" -c 'SET plan_cache_mode = force_generic_plan' \
    -c "PREPARE l(int) AS SELECT * FROM $rel WHERE id = \$1" \
    -o /dev/null -c 'EXECUTE l(4)' -c 'EXECUTE l(6)' -c 'EXECUTE l(8)' \
    -c '\o' -c 'EXPLAIN (ANALYZE, COSTS OFF) EXECUTE l(2)' | sed 's/^/  /'
}
echo "point lookup, generic plan (as pgbench -M prepared runs it), warm, as bench_team on the table:"
explain_lookup bench_team bench_src.accounts
echo "point lookup, generic plan, warm, as bench_consumer on the view:"
explain_lookup bench_consumer dmesh_bench.accounts_v1
echo "full scan (aggregate), as bench_team on the table:"
q_as bench_team -c "EXPLAIN (COSTS OFF) SELECT count(*), sum(length(iban)), sum(length(email)), sum(balance)
                    FROM bench_src.accounts WHERE region = 'north'" | sed 's/^/  /'
echo "full scan (aggregate), as bench_consumer on the view:"
q_as bench_consumer -c "EXPLAIN (COSTS OFF) SELECT count(*), sum(length(iban)), sum(length(email)), sum(balance)
                        FROM dmesh_bench.accounts_v1" | sed 's/^/  /'
echo "(agg1 in part B compares the two without parallel workers, one process each)"

if [ "$part" != scan ]; then bash lookup.sh "$rounds" "$secs"; fi
if [ "$part" != lookup ]; then bash scan.sh "$rounds"; fi
