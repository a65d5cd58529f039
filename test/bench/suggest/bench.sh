#!/usr/bin/env bash
# Runs inside the throwaway cluster made by run.sh (PGHOST, PGPORT set).
# Usage: bench.sh rounds rows
set -euo pipefail
rounds=$1 rows=$2
q() { psql -X -q -v ON_ERROR_STOP=1 -d bench "$@"; }
# ms STMT: run STMT once under \timing, print its milliseconds
ms() { q -o /dev/null -c '\timing on' -c "$1" | awk '/^Time: / { print $2 }'; }
median() {
  printf '%s\n' "$@" | sort -g |
    awk '{ a[NR] = $1 } END { if (NR % 2) printf "%.1f\n", a[(NR + 1) / 2];
                               else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", a / b }'; }
median2() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

createdb bench
psql -X -At -d bench -c 'SELECT version()'
echo "settings: $(psql -X -At -d bench -c "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings
  WHERE name IN ('shared_buffers', 'work_mem', 'jit', 'max_parallel_workers_per_gather', 'fsync', 'autovacuum')")"
start=$(date +%s)
q -v rows="$rows" -f setup.sql >/dev/null
echo "setup: $rows rows in $(( $(date +%s) - start )) s, $(q -At -c "SELECT pg_size_pretty(pg_table_size('orders'))"),"\
     "$(q -At -c "SELECT relpages FROM pg_class WHERE relname = 'orders'") pages, 20 columns"
q -o /dev/null -c "SELECT pg_prewarm('orders')"

count='SELECT count(*) FROM orders'
suggest="SELECT dmesh.suggest_contract('orders')"
ms "$count" >/dev/null; ms "$suggest" >/dev/null
cs=(); ss=(); rs=()
for r in $(seq "$rounds"); do
  if [ $((r % 2)) -eq 1 ]; then c=$(ms "$count"); s=$(ms "$suggest"); else s=$(ms "$suggest"); c=$(ms "$count"); fi
  cs+=("$c"); ss+=("$s"); rs+=("$(ratio "$s" "$c")")
  echo "round $r: count(*) $c ms, suggest_contract $s ms, ratio $(ratio "$s" "$c")"
done
echo "medians: count(*) $(median "${cs[@]}") ms, suggest_contract $(median "${ss[@]}") ms" \
     "(target < 2000 ms), suggest / count $(median2 "${rs[@]}")"
echo "sample: $(q -At -c "SELECT e FROM jsonb_path_query(dmesh.suggest_contract('orders'),
  '\$.schema[0].customProperties[*].value[0]') AS e")"

echo "== time by sample_rows (the cost follows the sample, not the table)"
for n in 0 10000 100000 1000000; do
  t=()
  for r in 1 2 3; do t+=("$(ms "SELECT dmesh.suggest_contract('orders', $n)")"); done
  echo "sample_rows $n: $(median "${t[@]}") ms"
done

echo "== a cancel (statement_timeout 200 ms) while reading every row (sample_rows above the row count)"
out=$(psql -X -q -d bench -o /dev/null -c '\timing on' -c 'SET statement_timeout = 200' \
        -c "SELECT dmesh.suggest_contract('orders', 100000000)" 2>&1 || true)
echo "$(grep -o 'canceling statement.*' <<<"$out" | head -1), after $(awk '/^Time: / { t = $2 } END { print t }' <<<"$out") ms"

echo "== what the sample misses: the suggestion as a product, check_product over every row"
q -o /dev/null -c "SELECT dmesh.create_data_product('bench', 'orders', 'orders', contract => dmesh.suggest_contract('orders')::text)"
echo "check_product: $(ms "SELECT count(*) FROM dmesh.check_product('bench.orders')") ms"
q -c "SELECT rule, property, observed, expected FROM dmesh.check_product('bench.orders') WHERE NOT passed ORDER BY 1, 2"
q -c "SELECT (SELECT string_agg(v, ', ' ORDER BY v) FROM jsonb_array_elements_text(dmesh.suggest_contract('orders')
            #> '{schema,0,properties,6,quality,0,arguments,validValues}') AS v) AS suggested_status,
          (SELECT string_agg(DISTINCT status, ', ') FROM orders) AS every_status,
          dmesh.suggest_contract('orders') #>> '{schema,0,properties,9,logicalTypeOptions,maximum}' AS suggested_max_price,
          (SELECT max(price) FROM orders) AS max_price"
