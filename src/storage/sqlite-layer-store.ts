import type Database from 'better-sqlite3';
import type { LayerFilter, LayerStore, LayerVersionRecord } from './layer-types.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS layers (
  name TEXT PRIMARY KEY,
  -- highest number ever given; kept when every version is deleted, so none is reused
  last_version INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS layer_versions (
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  code_key TEXT NOT NULL,
  record TEXT NOT NULL,
  PRIMARY KEY (name, version)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS layer_versions_code_key ON layer_versions (code_key);
CREATE TABLE IF NOT EXISTS layer_blobs_retained (
  code_key TEXT PRIMARY KEY
) WITHOUT ROWID;
`;

/**
 * Layers in the shared metadata database. Function versions reference layer blobs from
 * their own records (FunctionRecord.layers), read here with json_each so a blob stays
 * while any function still uses it.
 */
export class SqliteLayerStore implements LayerStore {
  readonly #db: Database.Database;
  readonly #bump: Database.Statement<[string]>;
  readonly #last: Database.Statement<[string]>;
  readonly #insert: Database.Statement<[string, number, string, string]>;
  readonly #get: Database.Statement<[string, number]>;
  readonly #versions: Database.Statement<[string, number]>;
  readonly #all: Database.Statement<[string]>;
  readonly #delete: Database.Statement<[string, number]>;
  readonly #countVersions: Database.Statement<[string]>;
  readonly #retain: Database.Statement<[string]>;
  readonly #retained: Database.Statement<[]>;
  readonly #release: Database.Statement<[string]>;
  /** Statements over the functions table, prepared on first use (its store creates it). */
  #countFunctions?: Database.Statement<[string]>;
  #lists?: Database.Statement<[]>;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#db.exec(SCHEMA);
    this.#bump = db.prepare(
      'INSERT INTO layers (name, last_version) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET last_version = last_version + 1',
    );
    this.#last = db.prepare('SELECT last_version AS v FROM layers WHERE name = ?');
    this.#insert = db.prepare('INSERT INTO layer_versions (name, version, code_key, record) VALUES (?, ?, ?, ?)');
    this.#get = db.prepare('SELECT record FROM layer_versions WHERE name = ? AND version = ?');
    this.#versions = db.prepare('SELECT record FROM layer_versions WHERE name = ? AND version < ? ORDER BY version DESC');
    this.#all = db.prepare('SELECT record FROM layer_versions WHERE name > ? ORDER BY name, version DESC');
    this.#delete = db.prepare('DELETE FROM layer_versions WHERE name = ? AND version = ? RETURNING record');
    this.#countVersions = db.prepare('SELECT COUNT(*) AS n FROM layer_versions WHERE code_key = ?');
    this.#retain = db.prepare('INSERT OR IGNORE INTO layer_blobs_retained (code_key) VALUES (?)');
    this.#retained = db.prepare('SELECT code_key FROM layer_blobs_retained');
    this.#release = db.prepare('DELETE FROM layer_blobs_retained WHERE code_key = ?');
  }

  publish(input: Omit<LayerVersionRecord, 'version'>): LayerVersionRecord {
    return this.#db.transaction(() => {
      this.#bump.run(input.name);
      const version = (this.#last.get(input.name) as { v: number }).v;
      const record: LayerVersionRecord = { ...input, version };
      this.#insert.run(record.name, version, record.codeKey, JSON.stringify(record));
      return record;
    })();
  }

  getVersion(name: string, version: number): LayerVersionRecord | undefined {
    const row = this.#get.get(name, version) as { record: string } | undefined;
    return row ? (JSON.parse(row.record) as LayerVersionRecord) : undefined;
  }

  listVersions(name: string, filter: LayerFilter, before: number | undefined, limit: number): LayerVersionRecord[] {
    const out: LayerVersionRecord[] = [];
    for (const row of this.#versions.iterate(name, before ?? Number.MAX_SAFE_INTEGER) as Iterable<{ record: string }>) {
      const record = JSON.parse(row.record) as LayerVersionRecord;
      if (!matches(record, filter)) continue;
      out.push(record);
      if (out.length === limit) break;
    }
    return out;
  }

  listLatest(filter: LayerFilter, after: string | undefined, limit: number): LayerVersionRecord[] {
    const out: LayerVersionRecord[] = [];
    let last: string | undefined;
    for (const row of this.#all.iterate(after ?? '') as Iterable<{ record: string }>) {
      const record = JSON.parse(row.record) as LayerVersionRecord;
      // Rows come newest first within a layer: the first match is the latest matching version.
      if (record.name === last || !matches(record, filter)) continue;
      last = record.name;
      out.push(record);
      if (out.length === limit) break;
    }
    return out;
  }

  deleteVersion(name: string, version: number): LayerVersionRecord | undefined {
    const row = this.#delete.get(name, version) as { record: string } | undefined;
    return row ? (JSON.parse(row.record) as LayerVersionRecord) : undefined;
  }

  countCodeReferences(codeKey: string): number {
    this.#countFunctions ??= this.#db.prepare(
      "SELECT COUNT(*) AS n FROM functions, json_each(functions.record, '$.layers') AS l WHERE json_extract(l.value, '$.codeKey') = ?",
    );
    const versions = (this.#countVersions.get(codeKey) as { n: number }).n;
    return versions + (this.#countFunctions.get(codeKey) as { n: number }).n;
  }

  retain(codeKey: string): void {
    this.#retain.run(codeKey);
  }

  retained(): string[] {
    return (this.#retained.all() as { code_key: string }[]).map((r) => r.code_key);
  }

  release(codeKey: string): void {
    this.#release.run(codeKey);
  }

  layerListsInUse(): string[][] {
    this.#lists ??= this.#db.prepare(
      "SELECT DISTINCT json_extract(record, '$.layers') AS layers FROM functions WHERE json_array_length(record, '$.layers') > 0",
    );
    return (this.#lists.all() as { layers: string }[]).map((r) =>
      (JSON.parse(r.layers) as { codeKey: string }[]).map((l) => l.codeKey),
    );
  }
}

function matches(record: LayerVersionRecord, filter: LayerFilter): boolean {
  if (filter.runtime !== undefined && !record.compatibleRuntimes?.includes(filter.runtime)) return false;
  if (filter.architecture !== undefined && !record.compatibleArchitectures?.includes(filter.architecture)) return false;
  return true;
}
