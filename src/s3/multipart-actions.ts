import { createHash, randomBytes } from 'node:crypto';
import { S3Errors } from '../errors/index.ts';
import type { UploadRecord } from '../storage/index.ts';
import { checksumHeader, checksumMember, createDigest, isValidChecksumValue, type ChecksumAlgorithm, type ChecksumType } from './checksums.ts';
import type { ObjectCall, S3Action } from './context.ts';
import { H } from './headers.ts';
import { assertValidKey } from './names.ts';
import { checkCopySourceConditions, parseCopySource, requestedAlgorithm, xmlReply } from './object-actions.ts';
import type { CompletedPartRequest, ObjectService } from './object-service.ts';
import { planBody, readVerifiedBody } from './request-body.ts';
import { checksumMembers, intParam, isoDate, objectHeadersFrom, ownerOf, quoteEtag } from './wire.ts';
import { parseXmlBody, renderXml, xmlText } from './xml.ts';

/** Part numbers are 1..10,000 (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html). */
const MAX_PART_NUMBER = 10_000;
/** A CompleteMultipartUpload document for 10,000 parts with checksums stays well under this. */
const COMPLETE_BODY_MAX = 4 * 1024 * 1024;

export function multipartActions(objects: ObjectService, accountId: string): S3Action[] {
  const owner = ownerOf(accountId);
  return [
    // CreateMultipartUpload
    {
      operation: 'CreateMultipartUpload',
      target: 'object',
      async handle(call) {
        assertValidKey(call.key);
        objects.requireBucket(call.bucket);
        const headers = objectHeadersFrom(call);
        const algorithm = requestedAlgorithm(call);
        const checksumType = uploadChecksumType(algorithm, call.header(H.checksumType));
        const upload = objects.createUpload({
          uploadId: randomBytes(36).toString('base64url'),
          bucket: call.bucket,
          key: call.key,
          ...headers,
          ...(algorithm ? { checksumAlgorithm: algorithm, checksumType } : {}),
        });
        return xmlReply(renderXml('InitiateMultipartUploadResult', { Bucket: call.bucket, Key: call.key, UploadId: upload.uploadId }), 200, {
          ...(algorithm ? { [H.checksumAlgorithm]: algorithm, [H.checksumType]: checksumType! } : {}),
        });
      },
    },
    // UploadPart
    {
      operation: 'UploadPart',
      target: 'object',
      async handle(call) {
        const partNumber = partNumberOf(call);
        const upload = objects.requireUpload(call.bucket, call.key, call.query.get('uploadId')!);
        const plan = planBody(call.req, objects.limits.putObjectMaxBytes);
        checkPartAlgorithm(upload, plan.checksum?.algorithm);
        const algorithm = upload.checksumAlgorithm as ChecksumAlgorithm | undefined;
        const body = await objects.ingest(call.req, plan, { maxBytes: objects.limits.putObjectMaxBytes, ...(algorithm ? { algorithm } : {}) });
        const part = await objects.commitPart(
          { uploadId: upload.uploadId, partNumber, size: body.size, etag: body.md5Hex, ...(body.checksum ? { checksum: body.checksum.value } : {}) },
          body.staged,
        );
        return {
          status: 200,
          headers: { ETag: quoteEtag(part.etag), ...(algorithm && part.checksum ? { [checksumHeader(algorithm)]: part.checksum } : {}) },
        };
      },
    },
    // UploadPartCopy
    {
      operation: 'UploadPartCopy',
      target: 'object',
      async handle(call) {
        const partNumber = partNumberOf(call);
        const upload = objects.requireUpload(call.bucket, call.key, call.query.get('uploadId')!);
        const source = parseCopySource(call);
        const src = objects.requireObject(source.bucket, source.key);
        checkCopySourceConditions(call, src);
        const range = copySourceRange(call.header(H.copySourceRange), src.size);
        const length = range ? range.end - range.start + 1 : src.size;
        if (length > objects.limits.putObjectMaxBytes) {
          throw new S3Errors.InvalidRequest(`The specified copy source is larger than the maximum allowable size for a copy source: ${objects.limits.putObjectMaxBytes}`);
        }
        const algorithm = upload.checksumAlgorithm as ChecksumAlgorithm | undefined;
        const { stream } = await objects.openObject(src, () => range);
        const md5 = createHash('md5');
        const digest = algorithm ? createDigest(algorithm) : undefined;
        const staged = await objects.stage(stream, (chunk) => {
          md5.update(chunk);
          digest?.update(chunk);
        });
        const checksum = digest?.digest().toString('base64');
        const part = await objects.commitPart({ uploadId: upload.uploadId, partNumber, size: staged.size, etag: md5.digest('hex'), ...(checksum ? { checksum } : {}) }, staged);
        return xmlReply(
          renderXml('CopyPartResult', {
            LastModified: isoDate(part.lastModified),
            ETag: quoteEtag(part.etag),
            ...(algorithm && checksum ? { [checksumMember(algorithm)]: checksum } : {}),
          }),
        );
      },
    },
    // CompleteMultipartUpload
    {
      operation: 'CompleteMultipartUpload',
      target: 'object',
      async handle(call) {
        const upload = objects.requireUpload(call.bucket, call.key, call.query.get('uploadId')!);
        // x-amz-checksum-* here describe the whole object, not this document.
        const body = await readVerifiedBody(call.req, COMPLETE_BODY_MAX, { checksumHeaders: false });
        const requested = completedParts(parseXmlBody(body, 'CompleteMultipartUpload'), upload);
        const fullChecksum = completeChecksumHeader(call, upload);
        const record = await objects.completeUpload(upload, requested, fullChecksum, call);
        const keyPath = call.key.split('/').map(encodeURIComponent).join('/');
        return xmlReply(
          renderXml('CompleteMultipartUploadResult', {
            Location: `${call.baseUrl}/${call.bucket}/${keyPath}`,
            Bucket: call.bucket,
            Key: call.key,
            ETag: quoteEtag(record.etag),
            ...checksumMembers(record.checksum),
          }),
        );
      },
    },
    // AbortMultipartUpload
    {
      operation: 'AbortMultipartUpload',
      target: 'object',
      async handle(call) {
        const upload = objects.requireUpload(call.bucket, call.key, call.query.get('uploadId')!);
        await objects.abortUpload(upload);
        return { status: 204 };
      },
    },
    // ListParts
    {
      operation: 'ListParts',
      target: 'object',
      async handle(call) {
        const upload = objects.requireUpload(call.bucket, call.key, call.query.get('uploadId')!);
        const maxParts = intParam(call, 'max-parts', 1000, 1000);
        const marker = intParam(call, 'part-number-marker', 0, MAX_PART_NUMBER);
        const rows = objects.listParts(upload.uploadId, marker, maxParts + 1);
        const parts = rows.slice(0, maxParts);
        const truncated = rows.length > maxParts;
        const algorithm = upload.checksumAlgorithm as ChecksumAlgorithm | undefined;
        return xmlReply(
          renderXml('ListPartsResult', {
            Bucket: call.bucket,
            Key: call.key,
            UploadId: upload.uploadId,
            PartNumberMarker: marker,
            NextPartNumberMarker: parts.length ? parts[parts.length - 1]!.partNumber : marker,
            MaxParts: maxParts,
            IsTruncated: truncated,
            Part: parts.map((p) => ({
              PartNumber: p.partNumber,
              LastModified: isoDate(p.lastModified),
              ETag: quoteEtag(p.etag),
              Size: p.size,
              ...(algorithm && p.checksum ? { [checksumMember(algorithm)]: p.checksum } : {}),
            })),
            Initiator: owner,
            Owner: owner,
            StorageClass: 'STANDARD',
            ...(algorithm ? { ChecksumAlgorithm: algorithm, ChecksumType: upload.checksumType } : {}),
          }),
        );
      },
    },
  ];
}

/** ListMultipartUploads (first page only: max-uploads, prefix). */
export function listUploadsAction(objects: ObjectService, accountId: string): S3Action {
  const owner = ownerOf(accountId);
  return {
    operation: 'ListMultipartUploads',
    target: 'bucket',
    async handle(call) {
      objects.requireBucket(call.bucket);
      const maxUploads = intParam(call, 'max-uploads', 1000, 1000);
      const prefix = call.query.get('prefix') ?? '';
      const rows = objects.listUploads(call.bucket, prefix, maxUploads + 1);
      const uploads = rows.slice(0, maxUploads);
      return xmlReply(
        renderXml('ListMultipartUploadsResult', {
          Bucket: call.bucket,
          KeyMarker: '',
          UploadIdMarker: '',
          ...(rows.length > maxUploads ? { NextKeyMarker: uploads[uploads.length - 1]!.key, NextUploadIdMarker: uploads[uploads.length - 1]!.uploadId } : {}),
          Prefix: prefix,
          MaxUploads: maxUploads,
          IsTruncated: rows.length > maxUploads,
          Upload: uploads.map((u) => ({
            Key: u.key,
            UploadId: u.uploadId,
            Initiator: owner,
            Owner: owner,
            StorageClass: 'STANDARD',
            Initiated: isoDate(u.initiated),
            ...(u.checksumAlgorithm ? { ChecksumAlgorithm: u.checksumAlgorithm, ChecksumType: u.checksumType } : {}),
          })),
        }),
      );
    },
  };
}

/**
 * x-amz-checksum-type of CreateMultipartUpload: CRC64NVME is FULL_OBJECT only, SHA-1 and
 * SHA-256 COMPOSITE only, CRC32/CRC32C either (COMPOSITE by default).
 */
function uploadChecksumType(algorithm: ChecksumAlgorithm | undefined, header: string | undefined): ChecksumType | undefined {
  if (header !== undefined && header !== 'COMPOSITE' && header !== 'FULL_OBJECT') throw new S3Errors.InvalidRequest('Value for x-amz-checksum-type header is invalid.');
  if (!algorithm) {
    if (header !== undefined) throw new S3Errors.InvalidRequest('The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.');
    return undefined;
  }
  const type: ChecksumType = (header as ChecksumType | undefined) ?? (algorithm === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE');
  if (algorithm === 'CRC64NVME' && type === 'COMPOSITE') throw new S3Errors.InvalidRequest('The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.');
  if ((algorithm === 'SHA1' || algorithm === 'SHA256') && type === 'FULL_OBJECT') {
    throw new S3Errors.InvalidRequest(`The FULL_OBJECT checksum type cannot be used with the ${algorithm.toLowerCase()} checksum algorithm.`);
  }
  return type;
}

/**
 * A part's checksum must use the upload's algorithm. A FULL_OBJECT upload may leave it out
 * (S3 computes it); a COMPOSITE one needs every part's.
 */
function checkPartAlgorithm(upload: UploadRecord, sent: ChecksumAlgorithm | undefined): void {
  const expected = upload.checksumAlgorithm;
  if (sent === expected) return;
  if (!sent && upload.checksumType === 'FULL_OBJECT') return;
  throw new S3Errors.InvalidRequest(
    `Checksum Type mismatch occurred, expected checksum Type: ${expected?.toLowerCase() ?? 'null'}, actual checksum Type: ${sent?.toLowerCase() ?? 'null'}`,
  );
}

function partNumberOf(call: ObjectCall): number {
  const raw = call.query.get('partNumber') ?? '';
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_PART_NUMBER) {
    throw new S3Errors.InvalidArgument(`Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`, { ArgumentName: 'partNumber', ArgumentValue: raw });
  }
  return n;
}

function copySourceRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d+)-(\d+)$/.exec(header.trim());
  if (!m || Number(m[1]) > Number(m[2])) {
    throw new S3Errors.InvalidArgument(
      'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
      { ArgumentName: H.copySourceRange, ArgumentValue: header },
    );
  }
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end >= size) throw new S3Errors.InvalidArgument(`Range specified is not valid for source object of size: ${size}`, { ArgumentName: H.copySourceRange, ArgumentValue: header });
  return { start, end };
}

function completedParts(doc: Record<string, unknown>, upload: UploadRecord): CompletedPartRequest[] {
  const list = doc.Part;
  if (!Array.isArray(list) || list.length === 0) throw new S3Errors.MalformedXML();
  const member = upload.checksumAlgorithm ? checksumMember(upload.checksumAlgorithm as ChecksumAlgorithm) : undefined;
  return list.map((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) throw new S3Errors.MalformedXML();
    const part = entry as Record<string, unknown>;
    const number = xmlText(part, 'PartNumber');
    const etag = xmlText(part, 'ETag');
    if (number === undefined || !/^\d+$/.test(number) || etag === undefined) throw new S3Errors.MalformedXML();
    const checksum = member ? xmlText(part, member) : undefined;
    return { partNumber: Number(number), etag, ...(checksum !== undefined ? { checksum } : {}) };
  });
}

/** The object checksum a CompleteMultipartUpload asks S3 to verify, in the upload's algorithm and type. */
function completeChecksumHeader(call: ObjectCall, upload: UploadRecord): string | undefined {
  const type = call.header(H.checksumType);
  if (type !== undefined && upload.checksumType !== undefined && type !== upload.checksumType) {
    throw new S3Errors.InvalidRequest(`The upload was created using the ${upload.checksumType} checksum mode. The complete request must use the same checksum mode.`);
  }
  let value: string | undefined;
  for (const [name, raw] of Object.entries(call.req.headers)) {
    if (!name.startsWith(H.checksumPrefix) || name === H.checksumType || name === H.checksumAlgorithm || name === H.checksumMode) continue;
    const alg = name.slice(H.checksumPrefix.length).toUpperCase();
    if (alg !== upload.checksumAlgorithm) {
      throw new S3Errors.InvalidRequest(`Checksum Type mismatch occurred, expected checksum Type: ${upload.checksumAlgorithm?.toLowerCase() ?? 'null'}, actual checksum Type: ${alg.toLowerCase()}`);
    }
    value = String(raw);
    const bare = value.replace(/-\d+$/, '');
    if (!isValidChecksumValue(alg as ChecksumAlgorithm, bare)) throw new S3Errors.InvalidRequest(`Value for ${name} header is invalid.`);
  }
  return value;
}
