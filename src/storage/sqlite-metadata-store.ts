import type Database from 'better-sqlite3';
import type { ValueCipher } from './encryption.ts';
import { FunctionRecordCodec, migrateFunctionEnvironments } from './function-record-codec.ts';
import { deepFreeze, RowCache } from './row-cache.ts';
import type { FunctionRecord, MetadataStore } from './types.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS functions (
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  revision_id TEXT NOT NULL,
  code_key TEXT NOT NULL,
  record TEXT NOT NULL,
  PRIMARY KEY (name, version)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS functions_code_key ON functions (code_key);
`;

/** SQLite (WAL) metadata: durable across restarts and kill -9. */
export class SqliteMetadataStore implements MetadataStore {
  readonly #db: Database.Database;
  readonly #get: Database.Statement<[string, string]>;
  readonly #revision: Database.Statement<[string, string]>;
  /**
   * Decoded records by name and version: an invoke reads its function's record, and
   * decoding it (JSON and the sealed environment) costs more than everything else the
   * lookup does. Shared and frozen; a changed or deleted row is never served (RowCache).
   */
  readonly #cache: RowCache<FunctionRecord>;
  readonly #insert: Database.Statement<[string, string, string, string, string]>;
  readonly #update: Database.Statement<[string, string, string, string, string, string]>;
  readonly #selectAll: Database.Statement<[string]>;
  readonly #deleteAll: Database.Statement<[string]>;
  readonly #list: Database.Statement<[string, number]>;
  readonly #countCode: Database.Statement<[string]>;
  readonly #usage: Database.Statement<[]>;
  readonly #codec: FunctionRecordCodec;

  /**
   * Takes an open database (see openSqlite) so other stores can share the file, and the
   * cipher that seals environment variables at rest (plaintext rows left by an older
   * server are sealed here). Without one (unit tests only) they are stored as given.
   */
  constructor(db: Database.Database, cipher?: ValueCipher) {
    this.#db = db;
    this.#db.exec(SCHEMA);
    this.#codec = new FunctionRecordCodec(cipher);
    if (cipher) migrateFunctionEnvironments(db, this.#codec);
    this.#get = this.#db.prepare('SELECT record FROM functions WHERE name = ? AND version = ?');
    this.#revision = this.#db.prepare('SELECT revision_id FROM functions WHERE name = ? AND version = ?').pluck();
    this.#cache = new RowCache(db, (record) => record.revisionId);
    this.#insert = this.#db.prepare(
      'INSERT OR IGNORE INTO functions (name, version, revision_id, code_key, record) VALUES (?, ?, ?, ?, ?)',
    );
    this.#update = this.#db.prepare(
      'UPDATE functions SET revision_id = ?, code_key = ?, record = ? WHERE name = ? AND version = ? AND revision_id = ?',
    );
    this.#selectAll = this.#db.prepare('SELECT record FROM functions WHERE name = ?');
    this.#deleteAll = this.#db.prepare('DELETE FROM functions WHERE name = ?');
    this.#list = this.#db.prepare(
      "SELECT record FROM functions WHERE version = '$LATEST' AND name > ? ORDER BY name LIMIT ?",
    );
    this.#countCode = this.#db.prepare('SELECT COUNT(*) AS n FROM functions WHERE code_key = ?');
    this.#usage = this.#db.prepare(
      "SELECT (SELECT COUNT(*) FROM functions WHERE version = '$LATEST') AS functionCount, " +
        "COALESCE((SELECT SUM(json_extract(record, '$.codeSize')) FROM functions), 0) AS totalCodeSize",
    );
  }

  getFunction(name: string, version = '$LATEST'): FunctionRecord | undefined {
    return this.#cache.get(
      `${name}\u0000${version}`,
      () => this.#revision.get(name, version) as string | undefined,
      () => {
        const row = this.#get.get(name, version) as { record: string } | undefined;
        return row ? deepFreeze(this.#codec.decode(row.record)) : undefined;
      },
    );
  }

  createFunction(record: FunctionRecord): boolean {
    const info = this.#insert.run(record.name, record.version, record.revisionId, record.codeKey, this.#codec.encode(record));
    return info.changes === 1;
  }

  updateFunction(record: FunctionRecord, expectedRevisionId: string): boolean {
    const info = this.#update.run(
      record.revisionId,
      record.codeKey,
      this.#codec.encode(record),
      record.name,
      record.version,
      expectedRevisionId,
    );
    return info.changes === 1;
  }

  deleteFunction(name: string): FunctionRecord[] {
    const removed = this.#db.transaction(() => {
      const rows = this.#selectAll.all(name) as { record: string }[];
      this.#deleteAll.run(name);
      return rows.map((r) => this.#codec.decode(r.record));
    })();
    // Never served again anyway (their rows are gone); this only frees the memory.
    this.#cache.forgetPrefix(`${name}\u0000`);
    return removed;
  }

  listFunctions(after: string | undefined, limit: number): FunctionRecord[] {
    const rows = this.#list.all(after ?? '', limit) as { record: string }[];
    return rows.map((r) => this.#codec.decode(r.record));
  }

  usage(): { functionCount: number; totalCodeSize: number } {
    return this.#usage.get() as { functionCount: number; totalCodeSize: number };
  }

  countCodeReferences(codeKey: string): number {
    return (this.#countCode.get(codeKey) as { n: number }).n;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
