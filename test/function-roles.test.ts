/**
 * Authorization of the Lambda API and functions' execution roles: calls a function makes back
 * into Nimbus are allowed exactly as its role's policies say (re-read on every request), a
 * caller without rights gets AccessDeniedException for every class of Lambda action, and a
 * function's resource-based policy can grant what identity policies do not.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AddPermissionCommand,
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  InvokeCommand,
  LambdaClient,
  ListFunctionsCommand,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, GetRoleCommand, IAMClient, PutRolePolicyCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { startTestServer, TEST_CREDENTIALS, type TestServer } from './helpers/server.ts';
import { ensureExecutionRole } from './helpers/iam.ts';
import { s3Client } from './helpers/s3.ts';
import { zipFiles } from './helpers/zip.ts';

const ACCOUNT = '123456789012';
const FN_ARN = (name: string) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;

/** Reads each bucket's object and lists functions, reporting the error name of whatever is refused. */
const PROBE = `
const { S3Client, GetObjectCommand } = require('@aws-sdk/client-s3');
const { LambdaClient, ListFunctionsCommand } = require('@aws-sdk/client-lambda');
const s3 = new S3Client({ forcePathStyle: true });
const lambda = new LambdaClient({});
const attempt = (p) => p.then((v) => v, (e) => e.name);
exports.handler = async () => ({
  a: await attempt(s3.send(new GetObjectCommand({ Bucket: 'bucket-a', Key: 'k' })).then((o) => o.Body.transformToString())),
  b: await attempt(s3.send(new GetObjectCommand({ Bucket: 'bucket-b', Key: 'k' })).then((o) => o.Body.transformToString())),
  list: await attempt(lambda.send(new ListFunctionsCommand({})).then(() => 'ok')),
  accessKeyId: process.env.AWS_ACCESS_KEY_ID,
});`;

const readPolicy = (...buckets: string[]) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: buckets.map((b) => `arn:aws:s3:::${b}/*`) }],
});

describe('function roles and Lambda authorization', () => {
  let server: TestServer;
  let iam: IAMClient;
  let s3: S3Client;
  let roleArn: string;
  let zip: Uint8Array;

  const invokeProbe = async () => {
    const out = await server.lambda.send(new InvokeCommand({ FunctionName: 'probe', Payload: Buffer.from('{}') }));
    assert.equal(out.FunctionError, undefined, Buffer.from(out.Payload!).toString());
    return JSON.parse(Buffer.from(out.Payload!).toString()) as { a: string; b: string; list: string; accessKeyId: string };
  };

  before(async () => {
    server = await startTestServer();
    iam = new IAMClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    s3 = s3Client(server.endpoint);
    for (const bucket of ['bucket-a', 'bucket-b']) {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: `in ${bucket}` }));
    }
    // Least privilege: read bucket-a, nothing else (not even its logs' API).
    roleArn = await ensureExecutionRole(server.endpoint, 'reader', { policies: [], inline: { 'read-a': readPolicy('bucket-a') } });
    zip = await zipFiles({ 'index.js': PROBE });
    await server.lambda.send(new CreateFunctionCommand({ FunctionName: 'probe', Runtime: 'nodejs20.x', Role: roleArn, Handler: 'index.handler', Timeout: 30, Code: { ZipFile: zip } }));
  });
  after(async () => {
    iam?.destroy();
    s3?.destroy();
    await server?.close();
  });

  test('CreateFunction and UpdateFunctionConfiguration take only a role Lambda may assume', async () => {
    const refused = async (role: string) => {
      const err = await server.lambda
        .send(new CreateFunctionCommand({ FunctionName: 'no-role', Runtime: 'nodejs20.x', Role: role, Handler: 'index.handler', Code: { ZipFile: zip } }))
        .then(() => undefined, (e: Error & { $metadata: { httpStatusCode: number } }) => e);
      assert.equal(err?.name, 'InvalidParameterValueException');
      assert.equal(err.message, 'The role defined for the function cannot be assumed by Lambda.');
      assert.equal(err.$metadata.httpStatusCode, 400);
    };
    await refused(`arn:aws:iam::${ACCOUNT}:role/missing`);
    // A role that exists but trusts only the account, not Lambda.
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'not-for-lambda',
        AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }] }),
      }),
    );
    await refused(`arn:aws:iam::${ACCOUNT}:role/not-for-lambda`);
    // The right name under another path is another role.
    await refused(`arn:aws:iam::${ACCOUNT}:role/service-role/reader`);
    await assert.rejects(server.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'probe', Role: `arn:aws:iam::${ACCOUNT}:role/not-for-lambda` })), {
      name: 'InvalidParameterValueException',
      message: 'The role defined for the function cannot be assumed by Lambda.',
    });
  });

  test("the function's calls back are allowed exactly as its role says: bucket-a yes, bucket-b and ListFunctions no", async () => {
    const out = await invokeProbe();
    assert.equal(out.a, 'in bucket-a');
    assert.equal(out.list, 'AccessDeniedException');
    // S3's side of the check (bucket-b) is S3 authorization's.
    assert.equal(out.b, 'AccessDenied');
  });

  test("the sandbox's session is the role's: its userId is the role's RoleId and the function's name", async () => {
    const { accessKeyId } = await invokeProbe();
    const roleId = (await iam.send(new GetRoleCommand({ RoleName: 'reader' }))).Role!.RoleId!;
    const principal = server.nimbus.credentials.find(accessKeyId)?.principal;
    assert.equal(principal?.userId, `${roleId}:probe`);
    assert.equal(principal?.arn, `arn:aws:sts::${ACCOUNT}:assumed-role/reader/probe`);
  });

  test('after PutRolePolicy widens the role, the next invocation (same warm environment) may read bucket-b', async () => {
    await iam.send(new PutRolePolicyCommand({ RoleName: 'reader', PolicyName: 'read-b', PolicyDocument: JSON.stringify(readPolicy('bucket-b')) }));
    const out = await invokeProbe();
    assert.equal(out.b, 'in bucket-b');
    assert.equal(out.list, 'AccessDeniedException');
  });

  test('CreateFunction needs iam:PassRole on the role too: lambda:CreateFunction alone cannot hand a function any role', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'deployer' }));
    const allow = (action: string, resource: string) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: resource }] });
    await iam.send(new PutUserPolicyCommand({ UserName: 'deployer', PolicyName: 'create', PolicyDocument: JSON.stringify(allow('lambda:CreateFunction', '*')) }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'deployer' }))).AccessKey!;
    const deployer = new LambdaClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }, maxAttempts: 1 });
    try {
      const create = () => deployer.send(new CreateFunctionCommand({ FunctionName: 'deployed', Runtime: 'nodejs20.x', Role: roleArn, Handler: 'index.handler', Code: { ZipFile: zip } }));
      await assert.rejects(create(), {
        name: 'AccessDeniedException',
        message: `User: arn:aws:iam::${ACCOUNT}:user/deployer is not authorized to perform: iam:PassRole on resource: ${roleArn} because no identity-based policy allows the iam:PassRole action`,
      });
      await iam.send(new PutUserPolicyCommand({ UserName: 'deployer', PolicyName: 'pass', PolicyDocument: JSON.stringify(allow('iam:PassRole', roleArn)) }));
      assert.equal((await create()).FunctionName, 'deployed');
    } finally {
      deployer.destroy();
    }
  });

  describe('a user without rights', () => {
    let user: LambdaClient;
    let userArn: string;

    before(async () => {
      userArn = (await iam.send(new CreateUserCommand({ UserName: 'nobody' }))).User!.Arn!;
      const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'nobody' }))).AccessKey!;
      user = new LambdaClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }, maxAttempts: 1 });
    });
    after(() => user?.destroy());

    const denied = async (call: Promise<unknown>, action: string, resource: string) => {
      const err = await call.then(() => undefined, (e: Error & { $metadata: { httpStatusCode: number } }) => e);
      assert.ok(err, `${action} was allowed`);
      assert.equal(err.name, 'AccessDeniedException', `${action}: ${err.message}`);
      assert.equal(err.$metadata.httpStatusCode, 403);
      assert.equal(err.message, `User: ${userArn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`);
    };

    test('gets AccessDeniedException for every class of Lambda action: read, write, invoke, permissions', async () => {
      await denied(user.send(new GetFunctionCommand({ FunctionName: 'probe' })), 'lambda:GetFunction', FN_ARN('probe'));
      await denied(user.send(new ListFunctionsCommand({})), 'lambda:ListFunctions', '*');
      await denied(
        user.send(new CreateFunctionCommand({ FunctionName: 'mine', Runtime: 'nodejs20.x', Role: roleArn, Handler: 'index.handler', Code: { ZipFile: zip } })),
        'lambda:CreateFunction',
        FN_ARN('*'),
      );
      await denied(user.send(new UpdateFunctionCodeCommand({ FunctionName: 'probe', ZipFile: zip })), 'lambda:UpdateFunctionCode', FN_ARN('probe'));
      await denied(user.send(new DeleteFunctionCommand({ FunctionName: 'probe' })), 'lambda:DeleteFunction', FN_ARN('probe'));
      await denied(user.send(new InvokeCommand({ FunctionName: 'probe', Payload: Buffer.from('{}') })), 'lambda:InvokeFunction', FN_ARN('probe'));
      await denied(
        user.send(new AddPermissionCommand({ FunctionName: 'probe', StatementId: 'me', Action: 'lambda:InvokeFunction', Principal: userArn })),
        'lambda:AddPermission',
        FN_ARN('probe'),
      );
      // The function is untouched.
      assert.equal((await server.lambda.send(new GetFunctionCommand({ FunctionName: 'probe' }))).Configuration!.FunctionName, 'probe');
    });

    test("the function's resource policy naming the user lets it invoke, and nothing more", async () => {
      await server.lambda.send(new AddPermissionCommand({ FunctionName: 'probe', StatementId: 'nobody-invokes', Action: 'lambda:InvokeFunction', Principal: userArn }));
      const out = await user.send(new InvokeCommand({ FunctionName: 'probe', Payload: Buffer.from('{}') }));
      assert.equal(out.StatusCode, 200);
      await denied(user.send(new GetFunctionCommand({ FunctionName: 'probe' })), 'lambda:GetFunction', FN_ARN('probe'));
      // A permission on the function covers its versions and aliases.
      const version = (await server.lambda.send(new PublishVersionCommand({ FunctionName: 'probe' }))).Version!;
      await server.lambda.send(new CreateAliasCommand({ FunctionName: 'probe', Name: 'live', FunctionVersion: version }));
      assert.equal((await user.send(new InvokeCommand({ FunctionName: 'probe', Qualifier: 'live', Payload: Buffer.from('{}') }))).StatusCode, 200);
    });

    test('a permission on an alias covers that alias only', async () => {
      await server.lambda.send(new CreateFunctionCommand({ FunctionName: 'aliased', Runtime: 'nodejs20.x', Role: roleArn, Handler: 'index.handler', Code: { ZipFile: await zipFiles({ 'index.js': 'exports.handler = async () => 1;' }) } }));
      const version = (await server.lambda.send(new PublishVersionCommand({ FunctionName: 'aliased' }))).Version!;
      await server.lambda.send(new CreateAliasCommand({ FunctionName: 'aliased', Name: 'prod', FunctionVersion: version }));
      await server.lambda.send(new AddPermissionCommand({ FunctionName: 'aliased', Qualifier: 'prod', StatementId: 'nobody-prod', Action: 'lambda:InvokeFunction', Principal: userArn }));
      assert.equal((await user.send(new InvokeCommand({ FunctionName: 'aliased', Qualifier: 'prod', Payload: Buffer.from('{}') }))).StatusCode, 200);
      await denied(user.send(new InvokeCommand({ FunctionName: 'aliased', Payload: Buffer.from('{}') })), 'lambda:InvokeFunction', FN_ARN('aliased'));
    });
  });
});
