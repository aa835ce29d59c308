// tests/k8s/validate.mjs: offline validation of sessionrig's Kubernetes
// manifests (deploy/k8s/ and what scripts/k8s-render writes), no cluster.
//
//   node tests/k8s/validate.mjs [--min-count N] PATH...
//
// PATH: YAML files or folders (searched for *.yaml / *.yml). For every
// document:
//  1. YAML: parses with no error, no duplicate key, and to the same value
//     under YAML 1.1 and 1.2 (kubectl's parser is 1.1-like: `on`, `0440`
//     would silently mean something else there).
//  2. Schema: validated against the Kubernetes OpenAPI schema of its
//     apiVersion/kind (npm kubernetes-models; PodMonitor: the Prometheus
//     Operator's CRD schema, @kubernetes-models/prometheus-operator).
//     Unknown fields are errors too, as `kubectl apply --validate=strict`
//     makes them: the validator is run on a proxy of the document that
//     records which keys it looks at, and it looks at every key its schema
//     knows (maps such as labels are iterated, so all their keys count).
//  3. Kustomization files: every listed resource exists, and every other
//     YAML file of the folder is listed (nothing silently left out).
//  4. The rules of deploy/k8s/README.md (policy): non-root pods with a
//     RuntimeDefault seccomp profile; containers without privilege
//     escalation, with a read-only root, dropping ALL capabilities, with
//     resource requests, a memory limit and a tagged image (not :latest);
//     the load Job is an Indexed Job (completions = parallelism = N,
//     restartPolicy Never, backoffLimitPerIndex 0, maxFailedIndexes <= N)
//     whose pods run `loadgen run --shard auto/N --start-at T` with
//     JOB_COMPLETION_INDEX declared, a per-index --json on the results
//     volume and no --threshold; the merge Job of the same run id merges
//     exactly shard-0..N-1 from the same folder and carries the thresholds;
//     prometheus.io/port names the container's `metrics` port; PodMonitors
//     and Services select pods that exist and name their ports.
// Prints one line per problem and "validated N manifests" at the end.
// Exit status: 0 all valid (and at least --min-count documents); 1 not.
import fs from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";

import { Namespace } from "kubernetes-models/v1/Namespace";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Pod } from "kubernetes-models/v1/Pod";
import { Service } from "kubernetes-models/v1/Service";
import { Secret } from "kubernetes-models/v1/Secret";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Job } from "kubernetes-models/batch/v1/Job";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { PodMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor";

// apiVersion/kind -> its model; Model.prototype.validate(this) runs the
// schema's compiled validator on `this` and throws on the first errors.
const kModels = new Map(
  [Namespace, PersistentVolumeClaim, Pod, Service, Secret, ConfigMap, Job, Deployment, PodMonitor]
    .map((m) => [`${m.apiVersion}/${m.kind}`, m]));
const kKustomization = "kustomize.config.k8s.io/v1beta1/Kustomization";
// The Kustomization fields these manifests use (kustomize accepts more;
// anything else here is most likely a typo).
const kKustomizationKeys = new Set(["apiVersion", "kind", "resources", "namespace", "images",
  "labels", "commonAnnotations", "patches", "configMapGenerator", "secretGenerator"]);

const problems = [];
function problem(where, message) {
  problems.push(`${where}: ${message}`);
}

// ---- 1. YAML
function yamlFiles(p) {
  const stat = fs.statSync(p);
  if (stat.isFile()) return [p];
  return fs.readdirSync(p, { withFileTypes: true })
    .filter((e) => e.name !== "node_modules")
    .flatMap((e) => {
      const full = path.join(p, e.name);
      if (e.isDirectory()) return yamlFiles(full);
      return /\.ya?ml$/.test(e.name) ? [full] : [];
    })
    .sort();
}

function parse(file) {
  const text = fs.readFileSync(file, "utf8");
  const docs12 = parseAllDocuments(text, { version: "1.2", uniqueKeys: true, prettyErrors: true });
  const docs11 = parseAllDocuments(text, { version: "1.1", uniqueKeys: true });
  const out = [];
  docs12.forEach((doc, i) => {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) problem(file, `YAML: ${e.message}`);
      return;
    }
    const value = doc.toJS();
    if (value === null || value === undefined) return;  // an empty document
    const other = docs11[i] ? docs11[i].toJS() : undefined;
    if (JSON.stringify(other) !== JSON.stringify(value)) {
      problem(file, `document ${i + 1} means something else under YAML 1.1 (kubectl) than ` +
        "under 1.2: quote values such as on/yes/no or numbers with a leading 0");
    }
    out.push({ file, index: i, value });
  });
  return out;
}

// ---- 2. schema, strict
// A deep copy of `value` in which every object is a proxy recording the
// keys read; `seen` collects {path, keys, read}.
function tracked(value, where, seen) {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v, i) => tracked(v, `${where}/${i}`, seen));
  const read = new Set();
  const copy = {};
  for (const [k, v] of Object.entries(value)) copy[k] = tracked(v, `${where}/${k}`, seen);
  seen.push({ where, keys: Object.keys(value), read });
  return new Proxy(copy, {
    get(target, key, receiver) {
      if (typeof key === "string") read.add(key);
      return Reflect.get(target, key, receiver);
    },
  });
}

function validateSchema(doc, where) {
  const key = `${doc.apiVersion}/${doc.kind}`;
  const model = kModels.get(key);
  if (!model) {
    problem(where, `no schema known for apiVersion ${doc.apiVersion} kind ${doc.kind}`);
    return false;
  }
  const seen = [];
  try {
    model.prototype.validate.call(tracked(doc, "", seen));
  } catch (e) {
    problem(where, `${key}: ${e.message}`);
    return false;
  }
  let strict = true;
  for (const { where: at, keys, read } of seen) {
    for (const k of keys) {
      if (!read.has(k)) {
        problem(where, `${key}: unknown field ${at}/${k}`);
        strict = false;
      }
    }
  }
  return strict;
}

// ---- 3. kustomizations
function checkKustomization(doc, file) {
  for (const k of Object.keys(doc)) {
    if (!kKustomizationKeys.has(k)) problem(file, `Kustomization: unexpected field '${k}'`);
  }
  const dir = path.dirname(file);
  const listed = new Set();
  for (const r of doc.resources ?? []) {
    const p = path.join(dir, r);
    if (!fs.existsSync(p)) problem(file, `Kustomization: resource '${r}' does not exist`);
    listed.add(path.normalize(p));
  }
  for (const f of fs.readdirSync(dir)) {
    if (!/\.ya?ml$/.test(f) || /^kustomization\.ya?ml$/.test(f)) continue;
    if (!listed.has(path.normalize(path.join(dir, f)))) {
      problem(file, `Kustomization: ${f} is in the folder but not in resources`);
    }
  }
}

// ---- 4. policy
function podSpecOf(doc) {
  if (doc.kind === "Pod") return { spec: doc.spec, labels: doc.metadata?.labels ?? {},
    annotations: doc.metadata?.annotations ?? {} };
  if (doc.kind === "Job" || doc.kind === "Deployment") {
    const t = doc.spec?.template ?? {};
    return { spec: t.spec, labels: t.metadata?.labels ?? {}, annotations: t.metadata?.annotations ?? {} };
  }
  return null;
}

function argValue(args, flag) {
  const i = args.indexOf(flag);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : undefined;
}

function checkPodPolicy(doc, where, pod) {
  const sc = pod.spec.securityContext ?? {};
  if (sc.runAsNonRoot !== true) problem(where, "pod securityContext.runAsNonRoot must be true");
  if (sc.seccompProfile?.type !== "RuntimeDefault") {
    problem(where, "pod securityContext.seccompProfile.type must be RuntimeDefault");
  }
  for (const c of pod.spec.containers ?? []) {
    const at = `${where} container ${c.name}`;
    const csc = c.securityContext ?? {};
    if (csc.allowPrivilegeEscalation !== false) problem(at, "allowPrivilegeEscalation must be false");
    if (csc.readOnlyRootFilesystem !== true) problem(at, "readOnlyRootFilesystem must be true");
    if (!(csc.capabilities?.drop ?? []).includes("ALL")) problem(at, "capabilities.drop must include ALL");
    if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory) {
      problem(at, "resources.requests needs cpu and memory");
    }
    if (!c.resources?.limits?.memory) problem(at, "resources.limits.memory is missing");
    const image = c.image ?? "";
    const tag = image.includes("@") ? "digest" : (image.split("/").pop().split(":")[1] ?? "");
    if (tag === "" || tag === "latest") problem(at, `image '${image}' needs a tag other than latest`);
    if (!c.imagePullPolicy) problem(at, "imagePullPolicy is not set");
    // prometheus.io/port must be the container's `metrics` port.
    const metricsPort = (c.ports ?? []).find((p) => p.name === "metrics");
    if (pod.annotations["prometheus.io/scrape"] === "true") {
      if (!metricsPort) problem(at, "prometheus.io/scrape is set but there is no port named metrics");
      else if (pod.annotations["prometheus.io/port"] !== String(metricsPort.containerPort)) {
        problem(at, `prometheus.io/port '${pod.annotations["prometheus.io/port"]}' is not the metrics ` +
          `port ${metricsPort.containerPort}`);
      }
    }
    const args = [...(c.command ?? []), ...(c.args ?? [])];
    const metricsAddr = argValue(args, "--metrics-addr");
    if (metricsAddr && metricsPort && !metricsAddr.endsWith(`:${metricsPort.containerPort}`)) {
      problem(at, `--metrics-addr ${metricsAddr} does not serve the metrics port ${metricsPort.containerPort}`);
    }
  }
}

// Load and merge Jobs by run id, checked as a pair.
const runs = new Map();

function checkLoadJob(doc, where, pod) {
  const spec = doc.spec;
  const n = spec.completions;
  if (spec.completionMode !== "Indexed") problem(where, "completionMode must be Indexed");
  if (!Number.isInteger(n) || n < 1) problem(where, "completions must be a positive integer");
  if (spec.parallelism !== n) problem(where, `parallelism ${spec.parallelism} != completions ${n}`);
  if (spec.backoffLimitPerIndex !== 0) problem(where, "backoffLimitPerIndex must be 0 (no late shard)");
  if (!Number.isInteger(spec.maxFailedIndexes) || spec.maxFailedIndexes > n) {
    problem(where, "maxFailedIndexes must be set and at most completions");
  }
  if (pod.spec.restartPolicy !== "Never") problem(where, "restartPolicy must be Never");
  const c = pod.spec.containers[0];
  const args = [...(c.command ?? []), ...(c.args ?? [])];
  if (args[0] !== "loadgen" || args[1] !== "run") problem(where, "the container must run `loadgen run`");
  if (argValue(args, "--shard") !== `auto/${n}`) {
    problem(where, `--shard must be auto/${n}, is ${argValue(args, "--shard")}`);
  }
  if (!argValue(args, "--start-at")) problem(where, "--start-at is missing (shards must align)");
  if (args.includes("--threshold")) {
    problem(where, "--threshold on a shard judges a part: give thresholds to the merge Job");
  }
  const json = argValue(args, "--json") ?? "";
  if (!json.includes("$(JOB_COMPLETION_INDEX)")) {
    problem(where, "--json must name a file per index ($(JOB_COMPLETION_INDEX))");
  }
  const env = (c.env ?? []).find((e) => e.name === "JOB_COMPLETION_INDEX");
  if (!env || env.valueFrom?.fieldRef?.fieldPath !==
      "metadata.annotations['batch.kubernetes.io/job-completion-index']") {
    problem(where, "JOB_COMPLETION_INDEX must be declared from the completion-index annotation");
  }
  const runId = doc.metadata?.labels?.["sessionrig.dev/run-id"];
  const mount = (c.volumeMounts ?? []).find((m) => json.startsWith(m.mountPath + "/"));
  if (!mount) problem(where, `--json ${json} is not on a mounted volume`);
  const entry = runs.get(runId) ?? {};
  entry.load = { where, n, json, mount, volumes: pod.spec.volumes ?? [] };
  runs.set(runId, entry);
}

function checkMergeJob(doc, where, pod) {
  if (pod.spec.restartPolicy !== "Never") problem(where, "restartPolicy must be Never");
  if (doc.spec.backoffLimit !== 0) problem(where, "backoffLimit must be 0 (a failed merge is a result)");
  const c = pod.spec.containers[0];
  const args = [...(c.command ?? []), ...(c.args ?? [])];
  if (args[0] !== "loadgen" || args[1] !== "merge") problem(where, "the container must run `loadgen merge`");
  const runId = doc.metadata?.labels?.["sessionrig.dev/run-id"];
  const entry = runs.get(runId) ?? {};
  entry.merge = { where, args, mounts: c.volumeMounts ?? [], volumes: pod.spec.volumes ?? [] };
  runs.set(runId, entry);
}

function checkRuns() {
  for (const [runId, { load, merge }] of runs) {
    if (!load || !merge) {
      problem(`run ${runId}`, `has a ${load ? "load" : "merge"} Job but no ${load ? "merge" : "load"} Job`);
      continue;
    }
    const inputs = [];
    for (let i = 2; i < merge.args.length && !merge.args[i].startsWith("--"); ++i) inputs.push(merge.args[i]);
    const want = [];
    for (let i = 0; i < load.n; ++i) want.push(load.json.replace("$(JOB_COMPLETION_INDEX)", String(i)));
    if (JSON.stringify(inputs) !== JSON.stringify(want)) {
      problem(merge.where, `merges ${inputs.join(" ")} but the shards write ${want.join(" ")}`);
    }
    const m = merge.mounts.find((x) => x.mountPath === load.mount?.mountPath);
    const claim = (vols, name) => vols.find((v) => v.name === name)?.persistentVolumeClaim?.claimName;
    if (!m || m.subPath !== load.mount?.subPath ||
        claim(merge.volumes, m.name) !== claim(load.volumes, load.mount?.name)) {
      problem(merge.where, "does not mount the shards' results folder (same claim, subPath and path)");
    }
    if (!merge.args.includes("--json")) problem(merge.where, "writes no merged --json");
  }
}

function selects(selector, labels) {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

// ---- main
const args = process.argv.slice(2);
let minCount = 0;
const paths = [];
for (let i = 0; i < args.length; ++i) {
  if (args[i] === "--min-count") minCount = Number(args[++i]);
  else paths.push(args[i]);
}
if (paths.length === 0) {
  console.error("usage: node tests/k8s/validate.mjs [--min-count N] PATH...");
  process.exit(1);
}

let validated = 0;
let kustomizations = 0;
const pods = [];  // {where, labels, ports, namespace}
const selectors = [];  // {where, kind, selector, ports, namespace}
const kinds = new Map();
for (const file of paths.flatMap(yamlFiles)) {
  for (const { index, value: doc } of parse(file)) {
    const where = `${file}#${index + 1} ${doc.kind ?? "?"}/${doc.metadata?.name ?? "?"}`;
    const key = `${doc.apiVersion}/${doc.kind}`;
    if (key === kKustomization) {
      checkKustomization(doc, file);
      ++kustomizations;
      continue;
    }
    if (!validateSchema(doc, where)) continue;
    ++validated;
    kinds.set(doc.kind, (kinds.get(doc.kind) ?? 0) + 1);
    const pod = podSpecOf(doc);
    if (pod) {
      checkPodPolicy(doc, where, pod);
      pods.push({ where, labels: pod.labels, namespace: doc.metadata?.namespace,
        ports: pod.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => p.name)) });
      const component = doc.metadata?.labels?.["app.kubernetes.io/component"];
      if (doc.kind === "Job" && component === "loadgen") checkLoadJob(doc, where, pod);
      if (doc.kind === "Job" && component === "merge") checkMergeJob(doc, where, pod);
      if (doc.kind === "Deployment" && !selects(doc.spec.selector.matchLabels, pod.labels)) {
        problem(where, "spec.selector does not select its own pod template");
      }
    }
    if (doc.kind === "PodMonitor") {
      // A pod without the port is merely not scraped: some pod must have it.
      selectors.push({ where, selector: doc.spec.selector?.matchLabels, namespace: doc.metadata?.namespace,
        ports: (doc.spec.podMetricsEndpoints ?? []).map((e) => e.port), every: false });
    }
    if (doc.kind === "Service") {
      // Every pod behind a Service must have its named target ports.
      selectors.push({ where, selector: doc.spec.selector, namespace: doc.metadata?.namespace,
        ports: (doc.spec.ports ?? []).map((p) => p.targetPort).filter((p) => typeof p === "string"), every: true });
    }
  }
}
checkRuns();
for (const s of selectors) {
  const matched = pods.filter((p) => p.namespace === s.namespace && selects(s.selector, p.labels));
  if (matched.length === 0) {
    problem(s.where, `selects no pod template among the files checked (${JSON.stringify(s.selector)})`);
  }
  for (const port of s.ports) {
    const without = matched.filter((p) => !p.ports.includes(port));
    if (s.every) {
      for (const p of without) problem(s.where, `port '${port}' is not a port of ${p.where}`);
    } else if (matched.length > 0 && without.length === matched.length) {
      problem(s.where, `port '${port}' is a port of none of the pods it selects`);
    }
  }
}
if (validated < minCount) problem("validate.mjs", `validated ${validated} manifests, expected at least ${minCount}`);

for (const p of problems) console.log(`FAIL ${p}`);
const byKind = [...kinds].map(([k, n]) => `${n} ${k}`).join(", ");
console.log(`validated ${validated} manifests (${byKind}) and ${kustomizations} kustomizations; ` +
  `${problems.length} problem(s)`);
process.exit(problems.length === 0 ? 0 : 1);
