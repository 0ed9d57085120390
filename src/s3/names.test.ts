import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isValidBucketName } from './names.ts';

test('bucket names follow S3 rules', () => {
  for (const ok of ['abc', 'my-bucket', 'my.bucket.1', 'a'.repeat(63), '123']) assert.ok(isValidBucketName(ok), ok);
  for (const bad of ['ab', 'a'.repeat(64), 'My-Bucket', '-abc', 'abc-', 'a..b', 'a.-b', '192.168.5.4', 'xn--abc', 'abc-s3alias', 'a_b', 'abc--x-s3'])
    assert.ok(!isValidBucketName(bad), bad);
});
