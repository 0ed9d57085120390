import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Code.Location links are presigned like AWS's: valid for 10 minutes, for one package. */
const VALID_MS = 10 * 60_000;
export const CODE_PATH_PREFIX = '/_nimbus/code/';

export class CodeLocationSigner {
  readonly #key = randomBytes(32);

  constructor(private readonly now: () => number) {}

  url(baseUrl: string, functionName: string, codeHex: string): string {
    const expires = this.now() + VALID_MS;
    const sig = this.#sign(functionName, codeHex, expires);
    return `${baseUrl}${CODE_PATH_PREFIX}${encodeURIComponent(functionName)}/${codeHex}.zip?Expires=${expires}&Signature=${sig}`;
  }

  verify(functionName: string, codeHex: string, expires: string | null, signature: string | null): boolean {
    const exp = Number(expires);
    if (!signature || !Number.isFinite(exp) || exp < this.now()) return false;
    const expected = Buffer.from(this.#sign(functionName, codeHex, exp));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  #sign(functionName: string, codeHex: string, expires: number): string {
    return createHmac('sha256', this.#key).update(`${functionName}\n${codeHex}\n${expires}`).digest('base64url');
  }
}
