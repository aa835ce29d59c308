#!/usr/bin/env bash
# End to end: a real sessiond process on a free loopback port, tokens minted
# with sessionctl, and examples/lobby_join (a program written only against
# the SDK's C signatures) racing N users into a lobby of M seats.
# Asserts: exactly M users joined, N-M were refused as full, none failed, and
# the stored session lists exactly M members.
#   e2e_lobby_join.sh <sessiond> <sessionctl> <lobby_join>
set -euo pipefail
sessiond=$1 sessionctl=$2 lobby_join=$3
users=12 capacity=5

# shellcheck source=SCRIPTDIR/../scripts/lib/stack.sh
source "$(dirname "$0")/../scripts/lib/stack.sh"
work=$(mktemp -d)
trap 'stack_stop; rm -rf "$work"' EXIT

stack_start_sessiond "$sessiond" "" "$work" --threads 2
port=$SESSIOND_PORT

for i in $(seq 1 $users); do
  xuid=$((1000 + i))
  echo "$xuid $("$sessionctl" token --xuid "$xuid" --secret-file "$SESSIOND_SECRET")"
done > "$work/tokens"

set +e
timeout 60 "$lobby_join" --endpoint "http://127.0.0.1:$port" --tokens "$work/tokens" \
  --lobby e2e --capacity $capacity > "$work/result"
rc=$?
set -e
cat "$work/result"
[ "$rc" -eq 0 ] || { echo "lobby_join exited $rc"; exit 1; }
grep -q "$capacity joined, $((users - capacity)) refused (full), 0 failed" "$work/result" \
  || { echo "unexpected outcome"; exit 1; }

# The stored document agrees: exactly $capacity members.
url="http://127.0.0.1:$port/serviceconfigs/00000000-0000-0000-0000-0000626c6f62/sessionTemplates/lobby/sessions/e2e"
doc=$("$sessionctl" get "$url" --xuid 1001 --secret-file "$SESSIOND_SECRET" | tail -n 1)
count=$(python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(len(d.get("members",{})))' <<< "$doc")
[ "$count" -eq "$capacity" ] || { echo "stored session has $count members, want $capacity"; echo "$doc"; exit 1; }
echo "e2e_lobby_join: ok ($capacity of $users joined; stored session agrees)"
