/** The Node.js runtime (bootstrap.cjs) through the pool: callbacks, errors, init failures, timeouts, crashes, what a function's modules see. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createSandboxPool } from './index.ts';
import type { FunctionSpec, InvokeResult } from './types.ts';
import { assertNoChildren, isAlive, json, makeRequest, makeSpec, MemoryLogSink, waitFor } from './test-helpers.ts';

const sink = new MemoryLogSink();
const pool = createSandboxPool({ logSink: sink, idleTimeoutMs: 60_000 });
const seenPids = new Set<number>();

after(async () => {
  await pool.dispose();
  assertNoChildren(seenPids);
});

const ISO = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z`;

async function run(spec: FunctionSpec, event: unknown = {}) {
  const request = makeRequest(spec, event);
  const result = await pool.invoke(spec, request);
  return { request, result, id: request.requestId, logs: sink.invocation(request.requestId) };
}

function environmentsOf(functionName: string) {
  return pool.environments().filter((e) => e.functionName === functionName);
}

function assertUnhandled(result: InvokeResult, errorType: string, errorMessage: string | RegExp): any {
  assert.equal(result.functionError, 'Unhandled');
  const body = json(result);
  assert.equal(body.errorType, errorType);
  if (typeof errorMessage === 'string') assert.equal(body.errorMessage, errorMessage);
  else assert.match(body.errorMessage, errorMessage);
  return body;
}

describe('callback handlers', () => {
  it('with callbackWaitsForEmptyEventLoop, answers once the event loop is empty', async () => {
    const spec = makeSpec('callback', 'index.waits');
    const { result, logs, id } = await run(spec, { delayMs: 300 });
    assert.equal(result.functionError, undefined);
    assert.ok(typeof json(result).answered === 'number');
    assert.ok(result.durationMs >= 280, `answered after ${result.durationMs} ms`);
    const timerLine = logs.findIndex((m) => new RegExp(`^${ISO}\\t${id}\\tINFO\\ttimer after callback fired$`).test(m));
    assert.ok(timerLine > 0 && timerLine < logs.indexOf(`END RequestId: ${id}`), logs.join('\n'));
  });

  it('without it, answers at once and leaves the timer pending', async () => {
    const spec = makeSpec('callback', 'index.noWait');
    const { result, logs } = await run(spec, { delayMs: 400 });
    assert.equal(result.functionError, undefined);
    assert.ok(result.durationMs < 300, `answered after ${result.durationMs} ms`);
    assert.ok(!logs.some((m) => m.includes('late timer fired')));
    await waitFor(() => sink.events.some((e) => e.message.endsWith('\tINFO\tlate timer fired')), 3000, 'the late timer');
  });

  it('reports callback(error) as an Unhandled function error', async () => {
    const spec = makeSpec('callback', 'index.error');
    const { result, logs, id } = await run(spec);
    const body = assertUnhandled(result, 'TypeError', 'bad input');
    assert.equal(body.trace[0], 'TypeError: bad input');
    assert.ok(logs.some((m) => m.startsWith(`${new Date().getUTCFullYear()}`) && m.includes(`\t${id}\tERROR\tInvoke Error \t{"errorType":"TypeError","errorMessage":"bad input","stack":["TypeError: bad input",`)));
  });

  it('supports context.succeed, answers null for a handler that never calls back, and keeps only the first callback', async () => {
    assert.deepEqual(json((await run(makeSpec('callback', 'index.succeed'))).result), { via: 'succeed' });
    assert.equal((await run(makeSpec('callback', 'index.neverCalls'))).result.payload.toString(), 'null');
    const twice = makeSpec('callback', 'index.twice');
    assert.equal(json((await run(twice)).result), 'first');
    assert.equal(json((await run(twice)).result), 'first', 'the environment stays usable');
  });
});

describe('handler errors', () => {
  it('shapes a thrown Error exactly as AWS and keeps the environment', async () => {
    const spec = makeSpec('errors', 'index.asyncThrow');
    const { result, logs, id } = await run(spec);
    assert.match(result.payload.toString(), /^\{"errorType":"Error","errorMessage":"boom","trace":\["Error: boom","    at /);
    const pidsBefore = environmentsOf(spec.functionName).map((e) => e.pid);
    const invokeError = logs.find((m) => m.includes('\tERROR\tInvoke Error \t'));
    assert.match(invokeError ?? '', new RegExp(`^${ISO}\\t${id}\\tERROR\\tInvoke Error \\t\\{"errorType":"Error","errorMessage":"boom","stack":\\["Error: boom","    at `));
    await run(spec);
    assert.deepEqual(environmentsOf(spec.functionName).map((e) => e.pid), pidsBefore);
  });

  it('reports sync throws, custom errors and non-Error throws', async () => {
    assertUnhandled((await run(makeSpec('errors', 'index.syncThrow'))).result, 'RangeError', 'sync boom');
    const custom = await run(makeSpec('errors', 'index.customError'));
    assertUnhandled(custom.result, 'MyCustomError', 'custom');
    assert.ok(custom.logs.some((m) => m.includes('"errorType":"MyCustomError","errorMessage":"custom","code":"E_CUSTOM"')));
    const str = await run(makeSpec('errors', 'index.throwString'));
    assert.equal(str.result.payload.toString(), '{"errorType":"string","errorMessage":"just a string","trace":[]}');
  });

  it('reports an uncaught exception and discards the environment', async () => {
    const spec = makeSpec('errors', 'index.uncaught', { functionName: 'uncaught' });
    const { result, logs } = await run(spec);
    assertUnhandled(result, 'Error', 'thrown from a timer');
    assert.ok(logs.some((m) => m.includes('\tERROR\tUncaught Exception \t{"errorType":"Error","errorMessage":"thrown from a timer"')));
    await waitFor(() => environmentsOf(spec.functionName).length === 0, 3000, 'the environment to go');
  });

  it('runs an invocation sent right after an uncaught exception in a fresh environment, never in the exiting one', async () => {
    const spec = makeSpec('errors', 'index.crashOrOk', { functionName: 'uncaught-then-ok' });
    for (let i = 0; i < 3; i++) {
      assertUnhandled(await pool.invoke(spec, makeRequest(spec, { crash: true })), 'Error', 'thrown from a timer');
      // At once: the environment that crashed may still look idle to the pool.
      const next = await pool.invoke(spec, makeRequest(spec));
      assert.equal(next.functionError, undefined, next.payload.toString());
      assert.equal(next.payload.toString(), '"ok"');
    }
  });

  it('fails an invocation whose function exits right after calling back, and only that one', async () => {
    const spec = makeSpec('errors', 'index.exitAfterCallback', { functionName: 'exit-after-callback' });
    for (let i = 0; i < 3; i++) {
      const exited = await pool.invoke(spec, makeRequest(spec, { exit: true }));
      assert.equal(exited.functionError, 'Unhandled');
      assert.match(exited.payload.toString(), /"errorType":"Runtime\.ExitError".*Runtime exited without providing a reason/);
      const next = await pool.invoke(spec, makeRequest(spec));
      assert.equal(next.payload.toString(), '"ok"', 'the next invocation runs in a fresh environment');
    }
  });

  it('fails an async handler whose promise can never settle with Runtime.NodeJsExit', async () => {
    const { result } = await run(makeSpec('errors', 'index.neverSettles'));
    assertUnhandled(result, 'Runtime.NodeJsExit', /detected an unexpected Node\.js exit code/);
  });

  it('refuses a response over 6 MB with Function.ResponseSizeTooLarge', async () => {
    const { result, logs } = await run(makeSpec('errors', 'index.tooLarge'));
    assert.equal(result.functionError, 'Unhandled');
    assert.equal(
      result.payload.toString(),
      '{"errorMessage":"Response payload size (6291658 bytes) exceeded maximum allowed payload size (6291556 bytes).","errorType":"Function.ResponseSizeTooLarge"}',
    );
    assert.match(logs.at(-1)!, /\tStatus: error\tError Type: Function\.ResponseSizeTooLarge\t$/);
  });
});

describe('init errors', () => {
  const cases: [fixture: string, handler: string, errorType: string, message: string | RegExp][] = [
    ['load-error', 'index.handler', 'Error', 'failed while loading'],
    ['cjs', 'index', 'Runtime.MalformedHandlerName', 'Bad handler'],
    [
      'cjs',
      'x/../index.handler',
      'Runtime.MalformedHandlerName',
      "'x/../index.handler' is not a valid handler name. Use absolute paths when specifying root directories in handler names.",
    ],
    ['cjs', 'index.nothere', 'Runtime.HandlerNotFound', 'index.nothere is undefined or not exported'],
    ['cjs', 'index.notAFunction', 'Runtime.HandlerNotFound', 'index.notAFunction is not a function'],
    ['cjs', 'missing.handler', 'Runtime.ImportModuleError', "Error: Cannot find module 'missing'\nRequire stack:\n- /var/runtime/index.mjs"],
    ['syntax-error', 'index.handler', 'Runtime.UserCodeSyntaxError', /^SyntaxError: Unexpected token/],
  ];
  for (const [fixture, handler, errorType, message] of cases) {
    it(`${fixture} ${handler} → ${errorType}`, async () => {
      const spec = makeSpec(fixture, handler, { functionName: `init-${fixture}-${handler.replace(/\W/g, '_')}` });
      const { result, logs, id } = await run(spec);
      const body = assertUnhandled(result, errorType, message);
      assert.ok(Array.isArray(body.trace) && body.trace[0].startsWith(`${errorType}: `), JSON.stringify(body.trace));
      assert.ok(result.initDurationMs !== undefined);
      assert.match(logs.at(-1)!, new RegExp(`^REPORT RequestId: ${id}\\tDuration: .*\\tStatus: error\\tError Type: ${errorType.replace('.', '\\.')}\\t$`));
      const all = sink.events.filter((e) => e.group === spec.logGroupName).map((e) => e.message);
      const uncaught = all.findIndex((m) => new RegExp(`^${ISO}\\tundefined\\tERROR\\tUncaught Exception \\t\\{"errorType":"${errorType.replace('.', '\\.')}"`).test(m));
      const initReport = all.findIndex((m) => m.startsWith('INIT_REPORT Init Duration: ') && m.endsWith(`\tPhase: init\tStatus: error\tError Type: ${errorType}`));
      assert.ok(uncaught >= 0 && initReport > uncaught && all.indexOf(`START RequestId: ${id} Version: $LATEST`) > initReport, all.join('\n'));
      assert.equal(environmentsOf(spec.functionName).length, 0, 'a failed environment is discarded');
    });
  }

  it('answers Runtime.ExitError when the runtime exits while loading', async () => {
    const spec = makeSpec('exit-at-load', 'index.handler', { functionName: 'init-exit' });
    const { result, id } = await run(spec);
    assert.equal(result.functionError, 'Unhandled');
    assert.equal(result.payload.toString(), `{"errorType":"Runtime.ExitError","errorMessage":"RequestId: ${id} Error: Runtime exited with error: exit status 3"}`);
    assert.ok(result.logTail?.includes('\tundefined\tINFO\tbailing out\n'), result.logTail);
    assert.equal(environmentsOf('init-exit').length, 0);
  });

  it('answers Runtime.InvalidEntrypoint for a custom runtime without bootstrap, and refuses unknown runtimes', async () => {
    const spec = makeSpec('cjs', 'function.handler', { functionName: 'no-bootstrap', runtime: 'provided.al2' });
    const { result, id } = await run(spec);
    assert.equal(result.functionError, 'Unhandled');
    assert.equal(
      result.payload.toString(),
      `{"errorType":"Runtime.InvalidEntrypoint","errorMessage":"RequestId: ${id} Error: Couldn't find valid bootstrap(s): [${spec.codeDir}/bootstrap]"}`,
    );
    const java = makeSpec('cjs', 'index.handler', { runtime: 'java21' });
    await assert.rejects(pool.invoke(java, makeRequest(java)), { name: 'UnsupportedRuntimeError' });
  });

  it('logs what the module printed before failing', async () => {
    const spec = makeSpec('load-error', 'index.handler', { functionName: 'init-logs' });
    const { result } = await run(spec);
    assert.ok(result.logTail?.includes('\tundefined\tINFO\tloading the module\n'), result.logTail);
  });
});

describe('timeouts', () => {
  it('kills a busy loop and a pending promise after the timeout', async () => {
    const cases = ['index.loop', 'index.pending'].map(async (handler) => {
      const spec = makeSpec('timeout', handler, { functionName: `timeout-${handler.slice(6)}`, timeout: 1 });
      const request = makeRequest(spec);
      const invocation = pool.invoke(spec, request);
      await waitFor(() => environmentsOf(spec.functionName).some((e) => e.state === 'busy' && e.pid), 5000, 'busy');
      const pid = environmentsOf(spec.functionName)[0]!.pid!;
      seenPids.add(pid);
      const result = await invocation;
      const id = request.requestId;
      assert.equal(result.functionError, 'Unhandled');
      assert.equal(result.payload.toString(), `{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: ${id} Error: Task timed out after 1.00 seconds"}`);
      assert.ok(result.durationMs >= 1000 && result.durationMs < 2500, `duration ${result.durationMs}`);
      assert.equal(isAlive(pid), false, 'the environment is killed');
      const logs = sink.invocation(id);
      const said = logs.findIndex((m) => m.endsWith(handler === 'index.loop' ? '\tINFO\tabout to spin' : '\tINFO\tabout to wait'));
      const timedOut = logs.findIndex((m) => new RegExp(`^${ISO} ${id} Task timed out after 1\\.00 seconds$`).test(m));
      assert.ok(said > 0 && timedOut > said, logs.join('\n'));
      assert.equal(logs.at(-2), `END RequestId: ${id}`);
      assert.match(logs.at(-1)!, /\tStatus: timeout\t$/);
      assert.equal(environmentsOf(spec.functionName).length, 0);
    });
    await Promise.all(cases);
  });
});

describe('runtime exits', () => {
  const cases: [handler: string, text: string][] = [
    ['index.exit1', 'Runtime exited with error: exit status 1'],
    ['index.sigkill', 'Runtime exited with error: signal: killed'],
    ['index.exit0', 'Runtime exited without providing a reason'],
  ];
  for (const [handler, text] of cases) {
    it(`${handler} → Runtime.ExitError (${text})`, async () => {
      const spec = makeSpec('crash', handler, { functionName: `crash-${handler.slice(6)}` });
      const { result, logs, id } = await run(spec);
      assert.equal(result.functionError, 'Unhandled');
      assert.equal(result.payload.toString(), `{"errorType":"Runtime.ExitError","errorMessage":"RequestId: ${id} Error: ${text}"}`);
      const line = logs.indexOf(`RequestId: ${id} Error: ${text}`);
      assert.ok(line > 0 && logs[line + 1] === 'Runtime.ExitError' && logs[line + 2] === `END RequestId: ${id}`, logs.join('\n'));
      if (handler === 'index.exit1') assert.ok(logs.findIndex((m) => m.endsWith('\tINFO\texiting now')) < line);
      assert.equal(environmentsOf(spec.functionName).length, 0);
      // The next invoke gets a fresh environment (which crashes the same way).
      const again = await run(spec);
      assert.equal(again.result.functionError, 'Unhandled');
      assert.ok(again.result.initDurationMs !== undefined, 'a cold start');
    });
  }
});
