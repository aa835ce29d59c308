#!/usr/bin/env bash
# loadgen/report/setup.sh: installs the report's npm packages (exact versions
# from package-lock.json) into loadgen/report/node_modules: uPlot, which the
# build inlines into loadgen's HTML reports, and playwright-core, which
# drives Debian's chromium in the browser test (it downloads no browser).
# Idempotent: does nothing when node_modules already matches the lock file.
# Needs node and npm (Debian: nodejs, npm). scripts/setup runs it.
set -euo pipefail
cd "$(dirname "$0")"

command -v npm >/dev/null 2>&1 || { echo "loadgen/report/setup.sh: npm is not installed (apt-get install nodejs npm)" >&2; exit 1; }

# npm ci rewrites node_modules; the stamp is the lock file it installed.
stamp=node_modules/.sessionrig-lock
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then
  exit 0
fi
echo "loadgen/report/setup.sh: npm ci"
npm ci --no-audit --no-fund --loglevel=error >/dev/null
cp package-lock.json "$stamp"
