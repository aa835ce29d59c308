// tests/k8s/extract.mjs: the command line a container of a manifest runs,
// for running it outside Kubernetes exactly as written (tests/k8s/rehearsal.sh).
//
//   node tests/k8s/extract.mjs FILE --container NAME [--index I]
//        [--volume NAME=DIR]... [--bin NAME=PATH]...
//
// FILE holds one Job, Pod or Deployment. Prints, NUL-separated: the
// container's environment as NAME=VALUE items, then "--", then its argv
// (command + args). Done as the kubelet and the Job controller do it:
//  - env: literal values; valueFrom.fieldRef of the completion-index
//    annotation (what the Job controller sets on the pod of index I) gives
//    I; other sources are refused (this tool would have to invent them);
//  - $(VAR) in command and args expands to VAR's value when the container
//    defines VAR, `$$` is a literal `$`, an undefined $(VAR) stays as is;
//  - volume mounts: an argument that is a mount path, or under one, is
//    rewritten to the DIR given for that volume (plus the mount's subPath,
//    created like the kubelet creates it); every mount must be given one;
//  - command[0] is looked up in --bin (the image's PATH), if given there.
import fs from "node:fs";
import path from "node:path";
import { parse } from "yaml";

function die(message) {
  console.error(`extract.mjs: ${message}`);
  process.exit(1);
}

const argv = process.argv.slice(2);
if (argv.length < 1) die("usage: extract.mjs FILE --container NAME [--index I] [--volume NAME=DIR]... [--bin NAME=PATH]...");
const file = argv[0];
let containerName;
let index;
const volumeDirs = new Map();
const bins = new Map();
for (let i = 1; i < argv.length; ++i) {
  const flag = argv[i];
  const value = argv[++i];
  if (value === undefined) die(`${flag} needs a value`);
  const pair = () => {
    const eq = value.indexOf("=");
    if (eq <= 0) die(`${flag} wants NAME=VALUE, got '${value}'`);
    return [value.slice(0, eq), value.slice(eq + 1)];
  };
  if (flag === "--container") containerName = value;
  else if (flag === "--index") index = value;
  else if (flag === "--volume") volumeDirs.set(...pair());
  else if (flag === "--bin") bins.set(...pair());
  else die(`unknown flag ${flag}`);
}

const doc = parse(fs.readFileSync(file, "utf8"));
const podSpec = doc.kind === "Pod" ? doc.spec : doc.spec?.template?.spec;
if (!podSpec) die(`${file}: no pod spec in a ${doc.kind}`);
const container = (podSpec.containers ?? []).find((c) => c.name === containerName);
if (!container) die(`${file}: no container '${containerName}'`);

const kIndexField = "metadata.annotations['batch.kubernetes.io/job-completion-index']";
const env = new Map();
for (const e of container.env ?? []) {
  if (e.value !== undefined) {
    env.set(e.name, String(e.value));
  } else if (e.valueFrom?.fieldRef?.fieldPath === kIndexField) {
    if (index === undefined) die(`${e.name} is the completion index: give --index`);
    env.set(e.name, String(index));
  } else {
    die(`env ${e.name}: only literal values and the completion index are supported`);
  }
}

// Kubernetes' $(VAR) expansion (k8s.io/kubernetes/third_party/forked/golang/expansion).
function expand(text) {
  let out = "";
  for (let i = 0; i < text.length; ++i) {
    if (text[i] !== "$" || i + 1 >= text.length) {
      out += text[i];
      continue;
    }
    if (text[i + 1] === "$") {
      out += "$";
      ++i;
    } else if (text[i + 1] === "(") {
      const close = text.indexOf(")", i + 2);
      if (close < 0) {
        out += text.slice(i);
        break;
      }
      const name = text.slice(i + 2, close);
      out += env.has(name) ? env.get(name) : text.slice(i, close + 1);
      i = close;
    } else {
      out += "$";
    }
  }
  return out;
}

// mountPath -> local folder.
const mounts = (container.volumeMounts ?? []).map((m) => {
  const dir = volumeDirs.get(m.name);
  if (dir === undefined) die(`volume mount ${m.name} (${m.mountPath}): give --volume ${m.name}=DIR`);
  const local = m.subPath ? path.join(dir, m.subPath) : dir;
  fs.mkdirSync(local, { recursive: true });
  return { mountPath: m.mountPath.replace(/\/+$/, ""), local };
});
function remap(arg) {
  for (const m of mounts) {
    if (arg === m.mountPath) return m.local;
    if (arg.startsWith(m.mountPath + "/")) return m.local + arg.slice(m.mountPath.length);
  }
  return arg;
}

const words = [...(container.command ?? []), ...(container.args ?? [])].map((w) => remap(expand(String(w))));
if (words.length === 0) die(`container ${containerName} has no command (the image's would run)`);
if (bins.has(words[0])) words[0] = bins.get(words[0]);

const out = [...[...env].map(([k, v]) => `${k}=${v}`), "--", ...words];
process.stdout.write(out.map((w) => w + "\0").join(""));
