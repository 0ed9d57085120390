import type Database from 'better-sqlite3';
import { openSqlite } from '../storage/index.ts';
import { dimensionsKey, type MinuteBucket, type SeriesEntry, type Unit } from './aggregator.ts';
import { Sketch, type SketchJson } from './sketch.ts';
import type { MetricSeries } from './types.ts';

/** One function's metered use in one minute, at one memory size and architecture. */
export interface UsageRow {
  readonly functionName: string;
  readonly minute: number;
  readonly architecture: string;
  readonly memoryMb: number;
  readonly requests: number;
  /** Sum of Billed Duration (ms) of the requests. */
  readonly billedMs: number;
}

export interface StoredSeries extends MetricSeries {
  readonly unit: Unit;
}

export interface StoredPoint {
  readonly minute: number;
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  readonly sketch?: Sketch;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS metric_series (
  id INTEGER PRIMARY KEY,
  namespace TEXT NOT NULL,
  metric TEXT NOT NULL,
  dimensions TEXT NOT NULL,
  unit TEXT NOT NULL,
  UNIQUE (namespace, metric, dimensions)
);
CREATE TABLE IF NOT EXISTS metric_points (
  series INTEGER NOT NULL,
  minute INTEGER NOT NULL,
  count REAL NOT NULL,
  sum REAL NOT NULL,
  min REAL NOT NULL,
  max REAL NOT NULL,
  sketch TEXT,
  PRIMARY KEY (series, minute)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS metric_points_minute ON metric_points (minute);
CREATE TABLE IF NOT EXISTS usage (
  function_name TEXT NOT NULL,
  minute INTEGER NOT NULL,
  architecture TEXT NOT NULL,
  memory_mb INTEGER NOT NULL,
  requests INTEGER NOT NULL,
  billed_ms INTEGER NOT NULL,
  PRIMARY KEY (function_name, minute, architecture, memory_mb)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS usage_minute ON usage (minute);
`;

/**
 * Metrics and metered usage in 1-minute rows, in their own database (metrics.db, like
 * logs.db: written by a timer, never on the invoke path). Rows older than the retention
 * period are swept.
 */
export class SqliteMetricsStore {
  readonly #db: Database.Database;
  readonly #seriesIds = new Map<string, number>();
  readonly #stmts;

  constructor(file: string) {
    this.#db = openSqlite(file);
    this.#db.exec(SCHEMA);
    const db = this.#db;
    this.#stmts = {
      seriesId: db.prepare<[string, string, string], { id: number }>('SELECT id FROM metric_series WHERE namespace = ? AND metric = ? AND dimensions = ?'),
      seriesRow: db.prepare<[string, string, string], { id: number; unit: string }>('SELECT id, unit FROM metric_series WHERE namespace = ? AND metric = ? AND dimensions = ?'),
      insertSeries: db.prepare<[string, string, string, string]>('INSERT INTO metric_series (namespace, metric, dimensions, unit) VALUES (?, ?, ?, ?)'),
      point: db.prepare<[number, number], { count: number; sum: number; min: number; max: number; sketch: string | null }>(
        'SELECT count, sum, min, max, sketch FROM metric_points WHERE series = ? AND minute = ?',
      ),
      putPoint: db.prepare<[number, number, number, number, number, number, string | null]>(
        'INSERT OR REPLACE INTO metric_points (series, minute, count, sum, min, max, sketch) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      addUsage: db.prepare<[string, number, string, number, number, number]>(
        `INSERT INTO usage (function_name, minute, architecture, memory_mb, requests, billed_ms) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (function_name, minute, architecture, memory_mb) DO UPDATE SET requests = requests + excluded.requests, billed_ms = billed_ms + excluded.billed_ms`,
      ),
      // LIMIT: a read stops past its request's budget (-1 is no limit).
      points: db.prepare<[number, number, number, number], { minute: number; count: number; sum: number; min: number; max: number; sketch: string | null }>(
        'SELECT minute, count, sum, min, max, sketch FROM metric_points WHERE series = ? AND minute >= ? AND minute < ? ORDER BY minute LIMIT ?',
      ),
      // Without the sketch column: Sum, Average... never parse the percentile sketches.
      pointsPlain: db.prepare<[number, number, number, number], { minute: number; count: number; sum: number; min: number; max: number }>(
        'SELECT minute, count, sum, min, max FROM metric_points WHERE series = ? AND minute >= ? AND minute < ? ORDER BY minute LIMIT ?',
      ),
      seriesWithData: db.prepare<[], { id: number; namespace: string; metric: string; dimensions: string; unit: string }>(
        'SELECT id, namespace, metric, dimensions, unit FROM metric_series s WHERE EXISTS (SELECT 1 FROM metric_points p WHERE p.series = s.id) ORDER BY namespace, metric, dimensions',
      ),
      sweepPoints: db.prepare<[number]>('DELETE FROM metric_points WHERE minute < ?'),
      sweepSeries: db.prepare('DELETE FROM metric_series WHERE NOT EXISTS (SELECT 1 FROM metric_points p WHERE p.series = metric_series.id)'),
      sweepUsage: db.prepare<[number]>('DELETE FROM usage WHERE minute < ?'),
      usage: db.prepare<[number, number], { function_name: string; minute: number; architecture: string; memory_mb: number; requests: number; billed_ms: number }>(
        'SELECT function_name, minute, architecture, memory_mb, requests, billed_ms FROM usage WHERE minute >= ? AND minute < ? ORDER BY function_name, minute',
      ),
    };
  }

  /** Adds buckets to the stored minutes (a minute written before, e.g. before a restart, is merged). */
  write(series: ReadonlyArray<{ entry: SeriesEntry; buckets: readonly MinuteBucket[] }>, usage: readonly UsageRow[]): void {
    if (series.length === 0 && usage.length === 0) return;
    this.#db.transaction(() => {
      for (const { entry, buckets } of series) {
        const id = this.#seriesId(entry);
        for (const b of buckets) {
          const old = this.#stmts.point.get(id, b.minute);
          let { count, sum, min, max } = b;
          let sketch = b.sketch;
          if (old) {
            count += old.count;
            sum += old.sum;
            min = Math.min(min, old.min);
            max = Math.max(max, old.max);
            if (sketch && old.sketch) {
              const merged = Sketch.fromJSON(JSON.parse(old.sketch) as SketchJson);
              merged.merge(sketch);
              sketch = merged;
            }
          }
          this.#stmts.putPoint.run(id, b.minute, count, sum, min, max, sketch ? JSON.stringify(sketch) : null);
        }
      }
      for (const u of usage) this.#stmts.addUsage.run(u.functionName, u.minute, u.architecture, u.memoryMb, u.requests, u.billedMs);
    })();
  }

  /** Series with at least one stored minute. */
  series(): StoredSeries[] {
    return this.#stmts.seriesWithData.all().map((r) => ({
      namespace: r.namespace,
      metricName: r.metric,
      dimensions: Object.fromEntries(JSON.parse(r.dimensions) as Array<[string, string]>),
      unit: r.unit as Unit,
    }));
  }

  /**
   * A series' stored minutes in [from, to), oldest first, at most `limit` of them; undefined
   * when the series is unknown. Sketches (percentiles) are read and parsed only when asked for.
   */
  points(series: MetricSeries, from: number, to: number, options: { sketches?: boolean; limit?: number } = {}): { unit: Unit; points: StoredPoint[] } | undefined {
    const key = dimensionsKey(series.dimensions);
    const row = this.#stmts.seriesRow.get(series.namespace, series.metricName, key);
    if (!row) return undefined;
    const limit = options.limit ?? -1;
    const points: StoredPoint[] = options.sketches
      ? this.#stmts.points.all(row.id, from, to, limit).map((p) => ({
          minute: p.minute,
          count: p.count,
          sum: p.sum,
          min: p.min,
          max: p.max,
          ...(p.sketch ? { sketch: Sketch.fromJSON(JSON.parse(p.sketch) as SketchJson) } : {}),
        }))
      : this.#stmts.pointsPlain.all(row.id, from, to, limit);
    return { unit: row.unit as Unit, points };
  }

  usage(from: number, to: number): UsageRow[] {
    return this.#stmts.usage.all(from, to).map((r) => ({
      functionName: r.function_name,
      minute: r.minute,
      architecture: r.architecture,
      memoryMb: r.memory_mb,
      requests: r.requests,
      billedMs: r.billed_ms,
    }));
  }

  /** Deletes every minute before `before`, and the series left with none. */
  sweep(before: number): void {
    this.#db.transaction(() => {
      this.#stmts.sweepPoints.run(before);
      this.#stmts.sweepUsage.run(before);
      if (this.#stmts.sweepSeries.run().changes > 0) this.#seriesIds.clear();
    })();
  }

  close(): void {
    this.#db.close();
  }

  #seriesId(entry: SeriesEntry): number {
    let id = this.#seriesIds.get(entry.key);
    if (id !== undefined) return id;
    const { namespace, metricName, dimensions } = entry.series;
    const dims = dimensionsKey(dimensions);
    id = this.#stmts.seriesId.get(namespace, metricName, dims)?.id;
    if (id === undefined) id = Number(this.#stmts.insertSeries.run(namespace, metricName, dims, entry.unit).lastInsertRowid);
    this.#seriesIds.set(entry.key, id);
    return id;
  }
}
