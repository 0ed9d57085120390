import type Database from 'better-sqlite3';
import { ValueCipher } from './encryption.ts';
import type { FunctionRecord } from './types.ts';

/**
 * How a FunctionRecord is kept in the `functions` table's `record` column: JSON whose
 * `environment` is sealed (one sealed JSON object of every variable), so a function's
 * configuration stays queryable (codeSize, layers) while its variables' values are not
 * in the file. Rows written before encryption hold the object in plain JSON; they still
 * read, and `migrateFunctionEnvironments` seals them at start-up.
 */
export class FunctionRecordCodec {
  constructor(private readonly cipher: ValueCipher | undefined) {}

  encode(record: FunctionRecord): string {
    if (!this.cipher) return JSON.stringify(record);
    return JSON.stringify({ ...record, environment: this.cipher.seal(JSON.stringify(record.environment)) });
  }

  decode(text: string): FunctionRecord {
    const record = JSON.parse(text) as Omit<FunctionRecord, 'environment'> & { environment: unknown };
    if (typeof record.environment !== 'string') return record as FunctionRecord;
    if (!this.cipher) throw new Error(`function ${record.name}'s environment is encrypted and this store has no data key`);
    return { ...record, environment: JSON.parse(this.cipher.openString(record.environment)) as Record<string, string> };
  }
}

/**
 * Seals every plaintext environment left by a server without encryption, in one
 * transaction; then checkpoints the WAL so the plaintext pages leave it, with
 * secure_delete on so the pages they free are zeroed rather than left in the file.
 * Returns how many rows it sealed.
 */
export function migrateFunctionEnvironments(db: Database.Database, codec: FunctionRecordCodec): number {
  const rows = db
    .prepare("SELECT name, version, record FROM functions WHERE json_type(record, '$.environment') = 'object'")
    .all() as { name: string; version: string; record: string }[];
  if (rows.length === 0) return 0;
  const secureDelete = db.pragma('secure_delete', { simple: true }) as number;
  db.pragma('secure_delete = ON');
  try {
    const update = db.prepare('UPDATE functions SET record = ? WHERE name = ? AND version = ?');
    db.transaction(() => {
      for (const row of rows) update.run(codec.encode(codec.decode(row.record)), row.name, row.version);
    })();
    db.exec('VACUUM');
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.pragma(`secure_delete = ${secureDelete ? 'ON' : 'OFF'}`);
  }
  return rows.length;
}
