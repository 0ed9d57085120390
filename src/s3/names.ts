import { S3Errors } from '../errors/index.ts';

/**
 * S3's general purpose bucket naming rules.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IP_ADDRESS = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

export function isValidBucketName(name: string): boolean {
  return (
    BUCKET_NAME.test(name) &&
    !name.includes('..') &&
    !name.includes('.-') &&
    !name.includes('-.') &&
    !IP_ADDRESS.test(name) &&
    !RESERVED_PREFIXES.some((p) => name.startsWith(p)) &&
    !RESERVED_SUFFIXES.some((s) => name.endsWith(s))
  );
}

export function assertValidBucketName(name: string): void {
  if (!isValidBucketName(name)) throw new S3Errors.InvalidBucketName(undefined, { BucketName: name });
}

/** Object keys are at most 1024 bytes of UTF-8. */
export const KEY_MAX_BYTES = 1024;

export function assertValidKey(key: string): void {
  if (Buffer.byteLength(key) > KEY_MAX_BYTES) throw new S3Errors.KeyTooLongError(undefined, { Size: Buffer.byteLength(key), MaxSizeAllowed: KEY_MAX_BYTES });
}
