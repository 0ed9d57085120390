import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqlite } from './sqlite.ts';
import { SqliteObjectStore } from './sqlite-object-store.ts';
import type { ObjectRecord } from './object-types.ts';

function open() {
  const db = openSqlite(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'object-store-')), 'metadata.db'));
  const store = new SqliteObjectStore(db);
  store.createBucket({ name: 'b', region: 'us-east-1', createdAt: 1 });
  return store;
}

const object = (key: string, bodyId = `body-${key}`, over: Partial<ObjectRecord> = {}): ObjectRecord => ({
  bucket: 'b', key, size: 1, etag: 'e', lastModified: 1000, bodyId, contentType: 'text/plain', metadata: { a: '1' }, ...over,
});

test('objects: put returns the replaced record, headers and checksum round-trip, delete returns the removed one', () => {
  const store = open();
  assert.deepEqual(store.putObject(object('k', 'b1', { checksum: { algorithm: 'CRC32', type: 'FULL_OBJECT', value: 'AAAAAA==' } })), {});
  const replaced = store.putObject(object('k', 'b2'));
  assert.ok(replaced !== 'no-bucket' && replaced.previous?.bodyId === 'b1');
  assert.equal(replaced.previous?.checksum?.value, 'AAAAAA==');
  const got = store.getObject('b', 'k')!;
  assert.equal(got.bodyId, 'b2');
  assert.deepEqual(got.metadata, { a: '1' });
  assert.equal(got.contentType, 'text/plain');
  assert.equal(store.isBodyReferenced('b2'), true);
  assert.equal(store.isBodyReferenced('b1'), false);
  assert.equal(store.putObject({ ...object('k'), bucket: 'nope' }), 'no-bucket');
  assert.equal(store.deleteObject('b', 'k')?.bodyId, 'b2');
  assert.equal(store.deleteObject('b', 'k'), undefined);
});

test('key ranges scan in UTF-8 byte order with exclusive, inclusive and upper bounds', () => {
  const store = open();
  for (const key of ['b/2', 'a', 'b/1', 'é', 'c', '😀']) store.putObject(object(key));
  const keys = (r: Parameters<typeof store.listObjects>[1]) => store.listObjects('b', r).map((o) => o.key);
  assert.deepEqual(keys({ after: '', inclusive: true, limit: 10 }), ['a', 'b/1', 'b/2', 'c', 'é', '😀']);
  assert.deepEqual(keys({ after: 'b/1', inclusive: false, limit: 10 }), ['b/2', 'c', 'é', '😀']);
  assert.deepEqual(keys({ after: 'b/', inclusive: true, before: 'b0', limit: 10 }), ['b/1', 'b/2']);
  assert.deepEqual(keys({ after: '', inclusive: true, limit: 2 }), ['a', 'b/1']);
});

test('buckets: a bucket with objects is not deleted; one with uploads only is, and its parts are returned', () => {
  const store = open();
  assert.equal(store.createBucket({ name: 'b', region: 'us-east-1', createdAt: 2 }), false);
  store.putObject(object('k'));
  assert.equal(store.deleteBucket('b'), 'not-empty');
  store.deleteObject('b', 'k');
  store.createUpload({ uploadId: 'u', bucket: 'b', key: 'k', initiated: 1, metadata: {} });
  store.putPart({ uploadId: 'u', partNumber: 1, size: 1, etag: 'e', lastModified: 1, bodyId: 'p1' });
  assert.deepEqual(store.deleteBucket('b'), { bodyIds: ['p1'] });
  assert.equal(store.deleteBucket('b'), 'missing');
  assert.equal(store.getUpload('u'), undefined);
});

test('multipart: parts replace by number; complete is one transaction that drops the upload', () => {
  const store = open();
  store.createUpload({ uploadId: 'u', bucket: 'b', key: 'k', initiated: 1, metadata: { m: 'v' }, checksumAlgorithm: 'CRC32', checksumType: 'COMPOSITE' });
  assert.equal(store.getUpload('u')?.checksumType, 'COMPOSITE');
  store.putPart({ uploadId: 'u', partNumber: 2, size: 1, etag: 'e2', lastModified: 1, bodyId: 'p2', checksum: 'c2' });
  store.putPart({ uploadId: 'u', partNumber: 1, size: 1, etag: 'e1', lastModified: 1, bodyId: 'p1' });
  const again = store.putPart({ uploadId: 'u', partNumber: 1, size: 2, etag: 'e1b', lastModified: 2, bodyId: 'p1b' });
  assert.ok(again !== 'no-upload' && again.previous?.bodyId === 'p1');
  assert.deepEqual(store.listParts('u', 0, 10).map((p) => [p.partNumber, p.bodyId, p.checksum]), [[1, 'p1b', undefined], [2, 'p2', 'c2']]);
  assert.deepEqual(store.listParts('u', 1, 10).map((p) => p.partNumber), [2]);
  assert.equal(store.putPart({ uploadId: 'nope', partNumber: 1, size: 1, etag: 'e', lastModified: 1, bodyId: 'x' }), 'no-upload');
  const done = store.completeUpload('u', object('k', 'whole', { partsCount: 2 }));
  assert.ok(typeof done === 'object');
  assert.deepEqual(done.parts.map((p) => p.bodyId).sort(), ['p1b', 'p2']);
  assert.equal(store.getObject('b', 'k')?.partsCount, 2);
  assert.equal(store.completeUpload('u', object('k')), 'no-upload');
  assert.equal(store.abortUpload('u'), undefined);
});
