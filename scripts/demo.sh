#!/usr/bin/env bash
# Set up, build and install dmesh, then run a demo mesh on a throwaway
# local cluster (dropped at the end): three domains, products over
# generated data, grants, and the marketplace.  Run as root on Debian
# bookworm.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"

demo=$(mktemp -d /tmp/dmesh-demo.XXXXXX)
trap 'rm -rf "$demo"' EXIT
cp "$top/scripts/demo.sql" "$demo/"
chown -R postgres: "$demo"
cd "$demo"
echo "== demo mesh on a throwaway cluster"
runuser -u postgres -- pg_virtualenv -v 15 -o shared_preload_libraries=dmesh \
    psql -X -q -v ON_ERROR_STOP=1 -P pager=off -f demo.sql
