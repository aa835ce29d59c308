#!/usr/bin/env bash
# dashboards_promtool_check: the Prometheus config (with its file-discovery
# targets, whose absence promtool only warns about) and every rule file
# (linted: no duplicate rules) pass promtool's checks.
#   promtool_check.sh DASHBOARDS_DIR [PROMTOOL]
set -euo pipefail
dir=${1:?usage: promtool_check.sh DASHBOARDS_DIR [PROMTOOL]}
promtool=${2:-promtool}

out=$("$promtool" check config "$dir/prometheus/prometheus.yml" 2>&1) || { echo "$out" >&2; exit 1; }
echo "$out"
if grep -q WARNING <<<"$out"; then
  echo "dashboards_promtool_check: promtool warned about the config" >&2
  exit 1
fi
"$promtool" check rules --lint=all --lint-fatal "$dir"/prometheus/rules/*.yml
