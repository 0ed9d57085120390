/**
 * IAM and STS end to end with @aws-sdk/client-iam and @aws-sdk/client-sts against a real
 * server: every action, AWS's errors, paging, restart persistence, AssumeRole and
 * GetCallerIdentity (the caller is the account's root until SigV4 verification lands).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeletePolicyCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListPoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { startTestServer, TEST_CREDENTIALS, type TestServer } from './helpers/server.ts';
import { signedFetch } from './helpers/sign.ts';
import { createAdminUser } from './helpers/iam.ts';

const ACCOUNT = '123456789012';
const LAMBDA_TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
const ACCOUNT_TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }] });
const S3_READ = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::bucket/*' }] });
const BASIC_EXECUTION = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';

function clients(endpoint: string) {
  const opts = { endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 };
  return { iam: new IAMClient(opts), sts: new STSClient(opts) };
}

async function rejects(p: Promise<unknown>, name: string, status: number, message?: RegExp): Promise<void> {
  await assert.rejects(p, (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(err.name, name, `${err.name}: ${err.message}`);
    assert.equal(err.$metadata?.httpStatusCode, status);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('IAM and STS API', () => {
  let server: TestServer;
  let iam: IAMClient;
  let sts: STSClient;

  before(async () => {
    server = await startTestServer({}, undefined, { executionRoles: [] });
    ({ iam, sts } = clients(server.endpoint));
  });
  after(async () => {
    iam?.destroy();
    sts?.destroy();
    await server?.close();
  });

  test('users: create, get, list, delete; names unique regardless of case', async () => {
    const created = await iam.send(new CreateUserCommand({ UserName: 'alice', Path: '/team/', Tags: [{ Key: 'dept', Value: 'eng' }] }));
    const user = created.User!;
    assert.equal(user.UserName, 'alice');
    assert.equal(user.Path, '/team/');
    assert.equal(user.Arn, `arn:aws:iam::${ACCOUNT}:user/team/alice`);
    assert.match(user.UserId!, /^AIDA[A-Z2-7]{17}$/);
    assert.ok(user.CreateDate instanceof Date && Math.abs(user.CreateDate.getTime() - Date.now()) < 60_000);
    assert.deepEqual(user.Tags, [{ Key: 'dept', Value: 'eng' }]);

    const got = await iam.send(new GetUserCommand({ UserName: 'alice' }));
    assert.equal(got.User!.UserId, user.UserId);
    await rejects(iam.send(new CreateUserCommand({ UserName: 'ALICE' })), 'EntityAlreadyExistsException', 409, /User with name ALICE already exists/);
    await rejects(iam.send(new GetUserCommand({ UserName: 'nobody' })), 'NoSuchEntityException', 404, /The user with name nobody cannot be found/);
    await rejects(iam.send(new CreateUserCommand({ UserName: 'bad name' })), 'ValidationError', 400, /at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern/);
    await rejects(iam.send(new CreateUserCommand({ UserName: 'x'.repeat(65) })), 'ValidationError', 400, /length less than or equal to 64/);

    await iam.send(new CreateUserCommand({ UserName: 'bob' }));
    const all = await iam.send(new ListUsersCommand({}));
    assert.deepEqual(all.Users!.map((u) => u.UserName), ['alice', 'bob']);
    assert.equal(all.IsTruncated, false);
    const team = await iam.send(new ListUsersCommand({ PathPrefix: '/team/' }));
    assert.deepEqual(team.Users!.map((u) => u.UserName), ['alice']);

    // Called with no name, GetUser describes the caller: the account's root for now.
    const me = await iam.send(new GetUserCommand({}));
    assert.equal(me.User!.Arn, `arn:aws:iam::${ACCOUNT}:root`);
    assert.equal(me.User!.UserId, ACCOUNT);

    await iam.send(new DeleteUserCommand({ UserName: 'bob' }));
    await rejects(iam.send(new DeleteUserCommand({ UserName: 'bob' })), 'NoSuchEntityException', 404);
  });

  test('access keys: create (at most two), list, deactivate, delete; the credential lookup sees them', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'keyed' }));
    const k1 = (await iam.send(new CreateAccessKeyCommand({ UserName: 'keyed' }))).AccessKey!;
    assert.match(k1.AccessKeyId!, /^AKIA[A-Z2-7]{16}$/);
    assert.match(k1.SecretAccessKey!, /^[A-Za-z0-9+/]{40}$/);
    assert.equal(k1.Status, 'Active');
    assert.equal(k1.UserName, 'keyed');
    const k2 = (await iam.send(new CreateAccessKeyCommand({ UserName: 'keyed' }))).AccessKey!;
    await rejects(iam.send(new CreateAccessKeyCommand({ UserName: 'keyed' })), 'LimitExceededException', 409, /AccessKeysPerUser: 2/);
    await rejects(iam.send(new CreateAccessKeyCommand({ UserName: 'ghost' })), 'NoSuchEntityException', 404);

    const listed = await iam.send(new ListAccessKeysCommand({ UserName: 'keyed' }));
    assert.deepEqual(new Set(listed.AccessKeyMetadata!.map((k) => k.AccessKeyId)), new Set([k1.AccessKeyId, k2.AccessKeyId]));
    assert.ok(listed.AccessKeyMetadata!.every((k) => !('SecretAccessKey' in k)));

    const found = server.nimbus.credentials.find(k1.AccessKeyId!);
    assert.equal(found?.secretAccessKey, k1.SecretAccessKey);
    assert.equal(found?.active, true);
    assert.equal(found?.principal.type, 'User');
    assert.equal(found?.principal.arn, `arn:aws:iam::${ACCOUNT}:user/keyed`);

    await iam.send(new UpdateAccessKeyCommand({ UserName: 'keyed', AccessKeyId: k1.AccessKeyId!, Status: 'Inactive' }));
    const after = await iam.send(new ListAccessKeysCommand({ UserName: 'keyed' }));
    assert.equal(after.AccessKeyMetadata!.find((k) => k.AccessKeyId === k1.AccessKeyId)!.Status, 'Inactive');
    assert.equal(server.nimbus.credentials.find(k1.AccessKeyId!)?.active, false);
    await rejects(iam.send(new UpdateAccessKeyCommand({ UserName: 'keyed', AccessKeyId: 'AKIAAAAAAAAAAAAAAAAA', Status: 'Active' })), 'NoSuchEntityException', 404, /Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found/);
    await rejects(iam.send(new UpdateAccessKeyCommand({ UserName: 'keyed', AccessKeyId: k1.AccessKeyId!, Status: 'Sleeping' as 'Active' })), 'ValidationError', 400, /enum value set/);

    await rejects(iam.send(new DeleteUserCommand({ UserName: 'keyed' })), 'DeleteConflictException', 409, /must delete access keys first/);
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'keyed', AccessKeyId: k1.AccessKeyId! }));
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'keyed', AccessKeyId: k2.AccessKeyId! }));
    assert.equal(server.nimbus.credentials.find(k1.AccessKeyId!), undefined);
    await iam.send(new DeleteUserCommand({ UserName: 'keyed' }));
  });

  test('roles: create with a trust policy, get it back URL-encoded, update it, list, delete', async () => {
    const created = (await iam.send(new CreateRoleCommand({ RoleName: 'lambda-exec', AssumeRolePolicyDocument: LAMBDA_TRUST, Description: 'for functions', MaxSessionDuration: 7200 }))).Role!;
    assert.equal(created.Arn, `arn:aws:iam::${ACCOUNT}:role/lambda-exec`);
    assert.match(created.RoleId!, /^AROA[A-Z2-7]{17}$/);
    assert.equal(created.AssumeRolePolicyDocument, encodeURIComponent(LAMBDA_TRUST));
    assert.equal(created.MaxSessionDuration, 7200);

    const got = (await iam.send(new GetRoleCommand({ RoleName: 'lambda-exec' }))).Role!;
    assert.equal(decodeURIComponent(got.AssumeRolePolicyDocument!), LAMBDA_TRUST);
    assert.equal(got.Description, 'for functions');
    assert.equal(got.RoleId, created.RoleId);

    await rejects(iam.send(new CreateRoleCommand({ RoleName: 'lambda-exec', AssumeRolePolicyDocument: LAMBDA_TRUST })), 'EntityAlreadyExistsException', 409, /Role with name lambda-exec already exists/);
    await rejects(iam.send(new CreateRoleCommand({ RoleName: 'broken', AssumeRolePolicyDocument: '{"Version":' })), 'MalformedPolicyDocumentException', 400, /invalid Json/);
    await rejects(iam.send(new CreateRoleCommand({ RoleName: 'broken', AssumeRolePolicyDocument: S3_READ })), 'MalformedPolicyDocumentException', 400, /prohibited field Resource/);
    await rejects(iam.send(new CreateRoleCommand({ RoleName: 'broken', AssumeRolePolicyDocument: LAMBDA_TRUST, MaxSessionDuration: 60 })), 'ValidationError', 400, /maxSessionDuration/);
    await rejects(iam.send(new GetRoleCommand({ RoleName: 'nope' })), 'NoSuchEntityException', 404, /The role with name nope cannot be found/);

    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'lambda-exec', PolicyDocument: ACCOUNT_TRUST }));
    assert.equal(decodeURIComponent((await iam.send(new GetRoleCommand({ RoleName: 'lambda-exec' }))).Role!.AssumeRolePolicyDocument!), ACCOUNT_TRUST);
    await rejects(iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'lambda-exec', PolicyDocument: 'nope' })), 'MalformedPolicyDocumentException', 400);

    await iam.send(new CreateRoleCommand({ RoleName: 'temp', Path: '/svc/', AssumeRolePolicyDocument: LAMBDA_TRUST }));
    const roles = await iam.send(new ListRolesCommand({}));
    assert.deepEqual(roles.Roles!.map((r) => r.RoleName), ['lambda-exec', 'temp']);
    assert.deepEqual((await iam.send(new ListRolesCommand({ PathPrefix: '/svc/' }))).Roles!.map((r) => r.Arn), [`arn:aws:iam::${ACCOUNT}:role/svc/temp`]);
    await iam.send(new DeleteRoleCommand({ RoleName: 'temp' }));
    await rejects(iam.send(new DeleteRoleCommand({ RoleName: 'temp' })), 'NoSuchEntityException', 404);
  });

  test('inline policies on roles and users; DeleteConflict while they remain', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'inline-role', AssumeRolePolicyDocument: LAMBDA_TRUST }));
    await iam.send(new PutRolePolicyCommand({ RoleName: 'inline-role', PolicyName: 'read', PolicyDocument: S3_READ }));
    const got = await iam.send(new GetRolePolicyCommand({ RoleName: 'inline-role', PolicyName: 'read' }));
    assert.equal(got.RoleName, 'inline-role');
    assert.equal(decodeURIComponent(got.PolicyDocument!), S3_READ);
    assert.deepEqual((await iam.send(new ListRolePoliciesCommand({ RoleName: 'inline-role' }))).PolicyNames, ['read']);
    await rejects(iam.send(new PutRolePolicyCommand({ RoleName: 'inline-role', PolicyName: 'bad', PolicyDocument: LAMBDA_TRUST })), 'MalformedPolicyDocumentException', 400, /should not specify a principal/);
    await rejects(iam.send(new GetRolePolicyCommand({ RoleName: 'inline-role', PolicyName: 'other' })), 'NoSuchEntityException', 404, /The role policy with name other cannot be found/);
    await rejects(iam.send(new DeleteRoleCommand({ RoleName: 'inline-role' })), 'DeleteConflictException', 409, /must delete policies first/);
    await iam.send(new DeleteRolePolicyCommand({ RoleName: 'inline-role', PolicyName: 'read' }));
    await iam.send(new DeleteRoleCommand({ RoleName: 'inline-role' }));

    await iam.send(new CreateUserCommand({ UserName: 'inline-user' }));
    await iam.send(new PutUserPolicyCommand({ UserName: 'inline-user', PolicyName: 'read', PolicyDocument: S3_READ }));
    assert.equal(decodeURIComponent((await iam.send(new GetUserPolicyCommand({ UserName: 'inline-user', PolicyName: 'read' }))).PolicyDocument!), S3_READ);
    assert.deepEqual((await iam.send(new ListUserPoliciesCommand({ UserName: 'inline-user' }))).PolicyNames, ['read']);
    await rejects(iam.send(new DeleteUserCommand({ UserName: 'inline-user' })), 'DeleteConflictException', 409, /must delete policies first/);
    await iam.send(new DeleteUserPolicyCommand({ UserName: 'inline-user', PolicyName: 'read' }));
    await rejects(iam.send(new DeleteUserPolicyCommand({ UserName: 'inline-user', PolicyName: 'read' })), 'NoSuchEntityException', 404, /The user policy with name read cannot be found/);
    await iam.send(new DeleteUserCommand({ UserName: 'inline-user' }));
  });

  test('managed policies: create, get, version v1, AWS managed ones seeded, attach/detach, DeleteConflict', async () => {
    const policy = (await iam.send(new CreatePolicyCommand({ PolicyName: 'reader', Path: '/app/', PolicyDocument: S3_READ, Description: 'reads' }))).Policy!;
    assert.equal(policy.Arn, `arn:aws:iam::${ACCOUNT}:policy/app/reader`);
    assert.match(policy.PolicyId!, /^ANPA[A-Z2-7]{17}$/);
    assert.equal(policy.DefaultVersionId, 'v1');
    assert.equal(policy.AttachmentCount, 0);
    await rejects(iam.send(new CreatePolicyCommand({ PolicyName: 'reader', PolicyDocument: S3_READ })), 'EntityAlreadyExistsException', 409, /A policy called reader already exists/);
    await rejects(iam.send(new CreatePolicyCommand({ PolicyName: 'nope', PolicyDocument: '[]' })), 'MalformedPolicyDocumentException', 400);

    const version = (await iam.send(new GetPolicyVersionCommand({ PolicyArn: policy.Arn!, VersionId: 'v1' }))).PolicyVersion!;
    assert.equal(decodeURIComponent(version.Document!), S3_READ);
    assert.equal(version.IsDefaultVersion, true);
    await rejects(iam.send(new GetPolicyVersionCommand({ PolicyArn: policy.Arn!, VersionId: 'v2' })), 'NoSuchEntityException', 404);

    const basic = (await iam.send(new GetPolicyCommand({ PolicyArn: BASIC_EXECUTION }))).Policy!;
    assert.equal(basic.PolicyName, 'AWSLambdaBasicExecutionRole');
    assert.equal(basic.Path, '/service-role/');
    const basicDoc = JSON.parse(decodeURIComponent((await iam.send(new GetPolicyVersionCommand({ PolicyArn: BASIC_EXECUTION, VersionId: basic.DefaultVersionId! }))).PolicyVersion!.Document!));
    assert.deepEqual(basicDoc.Statement[0].Action, ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents']);
    const awsNames = (await iam.send(new ListPoliciesCommand({ Scope: 'AWS' }))).Policies!.map((p) => p.PolicyName);
    for (const name of ['AdministratorAccess', 'AmazonS3FullAccess', 'AmazonS3ReadOnlyAccess', 'AWSLambda_FullAccess', 'AWSLambdaBasicExecutionRole', 'AWSLambdaRole', 'CloudWatchLogsFullAccess', 'SecretsManagerReadWrite']) {
      assert.ok(awsNames.includes(name), name);
    }
    assert.deepEqual((await iam.send(new ListPoliciesCommand({ Scope: 'Local' }))).Policies!.map((p) => p.PolicyName), ['reader']);
    await rejects(iam.send(new GetPolicyCommand({ PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/missing` })), 'NoSuchEntityException', 404, /was not found/);

    await iam.send(new CreateRoleCommand({ RoleName: 'attached-role', AssumeRolePolicyDocument: LAMBDA_TRUST }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'attached-role', PolicyArn: BASIC_EXECUTION }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'attached-role', PolicyArn: policy.Arn! }));
    await rejects(iam.send(new AttachRolePolicyCommand({ RoleName: 'attached-role', PolicyArn: 'arn:aws:iam::aws:policy/NoSuchPolicy' })), 'NoSuchEntityException', 404, /does not exist or is not attachable/);
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'attached-role' }));
    assert.deepEqual(attached.AttachedPolicies!.map((p) => p.PolicyArn).sort(), [BASIC_EXECUTION, policy.Arn!].sort());
    assert.equal((await iam.send(new GetPolicyCommand({ PolicyArn: policy.Arn! }))).Policy!.AttachmentCount, 1);
    assert.deepEqual((await iam.send(new ListPoliciesCommand({ OnlyAttached: true, Scope: 'Local' }))).Policies!.map((p) => p.PolicyName), ['reader']);

    await iam.send(new CreateUserCommand({ UserName: 'attached-user' }));
    await iam.send(new AttachUserPolicyCommand({ UserName: 'attached-user', PolicyArn: policy.Arn! }));
    assert.deepEqual((await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'attached-user' }))).AttachedPolicies, [{ PolicyName: 'reader', PolicyArn: policy.Arn }]);
    await rejects(iam.send(new DeleteUserCommand({ UserName: 'attached-user' })), 'DeleteConflictException', 409, /must detach all policies first/);
    await rejects(iam.send(new DeleteRoleCommand({ RoleName: 'attached-role' })), 'DeleteConflictException', 409, /must detach all policies first/);
    await rejects(iam.send(new DeletePolicyCommand({ PolicyArn: policy.Arn! })), 'DeleteConflictException', 409, /attached to entities/);

    await iam.send(new DetachUserPolicyCommand({ UserName: 'attached-user', PolicyArn: policy.Arn! }));
    await rejects(iam.send(new DetachUserPolicyCommand({ UserName: 'attached-user', PolicyArn: policy.Arn! })), 'NoSuchEntityException', 404);
    await iam.send(new DetachRolePolicyCommand({ RoleName: 'attached-role', PolicyArn: policy.Arn! }));
    await iam.send(new DeletePolicyCommand({ PolicyArn: policy.Arn! }));
    await rejects(iam.send(new GetPolicyCommand({ PolicyArn: policy.Arn! })), 'NoSuchEntityException', 404);
    await iam.send(new DeleteUserCommand({ UserName: 'attached-user' }));
  });

  test('paging: Marker and MaxItems walk every user exactly once', async () => {
    const names = Array.from({ length: 7 }, (_, i) => `page-${i}`);
    for (const UserName of names) await iam.send(new CreateUserCommand({ UserName, Path: '/paging/' }));
    const seen: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const page = await iam.send(new ListUsersCommand({ PathPrefix: '/paging/', MaxItems: 3, ...(marker ? { Marker: marker } : {}) }));
      seen.push(...page.Users!.map((u) => u.UserName!));
      assert.equal(page.IsTruncated, page.Marker !== undefined);
      marker = page.Marker;
      pages++;
    } while (marker);
    assert.equal(pages, 3);
    assert.deepEqual(seen, names);
    await rejects(iam.send(new ListUsersCommand({ MaxItems: 0 })), 'ValidationError', 400, /maxItems/);
    for (const UserName of names) await iam.send(new DeleteUserCommand({ UserName }));
  });

  test('STS: GetCallerIdentity is the root for now; AssumeRole follows the trust policy', async () => {
    const me = await sts.send(new GetCallerIdentityCommand({}));
    assert.deepEqual({ UserId: me.UserId, Account: me.Account, Arn: me.Arn }, { UserId: ACCOUNT, Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:root` });

    // AWS refuses AssumeRole from the root account: an IAM user (with the rights) assumes it.
    await rejects(
      sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/any`, RoleSessionName: 'root' })),
      'AccessDenied',
      403,
      /^Roles may not be assumed by root accounts\.$/,
    );
    const admin = await createAdminUser(server.endpoint, 'sts-admin');
    const rootSts = sts;
    sts = new STSClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: admin.credentials, maxAttempts: 1 });
    const role = (await iam.send(new CreateRoleCommand({ RoleName: 'assumable', AssumeRolePolicyDocument: ACCOUNT_TRUST, MaxSessionDuration: 7200 }))).Role!;
    const before = Date.now();
    const out = await sts.send(new AssumeRoleCommand({ RoleArn: role.Arn!, RoleSessionName: 'my-session' }));
    const creds = out.Credentials!;
    assert.match(creds.AccessKeyId!, /^ASIA[A-Z2-7]{16}$/);
    assert.match(creds.SecretAccessKey!, /^[A-Za-z0-9+/]{40}$/);
    assert.ok(creds.SessionToken!.length > 100);
    const ttl = creds.Expiration!.getTime() - before;
    assert.ok(ttl > 3590_000 && ttl <= 3601_000, `default duration is an hour (${ttl} ms)`);
    assert.equal(out.AssumedRoleUser!.AssumedRoleId, `${role.RoleId}:my-session`);
    assert.equal(out.AssumedRoleUser!.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/assumable/my-session`);

    const session = server.nimbus.credentials.find(creds.AccessKeyId!)!;
    assert.equal(session.sessionToken, creds.SessionToken);
    assert.equal(session.principal.type, 'AssumedRole');
    assert.equal(session.principal.roleArn, role.Arn);
    assert.equal(session.principal.userId, `${role.RoleId}:my-session`);

    const long = await sts.send(new AssumeRoleCommand({ RoleArn: role.Arn!, RoleSessionName: 'long', DurationSeconds: 7200 }));
    assert.ok(long.Credentials!.Expiration!.getTime() - Date.now() > 7100_000);
    await rejects(sts.send(new AssumeRoleCommand({ RoleArn: role.Arn!, RoleSessionName: 'too-long', DurationSeconds: 7201 })), 'ValidationError', 400, /exceeds the MaxSessionDuration/);
    await rejects(sts.send(new AssumeRoleCommand({ RoleArn: role.Arn!, RoleSessionName: 'short', DurationSeconds: 899 })), 'ValidationError', 400, /durationSeconds/);
    await rejects(sts.send(new AssumeRoleCommand({ RoleArn: role.Arn!, RoleSessionName: 'bad name!' })), 'ValidationError', 400, /roleSessionName/);

    await iam.send(new CreateRoleCommand({ RoleName: 'lambda-only', AssumeRolePolicyDocument: LAMBDA_TRUST }));
    const lambdaOnly = `arn:aws:iam::${ACCOUNT}:role/lambda-only`;
    await rejects(
      sts.send(new AssumeRoleCommand({ RoleArn: lambdaOnly, RoleSessionName: 's1' })),
      'AccessDenied',
      403,
      new RegExp(`^User: ${admin.arn} is not authorized to perform: sts:AssumeRole on resource: ${lambdaOnly}$`),
    );
    await rejects(sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/missing`, RoleSessionName: 's1' })), 'AccessDenied', 403);
    sts.destroy();
    sts = rootSts;
  });

  test('bad input gets a 400 in AWS shape, never a 500', async () => {
    const signed = (service: string, body: string) =>
      signedFetch(`${server.endpoint}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }, { service });
    let res = await signed('iam', 'Action=Frobnicate&Version=2010-05-08');
    assert.equal(res.status, 400);
    const text = await res.text();
    assert.match(text, /^<ErrorResponse xmlns="https:\/\/iam.amazonaws.com\/doc\/2010-05-08\/"><Error><Type>Sender<\/Type><Code>InvalidAction<\/Code><Message>Could not find operation Frobnicate for version 2010-05-08<\/Message><\/Error><RequestId>[0-9a-f-]+<\/RequestId><\/ErrorResponse>$/);
    res = await signed('sts', 'Version=2011-06-15');
    assert.equal(res.status, 400);
    assert.match(await res.text(), /<Code>MissingAction<\/Code>/);
    res = await signed('iam', 'Action=CreateUser&Version=2010-05-08&UserName=%E0%A4%A');
    assert.equal(res.status, 400);
    res = await signed('iam', `Action=CreateUser&Version=2010-05-08&UserName=${'a'.repeat(2 * 1024 * 1024)}`);
    assert.equal(res.status, 413);
    assert.match(await res.text(), /<Code>RequestEntityTooLarge<\/Code>/);
    res = await signed('iam', 'Action=ListUsers&Version=2010-05-08&Marker=%00');
    assert.equal(res.status, 400);
    assert.match(await res.text(), /<Code>ValidationError<\/Code>/);
  });

  test('everything survives a restart; expired sessions do not', async () => {
    const dir = server.dataDir;
    await iam.send(new CreateUserCommand({ UserName: 'durable' }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'durable' }))).AccessKey!;
    const role = (await iam.send(new CreateRoleCommand({ RoleName: 'durable-role', AssumeRolePolicyDocument: ACCOUNT_TRUST }))).Role!;
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'durable-role', PolicyArn: BASIC_EXECUTION }));
    const admin = await createAdminUser(server.endpoint, 'durable-admin');
    const adminSts = new STSClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: admin.credentials, maxAttempts: 1 });
    const creds = (await adminSts.send(new AssumeRoleCommand({ RoleArn: role.Arn!, RoleSessionName: 'durable' }))).Credentials!;
    adminSts.destroy();
    // A one-second session, expired by the time the server is back.
    const stale = server.nimbus.sessions.issue({ roleArn: role.Arn!, roleId: role.RoleId!, sessionName: 'stale', durationSeconds: 1 });

    iam.destroy();
    sts.destroy();
    await server.close();
    await new Promise((r) => setTimeout(r, 1100));
    server = await startTestServer({}, dir);
    ({ iam, sts } = clients(server.endpoint));

    assert.equal((await iam.send(new GetUserCommand({ UserName: 'durable' }))).User!.UserName, 'durable');
    assert.equal((await iam.send(new ListAccessKeysCommand({ UserName: 'durable' }))).AccessKeyMetadata![0]!.AccessKeyId, key.AccessKeyId);
    assert.equal(server.nimbus.credentials.find(key.AccessKeyId!)?.secretAccessKey, key.SecretAccessKey);
    const again = (await iam.send(new GetRoleCommand({ RoleName: 'durable-role' }))).Role!;
    assert.equal(again.RoleId, role.RoleId);
    assert.deepEqual((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'durable-role' }))).AttachedPolicies!.map((p) => p.PolicyArn), [BASIC_EXECUTION]);
    assert.equal(server.nimbus.credentials.find(creds.AccessKeyId!)?.secretAccessKey, creds.SecretAccessKey);
    assert.equal(server.nimbus.credentials.find(stale.accessKeyId), undefined);
  });
});
