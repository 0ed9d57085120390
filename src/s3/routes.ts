import { S3Errors } from '../errors/index.ts';
import type { S3Action } from './context.ts';
import { H } from './headers.ts';

/**
 * Which S3 action a request is: by method, by what it addresses (the service, a bucket,
 * an object), and by the sub-resource query parameters and headers that select among
 * actions sharing a method and path (?uploads, ?uploadId, x-amz-copy-source, ...), as
 * the service model's requestUri entries do.
 */
export interface Route {
  readonly method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';
  readonly target: S3Action['target'];
  /** Query parameters that must be present (value '' matches any value). */
  readonly query?: Readonly<Record<string, string>>;
  /** A header that must be present. */
  readonly header?: string;
  readonly operation: string;
}

export const ROUTES: readonly Route[] = [
  { method: 'GET', target: 'service', operation: 'ListBuckets' },
  { method: 'PUT', target: 'bucket', query: { notification: '' }, operation: 'PutBucketNotificationConfiguration' },
  { method: 'PUT', target: 'bucket', query: { policy: '' }, operation: 'PutBucketPolicy' },
  { method: 'PUT', target: 'bucket', operation: 'CreateBucket' },
  { method: 'DELETE', target: 'bucket', query: { policy: '' }, operation: 'DeleteBucketPolicy' },
  { method: 'DELETE', target: 'bucket', operation: 'DeleteBucket' },
  { method: 'HEAD', target: 'bucket', operation: 'HeadBucket' },
  { method: 'GET', target: 'bucket', query: { 'list-type': '2' }, operation: 'ListObjectsV2' },
  { method: 'GET', target: 'bucket', query: { location: '' }, operation: 'GetBucketLocation' },
  { method: 'GET', target: 'bucket', query: { uploads: '' }, operation: 'ListMultipartUploads' },
  { method: 'GET', target: 'bucket', query: { notification: '' }, operation: 'GetBucketNotificationConfiguration' },
  { method: 'GET', target: 'bucket', query: { policy: '' }, operation: 'GetBucketPolicy' },
  { method: 'GET', target: 'bucket', operation: 'ListObjects' },
  { method: 'POST', target: 'bucket', query: { delete: '' }, operation: 'DeleteObjects' },
  { method: 'PUT', target: 'object', query: { partNumber: '', uploadId: '' }, header: H.copySource, operation: 'UploadPartCopy' },
  { method: 'PUT', target: 'object', query: { partNumber: '', uploadId: '' }, operation: 'UploadPart' },
  { method: 'PUT', target: 'object', header: H.copySource, operation: 'CopyObject' },
  { method: 'PUT', target: 'object', operation: 'PutObject' },
  { method: 'GET', target: 'object', query: { uploadId: '' }, operation: 'ListParts' },
  { method: 'GET', target: 'object', operation: 'GetObject' },
  { method: 'HEAD', target: 'object', operation: 'HeadObject' },
  { method: 'DELETE', target: 'object', query: { uploadId: '' }, operation: 'AbortMultipartUpload' },
  { method: 'DELETE', target: 'object', operation: 'DeleteObject' },
  { method: 'POST', target: 'object', query: { uploads: '' }, operation: 'CreateMultipartUpload' },
  { method: 'POST', target: 'object', query: { uploadId: '' }, operation: 'CompleteMultipartUpload' },
];

/** Sub-resources of S3's API: one Nimbus does not serve must not fall through to a plain GET/PUT. */
const SUBRESOURCES = new Set([
  'accelerate', 'acl', 'analytics', 'attributes', 'cors', 'delete', 'encryption', 'intelligent-tiering', 'inventory',
  'legal-hold', 'lifecycle', 'list-type', 'location', 'logging', 'metadataConfiguration', 'metadataTable', 'metrics',
  'notification', 'object-lock', 'ownershipControls', 'policy', 'policyStatus', 'publicAccessBlock', 'rename',
  'replication', 'requestPayment', 'restore', 'retention', 'select', 'session', 'tagging', 'torrent', 'uploadId',
  'uploads', 'versioning', 'versions', 'website',
]);

const RESOURCE_TYPE = { service: 'SERVICE', bucket: 'BUCKET', object: 'OBJECT' } as const;

export function selectRoute(method: string, target: Route['target'], query: URLSearchParams, hasHeader: (name: string) => boolean): Route {
  const route = ROUTES.find(
    (r) =>
      r.method === method &&
      r.target === target &&
      Object.entries(r.query ?? {}).every(([k, v]) => query.has(k) && (v === '' || query.get(k) === v)) &&
      (r.header === undefined || hasHeader(r.header)),
  );
  if (!route) {
    if (method === 'POST' && target === 'bucket' && !query.has('delete')) throw new S3Errors.NotImplemented('POST Object (browser-based uploads) is not implemented');
    throw new S3Errors.MethodNotAllowed(undefined, { Method: method, ResourceType: RESOURCE_TYPE[target] });
  }
  for (const name of query.keys()) {
    if (SUBRESOURCES.has(name) && !(name in (route.query ?? {}))) throw new S3Errors.NotImplemented(`The ${name} sub-resource is not implemented`);
  }
  return route;
}
