import { createHash } from 'node:crypto';
import { S3Errors } from '../errors/index.ts';
import type { ObjectHeaders, ObjectRecord } from '../storage/index.ts';
import { checksumHeader, checksumMember, type ChecksumAlgorithm } from './checksums.ts';
import type { S3Call } from './context.ts';
import { H } from './headers.ts';
import { storedContentEncoding } from './request-body.ts';
import type { XmlObject } from './xml.ts';

/** S3's default Content-Type for an object stored without one. */
export const DEFAULT_CONTENT_TYPE = 'binary/octet-stream';
/** User metadata limit: names and values, UTF-8 bytes (AWS: 2 KB). */
export const METADATA_MAX_BYTES = 2048;

export const isoDate = (ms: number): string => new Date(ms).toISOString();
export const httpDate = (ms: number): string => new Date(ms).toUTCString();
export const quoteEtag = (etag: string): string => `"${etag}"`;

/** The owner every bucket and object reports: one canonical user per account. */
export function ownerOf(accountId: string): XmlObject {
  return { ID: createHash('sha256').update(`nimbus:${accountId}`).digest('hex'), DisplayName: 'nimbus' };
}

/** Content-Type, Cache-Control, ... and x-amz-meta-* of a PutObject / CreateMultipartUpload / CopyObject REPLACE. */
export function objectHeadersFrom(call: S3Call): ObjectHeaders {
  const metadata: Record<string, string> = {};
  let metaBytes = 0;
  for (const [name, value] of Object.entries(call.req.headers)) {
    if (!name.startsWith(H.metaPrefix) || value === undefined) continue;
    const metaName = name.slice(H.metaPrefix.length);
    const text = Array.isArray(value) ? value.join(',') : value;
    metadata[metaName] = text;
    metaBytes += Buffer.byteLength(metaName) + Buffer.byteLength(text);
  }
  if (metaBytes > METADATA_MAX_BYTES) throw new S3Errors.MetadataTooLarge(undefined, { Size: metaBytes, MaxSizeAllowed: METADATA_MAX_BYTES });
  const contentEncoding = storedContentEncoding(call.req);
  const optional = {
    cacheControl: call.header(H.cacheControl),
    contentDisposition: call.header(H.contentDisposition),
    contentEncoding,
    contentLanguage: call.header(H.contentLanguage),
    expires: call.header(H.expires),
    websiteRedirectLocation: call.header(H.websiteRedirectLocation),
  };
  return {
    contentType: call.header(H.contentType) ?? DEFAULT_CONTENT_TYPE,
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
    metadata,
  };
}

/** The stored headers of an object, as a copy with x-amz-metadata-directive: COPY keeps them. */
export function headersOf(record: ObjectHeaders): ObjectHeaders {
  const { contentType, cacheControl, contentDisposition, contentEncoding, contentLanguage, expires, websiteRedirectLocation, metadata } = record;
  const all = { contentType, cacheControl, contentDisposition, contentEncoding, contentLanguage, expires, websiteRedirectLocation };
  return { ...Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)), metadata };
}

/** GetObject's response-* query parameters override these headers. */
const RESPONSE_OVERRIDES: Readonly<Record<string, string>> = {
  'response-content-type': 'Content-Type',
  'response-content-language': 'Content-Language',
  'response-expires': 'Expires',
  'response-cache-control': 'Cache-Control',
  'response-content-disposition': 'Content-Disposition',
  'response-content-encoding': 'Content-Encoding',
};

/** Headers of GetObject / HeadObject. Checksums only when asked for and the whole object is sent. */
export function objectResponseHeaders(record: ObjectRecord, options: { checksums: boolean; query?: URLSearchParams }): Record<string, string | number> {
  const headers: Record<string, string | number> = {
    'Last-Modified': httpDate(record.lastModified),
    ETag: quoteEtag(record.etag),
    'Accept-Ranges': 'bytes',
    'Content-Type': record.contentType ?? DEFAULT_CONTENT_TYPE,
  };
  if (record.cacheControl !== undefined) headers['Cache-Control'] = record.cacheControl;
  if (record.contentDisposition !== undefined) headers['Content-Disposition'] = record.contentDisposition;
  if (record.contentEncoding !== undefined) headers['Content-Encoding'] = record.contentEncoding;
  if (record.contentLanguage !== undefined) headers['Content-Language'] = record.contentLanguage;
  if (record.expires !== undefined) headers.Expires = record.expires;
  if (record.websiteRedirectLocation !== undefined) headers['x-amz-website-redirect-location'] = record.websiteRedirectLocation;
  for (const [name, value] of Object.entries(record.metadata)) headers[`${H.metaPrefix}${name}`] = value;
  if (options.checksums && record.checksum) Object.assign(headers, checksumHeaders(record.checksum));
  for (const [param, header] of Object.entries(RESPONSE_OVERRIDES)) {
    const v = options.query?.get(param);
    if (v !== null && v !== undefined) headers[header] = v;
  }
  return headers;
}

export function checksumHeaders(checksum: NonNullable<ObjectRecord['checksum']>): Record<string, string> {
  return { [checksumHeader(checksum.algorithm as ChecksumAlgorithm)]: checksum.value, [H.checksumType]: checksum.type };
}

export function checksumMembers(checksum: ObjectRecord['checksum']): XmlObject {
  if (!checksum) return {};
  return { [checksumMember(checksum.algorithm as ChecksumAlgorithm)]: checksum.value, ChecksumType: checksum.type };
}

/**
 * If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, in RFC 9110's order of
 * precedence; returns 304 when the client's copy is current.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 */
export function checkConditions(
  record: ObjectRecord,
  get: (name: string) => string | undefined,
  names: { ifMatch: string; ifNoneMatch: string; ifModifiedSince: string; ifUnmodifiedSince: string } = H,
): 'not-modified' | undefined {
  const ifMatch = get(names.ifMatch);
  const ifNoneMatch = get(names.ifNoneMatch);
  const ifModifiedSince = parseHttpDate(get(names.ifModifiedSince));
  const ifUnmodifiedSince = parseHttpDate(get(names.ifUnmodifiedSince));
  const matches = (list: string) => list.split(',').some((t) => t.trim() === '*' || t.trim().replaceAll('"', '') === record.etag);
  if (ifMatch !== undefined) {
    if (!matches(ifMatch)) throw new S3Errors.PreconditionFailed(undefined, { Condition: 'If-Match' });
  } else if (ifUnmodifiedSince !== undefined && record.lastModified > ifUnmodifiedSince) {
    throw new S3Errors.PreconditionFailed(undefined, { Condition: 'If-Unmodified-Since' });
  }
  if (ifNoneMatch !== undefined) {
    if (matches(ifNoneMatch)) return 'not-modified';
  } else if (ifModifiedSince !== undefined && record.lastModified <= ifModifiedSince) {
    return 'not-modified';
  }
  return undefined;
}

function parseHttpDate(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * encoding-type=url: S3 URL-encodes keys and prefixes in listings so that any byte
 * survives XML; clients (botocore) decode with unquote_plus.
 */
export function listEncoder(call: S3Call): (value: string) => string {
  const type = call.query.get('encoding-type');
  if (type === null) return (v) => v;
  if (type !== 'url') throw new S3Errors.InvalidArgument('Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type', ArgumentValue: type });
  return (v) => encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replaceAll('%2F', '/');
}

/** A non-negative integer query parameter (max-keys, max-parts, ...), capped at cap. */
export function intParam(call: S3Call, name: string, fallback: number, cap: number): number {
  const raw = call.query.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new S3Errors.InvalidArgument(`Provided ${name} not an integer or within integer range`, { ArgumentName: name, ArgumentValue: raw });
  }
  return Math.min(Number(raw), cap);
}
