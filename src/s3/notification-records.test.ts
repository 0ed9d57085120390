import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LambdaNotification } from '../storage/index.ts';
import { encodeEventKey, eventRecord, notificationMatches } from './notification-records.ts';

test('keys are form-URL-encoded as S3 writes them in records: space is +, / stays, UTF-8 bytes are %XX', () => {
  assert.equal(encodeEventKey('photos/my cat.jpg'), 'photos/my+cat.jpg');
  assert.equal(encodeEventKey('a+b=c:d'), 'a%2Bb%3Dc%3Ad');
  assert.equal(encodeEventKey('dt=2024-01-01/part-0.parquet'), 'dt%3D2024-01-01/part-0.parquet');
  assert.equal(encodeEventKey('données/été ☃.txt'), 'donn%C3%A9es/%C3%A9t%C3%A9+%E2%98%83.txt');
  assert.equal(encodeEventKey("a*b_c-d.e~f!g'(h)"), "a*b_c-d.e%7Ef%21g%27%28h%29");
  assert.equal(encodeEventKey('𝄞'), '%F0%9D%84%9E');
});

const config = (events: string[], rules: LambdaNotification['filterRules'] = []): LambdaNotification => ({
  id: 'c',
  functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f',
  events,
  filterRules: rules,
});

test('event types match exactly or by their :* family', () => {
  assert.ok(notificationMatches(config(['s3:ObjectCreated:*']), 'ObjectCreated:Put', 'k'));
  assert.ok(notificationMatches(config(['s3:ObjectCreated:*']), 'ObjectCreated:CompleteMultipartUpload', 'k'));
  assert.ok(notificationMatches(config(['s3:ObjectCreated:Copy']), 'ObjectCreated:Copy', 'k'));
  assert.ok(!notificationMatches(config(['s3:ObjectCreated:Copy']), 'ObjectCreated:Put', 'k'));
  assert.ok(!notificationMatches(config(['s3:ObjectCreated:*']), 'ObjectRemoved:Delete', 'k'));
  assert.ok(notificationMatches(config(['s3:ObjectCreated:Put', 's3:ObjectRemoved:*']), 'ObjectRemoved:Delete', 'k'));
});

test('prefix and suffix rules must all hold, against the key as the record encodes it', () => {
  const images = config(['s3:ObjectCreated:*'], [{ name: 'Prefix', value: 'images/' }, { name: 'Suffix', value: '.jpg' }]);
  assert.ok(notificationMatches(images, 'ObjectCreated:Put', 'images/a.jpg'));
  assert.ok(!notificationMatches(images, 'ObjectCreated:Put', 'images/a.png'));
  assert.ok(!notificationMatches(images, 'ObjectCreated:Put', 'docs/a.jpg'));
  // S3 asks for '+' in place of a space, and percent-encoding for other special characters.
  const spaced = config(['s3:ObjectCreated:*'], [{ name: 'Prefix', value: 'my+folder/' }]);
  assert.ok(notificationMatches(spaced, 'ObjectCreated:Put', 'my folder/x'));
  assert.ok(!notificationMatches(spaced, 'ObjectCreated:Put', 'my-folder/x'));
  const partition = config(['s3:ObjectCreated:*'], [{ name: 'Prefix', value: 'dt%3D' }]);
  assert.ok(notificationMatches(partition, 'ObjectCreated:Put', 'dt=2024/x'));
});

test('records carry S3 2.1 members; removals have no size or eTag', () => {
  const base = {
    eventTime: Date.UTC(2024, 0, 2, 3, 4, 5, 678), region: 'us-east-1', bucket: 'b', key: 'a b', sequencer: '0062E99A88DC407460',
    requestId: 'REQ', hostId: 'HOST', sourceIPAddress: '::ffff:127.0.0.1',
  };
  const created = eventRecord({ ...base, eventName: 'ObjectCreated:Put', size: 5, eTag: 'abc' }, 'cfg', 'AEXAMPLE');
  assert.deepEqual(created, {
    eventVersion: '2.1', eventSource: 'aws:s3', awsRegion: 'us-east-1', eventTime: '2024-01-02T03:04:05.678Z', eventName: 'ObjectCreated:Put',
    userIdentity: { principalId: 'AEXAMPLE' }, requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: { 'x-amz-request-id': 'REQ', 'x-amz-id-2': 'HOST' },
    s3: {
      s3SchemaVersion: '1.0', configurationId: 'cfg',
      bucket: { name: 'b', ownerIdentity: { principalId: 'AEXAMPLE' }, arn: 'arn:aws:s3:::b' },
      object: { key: 'a+b', size: 5, eTag: 'abc', sequencer: '0062E99A88DC407460' },
    },
  });
  const removed = eventRecord({ ...base, eventName: 'ObjectRemoved:Delete' }, 'cfg', 'AEXAMPLE') as { s3: { object: unknown } };
  assert.deepEqual(removed.s3.object, { key: 'a+b', sequencer: '0062E99A88DC407460' });
});
