import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { INTERNAL_CODES, InternalError } from '../errors/index.ts';
import { DecryptionError, loadMasterKey, MASTER_KEY_BYTES, SEALED_PREFIX, ValueCipher } from './encryption.ts';
import { FunctionRecordCodec, migrateFunctionEnvironments } from './function-record-codec.ts';
import { SqliteMetadataStore } from './sqlite-metadata-store.ts';
import type { FunctionRecord } from './types.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-key-'));

test('seal and open round-trip strings and bytes, with a fresh nonce each time', () => {
  const cipher = ValueCipher.ephemeral();
  const a = cipher.seal('hunter2');
  const b = cipher.seal('hunter2');
  assert.ok(a.startsWith(SEALED_PREFIX));
  assert.notEqual(a, b, 'a random nonce per value');
  assert.ok(!a.includes('hunter2'));
  assert.equal(cipher.openString(a), 'hunter2');
  const bytes = Buffer.from([0, 1, 2, 255]);
  assert.deepEqual(cipher.open(cipher.seal(bytes)), bytes);
  assert.equal(cipher.openString(cipher.seal('')), '');
  // nonce (12) + ciphertext (7) + tag (16)
  assert.equal(Buffer.from(a.slice(SEALED_PREFIX.length), 'base64').length, 12 + 7 + 16);
});

test('a tampered value, another key, or another aad does not open', () => {
  const cipher = ValueCipher.ephemeral();
  const sealed = cipher.seal('payload', 'ctx-1');
  const raw = Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64');
  for (const i of [0, 13, raw.length - 1]) {
    const bad = Buffer.from(raw);
    bad[i]! ^= 1;
    assert.throws(() => cipher.open(SEALED_PREFIX + bad.toString('base64'), 'ctx-1'), DecryptionError, `flipping byte ${i}`);
  }
  assert.throws(() => cipher.open(SEALED_PREFIX + raw.subarray(0, 20).toString('base64'), 'ctx-1'), DecryptionError);
  assert.throws(() => ValueCipher.ephemeral().open(sealed, 'ctx-1'), DecryptionError);
  assert.throws(() => cipher.open(sealed, 'ctx-2'), DecryptionError);
  assert.throws(() => cipher.open(sealed), DecryptionError);
  assert.throws(() => cipher.open('nmbenc:v9:AAAA'), DecryptionError);
  assert.equal(cipher.openString(sealed, 'ctx-1'), 'payload');
  try {
    cipher.open(sealed, 'ctx-2');
  } catch (err) {
    assert.equal((err as InternalError).code, INTERNAL_CODES.DECRYPTION_FAILED);
  }
});

test('loadMasterKey creates 32 random bytes with mode 0600, then loads the same key', () => {
  const dir = tmp();
  const file = path.join(dir, 'master.key');
  const first = loadMasterKey(file);
  assert.equal(first.created, true);
  assert.equal(first.warning, undefined);
  const stat = fs.statSync(file);
  assert.equal(stat.mode & 0o777, 0o600);
  assert.equal(stat.size, MASTER_KEY_BYTES);
  const sealed = first.cipher.seal('kept across restarts');
  const second = loadMasterKey(file);
  assert.equal(second.created, false);
  assert.equal(second.cipher.openString(sealed), 'kept across restarts');
  fs.chmodSync(file, 0o644);
  assert.match(loadMasterKey(file).warning ?? '', /readable by other users/);
});

test('loadMasterKey refuses a key file of the wrong size or that is not a file', () => {
  const dir = tmp();
  const short = path.join(dir, 'short.key');
  fs.writeFileSync(short, Buffer.alloc(16), { mode: 0o600 });
  assert.throws(
    () => loadMasterKey(short),
    (err: unknown) => err instanceof InternalError && err.code === INTERNAL_CODES.MASTER_KEY_INVALID && /holds 16 bytes/.test(err.message),
  );
  assert.deepEqual(fs.readFileSync(short), Buffer.alloc(16), 'a bad key is never overwritten');
  const folder = path.join(dir, 'folder.key');
  fs.mkdirSync(folder);
  assert.throws(() => loadMasterKey(folder), (err: unknown) => err instanceof InternalError && err.code === INTERNAL_CODES.MASTER_KEY_INVALID);
  assert.throws(() => loadMasterKey(path.join(dir, 'missing', 'master.key')), (err: unknown) => err instanceof InternalError && /cannot be created/.test(err.message));
});

const record = (name: string, environment: Record<string, string>): FunctionRecord => ({
  name,
  version: '$LATEST',
  runtime: 'nodejs20.x',
  handler: 'index.handler',
  role: 'arn:aws:iam::123456789012:role/r',
  description: '',
  timeout: 3,
  memorySize: 128,
  ephemeralStorage: 512,
  environment,
  architectures: ['x86_64'],
  codeSha256: 'x',
  codeSize: 1,
  codeKey: 'code/x.zip',
  lastModified: '2024-01-01T00:00:00.000+0000',
  revisionId: 'r1',
  tags: {},
});

test('function environments are sealed in the record; plaintext rows still read and are migrated', () => {
  const file = path.join(tmp(), 'metadata.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  new SqliteMetadataStore(db).createFunction(record('legacy', { TOKEN: 'plain-legacy-value' }));
  const rowOf = (name: string) => (db.prepare('SELECT record FROM functions WHERE name = ?').get(name) as { record: string }).record;
  assert.match(rowOf('legacy'), /plain-legacy-value/);

  const cipher = ValueCipher.ephemeral();
  const codec = new FunctionRecordCodec(cipher);
  assert.deepEqual(codec.decode(rowOf('legacy')).environment, { TOKEN: 'plain-legacy-value' }, 'plaintext rows read as they are');
  const store = new SqliteMetadataStore(db, cipher);
  assert.doesNotMatch(rowOf('legacy'), /plain-legacy-value/);
  assert.ok(ValueCipher.isSealed(JSON.parse(rowOf('legacy')).environment));
  assert.deepEqual(store.getFunction('legacy')?.environment, { TOKEN: 'plain-legacy-value' });
  assert.equal(migrateFunctionEnvironments(db, codec), 0, 'nothing left to migrate');

  store.createFunction(record('fresh', { TOKEN: 'fresh-value' }));
  assert.doesNotMatch(rowOf('fresh'), /fresh-value/);
  assert.deepEqual(store.listFunctions(undefined, 10).map((r) => r.environment), [{ TOKEN: 'fresh-value' }, { TOKEN: 'plain-legacy-value' }]);
  assert.throws(() => new SqliteMetadataStore(db).getFunction('fresh'), /no data key/);
  db.close();
  assert.ok(!fs.readFileSync(file).includes('plain-legacy-value'), 'the migrated plaintext left the file');
});
