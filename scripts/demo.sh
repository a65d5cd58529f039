#!/usr/bin/env bash
# The README's first command.  Installs what dmesh needs, builds and
# installs it (scripts/setup.sh), then runs scripts/demo.sql on a throwaway
# cluster with shared_preload_libraries = dmesh, dropped at the end.  Run
# as root on Debian bookworm; exits non-zero if the demo does not run to
# its end.
#
# The demo tells one story in 21 numbered steps, each introduced by a line
# saying who does what and why, and ends with a summary.  Three teams
# (sales, logistics, marketing) publish data products over generated data
# (one materialized, built on another product), grant an analyst, ana, some
# of them and deprecate one; ana finds them in the marketplace, by search
# and by column lineage, reads what she was granted and is refused the rest.
# Every product has a versioned ODCS contract (a few lines shown in YAML):
# sales adds a column and publishes a contract version that breaks nothing;
# the admin sets a masking and a publish policy, and sales grants ana its
# orders with a row filter, a purpose and an expiry (customer ids hashed).
# Sales then wants to drop a column: usage and impact show who and what
# depend on it, the DDL gate and the contract version rules refuse the
# change, and it is published as a new major version beside the old one.
# Quality rules in a contract are checked in one pass and enforced on
# writes (reject, then quarantine); the materialized product is refreshed
# write-audit-publish; the health of every product and the event log close
# the story.  Intended errors are announced and printed as "expected error:"
# notices.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"

demo=$(mktemp -d /tmp/dmesh-demo.XXXXXX)
trap 'rm -rf "$demo"' EXIT
cp "$top/scripts/demo.sql" "$demo/"
chown -R postgres: "$demo"
cd "$demo"
echo "== demo mesh on a throwaway cluster"
# demo.sql on standard input: psql then prints notices (the demo's expected
# errors, the quarantine) without its "psql:demo.sql:N:" prefix.
runuser -u postgres -- pg_virtualenv -v 15 -o shared_preload_libraries=dmesh \
    psql -X -q -v ON_ERROR_STOP=1 -P pager=off < demo.sql
