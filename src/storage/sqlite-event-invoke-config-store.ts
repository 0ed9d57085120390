import type Database from 'better-sqlite3';

/**
 * One function's (or version's, or alias's) asynchronous invocation settings, as
 * PutFunctionEventInvokeConfig left them. A member left out is stored as absent, not as
 * its default: AWS answers Get with only what was set.
 */
export interface EventInvokeConfigRecord {
  readonly functionName: string;
  /** $LATEST, a version number or an alias name. */
  readonly qualifier: string;
  readonly maximumRetryAttempts?: number | undefined;
  readonly maximumEventAgeInSeconds?: number | undefined;
  readonly onSuccess?: string | undefined;
  readonly onFailure?: string | undefined;
  /** Milliseconds since the epoch. */
  readonly lastModified: number;
}

export interface EventInvokeConfigStore {
  get(functionName: string, qualifier: string): EventInvokeConfigRecord | undefined;
  /** A function's configs in qualifier order, those after `after`, at most `limit`. */
  list(functionName: string, after: string | undefined, limit: number): EventInvokeConfigRecord[];
  put(record: EventInvokeConfigRecord): void;
  delete(functionName: string, qualifier: string): boolean;
  /** Forgets every config of a deleted function. */
  forgetFunction(functionName: string): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS event_invoke_configs (
  function_name TEXT NOT NULL,
  qualifier TEXT NOT NULL,
  maximum_retry_attempts INTEGER,
  maximum_event_age_in_seconds INTEGER,
  on_success TEXT,
  on_failure TEXT,
  last_modified INTEGER NOT NULL,
  PRIMARY KEY (function_name, qualifier)
);
`;

interface Row {
  functionName: string;
  qualifier: string;
  maximumRetryAttempts: number | null;
  maximumEventAgeInSeconds: number | null;
  onSuccess: string | null;
  onFailure: string | null;
  lastModified: number;
}

const COLS =
  'function_name AS functionName, qualifier, maximum_retry_attempts AS maximumRetryAttempts, maximum_event_age_in_seconds AS maximumEventAgeInSeconds, on_success AS onSuccess, on_failure AS onFailure, last_modified AS lastModified';

/** Event-invoke configs in the shared metadata database; the async queue reads them per event. */
export class SqliteEventInvokeConfigStore implements EventInvokeConfigStore {
  readonly #get;
  readonly #list;
  readonly #listAfter;
  readonly #put;
  readonly #delete;
  readonly #forget;

  constructor(db: Database.Database) {
    db.exec(SCHEMA);
    this.#get = db.prepare(`SELECT ${COLS} FROM event_invoke_configs WHERE function_name = ? AND qualifier = ?`);
    this.#list = db.prepare(`SELECT ${COLS} FROM event_invoke_configs WHERE function_name = ? ORDER BY qualifier LIMIT ?`);
    this.#listAfter = db.prepare(`SELECT ${COLS} FROM event_invoke_configs WHERE function_name = ? AND qualifier > ? ORDER BY qualifier LIMIT ?`);
    this.#put = db.prepare(
      `INSERT INTO event_invoke_configs (function_name, qualifier, maximum_retry_attempts, maximum_event_age_in_seconds, on_success, on_failure, last_modified)
       VALUES (@functionName, @qualifier, @maximumRetryAttempts, @maximumEventAgeInSeconds, @onSuccess, @onFailure, @lastModified)
       ON CONFLICT (function_name, qualifier) DO UPDATE SET
         maximum_retry_attempts = excluded.maximum_retry_attempts, maximum_event_age_in_seconds = excluded.maximum_event_age_in_seconds,
         on_success = excluded.on_success, on_failure = excluded.on_failure, last_modified = excluded.last_modified`,
    );
    this.#delete = db.prepare('DELETE FROM event_invoke_configs WHERE function_name = ? AND qualifier = ?');
    this.#forget = db.prepare('DELETE FROM event_invoke_configs WHERE function_name = ?');
  }

  get(functionName: string, qualifier: string): EventInvokeConfigRecord | undefined {
    const row = this.#get.get(functionName, qualifier) as Row | undefined;
    return row && fromRow(row);
  }

  list(functionName: string, after: string | undefined, limit: number): EventInvokeConfigRecord[] {
    const rows = (after === undefined ? this.#list.all(functionName, limit) : this.#listAfter.all(functionName, after, limit)) as Row[];
    return rows.map(fromRow);
  }

  put(record: EventInvokeConfigRecord): void {
    this.#put.run({
      functionName: record.functionName,
      qualifier: record.qualifier,
      maximumRetryAttempts: record.maximumRetryAttempts ?? null,
      maximumEventAgeInSeconds: record.maximumEventAgeInSeconds ?? null,
      onSuccess: record.onSuccess ?? null,
      onFailure: record.onFailure ?? null,
      lastModified: record.lastModified,
    });
  }

  delete(functionName: string, qualifier: string): boolean {
    return this.#delete.run(functionName, qualifier).changes > 0;
  }

  forgetFunction(functionName: string): void {
    this.#forget.run(functionName);
  }
}

function fromRow(row: Row): EventInvokeConfigRecord {
  return {
    functionName: row.functionName,
    qualifier: row.qualifier,
    ...(row.maximumRetryAttempts !== null ? { maximumRetryAttempts: row.maximumRetryAttempts } : {}),
    ...(row.maximumEventAgeInSeconds !== null ? { maximumEventAgeInSeconds: row.maximumEventAgeInSeconds } : {}),
    ...(row.onSuccess !== null ? { onSuccess: row.onSuccess } : {}),
    ...(row.onFailure !== null ? { onFailure: row.onFailure } : {}),
    lastModified: row.lastModified,
  };
}
