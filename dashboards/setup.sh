#!/usr/bin/env bash
# dashboards/setup.sh: installs the dashboard generator's npm packages
# (exact versions from package-lock.json) into dashboards/node_modules.
# Idempotent: does nothing when node_modules already matches the lock file.
# Needs node and npm (Debian: nodejs, npm). scripts/setup runs it.
set -euo pipefail
cd "$(dirname "$0")"

command -v npm >/dev/null 2>&1 || { echo "dashboards/setup.sh: npm is not installed (apt-get install nodejs npm)" >&2; exit 1; }

# npm ci leaves node_modules/.package-lock.json, a copy of the lock's
# package list; when it matches, the install is current.
stamp=node_modules/.sessionrig-lock
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then
  exit 0
fi
echo "dashboards/setup.sh: npm ci"
npm ci --no-audit --no-fund --loglevel=error >/dev/null
cp package-lock.json "$stamp"
