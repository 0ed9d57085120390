import { MINUTE_MS, type Unit } from './aggregator.ts';
import { Sketch } from './sketch.ts';
import type { StoredPoint, SqliteMetricsStore } from './store.ts';
import type { Datapoint, MetricSeries, MetricsQuery, Statistic, StatisticsQuery } from './types.ts';

/** "p50", "p99.9": a percentile CloudWatch's ExtendedStatistics accept (0 < p <= 100). */
const PERCENTILE = /^p(\d{1,2}(?:\.\d{1,10})?|100)$/;

/** The percentile a pNN(.N) statistic names, or undefined when it is not one. */
export function percentileOf(name: string): number | undefined {
  const m = PERCENTILE.exec(name);
  if (!m) return undefined;
  const p = Number(m[1]);
  return p > 0 && p <= 100 ? p : undefined;
}

/**
 * Rolls 1-minute points up into periods: one datapoint per period that has data, oldest
 * first. Periods start at `start` rounded down to the minute, as CloudWatch aligns them.
 */
export function rollUp(
  points: readonly StoredPoint[],
  unit: Unit,
  start: number,
  periodSeconds: number,
  statistics: readonly Statistic[],
  extended: readonly string[] = [],
): Datapoint[] {
  const origin = start - (((start % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);
  const periodMs = periodSeconds * 1000;
  const groups = new Map<number, StoredPoint[]>();
  for (const p of points) {
    const at = origin + Math.floor((p.minute - origin) / periodMs) * periodMs;
    let g = groups.get(at);
    if (!g) groups.set(at, (g = []));
    g.push(p);
  }
  const out: Datapoint[] = [];
  for (const at of [...groups.keys()].sort((a, b) => a - b)) {
    const g = groups.get(at)!;
    let count = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const p of g) {
      count += p.count;
      sum += p.sum;
      if (p.min < min) min = p.min;
      if (p.max > max) max = p.max;
    }
    const values: Partial<Record<Statistic, number>> = {};
    for (const s of statistics) {
      if (s === 'SampleCount') values.SampleCount = count;
      else if (s === 'Sum') values.Sum = sum;
      else if (s === 'Average') values.Average = count > 0 ? sum / count : 0;
      else if (s === 'Minimum') values.Minimum = min;
      else if (s === 'Maximum') values.Maximum = max;
    }
    let ext: Record<string, number> | undefined;
    if (extended.length > 0) {
      const sketch = mergedSketch(g);
      for (const name of extended) {
        const p = percentileOf(name);
        const v = p !== undefined && sketch ? sketch.percentile(p, min, max) : undefined;
        if (v !== undefined) (ext ??= {})[name] = v;
      }
    }
    out.push({ timestamp: at, unit, values, ...(ext ? { extended: ext } : {}) });
  }
  return out;
}

function mergedSketch(points: readonly StoredPoint[]): Sketch | undefined {
  if (points.some((p) => !p.sketch)) return undefined;
  const merged = new Sketch();
  for (const p of points) merged.merge(p.sketch!);
  return merged;
}

export type ListFilter = Parameters<MetricsQuery['list']>[0];

/** MetricsQuery over the 1-minute store; `beforeRead` flushes what is still in memory. */
export class StoreMetricsQuery implements MetricsQuery {
  constructor(
    private readonly store: SqliteMetricsStore,
    private readonly beforeRead: () => void = () => {},
  ) {}

  list(filter: ListFilter): MetricSeries[] {
    this.beforeRead();
    return this.store
      .series()
      .filter(
        (s) =>
          (filter.namespace === undefined || s.namespace === filter.namespace) &&
          (filter.metricName === undefined || s.metricName === filter.metricName) &&
          (filter.dimensions ?? []).every((d) => d.name in s.dimensions && (d.value === undefined || s.dimensions[d.name] === d.value)),
      )
      .map(({ namespace, metricName, dimensions }) => ({ namespace, metricName, dimensions }));
  }

  statistics(query: StatisticsQuery): Datapoint[] {
    this.beforeRead();
    const origin = query.startTime - (((query.startTime % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);
    const found = this.store.points(query, origin, query.endTime);
    if (!found) return [];
    return rollUp(found.points, found.unit, query.startTime, query.period, query.statistics, query.extendedStatistics);
  }
}
