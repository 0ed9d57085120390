/**
 * Scaling out and throttling: concurrent invokes get their own environments, one
 * invocation at a time each; past the account limit the answer is AWS's 429.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateFunctionCommand, GetAccountSettingsCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { zipFiles } from './helpers/zip.ts';

let server: TestServer;

before(async () => {
  server = await startTestServer({ concurrencyLimit: 3, idleTimeoutMs: 300 });
  await server.lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'slow',
      Runtime: 'nodejs20.x',
      Role: 'arn:aws:iam::123456789012:role/r',
      Handler: 'index.handler',
      Timeout: 10,
      Code: {
        ZipFile: await zipFiles({
          'index.js': `let busy = false;
            exports.handler = async (e) => {
              if (busy) throw new Error('two invocations at once in one environment');
              busy = true;
              await new Promise((r) => setTimeout(r, e.ms ?? 0));
              busy = false;
              return { stream: process.env.AWS_LAMBDA_LOG_STREAM_NAME };
            };`,
        }),
      },
    }),
  );
});
after(() => server.close());

const invoke = (ms: number) =>
  server.lambda.send(new InvokeCommand({ FunctionName: 'slow', Payload: Buffer.from(JSON.stringify({ ms })) }));
// An environment's log stream names it (inside bubblewrap every runtime is pid 2).
const envOf = (out: { Payload?: Uint8Array }) => JSON.parse(Buffer.from(out.Payload!).toString()).stream as string;

test('GetAccountSettings reports the configured limit', async () => {
  const out = await server.lambda.send(new GetAccountSettingsCommand({}));
  assert.equal(out.AccountLimit?.ConcurrentExecutions, 3);
});

test('concurrent invokes run in separate environments, one invocation at a time each', async () => {
  const outs = await Promise.all([invoke(300), invoke(300), invoke(300)]);
  for (const o of outs) assert.equal(o.FunctionError, undefined, Buffer.from(o.Payload!).toString());
  assert.equal(new Set(outs.map(envOf)).size, 3);
});

test('past the account limit the answer is 429 TooManyRequestsException with Reason', async () => {
  const slow = [invoke(800), invoke(800), invoke(800)];
  await new Promise((r) => setTimeout(r, 200));
  await assert.rejects(invoke(0), (err: any) => {
    assert.equal(err.name, 'TooManyRequestsException');
    assert.equal(err.$metadata.httpStatusCode, 429);
    assert.equal(err.Reason, 'ConcurrentInvocationLimitExceeded');
    return true;
  });
  const outs = await Promise.all(slow);
  assert.ok(outs.every((o) => o.StatusCode === 200 && !o.FunctionError), 'the running invocations are unharmed');
});

test('idle environments are reaped after the idle timeout', async () => {
  const first = envOf(await invoke(0));
  await new Promise((r) => setTimeout(r, 1200));
  assert.deepEqual(server.nimbus.pool.stats(), { busy: 0, idle: 0, starting: 0 }, 'the idle environment was killed');
  assert.notEqual(envOf(await invoke(0)), first);
});
