/**
 * S3 on the wire, with hand-built requests: the <Error> document, aws-chunked bodies
 * (unsigned with a trailer, signed chunks) with right and wrong checksums, payload hashes,
 * Content-MD5, and the headers an SDK would never get wrong on purpose.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { rawRequest, xmlField, type RawResponse } from './helpers/s3.ts';
import { checksumOf } from '../src/s3/checksums.ts';

const SIG = 'f'.repeat(64);

/** aws-chunked framing of data in chunks of size, with optional signatures and trailer lines. */
function awsChunked(data: Buffer, size: number, opts: { signed?: boolean; trailer?: string[] } = {}): Buffer[] {
  const ext = opts.signed ? `;chunk-signature=${SIG}` : '';
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) {
    const chunk = data.subarray(i, i + size);
    out.push(Buffer.from(`${chunk.length.toString(16)}${ext}\r\n`), chunk, Buffer.from('\r\n'));
  }
  out.push(Buffer.from(`0${ext}\r\n`));
  for (const line of opts.trailer ?? []) out.push(Buffer.from(`${line}\r\n`));
  out.push(Buffer.from('\r\n'));
  return out;
}

function errorCode(res: RawResponse): string | undefined {
  return xmlField(res.text, 'Code');
}

describe('S3 wire formats', () => {
  let server: TestServer;
  let put: (key: string, headers: Record<string, string | number>, body: Buffer | Buffer[] | string) => Promise<RawResponse>;
  let get: (key: string, headers?: Record<string, string>) => Promise<RawResponse>;

  before(async () => {
    server = await startTestServer();
    await rawRequest(server.endpoint, { method: 'PUT', path: '/wire' });
    put = (key, headers, body) => rawRequest(server.endpoint, { method: 'PUT', path: `/wire/${key}`, headers, body });
    get = (key, headers) => rawRequest(server.endpoint, { method: 'GET', path: `/wire/${key}`, ...(headers ? { headers } : {}) });
  });
  after(() => server?.close());

  test("errors are S3's XML document, with the request id in the header and the body", async () => {
    const res = await rawRequest(server.endpoint, { method: 'GET', path: '/no-such-bucket/some/key.txt' });
    assert.equal(res.status, 404);
    assert.equal(res.headers['content-type'], 'application/xml');
    assert.match(res.text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchBucket<\/Code><Message>The specified bucket does not exist<\/Message>/);
    assert.equal(xmlField(res.text, 'BucketName'), 'no-such-bucket');
    assert.equal(xmlField(res.text, 'Resource'), '/no-such-bucket/some/key.txt');
    assert.equal(xmlField(res.text, 'RequestId'), res.headers['x-amz-request-id']);
    assert.ok(xmlField(res.text, 'HostId'));
    const key = await get('missing.txt');
    assert.equal(errorCode(key), 'NoSuchKey');
    assert.equal(xmlField(key.text, 'Key'), 'missing.txt');
    const head = await rawRequest(server.endpoint, { method: 'HEAD', path: '/wire/missing.txt' });
    assert.equal(head.status, 404);
    assert.equal(head.body.length, 0, 'HEAD errors carry no body');
    assert.ok(head.headers['x-amz-request-id']);
  });

  test('unsigned aws-chunked body with a CRC32 trailer: decoded, verified, stored with its checksum', async () => {
    const data = randomBytes(200_000);
    const crc = checksumOf('CRC32', data);
    const headers = {
      'Content-Encoding': 'aws-chunked',
      'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      'x-amz-decoded-content-length': data.length,
      'x-amz-trailer': 'x-amz-checksum-crc32',
      'x-amz-sdk-checksum-algorithm': 'CRC32',
      'Content-Type': 'application/octet-stream',
    };
    const ok = await put('chunked.bin', headers, awsChunked(data, 65_536, { trailer: [`x-amz-checksum-crc32:${crc}`] }));
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.headers['x-amz-checksum-crc32'], crc);
    assert.equal(ok.headers.etag, `"${createHash('md5').update(data).digest('hex')}"`);
    const back = await get('chunked.bin', { 'x-amz-checksum-mode': 'ENABLED' });
    assert.ok(back.body.equals(data));
    assert.equal(back.headers['x-amz-checksum-crc32'], crc);
    assert.equal(back.headers['x-amz-checksum-type'], 'FULL_OBJECT');
    assert.equal(back.headers['content-encoding'], undefined);

    const wrong = await put('chunked-bad.bin', headers, awsChunked(data, 65_536, { trailer: [`x-amz-checksum-crc32:${checksumOf('CRC32', Buffer.from('x'))}`] }));
    assert.equal(wrong.status, 400);
    assert.equal(errorCode(wrong), 'BadDigest');
    assert.equal(xmlField(wrong.text, 'Message'), 'The CRC32 you specified did not match the calculated checksum.');
    assert.equal((await get('chunked-bad.bin')).status, 404, 'nothing is stored');

    const noTrailer = await put('chunked-bad.bin', headers, awsChunked(data, 65_536));
    assert.equal(errorCode(noTrailer), 'MalformedTrailerError');
    const shortBody = await put('chunked-bad.bin', { ...headers, 'x-amz-decoded-content-length': data.length + 1 }, awsChunked(data, 65_536, { trailer: [`x-amz-checksum-crc32:${crc}`] }));
    assert.equal(errorCode(shortBody), 'IncompleteBody');
    const cut = await put('chunked-bad.bin', headers, awsChunked(data, 65_536).slice(0, 4));
    assert.equal(errorCode(cut), 'IncompleteBody');
  });

  test('signed chunks (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]) are decoded; a wrong trailer is BadDigest', async () => {
    // The framing, not the chunk signatures (test/auth.test.ts verifies those): placeholder signatures, auth off.
    const off = await startTestServer({ auth: 'off' });
    after(() => off.close());
    await rawRequest(off.endpoint, { method: 'PUT', path: '/wire', sign: false });
    const put = (key: string, headers: Record<string, string | number>, body: Buffer | Buffer[]) => rawRequest(off.endpoint, { method: 'PUT', path: `/wire/${key}`, headers, body, sign: false });
    const get = (key: string) => rawRequest(off.endpoint, { method: 'GET', path: `/wire/${key}`, sign: false });
    const data = randomBytes(100_000);
    const base = { 'Content-Encoding': 'aws-chunked', 'x-amz-decoded-content-length': data.length };
    // One buffer: sent with a Content-Length of the encoded body, as signing clients do.
    const plain = await put('signed.bin', { ...base, 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' }, Buffer.concat(awsChunked(data, 8192, { signed: true })));
    assert.equal(plain.status, 200, plain.text);
    assert.ok((await get('signed.bin')).body.equals(data));
    const trailerHeaders = { ...base, 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', 'x-amz-trailer': 'x-amz-checksum-crc32c' };
    const good = await put('signed-trailer.bin', trailerHeaders, awsChunked(data, 8192, { signed: true, trailer: [`x-amz-checksum-crc32c:${checksumOf('CRC32C', data)}`, `x-amz-trailer-signature:${SIG}`] }));
    assert.equal(good.status, 200, good.text);
    assert.equal(good.headers['x-amz-checksum-crc32c'], checksumOf('CRC32C', data));
    const bad = await put('signed-trailer.bin', trailerHeaders, awsChunked(data, 8192, { signed: true, trailer: ['x-amz-checksum-crc32c:AAAAAA==', `x-amz-trailer-signature:${SIG}`] }));
    assert.equal(errorCode(bad), 'BadDigest');
  });

  test('x-amz-content-sha256 is verified when it is a real hash: XAmzContentSHA256Mismatch', async () => {
    const body = 'payload-hash';
    const right = createHash('sha256').update(body).digest('hex');
    assert.equal((await put('sha.txt', { 'x-amz-content-sha256': right }, body)).status, 200);
    const wrong = await put('sha.txt', { 'x-amz-content-sha256': 'a'.repeat(64) }, 'tampered');
    assert.equal(wrong.status, 400);
    assert.equal(errorCode(wrong), 'XAmzContentSHA256Mismatch');
    assert.equal(xmlField(wrong.text, 'ClientComputedContentSHA256'), 'a'.repeat(64));
    assert.equal(xmlField(wrong.text, 'S3ComputedContentSHA256'), createHash('sha256').update('tampered').digest('hex'));
    const stored = await get('sha.txt');
    assert.equal(stored.text, body, 'the stored object is untouched');
    assert.equal(stored.headers['content-type'], 'binary/octet-stream', "S3's default for an object stored without Content-Type");
    assert.equal(errorCode(await put('sha.txt', { 'x-amz-content-sha256': 'not-a-hash' }, body)), 'InvalidArgument');
  });

  test('Content-MD5 and x-amz-checksum-* headers: BadDigest, InvalidDigest, InvalidRequest, NotImplemented', async () => {
    const body = 'hello\n';
    const md5 = createHash('md5').update(body).digest('base64');
    assert.equal((await put('md5.txt', { 'Content-MD5': md5 }, body)).status, 200);
    assert.equal(errorCode(await put('md5.txt', { 'Content-MD5': createHash('md5').update('x').digest('base64') }, body)), 'BadDigest');
    assert.equal(errorCode(await put('md5.txt', { 'Content-MD5': 'not-md5' }, body)), 'InvalidDigest');
    assert.equal((await put('crc.txt', { 'x-amz-checksum-crc32': 'NjowIA==' }, body)).status, 200);
    const wrong = await put('crc.txt', { 'x-amz-checksum-crc32': 'AAAAAA==' }, body);
    assert.equal(errorCode(wrong), 'BadDigest');
    assert.equal(xmlField(wrong.text, 'Message'), 'The CRC32 you specified did not match the calculated checksum.');
    assert.equal(xmlField((await put('crc.txt', { 'x-amz-checksum-crc32': 'zz' }, body)).text, 'Message'), 'Value for x-amz-checksum-crc32 header is invalid.');
    assert.equal(errorCode(await put('crc.txt', { 'x-amz-checksum-crc32': 'NjowIA==', 'x-amz-checksum-sha1': checksumOf('SHA1', Buffer.from(body)) }, body)), 'InvalidRequest');
    assert.equal(errorCode(await put('crc.txt', { 'x-amz-sdk-checksum-algorithm': 'CRC32' }, body)), 'InvalidRequest');
    assert.equal(errorCode(await put('crc.txt', { 'x-amz-checksum-crc32': 'NjowIA==', 'x-amz-sdk-checksum-algorithm': 'SHA256' }, body)), 'InvalidRequest');
    const xx = await put('crc.txt', { 'x-amz-checksum-xxhash64': 'AAAAAAAAAAA=' }, body);
    assert.equal(xx.status, 501);
    assert.equal(errorCode(xx), 'NotImplemented');
  });

  test('a PUT without Content-Length is 411 MissingContentLength', async () => {
    const res = await put('nolength.txt', { 'Transfer-Encoding': 'chunked' }, [Buffer.from('a'), Buffer.from('b')]);
    assert.equal(res.status, 411);
    assert.equal(errorCode(res), 'MissingContentLength');
  });

  test('sub-resources Nimbus does not serve are 501 NotImplemented; a wrong method is 405', async () => {
    const tagging = await rawRequest(server.endpoint, { method: 'GET', path: '/wire?tagging' });
    assert.equal(tagging.status, 501);
    assert.equal(errorCode(tagging), 'NotImplemented');
    const post = await rawRequest(server.endpoint, { method: 'POST', path: '/wire/key', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(errorCode(post), 'MethodNotAllowed');
    assert.equal(xmlField(post.text, 'ResourceType'), 'OBJECT');
  });

  test('DeleteObjects needs Content-MD5 (or a checksum) and well-formed XML', async () => {
    const doc = '<Delete><Object><Key>a</Key></Object></Delete>';
    const none = await rawRequest(server.endpoint, { method: 'POST', path: '/wire?delete', body: doc });
    assert.equal(errorCode(none), 'InvalidRequest');
    const md5 = (s: string) => createHash('md5').update(s).digest('base64');
    const garbage = '<Delete><Object>';
    assert.equal(errorCode(await rawRequest(server.endpoint, { method: 'POST', path: '/wire?delete', headers: { 'Content-MD5': md5(garbage) }, body: garbage })), 'MalformedXML');
    const dtd = '<!DOCTYPE d [<!ENTITY x "y">]><Delete><Object><Key>&x;</Key></Object></Delete>';
    assert.equal(errorCode(await rawRequest(server.endpoint, { method: 'POST', path: '/wire?delete', headers: { 'Content-MD5': md5(dtd) }, body: dtd })), 'MalformedXML');
    const ok = await rawRequest(server.endpoint, { method: 'POST', path: '/wire?delete', headers: { 'Content-MD5': md5(doc) }, body: doc });
    assert.equal(ok.status, 200);
    assert.match(ok.text, /<DeleteResult xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/"><Deleted><Key>a<\/Key><\/Deleted><\/DeleteResult>/);
  });

  test('virtual-hosted style from the Host header: <bucket>.localhost and <bucket>.s3.localhost', async () => {
    await put('vh.txt', {}, 'via host');
    const port = new URL(server.endpoint).port;
    for (const host of [`wire.localhost:${port}`, `wire.s3.localhost:${port}`]) {
      const res = await rawRequest(server.endpoint, { method: 'GET', path: '/vh.txt', headers: { Host: host } });
      assert.equal(res.text, 'via host', host);
      const list = await rawRequest(server.endpoint, { method: 'GET', path: '/?list-type=2&prefix=vh', headers: { Host: host } });
      assert.equal(xmlField(list.text, 'Key'), 'vh.txt');
    }
    // A key that looks like a Lambda path is still a key when the Host names a bucket.
    const dated = await rawRequest(server.endpoint, { method: 'PUT', path: '/2015-03-31/functions', headers: { Host: `wire.localhost:${port}` }, body: 'dated key' });
    assert.equal(dated.status, 200, dated.text);
    assert.equal((await get('2015-03-31/functions')).text, 'dated key');
    // Path style is kept for a host that is exactly a suffix.
    const pathStyle = await rawRequest(server.endpoint, { method: 'GET', path: '/wire/vh.txt', headers: { Host: `s3.localhost:${port}` } });
    assert.equal(pathStyle.text, 'via host');
  });

  test('S3 answers only what Lambda and Logs do not claim', async () => {
    const lambda = await rawRequest(server.endpoint, { method: 'GET', path: '/2015-03-31/functions/' });
    assert.equal(lambda.status, 200);
    assert.ok(JSON.parse(lambda.text).Functions);
    const buckets = await rawRequest(server.endpoint, { method: 'GET', path: '/' });
    assert.match(buckets.text, /<ListAllMyBucketsResult xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/"><Owner>/);
  });
});
