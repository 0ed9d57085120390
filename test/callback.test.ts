/**
 * Functions call back into Nimbus: AWS_ENDPOINT_URL, region and credentials are in their
 * environment, and the gateway is reachable from inside the sandbox.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { zipFiles } from './helpers/zip.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const ROLE = 'arn:aws:iam::123456789012:role/r';
const payload = (out: { Payload?: Uint8Array }) => JSON.parse(Buffer.from(out.Payload!).toString());

test('a Node.js function lists functions through AWS_ENDPOINT_URL', async () => {
  await server.lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'caller',
      Runtime: 'nodejs20.x',
      Role: ROLE,
      Handler: 'index.handler',
      Code: {
        ZipFile: await zipFiles({
          'index.mjs': `export const handler = async () => {
            const res = await fetch(process.env.AWS_ENDPOINT_URL + '/2015-03-31/functions');
            const body = await res.json();
            return { status: res.status, names: body.Functions.map((f) => f.FunctionName),
              region: process.env.AWS_REGION, key: Boolean(process.env.AWS_ACCESS_KEY_ID && process.env.AWS_SECRET_ACCESS_KEY && process.env.AWS_SESSION_TOKEN) };
          };`,
        }),
      },
    }),
  );
  const out = payload(await server.lambda.send(new InvokeCommand({ FunctionName: 'caller' })));
  assert.equal(out.status, 200);
  assert.ok(out.names.includes('caller'));
  assert.equal(out.region, 'us-east-1');
  assert.equal(out.key, true);
});

test('a function may point AWS_ENDPOINT_URL elsewhere; the credentials are reserved', async () => {
  await server.lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'override',
      Runtime: 'nodejs20.x',
      Role: ROLE,
      Handler: 'index.handler',
      Environment: { Variables: { AWS_ENDPOINT_URL: 'http://example.invalid' } },
      Code: { ZipFile: await zipFiles({ 'index.js': 'exports.handler = async () => process.env.AWS_ENDPOINT_URL;' }) },
    }),
  );
  assert.equal(payload(await server.lambda.send(new InvokeCommand({ FunctionName: 'override' }))), 'http://example.invalid');
  await assert.rejects(
    server.lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'steal',
        Runtime: 'nodejs20.x',
        Role: ROLE,
        Handler: 'index.handler',
        Environment: { Variables: { AWS_SESSION_TOKEN: 'x' } },
        Code: { ZipFile: await zipFiles({ 'index.js': 'exports.handler = async () => 1;' }) },
      }),
    ),
    (err: any) => err.name === 'InvalidParameterValueException' && /reserved keys/.test(err.message),
  );
});

test('a Python function reaches the gateway too', async () => {
  await server.lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'py-caller',
      Runtime: 'python3.12',
      Role: ROLE,
      Handler: 'app.handler',
      Code: {
        ZipFile: await zipFiles({
          'app.py': `import json, os, urllib.request
def handler(event, context):
    with urllib.request.urlopen(os.environ["AWS_ENDPOINT_URL"] + "/2016-08-19/account-settings") as r:
        return json.loads(r.read())["AccountLimit"]["ConcurrentExecutions"]
`,
        }),
      },
    }),
  );
  const out = await server.lambda.send(new InvokeCommand({ FunctionName: 'py-caller' }));
  assert.equal(out.FunctionError, undefined, Buffer.from(out.Payload!).toString());
  assert.equal(payload(out), 1000);
});
