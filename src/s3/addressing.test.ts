import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveAddress } from './addressing.ts';

const SUFFIXES = ['s3.localhost', 'localhost'];

test('path style', () => {
  assert.deepEqual(resolveAddress('/', 'localhost:4566', SUFFIXES), { style: 'path' });
  assert.deepEqual(resolveAddress('/b', '127.0.0.1:4566', SUFFIXES), { bucket: 'b', style: 'path' });
  assert.deepEqual(resolveAddress('/b/', '127.0.0.1', SUFFIXES), { bucket: 'b', style: 'path' });
  assert.deepEqual(resolveAddress('/b/a/../c%20d', 'localhost:1', SUFFIXES), { bucket: 'b', key: 'a/../c d', style: 'path' });
  assert.deepEqual(resolveAddress('/b//x', 's3.localhost', SUFFIXES), { bucket: 'b', key: '/x', style: 'path' });
});

test('virtual-host style, longest suffix first', () => {
  assert.deepEqual(resolveAddress('/k/e%2By', 'my.bucket.localhost:4566', SUFFIXES), { bucket: 'my.bucket', key: 'k/e+y', style: 'virtual-host' });
  assert.deepEqual(resolveAddress('/', 'bkt.s3.localhost', SUFFIXES), { bucket: 'bkt', style: 'virtual-host' });
  assert.deepEqual(resolveAddress('/x', 'BKT.LOCALHOST', SUFFIXES), { bucket: 'bkt', key: 'x', style: 'virtual-host' });
});

test('a malformed escape is InvalidURI', () => {
  assert.throws(() => resolveAddress('/b/%zz', 'localhost', SUFFIXES), { name: 'InvalidURI' });
});
