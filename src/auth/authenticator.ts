import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Clock } from '../util/index.ts';
import { AuthError } from './auth-error.ts';
import { ChunkSignatureChain, expectedSignature, parseClaim, rawQuery, sameSignature, sha256Hex, signingKeyOf, UNSIGNED_PAYLOAD, type SignatureClaim } from './sigv4.ts';
import type { CredentialLookup, Principal, SigningCredential } from './types.ts';
import { wireError, type WireProtocol } from './wire-errors.ts';

/** How far X-Amz-Date may be from the server's clock, either way (AWS: 15 minutes). */
export const MAX_SKEW_MS = 15 * 60_000;

const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';

export interface AuthenticatorOptions {
  /** 'off': every request is the root principal, signed or not (throwaway local use). */
  readonly mode: 'on' | 'off';
  /** Where access keys are found, in order: the root credentials, IAM users' keys, sessions. */
  readonly lookups: readonly CredentialLookup[];
  readonly clock: Clock;
  /** The account's root principal: who every request is with auth off. */
  readonly root: Principal;
}

/** A verified request's principal; a streamed S3 body's chunk-signature chain. Keyed by the request object. */
const principals = new WeakMap<IncomingMessage, Principal>();
const chains = new WeakMap<IncomingMessage, ChunkSignatureChain>();
/** S3 requests let through unsigned (verifyS3 with anonymous): only a resource policy can allow them anything. */
const anonymous = new WeakSet<IncomingMessage>();

/**
 * The chunk-signature chain of an S3 request whose body is STREAMING-AWS4-HMAC-SHA256-PAYLOAD
 * [-TRAILER], once its seed signature is verified; undefined otherwise (or with auth off).
 */
export function chunkChainOf(req: IncomingMessage): ChunkSignatureChain | undefined {
  return chains.get(req);
}

/**
 * SigV4 verification of every request, for every protocol. Each service calls it before
 * acting on anything; a refusal is thrown as that protocol's wire error, which the service's
 * own error boundary renders.
 */
export class Authenticator {
  readonly enabled: boolean;

  constructor(private readonly options: AuthenticatorOptions) {
    this.enabled = options.mode === 'on';
  }

  /**
   * Verifies a request whose body the service reads whole (rest-json, JSON, query): the key,
   * token and date before the body is read, then the signature over that body. Resolves with it.
   */
  async verifyRequest(req: IncomingMessage, protocol: Exclude<WireProtocol, 's3'>, readBody: () => Promise<Buffer>): Promise<Buffer> {
    if (!this.enabled) return readBody();
    let found: Found;
    try {
      found = this.#inspect(req);
    } catch (err) {
      throw this.#wire(err, protocol);
    }
    const body = await readBody();
    await this.#check(req, found, sha256Hex(body), false, protocol);
    return body;
  }

  /** As verifyRequest, for a service that already holds the body; resolves with the principal. */
  async verifyBody(req: IncomingMessage, body: Buffer, protocol: Exclude<WireProtocol, 's3'>): Promise<Principal> {
    await this.verifyRequest(req, protocol, () => Promise.resolve(body));
    return this.principalOf(req);
  }

  /**
   * S3: verifies the signature over the headers and the x-amz-content-sha256 the client
   * declared. The body is checked against that declaration as it streams (request-body.ts):
   * a hex hash by hashing, STREAMING-AWS4-HMAC-SHA256-PAYLOAD by chunkChainOf(req).
   * With `anonymous`, a request with no signature at all (no Authorization header, no
   * X-Amz-* query) passes as the anonymous caller (isAnonymous), as S3 serves public objects.
   */
  async verifyS3(req: IncomingMessage, options: { readonly anonymous?: boolean } = {}): Promise<void> {
    if (!this.enabled) return;
    try {
      if (options.anonymous && parseClaim(req) === undefined) {
        anonymous.add(req);
        return;
      }
      const found = this.#inspect(req);
      const declared = header(req, 'x-amz-content-sha256') ?? (found.claim.presigned ? (new Map(rawQuery(req.url ?? '/')).get('X-Amz-Content-Sha256') ?? UNSIGNED_PAYLOAD) : undefined);
      if (declared === undefined) throw new AuthError('missing-content-sha256');
      await this.#check(req, found, declared, true, 's3');
      if (declared === STREAMING_SIGNED || declared === STREAMING_SIGNED_TRAILER) {
        const key = await signingKeyOf(found.claim, found.credential.secretAccessKey);
        chains.set(req, new ChunkSignatureChain(key, found.claim.longDate, found.claim.scope, found.claim.signature));
      }
    } catch (err) {
      throw this.#wire(err, 's3');
    }
  }

  /**
   * Who sent a request this authenticator verified (the root principal with auth off).
   * Bound, so it can be handed around as a function. Throws for a request never verified.
   */
  readonly principalOf = (req: IncomingMessage): Principal => {
    if (!this.enabled) return this.options.root;
    const principal = principals.get(req);
    if (!principal) throw new Error('principalOf: the request was not authenticated');
    return principal;
  };

  /** Whether verifyS3 let the request through unsigned: it has no principal, and only resource policies can allow it. */
  readonly isAnonymous = (req: IncomingMessage): boolean => this.enabled && anonymous.has(req);

  /** The key, its token and the date: everything that needs no body. */
  #inspect(req: IncomingMessage): Found {
    const claim = parseClaim(req);
    if (!claim) throw new AuthError('missing');
    const credential = this.#find(claim.accessKeyId);
    if (!credential || credential.active === false) throw new AuthError('unknown-key');
    const now = this.options.clock.now();
    if (credential.sessionToken !== undefined) {
      if (claim.sessionToken === undefined || !sameToken(claim.sessionToken, credential.sessionToken)) throw new AuthError('invalid-token');
      if (credential.expiresAt !== undefined && credential.expiresAt <= now) throw new AuthError('expired-token');
    }
    if (claim.presigned) {
      if (claim.signedAt - now > MAX_SKEW_MS) throw new AuthError('presign-early', 'Request is not valid yet');
      if (now > claim.signedAt + claim.expiresIn! * 1000) throw new AuthError('presign-expired', 'Request has expired');
    } else if (Math.abs(now - claim.signedAt) > MAX_SKEW_MS) {
      throw new AuthError('skewed', '', undefined, { signedAt: claim.signedAt, now });
    }
    return { claim, credential };
  }

  async #check(req: IncomingMessage, found: Found, payloadHash: string, s3: boolean, protocol: WireProtocol): Promise<void> {
    const unsigned = unsignedHeaders(req, found.claim);
    if (unsigned) throw this.#wire(unsigned, protocol);
    const expected = await expectedSignature(req, found.claim, found.credential.secretAccessKey, payloadHash, { s3 });
    if (!sameSignature(expected, found.claim.signature)) throw this.#wire(new AuthError('signature'), protocol);
    principals.set(req, found.credential.principal);
  }

  #find(accessKeyId: string): SigningCredential | undefined {
    for (const lookup of this.options.lookups) {
      const found = lookup.find(accessKeyId);
      if (found) return found;
    }
    return undefined;
  }

  #wire(err: unknown, protocol: WireProtocol): unknown {
    return err instanceof AuthError ? wireError(err, protocol) : err;
  }
}

interface Found {
  readonly claim: SignatureClaim;
  readonly credential: SigningCredential;
}

/**
 * Headers that carry no meaning of their own or are checked by other means: everything
 * else named x-amz-* changes what a request does (x-amz-copy-source, x-amz-target,
 * x-amz-acl...), so it must be signed, as must Host, or the signature does not cover it.
 */
const UNSIGNED_OK = new Set(['x-amz-content-sha256', 'x-amz-decoded-content-length', 'x-amz-trailer', 'x-amz-sdk-checksum-algorithm', 'x-amz-security-token', 'x-amz-user-agent']);

function unsignedHeaders(req: IncomingMessage, claim: SignatureClaim): AuthError | undefined {
  // A handful of names: an array's includes beats building a Set per request.
  const signed = claim.signedHeaders;
  if (!signed.includes('host')) return new AuthError('unsigned-headers', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.", undefined, undefined, ['host']);
  let missing: string[] | undefined;
  for (const name of Object.keys(req.headers)) {
    if (name.startsWith('x-amz-') && !signed.includes(name) && !UNSIGNED_OK.has(name) && !name.startsWith('x-amz-checksum-') && !(claim.presigned && name === 'x-amz-date')) (missing ??= []).push(name);
  }
  if (missing === undefined) return undefined;
  return new AuthError('unsigned-headers', `There were headers present in the request which were not signed: ${missing.join(', ')}`, undefined, undefined, missing);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function sameToken(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}
