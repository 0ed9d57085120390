/**
 * python3.x and provided.* functions deployed and invoked with @aws-sdk/client-lambda:
 * the Nimbus Python runtime, custom runtimes in shell + curl and in Python, and the
 * refusal of a runtime the host cannot run.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CreateFunctionCommand,
  InvokeCommand,
  PublishLayerVersionCommand,
  UpdateFunctionConfigurationCommand,
  type InvokeCommandOutput,
  type Runtime,
} from '@aws-sdk/client-lambda';
import { hostPython } from '../src/sandbox/index.ts';
import { skipUnless } from '../src/sandbox/test-helpers.ts';
import { FIXTURES, startTestServer, type TestServer } from './helpers/server.ts';
import { zipDir, zipFiles } from './helpers/zip.ts';

const HANDLERS = path.join(FIXTURES, 'handlers');
const ROLE = 'arn:aws:iam::123456789012:role/r';
let server: TestServer;

before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const text = (out: InvokeCommandOutput) => Buffer.from(out.Payload ?? []).toString('utf8');
const json = (out: InvokeCommandOutput) => JSON.parse(text(out));
const tail = (out: InvokeCommandOutput) => Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');
const invoke = (name: string, payload: unknown = {}) =>
  server.lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)), LogType: 'Tail' }));

async function deploy(name: string, runtime: string, handler: string, zip: Buffer): Promise<void> {
  await server.lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: runtime as Runtime, Role: ROLE, Handler: handler, Code: { ZipFile: zip } }));
}

describe('python3.x functions', { skip: skipUnless(hostPython() !== null, 'python3 is not installed') }, () => {
  before(() => zipDir(path.join(HANDLERS, 'python-basic')).then((zip) => deploy('py', 'python3.13', 'app.handler', zip)));

  test('run with the context, print and logging lines in the log', async () => {
    const out = await invoke('py', { hello: 'python' });
    assert.equal(out.FunctionError, undefined, text(out));
    const body = json(out);
    assert.deepEqual(body.event, { hello: 'python' });
    assert.equal(body.context.function_name, 'py');
    assert.equal(body.context.aws_request_id, out.$metadata.requestId);
    assert.equal(body.env.AWS_EXECUTION_ENV, 'AWS_Lambda_python3.13');
    const log = tail(out);
    assert.ok(log.includes('got event {"hello": "python"}\n'), log);
    assert.match(log, /\[INFO\]\t\S+Z\t[0-9a-f-]{36}\tinfo line\nsecond line\n/);
    assert.match(log, /REPORT RequestId: .*\tInit Duration: /);
  });

  test('answer errors in AWS\'s Python shape with X-Amz-Function-Error', async () => {
    await deploy('py-fails', 'python3.12', 'app.fails', await zipDir(path.join(HANDLERS, 'python-basic')));
    const out = await invoke('py-fails', { why: 'sdk' });
    assert.equal(out.FunctionError, 'Unhandled');
    const body = json(out);
    assert.deepEqual([body.errorType, body.errorMessage, body.requestId], ['CustomError', 'it broke: sdk', out.$metadata.requestId]);
    assert.ok(Array.isArray(body.stackTrace) && body.stackTrace.length === 1);
    assert.ok(tail(out).includes('[ERROR] CustomError: it broke: sdk\nTraceback (most recent call last):\n'), tail(out));
  });

  test('import modules from layers (python/ and python/lib/python3.x/site-packages/)', async () => {
    const layer = await server.lambda.send(
      new PublishLayerVersionCommand({
        LayerName: 'pylibs',
        Content: {
          ZipFile: await zipFiles({
            'python/plain_lib.py': 'WHERE = "python/"\n',
            'python/lib/python3.12/site-packages/site_lib.py': 'WHERE = "site-packages"\n',
          }),
        },
      }),
    );
    await server.lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'py-layers',
        Runtime: 'python3.12',
        Role: ROLE,
        Handler: 'app.handler',
        Layers: [layer.LayerVersionArn!],
        Code: { ZipFile: await zipFiles({ 'app.py': 'import plain_lib, site_lib\n\ndef handler(e, c):\n    return [plain_lib.WHERE, site_lib.WHERE]\n' }) },
      }),
    );
    const out = await invoke('py-layers');
    assert.equal(out.FunctionError, undefined, text(out));
    assert.deepEqual(json(out), ['python/', 'site-packages']);
  });

  test('a missing module is Runtime.ImportModuleError', async () => {
    await deploy('py-import', 'python3.11', 'nothere.handler', await zipFiles({ 'app.py': 'def handler(e, c):\n    return 1\n' }));
    const out = await invoke('py-import');
    assert.deepEqual(json(out), {
      errorMessage: "Unable to import module 'nothere': No module named 'nothere'",
      errorType: 'Runtime.ImportModuleError',
      requestId: '',
      stackTrace: [],
    });
  });
});

describe('custom runtimes (provided.*)', () => {
  test('provided.al2023: a shell bootstrap using curl', async () => {
    await deploy('curl-runtime', 'provided.al2023', 'function.handler', await zipDir(path.join(HANDLERS, 'provided-curl')));
    const ok = await invoke('curl-runtime', { n: 1 });
    assert.equal(ok.FunctionError, undefined, text(ok));
    assert.deepEqual(json(ok), { echo: { n: 1 }, requestId: ok.$metadata.requestId });
    assert.ok(tail(ok).includes('got event {"n":1}'));
    const failed = await invoke('curl-runtime', { fail: true });
    assert.equal(failed.FunctionError, 'Unhandled');
    assert.deepEqual(json(failed), { errorMessage: 'asked to fail', errorType: 'Custom.Failure' });
  });

  const python3 = fs.existsSync('/usr/bin/python3');
  for (const runtime of ['provided.al2', 'provided']) {
    test(`${runtime}: a Python bootstrap with the standard library only`, { skip: skipUnless(python3, '/usr/bin/python3 is not installed') }, async () => {
      const name = `py-runtime-${runtime.replace('.', '-')}`;
      await deploy(name, runtime, 'whatever.handler', await zipDir(path.join(HANDLERS, 'provided-python')));
      const out = await invoke(name, { x: [1, 2] });
      assert.equal(out.FunctionError, undefined, text(out));
      assert.deepEqual(json(out), { echo: { x: [1, 2] }, requestId: out.$metadata.requestId, hasDeadline: true, python: 3 });
      assert.ok(tail(out).includes(`handling ${out.$metadata.requestId}\n`), tail(out));
      const failed = await invoke(name, { fail: true });
      assert.deepEqual(json(failed), { errorMessage: 'asked to fail', errorType: 'Python.Failure' });
    });
  }

  test('a zip without bootstrap answers Runtime.InvalidEntrypoint', async () => {
    await deploy('no-bootstrap', 'provided.al2023', 'x.y', await zipFiles({ 'README': 'no bootstrap here' }));
    const out = await invoke('no-bootstrap');
    assert.equal(json(out).errorType, 'Runtime.InvalidEntrypoint');
    assert.match(json(out).errorMessage, /Couldn't find valid bootstrap\(s\): \[/);
  });
});

describe('a runtime this host cannot run', () => {
  test('is refused at CreateFunction and UpdateFunctionConfiguration with InvalidParameterValueException', async () => {
    const saved = process.env.NIMBUS_PYTHON;
    await deploy('node-only', 'nodejs20.x', 'index.handler', await zipFiles({ 'index.js': 'exports.handler = async () => 1;' }));
    process.env.NIMBUS_PYTHON = 'none';
    try {
      const zip = await zipFiles({ 'app.py': 'def handler(e, c):\n    return 1\n' });
      const expected = (err: any) => {
        assert.equal(err.name, 'InvalidParameterValueException');
        assert.equal(err.$metadata.httpStatusCode, 400);
        assert.match(err.message, /^The runtime parameter of python3\.12 is not supported by this Nimbus installation: Python 3 is not installed on the host/);
        return true;
      };
      await assert.rejects(deploy('py-missing', 'python3.12', 'app.handler', zip), expected);
      await assert.rejects(server.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'node-only', Runtime: 'python3.12' as Runtime, Handler: 'app.handler' })), expected);
    } finally {
      if (saved === undefined) delete process.env.NIMBUS_PYTHON;
      else process.env.NIMBUS_PYTHON = saved;
    }
    await assert.rejects(deploy('java', 'java21', 'x.y', await zipFiles({ a: 'b' })), (err: any) => {
      assert.equal(err.name, 'InvalidParameterValueException');
      assert.match(err.message, /^The runtime parameter of java21 is not supported by this Nimbus installation/);
      return true;
    });
  });
});
