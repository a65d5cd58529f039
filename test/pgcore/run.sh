#!/usr/bin/env bash
# Run PostgreSQL's own core regression suite (src/test/regress,
# parallel_schedule) twice against the installed PostgreSQL 15 server:
#
#   vanilla  a throwaway instance with no dmesh at all;
#   dmesh    a throwaway instance with shared_preload_libraries = 'dmesh'
#            and CREATE EXTENSION dmesh in the test database
#            (pg_regress --load-extension=dmesh: pg_regress makes its
#            database "regression" from template0, so only this puts dmesh
#            where the tests run).
#
# and compare each test's actual output between the two runs.  The aim is
# to show that dmesh is invisible to SQL that touches no data product.
#
# Verdict: the script exits non-zero when either run crashed a backend,
# when a test's output differs between the runs and the test is not in
# the allowed list below (each entry says why it may differ), or when the
# dmesh run's server log has an ERROR/WARNING/PANIC/FATAL line from dmesh.
#
# How it gets the tests.  The test files (sql/, expected/, data/,
# parallel_schedule) and regress.c come from Debian's source package of
# postgresql-15, fetched with apt-get source into a private apt state (the
# system's package lists are not touched; the deb-src entries are derived
# from the system's own Debian sources).  It tries the exact version of the
# installed server first, then the newest 15.x source the mirror serves.
# Nothing else of the source is built: pg_regress is the installed server's
# own (postgresql-server-dev-15 ships it in pgxs), and regress.so is
# compiled with PGXS against the installed server's headers, as Debian's
# own installcheck does, so it always matches the running server.
#
# A minor-version mismatch is harmless here.  If the mirror only has, say,
# 15.18 while 15.20 is installed, a few tests may fail against their
# expected files in BOTH runs (15.18's files vs 15.20's behaviour: the
# 15.20 psql skips a script's lines after a COPY FROM STDIN that fails up
# to the next \., so 9 tests with such COPYs lose a few statements).  The comparison is run
# against run, same pg_regress, same test files, same server binaries, so
# such failures cancel out; pg_regress's own pass/fail against expected is
# shown for information only.
#
# Cache: $DMESH_PGCORE_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/dmesh-pgcore)
# keeps the extracted tests, the built regress.so and the vanilla run's
# results (they depend only on the server, the tests and the options), so
# a second run fetches and builds nothing and runs only the dmesh suite.
# If that comparison finds anything not allowed (and no crash), the
# vanilla suite is run afresh and the comparison made again: a stale or
# unlucky vanilla run never decides.  --refetch forgets which source was chosen;
# --fresh-vanilla ignores the kept vanilla results.
# Output: $DMESH_PGCORE_OUT (default ${TMPDIR:-/tmp}/dmesh-pgcore), emptied
# at start: summary.txt (what is printed), differences.txt, diffs/ (one
# file per differing test: vanilla results vs dmesh results), crashes.txt,
# dmesh-log-errors.txt, and vanilla/ and dmesh/ (pg_regress's output,
# results/, log/postmaster.log).  The postgres OS user must be able to
# reach it (pg_regress runs as postgres: initdb refuses root).
#
# dmesh's background worker: dmesh.database is left at its default
# ("postgres", where the extension is not installed), so the worker only
# waits there.  The suite then measures what every session in a database
# with dmesh sees (hooks, event triggers, the extension's catalog objects),
# deterministically.  --worker-in-testdb points the worker at "regression"
# instead (dmesh.naptime = 1s): more realistic, but the worker's session
# (its advisory lock, its catalog reads, its activity) is then visible to
# tests that list locks or activity, so expect differences from that.
#
# Usage: test/pgcore/run.sh [--refetch] [--fresh-vanilla] [--worker-in-testdb] [--parallel]
#   --parallel   run the two suites at once when both must run (default:
#                one after the other; on 2 cores at once is slower)
# Environment: DMESH_PGCORE_CACHE, DMESH_PGCORE_OUT,
#   DMESH_PGCORE_TIMEOUT (seconds per suite, default 1200).
# Run as root on Debian bookworm with postgresql-15 and dmesh installed
# (scripts/setup.sh).  It apt-get installs what it lacks:
# postgresql-server-dev-15, gcc, libc6-dev, make, bzip2.
set -uo pipefail

# ---------------------------------------------------------------------------
# Tests whose output may differ between the runs, and why.  Only
# differences inherent to having an extension (with event triggers,
# tables, functions...) installed in the test database belong here; a
# changed error message, an added notice, a failing statement or a crash
# is a dmesh bug, never an entry.
#
# allowed_reason[test] says why; allowed_rows[test] is an extended regex
# for the only lines the dmesh run may add (rows listing dmesh's own
# objects).  Apart from those, a test's diff may only re-align a table
# (same text, other column widths) and change its row count: anything
# else in an allowed test is still a failure.
declare -A allowed_reason=(
    [event_trigger]="lists every event trigger in the database (pg_event_trigger with pg_identify_object_as_address): dmesh's own 8 are listed too"
    [generated]="information_schema.column_column_usage lists every generated column in the database: dmesh.contract's major, minor, patch, status, version (generated from document)"
    [opr_sanity]="lists every variadic ordinary aggregate, a shape core avoids for built-in aggregates (an ORDER BY written inside the argument list is easy to misplace): dmesh._quality_scan(jsonb, integer[], VARIADIC \"any\"), internal to check_product, called only by dmesh with no ORDER BY; a fixed signature would pack every row's columns into a ROW() (measured: +58% on a 5-column scan of 3,000,000 rows, test/bench/RESULTS.md)"
)
declare -A allowed_rows=(
    [event_trigger]='^ dmesh_[a-z_]+ +[|] event trigger dmesh_[a-z_]+ +[|] event trigger [|] [{]dmesh_[a-z_]+[}] +[|]'
    [generated]='^ contract +[|] document +[|] [a-z_]+ *$'
    [opr_sanity]='^ +[0-9]+ [|] _quality_scan *$'
)

# ---------------------------------------------------------------------------

PG_MAJOR=15
PG_BINDIR=/usr/lib/postgresql/$PG_MAJOR/bin
PG_CONFIG=$PG_BINDIR/pg_config
SRC_PACKAGE=postgresql-$PG_MAJOR

refetch=0 worker_in_testdb=0 serial=1 fresh_vanilla=0
for a in "$@"; do
    case $a in
        --refetch) refetch=1 ;;
        --worker-in-testdb) worker_in_testdb=1 ;;
        --serial) serial=1 ;;
        --parallel) serial=0 ;;
        --fresh-vanilla) fresh_vanilla=1 ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed 's/^# \{0,1\}//; $d'; exit 0 ;;
        *) echo "run.sh: unknown option $a (see --help)" >&2; exit 2 ;;
    esac
done

cache=${DMESH_PGCORE_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/dmesh-pgcore}
out=${DMESH_PGCORE_OUT:-${TMPDIR:-/tmp}/dmesh-pgcore}
run_timeout=${DMESH_PGCORE_TIMEOUT:-1200}

say() { echo "== $*"; }
die() { echo "run.sh: $*" >&2; echo "pgcore: 0 passed, 1 failed"; exit 1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
as_postgres() { runuser -u postgres -- "$@"; }

[ "$(id -u)" -eq 0 ] || die "run as root (it installs packages and runs the suites as postgres)"
[ -x "$PG_CONFIG" ] || die "$PG_CONFIG not found: install postgresql-$PG_MAJOR (scripts/setup.sh)"
pkglibdir=$($PG_CONFIG --pkglibdir)
sharedir=$($PG_CONFIG --sharedir)
[ -f "$pkglibdir/dmesh.so" ] && [ -f "$sharedir/extension/dmesh.control" ] \
    || die "dmesh is not installed in $pkglibdir (run scripts/setup.sh)"
server_version=$(dpkg-query -W -f='${Version}' "$SRC_PACKAGE" 2>/dev/null) \
    || die "package $SRC_PACKAGE is not installed"
t_start=$(now)

# ---------------------------------------------------------------------------
# Packages: pg_regress and the headers (postgresql-server-dev), a C
# compiler, make, and bzip2 for the upstream tarball.
need=()
for p in postgresql-server-dev-$PG_MAJOR gcc libc6-dev make bzip2; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    say "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
        || die "could not install ${need[*]}"
fi
pg_regress=$(dirname "$($PG_CONFIG --pgxs)")/../test/regress/pg_regress
[ -x "$pg_regress" ] || die "pg_regress not found at $pg_regress"
t_packages=$(now)

# ---------------------------------------------------------------------------
# Fetch: the tests of the source matching the installed server, or the
# newest of the same major the mirror has.
mkdir -p "$cache"
chosen_file="$cache/source-for-$server_version"
[ $refetch -eq 1 ] && rm -f "$chosen_file"
src_version=
if [ -f "$chosen_file" ]; then
    src_version=$(cat "$chosen_file")
    [ -f "$cache/src/$src_version/.complete" ] || src_version=
fi

fetch_source() {
    local aptdir="$cache/apt" codename
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    [ -n "$codename" ] || { echo "no VERSION_CODENAME in /etc/os-release" >&2; return 1; }
    rm -rf "$aptdir"
    mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$aptdir/sources.list.d"
    : > "$aptdir/sources.list"
    # deb-src twins of the system's Debian entries (those of this release's
    # suites), so the script uses whatever mirror the machine is set up with.
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk -v rs="$codename" '
            function flush() {
                if (para != "" && isdeb && suiteok && enabled)
                    printf "%s\n", para
                para = ""; isdeb = 0; suiteok = 0; enabled = 1
            }
            BEGIN { enabled = 1 }
            /^[ \t]*#/ { next }
            /^[ \t]*$/ { flush(); next }
            {
                line = $0
                if (tolower($1) == "types:") {
                    for (i = 2; i <= NF; i++) if ($i == "deb") isdeb = 1
                    line = "Types: deb-src"
                }
                if (tolower($1) == "suites:")
                    for (i = 2; i <= NF; i++) if ($i == rs || index($i, rs "-") == 1) suiteok = 1
                if (tolower($1) == "enabled:" && tolower($2) == "no") enabled = 0
                para = para line "\n"
            }
            END { flush() }' "$f"
    done > "$aptdir/sources.list.d/deb-src.sources"
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk -v rs="$codename" '
            $1 == "deb" {
                n = 2; if ($2 ~ /^\[/) { while ($n !~ /\]$/) n++; n++ }
                s = $(n + 1)
                if (s == rs || index(s, rs "-") == 1) { sub(/^deb/, "deb-src"); print }
            }' "$f"
    done > "$aptdir/sources.list.d/deb-src.list"
    [ -s "$aptdir/sources.list.d/deb-src.sources" ] || [ -s "$aptdir/sources.list.d/deb-src.list" ] \
        || { echo "no Debian $codename entries in /etc/apt to derive deb-src from" >&2; return 1; }
    local aptopts=(-o "Dir::Etc::sourcelist=$aptdir/sources.list"
                   -o "Dir::Etc::sourceparts=$aptdir/sources.list.d"
                   -o "Dir::State::Lists=$aptdir/lists"
                   -o "Dir::Cache=$aptdir/cache"
                   -o "APT::Sandbox::User=root")
    apt-get "${aptopts[@]}" -qq update >/dev/null 2>"$aptdir/update.err" \
        || { cat "$aptdir/update.err" >&2; }
    local versions v upstream dl candidates=()
    versions=$(apt-cache "${aptopts[@]}" showsrc "$SRC_PACKAGE" 2>/dev/null \
               | sed -n 's/^Version: //p' | sort -u -V -r)
    [ -n "$versions" ] || { echo "the mirror lists no $SRC_PACKAGE source" >&2; return 1; }
    candidates=("$server_version")
    for v in $versions; do
        [ "$v" = "$server_version" ] && continue
        case $v in "$PG_MAJOR".*) candidates+=("$v") ;; esac
    done
    for v in "${candidates[@]}"; do
        dl="$cache/dl/$v"
        rm -rf "$dl"; mkdir -p "$dl"
        if (cd "$dl" && apt-get "${aptopts[@]}" -qq source --download-only "$SRC_PACKAGE=$v" \
                >"$dl/apt.log" 2>&1); then
            upstream=${v%-*}; upstream=${upstream#*:}
            local tarball
            tarball=$(ls "$dl"/"${SRC_PACKAGE}_$upstream".orig.tar.* 2>/dev/null | head -1)
            [ -n "$tarball" ] || { echo "no upstream tarball in $dl" >&2; continue; }
            rm -rf "$cache/src/$v"; mkdir -p "$cache/src/$v"
            tar -xaf "$tarball" -C "$cache/src/$v" --strip-components=3 \
                "postgresql-$upstream/src/test/regress" || { echo "could not unpack $tarball" >&2; continue; }
            touch "$cache/src/$v/.complete"
            rm -rf "$cache/dl" "$aptdir"
            src_version=$v
            [ "$v" = "$server_version" ] || echo "   (source $server_version is not served by the mirror: using $v)"
            return 0
        fi
        echo "   source $SRC_PACKAGE=$v not available: $(grep -m1 -E '^(E|Err):' "$dl/apt.log" | cut -c1-160)"
        rm -rf "$dl"
    done
    return 1
}

if [ -n "$src_version" ]; then
    say "tests: $SRC_PACKAGE source $src_version (cached in $cache)"
else
    say "fetching $SRC_PACKAGE source (installed server: $server_version)"
    fetch_source || die "could not fetch the $SRC_PACKAGE source"
    echo "$src_version" > "$chosen_file"
    say "tests: $SRC_PACKAGE source $src_version"
fi
src="$cache/src/$src_version/regress"
t_fetch=$(now)

# ---------------------------------------------------------------------------
# Build regress.so with PGXS against the installed server (1-2 s).
build="$cache/build/$src_version-for-$server_version"
if [ ! -f "$build/regress.so" ]; then
    say "building regress.so"
    rm -rf "$build"; mkdir -p "$build"
    cp "$src/regress.c" "$build/"
    printf 'MODULE_big = regress\nOBJS = regress.o\nPG_CONFIG = %s\nPGXS := $(shell $(PG_CONFIG) --pgxs)\ninclude $(PGXS)\n' \
        "$PG_CONFIG" > "$build/Makefile"
    make -s -C "$build" with_llvm=no >"$build/build.log" 2>&1 \
        || { cat "$build/build.log" >&2; rm -f "$build/regress.so"; die "could not build regress.so"; }
else
    say "regress.so: cached ($build)"
fi
t_build=$(now)

# ---------------------------------------------------------------------------
# The work tree, owned by postgres.  The output directory is emptied only
# if it is empty or one this script made (marked with .dmesh-pgcore).
if [ -d "$out" ] && [ -n "$(ls -A "$out")" ] && [ ! -f "$out/.dmesh-pgcore" ]; then
    die "$out exists and was not made by this script: remove it or set DMESH_PGCORE_OUT"
fi
rm -rf "$out"
mkdir -p "$out/tests" "$out/lib" "$out/diffs"
touch "$out/.dmesh-pgcore"
cp -a "$src/." "$out/tests/"
cp "$build/regress.so" "$out/lib/"
# The tests load regress.so, autoinc.so and refint.so from --dlpath; the
# last two (contrib/spi) ship with the server.
ln -s "$pkglibdir/autoinc.so" "$pkglibdir/refint.so" "$out/lib/"
# Both instances: log_connections maps a crashed backend's pid to its test
# even when it logged nothing else.
common_conf="log_connections = on"
# A UTF8 database with the C locale: the same on every machine.
regress_opts="--encoding=UTF8 --no-locale"
{
    echo "$common_conf"
    echo "shared_preload_libraries = 'dmesh'"
    if [ $worker_in_testdb -eq 1 ]; then
        echo "dmesh.database = 'regression'"
        echo "dmesh.naptime = 1"
    fi
} > "$out/dmesh.conf"
echo "$common_conf" > "$out/vanilla.conf"
chown -R postgres: "$out"
as_postgres test -w "$out" || die "$out is not writable by the postgres user: set DMESH_PGCORE_OUT"

# Stop the instance of a run if pg_regress was killed (timeout, ^C).
stop_instance() {
    local data="$out/$1/tmp_check/data"
    [ -f "$data/postmaster.pid" ] && as_postgres "$PG_BINDIR/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1
    return 0
}
trap 'stop_instance vanilla; stop_instance dmesh' EXIT

# run NAME [extra pg_regress options]: one pass of parallel_schedule on a
# throwaway instance; records its wall time in $out/NAME.time.
run_suite() {
    local name=$1; shift
    local t0 rc
    t0=$(now)
    (cd "$out" && as_postgres timeout -k 30 "$run_timeout" "$pg_regress" \
        --temp-instance="$out/$name/tmp_check" \
        --bindir="$PG_BINDIR" \
        --inputdir="$out/tests" \
        --outputdir="$out/$name" \
        --dlpath="$out/lib" \
        --schedule="$out/tests/parallel_schedule" \
        $regress_opts \
        --temp-config="$out/$name.conf" \
        "$@" >"$out/$name.out" 2>&1)
    rc=$?
    [ $rc -eq 124 ] || [ $rc -eq 137 ] && echo "timed out after ${run_timeout}s" >>"$out/$name.out"
    stop_instance "$name"
    echo "$rc $(secs "$t0" "$(now)")" > "$out/$name.time"
}

# The vanilla run depends only on the server, the tests and the options
# here, so its results are kept in the cache and reused: a later run only
# runs the dmesh suite.  When the comparison with a reused vanilla run
# finds anything not allowed, the vanilla suite is run afresh and the
# comparison made again, so a stale or unlucky vanilla run never decides.
vanilla_key="$src_version-for-$server_version-$(printf '%s\n' "$common_conf" "$regress_opts" | md5sum | cut -c1-8)"
vcache="$cache/vanilla/$vanilla_key"
vanilla_cached=0
[ $fresh_vanilla -eq 1 ] && rm -rf "$vcache"
if [ -f "$vcache/.complete" ]; then
    say "vanilla run: reusing the results kept in $vcache"
    mkdir -p "$out/vanilla"
    cp -a "$vcache/vanilla/." "$out/vanilla/"
    cp "$vcache/vanilla.out" "$out/vanilla.out"
    echo "0 cached" > "$out/vanilla.time"
    chown -R postgres: "$out/vanilla"
    vanilla_cached=1
fi
keep_vanilla() {
    [ -f "$out/vanilla/regression.out" ] && [ ! -s "$out/crashes-vanilla.txt" ] || return 0
    rm -rf "$vcache"; mkdir -p "$vcache/vanilla"
    cp -a "$out/vanilla/results" "$out/vanilla/regression.out" "$out/vanilla/log" "$vcache/vanilla/"
    cp "$out/vanilla.out" "$vcache/"
    touch "$vcache/.complete"
}

if [ $vanilla_cached -eq 1 ]; then
    say "running parallel_schedule: dmesh"
    run_suite dmesh --load-extension=dmesh
elif [ $serial -eq 1 ]; then
    say "running parallel_schedule: vanilla"
    run_suite vanilla
    say "running parallel_schedule: dmesh"
    run_suite dmesh --load-extension=dmesh
else
    say "running parallel_schedule: vanilla and dmesh at once"
    run_suite vanilla &
    run_suite dmesh --load-extension=dmesh &
    wait
fi
t_runs=$(now)

# ---------------------------------------------------------------------------
# Crashes: a backend killed by a signal (the postmaster's log line, with
# the statement it was running and the test it belonged to).
crashes() {  # crashes NAME -> lines "test<TAB>signal<TAB>statement"
    local log="$out/$1/log/postmaster.log"
    [ -f "$log" ] || return 0
    awk '
        FNR == NR {
            # pid -> test, from the log prefix (%a) or log_connections
            if (match($0, /\[[0-9]+\] pg_regress\/[^ ]+/)) {
                s = substr($0, RSTART + 1, RLENGTH - 1)
                split(s, a, /\] pg_regress\//)
                if (!(a[1] in test)) test[a[1]] = a[2]
            } else if (match($0, /\[[0-9]+\] .*connection authorized: .*application_name=pg_regress\/[^ ]+/)) {
                pid = $0; sub(/^[^[]*\[/, "", pid); sub(/\].*/, "", pid)
                t = $0; sub(/.*application_name=pg_regress\//, "", t); sub(/ .*/, "", t)
                if (!(pid in test)) test[pid] = t
            }
            next
        }
        /was terminated by (signal|exception)/ {
            pid = $0; sub(/.*\(PID /, "", pid); sub(/\).*/, "", pid)
            sig = $0; sub(/.*terminated by /, "", sig)
            proc = $0; sub(/ \(PID .*/, "", proc); sub(/.*\] ([^ ]+ )*LOG:  /, "", proc)
            pending = 1; stmt = ""; t = (pid in test) ? test[pid] : proc
            next
        }
        pending && /DETAIL:  Failed process was running: / {
            stmt = $0; sub(/.*Failed process was running: /, "", stmt); grab = 1; next
        }
        grab && /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] / {
            printf "%s\t%s\t%s\n", t, sig, stmt; pending = 0; grab = 0; next
        }
        grab { line = $0; gsub(/\t/, " ", line); stmt = stmt " " line; next }
        pending { printf "%s\t%s\t%s\n", t, sig, stmt; pending = 0 }
        END { if (pending) printf "%s\t%s\t%s\n", t, sig, stmt }
    ' "$log" "$log" | sed 's/  */ /g'
}

# dmesh's errors in the dmesh run's log: ERROR/WARNING/PANIC/FATAL entries
# (with their DETAIL/CONTEXT/STATEMENT lines) that mention dmesh or come
# from a dmesh background process (its backend type is in the prefix).
# Paths under the output directory (test data files) do not count.  Not
# errors of their own: sessions terminated by a crash's reset (counted as
# crashes) and the shutdown of the workers; with --worker-in-testdb, the
# worker not finding "regression" before pg_regress has created it.
sev_re='\[[0-9]+\] ([^ ]+ )*(ERROR|WARNING|PANIC|FATAL):  '
benign='terminating connection because of crash of another server process|terminating background worker "dmesh [a-z]+" due to administrator command|terminating connection due to administrator command'
[ $worker_in_testdb -eq 1 ] && benign="$benign|dmesh worker.* FATAL:  database \"regression\" does not exist"
log_errors() {
    OUT="$out" BENIGN="$benign" awk '
        function flush(   e, i, j) {
            e = entry
            while (ENVIRON["OUT"] != "" && (i = index(e, ENVIRON["OUT"])) > 0) {
                j = i + length(ENVIRON["OUT"])
                while (j <= length(e) && substr(e, j, 1) !~ /[ \t\n'"'"'"]/) j++
                e = substr(e, 1, i - 1) substr(e, j)
            }
            if (entry != "" && bad && e ~ /[Dd][Mm][Ee][Ss][Hh]/ && e !~ ENVIRON["BENIGN"])
                printf "%s\n", entry
            entry = ""; bad = 0
        }
        /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] / {
            if ($0 ~ /\[[0-9]+\] ([^ ]+ )*(ERROR|WARNING|PANIC|FATAL|LOG|NOTICE|INFO|DEBUG[0-9]?):  /) {
                flush(); entry = $0
                bad = ($0 ~ /\[[0-9]+\] ([^ ]+ )*(ERROR|WARNING|PANIC|FATAL):  /)
            } else if (entry != "") entry = entry "\n" $0
            next
        }
        entry != "" { entry = entry "\n" $0 }
        END { flush() }
    ' "$out/dmesh/log/postmaster.log" 2>/dev/null
}

status() {  # status RUN TEST -> what pg_regress said: ok | FAILED | FAILED-exit2 | failed-ignored | missing
    local line
    line=$(grep -E "^(test| ) +$2 +\.\.\. " "$out/$1/regression.out" 2>/dev/null | head -1)
    case $line in
        *"... ok"*) echo ok ;;
        *"exit code 2"*) echo FAILED-exit2 ;;
        *FAILED*) echo FAILED ;;
        *"failed (ignored)"*) echo failed-ignored ;;
        *) echo missing ;;
    esac
}

# explained_diff REGEX < diff: succeeds when the diff only adds lines
# matching REGEX, re-aligns table lines (equal once runs of blanks are
# squeezed) and changes "(N rows)" footers; otherwise prints what is left.
explained_diff() {
    ROWS="$1" awk '
        /^(---|[+][+][+]|@@) / { next }
        /^[-+]/ {
            sign = substr($0, 1, 1); l = substr($0, 2)
            if (sign == "+" && l ~ ENVIRON["ROWS"]) next
            if (l ~ /^[(][0-9]+ rows?[)]$/ || l ~ /^[-+]+$/) next
            gsub(/[ \t]+/, " ", l); sub(/^ /, "", l); sub(/ $/, "", l)
            if (sign == "-") minus[l]++; else plus[l]++
        }
        END {
            for (k in minus) if (minus[k] != plus[k]) { print "-" k; bad = 1 }
            for (k in plus) if (plus[k] != minus[k]) { print "+" k; bad = 1 }
            exit bad
        }'
}

# analyze: crashes, dmesh's log errors, and each test's output compared
# between the runs (diffs/TEST.diff, differences.txt, the n_* counts).
analyze() {
    local t v d sv sd why what leftover crashed_tests
    crashes vanilla > "$out/crashes-vanilla.txt"
    crashes dmesh > "$out/crashes.txt"
    n_crash_vanilla=$(grep -c . "$out/crashes-vanilla.txt")
    n_crash_dmesh=$(grep -c . "$out/crashes.txt")
    log_errors > "$out/dmesh-log-errors.txt"
    n_log_errors=$(grep -cE "$sev_re" "$out/dmesh-log-errors.txt")

    crashed_tests=" $(cut -f1 "$out/crashes.txt" "$out/crashes-vanilla.txt" | sort -u | tr '\n' ' ') "
    n_tests=0 n_same=0 n_allowed=0 n_bad=0
    rm -rf "$out/diffs"; mkdir -p "$out/diffs"
    : > "$out/differences.txt"
    for t in $(sed -n 's/^test: *//p' "$out/tests/parallel_schedule"); do
        n_tests=$((n_tests + 1))
        v="$out/vanilla/results/$t.out" d="$out/dmesh/results/$t.out"
        if [ -f "$v" ] && [ -f "$d" ] && cmp -s "$v" "$d"; then
            n_same=$((n_same + 1)); continue
        fi
        if [ -f "$v" ] && [ -f "$d" ]; then
            diff -U3 "$v" "$d" > "$out/diffs/$t.diff"
            what="$(grep -cE '^[-+]([^-+]|$)' "$out/diffs/$t.diff") lines differ"
        else
            what="no output in the $([ -f "$v" ] || echo "vanilla ")$([ -f "$d" ] || echo "dmesh ")run"
        fi
        sv=$(status vanilla "$t") sd=$(status dmesh "$t") leftover="a missing output"
        if [[ $crashed_tests == *" $t "* ]]; then
            why="CRASH: this test's backend was killed by a signal"
        elif grep -qsE 'server closed the connection unexpectedly|terminating connection because of crash of another server process|connection to server was lost|the database system is (in recovery mode|not yet accepting connections)' "$d"; then
            why="killed by another test's crash (sessions are reset when a backend crashes)"
        elif [ -n "${allowed_reason[$t]:-}" ] && [ -f "$out/diffs/$t.diff" ] \
             && leftover=$(explained_diff "${allowed_rows[$t]}" < "$out/diffs/$t.diff"); then
            why="allowed: ${allowed_reason[$t]}"
        elif [ -n "${allowed_reason[$t]:-}" ]; then
            why="UNEXPLAINED: more than the allowed listing of dmesh's objects, e.g. '$(echo "$leftover" | head -1 | cut -c1-100)'"
        elif [ "$sd" = ok ] && [ "$sv" != ok ]; then
            why="allowed: the dmesh run matches PostgreSQL's expected output and the vanilla run does not (a flaky test)"
        elif [ "$n_crash_dmesh" -gt 0 ]; then
            why="UNEXPLAINED (the dmesh run had crashes: may follow from objects a crashed test did not create)"
        else
            why="UNEXPLAINED"
        fi
        case $why in allowed:*) n_allowed=$((n_allowed + 1)) ;; *) n_bad=$((n_bad + 1)) ;; esac
        printf '%-24s %-60s [pg_regress: vanilla %s, dmesh %s; %s]\n' "$t" "$why" "$sv" "$sd" "$what" >> "$out/differences.txt"
    done
}

analyze
# (With crashes the verdict is FAIL whatever the vanilla run says.)
if [ $vanilla_cached -eq 1 ] && [ "$n_bad" -gt 0 ] && [ "$n_crash_dmesh" -eq 0 ] && [ -f "$out/dmesh/regression.out" ]; then
    say "$n_bad difference(s) against the reused vanilla run: running parallel_schedule: vanilla afresh"
    rm -rf "$out/vanilla"
    vanilla_cached=0
    run_suite vanilla
    t_runs=$(now)
    analyze
fi
[ $vanilla_cached -eq 1 ] || keep_vanilla
read -r rc_vanilla time_vanilla < "$out/vanilla.time"
read -r rc_dmesh time_dmesh < "$out/dmesh.time"
[ "$time_vanilla" = cached ] || time_vanilla="${time_vanilla}s"

# ---------------------------------------------------------------------------
t_end=$(now)
{
    echo "PostgreSQL core regression suite: vanilla vs dmesh"
    echo "server $server_version; tests from source $src_version$([ "$src_version" = "$server_version" ] || echo " (installed version not served by the mirror)"); dmesh $(sed -n "s/^default_version = '\(.*\)'/\1/p" "$sharedir/extension/dmesh.control"); worker in $([ $worker_in_testdb -eq 1 ] && echo "regression" || echo "postgres (idle)")"
    echo "timings: packages $(secs "$t_start" "$t_packages")s, fetch $(secs "$t_packages" "$t_fetch")s, build $(secs "$t_fetch" "$t_build")s, vanilla run $time_vanilla, dmesh run ${time_dmesh}s (runs $(secs "$t_build" "$t_runs")s), total $(secs "$t_start" "$t_end")s"
    echo "pg_regress vs expected: vanilla $(tail -n 20 "$out/vanilla.out" | grep -m1 -E 'tests (passed|failed)' | sed 's/^ *//; s/ *$//' || echo '?'), dmesh $(tail -n 20 "$out/dmesh.out" | grep -m1 -E 'tests (passed|failed)' | sed 's/^ *//; s/ *$//' || echo '?') (exit $rc_vanilla / $rc_dmesh)"
    echo
    echo "crashes: vanilla $n_crash_vanilla, dmesh $n_crash_dmesh"
    for r in vanilla dmesh; do
        f="$out/crashes.txt"; [ $r = vanilla ] && f="$out/crashes-vanilla.txt"
        while IFS=$'\t' read -r t sig stmt; do
            echo "  $r run, test $t, $sig: $(echo "$stmt" | cut -c1-300)"
        done < "$f"
    done
    echo
    echo "dmesh errors in the dmesh server log: $n_log_errors$([ "$n_log_errors" -gt 0 ] && echo " (all in $out/dmesh-log-errors.txt)")"
    grep -E "$sev_re" "$out/dmesh-log-errors.txt" | sed 's/^[0-9-]* [0-9:.]* [A-Z]* /  /' | cut -c1-240 | head -n 20
    echo
    echo "tests: $n_tests; same output $n_same; differing $((n_allowed + n_bad)) (allowed $n_allowed, not allowed $n_bad); diffs in $out/diffs/"
    cat "$out/differences.txt"
} | tee "$out/summary.txt"

fail=()
[ "$n_crash_vanilla" -gt 0 ] && fail+=("$n_crash_vanilla crash(es) in the vanilla run")
[ "$n_crash_dmesh" -gt 0 ] && fail+=("$n_crash_dmesh crash(es) with dmesh")
[ "$n_bad" -gt 0 ] && fail+=("$n_bad unexplained difference(s)")
[ "$n_log_errors" -gt 0 ] && fail+=("$n_log_errors dmesh error(s) in the server log")
[ -f "$out/vanilla/regression.out" ] || fail+=("the vanilla run did not run (see $out/vanilla.out)")
[ -f "$out/dmesh/regression.out" ] || fail+=("the dmesh run did not run (see $out/dmesh.out)")
# One result per test, plus one for the server log check.
echo
echo "pgcore: $((n_same + n_allowed + (n_log_errors == 0))) passed, $((n_bad + (n_log_errors > 0))) failed"
if [ ${#fail[@]} -eq 0 ]; then
    echo "VERDICT: PASS: dmesh is invisible to the core regression suite ($n_same identical, $n_allowed allowed differences)"
    exit 0
fi
echo "VERDICT: FAIL: $(IFS=';'; echo "${fail[*]}" | sed 's/;/; /g')"
exit 1
