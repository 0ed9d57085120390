/**
 * The Nimbus Python runtime (src/runtime/python/bootstrap.py) on the host's python3:
 * handler resolution, the context object, AWS's error documents and log formats.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createSandboxPool, hostPython } from './index.ts';
import { assertNoChildren, json, makeRequest, makeSpec, MemoryLogSink, skipUnless } from './test-helpers.ts';
import type { FunctionSpec } from './types.ts';

const skip = skipUnless(hostPython() !== null, 'python3 is not installed');
const sink = new MemoryLogSink();
const pool = createSandboxPool({ logSink: sink, idleTimeoutMs: 60_000 });

after(async () => {
  await pool.dispose();
  assertNoChildren();
});

const spec = (fixture: string, handler: string, over: Partial<FunctionSpec> = {}) =>
  makeSpec(fixture, handler, { runtime: 'python3.12', functionName: `py-${handler.replace(/\W/g, '-')}`, ...over });

describe('python3.x handlers', { skip }, () => {
  it('runs module.function with the full context, print and logging output in the log', async () => {
    const s = spec('python-basic', 'app.handler', { memorySize: 256, timeout: 7 });
    const request = makeRequest(s, { x: 1 }, {
      invokedFunctionArn: `${s.functionArn}:live`,
      clientContext: JSON.stringify({ custom: { k: 'v' }, client: { installation_id: 'i-1' }, env: {} }),
      cognitoIdentity: JSON.stringify({ cognitoIdentityId: 'id-1', cognitoIdentityPoolId: 'pool-1' }),
    });
    const result = await pool.invoke(s, request);
    assert.equal(result.functionError, undefined, result.payload.toString());
    const body = json(result);
    assert.deepEqual(body.event, { x: 1 });
    const c = body.context;
    assert.equal(c.aws_request_id, request.requestId);
    assert.equal(c.function_name, s.functionName);
    assert.equal(c.function_version, '$LATEST');
    assert.equal(c.invoked_function_arn, `${s.functionArn}:live`);
    assert.equal(c.memory_limit_in_mb, '256');
    assert.equal(c.log_group_name, s.logGroupName);
    assert.equal(c.log_stream_name, sink.streamOf(request.requestId).stream);
    assert.ok(c.remaining > 5000 && c.remaining <= 7000, `remaining ${c.remaining}`);
    assert.deepEqual(c.client_context, { custom: { k: 'v' }, installation_id: 'i-1' });
    assert.deepEqual(c.identity, { id: 'id-1', pool: 'pool-1' });
    assert.equal(body.env.AWS_EXECUTION_ENV, 'AWS_Lambda_python3.12');
    assert.equal(body.env._HANDLER, 'app.handler');
    assert.equal(body.env._X_AMZN_TRACE_ID, request.traceId);
    assert.equal(body.path0, body.env.LAMBDA_TASK_ROOT, 'the code comes first on sys.path');

    const lines = sink.invocation(request.requestId);
    assert.ok(lines.includes('got event {"x": 1}'), lines.join('\n'));
    // One logging call is one log event, with AWS's text format.
    const info = lines.find((l) => l.startsWith('[INFO]'));
    assert.match(info ?? '', new RegExp(`^\\[INFO\\]\\t\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\t${request.requestId}\\tinfo line\\nsecond line$`));
    assert.ok(!lines.some((l) => l.includes('not shown at INFO')));
    assert.ok(sink.events.some((e) => e.message === 'module loaded' && e.stream === c.log_stream_name), 'init output is logged');

    const again = json(await pool.invoke(s, makeRequest(s, { x: 2 })));
    assert.equal(again.calls, 2, 'the module stays loaded in a warm environment');
  });

  it('resolves handlers in subpackages (pkg/sub/mod.fn)', async () => {
    const s = spec('python-basic', 'pkg/sub/mod.fn');
    const result = await pool.invoke(s, makeRequest(s, { y: 2 }));
    assert.deepEqual(json(result), { where: 'pkg.sub.mod', event: { y: 2 } });
  });

  it('answers an exception with AWS\'s Python error document and logs it', async () => {
    const s = spec('python-basic', 'app.fails');
    const request = makeRequest(s, { why: 'because' });
    const result = await pool.invoke(s, request);
    assert.equal(result.functionError, 'Unhandled');
    const body = json(result);
    assert.deepEqual(Object.keys(body), ['errorMessage', 'errorType', 'requestId', 'stackTrace']);
    assert.equal(body.errorMessage, 'it broke: because');
    assert.equal(body.errorType, 'CustomError');
    assert.equal(body.requestId, request.requestId);
    assert.equal(body.stackTrace.length, 1, 'the runtime\'s own frames are left out');
    assert.match(body.stackTrace[0], /^ {2}File ".*app\.py", line \d+, in fails\n {4}raise CustomError/);
    const logged = sink.invocation(request.requestId).find((l) => l.startsWith('[ERROR]'));
    assert.match(logged ?? '', /^\[ERROR\] CustomError: it broke: because\nTraceback \(most recent call last\):\n\u00a0\u00a0File ".*app\.py", line \d+, in fails\n\u00a0\u00a0\u00a0\u00a0raise/);
  });

  it('reports a response it cannot serialize as Runtime.MarshalError', async () => {
    const s = spec('python-basic', 'app.unserializable');
    const result = await pool.invoke(s, makeRequest(s));
    const body = json(result);
    assert.equal(body.errorType, 'Runtime.MarshalError');
    assert.equal(body.errorMessage, 'Unable to marshal response: Object of type set is not JSON serializable');
  });

  const initErrors: [fixture: string, handler: string, errorType: string, message: string][] = [
    ['python-basic', 'app.missing', 'Runtime.HandlerNotFound', "Handler 'missing' missing on module 'app'"],
    ['python-basic', 'nodot', 'Runtime.MalformedHandlerName', "Bad handler 'nodot': not enough values to unpack (expected 2, got 1)"],
    ['python-basic', 'nomodule.handler', 'Runtime.ImportModuleError', "Unable to import module 'nomodule': No module named 'nomodule'"],
    ['python-broken', 'imports.handler', 'Runtime.ImportModuleError', "Unable to import module 'imports': No module named 'module_that_does_not_exist'"],
    ['python-broken', 'syntax.handler', 'Runtime.UserCodeSyntaxError', "Syntax error in module 'syntax': expected ':' (syntax.py, line 1)"],
    ['python-broken', 'raises.handler', 'RuntimeError', 'init went wrong'],
    ['python-basic', 'sys.handler', 'Runtime.BuiltInModuleConflict', 'Cannot use built-in module sys as a handler module'],
  ];
  for (const [fixture, handler, errorType, message] of initErrors) {
    it(`fails init with ${errorType} for ${handler}`, async () => {
      const s = spec(fixture, handler);
      const result = await pool.invoke(s, makeRequest(s));
      assert.equal(result.functionError, 'Unhandled');
      const body = json(result);
      assert.equal(body.errorType, errorType);
      assert.equal(body.errorMessage, message);
      assert.equal(body.requestId, '');
      assert.ok(Array.isArray(body.stackTrace));
      assert.ok(result.logTail?.includes('LAMBDA_WARNING: Unhandled exception.'), result.logTail);
      assert.ok(result.logTail?.includes(`[ERROR] ${errorType}: ${message}`), result.logTail);
      assert.match(result.logTail ?? '', new RegExp(`INIT_REPORT Init Duration: [\\d.]+ ms\\tPhase: init\\tStatus: error\\tError Type: ${errorType.replace('.', '\\.')}`));
    });
  }

  it('sys.exit is Runtime.ExitError', async () => {
    const s = spec('python-basic', 'app.exits');
    const request = makeRequest(s);
    const body = json(await pool.invoke(s, request));
    assert.deepEqual(body, {
      errorType: 'Runtime.ExitError',
      errorMessage: `RequestId: ${request.requestId} Error: Runtime exited with error: exit status 3`,
    });
  });

  it('writes JSON log records when AWS_LAMBDA_LOG_FORMAT is JSON', async () => {
    const s = spec('python-basic', 'app.handler', { functionName: 'py-json-logs', environment: { AWS_LAMBDA_LOG_FORMAT: 'JSON' } });
    const request = makeRequest(s);
    await pool.invoke(s, request);
    const line = sink.invocation(request.requestId).find((l) => l.startsWith('{'));
    const record = JSON.parse(line ?? '{}');
    assert.equal(record.level, 'INFO');
    assert.equal(record.message, 'info line\nsecond line');
    assert.equal(record.requestId, request.requestId);
    assert.equal(record.logger, 'root');
    assert.match(record.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});
