/**
 * Invoke end to end through @aws-sdk/client-lambda: invocation types, log tail, client
 * context, function errors, payload limits, environments reused and retired.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateFunctionCommand,
  InvokeCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type InvokeCommandOutput,
} from '@aws-sdk/client-lambda';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { signedFetch } from './helpers/sign.ts';
import { zipFiles, type FileMap } from './helpers/zip.ts';

const ROLE = 'arn:aws:iam::123456789012:role/lambda_basic_execution';
let server: TestServer;

before(async () => {
  server = await startTestServer();
});
after(() => server.close());

async function deploy(name: string, files: FileMap, over: Record<string, unknown> = {}) {
  await server.lambda.send(
    new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await zipFiles(files) }, ...over }),
  );
}

const text = (out: InvokeCommandOutput) => Buffer.from(out.Payload ?? []).toString('utf8');
const json = (out: InvokeCommandOutput) => JSON.parse(text(out));
const invoke = (name: string, payload: unknown = {}, over: Record<string, unknown> = {}) =>
  server.lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)), ...over }));

describe('invocation types', () => {
  before(() =>
    deploy('echo', {
      'index.js': `
        let calls = 0;
        exports.handler = async (event, context) => {
          calls++;
          console.log('event', JSON.stringify(event));
          return { event, calls, stream: process.env.AWS_LAMBDA_LOG_STREAM_NAME, requestId: context.awsRequestId,
            arn: context.invokedFunctionArn, clientContext: context.clientContext ?? null,
            env: { fn: process.env.AWS_LAMBDA_FUNCTION_NAME, region: process.env.AWS_REGION, mine: process.env.MINE } };
        };`,
    }, { Environment: { Variables: { MINE: 'yes' } } }),
  );

  test('RequestResponse answers 200 with the result and X-Amz-Executed-Version', async () => {
    const out = await invoke('echo', { hello: 'world' });
    assert.equal(out.StatusCode, 200);
    assert.equal(out.ExecutedVersion, '$LATEST');
    assert.equal(out.FunctionError, undefined);
    const body = json(out);
    assert.deepEqual(body.event, { hello: 'world' });
    assert.equal(body.arn, 'arn:aws:lambda:us-east-1:123456789012:function:echo');
    assert.deepEqual(body.env, { fn: 'echo', region: 'us-east-1', mine: 'yes' });
    assert.equal(body.requestId, out.$metadata.requestId, 'the invocation id is the API request id');
  });

  test('an empty payload is the empty object', async () => {
    const out = await server.lambda.send(new InvokeCommand({ FunctionName: 'echo' }));
    assert.deepEqual(json(out).event, {});
  });

  test('warm environments are reused for sequential invokes', async () => {
    const a = json(await invoke('echo'));
    const b = json(await invoke('echo'));
    assert.equal(a.stream, b.stream);
    assert.equal(b.calls, a.calls + 1);
  });

  test('Qualifier=$LATEST and a qualified ARN reach the function; the ARN is passed as invoked', async () => {
    const out = await invoke('echo', {}, { Qualifier: '$LATEST' });
    assert.equal(json(out).arn, 'arn:aws:lambda:us-east-1:123456789012:function:echo:$LATEST');
    const out2 = await invoke('arn:aws:lambda:us-east-1:123456789012:function:echo');
    assert.equal(json(out2).arn, 'arn:aws:lambda:us-east-1:123456789012:function:echo');
  });

  test('Event answers 202 and runs in the background', async () => {
    // The function logs a token (it cannot write to the data directory: it is sandboxed).
    await deploy('async-marker', {
      'index.js': `exports.handler = async (e) => { console.log('ran ' + e.token); };`,
    });
    const token = `t-${Date.now()}`;
    const out = await invoke('async-marker', { token }, { InvocationType: 'Event' });
    assert.equal(out.StatusCode, 202);
    assert.equal(Buffer.from(out.Payload ?? []).length, 0);
    const ran = () => server.nimbus.logs.events({ group: '/aws/lambda/async-marker', limit: 100 }).some((e) => e.message.endsWith(`\tran ${token}`));
    for (let i = 0; i < 100 && !ran(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(ran(), 'the event ran');
  });

  test('DryRun answers 204 without running', async () => {
    const before = json(await invoke('echo')).calls;
    const out = await invoke('echo', {}, { InvocationType: 'DryRun' });
    assert.equal(out.StatusCode, 204);
    assert.equal(json(await invoke('echo')).calls, before + 1);
  });

  test('LogType Tail returns the last 4 KB of the log, base64', async () => {
    const out = await invoke('echo', { tail: 1 }, { LogType: 'Tail' });
    const log = Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');
    assert.match(log, new RegExp(`START RequestId: ${out.$metadata.requestId} Version: \\$LATEST`));
    assert.match(log, /INFO\tevent \{"tail":1\}/);
    assert.match(log, new RegExp(`END RequestId: ${out.$metadata.requestId}`));
    assert.match(log, /REPORT RequestId: \S+\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB/);
  });

  test('the tail is cut to 4 KB', async () => {
    await deploy('chatty', { 'index.js': `exports.handler = async () => { for (let i = 0; i < 200; i++) console.log('line ' + i + ' ' + 'x'.repeat(50)); return 1; };` });
    const out = await invoke('chatty', {}, { LogType: 'Tail' });
    const raw = Buffer.from(out.LogResult ?? '', 'base64');
    assert.ok(raw.length <= 4096 && raw.length > 3000, `tail is ${raw.length} bytes`);
    assert.match(raw.toString('utf8'), /REPORT RequestId/);
  });

  test('client context is passed through to context.clientContext', async () => {
    const cc = { client: { installation_id: 'abc' }, custom: { k: 'v' }, env: { locale: 'en' } };
    const out = await invoke('echo', {}, { ClientContext: Buffer.from(JSON.stringify(cc)).toString('base64') });
    assert.deepEqual(json(out).clientContext.custom, { k: 'v' });
    assert.deepEqual(json(out).clientContext.client, { installation_id: 'abc' });
  });
});

describe('function errors', () => {
  test('a thrown error is 200 with X-Amz-Function-Error: Unhandled and {errorType, errorMessage, trace}', async () => {
    await deploy('thrower', { 'index.js': `exports.handler = async () => { throw new TypeError('boom'); };` });
    const out = await invoke('thrower');
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, 'Unhandled');
    const body = json(out);
    assert.equal(body.errorType, 'TypeError');
    assert.equal(body.errorMessage, 'boom');
    assert.ok(Array.isArray(body.trace) && body.trace[0].includes('TypeError: boom'));
  });

  test('a handler that is not exported is Runtime.HandlerNotFound', async () => {
    await deploy('nohandler', { 'index.js': `exports.other = async () => 1;` });
    const out = await invoke('nohandler');
    assert.equal(out.FunctionError, 'Unhandled');
    assert.equal(json(out).errorType, 'Runtime.HandlerNotFound');
  });

  test('a timeout kills the environment and answers Sandbox.Timedout; the next invoke gets a fresh one', async () => {
    await deploy('sleeper', { 'index.js': `let n = 0; exports.handler = async (e) => { n++; if (e.hang) while (true) {} return { n, stream: process.env.AWS_LAMBDA_LOG_STREAM_NAME }; };` }, { Timeout: 1 });
    const warm = json(await invoke('sleeper'));
    const out = await invoke('sleeper', { hang: true });
    assert.equal(out.FunctionError, 'Unhandled');
    const body = json(out);
    assert.equal(body.errorType, 'Sandbox.Timedout');
    assert.match(body.errorMessage, /Task timed out after 1\.00 seconds/);
    const next = json(await invoke('sleeper'));
    assert.notEqual(next.stream, warm.stream);
    assert.equal(next.n, 1);
  });

  test('process.exit is Runtime.ExitError and the server keeps serving', async () => {
    await deploy('exiter', { 'index.js': `exports.handler = async () => { process.exit(3); };` });
    const out = await invoke('exiter');
    assert.equal(out.FunctionError, 'Unhandled');
    assert.equal(json(out).errorType, 'Runtime.ExitError');
    assert.match(json(out).errorMessage, /exit status 3/);
    assert.equal((await invoke('echo')).StatusCode, 200);
  });
});

describe('payload limits and bad input', () => {
  test('a sync payload over 6 MB is RequestTooLargeException 413', async () => {
    const big = Buffer.from(JSON.stringify({ x: 'y'.repeat(6 * 1024 * 1024) }));
    await assert.rejects(server.lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: big })), (err: any) => {
      assert.equal(err.name, 'RequestTooLargeException');
      assert.equal(err.$metadata.httpStatusCode, 413);
      return true;
    });
  });

  test('an async payload over 1 MB is RequestTooLargeException 413', async () => {
    const big = Buffer.from(JSON.stringify({ x: 'y'.repeat(1024 * 1024) }));
    await assert.rejects(server.lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: big, InvocationType: 'Event' })), (err: any) => {
      assert.equal(err.name, 'RequestTooLargeException');
      return true;
    });
  });

  test('a payload that is not JSON is InvalidRequestContentException', async () => {
    await assert.rejects(server.lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from('not json') })), (err: any) => {
      assert.equal(err.name, 'InvalidRequestContentException');
      assert.equal(err.$metadata.httpStatusCode, 400);
      return true;
    });
  });

  test('a form-encoded body is UnsupportedMediaTypeException 415', async () => {
    const res = await signedFetch(`${server.endpoint}/2015-03-31/functions/echo/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=b',
    });
    assert.equal(res.status, 415);
    assert.equal(res.headers.get('x-amzn-errortype'), 'UnsupportedMediaTypeException');
  });

  test('an unknown function or version is ResourceNotFoundException', async () => {
    await assert.rejects(invoke('nobody'), (err: any) => err.name === 'ResourceNotFoundException');
    await assert.rejects(invoke('echo', {}, { Qualifier: '5' }), (err: any) => err.name === 'ResourceNotFoundException');
  });
});

describe('updates retire environments', () => {
  test('UpdateFunctionCode and UpdateFunctionConfiguration take effect on the next invoke', async () => {
    await deploy('evolving', { 'index.js': `exports.handler = async () => ({ v: 1, stream: process.env.AWS_LAMBDA_LOG_STREAM_NAME, t: process.env.TT ?? null });` });
    const one = json(await invoke('evolving'));
    assert.equal(one.v, 1);
    await server.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'evolving', ZipFile: await zipFiles({ 'index.js': `exports.handler = async () => ({ v: 2, stream: process.env.AWS_LAMBDA_LOG_STREAM_NAME, t: process.env.TT ?? null });` }) }));
    const two = json(await invoke('evolving'));
    assert.equal(two.v, 2);
    assert.notEqual(two.stream, one.stream);
    await server.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'evolving', Environment: { Variables: { TT: 'set' } } }));
    const three = json(await invoke('evolving'));
    assert.equal(three.t, 'set');
  });
});

describe('data directory inside an ESM project', () => {
  test('a CommonJS index.js handler still loads as CommonJS', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const project = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-esm-project-'));
    fs.writeFileSync(path.join(project, 'package.json'), '{"type":"module"}');
    const inner = await startTestServer({}, path.join(project, '.nimbus'));
    try {
      await inner.lambda.send(
        new CreateFunctionCommand({
          FunctionName: 'cjs',
          Runtime: 'nodejs20.x',
          Role: ROLE,
          Handler: 'index.handler',
          Code: { ZipFile: await zipFiles({ 'index.js': `exports.handler = async () => ({ ok: typeof require === 'function' });` }) },
        }),
      );
      const out = await inner.lambda.send(new InvokeCommand({ FunctionName: 'cjs' }));
      assert.equal(out.FunctionError, undefined, Buffer.from(out.Payload ?? []).toString());
      assert.deepEqual(json(out), { ok: true });
    } finally {
      await inner.close();
    }
  });
});
