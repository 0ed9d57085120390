/**
 * SigV4 for the bench's raw requests, with the signer the AWS SDKs use
 * (@smithy/signature-v4), so Nimbus runs with authentication on, as it ships. Signing
 * happens before a request's clock starts: the figures include the server's
 * verification, not the client's signing.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '../src/auth/sigv4.ts';

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

const REGION = 'us-east-1';
const SERVICE = 'lambda';

/** Signs requests for one set of credentials (service lambda, us-east-1). */
export class Signer {
  readonly #signer: SignatureV4;

  constructor(credentials: Credentials) {
    this.#signer = new SignatureV4({ credentials, region: REGION, service: SERVICE, sha256: Sha256 });
  }

  /**
   * The headers to send: the given ones plus Host, X-Amz-Date, X-Amz-Content-Sha256 and
   * Authorization. Host is signed as node's http client sends it (host:port), as is every
   * given header. A signature stays valid for 15 minutes and Nimbus, like AWS, does not
   * refuse a replay, so a repeated request (autocannon's) may carry one signature.
   */
  async headers(url: string, method: string, body: string | Buffer = '', given: Record<string, string> = {}): Promise<Record<string, string>> {
    const u = new URL(url);
    const query: Record<string, string> = {};
    for (const [k, v] of u.searchParams) query[k] = v;
    const signed = await this.#signer.sign({
      method,
      protocol: u.protocol,
      hostname: u.hostname,
      ...(u.port ? { port: Number(u.port) } : {}),
      path: u.pathname,
      query,
      headers: { ...lowerCased(given), host: u.host },
      body,
    });
    return signed.headers;
  }
}

function lowerCased(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
