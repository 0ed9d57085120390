import type Database from 'better-sqlite3';
import { deepFreeze, RowCache } from './row-cache.ts';

/** A function's resource-based policy at one qualifier ('' is the unqualified function). */
export interface PolicyRecord {
  readonly functionName: string;
  readonly qualifier: string;
  /** The statements, as the Lambda API shows them. */
  readonly statements: readonly unknown[];
  readonly revisionId: string;
}

export interface PolicyStore {
  getPolicy(functionName: string, qualifier: string): PolicyRecord | undefined;
  /** Writes the policy if its revision is still expectedRevisionId (undefined: if there is none yet). */
  putPolicy(record: PolicyRecord, expectedRevisionId: string | undefined): boolean;
  /** Removes the policy if its revision is still expectedRevisionId. */
  deletePolicy(functionName: string, qualifier: string, expectedRevisionId: string): boolean;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS lambda_policies (
  function_name TEXT NOT NULL,
  qualifier TEXT NOT NULL,
  revision_id TEXT NOT NULL,
  statements TEXT NOT NULL,
  PRIMARY KEY (function_name, qualifier)
) WITHOUT ROWID;
-- A policy goes with what it is attached to: the function ($LATEST's row goes last, with
-- every version), a published version, or an alias. Triggers keep that true whichever
-- service deletes the row, and in the same transaction.
CREATE TRIGGER IF NOT EXISTS lambda_policies_function_gone AFTER DELETE ON functions BEGIN
  DELETE FROM lambda_policies WHERE function_name = OLD.name AND (OLD.version = '$LATEST' OR qualifier = OLD.version);
END;
CREATE TRIGGER IF NOT EXISTS lambda_policies_alias_gone AFTER DELETE ON aliases BEGIN
  DELETE FROM lambda_policies WHERE function_name = OLD.function_name AND qualifier = OLD.name;
END;
`;

/**
 * Function policies in the shared metadata database. Built after the function and alias
 * stores, whose tables its triggers watch.
 */
export class SqlitePolicyStore implements PolicyStore {
  readonly #get: Database.Statement<[string, string]>;
  readonly #revision: Database.Statement<[string, string]>;
  /**
   * Every Invoke authorizes against its function's policy: kept parsed (and frozen) while
   * its row is unchanged. Rows the triggers delete are seen as gone like any other change.
   */
  readonly #cache: RowCache<PolicyRecord>;
  readonly #insert: Database.Statement<[string, string, string, string]>;
  readonly #update: Database.Statement<[string, string, string, string, string]>;
  readonly #delete: Database.Statement<[string, string, string]>;

  constructor(db: Database.Database) {
    db.exec(SCHEMA);
    this.#get = db.prepare('SELECT revision_id AS revisionId, statements FROM lambda_policies WHERE function_name = ? AND qualifier = ?');
    this.#revision = db.prepare('SELECT revision_id FROM lambda_policies WHERE function_name = ? AND qualifier = ?').pluck();
    this.#cache = new RowCache(db, (policy) => policy.revisionId);
    this.#insert = db.prepare('INSERT OR IGNORE INTO lambda_policies (function_name, qualifier, revision_id, statements) VALUES (?, ?, ?, ?)');
    this.#update = db.prepare('UPDATE lambda_policies SET revision_id = ?, statements = ? WHERE function_name = ? AND qualifier = ? AND revision_id = ?');
    this.#delete = db.prepare('DELETE FROM lambda_policies WHERE function_name = ? AND qualifier = ? AND revision_id = ?');
  }

  getPolicy(functionName: string, qualifier: string): PolicyRecord | undefined {
    return this.#cache.get(
      `${functionName}\u0000${qualifier}`,
      () => this.#revision.get(functionName, qualifier) as string | undefined,
      () => {
        const row = this.#get.get(functionName, qualifier) as { revisionId: string; statements: string } | undefined;
        return row && deepFreeze({ functionName, qualifier, revisionId: row.revisionId, statements: JSON.parse(row.statements) as unknown[] });
      },
    );
  }

  putPolicy(record: PolicyRecord, expectedRevisionId: string | undefined): boolean {
    const statements = JSON.stringify(record.statements);
    if (expectedRevisionId === undefined) return this.#insert.run(record.functionName, record.qualifier, record.revisionId, statements).changes === 1;
    return this.#update.run(record.revisionId, statements, record.functionName, record.qualifier, expectedRevisionId).changes === 1;
  }

  deletePolicy(functionName: string, qualifier: string, expectedRevisionId: string): boolean {
    return this.#delete.run(functionName, qualifier, expectedRevisionId).changes === 1;
  }
}
