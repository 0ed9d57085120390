import type Database from 'better-sqlite3';

export interface ProvisionedConfigRecord {
  readonly functionName: string;
  readonly qualifier: string;
  readonly requested: number;
  /** AWS format: 2024-01-01T12:00:00.000+0000 */
  readonly lastModified: string;
}

export interface ConcurrencyStore {
  reserved(functionName: string): number | undefined;
  allReserved(): Map<string, number>;
  setReserved(functionName: string, reserved: number | undefined): void;
  provisioned(functionName: string, qualifier: string): ProvisionedConfigRecord | undefined;
  listProvisioned(functionName?: string): ProvisionedConfigRecord[];
  putProvisioned(record: ProvisionedConfigRecord): void;
  deleteProvisioned(functionName: string, qualifier: string): boolean;
  /** Forgets everything about a deleted function. */
  forgetFunction(functionName: string): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS reserved_concurrency (
  function_name TEXT PRIMARY KEY,
  reserved INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS provisioned_concurrency (
  function_name TEXT NOT NULL,
  qualifier TEXT NOT NULL,
  requested INTEGER NOT NULL,
  last_modified TEXT NOT NULL,
  PRIMARY KEY (function_name, qualifier)
);
`;

/** Reserved and provisioned concurrency settings, in the shared metadata database. */
export class SqliteConcurrencyStore implements ConcurrencyStore {
  readonly #getReserved;
  readonly #allReserved;
  readonly #putReserved;
  readonly #deleteReserved;
  readonly #getProvisioned;
  readonly #listProvisioned;
  readonly #listAllProvisioned;
  readonly #putProvisioned;
  readonly #deleteProvisioned;
  readonly #forget;

  constructor(db: Database.Database) {
    db.exec(SCHEMA);
    this.#getReserved = db.prepare('SELECT reserved FROM reserved_concurrency WHERE function_name = ?');
    this.#allReserved = db.prepare('SELECT function_name AS name, reserved FROM reserved_concurrency');
    this.#putReserved = db.prepare(
      'INSERT INTO reserved_concurrency (function_name, reserved) VALUES (?, ?) ON CONFLICT (function_name) DO UPDATE SET reserved = excluded.reserved',
    );
    this.#deleteReserved = db.prepare('DELETE FROM reserved_concurrency WHERE function_name = ?');
    const cols = 'function_name AS functionName, qualifier, requested, last_modified AS lastModified';
    this.#getProvisioned = db.prepare(`SELECT ${cols} FROM provisioned_concurrency WHERE function_name = ? AND qualifier = ?`);
    this.#listProvisioned = db.prepare(`SELECT ${cols} FROM provisioned_concurrency WHERE function_name = ? ORDER BY qualifier`);
    this.#listAllProvisioned = db.prepare(`SELECT ${cols} FROM provisioned_concurrency ORDER BY function_name, qualifier`);
    this.#putProvisioned = db.prepare(
      `INSERT INTO provisioned_concurrency (function_name, qualifier, requested, last_modified) VALUES (@functionName, @qualifier, @requested, @lastModified)
       ON CONFLICT (function_name, qualifier) DO UPDATE SET requested = excluded.requested, last_modified = excluded.last_modified`,
    );
    this.#deleteProvisioned = db.prepare('DELETE FROM provisioned_concurrency WHERE function_name = ? AND qualifier = ?');
    const forgetReserved = this.#deleteReserved;
    const forgetProvisioned = db.prepare('DELETE FROM provisioned_concurrency WHERE function_name = ?');
    this.#forget = db.transaction((name: string) => {
      forgetReserved.run(name);
      forgetProvisioned.run(name);
    });
  }

  reserved(functionName: string): number | undefined {
    return (this.#getReserved.get(functionName) as { reserved: number } | undefined)?.reserved;
  }

  allReserved(): Map<string, number> {
    const rows = this.#allReserved.all() as { name: string; reserved: number }[];
    return new Map(rows.map((r) => [r.name, r.reserved]));
  }

  setReserved(functionName: string, reserved: number | undefined): void {
    if (reserved === undefined) this.#deleteReserved.run(functionName);
    else this.#putReserved.run(functionName, reserved);
  }

  provisioned(functionName: string, qualifier: string): ProvisionedConfigRecord | undefined {
    return this.#getProvisioned.get(functionName, qualifier) as ProvisionedConfigRecord | undefined;
  }

  listProvisioned(functionName?: string): ProvisionedConfigRecord[] {
    return (functionName === undefined ? this.#listAllProvisioned.all() : this.#listProvisioned.all(functionName)) as ProvisionedConfigRecord[];
  }

  putProvisioned(record: ProvisionedConfigRecord): void {
    this.#putProvisioned.run(record);
  }

  deleteProvisioned(functionName: string, qualifier: string): boolean {
    return this.#deleteProvisioned.run(functionName, qualifier).changes > 0;
  }

  forgetFunction(functionName: string): void {
    this.#forget(functionName);
  }
}
