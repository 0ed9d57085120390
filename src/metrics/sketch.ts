/**
 * A mergeable distribution of one minute's samples (durations, ages) for percentiles.
 * Small minutes keep every value, so their percentiles are exact; past EXACT_MAX values
 * only a log-bucketed histogram remains (DDSketch-style), whose percentiles are within
 * RELATIVE_ERROR of a true sample. Both merge, so any period rolls up from 1-minute buckets.
 */

/** Values kept exactly per sketch before it falls back to the histogram alone. */
export const EXACT_MAX = 128;
/** Relative accuracy of histogram percentiles (1%). */
export const RELATIVE_ERROR = 0.01;
const GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR);
const LOG_GAMMA = Math.log(GAMMA);
/** Values at or below this (0 ms, negative clock skew) share one bucket. */
const MIN_POSITIVE = 1e-3;
const ZERO_BUCKET = -1_000_000;

export interface SketchJson {
  /** Every value, when there were at most EXACT_MAX. */
  readonly v?: number[];
  /** Histogram as [bucket index, count] pairs. */
  readonly h: Array<[number, number]>;
}

export class Sketch {
  #values: number[] | undefined = [];
  readonly #buckets = new Map<number, number>();
  #count = 0;

  get count(): number {
    return this.#count;
  }

  add(value: number): void {
    this.#count++;
    if (this.#values) {
      if (this.#values.length < EXACT_MAX) this.#values.push(value);
      else this.#values = undefined;
    }
    const b = bucketOf(value);
    this.#buckets.set(b, (this.#buckets.get(b) ?? 0) + 1);
  }

  merge(other: Sketch): void {
    this.#count += other.#count;
    if (this.#values && other.#values && this.#values.length + other.#values.length <= EXACT_MAX) this.#values.push(...other.#values);
    else this.#values = undefined;
    for (const [b, n] of other.#buckets) this.#buckets.set(b, (this.#buckets.get(b) ?? 0) + n);
  }

  /**
   * The p-th percentile (0 < p <= 100) by nearest rank, clamped to [min, max] when given.
   * Exact while every value is kept; otherwise the histogram bucket's representative value.
   */
  percentile(p: number, min = -Infinity, max = Infinity): number | undefined {
    if (this.#count === 0) return undefined;
    const rank = Math.max(1, Math.ceil((p / 100) * this.#count));
    if (this.#values) {
      const sorted = [...this.#values].sort((a, b) => a - b);
      return sorted[rank - 1];
    }
    const keys = [...this.#buckets.keys()].sort((a, b) => a - b);
    let seen = 0;
    for (const k of keys) {
      seen += this.#buckets.get(k)!;
      if (seen >= rank) return Math.min(max, Math.max(min, valueOf(k)));
    }
    return max;
  }

  toJSON(): SketchJson {
    return { ...(this.#values ? { v: this.#values } : {}), h: [...this.#buckets] };
  }

  static fromJSON(json: SketchJson): Sketch {
    const s = new Sketch();
    for (const [b, n] of json.h) {
      s.#buckets.set(b, n);
      s.#count += n;
    }
    s.#values = json.v ? [...json.v] : undefined;
    return s;
  }
}

function bucketOf(value: number): number {
  if (!(value > MIN_POSITIVE)) return ZERO_BUCKET;
  return Math.ceil(Math.log(value) / LOG_GAMMA);
}

/** The value a bucket stands for: within RELATIVE_ERROR of everything in it. */
function valueOf(bucket: number): number {
  if (bucket === ZERO_BUCKET) return 0;
  return (2 * GAMMA ** bucket) / (GAMMA + 1);
}
