// dashboards_lint: checks the generated dashboards (and the rule files)
// against sessionrig's conventions.
//
//   node test/lint.mjs --dashboards DIR --metrics prometheus/metric_names.md [--rules DIR]
//   node test/lint.mjs --self-test --dashboards DIR --metrics prometheus/metric_names.md
//
// Every panel has a title, a description and a unit; every panel, query
// and query variable uses the `${datasource}` variable; no query groups,
// joins or matches on a high-cardinality label (session names, ETags,
// users, tokens); every metric a query or rule reads is one of the names
// of the repository's metric contract (--metrics, its "### Prometheus
// metric names" section; histograms with their _bucket/_sum/_count
// series), matched only on the labels the contract gives it (plus job and
// instance, and le on buckets).
// --self-test breaks copies of the dashboards and of the contract in known
// ways and checks the lint reports each one (so the lint cannot silently
// pass everything).
// Exit status: 0 clean, 1 findings or usage error.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { labelNames, loadDashboards, metricNames, panels, isRow, queries, selectors } from './dashboards.mjs';

// Labels whose values are unbounded per run: never a label, never grouped on.
export const DENYLIST = new Set([
  'session', 'session_id', 'session_name', 'name', 'etag', 'if_match', 'user', 'user_id', 'xuid',
  'gamertag', 'token', 'authorization', 'run_id', 'path', 'url', 'request_id',
]);

// Labels every scraped series has (or gets from the scrape / the push).
const TARGET_LABELS = ['job', 'instance'];

// {name: Set(labels)} from the contract's "### Prometheus metric names" section.
export function contractMetrics(contractText) {
  const start = contractText.indexOf('### Prometheus metric names');
  if (start < 0) throw new Error('the metric contract has no "### Prometheus metric names" section');
  const rest = contractText.slice(start + 1);
  const end = rest.search(/\n#{1,3} /);
  const section = end < 0 ? rest : rest.slice(0, end);
  const metrics = new Map();
  for (const m of section.matchAll(/`((?:sessionrig|sessiond)_[a-z0-9_]+)(?:\{([a-z_,]*)\})?`/g)) {
    metrics.set(m[1], new Set((m[2] ?? '').split(',').filter(Boolean)));
  }
  if (metrics.size === 0) throw new Error('no metric names found in the metric contract');
  return metrics;
}

// The contract's name a series name belongs to, or null: histograms are
// written as their base name in the contract.
function resolve(name, metrics) {
  if (metrics.has(name)) return { base: name, bucket: false };
  const m = name.match(/^(.*)_(bucket|sum|count)$/);
  if (m && metrics.has(m[1]) && !m[1].endsWith('_total')) return { base: m[1], bucket: m[2] === 'bucket' };
  return null;
}

function checkExpr(where, expr, metrics, errors, { recorded = new Set() } = {}) {
  for (const label of labelNames(expr)) {
    if (DENYLIST.has(label)) errors.push(`${where}: uses high-cardinality label '${label}'`);
  }
  for (const name of metricNames(expr)) {
    if (recorded.has(name)) continue;
    if (!resolve(name, metrics)) errors.push(`${where}: metric '${name}' is not in the metric contract`);
  }
  for (const { metric, labels } of selectors(expr)) {
    if (recorded.has(metric)) continue;
    const r = resolve(metric, metrics);
    if (!r) continue;  // already reported
    const allowed = new Set([...metrics.get(r.base), ...TARGET_LABELS, ...(r.bucket ? ['le'] : [])]);
    for (const l of labels) {
      if (!allowed.has(l)) errors.push(`${where}: ${metric} has no label '${l}' in the metric contract`);
    }
  }
}

export function lintDashboard(file, dashboard, metrics) {
  const errors = [];
  if (!dashboard.title) errors.push(`${file}: dashboard has no title`);
  if (!dashboard.uid) errors.push(`${file}: dashboard has no uid`);
  const variables = dashboard.templating?.list ?? [];
  const ds = variables.find((v) => v.name === 'datasource');
  if (!ds || ds.type !== 'datasource' || ds.query !== 'prometheus') {
    errors.push(`${file}: no 'datasource' variable of Prometheus datasources`);
  }
  for (const v of variables) {
    if (v.type !== 'query') continue;
    if (v.datasource?.uid !== '${datasource}') errors.push(`${file}: variable '${v.name}' does not use \${datasource}`);
    const query = typeof v.query === 'string' ? v.query : v.query?.query ?? '';
    checkExpr(`${file}: variable '${v.name}'`, query.replace(/^label_values\((.*),\s*\w+\)$/, '$1'), metrics, errors);
    for (const label of labelNames(query)) {
      if (DENYLIST.has(label)) errors.push(`${file}: variable '${v.name}' lists high-cardinality label '${label}'`);
    }
  }
  const ids = new Set();
  for (const panel of panels(dashboard)) {
    const where = `${file}: panel ${panel.id} '${panel.title ?? ''}'`;
    if (ids.has(panel.id)) errors.push(`${where}: duplicate panel id`);
    ids.add(panel.id);
    if (!panel.title || !panel.title.trim()) errors.push(`${where}: no title`);
    if (!panel.gridPos) errors.push(`${where}: no gridPos`);
    if (isRow(panel)) continue;
    if (!panel.description) errors.push(`${where}: no description`);
    const unit = panel.fieldConfig?.defaults?.unit;
    if (!unit) errors.push(`${where}: no unit`);
    if (panel.type === 'heatmap' && !panel.options?.yAxis?.unit) errors.push(`${where}: heatmap y axis has no unit`);
    if (panel.datasource?.uid !== '${datasource}') errors.push(`${where}: datasource is not \${datasource}`);
    if (!panel.targets?.length) errors.push(`${where}: no queries`);
    const refIds = new Set();
    for (const target of panel.targets ?? []) {
      const twhere = `${where} query ${target.refId}`;
      if (!target.refId || refIds.has(target.refId)) errors.push(`${twhere}: missing or duplicate refId`);
      refIds.add(target.refId);
      if (target.datasource?.uid !== '${datasource}') errors.push(`${twhere}: datasource is not \${datasource}`);
      if (!target.expr || !target.expr.trim()) {
        errors.push(`${twhere}: empty expr`);
        continue;
      }
      checkExpr(twhere, target.expr, metrics, errors);
      for (const m of (target.legendFormat ?? '').matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g)) {
        if (DENYLIST.has(m[1])) errors.push(`${twhere}: legend shows high-cardinality label '${m[1]}'`);
      }
    }
  }
  return errors;
}

// Rule files: every `expr:` (one line or a `|` block) of every rule.
export function ruleExprs(text) {
  const out = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; ++i) {
    const m = lines[i].match(/^(\s*)(?:- )?(record|alert|expr):\s*(.*)$/);
    if (!m || m[2] !== 'expr') continue;
    if (m[3].trim() === '|' || m[3].trim() === '>') {
      const body = [];
      const indent = m[1].length;
      while (i + 1 < lines.length && (lines[i + 1].trim() === '' || lines[i + 1].search(/\S/) > indent)) {
        body.push(lines[++i]);
      }
      out.push(body.join('\n').trim());
    } else {
      out.push(m[3].trim());
    }
  }
  return out;
}

export function lintRules(dir, metrics) {
  const errors = [];
  const files = readdirSync(dir).filter((f) => f.endsWith('.yml') || f.endsWith('.yaml')).sort();
  const texts = files.map((f) => [f, readFileSync(join(dir, f), 'utf8')]);
  const recorded = new Set();
  for (const [, text] of texts) {
    for (const m of text.matchAll(/^\s*- record:\s*(\S+)/gm)) recorded.add(m[1]);
  }
  for (const [file, text] of texts) {
    const exprs = ruleExprs(text);
    if (exprs.length === 0) errors.push(`${file}: no rule expressions found`);
    exprs.forEach((expr, i) => checkExpr(`${file}: rule ${i + 1}`, expr, metrics, errors, { recorded }));
  }
  return errors;
}

function selfTest(dashboards, metrics) {
  const breakers = [
    ['a panel without a unit', (d) => { delete firstPanel(d).fieldConfig.defaults.unit; }, /no unit/],
    ['a panel without a title', (d) => { firstPanel(d).title = ''; }, /no title/],
    ['a fixed datasource', (d) => { firstPanel(d).targets[0].datasource = { type: 'prometheus', uid: 'prom' }; }, /datasource is not/],
    ['grouping by session', (d) => { firstPanel(d).targets[0].expr = 'sum by (session) (rate(sessionrig_writes_total[1m]))'; }, /high-cardinality label 'session'/],
    ['matching on an etag', (d) => { firstPanel(d).targets[0].expr = 'sessiond_requests_total{etag="x"}'; }, /high-cardinality label 'etag'/],
    ['an unknown metric', (d) => { firstPanel(d).targets[0].expr = 'rate(sessionrig_writes_totl[1m])'; }, /not in the metric contract/],
    ['a label the metric lacks', (d) => { firstPanel(d).targets[0].expr = 'sessiond_sessions{method="GET"}'; }, /has no label 'method'/],
    ['no datasource variable', (d) => { d.templating.list = d.templating.list.filter((v) => v.name !== 'datasource'); }, /no 'datasource' variable/],
  ];
  const failures = [];
  const { file, dashboard } = dashboards[0];
  for (const [what, breakIt, expected] of breakers) {
    const copy = structuredClone(dashboard);
    breakIt(copy);
    const errors = lintDashboard(file, copy, metrics);
    if (!errors.some((e) => expected.test(e))) failures.push(`self-test: lint missed ${what} (got: ${errors.join('; ') || 'nothing'})`);
  }
  // The contract is what the dashboards are checked against: every metric
  // and label they use must come from it. A contract that lost a metric the
  // dashboards query, or a label they match on, must fail the real
  // dashboards; the contract as it is must pass them.
  const everything = dashboards.flatMap(({ file: f, dashboard: d }) => lintDashboard(f, d, metrics));
  if (everything.length > 0) failures.push(`self-test: the dashboards do not pass their own contract: ${everything[0]}`);
  const used = new Set();
  const matched = new Map();
  for (const { dashboard: d } of dashboards) {
    for (const { target } of queries(d)) {
      for (const name of metricNames(target.expr)) used.add(resolve(name, metrics)?.base ?? name);
      for (const { metric, labels } of selectors(target.expr)) {
        const base = resolve(metric, metrics)?.base;
        for (const l of labels) if (base && metrics.get(base).has(l)) matched.set(base, l);
      }
    }
  }
  const contractCases = [];
  for (const name of ['sessionrig_read_duration_seconds', 'sessionrig_write_duration_seconds', 'sessiond_sessions']) {
    if (!used.has(name)) {
      failures.push(`self-test: no dashboard queries ${name}; pick a metric the dashboards use`);
      continue;
    }
    const without = new Map([...metrics].filter(([n]) => n !== name));
    contractCases.push([`${name} dropped from the contract`, without, new RegExp(`metric '${name}(_bucket|_sum|_count)?' is not in the metric contract`)]);
  }
  for (const [name, label] of matched) {
    if (name !== 'sessionrig_writes_total') continue;
    const fewer = new Map([...metrics].map(([n, l]) => [n, n === name ? new Set([...l].filter((x) => x !== label)) : l]));
    contractCases.push([`label '${label}' dropped from ${name} in the contract`, fewer, new RegExp(`${name} has no label '${label}'`)]);
  }
  if (!contractCases.some(([what]) => what.startsWith('label'))) failures.push('self-test: no dashboard matches on a label of sessionrig_writes_total');
  for (const [what, contract, expected] of contractCases) {
    const errors = dashboards.flatMap(({ file: f, dashboard: d }) => lintDashboard(f, d, contract));
    if (!errors.some((e) => expected.test(e))) failures.push(`self-test: lint missed ${what} (got: ${errors.slice(0, 3).join('; ') || 'nothing'})`);
  }
  return failures;
}

function firstPanel(d) {
  return panels(d).find((p) => !isRow(p) && p.targets?.length);
}

function main(argv) {
  const arg = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 && i + 1 < argv.length ? argv[i + 1] : undefined;
  };
  const dir = arg('--dashboards');
  const contract = arg('--metrics');
  if (!dir || !contract) {
    process.stderr.write('usage: lint.mjs --dashboards DIR --metrics METRIC_NAMES.md [--rules DIR] [--self-test]\n');
    return 1;
  }
  const metrics = contractMetrics(readFileSync(contract, 'utf8'));
  const dashboards = loadDashboards(dir);
  if (dashboards.length === 0) {
    process.stderr.write(`lint: no dashboards in ${dir}\n`);
    return 1;
  }
  const errors = [];
  if (argv.includes('--self-test')) {
    errors.push(...selfTest(dashboards, metrics));
  } else {
    for (const { file, dashboard } of dashboards) errors.push(...lintDashboard(file, dashboard, metrics));
    const rules = arg('--rules');
    if (rules) errors.push(...lintRules(rules, metrics));
  }
  for (const e of errors) process.stderr.write(`lint: ${e}\n`);
  const panelCount = dashboards.reduce((n, { dashboard }) => n + panels(dashboard).filter((p) => !isRow(p)).length, 0);
  const queryCount = dashboards.reduce((n, { dashboard }) => n + queries(dashboard).length, 0);
  process.stdout.write(
    `lint: ${dashboards.length} dashboards, ${panelCount} panels, ${queryCount} queries, ` +
      `${metrics.size} contract metrics: ${errors.length === 0 ? 'ok' : `${errors.length} problems`}\n`,
  );
  return errors.length === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
