# shellcheck shell=bash
# Helpers for cluster.sh, lookup.sh and scan.sh, sourced inside the
# throwaway cluster (pg_virtualenv sets PGHOST, PGPORT, PGUSER, PGPASSWORD;
# setup.sql gives bench_team and bench_consumer that same password).

# q [PSQL-ARGS...]: psql on the database bench as the superuser;
# q_as ROLE [PSQL-ARGS...]: the same as ROLE.
q() { psql -X -q -v ON_ERROR_STOP=1 -d bench "$@"; }
q_as() { local role=$1; shift; q -U "$role" "$@"; }

# timings ROLE N PREP STMT: in one session as ROLE, run PREP (SQL, may be
# empty) and STMT (one statement ending in ';') once, untimed, then STMT N
# times under \timing; print the N times in milliseconds, one per line.
# Results go to /dev/null, so a COPY TO STDOUT is timed with its transfer
# to the client.
timings() {
  local role=$1 n=$2 prep=$3 stmt=$4 out
  out=$({ printf '%s\n' "$prep" "$stmt" '\timing on'; for _ in $(seq "$n"); do printf '%s\n' "$stmt"; done; } |
        q_as "$role" -o /dev/null)
  out=$(awk '/^Time: / { print $2 }' <<<"$out")
  [ "$(grep -c . <<<"$out")" -eq "$n" ] ||
    { echo "timings: expected $n times as $role for: $stmt; got: $out" >&2; return 1; }
  echo "$out"
}

# tps ROLE SCRIPT CLIENTS SECONDS: TPS of a pgbench run (prepared
# statements, one thread per client, connections not counted).
tps() {
  local role=$1 script=$2 clients=$3 secs=$4 out t
  out=$(pgbench -n -M prepared -U "$role" -c "$clients" -j "$clients" -T "$secs" -f "$script" bench 2>&1) ||
    { echo "pgbench as $role with $script failed:" >&2; echo "$out" >&2; return 1; }
  t=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' <<<"$out")
  if [ -z "$t" ] || grep -q 'aborted\|^number of failed transactions: [1-9]' <<<"$out"; then
    echo "pgbench as $role with $script did not run cleanly:" >&2; echo "$out" >&2; return 1
  fi
  printf '%.0f\n' "$t"
}

# median N...: the middle value, or the mean of the middle two.
median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
    END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f\n", m }'
}

# ratio A B: A / B to two decimals, n/a unless B > 0.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }

# verdict RATIO TARGET: "met" when RATIO >= TARGET, else "NOT met".
verdict() {
  awk -v r="$1" -v t="$2" 'BEGIN { if (r == "n/a") print "n/a"; else print (r + 0 >= t + 0) ? "met" : "NOT met" }'
}
