/**
 * SigV4 for the bench's raw requests, with the signer the AWS SDKs use
 * (@smithy/signature-v4), so Nimbus runs with authentication on, as it ships. Signing
 * happens before a request's clock starts: the figures include the server's
 * verification, not the client's signing.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SourceData } from '@smithy/types';

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

const REGION = 'us-east-1';
const SERVICE = 'lambda';

/** node:crypto as the signer's hash constructor (no @aws-crypto in node_modules). */
class Sha256 {
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

function bytes(data: SourceData): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

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

/** The [default] key pair of an AWS shared-credentials file's text (what Nimbus writes to <dataDir>/credentials). */
export function parseSharedCredentials(text: string): Credentials | undefined {
  let section = '';
  const values = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    const eq = line.indexOf('=');
    if (section === 'default' && eq > 0) values.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
  }
  const accessKeyId = values.get('aws_access_key_id');
  const secretAccessKey = values.get('aws_secret_access_key');
  return accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined;
}
