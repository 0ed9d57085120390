import type Database from 'better-sqlite3';
import { deepFreeze, RowCache } from './row-cache.ts';
import type { AliasRecord, AliasStore } from './versioning-types.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS aliases (
  function_name TEXT NOT NULL,
  name TEXT NOT NULL,
  function_version TEXT NOT NULL,
  revision_id TEXT NOT NULL,
  record TEXT NOT NULL,
  PRIMARY KEY (function_name, name)
) WITHOUT ROWID;
`;

/** Aliases in the shared metadata database (takes the handle main.ts opened with openSqlite). */
export class SqliteAliasStore implements AliasStore {
  readonly #get: Database.Statement<[string, string]>;
  readonly #revision: Database.Statement<[string, string]>;
  /** Invoking an alias reads it every time: kept decoded (and frozen) while its row is unchanged. */
  readonly #cache: RowCache<AliasRecord>;
  readonly #insert: Database.Statement<[string, string, string, string, string]>;
  readonly #update: Database.Statement<[string, string, string, string, string, string]>;
  readonly #delete: Database.Statement<[string, string]>;
  readonly #list: Database.Statement<[string, string, number]>;
  readonly #listFor: Database.Statement<[string, string, string, number]>;
  readonly #all: Database.Statement<[string]>;
  readonly #deleteAll: Database.Statement<[string]>;

  constructor(db: Database.Database) {
    db.exec(SCHEMA);
    this.#get = db.prepare('SELECT record FROM aliases WHERE function_name = ? AND name = ?');
    this.#revision = db.prepare('SELECT revision_id FROM aliases WHERE function_name = ? AND name = ?').pluck();
    this.#cache = new RowCache(db, (alias) => alias.revisionId);
    this.#insert = db.prepare(
      'INSERT OR IGNORE INTO aliases (function_name, name, function_version, revision_id, record) VALUES (?, ?, ?, ?, ?)',
    );
    this.#update = db.prepare(
      'UPDATE aliases SET function_version = ?, revision_id = ?, record = ? WHERE function_name = ? AND name = ? AND revision_id = ?',
    );
    this.#delete = db.prepare('DELETE FROM aliases WHERE function_name = ? AND name = ?');
    this.#list = db.prepare('SELECT record FROM aliases WHERE function_name = ? AND name > ? ORDER BY name LIMIT ?');
    this.#listFor = db.prepare(
      'SELECT record FROM aliases WHERE function_name = ? AND function_version = ? AND name > ? ORDER BY name LIMIT ?',
    );
    this.#all = db.prepare('SELECT record FROM aliases WHERE function_name = ? ORDER BY name');
    this.#deleteAll = db.prepare('DELETE FROM aliases WHERE function_name = ?');
  }

  getAlias(functionName: string, name: string): AliasRecord | undefined {
    return this.#cache.get(
      `${functionName}\u0000${name}`,
      () => this.#revision.get(functionName, name) as string | undefined,
      () => {
        const row = this.#get.get(functionName, name) as { record: string } | undefined;
        return row ? deepFreeze(JSON.parse(row.record) as AliasRecord) : undefined;
      },
    );
  }

  createAlias(alias: AliasRecord): boolean {
    return this.#insert.run(alias.functionName, alias.name, alias.functionVersion, alias.revisionId, JSON.stringify(alias)).changes === 1;
  }

  updateAlias(alias: AliasRecord, expectedRevisionId: string): boolean {
    const info = this.#update.run(alias.functionVersion, alias.revisionId, JSON.stringify(alias), alias.functionName, alias.name, expectedRevisionId);
    return info.changes === 1;
  }

  deleteAlias(functionName: string, name: string): boolean {
    return this.#delete.run(functionName, name).changes === 1;
  }

  listAliases(functionName: string, after: string | undefined, limit: number, version?: string): AliasRecord[] {
    const rows = version === undefined ? this.#list.all(functionName, after ?? '', limit) : this.#listFor.all(functionName, version, after ?? '', limit);
    return (rows as { record: string }[]).map((r) => JSON.parse(r.record) as AliasRecord);
  }

  aliasesReferencing(functionName: string, version: string): string[] {
    // A function has a handful of aliases; reading them all beats a JSON query.
    return (this.#all.all(functionName) as { record: string }[])
      .map((r) => JSON.parse(r.record) as AliasRecord)
      .filter((a) => a.functionVersion === version || (a.additionalVersionWeights && version in a.additionalVersionWeights))
      .map((a) => a.name);
  }

  deleteAliasesOf(functionName: string): number {
    return this.#deleteAll.run(functionName).changes;
  }
}
