import type Database from 'better-sqlite3';
import { openSqlite } from '../storage/index.ts';
import type { LogSink } from '../sandbox/index.ts';

export interface StoredEvent {
  readonly id: number;
  readonly group: string;
  readonly stream: string;
  readonly timestamp: number;
  readonly ingestionTime: number;
  readonly message: string;
}

export interface StreamInfo {
  readonly name: string;
  readonly created: number;
  readonly firstEvent: number | null;
  readonly lastEvent: number | null;
  readonly lastIngestion: number | null;
  readonly storedBytes: number;
}

export interface GroupInfo {
  readonly name: string;
  readonly created: number;
  readonly retentionDays: number | null;
  readonly storedBytes: number;
}

export interface EventQuery {
  readonly group: string;
  readonly streams?: readonly string[];
  readonly streamPrefix?: string;
  readonly startTime?: number;
  readonly endTime?: number;
  /** Exclusive cursor: (timestamp, id) of the last event already returned. */
  readonly after?: { timestamp: number; id: number };
  readonly limit: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS log_groups (
  name TEXT PRIMARY KEY,
  created INTEGER NOT NULL,
  retention_days INTEGER
);
CREATE TABLE IF NOT EXISTS log_streams (
  group_name TEXT NOT NULL,
  name TEXT NOT NULL,
  created INTEGER NOT NULL,
  first_event INTEGER,
  last_event INTEGER,
  last_ingest INTEGER,
  stored_bytes INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (group_name, name)
);
CREATE TABLE IF NOT EXISTS log_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  group_name TEXT NOT NULL,
  stream_name TEXT NOT NULL,
  ts INTEGER NOT NULL,
  ingest INTEGER NOT NULL,
  message TEXT NOT NULL,
  -- UTF-8 length of message, kept so the cap and retention never re-measure messages.
  bytes INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS log_events_group_ts ON log_events (group_name, ts, id);
CREATE INDEX IF NOT EXISTS log_events_stream_ts ON log_events (group_name, stream_name, ts, id);
`;

interface Pending {
  group: string;
  stream: string;
  timestamp: number;
  message: string;
}

/**
 * How long appended events may wait before they are written, in ms. Reads flush first, so
 * this bounds only what a crash (kill -9) can lose; a longer wait puts more events in
 * each transaction, whose commit is most of a small batch's cost.
 */
const FLUSH_DELAY_MS = 100;
/** A batch this large (events, or message bytes) is written at once: pending events stay small. */
const FLUSH_BATCH = 1000;
const FLUSH_BATCH_BYTES = 1024 * 1024;
/**
 * What one event costs against the volume cap besides its message, as CloudWatch Logs
 * counts event sizes (message bytes + 26).
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html
 */
export const EVENT_OVERHEAD_BYTES = 26;
/** Past the cap, the oldest events go until the store is this fraction of it, so a cap is not met on every batch. */
const CAP_LOW_WATER = 0.9;
/**
 * At most this many events are evicted in one go, so eviction never holds the event loop
 * for long; the rest follow on the next turn (setImmediate) or the next flush. A flush
 * batch (about 1 MB) rarely needs more than this to get back under the cap, so the cap
 * only stays exceeded for a turn or two when the oldest events are many and tiny.
 */
export const CAP_EVICT_CHUNK = 5000;
const DAY_MS = 86_400_000;

export interface LogStoreOptions {
  /** Total bytes kept (messages + 26 per event); past it the oldest events are deleted. */
  readonly maxBytes?: number;
  /** Told when the cap dropped events (how many now, how many since start). */
  readonly onDrop?: (dropped: number, total: number) => void;
}

/**
 * Function logs in their own SQLite file, so log writes never contend with metadata.
 * Appends are batched: the invoke path only pushes to an array.
 */
export class SqliteLogStore implements LogSink {
  readonly #db: Database.Database;
  #pending: Pending[] = [];
  #pendingBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  /** Messages + per-event overhead of everything stored, for the volume cap. */
  #totalBytes: number;
  #droppedEvents = 0;
  #evictLater: NodeJS.Immediate | undefined;
  readonly #maxBytes: number;
  readonly #onDrop: (dropped: number, total: number) => void;
  readonly #insertGroup;
  readonly #insertStream;
  readonly #touchStream;
  readonly #insertEvent;
  readonly #oldestEvents;
  readonly #deleteThrough;
  readonly #shrinkStream;

  constructor(
    file: string,
    private readonly now: () => number = Date.now,
    /** Told when a background write fails; the batch is dropped so the invoke path never blocks on logs. */
    private readonly onError: (err: unknown, dropped: number) => void = () => {},
    options: LogStoreOptions = {},
  ) {
    this.#db = openSqlite(file);
    this.#db.exec(SCHEMA);
    migrate(this.#db);
    this.#maxBytes = options.maxBytes ?? Number.MAX_SAFE_INTEGER;
    this.#onDrop = options.onDrop ?? (() => {});
    const usage = this.#db
      .prepare('SELECT (SELECT COALESCE(SUM(stored_bytes), 0) FROM log_streams) AS bytes, (SELECT COUNT(*) FROM log_events) AS events')
      .get() as { bytes: number; events: number };
    this.#totalBytes = usage.bytes + usage.events * EVENT_OVERHEAD_BYTES;
    this.#insertGroup = this.#db.prepare('INSERT OR IGNORE INTO log_groups (name, created) VALUES (?, ?)');
    this.#insertStream = this.#db.prepare('INSERT OR IGNORE INTO log_streams (group_name, name, created) VALUES (?, ?, ?)');
    this.#touchStream = this.#db.prepare(
      `UPDATE log_streams SET
         first_event = MIN(COALESCE(first_event, @first), @first),
         last_event = MAX(COALESCE(last_event, @last), @last),
         last_ingest = @ingest,
         stored_bytes = stored_bytes + @bytes
       WHERE group_name = @group AND name = @stream`,
    );
    this.#insertEvent = this.#db.prepare(
      'INSERT INTO log_events (group_name, stream_name, ts, ingest, message, bytes) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#oldestEvents = this.#db.prepare(
      `SELECT id, group_name AS "group", stream_name AS stream, bytes FROM log_events ORDER BY id LIMIT ${CAP_EVICT_CHUNK}`,
    );
    this.#deleteThrough = this.#db.prepare('DELETE FROM log_events WHERE id <= ?');
    this.#shrinkStream = this.#db.prepare(
      `UPDATE log_streams SET stored_bytes = MAX(0, stored_bytes - @bytes),
         first_event = (SELECT MIN(ts) FROM log_events e WHERE e.group_name = @group AND e.stream_name = @stream)
       WHERE group_name = @group AND name = @stream`,
    );
  }

  append(group: string, stream: string, events: ReadonlyArray<{ timestamp: number; message: string }>): void {
    for (const e of events) {
      this.#pending.push({ group, stream, timestamp: e.timestamp, message: e.message });
      this.#pendingBytes += e.message.length;
    }
    if (this.#pending.length >= FLUSH_BATCH || this.#pendingBytes >= FLUSH_BATCH_BYTES) this.#backgroundFlush();
    else this.#timer ??= setTimeout(() => this.#backgroundFlush(), FLUSH_DELAY_MS);
  }

  #backgroundFlush(): void {
    const n = this.#pending.length;
    try {
      this.flush();
    } catch (err) {
      this.onError(err, n);
    }
  }

  /** Writes every pending event now. */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    const ingest = this.now();
    this.#db.transaction(() => {
      const streams = new Map<string, { group: string; stream: string; first: number; last: number; bytes: number }>();
      for (const e of batch) {
        const bytes = Buffer.byteLength(e.message);
        this.#insertEvent.run(e.group, e.stream, e.timestamp, ingest, e.message, bytes);
        const key = `${e.group}\n${e.stream}`;
        const s = streams.get(key);
        if (s) {
          s.first = Math.min(s.first, e.timestamp);
          s.last = Math.max(s.last, e.timestamp);
          s.bytes += bytes;
        } else {
          streams.set(key, { group: e.group, stream: e.stream, first: e.timestamp, last: e.timestamp, bytes });
        }
      }
      for (const s of streams.values()) {
        this.#insertGroup.run(s.group, ingest);
        this.#insertStream.run(s.group, s.stream, ingest);
        this.#touchStream.run({ first: s.first, last: s.last, ingest, bytes: s.bytes, group: s.group, stream: s.stream });
        this.#totalBytes += s.bytes;
      }
      this.#totalBytes += batch.length * EVENT_OVERHEAD_BYTES;
      if (this.#totalBytes > this.#maxBytes) this.#enforceCap();
    })();
  }

  /** Events deleted by the volume cap since the store opened (for metrics). */
  get droppedEvents(): number {
    return this.#droppedEvents;
  }

  /** Written bytes as the cap counts them (messages + 26 per event); pending events are not in it yet. */
  get totalBytes(): number {
    return this.#totalBytes;
  }

  /**
   * Deletes the oldest events (by arrival) toward the cap's low-water mark, at most
   * CAP_EVICT_CHUNK of them; if that is not enough the rest are evicted on the next turn.
   */
  #enforceCap(): void {
    const lowWater = Math.floor(this.#maxBytes * CAP_LOW_WATER);
    const excess = this.#totalBytes - lowWater;
    if (excess <= 0) return;
    // Iterated, not fetched: usually far fewer than a chunk are needed.
    const rows = this.#oldestEvents.iterate() as IterableIterator<{ id: number; group: string; stream: string; bytes: number }>;
    let freed = 0;
    let count = 0;
    let lastId = 0;
    const perStream = new Map<string, { group: string; stream: string; bytes: number }>();
    for (const r of rows) {
      lastId = r.id;
      freed += r.bytes + EVENT_OVERHEAD_BYTES;
      count++;
      const key = `${r.group}\n${r.stream}`;
      const s = perStream.get(key) ?? { group: r.group, stream: r.stream, bytes: 0 };
      s.bytes += r.bytes;
      perStream.set(key, s);
      if (freed >= excess) break;
    }
    if (count === 0) return;
    this.#deleteThrough.run(lastId);
    for (const s of perStream.values()) this.#shrinkStream.run(s);
    this.#totalBytes -= freed;
    this.#droppedEvents += count;
    this.#onDrop(count, this.#droppedEvents);
    if (this.#totalBytes > lowWater && count === CAP_EVICT_CHUNK) this.#evictLater ??= setImmediate(() => this.#continueEviction());
  }

  #continueEviction(): void {
    this.#evictLater = undefined;
    try {
      this.#db.transaction(() => this.#enforceCap())();
    } catch (err) {
      this.onError(err, 0);
    }
  }

  /** CreateLogGroup: false when it exists. */
  createGroup(name: string): boolean {
    this.flush();
    return this.#insertGroup.run(name, this.now()).changes > 0;
  }

  /** CreateLogStream: false when it exists (the group must exist). */
  createStream(group: string, stream: string): boolean {
    this.flush();
    return this.#insertStream.run(group, stream, this.now()).changes > 0;
  }

  /** Deletes a group, its streams and events; false when there was none. */
  deleteGroup(name: string): boolean {
    this.flush();
    return this.#db.transaction(() => {
      const freed = this.#usage('group_name = ?', name);
      this.#db.prepare('DELETE FROM log_events WHERE group_name = ?').run(name);
      this.#db.prepare('DELETE FROM log_streams WHERE group_name = ?').run(name);
      this.#totalBytes -= freed;
      return this.#db.prepare('DELETE FROM log_groups WHERE name = ?').run(name).changes > 0;
    })();
  }

  /** Deletes one stream and its events; false when there was none. */
  deleteStream(group: string, stream: string): boolean {
    this.flush();
    return this.#db.transaction(() => {
      const freed = this.#usage('group_name = ? AND stream_name = ?', group, stream);
      this.#db.prepare('DELETE FROM log_events WHERE group_name = ? AND stream_name = ?').run(group, stream);
      this.#totalBytes -= freed;
      return this.#db.prepare('DELETE FROM log_streams WHERE group_name = ? AND name = ?').run(group, stream).changes > 0;
    })();
  }

  /** PutRetentionPolicy / DeleteRetentionPolicy (null: never expire). */
  setRetention(group: string, days: number | null): boolean {
    this.flush();
    return this.#db.prepare('UPDATE log_groups SET retention_days = ? WHERE name = ?').run(days, group).changes > 0;
  }

  /** Deletes events older than their group's retention, as of `now`; returns how many. */
  sweepRetention(now = this.now()): number {
    this.flush();
    const groups = this.#db.prepare('SELECT name, retention_days AS days FROM log_groups WHERE retention_days IS NOT NULL').all() as { name: string; days: number }[];
    let deleted = 0;
    for (const g of groups) {
      const cutoff = now - g.days * DAY_MS;
      deleted += this.#db.transaction(() => {
        // Only the expiring rows are measured; what stays keeps its running totals.
        const expiring = this.#db
          .prepare('SELECT stream_name AS stream, SUM(bytes) AS bytes, COUNT(*) AS n FROM log_events WHERE group_name = ? AND ts < ? GROUP BY stream_name')
          .all(g.name, cutoff) as { stream: string; bytes: number; n: number }[];
        if (expiring.length === 0) return 0;
        const n = this.#db.prepare('DELETE FROM log_events WHERE group_name = ? AND ts < ?').run(g.name, cutoff).changes;
        for (const s of expiring) {
          this.#shrinkStream.run({ group: g.name, stream: s.stream, bytes: s.bytes });
          this.#totalBytes -= s.bytes + s.n * EVENT_OVERHEAD_BYTES;
        }
        return n;
      })();
    }
    return deleted;
  }

  /** Bytes (as the cap counts them) of the events a WHERE clause selects. */
  #usage(where: string, ...params: unknown[]): number {
    const row = this.#db
      .prepare(`SELECT COALESCE(SUM(bytes), 0) AS bytes, COUNT(*) AS n FROM log_events WHERE ${where}`)
      .get(...params) as { bytes: number; n: number };
    return row.bytes + row.n * EVENT_OVERHEAD_BYTES;
  }

  groups(prefix: string | undefined, after: string | undefined, limit: number): GroupInfo[] {
    this.flush();
    return this.#db
      .prepare(
        `SELECT g.name, g.created, g.retention_days AS retentionDays,
                COALESCE((SELECT SUM(stored_bytes) FROM log_streams s WHERE s.group_name = g.name), 0) AS storedBytes
         FROM log_groups g WHERE g.name >= ? AND g.name > ? AND substr(g.name, 1, ?) = ? ORDER BY g.name LIMIT ?`,
      )
      .all(prefix ?? '', after ?? '', (prefix ?? '').length, prefix ?? '', limit) as GroupInfo[];
  }

  group(name: string): GroupInfo | undefined {
    this.flush();
    return this.#db
      .prepare('SELECT name, created, retention_days AS retentionDays, 0 AS storedBytes FROM log_groups WHERE name = ?')
      .get(name) as GroupInfo | undefined;
  }

  streams(group: string, opts: { prefix?: string; orderByLastEvent?: boolean; descending?: boolean; offset: number; limit: number }): StreamInfo[] {
    this.flush();
    const order = opts.orderByLastEvent ? 'COALESCE(last_event, 0)' : 'name';
    const dir = opts.descending ? 'DESC' : 'ASC';
    return this.#db
      .prepare(
        `SELECT name, created, first_event AS firstEvent, last_event AS lastEvent, last_ingest AS lastIngestion, stored_bytes AS storedBytes
         FROM log_streams WHERE group_name = ? AND substr(name, 1, ?) = ?
         ORDER BY ${order} ${dir}, name ${dir} LIMIT ? OFFSET ?`,
      )
      .all(group, (opts.prefix ?? '').length, opts.prefix ?? '', opts.limit, opts.offset) as StreamInfo[];
  }

  /** Events in (timestamp, id) order, after the cursor. */
  events(q: EventQuery): StoredEvent[] {
    this.flush();
    const where = ['group_name = @group', 'ts >= @start', 'ts <= @end'];
    const params: Record<string, unknown> = {
      group: q.group,
      start: q.startTime ?? 0,
      end: q.endTime ?? Number.MAX_SAFE_INTEGER,
      limit: q.limit,
    };
    if (q.streams && q.streams.length > 0) {
      where.push(`stream_name IN (${q.streams.map((_, i) => `@s${i}`).join(', ')})`);
      q.streams.forEach((s, i) => (params[`s${i}`] = s));
    }
    if (q.streamPrefix) {
      where.push('substr(stream_name, 1, @plen) = @prefix');
      params.plen = q.streamPrefix.length;
      params.prefix = q.streamPrefix;
    }
    if (q.after) {
      where.push('(ts > @afterTs OR (ts = @afterTs AND id > @afterId))');
      params.afterTs = q.after.timestamp;
      params.afterId = q.after.id;
    }
    return this.#db
      .prepare(
        `SELECT id, group_name AS "group", stream_name AS stream, ts AS timestamp, ingest AS ingestionTime, message
         FROM log_events WHERE ${where.join(' AND ')} ORDER BY ts, id LIMIT @limit`,
      )
      .all(params) as StoredEvent[];
  }

  /** Events of one stream by position, for GetLogEvents' forward and backward tokens. */
  streamEvents(group: string, stream: string, opts: { startTime?: number; endTime?: number; afterId?: number; beforeId?: number; fromHead: boolean; limit: number }): StoredEvent[] {
    this.flush();
    const where = ['group_name = @group', 'stream_name = @stream', 'ts >= @start', 'ts < @end'];
    const params: Record<string, unknown> = {
      group,
      stream,
      start: opts.startTime ?? 0,
      end: opts.endTime ?? Number.MAX_SAFE_INTEGER,
      limit: opts.limit,
    };
    if (opts.afterId !== undefined) {
      where.push('id > @afterId');
      params.afterId = opts.afterId;
    }
    if (opts.beforeId !== undefined) {
      where.push('id < @beforeId');
      params.beforeId = opts.beforeId;
    }
    const forward = opts.fromHead || opts.afterId !== undefined;
    const rows = this.#db
      .prepare(
        `SELECT id, group_name AS "group", stream_name AS stream, ts AS timestamp, ingest AS ingestionTime, message
         FROM log_events WHERE ${where.join(' AND ')} ORDER BY id ${forward ? 'ASC' : 'DESC'} LIMIT @limit`,
      )
      .all(params) as StoredEvent[];
    return forward ? rows : rows.reverse();
  }

  streamExists(group: string, stream: string): boolean {
    this.flush();
    return this.#db.prepare('SELECT 1 FROM log_streams WHERE group_name = ? AND name = ?').get(group, stream) !== undefined;
  }

  close(): void {
    this.flush();
    if (this.#evictLater) clearImmediate(this.#evictLater);
    this.#evictLater = undefined;
    this.#db.close();
  }
}

/** Stores written before log_events had a bytes column get it, measured once here. */
function migrate(db: Database.Database): void {
  const columns = db.prepare('PRAGMA table_info(log_events)').all() as { name: string }[];
  if (columns.some((c) => c.name === 'bytes')) return;
  db.transaction(() => {
    db.exec('ALTER TABLE log_events ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0');
    db.exec('UPDATE log_events SET bytes = length(CAST(message AS BLOB))');
  })();
}
