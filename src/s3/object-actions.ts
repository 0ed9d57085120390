import { createHash } from 'node:crypto';
import { S3Errors } from '../errors/index.ts';
import type { ObjectRecord } from '../storage/index.ts';
import { createDigest, parseChecksumAlgorithm, type ChecksumAlgorithm } from './checksums.ts';
import type { ObjectCall, S3Action, S3Call, S3Reply } from './context.ts';
import { H } from './headers.ts';
import { assertValidKey } from './names.ts';
import type { ObjectService } from './object-service.ts';
import { parseRange, type ByteRange } from './range.ts';
import { planBody } from './request-body.ts';
import { checkConditions, checksumHeaders, checksumMembers, headersOf, isoDate, objectHeadersFrom, objectResponseHeaders, quoteEtag } from './wire.ts';
import { renderXml } from './xml.ts';

/** The checksum S3 stores for a new single-part object when the client sends none. */
const DEFAULT_ALGORITHM: ChecksumAlgorithm = 'CRC64NVME';

export function objectActions(objects: ObjectService): S3Action[] {
  return [
    // PutObject
    {
      operation: 'PutObject',
      target: 'object',
      async handle(call) {
        assertValidKey(call.key);
        objects.requireBucket(call.bucket);
        const headers = objectHeadersFrom(call);
        const plan = planBody(call.req, objects.limits.putObjectMaxBytes);
        checkWriteConditions(objects, call);
        const algorithm = plan.checksum?.algorithm ?? DEFAULT_ALGORITHM;
        const body = await objects.ingest(call.req, plan, { maxBytes: objects.limits.putObjectMaxBytes, algorithm });
        const checksum = { algorithm, type: 'FULL_OBJECT' as const, value: body.checksum!.value };
        const record = await objects.commitObject(
          { bucket: call.bucket, key: call.key, size: body.size, etag: body.md5Hex, checksum, ...headers },
          { staged: body.staged },
          'ObjectCreated:Put',
          call,
        );
        return { status: 200, headers: { ETag: quoteEtag(record.etag), ...checksumHeaders(checksum) } };
      },
    },
    // GetObject
    {
      operation: 'GetObject',
      target: 'object',
      async handle(call) {
        const found = objects.requireObject(call.bucket, call.key);
        if (call.query.has('partNumber')) throw new S3Errors.NotImplemented('GetObject with partNumber is not implemented');
        if (checkConditions(found, (n) => call.header(n)) === 'not-modified') return notModified(found);
        const { record, range, stream } = await objects.openObject(found, (r) => rangeOf(call, r));
        return { ...objectReply(call, record, range), body: stream };
      },
    },
    // HeadObject
    {
      operation: 'HeadObject',
      target: 'object',
      async handle(call) {
        const record = objects.requireObject(call.bucket, call.key);
        if (call.query.has('partNumber')) throw new S3Errors.NotImplemented('HeadObject with partNumber is not implemented');
        if (checkConditions(record, (n) => call.header(n)) === 'not-modified') return notModified(record);
        return objectReply(call, record, rangeOf(call, record));
      },
    },
    // DeleteObject
    {
      operation: 'DeleteObject',
      target: 'object',
      async handle(call) {
        await objects.deleteObject(call.bucket, call.key, call);
        return { status: 204 };
      },
    },
    // CopyObject
    {
      operation: 'CopyObject',
      target: 'object',
      async handle(call) {
        assertValidKey(call.key);
        const source = parseCopySource(call);
        const src = objects.requireObject(source.bucket, source.key);
        checkCopySourceConditions(call, src);
        objects.requireBucket(call.bucket);
        const directive = call.header(H.metadataDirective) ?? 'COPY';
        if (directive !== 'COPY' && directive !== 'REPLACE') {
          throw new S3Errors.InvalidArgument('Unknown metadata directive.', { ArgumentName: H.metadataDirective, ArgumentValue: directive });
        }
        const requested = requestedAlgorithm(call);
        if (src.bucket === call.bucket && src.key === call.key && directive === 'COPY' && !requested && call.header(H.storageClass) === undefined) {
          throw new S3Errors.InvalidRequest(
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
          );
        }
        if (src.size > objects.limits.putObjectMaxBytes) {
          throw new S3Errors.InvalidRequest(`The specified copy source is larger than the maximum allowable size for a copy source: ${objects.limits.putObjectMaxBytes}`);
        }
        const headers = directive === 'REPLACE' ? objectHeadersFrom(call) : headersOf(src);
        const record = await copy(objects, src, call, requested, headers);
        return xmlReply(renderXml('CopyObjectResult', { LastModified: isoDate(record.lastModified), ETag: quoteEtag(record.etag), ...checksumMembers(record.checksum) }));
      },
    },
  ];
}

/**
 * A copy keeps the source's bytes. When the ETag and checksum carry over unchanged (a
 * single-part source with a full-object checksum) the body is hard-linked; otherwise the
 * bytes are streamed through, computing the MD5 ETag and checksum S3 gives a copy.
 */
async function copy(objects: ObjectService, src: ObjectRecord, call: ObjectCall, requested: ChecksumAlgorithm | undefined, headers: ReturnType<typeof headersOf>) {
  const target = { bucket: call.bucket, key: call.key, size: src.size, ...headers };
  const linkable = !src.partsCount && src.checksum?.type === 'FULL_OBJECT' && (!requested || requested === src.checksum.algorithm);
  if (linkable) {
    const bodyId = await objects.duplicateBody(src);
    if (bodyId) return objects.commitObject({ ...target, etag: src.etag, checksum: src.checksum! }, { bodyId }, 'ObjectCreated:Copy', call);
  }
  const algorithm = requested ?? (src.checksum?.algorithm as ChecksumAlgorithm | undefined) ?? DEFAULT_ALGORITHM;
  const { record: current, stream } = await objects.openObject(src);
  const md5 = createHash('md5');
  const digest = createDigest(algorithm);
  const staged = await objects.stage(stream, (chunk) => {
    md5.update(chunk);
    digest.update(chunk);
  });
  const checksum = { algorithm, type: 'FULL_OBJECT' as const, value: digest.digest().toString('base64') };
  return objects.commitObject({ ...target, size: current.size, etag: md5.digest('hex'), checksum }, { staged }, 'ObjectCreated:Copy', call);
}

/** x-amz-copy-source: "bucket/key" or "/bucket/key", URL-encoded, optionally "?versionId=". */
export function parseCopySource(call: S3Call): { bucket: string; key: string } {
  const raw = call.header(H.copySource) ?? '';
  const [path = ''] = raw.split('?');
  let decoded: string;
  try {
    decoded = decodeURIComponent(path).replace(/^\//, '');
  } catch {
    throw new S3Errors.InvalidArgument('Invalid copy source encoding', { ArgumentName: H.copySource, ArgumentValue: raw });
  }
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) {
    throw new S3Errors.InvalidArgument('Invalid copy source object key', { ArgumentName: H.copySource, ArgumentValue: raw });
  }
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1) };
}

export function checkCopySourceConditions(call: S3Call, src: ObjectRecord): void {
  const outcome = checkConditions(src, (n) => call.header(n), {
    ifMatch: H.copySourceIfMatch,
    ifNoneMatch: H.copySourceIfNoneMatch,
    ifModifiedSince: H.copySourceIfModifiedSince,
    ifUnmodifiedSince: H.copySourceIfUnmodifiedSince,
  });
  // For a copy, a source that has not changed is a failed precondition, not a 304.
  if (outcome === 'not-modified') throw new S3Errors.PreconditionFailed();
}

/** x-amz-checksum-algorithm of a CopyObject / CreateMultipartUpload. */
export function requestedAlgorithm(call: S3Call): ChecksumAlgorithm | undefined {
  const raw = call.header(H.checksumAlgorithm);
  if (raw === undefined) return undefined;
  const algorithm = parseChecksumAlgorithm(raw);
  if (!algorithm) throw new S3Errors.InvalidRequest('Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]');
  return algorithm;
}

/** PutObject's conditional writes: If-None-Match: * (create only) and If-Match: <etag>. */
function checkWriteConditions(objects: ObjectService, call: ObjectCall): void {
  const ifNoneMatch = call.header(H.ifNoneMatch);
  const ifMatch = call.header(H.ifMatch);
  if (ifNoneMatch === undefined && ifMatch === undefined) return;
  let existing: ObjectRecord | undefined;
  try {
    existing = objects.requireObject(call.bucket, call.key);
  } catch (err) {
    if (!(err instanceof S3Errors.NoSuchKey)) throw err;
  }
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() === '*' && existing) throw new S3Errors.PreconditionFailed(undefined, { Condition: 'If-None-Match' });
  if (ifMatch !== undefined) {
    if (!existing) throw new S3Errors.NoSuchKey(undefined, { Key: call.key });
    if (ifMatch.trim().replaceAll('"', '') !== existing.etag) throw new S3Errors.PreconditionFailed(undefined, { Condition: 'If-Match' });
  }
}

function rangeOf(call: S3Call, record: ObjectRecord): ByteRange | undefined {
  const header = call.header(H.range);
  const range = parseRange(header, record.size);
  if (range === 'unsatisfiable') {
    throw new S3Errors.InvalidRange(undefined, { RangeRequested: header ?? '', ActualObjectSize: record.size }, { 'Content-Range': `bytes */${record.size}` });
  }
  return range;
}

function objectReply(call: S3Call, record: ObjectRecord, range: ByteRange | undefined): S3Reply {
  const wantsChecksum = call.header(H.checksumMode)?.toUpperCase() === 'ENABLED';
  const headers = objectResponseHeaders(record, { checksums: wantsChecksum && !range, query: call.query });
  if (!range) return { status: 200, headers: { ...headers, 'Content-Length': record.size } };
  return {
    status: 206,
    headers: { ...headers, 'Content-Length': range.end - range.start + 1, 'Content-Range': `bytes ${range.start}-${range.end}/${record.size}` },
  };
}

function notModified(record: ObjectRecord): S3Reply {
  return { status: 304, headers: { ETag: quoteEtag(record.etag), 'Last-Modified': new Date(record.lastModified).toUTCString() } };
}

export function xmlReply(xml: string, status = 200, headers: Record<string, string> = {}): S3Reply {
  return { status, headers: { 'Content-Type': 'application/xml', ...headers }, body: xml };
}

