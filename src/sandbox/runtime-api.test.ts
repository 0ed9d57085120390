/** The Runtime API driven with raw HTTP, as a custom runtime (curl in a shell script) would. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { createSandboxPool } from './index.ts';
import { MAX_RESPONSE_PAYLOAD_BYTES, RuntimeApiServer, type RuntimeInvocation, type RuntimeOutcome } from './runtime-api.ts';
import { assertNoChildren, json, makeRequest, makeSpec, MemoryLogSink, waitFor } from './test-helpers.ts';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function call(
  address: string,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
  via: http.Agent | false = agent,
): Promise<Reply> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port: Number(port), method, path, headers, agent: via }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const NEXT = '/2018-06-01/runtime/invocation/next';
const response = (id: string) => `/2018-06-01/runtime/invocation/${id}/response`;
const error = (id: string) => `/2018-06-01/runtime/invocation/${id}/error`;
const INIT_ERROR = '/2018-06-01/runtime/init/error';
const ACCEPTED = '{"status":"OK"}\n';
const INVALID_ID = '{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}\n';
const invalidState = (from: string, to: string) =>
  `{"errorMessage":"State transition from ${from} to ${to} failed for runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"}\n`;

function invocation(requestId: string, overrides: Partial<RuntimeInvocation> = {}): RuntimeInvocation {
  return {
    requestId,
    payload: Buffer.from(`{"id":"${requestId}"}`),
    deadlineMs: 1_700_000_003_000,
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:raw',
    traceId: 'Root=1-abc;Sampled=0',
    ...overrides,
  };
}

describe('Runtime API over raw HTTP', () => {
  let api: RuntimeApiServer;
  let address: string;
  let ready: number;
  let initErrors: [string, string][];

  beforeEach(async () => {
    ready = 0;
    initErrors = [];
    api = new RuntimeApiServer({
      onReady: () => ready++,
      onInitError: (type, payload) => initErrors.push([type, payload.toString()]),
    });
    address = await api.listen();
  });
  afterEach(() => api.close());

  it('long-polls /next until an invocation is assigned, with the Lambda-Runtime-* headers', async () => {
    const next = call(address, 'GET', NEXT);
    await waitFor(() => ready === 1, 5000, 'the first /next to mean init is done');
    const outcome = api.invoke(
      invocation('req-1', { clientContext: '{\n "custom": {"app": "Ünï"}\n}', cognitoIdentity: '{"cognitoIdentityId":"c1"}' }),
    );
    const got = await next;
    assert.equal(got.status, 200);
    assert.equal(got.body, '{"id":"req-1"}');
    assert.equal(got.headers['lambda-runtime-aws-request-id'], 'req-1');
    assert.equal(got.headers['lambda-runtime-deadline-ms'], '1700000003000');
    assert.equal(got.headers['lambda-runtime-invoked-function-arn'], 'arn:aws:lambda:us-east-1:123456789012:function:raw');
    assert.equal(got.headers['lambda-runtime-trace-id'], 'Root=1-abc;Sampled=0');
    assert.deepEqual(JSON.parse(got.headers['lambda-runtime-client-context'] as string), { custom: { app: 'Ünï' } });
    assert.equal(got.headers['lambda-runtime-cognito-identity'], '{"cognitoIdentityId":"c1"}');
    assert.equal(got.headers['content-type'], 'application/json');

    const posted = await call(address, 'POST', response('req-1'), '{"answer":42}');
    assert.deepEqual([posted.status, posted.body], [202, ACCEPTED]);
    assert.deepEqual(await outcome, { kind: 'response', payload: Buffer.from('{"answer":42}') } satisfies RuntimeOutcome);
  });

  it('refuses an answer for a wrong request id (400) and a second answer (403)', async () => {
    const outcome = api.invoke(invocation('req-2'));
    assert.equal((await call(address, 'GET', NEXT)).headers['lambda-runtime-aws-request-id'], 'req-2');

    const wrong = await call(address, 'POST', response('not-the-id'), '"x"');
    assert.deepEqual([wrong.status, wrong.body], [400, INVALID_ID]);
    const wrongError = await call(address, 'POST', error('not-the-id'), '{}');
    assert.deepEqual([wrongError.status, wrongError.body], [400, INVALID_ID]);

    assert.equal((await call(address, 'POST', response('req-2'), '"first"')).status, 202);
    assert.equal((await outcome as { payload: Buffer }).payload.toString(), '"first"');

    const again = await call(address, 'POST', response('req-2'), '"second"');
    assert.deepEqual([again.status, again.body], [403, invalidState('RuntimeResponseSentState', 'InvocationResponse')]);
    const errorAfter = await call(address, 'POST', error('req-2'), '{}');
    assert.deepEqual([errorAfter.status, errorAfter.body], [403, invalidState('RuntimeResponseSentState', 'InvocationErrorResponse')]);

    // The next invocation makes the old id unknown.
    const parked = call(address, 'GET', NEXT);
    await new Promise((r) => setTimeout(r, 20));
    const second = api.invoke(invocation('req-3'));
    assert.equal((await parked).headers['lambda-runtime-aws-request-id'], 'req-3');
    assert.equal((await call(address, 'POST', response('req-2'), '"stale"')).status, 400);
    assert.equal((await call(address, 'POST', response('req-3'), '"ok"')).status, 202);
    assert.equal(((await second) as { payload: Buffer }).payload.toString(), '"ok"');
  });

  it('takes an error with its Lambda-Runtime-Function-Error-Type', async () => {
    const outcome = api.invoke(invocation('req-4'));
    await call(address, 'GET', NEXT);
    const body = '{"errorMessage":"bad","errorType":"Custom.Bad"}';
    const posted = await call(address, 'POST', error('req-4'), body, { 'Lambda-Runtime-Function-Error-Type': 'Custom.Bad' });
    assert.deepEqual([posted.status, posted.body], [202, ACCEPTED]);
    assert.deepEqual(await outcome, { kind: 'error', errorType: 'Custom.Bad', payload: Buffer.from(body) });
  });

  it('answers 413 to a response over 6 MB and fails the invoke with Function.ResponseSizeTooLarge', async () => {
    const outcome = api.invoke(invocation('req-5'));
    await call(address, 'GET', NEXT);
    const big = Buffer.alloc(MAX_RESPONSE_PAYLOAD_BYTES + 1, 0x61);
    const posted = await call(address, 'POST', response('req-5'), big);
    assert.equal(posted.status, 413);
    assert.equal(posted.body, '{"errorMessage":"Exceeded maximum allowed payload size (6291556 bytes).","errorType":"RequestEntityTooLarge"}\n');
    const result = await outcome;
    assert.equal(result.kind, 'error');
    assert.equal(
      result.payload.toString(),
      '{"errorMessage":"Response payload size (6291557 bytes) exceeded maximum allowed payload size (6291556 bytes).","errorType":"Function.ResponseSizeTooLarge"}',
    );
    // Exactly the limit is fine.
    const ok = api.invoke(invocation('req-6'));
    await call(address, 'GET', NEXT);
    assert.equal((await call(address, 'POST', response('req-6'), big.subarray(1))).status, 202);
    assert.equal(((await ok) as { payload: Buffer }).payload.length, MAX_RESPONSE_PAYLOAD_BYTES);
  });

  it('accepts /init/error before the first /next only', async () => {
    const body = '{"errorMessage":"no","errorType":"Runtime.Custom","trace":[]}';
    const posted = await call(address, 'POST', INIT_ERROR, body, { 'Lambda-Runtime-Function-Error-Type': 'Runtime.Custom' });
    assert.deepEqual([posted.status, posted.body], [202, ACCEPTED]);
    assert.deepEqual(initErrors, [['Runtime.Custom', body]]);
    const nextAfter = await call(address, 'GET', NEXT);
    assert.deepEqual([nextAfter.status, nextAfter.body], [403, invalidState('InitError', 'Ready')]);
    const again = await call(address, 'POST', INIT_ERROR, body);
    assert.deepEqual([again.status, again.body], [403, invalidState('InitError', 'InitError')]);
  });

  it('refuses /init/error once initialised, and unknown routes', async () => {
    const outcome = api.invoke(invocation('req-7'));
    await call(address, 'GET', NEXT);
    const late = await call(address, 'POST', INIT_ERROR, '{}');
    assert.deepEqual([late.status, late.body], [403, invalidState('Ready', 'InitError')]);
    assert.equal((await call(address, 'GET', '/2018-06-01/runtime/invocation/req-7/nothing')).status, 404);
    assert.equal((await call(address, 'GET', '/2018-06-01/runtime/invocation/req-7/response')).status, 405);
    assert.equal((await call(address, 'POST', NEXT, '{}')).status, 405);
    assert.equal((await call(address, 'GET', '/2019-01-01/runtime/invocation/next')).status, 404);
    assert.equal((await call(address, 'POST', response('req-7'), '1')).status, 202);
    await outcome;
  });

  it('gives each environment its own port: one cannot fetch or answer another’s invocation', async () => {
    const other = new RuntimeApiServer({ onReady() {}, onInitError() {} });
    const otherAddress = await other.listen();
    try {
      assert.notEqual(otherAddress, address);
      const outcome = api.invoke(invocation('mine'));
      let otherGot = false;
      // The other environment's runtime waits on its own connection.
      const otherNext = call(otherAddress, 'GET', NEXT, undefined, {}, false).then((r) => ((otherGot = true), r));
      otherNext.catch(() => {});
      assert.equal((await call(address, 'GET', NEXT)).headers['lambda-runtime-aws-request-id'], 'mine');
      const stolen = await call(otherAddress, 'POST', response('mine'), '"stolen"');
      assert.deepEqual([stolen.status, stolen.body], [400, INVALID_ID]);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(otherGot, false, 'the other runtime is still waiting');
      assert.equal((await call(address, 'POST', response('mine'), '"mine"')).status, 202);
      assert.equal(((await outcome) as { payload: Buffer }).payload.toString(), '"mine"');
    } finally {
      await other.close();
    }
  });
});

const hasCurl = (() => {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('a custom runtime (provided.al2023) in shell + curl', { skip: !hasCurl && 'curl is not installed' }, () => {
  const sink = new MemoryLogSink();
  const pool = createSandboxPool({ logSink: sink, idleTimeoutMs: 60_000 });
  after(async () => {
    await pool.dispose();
    agent.destroy();
    assertNoChildren();
  });

  it('runs unmodified against the Runtime API', async () => {
    const spec = makeSpec('provided-curl', 'function.handler', { runtime: 'provided.al2023' });
    const ok = makeRequest(spec, { x: 1 });
    const result = await pool.invoke(spec, ok);
    assert.equal(result.functionError, undefined, result.payload.toString());
    assert.deepEqual(json(result), { echo: { x: 1 }, requestId: ok.requestId });
    assert.ok(result.initDurationMs !== undefined);

    const failing = makeRequest(spec, { fail: true });
    const failed = await pool.invoke(spec, failing);
    assert.equal(failed.functionError, 'Unhandled');
    assert.deepEqual(json(failed), { errorMessage: 'asked to fail', errorType: 'Custom.Failure' });
    assert.equal(pool.environments().length, 1, 'one warm environment served both');

    const all = sink.events.map((e) => e.message);
    assert.ok(all.indexOf('custom runtime up, handler function.handler') < all.indexOf(`START RequestId: ${ok.requestId} Version: $LATEST`));
    assert.ok(sink.invocation(ok.requestId).includes('got event {"x":1}'));
  });
});

after(() => agent.destroy());
