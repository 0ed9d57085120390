import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Clock } from '../util/index.ts';
import { LambdaMetrics } from './recorder.ts';
import { SqliteMetricsStore } from './store.ts';
import { AWS_US_EAST_1_PRICES } from './usage.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

test('forget(functionName) drops a deleted function from memory and /metrics, keeping what was stored', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-recorder-'));
  const store = new SqliteMetricsStore(path.join(dir, 'metrics.db'));
  try {
    const metrics = new LambdaMetrics({
      store,
      clock: { now: () => T0 } as unknown as Clock,
      concurrency: { running: 0, unreservedRunning: 0, runningOf: () => 0 },
      provisioned: () => ({ requested: 0, busy: 0 }),
      prices: AWS_US_EAST_1_PRICES,
      retentionDays: 30,
      flushIntervalMs: 60_000,
    });
    const invoke = (name: string, qualifier?: string) => {
      const fn = { spec: { functionName: name, memorySize: 128, key: `${name}:1` }, executedVersion: '1' };
      const arn = `arn:aws:lambda:us-east-1:123456789012:function:${name}${qualifier ? `:${qualifier}` : ''}`;
      const t = metrics.started(fn, arn);
      metrics.finished(t, fn, { payload: Buffer.alloc(0), durationMs: 5, billedDurationMs: 5, maxMemoryUsedMB: 10 });
      metrics.received(name, qualifier);
    };
    invoke('gone');
    invoke('gone', 'live');
    invoke('kept');
    const before = metrics.target('gone', 'arn:aws:lambda:us-east-1:123456789012:function:gone', undefined);
    assert.match(await metrics.prom.registry.metrics(), /function_name="gone"/);

    metrics.forget('gone');
    const text = await metrics.prom.registry.metrics();
    assert.doesNotMatch(text, /function_name="gone"/);
    assert.match(text, /nimbus_lambda_invocations_total\{function_name="kept"/);
    assert.match(text, /nimbus_lambda_billed_requests_total\{function_name="kept"/);
    assert.notEqual(metrics.target('gone', 'arn:aws:lambda:us-east-1:123456789012:function:gone', undefined), before, 'its targets are made anew');
    // What it recorded was flushed first and stays queryable until the retention sweep.
    const [dp] = metrics.query.statistics({ namespace: 'AWS/Lambda', metricName: 'Invocations', dimensions: { FunctionName: 'gone' }, startTime: T0, endTime: T0 + 60_000, period: 60, statistics: ['Sum'] });
    assert.equal(dp?.values.Sum, 2);
    // A function of the same name made later starts from nothing in memory.
    invoke('gone');
    assert.match(await metrics.prom.registry.metrics(), /nimbus_lambda_invocations_total\{function_name="gone",resource="gone",executed_version=""\} 1/);
    metrics.close();
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
