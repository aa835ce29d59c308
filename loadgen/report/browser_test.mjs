// loadgen/report/browser_test.mjs: opens report pages in Debian's chromium
// (headless, driven by playwright-core, which downloads no browser) and
// checks what a person would: no console error and no request, every chart
// drawn with its data, the verdicts present as text, the tables equal to the
// summary JSON, usable at phone width, printable. Screenshots and PDFs go to
// --out-dir.
//
//   node browser_test.mjs --chromium /usr/bin/chromium --out-dir DIR
//        [--report PAGE.html SUMMARY.json]... [--compare PAGE.html RESULT.json]...
//
// Exit 0 when every page passes; 1 with the failures listed otherwise.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import {fileURLToPath, pathToFileURL} from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
let chromium;
try {
  ({chromium} = await import(pathToFileURL(path.join(here, 'node_modules/playwright-core/index.mjs')).href));
} catch (e) {
  console.error('browser_test: playwright-core is not installed in loadgen/report/node_modules: run loadgen/report/setup.sh (npm ci)');
  process.exit(1);
}

const args = process.argv.slice(2);
let executable = '/usr/bin/chromium';
let outDir = '.';
const pages = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--chromium') executable = args[++i];
  else if (args[i] === '--out-dir') outDir = args[++i];
  else if (args[i] === '--report') pages.push({kind: 'report', html: args[++i], json: args[++i]});
  else if (args[i] === '--compare') pages.push({kind: 'compare', html: args[++i], json: args[++i]});
  else {
    console.error(`browser_test: unknown argument ${args[i]}`);
    process.exit(1);
  }
}
if (!fs.existsSync(executable)) {
  console.error(`browser_test: ${executable} not found: install Debian's chromium (scripts/setup)`);
  process.exit(1);
}
if (pages.length === 0) {
  console.error('browser_test: no page to test');
  process.exit(1);
}
fs.mkdirSync(outDir, {recursive: true});

const failures = [];
const fail = (page, message) => failures.push(`${path.basename(page.html)}: ${message}`);

function lookup(obj, dotted) {
  let node = obj;
  for (const key of dotted.split('.')) {
    if (node === null || node === undefined || typeof node !== 'object') return undefined;
    node = node[key];
  }
  return node;
}

// The charts a report must have, from the summary alone (not from the page).
function expectedCharts(summary) {
  const ids = ['chart-latency-spectrum', 'chart-attempts'];
  const ts = summary.timeseries;
  if (Array.isArray(ts) && ts.length > 0) {
    ids.push('chart-writes-by-status', 'chart-conflict-ratio', 'chart-latency-over-time', 'chart-inflight',
      'chart-schedule-lag', 'chart-arrivals');
    if (ts.some((r) => r.reads && r.reads.total > 0)) ids.push('chart-reads');
  }
  const counters = (summary.scenario_stats && summary.scenario_stats.counters) || {};
  if (Object.keys(counters).some((k) => k.endsWith('_succeeded'))) ids.push('chart-time-to-success');
  if (Array.isArray(summary.by_rank) && summary.by_rank.length > 0) ids.push('chart-conflict-by-rank');
  const hs = (summary.scenario_stats && summary.scenario_stats.histograms) || {};
  if ('fill_time_us' in hs) ids.push('chart-fill-time');
  if ('joins_per_user' in hs) ids.push('chart-fairness');
  return ids;
}

// A displayed number agrees with the JSON value to the digits shown.
function sameNumber(text, value) {
  const shown = Number(text.replace(/[^0-9eE+\-.]/g, ''));
  if (!Number.isFinite(shown)) return false;
  if (/e/i.test(text)) return Math.abs(shown - value) <= Math.abs(value) * 1e-3;
  const decimals = (text.split('.')[1] || '').replace(/[^0-9]/g, '').length;
  return Math.abs(shown - value) <= 0.5 * Math.pow(10, -decimals) + 1e-12;
}

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionrig-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: executable,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: {width: 1280, height: 900},
});

try {
  for (const p of pages) {
    const page = await context.newPage();
    const url = pathToFileURL(path.resolve(p.html)).href;
    const errors = [];
    const requests = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('request', (r) => {
      if (r.url() !== url) requests.push(r.url());
    });
    await page.goto(url, {waitUntil: 'load'});
    await page.waitForFunction(() => window.sessionrigReport && (window.sessionrigReport.ready || window.sessionrigReport.error),
      null, {timeout: 30000});
    const status = await page.evaluate(() => ({ready: window.sessionrigReport.ready, error: window.sessionrigReport.error || null}));
    if (!status.ready) fail(p, `did not render: ${status.error}`);

    // Every chart: data points, and its series' colours on the canvas.
    const charts = await page.evaluate(() => window.sessionrigReport.charts.map((c) => {
      const {left, top, width, height} = c.u.bbox;
      const img = c.u.ctx.getImageData(Math.round(left), Math.round(top), Math.max(1, Math.round(width)), Math.max(1, Math.round(height))).data;
      const rgb = c.colors.map((hex) => [1, 3, 5].map((i) => parseInt(hex.substr(i, 2), 16)));
      let colored = 0;
      for (let i = 0; i < img.length; i += 4) {
        if (img[i + 3] < 128) continue;
        for (const [r, g, b] of rgb) {
          if (Math.abs(img[i] - r) + Math.abs(img[i + 1] - g) + Math.abs(img[i + 2] - b) < 60) {
            colored++;
            break;
          }
        }
      }
      // Bars of height 0 (a run with no conflicts in any rank, say) draw
      // nothing, rightly: those charts need their data points, not pixels.
      const nonzero = c.u.data.slice(1).some((s) => s.some((v) => v !== null && v !== undefined && v !== 0));
      return {id: c.id, title: c.title, points: c.points, colored: colored, nonzero: nonzero};
    }));
    for (const c of charts) {
      if (c.points.length === 0 || c.points.some((n) => n === 0)) fail(p, `chart ${c.id}: a series without data points (${c.points})`);
      if (c.nonzero && c.colored < 10) fail(p, `chart ${c.id}: nothing drawn on the canvas (${c.colored} pixels of its series' colours)`);
    }
    const drawn = new Set(charts.map((c) => c.id));
    const data = JSON.parse(fs.readFileSync(p.json, 'utf8'));

    if (p.kind === 'report') {
      for (const id of expectedCharts(data)) if (!drawn.has(id)) fail(p, `chart ${id} missing`);
      // Verdicts: as words, not only colours.
      const verdicts = await page.$$eval('[data-verdict]', (els) => els.map((e) => ({v: e.dataset.verdict, text: e.textContent})));
      for (const v of ['thresholds', 'consistency', 'reachability']) {
        const b = verdicts.find((x) => x.v === v);
        if (!b) fail(p, `verdict ${v} missing`);
        else if (!/PASS|FAIL|NONE|OK|VIOLATED|NOT CHECKED|REACHABLE|UNREACHABLE|NOT RECORDED/.test(b.text)) fail(p, `verdict ${v} has no text label: ${b.text}`);
      }
      // Tables: the JSON summary's values.
      const cells = await page.$$eval('[data-path]', (els) => els.map((e) => ({path: e.dataset.path, text: e.textContent})));
      if (cells.length < 40) fail(p, `only ${cells.length} table cells carry summary values`);
      let checked = 0;
      for (const c of cells) {
        const v = lookup(data, c.path);
        if (v === undefined) {
          fail(p, `table cell ${c.path} is not in the summary`);
          continue;
        }
        let ok;
        if (typeof v === 'number') ok = sameNumber(c.text.split(' ')[0], v);
        else if (typeof v === 'boolean') ok = v ? /yes|pass/i.test(c.text) : /no|fail/i.test(c.text);
        else ok = c.text === String(v);
        if (!ok) fail(p, `table cell ${c.path} shows "${c.text}", the summary has ${JSON.stringify(v)}`);
        checked++;
      }
      console.log(`${path.basename(p.html)}: ${charts.length} charts drawn, ${checked} table cells equal to the summary`);
    } else {
      const banner = await page.$eval('[data-verdict="compare"]', (e) => e.textContent).catch(() => null);
      if (!banner || !/REGRESSION|WORSE|NO SIGNIFICANT REGRESSION/.test(banner)) fail(p, `no verdict banner (${banner})`);
      const expectRegression = data.regression === true;
      if (banner && expectRegression !== /^\W*REGRESSION/.test(banner.trim())) {
        fail(p, `banner "${banner}" disagrees with the result (regression ${expectRegression})`);
      }
      const cells = await page.$$eval('td[data-metric]', (els) => els.map((e) => ({key: e.dataset.metric, verdict: e.dataset.verdict, text: e.textContent})));
      for (const m of data.metrics) {
        const c = cells.find((x) => x.key === m.key);
        if (!c) fail(p, `no verdict for ${m.key}`);
        else if (c.verdict !== m.verdict || !/worse|better|no significant change|no test possible/.test(c.text)) {
          fail(p, `verdict for ${m.key}: "${c.text}" (${c.verdict}), the result says ${m.verdict}`);
        }
      }
      for (const id of ['chart-compare-spectrum']) if (!drawn.has(id)) fail(p, `chart ${id} missing`);
      if (data.base_runs >= 1 && !drawn.has('chart-compare-p99')) fail(p, 'chart chart-compare-p99 missing');
      const warnings = await page.$$eval('.alert', (els) => els.map((e) => e.textContent));
      if (data.warnings.length !== warnings.length) fail(p, `${warnings.length} warnings shown, the result has ${data.warnings.length}`);
      console.log(`${path.basename(p.html)}: ${charts.length} charts drawn, banner "${banner}"`);
    }

    const base = path.join(outDir, path.basename(p.html, '.html'));
    await page.screenshot({path: `${base}.png`, fullPage: true});
    console.log(`screenshot: ${path.resolve(base + '.png')}`);

    // A narrow window: no horizontal scrolling of the page, charts resized.
    await page.setViewportSize({width: 380, height: 800});
    await page.waitForTimeout(300);
    const narrow = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      inner: window.innerWidth,
      widest: Math.max(0, ...window.sessionrigReport.charts.map((c) => c.u.width)),
    }));
    if (narrow.scroll > narrow.inner + 1) fail(p, `at 380 px the page scrolls sideways (${narrow.scroll} px wide)`);
    if (narrow.widest > narrow.inner) fail(p, `at 380 px a chart is ${narrow.widest} px wide`);
    await page.screenshot({path: `${base}-narrow.png`, fullPage: false});

    // Print to PDF (Chromium prints headless).
    await page.setViewportSize({width: 1280, height: 900});
    await page.emulateMedia({media: 'print'});
    const pdf = await page.pdf({path: `${base}.pdf`, format: 'A4', printBackground: true});
    if (pdf.length < 10000) fail(p, `the PDF is only ${pdf.length} bytes`);
    console.log(`pdf: ${path.resolve(base + '.pdf')} (${pdf.length} bytes)`);

    for (const e of errors) fail(p, e);
    for (const r of requests) fail(p, `request left the page: ${r}`);
    await page.close();
  }
} finally {
  await context.close();
  fs.rmSync(userDataDir, {recursive: true, force: true});
}

if (failures.length) {
  console.error(`browser_test: ${failures.length} failure(s):`);
  for (const f of failures) console.error(`  ${f}`);
  process.exit(1);
}
console.log(`browser_test: ${pages.length} page(s) passed`);
