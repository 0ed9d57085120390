/**
 * What each S3 operation asks of IAM: the action a policy must allow, and on what resource.
 * Names follow the Service Authorization Reference, where they differ from the API's
 * (ListBuckets is s3:ListAllMyBuckets, HeadBucket and ListObjects[V2] are s3:ListBucket,
 * HeadObject is s3:GetObject, every multipart step but Abort/ListParts is s3:PutObject).
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
 */

export interface Permission {
  readonly action: string;
  /**
   * 'account': no resource ("*"); 'bucket': arn:aws:s3:::bucket; 'object': arn:aws:s3:::bucket/key;
   * 'each-key': DeleteObjects, checked per key by the action, which reports refusals in its result.
   */
  readonly on: 'account' | 'bucket' | 'object' | 'each-key';
  /** CopyObject and UploadPartCopy also read the source: s3:GetObject on it. */
  readonly copySource?: true;
}

export const PERMISSIONS: Readonly<Record<string, Permission>> = {
  ListBuckets: { action: 's3:ListAllMyBuckets', on: 'account' },
  CreateBucket: { action: 's3:CreateBucket', on: 'bucket' },
  DeleteBucket: { action: 's3:DeleteBucket', on: 'bucket' },
  HeadBucket: { action: 's3:ListBucket', on: 'bucket' },
  ListObjects: { action: 's3:ListBucket', on: 'bucket' },
  ListObjectsV2: { action: 's3:ListBucket', on: 'bucket' },
  GetBucketLocation: { action: 's3:GetBucketLocation', on: 'bucket' },
  ListMultipartUploads: { action: 's3:ListBucketMultipartUploads', on: 'bucket' },
  PutBucketNotificationConfiguration: { action: 's3:PutBucketNotification', on: 'bucket' },
  GetBucketNotificationConfiguration: { action: 's3:GetBucketNotification', on: 'bucket' },
  PutBucketPolicy: { action: 's3:PutBucketPolicy', on: 'bucket' },
  GetBucketPolicy: { action: 's3:GetBucketPolicy', on: 'bucket' },
  DeleteBucketPolicy: { action: 's3:DeleteBucketPolicy', on: 'bucket' },
  DeleteObjects: { action: 's3:DeleteObject', on: 'each-key' },
  PutObject: { action: 's3:PutObject', on: 'object' },
  CopyObject: { action: 's3:PutObject', on: 'object', copySource: true },
  GetObject: { action: 's3:GetObject', on: 'object' },
  HeadObject: { action: 's3:GetObject', on: 'object' },
  DeleteObject: { action: 's3:DeleteObject', on: 'object' },
  CreateMultipartUpload: { action: 's3:PutObject', on: 'object' },
  UploadPart: { action: 's3:PutObject', on: 'object' },
  UploadPartCopy: { action: 's3:PutObject', on: 'object', copySource: true },
  CompleteMultipartUpload: { action: 's3:PutObject', on: 'object' },
  AbortMultipartUpload: { action: 's3:AbortMultipartUpload', on: 'object' },
  ListParts: { action: 's3:ListMultipartUploadParts', on: 'object' },
};

/** One question for the authorizer: may the caller do `action` on this bucket (or key)? */
export interface S3Access {
  readonly action: string;
  /** Absent for account-wide actions (ListAllMyBuckets). */
  readonly bucket?: string;
  readonly key?: string;
  readonly context?: Readonly<Record<string, string | number>>;
}

/** arn:aws:s3:::bucket, arn:aws:s3:::bucket/key, or "*" for the account. */
export function s3Arn(bucket: string | undefined, key?: string): string {
  if (bucket === undefined) return '*';
  return key === undefined ? `arn:aws:s3:::${bucket}` : `arn:aws:s3:::${bucket}/${key}`;
}

/**
 * The checks an operation needs before it runs, in order. DeleteObjects needs none up front:
 * each key is its own s3:DeleteObject.
 */
export function requiredAccess(
  operation: string,
  target: { readonly bucket?: string; readonly key?: string; readonly query: URLSearchParams; readonly copySource?: () => { bucket: string; key: string } },
): S3Access[] {
  const permission = PERMISSIONS[operation];
  if (!permission) throw new Error(`no IAM action is mapped for S3 operation ${operation}`);
  const { action, on } = permission;
  if (on === 'each-key') return [];
  if (on === 'account') return [{ action }];
  const checks: S3Access[] = [
    on === 'bucket'
      ? { action, bucket: target.bucket!, ...(action === 's3:ListBucket' ? { context: listBucketContext(target.query) } : {}) }
      : { action, bucket: target.bucket!, key: target.key! },
  ];
  if (permission.copySource && target.copySource) {
    const source = target.copySource();
    checks.push({ action: 's3:GetObject', bucket: source.bucket, key: source.key });
  }
  return checks;
}

/** s3:ListBucket's condition keys: s3:prefix, s3:delimiter, s3:max-keys, when the request sends them. */
function listBucketContext(query: URLSearchParams): Record<string, string | number> {
  const context: Record<string, string | number> = {};
  const prefix = query.get('prefix');
  const delimiter = query.get('delimiter');
  const maxKeys = query.get('max-keys');
  if (prefix !== null) context['s3:prefix'] = prefix;
  if (delimiter !== null) context['s3:delimiter'] = delimiter;
  if (maxKeys !== null && /^\d+$/.test(maxKeys)) context['s3:max-keys'] = Number(maxKeys);
  return context;
}
