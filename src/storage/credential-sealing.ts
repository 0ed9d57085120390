import type Database from 'better-sqlite3';
import { ValueCipher } from './encryption.ts';

/**
 * Credentials kept in the metadata database (IAM users' secret access keys, role sessions'
 * secret keys and tokens) are sealed like secret values: SigV4 needs the plaintext secret to
 * recompute a signature, so a hash would not do, and the file alone must not disclose a key.
 * The aad binds each value to its row and column, so sealed values cannot be swapped.
 */
export class CredentialSealer {
  constructor(
    private readonly cipher: ValueCipher | undefined,
    private readonly table: string,
  ) {}

  seal(column: string, key: string, value: string): string {
    return this.cipher ? this.cipher.seal(value, this.#aad(column, key)) : value;
  }

  /** Opens a sealed value; a plaintext one (a store opened without a data key) reads as it is. */
  open(column: string, key: string, value: string): string {
    if (!ValueCipher.isSealed(value)) return value;
    if (!this.cipher) throw new Error(`${this.table}.${column} of ${key} is encrypted and this store has no data key`);
    return this.cipher.openString(value, this.#aad(column, key));
  }

  /**
   * Seals every plaintext value of `columns` left by a server that kept them in clear, in one
   * transaction; then, as migrateFunctionEnvironments does, vacuums with secure_delete on and
   * truncates the WAL so the plaintext pages leave the files. Returns how many rows it sealed.
   */
  migrate(db: Database.Database, keyColumn: string, columns: readonly string[]): number {
    if (!this.cipher) return 0;
    const where = columns.map((c) => `${c} NOT LIKE 'nmbenc:%'`).join(' OR ');
    const rows = db.prepare(`SELECT ${keyColumn} AS k, ${columns.join(', ')} FROM ${this.table} WHERE ${where}`).all() as Record<string, string>[];
    if (rows.length === 0) return 0;
    const secureDelete = db.pragma('secure_delete', { simple: true }) as number;
    db.pragma('secure_delete = ON');
    try {
      const update = db.prepare(`UPDATE ${this.table} SET ${columns.map((c) => `${c} = @${c}`).join(', ')} WHERE ${keyColumn} = @k`);
      db.transaction(() => {
        for (const row of rows) {
          const sealed: Record<string, string> = { k: row.k! };
          for (const c of columns) sealed[c] = ValueCipher.isSealed(row[c]) ? row[c]! : this.seal(c, row.k!, row[c]!);
          update.run(sealed);
        }
      })();
      db.exec('VACUUM');
      db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      db.pragma(`secure_delete = ${secureDelete ? 'ON' : 'OFF'}`);
    }
    return rows.length;
  }

  #aad(column: string, key: string): string {
    return `${this.table}.${column}/${key}`;
  }
}
