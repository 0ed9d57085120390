import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBucketPolicy } from './bucket-policy.ts';

const policy = (statement: Record<string, unknown>) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', ...statement }] });
const malformed = (message: string | RegExp) => ({ name: 'MalformedPolicy', message });

test('a bucket policy over the bucket and its objects parses', () => {
  const doc = parseBucketPolicy('b', policy({ Action: ['s3:GetObject', 's3:ListBucket'], Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'] }));
  assert.equal(doc.statements.length, 1);
  parseBucketPolicy('b', policy({ Action: 's3:*', Resource: 'arn:aws:s3:::b*' }));
  parseBucketPolicy('b', policy({ Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/public/*', Principal: { AWS: 'arn:aws:iam::123456789012:user/alice' } }));
});

test("refusals carry S3's MalformedPolicy messages", () => {
  assert.throws(() => parseBucketPolicy('b', 'not json'), malformed("Policies must be valid JSON and the first byte must be '{'"));
  assert.throws(() => parseBucketPolicy('b', policy({ Action: 's3:GetObject', Resource: 'arn:aws:s3:::other/*' })), malformed('Policy has invalid resource'));
  assert.throws(() => parseBucketPolicy('b', policy({ Action: 's3:GetObject', Resource: '*' })), malformed('Policy has invalid resource'));
  assert.throws(() => parseBucketPolicy('b', policy({ Action: 's3:GetObject', Resource: 'b/*' })), malformed('Policy has invalid resource'));
  assert.throws(() => parseBucketPolicy('b', policy({ Action: 'lambda:InvokeFunction', Resource: 'arn:aws:s3:::b/*' })), malformed('Policy has invalid action'));
  assert.throws(() => parseBucketPolicy('b', policy({ Action: 's3:PutObject', Resource: 'arn:aws:s3:::b' })), malformed('Action does not apply to any resource(s) in statement'));
  assert.throws(() => parseBucketPolicy('b', policy({ Action: 's3:ListBucket', Resource: 'arn:aws:s3:::b/*' })), malformed('Action does not apply to any resource(s) in statement'));
  assert.throws(() => parseBucketPolicy('b', policy({ Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*', Principal: { AWS: 'bob' } })), malformed(/^Invalid principal in policy/));
  assert.throws(
    () => parseBucketPolicy('b', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }] })),
    malformed('Missing required field Principal'),
  );
  const big = policy({ Action: 's3:GetObject', Resource: Array.from({ length: 800 }, (_, i) => `arn:aws:s3:::b/some/long/prefix/${i}`) });
  assert.throws(() => parseBucketPolicy('b', big), malformed('Policy exceeds the maximum allowed document size.'));
});
