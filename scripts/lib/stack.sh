# shellcheck shell=bash
# scripts/lib/stack.sh: start and stop real sessionrig processes and the
# observability stack (sessiond, Prometheus, Pushgateway) on free loopback
# ports. Sourced by scripts/observe, dashboards/test/live.sh and the
# end-to-end tests in tests/; bash only.
#
# Every process started here is recorded in STACK_PIDS and stopped by
# stack_stop (SIGTERM, then SIGKILL after 5 s), newest first. Callers set
# `trap stack_stop EXIT`. Nothing listens on anything but 127.0.0.1.

STACK_PIDS=()

stack_die() {
  echo "$*" >&2
  exit 1
}

# Prints a free TCP port on 127.0.0.1 (the kernel's choice; the caller binds
# it right after).
stack_free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
  else
    node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
  fi
}

# stack_track PID: stop PID with the rest of the stack.
stack_track() {
  STACK_PIDS+=("$1")
}

# stack_wait_http URL PID SECONDS: waits until URL answers 2xx; fails if
# PID exits or SECONDS pass.
stack_wait_http() {
  local url=$1 pid=$2 seconds=$3 i
  for ((i = 0; i < seconds * 10; ++i)); do
    curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# stack_start_pushgateway BIN PORT WORKDIR: persistence kept in WORKDIR
# (Debian's build would otherwise use /var/lib/prometheus).
stack_start_pushgateway() {
  local bin=$1 port=$2 dir=$3
  "$bin" --web.listen-address="127.0.0.1:$port" --persistence.file="$dir/pushgateway.data" \
    >"$dir/pushgateway.log" 2>&1 &
  local pid=$!
  stack_track "$pid"
  stack_wait_http "http://127.0.0.1:$port/-/ready" "$pid" 20 ||
    { cat "$dir/pushgateway.log" >&2; stack_die "stack: prometheus-pushgateway did not start on port $port"; }
}

# stack_prometheus_config SRC DEST INTERVAL LOADGEN_TARGETS SESSIOND_TARGETS GATEWAY_TARGETS:
# copies dashboards/prometheus (SRC: prometheus.yml and rules/) to DEST with
# the scrape and evaluation intervals set to INTERVAL and its own
# file-discovery targets (comma-separated host:port lists).
stack_prometheus_config() {
  local src=$1 dest=$2 interval=$3 loadgen=$4 sessiond=$5 gateway=$6
  mkdir -p "$dest/rules" "$dest/targets"
  cp "$src"/rules/*.yml "$dest/rules/"
  sed -e "s/^\(  scrape_interval:\).*/\1 $interval/" \
    -e "s/^\(  evaluation_interval:\).*/\1 $interval/" \
    "$src/prometheus.yml" >"$dest/prometheus.yml"
  grep -q "^  scrape_interval: $interval\$" "$dest/prometheus.yml" ||
    stack_die "stack: could not set scrape_interval in $dest/prometheus.yml"
  stack_targets "$dest/targets/loadgen.yml" "$loadgen"
  stack_targets "$dest/targets/sessiond.yml" "$sessiond"
  stack_targets "$dest/targets/pushgateway.yml" "$gateway"
}

# stack_targets FILE host:port,host:port: a file_sd target list.
stack_targets() {
  local file=$1 list=$2
  if [ -z "$list" ]; then
    echo "[]" >"$file.tmp"
  else
    echo "- targets: [${list//,/, }]" >"$file.tmp"
  fi
  mv "$file.tmp" "$file"  # atomic: Prometheus may be watching it
}

# stack_start_prometheus BIN CONFIG PORT WORKDIR
stack_start_prometheus() {
  local bin=$1 config=$2 port=$3 dir=$4
  "$bin" --config.file="$config" --storage.tsdb.path="$dir/tsdb" \
    --web.listen-address="127.0.0.1:$port" --storage.tsdb.retention.time=1d \
    >"$dir/prometheus.log" 2>&1 &
  local pid=$!
  stack_track "$pid"
  stack_wait_http "http://127.0.0.1:$port/-/ready" "$pid" 30 ||
    { tail -n 20 "$dir/prometheus.log" >&2; stack_die "stack: prometheus did not start on port $port"; }
}

# stack_wait_targets PROM_PORT JOB COUNT SECONDS: waits until Prometheus
# scrapes COUNT targets of JOB (up or not). Prometheus applies discovered
# targets a few seconds after it starts; a process started before that
# loses its first seconds.
stack_wait_targets() {
  local port=$1 job=$2 count=$3 seconds=$4 i
  for ((i = 0; i < seconds * 10; ++i)); do
    curl -fsS --max-time 1 --data-urlencode "query=count(up{job=\"$job\"})" \
      "http://127.0.0.1:$port/api/v1/query" 2>/dev/null | grep -q ",\"$count\"\]" && return 0
    sleep 0.1
  done
  stack_die "stack: Prometheus does not scrape $count $job targets after $seconds s"
}

# stack_start_sessiond BIN METRICS_PORT WORKDIR [extra sessiond flags...]:
# METRICS_PORT "" for no /metrics. Sets SESSIOND_PORT (its HTTP port, picked
# by sessiond), SESSIOND_PID and SESSIOND_SECRET (the dev-auth secret file,
# created by sessiond).
stack_start_sessiond() {
  local bin=$1 metrics_port=$2 dir=$3
  shift 3
  SESSIOND_SECRET="$dir/sessiond.secret"
  local metrics=()
  [ -z "$metrics_port" ] || metrics=(--metrics-addr "127.0.0.1:$metrics_port")
  : >"$dir/sessiond.out"  # exists before the background process opens it
  "$bin" --listen 127.0.0.1:0 "${metrics[@]}" --auth dev \
    --secret-file "$SESSIOND_SECRET" "$@" >"$dir/sessiond.out" 2>"$dir/sessiond.log" &
  local pid=$! i
  # shellcheck disable=SC2034  # for the caller
  SESSIOND_PID=$pid
  stack_track "$pid"
  SESSIOND_PORT=""
  for ((i = 0; i < 200; ++i)); do
    SESSIOND_PORT=$(sed -n 's/^sessiond listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/sessiond.out" | head -n 1)
    [ -n "$SESSIOND_PORT" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$dir/sessiond.log" >&2; stack_die "stack: sessiond exited"; }
    sleep 0.05
  done
  [ -n "$SESSIOND_PORT" ] || stack_die "stack: sessiond did not report its port"
  [ -z "$metrics_port" ] || stack_wait_http "http://127.0.0.1:$metrics_port/metrics" "$pid" 10 ||
    stack_die "stack: sessiond serves no /metrics on port $metrics_port"
}

# stack_mint_tokens SESSIONCTL SECRET COUNT FILE: COUNT users' Authorization
# values for sessiond's dev auth, in loadgen's --token-file format.
stack_mint_tokens() {
  local sessionctl=$1 secret=$2 count=$3 file=$4 i
  for ((i = 0; i < count; ++i)); do
    "$sessionctl" token --xuid $((2533274790400001 + i)) --secret-file "$secret" ||
      stack_die "stack: sessionctl token failed"
  done >"$file"
}

# Stops everything this stack started, newest first.
stack_stop() {
  local i pid waited
  for ((i = ${#STACK_PIDS[@]} - 1; i >= 0; --i)); do
    pid=${STACK_PIDS[i]}
    kill -TERM "$pid" 2>/dev/null || continue
    for ((waited = 0; waited < 50; ++waited)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  STACK_PIDS=()
}
