// "sessionrig / Write contention": what loadgen measures, summed over every
// loadgen shard (one Prometheus target per `loadgen run` process).
//
// Only sessionrig_writes_total carries `scenario` and `mode` (and
// sessionrig_action_duration_seconds `scenario`); the other loadgen metrics
// are per process. A process runs one scenario in one mode, so the others
// are filtered by joining on the processes whose writes match the
// selection (see `scoped`).
import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';

import {
  heatmapPanel,
  labelVariable,
  q,
  quantile,
  quantileLegend,
  sessionrigDashboard,
  statPanel,
  timeSeries,
} from './common.js';

const SEL = 'scenario=~"$scenario", mode=~"$mode"';
const WRITES = `sessionrig_writes_total{${SEL}}`;
// One series (value 1) per loadgen process running the selected scenario and mode.
const PROCESSES = `group by (job, instance) (${WRITES})`;

// Restricts a per-process vector to the processes of the selection.
function scoped(vector: string): string {
  return `${vector} * on (job, instance) group_left () ${PROCESSES}`;
}

// The same for an instant query over the whole range: the processes that
// ran at any time in it (a finished run's process is no longer scraped).
function scopedOverRange(vector: string): string {
  return `${vector} * on (job, instance) group_left () group by (job, instance) (last_over_time(${WRITES}[$__range]))`;
}

function rate(metric: string): string {
  return `rate(${metric}[$__rate_interval])`;
}

const QUANTILES = [0.5, 0.99, 0.999];

function latencyQueries(histogram: string) {
  return QUANTILES.map((qq) => q(quantile(qq, scoped(rate(`${histogram}_bucket`))), quantileLegend(qq)));
}

export function writeContentionDashboard(): DashboardBuilder {
  const conflictRatio =
    `sum by (scenario, mode) (${rate(`sessionrig_writes_total{${SEL}, status="out_of_sync"}`)})\n` +
    `/\nsum by (scenario, mode) (${rate(WRITES)})`;
  const conflictRatioOverRange =
    `sum(increase(sessionrig_writes_total{${SEL}, status="out_of_sync"}[$__range]))\n` +
    `/\nsum(increase(${WRITES}[$__range]))`;

  return sessionrigDashboard({
    title: 'sessionrig / Write contention',
    uid: 'sessionrig-write-contention',
    description:
      'Concurrent session writes as loadgen measures them: outcomes, optimistic-concurrency ' +
        'conflicts (412 -> OutOfSync), retries, latency from the intended start (corrected) and ' +
        'from the send (uncorrected), schedule health and consistency. Sums every loadgen shard.',
    tag: 'loadgen',
    refresh: '5s',
    from: 'now-15m',
  })
    .withVariable(labelVariable('scenario', 'Scenario', 'sessionrig_writes_total'))
    .withVariable(labelVariable('mode', 'Mode', 'sessionrig_writes_total{scenario=~"$scenario"}'))

    .withRow(new RowBuilder('Overview'))
    .withPanel(
      statPanel({
        title: 'Writes per second',
        description: 'Completed writes per second, every status, all shards.',
        unit: 'wps',
        queries: [q(`sum(${rate(WRITES)})`, 'writes/s')],
        width: 4,
      }),
    )
    .withPanel(
      statPanel({
        title: 'Conflict ratio over the range',
        description:
          'OutOfSync writes / all writes over the whole time range: what the summary reports as ' +
          'conflict_rate (merged over shards).',
        unit: 'percentunit',
        queries: [{ expr: conflictRatioOverRange, legend: 'conflict ratio', instant: true }],
        width: 4,
      }),
    )
    .withPanel(
      statPanel({
        title: 'Shards reporting',
        description: 'loadgen processes scraped for the selection (one per --shard).',
        unit: 'short',
        queries: [q(`count(${PROCESSES})`, 'shards')],
        width: 4,
      }),
    )
    .withPanel(
      statPanel({
        title: 'Consistency violations',
        description:
          'Violations of any consistency invariant: capacity, acknowledged joins and leaves, ' +
          'member indices, ETag order, the append history (0 is the only good value). ' +
          'Reported once, at the end of a run.',
        unit: 'short',
        queries: [q(`sum(${scoped('sessionrig_consistency_violations_total')})`, 'violations')],
        reduce: 'max',
        redAt: 1,
        width: 4,
      }),
    )
    .withPanel(
      statPanel({
        title: 'Dropped operations',
        description: 'Operations not started because they were later than --max-lag (over the range).',
        unit: 'short',
        queries: [
          {
            expr: `sum(${scopedOverRange('increase(sessionrig_dropped_total[$__range])')})`,
            legend: 'dropped',
            instant: true,
          },
        ],
        redAt: 1,
        width: 4,
      }),
    )
    .withPanel(
      statPanel({
        title: 'p99 write latency (corrected)',
        description: 'p99 from the intended start time, all shards.',
        unit: 's',
        queries: [q(quantile(0.99, scoped(rate('sessionrig_write_duration_seconds_bucket'))), 'p99')],
        width: 4,
      }),
    )

    .withRow(new RowBuilder('Writes and conflicts'))
    .withPanel(
      timeSeries({
        title: 'Writes per second by status',
        description:
          'Completed writes by outcome (updated, created, out_of_sync = lost the race with 412, ...).',
        unit: 'wps',
        queries: [q(`sum by (status) (${rate(WRITES)}) > 0`, '{{status}}')],
        stacked: true,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Conflict ratio (OutOfSync / all writes)',
        description: 'Share of writes that lost the optimistic-concurrency race, per scenario and mode.',
        unit: 'percentunit',
        queries: [q(conflictRatio, '{{scenario}} {{mode}}')],
        min: 0,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Write attempts per action',
        description: 'Writes an action needed (1 = no retry); mean and p99 over all shards.',
        unit: 'short',
        queries: [
          q(
            `sum(${scoped(rate('sessionrig_action_attempts_sum'))})\n/\n` +
              `sum(${scoped(rate('sessionrig_action_attempts_count'))})`,
            'mean',
          ),
          q(quantile(0.99, scoped(rate('sessionrig_action_attempts_bucket'))), 'p99'),
        ],
        min: 0,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Writes per second by shard',
        description: 'Completed writes per loadgen process: shards should carry equal load.',
        unit: 'wps',
        queries: [q(`sum by (instance) (${rate(WRITES)})`, '{{instance}}')],
      }),
    )

    .withRow(new RowBuilder('Latency'))
    .withPanel(
      timeSeries({
        title: 'Write latency, corrected (from intended start)',
        description:
          'Quantiles of write latency measured from each operation\'s intended start time ' +
          '(coordinated-omission safe), over the summed buckets of every shard.',
        unit: 's',
        queries: latencyQueries('sessionrig_write_duration_seconds'),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Write latency, uncorrected (from send)',
        description: 'Service time: quantiles of write latency measured from the actual send.',
        unit: 's',
        queries: latencyQueries('sessionrig_write_service_seconds'),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Read latency, corrected (from intended start)',
        description:
          'Quantiles of read latency (the GET an action does before it writes in sync mode, and ' +
          'in append), corrected like writes: an action\'s first request is measured from the ' +
          'action\'s intended start, so a server stall in sync mode shows here, not in the writes.',
        unit: 's',
        queries: latencyQueries('sessionrig_read_duration_seconds'),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'p99 corrected: reads vs writes',
        description:
          'Which request carries the waiting: every moment of an action is charged to one ' +
          'request, the first one from the action\'s intended start, later ones from their send.',
        unit: 's',
        queries: [
          q(quantile(0.99, scoped(rate('sessionrig_read_duration_seconds_bucket'))), 'reads p99'),
          q(quantile(0.99, scoped(rate('sessionrig_write_duration_seconds_bucket'))), 'writes p99'),
        ],
      }),
    )
    .withPanel(
      heatmapPanel({
        title: 'Write latency heatmap (corrected)',
        description: 'Writes per latency bucket over time, every shard\'s buckets summed.',
        unit: 's',
        queries: [q(`sum by (le) (${scoped('increase(sessionrig_write_duration_seconds_bucket[$__rate_interval])')})`, '{{le}}')],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Action latency by action (p50, p99)',
        description: 'Whole-action latency including every retry, per action kind.',
        unit: 's',
        queries: [0.5, 0.99].map((qq) =>
          q(
            quantile(qq, scoped(rate('sessionrig_action_duration_seconds_bucket{scenario=~"$scenario"}')), ['action']),
            `${quantileLegend(qq)} {{action}}`,
          ),
        ),
      }),
    )

    .withRow(new RowBuilder('Load generator health'))
    .withPanel(
      timeSeries({
        title: 'Target vs achieved rate',
        description:
          'Target arrival rate (sum of every shard\'s share) against operations started and ' +
          'actions completed per second. A gap means the generator or the target cannot keep up.',
        unit: 'ops',
        queries: [
          q(`sum(${scoped('sessionrig_target_rate')})`, 'target'),
          q(`sum(${scoped(rate('sessionrig_schedule_lag_seconds_count'))})`, 'started'),
          q(`sum(${scoped(rate('sessionrig_action_duration_seconds_count{scenario=~"$scenario"}'))})`, 'completed actions'),
        ],
        min: 0,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Schedule lag (actual start - intended start)',
        description: 'How late operations started; large values mean the generator is saturated.',
        unit: 's',
        queries: [0.5, 0.99].map((qq) =>
          q(quantile(qq, scoped(rate('sessionrig_schedule_lag_seconds_bucket'))), quantileLegend(qq)),
        ),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Dropped operations per second',
        description: 'Operations skipped because they were later than --max-lag.',
        unit: 'ops',
        queries: [q(`sum(${scoped(rate('sessionrig_dropped_total'))})`, 'dropped')],
        width: 8,
        min: 0,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Operations in flight',
        description: 'Operations started and not yet completed, all shards.',
        unit: 'short',
        queries: [q(`sum(${scoped('sessionrig_inflight')})`, 'in flight')],
        width: 8,
        min: 0,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Consistency violations',
        description:
          'Violations by invariant (capacity, acknowledged_join, acknowledged_leave, ' +
          'member_index, etag_order, append_history), summed over shards.',
        unit: 'short',
        queries: [q(`sum by (invariant) (${scoped('sessionrig_consistency_violations_total')})`, '{{invariant}}')],
        width: 8,
        min: 0,
      }),
    );
}
