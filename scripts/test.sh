#!/usr/bin/env bash
# Set up, build, install, and run the whole dmesh test suite: pg_regress,
# pg_isolation_regress (both on a throwaway cluster with
# shared_preload_libraries = dmesh) and the TAP tests (which start their
# own clusters), then PostgreSQL's own regression suite without and with
# dmesh (test/pgcore/run.sh), the SQL examples of the README and docs/
# (make installcheck-doc), and the demo (scripts/demo.sh).  Run as root
# on Debian bookworm.  Prints one line per
# test, the diffs of failures, and a closing "N passed, N failed"; exits
# non-zero if anything failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh" || { echo "0 passed, 1 failed"; exit 1; }

PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
# initdb refuses to run as root: the tests run as postgres, from a copy of
# the tree that postgres owns.
work=$(mktemp -d /tmp/dmesh-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -a "$top/." "$work/"
chown -R postgres: "$work"
log="$work/test.log"
as_postgres() { runuser -u postgres -- "$@"; }

cd "$work"
echo "== regression and isolation tests (throwaway cluster, shared_preload_libraries = dmesh)"
as_postgres pg_virtualenv -v 15 -o shared_preload_libraries=dmesh sh -c "
    make -s PG_CONFIG=$PG_CONFIG installcheck-regress; r=\$?
    [ -f regression.diffs ] && cp regression.diffs regress.diffs
    make -s PG_CONFIG=$PG_CONFIG installcheck-isolation; i=\$?
    [ \$r -eq 0 ] && [ \$i -eq 0 ]" 2>&1 | grep -v '^[0-9-]* [0-9:.]* UTC ' | tee "$log"
# The doc test: the README's examples, then docs/'s, in one fresh database
# of a cluster of their own (the README creates roles).
echo "== the documentation's SQL examples (test/doc, a throwaway cluster of their own)"
as_postgres pg_virtualenv -v 15 -o shared_preload_libraries=dmesh \
    make -s PG_CONFIG=$PG_CONFIG installcheck-doc 2>&1 | grep -v '^[0-9-]* [0-9:.]* UTC ' | tee -a "$log"
echo "== TAP tests"
as_postgres make -s PG_CONFIG=$PG_CONFIG installcheck-tap 2>&1 | tee -a "$log"
# PostgreSQL's own regression suite, without and with dmesh (run as root:
# it fetches the tests and runs them as postgres itself).
echo "== PostgreSQL's regression suite, without and with dmesh (test/pgcore)"
if "$work/test/pgcore/run.sh" > "$work/pgcore.log" 2>&1; then
    pgcore_ok=1
else
    pgcore_ok=0
fi
sed -n '/^PostgreSQL core regression suite/,$p' "$work/pgcore.log" | tee -a "$log"
[ $pgcore_ok -eq 1 ] && echo "test/pgcore/run.sh ... ok" || { tail -30 "$work/pgcore.log"; echo "test/pgcore/run.sh ... FAILED"; }
# The README's first command: the demo must run to its end.
echo "== the demo (scripts/demo.sh)"
if "$work/scripts/demo.sh" > "$work/demo.log" 2>&1; then
    demo_ok=1
    echo "scripts/demo.sh ... ok"
else
    demo_ok=0
    tail -30 "$work/demo.log"
    echo "scripts/demo.sh ... FAILED"
fi

# One result per regress test, isolation spec and TAP file.
tap_files=$(ls test/t/*.pl | wc -l)
tap_ok=$(grep -cE '^test/t/[^ ]+\.pl \.+ ok$' "$log")
passed=$(( $(grep -cE '^test [^ ]+ +\.\.\. ok' "$log") + tap_ok + pgcore_ok + demo_ok ))
failed=$(( $(grep -cE '^test [^ ]+ +\.\.\. FAILED' "$log") + tap_files - tap_ok + 2 - pgcore_ok - demo_ok ))

for d in regress.diffs regression.diffs test/doc/regression.diffs; do
    [ -s "$d" ] && { echo "== $d"; cat "$d"; }
done
doc_files=$(make -s --no-print-directory PG_CONFIG=$PG_CONFIG print-doc-files 2>/dev/null | wc -w)
expected=$(( $(ls test/sql/*.sql | wc -l) + $(ls test/specs/*.spec 2>/dev/null | wc -l) + tap_files + doc_files + 2 ))
if [ $((passed + failed)) -lt "$expected" ]; then
    failed=$(( expected - passed ))
    echo "== some tests did not run (expected $expected results)"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
