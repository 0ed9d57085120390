/**
 * Metrics and metered usage end to end: a known mix of successes, function errors, throttles
 * (reserved concurrency 0 → 429), cold starts, alias and provisioned invocations and async
 * events (some dropped, one whose OnFailure destination cannot take its record), then every
 * count checked exactly in GET /metrics (Prometheus text, parsed) and in MetricsQuery, and
 * `nimbus usage` checked against the REPORT lines the functions logged.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  LambdaClient,
  PublishVersionCommand,
  PutFunctionConcurrencyCommand,
  PutFunctionEventInvokeConfigCommand,
  PutProvisionedConcurrencyConfigCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { startNimbus, type Nimbus } from '../src/main.ts';
import type { Statistic } from '../src/metrics/index.ts';
import { ManualClock } from '../src/sandbox/test-helpers.ts';
import { parsePrometheusText, sampleValue, sumOf, type Exposition } from './helpers/prometheus-text.ts';
import { TEST_CREDENTIALS, writeTestCredentials } from './helpers/server.ts';
import { ensureStandardRoles } from './helpers/iam.ts';
import { zipFiles } from './helpers/zip.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/nimbus.js');
const ROLE = 'arn:aws:iam::123456789012:role/r';
const OK = `exports.handler = async (e) => { if (e && e.sleep) await new Promise((r) => setTimeout(r, e.sleep)); return { n: e && e.n }; };`;
const THROWS = `exports.handler = async () => { throw new Error('boom'); };`;

let nimbus: Nimbus;
let lambda: LambdaClient;
let logs: CloudWatchLogsClient;
const clock = new ManualClock();
const asyncClock = new ManualClock();
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-metrics-'));

async function create(name: string, source: string, extra: { MemorySize?: number; Architectures?: Array<'x86_64' | 'arm64'> } = {}): Promise<void> {
  await lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await zipFiles({ 'index.js': source }) }, ...extra }));
}

async function invoke(name: string, payload: unknown = {}, qualifier?: string): Promise<void> {
  const out = await lambda.send(new InvokeCommand({ FunctionName: name, Payload: JSON.stringify(payload), ...(qualifier ? { Qualifier: qualifier } : {}) }));
  assert.equal(out.StatusCode, 200);
}

async function scrape(): Promise<Exposition> {
  const res = await fetch(`${nimbus.endpoint}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await res.text());
}

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** One datapoint covering the whole test (the main clock never moves, so all of it is one minute). */
function stat(metricName: string, dimensions: Record<string, string>, statistics: Statistic[] = ['Sum'], extendedStatistics?: string[], namespace = 'AWS/Lambda') {
  const now = clock.now();
  const dps = nimbus.metrics.statistics({
    namespace,
    metricName,
    dimensions,
    startTime: now - 10 * 60_000,
    endTime: now + 10 * 60_000,
    period: 3600,
    statistics,
    ...(extendedStatistics ? { extendedStatistics } : {}),
  });
  assert.ok(dps.length <= 1, `one period: ${JSON.stringify(dps)}`);
  return dps[0];
}

function sum(metricName: string, dimensions: Record<string, string>, namespace = 'AWS/Lambda'): number {
  return stat(metricName, dimensions, ['Sum'], undefined, namespace)?.values.Sum ?? 0;
}

before(async () => {
  writeTestCredentials(dataDir);
  nimbus = await startNimbus({ port: 0, dataDir, logLevel: 'silent' }, { clock, asyncClock });
  await ensureStandardRoles(nimbus.endpoint);
  const config = { endpoint: nimbus.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 };
  lambda = new LambdaClient(config);
  logs = new CloudWatchLogsClient(config);

  await create('ok', OK, { MemorySize: 256 });
  await create('fails', THROWS);
  await create('capped', OK);
  await create('aliased', OK, { Architectures: ['arm64'], MemorySize: 512 });
  await create('prov', OK);
  await create('dropper', THROWS);
  await create('undeliverable', THROWS);

  // Sync: 3 successes (1 cold start), 2 function errors (1 cold start), 2 throttles.
  for (let n = 0; n < 3; n++) await invoke('ok', { n });
  for (let n = 0; n < 2; n++) await invoke('fails');
  await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'capped', ReservedConcurrentExecutions: 0 }));
  for (let n = 0; n < 2; n++) await assert.rejects(invoke('capped'), TooManyRequestsException);

  // An alias of version 1, invoked twice, and $LATEST once: two environments, two cold starts.
  await lambda.send(new PublishVersionCommand({ FunctionName: 'aliased' }));
  await lambda.send(new CreateAliasCommand({ FunctionName: 'aliased', Name: 'live', FunctionVersion: '1' }));
  await invoke('aliased', {}, 'live');
  await invoke('aliased', {}, 'live');
  await invoke('aliased');

  // Provisioned version 1 (one environment): two invocations on it, then two at once, one spilling over.
  await lambda.send(new PublishVersionCommand({ FunctionName: 'prov' }));
  await lambda.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'prov', Qualifier: '1', ProvisionedConcurrentExecutions: 1 }));
  await until('provisioned READY', async () => (await lambda.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'prov', Qualifier: '1' }))).Status === 'READY');
  await invoke('prov', {}, '1');
  await invoke('prov', {}, '1');
  await Promise.all([invoke('prov', { sleep: 500 }, '1'), new Promise((r) => setTimeout(r, 100)).then(() => invoke('prov', { sleep: 500 }, '1'))]);

  // Async: one success, two dropped (no retries, no destination), one whose destination cannot take its record.
  await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'dropper', MaximumRetryAttempts: 0 }));
  await lambda.send(
    new PutFunctionEventInvokeConfigCommand({
      FunctionName: 'undeliverable',
      MaximumRetryAttempts: 0,
      DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:us-east-1:123456789012:nowhere' } },
    }),
  );
  const event = async (name: string) => assert.equal((await lambda.send(new InvokeCommand({ FunctionName: name, InvocationType: 'Event', Payload: '{}' }))).StatusCode, 202);
  await event('ok');
  await event('dropper');
  // One at a time: each runs in the same warm environment (one cold start).
  await until('first dropped', () => nimbus.queue.failed('dropper').length === 1);
  await event('dropper');
  await event('undeliverable');
  await until('async events done', () => nimbus.queue.failed('dropper').length === 2 && nimbus.queue.failed('undeliverable').length === 1 && nimbus.queue.depth() === 0);
});

after(async () => {
  lambda?.destroy();
  logs?.destroy();
  await nimbus?.close(1000);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('Lambda metrics', () => {
  it('GET /metrics has exact counts per function, resource and executed version', async () => {
    const m = await scrape();
    assert.equal(m.types.get('nimbus_lambda_invocations_total'), 'counter');
    assert.equal(m.types.get('nimbus_lambda_duration_seconds'), 'histogram');
    const inv = (labels: Record<string, string>) => sumOf(m, 'nimbus_lambda_invocations_total', labels);
    assert.equal(inv({ function_name: 'ok' }), 4);
    assert.equal(inv({ function_name: 'fails' }), 2);
    assert.equal(inv({ function_name: 'capped' }), 0, 'throttled requests are not invocations');
    assert.equal(inv({ function_name: 'dropper' }), 2);
    assert.equal(inv({ function_name: 'undeliverable' }), 1);
    assert.equal(sampleValue(m, 'nimbus_lambda_invocations_total', { function_name: 'aliased', resource: 'aliased:live', executed_version: '1' }), 2);
    assert.equal(sampleValue(m, 'nimbus_lambda_invocations_total', { function_name: 'aliased', resource: 'aliased', executed_version: '' }), 1);
    assert.equal(sampleValue(m, 'nimbus_lambda_invocations_total', { function_name: 'prov', resource: 'prov:1' }), 4);
    assert.equal(inv({}), 16);

    assert.equal(sumOf(m, 'nimbus_lambda_errors_total', { function_name: 'fails' }), 2);
    assert.equal(sumOf(m, 'nimbus_lambda_errors_total', { function_name: 'ok' }), 0);
    assert.equal(sumOf(m, 'nimbus_lambda_errors_total'), 5);
    assert.equal(sumOf(m, 'nimbus_lambda_throttles_total', { function_name: 'capped' }), 2);
    assert.equal(sumOf(m, 'nimbus_lambda_throttles_total'), 2);
    // Every invocation has one duration observation.
    assert.equal(sumOf(m, 'nimbus_lambda_duration_seconds_count'), 16);
    assert.equal(sumOf(m, 'nimbus_lambda_duration_seconds_count', { function_name: 'ok' }), 4);

    // Cold starts: ok, fails, aliased:1, aliased $LATEST, dropper, undeliverable, and prov's spillover.
    assert.equal(sumOf(m, 'nimbus_lambda_cold_starts_total', { function_name: 'ok' }), 1);
    assert.equal(sumOf(m, 'nimbus_lambda_cold_starts_total', { function_name: 'aliased' }), 2);
    assert.equal(sumOf(m, 'nimbus_lambda_cold_starts_total', { function_name: 'prov' }), 1);
    assert.equal(sumOf(m, 'nimbus_lambda_cold_starts_total'), 7);
    assert.equal(sumOf(m, 'nimbus_lambda_init_duration_seconds_count'), 7);
    assert.ok(sumOf(m, 'nimbus_lambda_init_duration_seconds_sum') > 0);

    assert.equal(sampleValue(m, 'nimbus_lambda_provisioned_concurrency_invocations_total', { resource: 'prov:1' }), 3);
    assert.equal(sampleValue(m, 'nimbus_lambda_provisioned_concurrency_spillover_invocations_total', { resource: 'prov:1' }), 1);

    assert.equal(sumOf(m, 'nimbus_lambda_async_events_received_total', { function_name: 'ok' }), 1);
    assert.equal(sumOf(m, 'nimbus_lambda_async_events_received_total', { function_name: 'dropper' }), 2);
    assert.equal(sumOf(m, 'nimbus_lambda_async_events_received_total'), 4);
    assert.equal(sumOf(m, 'nimbus_lambda_async_events_dropped_total', { function_name: 'dropper' }), 2);
    assert.equal(sumOf(m, 'nimbus_lambda_async_events_dropped_total'), 3);
    assert.equal(sumOf(m, 'nimbus_lambda_destination_delivery_failures_total', { function_name: 'undeliverable' }), 1);
    assert.equal(sumOf(m, 'nimbus_lambda_destination_delivery_failures_total'), 1);
    assert.equal(sumOf(m, 'nimbus_lambda_async_event_age_seconds_count'), 4);

    // Nothing runs now.
    assert.equal(sumOf(m, 'nimbus_lambda_concurrent_executions'), 0);
    assert.equal(sampleValue(m, 'nimbus_lambda_unreserved_concurrent_executions'), 0);
    assert.equal(sumOf(m, 'nimbus_lambda_billed_requests_total'), 16);
  });

  it('MetricsQuery has the same counts, at every dimension level AWS documents', () => {
    assert.equal(sum('Invocations', {}), 16, 'account-wide');
    assert.equal(sum('Invocations', { FunctionName: 'ok' }), 4);
    assert.equal(sum('Invocations', { FunctionName: 'ok', Resource: 'ok' }), 4);
    assert.equal(sum('Invocations', { FunctionName: 'aliased' }), 3);
    assert.equal(sum('Invocations', { FunctionName: 'aliased', Resource: 'aliased:live' }), 2);
    assert.equal(sum('Invocations', { FunctionName: 'aliased', Resource: 'aliased:live', ExecutedVersion: '1' }), 2);
    assert.equal(sum('Invocations', { FunctionName: 'capped' }), 0);
    assert.equal(sum('Errors', {}), 5);
    assert.equal(sum('Errors', { FunctionName: 'fails' }), 2);
    // Errors is sent for every invocation (0 or 1): its Average is the error rate.
    assert.deepEqual(stat('Errors', { FunctionName: 'fails' }, ['SampleCount', 'Average'])?.values, { SampleCount: 2, Average: 1 });
    assert.equal(sum('Throttles', { FunctionName: 'capped' }), 2);
    assert.equal(sum('Throttles', { FunctionName: 'capped', Resource: 'capped' }), 2);
    assert.equal(sum('Throttles', {}), 2);

    const d = stat('Duration', { FunctionName: 'ok' }, ['SampleCount', 'Average', 'Minimum', 'Maximum'], ['p50', 'p90', 'p99', 'p99.9']);
    assert.equal(d?.unit, 'Milliseconds');
    assert.equal(d?.values.SampleCount, 4);
    const { Minimum, Maximum, Average } = d!.values as Record<string, number>;
    assert.ok(Minimum! > 0 && Minimum! <= Average! && Average! <= Maximum!);
    assert.ok(d!.extended!.p50! >= Minimum! && d!.extended!.p50! <= d!.extended!.p90! && d!.extended!.p99! <= Maximum!);
    assert.equal(d!.extended!['p99.9'], Maximum, 'nearest rank of 4 samples');

    assert.equal(sum('ColdStarts', {}, 'Nimbus/Lambda'), 7);
    assert.equal(stat('InitDuration', { FunctionName: 'ok' }, ['SampleCount'], undefined, 'Nimbus/Lambda')?.values.SampleCount, 1);

    assert.equal(sum('ProvisionedConcurrencyInvocations', { FunctionName: 'prov', Resource: 'prov:1' }), 3);
    assert.equal(sum('ProvisionedConcurrencySpilloverInvocations', { FunctionName: 'prov', Resource: 'prov:1' }), 1);
    assert.equal(stat('ProvisionedConcurrentExecutions', { FunctionName: 'prov', Resource: 'prov:1' }, ['Maximum'])?.values.Maximum, 1);
    assert.equal(stat('ProvisionedConcurrencyUtilization', { FunctionName: 'prov', Resource: 'prov:1' }, ['Maximum'])?.values.Maximum, 1);
    // The spillover ran beside the provisioned one: two at once.
    assert.equal(stat('ConcurrentExecutions', { FunctionName: 'prov' }, ['Maximum'])?.values.Maximum, 2);
    assert.equal(stat('ConcurrentExecutions', { FunctionName: 'ok' }, ['Maximum'])?.values.Maximum, 1);
    assert.ok((stat('UnreservedConcurrentExecutions', {}, ['Maximum'])?.values.Maximum ?? 0) >= 1);

    assert.equal(sum('AsyncEventsReceived', {}), 4);
    assert.equal(sum('AsyncEventsReceived', { FunctionName: 'dropper', Resource: 'dropper' }), 2);
    assert.equal(sum('AsyncEventsDropped', { FunctionName: 'dropper' }), 2);
    assert.equal(sum('AsyncEventsDropped', {}), 3);
    assert.equal(sum('DestinationDeliveryFailures', { FunctionName: 'undeliverable' }), 1);
    assert.equal(stat('AsyncEventAge', {}, ['SampleCount'])?.values.SampleCount, 4);
    assert.equal(stat('AsyncEventAge', {}, ['SampleCount'])?.unit, 'Milliseconds');
  });

  it('lists series as ListMetrics filters them', () => {
    const aliasSeries = nimbus.metrics.list({ namespace: 'AWS/Lambda', metricName: 'Invocations', dimensions: [{ name: 'ExecutedVersion' }] });
    assert.deepEqual(aliasSeries, [{ namespace: 'AWS/Lambda', metricName: 'Invocations', dimensions: { FunctionName: 'aliased', Resource: 'aliased:live', ExecutedVersion: '1' } }]);
    const ok = nimbus.metrics.list({ dimensions: [{ name: 'FunctionName', value: 'ok' }] }).map((s) => `${s.namespace} ${s.metricName} ${Object.keys(s.dimensions).length}`);
    for (const want of ['AWS/Lambda Invocations 1', 'AWS/Lambda Invocations 2', 'AWS/Lambda Duration 1', 'AWS/Lambda AsyncEventsReceived 1', 'Nimbus/Lambda ColdStarts 1']) assert.ok(ok.includes(want), want);
    assert.deepEqual(nimbus.metrics.list({ namespace: 'AWS/Lambda', dimensions: [{ name: 'FunctionName', value: 'capped' }] }).map((s) => s.metricName).sort(), ['Throttles', 'Throttles']);
  });

  it('answers one datapoint per minute with data for 60 s periods', async () => {
    const before = sum('Invocations', {});
    clock.advance(2 * 60_000);
    await invoke('ok');
    const now = clock.now();
    const dps = nimbus.metrics.statistics({ namespace: 'AWS/Lambda', metricName: 'Invocations', dimensions: {}, startTime: now - 5 * 60_000, endTime: now + 60_000, period: 60, statistics: ['Sum'] });
    assert.equal(dps.length, 2, 'two minutes with data');
    assert.equal(dps[1]!.values.Sum, 1);
    assert.equal(dps[0]!.values.Sum, before);
    assert.ok(dps[0]!.timestamp < dps[1]!.timestamp);
  });

  it('answers GET /metrics only unsigned: a signed request for a bucket named "metrics" is S3\'s', async () => {
    const res = await fetch(`${nimbus.endpoint}/metrics`, { headers: { Authorization: 'AWS4-HMAC-SHA256 Credential=x' } });
    assert.notEqual(res.headers.get('content-type')?.startsWith('text/plain; version=0.0.4'), true);
    await res.arrayBuffer();
  });
});

describe('nimbus usage', () => {
  /** Requests, billed ms and GB-seconds a function's REPORT lines add up to. */
  async function fromReports(fn: string): Promise<{ requests: number; billedMs: number; gbSeconds: number }> {
    const out = await logs.send(new FilterLogEventsCommand({ logGroupName: `/aws/lambda/${fn}`, filterPattern: '"REPORT RequestId"' }));
    let requests = 0;
    let billedMs = 0;
    let mbMs = 0;
    for (const e of out.events ?? []) {
      const m = /Billed Duration: (\d+) ms\tMemory Size: (\d+) MB/.exec(e.message ?? '');
      assert.ok(m, e.message);
      requests++;
      billedMs += Number(m[1]);
      mbMs += Number(m[1]) * Number(m[2]);
    }
    return { requests, billedMs, gbSeconds: mbMs / 1000 / 1024 };
  }

  async function cli(...args: string[]): Promise<string> {
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, ...args, '--endpoint', nimbus.endpoint, '--data-dir', dataDir], { timeout: 30_000 });
    return stdout;
  }

  it('prints requests, billed ms and GB-seconds that agree with the REPORT lines, and the AWS price', async () => {
    const out = await cli('usage');
    const rows = new Map(
      out
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => {
          const cells = line.split(/\s{2,}/);
          return [cells[0]!, cells] as const;
        }),
    );
    let total = { requests: 0, billedMs: 0, gbSeconds: 0, cost: 0 };
    for (const fn of ['ok', 'fails', 'aliased', 'prov', 'dropper', 'undeliverable']) {
      const want = await fromReports(fn);
      const row = rows.get(fn);
      assert.ok(row, `${fn} in:\n${out}`);
      assert.equal(Number(row[2]), want.requests, `${fn} requests`);
      assert.equal(Number(row[3]), want.billedMs, `${fn} billed ms`);
      assert.equal(row[4], want.gbSeconds.toFixed(6), `${fn} GB-seconds`);
      const price = fn === 'aliased' ? 0.0000133334 : 0.0000166667;
      const cost = (want.requests * 0.2) / 1e6 + want.gbSeconds * price;
      assert.equal(row[5], `$${cost.toFixed(10)}`, `${fn} price`);
      total = { requests: total.requests + want.requests, billedMs: total.billedMs + want.billedMs, gbSeconds: total.gbSeconds + want.gbSeconds, cost: total.cost + cost };
    }
    assert.equal(rows.get('aliased')![1], 'arm64');
    assert.equal(rows.get('ok')![1], 'x86_64');
    assert.equal(rows.has('capped'), false, 'throttled requests are not billed');
    const t = rows.get('TOTAL')!;
    assert.equal(Number(t[1]), total.requests, 'TOTAL requests (no ARCH cell)');
    assert.equal(Number(t[2]), total.billedMs);
    assert.equal(t[3], total.gbSeconds.toFixed(6));

    const one = JSON.parse(await cli('usage', '--function', 'fails', '--json', '--since', '1h')) as { Functions: Array<{ FunctionName: string; Requests: number }> };
    assert.deepEqual(
      one.Functions.map((f) => [f.FunctionName, f.Requests]),
      [['fails', 2]],
    );
  });
});
