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
          // The SDK in /var/runtime signs with the role's temporary credentials from the environment.
          'index.mjs': `import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
          export const handler = async () => {
            const unsigned = await fetch(process.env.AWS_ENDPOINT_URL + '/2015-03-31/functions');
            const body = await new LambdaClient({}).send(new ListFunctionsCommand({}));
            return { status: body.$metadata.httpStatusCode, unsigned: unsigned.status, names: body.Functions.map((f) => f.FunctionName),
              region: process.env.AWS_REGION, key: process.env.AWS_ACCESS_KEY_ID, token: Boolean(process.env.AWS_SECRET_ACCESS_KEY && process.env.AWS_SESSION_TOKEN) };
          };`,
        }),
      },
    }),
  );
  const out = payload(await server.lambda.send(new InvokeCommand({ FunctionName: 'caller' })));
  assert.equal(out.status, 200);
  assert.equal(out.unsigned, 403, 'an unsigned call is refused');
  assert.ok(out.names.includes('caller'));
  assert.equal(out.region, 'us-east-1');
  assert.match(out.key, /^ASIA[A-Z2-7]{16}$/, 'temporary credentials of the execution role');
  assert.equal(out.token, true);
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
          // SigV4 by hand with the standard library, as a client without an SDK would sign.
          'app.py': `import datetime, hashlib, hmac, json, os, urllib.parse, urllib.request
def handler(event, context):
    url = urllib.parse.urlsplit(os.environ["AWS_ENDPOINT_URL"] + "/2016-08-19/account-settings")
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    scope = now[:8] + "/" + os.environ["AWS_REGION"] + "/lambda/aws4_request"
    headers = {"host": url.netloc, "x-amz-date": now, "x-amz-security-token": os.environ["AWS_SESSION_TOKEN"]}
    names = sorted(headers)
    canonical = "\\n".join(["GET", url.path, "", *[n + ":" + headers[n] for n in names], "", ";".join(names), hashlib.sha256(b"").hexdigest()])
    to_sign = "\\n".join(["AWS4-HMAC-SHA256", now, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + os.environ["AWS_SECRET_ACCESS_KEY"]).encode()
    for part in scope.split("/"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = "AWS4-HMAC-SHA256 Credential=" + os.environ["AWS_ACCESS_KEY_ID"] + "/" + scope + ", SignedHeaders=" + ";".join(names) + ", Signature=" + signature
    with urllib.request.urlopen(urllib.request.Request(url.geturl(), headers=headers)) as r:
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
