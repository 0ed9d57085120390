/**
 * The async queue is durable: an Event invoke is written to the database before its 202, so
 * kill -9 of the server loses no accepted event; after the restart every one runs (at least
 * once, as AWS promises), including the one that was running when the server died.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateFunctionCommand, InvokeCommand, LambdaClient, PutFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { TEST_CREDENTIALS } from './helpers/server.ts';
import { zipFiles } from './helpers/zip.ts';
import { startServerProcess } from './helpers/process.ts';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-async-kill-'));
const children: ChildProcess[] = [];

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

const clients = (endpoint: string) => ({
  lambda: new LambdaClient({ endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 }),
  logs: new CloudWatchLogsClient({ endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 }),
});

/** The n of every `ran {"n":…}` line the function has logged. */
async function ranEvents(logs: CloudWatchLogsClient): Promise<number[]> {
  const out = await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/slow', filterPattern: '"ran"' }));
  return (out.events ?? []).map((e) => JSON.parse(/ran (\{.*\})/.exec(e.message ?? '')![1]!).n as number);
}

test('kill -9 right after the 202s loses no accepted Event invocation', async () => {
  const first = await startServerProcess(dataDir, children);
  const a = clients(first.endpoint);
  await a.lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'slow',
      Runtime: 'nodejs20.x',
      Role: 'arn:aws:iam::123456789012:role/r',
      Handler: 'index.handler',
      Code: {
        ZipFile: await zipFiles({
          'index.js': `exports.handler = async (e) => { await new Promise((r) => setTimeout(r, 400)); console.log('ran ' + JSON.stringify(e)); return e; };`,
        }),
      },
    }),
  );
  // One at a time, so most events are still queued when the server dies.
  await a.lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'slow', ReservedConcurrentExecutions: 1 }));
  const N = 8;
  const ids: string[] = [];
  for (let n = 0; n < N; n++) {
    const out = await a.lambda.send(new InvokeCommand({ FunctionName: 'slow', InvocationType: 'Event', Payload: JSON.stringify({ n }) }));
    assert.equal(out.StatusCode, 202);
    ids.push(out.$metadata.requestId!);
  }
  first.proc.kill('SIGKILL');
  await first.exited;
  a.lambda.destroy();
  a.logs.destroy();
  assert.equal(new Set(ids).size, N, 'each 202 carries its own request id');

  const second = await startServerProcess(dataDir, children);
  const b = clients(second.endpoint);
  let seen: number[] = [];
  for (let i = 0; i < 150 && new Set(seen).size < N; i++) {
    await new Promise((r) => setTimeout(r, 200));
    // The log group appears with the first event that runs.
    seen = await ranEvents(b.logs).catch(() => seen);
  }
  assert.deepEqual([...new Set(seen)].sort((x, y) => x - y), [...Array(N).keys()], 'every accepted event ran');
  b.lambda.destroy();
  b.logs.destroy();
  second.proc.kill('SIGTERM');
  await second.exited;
});
