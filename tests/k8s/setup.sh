#!/usr/bin/env bash
# tests/k8s/setup.sh: installs the offline validators' npm packages (exact
# versions from package-lock.json) into tests/k8s/node_modules.
# Idempotent: does nothing when node_modules already matches the lock file.
# Needs node and npm (Debian: nodejs, npm). scripts/setup runs it.
set -euo pipefail
cd "$(dirname "$0")"

command -v npm >/dev/null 2>&1 || { echo "tests/k8s/setup.sh: npm is not installed (apt-get install nodejs npm)" >&2; exit 1; }

# The lock file copied next to node_modules after a successful npm ci.
stamp=node_modules/.sessionrig-lock
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then
  exit 0
fi
echo "tests/k8s/setup.sh: npm ci"
npm ci --no-audit --no-fund --loglevel=error >/dev/null
cp package-lock.json "$stamp"
