#!/usr/bin/env bash
# tests/afl_smoke.sh: a short AFL++ run of fuzz targets through
# scripts/fuzz-nightly --engine afl (scripts/test runs it once, beside the
# libFuzzer smoke).
#
#   tests/afl_smoke.sh [--seconds 20] [--targets write_result_fuzzer,session_merge_fuzzer]
#
# Two targets by default (the AFL++ build of core and sessiond's merge; the
# other three use the same build and driver): builds them for AFL++
# (fuzz_build_afl in fuzz/fuzzlib.sh), runs one afl-fuzz per target for --seconds from the
# checked-in corpus (--no-merge: fuzz/corpus is not changed), then checks:
# fuzz-nightly exited 0 (no crash; any crash goes through its triage), the
# binaries carry AFL++'s instrumentation and driver, afl-fuzz ran inputs
# (execs > 0) and imported the whole seed corpus into its queue, and the
# summary says engine afl with edges measured by the libFuzzer build.
# Exit status: 0 ok; 1 a check failed; 0 with SKIPPED when afl++ is not
# installed (scripts/setup --for fuzz installs it).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=20
targets=write_result_fuzzer,session_merge_fuzzer
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="${2:?--seconds needs a value}"; shift 2 ;;
    --targets) targets="${2:?--targets needs a value}"; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "tests/afl_smoke.sh: unknown argument '$1'" >&2; exit 1 ;;
  esac
done
if ! command -v afl-fuzz >/dev/null 2>&1; then
  echo "afl-smoke: SKIPPED: afl++ is not installed (scripts/setup --for fuzz installs it)"
  exit 0
fi

out=out/afl-smoke
rm -rf "$out"
declare -A before=()
IFS=',' read -r -a list <<<"$targets"
for t in "${list[@]}"; do
  before[$t]=$(find "fuzz/corpus/$t" -maxdepth 1 -type f | wc -l)
done

rc=0
scripts/fuzz-nightly --engine afl --minutes "$(awk -v s="$seconds" 'BEGIN { print s / 60 }')" \
  --targets "$targets" --jobs 1 --no-merge --out "$out" || rc=$?
failures=0
fail() {
  echo "FAIL $*"
  failures=$((failures + 1))
}
[ "$rc" -eq 0 ] || fail "scripts/fuzz-nightly --engine afl exited $rc"

for t in "${list[@]}"; do
  bin="build/fuzz-afl/fuzz/$t"
  [ -x "$bin" ] || { fail "$bin was not built"; continue; }
  symbols=$(nm "$bin")  # not piped into grep -q: pipefail would see nm's SIGPIPE
  grep -q '__afl_area_ptr' <<<"$symbols" || fail "$bin has no AFL++ runtime (__afl_area_ptr)"
  grep -q 'trace_pc_guard' <<<"$symbols" || fail "$bin has no edge instrumentation (trace-pc-guard)"
  grep -q '__afl_persistent_loop' <<<"$symbols" ||
    fail "$bin is not linked with AFL++'s driver (__afl_persistent_loop)"
  stats="$out/$t/afl/main/fuzzer_stats"
  [ -f "$stats" ] || { fail "$t: afl-fuzz wrote no $stats"; continue; }
  queued=$(find "$out/$t/afl/main/queue" -maxdepth 1 -name 'id:*' -type f | wc -l)
  # afl-fuzz may drop seeds it finds redundant or too slow; most stay.
  [ "$queued" -ge $((before[$t] / 2)) ] || fail "$t: the queue holds $queued inputs of ${before[$t]} seeds"
  after=$(find "fuzz/corpus/$t" -maxdepth 1 -type f | wc -l)
  [ "$after" -eq "${before[$t]}" ] || fail "$t: --no-merge changed fuzz/corpus/$t (${before[$t]} -> $after files)"
  echo "afl-smoke: $t: $(grep -E '^(execs_done|execs_per_sec|corpus_count|bitmap_cvg)' "$stats" | tr -s ' ' | tr '\n' ';')"
done

if [ -f "$out/summary.json" ]; then
  python3 - "$out/summary.json" "${list[@]}" <<'PY' || failures=$((failures + 1))
import json, sys
summary = json.load(open(sys.argv[1]))
want = sys.argv[2:]
bad = []
if summary.get("engine") != "afl":
    bad.append(f"engine is {summary.get('engine')!r}, not 'afl'")
got = [t["target"] for t in summary["targets"]]
if got != want:
    bad.append(f"targets {got} != {want}")
for t in summary["targets"]:
    if t["execs"] <= 0:
        bad.append(f"{t['target']}: no executions")
    if t["edges"] <= 0 or t["corpus_files"] <= 0:
        bad.append(f"{t['target']}: edges {t['edges']}, corpus files {t['corpus_files']}")
    if t["new_crashes"] != 0:
        bad.append(f"{t['target']}: {t['new_crashes']} new crash(es)")
for b in bad:
    print("FAIL summary: " + b)
sys.exit(1 if bad else 0)
PY
else
  fail "no $out/summary.json"
fi

if [ "$failures" -gt 0 ]; then
  echo "afl-smoke: FAILED ($failures)"
  exit 1
fi
echo "afl-smoke: ok"
