/**
 * Provisioned concurrency on versions and aliases: environments initialised ahead of
 * time, AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency, no Init Duration.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteProvisionedConcurrencyConfigCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  ListProvisionedConcurrencyConfigsCommand,
  PublishVersionCommand,
  PutFunctionConcurrencyCommand,
  PutProvisionedConcurrencyConfigCommand,
} from '@aws-sdk/client-lambda';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { zipFiles } from './helpers/zip.ts';
import { aws, awsCliSkipReason } from './helpers/aws-cli.ts';

let server: TestServer;
const CODE = `const started = Date.now();
exports.handler = async () => ({ init: process.env.AWS_LAMBDA_INITIALIZATION_TYPE, pid: process.pid, version: process.env.AWS_LAMBDA_FUNCTION_VERSION });`;

before(async () => {
  server = await startTestServer({ concurrencyLimit: 20, unreservedConcurrencyMin: 5 });
  for (const name of ['pc', 'pc-alias', 'pc-capped']) {
    await server.lambda.send(
      new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: 'arn:aws:iam::123456789012:role/r', Handler: 'index.handler', Code: { ZipFile: await zipFiles({ 'index.js': CODE }) } }),
    );
    await server.lambda.send(new PublishVersionCommand({ FunctionName: name }));
  }
});
after(() => server.close());

async function waitReady(name: string, qualifier: string) {
  for (let i = 0; i < 100; i++) {
    const out = await server.lambda.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: name, Qualifier: qualifier }));
    if (out.Status === 'READY') return out;
    assert.notEqual(out.Status, 'FAILED', out.StatusReason);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail('provisioned concurrency never became READY');
}

test('a version gets N initialised environments; their invokes have no Init Duration', async () => {
  const put = await server.lambda.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'pc', Qualifier: '1', ProvisionedConcurrentExecutions: 2 }));
  assert.equal(put.$metadata.httpStatusCode, 202);
  assert.equal(put.RequestedProvisionedConcurrentExecutions, 2);
  assert.ok(put.Status === 'IN_PROGRESS' || put.Status === 'READY');
  const ready = await waitReady('pc', '1');
  assert.equal(ready.AvailableProvisionedConcurrentExecutions, 2);
  assert.equal(ready.AllocatedProvisionedConcurrentExecutions, 2);
  assert.match(ready.LastModified ?? '', /\+0000$/);
  const out = await server.lambda.send(new InvokeCommand({ FunctionName: 'pc', Qualifier: '1', LogType: 'Tail' }));
  const body = JSON.parse(Buffer.from(out.Payload!).toString());
  assert.equal(body.init, 'provisioned-concurrency');
  assert.equal(body.version, '1');
  const log = Buffer.from(out.LogResult!, 'base64').toString();
  assert.match(log, /REPORT RequestId/);
  assert.doesNotMatch(log, /Init Duration/);
  // $LATEST is not provisioned: it starts on demand.
  const latest = JSON.parse(Buffer.from((await server.lambda.send(new InvokeCommand({ FunctionName: 'pc' }))).Payload!).toString());
  assert.equal(latest.init, 'on-demand');
});

test('ListProvisionedConcurrencyConfigs lists them with qualified ARNs', async () => {
  const out = await server.lambda.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: 'pc' }));
  assert.equal(out.ProvisionedConcurrencyConfigs?.length, 1);
  assert.equal(out.ProvisionedConcurrencyConfigs?.[0]?.FunctionArn, 'arn:aws:lambda:us-east-1:123456789012:function:pc:1');
});

test('an alias can be provisioned', async () => {
  await server.lambda.send(new CreateAliasCommand({ FunctionName: 'pc-alias', Name: 'live', FunctionVersion: '1' }));
  await server.lambda.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'pc-alias', Qualifier: 'live', ProvisionedConcurrentExecutions: 1 }));
  await waitReady('pc-alias', 'live');
  const out = await server.lambda.send(new InvokeCommand({ FunctionName: 'pc-alias:live' }));
  assert.equal(JSON.parse(Buffer.from(out.Payload!).toString()).init, 'provisioned-concurrency');
});

test('$LATEST, missing configs, and limits are refused as AWS refuses them', async () => {
  await assert.rejects(
    server.lambda.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'pc', Qualifier: '$LATEST', ProvisionedConcurrentExecutions: 1 })),
    (err: any) => err.name === 'InvalidParameterValueException' && /unpublished function versions/.test(err.message),
  );
  await assert.rejects(
    server.lambda.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'pc-capped', Qualifier: '1' })),
    (err: any) => err.name === 'ProvisionedConcurrencyConfigNotFoundException' && err.$metadata.httpStatusCode === 404,
  );
  await assert.rejects(
    server.lambda.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'pc-capped', Qualifier: '9', ProvisionedConcurrentExecutions: 1 })),
    (err: any) => err.name === 'ResourceNotFoundException',
  );
  await server.lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'pc-capped', ReservedConcurrentExecutions: 1 }));
  await assert.rejects(
    server.lambda.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'pc-capped', Qualifier: '1', ProvisionedConcurrentExecutions: 2 })),
    (err: any) => err.name === 'InvalidParameterValueException' && /reservedConcurrentExecution/.test(err.message),
  );
  await assert.rejects(
    server.lambda.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'pc-capped', Qualifier: '1', ProvisionedConcurrentExecutions: 0 })),
    (err: any) => err.name === 'InvalidParameterValueException',
  );
});

test('DeleteProvisionedConcurrencyConfig releases the environments', async () => {
  const del = await server.lambda.send(new DeleteProvisionedConcurrencyConfigCommand({ FunctionName: 'pc', Qualifier: '1' }));
  assert.equal(del.$metadata.httpStatusCode, 204);
  await assert.rejects(
    server.lambda.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'pc', Qualifier: '1' })),
    (err: any) => err.name === 'ProvisionedConcurrencyConfigNotFoundException',
  );
  const envs = server.nimbus.pool.environments().filter((e) => e.functionName === 'pc' && e.provisioned);
  assert.deepEqual(envs, []);
});

test('configs survive a restart and are provisioned again', async () => {
  const dataDir = server.dataDir;
  await server.close();
  server = await startTestServer({ concurrencyLimit: 20, unreservedConcurrencyMin: 5 }, dataDir);
  await waitReady('pc-alias', 'live');
  const out = await server.lambda.send(new InvokeCommand({ FunctionName: 'pc-alias', Qualifier: 'live' }));
  assert.equal(JSON.parse(Buffer.from(out.Payload!).toString()).init, 'provisioned-concurrency');
});

test('the AWS CLI reads provisioned concurrency', { skip: awsCliSkipReason() }, async () => {
  const r = await aws(server.endpoint, ['lambda', 'get-provisioned-concurrency-config', '--function-name', 'pc-alias', '--qualifier', 'live']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).Status, 'READY');
  const l = await aws(server.endpoint, ['lambda', 'list-provisioned-concurrency-configs', '--function-name', 'pc-alias']);
  assert.equal(JSON.parse(l.stdout).ProvisionedConcurrencyConfigs.length, 1);
});
