import type Database from 'better-sqlite3';
import type { ValueCipher } from './encryption.ts';
import type { SecretRecord, SecretStore, SecretValue, SecretVersionRecord } from './secret-types.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS secrets (
  arn TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created INTEGER NOT NULL,
  deletion_date INTEGER,
  record TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS secrets_deletion ON secrets (deletion_date) WHERE deletion_date IS NOT NULL;
CREATE TABLE IF NOT EXISTS secret_versions (
  arn TEXT NOT NULL,
  version_id TEXT NOT NULL,
  created INTEGER NOT NULL,
  stages TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('string', 'binary')),
  value TEXT NOT NULL,
  PRIMARY KEY (arn, version_id)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS secret_versions_secret_gone AFTER DELETE ON secrets BEGIN
  DELETE FROM secret_versions WHERE arn = OLD.arn;
END;
`;

interface VersionRow {
  version_id: string;
  created: number;
  stages: string;
}

/**
 * Secrets and their versions in the metadata database. A version's value is sealed with
 * the data key, its AAD naming the secret's ARN and the version id, so the database
 * alone reveals no value and a sealed value moved to another row does not open.
 */
export class SqliteSecretStore implements SecretStore {
  readonly #db: Database.Database;
  readonly #cipher: ValueCipher;
  readonly #byName: Database.Statement<[string]>;
  readonly #byArn: Database.Statement<[string]>;
  readonly #insert: Database.Statement<[string, string, number, number | null, string]>;
  readonly #update: Database.Statement<[number | null, string, string]>;
  readonly #remove: Database.Statement<[string]>;
  readonly #list: Database.Statement<[]>;
  readonly #due: Database.Statement<[number]>;
  readonly #versions: Database.Statement<[string]>;
  readonly #version: Database.Statement<[string, string]>;
  readonly #value: Database.Statement<[string, string]>;
  readonly #addVersion: Database.Statement<[string, string, number, string, string, string]>;
  readonly #setStages: Database.Statement<[string, string, string]>;
  readonly #removeVersion: Database.Statement<[string, string]>;

  constructor(db: Database.Database, cipher: ValueCipher) {
    this.#db = db;
    this.#cipher = cipher;
    db.exec(SCHEMA);
    this.#byName = db.prepare('SELECT record FROM secrets WHERE name = ?');
    this.#byArn = db.prepare('SELECT record FROM secrets WHERE arn = ?');
    this.#insert = db.prepare('INSERT OR IGNORE INTO secrets (arn, name, created, deletion_date, record) VALUES (?, ?, ?, ?, ?)');
    this.#update = db.prepare('UPDATE secrets SET deletion_date = ?, record = ? WHERE arn = ?');
    this.#remove = db.prepare('DELETE FROM secrets WHERE arn = ?');
    this.#list = db.prepare('SELECT record FROM secrets ORDER BY created, name');
    this.#due = db.prepare('DELETE FROM secrets WHERE deletion_date <= ? RETURNING name');
    this.#versions = db.prepare('SELECT version_id, created, stages FROM secret_versions WHERE arn = ? ORDER BY created, version_id');
    this.#version = db.prepare('SELECT version_id, created, stages FROM secret_versions WHERE arn = ? AND version_id = ?');
    this.#value = db.prepare('SELECT kind, value FROM secret_versions WHERE arn = ? AND version_id = ?');
    this.#addVersion = db.prepare('INSERT INTO secret_versions (arn, version_id, created, stages, kind, value) VALUES (?, ?, ?, ?, ?, ?)');
    this.#setStages = db.prepare('UPDATE secret_versions SET stages = ? WHERE arn = ? AND version_id = ?');
    this.#removeVersion = db.prepare('DELETE FROM secret_versions WHERE arn = ? AND version_id = ?');
  }

  atomically<T>(fn: () => T): T {
    return this.#db.transaction(fn).immediate();
  }

  byName(name: string): SecretRecord | undefined {
    return parse(this.#byName.get(name));
  }

  byArn(arn: string): SecretRecord | undefined {
    return parse(this.#byArn.get(arn));
  }

  create(record: SecretRecord): boolean {
    return this.#insert.run(record.arn, record.name, record.createdDate, record.deletionDate ?? null, JSON.stringify(record)).changes === 1;
  }

  update(record: SecretRecord): void {
    this.#update.run(record.deletionDate ?? null, JSON.stringify(record), record.arn);
  }

  remove(arn: string): void {
    this.#remove.run(arn);
  }

  list(): SecretRecord[] {
    return (this.#list.all() as { record: string }[]).map((r) => JSON.parse(r.record) as SecretRecord);
  }

  purgeDue(now: number): string[] {
    return (this.#due.all(now) as { name: string }[]).map((r) => r.name);
  }

  versions(arn: string): SecretVersionRecord[] {
    return (this.#versions.all(arn) as VersionRow[]).map(toVersion);
  }

  version(arn: string, versionId: string): SecretVersionRecord | undefined {
    const row = this.#version.get(arn, versionId) as VersionRow | undefined;
    return row ? toVersion(row) : undefined;
  }

  value(arn: string, versionId: string): SecretValue | undefined {
    const row = this.#value.get(arn, versionId) as { kind: string; value: string } | undefined;
    if (!row) return undefined;
    const clear = this.#cipher.open(row.value, aadOf(arn, versionId));
    return row.kind === 'binary' ? { binary: clear } : { string: clear.toString('utf8') };
  }

  addVersion(arn: string, version: SecretVersionRecord, value: SecretValue): void {
    const kind = value.binary !== undefined ? 'binary' : 'string';
    const sealed = this.#cipher.seal(value.binary ?? value.string ?? '', aadOf(arn, version.versionId));
    this.#addVersion.run(arn, version.versionId, version.createdDate, JSON.stringify(version.stages), kind, sealed);
  }

  setStages(arn: string, versionId: string, stages: readonly string[]): void {
    this.#setStages.run(JSON.stringify(stages), arn, versionId);
  }

  removeVersion(arn: string, versionId: string): void {
    this.#removeVersion.run(arn, versionId);
  }
}

function aadOf(arn: string, versionId: string): string {
  return `secretsmanager:${arn}:${versionId}`;
}

function parse(row: unknown): SecretRecord | undefined {
  return row ? (JSON.parse((row as { record: string }).record) as SecretRecord) : undefined;
}

function toVersion(row: VersionRow): SecretVersionRecord {
  return { versionId: row.version_id, createdDate: row.created, stages: JSON.parse(row.stages) as string[] };
}
