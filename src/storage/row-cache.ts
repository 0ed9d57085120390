import type Database from 'better-sqlite3';

/**
 * A number that moves whenever a row changes through this connection: SQLite's
 * total_changes(), which counts rows written by triggers and by transactions later rolled
 * back too, and never goes down. Reading it costs a fraction of a microsecond. Every
 * writer of a Nimbus database goes through the server's one connection to it, so no write
 * can happen without moving this number.
 */
export function changeCounter(db: Database.Database): () => number {
  const total = db.prepare('SELECT total_changes()').pluck();
  return () => total.get() as number;
}

/**
 * changeCounter for caches kept by callers above a store (IamStore.changes()): undefined
 * inside a transaction, where what is read may yet be rolled back, which would not move
 * the counter back; nothing read then may be kept.
 */
export function cacheGeneration(db: Database.Database): () => number | undefined {
  const changes = changeCounter(db);
  return () => (db.inTransaction ? undefined : changes());
}

interface Entry<V> {
  /** changeCounter() when the value was last known to match its row. */
  at: number;
  /** Undefined: there was no row (most functions have no resource policy, say). */
  readonly value: V | undefined;
}

/** Entries kept per cache; past it the oldest read goes first. */
const DEFAULT_MAX_ENTRIES = 1024;

/**
 * Decoded rows kept between reads, for the invoke path (a function version's record, its
 * resource policy, an alias), and the absence of a row as well. An entry is served as is
 * while nothing at all has been written to the database since it was read; after any write
 * it is served again only when its row still carries the same revision (one indexed lookup
 * of that column), and read anew otherwise. Reads inside a transaction bypass the cache: a rollback does not move the
 * counter back, so what they see might never be committed. The stores using it never
 * rewrite a row's content under the same revision (every write draws a new RevisionId).
 */
export class RowCache<V> {
  readonly #entries = new Map<string, Entry<V>>();
  readonly #changes: () => number;

  constructor(
    private readonly db: Database.Database,
    private readonly revisionOf: (value: V) => string,
    private readonly maxEntries = DEFAULT_MAX_ENTRIES,
  ) {
    this.#changes = changeCounter(db);
  }

  /**
   * The value under key: cached while still current, else `load()`ed (undefined: no row).
   * `currentRevision()` reads just the revision column of the row (undefined: no row).
   */
  get(key: string, currentRevision: () => string | undefined, load: () => V | undefined): V | undefined {
    const now = this.#changes();
    const hit = this.#entries.get(key);
    if (hit !== undefined && hit.at === now) return hit.value;
    if (this.db.inTransaction) return load();
    if (hit !== undefined && currentRevision() === (hit.value === undefined ? undefined : this.revisionOf(hit.value))) {
      hit.at = now;
      return hit.value;
    }
    const value = load();
    this.#entries.delete(key);
    if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { at: now, value });
    return value;
  }

  /** Drops entries whose key starts with prefix (a deleted function's versions, say). */
  forgetPrefix(prefix: string): void {
    for (const key of this.#entries.keys()) if (key.startsWith(prefix)) this.#entries.delete(key);
  }
}

/** Freezes a decoded JSON value all the way down: cached values are shared by every reader. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
