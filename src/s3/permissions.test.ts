import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PERMISSIONS, requiredAccess, s3Arn } from './permissions.ts';
import { ROUTES } from './routes.ts';

const access = (operation: string, target: { bucket?: string; key?: string; query?: string; copySource?: { bucket: string; key: string } } = {}) =>
  requiredAccess(operation, {
    ...(target.bucket !== undefined ? { bucket: target.bucket } : {}),
    ...(target.key !== undefined ? { key: target.key } : {}),
    query: new URLSearchParams(target.query ?? ''),
    ...(target.copySource ? { copySource: () => target.copySource! } : {}),
  });

test('every routed S3 operation has an IAM action of the s3 service', () => {
  for (const route of ROUTES) {
    const permission = PERMISSIONS[route.operation];
    assert.ok(permission, `${route.operation} has an IAM action`);
    assert.match(permission.action, /^s3:[A-Z][A-Za-z]+$/);
    // Object operations act on keys, bucket operations on the bucket, ListBuckets on the account.
    const expected = route.target === 'object' ? 'object' : route.target === 'service' ? 'account' : permission.on === 'each-key' ? 'each-key' : 'bucket';
    assert.equal(permission.on, expected, route.operation);
  }
  assert.throws(() => access('SelectObjectContent', { bucket: 'b', key: 'k' }), /no IAM action/);
});

test("operations map to the Service Authorization Reference's action names", () => {
  const actionOf = (op: string) => PERMISSIONS[op]!.action;
  assert.equal(actionOf('ListBuckets'), 's3:ListAllMyBuckets');
  assert.equal(actionOf('HeadBucket'), 's3:ListBucket');
  assert.equal(actionOf('ListObjects'), 's3:ListBucket');
  assert.equal(actionOf('ListObjectsV2'), 's3:ListBucket');
  assert.equal(actionOf('HeadObject'), 's3:GetObject');
  assert.equal(actionOf('ListParts'), 's3:ListMultipartUploadParts');
  assert.equal(actionOf('ListMultipartUploads'), 's3:ListBucketMultipartUploads');
  assert.equal(actionOf('PutBucketNotificationConfiguration'), 's3:PutBucketNotification');
  assert.equal(actionOf('GetBucketNotificationConfiguration'), 's3:GetBucketNotification');
  for (const op of ['PutObject', 'CopyObject', 'CreateMultipartUpload', 'UploadPart', 'UploadPartCopy', 'CompleteMultipartUpload']) assert.equal(actionOf(op), 's3:PutObject', op);
});

test('requiredAccess names the resources and condition keys of each check', () => {
  assert.deepEqual(access('ListBuckets'), [{ action: 's3:ListAllMyBuckets' }]);
  assert.deepEqual(access('GetObject', { bucket: 'b', key: 'a/b.txt' }), [{ action: 's3:GetObject', bucket: 'b', key: 'a/b.txt' }]);
  assert.deepEqual(access('ListObjectsV2', { bucket: 'b', query: 'list-type=2&prefix=home/&delimiter=/&max-keys=10' }), [
    { action: 's3:ListBucket', bucket: 'b', context: { 's3:prefix': 'home/', 's3:delimiter': '/', 's3:max-keys': 10 } },
  ]);
  assert.deepEqual(access('HeadBucket', { bucket: 'b' }), [{ action: 's3:ListBucket', bucket: 'b', context: {} }]);
  // A copy writes the destination and reads the source.
  assert.deepEqual(access('CopyObject', { bucket: 'dst', key: 'k', copySource: { bucket: 'src', key: 's' } }), [
    { action: 's3:PutObject', bucket: 'dst', key: 'k' },
    { action: 's3:GetObject', bucket: 'src', key: 's' },
  ]);
  // DeleteObjects is checked key by key, inside the action.
  assert.deepEqual(access('DeleteObjects', { bucket: 'b' }), []);
  assert.equal(s3Arn(undefined), '*');
  assert.equal(s3Arn('b'), 'arn:aws:s3:::b');
  assert.equal(s3Arn('b', 'k/x'), 'arn:aws:s3:::b/k/x');
});
