// tests/k8s/workflows.mjs: offline checks of the ClusterFuzzLite workflows
// (.github/workflows/cflite_*.yml) against .clusterfuzzlite/.
//
//   node tests/k8s/workflows.mjs REPO_ROOT
//
//  - each workflow validates against GitHub's workflow schema
//    (@action-validator/core, the SchemaStore schema);
//  - the ClusterFuzzLite modes are all there: code-change on pull requests,
//    batch on a schedule, prune and coverage on a schedule, and continuous
//    builds (upload-build) on pushes to main;
//  - every job builds with google/clusterfuzzlite/actions/build_fuzzers and
//    runs run_fuzzers with the same sanitizer, language c++, pinned to a
//    release tag or commit; fuzzing modes (code-change, batch) cover exactly
//    the sanitizers of .clusterfuzzlite/project.yaml, which must be address
//    and undefined; coverage builds with the coverage sanitizer;
//  - no step runs its own commands: the build is .clusterfuzzlite/build.sh,
//    unchanged, which .clusterfuzzlite/Dockerfile copies to $SRC.
// Exit status: 0 all hold; 1 otherwise (each problem printed).
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { parse } from "yaml";

const require = createRequire(import.meta.url);
const { validateWorkflow } = require("@action-validator/core");

const root = process.argv[2];
if (!root) {
  console.error("usage: node tests/k8s/workflows.mjs REPO_ROOT");
  process.exit(1);
}
const problems = [];
const problem = (where, message) => problems.push(`${where}: ${message}`);

const project = parse(fs.readFileSync(path.join(root, ".clusterfuzzlite/project.yaml"), "utf8"));
const sanitizers = [...(project.sanitizers ?? [])].sort();
if (project.language !== "c++") problem("project.yaml", `language is ${project.language}, not c++`);
if (JSON.stringify(sanitizers) !== JSON.stringify(["address", "undefined"])) {
  problem("project.yaml", `sanitizers are ${sanitizers}, not address and undefined`);
}
const dockerfile = fs.readFileSync(path.join(root, ".clusterfuzzlite/Dockerfile"), "utf8");
if (!/^COPY \.clusterfuzzlite\/build\.sh \$SRC\/?$/m.test(dockerfile)) {
  problem(".clusterfuzzlite/Dockerfile", "does not COPY .clusterfuzzlite/build.sh to $SRC");
}

const dir = path.join(root, ".github/workflows");
const files = fs.readdirSync(dir).filter((f) => /^cflite_.*\.ya?ml$/.test(f)).sort();
const modes = new Map();  // mode -> {triggers, sanitizers:Set}
let builds = 0;
const kAction = /^google\/clusterfuzzlite\/actions\/(build_fuzzers|run_fuzzers)@(v\d+|[0-9a-f]{40})$/;

for (const f of files) {
  const where = `.github/workflows/${f}`;
  const text = fs.readFileSync(path.join(dir, f), "utf8");
  const result = validateWorkflow(text);
  for (const e of result.errors) problem(where, `schema: ${e.title}${e.path ? " at " + e.path : ""}${e.detail ? ": " + e.detail : ""}`);
  const wf = parse(text);
  const triggers = Object.keys(wf.on ?? {});
  for (const [jobName, job] of Object.entries(wf.jobs ?? {})) {
    const at = `${where} job ${jobName}`;
    const matrix = job.strategy?.matrix?.sanitizer;
    const resolve = (v) => (v === "${{ matrix.sanitizer }}" ? matrix : [v]);
    let built;
    for (const step of job.steps ?? []) {
      if (step.run !== undefined) problem(at, `step '${step.name}' runs its own commands`);
      const m = kAction.exec(step.uses ?? "");
      if (!m) {
        problem(at, `step '${step.name}' uses '${step.uses}', not a pinned ClusterFuzzLite action`);
        continue;
      }
      const w = step.with ?? {};
      if (m[1] === "build_fuzzers") {
        if (w.language !== "c++") problem(at, "build_fuzzers needs language: c++");
        built = resolve(w.sanitizer ?? "address");
        if (w["upload-build"] === true) ++builds;
      } else {
        if (!built) problem(at, "run_fuzzers before build_fuzzers");
        const ran = resolve(w.sanitizer ?? "address");
        if (JSON.stringify(ran) !== JSON.stringify(built)) problem(at, "runs another sanitizer than it built");
        const entry = modes.get(w.mode) ?? { triggers: new Set(), sanitizers: new Set() };
        triggers.forEach((t) => entry.triggers.add(t));
        (ran ?? []).forEach((s) => entry.sanitizers.add(s));
        modes.set(w.mode, entry);
        if (!(Number(w["fuzz-seconds"]) > 0)) problem(at, "fuzz-seconds must be set");
      }
    }
  }
  if (Object.keys(wf.jobs ?? {}).length === 0) problem(where, "has no jobs");
}

const want = {
  "code-change": { trigger: "pull_request", sanitizers: sanitizers },
  batch: { trigger: "schedule", sanitizers: sanitizers },
  prune: { trigger: "schedule" },
  coverage: { trigger: "schedule", sanitizers: ["coverage"] },
};
for (const [mode, w] of Object.entries(want)) {
  const got = modes.get(mode);
  if (!got) {
    problem("workflows", `no job runs ClusterFuzzLite mode ${mode}`);
    continue;
  }
  if (!got.triggers.has(w.trigger)) problem("workflows", `mode ${mode} is not triggered by ${w.trigger}`);
  if (w.sanitizers && JSON.stringify([...got.sanitizers].sort()) !== JSON.stringify([...w.sanitizers].sort())) {
    problem("workflows", `mode ${mode} runs sanitizers ${[...got.sanitizers]}, want ${w.sanitizers}`);
  }
}
for (const mode of modes.keys()) {
  if (!(mode in want)) problem("workflows", `unknown ClusterFuzzLite mode '${mode}'`);
}
if (builds === 0) problem("workflows", "no continuous build (build_fuzzers with upload-build: true)");

for (const p of problems) console.log(`FAIL ${p}`);
console.log(`checked ${files.length} ClusterFuzzLite workflows (modes ${[...modes.keys()].join(", ")}); ` +
  `${problems.length} problem(s)`);
process.exit(problems.length === 0 ? 0 : 1);
