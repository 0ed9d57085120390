/**
 * Execution environments under bubblewrap: what a function can see (its code, the system
 * read-only, its own /tmp) and cannot (the data directory, other functions' code, other
 * environments' Runtime APIs), and that nothing it starts outlives it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { closeSandboxHost, createSandboxPool, detectSandboxHost, plainSandboxHost, type SandboxHost } from './index.ts';
import {
  assertNoChildren,
  FIXTURES,
  json,
  makeRequest,
  makeSpec,
  MemoryLogSink,
  processExists,
  skipUnless,
  waitFor,
} from './test-helpers.ts';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-isolation-'));
const host = detectSandboxHost({ scratchDir: path.join(scratch, 'sandboxes') });
const skip = skipUnless(host.bwrap !== null, `bubblewrap is not usable here (${host.problems.join('; ') || 'bwrap not found'})`);
const sink = new MemoryLogSink();
const pool = createSandboxPool({ logSink: sink, idleTimeoutMs: 60_000, host });

// A stand-in data directory: a database file and another function's code.
const dataDir = path.join(scratch, 'data');
fs.mkdirSync(path.join(dataDir, 'code', 'other'), { recursive: true });
fs.writeFileSync(path.join(dataDir, 'metadata.db'), 'secret');
fs.writeFileSync(path.join(dataDir, 'code', 'other', 'index.js'), 'exports.handler = async () => "theirs";');

after(async () => {
  await pool.dispose();
  closeSandboxHost(host);
  fs.rmSync(scratch, { recursive: true, force: true });
  assertNoChildren();
});

const probe = (functionName: string, handler: string, over = {}) => makeSpec('probe', `index.${handler}`, { functionName, ...over });

describe('bubblewrap sandbox', { skip }, () => {
  it('shows the code at /var/task, the runtime at /var/runtime, a read-only system, in its own pid namespace', async () => {
    const spec = probe('iso-whoami', 'whoami');
    const body = json(await pool.invoke(spec, makeRequest(spec)));
    assert.equal(body.taskRoot, '/var/task');
    assert.equal(body.cwd, '/var/task');
    assert.equal(body.runtimeDir, '/var/runtime');
    assert.deepEqual(body.task, ['index.js']);
    assert.ok(body.runtime.includes('bootstrap.cjs'));
    assert.equal(body.pid, 2, 'the runtime is the first process of its own pid namespace');
    if (process.getuid?.() === 0) {
      assert.deepEqual([body.uid, body.gid], [993, 990], 'root drops to sbx_user1051');
      const who = makeSpec('probe', 'index.identity', { functionName: 'iso-identity' });
      assert.equal(json(await pool.invoke(who, makeRequest(who))).id, 'uid=993(sbx_user1051) gid=990(sbx_user1051) groups=990(sbx_user1051)');
    }
    for (const hidden of ['work', 'root', 'home', 'var/lib', 'srv', 'mnt']) assert.ok(!body.root.includes(hidden), `/${hidden} is not shown`);
  });

  it('cannot read the data directory, the database or another function\'s code', async () => {
    const spec = probe('iso-read', 'read');
    const paths = [
      dataDir,
      path.join(dataDir, 'metadata.db'),
      path.join(dataDir, 'code', 'other', 'index.js'),
      path.join(FIXTURES, 'cjs', 'index.js'),
      process.cwd(),
      '/etc/shadow',
      '/var/task/index.js',
    ];
    const body = json(await pool.invoke(spec, makeRequest(spec, { paths })));
    for (const p of paths.slice(0, -1)) assert.equal(body[p], 'ENOENT', `${p} is invisible`);
    assert.equal(body['/var/task/index.js'], 'ok');
  });

  it('gives each environment a private /tmp of its EphemeralStorage size, kept while warm, fresh when new', async () => {
    const spec = probe('iso-tmp', 'tmp', { ephemeralStorage: 512 });
    const first = json(await pool.invoke(spec, makeRequest(spec, { name: 'a', mb: 10 })));
    assert.deepEqual([first.dir, first.before, first.writtenMB, first.error], ['/tmp', [], 10, null]);
    const second = json(await pool.invoke(spec, makeRequest(spec, { name: 'b', mb: 1 })));
    assert.deepEqual(second.before, ['a'], 'a warm environment keeps its /tmp');
    const full = json(await pool.invoke(spec, makeRequest(spec, { name: 'c', mb: 600 })));
    assert.equal(full.error, 'ENOSPC', '/tmp stops at 512 MB');
    assert.ok(full.writtenMB >= 490 && full.writtenMB < 512, `wrote ${full.writtenMB} MB`);
    // Another environment of the same function starts with an empty /tmp.
    const [a, b] = await Promise.all([
      pool.invoke(spec, makeRequest(spec, { name: 'd', mb: 0 })),
      pool.invoke(spec, makeRequest(spec, { name: 'e', mb: 0 })),
    ]);
    const befores = [json(a).before, json(b).before].map((x: string[]) => x.join(','));
    assert.ok(befores.includes(''), `one of two concurrent environments is new: ${JSON.stringify(befores)}`);
  });

  it('answers Runtime.InvalidEntrypoint naming AWS\'s paths when a custom runtime has no bootstrap', async () => {
    const spec = makeSpec('cjs', 'x.y', { functionName: 'iso-nobootstrap', runtime: 'provided.al2023' });
    const request = makeRequest(spec);
    const result = await pool.invoke(spec, request);
    assert.deepEqual(json(result), {
      errorType: 'Runtime.InvalidEntrypoint',
      errorMessage: `RequestId: ${request.requestId} Error: Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]`,
    });
  });

  it('runs a shell + curl custom runtime inside the sandbox', async () => {
    const spec = makeSpec('provided-curl', 'function.handler', { functionName: 'iso-curl', runtime: 'provided.al2023' });
    const request = makeRequest(spec, { q: 1 });
    const result = await pool.invoke(spec, request);
    assert.equal(result.functionError, undefined, result.payload.toString());
    assert.deepEqual(json(result), { echo: { q: 1 }, requestId: request.requestId });
  });

  it('kills everything an environment started when it is disposed', async () => {
    const marker = `nimbus-stray-${randomUUID()}`;
    const local = createSandboxPool({ logSink: sink, idleTimeoutMs: 60_000, host });
    const spec = probe('iso-stray', 'spawnStray');
    const body = json(await local.invoke(spec, makeRequest(spec, { marker })));
    assert.ok(body.pid > 0);
    const strays = () => findProcesses(marker);
    await waitFor(() => strays().length > 0, 5000, 'the stray to start');
    const pids = strays();
    await local.dispose();
    await waitFor(() => pids.every((p) => !processExists(p)), 5000, 'the stray to die with its environment');
  });
});

describe('Runtime API of an environment', { skip }, () => {
  let victimApi = '';
  const victim = probe('iso-victim', 'whoami');

  before(async () => {
    victimApi = json(await pool.invoke(victim, makeRequest(victim))).runtimeApi;
    assert.match(victimApi, /^127\.0\.0\.1:\d+$/);
  });

  it('refuses another environment that asks it for events', async () => {
    const thief = probe('iso-thief', 'steal');
    const stolen = json(await pool.invoke(thief, makeRequest(thief, { api: victimApi })));
    assert.ok(stolen.error, `the connection is refused, got ${JSON.stringify(stolen)}`);
    const request = makeRequest(victim);
    const result = await pool.invoke(victim, request);
    assert.equal(result.functionError, undefined, 'the victim still gets its own events');
    assert.equal(json(result).runtimeApi, victimApi);
  });

  it('refuses a host process that is not the environment', async () => {
    const [hostname, port] = victimApi.split(':');
    const outcome = await new Promise<string>((resolve) => {
      const req = http.get({ host: hostname, port: Number(port), path: '/2018-06-01/runtime/invocation/next', agent: false }, (res) =>
        resolve(`answered ${res.statusCode}`),
      );
      req.setTimeout(3000, () => req.destroy(new Error('timeout')));
      req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
    assert.ok(['ECONNRESET', 'EPIPE'].includes(outcome), outcome);
  });
});

describe('plain processes (no bubblewrap)', () => {
  const plain: SandboxHost = plainSandboxHost(path.join(scratch, 'plain'));
  const plainPool = createSandboxPool({ logSink: sink, idleTimeoutMs: 60_000, host: plain });
  after(() => plainPool.dispose());

  it('gives each environment its own /tmp folder (TMPDIR), removed when the environment dies', async () => {
    const spec = probe('plain-tmp', 'tmp');
    const first = json(await plainPool.invoke(spec, makeRequest(spec, { name: 'a', mb: 1 })));
    assert.ok(first.dir.startsWith(plain.scratchDir), first.dir);
    assert.deepEqual(first.before, []);
    assert.deepEqual(json(await plainPool.invoke(spec, makeRequest(spec, { name: 'b' }))).before, ['a']);
    await plainPool.dispose();
    assert.equal(fs.existsSync(first.dir), false, 'the folder went with its environment');
  });

  it('stops an environment whose /tmp folder outgrows EphemeralStorage', async () => {
    const local = createSandboxPool({ logSink: sink, idleTimeoutMs: 60_000, host: plain });
    try {
      const spec = probe('plain-tmp-full', 'tmp', { ephemeralStorage: 4, timeout: 10 });
      const request = makeRequest(spec, { mb: 8, holdMs: 3000 });
      const result = await local.invoke(spec, request);
      assert.equal(json(result).errorType, 'Runtime.ExitError');
      assert.ok(result.durationMs < 2500, `stopped after ${result.durationMs} ms`);
      assert.ok(sink.invocation(request.requestId).some((l) => l.endsWith('/tmp holds 8 MB, more than its EphemeralStorage of 4 MB: the environment is stopped')));
    } finally {
      await local.dispose();
    }
  });
});

/** Host pids of processes whose command line contains marker. */
function findProcesses(marker: string): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/cmdline`, 'latin1').includes(marker)) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out.filter(processExists);
}
