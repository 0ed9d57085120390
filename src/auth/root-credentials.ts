/**
 * The account's root access key, kept in `<dataDir>/credentials`: created on first start
 * (mode 0600), reused after. The file is in the AWS shared-credentials format, so
 * `AWS_SHARED_CREDENTIALS_FILE=<dataDir>/credentials` works as is with any AWS tool:
 *
 *   [default]
 *   aws_access_key_id = AKIA…
 *   aws_secret_access_key = …
 *
 * Imports only node: built-ins: the `nimbus` CLI reads it on every run.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CredentialLookup, Principal, SigningCredential } from './types.ts';

export const ROOT_CREDENTIALS_FILE = 'credentials';

export interface KeyPair {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function randomString(alphabet: string, length: number): string {
  let out = '';
  for (const b of randomBytes(length)) out += alphabet[b % alphabet.length];
  return out;
}

/** A fresh AKIA… access key id (20 characters) and 40-character secret, shaped as IAM's. */
export function newKeyPair(): KeyPair {
  return { accessKeyId: `AKIA${randomString(BASE32, 16)}`, secretAccessKey: randomString(BASE64, 40) };
}

export function rootCredentialsPath(dataDir: string): string {
  return path.join(dataDir, ROOT_CREDENTIALS_FILE);
}

/** The file's text for a key pair. */
export function formatCredentials(keys: KeyPair, accountId?: string): string {
  return (
    `# Nimbus root credentials${accountId ? ` of account ${accountId}` : ''}: whoever holds them can do anything.\n` +
    `# Keep this file private (mode 0600). AWS_SHARED_CREDENTIALS_FILE may point here.\n` +
    `[default]\naws_access_key_id = ${keys.accessKeyId}\naws_secret_access_key = ${keys.secretAccessKey}\n`
  );
}

/** Parses the [default] profile of a shared-credentials file; undefined when it holds no key pair. */
export function parseCredentials(text: string): KeyPair | undefined {
  let section = 'default';
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

/** Writes a key pair as the data dir's root credentials, mode 0600 from the start (write, then rename). */
export function writeRootCredentials(dataDir: string, keys: KeyPair, accountId?: string): string {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = rootCredentialsPath(dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, formatCredentials(keys, accountId), { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
  return file;
}

/** The data dir's root credentials, or undefined when there are none (never started, or auth off). */
export function readRootCredentials(dataDir: string): KeyPair | undefined {
  let text: string;
  try {
    text = fs.readFileSync(rootCredentialsPath(dataDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return parseCredentials(text);
}

export interface LoadedRootCredentials {
  readonly keys: KeyPair;
  readonly file: string;
  /** True when this start created them. */
  readonly created: boolean;
  /** Set when the file was readable by others and was narrowed to 0600. */
  readonly warning?: string;
}

/** The root credentials of a data dir, created on first start. */
export function loadRootCredentials(dataDir: string, accountId: string): LoadedRootCredentials {
  const file = rootCredentialsPath(dataDir);
  const existing = readRootCredentials(dataDir);
  if (!existing) {
    if (fs.existsSync(file)) throw new Error(`${file} holds no [default] aws_access_key_id and aws_secret_access_key; fix or remove it`);
    const keys = newKeyPair();
    writeRootCredentials(dataDir, keys, accountId);
    return { keys, file, created: true };
  }
  const mode = fs.statSync(file).mode & 0o777;
  if (mode & 0o077) {
    fs.chmodSync(file, 0o600);
    return { keys: existing, file, created: false, warning: `${file} was readable by others (mode 0${mode.toString(8)}); it is now 0600` };
  }
  return { keys: existing, file, created: false };
}

/** The root key pair as a CredentialLookup. */
export class RootCredentialLookup implements CredentialLookup {
  readonly #credential: SigningCredential;
  constructor(keys: KeyPair, principal: Principal) {
    this.#credential = { accessKeyId: keys.accessKeyId, secretAccessKey: keys.secretAccessKey, principal };
  }
  find(accessKeyId: string): SigningCredential | undefined {
    return accessKeyId === this.#credential.accessKeyId ? this.#credential : undefined;
  }
}

/** The lines start-up prints so a user can point the AWS CLI at Nimbus with these keys. */
export function cliInstructions(keys: KeyPair, file: string, endpoint: string, region: string): string[] {
  return [
    `Root credentials (in ${file}): use them with the AWS CLI and SDKs:`,
    `  export AWS_ACCESS_KEY_ID=${keys.accessKeyId} AWS_SECRET_ACCESS_KEY=${keys.secretAccessKey} AWS_DEFAULT_REGION=${region} AWS_ENDPOINT_URL=${endpoint}`,
    `  (or: export AWS_SHARED_CREDENTIALS_FILE=${file})`,
  ];
}
