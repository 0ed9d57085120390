import type Database from 'better-sqlite3';
import type { BucketRecord, KeyRange, ObjectHeaders, ObjectRecord, ObjectStore, PartRecord, UploadRecord } from './object-types.ts';

// Keys are TEXT with SQLite's BINARY collation: memcmp of UTF-8, which is the order S3 lists keys in.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS s3_buckets (
  name TEXT PRIMARY KEY,
  region TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS s3_objects (
  bucket TEXT NOT NULL REFERENCES s3_buckets(name),
  key TEXT NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  last_modified INTEGER NOT NULL,
  headers TEXT NOT NULL,
  checksum_algorithm TEXT,
  checksum_type TEXT,
  checksum_value TEXT,
  parts_count INTEGER,
  body_id TEXT NOT NULL,
  PRIMARY KEY (bucket, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS s3_objects_body ON s3_objects(body_id);
CREATE TABLE IF NOT EXISTS s3_uploads (
  upload_id TEXT PRIMARY KEY,
  bucket TEXT NOT NULL REFERENCES s3_buckets(name),
  key TEXT NOT NULL,
  initiated INTEGER NOT NULL,
  headers TEXT NOT NULL,
  checksum_algorithm TEXT,
  checksum_type TEXT
);
CREATE INDEX IF NOT EXISTS s3_uploads_bucket ON s3_uploads(bucket, key);
CREATE TABLE IF NOT EXISTS s3_parts (
  upload_id TEXT NOT NULL,
  part_number INTEGER NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  last_modified INTEGER NOT NULL,
  checksum TEXT,
  body_id TEXT NOT NULL,
  PRIMARY KEY (upload_id, part_number)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS s3_parts_body ON s3_parts(body_id);
`;

interface ObjectRow {
  bucket: string;
  key: string;
  size: number;
  etag: string;
  last_modified: number;
  headers: string;
  checksum_algorithm: string | null;
  checksum_type: 'COMPOSITE' | 'FULL_OBJECT' | null;
  checksum_value: string | null;
  parts_count: number | null;
  body_id: string;
}

interface UploadRow {
  upload_id: string;
  bucket: string;
  key: string;
  initiated: number;
  headers: string;
  checksum_algorithm: string | null;
  checksum_type: 'COMPOSITE' | 'FULL_OBJECT' | null;
}

interface PartRow {
  upload_id: string;
  part_number: number;
  size: number;
  etag: string;
  last_modified: number;
  checksum: string | null;
  body_id: string;
}

function headersJson(h: ObjectHeaders): string {
  const { contentType, cacheControl, contentDisposition, contentEncoding, contentLanguage, expires, websiteRedirectLocation, metadata } = h;
  return JSON.stringify({ contentType, cacheControl, contentDisposition, contentEncoding, contentLanguage, expires, websiteRedirectLocation, metadata });
}

function toObject(row: ObjectRow): ObjectRecord {
  const headers = JSON.parse(row.headers) as ObjectHeaders;
  return {
    ...headers,
    bucket: row.bucket,
    key: row.key,
    size: row.size,
    etag: row.etag,
    lastModified: row.last_modified,
    bodyId: row.body_id,
    ...(row.checksum_algorithm && row.checksum_type && row.checksum_value
      ? { checksum: { algorithm: row.checksum_algorithm, type: row.checksum_type, value: row.checksum_value } }
      : {}),
    ...(row.parts_count ? { partsCount: row.parts_count } : {}),
  };
}

function toUpload(row: UploadRow): UploadRecord {
  return {
    ...(JSON.parse(row.headers) as ObjectHeaders),
    uploadId: row.upload_id,
    bucket: row.bucket,
    key: row.key,
    initiated: row.initiated,
    ...(row.checksum_algorithm ? { checksumAlgorithm: row.checksum_algorithm } : {}),
    ...(row.checksum_type ? { checksumType: row.checksum_type } : {}),
  };
}

function toPart(row: PartRow): PartRecord {
  return {
    uploadId: row.upload_id,
    partNumber: row.part_number,
    size: row.size,
    etag: row.etag,
    lastModified: row.last_modified,
    bodyId: row.body_id,
    ...(row.checksum ? { checksum: row.checksum } : {}),
  };
}

/** S3 bucket, object, upload and part metadata in the shared metadata database. */
export class SqliteObjectStore implements ObjectStore {
  readonly #s;
  readonly #deleteBucket;
  readonly #putObject;
  readonly #putPart;
  readonly #completeUpload;
  readonly #abortUpload;
  readonly #listStatements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {
    db.exec(SCHEMA);
    const s = {
      insertBucket: db.prepare('INSERT INTO s3_buckets (name, region, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
      getBucket: db.prepare('SELECT name, region, created_at AS createdAt FROM s3_buckets WHERE name = ?'),
      listBuckets: db.prepare('SELECT name, region, created_at AS createdAt FROM s3_buckets ORDER BY name'),
      anyObject: db.prepare('SELECT 1 FROM s3_objects WHERE bucket = ? LIMIT 1'),
      bucketUploads: db.prepare('SELECT upload_id FROM s3_uploads WHERE bucket = ?'),
      deleteBucketRow: db.prepare('DELETE FROM s3_buckets WHERE name = ?'),
      getObject: db.prepare('SELECT * FROM s3_objects WHERE bucket = ? AND key = ?'),
      upsertObject: db.prepare(
        `INSERT INTO s3_objects (bucket, key, size, etag, last_modified, headers, checksum_algorithm, checksum_type, checksum_value, parts_count, body_id)
         VALUES (@bucket, @key, @size, @etag, @lastModified, @headers, @checksumAlgorithm, @checksumType, @checksumValue, @partsCount, @bodyId)
         ON CONFLICT (bucket, key) DO UPDATE SET size = excluded.size, etag = excluded.etag, last_modified = excluded.last_modified,
           headers = excluded.headers, checksum_algorithm = excluded.checksum_algorithm, checksum_type = excluded.checksum_type,
           checksum_value = excluded.checksum_value, parts_count = excluded.parts_count, body_id = excluded.body_id`,
      ),
      deleteObject: db.prepare('DELETE FROM s3_objects WHERE bucket = ? AND key = ? RETURNING *'),
      insertUpload: db.prepare(
        `INSERT INTO s3_uploads (upload_id, bucket, key, initiated, headers, checksum_algorithm, checksum_type)
         VALUES (@uploadId, @bucket, @key, @initiated, @headers, @checksumAlgorithm, @checksumType) ON CONFLICT DO NOTHING`,
      ),
      getUpload: db.prepare('SELECT * FROM s3_uploads WHERE upload_id = ?'),
      listUploads: db.prepare("SELECT * FROM s3_uploads WHERE bucket = ? AND substr(key, 1, length(?)) = ? ORDER BY key, initiated LIMIT ?"),
      deleteUpload: db.prepare('DELETE FROM s3_uploads WHERE upload_id = ?'),
      getPart: db.prepare('SELECT * FROM s3_parts WHERE upload_id = ? AND part_number = ?'),
      upsertPart: db.prepare(
        `INSERT INTO s3_parts (upload_id, part_number, size, etag, last_modified, checksum, body_id)
         VALUES (@uploadId, @partNumber, @size, @etag, @lastModified, @checksum, @bodyId)
         ON CONFLICT (upload_id, part_number) DO UPDATE SET size = excluded.size, etag = excluded.etag,
           last_modified = excluded.last_modified, checksum = excluded.checksum, body_id = excluded.body_id`,
      ),
      listParts: db.prepare('SELECT * FROM s3_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?'),
      deleteParts: db.prepare('DELETE FROM s3_parts WHERE upload_id = ? RETURNING *'),
      objectBody: db.prepare('SELECT 1 FROM s3_objects WHERE body_id = ? LIMIT 1'),
      partBody: db.prepare('SELECT 1 FROM s3_parts WHERE body_id = ? LIMIT 1'),
    };
    this.#s = s;

    const upsert = (o: ObjectRecord) =>
      s.upsertObject.run({
        bucket: o.bucket,
        key: o.key,
        size: o.size,
        etag: o.etag,
        lastModified: o.lastModified,
        headers: headersJson(o),
        checksumAlgorithm: o.checksum?.algorithm ?? null,
        checksumType: o.checksum?.type ?? null,
        checksumValue: o.checksum?.value ?? null,
        partsCount: o.partsCount ?? null,
        bodyId: o.bodyId,
      });
    const dropUpload = (uploadId: string): PartRecord[] => {
      s.deleteUpload.run(uploadId);
      return (s.deleteParts.all(uploadId) as PartRow[]).map(toPart);
    };

    this.#deleteBucket = db.transaction((name: string): { bodyIds: string[] } | 'missing' | 'not-empty' => {
      if (!s.getBucket.get(name)) return 'missing';
      if (s.anyObject.get(name)) return 'not-empty';
      const bodyIds: string[] = [];
      for (const { upload_id } of s.bucketUploads.all(name) as { upload_id: string }[]) {
        for (const p of dropUpload(upload_id)) bodyIds.push(p.bodyId);
      }
      s.deleteBucketRow.run(name);
      return { bodyIds };
    });
    this.#putObject = db.transaction((o: ObjectRecord): { previous?: ObjectRecord } | 'no-bucket' => {
      if (!s.getBucket.get(o.bucket)) return 'no-bucket';
      const prev = s.getObject.get(o.bucket, o.key) as ObjectRow | undefined;
      upsert(o);
      return prev ? { previous: toObject(prev) } : {};
    });
    this.#putPart = db.transaction((p: PartRecord): { previous?: PartRecord } | 'no-upload' => {
      if (!s.getUpload.get(p.uploadId)) return 'no-upload';
      const prev = s.getPart.get(p.uploadId, p.partNumber) as PartRow | undefined;
      s.upsertPart.run({ ...p, checksum: p.checksum ?? null });
      return prev ? { previous: toPart(prev) } : {};
    });
    this.#completeUpload = db.transaction((uploadId: string, o: ObjectRecord) => {
      if (!s.getUpload.get(uploadId)) return 'no-upload' as const;
      if (!s.getBucket.get(o.bucket)) return 'no-bucket' as const;
      const prev = s.getObject.get(o.bucket, o.key) as ObjectRow | undefined;
      upsert(o);
      const parts = dropUpload(uploadId);
      return { ...(prev ? { previous: toObject(prev) } : {}), parts };
    });
    this.#abortUpload = db.transaction((uploadId: string): PartRecord[] | undefined => {
      if (!s.getUpload.get(uploadId)) return undefined;
      return dropUpload(uploadId);
    });
  }

  createBucket(record: BucketRecord): boolean {
    return this.#s.insertBucket.run(record.name, record.region, record.createdAt).changes === 1;
  }

  getBucket(name: string): BucketRecord | undefined {
    return this.#s.getBucket.get(name) as BucketRecord | undefined;
  }

  listBuckets(): BucketRecord[] {
    return this.#s.listBuckets.all() as BucketRecord[];
  }

  deleteBucket(name: string) {
    return this.#deleteBucket(name);
  }

  getObject(bucket: string, key: string): ObjectRecord | undefined {
    const row = this.#s.getObject.get(bucket, key) as ObjectRow | undefined;
    return row && toObject(row);
  }

  putObject(record: ObjectRecord) {
    return this.#putObject(record);
  }

  deleteObject(bucket: string, key: string): ObjectRecord | undefined {
    const row = this.#s.deleteObject.get(bucket, key) as ObjectRow | undefined;
    return row && toObject(row);
  }

  listObjects(bucket: string, range: KeyRange): ObjectRecord[] {
    const shape = `${range.inclusive ? '>=' : '>'}${range.before === undefined ? '' : '<'}`;
    let stmt = this.#listStatements.get(shape);
    if (!stmt) {
      const upper = range.before === undefined ? '' : ' AND key < @before';
      stmt = this.db.prepare(`SELECT * FROM s3_objects WHERE bucket = @bucket AND key ${range.inclusive ? '>=' : '>'} @after${upper} ORDER BY key LIMIT @limit`);
      this.#listStatements.set(shape, stmt);
    }
    const params: Record<string, unknown> = { bucket, after: range.after, limit: range.limit };
    if (range.before !== undefined) params.before = range.before;
    return (stmt.all(params) as ObjectRow[]).map(toObject);
  }

  createUpload(record: UploadRecord): boolean {
    return (
      this.#s.insertUpload.run({
        uploadId: record.uploadId,
        bucket: record.bucket,
        key: record.key,
        initiated: record.initiated,
        headers: headersJson(record),
        checksumAlgorithm: record.checksumAlgorithm ?? null,
        checksumType: record.checksumType ?? null,
      }).changes === 1
    );
  }

  getUpload(uploadId: string): UploadRecord | undefined {
    const row = this.#s.getUpload.get(uploadId) as UploadRow | undefined;
    return row && toUpload(row);
  }

  listUploads(bucket: string, prefix: string, limit: number): UploadRecord[] {
    return (this.#s.listUploads.all(bucket, prefix, prefix, limit) as UploadRow[]).map(toUpload);
  }

  putPart(record: PartRecord) {
    return this.#putPart(record);
  }

  listParts(uploadId: string, afterPart: number, limit: number): PartRecord[] {
    return (this.#s.listParts.all(uploadId, afterPart, limit) as PartRow[]).map(toPart);
  }

  completeUpload(uploadId: string, object: ObjectRecord) {
    return this.#completeUpload(uploadId, object);
  }

  abortUpload(uploadId: string): PartRecord[] | undefined {
    return this.#abortUpload(uploadId);
  }

  isBodyReferenced(bodyId: string): boolean {
    return Boolean(this.#s.objectBody.get(bodyId) ?? this.#s.partBody.get(bodyId));
  }
}
