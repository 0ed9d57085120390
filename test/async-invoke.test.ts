/**
 * Asynchronous invocation end to end, through the Lambda API: retries on the queue's
 * clock (advanced by the test, never slept), event-invoke config, OnSuccess/OnFailure
 * destinations with AWS's invocation record, throttled events that wait, and
 * `nimbus events failed|redrive` for events that reached no destination.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  CreateFunctionCommand,
  DeleteFunctionConcurrencyCommand,
  InvokeAsyncCommand,
  InvokeCommand,
  LambdaClient,
  PutFunctionConcurrencyCommand,
  PutFunctionEventInvokeConfigCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { startNimbus, type Nimbus } from '../src/main.ts';
import { ManualClock } from '../src/sandbox/test-helpers.ts';
import { TEST_CREDENTIALS, writeTestCredentials } from './helpers/server.ts';
import { ensureStandardRoles } from './helpers/iam.ts';
import { zipFiles } from './helpers/zip.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/nimbus.js');
const MINUTE = 60_000;
const ROLE = 'arn:aws:iam::123456789012:role/r';
const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:';

let nimbus: Nimbus;
let lambda: LambdaClient;
let logs: CloudWatchLogsClient;
const clock = new ManualClock();
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-async-'));

async function create(name: string, source: string): Promise<void> {
  await lambda.send(
    new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await zipFiles({ 'index.js': source }) } }),
  );
}

async function sendEvent(name: string, event: unknown): Promise<string> {
  const out = await lambda.send(new InvokeCommand({ FunctionName: name, InvocationType: 'Event', Payload: JSON.stringify(event) }));
  assert.equal(out.StatusCode, 202);
  return out.$metadata.requestId!;
}

async function messages(fn: string, pattern: string): Promise<string[]> {
  const out = await logs.send(new FilterLogEventsCommand({ logGroupName: `/aws/lambda/${fn}`, filterPattern: pattern }));
  return (out.events ?? []).map((e) => e.message ?? '');
}

/** Polls (bounded) until the function has logged `count` lines matching pattern. */
async function waitForLines(fn: string, pattern: string, count: number): Promise<string[]> {
  let lines: string[] = [];
  for (let i = 0; i < 200; i++) {
    lines = await messages(fn, pattern).catch(() => []);
    if (lines.length >= count) return lines;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`expected ${count} log lines matching ${pattern} in ${fn}, saw ${lines.length}`);
}

/** The invocation records a destination function logged. */
async function records(fn: string, count: number): Promise<Array<Record<string, any>>> {
  const lines = await waitForLines(fn, '"RECORD"', count);
  return lines.map((l) => JSON.parse(l.slice(l.indexOf('RECORD ') + 7)));
}

async function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args, '--endpoint', nimbus.endpoint, '--data-dir', dataDir], { timeout: 30_000 });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

const THROWS = `exports.handler = async (e) => { throw new Error('boom ' + e.n); };`;
const RECORDS = `exports.handler = async (e) => { console.log('RECORD ' + JSON.stringify(e)); };`;

before(async () => {
  writeTestCredentials(dataDir);
  nimbus = await startNimbus({ port: 0, dataDir, logLevel: 'silent' }, { asyncClock: clock });
  await ensureStandardRoles(nimbus.endpoint);
  const config = { endpoint: nimbus.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 };
  lambda = new LambdaClient(config);
  logs = new CloudWatchLogsClient(config);
  await create('flaky', THROWS);
  await create('failures', RECORDS);
  await create('successes', RECORDS);
  await create('good', `exports.handler = async (e) => ({ ok: e.n });`);
});

after(async () => {
  lambda.destroy();
  logs.destroy();
  await nimbus.close(1000);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('asynchronous invocation', () => {
  it('retries a failing event after one minute on the queue clock, then lists it as failed and redrives it', async () => {
    await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'flaky', MaximumRetryAttempts: 1 }));
    const id = await sendEvent('flaky', { n: 1 });
    const start = `"START RequestId: ${id}"`;
    await waitForLines('flaky', start, 1);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await messages('flaky', start)).length, 1, 'no retry before the clock moves');
    clock.advance(MINUTE);
    await waitForLines('flaky', start, 2);
    clock.advance(10 * MINUTE);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await messages('flaky', start)).length, 2, 'MaximumRetryAttempts 1: two attempts in all');

    const listed = await cli('events', 'failed', 'flaky');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`${id}\\s+\\S+\\s+2\\s+RetriesExhausted`));
    const json = JSON.parse((await cli('events', 'failed', 'flaky', '--json')).stdout) as Array<Record<string, any>>;
    assert.deepEqual(json.map((e) => [e.requestId, e.attempts, e.reason, e.payload]), [[id, 2, 'RetriesExhausted', { n: 1 }]]);
    assert.equal(json[0]!.lastResult.functionError, 'Unhandled');

    // Fixed code, then a redrive: the event runs again under the same request id, and succeeds.
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'flaky', ZipFile: await zipFiles({ 'index.js': `exports.handler = async (e) => { console.log('FIXED ' + e.n); };` }) }));
    const redriven = await cli('events', 'redrive', 'flaky');
    assert.equal(redriven.code, 0, redriven.stderr);
    assert.match(redriven.stdout, /Redrove 1 event of flaky/);
    await waitForLines('flaky', '"FIXED 1"', 1);
    assert.match((await cli('events', 'failed', 'flaky')).stdout, /No failed events for flaky/);
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'flaky', ZipFile: await zipFiles({ 'index.js': THROWS }) }));
  });

  it('sends the invocation record of an exhausted event to its OnFailure function', async () => {
    await lambda.send(
      new PutFunctionEventInvokeConfigCommand({
        FunctionName: 'flaky',
        MaximumRetryAttempts: 0,
        DestinationConfig: { OnFailure: { Destination: `${ARN}failures` } },
      }),
    );
    const id = await sendEvent('flaky', { n: 7 });
    const [record] = (await records('failures', 1)).filter((r) => r.requestContext.requestId === id);
    assert.ok(record, 'the OnFailure function received the record');
    assert.equal(record.version, '1.0');
    assert.deepEqual(record.requestContext, { requestId: id, functionArn: `${ARN}flaky:$LATEST`, condition: 'RetriesExhausted', approximateInvokeCount: 1 });
    assert.deepEqual(record.requestPayload, { n: 7 });
    assert.deepEqual(record.responseContext, { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' });
    assert.equal(record.responsePayload.errorType, 'Error');
    assert.equal(record.responsePayload.errorMessage, 'boom 7');
    assert.match((await cli('events', 'failed', 'flaky')).stdout, /No failed events/, 'a delivered failure is not also kept');
  });

  it('sends the record of a success to its OnSuccess function', async () => {
    await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'good', DestinationConfig: { OnSuccess: { Destination: `${ARN}successes` } } }));
    const id = await sendEvent('good', { n: 3 });
    const [record] = await records('successes', 1);
    assert.deepEqual(record!.requestContext, { requestId: id, functionArn: `${ARN}good:$LATEST`, condition: 'Success', approximateInvokeCount: 1 });
    assert.deepEqual(record!.responseContext, { statusCode: 200, executedVersion: '$LATEST' });
    assert.deepEqual(record!.responsePayload, { ok: 3 });
  });

  it('accepts Event invokes of a throttled function and runs them once it may run', async () => {
    await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'good', ReservedConcurrentExecutions: 0 }));
    await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: 'good', Payload: '{}' })), { name: 'TooManyRequestsException' });
    const id = await sendEvent('good', { n: 4 });
    clock.advance(5000);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await messages('good', `"START RequestId: ${id}"`)).length, 0, 'held while the reservation is 0');
    await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'good' }));
    clock.advance(1000);
    const done = await records('successes', 2);
    assert.deepEqual(done.find((r) => r.requestContext.requestId === id)?.responsePayload, { ok: 4 });
  });

  it('takes the deprecated InvokeAsync action as an Event invocation', async () => {
    const out = await lambda.send(new InvokeAsyncCommand({ FunctionName: 'good', InvokeArgs: JSON.stringify({ n: 5 }) }));
    assert.equal(out.Status, 202);
    const done = await records('successes', 3);
    assert.deepEqual(done.find((r) => r.requestContext.requestId === out.$metadata.requestId)?.responsePayload, { ok: 5 });
    await assert.rejects(lambda.send(new InvokeAsyncCommand({ FunctionName: 'good', InvokeArgs: 'not json' })), { name: 'InvalidRequestContentException' });
    await assert.rejects(lambda.send(new InvokeAsyncCommand({ FunctionName: 'nope', InvokeArgs: '{}' })), { name: 'ResourceNotFoundException' });
  });

  it('runs an Event invoke named by a partial ARN (function:name) as the unqualified function', async () => {
    const id = await sendEvent('function:good', { n: 6 });
    const done = await records('successes', 4);
    const record = done.find((r) => r.requestContext.requestId === id);
    assert.deepEqual(record?.responsePayload, { ok: 6 });
    assert.equal(record?.requestContext.functionArn, `${ARN}good:$LATEST`);
  });

  it('says clearly when the function of `nimbus events` does not exist', async () => {
    const out = await cli('events', 'failed', 'nope');
    assert.equal(out.code, 1);
    assert.match(out.stderr, /Function not found: nope/);
  });
});
