#!/usr/bin/env bash
# Lineage walks on a graph of 100,000 edges, on one throwaway cluster:
# dmesh.lineage() and dmesh.impact() (index probes per node and hop)
# against the recursive CTE they replaced (0.6.0's, installed here as
# bench.lineage_060 / bench.impact_060 over the same catalog), each query
# run "rounds" times, median reported.
#   graph:  a fan-out-3 tree of depth 10 (88,572 relation-level edges,
#           names only: open edges of views that need not exist), and
#           11,428 unrelated edges in chains of 4 ("other.x<i>");
#   impact: a published product whose column feeds a column-level tree of
#           fan-out 2 that reaches depth 10 along one branch (110 relations),
#           within the same 100,000-edge catalog.
# Run as root after scripts/setup.sh (or as a user who can run
# pg_virtualenv): test/bench/lineage/run.sh [rounds]
set -euo pipefail
rounds=${1:-7}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/dmesh-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$here/old_walk.sql" "$work/"
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$work" && as=(runuser -u postgres --) || as=()
cd "$work"
"${as[@]}" pg_virtualenv -v 15 -o shared_preload_libraries=dmesh -o shared_buffers=256MB \
    -o autovacuum=off -o dmesh.worker_enabled=off bash -c "
set -e
createdb bench
psql -X -q -d bench <<'SQL'
\set ON_ERROR_STOP on
CREATE EXTENSION dmesh;
SET client_min_messages = warning;
-- The tree: node t<k> has children t<3k+1>, t<3k+2>, t<3k+3>; depth 10.
INSERT INTO dmesh.lineage_edge (source, target, kind, dependency)
SELECT 'tree.t' || ((g - 1) / 3), 'tree.t' || g, 'view', 'direct'
  FROM generate_series(1, 88572) g;
-- Unrelated chains of 4: other.x<4k> -> x<4k+1> -> x<4k+2> -> x<4k+3>.
INSERT INTO dmesh.lineage_edge (source, target, kind, dependency)
SELECT 'other.x' || g, 'other.x' || (g + 1), 'view', 'direct'
  FROM generate_series(0, 15237) g WHERE g % 4 <> 3;
-- A product whose published column feeds a column-level tree.
CREATE ROLE bench_team;
SELECT dmesh.create_domain('b', 'bench_team') IS NOT NULL;
CREATE TABLE public.src (id int, c int);
ALTER TABLE public.src OWNER TO bench_team;
SET ROLE bench_team;
SELECT dmesh.create_data_product('b', 'p', 'public.src') IS NOT NULL;
SELECT dmesh.publish_data_product('b.p') IS NOT NULL;
RESET ROLE;
INSERT INTO dmesh.lineage_edge (source, source_column, target, target_column, kind, dependency, subtype)
SELECT 'dmesh_b.p_v1', 'c', 'imp.i' || g, 'c', 'view', 'direct', 'IDENTITY' FROM generate_series(1, 2) g
UNION ALL
-- i<k> -> i<2k+1>, i<2k+2> for k < 55 (110 relations), and one branch on to depth 10
SELECT 'imp.i' || k, 'c', 'imp.i' || (2 * k + j), 'c', 'view', 'direct', 'IDENTITY'
  FROM generate_series(1, 54) k, generate_series(1, 2) j
UNION ALL
SELECT 'imp.i' || k, 'c', 'imp.i' || (2 * k + 1), 'c', 'view', 'direct', 'IDENTITY'
  FROM (VALUES (55), (111), (223), (447)) v(k);
SELECT count(*) AS edges FROM dmesh.lineage_edge;
VACUUM ANALYZE;
\i old_walk.sql
SQL
median() { sort -n | awk '{ a[NR] = \$1 } END { printf \"%.2f\", a[int((NR + 1) / 2)] }'; }
time_ms() { # sql: median of the runs after the first, in one session
  { echo '\\timing on'; for r in $(seq -s ' ' $((rounds + 1))); do echo \"\$1;\"; done; } |
    psql -X -q -d bench -o /dev/null | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n +2 | median
}
cold_ms() { # sql: the first run in a new session (plans and caches made)
  psql -X -q -d bench -o /dev/null -c '\\timing on' -c \"\$1\" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1
}
count() { psql -X -qAt -d bench -c \"SELECT count(*) FROM (\$1) q\"; }
printf '%-34s %7s %9s %9s %9s %7s\n' case edges 'new ms' 'cold ms' '0.6.0 ms' 'ratio'
for c in \\
  \"a chain (2 edges)|SELECT * FROM dmesh.lineage('other.x5', 'downstream', 10)|SELECT * FROM bench.lineage_060('other.x5', 'downstream', 10)\" \\
  \"3 hops from the root|SELECT * FROM dmesh.lineage('tree.t0', 'downstream', 3)|SELECT * FROM bench.lineage_060('tree.t0', 'downstream', 3)\" \\
  \"a subtree of 120 edges|SELECT * FROM dmesh.lineage('tree.t500', 'downstream', 10)|SELECT * FROM bench.lineage_060('tree.t500', 'downstream', 10)\" \\
  \"upstream from a leaf (10 hops)|SELECT * FROM dmesh.lineage('tree.t88572', 'upstream', 10)|SELECT * FROM bench.lineage_060('tree.t88572', 'upstream', 10)\" \\
  \"the full tree (depth 10)|SELECT * FROM dmesh.lineage('tree.t0', 'downstream', 10)|SELECT * FROM bench.lineage_060('tree.t0', 'downstream', 10)\" \\
  \"impact at depth 10|SELECT * FROM dmesh.impact('b.p')|SELECT * FROM bench.impact_060('b.p')\" ; do
  IFS='|' read -r name new old <<< \"\$c\"
  n=\$(count \"\$new\"); o=\$(count \"\$old\")
  [ \"\$n\" = \"\$o\" ] || echo \"  (results differ: \$n against \$o)\"
  tn=\$(time_ms \"\$new\"); tc=\$(cold_ms \"\$new\"); to=\$(time_ms \"\$old\")
  printf '%-34s %7s %9s %9s %9s %7s\n' \"\$name\" \"\$n\" \"\$tn\" \"\$tc\" \"\$to\" \$(awk -v a=\$tn -v b=\$to 'BEGIN { printf \"%.3f\", a / b }')
done
"
