# shellcheck shell=bash
# Helpers for write_path.sh and batch_check.sh, sourced inside the
# throwaway cluster (pg_virtualenv sets PGHOST, PGPORT, PGUSER...).

q() { psql -X -q -v ON_ERROR_STOP=1 -d bench "$@"; }

# time_sql PREP STMT...: run PREP untimed, then each STMT (one statement
# each, ending in ';') under \timing; print the milliseconds of each STMT,
# one per line.  Results are discarded; connection time is not counted.
time_sql() {
  local prep=$1 out; shift
  out=$({ printf '%s\n' "$prep" '\timing on'; printf '%s\n' "$@"; } | q -o /dev/null)
  out=$(awk '/^Time: / { print $2 }' <<<"$out")
  if [ "$(wc -l <<<"$out")" -ne $# ]; then
    echo "time_sql: expected $# timings, got: $out" >&2; return 1
  fi
  echo "$out"
}

# try_sql PSQL-ARGS...: run SQL; on failure print its first error message
# (without psql's prefix) and return 1.  Output and notices are discarded.
try_sql() {
  local err
  if err=$(q -o /dev/null "$@" 2>&1 >/dev/null); then return 0; fi
  err=$(sed -n 's/^.*\(ERROR\|FATAL\): *//p' <<<"$err" | head -1)
  echo "${err:-unknown error}"
  return 1
}

# median N...: the median (mean of the middle two for an even count).
median() {
  printf '%s\n' "$@" | sort -g |
    awk '{ a[NR] = $1 } END { if (NR % 2) printf "%.1f\n", a[(NR + 1) / 2];
                               else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# sum N...: the sum.
sum() { printf '%s\n' "$@" | awk '{ s += $1 } END { printf "%.3f\n", s }'; }

# ratio A B: A / B with two decimals, or n/a when B is not positive.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }

# verdict RATIO OP TARGET: "met" or "NOT met" for a target like <= 1.
verdict() {
  awk -v r="$1" -v op="$2" -v t="$3" 'BEGIN {
    if (r == "n/a") { print "n/a"; exit }
    ok = (op == "<=") ? r <= t : (op == "<") ? r < t : (op == ">=") ? r >= t : r > t
    print ok ? "met" : "NOT met" }'
}
