#!/usr/bin/env bash
# tests/k8s/rehearsal.sh: the Indexed Job of deploy/k8s, rehearsed without a
# cluster. Everything stays on 127.0.0.1 and lasts a few seconds.
#
#   tests/k8s/rehearsal.sh LOADGEN SESSIOND SESSIONCTL
#
# 1. one real sessiond process on a free loopback port, tokens minted with
#    sessionctl into a "Secret" folder;
# 2. scripts/k8s-render N=4 against it; the load Job's container command
#    line is taken from the rendered YAML (tests/k8s/extract.mjs: env and
#    $(VAR) expansion as the kubelet does, mounts mapped to folders) and run
#    as 4 processes with JOB_COMPLETION_INDEX=0..3 (no retyped flags);
# 3. the merge Job's command line, from its YAML, merges the 4 summaries;
# 4. a single-process run rendered with N=1 at the same rate and duration.
# Asserts: every shard and the merge exit 0; the merged schedule.planned
# equals the single run's exactly, and the shards' sum; no shard judged a
# threshold (their summaries have none); the merged summary carries each
# rendered --threshold exactly once, evaluated on the merged numbers; a
# merge rendered with a failing threshold exits 99 on the same summaries;
# a shard command without JOB_COMPLETION_INDEX fails naming --shard.
# Prints planned/started/dropped per shard, merged and single.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
source "$root/scripts/lib/stack.sh"

[ $# -eq 3 ] || stack_die "usage: tests/k8s/rehearsal.sh LOADGEN SESSIOND SESSIONCTL"
loadgen=$(readlink -f "$1")
sessiond=$(readlink -f "$2")
sessionctl=$(readlink -f "$3")
[ -f "$root/tests/k8s/node_modules/yaml/package.json" ] ||
  stack_die "rehearsal: tests/k8s/node_modules is missing: run scripts/setup (or tests/k8s/setup.sh)"

shards=4
rate=200
duration=3s
users=200
work=$(mktemp -d)
cleanup() {
  stack_stop
  rm -rf "$work"
}
trap cleanup EXIT

stack_start_sessiond "$sessiond" "" "$work" --threads 2
target="http://127.0.0.1:$SESSIOND_PORT"
mkdir -p "$work/secret" "$work/pvc"
stack_mint_tokens "$sessionctl" "$SESSIOND_SECRET" "$users" "$work/secret/tokens.txt"
echo "rehearsal: sessiond on $target, $users users"

# The rendered Jobs. --metrics-addr 127.0.0.1:0: four processes share this
# host (in a cluster each pod has its own address and port 9464).
render() {  # render OUT N RUN_ID START THRESHOLD...
  local out=$1 n=$2 run_id=$3 start=$4
  shift 4
  local t=()
  for x in "$@"; do t+=(--threshold "$x"); done
  "$root/scripts/k8s-render" --out "$out" --run-id "$run_id" --duration "$duration" \
    --metrics-addr 127.0.0.1:0 --linger 0s "${t[@]}" "$n" "$rate" "$target" "$start" >/dev/null
}
thresholds=("throughput_wps>0" "error_rate<=1")

# The command of CONTAINER in FILE for index I, with the volumes mapped,
# into the arrays cmd_env and cmd_argv.
extract() {  # extract FILE CONTAINER INDEX
  local parts=() i
  mapfile -d '' parts < <(node "$root/tests/k8s/extract.mjs" "$1" --container "$2" --index "$3" \
    --volume results="$work/pvc" --volume tokens="$work/secret" --bin loadgen="$loadgen")
  [ ${#parts[@]} -gt 0 ] || stack_die "rehearsal: could not extract $2 from $1"
  cmd_env=()
  cmd_argv=()
  for ((i = 0; i < ${#parts[@]}; ++i)); do
    [ "${parts[i]}" = "--" ] && break
    cmd_env+=("${parts[i]}")
  done
  cmd_argv=("${parts[@]:i+1}")
}

# ---- the Indexed Job: N processes, each the rendered pod's command.
render "$work/render-4" "$shards" rehearsal-4 +6s "${thresholds[@]}"
pids=()
for ((i = 0; i < shards; ++i)); do
  extract "$work/render-4/load/load-job.yaml" loadgen "$i"
  [ "$i" -ne 0 ] || echo "rehearsal: pod 0 runs: ${cmd_env[*]} ${cmd_argv[*]}"
  env "${cmd_env[@]}" "${cmd_argv[@]}" >"$work/shard-$i.out" 2>"$work/shard-$i.err" &
  pids+=($!)
  stack_track "$!"
done
failed=0
for ((i = 0; i < shards; ++i)); do
  rc=0
  wait "${pids[i]}" || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "FAIL shard $i exited $rc:"
    cat "$work/shard-$i.err" "$work/shard-$i.out"
    failed=1
  fi
done
STACK_PIDS=("${STACK_PIDS[0]}")  # the shards are done; sessiond stays
[ "$failed" -eq 0 ] || exit 1

# The pod without its index: must fail naming the flag, not run shard 0.
extract "$work/render-4/load/load-job.yaml" loadgen 0
rc=0
"${cmd_argv[@]}" >"$work/noindex.out" 2>&1 || rc=$?
if [ "$rc" -ne 1 ] || ! grep -q -- "--shard auto/$shards: JOB_COMPLETION_INDEX is not set" "$work/noindex.out"; then
  echo "FAIL a shard without JOB_COMPLETION_INDEX: exit $rc, $(cat "$work/noindex.out")"
  exit 1
fi

# ---- the merge Job, as rendered.
extract "$work/render-4/merge/merge-job.yaml" merge 0
echo "rehearsal: the merge runs: ${cmd_argv[*]}"
rc=0
env "${cmd_env[@]}" "${cmd_argv[@]}" >"$work/merge.out" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || { cat "$work/merge.out"; stack_die "FAIL the merge exited $rc"; }

# The same summaries (copied to its run's folder), merged by a rendering
# whose threshold fails.
render "$work/render-4-fail" "$shards" rehearsal-4-fail +6s "throughput_wps<0.001"
mkdir -p "$work/pvc/rehearsal-4-fail"
cp "$work"/pvc/rehearsal-4/shard-*.json "$work/pvc/rehearsal-4-fail/"
extract "$work/render-4-fail/merge/merge-job.yaml" merge 0
rc=0
env "${cmd_env[@]}" "${cmd_argv[@]}" >"$work/merge-fail.out" 2>&1 || rc=$?
[ "$rc" -eq 99 ] || { cat "$work/merge-fail.out"; stack_die "FAIL a merge with a failing threshold exited $rc, not 99"; }

# ---- one process, same rate and duration (N=1).
render "$work/render-1" 1 rehearsal-1 +3s "${thresholds[@]}"
extract "$work/render-1/load/load-job.yaml" loadgen 0
rc=0
env "${cmd_env[@]}" "${cmd_argv[@]}" >"$work/single.out" 2>"$work/single.err" || rc=$?
[ "$rc" -eq 0 ] || { cat "$work/single.err"; stack_die "FAIL the single-process run exited $rc"; }

python3 - "$work" "$shards" "${thresholds[@]}" <<'PY'
import json, sys
work, shards, thresholds = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def load(p):
    with open(p) as f:
        return json.load(f)
parts = [load(f"{work}/pvc/rehearsal-4/shard-{i}.json") for i in range(shards)]
merged = load(f"{work}/pvc/rehearsal-4/merged.json")
failing = load(f"{work}/pvc/rehearsal-4-fail/merged.json")
single = load(f"{work}/pvc/rehearsal-1/shard-0.json")
failures = []
def check(ok, what):
    if not ok:
        failures.append(what)

print(f"{'':10} {'planned':>8} {'started':>8} {'dropped':>8} {'writes':>8}")
for name, s in [(f"shard {i}", p) for i, p in enumerate(parts)] + [("merged", merged), ("single", single)]:
    sc = s["schedule"]
    print(f"{name:10} {sc['planned']:>8} {sc['started']:>8} {sc['dropped']:>8} {s['writes']['total']:>8}")

check(merged["schedule"]["planned"] == single["schedule"]["planned"],
      f"merged planned {merged['schedule']['planned']} != single-process planned {single['schedule']['planned']}")
for key in ("planned", "started", "dropped"):
    total = sum(p["schedule"][key] for p in parts)
    check(merged["schedule"][key] == total, f"merged {key} {merged['schedule'][key]} != the shards' sum {total}")
check(merged["writes"]["total"] == sum(p["writes"]["total"] for p in parts), "merged writes != the shards' sum")
check(all(p["schedule"]["planned"] > 0 for p in parts), "a shard planned nothing")
for i, p in enumerate(parts):
    check(p["thresholds"] == [], f"shard {i} judged thresholds itself: {p['thresholds']}")
exprs = [t["expr"] for t in merged["thresholds"]]
check(exprs == thresholds, f"merged thresholds {exprs} != rendered {thresholds} (each exactly once)")
for t in merged["thresholds"]:
    check(t["ok"], f"threshold {t['expr']} failed: {t['value']}")
    if t["expr"].startswith("throughput_wps"):
        # Judged on the whole: the merged throughput, not a shard's.
        check(abs(t["value"] - merged["throughput_wps"]) < 1e-9,
              f"throughput_wps threshold value {t['value']} is not the merged {merged['throughput_wps']}")
check([t["expr"] for t in failing["thresholds"]] == ["throughput_wps<0.001"] and
      not failing["thresholds"][0]["ok"], f"the failing merge's thresholds: {failing['thresholds']}")
check(merged["schedule"]["planned"] == failing["schedule"]["planned"], "the two merges differ")
print(f"thresholds on the merged summary: {[(t['expr'], t['ok'], round(t['value'], 3)) for t in merged['thresholds']]}")
for f in failures:
    print("FAIL " + f)
if failures:
    sys.exit(1)
print("rehearsal: ok")
PY
