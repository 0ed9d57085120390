import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { CAP_EVICT_CHUNK, SqliteLogStore } from './log-store.ts';

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


test('retention: a sweep deletes events older than the group policy, and only those', () => {
  const day = 86_400_000;
  const now = Date.UTC(2024, 0, 10);
  const store = new SqliteLogStore(file(), () => now);
  store.append('/g/kept', 's', [{ timestamp: now - 5 * day, message: 'old but unlimited' }]);
  store.append('/g/one', 's', [
    { timestamp: now - 2 * day, message: 'two days old' },
    { timestamp: now - day / 2, message: 'half a day old' },
  ]);
  assert.equal(store.setRetention('/g/one', 1), true);
  assert.equal(store.setRetention('/g/none', 1), false);
  assert.equal(store.group('/g/one')?.retentionDays, 1);
  assert.equal(store.sweepRetention(now), 1);
  assert.deepEqual(store.events({ group: '/g/one', limit: 10 }).map((e) => e.message), ['half a day old']);
  assert.equal(store.streams('/g/one', { offset: 0, limit: 10 })[0]?.storedBytes, Buffer.byteLength('half a day old'));
  assert.equal(store.events({ group: '/g/kept', limit: 10 }).length, 1);
  assert.equal(store.sweepRetention(now + day), 1);
  assert.equal(store.events({ group: '/g/one', limit: 10 }).length, 0);
  store.setRetention('/g/one', null);
  store.append('/g/one', 's', [{ timestamp: now - 30 * day, message: 'ancient' }]);
  assert.equal(store.sweepRetention(now), 0);
  store.close();
});

test('deleting a group or a stream removes their events and frees their bytes', () => {
  const store = new SqliteLogStore(file(), () => 1000);
  store.append('/g/a', 's1', [{ timestamp: 1, message: 'one' }]);
  store.append('/g/a', 's2', [{ timestamp: 2, message: 'two' }]);
  store.append('/g/b', 's1', [{ timestamp: 3, message: 'three' }]);
  store.flush();
  const total = store.totalBytes;
  assert.equal(total, 3 + 3 + 5 + 3 * 26);
  assert.equal(store.deleteStream('/g/a', 's2'), true);
  assert.equal(store.deleteStream('/g/a', 's2'), false);
  assert.equal(store.totalBytes, total - 29);
  assert.equal(store.deleteGroup('/g/a'), true);
  assert.equal(store.deleteGroup('/g/a'), false);
  assert.equal(store.group('/g/a'), undefined);
  assert.equal(store.events({ group: '/g/a', limit: 10 }).length, 0);
  assert.equal(store.totalBytes, 5 + 26);
  assert.equal(store.createGroup('/g/a'), true);
  assert.equal(store.createGroup('/g/a'), false);
  assert.equal(store.createStream('/g/a', 'x'), true);
  assert.equal(store.createStream('/g/a', 'x'), false);
  store.close();
});

test('the volume cap drops the oldest events first and counts them', () => {
  const f = file();
  const drops: number[] = [];
  const maxBytes = 100_000;
  const store = new SqliteLogStore(f, () => 1000, undefined, { maxBytes, onDrop: (n) => drops.push(n) });
  const line = 'x'.repeat(974); // 1,000 bytes with the per-event overhead
  for (let i = 0; i < 300; i++) store.append('/g', 's', [{ timestamp: i, message: `${String(i).padStart(4, '0')}${line.slice(4)}` }]);
  store.flush();
  assert.ok(store.totalBytes <= maxBytes, `${store.totalBytes}`);
  assert.ok(store.droppedEvents >= 200, `${store.droppedEvents}`);
  assert.equal(drops.reduce((a, b) => a + b, 0), store.droppedEvents);
  const kept = store.events({ group: '/g', limit: 1000 });
  assert.equal(kept.length + store.droppedEvents, 300);
  assert.equal(kept[kept.length - 1]!.message.slice(0, 4), '0299');
  assert.equal(kept[0]!.timestamp, 300 - kept.length);
  const [s] = store.streams('/g', { offset: 0, limit: 1 });
  assert.equal(s!.storedBytes, kept.length * 974);
  assert.equal(s!.firstEvent, kept[0]!.timestamp);
  store.close();
  // The running total survives a restart.
  const again = new SqliteLogStore(f, () => 1000, undefined, { maxBytes });
  assert.equal(again.totalBytes, kept.length * 1000);
  again.close();
});

test('the cap evicts in bounded chunks, finishes on later turns, and counts every drop', async () => {
  const f = file();
  // 8,000 tiny events (36 bytes each with the overhead) written with no cap.
  const filler = new SqliteLogStore(f, () => 1000);
  for (let i = 0; i < 8000; i++) filler.append('/g', 'old', [{ timestamp: i, message: `m${String(i).padStart(9, '0')}` }]);
  filler.close();
  const drops: number[] = [];
  const maxBytes = 100_000;
  const store = new SqliteLogStore(f, () => 1000, undefined, { maxBytes, onDrop: (n) => drops.push(n) });
  assert.equal(store.totalBytes, 8000 * 36);
  store.append('/g', 'new', [{ timestamp: 9000, message: 'y'.repeat(50_000) }]);
  store.flush();
  // Getting to the low-water mark needs ~6,900 of the tiny events: one chunk now, the rest later.
  assert.equal(store.droppedEvents, CAP_EVICT_CHUNK);
  for (let i = 0; i < 10 && store.totalBytes > maxBytes * 0.9; i++) await nextTurn();
  assert.ok(store.totalBytes <= maxBytes * 0.9, `${store.totalBytes}`);
  assert.ok(store.droppedEvents > CAP_EVICT_CHUNK);
  assert.equal(drops.reduce((a, b) => a + b, 0), store.droppedEvents);
  const old = store.events({ group: '/g', streams: ['old'], limit: 10_000 });
  assert.equal(old.length + store.droppedEvents, 8000);
  assert.equal(old[0]!.timestamp, store.droppedEvents);
  const [newStream, oldStream] = store.streams('/g', { offset: 0, limit: 10 });
  assert.equal(oldStream!.storedBytes, old.length * 10);
  assert.equal(oldStream!.firstEvent, store.droppedEvents);
  assert.equal(newStream!.storedBytes, 50_000);
  assert.equal(store.totalBytes, old.length * 36 + 50_026);
  store.close();
  const again = new SqliteLogStore(f, () => 1000, undefined, { maxBytes });
  assert.equal(again.totalBytes, old.length * 36 + 50_026);
  again.close();
});

test('a store written before events carried their size is measured once on open', () => {
  const f = file();
  const db = new Database(f);
  db.exec(`
    CREATE TABLE log_groups (name TEXT PRIMARY KEY, created INTEGER NOT NULL, retention_days INTEGER);
    CREATE TABLE log_streams (group_name TEXT NOT NULL, name TEXT NOT NULL, created INTEGER NOT NULL, first_event INTEGER,
      last_event INTEGER, last_ingest INTEGER, stored_bytes INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (group_name, name));
    CREATE TABLE log_events (id INTEGER PRIMARY KEY AUTOINCREMENT, group_name TEXT NOT NULL, stream_name TEXT NOT NULL,
      ts INTEGER NOT NULL, ingest INTEGER NOT NULL, message TEXT NOT NULL);
    INSERT INTO log_groups VALUES ('/g', 1, 1);
    INSERT INTO log_streams VALUES ('/g', 's', 1, 10, 20, 1, ${Buffer.byteLength('héllo') + 5});
    INSERT INTO log_events (group_name, stream_name, ts, ingest, message) VALUES ('/g', 's', 10, 1, 'héllo'), ('/g', 's', 20, 1, 'world');
  `);
  db.close();
  const day = 86_400_000;
  const store = new SqliteLogStore(f, () => 1000);
  assert.equal(store.totalBytes, 6 + 5 + 2 * 26);
  // Retention subtracts the measured size of what it expires.
  assert.equal(store.sweepRetention(15 + day), 1);
  assert.equal(store.totalBytes, 5 + 26);
  assert.equal(store.streams('/g', { offset: 0, limit: 1 })[0]?.storedBytes, 5);
  assert.equal(store.deleteStream('/g', 's'), true);
  assert.equal(store.totalBytes, 0);
  store.close();
});
