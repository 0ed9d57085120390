import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type Database from 'better-sqlite3';
import { openSqlite } from './sqlite.ts';
import { DUE_FUNCTIONS_SQL, OLDEST_WAITING_SQL, SqliteAsyncEventStore, type AsyncEventRecord } from './sqlite-async-event-store.ts';

const NOW = 1_000_000;

function event(id: string, functionName: string, fields: Partial<AsyncEventRecord> = {}): AsyncEventRecord {
  return {
    id,
    functionName,
    payload: Buffer.from('{}'),
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    receivedAt: NOW - 1000,
    attempts: 0,
    nextAttemptAt: NOW - 1000,
    ...fields,
  };
}

describe('SqliteAsyncEventStore', () => {
  let dir: string;
  let db: Database.Database;
  let store: SqliteAsyncEventStore;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-async-store-'));
    db = openSqlite(path.join(dir, 'metadata.db'));
    store = new SqliteAsyncEventStore(db);
  });
  after(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names exactly the functions with an event due now: not running, not failed, not retried later', () => {
    store.insert(event('a1', 'fn-a'));
    store.insert(event('a2', 'fn-a', { nextAttemptAt: NOW + 60_000 }));
    store.insert(event('b1', 'fn-b', { nextAttemptAt: NOW + 60_000 }));
    store.insert(event('c1', 'fn-c'));
    assert.equal(store.take('c1'), true);
    store.insert(event('d1', 'fn-d'));
    store.markFailed('d1', 3, NOW, 'RetriesExhausted');
    store.insert(event('e1', 'fn-e', { nextAttemptAt: NOW }));
    assert.deepEqual(store.dueFunctions(NOW).sort(), ['fn-a', 'fn-e']);
    // fn-b's retry comes due.
    assert.deepEqual(store.dueFunctions(NOW + 60_000).sort(), ['fn-a', 'fn-b', 'fn-e']);
    // Nothing due once every waiting event is taken.
    for (const name of ['fn-a', 'fn-e']) while (store.takeDue(name, NOW)) {}
    assert.deepEqual(store.dueFunctions(NOW), []);
  });

  it("gives a function's longest-waiting event, by arrival", () => {
    store.insert(event('f2', 'fn-f', { receivedAt: NOW - 10 }));
    store.insert(event('f1', 'fn-f', { receivedAt: NOW - 20, nextAttemptAt: NOW + 60_000 }));
    store.insert(event('f0', 'fn-f', { receivedAt: NOW - 30 }));
    assert.equal(store.take('f0'), true);
    assert.equal(store.oldestWaiting('fn-f')?.id, 'f1');
  });

  it('finds due functions and the oldest waiting event through indexes, never by reading a whole backlog', () => {
    // Run after every event: a scan or a sort of the waiting events makes draining a backlog quadratic.
    for (const [name, sql, args] of [
      ['due functions', DUE_FUNCTIONS_SQL, [NOW]],
      ['oldest waiting', OLDEST_WAITING_SQL, ['fn-a']],
    ] as const) {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail);
      assert.ok(plan.length > 0, name);
      for (const step of plan) {
        assert.doesNotMatch(step, /TEMP B-TREE|^SCAN async_events/, `${name}: ${plan.join(' | ')}`);
        if (step.includes('async_events')) assert.match(step, /USING (COVERING )?INDEX/, `${name}: ${plan.join(' | ')}`);
      }
    }
  });
});
