#!/usr/bin/env bash
# loadgen report/compare/merge --html from the command line: exit codes (0,
# 1 naming the flag or field, 99 for a significant regression beyond
# --max-regression) and the files written. Synthetic summaries with known
# answers (loadgen_synthetic_summary); no server, no browser.
#
#   cli_test.sh LOADGEN SYNTHETIC_SUMMARY
set -euo pipefail
loadgen=${1:?usage: cli_test.sh LOADGEN SYNTHETIC_SUMMARY}
synthetic=${2:?usage: cli_test.sh LOADGEN SYNTHETIC_SUMMARY}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# expect CODE PATTERN -- command...: the exit code, and PATTERN in stdout+stderr.
expect() {
  local code=$1 pattern=$2
  shift 3
  set +e
  "$@" > out.txt 2>&1
  local rc=$?
  set -e
  [ "$rc" -eq "$code" ] || fail "$* exited $rc, expected $code: $(tail -n 3 out.txt)"
  grep -q -- "$pattern" out.txt || fail "$* did not say '$pattern': $(tail -n 3 out.txt)"
}

# Five runs a side; the new side 20% slower (a small run-to-run spread).
i=0
for scale in 1.00 1.02 0.98 1.01 0.99; do
  i=$((i + 1))
  "$synthetic" base$i.json $i 30 $scale
  "$synthetic" same$i.json $((i + 20)) 30 $scale
done
i=0
for scale in 1.20 1.22 1.18 1.21 1.19; do
  i=$((i + 1))
  "$synthetic" new$i.json $((i + 10)) 30 $scale
done

expect 99 "REGRESSION beyond --max-regression in p99" -- \
  "$loadgen" compare base*.json -- new*.json --max-regression p99=10% --html cmp.html --json cmp.json
[ -s cmp.html ] || fail "compare --html wrote nothing"
grep -q '"regression": true' cmp.json || fail "compare --json does not say regression"
expect 0 "write p99 (corrected)" -- "$loadgen" compare base*.json -- new*.json --max-regression p99=50%
expect 0 "no significant regression" -- "$loadgen" compare base*.json -- same*.json --max-regression all=5%
expect 0 "one run per side cannot separate a change from" -- "$loadgen" compare base1.json -- new1.json
expect 1 "expected BASE.json... -- NEW.json" -- "$loadgen" compare base1.json new1.json
expect 1 "--max-regression" -- "$loadgen" compare base1.json -- new1.json --max-regression p98=10%
expect 1 "--min-effect" -- "$loadgen" compare base1.json -- new1.json --min-effect 5
expect 1 "--alpha" -- "$loadgen" compare base1.json -- new1.json --alpha 2

expect 0 "wrote the report" -- "$loadgen" report base1.json --html one.html
grep -q 'id="report-data"' one.html || fail "report --html has no data"
expect 1 "html" -- "$loadgen" report base1.json
expect 1 "missing.json" -- "$loadgen" report missing.json --html x.html
sed 's/"conflict_rate": [0-9.e-]*/"conflict_rate": "high"/' base1.json > bad.json
expect 1 "conflict_rate" -- "$loadgen" report bad.json --html x.html
[ ! -e x.html ] || fail "a failed report left x.html"

expect 0 "wrote the report" -- "$loadgen" merge base1.json base2.json --json merged.json --html merged.html
grep -q '"shards":2' merged.html || fail "merge --html does not record 2 shards"

if [ "$failures" -gt 0 ]; then
  echo "cli_test: $failures failure(s)" >&2
  exit 1
fi
echo "cli_test: every check passed"
