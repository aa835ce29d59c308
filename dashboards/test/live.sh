#!/usr/bin/env bash
# dashboards_live: the dashboards against a real Prometheus scraping a real
# run. Starts, on free loopback ports: a Pushgateway (with sample nightly
# fuzzing results pushed to it), Prometheus (dashboards/prometheus/ with a
# 500 ms scrape interval and the recording and alert rules), sessiond with
# --metrics-addr, and two loadgen shards (--shard 0/2 and 1/2, same
# --start-at) running the append scenario against sessiond. Then
# test/live_check.mjs evaluates every PromQL query of every generated panel
# through Prometheus's HTTP API and compares the conflict ratio and the
# shards' histograms with the loadgen summaries. About 25 s; everything it
# started is stopped on exit.
#
#   live.sh --source-dir dashboards/ --loadgen BIN --sessiond BIN --sessionctl BIN
#           [--push-metrics BIN] [--prometheus BIN] [--pushgateway BIN]
#           [--node BIN] [--keep DIR]
set -euo pipefail

src="" loadgen="" sessiond="" sessionctl="" push_metrics=""
prometheus=$(command -v prometheus || true)
pushgateway=$(command -v prometheus-pushgateway || true)
node=$(command -v node || true)
keep=""
while [ $# -gt 0 ]; do
  case "$1" in
    --source-dir) src=$2; shift 2 ;;
    --loadgen) loadgen=$2; shift 2 ;;
    --sessiond) sessiond=$2; shift 2 ;;
    --sessionctl) sessionctl=$2; shift 2 ;;
    --push-metrics) push_metrics=$2; shift 2 ;;
    --push-metrics=*) push_metrics=${1#--push-metrics=}; shift ;;  # empty: use curl
    --prometheus) prometheus=$2; shift 2 ;;
    --pushgateway) pushgateway=$2; shift 2 ;;
    --node) node=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;  # copy logs and summaries here
    *) echo "live.sh: unknown argument '$1'" >&2; exit 1 ;;
  esac
done
for v in src loadgen sessiond sessionctl prometheus pushgateway node; do
  [ -n "${!v}" ] || { echo "live.sh: --${v//_/-} is required (or not installed)" >&2; exit 1; }
  [ "$v" = src ] || [ -x "${!v}" ] || command -v "${!v}" >/dev/null ||
    { echo "live.sh: ${!v} is not installed (scripts/setup installs prometheus, prometheus-pushgateway, nodejs)" >&2; exit 1; }
done

# shellcheck source=SCRIPTDIR/../../scripts/lib/stack.sh
source "$src/../scripts/lib/stack.sh"

work=$(mktemp -d)
finish() {
  local rc=$?
  stack_stop
  if [ -n "$keep" ]; then
    mkdir -p "$keep"
    cp -r "$work"/*.log "$work"/*.json "$keep"/ 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ]; then
    echo "--- live.sh failed (exit $rc); logs:" >&2
    for f in "$work"/*.log; do
      [ -f "$f" ] || continue
      echo "=== $f" >&2
      tail -n 15 "$f" >&2
    done
  fi
  rm -rf "$work"
}
trap finish EXIT

duration=12     # seconds of load
rate=160        # arrivals per second, both shards together
users=64        # the append scenario's default population
sessions=4      # two per shard: enough contention for a conflict ratio of ~30 %
# Server latency makes read-modify-writes overlap, so some lose the race
# (412 -> OutOfSync) and sessiond_faults_injected_total{kind="latency"} counts.
inject="latency=uniform:2ms-20ms"

prom_port=$(stack_free_port)
gw_port=$(stack_free_port)
sd_metrics_port=$(stack_free_port)
lg0_port=$(stack_free_port)
lg1_port=$(stack_free_port)

stack_start_pushgateway "$pushgateway" "$gw_port" "$work"

# Sample nightly results, pushed the way scripts/fuzz-nightly pushes them.
now=$(date +%s)
cat >"$work/fuzz_summary.json" <<JSON
{"schema": "sessionrig.fuzz.summary/v1", "started_at": $((now - 600)), "finished_at": $now,
 "minutes": 10, "jobs": 2,
 "targets": [
  {"target": "write_result_fuzzer", "execs_per_second": 1234.5, "execs": 740700,
   "corpus_files": 321, "edges": 4567, "new_crashes": 0},
  {"target": "session_merge_fuzzer", "execs_per_second": 88, "execs": 52800,
   "corpus_files": 12, "edges": 999, "new_crashes": 2}]}
JSON
if [ -n "$push_metrics" ]; then
  timeout 20 "$push_metrics" --gateway "http://127.0.0.1:$gw_port" \
    --summary "$work/fuzz_summary.json" --instance live-test >"$work/push.log" 2>&1 ||
    stack_die "live.sh: push_metrics failed: $(cat "$work/push.log")"
else
  # No push_metrics binary in this build: the same series in the text format.
  curl -fsS --max-time 5 --data-binary @- \
    "http://127.0.0.1:$gw_port/metrics/job/sessionrig_fuzz/instance/live-test" <<TEXT
# TYPE sessionrig_fuzz_execs_per_second gauge
sessionrig_fuzz_execs_per_second{target="write_result_fuzzer"} 1234.5
sessionrig_fuzz_execs_per_second{target="session_merge_fuzzer"} 88
# TYPE sessionrig_fuzz_corpus_files gauge
sessionrig_fuzz_corpus_files{target="write_result_fuzzer"} 321
sessionrig_fuzz_corpus_files{target="session_merge_fuzzer"} 12
# TYPE sessionrig_fuzz_edges gauge
sessionrig_fuzz_edges{target="write_result_fuzzer"} 4567
sessionrig_fuzz_edges{target="session_merge_fuzzer"} 999
# TYPE sessionrig_fuzz_crashes_total counter
sessionrig_fuzz_crashes_total{target="write_result_fuzzer"} 0
sessionrig_fuzz_crashes_total{target="session_merge_fuzzer"} 2
# TYPE sessionrig_fuzz_last_run_timestamp_seconds gauge
sessionrig_fuzz_last_run_timestamp_seconds $now
TEXT
fi

stack_start_sessiond "$sessiond" "$sd_metrics_port" "$work" --threads 2 --inject "$inject"
stack_mint_tokens "$sessionctl" "$SESSIOND_SECRET" "$users" "$work/tokens"

# Scrape every 500 ms. Each shard keeps /metrics up for 2 s after its run
# (--linger), so Prometheus scrapes its final counts, the consistency
# verdict included.
stack_prometheus_config "$src/prometheus" "$work/prom" 500ms \
  "127.0.0.1:$lg0_port,127.0.0.1:$lg1_port" "127.0.0.1:$sd_metrics_port" "127.0.0.1:$gw_port"
stack_start_prometheus "$prometheus" "$work/prom/prometheus.yml" "$prom_port" "$work"
stack_wait_targets "$prom_port" loadgen 2 30

# Both shards start their schedules at the same instant, a few seconds out,
# so Prometheus scrapes their zeros first.
start_at=$(($(date +%s) + 3))
pids=()
for shard in 0 1; do
  port_var="lg${shard}_port"
  "$loadgen" run --scenario append --mode sync --target "http://127.0.0.1:$SESSIOND_PORT" \
    --token-file "$work/tokens" --rate "$rate" --duration "${duration}s" --sessions "$sessions" \
    --shard "$shard/2" --start-at "$start_at" --seed 7 --run-id "live$$" \
    --metrics-addr "127.0.0.1:${!port_var}" --linger 2s --json "$work/shard$shard.json" --quiet \
    >"$work/loadgen$shard.log" 2>&1 &
  pids+=($!)
  stack_track "${pids[-1]}"
done
for shard in 0 1; do
  set +e
  timeout $((duration + 60)) tail --pid="${pids[shard]}" -f /dev/null
  wait "${pids[shard]}"
  rc=$?
  set -e
  [ "$rc" -eq 0 ] || stack_die "live.sh: loadgen shard $shard exited $rc: $(tail -n 5 "$work/loadgen$shard.log")"
done
end_at=$(date +%s.%N)
# One more scrape round, so Prometheus notices the shards are gone.
sleep 1

"$node" "$src/test/live_check.mjs" \
  --prometheus "http://127.0.0.1:$prom_port" \
  --dashboards "$src/generated" --rules "$src/prometheus/rules" \
  --buckets-header "$src/../core/include/sessionrig/metric_buckets.h" \
  --start "$start_at" --end "$end_at" \
  --shard "127.0.0.1:$lg0_port=$work/shard0.json" \
  --shard "127.0.0.1:$lg1_port=$work/shard1.json" \
  --vars "scenario=append,mode=sync,instance=.*,target=.*"
