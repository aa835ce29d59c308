// Reading the generated dashboards and the PromQL in them; shared by
// lint.mjs and live_check.mjs. Node's standard library only.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// Every dashboard JSON in `dir`, as [{file, dashboard}], sorted by file name.
export function loadDashboards(dir) {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, dashboard: JSON.parse(readFileSync(join(dir, file), 'utf8')) }));
}

// Every panel, including those nested in collapsed rows, in layout order.
export function panels(dashboard) {
  const out = [];
  for (const p of dashboard.panels ?? []) {
    out.push(p);
    for (const nested of p.panels ?? []) out.push(nested);
  }
  return out;
}

export function isRow(panel) {
  return panel.type === 'row';
}

// [{panel, target}] for every query of every non-row panel.
export function queries(dashboard) {
  const out = [];
  for (const panel of panels(dashboard)) {
    if (isRow(panel)) continue;
    for (const target of panel.targets ?? []) out.push({ panel, target });
  }
  return out;
}

// Removes string literals ("..." and '...') so label values never look
// like identifiers.
export function stripStrings(expr) {
  return expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
}

const CLAUSE = /\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g;
const SELECTOR = /([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}/g;

// Label names an expression groups, joins or matches on.
export function labelNames(expr) {
  const labels = new Set();
  const text = stripStrings(expr);
  for (const m of text.matchAll(CLAUSE)) {
    for (const l of m[2].split(',')) if (l.trim()) labels.add(l.trim());
  }
  for (const m of text.matchAll(SELECTOR)) {
    for (const matcher of m[2].split(',')) {
      const name = matcher.trim().match(/^([a-zA-Z_][a-zA-Z0-9_]*)/);
      if (name) labels.add(name[1]);
    }
  }
  // label_values(metric, label) in template variables.
  for (const m of text.matchAll(/label_values\s*\((?:[^,]*,)?\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)/g)) {
    labels.add(m[1]);
  }
  return labels;
}

// [{metric, labels}] for every selector `metric{l1=..., l2=~...}`.
export function selectors(expr) {
  const out = [];
  const text = stripStrings(expr);
  for (const m of text.matchAll(SELECTOR)) {
    if (!m[1]) continue;
    const labels = [];
    for (const matcher of m[2].split(',')) {
      const name = matcher.trim().match(/^([a-zA-Z_][a-zA-Z0-9_]*)/);
      if (name) labels.push(name[1]);
    }
    out.push({ metric: m[1], labels });
  }
  return out;
}

const KEYWORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool',
  'offset', 'inf', 'nan', 'Inf', 'NaN',
]);

// Metric names an expression reads: identifiers that are not functions,
// keywords, label names, durations or numbers.
export function metricNames(expr) {
  let text = stripStrings(expr);
  text = text.replace(CLAUSE, ' ');
  text = text.replace(/\{[^}]*\}/g, ' ');
  text = text.replace(/\[[^\]]*\]/g, ' ');
  text = text.replace(/\$[a-zA-Z_][a-zA-Z0-9_]*/g, ' ');
  const names = new Set();
  for (const m of text.matchAll(/(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    if (m[2]) continue;  // a function call
    if (KEYWORDS.has(m[1])) continue;
    names.add(m[1]);
  }
  return names;
}

// Grafana's template variables replaced by concrete values, so the
// expression can be sent to Prometheus as is. `values`: {name: text}.
export function substitute(expr, values) {
  return expr.replace(/\$\{?([a-zA-Z_][a-zA-Z0-9_]*)\}?/g, (whole, name) =>
    Object.prototype.hasOwnProperty.call(values, name) ? values[name] : whole,
  );
}
