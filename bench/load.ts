/**
 * Closed-loop load with autocannon at a fixed number of connections. Latencies come
 * from autocannon's per-response event: its own histogram keeps whole milliseconds,
 * too coarse for sub-millisecond round trips.
 */
import autocannon from 'autocannon';
import { round, summarize, type Summary } from './stats.ts';

export interface LoadResult {
  readonly connections: number;
  readonly durationS: number;
  /** 2xx responses with the expected body, per second over the run. */
  readonly requestsPerSec: number;
  readonly latencyMs: Summary;
  readonly ok: number;
  /** Transport errors, timeouts included. */
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  /** 2xx answers whose body was not the expected one. */
  readonly mismatches: number;
  readonly statusCodes: Record<string, number>;
}

export interface LoadOptions {
  readonly url: string;
  readonly body: string;
  readonly expectBody: string;
  readonly connections: number;
  readonly durationS: number;
  /** Sent with every request (a SigV4 signature made once for the run); default content-type only. */
  readonly headers?: Record<string, string>;
}

export function load(opts: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: opts.url,
        method: 'POST',
        body: opts.body,
        headers: opts.headers ?? { 'content-type': 'application/json' },
        connections: opts.connections,
        duration: opts.durationS,
        expectBody: opts.expectBody,
        timeout: 10,
      },
      (err, r) => {
        if (err) return reject(err);
        const statusCodes = Object.fromEntries(Object.entries(r.statusCodeStats).map(([k, v]) => [k, v.count]));
        resolve({
          connections: opts.connections,
          durationS: r.duration,
          requestsPerSec: round((r['2xx'] - r.mismatches) / r.duration, 1),
          latencyMs: summarize(latencies),
          ok: r['2xx'],
          errors: r.errors,
          timeouts: r.timeouts,
          non2xx: r.non2xx,
          mismatches: r.mismatches,
          statusCodes,
        });
      },
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) latencies.push(ms);
    });
  });
}

/** A short unmeasured run first, so connections are open and every needed sandbox is warm. */
export async function warmLoad(opts: LoadOptions, warmupS: number): Promise<LoadResult> {
  await load({ ...opts, durationS: warmupS });
  return load(opts);
}
