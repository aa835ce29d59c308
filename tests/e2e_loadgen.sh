#!/usr/bin/env bash
# End to end: the loadgen binary as a user runs it.
#  - every scenario for a few seconds against the embedded sessiond and
#    against a separately started sessiond process (tokens minted with
#    sessionctl into a --token-file);
#  - each --json summary validates (loadgen merge re-reads it through the
#    schema check) and adds up: by_status sums to total, a 412 is never a
#    success, started + dropped = planned;
#  - --hgrm and live --metrics-addr output; --linger keeps loadgen's and
#    the embedded sessiond's /metrics up with the final counts;
#  - Ctrl-C ends a run early with a summary of what ran (exit 130);
#  - thresholds exit 99; bad flags and bad scenario files exit 1 naming the
#    flag or field;
#  - two shards (--shard i/2 --start-at T) merge into exactly their sums.
# Only 127.0.0.1; every step bounded by `timeout`.
#   e2e_loadgen.sh <loadgen> <sessiond> <sessionctl>
set -euo pipefail
loadgen=$1 sessiond=$2 sessionctl=$3

# shellcheck source=SCRIPTDIR/../scripts/lib/stack.sh
source "$(dirname "$0")/../scripts/lib/stack.sh"
work=$(mktemp -d)
trap 'stack_stop; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# Checks one summary file: schema (via loadgen merge), sums and invariants.
check_summary() {
  local file=$1 scenario=$2
  timeout 60 "$loadgen" merge "$file" --json "$work/revalidated.json" > /dev/null \
    || fail "$file does not validate (loadgen merge)"
  python3 - "$file" "$scenario" <<'EOF' || fail "$file: invariants"
import json, sys
path, scenario = sys.argv[1], sys.argv[2]
s = json.load(open(path))
keys = ["updated", "created", "out_of_sync", "session_deleted", "conflict", "access_denied",
        "not_found", "http_error", "transport_error", "timeout", "parse_error"]
assert s["schema"] == "sessionrig.loadgen.summary/v1", s["schema"]
assert s["scenario"] == scenario, s["scenario"]
by = s["writes"]["by_status"]
assert sorted(by) == sorted(keys), by
assert sum(by.values()) == s["writes"]["total"], (by, s["writes"]["total"])
assert s["writes"]["total"] > 0, "no writes"
# A 412 is never a success: conflict_rate is out_of_sync / total, and the
# successful writes are exactly updated + created + session_deleted.
assert abs(s["conflict_rate"] - by["out_of_sync"] / s["writes"]["total"]) < 1e-9
sched = s["schedule"]
assert sched["started"] + sched["dropped"] == sched["planned"], sched
a = s["actions"]
assert a["total"] == a["succeeded"] + a["failed"], a
assert a["total"] + a.get("interrupted", 0) == sched["started"], (a, sched)
assert s["histogram"] == s["histograms"]["corrected"]
lat = s["latency_ms"]["corrected"]
assert lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["p999"] <= lat["max"], lat
if scenario == "append":
    assert s["consistency"]["checked"] and s["consistency"]["verdict"] == "ok", s["consistency"]
    # every succeeded append is one 2xx write
    assert a["succeeded"] == by["updated"] + by["created"], (a, by)
else:
    assert s["consistency"]["verdict"] == "not_checked"
print(f"  {path.split('/')[-1]}: {s['writes']['total']} writes, "
      f"{100 * s['conflict_rate']:.1f}% out_of_sync, p99 {s['latency_ms']['corrected']['p99']:.2f} ms")
EOF
}

# ---- every scenario against the embedded sessiond.
for scenario in lobby append churn mixed; do
  timeout 60 "$loadgen" run --scenario "$scenario" --rate 150 --duration 2s --threads 2 \
    --json "$work/embedded_$scenario.json" > "$work/out" 2> "$work/err" \
    || { cat "$work/out" "$work/err"; fail "embedded $scenario exited $?"; }
  grep -q "scenario $scenario" "$work/out" || fail "no summary printed for $scenario"
  check_summary "$work/embedded_$scenario.json" "$scenario"
done

# ---- a separately started sessiond and tokens from sessionctl.
stack_start_sessiond "$sessiond" "" "$work" --threads 2
target="http://127.0.0.1:$SESSIOND_PORT"
stack_mint_tokens "$sessionctl" "$SESSIOND_SECRET" 48 "$work/tokens"

for scenario in lobby append churn mixed; do
  timeout 60 "$loadgen" run --scenario "$scenario" --target "$target" --token-file "$work/tokens" \
    --rate 150 --duration 2s --threads 2 --json "$work/external_$scenario.json" \
    > "$work/out" 2> "$work/err" || { cat "$work/out" "$work/err"; fail "external $scenario"; }
  grep -q "target $target" "$work/out" || fail "summary does not name the target"
  check_summary "$work/external_$scenario.json" "$scenario"
done

# ---- --hgrm and live --metrics-addr.
mport=$(stack_free_port)
timeout 60 "$loadgen" run --rate 100 --duration 3s --metrics-addr "127.0.0.1:$mport" \
  --hgrm "$work/run.hgrm" --quiet > "$work/out" 2> "$work/err" &
lg=$!
sleep 1.5
curl -sf "http://127.0.0.1:$mport/metrics" > "$work/metrics" || fail "no /metrics during the run"
wait "$lg" || fail "metrics run exited $?"
grep -q '^sessionrig_writes_total{.*status="updated"' "$work/metrics" || fail "sessionrig_writes_total missing"
grep -q '^sessionrig_write_duration_seconds_bucket' "$work/metrics" || fail "write duration histogram missing"
grep -q '^sessionrig_target_rate' "$work/metrics" || fail "target rate missing"
grep -q 'Value.*Percentile.*TotalCount' "$work/run.hgrm" || fail "hgrm header missing"
grep -q '^#\[Mean' "$work/run.hgrm" || fail "hgrm footer missing"

grep -q '^sessionrig_target_rate 100$' "$work/metrics" || fail "target rate is not the --rate during the run"

# ---- --linger: after the run, loadgen's and the embedded sessiond's
# /metrics stay up with the final counts, then loadgen exits by itself;
# Ctrl-C ends the linger early with the run's own exit code.
sport=$(stack_free_port)
timeout 60 "$loadgen" run --rate 100 --duration 1s --metrics-addr "127.0.0.1:$mport" \
  --sessiond-metrics-addr "127.0.0.1:$sport" --linger 3s --json "$work/linger.json" --quiet \
  > "$work/out" 2> "$work/err" &
lg=$!
for _ in $(seq 50); do [ -s "$work/linger.json" ] && break; sleep 0.1; done
[ -s "$work/linger.json" ] || fail "no summary before the linger"
curl -sf "http://127.0.0.1:$mport/metrics" > "$work/metrics" || fail "no loadgen /metrics while lingering"
curl -sf "http://127.0.0.1:$sport/metrics" > "$work/sd_metrics" || fail "no sessiond /metrics while lingering"
python3 - "$work/linger.json" "$work/metrics" "$work/sd_metrics" <<'EOF' || fail "lingering /metrics are not the final counts"
import json, re, sys
s = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
seen = sum(float(v) for v in re.findall(r'^sessionrig_writes_total\{[^}]*\} (\S+)$', text, re.M))
assert seen == s["writes"]["total"], (seen, s["writes"]["total"])
assert re.search(r'^sessionrig_consistency_violations_total 0$', text, re.M), "violations counter"
sd = open(sys.argv[3]).read()
puts = sum(float(v) for v in re.findall(r'^sessiond_requests_total\{code="20[01]",method="PUT"\} (\S+)$', sd, re.M))
ok = s["writes"]["by_status"]["updated"] + s["writes"]["by_status"]["created"]
assert puts >= ok, (puts, ok)
EOF
kill -INT "$lg"
set +e
wait "$lg"
rc=$?
set -e
[ "$rc" -eq 0 ] || { cat "$work/err"; fail "Ctrl-C during --linger exited $rc, want the run's 0"; }
grep -q -- "--linger" "$work/err" || fail "linger not announced"

# ---- Ctrl-C ends the run early: the summary covers what ran, exit 130.
timeout 60 "$loadgen" run --rate 100 --duration 60s --json "$work/int.json" --quiet \
  > "$work/out" 2> "$work/err" &
lg=$!
sleep 2
t0=$(date +%s.%N)
kill -INT "$lg"
set +e
wait "$lg"
rc=$?
set -e
t1=$(date +%s.%N)
[ "$rc" -eq 130 ] || { cat "$work/err"; fail "interrupted run exited $rc, want 130"; }
python3 - "$work/int.json" "$t0" "$t1" <<'EOF' || fail "interrupted summary"
import json, sys
s = json.load(open(sys.argv[1]))
assert 0.5 < s["duration_s"] < 5, s["duration_s"]
assert s["schedule"]["planned"] == s["schedule"]["started"] + s["schedule"]["dropped"], s["schedule"]
assert s["schedule"]["planned"] < 600, s["schedule"]
assert float(sys.argv[3]) - float(sys.argv[2]) < 10, "took too long to stop"
EOF
grep -q "interrupted" "$work/err" || fail "interruption not reported"

# ---- thresholds: exit 99 on failure, 0 when met.
set +e
timeout 60 "$loadgen" run --rate 50 --duration 1s --quiet --threshold 'p50<1us' \
  --threshold 'error_rate<0.5' > "$work/out" 2>&1
rc=$?
set -e
[ "$rc" -eq 99 ] || { cat "$work/out"; fail "failing threshold exited $rc, want 99"; }
grep -q "✗ p50<1us" "$work/out" || fail "failed threshold not shown"
timeout 60 "$loadgen" run --rate 50 --duration 1s --quiet --threshold 'p99<60s' > "$work/out" 2>&1 \
  || fail "passing threshold exited $?"

# ---- bad flags and scenario files: exit 1 with the flag or field named.
expect_usage() {  # expect_usage <needle> <args...>
  local needle=$1; shift
  set +e
  timeout 30 "$loadgen" "$@" > "$work/out" 2> "$work/err"
  local rc=$?
  set -e
  [ "$rc" -eq 1 ] || { cat "$work/err"; fail "loadgen $* exited $rc, want 1"; }
  grep -qF -- "$needle" "$work/err" || { cat "$work/err"; fail "loadgen $*: error does not say '$needle'"; }
}
expect_usage "--rate: 'abc' is not a number" run --rate abc
expect_usage "--rat" run --rat 5
expect_usage "--mode: 'fast' is not a mode" run --mode fast
expect_usage "--threshold: threshold 'p99<50'" run --threshold 'p99<50'
expect_usage "--stages and --duration" run --stages 1s:10 --duration 5s
expect_usage "--target: needs --token-file" run --target http://127.0.0.1:9
echo '{"rate": 10, "rat": 5}' > "$work/bad1.json"
expect_usage "config field 'rat' is unknown" run --config "$work/bad1.json"
echo '{"duration": [1]}' > "$work/bad2.json"
expect_usage "config field 'duration': expected a duration" run --config "$work/bad2.json"
expect_usage "--config: cannot read" run --config "$work/missing.json"
expect_usage "--token-file" run --target "$target" --token-file "$work/missing-tokens"
expect_usage "$work/bad1.json" merge "$work/bad1.json"
# A file sets the scenario; the command line overrides its rate.
echo '{"scenario": "churn", "rate": 5000, "duration": "1s"}' > "$work/good.json"
timeout 60 "$loadgen" run --config "$work/good.json" --rate 40 --quiet --json "$work/good_out.json" \
  > /dev/null || fail "config run exited $?"
python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
assert s["scenario"] == "churn" and s["schedule"]["planned"] == 40, s["schedule"]' "$work/good_out.json" \
  || fail "config values or flag override not applied"

# ---- shards: both halves against one target, aligned, then merged exactly.
start_at=$(python3 -c 'import time; print(f"{time.time() + 2:.3f}")')
shard_pids=()
for i in 0 1; do
  timeout 60 "$loadgen" run --scenario mixed --target "$target" --token-file "$work/tokens" \
    --rate 200 --duration 2s --shard "$i/2" --start-at "$start_at" --quiet \
    --json "$work/shard$i.json" > "$work/shard$i.out" 2>&1 &
  shard_pids+=($!)
done
wait "${shard_pids[0]}" || fail "shard 0 exited $?"
wait "${shard_pids[1]}" || fail "shard 1 exited $?"
timeout 60 "$loadgen" merge "$work/shard0.json" "$work/shard1.json" --json "$work/merged.json" \
  > "$work/merged.out" || fail "merge exited $?"
python3 - "$work/shard0.json" "$work/shard1.json" "$work/merged.json" <<'EOF' || fail "merge is not the sum"
import json, sys
a, b, m = (json.load(open(p)) for p in sys.argv[1:4])
for k in m["writes"]["by_status"]:
    assert m["writes"]["by_status"][k] == a["writes"]["by_status"][k] + b["writes"]["by_status"][k], k
assert m["writes"]["total"] == a["writes"]["total"] + b["writes"]["total"]
for k in ("planned", "started", "dropped"):
    assert m["schedule"][k] == a["schedule"][k] + b["schedule"][k], k
# Together the shards ran the whole schedule: 200/s for 2 s.
assert m["schedule"]["planned"] == 400, m["schedule"]
for k in ("succeeded", "failed"):
    assert m["actions"][k] == a["actions"][k] + b["actions"][k], k
print(f"  merged: {m['writes']['total']} writes = {a['writes']['total']} + {b['writes']['total']}")
EOF

echo "e2e_loadgen: ok"
