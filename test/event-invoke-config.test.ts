/**
 * Event-invoke configs end to end through @aws-sdk/client-lambda and the AWS CLI v2:
 * Put/Get/Update/Delete/ListFunctionEventInvokeConfig(s), qualifiers, AWS's limits and
 * destination rules, the defaults the async queue reads, and configs going away with the
 * function, version or alias they belong to.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  DeleteFunctionEventInvokeConfigCommand,
  GetFunctionEventInvokeConfigCommand,
  ListFunctionEventInvokeConfigsCommand,
  PublishVersionCommand,
  PutFunctionEventInvokeConfigCommand,
  UpdateFunctionEventInvokeConfigCommand,
  type PutFunctionEventInvokeConfigCommandInput,
} from '@aws-sdk/client-lambda';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { zipFiles } from './helpers/zip.ts';
import { aws, awsCliSkipReason } from './helpers/aws-cli.ts';

const ROLE = 'arn:aws:iam::123456789012:role/lambda_basic_execution';
const ARN = 'arn:aws:lambda:us-east-1:123456789012:function';
const SQS = 'arn:aws:sqs:us-east-1:123456789012:failures';
const SNS = 'arn:aws:sns:us-east-1:123456789012:successes';
const BUS = 'arn:aws:events:us-east-1:123456789012:event-bus/default';
const BUCKET = 'arn:aws:s3:::failed-events';
const DEFAULTS = { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 21_600 };

let server: TestServer;
let zip: Uint8Array;

before(async () => {
  server = await startTestServer();
  zip = await zipFiles({ 'index.js': 'exports.handler = async () => "ok";' });
});
after(() => server.close());

const create = (name: string) =>
  server.lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: zip } }));
const put = (input: PutFunctionEventInvokeConfigCommandInput) => server.lambda.send(new PutFunctionEventInvokeConfigCommand(input));
const update = (input: PutFunctionEventInvokeConfigCommandInput) => server.lambda.send(new UpdateFunctionEventInvokeConfigCommand(input));
const get = (name: string, qualifier?: string) => server.lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: name, Qualifier: qualifier }));
const del = (name: string, qualifier?: string) => server.lambda.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: name, Qualifier: qualifier }));
const list = (name: string, over: { MaxItems?: number; Marker?: string } = {}) =>
  server.lambda.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: name, ...over }));
const settings = (name: string, qualifier?: string) => server.nimbus.eventConfigs.settingsFor(name, qualifier);

async function awsError(p: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  try {
    await p;
  } catch (err: any) {
    return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
  }
  assert.fail('expected the call to fail');
}

const noConfig = (name: string, qualifier = '$LATEST') => ({
  name: 'ResourceNotFoundException',
  status: 404,
  message: `The function ${ARN}:${name}:${qualifier} doesn't have an EventInvokeConfig`,
});
const invalid = (message: string) => ({ name: 'InvalidParameterValueException', status: 400, message });
const validation = (value: string | number, field: string, rule: string) =>
  invalid(`1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: ${rule}`);

describe('put, get, update, delete', () => {
  before(() => create('basic'));

  test('no config: Get is a 404 and the queue gets AWS defaults', async () => {
    assert.deepEqual(await awsError(get('basic')), noConfig('basic'));
    assert.deepEqual(settings('basic'), DEFAULTS);
    assert.deepEqual(settings('basic', '$LATEST'), DEFAULTS);
    assert.deepEqual(settings('no-such-function'), DEFAULTS);
  });

  test('Put stores the config and answers with the qualified ARN and epoch-seconds LastModified', async () => {
    const before = Date.now();
    const out = await put({ FunctionName: 'basic', MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 3600, DestinationConfig: { OnFailure: { Destination: SQS } } });
    assert.equal(out.FunctionArn, `${ARN}:basic:$LATEST`);
    assert.ok(out.LastModified instanceof Date);
    assert.ok(Math.abs(out.LastModified.getTime() - before) < 5_000, `LastModified ${out.LastModified.toISOString()} is now`);
    assert.equal(out.MaximumRetryAttempts, 1);
    assert.equal(out.MaximumEventAgeInSeconds, 3600);
    assert.deepEqual(out.DestinationConfig, { OnSuccess: {}, OnFailure: { Destination: SQS } });

    const got = await get('basic');
    assert.equal(got.FunctionArn, `${ARN}:basic:$LATEST`);
    assert.equal(got.LastModified?.getTime(), out.LastModified.getTime());
    assert.equal(got.MaximumRetryAttempts, 1);
    assert.equal(got.MaximumEventAgeInSeconds, 3600);
    assert.deepEqual(got.DestinationConfig, { OnSuccess: {}, OnFailure: { Destination: SQS } });
    assert.deepEqual(settings('basic'), { maximumRetryAttempts: 1, maximumEventAgeInSeconds: 3600, onFailure: SQS });
  });

  test('Put replaces the whole config: members left out are unset', async () => {
    const out = await put({ FunctionName: 'basic', MaximumEventAgeInSeconds: 120 });
    assert.equal(out.MaximumRetryAttempts, undefined);
    assert.equal(out.MaximumEventAgeInSeconds, 120);
    assert.deepEqual(out.DestinationConfig, { OnSuccess: {}, OnFailure: {} });
    const got = await get('basic');
    assert.equal(got.MaximumRetryAttempts, undefined);
    assert.deepEqual(got.DestinationConfig, { OnSuccess: {}, OnFailure: {} });
    assert.deepEqual(settings('basic'), { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 120 });
  });

  test('Update changes only the members it is given', async () => {
    await put({ FunctionName: 'basic', MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 600, DestinationConfig: { OnSuccess: { Destination: SNS } } });
    const retries = await update({ FunctionName: 'basic', MaximumRetryAttempts: 2 });
    assert.equal(retries.MaximumRetryAttempts, 2);
    assert.equal(retries.MaximumEventAgeInSeconds, 600);
    assert.deepEqual(retries.DestinationConfig, { OnSuccess: { Destination: SNS }, OnFailure: {} });
    const dest = await update({ FunctionName: 'basic', DestinationConfig: { OnFailure: { Destination: BUS } } });
    assert.equal(dest.MaximumRetryAttempts, 2);
    assert.equal(dest.MaximumEventAgeInSeconds, 600);
    assert.deepEqual(dest.DestinationConfig, { OnSuccess: {}, OnFailure: { Destination: BUS } }, 'a DestinationConfig replaces the destinations');
    const got = await get('basic');
    assert.deepEqual(
      { r: got.MaximumRetryAttempts, a: got.MaximumEventAgeInSeconds, d: got.DestinationConfig },
      { r: 2, a: 600, d: { OnSuccess: {}, OnFailure: { Destination: BUS } } },
    );
    assert.ok(got.LastModified!.getTime() >= retries.LastModified!.getTime());
  });

  test('Delete removes the config; deleting again is a 404', async () => {
    await del('basic');
    assert.deepEqual(await awsError(get('basic')), noConfig('basic'));
    assert.deepEqual(await awsError(del('basic')), noConfig('basic'));
    assert.deepEqual(settings('basic'), DEFAULTS);
  });

  test('Update of a config that does not exist is a 404', async () => {
    assert.deepEqual(await awsError(update({ FunctionName: 'basic', MaximumRetryAttempts: 1 })), noConfig('basic'));
  });

  test('a function that does not exist is a 404 for every action', async () => {
    const gone = { name: 'ResourceNotFoundException', status: 404, message: "The function doesn't exist." };
    assert.deepEqual(await awsError(put({ FunctionName: 'nope', MaximumRetryAttempts: 1 })), gone);
    assert.deepEqual(await awsError(update({ FunctionName: 'nope', MaximumRetryAttempts: 1 })), gone);
    assert.deepEqual(await awsError(list('nope')), gone);
    assert.deepEqual(await awsError(get('nope')), noConfig('nope'));
    assert.deepEqual(await awsError(del('nope')), noConfig('nope'));
  });

  test('the function may be named by ARN or partial ARN', async () => {
    await put({ FunctionName: `${ARN}:basic`, MaximumRetryAttempts: 1 });
    assert.equal((await get('123456789012:function:basic')).MaximumRetryAttempts, 1);
    await del(`${ARN}:basic:$LATEST`);
    assert.deepEqual(await awsError(get('basic')), noConfig('basic'));
  });
});

describe('qualifiers', () => {
  before(async () => {
    await create('qual');
    await server.lambda.send(new PublishVersionCommand({ FunctionName: 'qual' }));
    await server.lambda.send(new CreateAliasCommand({ FunctionName: 'qual', Name: 'live', FunctionVersion: '1' }));
  });

  test('$LATEST, a version and an alias each have their own config; unqualified is $LATEST', async () => {
    await put({ FunctionName: 'qual', MaximumRetryAttempts: 0 });
    await put({ FunctionName: 'qual', Qualifier: '1', MaximumRetryAttempts: 1 });
    const alias = await put({ FunctionName: 'qual', Qualifier: 'live', MaximumEventAgeInSeconds: 60 });
    assert.equal(alias.FunctionArn, `${ARN}:qual:live`);

    const latest = await get('qual', '$LATEST');
    assert.equal(latest.FunctionArn, `${ARN}:qual:$LATEST`);
    assert.equal(latest.MaximumRetryAttempts, 0);
    assert.equal((await get('qual', '1')).FunctionArn, `${ARN}:qual:1`);
    assert.equal((await get('qual:1')).MaximumRetryAttempts, 1, 'the qualifier may travel in the name');
    assert.equal((await get('qual', 'live')).MaximumEventAgeInSeconds, 60);

    assert.deepEqual(settings('qual'), { ...DEFAULTS, maximumRetryAttempts: 0 });
    assert.deepEqual(settings('qual', '$LATEST'), { ...DEFAULTS, maximumRetryAttempts: 0 });
    assert.deepEqual(settings('qual', '1'), { ...DEFAULTS, maximumRetryAttempts: 1 });
    assert.deepEqual(settings('qual', 'live'), { ...DEFAULTS, maximumEventAgeInSeconds: 60 });
  });

  test('a version or alias that does not exist is a 404', async () => {
    const gone = { name: 'ResourceNotFoundException', status: 404, message: "The function doesn't exist." };
    assert.deepEqual(await awsError(put({ FunctionName: 'qual', Qualifier: '9', MaximumRetryAttempts: 1 })), gone);
    assert.deepEqual(await awsError(put({ FunctionName: 'qual', Qualifier: 'staging', MaximumRetryAttempts: 1 })), gone);
    assert.deepEqual(await awsError(update({ FunctionName: 'qual', Qualifier: '9', MaximumRetryAttempts: 1 })), gone);
    assert.deepEqual(await awsError(get('qual', '9')), noConfig('qual', '9'));
  });

  test('a qualifier in the name must agree with the Qualifier parameter; bad qualifiers are refused', async () => {
    assert.deepEqual(
      await awsError(put({ FunctionName: 'qual:1', Qualifier: 'live', MaximumRetryAttempts: 1 })),
      invalid('The derived qualifier from the function name does not match the specified qualifier.'),
    );
    assert.deepEqual(
      await awsError(get('qual', 'bad.qualifier')),
      validation('bad.qualifier', 'qualifier', 'Member must satisfy regular expression pattern: \\$(LATEST(\\.PUBLISHED)?)|[a-zA-Z0-9-_$]+'),
    );
    const long = 'q'.repeat(129);
    assert.deepEqual(await awsError(get('qual', long)), validation(long, 'qualifier', 'Member must have length less than or equal to 128'));
  });

  test('List returns every qualifier\'s config, a page at a time', async () => {
    const all = await list('qual');
    assert.deepEqual(
      all.FunctionEventInvokeConfigs?.map((c) => c.FunctionArn),
      [`${ARN}:qual:$LATEST`, `${ARN}:qual:1`, `${ARN}:qual:live`],
    );
    assert.equal(all.NextMarker, undefined);
    assert.ok(all.FunctionEventInvokeConfigs?.every((c) => c.LastModified instanceof Date && c.DestinationConfig));

    const seen: string[] = [];
    let marker: string | undefined;
    do {
      const page = await list('qual', { MaxItems: 1, ...(marker ? { Marker: marker } : {}) });
      assert.equal(page.FunctionEventInvokeConfigs?.length, 1);
      seen.push(page.FunctionEventInvokeConfigs![0]!.FunctionArn!);
      marker = page.NextMarker;
    } while (marker);
    assert.deepEqual(seen, all.FunctionEventInvokeConfigs?.map((c) => c.FunctionArn));

    assert.deepEqual(await awsError(list('qual', { MaxItems: 0 })), validation(0, 'maxItems', 'Member must have value greater than or equal to 1'));
    assert.deepEqual(await awsError(list('qual', { MaxItems: 51 })), validation(51, 'maxItems', 'Member must have value less than or equal to 50'));
    assert.equal((await awsError(list('qual', { Marker: 'not a marker!' }))).name, 'InvalidParameterValueException');
    await create('empty-list');
    assert.deepEqual((await list('empty-list')).FunctionEventInvokeConfigs, []);
  });

  test('deleting a version or an alias takes its config with it', async () => {
    await server.lambda.send(new DeleteAliasCommand({ FunctionName: 'qual', Name: 'live' }));
    assert.deepEqual(settings('qual', 'live'), DEFAULTS);
    await server.lambda.send(new CreateAliasCommand({ FunctionName: 'qual', Name: 'live', FunctionVersion: '1' }));
    assert.deepEqual(await awsError(get('qual', 'live')), noConfig('qual', 'live'), 'a new alias of the same name starts without config');

    await server.lambda.send(new DeleteAliasCommand({ FunctionName: 'qual', Name: 'live' }));
    await server.lambda.send(new DeleteFunctionCommand({ FunctionName: 'qual', Qualifier: '1' }));
    assert.deepEqual(await awsError(get('qual', '1')), noConfig('qual', '1'));
    assert.deepEqual(settings('qual', '1'), DEFAULTS);
    assert.deepEqual((await list('qual')).FunctionEventInvokeConfigs?.map((c) => c.FunctionArn), [`${ARN}:qual:$LATEST`]);
  });

  test('deleting the function takes every config with it', async () => {
    await server.lambda.send(new PublishVersionCommand({ FunctionName: 'qual' }));
    await put({ FunctionName: 'qual', Qualifier: '2', MaximumRetryAttempts: 1 });
    await server.lambda.send(new DeleteFunctionCommand({ FunctionName: 'qual' }));
    assert.deepEqual(settings('qual'), DEFAULTS);
    assert.deepEqual(settings('qual', '2'), DEFAULTS);
    await create('qual');
    assert.deepEqual(await awsError(get('qual')), noConfig('qual'));
    assert.deepEqual((await list('qual')).FunctionEventInvokeConfigs, []);
  });
});

describe('validation', () => {
  before(() => create('limits'));

  test('at least one setting is required', async () => {
    const none = invalid('You must specify at least one of error handling or destination setting.');
    assert.deepEqual(await awsError(put({ FunctionName: 'limits' })), none);
    await put({ FunctionName: 'limits', MaximumRetryAttempts: 1 });
    assert.deepEqual(await awsError(update({ FunctionName: 'limits' })), none);
  });

  test('MaximumRetryAttempts is 0..2 and MaximumEventAgeInSeconds 60..21600', async () => {
    for (const [MaximumRetryAttempts, MaximumEventAgeInSeconds] of [[0, 60], [2, 21_600]] as const) {
      const out = await put({ FunctionName: 'limits', MaximumRetryAttempts, MaximumEventAgeInSeconds });
      assert.deepEqual([out.MaximumRetryAttempts, out.MaximumEventAgeInSeconds], [MaximumRetryAttempts, MaximumEventAgeInSeconds]);
    }
    const cases: [Omit<PutFunctionEventInvokeConfigCommandInput, 'FunctionName'>, ReturnType<typeof invalid>][] = [
      [{ MaximumRetryAttempts: -1 }, validation(-1, 'maximumRetryAttempts', 'Member must have value greater than or equal to 0')],
      [{ MaximumRetryAttempts: 3 }, validation(3, 'maximumRetryAttempts', 'Member must have value less than or equal to 2')],
      [{ MaximumEventAgeInSeconds: 59 }, validation(59, 'maximumEventAgeInSeconds', 'Member must have value greater than or equal to 60')],
      [{ MaximumEventAgeInSeconds: 21_601 }, validation(21_601, 'maximumEventAgeInSeconds', 'Member must have value less than or equal to 21600')],
      [
        { MaximumRetryAttempts: 5, MaximumEventAgeInSeconds: 1 },
        invalid(
          "2 validation errors detected: Value '5' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 2; Value '1' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value greater than or equal to 60",
        ),
      ],
    ];
    for (const [input, expected] of cases) {
      assert.deepEqual(await awsError(put({ FunctionName: 'limits', ...input })), expected, JSON.stringify(input));
      assert.deepEqual(await awsError(update({ FunctionName: 'limits', ...input })), expected, `update ${JSON.stringify(input)}`);
    }
    assert.equal((await get('limits')).MaximumEventAgeInSeconds, 21_600, 'refused calls changed nothing');
  });

  test('destinations: Lambda functions, SQS queues, SNS topics, EventBridge buses, and S3 buckets on failure', async () => {
    await create('target');
    const ok: [string | undefined, string | undefined][] = [
      [SNS, SQS],
      [BUS, BUCKET],
      [`${ARN}:target`, `${ARN}:target:$LATEST`],
      [SQS, 'arn:aws:sns:eu-west-1:210987654321:elsewhere'],
      ['arn:aws:lambda:eu-west-1:210987654321:function:other-account', undefined],
    ];
    for (const [success, failure] of ok) {
      const DestinationConfig = { ...(success ? { OnSuccess: { Destination: success } } : {}), ...(failure ? { OnFailure: { Destination: failure } } : {}) };
      const out = await put({ FunctionName: 'limits', DestinationConfig });
      assert.deepEqual(out.DestinationConfig, { OnSuccess: success ? { Destination: success } : {}, OnFailure: failure ? { Destination: failure } : {} });
    }
    const cleared = await put({ FunctionName: 'limits', DestinationConfig: { OnSuccess: { Destination: '' } } });
    assert.deepEqual(cleared.DestinationConfig, { OnSuccess: {}, OnFailure: {} }, 'an empty ARN is no destination');
  });

  test('destinations of the wrong kind or shape are refused', async () => {
    const badConfig = (success: string | null, failure: string | null) =>
      invalid(
        `The provided destination config DestinationConfig(onSuccess=${success ? `OnSuccess(destination=${success})` : 'null'}, onFailure=${failure ? `OnFailure(destination=${failure})` : 'null'}) is invalid.`,
      );
    const pattern =
      'Member must satisfy regular expression pattern: $|kafka://([^.]([a-zA-Z0-9\\-_.]{0,248}))|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)';
    const long = `arn:aws:sqs:us-east-1:123456789012:${'q'.repeat(320)}`;
    const cases: [{ OnSuccess?: { Destination: string }; OnFailure?: { Destination: string } }, ReturnType<typeof invalid>][] = [
      [{ OnSuccess: { Destination: BUCKET } }, badConfig(BUCKET, null)],
      [{ OnFailure: { Destination: 'arn:aws:dynamodb:us-east-1:123456789012:table/t' } }, badConfig(null, 'arn:aws:dynamodb:us-east-1:123456789012:table/t')],
      [{ OnFailure: { Destination: 'arn:aws:sqs:us-east-1::no-account' } }, badConfig(null, 'arn:aws:sqs:us-east-1::no-account')],
      [{ OnFailure: { Destination: 'arn:aws:events:us-east-1:123456789012:rule/r' } }, badConfig(null, 'arn:aws:events:us-east-1:123456789012:rule/r')],
      [{ OnFailure: { Destination: 'kafka://topic' } }, badConfig(null, 'kafka://topic')],
      [{ OnSuccess: { Destination: SQS }, OnFailure: { Destination: 'arn:aws:s3:us-east-1:123456789012:bucket' } }, badConfig(SQS, 'arn:aws:s3:us-east-1:123456789012:bucket')],
      [{ OnFailure: { Destination: 'not-an-arn' } }, validation('not-an-arn', 'destinationConfig.onFailure.destination', pattern)],
      [{ OnSuccess: { Destination: 'arn:aws:sqs:nowhere:123456789012:q' } }, validation('arn:aws:sqs:nowhere:123456789012:q', 'destinationConfig.onSuccess.destination', pattern)],
      [{ OnFailure: { Destination: long } }, validation(long, 'destinationConfig.onFailure.destination', 'Member must have length less than or equal to 350')],
      [{ OnFailure: { Destination: `${ARN}:limits` } }, invalid("You can't specify the function as a destination for itself.")],
      [{ OnSuccess: { Destination: `${ARN}:limits:1` } }, invalid("You can't specify the function as a destination for itself.")],
      [{ OnFailure: { Destination: `${ARN}:missing` } }, invalid(`The destination ARN ${ARN}:missing is invalid.`)],
      [{ OnFailure: { Destination: `${ARN}:target:7` } }, invalid(`The destination ARN ${ARN}:target:7 is invalid.`)],
    ];
    for (const [DestinationConfig, expected] of cases) {
      assert.deepEqual(await awsError(put({ FunctionName: 'limits', DestinationConfig })), expected, JSON.stringify(DestinationConfig));
      assert.deepEqual(await awsError(update({ FunctionName: 'limits', DestinationConfig })), expected, `update ${JSON.stringify(DestinationConfig)}`);
    }
  });
});

test('configs survive a restart', async () => {
  await create('durable');
  await put({ FunctionName: 'durable', MaximumRetryAttempts: 0, DestinationConfig: { OnFailure: { Destination: SQS } } });
  const dataDir = server.dataDir;
  await server.close();
  server = await startTestServer({}, dataDir);
  const got = await get('durable');
  assert.equal(got.MaximumRetryAttempts, 0);
  assert.deepEqual(got.DestinationConfig, { OnSuccess: {}, OnFailure: { Destination: SQS } });
  assert.deepEqual(settings('durable'), { ...DEFAULTS, maximumRetryAttempts: 0, onFailure: SQS });
});

test('the AWS CLI puts, updates, reads, lists and deletes a config', { skip: awsCliSkipReason() }, async () => {
  await create('cli');
  const p = await aws(server.endpoint, [
    'lambda', 'put-function-event-invoke-config', '--function-name', 'cli', '--maximum-event-age-in-seconds', '3600', '--maximum-retry-attempts', '0',
  ]);
  assert.equal(p.code, 0, p.stderr);
  const out = JSON.parse(p.stdout);
  assert.equal(out.FunctionArn, `${ARN}:cli:$LATEST`);
  assert.equal(out.MaximumRetryAttempts, 0);
  assert.equal(out.MaximumEventAgeInSeconds, 3600);
  assert.ok(Math.abs(Date.parse(out.LastModified) - Date.now()) < 60_000, `LastModified ${out.LastModified} parses as now`);

  const u = await aws(server.endpoint, ['lambda', 'update-function-event-invoke-config', '--function-name', 'cli', '--destination-config', JSON.stringify({ OnFailure: { Destination: SQS } })]);
  assert.equal(u.code, 0, u.stderr);
  assert.deepEqual(JSON.parse(u.stdout).DestinationConfig, { OnSuccess: {}, OnFailure: { Destination: SQS } });
  assert.equal(JSON.parse(u.stdout).MaximumEventAgeInSeconds, 3600);

  const l = await aws(server.endpoint, ['lambda', 'list-function-event-invoke-configs', '--function-name', 'cli']);
  assert.equal(l.code, 0, l.stderr);
  assert.deepEqual(JSON.parse(l.stdout).FunctionEventInvokeConfigs.map((c: { FunctionArn: string }) => c.FunctionArn), [`${ARN}:cli:$LATEST`]);

  const d = await aws(server.endpoint, ['lambda', 'delete-function-event-invoke-config', '--function-name', 'cli']);
  assert.equal(d.code, 0, d.stderr);
  const g = await aws(server.endpoint, ['lambda', 'get-function-event-invoke-config', '--function-name', 'cli']);
  assert.notEqual(g.code, 0);
  assert.match(g.stderr, /ResourceNotFoundException.*doesn't have an EventInvokeConfig/);
});
