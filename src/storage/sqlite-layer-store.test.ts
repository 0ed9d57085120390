import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqlite } from './sqlite.ts';
import { SqliteMetadataStore } from './sqlite-metadata-store.ts';
import { SqliteLayerStore } from './sqlite-layer-store.ts';
import type { FunctionRecord } from './types.ts';
import type { LayerVersionRecord } from './layer-types.ts';

function open() {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'layer-store-')), 'metadata.db');
  const db = openSqlite(file);
  return { file, db, functions: new SqliteMetadataStore(db), layers: new SqliteLayerStore(db) };
}

const version = (name: string, over: Partial<LayerVersionRecord> = {}): Omit<LayerVersionRecord, 'version'> => ({
  name,
  description: '',
  createdDate: '2024-01-01T00:00:00.000+0000',
  codeSha256: 'x',
  codeSize: 1,
  codeKey: `layer/${name}.zip`,
  unzippedSize: 1,
  ...over,
});

const fn = (name: string, layerKeys: string[]): FunctionRecord => ({
  name, version: '$LATEST', runtime: 'nodejs20.x', handler: 'index.handler', role: 'r', description: '', timeout: 3,
  memorySize: 128, ephemeralStorage: 512, environment: {}, architectures: ['x86_64'], codeSha256: 'c', codeSize: 1,
  codeKey: 'code/c.zip', lastModified: 'now', revisionId: 'r1', tags: {},
  ...(layerKeys.length ? { layers: layerKeys.map((k) => ({ arn: `arn:${k}`, codeSize: 1, codeSha256: 's', codeKey: k, unzippedSize: 1 })) } : {}),
});

test('version numbers count per layer and are never reused, even after every version is deleted or a restart', () => {
  const { file, db, layers } = open();
  assert.equal(layers.publish(version('a')).version, 1);
  assert.equal(layers.publish(version('a')).version, 2);
  assert.equal(layers.publish(version('b')).version, 1);
  assert.equal(layers.deleteVersion('a', 2)?.version, 2);
  assert.equal(layers.deleteVersion('a', 2), undefined);
  layers.deleteVersion('a', 1);
  assert.equal(layers.publish(version('a')).version, 3);
  db.close();
  const again = new SqliteLayerStore(openSqlite(file));
  assert.equal(again.publish(version('a')).version, 4);
  assert.deepEqual(again.getVersion('a', 3)?.name, 'a');
});

test('listVersions is newest first, filtered, resumable; listLatest takes the latest match per layer by name', () => {
  const { layers } = open();
  layers.publish(version('b', { compatibleRuntimes: ['nodejs20.x'], compatibleArchitectures: ['arm64'] }));
  layers.publish(version('b', { compatibleRuntimes: ['python3.12'] }));
  layers.publish(version('a', { compatibleRuntimes: ['nodejs20.x'] }));
  layers.publish(version('c'));
  assert.deepEqual(layers.listVersions('b', {}, undefined, 10).map((v) => v.version), [2, 1]);
  assert.deepEqual(layers.listVersions('b', {}, 2, 10).map((v) => v.version), [1]);
  assert.deepEqual(layers.listVersions('b', { runtime: 'python3.12' }, undefined, 10).map((v) => v.version), [2]);
  assert.deepEqual(layers.listLatest({}, undefined, 10).map((v) => [v.name, v.version]), [['a', 1], ['b', 2], ['c', 1]]);
  assert.deepEqual(layers.listLatest({ runtime: 'nodejs20.x' }, undefined, 10).map((v) => [v.name, v.version]), [['a', 1], ['b', 1]]);
  assert.deepEqual(layers.listLatest({ runtime: 'nodejs20.x', architecture: 'arm64' }, undefined, 10).map((v) => v.name), ['b']);
  assert.deepEqual(layers.listLatest({}, 'a', 1).map((v) => v.name), ['b']);
});

test('blob references count layer versions and function versions; lists in use come from function records', () => {
  const { functions, layers } = open();
  layers.publish(version('a', { codeKey: 'layer/k.zip' }));
  layers.publish(version('b', { codeKey: 'layer/k.zip' }));
  functions.createFunction(fn('f', ['layer/k.zip', 'layer/j.zip']));
  functions.createFunction(fn('g', []));
  assert.equal(layers.countCodeReferences('layer/k.zip'), 3);
  assert.equal(layers.countCodeReferences('layer/j.zip'), 1);
  assert.equal(layers.countCodeReferences('layer/none.zip'), 0);
  assert.deepEqual(layers.layerListsInUse(), [['layer/k.zip', 'layer/j.zip']]);
  layers.retain('layer/j.zip');
  layers.retain('layer/j.zip');
  assert.deepEqual(layers.retained(), ['layer/j.zip']);
  layers.release('layer/j.zip');
  assert.deepEqual(layers.retained(), []);
});
