/**
 * The CloudWatch Logs API end to end through @aws-sdk/client-cloudwatch-logs and the AWS
 * CLI: group and stream management, PutLogEvents, retention enforced on the log store's
 * own clock, JSON filter patterns over function logs, `aws logs tail --follow`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  DeleteLogStreamCommand,
  DeleteRetentionPolicyCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { startNimbus, type Nimbus } from '../src/main.ts';
import { RETENTION_SWEEP_MS } from '../src/logs/index.ts';
import { ManualClock } from '../src/sandbox/test-helpers.ts';
import { AWS_CLI, TEST_CREDENTIALS, writeTestCredentials } from './helpers/server.ts';
import { ensureStandardRoles } from './helpers/iam.ts';
import { aws, awsCliSkipReason } from './helpers/aws-cli.ts';
import { zipFiles } from './helpers/zip.ts';

const ROLE = 'arn:aws:iam::123456789012:role/lambda_basic_execution';
const DAY = 86_400_000;
const logsClock = new ManualClock();
let nimbus: Nimbus;
let logs: CloudWatchLogsClient;
let lambda: LambdaClient;

before(async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-logs-api-'));
  writeTestCredentials(dataDir);
  nimbus = await startNimbus({ port: 0, dataDir, logLevel: 'silent' }, { logsClock });
  await ensureStandardRoles(nimbus.endpoint);
  const client = { endpoint: nimbus.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 };
  logs = new CloudWatchLogsClient(client);
  lambda = new LambdaClient(client);
  // A JSON-format function: each console.log of an object is one JSON record.
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'orders',
      Runtime: 'nodejs20.x',
      Role: ROLE,
      Handler: 'index.handler',
      LoggingConfig: { LogFormat: 'JSON' },
      Code: {
        ZipFile: await zipFiles({
          'index.js': `exports.handler = async (event) => {
            console.log({ order: event.order, amount: event.amount, status: event.status, tags: event.tags ?? [] });
            if (event.status === 'failed') console.error('order failed', event.order);
            return 'ok';
          };`,
        }),
      },
    }),
  );
  const orders = [
    { order: 'a-1', amount: 10, status: 'paid', tags: ['gift'] },
    { order: 'a-2', amount: 250, status: 'paid' },
    { order: 'b-1', amount: 99, status: 'failed', tags: ['retry', 'vip'] },
  ];
  for (const o of orders) await lambda.send(new InvokeCommand({ FunctionName: 'orders', Payload: Buffer.from(JSON.stringify(o)) }));
});

after(async () => {
  logs?.destroy();
  lambda?.destroy();
  await nimbus?.close(1000);
});

const messages = async (group: string, filterPattern?: string) => {
  const out = await logs.send(new FilterLogEventsCommand({ logGroupName: group, ...(filterPattern !== undefined ? { filterPattern } : {}) }));
  return (out.events ?? []).map((e) => e.message!);
};

describe('FilterLogEvents with JSON patterns over function logs', () => {
  const orders = async (pattern: string) =>
    (await messages('/aws/lambda/orders', pattern)).map((m) => JSON.parse(m)).map((r) => (typeof r.message === 'object' ? r.message.order : r.message));

  test('field equality, wildcards, numeric comparisons, && and ||', async () => {
    assert.deepEqual(await orders('{ $.message.status = "paid" }'), ['a-1', 'a-2']);
    assert.deepEqual(await orders('{ $.message.order = b* }'), ['b-1']);
    assert.deepEqual(await orders('{ $.message.amount > 50 }'), ['a-2', 'b-1']);
    assert.deepEqual(await orders('{ $.message.amount >= 99 && $.message.status = "paid" }'), ['a-2']);
    assert.deepEqual(await orders('{ ($.message.amount < 20 || $.message.amount > 200) && $.level = "INFO" }'), ['a-1', 'a-2']);
    assert.deepEqual(await orders('{ $.message.tags[1] = "vip" }'), ['b-1']);
    assert.deepEqual(await orders('{ $.message.tags[0] NOT EXISTS && $.message.order = * }'), ['a-2']);
    assert.deepEqual(await orders('{ $.level = "ERROR" }'), ['order failed b-1']);
  });

  test('platform records are JSON too: filter the reports', async () => {
    const reports = await messages('/aws/lambda/orders', '{ $.type = "platform.report" && $.record.metrics.durationMs >= 0 }');
    assert.equal(reports.length, 3);
  });

  test('a malformed pattern is an InvalidParameterException', async () => {
    await assert.rejects(
      logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/orders', filterPattern: '{ $.amount > "x" }' })),
      (e: Error) => e.name === 'InvalidParameterException' && /Invalid filter pattern/.test(e.message),
    );
  });

  test('a pattern over 1024 characters is refused as the model says, a deep one never crashes the server', async () => {
    const long = `{ $.message.order = "${'x'.repeat(1010)}" }`;
    await assert.rejects(
      logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/orders', filterPattern: long })),
      (e: Error) =>
        e.name === 'InvalidParameterException' &&
        e.message === `1 validation error detected: Value '${long}' at 'filterPattern' failed to satisfy constraint: Member must have length less than or equal to 1024`,
    );
    // Deep enough to overflow the parser's stack were it compiled.
    const deep = `{ ${'('.repeat(50_000)}$.level = "INFO"${')'.repeat(50_000)} }`;
    await assert.rejects(
      logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/orders', filterPattern: deep })),
      (e: Error & { $metadata?: { httpStatusCode?: number } }) => e.name === 'InvalidParameterException' && e.$metadata?.httpStatusCode === 400,
    );
    const fits = `{ $.level = "${'x'.repeat(1024 - '{ $.level = "" }'.length)}" }`;
    assert.equal(fits.length, 1024);
    assert.deepEqual(await messages('/aws/lambda/orders', fits), []);
  });
});

describe('groups, streams and PutLogEvents', () => {
  test('create, put, read back, refuse duplicates and disorder, delete', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/app/tool' }));
    await assert.rejects(logs.send(new CreateLogGroupCommand({ logGroupName: '/app/tool' })), { name: 'ResourceAlreadyExistsException' });
    await assert.rejects(logs.send(new CreateLogGroupCommand({ logGroupName: 'bad name!' })), { name: 'InvalidParameterException' });
    await assert.rejects(logs.send(new CreateLogStreamCommand({ logGroupName: '/app/missing', logStreamName: 's' })), { name: 'ResourceNotFoundException' });
    await logs.send(new CreateLogStreamCommand({ logGroupName: '/app/tool', logStreamName: 'run-1' }));
    await assert.rejects(logs.send(new CreateLogStreamCommand({ logGroupName: '/app/tool', logStreamName: 'run-1' })), { name: 'ResourceAlreadyExistsException' });
    await assert.rejects(logs.send(new PutLogEventsCommand({ logGroupName: '/app/tool', logStreamName: 'nope', logEvents: [{ timestamp: Date.now(), message: 'x' }] })), { name: 'ResourceNotFoundException' });
    const now = logsClock.now();
    await assert.rejects(
      logs.send(new PutLogEventsCommand({ logGroupName: '/app/tool', logStreamName: 'run-1', logEvents: [{ timestamp: now, message: 'b' }, { timestamp: now - 1, message: 'a' }] })),
      { name: 'InvalidParameterException' },
    );
    const put = await logs.send(
      new PutLogEventsCommand({
        logGroupName: '/app/tool',
        logStreamName: 'run-1',
        logEvents: [
          { timestamp: now - 20 * DAY, message: 'too old' },
          { timestamp: now - 1000, message: 'first' },
          { timestamp: now, message: 'second' },
          { timestamp: now + 3 * 3_600_000, message: 'too new' },
        ],
      }),
    );
    assert.deepEqual(put.rejectedLogEventsInfo, { tooOldLogEventEndIndex: 1, tooNewLogEventStartIndex: 3 });
    const got = await logs.send(new GetLogEventsCommand({ logGroupName: '/app/tool', logStreamName: 'run-1', startFromHead: true }));
    assert.deepEqual(got.events?.map((e) => e.message), ['first', 'second']);
    const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/app/tool' }));
    assert.deepEqual(streams.logStreams?.map((s) => [s.logStreamName, s.storedBytes]), [['run-1', 11]]);
    await logs.send(new DeleteLogStreamCommand({ logGroupName: '/app/tool', logStreamName: 'run-1' }));
    await assert.rejects(logs.send(new DeleteLogStreamCommand({ logGroupName: '/app/tool', logStreamName: 'run-1' })), { name: 'ResourceNotFoundException' });
  });

  test('DeleteLogGroup removes the group and its events; a missing one is ResourceNotFoundException', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/app/doomed' }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: '/app/doomed', logStreamName: 's' }));
    await logs.send(new PutLogEventsCommand({ logGroupName: '/app/doomed', logStreamName: 's', logEvents: [{ timestamp: logsClock.now(), message: 'bye' }] }));
    await logs.send(new DeleteLogGroupCommand({ logGroupName: '/app/doomed' }));
    const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/app/doomed' }));
    assert.deepEqual(groups.logGroups, []);
    await assert.rejects(logs.send(new FilterLogEventsCommand({ logGroupName: '/app/doomed' })), { name: 'ResourceNotFoundException' });
    await assert.rejects(logs.send(new DeleteLogGroupCommand({ logGroupName: '/app/doomed' })), (e: Error) => e.name === 'ResourceNotFoundException' && e.message === 'The specified log group does not exist.');
  });
});

test('a request body over the size limit is a 400 SerializationException, not a server error', async () => {
  const big = 'x'.repeat(3 * 1024 * 1024);
  await assert.rejects(
    logs.send(new PutLogEventsCommand({ logGroupName: '/app/big', logStreamName: 's', logEvents: [{ timestamp: Date.now(), message: big }] })),
    (e: any) => e.name === 'SerializationException' && e.$metadata.httpStatusCode === 400 && /larger than 2097152 bytes/.test(e.message),
  );
});

describe('retention', () => {
  test('PutRetentionPolicy takes only the model values and needs the group', async () => {
    for (const bad of [0, 2, 4000]) {
      await assert.rejects(
        logs.send(new PutRetentionPolicyCommand({ logGroupName: '/aws/lambda/orders', retentionInDays: bad })),
        (e: Error) => e.name === 'InvalidParameterException' && e.message.includes('Member must satisfy enum value set: [1, 3, 5, 7, 14, 30'),
      );
    }
    await assert.rejects(logs.send(new PutRetentionPolicyCommand({ logGroupName: '/no/such', retentionInDays: 1 })), { name: 'ResourceNotFoundException' });
    await assert.rejects(logs.send(new DeleteRetentionPolicyCommand({ logGroupName: '/no/such' })), { name: 'ResourceNotFoundException' });
  });

  test('events older than the retention are deleted as the log clock passes it', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/app/kept' }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: '/app/kept', logStreamName: 's' }));
    await logs.send(new PutLogEventsCommand({ logGroupName: '/app/kept', logStreamName: 's', logEvents: [{ timestamp: logsClock.now(), message: 'no policy' }] }));
    const before = (await messages('/aws/lambda/orders')).length;
    assert.ok(before >= 9, `${before}`);
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: '/aws/lambda/orders', retentionInDays: 3 }));
    const described = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/orders' }));
    assert.equal(described.logGroups?.[0]?.retentionInDays, 3);
    assert.equal((await messages('/aws/lambda/orders')).length, before, 'young events stay');
    logsClock.advance(2 * DAY);
    assert.equal((await messages('/aws/lambda/orders')).length, before, 'two days into a three-day retention');
    logsClock.advance(DAY + RETENTION_SWEEP_MS);
    assert.deepEqual(await messages('/aws/lambda/orders'), []);
    assert.deepEqual(await messages('/app/kept'), ['no policy']);
    await logs.send(new DeleteRetentionPolicyCommand({ logGroupName: '/aws/lambda/orders' }));
    const after = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/orders' }));
    assert.equal(after.logGroups?.[0]?.retentionInDays, undefined);
  });
});

const skip = awsCliSkipReason();
describe('AWS CLI v2 logs commands', { skip }, () => {
  before(async () => {
    for (const status of ['paid', 'failed']) {
      await lambda.send(new InvokeCommand({ FunctionName: 'orders', Payload: Buffer.from(JSON.stringify({ order: `cli-${status}`, amount: 5, status })) }));
    }
  });

  test('aws logs filter-log-events with a JSON pattern', async () => {
    const r = await aws(nimbus.endpoint, ['logs', 'filter-log-events', '--log-group-name', '/aws/lambda/orders', '--filter-pattern', '{ $.message.order = "cli-*" && $.message.status = "failed" }']);
    assert.equal(r.code, 0, r.stderr);
    const events = JSON.parse(r.stdout).events as { message: string }[];
    assert.deepEqual(events.map((e) => JSON.parse(e.message).message.order), ['cli-failed']);
  });

  test('aws logs tail --follow prints events as they arrive', async () => {
    const child = spawn(AWS_CLI, ['logs', 'tail', '/aws/lambda/orders', '--follow', '--format', 'short', '--endpoint-url', nimbus.endpoint], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_PAGER: '',
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    try {
      // The CLI polls every 5 s; invoke until the new event shows up (bounded).
      const deadline = Date.now() + 30_000;
      let n = 0;
      while (!out.includes('"follow-') && Date.now() < deadline) {
        await lambda.send(new InvokeCommand({ FunctionName: 'orders', Payload: Buffer.from(JSON.stringify({ order: `follow-${n++}`, amount: 1, status: 'paid' })) }));
        await new Promise((r) => setTimeout(r, 1000));
      }
      assert.match(out, /"order":"follow-\d+"/, `stdout: ${out}\nstderr: ${err}`);
    } finally {
      child.kill('SIGINT');
      const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(killer);
    }
  });
});
