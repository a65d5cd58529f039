#!/usr/bin/env bash
# Install what dmesh needs on Debian bookworm, then build and install it.
# Run as root.  Safe to run again: packages already present are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
packages=(postgresql-15 postgresql-server-dev-15 postgresql-common libipc-run-perl libyaml-dev gcc make prometheus-postgres-exporter)

if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: run as root (it installs packages and the extension)" >&2
    exit 1
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# On a shared machine another apt or dpkg (unattended-upgrades, a second
# setup) may hold apt's locks: wait for it, up to apt_wait seconds.
apt_wait=${DMESH_APT_WAIT:-600}
apt_busy() {
    grep -qsxE 'apt|apt-get|aptitude|dpkg|unattended-upgr' /proc/[0-9]*/comm
}
apt_run() {
    local waited=0
    while apt_busy; do
        if [ "$waited" -ge "$apt_wait" ]; then
            echo "setup.sh: another apt or dpkg process has been running for ${apt_wait} s; try again when it ends" >&2
            return 1
        fi
        [ "$waited" -eq 0 ] && echo "== waiting for another apt or dpkg process to finish (at most ${apt_wait} s)"
        sleep 5
        waited=$((waited + 5))
    done
    apt-get -o DPkg::Lock::Timeout="$apt_wait" "$@"
}

if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt_run update -qq
    apt_run install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "== building and installing dmesh"
make -s PG_CONFIG="$PG_CONFIG" >/dev/null
make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
echo "== dmesh $(sed -n "s/^default_version = '\(.*\)'/\1/p" dmesh.control) installed in $($PG_CONFIG --pkglibdir)"
