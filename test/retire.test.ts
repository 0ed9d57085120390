/**
 * Which environments an update retires: a change of $LATEST retires $LATEST's old ones
 * and leaves published versions warm; deleting the function retires everything.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateFunctionCommand, DeleteFunctionCommand, InvokeCommand, PublishVersionCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { zipFiles } from './helpers/zip.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
  await server.lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'kept',
      Runtime: 'nodejs20.x',
      Role: 'arn:aws:iam::123456789012:role/r',
      Handler: 'index.handler',
      Code: { ZipFile: await zipFiles({ 'index.js': 'exports.handler = async () => process.env.AWS_LAMBDA_LOG_STREAM_NAME;' }) },
    }),
  );
  await server.lambda.send(new PublishVersionCommand({ FunctionName: 'kept' }));
});
after(() => server.close());

const stream = async (qualifier?: string) =>
  JSON.parse(Buffer.from((await server.lambda.send(new InvokeCommand({ FunctionName: 'kept', Qualifier: qualifier }))).Payload!).toString()) as string;

test('updating $LATEST keeps version 1 warm and retires $LATEST', async () => {
  const v1 = await stream('1');
  const latest = await stream();
  assert.match(v1, /\[1\]/);
  assert.match(latest, /\[\$LATEST\]/);
  await server.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'kept', Description: 'changed' }));
  assert.equal(await stream('1'), v1, 'version 1 reused its warm environment');
  assert.notEqual(await stream(), latest, '$LATEST got a fresh environment');
});

test('deleting the function retires every environment', async () => {
  await stream('1');
  await server.lambda.send(new DeleteFunctionCommand({ FunctionName: 'kept' }));
  const left = server.nimbus.pool.environments().filter((e) => e.functionName === 'kept' && e.state !== 'dead');
  assert.deepEqual(left, []);
});
