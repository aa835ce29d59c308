#!/usr/bin/env bash
# End to end: the target dies mid-run. A sessiond process serves loadgen
# for about a second, then is killed (SIGKILL). loadgen must end on time
# (its duration, not a timeout), count the failures as transport errors
# (--mode upsert: every action starts with a write, so they are writes),
# say why on stderr, and exit 97 (the target stopped answering; 1 is for
# usage and setup errors only: loadgen/verdicts.h).
#   e2e_loadgen_server_dies.sh <loadgen> <sessiond> <sessionctl>
set -euo pipefail
loadgen=$1 sessiond=$2 sessionctl=$3
duration=4

# shellcheck source=SCRIPTDIR/../scripts/lib/stack.sh
source "$(dirname "$0")/../scripts/lib/stack.sh"
work=$(mktemp -d)
trap 'stack_stop; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; cat "$work/err" 2>/dev/null || true; exit 1; }

stack_start_sessiond "$sessiond" "" "$work" --threads 2
port=$SESSIOND_PORT
stack_mint_tokens "$sessionctl" "$SESSIOND_SECRET" 32 "$work/tokens"

start=$(date +%s.%N)
timeout 60 "$loadgen" run --scenario mixed --target "http://127.0.0.1:$port" \
  --token-file "$work/tokens" --mode upsert --rate 200 --duration "${duration}s" --timeout 2s \
  --json "$work/summary.json" > "$work/out" 2> "$work/err" &
lg=$!
sleep 1
kill -9 "$SESSIOND_PID"
wait "$SESSIOND_PID" 2>/dev/null || true
set +e
wait "$lg"
rc=$?
set -e
elapsed=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$start" "$(date +%s.%N)")
echo "loadgen exited $rc after ${elapsed}s"
[ "$rc" -ne 124 ] || fail "loadgen hung"
[ "$rc" -eq 97 ] || { cat "$work/out"; fail "exit code $rc, want 97 (target stopped answering)"; }
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < $duration + 3 else 1)" "$elapsed" \
  || fail "the run took ${elapsed}s for a ${duration}s duration"
grep -q "stopped answering.*(exit 97)" "$work/err" || fail "no explanation on stderr"
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
