#!/usr/bin/env bash
# Part A, write path: time one INSERT INTO <target> SELECT * FROM the
# staging table (1,000,000 valid rows) per variant and round.  Each target
# is truncated and a checkpoint taken before its (timed) insert; the order
# of the variants rotates from round to round; round 0 is a warm-up.
# Usage: write_path.sh rounds
set -euo pipefail
rounds=$1
. ./lib.sh

echo
echo "== A. write path: INSERT ... SELECT of 1,000,000 valid rows, 4 rules"
q -f write_setup.sql
variants=(none check plpgsql)
if err=$(try_sql -1 -f write_dmesh.sql); then
  variants+=(dmesh)
else
  echo "dmesh variant unavailable: $err"
fi

# Every variant with rules must reject each of 4 invalid rows.
for v in "${variants[@]}"; do
  [ "$v" = none ] && continue
  res=$(q -At -c "SELECT bench_util.rejects('bench_src.w_$v')")
  case $res in "rejected 4 of 4 "*) ;; *) res+="  WARNING: not every rule is enforced" ;; esac
  echo "rules of $v: $res"
done

# Round 0 warms up (first touch of shared buffers, creation of WAL
# segments; it runs 2x slower) and is not counted.
declare -A times
n=${#variants[@]}
for r in $(seq 0 "$rounds"); do
  line="round $r:"
  [ "$r" -eq 0 ] && line="round 0 (warm-up, not counted):"
  for i in $(seq 0 $((n - 1))); do
    v=${variants[$(( (i + r) % n ))]}
    t=$(time_sql "TRUNCATE bench_src.w_$v; CHECKPOINT;" \
                 "INSERT INTO bench_src.w_$v SELECT * FROM bench_stage.w;")
    [ "$r" -eq 0 ] || times[$v]+=" $t"
    line+=" $v $(printf '%.1f' "$t") ms,"
  done
  echo "${line%,}"
done

# Every target now holds exactly the staged rows.
for v in "${variants[@]}"; do
  c=$(q -At -c "SELECT count(*) FROM bench_src.w_$v")
  [ "$c" -eq 1000000 ] || { echo "bench_src.w_$v has $c rows after the insert" >&2; exit 1; }
done

declare -A med added
for v in "${variants[@]}"; do
  # shellcheck disable=SC2086
  med[$v]=$(median ${times[$v]})
  added[$v]=$(awk -v a="${med[$v]}" -v b="${med[none]}" 'BEGIN { printf "%.1f", a - b }')
done
echo "medians over $rounds rounds (added = median - median of none):"
printf '  %-8s %10s %12s\n' variant "time ms" "added ms"
for v in "${variants[@]}"; do
  printf '  %-8s %10s %12s\n' "$v" "${med[$v]}" "${added[$v]}"
done
echo "ratios:"
printf '  %-30s %6s\n' "check_added / none" "$(ratio "${added[check]}" "${med[none]}")"
printf '  %-30s %6s\n' "plpgsql_added / none" "$(ratio "${added[plpgsql]}" "${med[none]}")"
if [ -n "${med[dmesh]:-}" ]; then
  printf '  %-30s %6s\n' "dmesh_added / none" "$(ratio "${added[dmesh]}" "${med[none]}")"
  r=$(ratio "${added[dmesh]}" "${added[check]}")
  printf '  %-30s %6s  (target <= 1: %s)\n' "dmesh_added / check_added" "$r" "$(verdict "$r" '<=' 1)"
  r=$(ratio "${added[dmesh]}" "${added[plpgsql]}")
  printf '  %-30s %6s  (target < 0.5: %s)\n' "dmesh_added / plpgsql_added" "$r" "$(verdict "$r" '<' 0.5)"
else
  echo "  dmesh_added / check_added, dmesh_added / plpgsql_added: n/a (no dmesh variant)"
fi
