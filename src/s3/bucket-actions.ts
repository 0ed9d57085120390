import { S3Errors } from '../errors/index.ts';
import type { ObjectRecord } from '../storage/index.ts';
import type { BucketCall, S3Action } from './context.ts';
import { H } from './headers.ts';
import { decodeCursor, encodeCursor, listPage, type Cursor, type ListPage } from './listing.ts';
import { assertValidBucketName, assertValidKey } from './names.ts';
import { xmlReply } from './object-actions.ts';
import type { ObjectService } from './object-service.ts';
import { readVerifiedBody } from './request-body.ts';
import { intParam, isoDate, listEncoder, ownerOf, quoteEtag } from './wire.ts';
import { escapeXml, parseXmlBody, renderXml, S3_XMLNS, xmlText, type XmlObject } from './xml.ts';

/** DeleteObjects takes at most 1,000 keys (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html). */
const DELETE_MAX_KEYS = 1000;
const SMALL_BODY_MAX = 2 * 1024 * 1024;
/** us-east-1 is the region whose buckets carry no LocationConstraint. */
const LEGACY_REGION = 'us-east-1';

export function bucketActions(objects: ObjectService, accountId: string): S3Action[] {
  const owner = ownerOf(accountId);
  const region = objects.region;

  const listing = (call: BucketCall, cursor: Cursor | undefined, maxKeys: number): ListPage => {
    const delimiter = call.query.get('delimiter') || undefined;
    return listPage((range) => objects.listObjects(call.bucket, range), {
      prefix: call.query.get('prefix') ?? '',
      ...(delimiter ? { delimiter } : {}),
      maxKeys,
      ...(cursor ? { cursor } : {}),
    });
  };
  const contents = (o: ObjectRecord, encode: (v: string) => string, withOwner: boolean): XmlObject => ({
    Key: encode(o.key),
    LastModified: isoDate(o.lastModified),
    ETag: quoteEtag(o.etag),
    ...(o.checksum ? { ChecksumAlgorithm: o.checksum.algorithm, ChecksumType: o.checksum.type } : {}),
    Size: o.size,
    ...(withOwner ? { Owner: owner } : {}),
    StorageClass: 'STANDARD',
  });

  return [
    // ListBuckets
    {
      operation: 'ListBuckets',
      target: 'service',
      async handle(call) {
        const prefix = call.query.get('prefix') ?? '';
        const maxBuckets = intParam(call, 'max-buckets', 10_000, 10_000);
        const token = call.query.get('continuation-token');
        const after = token ? Buffer.from(token, 'base64url').toString('utf8') : '';
        const all = objects.listBuckets().filter((b) => b.name.startsWith(prefix) && b.name > after);
        const page = all.slice(0, maxBuckets);
        return xmlReply(
          renderXml('ListAllMyBucketsResult', {
            Owner: owner,
            Buckets: { Bucket: page.map((b) => ({ Name: b.name, CreationDate: isoDate(b.createdAt), BucketRegion: b.region })) },
            ...(all.length > page.length ? { ContinuationToken: Buffer.from(page[page.length - 1]!.name).toString('base64url') } : {}),
            ...(call.query.has('prefix') ? { Prefix: prefix } : {}),
          }),
        );
      },
    },
    // CreateBucket
    {
      operation: 'CreateBucket',
      target: 'bucket',
      async handle(call) {
        assertValidBucketName(call.bucket);
        const body = await readVerifiedBody(call.req, SMALL_BODY_MAX);
        if (body.length > 0) {
          const constraint = xmlText(parseXmlBody(body, 'CreateBucketConfiguration'), 'LocationConstraint') ?? '';
          if (constraint === LEGACY_REGION && region === LEGACY_REGION) throw new S3Errors.InvalidLocationConstraint(undefined, { LocationConstraint: constraint });
          if (constraint !== '' && constraint !== region) {
            throw new S3Errors.IllegalLocationConstraintException(`The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to.`);
          }
        }
        // For legacy compatibility us-east-1 answers 200 to re-creating a bucket you own.
        if (!objects.createBucket(call.bucket) && region !== LEGACY_REGION) throw new S3Errors.BucketAlreadyOwnedByYou(undefined, { BucketName: call.bucket });
        return { status: 200, headers: { Location: `/${call.bucket}` } };
      },
    },
    // DeleteBucket
    {
      operation: 'DeleteBucket',
      target: 'bucket',
      async handle(call) {
        await objects.deleteBucket(call.bucket);
        return { status: 204 };
      },
    },
    // HeadBucket
    {
      operation: 'HeadBucket',
      target: 'bucket',
      async handle(call) {
        const bucket = objects.requireBucket(call.bucket);
        return { status: 200, headers: { [H.bucketRegion]: bucket.region } };
      },
    },
    // GetBucketLocation
    {
      operation: 'GetBucketLocation',
      target: 'bucket',
      async handle(call) {
        const bucket = objects.requireBucket(call.bucket);
        const location = bucket.region === LEGACY_REGION ? '' : bucket.region;
        return xmlReply(`<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="${S3_XMLNS}">${escapeXml(location)}</LocationConstraint>`);
      },
    },
    // ListObjectsV2
    {
      operation: 'ListObjectsV2',
      target: 'bucket',
      async handle(call) {
        objects.requireBucket(call.bucket);
        const encode = listEncoder(call);
        const maxKeys = intParam(call, 'max-keys', 1000, 1000);
        const token = call.query.get('continuation-token');
        const startAfter = call.query.get('start-after');
        let cursor: Cursor | undefined;
        if (token !== null) {
          cursor = decodeCursor(token);
          if (!cursor) throw new S3Errors.InvalidArgument('The continuation token provided is incorrect', { ArgumentName: 'continuation-token', ArgumentValue: token });
        } else if (startAfter) {
          cursor = { kind: 'key', value: startAfter };
        }
        const page = listing(call, cursor, maxKeys);
        const delimiter = call.query.get('delimiter');
        return xmlReply(
          renderXml('ListBucketResult', {
            Name: call.bucket,
            Prefix: encode(call.query.get('prefix') ?? ''),
            ...(token !== null ? { ContinuationToken: token } : {}),
            ...(page.truncated && page.next ? { NextContinuationToken: encodeCursor(page.next) } : {}),
            KeyCount: page.objects.length + page.commonPrefixes.length,
            MaxKeys: maxKeys,
            ...(delimiter ? { Delimiter: encode(delimiter) } : {}),
            IsTruncated: page.truncated,
            ...(startAfter ? { StartAfter: encode(startAfter) } : {}),
            Contents: page.objects.map((o) => contents(o, encode, call.query.get('fetch-owner') === 'true')),
            CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: encode(p) })),
            ...(call.query.has('encoding-type') ? { EncodingType: 'url' } : {}),
          }),
        );
      },
    },
    // ListObjects (version 1: marker / NextMarker)
    {
      operation: 'ListObjects',
      target: 'bucket',
      async handle(call) {
        objects.requireBucket(call.bucket);
        const encode = listEncoder(call);
        const maxKeys = intParam(call, 'max-keys', 1000, 1000);
        const marker = call.query.get('marker') ?? '';
        const prefix = call.query.get('prefix') ?? '';
        const delimiter = call.query.get('delimiter') || undefined;
        // A marker that is a common prefix resumes after everything under it.
        const cursor: Cursor | undefined = !marker
          ? undefined
          : delimiter && marker.startsWith(prefix) && marker.endsWith(delimiter) && marker.length > prefix.length
            ? { kind: 'prefix', value: marker }
            : { kind: 'key', value: marker };
        const page = listing(call, cursor, maxKeys);
        return xmlReply(
          renderXml('ListBucketResult', {
            Name: call.bucket,
            Prefix: encode(prefix),
            Marker: encode(marker),
            ...(page.truncated && delimiter && page.next ? { NextMarker: encode(page.next.value) } : {}),
            MaxKeys: maxKeys,
            ...(delimiter ? { Delimiter: encode(delimiter) } : {}),
            IsTruncated: page.truncated,
            Contents: page.objects.map((o) => contents(o, encode, true)),
            CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: encode(p) })),
            ...(call.query.has('encoding-type') ? { EncodingType: 'url' } : {}),
          }),
        );
      },
    },
    // DeleteObjects
    {
      operation: 'DeleteObjects',
      target: 'bucket',
      async handle(call) {
        objects.requireBucket(call.bucket);
        const body = await readVerifiedBody(call.req, SMALL_BODY_MAX, { requireIntegrity: true });
        const doc = parseXmlBody(body, 'Delete');
        const quiet = xmlText(doc, 'Quiet') === 'true';
        const entries = doc.Object;
        if (!Array.isArray(entries) || entries.length === 0 || entries.length > DELETE_MAX_KEYS) throw new S3Errors.MalformedXML();
        const deleted: XmlObject[] = [];
        const errors: XmlObject[] = [];
        for (const entry of entries as unknown[]) {
          const key = typeof entry === 'object' && entry !== null ? xmlText(entry as Record<string, unknown>, 'Key') : undefined;
          if (key === undefined) throw new S3Errors.MalformedXML();
          try {
            assertValidKey(key);
            // Each key is its own s3:DeleteObject; a refusal is that key's AccessDenied in the result.
            call.authorize({ action: 's3:DeleteObject', bucket: call.bucket, key });
            await objects.deleteObject(call.bucket, key, call);
            if (!quiet) deleted.push({ Key: key });
          } catch (err) {
            if (!(err instanceof S3Errors.S3Error)) throw err;
            errors.push({ Key: key, Code: err.code, Message: err.message });
          }
        }
        return xmlReply(renderXml('DeleteResult', { Deleted: deleted, Error: errors }));
      },
    },
  ];
}
