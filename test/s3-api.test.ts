/**
 * The S3 API through @aws-sdk/client-s3, path style and virtual-hosted style: buckets,
 * objects with their metadata, ranges, conditional reads, listings, copies, and each
 * error S3 answers them with.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { s3Client } from './helpers/s3.ts';
import type { ObjectEvent } from '../src/s3/index.ts';

const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');

/** The error an SDK call fails with (name, status, and the parsed XML members). */
async function failure(p: Promise<unknown>): Promise<{ name: string; status: number; message: string; [k: string]: unknown }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return Object.assign({}, e, { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode ?? 0 });
  }
  throw new assert.AssertionError({ message: 'expected the call to fail' });
}

describe('S3 API with @aws-sdk/client-s3', () => {
  let server: TestServer;
  let s3: S3Client;
  const events: ObjectEvent[] = [];

  before(async () => {
    server = await startTestServer();
    server.nimbus.s3.addListener({ onObjectEvent: (e) => events.push(e) });
    s3 = s3Client(server.endpoint);
    await s3.send(new CreateBucketCommand({ Bucket: 'photos' }));
  });
  after(async () => {
    s3?.destroy();
    await server?.close();
  });

  test('bucket lifecycle: create, head, list, location, delete; us-east-1 re-create is 200', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'scratch-1' }));
    const head = await s3.send(new HeadBucketCommand({ Bucket: 'scratch-1' }));
    assert.equal(head.BucketRegion, 'us-east-1');
    const list = await s3.send(new ListBucketsCommand({}));
    assert.ok(list.Buckets?.some((b) => b.Name === 'scratch-1' && b.CreationDate instanceof Date));
    assert.match(list.Owner?.ID ?? '', /^[0-9a-f]{64}$/);
    const loc = await s3.send(new GetBucketLocationCommand({ Bucket: 'scratch-1' }));
    assert.equal(loc.LocationConstraint, undefined);
    // For legacy compatibility S3 answers 200 in us-east-1 to re-creating a bucket you own.
    await s3.send(new CreateBucketCommand({ Bucket: 'scratch-1' }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'scratch-1' }));
    const gone = await failure(s3.send(new HeadBucketCommand({ Bucket: 'scratch-1' })));
    assert.equal(gone.status, 404);
  });

  test('bucket errors: InvalidBucketName, NoSuchBucket, BucketNotEmpty, InvalidLocationConstraint', async () => {
    for (const bad of ['ab', 'Upper-Case', 'has_underscore', '192.168.1.1', 'a..b']) {
      const e = await failure(s3.send(new CreateBucketCommand({ Bucket: bad })));
      assert.equal(e.name, 'InvalidBucketName', bad);
      assert.equal(e.status, 400);
      assert.equal(e.BucketName, bad);
    }
    const missing = await failure(s3.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' })));
    assert.equal(missing.name, 'NoSuchBucket');
    assert.equal(missing.status, 404);
    assert.equal(missing.BucketName, 'no-such-bucket');
    assert.equal((await failure(s3.send(new DeleteBucketCommand({ Bucket: 'no-such-bucket' })))).name, 'NoSuchBucket');
    await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'keep.txt', Body: 'x' }));
    const notEmpty = await failure(s3.send(new DeleteBucketCommand({ Bucket: 'photos' })));
    assert.equal(notEmpty.name, 'BucketNotEmpty');
    assert.equal(notEmpty.status, 409);
    const constraint = await failure(s3.send(new CreateBucketCommand({ Bucket: 'east-explicit', CreateBucketConfiguration: { LocationConstraint: 'us-east-1' as never } })));
    assert.equal(constraint.name, 'InvalidLocationConstraint');
  });

  test('PutObject / GetObject / HeadObject keep Content-Type, headers and user metadata; ETag is the MD5', async () => {
    const body = 'hello, nimbus';
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'photos',
        Key: 'docs/hello.txt',
        Body: body,
        ContentType: 'text/plain; charset=utf-8',
        CacheControl: 'max-age=60',
        ContentDisposition: 'attachment; filename="hello.txt"',
        ContentLanguage: 'en',
        Metadata: { author: 'ada', 'Mixed-Case': 'kept' },
      }),
    );
    assert.equal(put.ETag, `"${md5(body)}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'docs/hello.txt' }));
    assert.equal(await got.Body!.transformToString(), body);
    assert.equal(got.ContentType, 'text/plain; charset=utf-8');
    assert.equal(got.CacheControl, 'max-age=60');
    assert.equal(got.ContentDisposition, 'attachment; filename="hello.txt"');
    assert.equal(got.ContentLanguage, 'en');
    assert.deepEqual(got.Metadata, { author: 'ada', 'mixed-case': 'kept' });
    assert.equal(got.ContentLength, body.length);
    assert.equal(got.ETag, put.ETag);
    assert.equal(got.AcceptRanges, 'bytes');
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'photos', Key: 'docs/hello.txt' }));
    assert.equal(head.ContentLength, body.length);
    assert.deepEqual(head.Metadata, { author: 'ada', 'mixed-case': 'kept' });
    assert.ok(head.LastModified instanceof Date && Math.abs(head.LastModified.getTime() - Date.now()) < 5000);
    const override = await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'docs/hello.txt', ResponseContentType: 'application/json', ResponseCacheControl: 'no-store' }));
    assert.equal(override.ContentType, 'application/json');
    assert.equal(override.CacheControl, 'no-store');
    await override.Body!.transformToString();
  });

  test('an empty object round-trips with the MD5 of nothing as its ETag', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'empty', Body: Buffer.alloc(0) }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'empty' }));
    assert.equal((await got.Body!.transformToByteArray()).length, 0);
    assert.equal(got.ETag, `"${md5('')}"`);
  });

  test('Range requests: first bytes, suffix, open end, past the end is 416 InvalidRange', async () => {
    const data = Buffer.from('0123456789abcdefghij');
    await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'range.bin', Body: data }));
    const cases: [string, string, string][] = [
      ['bytes=0-4', '01234', 'bytes 0-4/20'],
      ['bytes=-3', 'hij', 'bytes 17-19/20'],
      ['bytes=15-', 'fghij', 'bytes 15-19/20'],
      ['bytes=10-100', 'abcdefghij', 'bytes 10-19/20'],
    ];
    for (const [range, expected, contentRange] of cases) {
      const r = await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'range.bin', Range: range }));
      assert.equal(r.$metadata.httpStatusCode, 206, range);
      assert.equal(await r.Body!.transformToString(), expected, range);
      assert.equal(r.ContentRange, contentRange);
      assert.equal(r.ContentLength, expected.length);
      assert.equal(r.ChecksumCRC32, undefined, 'no whole-object checksum on a partial body');
    }
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'photos', Key: 'range.bin', Range: 'bytes=2-3' }));
    assert.equal(head.ContentLength, 2);
    assert.equal(head.ContentRange, 'bytes 2-3/20');
    const bad = await failure(s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'range.bin', Range: 'bytes=20-' })));
    assert.equal(bad.name, 'InvalidRange');
    assert.equal(bad.status, 416);
  });

  test('conditional reads: If-None-Match is 304, If-Match mismatch is PreconditionFailed', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'cond.txt', Body: 'v1' }));
    const notModified = await failure(s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'cond.txt', IfNoneMatch: put.ETag })));
    assert.equal(notModified.status, 304);
    const pre = await failure(s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'cond.txt', IfMatch: '"0000"' })));
    assert.equal(pre.name, 'PreconditionFailed');
    assert.equal(pre.status, 412);
    const ok = await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'cond.txt', IfMatch: put.ETag }));
    assert.equal(await ok.Body!.transformToString(), 'v1');
    const create = await failure(s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'cond.txt', Body: 'v2', IfNoneMatch: '*' })));
    assert.equal(create.name, 'PreconditionFailed');
  });

  test('NoSuchKey on GET and HEAD (404); DeleteObject of a missing key is 204; KeyTooLongError', async () => {
    const get = await failure(s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'nope/never' })));
    assert.equal(get.name, 'NoSuchKey');
    assert.equal(get.status, 404);
    assert.equal(get.Key, 'nope/never');
    const head = await failure(s3.send(new HeadObjectCommand({ Bucket: 'photos', Key: 'nope/never' })));
    assert.equal(head.status, 404);
    const del = await s3.send(new DeleteObjectCommand({ Bucket: 'photos', Key: 'nope/never' }));
    assert.equal(del.$metadata.httpStatusCode, 204);
    const long = await failure(s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'k'.repeat(1025), Body: 'x' })));
    assert.equal(long.name, 'KeyTooLongError');
    const meta = await failure(s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'meta', Body: 'x', Metadata: { big: 'v'.repeat(2100) } })));
    assert.equal(meta.name, 'MetadataTooLarge');
  });

  test('keys with spaces, unicode, plus signs, dot segments and double slashes round-trip', async () => {
    const keys = ['with space.txt', 'ünïcødé/文件.txt', 'a+b=c&d.txt', 'dots/../still/./here', 'double//slash', '%41literal-percent'];
    for (const key of keys) {
      await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: `odd/${key}`, Body: key }));
      const got = await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: `odd/${key}` }));
      assert.equal(await got.Body!.transformToString(), key);
    }
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'photos', Prefix: 'odd/' }));
    assert.deepEqual(listed.Contents?.map((c) => c.Key).sort(), keys.map((k) => `odd/${k}`).sort());
    const encoded = await s3.send(new ListObjectsV2Command({ Bucket: 'photos', Prefix: 'odd/', EncodingType: 'url' }));
    assert.ok(encoded.Contents?.some((c) => c.Key === 'odd/with%20space.txt'));
    assert.ok(encoded.Contents?.some((c) => c.Key === 'odd/a%2Bb%3Dc%26d.txt'));
  });

  test('ListObjectsV2: prefix, delimiter, pages through continuation tokens, StartAfter', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'listing' }));
    const keys = ['a.txt', 'b/1', 'b/2', 'b/3', 'c/x/1', 'c/y', 'd.txt', 'e.txt'];
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: 'listing', Key: key, Body: key }));
    const top = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Delimiter: '/' }));
    assert.deepEqual(top.Contents?.map((c) => c.Key), ['a.txt', 'd.txt', 'e.txt']);
    assert.deepEqual(top.CommonPrefixes?.map((p) => p.Prefix), ['b/', 'c/']);
    assert.equal(top.KeyCount, 5);
    assert.equal(top.IsTruncated, false);
    const sub = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'c/', Delimiter: '/' }));
    assert.deepEqual(sub.Contents?.map((c) => c.Key), ['c/y']);
    assert.deepEqual(sub.CommonPrefixes?.map((p) => p.Prefix), ['c/x/']);
    const pages: string[][] = [];
    for await (const page of paginateListObjectsV2({ client: s3, pageSize: 2 }, { Bucket: 'listing', Delimiter: '/' })) {
      pages.push([...(page.Contents ?? []).map((c) => c.Key!), ...(page.CommonPrefixes ?? []).map((p) => p.Prefix!)]);
      assert.ok((page.KeyCount ?? 0) <= 2);
    }
    assert.deepEqual(pages.flat().sort(), ['a.txt', 'b/', 'c/', 'd.txt', 'e.txt']);
    assert.equal(pages.length, 3);
    const flat = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', StartAfter: 'b/2', MaxKeys: 3 }));
    assert.deepEqual(flat.Contents?.map((c) => c.Key), ['b/3', 'c/x/1', 'c/y']);
    assert.equal(flat.IsTruncated, true);
    assert.ok(flat.NextContinuationToken);
    const first = flat.Contents![0]!;
    assert.equal(first.Size, 3);
    assert.equal(first.ETag, `"${md5('b/3')}"`);
    assert.equal(first.StorageClass, 'STANDARD');
    const v1 = await s3.send(new ListObjectsCommand({ Bucket: 'listing', Delimiter: '/', MaxKeys: 2 }));
    assert.deepEqual(v1.Contents?.map((c) => c.Key), ['a.txt']);
    assert.equal(v1.NextMarker, 'b/');
    const v1next = await s3.send(new ListObjectsCommand({ Bucket: 'listing', Delimiter: '/', Marker: v1.NextMarker }));
    assert.deepEqual(v1next.CommonPrefixes?.map((p) => p.Prefix), ['c/']);
    const badToken = await failure(s3.send(new ListObjectsV2Command({ Bucket: 'listing', ContinuationToken: '!!' })));
    assert.equal(badToken.name, 'InvalidArgument');
  });

  test('DeleteObjects removes many keys in one call (and says so unless Quiet)', async () => {
    for (const k of ['x/1', 'x/2', 'x/3']) await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: k, Body: k }));
    const res = await s3.send(new DeleteObjectsCommand({ Bucket: 'photos', Delete: { Objects: [{ Key: 'x/1' }, { Key: 'x/2' }, { Key: 'x/never' }] } }));
    assert.deepEqual(res.Deleted?.map((d) => d.Key).sort(), ['x/1', 'x/2', 'x/never']);
    const quiet = await s3.send(new DeleteObjectsCommand({ Bucket: 'photos', Delete: { Objects: [{ Key: 'x/3' }], Quiet: true } }));
    assert.equal(quiet.Deleted, undefined);
    const left = await s3.send(new ListObjectsV2Command({ Bucket: 'photos', Prefix: 'x/' }));
    assert.equal(left.KeyCount, 0);
  });

  test('CopyObject: across buckets, metadata COPY and REPLACE, conditions, copy onto itself', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'copies' }));
    const src = await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'orig.txt', Body: 'original', ContentType: 'text/plain', Metadata: { a: '1' } }));
    const copied = await s3.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'dup.txt', CopySource: 'photos/orig.txt' }));
    assert.equal(copied.CopyObjectResult?.ETag, src.ETag);
    assert.ok(copied.CopyObjectResult?.LastModified instanceof Date);
    const dup = await s3.send(new GetObjectCommand({ Bucket: 'copies', Key: 'dup.txt' }));
    assert.equal(await dup.Body!.transformToString(), 'original');
    assert.equal(dup.ContentType, 'text/plain');
    assert.deepEqual(dup.Metadata, { a: '1' });
    await s3.send(
      new CopyObjectCommand({ Bucket: 'copies', Key: 'replaced.txt', CopySource: '/photos/orig.txt', MetadataDirective: 'REPLACE', ContentType: 'text/markdown', Metadata: { b: '2' } }),
    );
    const replaced = await s3.send(new HeadObjectCommand({ Bucket: 'copies', Key: 'replaced.txt' }));
    assert.equal(replaced.ContentType, 'text/markdown');
    assert.deepEqual(replaced.Metadata, { b: '2' });
    // Overwriting the source leaves the copy's bytes alone (copies share nothing visible).
    await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'orig.txt', Body: 'changed' }));
    assert.equal(await (await s3.send(new GetObjectCommand({ Bucket: 'copies', Key: 'dup.txt' }))).Body!.transformToString(), 'original');
    const self = await failure(s3.send(new CopyObjectCommand({ Bucket: 'photos', Key: 'orig.txt', CopySource: 'photos/orig.txt' })));
    assert.equal(self.name, 'InvalidRequest');
    await s3.send(new CopyObjectCommand({ Bucket: 'photos', Key: 'orig.txt', CopySource: 'photos/orig.txt', MetadataDirective: 'REPLACE', Metadata: { new: 'yes' } }));
    const missing = await failure(s3.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'x', CopySource: 'photos/does-not-exist' })));
    assert.equal(missing.name, 'NoSuchKey');
    const cond = await failure(s3.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'x', CopySource: 'photos/orig.txt', CopySourceIfMatch: '"abc"' })));
    assert.equal(cond.name, 'PreconditionFailed');
    const noBucket = await failure(s3.send(new CopyObjectCommand({ Bucket: 'no-such-bucket', Key: 'x', CopySource: 'photos/orig.txt' })));
    assert.equal(noBucket.name, 'NoSuchBucket');
  });

  test('streamed bodies with a known length (aws-chunked with a CRC32 trailer) are stored exactly', async () => {
    const file = path.join(server.dataDir, 'stream-src.bin');
    const data = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    for (let i = 0; i < data.length; i += 4096) data[i] = i % 251;
    fs.writeFileSync(file, data);
    const seen: Record<string, string>[] = [];
    const client = s3Client(server.endpoint);
    client.middlewareStack.add((next) => async (args) => {
      seen.push({ ...(args.request as { headers: Record<string, string> }).headers });
      return next(args);
    }, { step: 'finalizeRequest', name: 'captureHeaders' });
    try {
      const put = await client.send(new PutObjectCommand({ Bucket: 'photos', Key: 'streamed.bin', Body: fs.createReadStream(file), ContentLength: data.length }));
      assert.equal(seen[0]?.['content-encoding'], 'aws-chunked');
      assert.equal(seen[0]?.['x-amz-content-sha256'], 'STREAMING-UNSIGNED-PAYLOAD-TRAILER');
      assert.equal(put.ETag, `"${md5(data)}"`);
      assert.ok(put.ChecksumCRC32);
      const got = await client.send(new GetObjectCommand({ Bucket: 'photos', Key: 'streamed.bin', ChecksumMode: 'ENABLED' }));
      assert.equal(got.ChecksumCRC32, put.ChecksumCRC32);
      assert.equal(got.ContentEncoding, undefined, 'aws-chunked is framing, not stored');
      assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(data));
    } finally {
      client.destroy();
    }
  });

  test('events: ObjectCreated:Put/Copy and ObjectRemoved:Delete, in order, after the change', async () => {
    events.length = 0;
    await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'ev.txt', Body: 'e' }));
    await s3.send(new CopyObjectCommand({ Bucket: 'photos', Key: 'ev-copy.txt', CopySource: 'photos/ev.txt' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'photos', Key: 'ev.txt' }));
    assert.deepEqual(
      events.map((e) => [e.eventName, e.key]),
      [
        ['ObjectCreated:Put', 'ev.txt'],
        ['ObjectCreated:Copy', 'ev-copy.txt'],
        ['ObjectRemoved:Delete', 'ev.txt'],
      ],
    );
    assert.equal(events[0]!.size, 1);
    assert.equal(events[0]!.eTag, md5('e'));
    assert.equal(events[0]!.bucket, 'photos');
    assert.equal(events[0]!.region, 'us-east-1');
    assert.match(events[0]!.requestId, /^[0-9A-F]{16}$/);
    assert.ok(events[0]!.sequencer < events[2]!.sequencer);
  });
});

describe('S3 virtual-hosted-style addressing with @aws-sdk/client-s3', () => {
  let server: TestServer;
  let s3: S3Client;
  const hosts: string[] = [];

  before(async () => {
    server = await startTestServer();
    s3 = s3Client(server.endpoint, { virtualHost: true });
    s3.middlewareStack.add((next) => async (args) => {
      const req = args.request as { hostname: string; port?: number; path: string };
      hosts.push(`${req.hostname} ${req.path}`);
      return next(args);
    }, { step: 'finalizeRequest', name: 'captureHost' });
  });
  after(async () => {
    s3?.destroy();
    await server?.close();
  });

  test('the SDK sends Host <bucket>.localhost:<port> and every call works on it', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'vhost-bucket' }));
    assert.equal(hosts[0], 'vhost-bucket.localhost /');
    await s3.send(new PutObjectCommand({ Bucket: 'vhost-bucket', Key: 'dir/file.txt', Body: 'virtual', Metadata: { via: 'host' } }));
    assert.equal(hosts[1], 'vhost-bucket.localhost /dir/file.txt');
    const got = await s3.send(new GetObjectCommand({ Bucket: 'vhost-bucket', Key: 'dir/file.txt' }));
    assert.equal(await got.Body!.transformToString(), 'virtual');
    assert.deepEqual(got.Metadata, { via: 'host' });
    const list = await s3.send(new ListObjectsV2Command({ Bucket: 'vhost-bucket', Delimiter: '/' }));
    assert.deepEqual(list.CommonPrefixes?.map((p) => p.Prefix), ['dir/']);
    await s3.send(new CopyObjectCommand({ Bucket: 'vhost-bucket', Key: 'copy.txt', CopySource: 'vhost-bucket/dir/file.txt' }));
    const missing = await failure(s3.send(new GetObjectCommand({ Bucket: 'vhost-bucket', Key: 'nope' })));
    assert.equal(missing.name, 'NoSuchKey');
    // The same object is there path style.
    const pathStyle = s3Client(server.endpoint);
    try {
      const same = await pathStyle.send(new GetObjectCommand({ Bucket: 'vhost-bucket', Key: 'copy.txt' }));
      assert.equal(await same.Body!.transformToString(), 'virtual');
    } finally {
      pathStyle.destroy();
    }
    await s3.send(new DeleteObjectsCommand({ Bucket: 'vhost-bucket', Delete: { Objects: [{ Key: 'dir/file.txt' }, { Key: 'copy.txt' }] } }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'vhost-bucket' }));
    assert.ok(hosts.every((h) => h.startsWith('vhost-bucket.localhost ')), hosts.join('\n'));
  });
});

describe('S3 outside us-east-1, and with a small PUT limit', () => {
  let server: TestServer;
  let s3: S3Client;

  before(async () => {
    server = await startTestServer({ region: 'eu-west-1', s3: { putObjectMaxBytes: 1024 } });
    s3 = s3Client(server.endpoint, { region: 'eu-west-1' });
  });
  after(async () => {
    s3?.destroy();
    await server?.close();
  });

  test('BucketAlreadyOwnedByYou (409) and IllegalLocationConstraintException', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'euro', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    const again = await failure(s3.send(new CreateBucketCommand({ Bucket: 'euro' })));
    assert.equal(again.name, 'BucketAlreadyOwnedByYou');
    assert.equal(again.status, 409);
    const elsewhere = await failure(s3.send(new CreateBucketCommand({ Bucket: 'other', CreateBucketConfiguration: { LocationConstraint: 'ap-south-1' } })));
    assert.equal(elsewhere.name, 'IllegalLocationConstraintException');
    assert.equal((await s3.send(new GetBucketLocationCommand({ Bucket: 'euro' }))).LocationConstraint, 'eu-west-1');
  });

  test('EntityTooLarge past the configured single-PUT limit; at the limit it is stored', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'euro', Key: 'fits', Body: Buffer.alloc(1024, 1) }));
    const big = await failure(s3.send(new PutObjectCommand({ Bucket: 'euro', Key: 'too-big', Body: Buffer.alloc(1025, 1) })));
    assert.equal(big.name, 'EntityTooLarge');
    assert.equal(big.status, 400);
    assert.equal(big.MaxSizeAllowed, '1024');
    const streamed = await failure(
      s3.send(new PutObjectCommand({ Bucket: 'euro', Key: 'too-big', Body: fs.createReadStream(process.execPath, { end: 4095 }), ContentLength: 4096 })),
    );
    assert.equal(streamed.name, 'EntityTooLarge');
    const head = await failure(s3.send(new HeadObjectCommand({ Bucket: 'euro', Key: 'too-big' })));
    assert.equal(head.status, 404);
  });
});
