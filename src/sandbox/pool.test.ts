import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createSandboxPool, SandboxPoolDisposedError } from './index.ts';
import {
  assertNoChildren,
  childPids,
  FIXTURES,
  isAlive,
  json,
  makeRequest,
  makeSpec,
  ManualClock,
  MemoryLogSink,
  waitFor,
} from './test-helpers.ts';

const sink = new MemoryLogSink();
const pool = createSandboxPool({ logSink: sink, idleTimeoutMs: 60_000 });
const seenPids = new Set<number>();

after(async () => {
  await pool.dispose();
  assertNoChildren(seenPids);
});

describe('handler module formats', () => {
  const cases: [fixture: string, handler: string, check: (body: any) => void][] = [
    ['cjs', 'index.handler', (b) => assert.equal(b.format, 'cjs')],
    ['esm-mjs', 'index.handler', (b) => assert.deepEqual([b.format, b.isModule], ['esm-mjs', true])],
    ['esm-type-module', 'index.handler', (b) => assert.deepEqual([b.format, b.isModule], ['esm-type-module', true])],
    ['cjs-extension', 'index.handler', (b) => assert.deepEqual([b.format, b.isCommonJs], ['cjs-extension', true])],
    ['subfolder', 'src/app.handler', (b) => assert.deepEqual([b.format, b.file], ['subfolder', 'src/app.js'])],
    ['cjs', 'index.nested.deeper.handler', (b) => assert.equal(b, 'nested')],
  ];
  for (const [fixture, handler, check] of cases) {
    it(`runs ${fixture} ${handler}`, async () => {
      const spec = makeSpec(fixture, handler);
      const result = await pool.invoke(spec, makeRequest(spec, { hello: fixture }));
      assert.equal(result.functionError, undefined, result.payload.toString());
      const body = json(result);
      check(body);
      if (typeof body === 'object') assert.deepEqual(body.event, { hello: fixture });
    });
  }
});

describe('context and environment', () => {
  it('gives the handler the full context and exactly the reserved environment', async () => {
    process.env.NIMBUS_HOST_ONLY = 'must not leak';
    process.env.NODE_EXTRA_CA_CERTS = '/nonexistent/ca.pem';
    const spec = makeSpec('cjs', 'index.handler', {
      functionName: 'context-echo',
      memorySize: 256,
      timeout: 7,
      environment: { GREETING: 'hi', AWS_REGION: 'eu-west-9', TZ: 'Europe/Paris', _HANDLER: 'x.y', LANG: 'C.UTF-8' },
    });
    const clientContext = JSON.stringify({ client: { installation_id: 'i-1', app_title: 'Ünïcode app' }, custom: { k: 'v' }, env: {} });
    const cognitoIdentity = JSON.stringify({ cognitoIdentityId: 'id-1', cognitoIdentityPoolId: 'pool-1' });
    const request = makeRequest(spec, { x: 1 }, {
      invokedFunctionArn: `${spec.functionArn}:prod`,
      clientContext,
      cognitoIdentity,
    });
    try {
      const result = await pool.invoke(spec, request);
      const body = json(result);
      seenPids.add(body.pid);
      const c = body.context;
      assert.equal(c.awsRequestId, request.requestId);
      assert.equal(c.functionName, 'context-echo');
      assert.equal(c.functionVersion, '$LATEST');
      assert.equal(c.invokedFunctionArn, `${spec.functionArn}:prod`);
      assert.equal(c.memoryLimitInMB, '256');
      assert.equal(c.logGroupName, '/aws/lambda/context-echo');
      assert.match(c.logStreamName, /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
      assert.equal(c.logStreamName, sink.streamOf(request.requestId).stream);
      assert.ok(c.remaining > 5000 && c.remaining <= 7000, `remaining ${c.remaining}`);
      assert.deepEqual(c.clientContext, JSON.parse(clientContext));
      assert.deepEqual(c.identity, { cognitoIdentityId: 'id-1', cognitoIdentityPoolId: 'pool-1' });
      assert.equal(c.callbackWaitsForEmptyEventLoop, true);
      assert.deepEqual(c.hasLegacy, ['function', 'function', 'function']);
      assert.equal(body.cwd, `${FIXTURES}/cjs`);

      const env = body.env;
      assert.equal(env._HANDLER, 'index.handler');
      assert.equal(env.AWS_REGION, 'us-east-1');
      assert.equal(env.AWS_DEFAULT_REGION, 'us-east-1');
      assert.equal(env.AWS_EXECUTION_ENV, 'AWS_Lambda_nodejs20.x');
      assert.equal(env.AWS_LAMBDA_FUNCTION_NAME, 'context-echo');
      assert.equal(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, '256');
      assert.equal(env.AWS_LAMBDA_FUNCTION_VERSION, '$LATEST');
      assert.equal(env.AWS_LAMBDA_INITIALIZATION_TYPE, 'on-demand');
      assert.equal(env.AWS_LAMBDA_LOG_GROUP_NAME, '/aws/lambda/context-echo');
      assert.equal(env.AWS_LAMBDA_LOG_STREAM_NAME, c.logStreamName);
      assert.match(env.AWS_LAMBDA_RUNTIME_API, /^127\.0\.0\.1:\d+$/);
      assert.equal(env.LAMBDA_TASK_ROOT, `${FIXTURES}/cjs`);
      assert.match(env.LAMBDA_RUNTIME_DIR, /src\/runtime\/node$/);
      assert.equal(env.TZ, ':UTC');
      assert.equal(env.LANG, 'C.UTF-8', 'unreserved variables can be overridden');
      assert.match(env.PATH, /\/usr\/bin/);
      assert.match(env.LD_LIBRARY_PATH, /^\/lib64:\/usr\/lib64:/);
      assert.match(env.NODE_PATH, /^\/opt\/nodejs\/node20\/node_modules:\/opt\/nodejs\/node_modules:/);
      assert.equal(env._X_AMZN_TRACE_ID, request.traceId);
      assert.equal(env.GREETING, 'hi');
      assert.equal(env.NODE_EXTRA_CA_CERTS, undefined, 'host environment must not be inherited');
      assert.equal(env.HOME, undefined, 'host environment must not be inherited');
    } finally {
      delete process.env.NIMBUS_HOST_ONLY;
      delete process.env.NODE_EXTRA_CA_CERTS;
    }
  });
});

describe('environment reuse and scaling', () => {
  it('reuses the warm environment for sequential invokes', async () => {
    const spec = makeSpec('cjs', 'index.handler', { functionName: 'warm' });
    const first = await pool.invoke(spec, makeRequest(spec));
    const second = await pool.invoke(spec, makeRequest(spec));
    const [a, b] = [json(first), json(second)];
    seenPids.add(a.pid);
    assert.equal(a.pid, b.pid);
    assert.deepEqual([a.count, b.count], [1, 2]);
    assert.ok(first.initDurationMs !== undefined && first.initDurationMs > 0);
    assert.equal(second.initDurationMs, undefined);
    assert.ok(second.maxMemoryUsedMB > 10, `max memory ${second.maxMemoryUsedMB}`);
    const envs = pool.environments().filter((e) => e.functionName === 'warm');
    assert.deepEqual(envs.map((e) => [e.state, e.pid]), [['idle', a.pid]]);
  });

  it('gives simultaneous invokes their own environments', async () => {
    const spec = makeSpec('cjs', 'index.slow', { functionName: 'concurrent' });
    const running = Promise.all([
      pool.invoke(spec, makeRequest(spec, { ms: 400 })),
      pool.invoke(spec, makeRequest(spec, { ms: 400 })),
    ]);
    await waitFor(() => pool.environments().filter((e) => e.functionName === 'concurrent').length === 2, 2000, 'two environments');
    const during = pool.environments().filter((e) => e.functionName === 'concurrent');
    assert.ok(during.every((e) => e.state === 'busy' || e.state === 'starting'), JSON.stringify(during));
    const [r1, r2] = (await running).map(json);
    assert.notEqual(r1.pid, r2.pid);
    assert.deepEqual([r1.count, r2.count], [1, 1]);
    seenPids.add(r1.pid).add(r2.pid);
    const third = json(await pool.invoke(spec, makeRequest(spec, { ms: 1 })));
    assert.ok([r1.pid, r2.pid].includes(third.pid), 'a warm one is reused');
    assert.equal(third.count, 2);
  });

  it('retires environments of a function except those of keepKey', async () => {
    const oldSpec = makeSpec('cjs', 'index.handler', { functionName: 'retiree', key: 'retiree:v1' });
    const newSpec = makeSpec('cjs', 'index.handler', { functionName: 'retiree', key: 'retiree:v2' });
    const oldPid = json(await pool.invoke(oldSpec, makeRequest(oldSpec))).pid;
    const newPid = json(await pool.invoke(newSpec, makeRequest(newSpec))).pid;
    seenPids.add(oldPid).add(newPid);
    pool.retire('retiree', 'retiree:v2');
    await waitFor(() => !isAlive(oldPid), 2000, 'retired environment to die');
    assert.ok(isAlive(newPid));
    assert.equal(json(await pool.invoke(newSpec, makeRequest(newSpec))).pid, newPid);
    const fresh = json(await pool.invoke(oldSpec, makeRequest(oldSpec)));
    assert.notEqual(fresh.pid, oldPid);
    seenPids.add(fresh.pid);
  });

  it('retires a busy environment after its current invocation', async () => {
    const spec = makeSpec('cjs', 'index.slow', { functionName: 'busy-retiree' });
    const running = pool.invoke(spec, makeRequest(spec, { ms: 300 }));
    await waitFor(() => pool.environments().some((e) => e.functionName === 'busy-retiree' && e.state === 'busy'), 3000, 'busy');
    pool.retire('busy-retiree');
    const result = await running;
    assert.equal(result.functionError, undefined);
    const { pid } = json(result);
    seenPids.add(pid);
    await waitFor(
      () => !isAlive(pid) && pool.environments().every((e) => e.functionName !== 'busy-retiree'),
      2000,
      'retired environment to die',
    );
  });
});

describe('idle reaping', () => {
  it('kills an environment idle for idleTimeoutMs, on the injected clock', async () => {
    const clock = new ManualClock();
    const reaping = createSandboxPool({ logSink: new MemoryLogSink(), clock, idleTimeoutMs: 1000 });
    try {
      const spec = makeSpec('cjs', 'index.handler', { functionName: 'reaped' });
      const { pid } = json(await reaping.invoke(spec, makeRequest(spec)));
      seenPids.add(pid);
      assert.deepEqual(reaping.stats(), { busy: 0, idle: 1, starting: 0 });
      clock.advance(999);
      assert.deepEqual(reaping.stats(), { busy: 0, idle: 1, starting: 0 });
      assert.equal(json(await reaping.invoke(spec, makeRequest(spec))).pid, pid, 'use resets the idle timer');
      clock.advance(999);
      assert.equal(reaping.stats().idle, 1);
      clock.advance(2);
      await waitFor(() => !isAlive(pid), 2000, 'idle environment to be reaped');
      assert.deepEqual(reaping.stats(), { busy: 0, idle: 0, starting: 0 });
    } finally {
      await reaping.dispose();
    }
  });
});

describe('host death', () => {
  for (const mode of ['idle', 'busy']) {
    it(`ends a ${mode} environment when the host process dies`, async () => {
      const hostScript = path.join(FIXTURES, '../sandbox/host.ts');
      const host = spawn(process.execPath, ['--import', 'tsx', hostScript, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
      const sandboxPid = await new Promise<number>((resolve, reject) => {
        let out = '';
        host.stdout.on('data', (c: Buffer) => {
          out += c;
          if (out.includes('\n')) resolve(Number(out.trim()));
        });
        host.on('exit', () => reject(new Error('host exited early')));
      });
      assert.ok(isAlive(sandboxPid));
      host.kill('SIGKILL');
      await waitFor(() => !isAlive(sandboxPid), 3000, 'the orphaned environment to exit');
    });
  }
});

describe('dispose', () => {
  it('kills every child, fails in-flight invokes and refuses new ones', async () => {
    const disposable = createSandboxPool({ logSink: new MemoryLogSink(), idleTimeoutMs: 60_000 });
    const idleSpec = makeSpec('esm-mjs', 'index.handler', { functionName: 'd-idle' });
    const busySpec = makeSpec('timeout', 'index.pending', { functionName: 'd-busy', timeout: 30 });
    const { pid: idlePid } = json(await disposable.invoke(idleSpec, makeRequest(idleSpec)));
    const settled = (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => e);
    const inFlight = settled(disposable.invoke(busySpec, makeRequest(busySpec)));
    const starting = settled(disposable.invoke(busySpec, makeRequest(busySpec)));
    await waitFor(() => disposable.stats().busy >= 1, 3000, 'busy environment');
    const pids = disposable.environments().map((e) => e.pid!);
    pids.forEach((p) => seenPids.add(p));
    assert.ok(pids.length >= 2 && pids.includes(idlePid));
    assert.ok(pids.every(isAlive));
    await disposable.dispose();
    assert.ok((await inFlight) instanceof SandboxPoolDisposedError);
    assert.ok((await starting) instanceof SandboxPoolDisposedError);
    for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} survived dispose`);
    assert.deepEqual(disposable.stats(), { busy: 0, idle: 0, starting: 0 });
    await assert.rejects(disposable.invoke(idleSpec, makeRequest(idleSpec)), SandboxPoolDisposedError);
    const mine = new Set(pids);
    assert.deepEqual(childPids().filter((p) => mine.has(p)), []);
  });
});
