import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { createSandboxPool, CREDENTIAL_MARGIN_MS } from './index.ts';
import { json, makeRequest, makeSpec, ManualClock, MemoryLogSink } from './test-helpers.ts';

const clock = new ManualClock();
const issued: Array<{ accessKeyId: string; role: string | undefined }> = [];
const LIFETIME = 60 * 60_000;
const pool = createSandboxPool({
  logSink: new MemoryLogSink(),
  clock,
  idleTimeoutMs: 24 * LIFETIME,
  credentials: (spec) => {
    const accessKeyId = `ASIATEST${String(issued.length).padStart(12, '0')}`;
    issued.push({ accessKeyId, role: spec.role });
    return { accessKeyId, secretAccessKey: 'secret', sessionToken: 'token', expiresAt: clock.now() + LIFETIME };
  },
});
after(() => pool.dispose());

it('each new environment gets role credentials; one close to their expiry is retired, not reused', async () => {
  const spec = makeSpec('cjs', 'index.handler', { functionName: 'creds', role: 'arn:aws:iam::123456789012:role/r' });
  const first = json(await pool.invoke(spec, makeRequest(spec)));
  const warm = json(await pool.invoke(spec, makeRequest(spec)));
  assert.equal(warm.pid, first.pid, 'reused while the credentials are fresh');
  assert.deepEqual(issued, [{ accessKeyId: 'ASIATEST000000000000', role: 'arn:aws:iam::123456789012:role/r' }]);

  // Less than the function's timeout plus the margin left: a fresh environment, fresh credentials.
  clock.advance(LIFETIME - CREDENTIAL_MARGIN_MS - spec.timeout * 1000 + 1);
  const fresh = json(await pool.invoke(spec, makeRequest(spec)));
  assert.notEqual(fresh.pid, first.pid);
  assert.equal(fresh.count, 1);
  assert.equal(issued.length, 2);
  assert.equal(pool.stats().idle + pool.stats().busy, 1, 'the stale environment is gone');
});
