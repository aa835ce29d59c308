#!/usr/bin/env bash
# End to end: a GC pause or a stuck host, the way a user sees one. A
# separately started sessiond process is frozen with SIGSTOP for about 3 s
# in the middle of an open-loop loadgen run, then resumed with SIGCONT. The
# kernel keeps accepting connections and requests meanwhile, so every
# action intended during the freeze has its first request answered when it
# ends. loadgen must show that wait in the row of the actions' first
# requests, from their intended starts: the read row in sync mode, the write
# row in update mode, each within 15 % of the analytic values
#     x_q = S - (1 - q) * D * N / F
# for S the measured freeze, D the measured phase, N the row's requests
# and F the actions (derived in loadgen/runner_test.cc, StallQuantile).
# The other row must not carry the wait a second time.
# Only 127.0.0.1; every step bounded by `timeout`.
#   e2e_loadgen_freeze.sh <loadgen> <sessiond> <sessionctl>
set -euo pipefail
loadgen=$1 sessiond=$2 sessionctl=$3
rate=25       # arrivals per second: few requests queue behind the freeze (their
              # processing after it is not in the model; a debug build takes ~1 ms each)
duration=8    # seconds measured
warmup=1      # seconds before: creates most sessions, so few writes need a retry
freeze_at=2.5 # seconds into the measured phase (the freeze ends mid-interval)
freeze_for=3  # seconds

# shellcheck source=SCRIPTDIR/../scripts/lib/stack.sh
source "$(dirname "$0")/../scripts/lib/stack.sh"
work=$(mktemp -d)
cleanup() {
  [ -z "${SESSIOND_PID:-}" ] || kill -CONT "$SESSIOND_PID" 2>/dev/null || true
  stack_stop
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; cat "$work/err" 2>/dev/null || true; exit 1; }

stack_start_sessiond "$sessiond" "" "$work" --threads 2
stack_mint_tokens "$sessionctl" "$SESSIOND_SECRET" 64 "$work/tokens"

# Sleeps until unix time $1.
sleep_until() {
  python3 -c 'import sys, time; time.sleep(max(0.0, float(sys.argv[1]) - time.time()))' "$1"
}

for mode in sync update; do
  start_at=$(python3 -c 'import time; print(f"{time.time() + 2:.3f}")')
  timeout 60 "$loadgen" run --scenario mixed --update-fraction 1 --mode "$mode" \
    --target "http://127.0.0.1:$SESSIOND_PORT" --token-file "$work/tokens" \
    --rate "$rate" --duration "${duration}s" --warmup "${warmup}s" --sessions 50 --zipf 0 \
    --threads 2 --max-lag 60s --start-at "$start_at" --json "$work/$mode.json" \
    > "$work/out" 2> "$work/err" &
  lg=$!
  sleep_until "$(python3 -c "print($start_at + $warmup + $freeze_at)")"
  t_stop=$(date +%s.%N)
  kill -STOP "$SESSIOND_PID"
  sleep "$freeze_for"
  kill -CONT "$SESSIOND_PID"
  t_cont=$(date +%s.%N)
  set +e
  wait "$lg"
  rc=$?
  set -e
  [ "$rc" -eq 0 ] || { cat "$work/out"; fail "$mode: loadgen exited $rc"; }
  grep -q "read corrected\|read  *none" "$work/out" || fail "$mode: no read row in the summary"
  python3 - "$work/$mode.json" "$mode" "$t_stop" "$t_cont" "$start_at" "$warmup" <<'EOF' \
    || fail "$mode: the frozen server does not show as the analytic latencies"
import json, sys
path, mode, t_stop, t_cont, start_at, warmup = sys.argv[1:7]
s = json.load(open(path))
t_stop, t_cont, start_at, warmup = float(t_stop), float(t_cont), float(start_at), float(warmup)
S = t_cont - t_stop                    # the freeze, as it happened
D = s["duration_s"]
# The measured phase started at --start-at plus the warm-up, exactly.
assert abs(s["start_unix_s"] - (start_at + warmup)) < 1e-6, (s["start_unix_s"], start_at)
a = t_stop - s["start_unix_s"]
assert 0.5 < a and a + S < D - 0.5, f"the freeze [{a:.2f}, {a + S:.2f}) is not inside the run"
sync = mode == "sync"
row = s["read_latency_ms"] if sync else s["latency_ms"]
other = s["latency_ms"] if sync else s["read_latency_ms"]
N = s["reads"]["total"] if sync else s["writes"]["total"]
F = s["schedule"]["started"]
assert s["schedule"]["dropped"] == 0, s["schedule"]
ok = True
for q, key in ((0.90, "p90"), (0.99, "p99")):
    expected = S - (1 - q) * D * N / F
    got = row["corrected"][key] / 1000
    within = abs(got - expected) <= 0.15 * expected
    ok &= within
    print(f"  {mode}: {'read' if sync else 'write'} row corrected {key} {got:.3f} s, "
          f"analytic {expected:.3f} s (freeze {S:.3f} s at {a:.2f} s of {D:.0f} s, "
          f"{N} requests for {F} actions){'' if within else '  <-- more than 15 % off'}")
# The request after the first one was sent when the freeze was over.
if sync:
    print(f"  {mode}: write row corrected p99 {other['corrected']['p99'] / 1000:.3f} s")
    ok &= other["corrected"]["p99"] / 1000 < (S - 0.01 * D) / 2
else:
    ok &= s["reads"]["total"] == 0
# The time series shows when: the interval the freeze ended in has the
# worst latency of the row.
key = "read_latency_ms" if sync else "write_latency_ms"
worst = max(range(len(s["timeseries"])), key=lambda i: s["timeseries"][i][key]["max"])
print(f"  {mode}: worst interval {worst} ({s['timeseries'][worst][key]['max']:.0f} ms max); "
      f"the freeze ended at {a + S:.2f} s")
ok &= worst == int(a + S)
sys.exit(0 if ok else 1)
EOF
done
echo "e2e_loadgen_freeze: ok"
