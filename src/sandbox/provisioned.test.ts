/**
 * Provisioned concurrency in the pool: environments initialised ahead of time
 * (AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency), preferred by invokes, never
 * reaped, replaced when they die, and whose invocations report no Init Duration.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createSandboxPool, ProvisioningError } from './index.ts';
import { assertNoChildren, json, makeRequest, makeSpec, ManualClock, MemoryLogSink, waitFor } from './test-helpers.ts';

const sink = new MemoryLogSink();
const clock = new ManualClock();
const pool = createSandboxPool({ logSink: sink, idleTimeoutMs: 1000, clock });

after(async () => {
  await pool.dispose();
  assertNoChildren();
});

const spec = makeSpec('probe', 'index.whoami', { functionName: 'prov' });
const envsOf = (key: string) => pool.environments().filter((e) => e.key === key);

describe('provisioned concurrency', () => {
  it('starts the environments ahead of time, fully initialised', async () => {
    assert.deepEqual(pool.provisioned(spec.key), { ready: 0, requested: 0 });
    await pool.provision(spec, 2);
    assert.deepEqual(pool.provisioned(spec.key), { ready: 2, requested: 2 });
    assert.deepEqual(envsOf(spec.key).map((e) => [e.state, e.provisioned]), [['idle', true], ['idle', true]]);
  });

  it('serves invokes from them first, without Init Duration', async () => {
    const request = makeRequest(spec);
    const result = await pool.invoke(spec, request);
    assert.equal(json(result).initType, 'provisioned-concurrency');
    assert.equal(result.initDurationMs, undefined);
    const report = sink.invocation(request.requestId).at(-1)!;
    assert.ok(!report.includes('Init Duration'), report);
    assert.equal(envsOf(spec.key).length, 2, 'no new environment');
  });

  it('spills over to on-demand environments when all are busy', async () => {
    const sleeper = { ...makeSpec('probe', 'index.sleep', { functionName: 'prov-sleep' }) };
    await pool.provision(sleeper, 2);
    const results = await Promise.all([0, 1, 2].map(() => pool.invoke(sleeper, makeRequest(sleeper, { ms: 300 }))));
    const cold = results.filter((r) => r.initDurationMs !== undefined);
    assert.equal(cold.length, 1, 'one on-demand cold start, two provisioned');
    assert.equal(new Set(results.map((r) => json(r).stream)).size, 3);
    pool.unprovision(sleeper.key);
  });

  it('never reaps them, while an idle on-demand environment is reaped', async () => {
    const onDemand = makeSpec('probe', 'index.whoami', { functionName: 'prov-other' });
    await pool.invoke(onDemand, makeRequest(onDemand));
    clock.advance(5000);
    await waitFor(() => envsOf(onDemand.key).length === 0, 5000, 'the on-demand environment to be reaped');
    assert.deepEqual(pool.provisioned(spec.key), { ready: 2, requested: 2 });
  });

  it('replaces one that dies, and scales to a new count', async () => {
    const crashing = makeSpec('probe', 'index.exits', { functionName: 'prov-crash' });
    await pool.provision(crashing, 1);
    const result = await pool.invoke(crashing, makeRequest(crashing));
    assert.equal(json(result).errorType, 'Runtime.ExitError');
    await waitFor(() => pool.provisioned(crashing.key).ready === 1 && envsOf(crashing.key).length === 1, 5000, 'a replacement');
    pool.unprovision(crashing.key);

    await pool.provision(spec, 1);
    await waitFor(() => envsOf(spec.key).length === 1, 5000, 'the surplus to go');
    assert.deepEqual(pool.provisioned(spec.key), { ready: 1, requested: 1 });
    await pool.provision(spec, 3);
    assert.deepEqual(pool.provisioned(spec.key), { ready: 3, requested: 3 });
  });

  it('releases them on unprovision', async () => {
    pool.unprovision(spec.key);
    assert.deepEqual(pool.provisioned(spec.key), { ready: 0, requested: 0 });
    await waitFor(() => envsOf(spec.key).length === 0, 5000, 'the environments to go');
  });

  it('rejects when the environments cannot initialise', async () => {
    const broken = makeSpec('load-error', 'index.handler', { functionName: 'prov-broken' });
    await assert.rejects(pool.provision(broken, 2), ProvisioningError);
    assert.deepEqual(pool.provisioned(broken.key), { ready: 0, requested: 2 });
    pool.unprovision(broken.key);
  });
});
