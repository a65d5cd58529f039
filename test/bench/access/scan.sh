#!/usr/bin/env bash
# Part B, full scans: every row the consumer may see (the 500,000 north
# rows), every column.  Each query runs as bench_team on the table (with
# WHERE region = 'north', "raw") and as bench_consumer on the published view
# (no WHERE: its agreement's row filter selects the same rows, "gov"); for
# comparison, also as bench_auditor, same filter but nothing masked ("clr"):
#   agg     count and sums over all columns, parallel plans allowed;
#   agg1    the same with max_parallel_workers_per_gather = 0 (one process
#           each: the per-row cost of the governance alone);
#   copy    COPY (SELECT * ...) TO STDOUT, all rows to psql, into /dev/null.
# Per round and variant, in rotating order: one session, one untimed run,
# then 3 timed runs; the round's figure is their median.
# Usage: scan.sh rounds
set -euo pipefail
rounds=$1
. ./lib.sh
reps=3
queries=(agg agg1 copy)
cols="count(*), sum(length(iban)), sum(length(email)), sum(balance)"
declare -A stmt role prep
for qn in agg agg1; do
  stmt[${qn}_raw]="SELECT $cols FROM bench_src.accounts WHERE region = 'north';"
  stmt[${qn}_gov]="SELECT $cols FROM dmesh_bench.accounts_v1;"
  stmt[${qn}_clr]="${stmt[${qn}_gov]}"
done
stmt[copy_raw]="COPY (SELECT * FROM bench_src.accounts WHERE region = 'north') TO STDOUT;"
stmt[copy_gov]="COPY (SELECT * FROM dmesh_bench.accounts_v1) TO STDOUT;"
stmt[copy_clr]="${stmt[copy_gov]}"
variants=()
for qn in "${queries[@]}"; do
  for v in raw gov clr; do
    variants+=("${qn}_$v")
    case $v in
      raw) role[${qn}_$v]=bench_team ;;
      gov) role[${qn}_$v]=bench_consumer ;;
      clr) role[${qn}_$v]=bench_auditor ;;
    esac
    prep[${qn}_$v]=""
    [ "$qn" = agg1 ] && prep[${qn}_$v]="SET max_parallel_workers_per_gather = 0;"
  done
done

echo
echo "== B. full scans of the 500,000 rows the consumer may see, all columns"
for v in "${variants[@]}"; do
  printf '%-9s as %-14s %s\n' "$v:" "${role[$v]}" "${prep[$v]:+${prep[$v]} }${stmt[$v]}"
done
echo "results (untimed):"
for v in agg_raw agg_gov agg_clr; do
  echo "  $v: $(q_as "${role[$v]}" -At -F ', ' -c "${stmt[$v]}")"
done
for v in copy_raw copy_gov copy_clr; do
  read -r lines bytes < <(q_as "${role[$v]}" -c "${stmt[$v]}" | wc -lc)
  echo "  $v: $lines lines, $bytes bytes"
done

n=${#variants[@]}
declare -A times
for r in $(seq "$rounds"); do
  line="round $r:"
  declare -A this=()
  for i in $(seq 0 $((n - 1))); do
    v=${variants[$(( (i + r) % n ))]}
    # shellcheck disable=SC2046
    t=$(median $(timings "${role[$v]}" "$reps" "${prep[$v]}" "${stmt[$v]}"))
    this[$v]=$t
    times[$v]+=" $t"
    line+=" $v $t,"
  done
  line="${line%,} ms; raw/gov"
  for qn in "${queries[@]}"; do line+=" $qn $(ratio "${this[${qn}_raw]}" "${this[${qn}_gov]}"),"; done
  line="${line%,}; raw/clr"
  for qn in "${queries[@]}"; do line+=" $qn $(ratio "${this[${qn}_raw]}" "${this[${qn}_clr]}"),"; done
  echo "${line%,}"
done

echo "medians over $rounds rounds (each round: median of $reps runs):"
printf '  %-6s %10s %10s %16s %10s %16s\n' query "raw ms" "gov ms" "raw/gov (tput)" "clr ms" "raw/clr (tput)"
declare -A med
for v in "${variants[@]}"; do
  # shellcheck disable=SC2086
  med[$v]=$(median ${times[$v]})
done
for qn in "${queries[@]}"; do
  printf '  %-6s %10s %10s %16s %10s %16s\n' "$qn" "${med[${qn}_raw]}" "${med[${qn}_gov]}" \
    "$(ratio "${med[${qn}_raw]}" "${med[${qn}_gov]}")" "${med[${qn}_clr]}" "$(ratio "${med[${qn}_raw]}" "${med[${qn}_clr]}")"
done
echo "ratios (throughput: raw time / gov time):"
for qn in "${queries[@]}"; do
  rt=$(ratio "${med[${qn}_raw]}" "${med[${qn}_gov]}")
  printf '  %-36s %6s  (target >= 0.90: %s)\n' "full scan $qn raw/gov" "$rt" "$(verdict "$rt" 0.90)"
done
