import type Database from 'better-sqlite3';

/** One LambdaFunctionConfiguration of a bucket, as validated by the S3 API. */
export interface LambdaNotification {
  readonly id: string;
  readonly functionArn: string;
  /** s3:ObjectCreated:*, s3:ObjectRemoved:Delete, ... */
  readonly events: readonly string[];
  /** Key filter rules, names normalized to Prefix / Suffix, in the order given. */
  readonly filterRules: ReadonlyArray<{ readonly name: 'Prefix' | 'Suffix'; readonly value: string }>;
}

/** A bucket's notification configuration (only Lambda destinations exist in Nimbus). */
export interface NotificationConfigRecord {
  readonly lambda: readonly LambdaNotification[];
}

export interface NotificationStore {
  getNotifications(bucket: string): NotificationConfigRecord | undefined;
  /** Replaces the bucket's configuration; undefined removes it. False when the bucket does not exist. */
  putNotifications(bucket: string, config: NotificationConfigRecord | undefined): boolean;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS s3_bucket_notifications (
  bucket TEXT PRIMARY KEY,
  config TEXT NOT NULL
) WITHOUT ROWID;
-- The configuration goes with its bucket, in DeleteBucket's own transaction.
CREATE TRIGGER IF NOT EXISTS s3_bucket_notifications_bucket_gone AFTER DELETE ON s3_buckets BEGIN
  DELETE FROM s3_bucket_notifications WHERE bucket = OLD.name;
END;
`;

/** Bucket notification configurations in the shared metadata database (built after the object store). */
export class SqliteNotificationStore implements NotificationStore {
  readonly #get: Database.Statement<[string]>;
  readonly #put: (bucket: string, config: string) => boolean;
  readonly #delete: Database.Statement<[string]>;

  constructor(db: Database.Database) {
    db.exec(SCHEMA);
    this.#get = db.prepare('SELECT config FROM s3_bucket_notifications WHERE bucket = ?');
    const exists = db.prepare('SELECT 1 FROM s3_buckets WHERE name = ?');
    const upsert = db.prepare('INSERT INTO s3_bucket_notifications (bucket, config) VALUES (?, ?) ON CONFLICT (bucket) DO UPDATE SET config = excluded.config');
    this.#put = db.transaction((bucket: string, config: string) => {
      if (!exists.get(bucket)) return false;
      upsert.run(bucket, config);
      return true;
    });
    this.#delete = db.prepare('DELETE FROM s3_bucket_notifications WHERE bucket = ?');
  }

  getNotifications(bucket: string): NotificationConfigRecord | undefined {
    const row = this.#get.get(bucket) as { config: string } | undefined;
    return row && (JSON.parse(row.config) as NotificationConfigRecord);
  }

  putNotifications(bucket: string, config: NotificationConfigRecord | undefined): boolean {
    if (config === undefined || config.lambda.length === 0) {
      this.#delete.run(bucket);
      return true;
    }
    return this.#put(bucket, JSON.stringify(config));
  }
}
