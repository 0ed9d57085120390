/**
 * The contract between metric collection (the invoke path and async queue record; a
 * 1-minute store keeps) and the read APIs (Prometheus /metrics, CloudWatch
 * GetMetricStatistics / GetMetricData / ListMetrics for namespace AWS/Lambda).
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
 */

/** A metric series: AWS/Lambda metric name and its dimensions (FunctionName, Resource, ExecutedVersion, or none for account-level). */
export interface MetricSeries {
  readonly namespace: string;
  readonly metricName: string;
  /** Dimension name → value; an empty object is the account-wide series. */
  readonly dimensions: Readonly<Record<string, string>>;
}

export type Statistic = 'SampleCount' | 'Average' | 'Sum' | 'Minimum' | 'Maximum';

export interface StatisticsQuery extends MetricSeries {
  /** Milliseconds since the epoch; inclusive start, exclusive end. */
  readonly startTime: number;
  readonly endTime: number;
  /** Seconds, a multiple of 60. */
  readonly period: number;
  readonly statistics: readonly Statistic[];
  /** Percentiles such as "p50", "p99.9". */
  readonly extendedStatistics?: readonly string[];
}

export interface Datapoint {
  /** Start of the period, milliseconds since the epoch. */
  readonly timestamp: number;
  readonly unit: string;
  readonly values: Readonly<Partial<Record<Statistic, number>>>;
  readonly extended?: Readonly<Record<string, number>>;
}

/**
 * One API request's reads (a GetMetricData of up to 500 queries): stored minutes it may still
 * read, and the reads already made, so that queries of the same series over the same range
 * (Sum and p99 of one Duration) read it once. A read past the budget stops early and sets
 * `exhausted`; the caller answers with an error rather than reading on for minutes.
 */
export interface ReadScope {
  remaining: number;
  exhausted: boolean;
  /** Keyed by the implementation (series, range, whether percentiles were read). */
  readonly reads: Map<string, unknown>;
}

export function readScope(budget: number): ReadScope {
  return { remaining: budget, exhausted: false, reads: new Map() };
}

export interface MetricsQuery {
  /** Series that have data in the retention period, filtered as ListMetrics filters. */
  list(filter: { readonly namespace?: string; readonly metricName?: string; readonly dimensions?: ReadonlyArray<{ readonly name: string; readonly value?: string }> }): MetricSeries[];
  /** Datapoints of one series, one per period that has data, oldest first; `scope` bounds and shares the reads of one request. */
  statistics(query: StatisticsQuery, scope?: ReadScope): Datapoint[];
}
