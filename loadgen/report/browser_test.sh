#!/usr/bin/env bash
# The report pages in a real browser: a short real `loadgen run --html`
# against the embedded sessiond (a few seconds), a synthetic summary with
# every contract field (`loadgen report`), and two comparisons (5 runs a
# side with a 20% slower new side, and one run a side), opened by Debian's
# chromium headless (browser_test.mjs). Screenshots and PDFs go to OUT_DIR;
# their paths are printed.
#
#   browser_test.sh LOADGEN SYNTHETIC_SUMMARY NODE CHROMIUM OUT_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
loadgen=${1:?usage: browser_test.sh LOADGEN SYNTHETIC_SUMMARY NODE CHROMIUM OUT_DIR}
synthetic=${2:?}
node=${3:?}
chromium=${4:?}
out=${5:?}
for tool in "$node" "$chromium"; do
  if [ ! -x "$tool" ]; then
    echo "browser_test: $tool not found: install nodejs and chromium (scripts/setup)" >&2
    exit 1
  fi
done
if [ ! -f "$here/node_modules/playwright-core/package.json" ]; then
  echo "browser_test: playwright-core missing: run loadgen/report/setup.sh (npm ci; scripts/setup runs it)" >&2
  exit 1
fi
rm -rf "$out"
mkdir -p "$out"
cd "$out"

echo "browser_test: loadgen run, 3 s against the embedded sessiond"
# Hot sessions (mixed, Zipf 1.2) and 3 ms of server latency, so writes race
# and every chart, the conflicts by rank included, has something to draw.
"$loadgen" run --duration 3s --rate 150 --users 200 --sessions 30 --scenario mixed --zipf 1.2 \
  --inject latency=fixed:3ms --json run.json --html run.html \
  --threshold 'p99<30000ms' --quiet > run.txt
"$synthetic" synthetic.json 7 90 1.0
"$loadgen" report synthetic.json --html synthetic.html 2> /dev/null
i=0
for scale in 1.00 1.02 0.98 1.01 0.99; do
  i=$((i + 1))
  "$synthetic" base$i.json $i 30 $scale
done
i=0
for scale in 1.20 1.22 1.18 1.21 1.19; do
  i=$((i + 1))
  "$synthetic" new$i.json $((i + 10)) 30 $scale
done
set +e
"$loadgen" compare base*.json -- new*.json --max-regression p99=10% --html compare.html \
  --json compare.json > compare.txt 2>&1
rc=$?
set -e
if [ "$rc" -ne 99 ]; then
  echo "browser_test: compare exited $rc, expected 99 (a 20% slower p99, bound 10%)" >&2
  cat compare.txt >&2
  exit 1
fi
"$loadgen" compare base1.json -- new1.json --html compare-one-run.html --json compare-one-run.json \
  > /dev/null 2>&1

"$node" "$here/browser_test.mjs" --chromium "$chromium" --out-dir "$out" \
  --report run.html run.json --report synthetic.html synthetic.json \
  --compare compare.html compare.json --compare compare-one-run.html compare-one-run.json
