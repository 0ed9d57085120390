import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqlite, SqliteAliasStore, SqliteMetadataStore, SqliteVersionStore, type FunctionRecord } from '../storage/index.ts';
import { AliasService } from './alias-service.ts';
import type { FunctionService } from './function-service.ts';
import { pickVersion, VersionService } from './version-service.ts';

const scope = { region: 'us-east-1', accountId: '123456789012' };

/** mulberry32: a small seeded PRNG, so the statistics below are reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function latest(name: string, over: Partial<FunctionRecord> = {}): FunctionRecord {
  return {
    name, version: '$LATEST', runtime: 'nodejs20.x', handler: 'index.handler', role: 'arn:aws:iam::123456789012:role/r',
    description: '', timeout: 3, memorySize: 128, ephemeralStorage: 512, environment: {}, architectures: ['x86_64'],
    codeSha256: 'sha', codeSize: 1, codeKey: 'code/a.zip', lastModified: '2024-01-01T00:00:00.000+0000', revisionId: 'r0', tags: {},
    ...over,
  };
}

function setup(random?: () => number) {
  const db = openSqlite(':memory:');
  const store = new SqliteMetadataStore(db);
  const versionStore = new SqliteVersionStore(db);
  const aliasStore = new SqliteAliasStore(db);
  const released: string[] = [];
  const functions = {
    scope,
    delete: async (name: string) => void store.deleteFunction(name),
    releaseCodeOf: async (r: FunctionRecord) => void released.push(r.codeKey),
  } as unknown as FunctionService;
  const changed: string[] = [];
  const versions = new VersionService({
    store, versions: versionStore, aliases: aliasStore, functions, onChange: (n) => changed.push(n), ...(random ? { random } : {}),
  });
  const aliases = new AliasService({ store, versions: versionStore, aliases: aliasStore, scope });
  return { store, versionStore, aliasStore, versions, aliases, released, changed };
}

/** Changes $LATEST as an update would: a new revision. */
function touch(store: SqliteMetadataStore, name: string, over: Partial<FunctionRecord> = {}) {
  const cur = store.getFunction(name)!;
  assert.ok(store.updateFunction({ ...cur, ...over, revisionId: `${cur.revisionId}+` }, cur.revisionId));
}

describe('pickVersion', () => {
  test('routes the weight\'s share to the additional version (seeded, 20,000 draws)', () => {
    const random = seeded(42);
    let extra = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) if (pickVersion('1', { '2': 0.3 }, random) === '2') extra++;
    const sd = Math.sqrt(n * 0.3 * 0.7);
    assert.ok(Math.abs(extra - n * 0.3) < 4 * sd, `${extra}`);
  });

  test('weight 0 and no routing always pick the primary version', () => {
    const random = seeded(7);
    for (let i = 0; i < 1000; i++) {
      assert.equal(pickVersion('1', { '2': 0 }, random), '1');
      assert.equal(pickVersion('1', undefined, random), '1');
    }
    assert.equal(pickVersion('1', { '2': 0.5 }, () => 0.4999), '2');
    assert.equal(pickVersion('1', { '2': 0.5 }, () => 0.5), '1');
  });
});

describe('VersionService', () => {
  test('numbers versions 1, 2, ... and returns the last one while nothing changed', () => {
    const { store, versions, changed } = setup();
    store.createFunction(latest('f'));
    assert.equal(versions.publish('f').version, '1');
    assert.equal(versions.publish('f').version, '1');
    assert.deepEqual(changed, ['f'], 'only a real publish touches $LATEST');
    touch(store, 'f', { memorySize: 256 });
    const two = versions.publish('f', { description: 'two' });
    assert.deepEqual([two.version, two.memorySize, two.description], ['2', 256, 'two']);
    assert.equal(store.getFunction('f', '1')!.memorySize, 128);
    const snapshot = store.getFunction('f', '2')!;
    assert.equal(snapshot.lastPublishedVersion, undefined, 'bookkeeping of $LATEST is not copied into versions');
  });

  test('never reuses the number of a deleted version, even the highest', async () => {
    const { store, versions, released } = setup();
    store.createFunction(latest('f'));
    versions.publish('f');
    touch(store, 'f');
    versions.publish('f');
    await versions.deleteFunction('f', '2');
    assert.deepEqual(released, ['code/a.zip']);
    assert.equal(versions.publish('f').version, '3', 'unchanged since 2, but 2 is gone: a new version');
  });

  test('preconditions refuse without publishing', () => {
    const { store, versions } = setup();
    store.createFunction(latest('f'));
    assert.throws(() => versions.publish('f', { revisionId: 'nope' }), { code: 'PreconditionFailedException' });
    assert.throws(() => versions.publish('f', { codeSha256: 'other' }), { code: 'InvalidParameterValueException' });
    assert.equal(store.getFunction('f', '1'), undefined);
    assert.equal(store.getFunction('f')!.revisionId, 'r0');
  });

  test('lists versions in numeric order (10 after 9) and all functions\' versions by name', () => {
    const { store, versions } = setup();
    store.createFunction(latest('b'));
    store.createFunction(latest('a'));
    for (let i = 0; i < 11; i++) {
      versions.publish('b');
      touch(store, 'b');
    }
    const page = versions.listVersions('b', undefined, 50).items.map((r) => r.version);
    assert.deepEqual(page, ['$LATEST', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11']);
    const first = versions.listVersions('b', undefined, 5);
    const rest = versions.listVersions('b', first.nextMarker, 50);
    assert.deepEqual([...first.items, ...rest.items].map((r) => r.version), page);
    const all: string[] = [];
    let marker: string | undefined;
    do {
      const p = versions.listAll(marker, 4);
      all.push(...p.items.map((r) => `${r.name}:${r.version}`));
      marker = p.nextMarker;
    } while (marker);
    assert.deepEqual(all, ['a:$LATEST', ...page.map((v) => `b:${v}`)]);
    assert.throws(() => versions.listVersions('b', 'garbage!', 5), { code: 'InvalidParameterValueException' });
  });

  test('resolves aliases, weighted ones by the injected random source', () => {
    const { store, versions, aliases } = setup(() => 0.1);
    store.createFunction(latest('f'));
    versions.publish('f');
    touch(store, 'f');
    versions.publish('f');
    aliases.create('f', { Name: 'live', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.2 } } });
    assert.equal(versions.resolveForInvoke('f', 'live').version, '2');
    assert.equal(versions.describe('f', 'live').record.version, '1');
    assert.equal(versions.describe('f:live', undefined).functionArn, 'arn:aws:lambda:us-east-1:123456789012:function:f:live');
  });
});

describe('AliasService', () => {
  test('a refused create or update leaves the stored alias as it was', () => {
    const { store, versions, aliases, aliasStore } = setup();
    store.createFunction(latest('f'));
    versions.publish('f');
    const made = aliases.create('f', { Name: 'live', FunctionVersion: '1' });
    assert.throws(() => aliases.update('f', 'live', { FunctionVersion: '9' }), { code: 'ResourceNotFoundException' });
    assert.throws(() => aliases.update('f', 'live', { RoutingConfig: { AdditionalVersionWeights: { '1': 0.5 } } }), { code: 'InvalidParameterValueException' });
    assert.throws(() => aliases.update('f', 'live', { Description: 'x', RevisionId: 'old' }), { code: 'PreconditionFailedException' });
    assert.deepEqual(aliasStore.getAlias('f', 'live'), made);
  });

  test('weights must be in [0, 1)', () => {
    const { store, versions, aliases } = setup();
    store.createFunction(latest('f'));
    versions.publish('f');
    touch(store, 'f');
    versions.publish('f');
    for (const w of [1, 1.5, -0.01, Number.NaN]) {
      assert.throws(() => aliases.create('f', { Name: 'a', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': w } } }), {
        code: 'InvalidParameterValueException',
      });
    }
    assert.equal(aliases.create('f', { Name: 'a', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.999 } } }).additionalVersionWeights?.['2'], 0.999);
  });

  test('deleting a version checks aliases and deletes in one transaction', async () => {
    const { store, versions, aliases } = setup();
    store.createFunction(latest('f'));
    versions.publish('f');
    touch(store, 'f');
    versions.publish('f');
    aliases.create('f', { Name: 'b', FunctionVersion: '2' });
    aliases.create('f', { Name: 'a', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.1 } } });
    await assert.rejects(versions.deleteFunction('f', '2'), { message: 'Unable to delete version because the following aliases reference it: [a, b]' });
    assert.ok(store.getFunction('f', '2'));
    await versions.deleteFunction('f', undefined);
    assert.equal(store.getFunction('f'), undefined);
    store.createFunction(latest('f'));
    assert.deepEqual(aliases.list('f', { maxItems: 50 }).items, []);
  });
});
