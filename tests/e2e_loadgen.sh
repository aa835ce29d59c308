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
# Reads are measured like writes; the time series adds up to the totals.
assert s["reads"]["failed"] <= s["reads"]["total"], s["reads"]
if s["mode"] == "sync":
    assert s["reads"]["total"] >= a["total"], (s["reads"], a)
series = s["timeseries"]
assert len(series) == -(-round(s["duration_s"] * 1e6) // round(s["interval_s"] * 1e6)), len(series)
assert abs(sum(i["duration_s"] for i in series) - s["duration_s"]) < 1e-6
for k in keys:
    assert sum(i["writes"]["by_status"][k] for i in series) == by[k], k
for k in ("total", "failed"):
    assert sum(i["reads"][k] for i in series) == s["reads"][k], k
for k in ("planned", "started", "dropped"):
    assert sum(i["arrivals"][k] for i in series) == sched[k], k
assert sum(b["writes"] for b in s["by_rank"]) == s["writes"]["total"], s["by_rank"]
assert sum(b["out_of_sync"] for b in s["by_rank"]) == by["out_of_sync"], s["by_rank"]
# Every scenario gets a real verdict: the membership invariants always run,
# the append history check in append.
c = s["consistency"]
assert c["checked"] and c["verdict"] == "ok", c
membership = ["capacity", "acknowledged_join", "acknowledged_leave", "member_index", "etag_order"]
want = membership + (["append_history"] if scenario == "append" else [])
assert sorted(c["checks"]) == sorted(want), c["checks"]
assert all(c["by_invariant"][k] == 0 for k in want), c["by_invariant"]
assert c["lifecycle_removals"] == 0, c
if scenario == "append":
    # every succeeded append is one 2xx write
    assert a["succeeded"] == by["updated"] + by["created"], (a, by)
elif scenario in ("lobby", "churn"):
    assert c["acknowledged"] > 0, c  # joins and leaves were acknowledged and checked
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
grep -q '^sessionrig_read_duration_seconds_bucket' "$work/metrics" || fail "read duration histogram missing"

# ---- --hlog: the interval histograms as an HdrHistogram interval log,
# decoded here with Python's base64, zlib and struct (not loadgen's code):
# every interval's counts are the summary's, bucket by bucket.
timeout 60 "$loadgen" run --scenario mixed --rate 100 --duration 3s --interval 500ms --quiet \
  --json "$work/hlog.json" --hlog "$work/run.hlog" > /dev/null || fail "hlog run exited $?"
python3 - "$work/hlog.json" "$work/run.hlog" <<'EOF' || fail "--hlog does not decode to the summary"
import base64, json, re, struct, sys, zlib
s = json.load(open(sys.argv[1]))
lines = open(sys.argv[2]).read().splitlines()

def varints(data, nine_byte):
    """LEB128 values; HdrHistogram V2 caps them at 9 bytes (the 9th holds 8 bits)."""
    out, i = [], 0
    while i < len(data):
        v = shift = n = 0
        while True:
            b = data[i]; i += 1; n += 1
            if nine_byte and n == 9:
                v |= b << 56
                break
            v |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        out.append(v)
    return out

def counts_of(values):
    """ZigZag-decoded counts; a negative value is a run of zero counts."""
    counts = []
    for raw in values:
        v = (raw >> 1) ^ -(raw & 1)
        counts.extend([0] * -v if v < 0 else [v])
    return counts

def hlog_counts(b64):
    raw = base64.b64decode(b64)
    cookie, length = struct.unpack(">ii", raw[:8])
    assert cookie == 0x1C849314, hex(cookie)
    v2 = zlib.decompress(raw[8:8 + length])
    cookie, payload, offset, digits, lowest, highest, ratio = struct.unpack(">iiiiqqd", v2[:40])
    assert cookie == 0x1C849313 and offset == 0 and lowest == 1 and ratio == 1.0, (cookie, offset)
    assert highest == 3600000000 and payload == len(v2) - 40, (highest, payload)
    return digits, counts_of(varints(v2[40:], True))

def hdr1_counts(text):
    assert text.startswith("hdr1:")
    values = varints(base64.b64decode(text[5:]), False)
    digits, total = values[0], values[1]  # then the clamped count, then the counts
    counts = counts_of(values[3:])
    assert sum(counts) == total, (sum(counts), total)
    return digits, counts

def same(a, b):
    n = max(len(a), len(b))
    return a + [0] * (n - len(a)) == b + [0] * (n - len(b))

assert "#[Histogram log format version 1.3]" in lines
start = [l for l in lines if l.startswith("#[StartTime: ")]
assert start and abs(float(start[0].split()[1]) - s["start_unix_s"]) < 0.001, start
assert '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"' in lines
data = [l for l in lines if not l.startswith("#") and not l.startswith('"')]
writes = [l.split(",") for l in data if not l.startswith("Tag=")]
reads = [l.split(",")[1:] for l in data if l.startswith("Tag=read,")]
series = s["timeseries"]
assert len(writes) == len(series) == len(reads) == 6, (len(writes), len(reads), len(series))
total_writes = total_reads = 0
for i, (w, r, interval) in enumerate(zip(writes, reads, series)):
    assert abs(float(w[0]) - interval["t_s"]) < 0.001 and abs(float(w[1]) - interval["duration_s"]) < 0.001, w[:3]
    for line, key, count_key, latency_key in ((w, "histogram", "writes", "write_latency_ms"),
                                              (r, "read_histogram", "reads", "read_latency_ms")):
        digits, counts = hlog_counts(line[3])
        assert sum(counts) == interval[count_key]["total"], (i, key, sum(counts), interval[count_key])
        digits1, counts1 = hdr1_counts(interval[key])
        assert digits == digits1 and same(counts, counts1), (i, key)
        # Interval_Max is in milliseconds, like the summary's max.
        assert abs(float(line[2]) - interval[latency_key]["max"]) < 0.0006, (i, key, line[2])
    total_writes += sum(hlog_counts(w[3])[1])
    total_reads += sum(hlog_counts(r[3])[1])
assert total_writes == s["writes"]["total"] and total_reads == s["reads"]["total"], (total_writes, total_reads)
print(f"  run.hlog: {len(writes)} intervals, {total_writes} writes and {total_reads} reads, as in the summary")
EOF

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
for inv in ("capacity", "acknowledged_join", "acknowledged_leave", "member_index", "etag_order",
            "append_history"):
    assert re.search(r'^sessionrig_consistency_violations_total\{invariant="%s"\} 0$' % inv, text,
                     re.M), "violations counter " + inv
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
python3 - "$work/shard0.json" "$work/shard1.json" "$work/merged.json" "$start_at" <<'EOF' || fail "merge is not the sum"
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
assert m["reads"]["total"] == a["reads"]["total"] + b["reads"]["total"]
# Interval by interval: the same wall-clock windows (same --start-at).
assert a["start_unix_s"] == b["start_unix_s"] == m["start_unix_s"] == float(sys.argv[4]), (a["start_unix_s"], sys.argv[4])
assert len(m["timeseries"]) == len(a["timeseries"]) == len(b["timeseries"]) == 2
for ia, ib, im in zip(a["timeseries"], b["timeseries"], m["timeseries"]):
    for k in ia["writes"]["by_status"]:
        assert im["writes"]["by_status"][k] == ia["writes"]["by_status"][k] + ib["writes"]["by_status"][k], k
    for k in ("planned", "started", "dropped"):
        assert im["arrivals"][k] == ia["arrivals"][k] + ib["arrivals"][k], k
    # Together: 200 arrivals intended in each second.
    assert im["arrivals"]["planned"] == 200, im["arrivals"]
# Conflicts by popularity rank: summed bucket by bucket (shard 0 has rank 1,
# shard 1 starts at rank 2).
def by_lo(summary):
    return {r["rank_lo"]: r for r in summary["by_rank"]}
ra, rb, rm = by_lo(a), by_lo(b), by_lo(m)
assert sorted(rm) == sorted(set(ra) | set(rb)), (sorted(rm), sorted(ra), sorted(rb))
for lo, bm in rm.items():
    for k in ("writes", "out_of_sync", "sessions"):
        assert bm[k] == ra.get(lo, {}).get(k, 0) + rb.get(lo, {}).get(k, 0), (lo, k)
assert sum(r["sessions"] for r in m["by_rank"]) == 1000  # mixed's sessions, each in one shard
print(f"  merged: {m['writes']['total']} writes = {a['writes']['total']} + {b['writes']['total']}, "
      f"{len(m['timeseries'])} intervals")
EOF

# Shards started at different times cover different windows: merging them
# is an error that names both files.
timeout 60 "$loadgen" run --scenario mixed --target "$target" --token-file "$work/tokens" \
  --rate 200 --duration 2s --shard 1/2 --quiet --json "$work/unaligned.json" > /dev/null 2>&1 \
  || fail "unaligned shard exited $?"
expect_usage "$work/unaligned.json started its measured phase at unix time" \
  merge "$work/shard0.json" "$work/unaligned.json"
grep -qF "$work/shard0.json at $start_at" "$work/err" || { cat "$work/err"; fail "the error does not name shard0.json"; }

echo "e2e_loadgen: ok"
