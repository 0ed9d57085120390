import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CloudWatchErrors } from '../errors/index.ts';
import { decodeCbor, encodeCbor, epochTag } from './cbor.ts';
import { decodeQuery, decodeTyped, mapDoc } from './documents.ts';
import { INPUT_SHAPES, type Shape } from './shapes.ts';
import type { IncomingMessage } from 'node:http';
import { detectProtocol, renderOutput, renderWireError, toXml } from './wire.ts';

const GMS = INPUT_SHAPES.GetMetricStatistics as Shape & { kind: 'structure' };
const GMD = INPUT_SHAPES.GetMetricData as Shape & { kind: 'structure' };
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('CBOR: tag 1 timestamps, integer or float, decode to Dates and encode back', () => {
  // {"StartTime": 1(1700000000), "EndTime": 1(1700000060.5)}
  const body = Buffer.from('a2' + '69537461727454696d65' + 'c11a6553f100' + '67456e6454696d65' + 'c1fb41d954fc4f200000', 'hex');
  const value = decodeCbor(body) as Record<string, Date>;
  assert.deepEqual(value, { StartTime: new Date(1_700_000_000_000), EndTime: new Date(1_700_000_060_500) });
  // Whole seconds go out as an integer under tag 1 (c1 1a …), fractions as a float.
  assert.equal(hex(encodeCbor(epochTag(new Date(1_700_000_000_000)))), 'c11a6553f100');
  assert.equal(hex(encodeCbor(epochTag(new Date(1_700_000_060_500)))).slice(0, 4), 'c1fb');
});

test('CBOR: half floats, indefinite lengths and undefined decode; maps of text keys are records', () => {
  // {_ "Period": 60, "Values": [_ f16(1.5), undefined], "ReturnData": true }
  const body = Buffer.from('bf' + '66506572696f64' + '183c' + '6656616c756573' + '9ff93e00f7ff' + '6a52657475726e44617461' + 'f5' + 'ff', 'hex');
  assert.deepEqual(decodeCbor(body), { Period: 60, Values: [1.5, null], ReturnData: true });
  assert.throws(() => decodeCbor(Buffer.from('a1', 'hex')));
});

test('CBOR: output documents round-trip, Maps stay maps', () => {
  const out = { Label: 'Invocations', Datapoints: [{ Timestamp: new Date(60_000), Sum: 2.5, Unit: 'Count', ExtendedStatistics: new Map([['p99', 3]]) }] };
  const wire = decodeCbor(encodeCbor(mapDoc(out, epochTag, true)));
  assert.deepEqual(wire, { Label: 'Invocations', Datapoints: [{ Timestamp: new Date(60_000), Sum: 2.5, Unit: 'Count', ExtendedStatistics: { p99: 3 } }] });
});

test('typed documents: epoch seconds become Dates, wrong types are SerializationException', () => {
  const doc = decodeTyped({ Namespace: 'AWS/Lambda', StartTime: 1_700_000_000, EndTime: new Date(5000), Period: 60, Statistics: ['Sum'], Unknown: 1, Unit: null }, GMS);
  assert.deepEqual(doc, { Namespace: 'AWS/Lambda', StartTime: new Date(1_700_000_000_000), EndTime: new Date(5000), Period: 60, Statistics: ['Sum'] });
  assert.throws(() => decodeTyped({ Period: '60' }, GMS), (e: Error) => e instanceof CloudWatchErrors.SerializationException && /Period must be an integer/.test(e.message));
  assert.throws(() => decodeTyped({ StartTime: '2026-01-01T00:00:00Z' }, GMS), CloudWatchErrors.SerializationException);
  assert.throws(() => decodeTyped({ Dimensions: [{ Name: 1 }] }, GMS), /Dimensions\[0\]\.Name must be a string/);
});

test('query: flattened lists and nested structures decode by the shape', () => {
  const params = new Map(
    Object.entries({
      Action: 'GetMetricData',
      'MetricDataQueries.member.2.Id': 'b',
      'MetricDataQueries.member.1.Id': 'a',
      'MetricDataQueries.member.1.ReturnData': 'false',
      'MetricDataQueries.member.1.MetricStat.Period': '60',
      'MetricDataQueries.member.1.MetricStat.Stat': 'Sum',
      'MetricDataQueries.member.1.MetricStat.Metric.MetricName': 'Invocations',
      'MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Name': 'FunctionName',
      'MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Value': 'f',
      StartTime: '2026-01-01T00:00:00Z',
      EndTime: '1767225660',
    }),
  );
  assert.deepEqual(decodeQuery(params, GMD), {
    MetricDataQueries: [
      { Id: 'a', ReturnData: false, MetricStat: { Period: 60, Stat: 'Sum', Metric: { MetricName: 'Invocations', Dimensions: [{ Name: 'FunctionName', Value: 'f' }] } } },
      { Id: 'b' },
    ],
    StartTime: new Date(Date.UTC(2026, 0, 1)),
    EndTime: new Date(1_767_225_660_000),
  });
  assert.deepEqual(decodeQuery(new Map([['Statistics.member.1', 'Sum'], ['Statistics.member.2', 'Maximum']]), GMS), { Statistics: ['Sum', 'Maximum'] });
  assert.throws(() => decodeQuery(new Map([['Period', 'sixty']]), GMS), (e: Error) => e instanceof CloudWatchErrors.InvalidParameterValue && e.message === 'Value (sixty) for parameter Period is invalid.');
  assert.throws(() => decodeQuery(new Map([['StartTime', 'yesterday']]), GMS), CloudWatchErrors.InvalidParameterValue);
});

test('query: output XML has <member> lists, <entry> maps and ISO timestamps', () => {
  const doc = { Label: 'Invocations', Datapoints: [{ Timestamp: new Date(Date.UTC(2026, 0, 1, 0, 1)), Sum: 2, Unit: 'Count', ExtendedStatistics: new Map([['p99', 3]]) }] };
  assert.deepEqual(toXml(doc), {
    Label: 'Invocations',
    Datapoints: { member: [{ Timestamp: '2026-01-01T00:01:00Z', Sum: 2, Unit: 'Count', ExtendedStatistics: { entry: [{ key: 'p99', value: 3 }] } }] },
  });
  const answer = renderOutput('query', 'GetMetricStatistics', doc, 'req-1');
  assert.equal(
    answer.body.toString(),
    '<GetMetricStatisticsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><GetMetricStatisticsResult><Label>Invocations</Label><Datapoints><member><Timestamp>2026-01-01T00:01:00Z</Timestamp><Sum>2</Sum><Unit>Count</Unit><ExtendedStatistics><entry><key>p99</key><value>3</value></entry></ExtendedStatistics></member></Datapoints></GetMetricStatisticsResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetMetricStatisticsResponse>',
  );
});

test('errors: __type is the model shape, x-amzn-query-error the query code; XML ErrorResponse for query', () => {
  const err = new CloudWatchErrors.InvalidParameterValue('bad');
  const json = renderWireError('json', err, 'r');
  assert.equal(json.status, 400);
  assert.equal(json.headers['x-amzn-query-error'], 'InvalidParameterValue;Sender');
  assert.deepEqual(JSON.parse(json.body.toString()), { __type: 'com.amazonaws.cloudwatch#InvalidParameterValueException', message: 'bad' });
  const cbor = renderWireError('cbor', new CloudWatchErrors.InternalServiceError('boom'), 'r');
  assert.equal(cbor.status, 500);
  assert.equal(cbor.headers['smithy-protocol'], 'rpc-v2-cbor');
  assert.equal(cbor.headers['x-amzn-query-error'], 'InternalServiceError;Receiver');
  assert.deepEqual(decodeCbor(cbor.body), { __type: 'com.amazonaws.cloudwatch#InternalServiceFault', Message: 'boom' });
  const unknown = renderWireError('json', new CloudWatchErrors.UnknownOperationException('nope'), 'r');
  assert.equal(JSON.parse(unknown.body.toString()).__type, 'com.amazon.coral.service#UnknownOperationException');
  const xml = renderWireError('query', new CloudWatchErrors.MissingParameter('The parameter X is required.'), 'r');
  assert.equal(
    xml.body.toString(),
    '<ErrorResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><Error><Type>Sender</Type><Code>MissingParameter</Code><Message>The parameter X is required.</Message></Error><RequestId>r</RequestId></ErrorResponse>',
  );
});

test('protocol detection: the CBOR path, then X-Amz-Target, then POST / signed for monitoring', () => {
  const req = (method: string, url: string, headers: Record<string, string> = {}) => ({ method, url, headers }) as unknown as IncomingMessage;
  const scope = (service: string) => ({ authorization: `AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=00` });
  const detect = (r: IncomingMessage) => detectProtocol(r, new URL(r.url!, 'http://x').pathname);
  assert.deepEqual(detect(req('POST', '/service/GraniteServiceVersion20100801/operation/GetMetricData')), { protocol: 'cbor', operation: 'GetMetricData' });
  assert.deepEqual(detect(req('POST', '/v1/service/com.amazonaws.cloudwatch.GraniteServiceVersion20100801/operation/ListMetrics', scope('monitoring'))), { protocol: 'cbor', operation: 'ListMetrics' });
  assert.deepEqual(detect(req('POST', '/', { 'x-amz-target': 'GraniteServiceVersion20100801.ListMetrics', ...scope('monitoring') })), { protocol: 'json', operation: 'ListMetrics' });
  assert.deepEqual(detect(req('POST', '/', scope('monitoring'))), { protocol: 'query' });
  assert.deepEqual(detect(req('GET', '/?Action=ListMetrics', scope('monitoring'))), { protocol: 'query' });
  assert.equal(detect(req('POST', '/', scope('iam'))), undefined);
  assert.equal(detect(req('POST', '/', { 'x-amz-target': 'Logs_20140328.GetLogEvents' })), undefined);
  assert.equal(detect(req('GET', '/service/GraniteServiceVersion20100801/operation/GetMetricData')), undefined);
  assert.deepEqual(detect(req('POST', '/service/GraniteServiceVersion20100801/operation/%zz')), { protocol: 'cbor', operation: '%zz' });
});

test('query: 20,000 keys decode in one pass and a list past its max is refused before its members', () => {
  const params = new Map<string, string>([['Action', 'GetMetricData']]);
  for (let n = 1; n <= 20_000; n++) params.set(`MetricDataQueries.member.${n}.Id`, `q${n}`);
  assert.throws(
    () => decodeQuery(params, GMD),
    (e: Error) => e instanceof CloudWatchErrors.InvalidParameterValue && e.message === 'The collection MetricDataQueries must not have a size greater than 500.',
  );
  // The most the model allows: 500 queries of 30 dimensions each (30,000 keys) decode whole.
  const full = new Map<string, string>();
  for (let n = 1; n <= 500; n++) {
    full.set(`MetricDataQueries.member.${n}.Id`, `q${n}`);
    for (let d = 1; d <= 30; d++) full.set(`MetricDataQueries.member.${n}.MetricStat.Metric.Dimensions.member.${d}.Name`, `d${d}`);
  }
  const doc = decodeQuery(full, GMD) as { MetricDataQueries: { Id: string; MetricStat: { Metric: { Dimensions: { Name: string }[] } } }[] };
  assert.equal(doc.MetricDataQueries.length, 500);
  assert.equal(doc.MetricDataQueries[499]!.Id, 'q500');
  assert.deepEqual(doc.MetricDataQueries[0]!.MetricStat.Metric.Dimensions.map((d) => d.Name), Array.from({ length: 30 }, (_, i) => `d${i + 1}`));
  const dims = new Map<string, string>();
  for (let d = 1; d <= 31; d++) dims.set(`Dimensions.member.${d}.Name`, 'n');
  assert.throws(() => decodeQuery(dims, GMS), /The collection Dimensions must not have a size greater than 30\./);
  // Typed bodies are held to the same maxima.
  assert.throws(() => decodeTyped({ Statistics: ['Sum', 'Sum', 'Sum', 'Sum', 'Sum', 'Sum'] }, GMS), (e: Error) => e instanceof CloudWatchErrors.InvalidParameterValue && /Statistics must not have a size greater than 5/.test(e.message));
});

test('timestamps a Date cannot hold are refused, not read as Invalid Date', () => {
  // 1e15 seconds is 1e18 ms, past ECMAScript's ±8.64e15 ms.
  assert.throws(() => decodeTyped({ StartTime: 1e15 }, GMS), (e: Error) => e instanceof CloudWatchErrors.SerializationException && /StartTime must be a timestamp/.test(e.message));
  assert.throws(() => decodeTyped({ EndTime: -1e15 }, GMS), CloudWatchErrors.SerializationException);
  assert.throws(() => decodeQuery(new Map([['StartTime', '1000000000000000']]), GMS), (e: Error) => e instanceof CloudWatchErrors.InvalidParameterValue && e.message === 'Value (1000000000000000) for parameter StartTime is invalid.');
  assert.throws(() => decodeQuery(new Map([['EndTime', '+275760-09-14T00:00:00Z']]), GMS), CloudWatchErrors.InvalidParameterValue);
  // The edge of the range still decodes.
  assert.deepEqual(decodeTyped({ StartTime: 8.64e12 }, GMS), { StartTime: new Date(8.64e15) });
});
