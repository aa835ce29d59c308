// "sessionrig / sessiond": the reference session directory's own view of
// the load (sessiond/metrics.h), one Prometheus target per sessiond
// process started with --metrics-addr.
import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';

import { labelVariable, q, quantile, quantileLegend, sessionrigDashboard, statPanel, timeSeries } from './common.js';

const SEL = 'instance=~"$instance"';

function rate(metric: string, selector = SEL): string {
  return `rate(${metric}{${selector}}[$__rate_interval])`;
}

export function sessiondDashboard(): DashboardBuilder {
  return sessionrigDashboard({
    title: 'sessionrig / sessiond',
    uid: 'sessionrig-sessiond',
    description:
      'sessiond, the reference MPSD session directory: requests by method and status code, ' +
        'server-side latency, stored sessions and members, 412 Precondition Failed, deletions, ' +
        'injected faults, refused connections and members removed by lifecycle timeouts.',
    tag: 'sessiond',
    refresh: '5s',
    from: 'now-15m',
  })
    .withVariable(labelVariable('instance', 'sessiond', 'sessiond_requests_total'))

    .withRow(new RowBuilder('Requests'))
    .withPanel(
      timeSeries({
        title: 'Requests per second by method and code',
        description: 'Answered HTTP requests, by method and final status code.',
        unit: 'reqps',
        queries: [q(`sum by (method, code) (${rate('sessiond_requests_total')}) > 0`, '{{method}} {{code}}')],
        stacked: true,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Server latency by method (p50, p99)',
        description: 'Seconds from a request fully received to its response fully written.',
        unit: 's',
        queries: [0.5, 0.99].map((qq) =>
          q(
            quantile(qq, rate('sessiond_request_duration_seconds_bucket'), ['method']),
            `${quantileLegend(qq)} {{method}}`,
          ),
        ),
      }),
    )
    .withPanel(
      timeSeries({
        title: '412 Precondition Failed per second',
        description: 'Conditional writes refused because the ETag moved on (lost races).',
        unit: 'reqps',
        queries: [q(`sum(${rate('sessiond_precondition_failed_total')})`, '412/s')],
        min: 0,
      }),
    )
    .withPanel(
      timeSeries({
        title: '412 share of PUTs',
        description: '412 Precondition Failed / all PUT requests.',
        unit: 'percentunit',
        queries: [
          q(
            `sum(${rate('sessiond_precondition_failed_total')})\n/\n` +
              `sum(${rate('sessiond_requests_total', `${SEL}, method="PUT"`)})`,
            '412 / PUT',
          ),
        ],
        min: 0,
      }),
    )

    .withRow(new RowBuilder('State'))
    .withPanel(
      statPanel({
        title: 'Sessions stored',
        description: 'Sessions currently stored, all selected sessiond processes.',
        unit: 'short',
        queries: [q(`sum(sessiond_sessions{${SEL}})`, 'sessions')],
      }),
    )
    .withPanel(
      statPanel({
        title: 'Members',
        description: 'Members, reservations included, across all sessions.',
        unit: 'short',
        queries: [q(`sum(sessiond_members{${SEL}})`, 'members')],
      }),
    )
    .withPanel(
      statPanel({
        title: 'Server errors (5xx) per second',
        description: 'Requests answered with a 5xx status (injected or real).',
        unit: 'reqps',
        queries: [q(`sum(${rate('sessiond_requests_total', `${SEL}, code=~"5.."`)}) or vector(0)`, '5xx/s')],
        redAt: 0.001,
      }),
    )
    .withPanel(
      statPanel({
        title: 'Injected faults over the range',
        description: 'Faults injected by --inject over the selected range.',
        unit: 'short',
        queries: [{ expr: `sum(increase(sessiond_faults_injected_total{${SEL}}[$__range]))`, legend: 'faults', instant: true }],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Sessions and members',
        description: 'Stored sessions and members over time.',
        unit: 'short',
        queries: [
          q(`sum(sessiond_sessions{${SEL}})`, 'sessions'),
          q(`sum(sessiond_members{${SEL}})`, 'members'),
        ],
        min: 0,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Sessions deleted per second',
        description: 'Sessions deleted because the last member left, or after the empty timeout.',
        unit: 'ops',
        queries: [q(`sum(${rate('sessiond_sessions_deleted_total')})`, 'deleted/s')],
        min: 0,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Injected faults per second by kind',
        description: 'Faults injected by --inject (latency, stall, error_5xx, truncated, ...).',
        unit: 'ops',
        queries: [q(`sum by (kind) (${rate('sessiond_faults_injected_total')})`, '{{kind}}')],
        width: 24,
        min: 0,
      }),
    )

    .withRow(new RowBuilder('Abuse and lifecycle'))
    .withPanel(
      timeSeries({
        title: 'Connections refused per second by reason',
        description:
          'Connections answered and closed without being served: max_connections (every slot taken, 503), ' +
          'peer_share (one address held its share of the slots, 503), header_timeout and body_timeout ' +
          '(a slow client cut off, 408).',
        unit: 'ops',
        queries: [q(`sum by (reason) (${rate('sessiond_connections_rejected_total')})`, '{{reason}}')],
        stacked: true,
        min: 0,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Members removed per second by reason',
        description:
          'Members removed by a lifecycle timeout, by their status when it ran out: reserved ' +
          '(reservedRemovalTimeout), inactive (inactiveRemovalTimeout) and ready (readyRemovalTimeout).',
        unit: 'ops',
        queries: [q(`sum by (reason) (${rate('sessiond_members_removed_total')})`, '{{reason}}')],
        stacked: true,
        min: 0,
      }),
    );
}
