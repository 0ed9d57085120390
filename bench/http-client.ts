/**
 * A raw keep-alive HTTP client: the least a caller can add to a round trip, so the
 * numbers are the server's and not an SDK's.
 */
import http from 'node:http';

export interface Response {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One connection, reused for every request. */
export function keepAliveAgent(): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: 1 });
}

export function request(
  agent: http.Agent,
  url: string,
  method: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface Sequential {
  /** Milliseconds per successful round trip, request written to response fully read. */
  readonly samples: number[];
  /** Responses that were not 200 or carried X-Amz-Function-Error, and transport errors. */
  readonly errors: number;
}

/** Headers for the next request; called before its clock starts (Nimbus's sign each request). */
export type HeadersFor = () => Promise<Record<string, string>> | Record<string, string>;

const JSON_HEADERS = { 'content-type': 'application/json' };

/**
 * `warmup` unmeasured round trips, then `n` measured ones, one at a time on one
 * connection. headersFor runs before each request's clock starts.
 */
export async function sequentialPosts(url: string, body: string, n: number, warmup: number, headersFor: HeadersFor = () => JSON_HEADERS): Promise<Sequential> {
  const agent = keepAliveAgent();
  const samples: number[] = [];
  let errors = 0;
  try {
    for (let i = 0; i < warmup + n; i++) {
      const headers = await headersFor();
      const t0 = performance.now();
      let ok = false;
      try {
        const res = await request(agent, url, 'POST', body, headers);
        ok = res.status === 200 && res.headers['x-amz-function-error'] === undefined;
      } catch {
        ok = false;
      }
      const ms = performance.now() - t0;
      if (i < warmup) continue;
      if (ok) samples.push(ms);
      else errors++;
    }
  } finally {
    agent.destroy();
  }
  return { samples, errors };
}
