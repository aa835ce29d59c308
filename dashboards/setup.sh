#!/usr/bin/env bash
# dashboards/setup.sh: installs the dashboard generator's npm packages
# (exact versions from package-lock.json) into dashboards/node_modules.
# Idempotent (scripts/lib/npm-ci.sh). scripts/setup runs it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib/npm-ci.sh
source "$here/../scripts/lib/npm-ci.sh"
npm_ci "$here"
