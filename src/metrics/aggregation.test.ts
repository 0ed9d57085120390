import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MinuteAggregator, MINUTE_MS } from './aggregator.ts';
import { percentileOf, rollUp, StoreMetricsQuery } from './query.ts';
import { EXACT_MAX, RELATIVE_ERROR, Sketch } from './sketch.ts';
import { SqliteMetricsStore } from './store.ts';
import { usageReport, AWS_US_EAST_1_PRICES } from './usage.ts';

/** Nearest-rank percentile of a plain array: the reference the sketch is held to. */
function nearestRank(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
}

describe('Sketch', () => {
  it('is exact (nearest rank) while it keeps every value', () => {
    const s = new Sketch();
    for (const v of [5, 1, 4, 2, 3, 10, 9, 8, 7, 6]) s.add(v);
    assert.equal(s.percentile(50), 5);
    assert.equal(s.percentile(90), 9);
    assert.equal(s.percentile(99), 10);
    assert.equal(s.percentile(100), 10);
    assert.equal(s.percentile(1), 1);
    assert.equal(new Sketch().percentile(50), undefined);
  });

  it('stays within 1% of the true percentile past the exact sample, and after merging', () => {
    const values = Array.from({ length: 5000 }, (_, i) => 0.5 + ((i * 7919) % 5000) * 0.37);
    const a = new Sketch();
    const b = new Sketch();
    values.forEach((v, i) => (i % 2 ? a : b).add(v));
    a.merge(b);
    assert.equal(a.count, 5000);
    assert.ok(values.length > EXACT_MAX);
    for (const p of [50, 90, 99, 99.9]) {
      const got = a.percentile(p)!;
      const want = nearestRank(values, p);
      assert.ok(Math.abs(got - want) / want <= RELATIVE_ERROR + 1e-9, `p${p}: ${got} vs ${want}`);
    }
  });

  it('merges small sketches exactly and survives JSON', () => {
    const a = new Sketch();
    const b = new Sketch();
    [1, 2, 3].forEach((v) => a.add(v));
    [100, 0].forEach((v) => b.add(v));
    a.merge(b);
    const back = Sketch.fromJSON(JSON.parse(JSON.stringify(a)));
    assert.equal(back.count, 5);
    assert.equal(back.percentile(50), 2);
    assert.equal(back.percentile(100), 100);
    assert.equal(back.percentile(20), 0);
  });
});

describe('percentile statistics names', () => {
  it('accepts pNN and pNN.N as CloudWatch does', () => {
    assert.equal(percentileOf('p50'), 50);
    assert.equal(percentileOf('p99.9'), 99.9);
    assert.equal(percentileOf('p100'), 100);
    assert.equal(percentileOf('p0'), undefined);
    assert.equal(percentileOf('tm99'), undefined);
    assert.equal(percentileOf('p101'), undefined);
    assert.equal(percentileOf('p100.0'), 100);
    assert.equal(percentileOf('p0.5'), 0.5);
    assert.equal(percentileOf('p99.1234567891'), 99.1234567891);
    for (const refused of ['p0.0', 'p050', 'p100.1', 'p99.12345678901', 'p', 'p1e2']) assert.equal(percentileOf(refused), undefined, refused);
  });
});

describe('minute buckets and period roll-up', () => {
  const t0 = Date.UTC(2025, 0, 1, 12, 0, 0);

  it('keeps one bucket per series and minute, with count/sum/min/max', () => {
    const agg = new MinuteAggregator();
    const e = agg.entry('AWS/Lambda', 'Duration', 'Milliseconds', { FunctionName: 'f' });
    assert.equal(agg.entry('AWS/Lambda', 'Duration', 'Milliseconds', { FunctionName: 'f' }), e, 'the same series is one entry');
    e.add(t0 + 1000, 10);
    e.add(t0 + 59_999, 30);
    e.add(t0 + MINUTE_MS, 5);
    const [drained] = agg.drain();
    assert.deepEqual(
      drained!.buckets.map((b) => [b.minute, b.count, b.sum, b.min, b.max]),
      [
        [t0, 2, 40, 10, 30],
        [t0 + MINUTE_MS, 1, 5, 5, 5],
      ],
    );
    assert.deepEqual(agg.drain(), [], 'drained buckets are handed over once');
  });

  it('rolls minutes up into periods aligned to the start minute, with statistics and percentiles', () => {
    const sketchOf = (...v: number[]) => {
      const s = new Sketch();
      v.forEach((x) => s.add(x));
      return s;
    };
    const points = [
      { minute: t0, count: 2, sum: 30, min: 10, max: 20, sketch: sketchOf(10, 20) },
      { minute: t0 + 2 * MINUTE_MS, count: 1, sum: 40, min: 40, max: 40, sketch: sketchOf(40) },
      { minute: t0 + 5 * MINUTE_MS, count: 3, sum: 6, min: 1, max: 3, sketch: sketchOf(1, 2, 3) },
    ];
    const dps = rollUp(points, 'Milliseconds', t0 + 15_000, 300, ['SampleCount', 'Sum', 'Average', 'Minimum', 'Maximum'], ['p50', 'p99', 'p10']);
    assert.deepEqual(dps, [
      { timestamp: t0, unit: 'Milliseconds', values: { SampleCount: 3, Sum: 70, Average: 70 / 3, Minimum: 10, Maximum: 40 }, extended: { p50: 20, p99: 40, p10: 10 } },
      { timestamp: t0 + 5 * MINUTE_MS, unit: 'Milliseconds', values: { SampleCount: 3, Sum: 6, Average: 2, Minimum: 1, Maximum: 3 }, extended: { p50: 2, p99: 3, p10: 1 } },
    ]);
    // One-minute periods: one datapoint per minute that has data.
    assert.deepEqual(
      rollUp(points, 'Milliseconds', t0, 60, ['Sum']).map((d) => [d.timestamp, d.values.Sum]),
      [
        [t0, 30],
        [t0 + 2 * MINUTE_MS, 40],
        [t0 + 5 * MINUTE_MS, 6],
      ],
    );
  });
});

describe('SqliteMetricsStore and StoreMetricsQuery', () => {
  const t0 = Date.UTC(2025, 0, 1, 12, 0, 0);

  it('merges a minute written twice, lists series by filter, answers statistics and sweeps', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-metrics-'));
    const store = new SqliteMetricsStore(path.join(dir, 'metrics.db'));
    try {
      const agg = new MinuteAggregator();
      const query = new StoreMetricsQuery(store, () => store.write(agg.drain(), []));
      const fnDur = agg.entry('AWS/Lambda', 'Duration', 'Milliseconds', { FunctionName: 'f' });
      const aliasDur = agg.entry('AWS/Lambda', 'Duration', 'Milliseconds', { FunctionName: 'f', Resource: 'f:live', ExecutedVersion: '2' });
      const inv = agg.entry('AWS/Lambda', 'Invocations', 'Count', {});
      fnDur.add(t0, 10);
      inv.add(t0, 1);
      store.write(agg.drain(), []);
      // The same minute again (a later flush, or after a restart): merged, not replaced.
      fnDur.add(t0 + 30_000, 30);
      aliasDur.add(t0 + 30_000, 30);
      inv.add(t0 + 30_000, 1);

      assert.deepEqual(
        query.list({ namespace: 'AWS/Lambda', metricName: 'Duration' }).map((s) => s.dimensions),
        [{ ExecutedVersion: '2', FunctionName: 'f', Resource: 'f:live' }, { FunctionName: 'f' }],
      );
      assert.deepEqual(query.list({ dimensions: [{ name: 'ExecutedVersion' }] }).length, 1);
      assert.deepEqual(query.list({ dimensions: [{ name: 'FunctionName', value: 'g' }] }), []);
      assert.deepEqual(query.list({ metricName: 'Invocations' }), [{ namespace: 'AWS/Lambda', metricName: 'Invocations', dimensions: {} }]);

      const [dp] = query.statistics({
        namespace: 'AWS/Lambda',
        metricName: 'Duration',
        dimensions: { FunctionName: 'f' },
        startTime: t0,
        endTime: t0 + MINUTE_MS,
        period: 60,
        statistics: ['SampleCount', 'Average', 'Maximum'],
        extendedStatistics: ['p50'],
      });
      assert.deepEqual(dp, { timestamp: t0, unit: 'Milliseconds', values: { SampleCount: 2, Average: 20, Maximum: 30 }, extended: { p50: 10 } });
      assert.deepEqual(
        query.statistics({ namespace: 'AWS/Lambda', metricName: 'Invocations', dimensions: {}, startTime: t0, endTime: t0 + MINUTE_MS, period: 60, statistics: ['Sum'], extendedStatistics: ['p50'] }),
        [{ timestamp: t0, unit: 'Count', values: { Sum: 2 } }],
        'no percentiles of Count series',
      );
      assert.deepEqual(query.statistics({ namespace: 'AWS/Lambda', metricName: 'Duration', dimensions: { FunctionName: 'f' }, startTime: t0 + MINUTE_MS, endTime: t0 + 5 * MINUTE_MS, period: 60, statistics: ['Sum'] }), []);
      assert.deepEqual(query.statistics({ namespace: 'AWS/Lambda', metricName: 'Nope', dimensions: {}, startTime: t0, endTime: t0 + MINUTE_MS, period: 60, statistics: ['Sum'] }), []);

      // Sketches are read (and parsed) only when percentiles are asked for; a limit stops the read.
      const fSeries = { namespace: 'AWS/Lambda', metricName: 'Duration', dimensions: { FunctionName: 'f' } };
      assert.deepEqual(store.points(fSeries, t0, t0 + MINUTE_MS)!.points, [{ minute: t0, count: 2, sum: 40, min: 10, max: 30 }]);
      assert.ok(store.points(fSeries, t0, t0 + MINUTE_MS, { sketches: true })!.points[0]!.sketch instanceof Sketch);
      assert.deepEqual(store.points(fSeries, t0, t0 + MINUTE_MS, { limit: 0 })!.points, []);

      store.sweep(t0 + MINUTE_MS);
      assert.deepEqual(query.list({}), [], 'swept series are no longer listed');
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('usageReport', () => {
  it('adds GB-seconds from billed ms and memory, per function and in total, priced per architecture', () => {
    const rows = [
      { functionName: 'a', minute: 0, architecture: 'x86_64', memoryMb: 128, requests: 2, billedMs: 300 },
      { functionName: 'a', minute: 60_000, architecture: 'x86_64', memoryMb: 1024, requests: 1, billedMs: 1000 },
      { functionName: 'b', minute: 0, architecture: 'arm64', memoryMb: 2048, requests: 1, billedMs: 500 },
    ];
    const r = usageReport(rows, AWS_US_EAST_1_PRICES, 0, 120_000);
    assert.deepEqual(
      r.functions.map((f) => [f.functionName, f.requests, f.billedMs, f.gbSeconds]),
      [
        ['a', 3, 1300, (300 * 128 + 1000 * 1024) / 1000 / 1024],
        ['b', 1, 500, 1],
      ],
    );
    const aCost = (3 * 0.2) / 1e6 + ((300 * 128 + 1000 * 1024) / 1000 / 1024) * 0.0000166667;
    const bCost = 0.2 / 1e6 + 1 * 0.0000133334;
    assert.ok(Math.abs(r.functions[0]!.cost - aCost) < 1e-15);
    assert.ok(Math.abs(r.functions[1]!.cost - bCost) < 1e-15);
    assert.equal(r.total.requests, 4);
    assert.equal(r.total.billedMs, 1800);
    assert.ok(Math.abs(r.total.cost - aCost - bCost) < 1e-15);
    assert.deepEqual(usageReport(rows, AWS_US_EAST_1_PRICES, 0, 1, 'b').functions.map((f) => f.functionName), ['b']);
  });
});
