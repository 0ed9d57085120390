/**
 * SigV4 for hand-built requests, with the signer the AWS SDKs use (@smithy/signature-v4):
 * tests that speak raw HTTP on purpose sign like any client, so auth stays on everywhere.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SourceData } from '@smithy/types';
import { TEST_CREDENTIALS } from './server.ts';

/** node:crypto as the signer's hash constructor. */
export class Sha256 {
  readonly #h: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.#h = secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(secret));
  }
  update(data: SourceData): void {
    this.#h.update(toBytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#h.digest()));
  }
}

function toBytes(d: SourceData): string | Uint8Array {
  if (typeof d === 'string') return d;
  return ArrayBuffer.isView(d) ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new Uint8Array(d);
}

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface SignOptions {
  /** Signing name (default: lambda for /20xx-… paths and /_nimbus, logs or secretsmanager by X-Amz-Target, else s3). */
  readonly service?: string;
  readonly region?: string;
  readonly credentials?: Credentials;
  /** When the request was signed (default now). */
  readonly date?: Date;
}

const sha256Hex = (body: string | Buffer) => createHash('sha256').update(body).digest('hex');

function serviceOf(path: string, headers: Record<string, string>): string {
  const target = Object.entries(headers).find(([k]) => k.toLowerCase() === 'x-amz-target')?.[1];
  if (target?.startsWith('Logs_')) return 'logs';
  if (target?.startsWith('secretsmanager.')) return 'secretsmanager';
  if (/^\/20\d\d-\d\d-\d\d\//.test(path) || path.startsWith('/_nimbus/')) return 'lambda';
  return 's3';
}

/**
 * The headers to send with a request: the given ones plus X-Amz-Date, X-Amz-Content-Sha256
 * (the given one, else UNSIGNED-PAYLOAD for S3 and the body's hash for the others) and
 * Authorization. Only host and the x-amz-* headers are signed, so a test may send odd
 * Content-* headers on purpose. pathAndQuery is signed exactly as it is sent.
 */
export async function signHeaders(
  endpoint: string,
  request: { method: string; path: string; headers?: Record<string, string | number>; body?: string | Buffer | undefined },
  options: SignOptions = {},
): Promise<Record<string, string>> {
  const url = new URL(endpoint);
  const given: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.headers ?? {})) given[k] = String(v);
  const q = request.path.indexOf('?');
  const path = q < 0 ? request.path : request.path.slice(0, q);
  const query: Record<string, string | string[]> = {};
  if (q >= 0) {
    for (const part of request.path.slice(q + 1).split('&')) {
      if (!part) continue;
      const eq = part.indexOf('=');
      const key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
      const value = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1));
      const prev = query[key];
      query[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    }
  }
  const service = options.service ?? serviceOf(path, given);
  const host = Object.entries(given).find(([k]) => k.toLowerCase() === 'host')?.[1] ?? url.host;
  const toSign: Record<string, string> = { host };
  for (const [k, v] of Object.entries(given)) if (k.toLowerCase().startsWith('x-amz-')) toSign[k.toLowerCase()] = v;
  if (toSign['x-amz-content-sha256'] === undefined) {
    // S3 takes the header's word (its body checks are what some tests are about); the others hash the body.
    toSign['x-amz-content-sha256'] = service === 's3' ? 'UNSIGNED-PAYLOAD' : sha256Hex(request.body ?? '');
  }
  const signer = new SignatureV4({
    credentials: options.credentials ?? TEST_CREDENTIALS,
    region: options.region ?? 'us-east-1',
    service,
    sha256: Sha256,
    uriEscapePath: service !== 's3',
  });
  const signed = (await signer.sign(
    { method: request.method, protocol: url.protocol, hostname: url.hostname, path, query, headers: toSign } as never,
    options.date ? { signingDate: options.date } : {},
  )) as unknown as { headers: Record<string, string> };
  // The signed names are lower case: drop the given spellings of the same headers.
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(given)) if (!(k.toLowerCase() in signed.headers)) out[k] = v;
  return { ...out, ...signed.headers };
}

/** fetch with SigV4 (TEST_CREDENTIALS unless told). */
export async function signedFetch(url: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}, options: SignOptions = {}): Promise<Response> {
  const u = new URL(url);
  const method = init.method ?? 'GET';
  const headers = await signHeaders(u.origin, { method, path: `${u.pathname}${u.search}`, ...(init.headers ? { headers: init.headers } : {}), ...(init.body !== undefined ? { body: init.body } : {}) }, options);
  delete headers.host;
  return fetch(url, { method, headers, ...(init.body !== undefined ? { body: init.body as unknown as BodyInit } : {}) });
}
