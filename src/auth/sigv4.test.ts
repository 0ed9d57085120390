import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AuthError } from './auth-error.ts';
import { ChunkSignatureChain, expectedSignature, parseClaim, signingKeyOf } from './sigv4.ts';

// AWS's published examples: https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
// and https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SCOPE = 'AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request';

const request = (method: string, url: string, headers: Record<string, string>) => ({ method, url, headers }) as unknown as IncomingMessage;

test("S3's GET Object example: the signature of a signed request is recomputed exactly", async () => {
  const req = request('GET', '/test.txt', {
    host: 'examplebucket.s3.amazonaws.com',
    range: 'bytes=0-9',
    'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    'x-amz-date': '20130524T000000Z',
    authorization: `AWS4-HMAC-SHA256 Credential=${SCOPE},SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41`,
  });
  const claim = parseClaim(req)!;
  assert.equal(claim.accessKeyId, 'AKIAIOSFODNN7EXAMPLE');
  assert.equal(claim.service, 's3');
  assert.deepEqual(claim.signedHeaders, ['host', 'range', 'x-amz-content-sha256', 'x-amz-date']);
  assert.equal(await expectedSignature(req, claim, SECRET, req.headers['x-amz-content-sha256'] as string, { s3: true }), claim.signature);
  assert.notEqual(await expectedSignature(req, claim, `${SECRET}x`, req.headers['x-amz-content-sha256'] as string, { s3: true }), claim.signature);
});

test("S3's chunked upload example: seed, chunk and final signatures chain", async () => {
  const req = request('PUT', '/examplebucket/chunkObject.txt', {
    host: 's3.amazonaws.com',
    'x-amz-date': '20130524T000000Z',
    'x-amz-storage-class': 'REDUCED_REDUNDANCY',
    'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
    'content-encoding': 'aws-chunked',
    'x-amz-decoded-content-length': '66560',
    'content-length': '66824',
    authorization: `AWS4-HMAC-SHA256 Credential=${SCOPE},SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9`,
  });
  const claim = parseClaim(req)!;
  assert.equal(await expectedSignature(req, claim, SECRET, 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', { s3: true }), claim.signature);
  const chain = new ChunkSignatureChain(await signingKeyOf(claim, SECRET), claim.longDate, claim.scope, claim.signature);
  const hash = (n: number) => createHash('sha256').update(Buffer.alloc(n, 'a')).digest('hex');
  assert.equal(chain.chunk('ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648', hash(65536)), true);
  assert.equal(chain.chunk('0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497', hash(1024)), true);
  assert.equal(chain.chunk('b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9', hash(0)), true);

  const tampered = new ChunkSignatureChain(await signingKeyOf(claim, SECRET), claim.longDate, claim.scope, claim.signature);
  assert.equal(tampered.chunk('ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648', hash(65535)), false, 'other bytes, same signature');
  assert.equal(tampered.chunk(undefined, hash(65536)), false, 'a chunk without its signature');
});

test('a non-S3 path is normalized and encoded once more; S3 signs it as sent', async () => {
  const headers = { host: 'h', 'x-amz-date': '20240101T000000Z', authorization: `AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}` };
  const a = request('GET', '/2015-03-31/functions/my%3Afn/configuration', headers);
  const b = request('GET', '/2015-03-31/functions/./my%3Afn/configuration', headers);
  const claim = parseClaim(a)!;
  const hash = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
  assert.equal(await expectedSignature(a, claim, 's', hash, { s3: false }), await expectedSignature(b, claim, 's', hash, { s3: false }));
  assert.notEqual(await expectedSignature(a, claim, 's', hash, { s3: true }), await expectedSignature(b, claim, 's', hash, { s3: true }));
});

test('claims: anonymous, malformed headers and presigned queries', () => {
  assert.equal(parseClaim(request('GET', '/', { host: 'h' })), undefined);
  const malformed = (headers: Record<string, string>, url = '/') => {
    try {
      parseClaim(request('GET', url, { host: 'h', ...headers }));
    } catch (err) {
      assert.ok(err instanceof AuthError);
      return `${err.reason}:${err.part}`;
    }
    return 'accepted';
  };
  assert.equal(malformed({ authorization: 'AWS AKID:sig' }), 'malformed:header');
  assert.equal(malformed({ authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/s3/aws4_request' }), 'malformed:header');
  assert.equal(malformed({ authorization: `AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}` }), 'malformed:header', 'no date');
  assert.equal(malformed({ 'x-amz-date': '20240102T000000Z', authorization: `AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}` }), 'malformed:header', 'scope of another day');
  assert.equal(malformed({}, '/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240101%2Fus-east-1%2Fs3%2Faws4_request'), 'malformed:query');
  const presigned = `/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=${'0'.repeat(64)}&X-Amz-Expires=`;
  assert.equal(malformed({}, `${presigned}604800`), 'accepted');
  assert.equal(malformed({}, `${presigned}604801`), 'malformed:query', 'more than a week');
});
