/** Lambda resource policies (Add/RemovePermission, GetPolicy) and S3 bucket notifications delivered to Lambda. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetBucketNotificationConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  UploadPartCommand,
  type Event,
  type NotificationConfiguration,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  AddPermissionCommand,
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  GetPolicyCommand,
  PublishVersionCommand,
  RemovePermissionCommand,
  type AddPermissionCommandInput,
} from '@aws-sdk/client-lambda';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { rawRequest, s3Client } from './helpers/s3.ts';
import { aws, awsCliSkipReason } from './helpers/aws-cli.ts';
import { zipFiles } from './helpers/zip.ts';

const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/r`;
const fnArn = (name: string, q?: string) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}${q ? `:${q}` : ''}`;
/** The handler prints each event it receives on one line, for the test to read back from its logs. */
const RECORDER = `exports.handler = async (event) => { console.log('S3EVENT ' + JSON.stringify(event)); return 'ok'; };`;

let server: TestServer;
let s3: S3Client;

before(async () => {
  server = await startTestServer();
  // Multipart parts are sent without the SDK's default CRC32, as in s3-multipart.test.ts's plain client.
  s3 = s3Client(server.endpoint, { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
});
after(async () => {
  s3.destroy();
  await server.close();
});

async function createFunction(name: string, code = RECORDER) {
  await server.lambda.send(
    new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await zipFiles({ 'index.js': code }) } }),
  );
}
const addPermission = (input: Partial<AddPermissionCommandInput> & { FunctionName: string; StatementId: string }) =>
  server.lambda.send(new AddPermissionCommand({ Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com', ...input }));
const getPolicy = async (name: string, qualifier?: string) => {
  const out = await server.lambda.send(new GetPolicyCommand({ FunctionName: name, ...(qualifier ? { Qualifier: qualifier } : {}) }));
  return { policy: JSON.parse(out.Policy!) as { Version: string; Id: string; Statement: Array<Record<string, unknown>> }, revisionId: out.RevisionId! };
};
const rejectsWith = (p: Promise<unknown>, name: string, message: string | RegExp, status?: number) =>
  assert.rejects(p, (err: any) => {
    assert.equal(err.name, name, err.message);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    if (status !== undefined) assert.equal(err.$metadata.httpStatusCode, status);
    return true;
  });

describe('Lambda resource policies', () => {
  before(() => createFunction('guarded'));

  test('AddPermission builds AWS\'s statement; GetPolicy returns the policy document and its revision', async () => {
    await rejectsWith(getPolicy('guarded'), 'ResourceNotFoundException', 'The resource you requested does not exist.', 404);
    const added = await addPermission({ FunctionName: 'guarded', StatementId: 's3-invoke', SourceArn: 'arn:aws:s3:::inbox', SourceAccount: ACCOUNT });
    assert.equal(added.$metadata.httpStatusCode, 201);
    assert.equal(
      added.Statement,
      `{"Sid":"s3-invoke","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"${fnArn('guarded')}","Condition":{"StringEquals":{"AWS:SourceAccount":"${ACCOUNT}"},"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::inbox"}}}`,
    );
    await addPermission({ FunctionName: fnArn('guarded'), StatementId: 'xacct', Principal: '210987654321', Action: 'lambda:GetFunction' });
    const { policy, revisionId } = await getPolicy('guarded');
    assert.equal(policy.Version, '2012-10-17');
    assert.equal(policy.Id, 'default');
    assert.deepEqual(policy.Statement, [
      JSON.parse(added.Statement!),
      { Sid: 'xacct', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::210987654321:root' }, Action: 'lambda:GetFunction', Resource: fnArn('guarded') },
    ]);
    assert.match(revisionId, /^[0-9a-f-]{36}$/);
  });

  test('AddPermission errors: duplicate id, revision, $LATEST, bad fields, missing function', async () => {
    await rejectsWith(
      addPermission({ FunctionName: 'guarded', StatementId: 's3-invoke' }),
      'ResourceConflictException',
      'The statement id (s3-invoke) provided already exists. Please provide a new statement id, or remove the existing statement.',
      409,
    );
    await rejectsWith(addPermission({ FunctionName: 'guarded', StatementId: 'other', RevisionId: 'stale' }), 'PreconditionFailedException', /does not match the latest Revision Id/, 412);
    await rejectsWith(addPermission({ FunctionName: 'guarded', StatementId: 'l', Qualifier: '$LATEST' }), 'InvalidParameterValueException', 'We currently do not support adding policies for $LATEST.', 400);
    await rejectsWith(
      addPermission({ FunctionName: 'guarded', StatementId: 'bad id!' }),
      'InvalidParameterValueException',
      "1 validation error detected: Value 'bad id!' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)",
    );
    await rejectsWith(
      addPermission({ FunctionName: 'guarded', StatementId: 'act', Action: 's3:GetObject' }),
      'InvalidParameterValueException',
      "1 validation error detected: Value 's3:GetObject' at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])",
    );
    await rejectsWith(addPermission({ FunctionName: 'guarded', StatementId: 'p', Principal: 'nobody' }), 'InvalidParameterValueException', 'The provided principal was invalid. Please check the principal and try again.');
    await rejectsWith(addPermission({ FunctionName: 'guarded', StatementId: 'acct', SourceAccount: '12' }), 'InvalidParameterValueException', /at 'sourceAccount' failed to satisfy constraint/);
    await rejectsWith(addPermission({ FunctionName: 'missing', StatementId: 'x' }), 'ResourceNotFoundException', `Function not found: ${fnArn('missing')}`, 404);
    await rejectsWith(addPermission({ FunctionName: 'guarded', StatementId: 'v', Qualifier: '7' }), 'ResourceNotFoundException', `Function not found: ${fnArn('guarded', '7')}`, 404);
  });

  test('RemovePermission removes one statement; the policy goes with the last; errors as AWS', async () => {
    await rejectsWith(
      server.lambda.send(new RemovePermissionCommand({ FunctionName: 'guarded', StatementId: 'nope' })),
      'ResourceNotFoundException',
      'Statement nope is not found in resource policy.',
      404,
    );
    await rejectsWith(
      server.lambda.send(new RemovePermissionCommand({ FunctionName: 'guarded', StatementId: 'xacct', RevisionId: 'stale' })),
      'PreconditionFailedException',
      /does not match the latest Revision Id/,
      412,
    );
    const { revisionId } = await getPolicy('guarded');
    const removed = await server.lambda.send(new RemovePermissionCommand({ FunctionName: 'guarded', StatementId: 'xacct', RevisionId: revisionId }));
    assert.equal(removed.$metadata.httpStatusCode, 204);
    const after = await getPolicy('guarded');
    assert.deepEqual(after.policy.Statement.map((s) => s.Sid), ['s3-invoke']);
    assert.notEqual(after.revisionId, revisionId);
    await server.lambda.send(new RemovePermissionCommand({ FunctionName: 'guarded', StatementId: 's3-invoke' }));
    await rejectsWith(getPolicy('guarded'), 'ResourceNotFoundException', 'The resource you requested does not exist.');
    await rejectsWith(
      server.lambda.send(new RemovePermissionCommand({ FunctionName: 'guarded', StatementId: 's3-invoke' })),
      'ResourceNotFoundException',
      'No policy is associated with the given resource.',
    );
  });

  test('qualified policies name the version or alias, and vanish with it and with the function', async () => {
    await createFunction('versioned');
    await server.lambda.send(new PublishVersionCommand({ FunctionName: 'versioned' }));
    await server.lambda.send(new CreateAliasCommand({ FunctionName: 'versioned', Name: 'live', FunctionVersion: '1' }));
    const v1 = await addPermission({ FunctionName: 'versioned', StatementId: 'v1', Qualifier: '1' });
    assert.equal(JSON.parse(v1.Statement!).Resource, fnArn('versioned', '1'));
    const live = await addPermission({ FunctionName: 'versioned:live', StatementId: 'live' });
    assert.equal(JSON.parse(live.Statement!).Resource, fnArn('versioned', 'live'));
    // Each qualifier has its own policy; the same statement id may live in several.
    await addPermission({ FunctionName: 'versioned', StatementId: 'live' });
    assert.deepEqual((await getPolicy('versioned', '1')).policy.Statement.map((s) => s.Sid), ['v1']);
    assert.deepEqual((await getPolicy('versioned', 'live')).policy.Statement.map((s) => s.Resource), [fnArn('versioned', 'live')]);
    assert.deepEqual((await getPolicy('versioned')).policy.Statement.map((s) => s.Resource), [fnArn('versioned')]);

    await server.lambda.send(new DeleteAliasCommand({ FunctionName: 'versioned', Name: 'live' }));
    await server.lambda.send(new CreateAliasCommand({ FunctionName: 'versioned', Name: 'live', FunctionVersion: '1' }));
    await rejectsWith(getPolicy('versioned', 'live'), 'ResourceNotFoundException', 'The resource you requested does not exist.');

    // The alias routes to version 1: it goes first.
    await server.lambda.send(new DeleteAliasCommand({ FunctionName: 'versioned', Name: 'live' }));
    await server.lambda.send(new DeleteFunctionCommand({ FunctionName: 'versioned', Qualifier: '1' }));
    await rejectsWith(getPolicy('versioned', '1'), 'ResourceNotFoundException', `Function not found: ${fnArn('versioned', '1')}`);
    await server.lambda.send(new DeleteFunctionCommand({ FunctionName: 'versioned' }));
    await createFunction('versioned');
    await rejectsWith(getPolicy('versioned'), 'ResourceNotFoundException', 'The resource you requested does not exist.');
  });
});

describe('bucket notification configuration', () => {
  before(async () => {
    await createFunction('target');
    await s3.send(new CreateBucketCommand({ Bucket: 'configured' }));
  });

  const put = (config: NotificationConfiguration, bucket = 'configured') =>
    s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: config }));
  const get = async (bucket = 'configured') => {
    const { $metadata: _m, ...rest } = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    return rest;
  };
  const created = (arn = fnArn('target'), extra: object = {}) => ({ LambdaFunctionConfigurations: [{ LambdaFunctionArn: arn, Events: ['s3:ObjectCreated:*' as Event], ...extra }] });

  test('a function that does not let s3.amazonaws.com invoke it, or does not exist, is refused as S3 refuses it', async () => {
    await rejectsWith(put(created()), 'InvalidArgument', 'Unable to validate the following destination configurations', 400);
    // S3 names each destination it could not validate.
    const body = `<NotificationConfiguration><CloudFunctionConfiguration><CloudFunction>${fnArn('ghost')}</CloudFunction><Event>s3:ObjectCreated:*</Event></CloudFunctionConfiguration></NotificationConfiguration>`;
    const raw = await rawRequest(server.endpoint, { method: 'PUT', path: '/configured?notification', body, headers: { 'Content-Type': 'application/xml' } });
    assert.equal(raw.status, 400);
    assert.match(raw.text, /<Code>InvalidArgument<\/Code><Message>Unable to validate the following destination configurations<\/Message>/);
    assert.ok(raw.text.includes(`<ArgumentName1>${fnArn('ghost')}, null</ArgumentName1><ArgumentValue1>Not authorized to invoke function [${fnArn('ghost')}]</ArgumentValue1>`), raw.text);
    // A permission for another bucket does not do either.
    await addPermission({ FunctionName: 'target', StatementId: 'other-bucket', SourceArn: 'arn:aws:s3:::elsewhere' });
    await rejectsWith(put(created()), 'InvalidArgument', 'Unable to validate the following destination configurations');
    assert.deepEqual(await get(), {});
  });

  test('round trip: generated Ids, filter rules normalized, an empty configuration removes all', async () => {
    await addPermission({ FunctionName: 'target', StatementId: 's3', SourceArn: 'arn:aws:s3:::configured', SourceAccount: ACCOUNT });
    await put({
      LambdaFunctionConfigurations: [
        { LambdaFunctionArn: fnArn('target'), Events: ['s3:ObjectCreated:Put', 's3:ObjectCreated:Copy'], Filter: { Key: { FilterRules: [{ Name: 'prefix' as never, Value: 'uploads/' }, { Name: 'suffix' as never, Value: '.txt' }] } } },
        { Id: 'removals', LambdaFunctionArn: fnArn('target'), Events: ['s3:ObjectRemoved:*'] },
      ],
    });
    const got = await get();
    const [first, second] = got.LambdaFunctionConfigurations ?? [];
    assert.match(Buffer.from(first!.Id!, 'base64').toString(), /^[0-9a-f-]{36}$/, 'S3 generates an Id: the base64 of a UUID');
    assert.deepEqual(got, {
      LambdaFunctionConfigurations: [
        { Id: first!.Id, LambdaFunctionArn: fnArn('target'), Events: ['s3:ObjectCreated:Put', 's3:ObjectCreated:Copy'], Filter: { Key: { FilterRules: [{ Name: 'Prefix', Value: 'uploads/' }, { Name: 'Suffix', Value: '.txt' }] } } },
        { Id: 'removals', LambdaFunctionArn: fnArn('target'), Events: ['s3:ObjectRemoved:*'] },
      ],
    });
    assert.equal(second!.Id, 'removals');
    await put({});
    assert.deepEqual(await get(), {});
  });

  test('validation: unknown events, overlaps, bad rules, queues and topics, missing bucket', async () => {
    await rejectsWith(put({ LambdaFunctionConfigurations: [{ LambdaFunctionArn: fnArn('target'), Events: ['s3:ObjectCreated:Upload' as Event] }] }), 'InvalidArgument', 'The event is not supported for notifications');
    await rejectsWith(
      put({ LambdaFunctionConfigurations: [{ LambdaFunctionArn: fnArn('target'), Events: ['s3:ObjectCreated:*'] }, { LambdaFunctionArn: fnArn('target'), Events: ['s3:ObjectCreated:Put'] }] }),
      'InvalidArgument',
      'Configurations overlap. Configurations on the same bucket cannot share a common event type.',
    );
    const prefixed = (value: string) => ({ LambdaFunctionArn: fnArn('target'), Events: ['s3:ObjectCreated:*' as Event], Filter: { Key: { FilterRules: [{ Name: 'prefix' as const, Value: value }] } } });
    await rejectsWith(
      put({ LambdaFunctionConfigurations: [prefixed('a/'), prefixed('a/b/')] }),
      'InvalidArgument',
      'Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the prefixes are overlapping for the same event type.',
    );
    await rejectsWith(
      put({ LambdaFunctionConfigurations: [{ ...prefixed('a/'), Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'a' }, { Name: 'Prefix' as never, Value: 'b' }] } } }] }),
      'InvalidArgument',
      'Cannot specify more than one prefix rule in a filter.',
    );
    const queue = `arn:aws:sqs:us-east-1:${ACCOUNT}:jobs`;
    const raw = await rawRequest(server.endpoint, {
      method: 'PUT',
      path: '/configured?notification',
      body: `<NotificationConfiguration><QueueConfiguration><Queue>${queue}</Queue><Event>s3:ObjectCreated:*</Event></QueueConfiguration></NotificationConfiguration>`,
    });
    assert.equal(raw.status, 400);
    assert.ok(raw.text.includes(`<ArgumentName1>${queue}</ArgumentName1><ArgumentValue1>The destination queue does not exist</ArgumentValue1>`), raw.text);
    await rejectsWith(put({ QueueConfigurations: [{ QueueArn: queue, Events: ['s3:ObjectCreated:*'] }] }), 'InvalidArgument', 'Unable to validate the following destination configurations');
    await rejectsWith(put({ TopicConfigurations: [{ TopicArn: `arn:aws:sns:us-east-1:${ACCOUNT}:t`, Events: ['s3:ObjectCreated:*'] }] }), 'InvalidArgument', 'Unable to validate the following destination configurations');
    await rejectsWith(put(created(), 'no-such-bucket'), 'NoSuchBucket', 'The specified bucket does not exist', 404);
    assert.deepEqual(await get(), {});
  });

  test('the configuration goes with its bucket', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'short-lived' }));
    await addPermission({ FunctionName: 'target', StatementId: 'short-lived', SourceArn: 'arn:aws:s3:::short-lived' });
    await put(created(), 'short-lived');
    assert.equal((await get('short-lived')).LambdaFunctionConfigurations?.length, 1);
    await s3.send(new DeleteBucketCommand({ Bucket: 'short-lived' }));
    await s3.send(new CreateBucketCommand({ Bucket: 'short-lived' }));
    assert.deepEqual(await get('short-lived'), {});
  });
});

describe('delivery of S3 event records', () => {
  const BUCKET = 'inbox';

  /** Every record the recorder function has logged so far. */
  function records(): Record<string, any>[] {
    const out: Record<string, any>[] = [];
    for (const e of server.nimbus.logs.events({ group: '/aws/lambda/recorder', limit: 10_000 })) {
      const at = e.message.indexOf('S3EVENT ');
      if (at >= 0) out.push(...(JSON.parse(e.message.slice(at + 'S3EVENT '.length)) as { Records: Record<string, any>[] }).Records);
    }
    return out;
  }
  async function recordFor(eventName: string, encodedKey: string): Promise<Record<string, any>> {
    for (let i = 0; i < 300; i++) {
      const found = records().find((r) => r.eventName === eventName && r.s3.object.key === encodedKey);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`no ${eventName} record for ${encodedKey}; got ${JSON.stringify(records().map((r) => [r.eventName, r.s3.object.key]))}`);
  }
  const expected = (record: Record<string, any>, eventName: string, ids: { requestId?: string; extendedRequestId?: string }, object: object, configurationId: string): Record<string, any> => ({
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'us-east-1',
    eventTime: record.eventTime,
    eventName,
    userIdentity: { principalId: record.userIdentity.principalId },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: { 'x-amz-request-id': ids.requestId, 'x-amz-id-2': ids.extendedRequestId },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId,
      bucket: { name: BUCKET, ownerIdentity: { principalId: record.userIdentity.principalId }, arn: `arn:aws:s3:::${BUCKET}` },
      object: { ...object, sequencer: record.s3.object.sequencer },
    },
  });
  const checkShape = (record: Record<string, any>, startedAt: number) => {
    assert.match(record.eventTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Date.parse(record.eventTime) >= startedAt - 1000 && Date.parse(record.eventTime) <= Date.now());
    assert.match(record.userIdentity.principalId, /^A[A-Z0-9]{13}$/);
    assert.match(record.s3.object.sequencer, /^[0-9A-F]{18}$/);
  };

  before(async () => {
    await createFunction('recorder');
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await addPermission({ FunctionName: 'recorder', StatementId: 's3-inbox', SourceArn: `arn:aws:s3:::${BUCKET}`, SourceAccount: ACCOUNT });
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: BUCKET,
        NotificationConfiguration: {
          LambdaFunctionConfigurations: [
            { Id: 'created', LambdaFunctionArn: fnArn('recorder'), Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'in/' }] } } },
            { Id: 'removed', LambdaFunctionArn: fnArn('recorder'), Events: ['s3:ObjectRemoved:*'], Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'in/' }] } } },
          ],
        },
      }),
    );
  });

  test('PutObject, CopyObject, CompleteMultipartUpload and DeleteObject each deliver the exact record', async () => {
    const startedAt = Date.now();
    const key = 'in/my report ☃ (v2)+final.txt';
    const encoded = 'in/my+report+%E2%98%83+%28v2%29%2Bfinal.txt';
    const skipped = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'elsewhere/ignored.txt', Body: 'no' }));
    const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'hello' }));
    const putRecord = await recordFor('ObjectCreated:Put', encoded);
    checkShape(putRecord, startedAt);
    assert.deepEqual(putRecord, expected(putRecord, 'ObjectCreated:Put', put.$metadata, { key: encoded, size: 5, eTag: put.ETag!.replaceAll('"', '') }, 'created'));

    const copy = await s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'in/copy.txt', CopySource: `${BUCKET}/${encodeURIComponent(key)}` }));
    const copyRecord = await recordFor('ObjectCreated:Copy', 'in/copy.txt');
    checkShape(copyRecord, startedAt);
    assert.deepEqual(copyRecord, expected(copyRecord, 'ObjectCreated:Copy', copy.$metadata, { key: 'in/copy.txt', size: 5, eTag: copy.CopyObjectResult!.ETag!.replaceAll('"', '') }, 'created'));

    const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'in/big file.bin' }));
    const part = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'in/big file.bin', UploadId: upload.UploadId!, PartNumber: 1, Body: Buffer.alloc(1000, 7) }));
    const done = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'in/big file.bin', UploadId: upload.UploadId!, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag! }] } }),
    );
    const mpRecord = await recordFor('ObjectCreated:CompleteMultipartUpload', 'in/big+file.bin');
    checkShape(mpRecord, startedAt);
    assert.deepEqual(mpRecord, expected(mpRecord, 'ObjectCreated:CompleteMultipartUpload', done.$metadata, { key: 'in/big+file.bin', size: 1000, eTag: done.ETag!.replaceAll('"', '') }, 'created'));
    assert.match(mpRecord.s3.object.eTag, /^[0-9a-f]{32}-1$/);

    const deleted = await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    const delRecord = await recordFor('ObjectRemoved:Delete', encoded);
    checkShape(delRecord, startedAt);
    assert.deepEqual(delRecord, expected(delRecord, 'ObjectRemoved:Delete', deleted.$metadata, { key: encoded }, 'removed'));
    assert.ok(BigInt(`0x${delRecord.s3.object.sequencer}`) > BigInt(`0x${putRecord.s3.object.sequencer}`), 'later events of a key have greater sequencers');

    // The key outside the filter's prefix was written first and never delivered.
    assert.ok(skipped.ETag);
    assert.ok(!records().some((r) => r.s3.object.key.startsWith('elsewhere/')));
    // One invocation per event: each record arrived once.
    assert.equal(records().filter((r) => r.s3.object.key === encoded).length, 2);
  });

  test('a permission removed after configuration stops delivery', async () => {
    await server.lambda.send(new RemovePermissionCommand({ FunctionName: 'recorder', StatementId: 's3-inbox' }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'in/after-removal.txt', Body: 'x' }));
    await addPermission({ FunctionName: 'recorder', StatementId: 's3-inbox', SourceArn: `arn:aws:s3:::${BUCKET}` });
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'in/after-restore.txt', Body: 'y' }));
    await recordFor('ObjectCreated:Put', 'in/after-restore.txt');
    assert.ok(!records().some((r) => r.s3.object.key === 'in/after-removal.txt'));
  });
});

test('AWS CLI v2: lambda add-permission and s3api put/get-bucket-notification-configuration', { skip: awsCliSkipReason() }, async () => {
  await createFunction('cli-target');
  await s3.send(new CreateBucketCommand({ Bucket: 'cli-notify' }));
  const perm = await aws(server.endpoint, [
    'lambda', 'add-permission', '--function-name', 'cli-target', '--statement-id', 's3', '--action', 'lambda:InvokeFunction',
    '--principal', 's3.amazonaws.com', '--source-arn', 'arn:aws:s3:::cli-notify', '--source-account', ACCOUNT,
  ]);
  assert.equal(perm.code, 0, perm.stderr);
  assert.equal(JSON.parse(JSON.parse(perm.stdout).Statement).Condition.ArnLike['AWS:SourceArn'], 'arn:aws:s3:::cli-notify');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-notify-'));
  const file = path.join(dir, 'notification.json');
  fs.writeFileSync(
    file,
    JSON.stringify({ LambdaFunctionConfigurations: [{ Id: 'cli', LambdaFunctionArn: fnArn('cli-target'), Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: '.csv' }] } } }] }),
  );
  const putOut = await aws(server.endpoint, ['s3api', 'put-bucket-notification-configuration', '--bucket', 'cli-notify', '--notification-configuration', `file://${file}`]);
  assert.equal(putOut.code, 0, putOut.stderr);
  const getOut = await aws(server.endpoint, ['s3api', 'get-bucket-notification-configuration', '--bucket', 'cli-notify']);
  assert.equal(getOut.code, 0, getOut.stderr);
  assert.deepEqual(JSON.parse(getOut.stdout), {
    LambdaFunctionConfigurations: [{ Id: 'cli', LambdaFunctionArn: fnArn('cli-target'), Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'Suffix', Value: '.csv' }] } } }],
  });
  const bad = await aws(server.endpoint, [
    's3api', 'put-bucket-notification-configuration', '--bucket', 'cli-notify', '--notification-configuration',
    JSON.stringify({ LambdaFunctionConfigurations: [{ LambdaFunctionArn: fnArn('nobody'), Events: ['s3:ObjectCreated:*'] }] }),
  ]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /InvalidArgument.*Unable to validate the following destination configurations/);
  fs.rmSync(dir, { recursive: true, force: true });
});
