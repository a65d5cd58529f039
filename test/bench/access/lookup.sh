#!/usr/bin/env bash
# Part A, point lookups: pgbench, prepared statements, SECONDS seconds per
# run, 1 and then 2 clients: lookup_raw.sql as bench_team on the table
# against lookup_gov.sql as bench_consumer on the published view (and, for
# comparison, as bench_auditor: same filter, nothing masked, "clr").  Every
# lookup returns exactly one row in each.  The order of the runs rotates
# from round to round; a 2-second run of each first is not counted.
# Usage: lookup.sh rounds seconds
set -euo pipefail
rounds=$1 secs=$2
. ./lib.sh
clients=(1 2)

echo
echo "== A. point lookups by primary key: pgbench -M prepared -T $secs, clients ${clients[*]}"
echo "raw: as bench_team, SELECT * FROM bench_src.accounts WHERE id = :id"
echo "gov: as bench_consumer, SELECT * FROM dmesh_bench.accounts_v1 WHERE id = :id"
echo "clr: as bench_auditor, the same (same row filter, nothing masked)"
echo "(id = 2 * random(1, 500000): every id is a north row, one row per lookup in both)"
tps bench_team lookup_raw.sql 1 2 >/dev/null
tps bench_consumer lookup_gov.sql 1 2 >/dev/null
tps bench_auditor lookup_gov.sql 1 2 >/dev/null

runs=()
for c in "${clients[@]}"; do runs+=("raw $c" "gov $c" "clr $c"); done
n=${#runs[@]}
declare -A tp
for r in $(seq "$rounds"); do
  line="round $r:"
  declare -A this=()
  for i in $(seq 0 $((n - 1))); do
    read -r v c <<<"${runs[$(( (i + r) % n ))]}"
    case $v in
      raw) t=$(tps bench_team lookup_raw.sql "$c" "$secs") ;;
      gov) t=$(tps bench_consumer lookup_gov.sql "$c" "$secs") ;;
      clr) t=$(tps bench_auditor lookup_gov.sql "$c" "$secs") ;;
    esac
    this[$v$c]=$t
    tp[$v$c]+=" $t"
    line+=" $v/c$c $t,"
  done
  line="${line%,} tps;"
  for c in "${clients[@]}"; do line+=" gov/raw c$c $(ratio "${this[gov$c]}" "${this[raw$c]}"),"; done
  for c in "${clients[@]}"; do line+=" clr/raw c$c $(ratio "${this[clr$c]}" "${this[raw$c]}"),"; done
  echo "${line%,}"
done

echo "medians over $rounds rounds:"
printf '  %-8s %12s %12s %9s %12s %9s\n' clients "raw tps" "gov tps" "gov/raw" "clr tps" "clr/raw"
declare -A med
for c in "${clients[@]}"; do
  # shellcheck disable=SC2086
  med[raw$c]=$(median ${tp[raw$c]})
  # shellcheck disable=SC2086
  med[gov$c]=$(median ${tp[gov$c]})
  # shellcheck disable=SC2086
  med[clr$c]=$(median ${tp[clr$c]})
  printf '  %-8s %12s %12s %9s %12s %9s\n' "$c" "${med[raw$c]}" "${med[gov$c]}" "$(ratio "${med[gov$c]}" "${med[raw$c]}")" \
    "${med[clr$c]}" "$(ratio "${med[clr$c]}" "${med[raw$c]}")"
done
echo "ratios:"
for c in "${clients[@]}"; do
  rt=$(ratio "${med[gov$c]}" "${med[raw$c]}")
  printf '  %-36s %6s  (target >= 0.95: %s)\n' "lookup gov/raw tps, $c client(s)" "$rt" "$(verdict "$rt" 0.95)"
done
