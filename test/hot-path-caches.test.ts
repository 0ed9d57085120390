/**
 * Invoke reads what it needs from caches (the function's record and spec, its alias, its
 * resource policy, the caller's key and identity policies): every write that changes any of
 * them is seen by the very next invoke, through the official clients.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AddPermissionCommand,
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteFunctionCommand,
  DeleteFunctionConcurrencyCommand,
  InvokeCommand,
  LambdaClient,
  PublishVersionCommand,
  PutFunctionConcurrencyCommand,
  RemovePermissionCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
  type InvokeCommandInput,
} from '@aws-sdk/client-lambda';
import { CreateAccessKeyCommand, CreateUserCommand, DeleteUserPolicyCommand, IAMClient, PutUserPolicyCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { startTestServer, TEST_CREDENTIALS, type TestServer } from './helpers/server.ts';
import { zipFiles } from './helpers/zip.ts';

const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/r`;
const fnArn = (name: string) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;

let server: TestServer;
let iam: IAMClient;
let bob: LambdaClient;
let bobKeyId: string;
const BOB_ARN = `arn:aws:iam::${ACCOUNT}:user/bob`;

before(async () => {
  server = await startTestServer();
  iam = new IAMClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  await iam.send(new CreateUserCommand({ UserName: 'bob' }));
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'bob' }))).AccessKey!;
  bob = new LambdaClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }, maxAttempts: 1 });
  bobKeyId = key.AccessKeyId!;
});
after(async () => {
  bob?.destroy();
  iam?.destroy();
  await server?.close();
});

const code = (body: string) => zipFiles({ 'index.js': `exports.handler = async () => ${body};` });

async function create(name: string, body: string, environment?: Record<string, string>): Promise<void> {
  await server.lambda.send(
    new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await code(body) }, ...(environment ? { Environment: { Variables: environment } } : {}) }),
  );
}

async function result(client: LambdaClient, input: InvokeCommandInput): Promise<unknown> {
  const out = await client.send(new InvokeCommand(input));
  assert.equal(out.FunctionError, undefined, Buffer.from(out.Payload ?? []).toString());
  return JSON.parse(Buffer.from(out.Payload!).toString('utf8'));
}
const invoke = (name: string, qualifier?: string) => result(server.lambda, { FunctionName: name, ...(qualifier ? { Qualifier: qualifier } : {}) });

async function refused(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: Error) => {
    assert.equal(err.name, code, err.message);
    return true;
  });
}

describe('the function a warm invoke runs', () => {
  test('UpdateFunctionConfiguration: the next invoke sees the new environment variables', async () => {
    await create('env', 'process.env.GREETING', { GREETING: 'hello' });
    assert.equal(await invoke('env'), 'hello');
    assert.equal(await invoke('env'), 'hello');
    await server.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'env', Environment: { Variables: { GREETING: 'bonjour' } } }));
    assert.equal(await invoke('env'), 'bonjour');
  });

  test('UpdateFunctionCode: the next invoke runs the new code', async () => {
    await create('code', '"one"');
    assert.equal(await invoke('code'), 'one');
    await server.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'code', ZipFile: await code('"two"') }));
    await waitUntilFunctionUpdatedV2({ client: server.lambda, maxWaitTime: 30 }, { FunctionName: 'code' });
    assert.equal(await invoke('code'), 'two');
  });

  test('UpdateAlias: the next invoke of the alias runs the version it now names', async () => {
    await create('aliased', '"v1"');
    await server.lambda.send(new PublishVersionCommand({ FunctionName: 'aliased' }));
    await server.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'aliased', ZipFile: await code('"v2"'), Publish: true }));
    await server.lambda.send(new CreateAliasCommand({ FunctionName: 'aliased', Name: 'live', FunctionVersion: '1' }));
    assert.equal(await invoke('aliased', 'live'), 'v1');
    await server.lambda.send(new UpdateAliasCommand({ FunctionName: 'aliased', Name: 'live', FunctionVersion: '2' }));
    assert.equal(await invoke('aliased', 'live'), 'v2');
  });

  test('DeleteFunction: the next invoke is a 404, and a function made again under the name runs its own code', async () => {
    await create('again', '"old"');
    assert.equal(await invoke('again'), 'old');
    await server.lambda.send(new DeleteFunctionCommand({ FunctionName: 'again' }));
    await refused(invoke('again'), 'ResourceNotFoundException');
    await create('again', '"new"');
    assert.equal(await invoke('again'), 'new');
  });

  test('PutFunctionConcurrency 0 throttles the next invoke; DeleteFunctionConcurrency lifts it', async () => {
    await create('reserved', '"ran"');
    assert.equal(await invoke('reserved'), 'ran');
    await server.lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'reserved', ReservedConcurrentExecutions: 0 }));
    await refused(invoke('reserved'), 'TooManyRequestsException');
    await server.lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'reserved' }));
    assert.equal(await invoke('reserved'), 'ran');
  });
});

describe('who may invoke', () => {
  test('AddPermission lets a user with no policy invoke; RemovePermission refuses the next invoke', async () => {
    await create('guarded', '"inside"');
    await refused(result(bob, { FunctionName: 'guarded' }), 'AccessDeniedException');
    await server.lambda.send(new AddPermissionCommand({ FunctionName: 'guarded', StatementId: 'bob', Action: 'lambda:InvokeFunction', Principal: BOB_ARN }));
    assert.equal(await result(bob, { FunctionName: 'guarded' }), 'inside');
    assert.equal(await result(bob, { FunctionName: 'guarded' }), 'inside');
    await server.lambda.send(new RemovePermissionCommand({ FunctionName: 'guarded', StatementId: 'bob' }));
    await refused(result(bob, { FunctionName: 'guarded' }), 'AccessDeniedException');
  });

  test('a user policy put, replaced by a Deny and deleted decides each next invoke', async () => {
    await create('policed', '"ok"');
    const allow = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: fnArn('policed') }] };
    await iam.send(new PutUserPolicyCommand({ UserName: 'bob', PolicyName: 'invoke', PolicyDocument: JSON.stringify(allow) }));
    assert.equal(await result(bob, { FunctionName: 'policed' }), 'ok');
    await iam.send(new PutUserPolicyCommand({ UserName: 'bob', PolicyName: 'invoke', PolicyDocument: JSON.stringify({ ...allow, Statement: [{ ...allow.Statement[0], Effect: 'Deny' }] }) }));
    await refused(result(bob, { FunctionName: 'policed' }), 'AccessDeniedException');
    await iam.send(new PutUserPolicyCommand({ UserName: 'bob', PolicyName: 'invoke', PolicyDocument: JSON.stringify(allow) }));
    assert.equal(await result(bob, { FunctionName: 'policed' }), 'ok');
    await iam.send(new DeleteUserPolicyCommand({ UserName: 'bob', PolicyName: 'invoke' }));
    await refused(result(bob, { FunctionName: 'policed' }), 'AccessDeniedException');
  });

  test('an access key made inactive signs nothing from the next request on', async () => {
    await create('keyed', '"signed"');
    await server.lambda.send(new AddPermissionCommand({ FunctionName: 'keyed', StatementId: 'bob', Action: 'lambda:InvokeFunction', Principal: BOB_ARN }));
    assert.equal(await result(bob, { FunctionName: 'keyed' }), 'signed');
    await iam.send(new UpdateAccessKeyCommand({ UserName: 'bob', AccessKeyId: bobKeyId, Status: 'Inactive' }));
    await assert.rejects(result(bob, { FunctionName: 'keyed' }), (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(err.$metadata?.httpStatusCode, 403, `${err.name}: ${err.message}`);
      return true;
    });
    await iam.send(new UpdateAccessKeyCommand({ UserName: 'bob', AccessKeyId: bobKeyId, Status: 'Active' }));
    assert.equal(await result(bob, { FunctionName: 'keyed' }), 'signed');
  });
});
