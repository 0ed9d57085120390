import { randomBytes } from 'node:crypto';

/**
 * Identifiers as IAM and STS issue them: unique ids are a 4-letter prefix and 17 more
 * characters (21 in all, uppercase letters and digits), access key ids a prefix and 16 more
 * (20 in all), secrets 40 base64 characters.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids
 */
export const ID_PREFIX = {
  user: 'AIDA',
  role: 'AROA',
  policy: 'ANPA',
  accessKey: 'AKIA',
  sessionKey: 'ASIA',
} as const;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

// 256 is a multiple of 32 and 64, so byte % alphabet length is unbiased.
function randomString(alphabet: string, length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

/** AIDA…, AROA…, ANPA…: 21 characters. */
export function uniqueId(prefix: (typeof ID_PREFIX)['user' | 'role' | 'policy']): string {
  return prefix + randomString(BASE32, 17);
}

/** AKIA… (IAM user keys) or ASIA… (temporary keys): 20 characters. */
export function accessKeyId(prefix: (typeof ID_PREFIX)['accessKey' | 'sessionKey']): string {
  return prefix + randomString(BASE32, 16);
}

export function secretAccessKey(): string {
  return randomString(BASE64, 40);
}

/** An opaque session token, as long as AWS's and in their base64 alphabet. */
export function sessionToken(): string {
  return 'IQoJb3JpZ2luX2Vj' + randomBytes(300).toString('base64');
}
