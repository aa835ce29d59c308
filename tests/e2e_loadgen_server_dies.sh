#!/usr/bin/env bash
# End to end: the target dies mid-run. A sessiond process serves loadgen
# for about a second, then is killed (SIGKILL). loadgen must end on time
# (its duration, not a timeout), count the failures as transport errors
# (--mode upsert: every action starts with a write, so they are writes),
# say why on stderr, and exit 1 (target unreachable; runner.h).
#   e2e_loadgen_server_dies.sh <loadgen> <sessiond> <sessionctl>
set -euo pipefail
loadgen=$1 sessiond=$2 sessionctl=$3
duration=4

work=$(mktemp -d)
pid=""
cleanup() {
  [ -z "$pid" ] || kill -9 "$pid" 2>/dev/null || true
  [ -z "$pid" ] || wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; cat "$work/err" 2>/dev/null || true; exit 1; }

echo "e2e-dies-secret-$$-0123456789" > "$work/secret"
: > "$work/sessiond.out"  # exists before the first poll below
"$sessiond" --listen 127.0.0.1:0 --threads 2 --auth dev --secret-file "$work/secret" \
  > "$work/sessiond.out" 2> "$work/sessiond.err" &
pid=$!
port=""
for _ in $(seq 1 200); do
  port=$(sed -n 's/^sessiond listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/sessiond.out" | head -n 1)
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || fail "sessiond exited"
  sleep 0.05
done
[ -n "$port" ] || fail "sessiond did not report its port"
for i in $(seq 1 32); do
  "$sessionctl" token --xuid $((2533274790600000 + i)) --secret-file "$work/secret"
done > "$work/tokens"

start=$(date +%s.%N)
timeout 60 "$loadgen" run --scenario mixed --target "http://127.0.0.1:$port" \
  --token-file "$work/tokens" --mode upsert --rate 200 --duration "${duration}s" --timeout 2s \
  --json "$work/summary.json" > "$work/out" 2> "$work/err" &
lg=$!
sleep 1
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pid=""
set +e
wait "$lg"
rc=$?
set -e
elapsed=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$start" "$(date +%s.%N)")
echo "loadgen exited $rc after ${elapsed}s"
[ "$rc" -ne 124 ] || fail "loadgen hung"
[ "$rc" -eq 1 ] || { cat "$work/out"; fail "exit code $rc, want 1 (target unreachable)"; }
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < $duration + 3 else 1)" "$elapsed" \
  || fail "the run took ${elapsed}s for a ${duration}s duration"
grep -q "stopped answering" "$work/err" || fail "no explanation on stderr"
python3 - "$work/summary.json" <<'PY' || fail "summary does not show the failure"
import json, sys
s = json.load(open(sys.argv[1]))
by = s["writes"]["by_status"]
assert by["updated"] + by["created"] > 50, by          # it worked while the server lived
assert by["transport_error"] + by["timeout"] > 100, by  # then it failed, counted
assert sum(by.values()) == s["writes"]["total"]
print(f"  {by['updated'] + by['created']} writes succeeded, "
      f"{by['transport_error']} transport errors, {by['timeout']} timeouts")
PY
echo "e2e_loadgen_server_dies: ok"
