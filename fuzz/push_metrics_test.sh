#!/usr/bin/env bash
# fuzz/push_metrics_test.sh PUSH_METRICS PUSHGATEWAY: pushes a sample
# summary to a real, private Pushgateway on a free loopback port and checks
# its /metrics shows every value. Starts and stops the gateway itself and is
# bounded (about 30 s at worst). Registered as ctest fuzz_push_metrics when
# prometheus-pushgateway is installed.
set -euo pipefail
push_metrics="${1:?usage: push_metrics_test.sh PUSH_METRICS PUSHGATEWAY}"
pushgateway="${2:?usage: push_metrics_test.sh PUSH_METRICS PUSHGATEWAY}"

work=$(mktemp -d)
gw_pid=""
cleanup() {
  if [ -n "$gw_pid" ]; then
    kill "$gw_pid" 2>/dev/null || true
    wait "$gw_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# A free port: try a few random ones; the gateway exits at once if it cannot bind.
port=""
for _ in 1 2 3 4 5 6 7 8; do
  candidate=$((20000 + RANDOM % 40000))
  # Debian's build persists to /var/lib/prometheus by default: keep it private.
  "$pushgateway" --web.listen-address="127.0.0.1:$candidate" \
    --persistence.file="$work/pushgateway.data" >"$work/gw.log" 2>&1 &
  gw_pid=$!
  for _ in $(seq 1 50); do
    if curl -fsS "http://127.0.0.1:$candidate/-/ready" >/dev/null 2>&1; then
      port=$candidate
      break
    fi
    kill -0 "$gw_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$port" ] && break
  kill "$gw_pid" 2>/dev/null || true
  wait "$gw_pid" 2>/dev/null || true
  gw_pid=""
done
if [ -z "$port" ]; then
  echo "push_metrics_test: could not start $pushgateway" >&2
  cat "$work/gw.log" >&2 || true
  exit 1
fi

cat >"$work/summary.json" <<'JSON'
{"schema": "sessionrig.fuzz.summary/v1", "started_at": 1714564800, "finished_at": 1714568400,
 "minutes": 10, "jobs": 2,
 "targets": [
  {"target": "write_result_fuzzer", "execs_per_second": 1234.5, "execs": 740700,
   "corpus_files": 321, "edges": 4567, "new_crashes": 0},
  {"target": "session_merge_fuzzer", "execs_per_second": 88, "execs": 52800,
   "corpus_files": 12, "edges": 999, "new_crashes": 2}]}
JSON

timeout 20 "$push_metrics" --gateway "http://127.0.0.1:$port" --summary "$work/summary.json" \
  --instance ci
curl -fsS "http://127.0.0.1:$port/metrics" >"$work/metrics.txt"

fail=0
expect() {
  if ! grep -E -q "^$1" "$work/metrics.txt"; then
    echo "push_metrics_test: missing: $1" >&2
    fail=1
  fi
}
labels='\{instance="ci",job="sessionrig_fuzz",target="'
expect "sessionrig_fuzz_execs_per_second${labels}write_result_fuzzer\"\} 1234.5$"
expect "sessionrig_fuzz_corpus_files${labels}write_result_fuzzer\"\} 321$"
expect "sessionrig_fuzz_edges${labels}write_result_fuzzer\"\} 4567$"
expect "sessionrig_fuzz_crashes_total${labels}write_result_fuzzer\"\} 0$"
expect "sessionrig_fuzz_crashes_total${labels}session_merge_fuzzer\"\} 2$"
expect "sessionrig_fuzz_execs_per_second${labels}session_merge_fuzzer\"\} 88$"
expect 'sessionrig_fuzz_last_run_timestamp_seconds\{instance="ci",job="sessionrig_fuzz"\} 1.7145684e\+09$'

# A bad summary and an unreachable gateway fail cleanly.
echo '{}' >"$work/bad.json"
if "$push_metrics" --gateway "http://127.0.0.1:$port" --summary "$work/bad.json" 2>/dev/null; then
  echo "push_metrics_test: a bad summary was pushed" >&2
  fail=1
fi

if [ "$fail" -ne 0 ]; then
  echo "--- /metrics:" >&2
  grep sessionrig_fuzz "$work/metrics.txt" >&2 || true
  exit 1
fi
echo "push_metrics_test: ok (gateway on port $port)"
