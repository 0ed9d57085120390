/**
 * IAM authorization of CloudWatch Logs, Secrets Manager, CloudWatch metrics and IAM itself,
 * end to end with the official clients: a user with no policies is refused every action class
 * (list, read, write) in each API's error shape; a narrow identity policy allows exactly what
 * it names; an explicit Deny beats any Allow; a role session has the role's rights, not its
 * caller's; GetCallerIdentity answers every principal. The suites' root credentials keep
 * every right.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { CloudWatchClient, GetMetricDataCommand, GetMetricStatisticsCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  GetUserCommand,
  IAMClient,
  ListUsersCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { startTestServer, TEST_CREDENTIALS, type TestServer } from './helpers/server.ts';
import { signedFetch, type Credentials } from './helpers/sign.ts';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const GROUP = '/app/allowed';
const OTHER_GROUP = '/app/other';
const groupArn = (name: string) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}`;
const USER_ARN = `arn:aws:iam::${ACCOUNT}:user/alice`;

interface Clients {
  logs: CloudWatchLogsClient;
  secrets: SecretsManagerClient;
  cw: CloudWatchClient;
  iam: IAMClient;
  sts: STSClient;
}

function clientsFor(endpoint: string, credentials: Credentials): Clients {
  const opts = { endpoint, region: REGION, credentials, maxAttempts: 1 };
  return { logs: new CloudWatchLogsClient(opts), secrets: new SecretsManagerClient(opts), cw: new CloudWatchClient(opts), iam: new IAMClient(opts), sts: new STSClient(opts) };
}

function destroy(c: Clients | undefined): void {
  if (!c) return;
  for (const client of Object.values(c)) (client as { destroy(): void }).destroy();
}

/** The call is refused: the API's code and status, AWS's message (with the action, and the resource when given). */
async function denied(p: Promise<unknown>, code: string, status: number, action: string, resource?: string, explicit = false): Promise<void> {
  await assert.rejects(p, (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(err.name, code, `${err.name}: ${err.message}`);
    assert.equal(err.$metadata?.httpStatusCode, status, `${action}: status`);
    assert.ok(err.message.includes(`is not authorized to perform: ${action}`), err.message);
    if (resource) assert.ok(err.message.includes(`on resource: ${resource}`), `${err.message} names ${resource}`);
    assert.ok(err.message.includes(explicit ? 'with an explicit deny' : 'because no identity-based policy allows'), err.message);
    return true;
  });
}

const policy = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const NOW = Date.now();
const metricWindow = { StartTime: new Date(NOW - 3_600_000), EndTime: new Date(NOW) };

describe('service authorization (Logs, Secrets Manager, CloudWatch, IAM)', () => {
  let server: TestServer;
  let root: Clients;
  let alice: Clients;
  let aliceKeys: Credentials;
  let allowedSecretArn: string;
  let otherSecretArn: string;

  const putUserPolicy = (name: string, document: string) => root.iam.send(new PutUserPolicyCommand({ UserName: 'alice', PolicyName: name, PolicyDocument: document }));
  const deleteUserPolicy = (name: string) => root.iam.send(new DeleteUserPolicyCommand({ UserName: 'alice', PolicyName: name }));

  before(async () => {
    server = await startTestServer({}, undefined, { executionRoles: [] });
    root = clientsFor(server.endpoint, TEST_CREDENTIALS);
    for (const group of [GROUP, OTHER_GROUP]) {
      await root.logs.send(new CreateLogGroupCommand({ logGroupName: group }));
      await root.logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 's1' }));
      await root.logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: 's1', logEvents: [{ timestamp: Date.now(), message: `hello from ${group}` }] }));
    }
    allowedSecretArn = (await root.secrets.send(new CreateSecretCommand({ Name: 'app/allowed', SecretString: 'allowed-value' }))).ARN!;
    otherSecretArn = (await root.secrets.send(new CreateSecretCommand({ Name: 'app/other', SecretString: 'other-value' }))).ARN!;
    await root.iam.send(new CreateUserCommand({ UserName: 'alice' }));
    const key = (await root.iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }))).AccessKey!;
    aliceKeys = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
    alice = clientsFor(server.endpoint, aliceKeys);
  });
  after(async () => {
    destroy(root);
    destroy(alice);
    await server?.close();
  });

  test('a user without policies is refused every action class of every service', async () => {
    // CloudWatch Logs: AccessDeniedException, 400, on the ARNs AWS names.
    await denied(alice.logs.send(new DescribeLogGroupsCommand({})), 'AccessDeniedException', 400, 'logs:DescribeLogGroups', `arn:aws:logs:${REGION}:${ACCOUNT}:log-group::log-stream:`);
    await denied(alice.logs.send(new FilterLogEventsCommand({ logGroupName: GROUP })), 'AccessDeniedException', 400, 'logs:FilterLogEvents', `${groupArn(GROUP)}:log-stream:`);
    await denied(alice.logs.send(new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: 's1' })), 'AccessDeniedException', 400, 'logs:GetLogEvents', `${groupArn(GROUP)}:log-stream:s1`);
    await denied(alice.logs.send(new PutLogEventsCommand({ logGroupName: GROUP, logStreamName: 's1', logEvents: [{ timestamp: Date.now(), message: 'x' }] })), 'AccessDeniedException', 400, 'logs:PutLogEvents');
    await denied(alice.logs.send(new CreateLogGroupCommand({ logGroupName: '/app/new' })), 'AccessDeniedException', 400, 'logs:CreateLogGroup');
    // Refused before existence is checked: a caller without rights learns nothing.
    await denied(alice.logs.send(new DescribeLogStreamsCommand({ logGroupName: '/no/such/group' })), 'AccessDeniedException', 400, 'logs:DescribeLogStreams');

    // Secrets Manager: AccessDeniedException, 400, on the secret's ARN.
    await denied(alice.secrets.send(new ListSecretsCommand({})), 'AccessDeniedException', 400, 'secretsmanager:ListSecrets', '*');
    await denied(alice.secrets.send(new GetSecretValueCommand({ SecretId: 'app/allowed' })), 'AccessDeniedException', 400, 'secretsmanager:GetSecretValue', allowedSecretArn);
    await denied(alice.secrets.send(new DescribeSecretCommand({ SecretId: allowedSecretArn })), 'AccessDeniedException', 400, 'secretsmanager:DescribeSecret', allowedSecretArn);
    await denied(alice.secrets.send(new PutSecretValueCommand({ SecretId: 'app/allowed', SecretString: 'overwritten' })), 'AccessDeniedException', 400, 'secretsmanager:PutSecretValue', allowedSecretArn);
    await denied(alice.secrets.send(new CreateSecretCommand({ Name: 'app/new', SecretString: 'x' })), 'AccessDeniedException', 400, 'secretsmanager:CreateSecret', `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:app/new-`);
    await denied(alice.secrets.send(new GetRandomPasswordCommand({})), 'AccessDeniedException', 400, 'secretsmanager:GetRandomPassword', '*');
    await denied(alice.secrets.send(new GetSecretValueCommand({ SecretId: 'no/such/secret' })), 'AccessDeniedException', 400, 'secretsmanager:GetSecretValue');
    // Nothing was written.
    assert.equal((await root.secrets.send(new GetSecretValueCommand({ SecretId: 'app/allowed' }))).SecretString, 'allowed-value');

    // CloudWatch: AccessDenied (the query code SDKs read from x-amzn-query-error), 403.
    await denied(alice.cw.send(new ListMetricsCommand({})), 'AccessDenied', 403, 'cloudwatch:ListMetrics', '*');
    await denied(alice.cw.send(new GetMetricStatisticsCommand({ Namespace: 'AWS/Lambda', MetricName: 'Invocations', Period: 60, Statistics: ['Sum'], ...metricWindow })), 'AccessDenied', 403, 'cloudwatch:GetMetricStatistics');
    await denied(
      alice.cw.send(new GetMetricDataCommand({ MetricDataQueries: [{ Id: 'q', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations' }, Period: 60, Stat: 'Sum' } }], ...metricWindow })),
      'AccessDenied',
      403,
      'cloudwatch:GetMetricData',
    );
    // The query protocol: <Code>AccessDenied</Code>, 403.
    const query = await signedFetch(`${server.endpoint}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=ListMetrics&Version=2010-08-01' }, { service: 'monitoring', credentials: aliceKeys });
    assert.equal(query.status, 403);
    assert.match(await query.text(), /<Code>AccessDenied<\/Code><Message>User: arn:aws:iam::123456789012:user\/alice is not authorized to perform: cloudwatch:ListMetrics/);

    // IAM: AccessDenied, 403, on the user's, role's or policy's ARN.
    await denied(alice.iam.send(new ListUsersCommand({})), 'AccessDenied', 403, 'iam:ListUsers', '*');
    await denied(alice.iam.send(new GetUserCommand({})), 'AccessDenied', 403, 'iam:GetUser', USER_ARN);
    await denied(alice.iam.send(new CreateUserCommand({ UserName: 'mallory', Path: '/team/' })), 'AccessDenied', 403, 'iam:CreateUser', `arn:aws:iam::${ACCOUNT}:user/team/mallory`);
    await denied(alice.iam.send(new CreateAccessKeyCommand({})), 'AccessDenied', 403, 'iam:CreateAccessKey', USER_ARN);
    await denied(alice.iam.send(new PutUserPolicyCommand({ UserName: 'alice', PolicyName: 'all', PolicyDocument: policy({ Effect: 'Allow', Action: '*', Resource: '*' }) })), 'AccessDenied', 403, 'iam:PutUserPolicy', USER_ARN);
    await denied(alice.iam.send(new CreateRoleCommand({ RoleName: 'escalate', AssumeRolePolicyDocument: policy({ Effect: 'Allow', Principal: { AWS: USER_ARN }, Action: 'sts:AssumeRole' }) })), 'AccessDenied', 403, 'iam:CreateRole', `arn:aws:iam::${ACCOUNT}:role/escalate`);
    await denied(alice.iam.send(new CreatePolicyCommand({ PolicyName: 'p', PolicyDocument: policy({ Effect: 'Allow', Action: '*', Resource: '*' }) })), 'AccessDenied', 403, 'iam:CreatePolicy', `arn:aws:iam::${ACCOUNT}:policy/p`);
    await denied(alice.iam.send(new AttachUserPolicyCommand({ UserName: 'alice', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' })), 'AccessDenied', 403, 'iam:AttachUserPolicy', USER_ARN);

    // STS: GetCallerIdentity needs no permission.
    assert.equal((await alice.sts.send(new GetCallerIdentityCommand({}))).Arn, USER_ARN);
  });

  test('a narrow identity policy allows exactly what it names', async () => {
    await putUserPolicy(
      'narrow',
      policy(
        { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: allowedSecretArn },
        // The Service Authorization Reference's log-group ARN, and the usual :* form.
        { Effect: 'Allow', Action: 'logs:FilterLogEvents', Resource: groupArn(GROUP) },
        { Effect: 'Allow', Action: ['logs:GetLogEvents', 'logs:DescribeLogStreams'], Resource: `${groupArn(GROUP)}:*` },
        { Effect: 'Allow', Action: 'cloudwatch:ListMetrics', Resource: '*' },
        { Effect: 'Allow', Action: 'iam:GetUser', Resource: USER_ARN },
        { Effect: 'Allow', Action: 'iam:CreateUser', Resource: `arn:aws:iam::${ACCOUNT}:user/team/*` },
      ),
    );
    try {
      // Secrets Manager: the one secret, by name or ARN; not another, not another action.
      assert.equal((await alice.secrets.send(new GetSecretValueCommand({ SecretId: 'app/allowed' }))).SecretString, 'allowed-value');
      assert.equal((await alice.secrets.send(new GetSecretValueCommand({ SecretId: allowedSecretArn }))).SecretString, 'allowed-value');
      await denied(alice.secrets.send(new GetSecretValueCommand({ SecretId: 'app/other' })), 'AccessDeniedException', 400, 'secretsmanager:GetSecretValue', otherSecretArn);
      await denied(alice.secrets.send(new DescribeSecretCommand({ SecretId: 'app/allowed' })), 'AccessDeniedException', 400, 'secretsmanager:DescribeSecret');
      await denied(alice.secrets.send(new ListSecretsCommand({})), 'AccessDeniedException', 400, 'secretsmanager:ListSecrets');

      // CloudWatch Logs: the one group; by name or logGroupIdentifier.
      const events = await alice.logs.send(new FilterLogEventsCommand({ logGroupName: GROUP }));
      assert.deepEqual(events.events?.map((e) => e.message), [`hello from ${GROUP}`]);
      assert.equal((await alice.logs.send(new FilterLogEventsCommand({ logGroupIdentifier: groupArn(GROUP) }))).events?.length, 1);
      assert.equal((await alice.logs.send(new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: 's1', startFromHead: true }))).events?.length, 1);
      assert.equal((await alice.logs.send(new DescribeLogStreamsCommand({ logGroupName: GROUP }))).logStreams?.length, 1);
      await denied(alice.logs.send(new FilterLogEventsCommand({ logGroupName: OTHER_GROUP })), 'AccessDeniedException', 400, 'logs:FilterLogEvents', `${groupArn(OTHER_GROUP)}:log-stream:`);
      await denied(alice.logs.send(new GetLogEventsCommand({ logGroupName: OTHER_GROUP, logStreamName: 's1' })), 'AccessDeniedException', 400, 'logs:GetLogEvents');
      await denied(alice.logs.send(new PutLogEventsCommand({ logGroupName: GROUP, logStreamName: 's1', logEvents: [{ timestamp: Date.now(), message: 'x' }] })), 'AccessDeniedException', 400, 'logs:PutLogEvents');
      await denied(alice.logs.send(new DescribeLogGroupsCommand({})), 'AccessDeniedException', 400, 'logs:DescribeLogGroups');

      // CloudWatch: ListMetrics only.
      assert.ok(Array.isArray((await alice.cw.send(new ListMetricsCommand({}))).Metrics));
      await denied(alice.cw.send(new GetMetricStatisticsCommand({ Namespace: 'AWS/Lambda', MetricName: 'Invocations', Period: 60, Statistics: ['Sum'], ...metricWindow })), 'AccessDenied', 403, 'cloudwatch:GetMetricStatistics');

      // IAM: GetUser of herself; CreateUser under /team/ only.
      assert.equal((await alice.iam.send(new GetUserCommand({}))).User?.Arn, USER_ARN);
      await denied(alice.iam.send(new GetUserCommand({ UserName: 'root-made' })), 'AccessDenied', 403, 'iam:GetUser', `arn:aws:iam::${ACCOUNT}:user/root-made`);
      assert.equal((await alice.iam.send(new CreateUserCommand({ UserName: 'bob', Path: '/team/' }))).User?.Arn, `arn:aws:iam::${ACCOUNT}:user/team/bob`);
      await denied(alice.iam.send(new CreateUserCommand({ UserName: 'carol' })), 'AccessDenied', 403, 'iam:CreateUser', `arn:aws:iam::${ACCOUNT}:user/carol`);
      await denied(alice.iam.send(new ListUsersCommand({})), 'AccessDenied', 403, 'iam:ListUsers');
    } finally {
      await deleteUserPolicy('narrow');
    }
  });

  test('an explicit Deny wins over any Allow', async () => {
    const arn = (
      await root.iam.send(
        new CreatePolicyCommand({ PolicyName: 'everything', PolicyDocument: policy({ Effect: 'Allow', Action: ['secretsmanager:*', 'logs:*', 'cloudwatch:*', 'iam:*'], Resource: '*' }) }),
      )
    ).Policy!.Arn!;
    await root.iam.send(new AttachUserPolicyCommand({ UserName: 'alice', PolicyArn: arn }));
    await putUserPolicy(
      'deny',
      policy(
        { Effect: 'Deny', Action: 'secretsmanager:GetSecretValue', Resource: allowedSecretArn },
        { Effect: 'Deny', Action: 'logs:*', Resource: `${groupArn(OTHER_GROUP)}:*` },
        { Effect: 'Deny', Action: 'cloudwatch:GetMetricData', Resource: '*' },
        { Effect: 'Deny', Action: 'iam:*', Resource: USER_ARN },
      ),
    );
    try {
      await denied(alice.secrets.send(new GetSecretValueCommand({ SecretId: 'app/allowed' })), 'AccessDeniedException', 400, 'secretsmanager:GetSecretValue', allowedSecretArn, true);
      assert.equal((await alice.secrets.send(new GetSecretValueCommand({ SecretId: 'app/other' }))).SecretString, 'other-value');
      assert.equal((await alice.secrets.send(new DescribeSecretCommand({ SecretId: 'app/allowed' }))).Name, 'app/allowed');

      await denied(alice.logs.send(new FilterLogEventsCommand({ logGroupName: OTHER_GROUP })), 'AccessDeniedException', 400, 'logs:FilterLogEvents', undefined, true);
      await denied(alice.logs.send(new GetLogEventsCommand({ logGroupName: OTHER_GROUP, logStreamName: 's1' })), 'AccessDeniedException', 400, 'logs:GetLogEvents', undefined, true);
      assert.equal((await alice.logs.send(new FilterLogEventsCommand({ logGroupName: GROUP }))).events?.length, 1);
      assert.ok(((await alice.logs.send(new DescribeLogGroupsCommand({}))).logGroups?.length ?? 0) >= 2);

      await denied(
        alice.cw.send(new GetMetricDataCommand({ MetricDataQueries: [{ Id: 'q', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations' }, Period: 60, Stat: 'Sum' } }], ...metricWindow })),
        'AccessDenied',
        403,
        'cloudwatch:GetMetricData',
        '*',
        true,
      );
      assert.ok(Array.isArray((await alice.cw.send(new ListMetricsCommand({}))).Metrics));

      // She may manage other users, not herself (so she cannot lift the Deny).
      await denied(alice.iam.send(new DeleteUserPolicyCommand({ UserName: 'alice', PolicyName: 'deny' })), 'AccessDenied', 403, 'iam:DeleteUserPolicy', USER_ARN, true);
      await denied(alice.iam.send(new DetachUserPolicyCommand({ UserName: 'alice', PolicyArn: arn })), 'AccessDenied', 403, 'iam:DetachUserPolicy', USER_ARN, true);
      assert.ok((await alice.iam.send(new ListUsersCommand({}))).Users!.some((u) => u.UserName === 'alice'));
    } finally {
      await deleteUserPolicy('deny');
      await root.iam.send(new DetachUserPolicyCommand({ UserName: 'alice', PolicyArn: arn }));
    }
  });

  test("a role session has the role's rights, not its caller's", async () => {
    const roleArn = (
      await root.iam.send(new CreateRoleCommand({ RoleName: 'reader', AssumeRolePolicyDocument: policy({ Effect: 'Allow', Principal: { AWS: USER_ARN }, Action: 'sts:AssumeRole' }) }))
    ).Role!.Arn!;
    await root.iam.send(
      new PutRolePolicyCommand({
        RoleName: 'reader',
        PolicyName: 'read',
        PolicyDocument: policy(
          { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: otherSecretArn },
          { Effect: 'Allow', Action: 'logs:DescribeLogGroups', Resource: '*' },
          { Effect: 'Allow', Action: 'cloudwatch:GetMetricStatistics', Resource: '*' },
        ),
      }),
    );
    // Alice herself may read only the allowed secret.
    await putUserPolicy('own', policy({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: allowedSecretArn }));
    let session: Clients | undefined;
    try {
      const assumed = await alice.sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'work' }));
      const c = assumed.Credentials!;
      assert.match(c.AccessKeyId!, /^ASIA/);
      session = clientsFor(server.endpoint, { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! });
      const sessionArn = `arn:aws:sts::${ACCOUNT}:assumed-role/reader/work`;
      assert.equal((await session.sts.send(new GetCallerIdentityCommand({}))).Arn, sessionArn);

      assert.equal((await session.secrets.send(new GetSecretValueCommand({ SecretId: 'app/other' }))).SecretString, 'other-value');
      await assert.rejects(session.secrets.send(new GetSecretValueCommand({ SecretId: 'app/allowed' })), (err: Error) => {
        assert.equal(err.name, 'AccessDeniedException');
        assert.ok(err.message.startsWith(`User: ${sessionArn} is not authorized to perform: secretsmanager:GetSecretValue on resource: ${allowedSecretArn}`), err.message);
        return true;
      });
      assert.equal((await alice.secrets.send(new GetSecretValueCommand({ SecretId: 'app/allowed' }))).SecretString, 'allowed-value');
      await denied(alice.secrets.send(new GetSecretValueCommand({ SecretId: 'app/other' })), 'AccessDeniedException', 400, 'secretsmanager:GetSecretValue');

      assert.ok(((await session.logs.send(new DescribeLogGroupsCommand({}))).logGroups?.length ?? 0) >= 2);
      await denied(session.logs.send(new FilterLogEventsCommand({ logGroupName: GROUP })), 'AccessDeniedException', 400, 'logs:FilterLogEvents');
      assert.ok(Array.isArray((await session.cw.send(new GetMetricStatisticsCommand({ Namespace: 'AWS/Lambda', MetricName: 'Invocations', Period: 60, Statistics: ['Sum'], ...metricWindow }))).Datapoints));
      await denied(session.cw.send(new ListMetricsCommand({})), 'AccessDenied', 403, 'cloudwatch:ListMetrics');
      await denied(session.iam.send(new ListUsersCommand({})), 'AccessDenied', 403, 'iam:ListUsers');
    } finally {
      destroy(session);
      await deleteUserPolicy('own');
    }
  });

  test('GetCallerIdentity answers every principal; root keeps every right', async () => {
    assert.equal((await root.sts.send(new GetCallerIdentityCommand({}))).Arn, `arn:aws:iam::${ACCOUNT}:root`);
    assert.equal((await alice.sts.send(new GetCallerIdentityCommand({}))).Arn, USER_ARN);
    assert.ok(((await root.logs.send(new DescribeLogGroupsCommand({}))).logGroups?.length ?? 0) >= 2);
    assert.ok(((await root.secrets.send(new ListSecretsCommand({}))).SecretList?.length ?? 0) >= 2);
    assert.ok(Array.isArray((await root.cw.send(new ListMetricsCommand({}))).Metrics));
    assert.ok((await root.iam.send(new ListUsersCommand({}))).Users!.length >= 1);
  });
});
