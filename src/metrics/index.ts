export type { Datapoint, MetricSeries, MetricsQuery, ReadScope, Statistic, StatisticsQuery } from './types.ts';
export { readScope } from './types.ts';
export {
  LambdaMetrics,
  LAMBDA_NAMESPACE,
  NIMBUS_NAMESPACE,
  qualifierOf,
  type AsyncEventMetrics,
  type ConcurrencyView,
  type InvocationMetrics,
  type LambdaMetricsDeps,
  type MeteredFunction,
  type MetricTarget,
} from './recorder.ts';
export { SqliteMetricsStore, type UsageRow } from './store.ts';
export { StoreMetricsQuery, percentileOf, rollUp } from './query.ts';
export { Sketch } from './sketch.ts';
export { MinuteAggregator, MINUTE_MS, type Unit } from './aggregator.ts';
export { PrometheusService, METRICS_PATH } from './prometheus.ts';
export { AWS_US_EAST_1_PRICES, usageReport, gbSecondsOf, type PriceTable, type UsageLine, type UsageReport } from './usage.ts';
