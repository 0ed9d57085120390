import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import { ConcurrencyLimiter } from '../invoke/concurrency.ts';
import { DEFAULT_EVENT_INVOKE_SETTINGS, type EventInvokeSettings } from '../invoke/async-types.ts';
import { Invoker, type ResolvedFunction } from '../invoke/invoker.ts';
import { ManualClock } from '../sandbox/test-helpers.ts';
import type { FunctionSpec, InvokeRequest, InvokeResult } from '../sandbox/types.ts';
import { openSqlite } from '../storage/sqlite.ts';
import { SqliteAsyncEventStore } from '../storage/sqlite-async-event-store.ts';
import { AsyncQueue } from './async-queue.ts';

const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:';
const MINUTE = 60_000;

type Behaviour = (req: InvokeRequest) => Promise<InvokeResult> | InvokeResult;

const ok = (body: unknown): InvokeResult => ({ payload: Buffer.from(JSON.stringify(body)), durationMs: 1, billedDurationMs: 1, maxMemoryUsedMB: 1 });
const boom = (message: string): InvokeResult => ({
  ...ok({ errorType: 'Error', errorMessage: message }),
  functionError: 'Unhandled',
});

/** A queue over a real SQLite store, a real limiter and a fake sandbox pool, on a manual clock. */
class Harness {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-queue-'));
  readonly db = openSqlite(path.join(this.dir, 'metadata.db'));
  readonly store = new SqliteAsyncEventStore(this.db);
  readonly clock = new ManualClock();
  readonly limiter = new ConcurrencyLimiter(10);
  readonly functions = new Map<string, Behaviour>();
  readonly settings = new Map<string, EventInvokeSettings>();
  /** Functions whose next resolve fails for a passing reason (not that they are gone). */
  readonly broken = new Set<string>();
  readonly calls: Array<{ fn: string; requestId: string; payload: unknown }> = [];
  readonly invoker = new Invoker({
    limiter: this.limiter,
    pool: {
      invoke: async (spec: FunctionSpec, req: InvokeRequest) => {
        this.calls.push({ fn: spec.functionName, requestId: req.requestId, payload: JSON.parse(req.payload.toString()) });
        return this.functions.get(spec.functionName)!(req);
      },
    },
  });
  queue = this.newQueue();

  newQueue(): AsyncQueue {
    return new AsyncQueue({
      store: this.store,
      invoker: this.invoker,
      resolve: async (name: string): Promise<ResolvedFunction> => {
        if (this.broken.has(name)) {
          this.broken.delete(name);
          throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        }
        if (!this.functions.has(name)) throw Object.assign(new Error(`Function not found: ${ARN}${name}`), { code: 'ResourceNotFoundException' });
        return { executedVersion: '$LATEST', spec: { functionName: name, functionArn: ARN + name } as FunctionSpec };
      },
      settings: (name) => this.settings.get(name) ?? DEFAULT_EVENT_INVOKE_SETTINGS,
      clock: this.clock,
      logger: pino({ level: 'silent' }),
      scope: { region: 'us-east-1', accountId: '123456789012' },
    });
  }

  send(fn: string, event: unknown, requestId = `req-${this.calls.length}-${Math.random()}`): string {
    this.queue.enqueue({ requestId, functionName: fn, payload: Buffer.from(JSON.stringify(event)), invokedFunctionArn: ARN + fn });
    return requestId;
  }

  callsOf(fn: string) {
    return this.calls.filter((c) => c.fn === fn);
  }

  close(): void {
    this.queue.close();
    this.db.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Lets queued promise continuations (attempts, deliveries) run. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

describe('AsyncQueue', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
    h.queue.start();
  });
  afterEach(() => h.close());

  it('writes an event to the database before enqueue returns, and removes it once it succeeded', async () => {
    let finish!: (r: InvokeResult) => void;
    h.functions.set('f', () => new Promise((r) => (finish = r)));
    const id = h.send('f', { n: 1 });
    // A second connection sees the committed row: it would survive kill -9 now.
    const other = openSqlite(path.join(h.dir, 'metadata.db'));
    assert.equal((other.prepare('SELECT COUNT(*) FROM async_events WHERE id = ?').pluck().get(id) as number), 1);
    other.close();
    await settle();
    assert.deepEqual(h.calls, [{ fn: 'f', requestId: id, payload: { n: 1 } }]);
    finish(ok('done'));
    await settle();
    assert.equal(h.queue.depth(), 0);
    assert.deepEqual(h.queue.failed('f'), []);
  });

  it('retries a failing event after one and then two minutes, then keeps it as failed', async () => {
    h.functions.set('f', () => boom('nope'));
    const id = h.send('f', { n: 1 });
    await settle();
    assert.equal(h.callsOf('f').length, 1);
    h.clock.advance(MINUTE - 1);
    await settle();
    assert.equal(h.callsOf('f').length, 1, 'no retry before a minute');
    h.clock.advance(1);
    await settle();
    assert.equal(h.callsOf('f').length, 2);
    h.clock.advance(2 * MINUTE - 1);
    await settle();
    assert.equal(h.callsOf('f').length, 2, 'the second retry waits two minutes');
    h.clock.advance(1);
    await settle();
    assert.equal(h.callsOf('f').length, 3);
    assert.ok(h.calls.every((c) => c.requestId === id), 'every attempt runs under the request id of the 202');
    h.clock.advance(60 * MINUTE);
    await settle();
    assert.equal(h.callsOf('f').length, 3, 'two retries at most');
    const [failed] = h.queue.failed('f');
    assert.equal(failed?.requestId, id);
    assert.equal(failed?.attempts, 3);
    assert.equal(failed?.reason, 'RetriesExhausted');
    assert.deepEqual(failed?.payload, { n: 1 });
    assert.equal(failed?.lastResult?.functionError, 'Unhandled');
    assert.equal(h.queue.depth('f'), 0);
  });

  it('honours MaximumRetryAttempts 0 and sends the invocation record to an OnFailure function', async () => {
    h.functions.set('f', () => boom('bad input'));
    h.functions.set('dlq', () => ok(null));
    h.settings.set('f', { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 3600, onFailure: `${ARN}dlq` });
    const id = h.send('f', { image: 'x.jpg' });
    await settle();
    assert.equal(h.callsOf('f').length, 1);
    const [record] = h.callsOf('dlq');
    assert.ok(record, 'the destination ran');
    const r = record.payload as Record<string, any>;
    assert.equal(r.version, '1.0');
    assert.match(r.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(r.requestContext, { requestId: id, functionArn: `${ARN}f:$LATEST`, condition: 'RetriesExhausted', approximateInvokeCount: 1 });
    assert.deepEqual(r.requestPayload, { image: 'x.jpg' });
    assert.deepEqual(r.responseContext, { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' });
    assert.deepEqual(r.responsePayload, { errorType: 'Error', errorMessage: 'bad input' });
    await settle();
    assert.deepEqual(h.queue.failed('f'), [], 'a delivered failure is not also kept');
    assert.equal(h.queue.depth(), 0);
  });

  it('sends the record of a success to an OnSuccess function', async () => {
    h.functions.set('f', () => ok({ resized: true }));
    h.functions.set('done', () => ok(null));
    h.settings.set('f', { ...DEFAULT_EVENT_INVOKE_SETTINGS, onSuccess: `${ARN}done` });
    const id = h.send('f', { a: 1 });
    await settle();
    const r = h.callsOf('done')[0]?.payload as Record<string, any>;
    assert.deepEqual(r.requestContext, { requestId: id, functionArn: `${ARN}f:$LATEST`, condition: 'Success', approximateInvokeCount: 1 });
    assert.deepEqual(r.responseContext, { statusCode: 200, executedVersion: '$LATEST' });
    assert.deepEqual(r.responsePayload, { resized: true });
  });

  it('keeps an event whose destination cannot take it, saying why', async () => {
    h.functions.set('f', () => boom('x'));
    h.settings.set('f', { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60, onFailure: 'arn:aws:sqs:us-east-1:123456789012:dlq' });
    h.send('f', {});
    await settle();
    const [failed] = h.queue.failed('f');
    assert.match(failed?.reason ?? '', /^RetriesExhausted; OnFailure destination arn:aws:sqs:.* not delivered: .*Lambda functions only, not to sqs/);
    h.settings.set('f', { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60, onFailure: `${ARN}missing` });
    h.send('f', {});
    await settle();
    assert.match(h.queue.failed('f')[1]?.reason ?? '', /not delivered: Function not found/);
  });

  it('lets throttled events wait for a slot, one at a time under a reservation of 1', async () => {
    const finishers: Array<() => void> = [];
    h.functions.set('f', () => new Promise((r) => finishers.push(() => r(ok(1)))));
    h.limiter.setReserved('f', 1);
    for (let i = 0; i < 3; i++) h.send('f', { i });
    await settle();
    assert.equal(h.callsOf('f').length, 1);
    finishers.shift()!();
    await settle();
    assert.equal(h.callsOf('f').length, 2);
    finishers.shift()!();
    await settle();
    finishers.shift()!();
    await settle();
    assert.deepEqual(h.callsOf('f').map((c) => c.payload), [{ i: 0 }, { i: 1 }, { i: 2 }]);
    assert.equal(h.queue.depth(), 0);
  });

  it('ages out events that stay throttled (reservation 0) to OnFailure with EventAgeExceeded and no response', async () => {
    h.functions.set('f', () => ok(1));
    h.functions.set('dlq', () => ok(null));
    h.limiter.setReserved('f', 0);
    h.settings.set('f', { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 60, onFailure: `${ARN}dlq` });
    const id = h.send('f', { late: true });
    await settle();
    h.clock.advance(59_999);
    await settle();
    assert.equal(h.callsOf('dlq').length, 0);
    h.clock.advance(1);
    await settle();
    assert.equal(h.callsOf('f').length, 0, 'it never ran');
    const r = h.callsOf('dlq')[0]?.payload as Record<string, any>;
    assert.deepEqual(r.requestContext, { requestId: id, functionArn: `${ARN}f:$LATEST`, condition: 'EventAgeExceeded', approximateInvokeCount: 0 });
    assert.equal(r.responseContext, undefined);
  });

  it('runs an event held back by a reservation of 0 once the reservation is lifted', async () => {
    h.functions.set('f', () => ok(1));
    h.limiter.setReserved('f', 0);
    h.send('f', {});
    await settle();
    h.clock.advance(5000);
    await settle();
    assert.equal(h.callsOf('f').length, 0);
    h.limiter.setReserved('f', undefined);
    h.clock.advance(1000);
    await settle();
    assert.equal(h.callsOf('f').length, 1);
    assert.equal(h.queue.depth(), 0);
  });

  it('ages out an event between retries', async () => {
    h.functions.set('f', () => boom('x'));
    h.settings.set('f', { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 90 });
    h.send('f', {});
    await settle();
    h.clock.advance(MINUTE);
    await settle();
    assert.equal(h.callsOf('f').length, 2);
    h.clock.advance(2 * MINUTE);
    await settle();
    assert.equal(h.callsOf('f').length, 2, 'too old for the third attempt');
    assert.equal(h.queue.failed('f')[0]?.reason, 'EventAgeExceeded');
    assert.equal(h.queue.failed('f')[0]?.attempts, 2);
  });

  it('runs again, after a restart, an event that was running when the server died (at-least-once)', async () => {
    h.functions.set('f', () => new Promise(() => {})); // still running when the "crash" comes
    const id = h.send('f', { keep: 1 });
    await settle();
    assert.equal(h.callsOf('f').length, 1);
    // The old process is gone; a new one opens the same database.
    h.limiter.release('f');
    h.functions.set('f', () => ok('second time'));
    h.queue = h.newQueue();
    h.queue.start();
    await settle();
    assert.deepEqual(h.callsOf('f').map((c) => c.requestId), [id, id]);
    assert.equal(h.queue.depth(), 0);
  });

  it('redrives failed events as new ones', async () => {
    h.functions.set('f', () => boom('x'));
    h.settings.set('f', { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 });
    h.send('f', { a: 1 });
    h.send('f', { a: 2 });
    await settle();
    assert.equal(h.queue.failed('f').length, 2);
    h.clock.advance(10 * MINUTE);
    h.functions.set('f', () => ok('fixed'));
    assert.equal(h.queue.redrive('f'), 2);
    await settle();
    assert.equal(h.callsOf('f').length, 4);
    assert.deepEqual(h.queue.failed('f'), []);
    assert.equal(h.queue.depth(), 0);
    assert.equal(h.queue.redrive('f'), 0);
  });

  it('retries, and never drops, an event whose function could not start for a passing reason', async () => {
    h.functions.set('f', () => ok('fine'));
    h.broken.add('f');
    h.send('f', { n: 1 });
    await settle();
    assert.equal(h.callsOf('f').length, 0);
    assert.equal(h.queue.depth('f'), 1, 'still queued, not dropped');
    h.clock.advance(MINUTE);
    await settle();
    assert.equal(h.callsOf('f').length, 1);
    assert.equal(h.queue.depth(), 0);
  });

  it('does not deliver to a destination in another account or region, and keeps the event', async () => {
    h.functions.set('f', () => boom('x'));
    h.functions.set('victim', () => ok(null));
    h.settings.set('f', { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60, onFailure: 'arn:aws:lambda:eu-west-1:999999999999:function:victim' });
    h.send('f', {});
    await settle();
    assert.equal(h.callsOf('victim').length, 0);
    assert.match(h.queue.failed('f')[0]?.reason ?? '', /outside this server's account and region/);
  });

  it('drops the events of a function that no longer exists', async () => {
    h.limiter.setReserved('gone', 0);
    h.send('gone', {});
    h.queue.forget('gone');
    assert.equal(h.queue.depth(), 0);
    h.limiter.setReserved('gone', undefined);
    h.send('gone', {});
    await settle();
    assert.equal(h.queue.depth(), 0);
    assert.deepEqual(h.queue.failed('gone'), []);
  });
});
