import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { S3Errors } from '../errors/index.ts';
import { concatBodies, type BodyStore, type BucketRecord, type ObjectHeaders, type ObjectRecord, type ObjectStore, type PartRecord, type StagedBody, type UploadRecord } from '../storage/index.ts';
import type { Clock } from '../util/index.ts';
import { compositeChecksum, createDigest, type ChecksumAlgorithm } from './checksums.ts';
import type { S3Call } from './context.ts';
import type { ObjectEvent, ObjectEventListener, ObjectEventName } from './events.ts';
import type { ByteRange } from './range.ts';
import { ingestBody, type BodyPlan, type IngestedBody } from './request-body.ts';

export interface S3Limits {
  /** Largest PutObject / UploadPart / copy source. */
  readonly putObjectMaxBytes: number;
  /** Smallest part but the last. */
  readonly partMinBytes: number;
  readonly objectMaxBytes: number;
}

export interface ObjectServiceDeps {
  readonly store: ObjectStore;
  readonly bodies: BodyStore;
  readonly clock: Clock;
  readonly region: string;
  readonly limits: S3Limits;
  readonly logger: Logger;
}

/** A body ready to become an object: staged (new bytes) or an existing body id (a copy). */
export type NewBody = { readonly staged: StagedBody } | { readonly bodyId: string };

export interface NewObject extends ObjectHeaders {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly checksum?: ObjectRecord['checksum'];
  readonly partsCount?: number;
}

export interface CompletedPartRequest {
  readonly partNumber: number;
  readonly etag: string;
  readonly checksum?: string;
}

/**
 * Buckets, objects and multipart uploads over the stores. Every change follows one
 * protocol: the body is durable in place first, then one metadata transaction makes it
 * visible, then replaced bodies are removed and listeners hear about it.
 */
export class ObjectService {
  readonly #listeners: ObjectEventListener[] = [];
  #lastSequencer = 0n;

  constructor(private readonly deps: ObjectServiceDeps) {}

  get limits(): S3Limits {
    return this.deps.limits;
  }

  get region(): string {
    return this.deps.region;
  }

  /** Bucket notifications subscribe here. */
  addListener(listener: ObjectEventListener): void {
    this.#listeners.push(listener);
  }

  /** Removes bodies a crash left behind (temporary files, bodies no metadata references). */
  sweep(): Promise<{ removed: number }> {
    return this.deps.bodies.sweep((id) => this.deps.store.isBodyReferenced(id));
  }

  /** Streams a request body to a staged file and verifies it (see ingestBody). */
  ingest(req: IncomingMessage, plan: BodyPlan, options: Parameters<typeof ingestBody>[3]): Promise<IngestedBody> {
    return ingestBody(req, this.deps.bodies, plan, options);
  }

  /** Stages bytes from a stream (copies), observing each chunk. */
  stage(source: Readable, observe: (chunk: Buffer) => void): Promise<StagedBody> {
    return this.deps.bodies.stage(source, observe);
  }

  // Buckets

  createBucket(name: string): boolean {
    return this.deps.store.createBucket({ name, region: this.deps.region, createdAt: this.#now() });
  }

  async deleteBucket(name: string): Promise<void> {
    const result = this.deps.store.deleteBucket(name);
    if (result === 'missing') throw new S3Errors.NoSuchBucket(undefined, { BucketName: name });
    if (result === 'not-empty') throw new S3Errors.BucketNotEmpty(undefined, { BucketName: name });
    await this.#removeBodies(result.bodyIds);
  }

  requireBucket(name: string): BucketRecord {
    const bucket = this.deps.store.getBucket(name);
    if (!bucket) throw new S3Errors.NoSuchBucket(undefined, { BucketName: name });
    return bucket;
  }

  listBuckets(): BucketRecord[] {
    return this.deps.store.listBuckets();
  }

  // Objects

  requireObject(bucket: string, key: string): ObjectRecord {
    this.requireBucket(bucket);
    const object = this.deps.store.getObject(bucket, key);
    if (!object) throw new S3Errors.NoSuchKey(undefined, { Key: key });
    return object;
  }

  /**
   * Opens an object's bytes, the range rangeOf picks for it. A concurrent overwrite may
   * remove the body between reading the metadata and opening the file: then the newer
   * version is read instead.
   */
  async openObject(
    record: ObjectRecord,
    rangeOf: (record: ObjectRecord) => ByteRange | undefined = () => undefined,
  ): Promise<{ record: ObjectRecord; range?: ByteRange; stream: Readable }> {
    let current = record;
    for (let attempt = 0; attempt < 3; attempt++) {
      const range = rangeOf(current);
      const stream = await this.deps.bodies.open(current.bodyId, range?.start, range?.end);
      if (stream) return { record: current, ...(range ? { range } : {}), stream };
      const again = this.deps.store.getObject(current.bucket, current.key);
      if (!again) break;
      current = again;
    }
    throw new S3Errors.NoSuchKey(undefined, { Key: record.key });
  }

  /** Makes a new object visible (PutObject, CopyObject), replacing any object of that key. */
  async commitObject(object: NewObject, body: NewBody, eventName: ObjectEventName, call: S3Call): Promise<ObjectRecord> {
    const bodyId = 'staged' in body ? await body.staged.commit() : body.bodyId;
    const record: ObjectRecord = { ...object, lastModified: this.#lastModified(), bodyId };
    let result: ReturnType<ObjectStore['putObject']>;
    try {
      result = this.deps.store.putObject(record);
    } catch (err) {
      await this.deps.bodies.remove(bodyId);
      throw err;
    }
    if (result === 'no-bucket') {
      await this.deps.bodies.remove(bodyId);
      throw new S3Errors.NoSuchBucket(undefined, { BucketName: object.bucket });
    }
    // The notification is queued (durably) right after the commit, before any slower cleanup.
    this.#emit(eventName, record, call);
    if (result.previous) await this.#removeBodies([result.previous.bodyId]);
    return record;
  }

  async deleteObject(bucket: string, key: string, call: S3Call): Promise<void> {
    this.requireBucket(bucket);
    const removed = this.deps.store.deleteObject(bucket, key);
    if (!removed) return;
    this.#emit('ObjectRemoved:Delete', removed, call);
    await this.#removeBodies([removed.bodyId]);
  }

  /** A second body id for the same bytes, so a copy costs no I/O. */
  async duplicateBody(record: ObjectRecord): Promise<string | undefined> {
    return this.deps.bodies.duplicate(record.bodyId);
  }

  listObjects(bucket: string, range: Parameters<ObjectStore['listObjects']>[1]): ObjectRecord[] {
    return this.deps.store.listObjects(bucket, range);
  }

  // Multipart uploads

  createUpload(record: Omit<UploadRecord, 'initiated'>): UploadRecord {
    this.requireBucket(record.bucket);
    const upload = { ...record, initiated: this.#now() };
    if (!this.deps.store.createUpload(upload)) throw new Error('upload id collision');
    return upload;
  }

  requireUpload(bucket: string, key: string, uploadId: string): UploadRecord {
    this.requireBucket(bucket);
    const upload = this.deps.store.getUpload(uploadId);
    if (!upload || upload.bucket !== bucket || upload.key !== key) throw new S3Errors.NoSuchUpload(undefined, { UploadId: uploadId });
    return upload;
  }

  async commitPart(part: Omit<PartRecord, 'bodyId' | 'lastModified'>, staged: StagedBody): Promise<PartRecord> {
    const bodyId = await staged.commit();
    const record: PartRecord = { ...part, bodyId, lastModified: this.#lastModified() };
    const result = this.deps.store.putPart(record);
    if (result === 'no-upload') {
      await this.deps.bodies.remove(bodyId);
      throw new S3Errors.NoSuchUpload(undefined, { UploadId: part.uploadId });
    }
    if (result.previous) await this.#removeBodies([result.previous.bodyId]);
    return record;
  }

  listParts(uploadId: string, afterPart: number, limit: number): PartRecord[] {
    return this.deps.store.listParts(uploadId, afterPart, limit);
  }

  listUploads(bucket: string, prefix: string, limit: number): UploadRecord[] {
    return this.deps.store.listUploads(bucket, prefix, limit);
  }

  async abortUpload(upload: UploadRecord): Promise<void> {
    const parts = this.deps.store.abortUpload(upload.uploadId);
    if (!parts) throw new S3Errors.NoSuchUpload(undefined, { UploadId: upload.uploadId });
    await this.#removeBodies(parts.map((p) => p.bodyId));
  }

  /**
   * CompleteMultipartUpload: checks the part list against the stored parts, joins them
   * into one body (computing a FULL_OBJECT checksum on the way), and makes it the object.
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
   */
  async completeUpload(upload: UploadRecord, requested: readonly CompletedPartRequest[], fullObjectChecksum: string | undefined, call: S3Call): Promise<ObjectRecord> {
    const stored = new Map(this.deps.store.listParts(upload.uploadId, 0, 10_000).map((p) => [p.partNumber, p]));
    const algorithm = upload.checksumAlgorithm as ChecksumAlgorithm | undefined;
    const parts: PartRecord[] = [];
    let previous = 0;
    for (const want of requested) {
      if (want.partNumber <= previous) throw new S3Errors.InvalidPartOrder(undefined, { UploadId: upload.uploadId });
      previous = want.partNumber;
      const part = stored.get(want.partNumber);
      if (!part || part.etag !== want.etag.replaceAll('"', '')) {
        throw new S3Errors.InvalidPart(undefined, { UploadId: upload.uploadId, PartNumber: want.partNumber, ETag: want.etag });
      }
      if (algorithm && upload.checksumType === 'COMPOSITE' && want.checksum !== part.checksum) {
        throw new S3Errors.InvalidPart(undefined, { UploadId: upload.uploadId, PartNumber: want.partNumber, ETag: want.etag });
      }
      parts.push(part);
    }
    parts.forEach((part, i) => {
      if (i < parts.length - 1 && part.size < this.deps.limits.partMinBytes) {
        throw new S3Errors.EntityTooSmall(undefined, { ProposedSize: part.size, MinSizeAllowed: this.deps.limits.partMinBytes, PartNumber: part.partNumber, ETag: part.etag });
      }
    });
    const size = parts.reduce((n, p) => n + p.size, 0);
    if (size > this.deps.limits.objectMaxBytes) throw new S3Errors.EntityTooLarge(undefined, { ProposedSize: size, MaxSizeAllowed: this.deps.limits.objectMaxBytes });

    const etag = `${createHash('md5')
      .update(Buffer.concat(parts.map((p) => Buffer.from(p.etag, 'hex'))))
      .digest('hex')}-${parts.length}`;
    // Without an algorithm S3 adds a FULL_OBJECT CRC64NVME; COMPOSITE needs only the part checksums.
    const fullAlgorithm: ChecksumAlgorithm | undefined = !algorithm ? 'CRC64NVME' : upload.checksumType === 'FULL_OBJECT' ? algorithm : undefined;
    const digest = fullAlgorithm ? createDigest(fullAlgorithm) : undefined;
    const staged = await this.deps.bodies.stage(
      Readable.from(concatBodies(this.deps.bodies, parts.map((p) => p.bodyId))),
      (chunk) => digest?.update(chunk),
    );
    let checksum: ObjectRecord['checksum'];
    if (digest && fullAlgorithm) {
      checksum = { algorithm: fullAlgorithm, type: 'FULL_OBJECT', value: digest.digest().toString('base64') };
    } else if (algorithm) {
      checksum = { algorithm, type: 'COMPOSITE', value: compositeChecksum(algorithm, parts.map((p) => p.checksum ?? '')) };
    }
    if (fullObjectChecksum !== undefined && fullObjectChecksum !== checksum?.value) {
      await staged.discard();
      throw new S3Errors.BadDigest(`The ${algorithm ?? 'checksum'} you specified did not match the calculated checksum.`);
    }

    const bodyId = await staged.commit();
    const { uploadId: _id, initiated: _at, checksumAlgorithm: _alg, checksumType: _type, ...headers } = upload;
    const record: ObjectRecord = { ...headers, size, etag, lastModified: this.#lastModified(), bodyId, partsCount: parts.length, ...(checksum ? { checksum } : {}) };
    const result = this.deps.store.completeUpload(upload.uploadId, record);
    if (result === 'no-upload' || result === 'no-bucket') {
      await this.deps.bodies.remove(bodyId);
      if (result === 'no-bucket') throw new S3Errors.NoSuchBucket(undefined, { BucketName: upload.bucket });
      throw new S3Errors.NoSuchUpload(undefined, { UploadId: upload.uploadId });
    }
    this.#emit('ObjectCreated:CompleteMultipartUpload', record, call);
    await this.#removeBodies([...result.parts.map((p) => p.bodyId), ...(result.previous ? [result.previous.bodyId] : [])]);
    return record;
  }

  async #removeBodies(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      try {
        await this.deps.bodies.remove(id);
      } catch (err) {
        // The metadata is already gone; the startup sweep removes what is left.
        this.deps.logger.warn({ err, bodyId: id }, 'could not remove an object body');
      }
    }
  }

  #now(): number {
    return this.deps.clock.now();
  }

  /** S3 keeps Last-Modified to the second. */
  #lastModified(): number {
    return Math.floor(this.#now() / 1000) * 1000;
  }

  #emit(eventName: ObjectEventName, record: ObjectRecord, call: S3Call): void {
    if (this.#listeners.length === 0) return;
    const now = this.#now();
    this.#lastSequencer = BigInt(now) * 1000n > this.#lastSequencer ? BigInt(now) * 1000n : this.#lastSequencer + 1n;
    const removed = eventName.startsWith('ObjectRemoved');
    const event: ObjectEvent = {
      eventName,
      eventTime: now,
      region: this.deps.region,
      bucket: record.bucket,
      key: record.key,
      ...(removed ? {} : { size: record.size, eTag: record.etag }),
      sequencer: this.#lastSequencer.toString(16).toUpperCase().padStart(18, '0'),
      requestId: call.requestId,
      hostId: call.hostId,
      sourceIPAddress: call.sourceIp,
    };
    for (const listener of this.#listeners) {
      try {
        listener.onObjectEvent(event);
      } catch (err) {
        this.deps.logger.error({ err, eventName, bucket: record.bucket, key: record.key }, 'an S3 event listener threw');
      }
    }
  }
}
