/**
 * Isolation and limits of execution environments through the real server and
 * @aws-sdk/client-lambda: a function cannot read the data directory, the database or
 * another function's code, nor take another function's events from its Runtime API;
 * MemorySize and EphemeralStorage are enforced; the server says which mechanisms it uses.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { CreateFunctionCommand, InvokeCommand, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import pino from 'pino';
import { startNimbus } from '../src/main.ts';
import { detectSandboxHost, closeSandboxHost } from '../src/sandbox/index.ts';
import { skipUnless } from '../src/sandbox/test-helpers.ts';
import { FIXTURES, startTestServer, type TestServer } from './helpers/server.ts';
import { zipDir, zipFiles } from './helpers/zip.ts';

const ROLE = 'arn:aws:iam::123456789012:role/r';
const probeHost = detectSandboxHost({ scratchDir: fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-probe-')) });
closeSandboxHost(probeHost);
const skipBwrap = skipUnless(probeHost.bwrap !== null, `bubblewrap is not usable here (${probeHost.problems.join('; ') || 'bwrap not found'})`);

let server: TestServer;
before(async () => {
  server = await startTestServer();
  const probe = await zipDir(path.join(FIXTURES, 'handlers', 'probe'));
  for (const [name, handler, extra] of [
    ['reader', 'index.read', {}],
    ['victim', 'index.whoami', {}],
    ['thief', 'index.steal', {}],
    ['hog', 'index.hog', { MemorySize: 128, Timeout: 20 }],
    ['tmp', 'index.tmp', { EphemeralStorage: { Size: 512 }, Timeout: 20 }],
  ] as const) {
    await server.lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: ROLE, Handler: handler, Code: { ZipFile: probe }, ...extra }));
  }
  await server.lambda.send(
    new CreateFunctionCommand({ FunctionName: 'secret', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await zipFiles({ 'index.js': 'exports.handler = async () => "s3cr3t";' }) } }),
  );
});
after(() => server.close());

const json = (out: InvokeCommandOutput) => JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8'));
const invoke = (name: string, payload: unknown = {}) =>
  server.lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)), LogType: 'Tail' }));

describe('a function under bubblewrap', { skip: skipBwrap }, () => {
  test('cannot read the data directory, the database or another function\'s code (ENOENT)', async () => {
    const codeRoot = path.join(server.dataDir, 'code');
    const others = fs.readdirSync(codeRoot).filter((d) => !d.startsWith('.') && fs.statSync(path.join(codeRoot, d)).isDirectory());
    const secretDir = others.map((d) => path.join(codeRoot, d)).find((d) => fs.readFileSync(path.join(d, 'index.js'), 'utf8').includes('s3cr3t'));
    assert.ok(secretDir, 'the other function\'s code is on the host');
    const paths = [server.dataDir, path.join(server.dataDir, 'metadata.db'), secretDir, path.join(secretDir, 'index.js')];
    const body = json(await invoke('reader', { paths }));
    assert.deepEqual(body, Object.fromEntries(paths.map((p) => [p, 'ENOENT'])));
  });

  test('cannot take another function\'s events from its Runtime API', async () => {
    const victimApi = json(await invoke('victim')).runtimeApi as string;
    const stolen = json(await invoke('thief', { api: victimApi }));
    assert.ok(stolen.error && !stolen.requestId, `refused: ${JSON.stringify(stolen)}`);
    const again = await invoke('victim');
    assert.equal(again.FunctionError, undefined);
    assert.equal(json(again).runtimeApi, victimApi, 'the victim keeps its environment and its events');
  });

  test('/tmp is limited to EphemeralStorage', async () => {
    const body = json(await invoke('tmp', { mb: 520 }));
    assert.deepEqual([body.dir, body.error], ['/tmp', 'ENOSPC']);
  });
});

describe('MemorySize', () => {
  test('a function that holds more is killed and answers Runtime.OutOfMemory', async () => {
    const out = await invoke('hog', { mb: 300, holdMs: 3000 });
    assert.equal(out.FunctionError, 'Unhandled');
    const id = out.$metadata.requestId;
    assert.deepEqual(json(out), { errorType: 'Runtime.OutOfMemory', errorMessage: `RequestId: ${id} Error: Runtime exited with error: signal: killed` });
    const log = Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');
    assert.ok(log.includes(`RequestId: ${id} Error: Runtime exited with error: signal: killed\nRuntime.OutOfMemory\nEND RequestId: ${id}\n`), log);
    assert.match(log, /Memory Size: 128 MB\tMax Memory Used: 128 MB\t.*Status: error\tError Type: Runtime\.OutOfMemory\t\n$/);
    const next = await invoke('hog', { mb: 10 });
    assert.equal(next.FunctionError, undefined, 'the next invoke gets a fresh environment');
  });
});

test('the server says at start-up which isolation and memory limit are in force', async () => {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(...String(chunk).trim().split('\n')), done()) });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-startlog-'));
  const logger = pino({ level: 'info', base: undefined }, sink);
  const withBwrap = await startNimbus({ port: 0, dataDir }, { logger });
  await withBwrap.close();
  const plain = await startNimbus({ port: 0, dataDir }, { logger, sandbox: { bwrap: false, cgroup: false } });
  await plain.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  const messages = lines.map((l) => JSON.parse(l) as { level: number; msg: string });
  const isolation = messages.filter((m) => m.msg.startsWith('sandbox isolation:'));
  const memory = messages.filter((m) => m.msg.startsWith('sandbox memory limit:'));
  assert.equal(isolation.length, 2);
  assert.equal(memory.length, 2);
  if (probeHost.bwrap) assert.match(isolation[0]!.msg, /^sandbox isolation: bubblewrap .*own mount, pid and ipc namespaces/);
  if (probeHost.cgroup) assert.match(memory[0]!.msg, /^sandbox memory limit: cgroup v[12] /);
  assert.match(isolation[1]!.msg, /^sandbox isolation: NONE: .*plain processes/);
  assert.equal(isolation[1]!.level, 40, 'a warning');
  assert.equal(memory[1]!.msg, 'sandbox memory limit: resident-memory watchdog (no writable memory cgroup)');
});
