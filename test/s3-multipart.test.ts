/**
 * Multipart uploads and flexible checksums through @aws-sdk/client-s3 and
 * @aws-sdk/lib-storage: S3's ETags (md5 of part md5s + "-N"), COMPOSITE and FULL_OBJECT
 * checksums, the default CRC64NVME, part limits, and each multipart error.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type ChecksumAlgorithm,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { s3Client } from './helpers/s3.ts';
import { checksumOf, compositeChecksum } from '../src/s3/checksums.ts';
import type { ObjectEvent } from '../src/s3/index.ts';

const MiB = 1024 * 1024;
const md5 = (data: Buffer) => createHash('md5').update(data).digest();
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const multipartEtag = (parts: Buffer[]) => `"${createHash('md5').update(Buffer.concat(parts.map(md5))).digest('hex')}-${parts.length}"`;

async function failure(p: Promise<unknown>): Promise<{ name: string; status: number; message: string; [k: string]: unknown }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return Object.assign({}, e, { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode ?? 0 });
  }
  throw new assert.AssertionError({ message: 'expected the call to fail' });
}

async function download(s3: S3Client, Bucket: string, Key: string): Promise<Buffer> {
  const got = await s3.send(new GetObjectCommand({ Bucket, Key }));
  return Buffer.from(await got.Body!.transformToByteArray());
}

describe('S3 multipart uploads and checksums', () => {
  let server: TestServer;
  /** Current SDK defaults: CRC32 flexible checksums on every upload. */
  let s3: S3Client;
  /** Checksums only where an operation requires one (what older SDKs and the CLI v2.9 send). */
  let plain: S3Client;
  const events: ObjectEvent[] = [];
  const data = randomBytes(12 * MiB + 123);

  before(async () => {
    server = await startTestServer();
    server.nimbus.s3.addListener({ onObjectEvent: (e) => events.push(e) });
    s3 = s3Client(server.endpoint);
    plain = s3Client(server.endpoint, { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
    await s3.send(new CreateBucketCommand({ Bucket: 'big' }));
  });
  after(async () => {
    s3?.destroy();
    plain?.destroy();
    await server?.close();
  });

  test('lib-storage Upload: 3 parts, S3 ETag, COMPOSITE CRC32 "-3", bytes intact', async () => {
    events.length = 0;
    const upload = new Upload({ client: s3, params: { Bucket: 'big', Key: 'lib/upload.bin', Body: data, ContentType: 'application/x-test', Metadata: { m: 'v' } }, partSize: 5 * MiB, queueSize: 3 });
    const done = await upload.done();
    const parts = [data.subarray(0, 5 * MiB), data.subarray(5 * MiB, 10 * MiB), data.subarray(10 * MiB)];
    assert.equal(done.ETag, multipartEtag(parts));
    const crcs = parts.map((p) => checksumOf('CRC32', p));
    assert.equal(done.ChecksumCRC32, compositeChecksum('CRC32', crcs));
    assert.match(done.ChecksumCRC32 ?? '', /-3$/);
    assert.equal(done.ChecksumType, 'COMPOSITE');
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'big', Key: 'lib/upload.bin', ChecksumMode: 'ENABLED' }));
    assert.equal(head.ContentLength, data.length);
    assert.equal(head.ContentType, 'application/x-test');
    assert.deepEqual(head.Metadata, { m: 'v' });
    assert.equal(head.ChecksumCRC32, done.ChecksumCRC32);
    assert.equal(head.ChecksumType, 'COMPOSITE');
    assert.equal(sha256(await download(s3, 'big', 'lib/upload.bin')), sha256(data));
    const ranged = await s3.send(new GetObjectCommand({ Bucket: 'big', Key: 'lib/upload.bin', Range: `bytes=${5 * MiB - 10}-${5 * MiB + 9}` }));
    assert.ok(Buffer.from(await ranged.Body!.transformToByteArray()).equals(data.subarray(5 * MiB - 10, 5 * MiB + 10)), 'a range across a part boundary');
    assert.deepEqual(events.map((e) => e.eventName), ['ObjectCreated:CompleteMultipartUpload']);
    assert.equal(events[0]!.size, data.length);
  });

  test('lib-storage with SHA256 and with CRC64NVME (FULL_OBJECT)', async () => {
    for (const [alg, type] of [['SHA256', 'COMPOSITE'], ['CRC64NVME', 'FULL_OBJECT']] as const) {
      const done = await new Upload({ client: s3, params: { Bucket: 'big', Key: `lib/${alg}`, Body: data, ChecksumAlgorithm: alg }, partSize: 5 * MiB }).done();
      assert.equal(done.ChecksumType, type, alg);
      const got = await s3.send(new GetObjectCommand({ Bucket: 'big', Key: `lib/${alg}`, ChecksumMode: 'ENABLED' }));
      // The SDK verifies a FULL_OBJECT checksum of the whole body as it reads it.
      assert.equal(sha256(Buffer.from(await got.Body!.transformToByteArray())), sha256(data));
      if (alg === 'CRC64NVME') assert.equal(got.ChecksumCRC64NVME, checksumOf('CRC64NVME', data));
      else assert.match(got.ChecksumSHA256 ?? '', /-3$/);
    }
  });

  test('without a checksum algorithm: md5-of-md5s ETag and the default FULL_OBJECT CRC64NVME', async () => {
    const { UploadId } = await plain.send(new CreateMultipartUploadCommand({ Bucket: 'big', Key: 'raw/plain.bin' }));
    const p1 = data.subarray(0, 5 * MiB);
    const p2 = data.subarray(5 * MiB, 6 * MiB);
    const r1 = await plain.send(new UploadPartCommand({ Bucket: 'big', Key: 'raw/plain.bin', UploadId, PartNumber: 1, Body: p1 }));
    const r2 = await plain.send(new UploadPartCommand({ Bucket: 'big', Key: 'raw/plain.bin', UploadId, PartNumber: 2, Body: p2 }));
    assert.equal(r1.ETag, `"${md5(p1).toString('hex')}"`);
    const page1 = await plain.send(new ListPartsCommand({ Bucket: 'big', Key: 'raw/plain.bin', UploadId, MaxParts: 1 }));
    assert.deepEqual(page1.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag]), [[1, p1.length, r1.ETag]]);
    assert.equal(page1.IsTruncated, true);
    const page2 = await plain.send(new ListPartsCommand({ Bucket: 'big', Key: 'raw/plain.bin', UploadId, PartNumberMarker: page1.NextPartNumberMarker }));
    assert.deepEqual(page2.Parts?.map((p) => p.PartNumber), [2]);
    assert.equal(page2.IsTruncated, false);
    const uploads = await plain.send(new ListMultipartUploadsCommand({ Bucket: 'big' }));
    assert.ok(uploads.Uploads?.some((u) => u.UploadId === UploadId && u.Key === 'raw/plain.bin'));
    const done = await plain.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'big',
        Key: 'raw/plain.bin',
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: r1.ETag }, { PartNumber: 2, ETag: r2.ETag }] },
      }),
    );
    assert.equal(done.ETag, multipartEtag([p1, p2]));
    assert.equal(done.Key, 'raw/plain.bin');
    assert.match(done.Location ?? '', /\/big\/raw\/plain\.bin$/);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'big', Key: 'raw/plain.bin', ChecksumMode: 'ENABLED' }));
    assert.equal(head.ChecksumCRC64NVME, checksumOf('CRC64NVME', Buffer.concat([p1, p2])));
    assert.equal(head.ChecksumType, 'FULL_OBJECT');
    const gone = await failure(plain.send(new ListPartsCommand({ Bucket: 'big', Key: 'raw/plain.bin', UploadId })));
    assert.equal(gone.name, 'NoSuchUpload');
  });

  test('FULL_OBJECT CRC32: parts may omit checksums; the complete call verifies the whole-object CRC', async () => {
    const full = data.subarray(0, 6 * MiB);
    const expected = checksumOf('CRC32', full);
    for (const sent of [expected, checksumOf('CRC32', Buffer.from('wrong'))]) {
      const { UploadId, ChecksumType } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'big', Key: 'raw/full', ChecksumAlgorithm: 'CRC32', ChecksumType: 'FULL_OBJECT' }));
      assert.equal(ChecksumType, 'FULL_OBJECT');
      const a = await s3.send(new UploadPartCommand({ Bucket: 'big', Key: 'raw/full', UploadId, PartNumber: 1, Body: full.subarray(0, 5 * MiB) }));
      const b = await plain.send(new UploadPartCommand({ Bucket: 'big', Key: 'raw/full', UploadId, PartNumber: 2, Body: full.subarray(5 * MiB) }));
      const complete = s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'big',
          Key: 'raw/full',
          UploadId,
          ChecksumCRC32: sent,
          ChecksumType: 'FULL_OBJECT',
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: a.ETag, ChecksumCRC32: a.ChecksumCRC32 }, { PartNumber: 2, ETag: b.ETag }] },
        }),
      );
      if (sent === expected) {
        const done = await complete;
        assert.equal(done.ChecksumCRC32, expected);
        assert.equal(done.ChecksumType, 'FULL_OBJECT');
      } else {
        const bad = await failure(complete);
        assert.equal(bad.name, 'BadDigest');
        await s3.send(new AbortMultipartUploadCommand({ Bucket: 'big', Key: 'raw/full', UploadId }));
      }
    }
  });

  test('EntityTooSmall, InvalidPartOrder, InvalidPart, NoSuchUpload, part numbers 1..10000', async () => {
    const key = 'raw/errors';
    const { UploadId } = await plain.send(new CreateMultipartUploadCommand({ Bucket: 'big', Key: key }));
    const small = Buffer.alloc(MiB, 1);
    const e1 = await plain.send(new UploadPartCommand({ Bucket: 'big', Key: key, UploadId, PartNumber: 1, Body: small }));
    const e2 = await plain.send(new UploadPartCommand({ Bucket: 'big', Key: key, UploadId, PartNumber: 2, Body: small }));
    const parts = (list: [number, string | undefined][]) => ({ Parts: list.map(([PartNumber, ETag]) => ({ PartNumber, ETag })) });
    const complete = (list: [number, string | undefined][]) => plain.send(new CompleteMultipartUploadCommand({ Bucket: 'big', Key: key, UploadId, MultipartUpload: parts(list) }));

    const tooSmall = await failure(complete([[1, e1.ETag], [2, e2.ETag]]));
    assert.equal(tooSmall.name, 'EntityTooSmall');
    assert.equal(tooSmall.status, 400);
    const order = await failure(complete([[2, e2.ETag], [1, e1.ETag]]));
    assert.equal(order.name, 'InvalidPartOrder');
    const wrongEtag = await failure(complete([[1, '"00000000000000000000000000000000"']]));
    assert.equal(wrongEtag.name, 'InvalidPart');
    const missing = await failure(complete([[1, e1.ETag], [3, e1.ETag]]));
    assert.equal(missing.name, 'InvalidPart');
    // The last part may be small: part 2 alone completes.
    for (const n of [0, 10001]) {
      const bad = await failure(plain.send(new UploadPartCommand({ Bucket: 'big', Key: key, UploadId, PartNumber: n, Body: small })));
      assert.equal(bad.name, 'InvalidArgument', String(n));
    }
    await plain.send(new UploadPartCommand({ Bucket: 'big', Key: key, UploadId, PartNumber: 10000, Body: 'last' }));
    await plain.send(new AbortMultipartUploadCommand({ Bucket: 'big', Key: key, UploadId }));
    for (const call of [
      () => complete([[1, e1.ETag]]),
      () => plain.send(new UploadPartCommand({ Bucket: 'big', Key: key, UploadId, PartNumber: 1, Body: small })),
      () => plain.send(new AbortMultipartUploadCommand({ Bucket: 'big', Key: key, UploadId })),
      () => plain.send(new ListPartsCommand({ Bucket: 'big', Key: key, UploadId: 'not-an-upload' })),
    ]) {
      const e = await failure(call());
      assert.equal(e.name, 'NoSuchUpload');
      assert.equal(e.status, 404);
    }
    assert.equal((await failure(plain.send(new HeadObjectCommand({ Bucket: 'big', Key: key })))).status, 404);
  });

  test('part checksums must use the upload algorithm, as S3 requires', async () => {
    const { UploadId } = await plain.send(new CreateMultipartUploadCommand({ Bucket: 'big', Key: 'raw/mismatch' }));
    // Current SDKs add CRC32 to UploadPart by default: S3 refuses it for an upload created without one.
    const e = await failure(s3.send(new UploadPartCommand({ Bucket: 'big', Key: 'raw/mismatch', UploadId, PartNumber: 1, Body: 'x' })));
    assert.equal(e.name, 'InvalidRequest');
    assert.match(e.message, /expected checksum Type: null, actual checksum Type: crc32/);
    const { UploadId: withSha } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'big', Key: 'raw/mismatch', ChecksumAlgorithm: 'SHA256' }));
    const none = await failure(plain.send(new UploadPartCommand({ Bucket: 'big', Key: 'raw/mismatch', UploadId: withSha, PartNumber: 1, Body: 'x' })));
    assert.match(none.message, /expected checksum Type: sha256, actual checksum Type: null/);
    for (const [alg, type] of [['CRC64NVME', 'COMPOSITE'], ['SHA256', 'FULL_OBJECT']] as const) {
      const bad = await failure(s3.send(new CreateMultipartUploadCommand({ Bucket: 'big', Key: 'raw/mismatch', ChecksumAlgorithm: alg, ChecksumType: type })));
      assert.equal(bad.name, 'InvalidRequest', `${alg} ${type}`);
    }
  });

  test('UploadPartCopy assembles an object from ranges of another', async () => {
    const source = data.subarray(0, 7 * MiB);
    await s3.send(new PutObjectCommand({ Bucket: 'big', Key: 'copy/source', Body: source }));
    const { UploadId } = await plain.send(new CreateMultipartUploadCommand({ Bucket: 'big', Key: 'copy/target' }));
    const c1 = await plain.send(new UploadPartCopyCommand({ Bucket: 'big', Key: 'copy/target', UploadId, PartNumber: 1, CopySource: 'big/copy/source', CopySourceRange: `bytes=0-${5 * MiB - 1}` }));
    const c2 = await plain.send(new UploadPartCopyCommand({ Bucket: 'big', Key: 'copy/target', UploadId, PartNumber: 2, CopySource: 'big/copy/source', CopySourceRange: `bytes=${5 * MiB}-${7 * MiB - 1}` }));
    assert.equal(c1.CopyPartResult?.ETag, `"${md5(source.subarray(0, 5 * MiB)).toString('hex')}"`);
    const bad = await failure(plain.send(new UploadPartCopyCommand({ Bucket: 'big', Key: 'copy/target', UploadId, PartNumber: 3, CopySource: 'big/copy/source', CopySourceRange: `bytes=0-${8 * MiB}` })));
    assert.equal(bad.name, 'InvalidArgument');
    await plain.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'big',
        Key: 'copy/target',
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: c1.CopyPartResult?.ETag }, { PartNumber: 2, ETag: c2.CopyPartResult?.ETag }] },
      }),
    );
    assert.equal(sha256(await download(s3, 'big', 'copy/target')), sha256(source));
  });

  test('PutObject with each checksum algorithm: stored, returned with ChecksumMode, and a wrong one is BadDigest', async () => {
    const body = Buffer.from('checksummed body');
    for (const alg of ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as ChecksumAlgorithm[]) {
      const put = await s3.send(new PutObjectCommand({ Bucket: 'big', Key: `sum/${alg}`, Body: body, ChecksumAlgorithm: alg }));
      const member = `Checksum${alg}` as 'ChecksumCRC32';
      assert.equal(put[member], checksumOf(alg as 'CRC32', body), alg);
      const got = await s3.send(new GetObjectCommand({ Bucket: 'big', Key: `sum/${alg}`, ChecksumMode: 'ENABLED' }));
      assert.equal(got[member], put[member]);
      assert.equal(got.ChecksumType, 'FULL_OBJECT');
      assert.equal(await got.Body!.transformToString(), body.toString());
      const wrong = await failure(s3.send(new PutObjectCommand({ Bucket: 'big', Key: `sum/${alg}-bad`, Body: body, [member]: checksumOf(alg as 'CRC32', Buffer.from('other')) })));
      assert.equal(wrong.name, 'BadDigest', alg);
      assert.equal(wrong.message, `The ${alg} you specified did not match the calculated checksum.`);
    }
    // Without ChecksumMode no checksum is sent back.
    const quiet = await plain.send(new HeadObjectCommand({ Bucket: 'big', Key: 'sum/SHA1' }));
    assert.equal(quiet.ChecksumSHA1, undefined);
  });
});
