/**
 * AWS Signature Version 4 on the receiving side: parse what a request claims (Authorization
 * header or presigned query), rebuild its canonical request from its own signed headers with
 * @smithy/signature-v4, the signer the AWS SDKs use, so both sides canonicalize alike, and
 * recompute the signature. S3 signs its path as sent; every other service normalizes and
 * encodes it once more ("double-encodes"), as the spec says.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
import crypto, { createHash, createHmac, timingSafeEqual, type BinaryLike, type Hash, type Hmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ALGORITHM_IDENTIFIER, getCanonicalHeaders, getSigningKey, SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest, SourceData } from '@smithy/types';
import { AuthError } from './auth-error.ts';

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** Presigned URLs live at most a week. */
export const MAX_PRESIGNED_SECONDS = 604_800;

/** node:crypto as the signer's hash constructor (an HMAC when given a key). */
export class Sha256 {
  readonly #hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.#hash.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#hash.digest()));
  }
}

/**
 * Hex SHA-256 of a request body or canonical request: node's one-shot crypto.hash where it
 * has one (20.12+), about twice as fast as a Hash object for inputs this small.
 */
export const sha256Hex: (data: BinaryLike) => string =
  typeof crypto.hash === 'function' ? (data) => crypto.hash('sha256', data, 'hex') : (data) => createHash('sha256').update(data).digest('hex');

function bytes(data: SourceData): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** What a signed request claims, before any key is looked up. */
export interface SignatureClaim {
  readonly presigned: boolean;
  readonly accessKeyId: string;
  /** yyyymmdd/region/service/aws4_request */
  readonly scope: string;
  readonly region: string;
  readonly service: string;
  /** yyyymmddThhmmssZ the request was signed at. */
  readonly longDate: string;
  readonly signedAt: number;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  /** X-Amz-Expires of a presigned URL, seconds. */
  readonly expiresIn?: number;
  /** X-Amz-Security-Token, from the header or the query. */
  readonly sessionToken?: string;
}

const AUTH_PARTS = /^AWS4-HMAC-SHA256\s+(.*)$/s;
const SCOPE = /^(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/;
const LONG_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** The raw query pairs, decoded without turning '+' into a space (SigV4 encodes spaces as %20). */
export function rawQuery(url: string): Array<[string, string]> {
  const q = url.indexOf('?');
  if (q < 0) return [];
  const pairs: Array<[string, string]> = [];
  for (const part of url.slice(q + 1).split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? '' : part.slice(eq + 1);
    pairs.push([safeDecode(k), safeDecode(v)]);
  }
  return pairs;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new AuthError('malformed', 'The request contains a malformed percent-encoded query string.', 'query');
  }
}

/** yyyymmddThhmmssZ → ms, or NaN. */
export function parseLongDate(text: string): number {
  const m = LONG_DATE.exec(text);
  if (!m) return NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/** ms → yyyymmddThhmmssZ */
export function longDateOf(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/**
 * What the request claims, or undefined when it carries no SigV4 at all (anonymous).
 * Throws AuthError('malformed') for an Authorization header or presigned query that is
 * there but incomplete.
 */
export function parseClaim(req: IncomingMessage): SignatureClaim | undefined {
  const authorization = header(req, 'authorization');
  if (authorization !== undefined) {
    const m = AUTH_PARTS.exec(authorization.trim());
    if (!m) {
      throw new AuthError('malformed', authorization.startsWith('AWS ') ? 'Signature Version 2 is not supported; sign with AWS4-HMAC-SHA256.' : `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${authorization}`, 'header');
    }
    const fields = new Map<string, string>();
    for (const part of m[1]!.split(',')) {
      const eq = part.indexOf('=');
      if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
    const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((k) => !fields.get(k));
    if (missing.length) throw new AuthError('malformed', `Authorization header requires '${missing.join("', '")}' parameter${missing.length > 1 ? 's' : ''}. Authorization=${authorization}`, 'header');
    const dateText = header(req, 'x-amz-date') ?? dateHeaderAsLong(header(req, 'date'));
    if (!dateText) throw new AuthError('malformed', `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${authorization}`, 'header');
    const token = header(req, 'x-amz-security-token');
    return claim(false, fields.get('Credential')!, fields.get('SignedHeaders')!, fields.get('Signature')!, dateText, undefined, token);
  }
  const query = new Map(rawQuery(req.url ?? '/'));
  if (query.get('X-Amz-Algorithm') === undefined && query.get('X-Amz-Signature') === undefined && query.get('X-Amz-Credential') === undefined) return undefined;
  if (query.get('X-Amz-Algorithm') !== ALGORITHM_IDENTIFIER) {
    throw new AuthError('malformed', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"', 'query');
  }
  const required = ['X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Expires'];
  const absent = required.filter((k) => !query.get(k));
  if (absent.length) throw new AuthError('malformed', `Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.`, 'query');
  const expiresText = query.get('X-Amz-Expires')!;
  const expiresIn = Number(expiresText);
  if (!/^\d+$/.test(expiresText)) throw new AuthError('malformed', 'X-Amz-Expires should be a number', 'query');
  if (expiresIn > MAX_PRESIGNED_SECONDS) throw new AuthError('malformed', `X-Amz-Expires must be less than a week (in seconds) that is ${MAX_PRESIGNED_SECONDS}`, 'query');
  const token = query.get('X-Amz-Security-Token') ?? header(req, 'x-amz-security-token');
  return claim(true, query.get('X-Amz-Credential')!, query.get('X-Amz-SignedHeaders')!, query.get('X-Amz-Signature')!, query.get('X-Amz-Date')!, expiresIn, token);
}

function dateHeaderAsLong(date: string | undefined): string | undefined {
  if (!date) return undefined;
  const ms = Date.parse(date);
  return Number.isNaN(ms) ? undefined : longDateOf(ms);
}

function claim(presigned: boolean, credential: string, signedHeaders: string, signature: string, longDate: string, expiresIn: number | undefined, token: string | undefined): SignatureClaim {
  const part = presigned ? 'query' : 'header';
  const slash = credential.indexOf('/');
  const accessKeyId = slash < 0 ? credential : credential.slice(0, slash);
  const scope = slash < 0 ? '' : credential.slice(slash + 1);
  const m = SCOPE.exec(scope);
  if (!accessKeyId || !m) throw new AuthError('malformed', `Credential should be scoped to a valid region, a service and 'aws4_request'. Credential=${credential}`, part);
  const signedAt = parseLongDate(longDate);
  if (Number.isNaN(signedAt)) throw new AuthError('malformed', `Date must be in ISO-8601 'basic format'. Got '${longDate}'. See http://en.wikipedia.org/wiki/ISO_8601`, part);
  if (m[1] !== longDate.slice(0, 8)) throw new AuthError('malformed', `Credential should be scoped to a valid date: '${longDate.slice(0, 8)}'. Credential=${credential}`, part);
  const headers = signedHeaders.split(';').map((h) => h.trim().toLowerCase());
  if (!/^[0-9a-f]{64}$/.test(signature)) throw new AuthError('signature');
  return {
    presigned,
    accessKeyId,
    scope,
    region: m[2]!,
    service: m[3]!,
    longDate,
    signedAt,
    signedHeaders: headers,
    signature,
    ...(expiresIn !== undefined ? { expiresIn } : {}),
    ...(token !== undefined ? { sessionToken: token } : {}),
  };
}

/**
 * The SDK's own SignatureV4 with its canonicalization opened up: it builds the canonical
 * request (path escaping, query and header canonicalization: what clients and verifier
 * must agree on byte for byte), so the verifier never drifts from the clients. One per
 * path style, shared by every request: canonicalizing uses no credentials.
 */
class Canonicalizer extends SignatureV4 {
  constructor(uriEscapePath: boolean) {
    super({ credentials: { accessKeyId: '', secretAccessKey: '' }, region: '', service: '', sha256: Sha256, uriEscapePath, applyChecksum: false });
  }

  canonicalRequest(request: HttpRequest, signedHeaders: readonly string[], payloadHash: string): string {
    const wanted = new Set(signedHeaders);
    // Every signed header the client named must be in the canonical request, even one smithy would skip.
    const canonicalHeaders = getCanonicalHeaders(request, undefined, wanted);
    for (const name of signedHeaders) if (!(name in canonicalHeaders)) canonicalHeaders[name] = '';
    return this.createCanonicalRequest(request, canonicalHeaders, payloadHash);
  }
}

/** S3 signs its path as sent; every other service normalizes and encodes it once more. */
const S3_PATHS = new Canonicalizer(false);
const SERVICE_PATHS = new Canonicalizer(true);

/**
 * The HttpRequest smithy canonicalizes: the path exactly as sent, the query without
 * X-Amz-Signature, and the headers (only the signed ones, when they are given).
 */
export function signableRequest(req: IncomingMessage, signedHeaders?: readonly string[]): HttpRequest {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query: Record<string, string | string[]> = {};
  if (q >= 0) {
    for (const [k, v] of rawQuery(url)) {
      const prev = query[k];
      query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
  }
  const headers: Record<string, string> = {};
  for (const name of signedHeaders ?? Object.keys(req.headers)) {
    const value = req.headers[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return { method: req.method ?? 'GET', protocol: 'http:', hostname: req.headers.host ?? 'localhost', path: path || '/', query, headers } as HttpRequest;
}

/**
 * The signature this request should carry under the given secret: the canonical request
 * (smithy's), hashed into the string to sign, HMAC'd with the scope's signing key.
 */
export async function expectedSignature(req: IncomingMessage, claim: SignatureClaim, secretAccessKey: string, payloadHash: string, options: { readonly s3: boolean }): Promise<string> {
  const canonical = (options.s3 ? S3_PATHS : SERVICE_PATHS).canonicalRequest(signableRequest(req, claim.signedHeaders), claim.signedHeaders, payloadHash);
  const stringToSign = `${ALGORITHM_IDENTIFIER}\n${claim.longDate}\n${claim.scope}\n${sha256Hex(canonical)}`;
  const key = await signingKeyOf(claim, secretAccessKey);
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

/** Constant-time comparison of two hex signatures. */
export function sameSignature(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Derived signing keys (kSigning) by day, region, service and key: one derivation is four
 * HMACs, and a client signs every request of a day with the same one.
 */
const signingKeys = new Map<string, Promise<Uint8Array>>();
const SIGNING_KEYS_MAX = 256;

/** The derived signing key of a scope (kSigning): of every signature, and of chunk and trailer signatures. */
export function signingKeyOf(claim: SignatureClaim, secretAccessKey: string): Promise<Uint8Array> {
  const shortDate = claim.longDate.slice(0, 8);
  const id = `${shortDate}\n${claim.region}\n${claim.service}\n${claim.accessKeyId}\n${secretAccessKey}`;
  let key = signingKeys.get(id);
  if (key === undefined) {
    key = getSigningKey(Sha256, { accessKeyId: claim.accessKeyId, secretAccessKey }, shortDate, claim.region, claim.service);
    if (signingKeys.size >= SIGNING_KEYS_MAX) signingKeys.delete(signingKeys.keys().next().value!);
    signingKeys.set(id, key);
    key.catch(() => signingKeys.delete(id));
  }
  return key;
}

/**
 * The chain of chunk signatures of a STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] body:
 * each chunk's signature covers its bytes and the previous signature, starting from the
 * request's (seed) signature; the trailer's covers the trailing headers.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 */
export class ChunkSignatureChain {
  #previous: string;

  constructor(
    private readonly key: Uint8Array,
    private readonly longDate: string,
    private readonly scope: string,
    seedSignature: string,
  ) {
    this.#previous = seedSignature;
  }

  /** Checks one chunk (sha256 hex of its data; the final chunk is empty) and advances the chain. */
  chunk(signature: string | undefined, dataSha256: string): boolean {
    const expected = this.#hmac(['AWS4-HMAC-SHA256-PAYLOAD', this.longDate, this.scope, this.#previous, EMPTY_SHA256, dataSha256].join('\n'));
    if (signature === undefined || !sameSignature(expected, signature)) return false;
    this.#previous = signature;
    return true;
  }

  /** Checks x-amz-trailer-signature over the trailing headers, in the order sent. */
  trailer(signature: string | undefined, trailers: ReadonlyArray<readonly [string, string]>): boolean {
    const canonical = trailers.map(([k, v]) => `${k}:${v}\n`).join('');
    const hash = createHash('sha256').update(canonical).digest('hex');
    const expected = this.#hmac(['AWS4-HMAC-SHA256-TRAILER', this.longDate, this.scope, this.#previous, hash].join('\n'));
    return signature !== undefined && sameSignature(expected, signature);
  }

  #hmac(text: string): string {
    return createHmac('sha256', this.key).update(text).digest('hex');
  }
}
