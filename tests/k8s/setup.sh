#!/usr/bin/env bash
# tests/k8s/setup.sh: installs the offline validators' npm packages (exact
# versions from package-lock.json) into tests/k8s/node_modules.
# Idempotent (scripts/lib/npm-ci.sh). scripts/setup runs it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib/npm-ci.sh
source "$here/../../scripts/lib/npm-ci.sh"
npm_ci "$here"
