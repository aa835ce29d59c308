#!/usr/bin/env bash
# loadgen/report/setup.sh: installs the report's npm packages (exact versions
# from package-lock.json) into loadgen/report/node_modules: uPlot, which the
# build inlines into loadgen's HTML reports, and playwright-core, which
# drives Debian's chromium in the browser test (it downloads no browser).
# Idempotent (scripts/lib/npm-ci.sh). scripts/setup runs it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib/npm-ci.sh
source "$here/../../scripts/lib/npm-ci.sh"
npm_ci "$here"
