/**
 * The read caches of the stores the invoke path reads (function records, aliases, resource
 * policies, IAM): a cached value is never served after its row changed, whoever changed it
 * (the store, another store on the same file, a trigger) and however (a rolled-back
 * transaction included).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ValueCipher } from './encryption.ts';
import { SqliteAliasStore } from './sqlite-alias-store.ts';
import { SqliteIamStore } from './sqlite-iam-store.ts';
import { SqliteMetadataStore } from './sqlite-metadata-store.ts';
import { SqlitePolicyStore } from './sqlite-policy-store.ts';
import { SqliteVersionStore } from './sqlite-version-store.ts';
import { openSqlite } from './sqlite.ts';
import type { FunctionRecord } from './types.ts';

/** The stores over one database file, as main.ts builds them. */
function withStores(run: (s: ReturnType<typeof open>) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-row-cache-'));
  const s = open(path.join(dir, 'metadata.db'));
  try {
    run(s);
  } finally {
    s.db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function open(file: string) {
  const db = openSqlite(file);
  const cipher = new ValueCipher(crypto.randomBytes(32));
  return {
    db,
    functions: new SqliteMetadataStore(db, cipher),
    versions: new SqliteVersionStore(db, cipher),
    aliases: new SqliteAliasStore(db),
    policies: new SqlitePolicyStore(db),
    iam: new SqliteIamStore(db, cipher),
  };
}

function record(name: string, environment: Record<string, string>, version = '$LATEST'): FunctionRecord {
  return {
    name,
    version,
    runtime: 'nodejs20.x',
    handler: 'index.handler',
    role: 'arn:aws:iam::123456789012:role/r',
    description: '',
    timeout: 3,
    memorySize: 128,
    ephemeralStorage: 512,
    environment,
    architectures: ['x86_64'],
    codeSha256: 'sha',
    codeSize: 1,
    codeKey: 'code/abc.zip',
    lastModified: '2026-01-01T00:00:00.000+0000',
    revisionId: crypto.randomUUID(),
    tags: {},
  };
}

test('a function record is decoded once, shared frozen, and read anew after every kind of write', () => withStores((s) => {
  const v1 = record('f', { A: '1' });
  assert.ok(s.functions.createFunction(v1));
  const first = s.functions.getFunction('f')!;
  assert.deepEqual(first.environment, { A: '1' });
  assert.equal(s.functions.getFunction('f'), first, 'the same object while nothing changed');
  assert.ok(Object.isFrozen(first) && Object.isFrozen(first.environment), 'shared, so frozen');

  // A write elsewhere in the database leaves the record as it was (same object).
  s.aliases.createAlias({ functionName: 'other', name: 'a', functionVersion: '1', description: '', revisionId: 'r1' });
  assert.equal(s.functions.getFunction('f'), first);

  // UpdateFunctionConfiguration: the next read sees the new environment.
  const v2 = { ...v1, environment: { A: '2' }, revisionId: crypto.randomUUID() };
  assert.ok(s.functions.updateFunction(v2, v1.revisionId));
  assert.deepEqual(s.functions.getFunction('f')?.environment, { A: '2' });

  // A write rolled back is never served, though it was read inside its transaction.
  const v3 = { ...v2, environment: { A: '3' }, revisionId: crypto.randomUUID() };
  assert.throws(() =>
    s.versions.atomically(() => {
      assert.ok(s.functions.updateFunction(v3, v2.revisionId));
      assert.deepEqual(s.functions.getFunction('f')?.environment, { A: '3' });
      throw new Error('roll back');
    }),
  );
  assert.deepEqual(s.functions.getFunction('f')?.environment, { A: '2' });

  // Published versions deleted by the version store; the function deleted and made again.
  assert.ok(s.functions.createFunction(record('f', { V: '1' }, '1')));
  assert.deepEqual(s.functions.getFunction('f', '1')?.environment, { V: '1' });
  s.versions.deleteVersion('f', '1');
  assert.equal(s.functions.getFunction('f', '1'), undefined);
  s.functions.deleteFunction('f');
  assert.equal(s.functions.getFunction('f'), undefined);
  assert.equal(s.functions.getFunction('f'), undefined, 'absence is cached too');
  assert.ok(s.functions.createFunction(record('f', { A: 'new' })));
  assert.deepEqual(s.functions.getFunction('f')?.environment, { A: 'new' });
}));

test('a resource policy is cached, absent ones too, and goes when a trigger deletes its row', () => withStores((s) => {
  assert.ok(s.functions.createFunction(record('g', {})));
  assert.equal(s.policies.getPolicy('g', ''), undefined);
  assert.ok(s.policies.putPolicy({ functionName: 'g', qualifier: '', statements: [{ Sid: 'a' }], revisionId: 'p1' }, undefined));
  const policy = s.policies.getPolicy('g', '')!;
  assert.deepEqual(policy.statements, [{ Sid: 'a' }]);
  assert.equal(s.policies.getPolicy('g', ''), policy);
  assert.ok(s.policies.putPolicy({ functionName: 'g', qualifier: '', statements: [{ Sid: 'b' }], revisionId: 'p2' }, 'p1'));
  assert.deepEqual(s.policies.getPolicy('g', '')?.statements, [{ Sid: 'b' }]);
  // DeleteFunction: the policy goes with the function's rows (a trigger), and is gone here too.
  s.functions.deleteFunction('g');
  assert.equal(s.policies.getPolicy('g', ''), undefined);
}));

test('an alias is read anew once updated or deleted', () => withStores((s) => {
  s.aliases.createAlias({ functionName: 'h', name: 'live', functionVersion: '1', description: '', revisionId: 'a1' });
  assert.equal(s.aliases.getAlias('h', 'live')?.functionVersion, '1');
  assert.ok(s.aliases.updateAlias({ functionName: 'h', name: 'live', functionVersion: '2', description: '', revisionId: 'a2' }, 'a1'));
  assert.equal(s.aliases.getAlias('h', 'live')?.functionVersion, '2');
  s.aliases.deleteAlias('h', 'live');
  assert.equal(s.aliases.getAlias('h', 'live'), undefined);
}));

test('IamStore.changes() moves on every write, and is undefined inside a transaction', () => withStores((s) => {
  const before = s.iam.changes();
  assert.equal(typeof before, 'number');
  assert.equal(s.iam.changes(), before, 'reads do not move it');
  s.iam.createUser({ name: 'u', path: '/', id: 'AIDAEXAMPLE', arn: 'arn:aws:iam::123456789012:user/u', created: 0, tags: [] });
  const after = s.iam.changes();
  assert.notEqual(after, before);
  s.versions.atomically(() => assert.equal(s.iam.changes(), undefined));
}));
