/**
 * Reserved concurrency (Put/Get/DeleteFunctionConcurrency) and the throttles it brings,
 * through @aws-sdk/client-lambda and the AWS CLI.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  DeleteFunctionConcurrencyCommand,
  GetAccountSettingsCommand,
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  InvokeCommand,
  PutFunctionConcurrencyCommand,
} from '@aws-sdk/client-lambda';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { zipFiles } from './helpers/zip.ts';
import { aws, awsCliSkipReason } from './helpers/aws-cli.ts';

let server: TestServer;
const LIMIT = 10;
const MIN_UNRESERVED = 4;

before(async () => {
  server = await startTestServer({ concurrencyLimit: LIMIT, unreservedConcurrencyMin: MIN_UNRESERVED });
  const zip = await zipFiles({ 'index.js': `exports.handler = async (e) => { await new Promise((r) => setTimeout(r, e.ms ?? 0)); return 'ok'; };` });
  for (const name of ['reserved', 'shared', 'gone']) {
    await server.lambda.send(
      new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: 'arn:aws:iam::123456789012:role/r', Handler: 'index.handler', Timeout: 10, Code: { ZipFile: zip } }),
    );
  }
});
after(() => server.close());

const put = (name: string, n: number) => server.lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: name, ReservedConcurrentExecutions: n }));
const invoke = (name: string, ms = 0) => server.lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify({ ms })) }));
const throttleReason = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err: any) {
    assert.equal(err.name, 'TooManyRequestsException');
    assert.equal(err.$metadata.httpStatusCode, 429);
    return err.Reason as string;
  }
  return 'not throttled';
};

test('a reservation of 0 throttles every call with ReservedFunctionConcurrentInvocationLimitExceeded', async () => {
  const out = await put('reserved', 0);
  assert.equal(out.ReservedConcurrentExecutions, 0);
  assert.equal((await server.lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'reserved' }))).ReservedConcurrentExecutions, 0);
  assert.equal(await throttleReason(invoke('reserved')), 'ReservedFunctionConcurrentInvocationLimitExceeded');
  assert.equal((await invoke('shared')).StatusCode, 200, 'other functions are unaffected');
});

test('a reservation caps the function and is reported by GetFunction and GetAccountSettings', async () => {
  await put('reserved', 1);
  const got = await server.lambda.send(new GetFunctionCommand({ FunctionName: 'reserved' }));
  assert.equal(got.Concurrency?.ReservedConcurrentExecutions, 1);
  const settings = await server.lambda.send(new GetAccountSettingsCommand({}));
  assert.equal(settings.AccountLimit?.ConcurrentExecutions, LIMIT);
  assert.equal(settings.AccountLimit?.UnreservedConcurrentExecutions, LIMIT - 1);
  const slow = invoke('reserved', 600);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await throttleReason(invoke('reserved')), 'ReservedFunctionConcurrentInvocationLimitExceeded');
  assert.equal((await slow).StatusCode, 200);
  assert.equal((await invoke('reserved')).StatusCode, 200, 'the slot is free again');
});

test('reservations must leave the unreserved minimum', async () => {
  await assert.rejects(put('shared', LIMIT - 1 - MIN_UNRESERVED + 1), (err: any) => {
    assert.equal(err.name, 'InvalidParameterValueException');
    assert.match(err.message, /below its minimum value of \[4\]/);
    return true;
  });
  const ok = await put('shared', LIMIT - 1 - MIN_UNRESERVED);
  assert.equal(ok.ReservedConcurrentExecutions, 5);
  await server.lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'shared' }));
});

test('the unreserved pool is shared by functions without a reservation', async () => {
  // 10 total, 1 reserved by "reserved": 9 unreserved for "shared".
  const running = Array.from({ length: 9 }, () => invoke('shared', 800));
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(await throttleReason(invoke('gone')), 'ConcurrentInvocationLimitExceeded');
  assert.equal((await invoke('reserved')).StatusCode, 200, 'the reservation is still there for its function');
  for (const r of await Promise.all(running)) assert.equal(r.StatusCode, 200);
});

test('bad values and unknown functions', async () => {
  await assert.rejects(put('reserved', -1), (err: any) => err.name === 'InvalidParameterValueException');
  await assert.rejects(put('nobody', 1), (err: any) => err.name === 'ResourceNotFoundException');
  await assert.rejects(server.lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'nobody' })), (err: any) => err.name === 'ResourceNotFoundException');
});

test('DeleteFunctionConcurrency removes the cap; deleting a function frees its reservation', async () => {
  await server.lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'reserved' }));
  const got = await server.lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'reserved' }));
  assert.equal(got.ReservedConcurrentExecutions, undefined);
  await put('gone', 3);
  assert.equal((await server.lambda.send(new GetAccountSettingsCommand({}))).AccountLimit?.UnreservedConcurrentExecutions, LIMIT - 3);
  await server.lambda.send(new DeleteFunctionCommand({ FunctionName: 'gone' }));
  assert.equal((await server.lambda.send(new GetAccountSettingsCommand({}))).AccountLimit?.UnreservedConcurrentExecutions, LIMIT);
});

test('reservations survive a restart', async () => {
  await put('reserved', 0);
  const dataDir = server.dataDir;
  await server.close();
  server = await startTestServer({ concurrencyLimit: LIMIT, unreservedConcurrencyMin: MIN_UNRESERVED }, dataDir);
  assert.equal(await throttleReason(invoke('reserved')), 'ReservedFunctionConcurrentInvocationLimitExceeded');
  await server.lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'reserved' }));
});

test('the AWS CLI sets and reads reserved concurrency', { skip: awsCliSkipReason() }, async () => {
  const p = await aws(server.endpoint, ['lambda', 'put-function-concurrency', '--function-name', 'reserved', '--reserved-concurrent-executions', '2']);
  assert.equal(p.code, 0, p.stderr);
  assert.equal(JSON.parse(p.stdout).ReservedConcurrentExecutions, 2);
  const g = await aws(server.endpoint, ['lambda', 'get-function-concurrency', '--function-name', 'reserved']);
  assert.equal(JSON.parse(g.stdout).ReservedConcurrentExecutions, 2);
  const d = await aws(server.endpoint, ['lambda', 'delete-function-concurrency', '--function-name', 'reserved']);
  assert.equal(d.code, 0, d.stderr);
});
