import type { Datapoint, MetricSeries, MetricsQuery, Statistic, StatisticsQuery } from '../metrics/types.ts';

/** A MetricsQuery over samples held in memory, for tests: each sample one value at a time. */
export class FakeMetrics implements MetricsQuery {
  readonly samples: { series: MetricSeries; t: number; value: number; unit: string }[] = [];

  add(series: Omit<MetricSeries, 'namespace'> & { namespace?: string }, t: number, value: number, unit = 'Count'): void {
    this.samples.push({ series: { namespace: series.namespace ?? 'AWS/Lambda', metricName: series.metricName, dimensions: series.dimensions }, t, value, unit });
  }

  list(filter: Parameters<MetricsQuery['list']>[0]): MetricSeries[] {
    const seen = new Map<string, MetricSeries>();
    for (const { series } of this.samples) {
      if (filter.namespace !== undefined && series.namespace !== filter.namespace) continue;
      if (filter.metricName !== undefined && series.metricName !== filter.metricName) continue;
      if (filter.dimensions?.some((d) => !Object.hasOwn(series.dimensions, d.name) || (d.value !== undefined && series.dimensions[d.name] !== d.value))) continue;
      seen.set(key(series), series);
    }
    return [...seen.values()];
  }

  statistics(q: StatisticsQuery): Datapoint[] {
    const buckets = new Map<number, { values: number[]; unit: string }>();
    for (const s of this.samples) {
      if (key(s.series) !== key(q) || s.t < q.startTime || s.t >= q.endTime) continue;
      const start = q.startTime + Math.floor((s.t - q.startTime) / (q.period * 1000)) * q.period * 1000;
      const b = buckets.get(start) ?? { values: [], unit: s.unit };
      b.values.push(s.value);
      buckets.set(start, b);
    }
    return [...buckets.entries()]
      .sort(([a], [b]) => a - b)
      .map(([timestamp, { values, unit }]) => {
        const sum = values.reduce((a, b) => a + b, 0);
        const all: Record<Statistic, number> = { SampleCount: values.length, Sum: sum, Average: sum / values.length, Minimum: Math.min(...values), Maximum: Math.max(...values) };
        const sorted = [...values].sort((a, b) => a - b);
        const extended = Object.fromEntries((q.extendedStatistics ?? []).map((p) => [p, sorted[Math.min(sorted.length - 1, Math.ceil((Number(p.slice(1)) / 100) * sorted.length) - 1)] ?? sorted[0]!]));
        return { timestamp, unit, values: Object.fromEntries(q.statistics.map((s) => [s, all[s]])), ...(q.extendedStatistics?.length ? { extended } : {}) };
      });
  }
}

function key(s: MetricSeries): string {
  return JSON.stringify([s.namespace, s.metricName, Object.entries(s.dimensions).sort()]);
}
