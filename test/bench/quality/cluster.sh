#!/usr/bin/env bash
# Runs inside the throwaway cluster made by run.sh: reports the server and
# its settings, creates the database bench with dmesh, the domain bench
# and the schemas of the bench tables, runs the parts.
# Usage: cluster.sh rounds all|write|batch
set -euo pipefail
rounds=$1 part=$2
createdb bench
. ./lib.sh
q -At -c 'SELECT version()'
echo "settings:"
q -At -F ' = ' -c "
  SELECT name, current_setting(name) FROM pg_settings
  WHERE name IN ('shared_preload_libraries', 'shared_buffers', 'work_mem', 'maintenance_work_mem',
                 'max_wal_size', 'checkpoint_timeout', 'synchronous_commit', 'fsync', 'wal_level',
                 'autovacuum', 'jit', 'max_parallel_workers_per_gather', 'max_parallel_workers')
  ORDER BY name" | sed 's/^/  /'
q -c 'CREATE EXTENSION dmesh' -c 'CREATE EXTENSION pg_prewarm' \
  -c 'CREATE SCHEMA bench_stage' -c 'CREATE SCHEMA bench_src' -c 'CREATE SCHEMA bench_util'
q -o /dev/null -c "SELECT dmesh.create_domain('bench')"
echo "dmesh $(q -At -c "SELECT extversion FROM pg_extension WHERE extname = 'dmesh'")," \
     "functions: $(q -At -c "SELECT coalesce(string_agg(DISTINCT proname, ', '), 'none')
                             FROM pg_proc WHERE pronamespace = 'dmesh'::regnamespace
                               AND proname IN ('enforce_contract', 'check_product')")"
if [ "$part" != batch ]; then bash write_path.sh "$rounds"; fi
if [ "$part" != write ]; then bash batch_check.sh "$rounds"; fi
