import type Database from 'better-sqlite3';

/** Bucket policies (PutBucketPolicy), as the JSON text the client sent. */
export interface BucketPolicyStore {
  getBucketPolicy(bucket: string): string | undefined;
  /** False when the bucket does not exist. */
  putBucketPolicy(bucket: string, policy: string): boolean;
  /** False when the bucket had none. */
  deleteBucketPolicy(bucket: string): boolean;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS s3_bucket_policies (
  bucket TEXT PRIMARY KEY,
  policy TEXT NOT NULL
) WITHOUT ROWID;
-- The policy goes with its bucket, in DeleteBucket's own transaction: a new bucket of the same name starts without one.
CREATE TRIGGER IF NOT EXISTS s3_bucket_policies_bucket_gone AFTER DELETE ON s3_buckets BEGIN
  DELETE FROM s3_bucket_policies WHERE bucket = OLD.name;
END;
`;

/** Bucket policies in the shared metadata database (built after the object store, whose s3_buckets it follows). */
export class SqliteBucketPolicyStore implements BucketPolicyStore {
  readonly #get: Database.Statement<[string]>;
  readonly #put: (bucket: string, policy: string) => boolean;
  readonly #delete: Database.Statement<[string]>;

  constructor(db: Database.Database) {
    db.exec(SCHEMA);
    // Read on every S3 request: prepared once.
    this.#get = db.prepare('SELECT policy FROM s3_bucket_policies WHERE bucket = ?');
    const exists = db.prepare('SELECT 1 FROM s3_buckets WHERE name = ?');
    const upsert = db.prepare('INSERT INTO s3_bucket_policies (bucket, policy) VALUES (?, ?) ON CONFLICT (bucket) DO UPDATE SET policy = excluded.policy');
    this.#put = db.transaction((bucket: string, policy: string) => {
      if (!exists.get(bucket)) return false;
      upsert.run(bucket, policy);
      return true;
    });
    this.#delete = db.prepare('DELETE FROM s3_bucket_policies WHERE bucket = ?');
  }

  getBucketPolicy(bucket: string): string | undefined {
    return (this.#get.get(bucket) as { policy: string } | undefined)?.policy;
  }

  putBucketPolicy(bucket: string, policy: string): boolean {
    return this.#put(bucket, policy);
  }

  deleteBucketPolicy(bucket: string): boolean {
    return this.#delete.run(bucket).changes > 0;
  }
}
