/**
 * Pre-started runtimes (primed-runtimes.ts): a cold start takes a process that was already
 * running, and the function cannot tell: same environment, folder, module paths, log
 * format and errors as a process started for it. Run on plain processes and, where it is
 * usable, under bubblewrap.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { closeSandboxHost, createSandboxPool, detectSandboxHost, plainSandboxHost, type LocalSandboxPool, type SandboxHost } from './index.ts';
import { childPids, commandLine, json, makeRequest, makeSpec, MemoryLogSink, skipUnless, waitFor } from './test-helpers.ts';
import type { FunctionSpec } from './types.ts';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-primed-'));
const bwrapHost = detectSandboxHost({ scratchDir: path.join(scratch, 'bwrap') });
// Where a memory cgroup is writable, a runtime starts through sh (which joins it): its PWD too must match.
const cgroupHost = detectSandboxHost({ scratchDir: path.join(scratch, 'cgroup'), bwrap: false });
const hosts: Array<[name: string, host: SandboxHost, skip: string | false]> = [
  ['plain processes', plainSandboxHost(path.join(scratch, 'plain')), false],
  [`processes ${cgroupHost.cgroup ? 'in a memory cgroup' : '(no writable memory cgroup here)'}`, cgroupHost, false],
  ['bubblewrap', bwrapHost, skipUnless(bwrapHost.bwrap !== null, `bubblewrap is not usable here (${bwrapHost.problems.join('; ') || 'bwrap not found'})`)],
];

after(() => {
  for (const [, host] of hosts) closeSandboxHost(host);
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** Variables that differ between any two environments of one function. */
const PER_ENVIRONMENT = ['AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_LAMBDA_RUNTIME_API', 'TMPDIR'];
const withoutPerEnvironment = (env: Record<string, string>) =>
  Object.fromEntries(Object.entries(env).filter(([k]) => !PER_ENVIRONMENT.includes(k)));

/** Sandboxes of this process that are primed runtimes (directly, or bwrap whose command line holds the runtime's). */
const primedProcesses = () => childPids().filter((pid) => / --pipe --primed/.test(commandLine(pid)));

for (const [name, host, skip] of hosts) {
  describe(`primed runtimes on ${name}`, { skip }, () => {
    const sink = new MemoryLogSink();
    let primed: LocalSandboxPool;
    let fresh: LocalSandboxPool;
    after(async () => {
      await primed?.dispose();
      await fresh?.dispose();
    });
    const start = () => {
      if (!primed) {
        primed = createSandboxPool({ logSink: sink, idleTimeoutMs: 60_000, host, primedRuntimes: 2 });
        primed.primeRuntimes();
      }
      fresh ??= createSandboxPool({ logSink: sink, idleTimeoutMs: 60_000, host });
    };
    const ready = () => waitFor(() => primed.primedReady() === 2, 20_000, 'two primed runtimes');
    /** Invokes probe.origin cold; says whether the process existed before the invoke. */
    const origin = async (pool: LocalSandboxPool, spec: FunctionSpec) => {
      const before = Date.now();
      const result = await pool.invoke(spec, makeRequest(spec));
      assert.equal(result.functionError, undefined, result.payload.toString());
      const body = json(result);
      return { ...body, startedBefore: body.startedAt < before, initDurationMs: result.initDurationMs };
    };

    it('runs a first invocation in a runtime started before it, with the environment a fresh start gets', async () => {
      start();
      await ready();
      const spec = (fn: string) =>
        makeSpec('probe', 'index.origin', { functionName: fn, memorySize: 256, environment: { GREETING: 'hi', AWS_REGION: 'eu-west-9' } });
      const a = await origin(primed, spec('primed-origin'));
      const b = await origin(fresh, spec('primed-origin'));
      assert.equal(a.startedBefore, true, 'the primed pool answered from a process that was already running');
      assert.equal(b.startedBefore, false, 'without the pool the process starts for the invoke');
      assert.deepEqual(withoutPerEnvironment(a.env), withoutPerEnvironment(b.env));
      assert.equal(a.env.GREETING, 'hi');
      assert.equal(a.env.AWS_LAMBDA_FUNCTION_NAME, 'primed-origin');
      assert.equal(a.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, '256');
      assert.deepEqual([a.cwd, a.argv, a.modulePaths, a.tmp], [b.cwd, b.argv, b.modulePaths, b.tmp.replace(b.env.TMPDIR ?? '\0', a.env.TMPDIR ?? '\0')]);
      assert.ok(typeof a.initDurationMs === 'number' && a.initDurationMs > 0, 'the handler load is its Init Duration');
      // Warm again: the same process.
      const again = json(await primed.invoke(spec('primed-origin'), makeRequest(spec('primed-origin'))));
      assert.equal(again.env.AWS_LAMBDA_LOG_STREAM_NAME, a.env.AWS_LAMBDA_LOG_STREAM_NAME);
    });

    it('keeps at most runtimePool.size waiting and refills after cold starts', async () => {
      start();
      await ready();
      for (let i = 0; i < 3; i++) await origin(primed, makeSpec('probe', 'index.origin', { functionName: `primed-refill-${i}` }));
      await ready();
      // The adopted ones are environments now; the others wait.
      const environments = new Set(primed.environments().map((e) => e.pid));
      assert.equal(primedProcesses().filter((pid) => !environments.has(pid)).length, 2, 'runtimePool.size wait, no more');
    });

    it('starts a fresh process for functions a primed runtime could not run as a fresh one', async () => {
      start();
      await ready();
      const cases: Array<[why: string, over: Partial<FunctionSpec>]> = [
        ['NODE_OPTIONS is read at start', { environment: { NODE_OPTIONS: '--max-old-space-size=100' } }],
        ['a layer is bound at start', { layersDir: path.join(scratch, 'no-layer') }],
        ['the /tmp size is set at start', { ephemeralStorage: 1024 }],
      ];
      fs.mkdirSync(path.join(scratch, 'no-layer'), { recursive: true });
      for (const [i, [why, over]] of cases.entries()) {
        if (why.includes('/tmp') && !host.bwrap) continue; // without bubblewrap /tmp is a folder, sized by the watchdog
        const body = await origin(primed, makeSpec('probe', 'index.origin', { functionName: `primed-fresh-${i}`, ...over }));
        assert.equal(body.startedBefore, false, why);
      }
    });

    it('reports a handler that does not load exactly as a fresh runtime does', async () => {
      start();
      await ready();
      const spec = makeSpec('cjs', 'missing.handler', { functionName: 'primed-missing' });
      const a = await primed.invoke(spec, makeRequest(spec));
      const b = await fresh.invoke(spec, makeRequest(spec));
      assert.equal(a.functionError, 'Unhandled');
      // The stack's last frames are node's own and differ with the moment of loading.
      const doc = (r: typeof a) => {
        const d = JSON.parse(r.payload.toString());
        return { ...d, trace: d.trace.slice(0, 3) };
      };
      assert.deepEqual(doc(a), doc(b));
    });

    it('writes JSON log records for a function with LogFormat JSON', async () => {
      start();
      await ready();
      const spec = makeSpec('logging', 'index.handler', { functionName: 'primed-json', jsonLogging: { applicationLogLevel: 'INFO', systemLogLevel: 'INFO' } });
      const result = await primed.invoke(spec, makeRequest(spec));
      assert.equal(result.functionError, undefined, result.payload.toString());
      const records = sink.events.filter((e) => e.group === '/aws/lambda/primed-json' && e.message.startsWith('{"timestamp"')).map((e) => JSON.parse(e.message));
      // Its load-time line too: the runtime took the format from the function's variables before loading it.
      assert.deepEqual(
        records.filter((r) => r.message === 'init line' || r.message === 'hello { a: 1 }').map((r) => [r.level, r.message]),
        [['INFO', 'init line'], ['INFO', 'hello { a: 1 }']],
      );
    });

    it('stops an environment whose function writes garbage to the runtime pipe, and only that one', async () => {
      start();
      const spec = makeSpec('probe', 'index.pipeGarbage', { functionName: 'primed-garbage' });
      const bad = await primed.invoke(spec, makeRequest(spec));
      assert.equal(bad.functionError, 'Unhandled');
      assert.match(bad.payload.toString(), /Runtime\.ExitError/);
      const ok = makeSpec('probe', 'index.origin', { functionName: 'primed-after-garbage' });
      assert.equal((await origin(primed, ok)).env.AWS_LAMBDA_FUNCTION_NAME, 'primed-after-garbage');
    });
  });
}
