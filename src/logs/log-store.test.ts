import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteLogStore } from './log-store.ts';
import { compileFilterPattern } from './filter-pattern.ts';

const file = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-logs-')), 'logs.db');

test('appends are batched, then readable in time order, and survive reopening', () => {
  const f = file();
  const store = new SqliteLogStore(f, () => 1000);
  store.append('/aws/lambda/a', 's1', [{ timestamp: 20, message: 'second' }, { timestamp: 10, message: 'first' }]);
  store.append('/aws/lambda/a', 's2', [{ timestamp: 30, message: 'third' }]);
  store.append('/aws/lambda/b', 's1', [{ timestamp: 5, message: 'other group' }]);
  assert.deepEqual(store.events({ group: '/aws/lambda/a', limit: 10 }).map((e) => e.message), ['first', 'second', 'third']);
  assert.deepEqual(store.events({ group: '/aws/lambda/a', streams: ['s2'], limit: 10 }).map((e) => e.message), ['third']);
  const [first] = store.events({ group: '/aws/lambda/a', limit: 1 });
  assert.deepEqual(store.events({ group: '/aws/lambda/a', after: { timestamp: first!.timestamp, id: first!.id }, limit: 10 }).map((e) => e.message), ['second', 'third']);
  const streams = store.streams('/aws/lambda/a', { offset: 0, limit: 10 });
  assert.deepEqual(streams.map((s) => [s.name, s.firstEvent, s.lastEvent]), [['s1', 10, 20], ['s2', 30, 30]]);
  store.close();
  const again = new SqliteLogStore(f);
  assert.equal(again.events({ group: '/aws/lambda/a', limit: 10 }).length, 3);
  assert.deepEqual(again.groups(undefined, undefined, 10).map((g) => g.name), ['/aws/lambda/a', '/aws/lambda/b']);
  assert.deepEqual(again.groups('/aws/lambda/b', undefined, 10).map((g) => g.name), ['/aws/lambda/b']);
  again.close();
});

test('filter patterns: terms, quoted phrases, exclusions', () => {
  const m = compileFilterPattern('ERROR "disk full" -ignored');
  assert.equal(m('ERROR: disk full on /tmp'), true);
  assert.equal(m('ERROR: disk is full'), false);
  assert.equal(m('ERROR: disk full, ignored'), false);
  assert.equal(compileFilterPattern('')('anything'), true);
});
