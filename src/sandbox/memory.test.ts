/**
 * MemorySize is enforced: a function that holds more is killed and answers
 * Runtime.OutOfMemory, by the kernel (cgroup) or by the resident-memory watchdog; REPORT's
 * Max Memory Used is measured; files in a tmpfs /tmp do not count as memory.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { closeSandboxHost, createSandboxPool, detectSandboxHost, type SandboxHost } from './index.ts';
import { assertNoChildren, json, makeRequest, makeSpec, MemoryLogSink, skipUnless } from './test-helpers.ts';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-memory-'));
const detected = detectSandboxHost({ scratchDir: path.join(scratch, 'sandboxes') });
const sink = new MemoryLogSink();
const pools: { dispose(): Promise<void> }[] = [];

after(async () => {
  await Promise.all(pools.map((p) => p.dispose()));
  closeSandboxHost(detected);
  fs.rmSync(scratch, { recursive: true, force: true });
  assertNoChildren();
});

function poolOn(host: SandboxHost) {
  const pool = createSandboxPool({ logSink: sink, idleTimeoutMs: 60_000, host });
  pools.push(pool);
  return pool;
}

const hostWith = (over: Partial<SandboxHost>, name: string): SandboxHost => ({
  ...detected,
  scratchDir: path.join(scratch, name),
  ...over,
});

const mechanisms: [name: string, host: SandboxHost, skip: string | false][] = [
  ['the RSS watchdog alone', hostWith({ cgroup: null, bwrap: null, user: null }, 'watchdog'), false],
  ['a cgroup (kernel limit)', hostWith({ bwrap: null, user: null }, 'cgroup'), skipUnless(detected.cgroup !== null, 'no writable memory cgroup')],
  ['bubblewrap with a cgroup and the watchdog', detected, skipUnless(detected.bwrap !== null && detected.cgroup !== null, 'bubblewrap or a writable memory cgroup is missing')],
];

for (const [name, host, skip] of mechanisms) {
  describe(`memory limit by ${name}`, { skip }, () => {
    const pool = poolOn(host);

    it('kills a function that holds more than MemorySize: Runtime.OutOfMemory', async () => {
      const spec = makeSpec('probe', 'index.hog', { functionName: `oom-${pools.length}`, memorySize: 128, timeout: 20 });
      const request = makeRequest(spec, { mb: 400, holdMs: 3000 });
      const result = await pool.invoke(spec, request);
      assert.equal(result.functionError, 'Unhandled');
      const message = `RequestId: ${request.requestId} Error: Runtime exited with error: signal: killed`;
      assert.deepEqual(json(result), { errorType: 'Runtime.OutOfMemory', errorMessage: message });
      assert.equal(result.maxMemoryUsedMB, 128);
      const lines = sink.invocation(request.requestId);
      assert.deepEqual(lines.slice(-4, -2), [message, 'Runtime.OutOfMemory']);
      assert.match(lines.at(-1)!, /\tMemory Size: 128 MB\tMax Memory Used: 128 MB\t.*Status: error\tError Type: Runtime\.OutOfMemory\t$/);
      assert.ok(result.durationMs < 2500, `killed early (${result.durationMs} ms), not at the end of the hold`);
    });

    it('reports the memory a function really used', async () => {
      const spec = makeSpec('probe', 'index.hog', { functionName: `fits-${pools.length}`, memorySize: 256 });
      const small = await pool.invoke(spec, makeRequest(spec, { mb: 1 }));
      assert.equal(small.functionError, undefined, small.payload.toString());
      const big = await pool.invoke(spec, makeRequest(spec, { mb: 80 }));
      assert.equal(big.functionError, undefined, big.payload.toString());
      assert.ok(small.maxMemoryUsedMB >= 20 && small.maxMemoryUsedMB < 128, `idle node uses ${small.maxMemoryUsedMB} MB`);
      assert.ok(big.maxMemoryUsedMB >= small.maxMemoryUsedMB + 75, `${big.maxMemoryUsedMB} MB after holding 80 MB more`);
      assert.ok(big.maxMemoryUsedMB < 256);
    });
  });
}

describe('/tmp is not memory', { skip: skipUnless(detected.bwrap !== null, 'bubblewrap is not usable') }, () => {
  it('lets a 128 MB function fill a 300 MB tmpfs /tmp', async () => {
    const pool = poolOn(detected);
    const spec = makeSpec('probe', 'index.tmp', { functionName: 'tmp-not-memory', memorySize: 128, ephemeralStorage: 512, timeout: 30 });
    const result = await pool.invoke(spec, makeRequest(spec, { mb: 300 }));
    assert.equal(result.functionError, undefined, result.payload.toString());
    assert.deepEqual([json(result).writtenMB, json(result).error], [300, null]);
    assert.ok(result.maxMemoryUsedMB < 128, `Max Memory Used ${result.maxMemoryUsedMB} MB`);
  });
});
