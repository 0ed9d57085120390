import { MINUTE_MS, seriesKey, type Unit } from './aggregator.ts';
import { Sketch } from './sketch.ts';
import type { StoredPoint, SqliteMetricsStore } from './store.ts';
import type { Datapoint, MetricSeries, MetricsQuery, ReadScope, Statistic, StatisticsQuery } from './types.ts';

type Stored = NonNullable<ReturnType<SqliteMetricsStore['points']>>;

/**
 * "p50", "p99.9", "p100": a percentile with up to 10 decimals, 0 < p <= 100. The one definition
 * of what Nimbus computes; the CloudWatch API validates ExtendedStatistics and Stat with it, so a
 * name it accepts never answers empty.
 */
const PERCENTILE = /^p(\d{1,2}(?:\.\d{1,10})?|100(?:\.0{1,10})?)$/;

/** The percentile a pNN(.N) statistic names, or undefined when it is not one Nimbus computes. */
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

  statistics(query: StatisticsQuery, scope?: ReadScope): Datapoint[] {
    const origin = query.startTime - (((query.startTime % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);
    const sketches = (query.extendedStatistics?.length ?? 0) > 0;
    const found = this.#read(query, origin, query.endTime, sketches, scope);
    if (!found) return [];
    return rollUp(found.points, found.unit, query.startTime, query.period, query.statistics, query.extendedStatistics);
  }

  /** The store's minutes, once per scope for a series and range (a read with sketches serves one without). */
  #read(series: MetricSeries, from: number, to: number, sketches: boolean, scope: ReadScope | undefined): Stored | undefined {
    if (scope?.exhausted) return undefined;
    const key = `${seriesKey(series.namespace, series.metricName, series.dimensions)}\u0000${from}\u0000${to}`;
    const cached = (scope?.reads.get(`${key}\u0000s`) ?? (sketches ? undefined : scope?.reads.get(key))) as Stored | null | undefined;
    if (cached !== undefined) return cached ?? undefined;
    if (!scope || scope.reads.size === 0) this.beforeRead();
    // One row past the budget tells a read that fits from one that does not.
    const found = this.store.points(series, from, to, { sketches, ...(scope ? { limit: scope.remaining + 1 } : {}) });
    if (scope) {
      const read = found?.points.length ?? 0;
      if (read > scope.remaining) {
        scope.exhausted = true;
        return undefined;
      }
      scope.remaining -= read;
      scope.reads.set(sketches ? `${key}\u0000s` : key, found ?? null);
    }
    return found;
  }
}
