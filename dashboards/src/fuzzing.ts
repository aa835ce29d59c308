// "sessionrig / Fuzzing": the nightly fuzzing job's results, as pushed to a
// Pushgateway by fuzz/push_metrics (scraped with honor_labels). A push
// replaces the job's group, so every value is "the last night's": the
// panels show them as steps over nights.
import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';

import { labelVariable, q, sessionrigDashboard, statPanel, timeSeries } from './common.js';

const SEL = 'target=~"$target"';

export function fuzzingDashboard(): DashboardBuilder {
  return sessionrigDashboard({
    title: 'sessionrig / Fuzzing',
    uid: 'sessionrig-fuzzing',
    description:
      'Nightly libFuzzer runs (scripts/fuzz-nightly): executions per second, corpus size, ' +
        'coverage edges and new crashes per fuzz target, night after night.',
    tag: 'fuzzing',
    refresh: '5m',
    from: 'now-30d',
  })
    .withVariable(labelVariable('target', 'Fuzz target', 'sessionrig_fuzz_execs_per_second'))

    .withRow(new RowBuilder('Last night'))
    .withPanel(
      statPanel({
        title: 'New crashes in the last run',
        description: 'Unique new crashes the last nightly run found, all selected targets.',
        unit: 'short',
        queries: [q(`sum(max by (target) (sessionrig_fuzz_crashes_total{${SEL}}))`, 'crashes')],
        redAt: 1,
        width: 8,
      }),
    )
    .withPanel(
      statPanel({
        title: 'Time since the last run',
        description: 'Now minus when the last nightly run finished; red after 36 hours.',
        unit: 's',
        queries: [q('time() - max(sessionrig_fuzz_last_run_timestamp_seconds)', 'age')],
        redAt: 36 * 3600,
        width: 8,
      }),
    )
    .withPanel(
      statPanel({
        title: 'Fuzz targets reporting',
        description: 'Targets in the last push.',
        unit: 'short',
        queries: [q(`count(max by (target) (sessionrig_fuzz_execs_per_second{${SEL}}))`, 'targets')],
        width: 8,
      }),
    )

    .withRow(new RowBuilder('Per target, over nights'))
    .withPanel(
      timeSeries({
        title: 'Executions per second',
        description: 'Average executions per second of each nightly run, per target.',
        unit: 'ops',
        queries: [q(`max by (target) (sessionrig_fuzz_execs_per_second{${SEL}})`, '{{target}}')],
        min: 0,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Corpus size',
        description: 'Files in fuzz/corpus/<target> after the nightly merge.',
        unit: 'short',
        queries: [q(`max by (target) (sessionrig_fuzz_corpus_files{${SEL}})`, '{{target}}')],
        min: 0,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Coverage edges',
        description: 'libFuzzer "cov" at the end of each nightly run.',
        unit: 'short',
        queries: [q(`max by (target) (sessionrig_fuzz_edges{${SEL}})`, '{{target}}')],
        min: 0,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'New crashes per run',
        description: 'Unique new crashes found by each nightly run, per target.',
        unit: 'short',
        queries: [q(`max by (target) (sessionrig_fuzz_crashes_total{${SEL}})`, '{{target}}')],
        bars: true,
        min: 0,
      }),
    );
}
