import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectRoute } from './routes.ts';

const pick = (method: string, target: 'service' | 'bucket' | 'object', query = '', headers: string[] = []) =>
  selectRoute(method, target, new URLSearchParams(query), (h) => headers.includes(h)).operation;

test('routes pick the action the service model names', () => {
  assert.equal(pick('GET', 'service'), 'ListBuckets');
  assert.equal(pick('GET', 'bucket', 'list-type=2&prefix=a'), 'ListObjectsV2');
  assert.equal(pick('GET', 'bucket'), 'ListObjects');
  assert.equal(pick('POST', 'bucket', 'delete'), 'DeleteObjects');
  assert.equal(pick('PUT', 'object', 'partNumber=1&uploadId=x'), 'UploadPart');
  assert.equal(pick('PUT', 'object', 'partNumber=1&uploadId=x', ['x-amz-copy-source']), 'UploadPartCopy');
  assert.equal(pick('PUT', 'object', '', ['x-amz-copy-source']), 'CopyObject');
  assert.equal(pick('POST', 'object', 'uploads'), 'CreateMultipartUpload');
  assert.equal(pick('POST', 'object', 'uploadId=x'), 'CompleteMultipartUpload');
  assert.equal(pick('DELETE', 'object', 'uploadId=x'), 'AbortMultipartUpload');
  assert.equal(pick('GET', 'object', 'uploadId=x'), 'ListParts');
  assert.equal(pick('PUT', 'bucket', 'notification'), 'PutBucketNotificationConfiguration');
  assert.equal(pick('GET', 'bucket', 'notification'), 'GetBucketNotificationConfiguration');
  assert.equal(pick('PUT', 'bucket', 'policy'), 'PutBucketPolicy');
  assert.equal(pick('GET', 'bucket', 'policy'), 'GetBucketPolicy');
  assert.equal(pick('DELETE', 'bucket', 'policy'), 'DeleteBucketPolicy');
});

test('unserved sub-resources are NotImplemented; wrong methods are MethodNotAllowed', () => {
  assert.throws(() => pick('GET', 'bucket', 'tagging'), { name: 'NotImplemented' });
  assert.throws(() => pick('PUT', 'object', 'acl'), { name: 'NotImplemented' });
  assert.throws(() => pick('POST', 'object'), { name: 'MethodNotAllowed' });
  assert.throws(() => pick('PUT', 'service'), { name: 'MethodNotAllowed' });
});
