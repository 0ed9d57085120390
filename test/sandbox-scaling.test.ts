/**
 * A burst of concurrent invokes: the pool scales out (one invocation per environment at a
 * time), answers every request exactly once with its own result, and scales back down to
 * nothing once the environments sit idle.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { zipFiles } from './helpers/zip.ts';

const BURST = 40;
let server: TestServer;

before(async () => {
  server = await startTestServer({ idleTimeoutMs: 1500 });
  await server.lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'burst',
      Runtime: 'nodejs20.x',
      Role: 'arn:aws:iam::123456789012:role/r',
      Handler: 'index.handler',
      Timeout: 30,
      Code: {
        ZipFile: await zipFiles({
          'index.js': `let busy = false; let served = 0;
            exports.handler = async (e, context) => {
              if (busy) throw new Error('two invocations at once in one environment');
              busy = true;
              served++;
              await new Promise((r) => setTimeout(r, e.ms));
              busy = false;
              return { id: e.id, requestId: context.awsRequestId, stream: process.env.AWS_LAMBDA_LOG_STREAM_NAME, served };
            };`,
        }),
      },
    }),
  );
});
after(() => server.close());

test(`${BURST} concurrent invokes are each answered once, then the pool scales back to zero`, async () => {
  const ids = Array.from({ length: BURST }, (_, i) => `req-${i}`);
  const outs = await Promise.all(
    ids.map((id) => server.lambda.send(new InvokeCommand({ FunctionName: 'burst', Payload: Buffer.from(JSON.stringify({ id, ms: 400 })) }))),
  );
  const bodies = outs.map((o) => {
    assert.equal(o.FunctionError, undefined, Buffer.from(o.Payload ?? []).toString());
    return JSON.parse(Buffer.from(o.Payload!).toString()) as { id: string; requestId: string; stream: string; served: number };
  });
  assert.deepEqual(bodies.map((b) => b.id), ids, 'every request got its own answer');
  assert.equal(new Set(bodies.map((b) => b.requestId)).size, BURST, 'no invocation answered twice');
  assert.deepEqual(bodies.map((b) => b.requestId), outs.map((o) => o.$metadata.requestId));
  const environments = new Set(bodies.map((b) => b.stream)).size;
  assert.ok(environments > BURST / 2, `scaled out to ${environments} environments`);

  // A second, smaller burst reuses the warm environments.
  const again = await Promise.all(
    ids.slice(0, 5).map((id) => server.lambda.send(new InvokeCommand({ FunctionName: 'burst', Payload: Buffer.from(JSON.stringify({ id, ms: 0 })) }))),
  );
  for (const o of again) assert.ok(JSON.parse(Buffer.from(o.Payload!).toString()).served >= 2, 'a warm environment served it');

  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const s = server.nimbus.pool.stats();
    if (s.busy + s.idle + s.starting === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(server.nimbus.pool.stats(), { busy: 0, idle: 0, starting: 0 }, 'idle environments were reaped');
});
