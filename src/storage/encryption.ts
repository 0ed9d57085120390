import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { INTERNAL_CODES, InternalError } from '../errors/index.ts';

/**
 * Encryption at rest of the values the database must not reveal (secret values, function
 * environment variables): AES-256-GCM under one data key kept in its own file beside the
 * database, never in it, so a copy of metadata.db (or its -wal) alone discloses nothing.
 *
 * A sealed value is text, so it fits the JSON records and TEXT columns the stores keep:
 *   `nmbenc:v1:` + base64( nonce (12 random bytes) | ciphertext | GCM tag (16 bytes) )
 * The version names the key file format and the algorithm; a later one (another key,
 * rotation) gets a new prefix and this one stays readable. The optional `aad` binds a
 * value to where it lives (a secret version's ARN and id), so rows cannot be swapped.
 */
export const SEALED_PREFIX = 'nmbenc:v1:';
export const MASTER_KEY_FILE = 'master.key';
/** AES-256: the key file holds exactly these many random bytes and nothing else. */
export const MASTER_KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const ALGORITHM = 'aes-256-gcm';

export class ValueCipher {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== MASTER_KEY_BYTES) throw new Error(`an AES-256 key is ${MASTER_KEY_BYTES} bytes, not ${key.length}`);
    this.#key = Buffer.from(key);
  }

  /** A throwaway key (unit tests, stores opened without a data dir). */
  static ephemeral(): ValueCipher {
    return new ValueCipher(randomBytes(MASTER_KEY_BYTES));
  }

  /** True when the text is a value this module sealed (of any version it knows). */
  static isSealed(value: unknown): value is string {
    return typeof value === 'string' && value.startsWith(SEALED_PREFIX);
  }

  seal(plaintext: Buffer | string, aad?: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.#key, nonce, { authTagLength: TAG_BYTES });
    if (aad !== undefined) cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext), cipher.final()]);
    return SEALED_PREFIX + Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64');
  }

  /** Decrypts a sealed value; throws DecryptionError when it was altered, or sealed under another key or aad. */
  open(sealed: string, aad?: string): Buffer {
    if (!ValueCipher.isSealed(sealed)) throw new DecryptionError('not a sealed value (unknown format or version)');
    const raw = Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64');
    if (raw.length < NONCE_BYTES + TAG_BYTES) throw new DecryptionError('sealed value is truncated');
    const decipher = createDecipheriv(ALGORITHM, this.#key, raw.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES });
    if (aad !== undefined) decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
    } catch (err) {
      throw new DecryptionError('authentication failed: the value was altered or sealed under another key', { cause: err });
    }
  }

  openString(sealed: string, aad?: string): string {
    return this.open(sealed, aad).toString('utf8');
  }
}

/** A sealed value that cannot be opened: tampered, truncated, or from another key. */
export class DecryptionError extends InternalError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(INTERNAL_CODES.DECRYPTION_FAILED, message, options);
  }
}

/**
 * Loads the data key from `file`, or creates it (32 random bytes, mode 0600, exclusive
 * create so two starting servers cannot write different keys). A key that exists but
 * cannot be read or is not exactly 32 bytes stops the start: making a new one would
 * lose every value sealed under the old.
 */
export function loadMasterKey(file: string): { cipher: ValueCipher; created: boolean; warning?: string } {
  let created = false;
  try {
    const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
    try {
      fs.writeSync(fd, randomBytes(MASTER_KEY_BYTES));
      fs.fsyncSync(fd);
      // The umask may have narrowed the mode further, never widened it; make it exact.
      fs.fchmodSync(fd, 0o600);
    } finally {
      fs.closeSync(fd);
    }
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw keyError(file, `cannot be created (${(err as Error).message})`, err);
  }
  let key: Buffer;
  let mode: number;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw keyError(file, 'is not a regular file');
    mode = stat.mode & 0o777;
    key = fs.readFileSync(file);
  } catch (err) {
    if (err instanceof InternalError) throw err;
    throw keyError(file, `cannot be read (${(err as Error).message})`, err);
  }
  if (key.length !== MASTER_KEY_BYTES) {
    throw keyError(file, `holds ${key.length} bytes; a Nimbus data key is exactly ${MASTER_KEY_BYTES} random bytes. Restore the original file (values sealed under it cannot be read without it)`);
  }
  const warning = mode & 0o077 ? `the data key ${file} is readable by other users (mode ${mode.toString(8)}); chmod 600 it` : undefined;
  return { cipher: new ValueCipher(key), created, ...(warning ? { warning } : {}) };
}

function keyError(file: string, why: string, cause?: unknown): InternalError {
  return new InternalError(INTERNAL_CODES.MASTER_KEY_INVALID, `the data key ${file} ${why}`, cause === undefined ? undefined : { cause });
}
