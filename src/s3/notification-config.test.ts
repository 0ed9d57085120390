import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNotificationConfiguration, renderNotificationConfiguration } from './notification-config.ts';
import { parseXmlBody } from './xml.ts';

const SCOPE = { region: 'us-east-1', accountId: '123456789012' };
const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:f';
const doc = (inner: string) => parseXmlBody(Buffer.from(`<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</NotificationConfiguration>`), 'NotificationConfiguration');
const fn = (events: string[], filter = '', id = '') =>
  `<CloudFunctionConfiguration>${id ? `<Id>${id}</Id>` : ''}<CloudFunction>${ARN}</CloudFunction>${events.map((e) => `<Event>${e}</Event>`).join('')}${filter}</CloudFunctionConfiguration>`;
const rules = (...r: [string, string][]) => `<Filter><S3Key>${r.map(([n, v]) => `<FilterRule><Name>${n}</Name><Value>${v}</Value></FilterRule>`).join('')}</S3Key></Filter>`;
const parse = (inner: string) => parseNotificationConfiguration(doc(inner), SCOPE);
const refused = (inner: string, message: RegExp | string) =>
  assert.throws(() => parse(inner), (err: any) => err.code === 'InvalidArgument' && (typeof message === 'string' ? err.message === message : message.test(err.message)));

test('Lambda configurations parse with generated Ids and normalized filter rule names, and render back', () => {
  const { config, unserved } = parse(fn(['s3:ObjectCreated:*'], rules(['prefix', 'in/'], ['SUFFIX', '.csv'])) + fn(['s3:ObjectRemoved:Delete'], '', 'mine'));
  assert.deepEqual(unserved, []);
  assert.equal(config.lambda.length, 2);
  const [a, b] = config.lambda;
  assert.match(Buffer.from(a!.id, 'base64').toString(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.deepEqual(a!.filterRules, [{ name: 'Prefix', value: 'in/' }, { name: 'Suffix', value: '.csv' }]);
  assert.equal(b!.id, 'mine');
  const xml = renderNotificationConfiguration(config);
  assert.ok(xml.includes(`<CloudFunctionConfiguration><Id>${a!.id}</Id><CloudFunction>${ARN}</CloudFunction><Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>Prefix</Name><Value>in/</Value></FilterRule><FilterRule><Name>Suffix</Name><Value>.csv</Value></FilterRule></S3Key></Filter></CloudFunctionConfiguration>`));
  assert.deepEqual(parse('').config.lambda, []);
});

test('bad events, rules and ARNs are InvalidArgument; missing members are MalformedXML', () => {
  refused(fn(['s3:ObjectCreated:Nope']), 'The event is not supported for notifications');
  refused(fn(['s3:ObjectCreated:*'], rules(['prefix', 'a'], ['Prefix', 'b'])), 'Cannot specify more than one prefix rule in a filter.');
  refused(fn(['s3:ObjectCreated:*'], rules(['middle', 'a'])), 'filter rule name must be either prefix or suffix');
  refused(`<CloudFunctionConfiguration><CloudFunction>arn:aws:sqs:us-east-1:123456789012:q</CloudFunction><Event>s3:ObjectCreated:*</Event></CloudFunctionConfiguration>`, 'The ARN could not be parsed');
  refused(fn(['s3:ObjectCreated:Put'], '', 'x') + fn(['s3:ObjectRemoved:*'], '', 'x'), /Same ID/);
  assert.throws(() => parse(`<CloudFunctionConfiguration><CloudFunction>${ARN}</CloudFunction></CloudFunctionConfiguration>`), { code: 'MalformedXML' });
});

test('configurations sharing an event type may not overlap', () => {
  const overlap = 'Configurations overlap. Configurations on the same bucket cannot share a common event type.';
  const ambiguous = 'Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the prefixes are overlapping for the same event type.';
  refused(fn(['s3:ObjectCreated:*']) + fn(['s3:ObjectCreated:Put']), overlap);
  refused(fn(['s3:ObjectCreated:*']) + fn(['s3:ObjectCreated:*'], rules(['prefix', 'a/'])), ambiguous);
  refused(fn(['s3:ObjectCreated:Put'], rules(['prefix', 'a/'])) + fn(['s3:ObjectCreated:*'], rules(['prefix', 'a/b/'])), ambiguous);
  refused(fn(['s3:ObjectCreated:Put'], rules(['suffix', '.jpg'])) + fn(['s3:ObjectCreated:*'], rules(['suffix', 'jpg'])), ambiguous);
  // Disjoint event types, prefixes, or suffixes are fine.
  parse(fn(['s3:ObjectCreated:*']) + fn(['s3:ObjectRemoved:*']));
  parse(fn(['s3:ObjectCreated:*'], rules(['prefix', 'a/'])) + fn(['s3:ObjectCreated:*'], rules(['prefix', 'b/'])));
  parse(fn(['s3:ObjectCreated:*'], rules(['prefix', 'a/'], ['suffix', '.jpg'])) + fn(['s3:ObjectCreated:*'], rules(['prefix', 'a/'], ['suffix', '.png'])));
});

test('queues, topics and EventBridge are named as destinations Nimbus cannot validate', () => {
  const { unserved } = parse(
    '<QueueConfiguration><Queue>arn:aws:sqs:us-east-1:123456789012:q</Queue><Event>s3:ObjectCreated:*</Event></QueueConfiguration>' +
      '<TopicConfiguration><Topic>arn:aws:sns:us-east-1:123456789012:t</Topic><Event>s3:ObjectRemoved:*</Event></TopicConfiguration><EventBridgeConfiguration/>',
  );
  assert.deepEqual(unserved, [
    { arn: 'arn:aws:sqs:us-east-1:123456789012:q', reason: 'The destination queue does not exist' },
    { arn: 'arn:aws:sns:us-east-1:123456789012:t', reason: 'The destination topic does not exist' },
    { arn: 'arn:aws:events:us-east-1:123456789012:event-bus/default', reason: 'The destination event bus does not exist' },
  ]);
});
