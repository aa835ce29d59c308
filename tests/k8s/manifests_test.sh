#!/usr/bin/env bash
# tests/k8s/manifests_test.sh: every Kubernetes manifest of deploy/k8s, and
# what scripts/k8s-render writes for several shard counts and options,
# validated offline (no cluster), plus the render script's own checks.
#
#   tests/k8s/manifests_test.sh
#
#  1. scripts/k8s-render for N = 1, 4, 16 and with every option;
#  2. deploy/k8s/example is current: rendering its recorded command again
#     gives it byte for byte;
#  3. tests/k8s/validate.mjs on all of them (schema, strict fields,
#     YAML 1.1 = 1.2, kustomizations, the Indexed Job and merge rules);
#  4. the validator catches what it should: broken copies must fail with
#     the expected message (a validator that passes everything is no test);
#  5. yamllint -s (tests/k8s/yamllint.yml) on deploy/k8s, the renders, the
#     ClusterFuzzLite workflows and .clusterfuzzlite/project.yaml;
#  6. scripts/k8s-render refuses bad arguments, naming them.
# Needs tests/k8s/node_modules (scripts/setup runs tests/k8s/setup.sh) and
# yamllint (scripts/setup). Prints the validated manifest count.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
[ -f tests/k8s/node_modules/kubernetes-models/package.json ] ||
  { echo "FAIL tests/k8s/node_modules is missing: run scripts/setup (or tests/k8s/setup.sh)"; exit 1; }
command -v yamllint >/dev/null 2>&1 || { echo "FAIL yamllint is not installed: run scripts/setup"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
  echo "FAIL $*"
  failures=$((failures + 1))
}

# ---- 1
target=http://sessiond.sessionrig.svc.cluster.local:8080
scripts/k8s-render --out "$work/n1" 1 50 "$target" +2m >/dev/null
scripts/k8s-render --out "$work/n4" 4 2000 "$target" 2030-01-02T03:04:05.250+01:00 >/dev/null
scripts/k8s-render --out "$work/n16" 16 20000 "$target" 1893456000 >/dev/null
scripts/k8s-render --out "$work/options" --image registry.example/team/sessionrig:1.2.3 \
  --namespace load-test --duration 5m --scenario mixed --run-id nightly-7 \
  --threshold 'p99<250ms' --threshold 'conflict_rate<0.5' --tokens-secret my-tokens \
  --metrics-addr 0.0.0.0:9500 --linger 0s --storage-class fast-rwx --access-mode ReadWriteOnce \
  --cpu 2 --memory 1Gi --arg=--zipf --arg=0.9 3 900 https://sessions.example:443 +10m >/dev/null
scripts/k8s-render --out "$work/no-metrics" --metrics-addr 127.0.0.1:0 --no-thresholds 2 10 "$target" +1m >/dev/null
grep -q -- '- "--zipf"' "$work/options/load/load-job.yaml" || fail "--arg did not reach the shard's args"
grep -q 'storageClassName: "fast-rwx"' "$work/options/load/results-pvc.yaml" || fail "--storage-class is missing"
grep -q 'prometheus.io/port' "$work/no-metrics/load/load-job.yaml" && fail "port 0 still has scrape annotations"
grep -q -- '--threshold' "$work/no-metrics/merge/merge-job.yaml" && fail "--no-thresholds still has thresholds"

# ---- 2
recorded=$(awk '/^# Rendered by:$/ { on = 1; next }
  on { sub(/^#[[:space:]]+/, ""); cont = sub(/[[:space:]]*\\$/, ""); printf "%s ", $0; if (!cont) exit }' \
  deploy/k8s/example/load/load-job.yaml | sed 's/ $//')
[[ "$recorded" == scripts/k8s-render\ * ]] || fail "deploy/k8s/example records no render command"
eval "scripts/k8s-render --out \"\$work/example\" ${recorded#scripts/k8s-render }" >/dev/null
if ! diff -r deploy/k8s/example "$work/example" >"$work/example.diff"; then
  fail "deploy/k8s/example is stale: run $recorded --out deploy/k8s/example"
  head -n 40 "$work/example.diff"
fi

# ---- 3
renders=("$work/n1" "$work/n4" "$work/n16" "$work/options" "$work/no-metrics")
# 5 renders x 5 manifests + example 5 + sessiond 3 + monitoring 2.
expected=$((5 * 5 + 5 + 3 + 2))
if ! node tests/k8s/validate.mjs --min-count "$expected" deploy/k8s "${renders[@]}" | tee "$work/validate.out"; then
  fail "validate.mjs found problems (above)"
fi

# ---- 4: broken copies of the 4-shard render, each with the message it must produce.
mutate() {  # mutate NAME FILE SED_EXPR EXPECTED_MESSAGE
  local name=$1 file=$2 expr=$3 expected=$4
  rm -rf "$work/bad"
  cp -r "$work/n4" "$work/bad"
  sed -i -e "$expr" "$work/bad/$file"
  cmp -s "$work/n4/$file" "$work/bad/$file" && { fail "self-test $name: the edit changed nothing"; return; }
  if node tests/k8s/validate.mjs "$work/bad" deploy/k8s/monitoring >"$work/bad.out" 2>&1; then
    fail "self-test $name: validate.mjs accepted it"
  elif ! grep -qF -- "$expected" "$work/bad.out"; then
    fail "self-test $name: no '$expected' in: $(cat "$work/bad.out")"
  fi
}
mutate typo load/load-job.yaml 's/backoffLimitPerIndex: 0/backofLimitPerIndex: 0/' \
  "unknown field /spec/backofLimitPerIndex"
mutate enum load/load-job.yaml 's/completionMode: Indexed/completionMode: Indexd/' \
  "completionMode must be equal to one of the allowed values"
mutate type load/load-job.yaml 's/containerPort: 9464/containerPort: "9464"/' "containerPort must be integer"
mutate yaml11 load/load-job.yaml 's/defaultMode: 288 .*/defaultMode: 0440/' "means something else under YAML 1.1"
mutate retry load/load-job.yaml 's/backoffLimitPerIndex: 0/backoffLimitPerIndex: 2/' "backoffLimitPerIndex must be 0"
mutate parallel load/load-job.yaml 's/parallelism: 4/parallelism: 2/' "parallelism 2 != completions 4"
mutate shard load/load-job.yaml 's|"auto/4"|"auto/3"|' "--shard must be auto/4"
mutate shard-threshold load/load-job.yaml 's|- "auto/4"|- "auto/4"\n            - "--threshold"\n            - "p99<1s"|' \
  "give thresholds to the merge Job"
mutate restart load/load-job.yaml 's/restartPolicy: Never/restartPolicy: OnFailure/' "restartPolicy must be Never"
mutate root load/load-job.yaml 's/runAsNonRoot: true/runAsNonRoot: false/' "runAsNonRoot must be true"
mutate latest load/load-job.yaml 's/image: "sessionrig:dev"/image: "sessionrig:latest"/' "needs a tag other than latest"
mutate annotation load/load-job.yaml 's/prometheus.io\/port: "9464"/prometheus.io\/port: "9000"/' \
  "is not the metrics port 9464"
mutate merge-inputs merge/merge-job.yaml '/shard-3.json/d' "but the shards write"
mutate merge-folder merge/merge-job.yaml '0,/subPath: /s/subPath: "k8s-[0-9]*"/subPath: "other"/' \
  "does not mount the shards' results folder"
mutate kustomize load/kustomization.yaml '/load-job.yaml/d' "load-job.yaml is in the folder but not in resources"
echo "self-test: validate.mjs rejected all 15 broken copies as expected"

# ---- 5
if ! yamllint -s -c tests/k8s/yamllint.yml deploy/k8s "${renders[@]}" .github/workflows \
  .clusterfuzzlite/project.yaml; then
  fail "yamllint (above)"
fi

# ---- 6
refuse() {  # refuse EXPECTED ARGS...
  local expected=$1 out rc=0
  shift
  out=$(scripts/k8s-render --out "$work/refused" "$@" 2>&1) || rc=$?
  if [ "$rc" -ne 1 ] || ! grep -qF -- "$expected" <<<"$out"; then
    fail "k8s-render $*: want exit 1 and '$expected', got exit $rc: $out"
  fi
}
refuse "N '0' is not an integer" 0 10 "$target" +1m
refuse "RATE 'fast' is not a number" 2 fast "$target" +1m
refuse "TARGET 'sessiond:8080' is not an http://" 2 10 sessiond:8080 +1m
refuse "START 'soon' is not RFC 3339" 2 10 "$target" soon
refuse "START '2025-02-30T00:00:00Z' is not RFC 3339" 2 10 "$target" 2025-02-30T00:00:00Z
refuse "--run-id 'a_b' is not" --run-id a_b 2 10 "$target" +1m
refuse "--scenario 'raid'" --scenario raid 2 10 "$target" +1m
refuse "unknown option '--shards'" --shards 2 2 10 "$target" +1m
refuse "expected N RATE TARGET START" 2 10 "$target"

if [ "$failures" -gt 0 ]; then
  echo "manifests_test: $failures failure(s)"
  exit 1
fi
echo "manifests_test: ok ($(grep -o 'validated [0-9]* manifests' "$work/validate.out"))"
