import type Database from 'better-sqlite3';
import { cacheGeneration } from './row-cache.ts';
import { CredentialSealer } from './credential-sealing.ts';
import type { ValueCipher } from './encryption.ts';
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

/**
 * Temporary credentials, in the shared metadata database so they survive a restart; with a
 * cipher, their secret keys and tokens are sealed at rest.
 */
export class SqliteSessionStore implements SessionStore {
  readonly #get;
  readonly #put;
  readonly #sweep;
  readonly #sealer: CredentialSealer;
  readonly changes: () => number | undefined;

  constructor(db: Database.Database, cipher?: ValueCipher) {
    db.exec(SCHEMA);
    this.changes = cacheGeneration(db);
    this.#sealer = new CredentialSealer(cipher, 'iam_sessions');
    this.#sealer.migrate(db, 'access_key_id', ['secret_access_key', 'session_token']);
    this.#get = db.prepare(
      'SELECT access_key_id AS accessKeyId, secret_access_key AS secretAccessKey, session_token AS sessionToken, expires_at AS expiresAt, principal FROM iam_sessions WHERE access_key_id = ?',
    );
    this.#put = db.prepare(
      'INSERT INTO iam_sessions (access_key_id, secret_access_key, session_token, expires_at, principal) VALUES (@accessKeyId, @secretAccessKey, @sessionToken, @expiresAt, @principal)',
    );
    this.#sweep = db.prepare('DELETE FROM iam_sessions WHERE expires_at <= ?');
  }

  get(accessKeyId: string): SessionRecord | undefined {
    const row = this.#get.get(accessKeyId) as SessionRecord | undefined;
    if (!row) return undefined;
    const id = row.accessKeyId;
    return { ...row, secretAccessKey: this.#sealer.open('secret_access_key', id, row.secretAccessKey), sessionToken: this.#sealer.open('session_token', id, row.sessionToken) };
  }

  put(session: SessionRecord): void {
    const id = session.accessKeyId;
    this.#put.run({ ...session, secretAccessKey: this.#sealer.seal('secret_access_key', id, session.secretAccessKey), sessionToken: this.#sealer.seal('session_token', id, session.sessionToken) });
  }

  sweep(now: number): number {
    return this.#sweep.run(now).changes;
  }
}
