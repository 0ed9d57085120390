import type Database from 'better-sqlite3';
import type { ValueCipher } from './encryption.ts';
import { FunctionRecordCodec } from './function-record-codec.ts';
import type { FunctionRecord } from './types.ts';
import type { VersionCursor, VersionStore } from './versioning-types.ts';

/**
 * Published versions live beside $LATEST in the `functions` table that
 * SqliteMetadataStore creates (construct this store after it, on the same handle).
 * `ord` sorts $LATEST (0) before version numbers.
 */
const ORD = "CASE version WHEN '$LATEST' THEN 0 ELSE CAST(version AS INTEGER) END";

export class SqliteVersionStore implements VersionStore {
  readonly #db: Database.Database;
  readonly #list: Database.Statement<[string, number, number]>;
  readonly #listAll: Database.Statement<[string, string, number, number]>;
  readonly #max: Database.Statement<[string]>;
  readonly #get: Database.Statement<[string, string]>;
  readonly #delete: Database.Statement<[string, string]>;
  readonly #byCode: Database.Statement<[string, string]>;
  readonly #codec: FunctionRecordCodec;

  /** The same cipher as the SqliteMetadataStore's: published versions keep their environment sealed too. */
  constructor(db: Database.Database, cipher?: ValueCipher) {
    this.#db = db;
    this.#codec = new FunctionRecordCodec(cipher);
    this.#list = db.prepare(`SELECT record FROM functions WHERE name = ? AND ${ORD} > ? ORDER BY ${ORD} LIMIT ?`);
    this.#listAll = db.prepare(
      `SELECT record FROM functions WHERE name > ? OR (name = ? AND ${ORD} > ?) ORDER BY name, ${ORD} LIMIT ?`,
    );
    this.#max = db.prepare(`SELECT COALESCE(MAX(CAST(version AS INTEGER)), 0) AS n FROM functions WHERE name = ? AND version != '$LATEST'`);
    this.#get = db.prepare('SELECT record FROM functions WHERE name = ? AND version = ?');
    this.#delete = db.prepare("DELETE FROM functions WHERE name = ? AND version = ? AND version != '$LATEST'");
    this.#byCode = db.prepare('SELECT record FROM functions WHERE name = ? AND code_key = ? LIMIT 1');
  }

  atomically<T>(fn: () => T): T {
    return this.#db.transaction(fn).immediate();
  }

  listVersions(name: string, after: string | undefined, limit: number): FunctionRecord[] {
    return this.#parse(this.#list.all(name, ordOf(after), limit));
  }

  listAll(after: VersionCursor | undefined, limit: number): FunctionRecord[] {
    if (!after) return this.#parse(this.#listAll.all('', '', -1, limit));
    return this.#parse(this.#listAll.all(after.name, after.name, ordOf(after.version), limit));
  }

  maxVersion(name: string): number {
    return (this.#max.get(name) as { n: number }).n;
  }

  deleteVersion(name: string, version: string): FunctionRecord | undefined {
    return this.atomically(() => {
      const row = this.#get.get(name, version) as { record: string } | undefined;
      if (!row || this.#delete.run(name, version).changes !== 1) return undefined;
      return this.#codec.decode(row.record);
    });
  }

  #parse(rows: unknown[]): FunctionRecord[] {
    return (rows as { record: string }[]).map((r) => this.#codec.decode(r.record));
  }

  findByCode(name: string, codeKey: string): FunctionRecord | undefined {
    const row = this.#byCode.get(name, codeKey) as { record: string } | undefined;
    return row ? this.#codec.decode(row.record) : undefined;
  }
}

/** Sort position of a version: -1 before everything, 0 for $LATEST, else its number. */
function ordOf(version: string | undefined): number {
  if (version === undefined) return -1;
  return version === '$LATEST' ? 0 : Number(version);
}
