#!/usr/bin/env bash
# End to end: dev tokens that expire during a run, and loadgen replacing
# them while it runs. A real sessiond process; tokens minted by sessionctl
# with a short --ttl.
#  - sessionctl: a token past its expiry is a 401 whose message says it
#    expired;
#  - without a refresh, writes after the expiry are refused (access_denied);
#  - --token-command re-run every second (--token-refresh): nothing refused;
#  - --token-file re-read on SIGHUP (the file re-minted and SIGHUP sent every
#    second): nothing refused.
# Only 127.0.0.1; every step bounded by `timeout`.
#   e2e_token_refresh.sh <loadgen> <sessiond> <sessionctl>
set -euo pipefail
loadgen=$1 sessiond=$2 sessionctl=$3
ttl=4s
duration=10s
users=24
first_xuid=2533274790400001

# shellcheck source=SCRIPTDIR/../scripts/lib/stack.sh
source "$(dirname "$0")/../scripts/lib/stack.sh"
work=$(mktemp -d)
hup_loop=""
trap '[ -z "$hup_loop" ] || kill "$hup_loop" 2>/dev/null || true; stack_stop; rm -rf "$work"' EXIT
# Each loadgen run writes its own stderr file ($err): a file shared between
# runs can still hold the previous run's lines when the next one starts.
err=/dev/null
fail() { echo "FAIL: $*"; cat "$err" 2>/dev/null || true; exit 1; }

stack_start_sessiond "$sessiond" "" "$work" --threads 2
target="http://127.0.0.1:$SESSIOND_PORT"
mint() {  # mint FILE TTL: atomically (loadgen may be reading FILE)
  "$sessionctl" token --xuid "$first_xuid" --count "$users" --ttl "$2" \
    --secret-file "$SESSIOND_SECRET" > "$1.tmp" && mv "$1.tmp" "$1"
}

# access_denied and successful writes of a summary.
counts() {
  python3 -c '
import json, sys
b = json.load(open(sys.argv[1]))["writes"]["by_status"]
print(b["access_denied"], b["updated"] + b["created"])' "$1"
}

# ---- an expired token is a 401 that says so.
"$sessionctl" token --xuid 7 --ttl 1s --secret-file "$SESSIOND_SECRET" > "$work/short"
sleep 2.1
set +e
"$sessionctl" get "$target/serviceconfigs/s/sessionTemplates/t/sessions/n" \
  --authorization "$(cat "$work/short")" > "$work/out" 2>&1
rc=$?
set -e
[ "$rc" -eq 2 ] || { cat "$work/out"; fail "expired token: sessionctl exited $rc, want 2"; }
grep -q "^HTTP 401$" "$work/out" || { cat "$work/out"; fail "expired token is not a 401"; }
grep -q "expired at" "$work/out" || { cat "$work/out"; fail "the 401 does not say the token expired"; }

run() {  # run NAME ARGS...: a mixed run against the target; the summary in $work/NAME.json
  local name=$1; shift
  err=$work/$name.err
  timeout 60 "$loadgen" run --scenario mixed --target "$target" --mode upsert --rate 100 \
    --duration "$duration" --threads 2 --json "$work/$name.json" "$@" > "$work/out" 2> "$err" \
    || fail "$name run exited $?"
}

# ---- no refresh: the tokens expire 4 s into a 10 s run.
mint "$work/tokens" "$ttl"
run stale --token-file "$work/tokens"
read -r denied ok < <(counts "$work/stale.json")
echo "  no refresh: $ok writes ok, $denied refused (401)"
[ "$denied" -gt 0 ] || fail "tokens past their expiry were accepted"

# ---- --token-command, re-run every second.
run command --token-command "'$sessionctl' token --xuid $first_xuid --count $users --ttl $ttl --secret-file '$SESSIOND_SECRET'" \
  --token-refresh 1s
read -r denied ok < <(counts "$work/command.json")
refreshes=$(grep -c "tokens refreshed (periodic" "$err" || true)
echo "  --token-command every 1s: $ok writes ok, $denied refused, $refreshes refreshes"
[ "$denied" -eq 0 ] || fail "$denied writes refused although the tokens were refreshed"
[ "$ok" -gt 0 ] || fail "no successful writes"
[ "$refreshes" -ge 5 ] || fail "only $refreshes refreshes in $duration"

# ---- --token-file, re-read on SIGHUP.
mint "$work/tokens" "$ttl"
err=$work/hup.err
# --foreground: a plain timeout ignores a signal after forwarding the first one.
timeout --foreground 60 "$loadgen" run --scenario mixed --target "$target" --mode upsert --rate 100 \
  --duration "$duration" --threads 2 --json "$work/hup.json" --token-file "$work/tokens" \
  > "$work/out" 2> "$err" &
lg=$!
for _ in $(seq 300); do
  grep -q "on SIGHUP" "$err" 2>/dev/null && break
  kill -0 "$lg" 2>/dev/null || break
  sleep 0.1
done
grep -q "on SIGHUP" "$err" 2>/dev/null || fail "loadgen did not announce SIGHUP refresh (exited, or over 30 s)"
(
  while kill -0 "$lg" 2>/dev/null; do
    sleep 1
    if mint "$work/tokens" "$ttl"; then kill -HUP "$lg" 2>/dev/null || true; fi
  done
) &
hup_loop=$!
set +e
wait "$lg"
rc=$?
set -e
wait "$hup_loop" 2>/dev/null || true
hup_loop=""
[ "$rc" -eq 0 ] || fail "SIGHUP run exited $rc"
read -r denied ok < <(counts "$work/hup.json")
refreshes=$(grep -c "tokens refreshed (on request" "$err" || true)
echo "  --token-file on SIGHUP: $ok writes ok, $denied refused, $refreshes refreshes"
[ "$denied" -eq 0 ] || fail "$denied writes refused although the tokens were re-read"
[ "$refreshes" -ge 5 ] || fail "only $refreshes refreshes in $duration"
echo "PASS"
