/**
 * The AWS CLI v2 (/usr/bin/aws) against Nimbus's IAM and STS: the Lambda tutorials'
 * execution-role commands verbatim (only --endpoint-url added).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { aws, awsCliSkipReason } from './helpers/aws-cli.ts';

const skip = awsCliSkipReason();
if (skip) console.log(`# SKIP iam-cli suite: ${skip}`);

const TRUST = '{"Version": "2012-10-17","Statement": [{ "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}';

describe('AWS CLI v2: IAM and STS', { skip }, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({}, undefined, { executionRoles: [] });
  });
  after(() => server?.close());

  test('create-role with an inline JSON trust policy, then get-role decodes it', async () => {
    const r = await aws(server.endpoint, ['iam', 'create-role', '--role-name', 'lambda_basic_execution', '--assume-role-policy-document', TRUST]);
    assert.equal(r.code, 0, r.stderr);
    const role = JSON.parse(r.stdout).Role;
    assert.equal(role.Arn, 'arn:aws:iam::123456789012:role/lambda_basic_execution');
    assert.match(role.RoleId, /^AROA/);
    // The CLI decodes IAM's URL-encoded documents into JSON.
    assert.deepEqual(role.AssumeRolePolicyDocument, JSON.parse(TRUST));

    const got = await aws(server.endpoint, ['iam', 'get-role', '--role-name', 'lambda_basic_execution']);
    assert.equal(got.code, 0, got.stderr);
    assert.deepEqual(JSON.parse(got.stdout).Role.AssumeRolePolicyDocument, JSON.parse(TRUST));
  });

  test('attach-role-policy with the basic execution policy, then list it', async () => {
    const arn = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';
    const r = await aws(server.endpoint, ['iam', 'attach-role-policy', '--role-name', 'lambda_basic_execution', '--policy-arn', arn]);
    assert.equal(r.code, 0, r.stderr);
    const listed = await aws(server.endpoint, ['iam', 'list-attached-role-policies', '--role-name', 'lambda_basic_execution']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout).AttachedPolicies, [{ PolicyName: 'AWSLambdaBasicExecutionRole', PolicyArn: arn }]);
  });

  test('errors come back as the CLI prints them', async () => {
    const r = await aws(server.endpoint, ['iam', 'get-role', '--role-name', 'no_such_role']);
    assert.equal(r.code, 254);
    // "(reached max retries: 0)" comes from the helper's AWS_MAX_ATTEMPTS=1.
    assert.match(r.stderr, /An error occurred \(NoSuchEntity\) when calling the GetRole operation( \(reached max retries: 0\))?: The role with name no_such_role cannot be found\./);
    const bad = await aws(server.endpoint, ['iam', 'create-role', '--role-name', 'broken', '--assume-role-policy-document', '{not json']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /MalformedPolicyDocument/);
  });

  test('sts get-caller-identity', async () => {
    const r = await aws(server.endpoint, ['sts', 'get-caller-identity']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { UserId: '123456789012', Account: '123456789012', Arn: 'arn:aws:iam::123456789012:root' });
  });

  test('create-user, create-access-key, list-users', async () => {
    assert.equal((await aws(server.endpoint, ['iam', 'create-user', '--user-name', 'cli-user'])).code, 0);
    const key = await aws(server.endpoint, ['iam', 'create-access-key', '--user-name', 'cli-user']);
    assert.equal(key.code, 0, key.stderr);
    assert.match(JSON.parse(key.stdout).AccessKey.AccessKeyId, /^AKIA[A-Z2-7]{16}$/);
    const users = await aws(server.endpoint, ['iam', 'list-users']);
    assert.deepEqual(JSON.parse(users.stdout).Users.map((u: { UserName: string }) => u.UserName), ['cli-user']);
  });
});
