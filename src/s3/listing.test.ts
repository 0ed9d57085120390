import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyRange, ObjectRecord } from '../storage/index.ts';
import { decodeCursor, encodeCursor, listPage, prefixSuccessor, type ListRequest, type Scan } from './listing.ts';

function bucketOf(keys: string[]): { scan: Scan; calls: () => number } {
  const sorted = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  let calls = 0;
  const lt = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0;
  return {
    calls: () => calls,
    scan: (r: KeyRange) => {
      calls++;
      return sorted
        .filter((k) => (r.inclusive ? !lt(k, r.after) : lt(r.after, k)) && (r.before === undefined || lt(k, r.before)))
        .slice(0, r.limit)
        .map((key) => ({ key }) as ObjectRecord);
    },
  };
}

function listAll(scan: Scan, req: Omit<ListRequest, 'cursor'>): { keys: string[]; prefixes: string[]; pages: number } {
  const keys: string[] = [];
  const prefixes: string[] = [];
  let cursor: ListRequest['cursor'];
  let pages = 0;
  for (;;) {
    const page = listPage(scan, { ...req, ...(cursor ? { cursor } : {}) });
    pages++;
    keys.push(...page.objects.map((o) => o.key));
    prefixes.push(...page.commonPrefixes);
    if (!page.truncated) return { keys, prefixes, pages };
    cursor = decodeCursor(encodeCursor(page.next!));
  }
}

const KEYS = ['a', 'b/1', 'b/2', 'b/3', 'c', 'd/x/1', 'd/y', 'e+f', 'é', '😀', 'z'];

test('prefix, delimiter and pagination agree with a plain filter at every page size', () => {
  const { scan } = bucketOf(KEYS);
  for (const maxKeys of [1, 2, 3, 1000]) {
    const all = listAll(scan, { prefix: '', delimiter: '/', maxKeys });
    assert.deepEqual(all.keys, ['a', 'c', 'e+f', 'z', 'é', '😀']);
    assert.deepEqual(all.prefixes, ['b/', 'd/']);
    const under = listAll(scan, { prefix: 'd/', delimiter: '/', maxKeys });
    assert.deepEqual(under.keys, ['d/y']);
    assert.deepEqual(under.prefixes, ['d/x/']);
    const flat = listAll(scan, { prefix: 'b/', maxKeys });
    assert.deepEqual(flat.keys, ['b/1', 'b/2', 'b/3']);
    assert.equal(flat.pages, Math.ceil(3 / maxKeys));
  }
});

test('a common prefix is skipped with one seek, not by reading its keys', () => {
  const many = Array.from({ length: 5000 }, (_, i) => `logs/${String(i).padStart(5, '0')}`);
  const { scan, calls } = bucketOf([...many, 'readme']);
  const page = listPage(scan, { prefix: '', delimiter: '/', maxKeys: 1000 });
  assert.deepEqual(page.commonPrefixes, ['logs/']);
  assert.deepEqual(page.objects.map((o) => o.key), ['readme']);
  assert.ok(calls() <= 3, `${calls()} scans`);
});

test('start after a key, and a cursor before the prefix starts at the prefix', () => {
  const { scan } = bucketOf(KEYS);
  const page = listPage(scan, { prefix: 'b/', maxKeys: 10, cursor: { kind: 'key', value: 'b/1' } });
  assert.deepEqual(page.objects.map((o) => o.key), ['b/2', 'b/3']);
  const early = listPage(scan, { prefix: 'd/', maxKeys: 10, cursor: { kind: 'key', value: 'a' } });
  assert.deepEqual(early.objects.map((o) => o.key), ['d/x/1', 'd/y']);
});

test('prefix successor', () => {
  assert.equal(prefixSuccessor('b/'), 'b0');
  assert.equal(prefixSuccessor('a\u{10FFFF}'), 'b');
  assert.equal(prefixSuccessor('\u{D7FF}'), '\u{E000}');
  assert.equal(prefixSuccessor(''), undefined);
  assert.equal(decodeCursor('!!'), undefined);
});
