import dns from 'node:dns';
import http from 'node:http';
import type { LookupFunction } from 'node:net';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { TEST_CREDENTIALS } from './server.ts';
import { signHeaders, type SignOptions } from './sign.ts';

/**
 * glibc does not resolve `*.localhost` (systemd-resolved would). The SDK's virtual-hosted
 * requests go to `<bucket>.localhost:<port>`; this lookup sends them to loopback while the
 * Host header stays exactly what the SDK wrote.
 */
const loopbackLookup: LookupFunction = (hostname, options, callback) => {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) {
    if (options.all) (callback as (e: null, a: dns.LookupAddress[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
    else callback(null, '127.0.0.1', 4);
    return;
  }
  dns.lookup(hostname, options, callback as never);
};

export interface S3ClientOptions extends Partial<S3ClientConfig> {
  /** forcePathStyle: false with endpoint http://localhost:<port>: Host is `<bucket>.localhost:<port>`. */
  readonly virtualHost?: boolean;
}

/** An S3 client for a test server, path style unless asked otherwise. */
export function s3Client(endpoint: string, options: S3ClientOptions = {}): S3Client {
  const { virtualHost, ...config } = options;
  const url = new URL(endpoint);
  if (virtualHost) url.hostname = 'localhost';
  return new S3Client({
    endpoint: url.origin,
    region: 'us-east-1',
    credentials: TEST_CREDENTIALS,
    forcePathStyle: !virtualHost,
    maxAttempts: 1,
    // The SDK builds its Node HTTP handler from these options.
    requestHandler: { httpAgent: new http.Agent({ keepAlive: true, lookup: loopbackLookup }) },
    ...config,
  });
}

export interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  readonly text: string;
}

/**
 * One hand-built HTTP request (for wire formats the SDKs do not let a test get wrong on
 * purpose), SigV4-signed with TEST_CREDENTIALS unless `sign: false` (or other SignOptions).
 */
export async function rawRequest(
  endpoint: string,
  opts: { method: string; path: string; headers?: Record<string, string | number>; body?: Buffer | string | (Buffer | string)[]; sign?: false | SignOptions },
): Promise<RawResponse> {
  const url = new URL(endpoint);
  const parts = opts.body === undefined ? [] : Array.isArray(opts.body) ? opts.body : [opts.body];
  const headers: Record<string, string | number> = opts.sign === false ? { ...opts.headers } : await signHeaders(endpoint, { method: opts.method, path: opts.path, ...(opts.headers ? { headers: opts.headers } : {}), ...(parts.length === 1 ? { body: parts[0]! } : {}) }, opts.sign ?? {});
  // A body sent in one piece gets its Content-Length; several pieces go as HTTP chunks unless told.
  const named = (h: string) => Object.keys(headers).some((k) => k.toLowerCase() === h);
  if (!named('content-length') && !named('transfer-encoding') && parts.length <= 1) headers['Content-Length'] = parts.reduce((n, p) => n + Buffer.byteLength(p), 0);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method: opts.method, path: opts.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const p of parts) req.write(p);
    req.end();
  });
}

/** The text of one element of an XML document (tests only: first match, no nesting). */
export function xmlField(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}
