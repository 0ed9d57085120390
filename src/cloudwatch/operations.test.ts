import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CloudWatchErrors } from '../errors/index.ts';
import { CloudWatchOperations } from './operations.ts';
import { FakeMetrics } from './fake-metrics.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MinuteAggregator, SqliteMetricsStore, StoreMetricsQuery } from '../metrics/index.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const MIN = 60_000;

function setup() {
  const metrics = new FakeMetrics();
  const fn = { metricName: 'Invocations', dimensions: { FunctionName: 'f' } };
  // 3 invokes in minute 0, 2 in minute 1, 1 in minute 3 of function f; 4 of g in minute 0.
  for (const m of [0, 0, 0, 1, 1, 3]) metrics.add(fn, T0 + m * MIN + 1000, 1);
  for (let i = 0; i < 4; i++) metrics.add({ metricName: 'Invocations', dimensions: { FunctionName: 'g' } }, T0 + 2000, 1);
  metrics.add({ metricName: 'Duration', dimensions: { FunctionName: 'f' } }, T0 + 5000, 12.5, 'Milliseconds');
  metrics.add({ metricName: 'Duration', dimensions: { FunctionName: 'f' } }, T0 + 6000, 40, 'Milliseconds');
  const ops = new CloudWatchOperations({ metrics, clock: { now: () => T0 + 10 * MIN } });
  return { metrics, ops };
}

const base = { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: [{ Name: 'FunctionName', Value: 'f' }], StartTime: new Date(T0), EndTime: new Date(T0 + 5 * MIN), Period: 60 };

test('GetMetricStatistics sums each minute of one series, with its unit', () => {
  const { ops } = setup();
  const out = ops.getMetricStatistics({ ...base, Statistics: ['Sum', 'SampleCount'] });
  assert.equal(out.Label, 'Invocations');
  assert.deepEqual(out.Datapoints, [
    { Timestamp: new Date(T0), SampleCount: 3, Sum: 3, Unit: 'Count' },
    { Timestamp: new Date(T0 + MIN), SampleCount: 2, Sum: 2, Unit: 'Count' },
    { Timestamp: new Date(T0 + 3 * MIN), SampleCount: 1, Sum: 1, Unit: 'Count' },
  ]);
  const five = ops.getMetricStatistics({ ...base, Period: 300, Statistics: ['Sum'] });
  assert.deepEqual(five.Datapoints, [{ Timestamp: new Date(T0), Sum: 6, Unit: 'Count' }]);
  // StartTime is rounded down to the minute; a sub-minute period reads minutes.
  const rounded = ops.getMetricStatistics({ ...base, StartTime: new Date(T0 + 30_000), Period: 10, Statistics: ['Sum'] });
  assert.equal((rounded.Datapoints as unknown[]).length, 3);
});

test('GetMetricStatistics: percentiles, unit filter', () => {
  const { ops } = setup();
  const out = ops.getMetricStatistics({ ...base, MetricName: 'Duration', ExtendedStatistics: ['p50', 'p99.9'] });
  const [dp] = out.Datapoints as { ExtendedStatistics: Map<string, number>; Unit: string }[];
  assert.deepEqual([...dp!.ExtendedStatistics], [['p50', 12.5], ['p99.9', 40]]);
  assert.equal(dp!.Unit, 'Milliseconds');
  assert.deepEqual(ops.getMetricStatistics({ ...base, MetricName: 'Duration', Statistics: ['Maximum'], Unit: 'Seconds' }).Datapoints, []);
});

test('GetMetricStatistics validation errors carry AWS codes', () => {
  const { ops } = setup();
  const cases: [Record<string, unknown>, new (m: string) => Error, RegExp][] = [
    [{ ...base, Statistics: ['Sum'], Namespace: undefined }, CloudWatchErrors.MissingParameter, /The parameter Namespace is required/],
    [{ ...base, Statistics: ['Sum'], StartTime: undefined }, CloudWatchErrors.MissingParameter, /StartTime is required/],
    [{ ...base }, CloudWatchErrors.MissingParameter, /Statistics and ExtendedStatistics/],
    [{ ...base, Statistics: ['Sum'], ExtendedStatistics: ['p99'] }, CloudWatchErrors.InvalidParameterCombination, /not both/],
    [{ ...base, Statistics: ['Total'] }, CloudWatchErrors.InvalidParameterValue, /Statistics.member.1 must be a value in the set/],
    [{ ...base, Statistics: ['Sum', 'Sum', 'Sum', 'Sum', 'Sum', 'Sum'] }, CloudWatchErrors.InvalidParameterValue, /greater than 5/],
    [{ ...base, ExtendedStatistics: ['p101'] }, CloudWatchErrors.InvalidParameterValue, /p101/],
    [{ ...base, Statistics: ['Sum'], Period: 90 }, CloudWatchErrors.InvalidParameterValue, /multiple of 60/],
    [{ ...base, Statistics: ['Sum'], Period: 0 }, CloudWatchErrors.InvalidParameterValue, /greater than 0/],
    [{ ...base, Statistics: ['Sum'], EndTime: new Date(T0) }, CloudWatchErrors.InvalidParameterValue, /StartTime must be less than the parameter EndTime/],
    [{ ...base, Statistics: ['Sum'], Unit: 'Furlongs' }, CloudWatchErrors.InvalidParameterValue, /Unit must be a value in the set/],
    [{ ...base, Statistics: ['Sum'], Namespace: ':x' }, CloudWatchErrors.InvalidParameterValue, /Namespace is not valid/],
    [{ ...base, Statistics: ['Sum'], EndTime: new Date(T0 + 1441 * MIN) }, CloudWatchErrors.InvalidParameterCombination, /requested up to 1,441 datapoints, which exceeds the limit of 1,440/],
  ];
  for (const [input, Cls, message] of cases) assert.throws(() => ops.getMetricStatistics(input as never), (e: Error) => e instanceof Cls && message.test(e.message), JSON.stringify(input));
  // Exactly 1,440 is allowed.
  ops.getMetricStatistics({ ...base, Statistics: ['Sum'], EndTime: new Date(T0 + 1440 * MIN) });
});

test('GetMetricData: descending by default, ascending on ask, labels, ReturnData', () => {
  const { ops } = setup();
  const q = (id: string, fn: string, extra: Record<string, unknown> = {}) => ({ Id: id, MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: [{ Name: 'FunctionName', Value: fn }] }, Period: 60, Stat: 'Sum' }, ...extra });
  const out = ops.getMetricData({ MetricDataQueries: [q('f', 'f'), q('g', 'g', { Label: 'gee' }), q('hidden', 'f', { ReturnData: false })], StartTime: new Date(T0), EndTime: new Date(T0 + 5 * MIN) });
  assert.deepEqual(out.MetricDataResults, [
    { Id: 'f', Label: 'Invocations', Timestamps: [T0 + 3 * MIN, T0 + MIN, T0].map((t) => new Date(t)), Values: [1, 2, 3], StatusCode: 'Complete', Messages: [] },
    { Id: 'g', Label: 'gee', Timestamps: [new Date(T0)], Values: [4], StatusCode: 'Complete', Messages: [] },
  ]);
  assert.equal(out.NextToken, undefined);
  const asc = ops.getMetricData({ MetricDataQueries: [q('f', 'f')], StartTime: new Date(T0), EndTime: new Date(T0 + 5 * MIN), ScanBy: 'TimestampAscending' });
  assert.deepEqual((asc.MetricDataResults as { Values: number[] }[])[0]!.Values, [3, 2, 1]);
});

test('GetMetricData pages by MaxDatapoints and refuses foreign tokens', () => {
  const { ops } = setup();
  const q = (id: string, fn: string) => ({ Id: id, MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: [{ Name: 'FunctionName', Value: fn }] }, Period: 60, Stat: 'Sum' } });
  const input = { MetricDataQueries: [q('f', 'f'), q('g', 'g')], StartTime: new Date(T0), EndTime: new Date(T0 + 5 * MIN), MaxDatapoints: 2 };
  const one = ops.getMetricData(input);
  const r1 = one.MetricDataResults as { Values: number[]; StatusCode: string }[];
  assert.deepEqual(r1.map((r) => [r.Values, r.StatusCode]), [[[1, 2], 'PartialData'], [[], 'PartialData']]);
  const two = ops.getMetricData({ ...input, NextToken: one.NextToken as string });
  const r2 = two.MetricDataResults as { Values: number[]; StatusCode: string }[];
  assert.deepEqual(r2.map((r) => [r.Values, r.StatusCode]), [[[3], 'Complete'], [[4], 'Complete']]);
  assert.equal(two.NextToken, undefined);
  assert.throws(() => ops.getMetricData({ ...input, MaxDatapoints: 3, NextToken: one.NextToken as string }), CloudWatchErrors.InvalidNextToken);
  assert.throws(() => ops.getMetricData({ ...input, NextToken: 'garbage' }), CloudWatchErrors.InvalidNextToken);
});

test('GetMetricData validation: ids, expressions, stats', () => {
  const { ops } = setup();
  const stat = { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations' }, Period: 60, Stat: 'Sum' };
  const w = { StartTime: new Date(T0), EndTime: new Date(T0 + MIN) };
  assert.throws(() => ops.getMetricData({ ...w }), /MetricDataQueries is required/);
  assert.throws(() => ops.getMetricData({ ...w, MetricDataQueries: [{ Id: 'Bad', MetricStat: stat }] }), CloudWatchErrors.InvalidParameterValue);
  assert.throws(() => ops.getMetricData({ ...w, MetricDataQueries: [{ Id: 'a', MetricStat: stat }, { Id: 'a', MetricStat: stat }] }), /not unique/);
  assert.throws(() => ops.getMetricData({ ...w, MetricDataQueries: [{ Id: 'e', Expression: 'SUM(METRICS())' }] }), (e: Error) => e instanceof CloudWatchErrors.InvalidParameterValue && /does not evaluate metric math/.test(e.message));
  assert.throws(() => ops.getMetricData({ ...w, MetricDataQueries: [{ Id: 'a', MetricStat: { ...stat, Stat: 'tm99' } }] }), /tm99/);
  assert.throws(() => ops.getMetricData({ ...w, MetricDataQueries: [{ Id: 'a', MetricStat: { ...stat, Period: 7 } }] }), /MetricStat.Period must be 1, 5, 10, 30/);
  assert.throws(() => ops.getMetricData({ ...w, MetricDataQueries: [{ Id: 'a' }] }), CloudWatchErrors.MissingParameter);
  assert.throws(() => ops.getMetricData({ ...w, MetricDataQueries: [{ Id: 'a', MetricStat: stat }], ScanBy: 'Sideways' }), /ScanBy/);
});

test('ListMetrics filters by name and dimension, pages by 500, and RecentlyActive', () => {
  const { metrics, ops } = setup();
  const all = ops.listMetrics({}).Metrics as { MetricName: string; Dimensions: unknown[] }[];
  assert.deepEqual(all.map((m) => m.MetricName), ['Duration', 'Invocations', 'Invocations']);
  assert.deepEqual(ops.listMetrics({ MetricName: 'Invocations', Dimensions: [{ Name: 'FunctionName', Value: 'g' }] }).Metrics, [
    { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: [{ Name: 'FunctionName', Value: 'g' }] },
  ]);
  assert.equal((ops.listMetrics({ Dimensions: [{ Name: 'FunctionName' }] }).Metrics as unknown[]).length, 3);
  assert.deepEqual(ops.listMetrics({ Namespace: 'Custom' }).Metrics, []);
  // An old series is listed, but not as recently active (the clock is 10 minutes after T0).
  metrics.add({ metricName: 'Errors', dimensions: {} }, T0 - 5 * 3_600_000, 1);
  assert.equal((ops.listMetrics({}).Metrics as unknown[]).length, 4);
  assert.equal((ops.listMetrics({ RecentlyActive: 'PT3H' }).Metrics as unknown[]).length, 3);
  assert.throws(() => ops.listMetrics({ RecentlyActive: 'PT1H' }), CloudWatchErrors.InvalidParameterValue);
  for (let i = 0; i < 600; i++) metrics.add({ metricName: 'Invocations', dimensions: { FunctionName: `fn-${String(i).padStart(3, '0')}` } }, T0, 1);
  const first = ops.listMetrics({ MetricName: 'Invocations' });
  assert.equal((first.Metrics as unknown[]).length, 500);
  const second = ops.listMetrics({ MetricName: 'Invocations', NextToken: first.NextToken as string });
  assert.equal((second.Metrics as unknown[]).length, 102);
  assert.equal(second.NextToken, undefined);
  assert.throws(() => ops.listMetrics({ MetricName: 'Duration', NextToken: first.NextToken as string }), CloudWatchErrors.InvalidNextToken);
});

test('percentile names: exactly those the store computes are accepted, the rest refused', () => {
  const { ops } = setup();
  const duration = { ...base, MetricName: 'Duration' };
  const [dp] = ops.getMetricStatistics({ ...duration, ExtendedStatistics: ['p100.0', 'p0.5', 'p99.1234567891'] }).Datapoints as { ExtendedStatistics: Map<string, number> }[];
  assert.deepEqual([...dp!.ExtendedStatistics.keys()], ['p100.0', 'p0.5', 'p99.1234567891']);
  const stat = { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Duration', Dimensions: [{ Name: 'FunctionName', Value: 'f' }] }, Period: 60 };
  const w = { StartTime: new Date(T0), EndTime: new Date(T0 + 5 * MIN) };
  const [r] = ops.getMetricData({ ...w, MetricDataQueries: [{ Id: 'a', MetricStat: { ...stat, Stat: 'p100.00' } }] }).MetricDataResults as { Values: number[] }[];
  assert.deepEqual(r!.Values, [40]);
  for (const name of ['p0', 'p0.0', 'p050', 'p100.5', 'p101', 'p99.12345678901', 'p', 'p-1', 'P99']) {
    assert.throws(() => ops.getMetricStatistics({ ...duration, ExtendedStatistics: [name] }), (e: Error) => e instanceof CloudWatchErrors.InvalidParameterValue && e.message.includes(name), name);
    assert.throws(() => ops.getMetricData({ ...w, MetricDataQueries: [{ Id: 'a', MetricStat: { ...stat, Stat: name } }] }), CloudWatchErrors.InvalidParameterValue, name);
  }
});

test('GetMetricData reads each series once per request and refuses requests past its read budget', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-cw-'));
  const store = new SqliteMetricsStore(path.join(dir, 'metrics.db'));
  try {
    const agg = new MinuteAggregator();
    for (const fn of ['f', 'g']) {
      const e = agg.entry('AWS/Lambda', 'Duration', 'Milliseconds', { FunctionName: fn });
      for (let m = 0; m < 60; m++) e.add(T0 + m * MIN, m);
    }
    store.write(agg.drain(), []);
    const reads: boolean[] = [];
    const points = store.points.bind(store);
    store.points = (series, from, to, options) => {
      reads.push(options?.sketches ?? false);
      return points(series, from, to, options);
    };
    const ops = new CloudWatchOperations({ metrics: new StoreMetricsQuery(store), clock: { now: () => T0 + 60 * MIN }, maxMinutesRead: 100 });
    const q = (id: string, fn: string, stat: string, period = 60) => ({ Id: id, MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Duration', Dimensions: [{ Name: 'FunctionName', Value: fn }] }, Period: period, Stat: stat } });
    const w = { StartTime: new Date(T0), EndTime: new Date(T0 + 60 * MIN) };
    // Sum, Average and Maximum at two periods, and p99, of one series: one read, with sketches, for all four.
    const out = ops.getMetricData({ ...w, MetricDataQueries: [q('a', 'f', 'Sum'), q('b', 'f', 'Average', 300), q('c', 'f', 'Maximum'), q('d', 'f', 'p99')] });
    assert.deepEqual(reads, [true]);
    reads.length = 0;
    // Without percentiles the sketches are not read.
    ops.getMetricData({ ...w, MetricDataQueries: [q('a', 'f', 'Sum'), q('b', 'f', 'Average', 300)] });
    assert.deepEqual(reads, [false]);
    const results = out.MetricDataResults as { Id: string; Values: number[] }[];
    assert.equal(results[0]!.Values.length, 60);
    assert.equal(results[1]!.Values.length, 12);
    assert.equal(results[3]!.Values[0], 59);
    // Two series of 60 minutes are 120 minutes read: past the budget of 100.
    assert.throws(
      () => ops.getMetricData({ ...w, MetricDataQueries: [q('a', 'f', 'Sum'), q('b', 'g', 'Sum')] }),
      (e: Error) => e instanceof CloudWatchErrors.InvalidParameterCombination && /more than 100 stored 1-minute datapoints/.test(e.message) && /500 queries and 100,800 datapoints/.test(e.message),
    );
    // Each request has a budget of its own.
    assert.equal((ops.getMetricStatistics({ ...base, MetricName: 'Duration', ...w, Statistics: ['Sum'] }).Datapoints as unknown[]).length, 60);
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
