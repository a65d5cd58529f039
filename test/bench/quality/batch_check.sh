#!/usr/bin/env bash
# Part B, batch check: the rules of a contract checked over a 5,000,000-row
# table of valid rows.  Per round, in rotating order:
#   bare         SELECT count(*) (the cost of reading the table once)
#   read_cols    one query reading the five columns the six rules look at
#                (count of each): the floor for any one-pass check of them
#   per_rule     one query per rule, 8 rules, as after-the-fact tools do;
#                per_rule_six is the sum of the six queries without the
#                pattern and uniqueness rules, timed in the same session
#   dmesh_six    SELECT * FROM dmesh.check_product('bench.six')   (6 rules)
#   dmesh_eight  SELECT * FROM dmesh.check_product('bench.eight') (8 rules)
# Usage: batch_check.sh rounds
set -euo pipefail
rounds=$1
. ./lib.sh
t=bench_src.checked

# The per-rule queries, each counting violations; the first six are the
# rules of bench.six.
rule_names=(required range invalidValues maxLength nullValues rowCount pattern duplicateValues)
rule_sql=(
  "SELECT count(*) FROM $t WHERE email IS NULL;"
  "SELECT count(*) FROM $t WHERE amount < 0 OR amount > 1000000;"
  "SELECT count(*) FROM $t WHERE status NOT IN ('new', 'paid', 'shipped', 'cancelled');"
  "SELECT count(*) FROM $t WHERE length(country) > 2;"
  "SELECT count(*) FROM $t WHERE qty IS NULL;"
  "SELECT count(*) FROM $t;"
  "SELECT count(*) FROM $t WHERE email !~ '^[^@ ]+@[^@ ]+\$';"
  "SELECT count(*) - count(DISTINCT id) FROM $t;"
)
nrules=${#rule_sql[@]}

echo
echo "== B. batch check: 8 rules over 5,000,000 valid rows"
q -f batch_setup.sql
echo "table: $(q -At -c "SELECT pg_size_pretty(pg_table_size('$t'))"), in shared buffers (pg_prewarm)"

# All rows are valid: every rule counts 0 violations, rowCount counts them all.
results=()
for i in $(seq 0 $((nrules - 1))); do
  results+=("${rule_names[$i]}=$(q -At -c "${rule_sql[$i]}")")
done
echo "per-rule results (untimed warm-up): ${results[*]}"
[ "${results[*]}" = "required=0 range=0 invalidValues=0 maxLength=0 nullValues=0 rowCount=5000000 pattern=0 duplicateValues=0" ] ||
  { echo "unexpected per-rule results: the data is not as intended" >&2; exit 1; }

# dmesh products: bench.six and bench.eight over the same table if dmesh
# allows it, else bench.eight over a copy of the table.
variants=(bare read_cols per_rule)
declare -A product
if err=$(try_sql -1 -v src=$t -f batch_six.sql); then
  product[dmesh_six]=bench.six
else
  echo "dmesh variant unavailable (dmesh_six): $err"
fi
if err=$(try_sql -1 -v src=$t -f batch_eight.sql); then
  product[dmesh_eight]=bench.eight
else
  echo "bench.eight over $t refused ($err); using a copy bench_src.checked_eight"
  q -c "CREATE TABLE bench_src.checked_eight AS SELECT * FROM $t" \
    -c "VACUUM ANALYZE bench_src.checked_eight" -c "SELECT pg_prewarm('bench_src.checked_eight')" -o /dev/null
  if err=$(try_sql -1 -v src=bench_src.checked_eight -f batch_eight.sql); then
    product[dmesh_eight]=bench.eight
  else
    echo "dmesh variant unavailable (dmesh_eight): $err"
  fi
fi
for v in dmesh_six dmesh_eight; do
  [ -n "${product[$v]:-}" ] || continue
  # One untimed run, shown, which also tells whether check_product exists.
  if out=$(q -c "SELECT * FROM dmesh.check_product('${product[$v]}')" 2>/dev/null); then
    variants+=("$v")
    echo "check_product('${product[$v]}') (untimed warm-up):"
    sed 's/^/  /' <<<"$out"
  else
    echo "dmesh variant unavailable ($v): $(try_sql -c "SELECT * FROM dmesh.check_product('${product[$v]}')")"
  fi
done

declare -A times
rule_times=()
n=${#variants[@]}
for r in $(seq "$rounds"); do
  line="round $r:"
  for j in $(seq 0 $((n - 1))); do
    v=${variants[$(( (j + r) % n ))]}
    case $v in
      bare) t_ms=$(time_sql "" "SELECT count(*) FROM $t;") ;;
      read_cols) t_ms=$(time_sql "" "SELECT count(email), count(amount), count(status), count(country), count(qty) FROM $t;") ;;
      per_rule)
        mapfile -t ts < <(time_sql "" "${rule_sql[@]}")
        [ ${#ts[@]} -eq "$nrules" ] || { echo "per_rule: missing timings" >&2; exit 1; }
        for i in $(seq 0 $((nrules - 1))); do rule_times[i]+=" ${ts[$i]}"; done
        times[per_rule_six]+=" $(sum "${ts[@]:0:6}")"
        t_ms=$(sum "${ts[@]}") ;;
      dmesh_*) t_ms=$(time_sql "" "SELECT * FROM dmesh.check_product('${product[$v]}');") ;;
    esac
    times[$v]+=" $t_ms"
    line+=" $v $(printf '%.1f' "$t_ms") ms,"
  done
  echo "${line%,}"
done

declare -A med
for v in "${variants[@]}" per_rule_six; do
  # shellcheck disable=SC2086
  med[$v]=$(median ${times[$v]})
done
echo "medians over $rounds rounds:"
for v in bare read_cols per_rule per_rule_six dmesh_six dmesh_eight; do
  if [ -n "${med[$v]:-}" ]; then printf '  %-13s %10s ms\n' "$v" "${med[$v]}"; fi
done
echo "per-rule query medians:"
for i in $(seq 0 $((nrules - 1))); do
  # shellcheck disable=SC2086
  printf '  %-16s %10s ms   %s\n' "${rule_names[$i]}" "$(median ${rule_times[i]})" "${rule_sql[$i]}"
done
echo "ratios:"
printf '  %-28s %6s\n' "per_rule / bare" "$(ratio "${med[per_rule]}" "${med[bare]}")"
printf '  %-28s %6s\n' "read_cols / bare" "$(ratio "${med[read_cols]}" "${med[bare]}")"
printf '  %-28s %6s\n' "per_rule_six / bare" "$(ratio "${med[per_rule_six]}" "${med[bare]}")"
if [ -n "${med[dmesh_six]:-}" ]; then
  r=$(ratio "${med[dmesh_six]}" "${med[bare]}")
  printf '  %-28s %6s  (target <= 1.5: %s)\n' "dmesh_six / bare" "$r" "$(verdict "$r" '<=' 1.5)"
  printf '  %-28s %6s\n' "dmesh_six / read_cols" "$(ratio "${med[dmesh_six]}" "${med[read_cols]}")"
  printf '  %-28s %6s\n' "per_rule_six / dmesh_six" "$(ratio "${med[per_rule_six]}" "${med[dmesh_six]}")"
else
  echo "  dmesh_six / bare, per_rule_six / dmesh_six: n/a (no dmesh_six variant)"
fi
if [ -n "${med[dmesh_eight]:-}" ]; then
  r=$(ratio "${med[per_rule]}" "${med[dmesh_eight]}")
  printf '  %-28s %6s  (target >= 3: %s)\n' "per_rule / dmesh_eight" "$r" "$(verdict "$r" '>=' 3)"
  printf '  %-28s %6s\n' "dmesh_eight / bare" "$(ratio "${med[dmesh_eight]}" "${med[bare]}")"
else
  echo "  per_rule / dmesh_eight: n/a (no dmesh_eight variant)"
fi
