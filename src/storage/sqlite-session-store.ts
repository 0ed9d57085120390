import type Database from 'better-sqlite3';
import type { SessionRecord, SessionStore } from './iam-types.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS iam_sessions (
  access_key_id TEXT PRIMARY KEY,
  secret_access_key TEXT NOT NULL,
  session_token TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  principal TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS iam_sessions_expiry ON iam_sessions (expires_at);
`;

/** Temporary credentials, in the shared metadata database so they survive a restart. */
export class SqliteSessionStore implements SessionStore {
  readonly #get;
  readonly #put;
  readonly #sweep;

  constructor(db: Database.Database) {
    db.exec(SCHEMA);
    this.#get = db.prepare(
      'SELECT access_key_id AS accessKeyId, secret_access_key AS secretAccessKey, session_token AS sessionToken, expires_at AS expiresAt, principal FROM iam_sessions WHERE access_key_id = ?',
    );
    this.#put = db.prepare(
      'INSERT INTO iam_sessions (access_key_id, secret_access_key, session_token, expires_at, principal) VALUES (@accessKeyId, @secretAccessKey, @sessionToken, @expiresAt, @principal)',
    );
    this.#sweep = db.prepare('DELETE FROM iam_sessions WHERE expires_at <= ?');
  }

  get(accessKeyId: string): SessionRecord | undefined {
    return this.#get.get(accessKeyId) as SessionRecord | undefined;
  }

  put(session: SessionRecord): void {
    this.#put.run(session);
  }

  sweep(now: number): number {
    return this.#sweep.run(now).changes;
  }
}
