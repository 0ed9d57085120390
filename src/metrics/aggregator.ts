import { Sketch } from './sketch.ts';
import type { MetricSeries } from './types.ts';

export const MINUTE_MS = 60_000;

/** CloudWatch units the AWS/Lambda metrics use. */
export type Unit = 'Count' | 'Milliseconds' | 'Percent' | 'None';

/** One series' samples in one minute. */
export interface MinuteBucket {
  /** Start of the minute, milliseconds since the epoch. */
  readonly minute: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Kept for Milliseconds series only: their percentiles (Duration p99...). */
  readonly sketch?: Sketch;
}

/** A series and its buckets not yet written to the store. */
export class SeriesEntry {
  #current: MinuteBucket | undefined;
  #pending: MinuteBucket[] = [];

  constructor(
    readonly series: MetricSeries,
    readonly unit: Unit,
    /** Canonical text of namespace, metric and dimensions: the series' identity. */
    readonly key: string,
  ) {}

  add(now: number, value: number): void {
    const minute = now - (now % MINUTE_MS);
    let b = this.#current;
    if (!b || b.minute !== minute) {
      if (b) this.#pending.push(b);
      b = this.#current = {
        minute,
        count: 0,
        sum: 0,
        min: Infinity,
        max: -Infinity,
        ...(this.unit === 'Milliseconds' ? { sketch: new Sketch() } : {}),
      };
    }
    b.count++;
    b.sum += value;
    if (value < b.min) b.min = value;
    if (value > b.max) b.max = value;
    b.sketch?.add(value);
  }

  /** Hands over every bucket recorded since the last drain. */
  drain(): MinuteBucket[] {
    const out = this.#pending;
    if (this.#current) out.push(this.#current);
    this.#current = undefined;
    this.#pending = [];
    return out;
  }
}

/** Every series recorded since start, found by its key (namespace, metric, dimensions). */
export class MinuteAggregator {
  readonly #entries = new Map<string, SeriesEntry>();

  /** The entry of a series, made on first use (callers cache it: the hot path does no lookups). */
  entry(namespace: string, metricName: string, unit: Unit, dimensions: Readonly<Record<string, string>>): SeriesEntry {
    const key = seriesKey(namespace, metricName, dimensions);
    let e = this.#entries.get(key);
    if (!e) this.#entries.set(key, (e = new SeriesEntry({ namespace, metricName, dimensions: Object.freeze({ ...dimensions }) }, unit, key)));
    return e;
  }

  /** Drops the series `match` picks (drain first: their buckets go with them). */
  forget(match: (series: MetricSeries) => boolean): void {
    for (const [key, e] of this.#entries) if (match(e.series)) this.#entries.delete(key);
  }

  /** Buckets of every series since the last drain. */
  drain(): Array<{ entry: SeriesEntry; buckets: MinuteBucket[] }> {
    const out: Array<{ entry: SeriesEntry; buckets: MinuteBucket[] }> = [];
    for (const entry of this.#entries.values()) {
      const buckets = entry.drain();
      if (buckets.length > 0) out.push({ entry, buckets });
    }
    return out;
  }
}

/** Dimensions sorted by name, as JSON: the same series always has the same text. */
export function dimensionsKey(dimensions: Readonly<Record<string, string>>): string {
  const names = Object.keys(dimensions).sort();
  return JSON.stringify(names.map((n) => [n, dimensions[n]]));
}

export function seriesKey(namespace: string, metricName: string, dimensions: Readonly<Record<string, string>>): string {
  return `${namespace}\u0000${metricName}\u0000${dimensionsKey(dimensions)}`;
}
