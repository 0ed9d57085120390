/** The examples run as their README says. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { zipDir } from './helpers/zip.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

test('examples/hello answers with a greeting', async () => {
  const zip = await zipDir(path.resolve(import.meta.dirname, '../examples/hello'));
  await server.lambda.send(
    new CreateFunctionCommand({ FunctionName: 'hello', Runtime: 'nodejs20.x', Role: 'arn:aws:iam::123456789012:role/lambda_basic_execution', Handler: 'index.handler', Code: { ZipFile: zip } }),
  );
  const out = await server.lambda.send(new InvokeCommand({ FunctionName: 'hello', Payload: Buffer.from('{"name":"Nimbus"}') }));
  assert.deepEqual(JSON.parse(Buffer.from(out.Payload!).toString()), { greeting: 'Hello, Nimbus!', function: 'hello', version: '$LATEST' });
});
