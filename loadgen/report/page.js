// loadgen report page: renders the JSON in #report-data (written by
// loadgen/report/report.cc) into a header with verdicts, uPlot charts and
// tables. Everything taken from the data goes into the page as text
// (textContent), never as HTML. Nothing is fetched (the page's
// Content-Security-Policy forbids it). window.sessionrigReport lists the
// charts drawn (the browser test reads it).
(function () {
  'use strict';

  // Okabe-Ito: distinguishable with the common colour-vision deficiencies;
  // series also differ by dash pattern and are named in the legend.
  const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#8C6D31'];
  const DASHES = [[], [8, 4], [2, 3], [10, 3, 2, 3], [4, 4], [1, 4], [12, 6], [6, 2, 2, 2]];
  const AXIS = {stroke: '#1b1f23', grid: {stroke: '#e1e4e8', width: 1}, ticks: {stroke: '#d0d7de', width: 1}};
  // writes.by_status in schema order (the JSON object's keys come sorted).
  const STATUSES = ['updated', 'created', 'out_of_sync', 'session_deleted', 'conflict', 'access_denied',
    'not_found', 'http_error', 'transport_error', 'timeout', 'parse_error'];
  function statusOrder(keys) {
    const known = STATUSES.filter((k) => keys.indexOf(k) >= 0);
    return known.concat(keys.filter((k) => STATUSES.indexOf(k) < 0));
  }
  const state = {charts: [], ready: false, kind: null};
  window.sessionrigReport = state;

  // ---- small helpers -----------------------------------------------------------

  function h(tag, attrs, children) {
    const e = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'text') e.textContent = String(v);
        else if (k === 'class') e.className = v;
        else e.setAttribute(k, v === true ? '' : String(v));
      }
    }
    if (children !== undefined) {
      for (const c of [].concat(children)) {
        if (c === null || c === undefined || c === false) continue;
        e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
      }
    }
    return e;
  }

  function get(obj, path) {
    let node = obj;
    for (const key of path.split('.')) {
      if (node === null || node === undefined || typeof node !== 'object') return undefined;
      node = node[key];
    }
    return node;
  }

  // Numbers as the tables show them: integers exactly; others to 3 decimals
  // (4 significant digits below 1).
  function fmt(v) {
    if (v === null || v === undefined) return '\u2013';
    if (typeof v === 'boolean') return v ? 'yes' : 'no';
    if (typeof v !== 'number') return String(v);
    if (!isFinite(v)) return String(v);
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    if (a >= 1000) return v.toFixed(1);
    if (a >= 1) return v.toFixed(3);
    return String(Number(v.toPrecision(4)));
  }
  // Axis ticks: as short as the value allows ("0.4", "1.5", "250").
  function fmtAxis(v) {
    if (v === null || v === undefined || !isFinite(v)) return '';
    return String(Number(v.toPrecision(6)));
  }
  function percent(v, digits) {
    return v === null || v === undefined || !isFinite(v) ? '\u2013' : (100 * v).toFixed(digits === undefined ? 2 : digits) + '%';
  }
  function signedPercent(v) {
    return (v > 0 ? '+' : '') + (100 * v).toFixed(1) + '%';
  }
  // x = 1/(1-q) as a percentile label: 10 -> "90%", 1000 -> "99.9%".
  function percentileLabel(x, exact) {
    if (x === null || x === undefined) return '\u2013';
    if (x <= 1) return '0%';
    const p = 100 * (1 - 1 / x);
    if (exact) return String(Number(p.toFixed(4))) + '%';
    const digits = Math.max(0, Math.round(Math.log10(x)) - 2);
    return p.toFixed(digits) + '%';
  }

  function section(root, id, title, intro) {
    const s = h('section', {id: id, 'aria-labelledby': id + '-h'});
    s.appendChild(h('h2', {id: id + '-h', text: title}));
    if (intro) s.appendChild(h('p', {class: 'note', text: intro}));
    root.appendChild(s);
    return s;
  }

  // ---- charts --------------------------------------------------------------------

  function plotWidth(plot) {
    const w = plot.clientWidth || (plot.parentElement && plot.parentElement.clientWidth) || 600;
    return Math.max(240, Math.floor(w));
  }

  function hasData(values) {
    return Array.isArray(values) && values.some((v) => v !== null && v !== undefined && isFinite(v));
  }

  // spec: {id, title, caption, x, xLabel, yLabel, xKind: 'linear'|'percentile'|'category',
  //        categories, series: [{label, values, color, dash, width}], bars, points, yFrom0}
  function chart(container, spec) {
    const series = spec.series.filter((s) => hasData(s.values));
    if (series.length === 0 || !Array.isArray(spec.x) || spec.x.length === 0) return null;
    const fig = h('figure', {class: 'chart', id: spec.id, 'aria-labelledby': spec.id + '-title', role: 'group'});
    fig.appendChild(h('h3', {id: spec.id + '-title', text: spec.title}));
    const plot = h('div', {class: 'plot', role: 'img', 'aria-label': spec.title + ': ' + series.map((s) => s.label).join(', ')});
    fig.appendChild(plot);
    if (spec.caption) fig.appendChild(h('figcaption', {text: spec.caption}));
    container.appendChild(fig);

    const percentile = spec.xKind === 'percentile';
    const category = spec.xKind === 'category';
    const uSeries = [{
      label: spec.xLabel,
      value: (u, v) => (percentile ? percentileLabel(v, true) : category ? (spec.categories[v] || '') : fmt(v)),
    }];
    const colors = [];
    series.forEach((s, i) => {
      const color = s.color || PALETTE[i % PALETTE.length];
      colors.push(color);
      const one = {
        label: s.label,
        stroke: color,
        width: s.width || 2,
        dash: s.dash || DASHES[i % DASHES.length],
        spanGaps: !spec.bars,
        points: {show: !!spec.points, size: 6, fill: color, stroke: color},
        value: (u, v) => (v === null || v === undefined ? '\u2013' : fmt(v)),
      };
      if (spec.bars) {
        one.fill = color + '88';
        one.paths = uPlot.paths.bars({size: [0.7 / series.length, 48], align: 0});
        one.dash = [];
      }
      uSeries.push(one);
    });
    const xScale = {time: false};
    if (percentile) {
      xScale.distr = 3;
      xScale.log = 10;
    }
    if (category || spec.bars) {
      xScale.range = (u, min, max) => [min - 0.6, max + 0.6];
    }
    const xAxis = Object.assign({label: spec.xLabel}, AXIS);
    if (percentile) {
      xAxis.splits = (u, i, min, max) => {
        const out = [];
        for (let p = 1; p <= max * 1.0001; p *= 10) if (p >= min * 0.9999) out.push(p);
        return out;
      };
      xAxis.values = (u, ticks) => ticks.map((t) => percentileLabel(t, false));
    } else if (category) {
      xAxis.splits = () => spec.categories.map((c, i) => i);
      xAxis.values = (u, ticks) => ticks.map((t) => spec.categories[t] || '');
    } else if (spec.bars || spec.xIntegers) {
      xAxis.splits = () => spec.x.slice();
      xAxis.values = (u, ticks) => ticks.map(fmtAxis);
    }
    const yAxis = Object.assign({label: spec.yLabel, size: 64, values: (u, ticks) => ticks.map(fmtAxis)}, AXIS);
    const opts = {
      width: plotWidth(plot),
      height: spec.height || 260,
      scales: {
        x: xScale,
        y: spec.yLog ? {distr: 3, log: 10} : {range: (u, min, max) => {
          const lo = Math.min(0, min);
          const hi = max > lo ? max + (max - lo) * 0.06 : lo + 1;
          return [lo, hi];
        }},
      },
      axes: [xAxis, yAxis],
      series: uSeries,
      legend: {live: true},
      cursor: {drag: {x: true, y: false}, points: {size: 7}},
    };
    const data = [spec.x].concat(series.map((s) => s.values));
    const u = new uPlot(opts, data, plot);
    // Follow the figure's width (grid reflow, window resize, print layout).
    if (window.ResizeObserver) {
      new ResizeObserver(() => {
        const w = plotWidth(plot);
        if (Math.abs(w - u.width) > 2) u.setSize({width: w, height: opts.height});
      }).observe(fig);
    }
    state.charts.push({
      id: spec.id,
      title: spec.title,
      u: u,
      plot: plot,
      colors: colors,
      height: opts.height,
      points: series.map((s) => s.values.filter((v) => v !== null && v !== undefined && isFinite(v)).length),
    });
    return u;
  }

  function resizeAll(width) {
    for (const c of state.charts) c.u.setSize({width: width || plotWidth(c.plot), height: c.height});
  }
  let resizeTimer = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => resizeAll(), 100);
  });
  // Print: one chart per row at the paper's width (A4/Letter at 96 dpi).
  window.addEventListener('beforeprint', () => resizeAll(680));
  window.addEventListener('afterprint', () => resizeAll());

  // ---- tables --------------------------------------------------------------------

  function table(container, caption, head, rows, numeric, wide) {
    const t = h('table');
    t.appendChild(h('caption', {text: caption}));
    if (head) {
      const tr = h('tr');
      head.forEach((c, i) => tr.appendChild(h('th', {scope: 'col', class: numeric && i > 0 ? 'num' : null, text: c})));
      t.appendChild(h('thead', null, tr));
    }
    const body = h('tbody');
    for (const row of rows) {
      const tr = h('tr');
      row.forEach((cell, i) => {
        if (cell instanceof Node) {
          tr.appendChild(cell);
        } else if (i === 0) {
          tr.appendChild(h('th', {scope: 'row', text: cell}));
        } else {
          tr.appendChild(h('td', {class: typeof cell === 'number' ? 'num' : null, text: typeof cell === 'number' ? fmt(cell) : cell}));
        }
      });
      body.appendChild(tr);
    }
    t.appendChild(body);
    const wrap = h('div', {class: wide ? 'table-wrap wide' : 'table-wrap'}, t);
    container.appendChild(wrap);
    return t;
  }

  // A cell showing the summary's value at `path` (data-path lets a test
  // check the page against the JSON file).
  function cell(summary, path, extra) {
    const v = get(summary, path);
    const td = h('td', {class: typeof v === 'number' ? 'num' : null, 'data-path': path, text: fmt(v)});
    if (extra) td.appendChild(h('span', {class: 'note', text: ' ' + extra}));
    return td;
  }

  // ---- verdict badges ----------------------------------------------------------

  function badge(list, kind, verdict, symbol, label, what) {
    const li = h('li', {class: 'badge ' + kind, 'data-verdict': verdict, 'data-state': label});
    li.appendChild(h('span', {'aria-hidden': 'true', text: symbol}));
    li.appendChild(h('strong', {text: label}));
    li.appendChild(h('span', {class: 'what', text: what}));
    list.appendChild(li);
  }

  function meta(root, pairs) {
    const dl = h('dl', {class: 'meta'});
    for (const [k, v] of pairs) {
      const div = h('div');
      div.appendChild(h('dt', {text: k}));
      div.appendChild(h('dd', {text: v === undefined || v === null || v === '' ? 'not recorded' : String(v)}));
      dl.appendChild(div);
    }
    root.appendChild(dl);
  }

  // ---- the run report ------------------------------------------------------------

  function loadText(ctx) {
    return ctx.load || 'not recorded in the summary (loadgen run --html records it)';
  }

  function renderReport(root, d) {
    const s = d.summary || {};
    const ctx = d.context || {};
    const der = d.derived || {};
    const ts = d.timeseries;
    let shards = 'not recorded';
    if (ctx.shard) shards = 'shard ' + ctx.shard;
    else if (ctx.shards !== null && ctx.shards !== undefined) shards = String(ctx.shards);
    let duration = fmt(s.duration_s) + ' s';
    if (typeof s.interval_s === 'number') duration += ', intervals of ' + fmt(s.interval_s) + ' s';
    meta(root, [
      ['scenario', s.scenario], ['target', s.target], ['mode', s.mode], ['load model', loadText(ctx)],
      ['duration', duration], ['shards', shards], ['seed', s.seed],
      ['sessionrig', (d.generator && d.generator.version) || ''],
      ['generated', ctx.generated_at || ''],
      ['from', (ctx.sources || []).join(', ') || 'this run'],
    ]);

    // Verdicts: colour and a symbol and a word.
    const list = h('ul', {class: 'verdicts', 'aria-label': 'verdicts'});
    const thresholds = Array.isArray(s.thresholds) ? s.thresholds : [];
    const failed = thresholds.filter((t) => !t.ok);
    if (thresholds.length === 0) badge(list, 'none', 'thresholds', '\u2013', 'NONE', 'no thresholds were set');
    else if (failed.length === 0) badge(list, 'ok', 'thresholds', '\u2713', 'PASS', 'thresholds: ' + thresholds.length + ' of ' + thresholds.length + ' held');
    else badge(list, 'bad', 'thresholds', '\u2717', 'FAIL', 'thresholds: ' + failed.length + ' of ' + thresholds.length + ' failed (' + failed.map((t) => t.expr).join(', ') + ')');
    const c = s.consistency || {};
    if (c.verdict === 'ok') badge(list, 'ok', 'consistency', '\u2713', 'OK', 'consistency: ' + fmt(c.acknowledged) + ' acknowledged writes, no violation');
    else if (c.verdict === 'violated') badge(list, 'bad', 'consistency', '\u2717', 'VIOLATED', 'consistency: ' + fmt(c.violations) + ' violations');
    else badge(list, 'none', 'consistency', '\u2013', 'NOT CHECKED', 'consistency: this scenario has no history check');
    if (ctx.target_reachable === true) badge(list, 'ok', 'reachability', '\u2713', 'REACHABLE', 'the target answered to the end');
    else if (ctx.target_reachable === false) badge(list, 'bad', 'reachability', '\u2717', 'UNREACHABLE', ctx.reachability_note || 'the target stopped answering');
    else badge(list, 'none', 'reachability', '?', 'NOT RECORDED', 'reachability: only loadgen run knows it');
    if (ctx.exit_code !== null && ctx.exit_code !== undefined) {
      badge(list, ctx.exit_code === 0 ? 'ok' : 'bad', 'exit', ctx.exit_code === 0 ? '\u2713' : '\u2717', 'EXIT ' + ctx.exit_code,
            'loadgen run exit code');
    }
    root.appendChild(list);
    if (c.verdict === 'violated' && Array.isArray(c.examples) && c.examples.length) {
      const a = h('div', {class: 'alert bad', role: 'alert'});
      a.appendChild(h('strong', {text: 'Consistency violations, for example: '}));
      a.appendChild(h('ul', null, c.examples.map((e) => h('li', {text: e}))));
      root.appendChild(a);
    }

    // Latency spectrum.
    const lat = section(root, 'latency', 'Latency by percentile',
      'HdrHistogram style: the horizontal axis stretches the tail (1/(1-q), so 90%, 99%, 99.9% are evenly spaced). ' +
      'Corrected latency counts from each write\'s intended start (schedule lag included), uncorrected from the moment it was sent.');
    const lc = h('div', {class: 'charts'});
    lat.appendChild(lc);
    const spec = der.latency_spectrum || {};
    chart(lc, {
      id: 'chart-latency-spectrum', title: 'Latency by percentile (ms)', xKind: 'percentile', x: spec.x || [],
      xLabel: 'percentile', yLabel: 'ms', height: 300,
      series: (spec.series || []).map((ser) => ({label: ser.label + ' (n ' + ser.count + ')', values: ser.values})),
      caption: 'Each line is one histogram; the last point of a line is its maximum.',
    });

    // Over time.
    const ot = section(root, 'over-time', 'Over time');
    if (!ts || !ts.count) {
      ot.appendChild(h('p', {class: 'note', text: 'This summary has no per-interval time series (it was written by a loadgen without --interval).'}));
    } else {
      renderTimeseries(ot, ts);
    }

    // Actions.
    renderActions(root, s, der);

    // Zipf ranks.
    if (Array.isArray(s.by_rank) && s.by_rank.length) renderRanks(root, s);

    // Lobby.
    if (der.lobby) renderLobby(root, der.lobby);

    renderTables(root, s, der);

    const foot = h('footer');
    foot.appendChild(h('p', {text: 'Written by ' + ((d.generator && d.generator.name) || 'loadgen') + ' ' +
      ((d.generator && d.generator.version) || '') + ' with uPlot ' + ((d.generator && d.generator.uplot) || '') +
      ', inlined: this file makes no request. The tables show the summary JSON\'s values; the data is in the report-data element ' +
      '(the time series in columns, without the per-interval histograms, which the JSON file keeps).'}));
    root.appendChild(foot);
  }

  function renderTimeseries(container, ts) {
    const col = (k) => (ts.columns && Array.isArray(ts.columns[k]) ? ts.columns[k] : null);
    const x = col('t_s');
    const dur = col('duration_s');
    if (!x) {
      container.appendChild(h('p', {class: 'note', text: 'The time series has no t_s column.'}));
      return;
    }
    const perSecond = (k) => {
      const c = col(k);
      if (!c) return null;
      return c.map((v, i) => (v === null || !dur || !dur[i] ? null : v / dur[i]));
    };
    const writes = col('writes.total');
    const whenWrites = (k) => {
      const c = col(k);
      if (!c) return null;
      return c.map((v, i) => (writes && writes[i] > 0 ? v : null));
    };
    const reads = col('reads.total');
    const whenReads = (k) => {
      const c = col(k);
      if (!c) return null;
      return c.map((v, i) => (reads && reads[i] > 0 ? v : null));
    };
    const grid = h('div', {class: 'charts'});
    container.appendChild(h('p', {class: 'note', text: 'One point per interval, at its start (seconds since the measured phase began). ' +
      'A write counts in the interval in which it completed, an arrival in the interval of its intended start.'}));
    container.appendChild(grid);
    const prefix = 'writes.by_status.';
    const statuses = statusOrder((ts.keys || []).filter((k) => k.startsWith(prefix)).map((k) => k.substring(prefix.length)));
    chart(grid, {
      id: 'chart-writes-by-status', title: 'Writes per second, by status', x: x, xLabel: 'time (s)', yLabel: 'writes/s',
      series: statuses.map((k, i) => ({label: k, values: perSecond(prefix + k), color: PALETTE[i % PALETTE.length], dash: DASHES[i % DASHES.length]}))
        .filter((ser) => (col(prefix + ser.label) || []).some((v) => v > 0)),
    });
    chart(grid, {
      id: 'chart-conflict-ratio', title: 'Conflict ratio (412 out_of_sync / writes)', x: x, xLabel: 'time (s)', yLabel: 'ratio',
      series: [{label: 'conflict ratio', values: whenWrites('conflict_ratio')}],
    });
    chart(grid, {
      id: 'chart-latency-over-time', title: 'Latency per interval (ms)', x: x, xLabel: 'time (s)', yLabel: 'ms',
      series: [
        {label: 'write p50, corrected', values: whenWrites('write_latency_ms.p50')},
        {label: 'write p99, corrected', values: whenWrites('write_latency_ms.p99')},
        {label: 'write p99, uncorrected', values: whenWrites('write_latency_ms.uncorrected_p99')},
        {label: 'read p99, corrected', values: whenReads('read_latency_ms.p99')},
      ],
    });
    chart(grid, {
      id: 'chart-inflight', title: 'Requests in flight (most at once per interval)', x: x, xLabel: 'time (s)', yLabel: 'requests',
      series: [{label: 'in flight, max', values: col('inflight_max')}],
    });
    chart(grid, {
      id: 'chart-schedule-lag', title: 'Schedule lag, max per interval (ms)', x: x, xLabel: 'time (s)', yLabel: 'ms',
      series: [{label: 'schedule lag, max', values: col('schedule_lag_ms_max')}],
    });
    chart(grid, {
      id: 'chart-arrivals', title: 'Arrivals per second: planned, started, dropped', x: x, xLabel: 'time (s)', yLabel: 'arrivals/s',
      series: [
        {label: 'planned', values: perSecond('arrivals.planned')},
        {label: 'started', values: perSecond('arrivals.started')},
        {label: 'dropped', values: perSecond('arrivals.dropped')},
      ],
      caption: 'Dropped: arrivals that could not start within --max-lag of their intended time (planned = started + dropped).',
    });
    if (reads && reads.some((v) => v > 0)) {
      chart(grid, {
        id: 'chart-reads', title: 'Reads per second', x: x, xLabel: 'time (s)', yLabel: 'reads/s',
        series: [{label: 'reads', values: perSecond('reads.total')}, {label: 'failed reads', values: perSecond('reads.failed')}],
      });
    }
  }

  function renderActions(root, s, der) {
    const sec = section(root, 'actions', 'Attempts and time to success per action kind',
      'An action (a join, a leave, an append) takes one write, plus one more per lost race (412).');
    const grid = h('div', {class: 'charts'});
    sec.appendChild(grid);
    const dists = (der.attempts || []).filter((dd) => dd.total > 0);
    const xs = Array.from(new Set([].concat(...dists.map((dd) => dd.values)))).sort((a, b) => a - b);
    chart(grid, {
      id: 'chart-attempts', title: 'Writes per action (share of actions, %, log scale)', x: xs, xLabel: 'writes per action',
      yLabel: '% of actions', points: true, yLog: true, xIntegers: true,
      series: dists.map((dd) => ({
        label: dd.label,
        values: xs.map((v) => {
          const i = dd.values.indexOf(v);
          return i < 0 ? null : (100 * dd.counts[i]) / dd.total;
        }),
      })),
    });
    const tts = der.time_to_success_spectrum || {};
    chart(grid, {
      id: 'chart-time-to-success', title: 'Time to success by percentile, per action kind (ms)', xKind: 'percentile',
      x: tts.x || [], xLabel: 'percentile', yLabel: 'ms',
      series: (tts.series || []).map((ser) => ({label: ser.label + ' (n ' + ser.count + ')', values: ser.values})),
      caption: 'From the action\'s intended start to its successful write (reads, retries and lag included).',
    });
    const kinds = der.kinds || [];
    if (kinds.length) {
      const rows = kinds.map((k) => [
        k.kind,
        cell(s, 'scenario_stats.counters.' + k.kind + '_succeeded'),
        cell(s, 'scenario_stats.counters.' + k.kind + '_failed'),
        k.attempts && k.attempts.count ? k.attempts.mean : '\u2013',
        k.attempts && k.attempts.count ? k.attempts.p99 : '\u2013',
        k.attempts && k.attempts.count ? k.attempts.max : '\u2013',
        k.time && k.time.count ? k.time.p50 : '\u2013',
        k.time && k.time.count ? k.time.p99 : '\u2013',
        k.time && k.time.count ? k.time.max : '\u2013',
      ]);
      table(sec, 'Per action kind (attempts and time computed from the summary\'s histograms)',
        ['kind', 'succeeded', 'failed', 'attempts mean', 'attempts p99', 'attempts max', 'time p50 (ms)', 'time p99 (ms)', 'time max (ms)'],
        rows, true);
    }
  }

  function renderRanks(root, s) {
    const sec = section(root, 'ranks', 'Conflicts by session popularity rank',
      'Rank 1 is the most popular session (under --zipf); ranks are grouped in powers of two. ' +
      'Hot sessions lose more optimistic-concurrency races.');
    const grid = h('div', {class: 'charts'});
    sec.appendChild(grid);
    const ranks = s.by_rank;
    const cats = ranks.map((r) => (r.rank_lo === r.rank_hi ? String(r.rank_lo) : r.rank_lo + '\u2013' + r.rank_hi));
    chart(grid, {
      id: 'chart-conflict-by-rank', title: 'Conflict ratio by rank', xKind: 'category', categories: cats,
      x: ranks.map((r, i) => i), xLabel: 'session rank', yLabel: 'out_of_sync / writes', bars: true,
      series: [{label: 'conflict ratio', values: ranks.map((r) => (typeof r.conflict_ratio === 'number' ? r.conflict_ratio : null))}],
    });
    table(sec, 'By rank bucket', ['ranks', 'sessions', 'writes', 'out_of_sync', 'conflict ratio'],
      ranks.map((r, i) => [cats[i], cell(s, 'by_rank.' + i + '.sessions'), cell(s, 'by_rank.' + i + '.writes'),
        cell(s, 'by_rank.' + i + '.out_of_sync'), cell(s, 'by_rank.' + i + '.conflict_ratio')]), true);
  }

  function renderLobby(root, lobby) {
    const sec = section(root, 'lobby', 'Lobbies: fill time and fairness');
    const grid = h('div', {class: 'charts'});
    sec.appendChild(grid);
    if (lobby.fill_time_spectrum) {
      const f = lobby.fill_time_spectrum;
      chart(grid, {
        id: 'chart-fill-time', title: 'Lobby fill time by percentile (ms)', xKind: 'percentile', x: f.x, xLabel: 'percentile', yLabel: 'ms',
        series: (f.series || []).map((ser) => ({label: ser.label + ' (n ' + ser.count + ')', values: ser.values})),
        caption: 'From a lobby\'s first seated member to the moment it was full.',
      });
    }
    if (lobby.joins_per_user) {
      const j = lobby.joins_per_user;
      chart(grid, {
        id: 'chart-fairness', title: 'Joins per user (users)', x: j.values, xLabel: 'joins', yLabel: 'users', bars: true,
        series: [{label: 'users', values: j.counts}],
        caption: 'Fairness (Jain\'s index of joins per user): ' + fmt(lobby.fairness_jain) +
          ' (1 = every user joined equally often; 1/n = one user got every seat).',
      });
    }
  }

  function renderTables(root, s, der) {
    const sec = section(root, 'tables', 'Summary tables', 'The values of the summary JSON; "computed" marks the few derived here.');
    const grid = h('div', {class: 'tables'});
    sec.appendChild(grid);
    const run = [['scenario', cell(s, 'scenario')], ['target', cell(s, 'target')], ['mode', cell(s, 'mode')],
      ['duration (s)', cell(s, 'duration_s')], ['seed', cell(s, 'seed')]];
    if (s.interval_s !== undefined) run.push(['interval (s)', cell(s, 'interval_s')]);
    run.push(['schema', cell(s, 'schema')]);
    table(grid, 'Run', null, run);

    const by = (s.writes && s.writes.by_status) || {};
    const total = (s.writes && s.writes.total) || 0;
    const writeRows = statusOrder(Object.keys(by)).map((k) => [k, cell(s, 'writes.by_status.' + k), total ? percent(by[k] / total) : '\u2013']);
    writeRows.push(['total', cell(s, 'writes.total'), '']);
    table(grid, 'Writes by status', ['status', 'writes', 'share'], writeRows, true);

    table(grid, 'Rates', null, [
      ['throughput (writes/s)', cell(s, 'throughput_wps')],
      ['conflict rate', cell(s, 'conflict_rate', '(' + percent(s.conflict_rate) + ')')],
      ['error rate (computed)', percent(der.error_rate)],
    ]);

    const pcts = ['p50', 'p90', 'p99', 'p999', 'max'];
    const latRows = [];
    for (const [name, base] of [['write, corrected', 'latency_ms.corrected'], ['write, uncorrected', 'latency_ms.uncorrected'],
      ['read, corrected', 'read_latency_ms.corrected'], ['read, uncorrected', 'read_latency_ms.uncorrected']]) {
      if (get(s, base) === undefined) continue;
      latRows.push([name].concat(pcts.map((p) => cell(s, base + '.' + p))));
    }
    table(grid, 'Latency (ms)', ['', 'p50', 'p90', 'p99', 'p99.9', 'max'], latRows, true, true);

    if (s.reads !== undefined) {
      table(grid, 'Reads', null, [['total', cell(s, 'reads.total')], ['failed', cell(s, 'reads.failed')]]);
    }
    table(grid, 'Actions', null, [
      ['total', cell(s, 'actions.total')], ['succeeded', cell(s, 'actions.succeeded')], ['failed', cell(s, 'actions.failed')],
      ['interrupted at the end', cell(s, 'actions.interrupted')],
      ['writes per action, mean', cell(s, 'actions.attempts.mean')], ['writes per action, p99', cell(s, 'actions.attempts.p99')],
      ['writes per action, max', cell(s, 'actions.attempts.max')],
      ['latency p50 (ms)', cell(s, 'actions.latency_ms.p50')], ['latency p99 (ms)', cell(s, 'actions.latency_ms.p99')],
      ['latency max (ms)', cell(s, 'actions.latency_ms.max')],
    ]);
    table(grid, 'Schedule', null, [
      ['planned', cell(s, 'schedule.planned')], ['started', cell(s, 'schedule.started')], ['dropped', cell(s, 'schedule.dropped')],
      ['lag p50 (ms)', cell(s, 'schedule.lag_ms.p50')], ['lag p99 (ms)', cell(s, 'schedule.lag_ms.p99')],
      ['lag max (ms)', cell(s, 'schedule.lag_ms.max')],
    ]);
    const cons = [['checked', cell(s, 'consistency.checked')], ['verdict', cell(s, 'consistency.verdict')],
      ['acknowledged writes', cell(s, 'consistency.acknowledged')], ['violations', cell(s, 'consistency.violations')]];
    ((s.consistency && s.consistency.examples) || []).forEach((e, i) => cons.push(['example ' + (i + 1), cell(s, 'consistency.examples.' + i)]));
    table(grid, 'Consistency', null, cons);

    const th = Array.isArray(s.thresholds) ? s.thresholds : [];
    if (th.length) {
      table(grid, 'Thresholds', ['threshold', 'result', 'value'], th.map((t, i) => [
        cell(s, 'thresholds.' + i + '.expr'),
        h('td', {'data-path': 'thresholds.' + i + '.ok', class: t.ok ? 'verdict-better' : 'verdict-worse',
          text: t.ok ? '\u2713 pass' : '\u2717 FAIL'}),
        cell(s, 'thresholds.' + i + '.value'),
      ]), true);
    }
    const counters = (s.scenario_stats && s.scenario_stats.counters) || {};
    const names = Object.keys(counters);
    if (names.length) {
      table(grid, 'Scenario counters', ['counter', 'value'], names.map((n) => [n, cell(s, 'scenario_stats.counters.' + n)]), true);
    }
    const hs = der.histograms || [];
    if (hs.length) {
      table(grid, 'Scenario distributions (computed from the histograms)', ['name', 'n', 'mean', 'p50', 'p99', 'max'],
        hs.map((x) => [x.name + (x.unit ? ' (' + x.unit + ')' : '') + (x.fairness_jain !== undefined ? ', Jain ' + fmt(x.fairness_jain) : ''),
          x.count, x.count ? x.mean : '\u2013', x.count ? x.p50 : '\u2013', x.count ? x.p99 : '\u2013', x.count ? x.max : '\u2013']), true, true);
    }
  }

  // ---- the comparison ------------------------------------------------------------

  const VERDICT = {
    worse: ['\u2717', 'worse', 'verdict-worse'],
    better: ['\u2713', 'better', 'verdict-better'],
    '~': ['~', 'no significant change', 'verdict-same'],
    '?': ['?', 'no test possible', 'verdict-same'],
  };

  function renderCompare(root, d) {
    const r = d.result || {};
    const ctx = d.context || {};
    const runs = d.runs || {base: [], new: []};
    const across = r.base_runs >= 2 && r.new_runs >= 2;
    meta(root, [
      ['baseline', r.base_runs + ' run' + (r.base_runs === 1 ? '' : 's') + ': ' + (ctx.base_sources || []).join(', ')],
      ['new', r.new_runs + ' run' + (r.new_runs === 1 ? '' : 's') + ': ' + (ctx.new_sources || []).join(', ')],
      ['scenario', Array.from(new Set([].concat(runs.base, runs.new).map((x) => x.scenario))).join(', ')],
      ['method', across ? 'Mann-Whitney U across runs; change = Hodges-Lehmann shift with its distribution-free interval'
        : r.base_runs === 1 && r.new_runs === 1 ? 'one run a side: batch means of per-interval values (Welch t test)' : 'medians only'],
      ['alpha', r.alpha], ['minimum effect', percent(r.min_effect, 1)],
      ['sessionrig', (d.generator && d.generator.version) || ''], ['generated', ctx.generated_at || ''],
    ]);
    const list = h('ul', {class: 'verdicts', 'aria-label': 'verdict'});
    const metrics = r.metrics || [];
    const worse = metrics.filter((m) => m.verdict === 'worse');
    if (r.regression) {
      badge(list, 'bad', 'compare', '\u2717', 'REGRESSION', 'beyond --max-regression: ' +
        metrics.filter((m) => m.fails).map((m) => m.key).join(', ') + ' (exit 99)');
    } else if (worse.length) {
      const bounded = metrics.some((m) => m.bound !== null && m.bound !== undefined);
      badge(list, 'warn', 'compare', '!', 'WORSE', 'significantly worse: ' + worse.map((m) => m.key).join(', ') +
        (bounded ? ' (within the --max-regression bounds)' : ' (no --max-regression bound was set)'));
    } else {
      badge(list, 'ok', 'compare', '\u2713', 'NO SIGNIFICANT REGRESSION', 'no metric is significantly worse');
    }
    root.appendChild(list);
    for (const w of r.warnings || []) root.appendChild(h('div', {class: 'alert', role: 'alert', text: 'Warning: ' + w}));

    const vs = section(root, 'verdicts', 'Verdict per metric',
      '"~": not significant at alpha, or smaller than the minimum effect. The change is relative to the baseline median ' +
      '(batch means: the baseline\'s mean of per-interval values), with its confidence interval and that interval\'s actual coverage.');
    table(vs, 'Metrics', ['metric', 'base', 'new', 'change [CI]', 'p', 'verdict', 'bound', 'note'], metrics.map((m) => {
      let change = '\u2013';
      if (m.relative) {
        change = signedPercent(m.relative.change);
        if (m.interval) change += ' [' + signedPercent(m.relative.lo) + ', ' + signedPercent(m.relative.hi) + '] ' + percent(m.interval.confidence, 0);
      } else if (m.method !== 'none') {
        change = fmt(m.change);
      }
      const v = VERDICT[m.verdict] || VERDICT['?'];
      return [
        m.label + (m.unit ? ' (' + m.unit + ')' : ''),
        m.base_median, m.new_median, change,
        m.p_value === null || m.p_value === undefined ? '\u2013' : Number(m.p_value.toPrecision(3)).toString(),
        h('td', {class: v[2], 'data-metric': m.key, 'data-verdict': m.verdict}, [h('span', {'aria-hidden': 'true', text: v[0] + ' '}), v[1]]),
        m.bound === null || m.bound === undefined ? '' : (m.fails ? '\u2717 FAIL > ' : 'within ') + percent(m.bound, 1),
        m.note || '',
      ];
    }), true);

    const ch = section(root, 'compare-charts', 'Spectra and series, overlaid',
      'Baseline in blue (solid), new in orange (dashed).');
    const grid = h('div', {class: 'charts'});
    ch.appendChild(grid);
    const sp = d.spectrum || {};
    chart(grid, {
      id: 'chart-compare-spectrum', title: 'Latency by percentile, each side\'s runs merged (ms)', xKind: 'percentile',
      x: sp.x || [], xLabel: 'percentile', yLabel: 'ms', height: 300,
      series: (sp.series || []).map((ser) => {
        const isBase = ser.label.startsWith('base');
        const uncorrected = ser.label.indexOf('uncorrected') >= 0;
        const read = ser.label.indexOf('read') >= 0;
        return {
          label: ser.label + ' (n ' + ser.count + ')', values: ser.values,
          color: isBase ? (uncorrected ? '#56B4E9' : read ? '#009E73' : '#0072B2') : (uncorrected ? '#E69F00' : read ? '#CC79A7' : '#D55E00'),
          dash: isBase ? (read ? [2, 3] : []) : (read ? [1, 4] : [8, 4]), width: uncorrected ? 1.5 : 2.5,
        };
      }),
    });
    const ot = d.over_time || [];
    if (ot.length) {
      const xs = Array.from(new Set([].concat(...ot.map((o) => o.t)))).sort((a, b) => a - b);
      const align = (o, key) => {
        const m = new Map();
        o.t.forEach((t, i) => m.set(t, o[key][i]));
        return xs.map((t) => (m.has(t) ? m.get(t) : null));
      };
      const style = (o) => ({color: o.side === 'base' ? '#0072B2' : '#D55E00', dash: o.side === 'base' ? [] : [8, 4], width: 1.5});
      chart(grid, {
        id: 'chart-compare-p99', title: 'Write p99 per interval, every run (ms)', x: xs, xLabel: 'time (s)', yLabel: 'ms',
        series: ot.map((o) => Object.assign({label: o.side + ' ' + o.run, values: align(o, 'p99')}, style(o))),
      });
      chart(grid, {
        id: 'chart-compare-throughput', title: 'Writes per second, every run', x: xs, xLabel: 'time (s)', yLabel: 'writes/s',
        series: ot.map((o) => Object.assign({label: o.side + ' ' + o.run, values: align(o, 'writes_per_s')}, style(o))),
      });
    }
    const per = section(root, 'runs', 'Per run');
    const head = ['metric'].concat(runs.base.map((x, i) => 'base ' + (i + 1)), runs.new.map((x, i) => 'new ' + (i + 1)));
    table(per, 'Each run\'s value (base ' + runs.base.map((x, i) => (i + 1) + ': ' + x.source).join(', ') +
      '; new ' + runs.new.map((x, i) => (i + 1) + ': ' + x.source).join(', ') + ')', head,
      metrics.map((m) => [m.label].concat(m.base || [], m.new || [])), true);

    const diff = section(root, 'differences', 'Percentile by percentile', 'Medians of the runs of each side.');
    table(diff, 'Differences', ['', 'base', 'new', 'new - base', 'change'], (r.differences || []).map((x) => [
      x.name + (x.unit ? ' (' + x.unit + ')' : ''), x.base, x.new, x.new - x.base,
      x.base ? signedPercent((x.new - x.base) / Math.abs(x.base)) : '\u2013',
    ]), true);

    const foot = h('footer');
    foot.appendChild(h('p', {text: 'Written by loadgen compare ' + ((d.generator && d.generator.version) || '') +
      ' with uPlot ' + ((d.generator && d.generator.uplot) || '') + ', inlined: this file makes no request.'}));
    root.appendChild(foot);
  }

  // ---- main ----------------------------------------------------------------------

  function main() {
    const root = document.getElementById('report');
    const loading = document.getElementById('loading');
    try {
      const d = JSON.parse(document.getElementById('report-data').textContent);
      state.kind = d.kind;
      if (loading) loading.remove();
      if (d.kind === 'compare') renderCompare(root, d);
      else renderReport(root, d);
      // Charts were sized as they were added; the grid has settled now.
      resizeAll();
      state.ready = true;
    } catch (e) {
      if (loading) loading.remove();
      root.appendChild(h('div', {class: 'error', role: 'alert', text: 'This report could not be drawn: ' + (e && e.stack ? e.stack : e)}));
      console.error(e);
      state.error = String(e);
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main);
  else main();
})();
