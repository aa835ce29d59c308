// Building blocks shared by every sessionrig dashboard: the datasource
// variable every panel and query points at, typed panel constructors that
// always set a title, a unit and that datasource, and PromQL helpers.
//
// Everything here is deterministic: no clocks, no random ids, so running
// the generator twice gives byte-identical JSON (dashboards_stale relies
// on it).
import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardBuilder,
  DashboardCursorSync,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  Threshold,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import * as heatmap from '@grafana/grafana-foundation-sdk/heatmap';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

// Every panel, query and query variable uses the datasource chosen in the
// dashboard's `datasource` variable (dashboards_lint checks it).
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

export interface DashboardOptions {
  title: string;
  uid: string;
  description: string;
  tag: string; // besides 'sessionrig'
  refresh: string;
  from: string; // default time range: from .. now
}

// What every sessionrig dashboard shares: tags, shared crosshair, refresh,
// time range, browser time zone and the datasource variable (first).
export function sessionrigDashboard(o: DashboardOptions): DashboardBuilder {
  return new DashboardBuilder(o.title)
    .uid(o.uid)
    .description(o.description)
    .tags(['sessionrig', o.tag])
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .refresh(o.refresh)
    .time({ from: o.from, to: 'now' })
    .timezone('browser')
    .withVariable(datasourceVariable());
}

function datasourceVariable(): DatasourceVariableBuilder {
  return new DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus');
}

// A query variable over one label's values, "All" by default (".*" so it
// can be used inside =~ matchers).
export function labelVariable(name: string, label: string, metricSelector: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .query(`label_values(${metricSelector}, ${name})`)
    .definition(`label_values(${metricSelector}, ${name})`)
    .datasource(DATASOURCE)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ text: 'All', value: '$__all' });
}

export interface Query {
  expr: string;
  legend: string;
  // Heatmap queries return buckets, one series per `le`.
  heatmap?: boolean;
  // One value at the end of the range (for expressions over $__range).
  instant?: boolean;
}

export function q(expr: string, legend: string): Query {
  return { expr, legend };
}

function targets(queries: Query[]): DataqueryBuilder[] {
  return queries.map((query, i) => {
    const b = new DataqueryBuilder()
      .datasource(DATASOURCE)
      .refId(String.fromCharCode('A'.charCodeAt(0) + i))
      .expr(query.expr)
      .legendFormat(query.legend);
    if (query.instant) {
      b.instant();
    } else {
      b.range();
    }
    if (query.heatmap) b.format(PromQueryFormat.Heatmap);
    return b;
  });
}

function legend(): common.VizLegendOptionsBuilder {
  return new common.VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(common.LegendDisplayMode.Table)
    .placement(common.LegendPlacement.Bottom)
    .calcs(['mean', 'max', 'lastNotNull']);
}

export interface PanelOptions {
  title: string;
  description: string;
  unit: string;
  queries: Query[];
  width?: number;   // grid columns, of 24 (default 12)
  height?: number;  // grid rows (default 8)
  stacked?: boolean;
  bars?: boolean;
  min?: number;
  max?: number;
}

export function timeSeries(o: PanelOptions): timeseries.PanelBuilder {
  const p = new timeseries.PanelBuilder()
    .title(o.title)
    .description(o.description)
    .datasource(DATASOURCE)
    .unit(o.unit)
    .span(o.width ?? 12)
    .height(o.height ?? 8)
    .targets(targets(o.queries))
    .legend(legend())
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending))
    .lineWidth(1)
    .fillOpacity(o.stacked || o.bars ? 60 : 10)
    .spanNulls(false);
  if (o.stacked) p.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  if (o.bars) p.drawStyle(common.GraphDrawStyle.Bars);
  if (o.min !== undefined) p.min(o.min);
  if (o.max !== undefined) p.max(o.max);
  return p;
}

export interface StatOptions extends PanelOptions {
  // Values at or above this turn the panel red (green below).
  redAt?: number;
  // How the series over the dashboard's range reduce to one number.
  reduce?: 'lastNotNull' | 'max';
}

export function statPanel(o: StatOptions): stat.PanelBuilder {
  const p = new stat.PanelBuilder()
    .title(o.title)
    .description(o.description)
    .datasource(DATASOURCE)
    .unit(o.unit)
    .span(o.width ?? 6)
    .height(o.height ?? 4)
    .targets(targets(o.queries))
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs([o.reduce ?? 'lastNotNull']).values(false))
    .graphMode(common.BigValueGraphMode.Area)
    // Colour only panels that have a bad value; the others are plain numbers.
    .colorMode(o.redAt === undefined ? common.BigValueColorMode.None : common.BigValueColorMode.Background);
  const steps: Threshold[] = [{ value: null, color: 'green' }];
  if (o.redAt !== undefined) steps.push({ value: o.redAt, color: 'red' });
  p.thresholds(new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps));
  return p;
}

// A heatmap of a Prometheus histogram: one row per bucket, as Prometheus
// reports it (no re-bucketing in the browser).
export function heatmapPanel(o: PanelOptions): heatmap.PanelBuilder {
  return new heatmap.PanelBuilder()
    .title(o.title)
    .description(o.description)
    .datasource(DATASOURCE)
    .unit(o.unit)
    .span(o.width ?? 12)
    .height(o.height ?? 8)
    .targets(targets(o.queries.map((query) => ({ ...query, heatmap: true }))))
    .calculate(false)
    .rowsFrame(new heatmap.RowsHeatmapOptionsBuilder().layout(common.HeatmapCellLayout.Le))
    .yAxis(new heatmap.YAxisConfigBuilder().unit(o.unit))
    .cellValues(new heatmap.CellValuesBuilder().unit('short'))
    .color(
      new heatmap.HeatmapColorOptionsBuilder()
        .mode(heatmap.HeatmapColorMode.Scheme)
        .scheme('Oranges')
        .scale(heatmap.HeatmapColorScale.Exponential)
        .exponent(0.5)
        .steps(64),
    )
    .showValue(common.VisibilityMode.Never)
    .tooltip(new heatmap.HeatmapTooltipBuilder().mode(common.TooltipDisplayMode.Single).yHistogram(true))
    .showLegend();
}

// ---- PromQL helpers.

// histogram_quantile over the sum of every shard's buckets: exact across
// loadgen shards because every process uses the same bucket bounds
// (kLatencyBucketsSeconds in loadgen/metrics.h).
export function quantile(q: number, bucketRate: string, by: string[] = []): string {
  const labels = ['le', ...by].join(', ');
  return `histogram_quantile(${q}, sum by (${labels}) (${bucketRate}))`;
}

// Rounds away float noise in legends: 0.999 -> "p99.9".
export function quantileLegend(q: number): string {
  return `p${Number((q * 100).toFixed(3))}`;
}
