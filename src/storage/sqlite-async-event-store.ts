import type Database from 'better-sqlite3';

/** An accepted asynchronous invocation, as it waits in the queue or lies among the failed. */
export interface AsyncEventRecord {
  /** The request id the 202 carried; every attempt runs under it, as on AWS. */
  readonly id: string;
  readonly functionName: string;
  /** Version or alias the event was sent to; absent for the unqualified function. */
  readonly qualifier?: string;
  readonly payload: Buffer;
  readonly invokedFunctionArn: string;
  /** Milliseconds since the epoch: when the event was accepted (or redriven). */
  readonly receivedAt: number;
  /** Attempts made so far. */
  readonly attempts: number;
  /** Not before this time (backoff after a failed attempt). */
  readonly nextAttemptAt: number;
  /** The last attempt's outcome, JSON (see queue/invocation-record.ts); absent before the first. */
  readonly lastResult?: string;
  /** Set once the event has failed for good and waits for a redrive. */
  readonly failedAt?: number;
  /** Why it failed for good: RetriesExhausted, EventAgeExceeded, or a delivery problem. */
  readonly failure?: string;
}

export interface AsyncEventStore {
  /** Durable when it returns: the 202 is sent after this. */
  insert(event: AsyncEventRecord): void;
  /** Functions with at least one queued event due by now that is not running. */
  dueFunctions(now: number): string[];
  /** The oldest due, not running, queued event of a function; marks it running. */
  takeDue(functionName: string, now: number): AsyncEventRecord | undefined;
  /** Earliest nextAttemptAt after now among waiting events, if any (when to look again). */
  nextDueAfter(now: number): number | undefined;
  /** The longest-waiting event of a function that is neither running nor failed. */
  oldestWaiting(functionName: string): AsyncEventRecord | undefined;
  /** Marks one waiting event running; false when it is not waiting (any more). */
  take(id: string): boolean;
  /** After a failed attempt: back to waiting until nextAttemptAt. */
  reschedule(id: string, attempts: number, nextAttemptAt: number, lastResult: string): void;
  /** Puts a taken event back untouched (throttled, or the server is stopping). */
  release(id: string): void;
  /** Out of retries or too old, and no destination took it: kept for `nimbus events failed`. */
  markFailed(id: string, attempts: number, failedAt: number, failure: string, lastResult?: string): void;
  /** Done with: the event succeeded or its record was handed to a destination. */
  remove(id: string): void;
  /** In one transaction: removes `id` and enqueues `next` (a destination's invocation). */
  replace(id: string, next: AsyncEventRecord): void;
  get(id: string): AsyncEventRecord | undefined;
  listFailed(functionName: string): AsyncEventRecord[];
  /** Failed events of a function go back to the queue, fresh (age and attempts reset). */
  redrive(functionName: string, now: number): number;
  /** Queued (not failed) events, running or not. */
  countQueued(functionName?: string): number;
  /** A deleted function's events go with it. */
  forgetFunction(functionName: string): void;
  /** At start-up: events that were running when the server stopped run again (at-least-once). */
  releaseAll(): number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS async_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  function_name TEXT NOT NULL,
  qualifier TEXT,
  payload BLOB NOT NULL,
  invoked_arn TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  running INTEGER NOT NULL DEFAULT 0,
  last_result TEXT,
  failed_at INTEGER,
  failure TEXT
);
CREATE INDEX IF NOT EXISTS async_events_due ON async_events (function_name, failed_at, running, next_attempt_at, seq);
-- What is waiting across functions (nextDueAfter), without reading the failed ones.
CREATE INDEX IF NOT EXISTS async_events_waiting ON async_events (failed_at, running, next_attempt_at);
-- Which functions have events waiting (DUE_FUNCTIONS_SQL), one index step per function.
CREATE INDEX IF NOT EXISTS async_events_functions ON async_events (failed_at, running, function_name, next_attempt_at);
-- A function's oldest waiting event (OLDEST_WAITING_SQL), without sorting its backlog.
CREATE INDEX IF NOT EXISTS async_events_age ON async_events (function_name, failed_at, running, received_at, seq);
`;

interface Row {
  id: string;
  function_name: string;
  qualifier: string | null;
  payload: Buffer;
  invoked_arn: string;
  received_at: number;
  attempts: number;
  next_attempt_at: number;
  last_result: string | null;
  failed_at: number | null;
  failure: string | null;
}

const COLUMNS = 'id, function_name, qualifier, payload, invoked_arn, received_at, attempts, next_attempt_at, last_result, failed_at, failure';

/**
 * The functions with an event due now. A plain DISTINCT over the due events reads every one
 * of them: run after each event, that made draining a backlog of n events cost n² (1.3 ms
 * a pass with 10,000 waiting). This walks the functions instead (each next name is one index
 * step) and asks each whether it has a due event (another): a pass costs per function.
 */
export const DUE_FUNCTIONS_SQL = `
WITH RECURSIVE waiting(name) AS (
  SELECT (SELECT MIN(function_name) FROM async_events WHERE failed_at IS NULL AND running = 0)
  UNION ALL
  SELECT (SELECT MIN(function_name) FROM async_events WHERE failed_at IS NULL AND running = 0 AND function_name > waiting.name)
  FROM waiting WHERE waiting.name IS NOT NULL
)
SELECT name FROM waiting
WHERE name IS NOT NULL
  AND EXISTS (SELECT 1 FROM async_events WHERE function_name = waiting.name AND failed_at IS NULL AND running = 0 AND next_attempt_at <= ?)`;

/** A throttled function's oldest waiting event (checked for its age on every pass while throttled). */
export const OLDEST_WAITING_SQL = `SELECT ${COLUMNS} FROM async_events WHERE function_name = ? AND failed_at IS NULL AND running = 0 ORDER BY received_at, seq LIMIT 1`;

/** The async invocation queue, in the shared metadata database (WAL: a commit survives kill -9). */
export class SqliteAsyncEventStore implements AsyncEventStore {
  readonly #insert;
  readonly #dueFunctions;
  readonly #nextDue;
  readonly #markRunning;
  readonly #nextDueAfter;
  readonly #oldestWaiting;
  readonly #take;
  readonly #reschedule;
  readonly #release;
  readonly #markFailed;
  readonly #remove;
  readonly #get;
  readonly #listFailed;
  readonly #redrive;
  readonly #countAll;
  readonly #countFn;
  readonly #forget;
  readonly #releaseAll;
  readonly #replace;

  constructor(db: Database.Database) {
    db.exec(SCHEMA);
    this.#insert = db.prepare(
      `INSERT INTO async_events (id, function_name, qualifier, payload, invoked_arn, received_at, attempts, next_attempt_at, last_result)
       VALUES (@id, @functionName, @qualifier, @payload, @invokedFunctionArn, @receivedAt, @attempts, @nextAttemptAt, @lastResult)`,
    );
    this.#dueFunctions = db.prepare(DUE_FUNCTIONS_SQL).pluck();
    this.#nextDue = db.prepare<[string, number], Row>(
      `SELECT ${COLUMNS} FROM async_events
       WHERE function_name = ? AND failed_at IS NULL AND running = 0 AND next_attempt_at <= ?
       ORDER BY next_attempt_at, seq LIMIT 1`,
    );
    this.#markRunning = db.prepare('UPDATE async_events SET running = 1 WHERE id = ?');
    this.#nextDueAfter = db
      .prepare('SELECT MIN(next_attempt_at) FROM async_events WHERE failed_at IS NULL AND running = 0 AND next_attempt_at > ?')
      .pluck();
    this.#oldestWaiting = db.prepare<[string], Row>(OLDEST_WAITING_SQL);
    this.#take = db.prepare('UPDATE async_events SET running = 1 WHERE id = ? AND running = 0 AND failed_at IS NULL');
    this.#reschedule = db.prepare(
      'UPDATE async_events SET running = 0, attempts = ?, next_attempt_at = ?, last_result = ? WHERE id = ?',
    );
    this.#release = db.prepare('UPDATE async_events SET running = 0 WHERE id = ?');
    this.#markFailed = db.prepare(
      'UPDATE async_events SET running = 0, attempts = ?, failed_at = ?, failure = ?, last_result = COALESCE(?, last_result) WHERE id = ?',
    );
    this.#remove = db.prepare('DELETE FROM async_events WHERE id = ?');
    this.#get = db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM async_events WHERE id = ?`);
    this.#listFailed = db.prepare<[string], Row>(
      `SELECT ${COLUMNS} FROM async_events WHERE function_name = ? AND failed_at IS NOT NULL ORDER BY failed_at, seq`,
    );
    this.#redrive = db.prepare(
      `UPDATE async_events SET failed_at = NULL, failure = NULL, attempts = 0, received_at = @now, next_attempt_at = @now
       WHERE function_name = @functionName AND failed_at IS NOT NULL`,
    );
    this.#countAll = db.prepare('SELECT COUNT(*) FROM async_events WHERE failed_at IS NULL').pluck();
    this.#countFn = db.prepare('SELECT COUNT(*) FROM async_events WHERE failed_at IS NULL AND function_name = ?').pluck();
    this.#forget = db.prepare('DELETE FROM async_events WHERE function_name = ?');
    this.#releaseAll = db.prepare('UPDATE async_events SET running = 0 WHERE running = 1');
    this.#replace = db.transaction((id: string, next: AsyncEventRecord) => {
      this.#remove.run(id);
      this.insert(next);
    });
  }

  insert(event: AsyncEventRecord): void {
    this.#insert.run({
      id: event.id,
      functionName: event.functionName,
      qualifier: event.qualifier ?? null,
      payload: event.payload,
      invokedFunctionArn: event.invokedFunctionArn,
      receivedAt: event.receivedAt,
      attempts: event.attempts,
      nextAttemptAt: event.nextAttemptAt,
      lastResult: event.lastResult ?? null,
    });
  }

  dueFunctions(now: number): string[] {
    return this.#dueFunctions.all(now) as string[];
  }

  takeDue(functionName: string, now: number): AsyncEventRecord | undefined {
    const row = this.#nextDue.get(functionName, now);
    if (!row) return undefined;
    this.#markRunning.run(row.id);
    return toRecord(row);
  }

  nextDueAfter(now: number): number | undefined {
    const at = this.#nextDueAfter.get(now) as number | null;
    return at ?? undefined;
  }

  oldestWaiting(functionName: string): AsyncEventRecord | undefined {
    const row = this.#oldestWaiting.get(functionName);
    return row ? toRecord(row) : undefined;
  }

  take(id: string): boolean {
    return this.#take.run(id).changes === 1;
  }

  reschedule(id: string, attempts: number, nextAttemptAt: number, lastResult: string): void {
    this.#reschedule.run(attempts, nextAttemptAt, lastResult, id);
  }

  release(id: string): void {
    this.#release.run(id);
  }

  markFailed(id: string, attempts: number, failedAt: number, failure: string, lastResult?: string): void {
    this.#markFailed.run(attempts, failedAt, failure, lastResult ?? null, id);
  }

  remove(id: string): void {
    this.#remove.run(id);
  }

  replace(id: string, next: AsyncEventRecord): void {
    this.#replace(id, next);
  }

  get(id: string): AsyncEventRecord | undefined {
    const row = this.#get.get(id);
    return row ? toRecord(row) : undefined;
  }

  listFailed(functionName: string): AsyncEventRecord[] {
    return this.#listFailed.all(functionName).map(toRecord);
  }

  redrive(functionName: string, now: number): number {
    return this.#redrive.run({ functionName, now }).changes;
  }

  countQueued(functionName?: string): number {
    return (functionName === undefined ? this.#countAll.get() : this.#countFn.get(functionName)) as number;
  }

  forgetFunction(functionName: string): void {
    this.#forget.run(functionName);
  }

  releaseAll(): number {
    return this.#releaseAll.run().changes;
  }
}

function toRecord(row: Row): AsyncEventRecord {
  return {
    id: row.id,
    functionName: row.function_name,
    ...(row.qualifier !== null ? { qualifier: row.qualifier } : {}),
    payload: row.payload,
    invokedFunctionArn: row.invoked_arn,
    receivedAt: row.received_at,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    ...(row.last_result !== null ? { lastResult: row.last_result } : {}),
    ...(row.failed_at !== null ? { failedAt: row.failed_at } : {}),
    ...(row.failure !== null ? { failure: row.failure } : {}),
  };
}
