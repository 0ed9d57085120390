/**
 * The CloudWatch metrics API end to end, in each protocol of the model: @aws-sdk/client-cloudwatch
 * (JSON 1.0 by default here, RPC v2 CBOR and query by its protocol option), the AWS CLI v2.9
 * (query), and hand-signed JSON 1.0 and CBOR requests. Datapoints are the AWS/Lambda metrics of
 * a known number of invokes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CloudWatchClient, GetMetricDataCommand, GetMetricStatisticsCommand, ListMetricsCommand, PutMetricAlarmCommand, type CloudWatchClientConfig } from '@aws-sdk/client-cloudwatch';
import { AwsQueryProtocol, AwsSmithyRpcV2CborProtocol } from '@aws-sdk/core/protocols';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { decode, encode, Tag } from 'cbor2';
import { startTestServer, TEST_CREDENTIALS, type TestServer } from './helpers/server.ts';
import { aws, awsCliSkipReason } from './helpers/aws-cli.ts';
import { signedFetch } from './helpers/sign.ts';
import { zipFiles } from './helpers/zip.ts';

const ROLE = 'arn:aws:iam::123456789012:role/lambda_basic_execution';
const FN = 'cw-counted';
const INVOKES = 3;
const TARGET = 'GraniteServiceVersion20100801';
const CBOR_PATH = `/service/${TARGET}/operation`;

let server: TestServer;
/** A window holding every invoke in one 15-minute period (periods start at StartTime). */
let start: Date;
let end: Date;

before(async () => {
  server = await startTestServer();
  await server.lambda.send(
    new CreateFunctionCommand({ FunctionName: FN, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await zipFiles({ 'index.js': 'exports.handler = async () => "ok";' }) } }),
  );
  for (let i = 0; i < INVOKES; i++) {
    const out = await server.lambda.send(new InvokeCommand({ FunctionName: FN, Payload: Buffer.from('{}') }));
    assert.equal(out.FunctionError, undefined);
  }
  const now = Date.now();
  start = new Date(now - 10 * 60_000);
  end = new Date(now + 5 * 60_000);
});
after(() => server.close());

const client = (over: Partial<CloudWatchClientConfig> = {}) => new CloudWatchClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1, ...over });
const dims = [{ Name: 'FunctionName', Value: FN }];
/** The model's error shape of each query code. */
const SHAPES: Record<string, string> = { InvalidParameterValue: 'InvalidParameterValueException', MissingParameter: 'MissingRequiredParameterException', InvalidParameterCombination: 'InvalidParameterCombinationException', InvalidNextToken: 'InvalidNextToken' };

const PROTOCOLS: [string, () => CloudWatchClient][] = [
  ['JSON 1.0 (the SDK default)', () => client()],
  ['RPC v2 CBOR', () => client({ protocol: AwsSmithyRpcV2CborProtocol })],
  ['query', () => client({ protocol: AwsQueryProtocol })],
];

for (const [name, make] of PROTOCOLS) {
  describe(`@aws-sdk/client-cloudwatch over ${name}`, () => {
    let cw: CloudWatchClient;
    const sent: { path: string; headers: Record<string, string> }[] = [];
    before(() => {
      cw = make();
      cw.middlewareStack.add((next) => async (args) => {
        const req = args.request as { path: string; headers: Record<string, string> };
        sent.push({ path: req.path, headers: { ...req.headers } });
        return next(args);
      }, { step: 'finalizeRequest' });
    });
    after(() => cw.destroy());

    test('GetMetricStatistics counts the invokes', async () => {
      const out = await cw.send(new GetMetricStatisticsCommand({ Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: dims, StartTime: start, EndTime: end, Period: 900, Statistics: ['Sum', 'SampleCount'] }));
      assert.equal(out.Label, 'Invocations');
      assert.equal(out.Datapoints?.length, 1);
      const [dp] = out.Datapoints!;
      assert.equal(dp!.Sum, INVOKES);
      assert.equal(dp!.SampleCount, INVOKES);
      assert.equal(dp!.Unit, 'Count');
      assert.ok(dp!.Timestamp instanceof Date);
      assert.equal(dp!.Timestamp.getTime(), Math.floor(start.getTime() / 60_000) * 60_000);
      // The wire the SDK spoke.
      const last = sent.at(-1)!;
      if (name.startsWith('RPC')) {
        assert.equal(last.path, `${CBOR_PATH}/GetMetricStatistics`);
        assert.equal(last.headers['smithy-protocol'], 'rpc-v2-cbor');
      } else if (name === 'query') assert.match(last.headers['content-type'] ?? '', /x-www-form-urlencoded/);
      else assert.equal(last.headers['x-amz-target'], `${TARGET}.GetMetricStatistics`);
    });

    test('GetMetricData: one minute at a time, newest first', async () => {
      const out = await cw.send(
        new GetMetricDataCommand({
          StartTime: start,
          EndTime: end,
          MetricDataQueries: [
            { Id: 'inv', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: dims }, Period: 60, Stat: 'Sum' } },
            { Id: 'err', Label: 'errors', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: dims }, Period: 60, Stat: 'Sum' } },
          ],
        }),
      );
      const [inv, err] = out.MetricDataResults!;
      assert.equal(inv!.Id, 'inv');
      assert.equal(inv!.StatusCode, 'Complete');
      assert.equal(inv!.Values!.reduce((a, b) => a + b, 0), INVOKES);
      assert.equal(inv!.Timestamps!.length, inv!.Values!.length);
      const times = inv!.Timestamps!.map((t) => t.getTime());
      assert.deepEqual(times, [...times].sort((a, b) => b - a));
      assert.ok(times.every((t) => t % 60_000 === 0));
      assert.equal(err!.Label, 'errors');
      assert.equal((err!.Values ?? []).reduce((a, b) => a + b, 0), 0);
    });

    test('ListMetrics finds the function’s series', async () => {
      const out = await cw.send(new ListMetricsCommand({ Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: [{ Name: 'FunctionName', Value: FN }] }));
      const sets = out.Metrics!.map((m) => Object.fromEntries((m.Dimensions ?? []).map((d) => [d.Name, d.Value])));
      assert.ok(sets.some((d) => d.FunctionName === FN && Object.keys(d).length === 1), JSON.stringify(sets));
      assert.ok(out.Metrics!.every((m) => m.Namespace === 'AWS/Lambda' && m.MetricName === 'Invocations'));
      const recent = await cw.send(new ListMetricsCommand({ Namespace: 'AWS/Lambda', RecentlyActive: 'PT3H' }));
      assert.ok(recent.Metrics!.some((m) => m.MetricName === 'Invocations'));
    });

    test('validation errors carry CloudWatch’s codes', async () => {
      const cases: [() => Promise<unknown>, string, RegExp][] = [
        [() => cw.send(new GetMetricStatisticsCommand({ Namespace: 'AWS/Lambda', MetricName: 'Invocations', StartTime: start, EndTime: end, Period: 90, Statistics: ['Sum'] })), 'InvalidParameterValue', /Period/],
        [() => cw.send(new GetMetricStatisticsCommand({ Namespace: 'AWS/Lambda', MetricName: 'Invocations', StartTime: start, EndTime: end, Period: 60 })), 'MissingParameter', /Statistics and ExtendedStatistics/],
        [() => cw.send(new GetMetricStatisticsCommand({ Namespace: 'AWS/Lambda', MetricName: 'Invocations', StartTime: new Date(end.getTime() - 86_400_000 * 2), EndTime: end, Period: 60, Statistics: ['Sum'] })), 'InvalidParameterCombination', /exceeds the limit of 1,440/],
        [() => cw.send(new GetMetricDataCommand({ StartTime: start, EndTime: end, MetricDataQueries: [{ Id: 'm', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations' }, Period: 60, Stat: 'Sum' } }], NextToken: 'bogus' })), 'InvalidNextToken', /NextToken/],
        [() => cw.send(new GetMetricDataCommand({ StartTime: start, EndTime: end, MetricDataQueries: [{ Id: 'e', Expression: 'SUM(METRICS())' }] })), 'InvalidParameterValue', /metric math/],
      ];
      for (const [call, code, message] of cases) {
        await assert.rejects(call, (e: Error & { Code?: string; $metadata?: { httpStatusCode?: number } }) => {
          // The SDK's modeled exception, and (awsQueryCompatible) the query code whatever the protocol: x-amzn-query-error in JSON and CBOR.
          assert.equal(e.name, SHAPES[code], `${e.name}: ${e.message}`);
          assert.equal(e.Code, code);
          assert.match(e.message, message);
          assert.equal(e.$metadata?.httpStatusCode, 400);
          return true;
        });
      }
    });

    test('an operation Nimbus does not serve is refused as the protocol refuses unknown ones', async () => {
      await assert.rejects(
        cw.send(new PutMetricAlarmCommand({ AlarmName: 'a', EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanThreshold', Threshold: 1, MetricName: 'Errors', Namespace: 'AWS/Lambda', Period: 60, Statistic: 'Sum' })),
        (e: Error & { Code?: string }) => {
          assert.equal(e.Code ?? e.name, name === 'query' ? 'InvalidAction' : 'UnknownOperationException');
          assert.match(e.message, /GetMetricStatistics/);
          return true;
        },
      );
    });
  });
}

describe('raw JSON 1.0', () => {
  const post = (op: string, body: unknown, headers: Record<string, string> = {}) =>
    signedFetch(`${server.endpoint}/`, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `${TARGET}.${op}`, ...headers }, body: JSON.stringify(body) }, { service: 'monitoring' });

  test('timestamps travel as epoch seconds both ways', async () => {
    const res = await post('GetMetricStatistics', { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: dims, StartTime: start.getTime() / 1000, EndTime: end.getTime() / 1000, Period: 900, Statistics: ['Sum'] });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/x-amz-json-1.0');
    assert.ok(res.headers.get('x-amzn-requestid'));
    const body = (await res.json()) as { Datapoints: { Timestamp: unknown; Sum: number; Unit: string }[] };
    assert.deepEqual(body.Datapoints, [{ Timestamp: Math.floor(start.getTime() / 60_000) * 60, Sum: INVOKES, Unit: 'Count' }]);
  });

  test('errors: __type, message, x-amzn-query-error; unknown targets; bad bodies; unsigned requests', async () => {
    const bad = await post('GetMetricStatistics', { Namespace: 'AWS/Lambda', StartTime: 1, EndTime: 2, Period: 60, Statistics: ['Sum'] });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('x-amzn-query-error'), 'MissingParameter;Sender');
    assert.deepEqual(await bad.json(), { __type: 'com.amazonaws.cloudwatch#MissingRequiredParameterException', message: 'The parameter MetricName is required.' });
    const unknown = await post('PutMetricData', { Namespace: 'Custom', MetricData: [] });
    assert.equal(unknown.status, 400);
    assert.equal(((await unknown.json()) as { __type: string }).__type, 'com.amazon.coral.service#UnknownOperationException');
    const typed = await post('GetMetricStatistics', { Period: 'sixty' });
    assert.equal(typed.status, 400);
    assert.match(((await typed.json()) as { __type: string }).__type, /SerializationException$/);
    const unsigned = await fetch(`${server.endpoint}/`, { method: 'POST', headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': `${TARGET}.ListMetrics` }, body: '{}' });
    assert.equal(unsigned.status, 400);
    assert.match(((await unsigned.json()) as { __type: string }).__type, /MissingAuthenticationTokenException$/);
  });
});

describe('raw JSON 1.0 and query: timestamps out of range, oversized lists', () => {
  const postJson = (op: string, body: unknown) =>
    signedFetch(`${server.endpoint}/`, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `${TARGET}.${op}` }, body: JSON.stringify(body) }, { service: 'monitoring' });
  const postQuery = (form: URLSearchParams) =>
    signedFetch(`${server.endpoint}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: form.toString() }, { service: 'monitoring' });
  const gms = { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Period: 60, Statistics: ['Sum'] };

  test('StartTime of 1e15 seconds is a 400, not an empty 200', async () => {
    const json = await postJson('GetMetricStatistics', { ...gms, StartTime: 1e15, EndTime: end.getTime() / 1000 });
    assert.equal(json.status, 400);
    assert.match(((await json.json()) as { __type: string }).__type, /SerializationException$/);
    const form = new URLSearchParams({ Action: 'GetMetricStatistics', Version: '2010-08-01', Namespace: 'AWS/Lambda', MetricName: 'Invocations', Period: '60', 'Statistics.member.1': 'Sum', StartTime: '1000000000000000', EndTime: end.toISOString() });
    const query = await postQuery(form);
    assert.equal(query.status, 400);
    assert.match(await query.text(), /<Code>InvalidParameterValue<\/Code><Message>Value \(1000000000000000\) for parameter StartTime is invalid\.<\/Message>/);
  });

  test('a query form of 20,000 list members is refused with a 400', async () => {
    const form = new URLSearchParams({ Action: 'GetMetricData', Version: '2010-08-01', StartTime: start.toISOString(), EndTime: end.toISOString() });
    for (let n = 1; n <= 20_000; n++) form.append(`MetricDataQueries.member.${n}.Id`, 'a');
    const res = await postQuery(form);
    assert.equal(res.status, 400);
    assert.match(await res.text(), /<Code>InvalidParameterValue<\/Code><Message>The collection MetricDataQueries must not have a size greater than 500\.<\/Message>/);
  });
});

describe('raw RPC v2 CBOR', () => {
  const post = (op: string, body: unknown) =>
    signedFetch(`${server.endpoint}${CBOR_PATH}/${op}`, { method: 'POST', headers: { 'Content-Type': 'application/cbor', Accept: 'application/cbor', 'smithy-protocol': 'rpc-v2-cbor' }, body: Buffer.from(encode(body)) }, { service: 'monitoring' });

  test('tag 1 timestamps in and out', async () => {
    const res = await post('GetMetricStatistics', { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: dims, StartTime: new Tag(1, start.getTime() / 1000), EndTime: new Tag(1, Math.floor(end.getTime() / 1000)), Period: 900, Statistics: ['Sum'] });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('smithy-protocol'), 'rpc-v2-cbor');
    assert.equal(res.headers.get('content-type'), 'application/cbor');
    const bytes = new Uint8Array(await res.arrayBuffer());
    // Timestamp: c1 (tag 1) then an integer of epoch seconds.
    assert.ok(Buffer.from(bytes).includes(Buffer.from([0x69, ...Buffer.from('Timestamp'), 0xc1, 0x1a])));
    const body = decode(bytes) as { Label: string; Datapoints: { Timestamp: Date; Sum: number }[] };
    assert.equal(body.Label, 'Invocations');
    assert.equal(body.Datapoints[0]!.Sum, INVOKES);
    assert.equal(body.Datapoints[0]!.Timestamp.getTime(), Math.floor(start.getTime() / 60_000) * 60_000);
  });

  test('errors are CBOR maps with __type, and refuse garbage', async () => {
    const res = await post('GetMetricData', { StartTime: new Tag(1, 2), EndTime: new Tag(1, 1), MetricDataQueries: [] });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('smithy-protocol'), 'rpc-v2-cbor');
    assert.equal(res.headers.get('x-amzn-query-error'), 'MissingParameter;Sender');
    assert.deepEqual(decode(new Uint8Array(await res.arrayBuffer())), { __type: 'com.amazonaws.cloudwatch#MissingRequiredParameterException', message: 'The parameter MetricDataQueries is required.' });
    const garbage = await signedFetch(`${server.endpoint}${CBOR_PATH}/ListMetrics`, { method: 'POST', headers: { 'Content-Type': 'application/cbor', 'smithy-protocol': 'rpc-v2-cbor' }, body: Buffer.from([0xa1]) }, { service: 'monitoring' });
    assert.equal(garbage.status, 400);
    assert.match((decode(new Uint8Array(await garbage.arrayBuffer())) as { __type: string }).__type, /SerializationException$/);
  });
});

describe('AWS CLI v2 (query protocol)', { skip: awsCliSkipReason() }, () => {
  test('get-metric-statistics, get-metric-data and list-metrics', async () => {
    const gms = await aws(server.endpoint, [
      'cloudwatch', 'get-metric-statistics', '--namespace', 'AWS/Lambda', '--metric-name', 'Invocations', '--dimensions', `Name=FunctionName,Value=${FN}`,
      '--start-time', start.toISOString(), '--end-time', end.toISOString(), '--period', '900', '--statistics', 'Sum', 'Maximum', '--output', 'json',
    ]);
    assert.equal(gms.code, 0, gms.stderr);
    const out = JSON.parse(gms.stdout) as { Label: string; Datapoints: { Sum: number; Maximum: number; Unit: string }[] };
    assert.equal(out.Label, 'Invocations');
    assert.deepEqual(out.Datapoints.map((d) => [d.Sum, d.Maximum, d.Unit]), [[INVOKES, 1, 'Count']]);

    const queries = JSON.stringify([{ Id: 'inv', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: dims }, Period: 60, Stat: 'Sum' } }]);
    const gmd = await aws(server.endpoint, ['cloudwatch', 'get-metric-data', '--metric-data-queries', queries, '--start-time', start.toISOString(), '--end-time', end.toISOString(), '--scan-by', 'TimestampAscending', '--output', 'json']);
    assert.equal(gmd.code, 0, gmd.stderr);
    const [result] = (JSON.parse(gmd.stdout) as { MetricDataResults: { Id: string; Values: number[]; Timestamps: string[]; StatusCode: string }[] }).MetricDataResults;
    assert.equal(result!.Id, 'inv');
    assert.equal(result!.StatusCode, 'Complete');
    assert.equal(result!.Values.reduce((a, b) => a + b, 0), INVOKES);
    const times = result!.Timestamps.map((t) => Date.parse(t));
    assert.deepEqual(times, [...times].sort((a, b) => a - b));

    const list = await aws(server.endpoint, ['cloudwatch', 'list-metrics', '--namespace', 'AWS/Lambda', '--dimensions', `Name=FunctionName,Value=${FN}`, '--output', 'json']);
    assert.equal(list.code, 0, list.stderr);
    const names = new Set((JSON.parse(list.stdout) as { Metrics: { MetricName: string }[] }).Metrics.map((m) => m.MetricName));
    assert.ok(names.has('Invocations') && names.has('Duration'), [...names].join());
  });

  test('errors come back as <ErrorResponse> the CLI reports', async () => {
    const bad = await aws(server.endpoint, ['cloudwatch', 'get-metric-statistics', '--namespace', 'AWS/Lambda', '--metric-name', 'Invocations', '--start-time', end.toISOString(), '--end-time', start.toISOString(), '--period', '60', '--statistics', 'Sum']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /An error occurred \(InvalidParameterValue\) when calling the GetMetricStatistics operation(?: \([^)]*\))?: The parameter StartTime must be less than the parameter EndTime\./);
    const put = await aws(server.endpoint, ['cloudwatch', 'put-metric-data', '--namespace', 'Custom', '--metric-name', 'm', '--value', '1']);
    assert.notEqual(put.code, 0);
    assert.match(put.stderr, /\(InvalidAction\) when calling the PutMetricData operation/);
  });
});
