/**
 * Storage contracts of the S3 API: bucket and object metadata (ObjectStore) and object
 * bodies (BodyStore). An object is visible only once its metadata row is committed, and
 * that happens only after its body is durable in place, so a crash at any moment never
 * exposes a half-written object.
 */
import type { Readable } from 'node:stream';

export interface BucketRecord {
  readonly name: string;
  readonly region: string;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
}

/** Headers S3 stores with an object and returns on GET/HEAD. */
export interface ObjectHeaders {
  readonly contentType?: string;
  readonly cacheControl?: string;
  readonly contentDisposition?: string;
  readonly contentEncoding?: string;
  readonly contentLanguage?: string;
  readonly expires?: string;
  readonly websiteRedirectLocation?: string;
  /** x-amz-meta-* without the prefix, names lower-cased as S3 returns them. */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface StoredChecksum {
  readonly algorithm: string;
  readonly type: 'COMPOSITE' | 'FULL_OBJECT';
  /** base64; a COMPOSITE value ends in -<part count>. */
  readonly value: string;
}

export interface ObjectRecord extends ObjectHeaders {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  /** Without quotes: hex md5, or md5-of-md5s "-N" for a multipart object. */
  readonly etag: string;
  /** Milliseconds since the epoch, whole seconds (S3 keeps second precision). */
  readonly lastModified: number;
  readonly checksum?: StoredChecksum;
  /** Number of parts when the object came from a multipart upload. */
  readonly partsCount?: number;
  readonly bodyId: string;
}

export interface UploadRecord extends ObjectHeaders {
  readonly uploadId: string;
  readonly bucket: string;
  readonly key: string;
  readonly initiated: number;
  readonly checksumAlgorithm?: string;
  readonly checksumType?: 'COMPOSITE' | 'FULL_OBJECT';
}

export interface PartRecord {
  readonly uploadId: string;
  readonly partNumber: number;
  readonly size: number;
  /** Hex md5 without quotes. */
  readonly etag: string;
  readonly lastModified: number;
  /** base64 checksum of the part with the upload's algorithm, when it has one. */
  readonly checksum?: string;
  readonly bodyId: string;
}

/** A key range scan: keys after `after` (or from it, when inclusive), below `before`. */
export interface KeyRange {
  readonly after: string;
  readonly inclusive: boolean;
  readonly before?: string;
  readonly limit: number;
}

export interface ObjectStore {
  /** False when the bucket exists. */
  createBucket(record: BucketRecord): boolean;
  getBucket(name: string): BucketRecord | undefined;
  listBuckets(): BucketRecord[];
  /**
   * Deletes an empty bucket and the in-progress uploads in it; returns the part bodies
   * to remove, or 'missing' / 'not-empty'.
   */
  deleteBucket(name: string): { bodyIds: string[] } | 'missing' | 'not-empty';

  getObject(bucket: string, key: string): ObjectRecord | undefined;
  /** Records (or replaces) an object; returns the replaced one, or 'no-bucket'. */
  putObject(record: ObjectRecord): { previous?: ObjectRecord } | 'no-bucket';
  /** Removes an object; returns it if it existed. */
  deleteObject(bucket: string, key: string): ObjectRecord | undefined;
  listObjects(bucket: string, range: KeyRange): ObjectRecord[];

  createUpload(record: UploadRecord): boolean;
  getUpload(uploadId: string): UploadRecord | undefined;
  listUploads(bucket: string, prefix: string, limit: number): UploadRecord[];
  /** Records a part (replacing a part of the same number); 'no-upload' if the upload is gone. */
  putPart(record: PartRecord): { previous?: PartRecord } | 'no-upload';
  /** Parts in part-number order, after `afterPart`. */
  listParts(uploadId: string, afterPart: number, limit: number): PartRecord[];
  /**
   * In one transaction: records the object, removes the upload and all its parts. Returns
   * the replaced object and every part (their bodies are the caller's to remove), or
   * 'no-upload' / 'no-bucket'.
   */
  completeUpload(uploadId: string, object: ObjectRecord): { previous?: ObjectRecord; parts: PartRecord[] } | 'no-upload' | 'no-bucket';
  /** Removes an upload and its parts; returns the parts, or undefined if it did not exist. */
  abortUpload(uploadId: string): PartRecord[] | undefined;

  /** Whether any object or part row references the body (for the orphan sweep). */
  isBodyReferenced(bodyId: string): boolean;
}

/** A body written to a temporary file and fsynced, not yet in place. */
export interface StagedBody {
  readonly size: number;
  /** Moves the body into place; returns its id. */
  commit(): Promise<string>;
  /** Removes the temporary file. */
  discard(): Promise<void>;
}

/** Object bodies as immutable files, always streamed. */
export interface BodyStore {
  /**
   * Streams source to a temporary file, calling observe on each chunk (hashes, limits:
   * a throw aborts the write), and fsyncs it. The caller verifies, then commits or discards.
   */
  stage(source: Readable, observe: (chunk: Buffer) => void): Promise<StagedBody>;
  /** Opens a body for reading, bytes start..end inclusive; undefined if it is gone. */
  open(bodyId: string, start?: number, end?: number): Promise<Readable | undefined>;
  /** A second id for the same bytes (a hard link): copies cost no I/O. */
  duplicate(bodyId: string): Promise<string | undefined>;
  remove(bodyId: string): Promise<void>;
  /** Removes temporary files and bodies that no metadata references (left by a crash). */
  sweep(isReferenced: (bodyId: string) => boolean): Promise<{ removed: number }>;
}
