/**
 * `nimbus server` as a real process: a restart (also after kill -9) keeps every function,
 * its code and its logs; SIGTERM finishes in-flight invokes, kills every sandbox and exits;
 * no sandbox outlives its server, ever.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateFunctionCommand, GetFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { TEST_CREDENTIALS } from './helpers/server.ts';
import { zipFiles } from './helpers/zip.ts';
import { startServerProcess, type ServerProcess } from './helpers/process.ts';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-proc-'));
const children: ChildProcess[] = [];

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

async function startServer(): Promise<ServerProcess & { lambda: LambdaClient }> {
  const server = await startServerProcess(dataDir, children);
  return { ...server, lambda: new LambdaClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 }) };
}

/** Every descendant pid of a process, from /proc. */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number) => {
    let tasks: string[] = [];
    try {
      tasks = fs.readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const t of tasks) {
      let kids = '';
      try {
        kids = fs.readFileSync(`/proc/${p}/task/${t}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const k of kids.split(/\s+/).filter(Boolean).map(Number)) {
        out.push(k);
        walk(k);
      }
    }
  };
  walk(pid);
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie is dead for our purposes.
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitDead(pids: number[], ms: number): Promise<number[]> {
  const until = Date.now() + ms;
  while (Date.now() < until && pids.some(alive)) await new Promise((r) => setTimeout(r, 50));
  return pids.filter(alive);
}

const payloadOf = (o: { Payload?: Uint8Array }) => JSON.parse(Buffer.from(o.Payload!).toString());

test('kill -9 loses no function, code or log, and leaves no sandbox behind', async () => {
  const first = await startServer();
  await first.lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'survivor',
      Runtime: 'nodejs20.x',
      Role: 'arn:aws:iam::123456789012:role/r',
      Handler: 'index.handler',
      Timeout: 10,
      Code: { ZipFile: await zipFiles({ 'index.js': `exports.handler = async (e) => { console.log('marker-' + e.n); await new Promise(r => setTimeout(r, e.ms || 0)); return { n: e.n }; };` }) },
    }),
  );
  const out = await first.lambda.send(new InvokeCommand({ FunctionName: 'survivor', Payload: Buffer.from('{"n":1}') }));
  assert.deepEqual(payloadOf(out), { n: 1 });
  // Give the batched log writer its moment, as a real user would have by now.
  await new Promise((r) => setTimeout(r, 200));
  const sandboxes = descendants(first.proc.pid!);
  assert.ok(sandboxes.length >= 1, 'a warm sandbox is running');
  first.proc.kill('SIGKILL');
  await first.exited;
  assert.deepEqual(await waitDead(sandboxes, 5000), [], 'sandboxes die with their server');
  first.lambda.destroy();

  const second = await startServer();
  try {
    const got = await second.lambda.send(new GetFunctionCommand({ FunctionName: 'survivor' }));
    assert.equal(got.Configuration?.Handler, 'index.handler');
    const again = await second.lambda.send(new InvokeCommand({ FunctionName: 'survivor', Payload: Buffer.from('{"n":2}') }));
    assert.deepEqual(payloadOf(again), { n: 2 });
    const logs = new CloudWatchLogsClient({ endpoint: second.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    const events = await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/survivor', filterPattern: 'marker-1' }));
    assert.equal(events.events?.length, 1, 'the log written before the crash is still there');
    logs.destroy();
  } finally {
    second.proc.kill('SIGTERM');
    await second.exited;
    second.lambda.destroy();
  }
});

test('SIGTERM finishes in-flight invokes, kills every sandbox and exits 0', async () => {
  const srv = await startServer();
  const inflight = srv.lambda.send(new InvokeCommand({ FunctionName: 'survivor', Payload: Buffer.from('{"n":3,"ms":1000}') }));
  await new Promise((r) => setTimeout(r, 400));
  const sandboxes = descendants(srv.proc.pid!);
  assert.ok(sandboxes.length >= 1);
  srv.proc.kill('SIGTERM');
  const out = await inflight;
  assert.deepEqual(payloadOf(out), { n: 3 }, 'the in-flight invoke finished');
  assert.equal(await srv.exited, 0);
  assert.deepEqual(await waitDead(sandboxes, 3000), []);
  srv.lambda.destroy();
});
