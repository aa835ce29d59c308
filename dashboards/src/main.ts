// Writes sessionrig's Grafana dashboards as JSON.
//
//   node build/src/main.js --out DIR
//
// One file per dashboard, keys sorted, two-space indent, trailing newline:
// byte-stable, so dashboards_stale can diff a fresh run against the
// committed dashboards/generated/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';

import { fuzzingDashboard } from './fuzzing.js';
import { sessiondDashboard } from './sessiond.js';
import { writeContentionDashboard } from './write_contention.js';

const DASHBOARDS: Array<[string, () => DashboardBuilder]> = [
  ['write-contention.json', writeContentionDashboard],
  ['sessiond.json', sessiondDashboard],
  ['fuzzing.json', fuzzingDashboard],
];

// JSON with object keys sorted at every level (arrays keep their order).
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined && typeof v !== 'function') out[key] = canonical(v);
    }
    return out;
  }
  return value;
}

function render(builder: DashboardBuilder): string {
  const dashboard = builder.build();
  // Stable panel ids in layout order (Grafana needs them unique).
  (dashboard.panels ?? []).forEach((panel, i) => {
    panel.id = i + 1;
  });
  return JSON.stringify(canonical(dashboard), null, 2) + '\n';
}

function main(argv: string[]): number {
  const i = argv.indexOf('--out');
  if (i < 0 || i + 1 >= argv.length) {
    process.stderr.write('usage: main.js --out DIR\n');
    return 1;
  }
  const out = argv[i + 1];
  mkdirSync(out, { recursive: true });
  for (const [file, make] of DASHBOARDS) {
    writeFileSync(join(out, file), render(make()));
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
