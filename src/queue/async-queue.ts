import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { EventInvokeSettings, EventSettingsLookup, FunctionResolver, Invoker, ResolvedFunction } from '../invoke/index.ts';
import type { AsyncEventMetrics } from '../metrics/index.ts';
import type { AsyncEventRecord, AsyncEventStore } from '../storage/index.ts';
import type { Clock } from '../util/index.ts';
import { invocationRecord, recordFunctionArn, type AttemptOutcome, type RecordCondition } from './invocation-record.ts';

/** An Event invocation the API has accepted (its request id is the one the 202 carried). */
export interface AcceptedEvent {
  readonly requestId: string;
  readonly functionName: string;
  /** Version or alias to run; absent for the unqualified function ($LATEST). */
  readonly qualifier?: string;
  readonly payload: Buffer;
  readonly invokedFunctionArn: string;
}

/** What accepts Event invocations: the invoke API and bucket notifications hand events here. */
export interface EventSink {
  /** Durable when it returns. */
  enqueue(event: AcceptedEvent): void;
}

/** The queue as the API sees it: accepting events, and showing and redriving failed ones. */
export interface EventQueue extends EventSink {
  failed(functionName: string): FailedEvent[];
  redrive(functionName: string): number;
}

/** A failed event, as `nimbus events failed` shows it. */
export interface FailedEvent {
  readonly requestId: string;
  readonly functionName: string;
  readonly qualifier?: string;
  readonly receivedAt: string;
  readonly failedAt: string;
  readonly attempts: number;
  readonly reason: string;
  readonly payload: unknown;
  readonly lastResult?: AttemptOutcome;
}

export interface AsyncQueueDeps {
  readonly store: AsyncEventStore;
  readonly invoker: Invoker;
  readonly resolve: FunctionResolver;
  readonly settings: EventSettingsLookup;
  readonly clock: Clock;
  readonly logger: Logger;
  /** AsyncEventsReceived, AsyncEventAge, AsyncEventsDropped, DestinationDeliveryFailures. */
  readonly metrics?: AsyncEventMetrics;
  /** This server's region and account: destinations elsewhere cannot be delivered here. */
  readonly scope: { readonly region: string; readonly accountId: string };
}

/**
 * Lambda's asynchronous invocation: every accepted event is written to the store before the
 * 202, then runs as concurrency allows (throttled events wait for a slot), is retried on
 * error or timeout after 1 and then 2 minutes, and ends at its OnSuccess/OnFailure
 * destination. Events that fail for good with no destination (or an undeliverable one)
 * stay in the store as failed, for `nimbus events failed` and `redrive`. At-least-once:
 * an attempt under way when the server dies runs again after a restart.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html
 */
export class AsyncQueue implements EventQueue {
  #started = false;
  #closed = false;
  #pumping = false;
  #pumpAgain = false;
  /**
   * Whether a freed concurrency slot may have something to start: a due event was throttled
   * in the last pass (or the pass failed). Otherwise every waiting event is either not due
   * yet (the timer wakes the queue for it) or new (enqueue pumps), so the synchronous
   * invokes releasing slots cost the queue nothing.
   */
  #wantsSlot = true;
  #timer?: { at: number; cancel: () => void };

  constructor(private readonly deps: AsyncQueueDeps) {}

  /** Re-queues events that were running when the server last stopped, and starts dispatching. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const resumed = this.deps.store.releaseAll();
    if (resumed > 0) this.deps.logger.info({ resumed }, 'async events interrupted by the last shutdown run again');
    this.deps.invoker.onSlotFreed(() => {
      if (this.#wantsSlot) this.#pump();
    });
    this.#pump();
  }

  enqueue(event: AcceptedEvent): void {
    const now = this.deps.clock.now();
    this.deps.store.insert({
      id: event.requestId,
      functionName: event.functionName,
      ...(event.qualifier !== undefined ? { qualifier: event.qualifier } : {}),
      payload: event.payload,
      invokedFunctionArn: event.invokedFunctionArn,
      receivedAt: now,
      attempts: 0,
      nextAttemptAt: now,
    });
    this.deps.metrics?.received(event.functionName, event.qualifier);
    this.#pump();
  }

  /** Events waiting or running (not failed), of one function or all. */
  depth(functionName?: string): number {
    return this.deps.store.countQueued(functionName);
  }

  failed(functionName: string): FailedEvent[] {
    return this.deps.store.listFailed(functionName).map((e) => ({
      requestId: e.id,
      functionName: e.functionName,
      ...(e.qualifier !== undefined ? { qualifier: e.qualifier } : {}),
      receivedAt: new Date(e.receivedAt).toISOString(),
      failedAt: new Date(e.failedAt ?? e.receivedAt).toISOString(),
      attempts: e.attempts,
      reason: e.failure ?? 'unknown',
      payload: parseOrText(e.payload.toString('utf8')),
      ...(e.lastResult ? { lastResult: JSON.parse(e.lastResult) as AttemptOutcome } : {}),
    }));
  }

  /** Sends a function's failed events through the queue again, as new (attempts and age reset). */
  redrive(functionName: string): number {
    const n = this.deps.store.redrive(functionName, this.deps.clock.now());
    if (n > 0) this.#pump();
    return n;
  }

  /** A deleted function's events go with it, as on AWS. */
  forget(functionName: string): void {
    this.deps.store.forgetFunction(functionName);
  }

  /** Starts nothing more; attempts under way finish (or are re-run after the restart). */
  close(): void {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /** Starts every due event whose function has a free slot; the rest wait for a slot or their time. */
  #pump(): void {
    if (!this.#started || this.#closed) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        this.#pumpOnce();
      } while (this.#pumpAgain && !this.#closed);
    } catch (err) {
      // A later pump retries: the next freed slot, if nothing sooner.
      this.#wantsSlot = true;
      this.deps.logger.error({ err }, 'async queue dispatch failed');
    } finally {
      this.#pumping = false;
    }
  }

  #pumpOnce(): void {
    const { store, invoker, clock } = this.deps;
    const now = clock.now();
    // Set again below as soon as an event is throttled, so that a slot freed later in this
    // same pass (a cancel) runs the pass again.
    this.#wantsSlot = false;
    let wakeAt = store.nextDueAfter(now);
    for (const functionName of store.dueFunctions(now)) {
      for (;;) {
        if (invoker.tryAcquire(functionName)) {
          this.#wantsSlot = true;
          // Throttled: the events wait for a freed slot (or a changed reservation, looked at
          // again shortly), but not beyond their maximum age.
          const expiry = this.#expireWaiting(functionName, now);
          const again = Math.min(expiry ?? Infinity, now + THROTTLED_RECHECK_MS);
          if (wakeAt === undefined || again < wakeAt) wakeAt = again;
          break;
        }
        const event = store.takeDue(functionName, now);
        if (!event) {
          invoker.cancel(functionName);
          break;
        }
        let settings: EventInvokeSettings;
        try {
          settings = this.deps.settings(functionName, event.qualifier);
        } catch (err) {
          // Give the slot and the event back; the pump logs the error and a later one retries.
          invoker.cancel(functionName);
          store.release(event.id);
          throw err;
        }
        if (tooOld(event, settings, now)) {
          invoker.cancel(functionName);
          this.#background(this.#fail(event, 'EventAgeExceeded', settings, event.attempts), event);
          continue;
        }
        this.#background(this.#attempt(event, settings), event);
      }
    }
    this.#arm(wakeAt);
  }

  /** Fails the function's waiting events that are too old; returns when the next one will be. */
  #expireWaiting(functionName: string, now: number): number | undefined {
    for (;;) {
      const oldest = this.deps.store.oldestWaiting(functionName);
      if (!oldest) return undefined;
      const settings = this.deps.settings(functionName, oldest.qualifier);
      if (!tooOld(oldest, settings, now)) return oldest.receivedAt + settings.maximumEventAgeInSeconds * 1000;
      if (!this.deps.store.take(oldest.id)) return undefined;
      this.#background(this.#fail(oldest, 'EventAgeExceeded', settings, oldest.attempts), oldest);
    }
  }

  #arm(at: number | undefined): void {
    if (at === undefined || this.#closed) return;
    if (this.#timer && this.#timer.at <= at) return;
    this.#timer?.cancel();
    const cancel = this.deps.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#pump();
    }, Math.max(0, at - this.deps.clock.now()));
    this.#timer = { at, cancel };
  }

  /** A store error in an attempt must not become an unhandled rejection (the event re-runs after a restart). */
  #background(work: Promise<void>, event: AsyncEventRecord): void {
    work.catch((err: unknown) => this.deps.logger.error({ err, requestId: event.id, function: event.functionName }, 'async event bookkeeping failed'));
  }

  async #attempt(event: AsyncEventRecord, settings: EventInvokeSettings): Promise<void> {
    const { invoker, store, clock, logger } = this.deps;
    let fn: ResolvedFunction | undefined;
    let outcome: AttemptOutcome | undefined;
    try {
      fn = await this.deps.resolve(event.functionName, event.qualifier);
    } catch (err) {
      invoker.cancel(event.functionName);
      if ((err as { code?: unknown }).code === 'ResourceNotFoundException') {
        // The function (or its version or alias) is gone: AWS drops its events.
        this.#guard(() => store.remove(event.id));
        this.deps.metrics?.dropped(event.functionName, event.qualifier);
        logger.warn({ err, requestId: event.id, function: event.functionName }, 'async event dropped: its function no longer exists');
        return;
      }
      // Anything else (its code could not be unpacked, a full disk...) is a failed attempt, retried as one.
      logger.error({ err, requestId: event.id, function: event.functionName }, 'async event could not start');
      outcome = {
        statusCode: 200,
        executedVersion: event.qualifier ?? '$LATEST',
        functionError: 'Unhandled',
        responsePayload: JSON.stringify({ errorType: 'Runtime.Unknown', errorMessage: `RequestId: ${event.id} Error: ${(err as Error).message}` }),
      };
    }
    if (fn) outcome = await this.#run(fn, event);
    if (!outcome) return;
    const attempts = event.attempts + 1;
    if (!outcome.functionError) {
      await this.#succeed(event, settings, attempts, outcome);
    } else if (attempts <= settings.maximumRetryAttempts) {
      // AWS waits one minute before the second attempt and two before the third.
      const nextAttemptAt = clock.now() + RETRY_DELAY_MS * attempts;
      this.#guard(() => store.reschedule(event.id, attempts, nextAttemptAt, JSON.stringify(outcome)));
      this.#arm(nextAttemptAt);
    } else {
      await this.#fail(event, 'RetriesExhausted', settings, attempts, outcome);
    }
  }

  /** One run on the pool; undefined when the shutdown, not the function, stopped it (it re-runs after the restart). */
  async #run(fn: ResolvedFunction, event: AsyncEventRecord): Promise<AttemptOutcome | undefined> {
    this.deps.metrics?.attempted(event.functionName, event.qualifier, this.deps.clock.now() - event.receivedAt);
    try {
      const result = await this.deps.invoker.runAcquired(fn, event.payload, event.id, { invokedFunctionArn: event.invokedFunctionArn });
      return {
        statusCode: 200,
        executedVersion: fn.executedVersion,
        ...(result.functionError ? { functionError: result.functionError } : {}),
        responsePayload: result.payload.toString('utf8'),
      };
    } catch (err) {
      if (this.#closed) {
        this.#guard(() => this.deps.store.release(event.id));
        return undefined;
      }
      return {
        statusCode: 200,
        executedVersion: fn.executedVersion,
        functionError: 'Unhandled',
        responsePayload: JSON.stringify({ errorType: 'Runtime.Unknown', errorMessage: `RequestId: ${event.id} Error: ${(err as Error).message}` }),
      };
    }
  }

  async #succeed(event: AsyncEventRecord, settings: EventInvokeSettings, attempts: number, outcome: AttemptOutcome): Promise<void> {
    if (!settings.onSuccess) {
      this.#guard(() => this.deps.store.remove(event.id));
      return;
    }
    const problem = await this.#deliver(event, settings.onSuccess, 'Success', attempts, outcome);
    if (problem) {
      this.deps.metrics?.destinationDeliveryFailed(event.functionName, event.qualifier);
      // The event itself succeeded: only its record is lost, as AWS counts in DestinationDeliveryFailures.
      this.#guard(() => this.deps.store.remove(event.id));
      this.deps.logger.warn({ requestId: event.id, function: event.functionName, destination: settings.onSuccess }, `OnSuccess record not delivered: ${problem}`);
    }
  }

  async #fail(event: AsyncEventRecord, condition: RecordCondition, settings: EventInvokeSettings, attempts: number, outcome?: AttemptOutcome): Promise<void> {
    const last = outcome ?? (event.lastResult ? (JSON.parse(event.lastResult) as AttemptOutcome) : undefined);
    let reason: string = condition;
    // AWS counts every event that never ran successfully, sent to OnFailure or not.
    this.deps.metrics?.dropped(event.functionName, event.qualifier);
    if (settings.onFailure) {
      const problem = await this.#deliver(event, settings.onFailure, condition, attempts, last);
      if (!problem) return;
      this.deps.metrics?.destinationDeliveryFailed(event.functionName, event.qualifier);
      reason = `${condition}; OnFailure destination ${settings.onFailure} not delivered: ${problem}`;
    }
    // Never dropped silently: kept for `nimbus events failed` and `redrive`.
    this.#guard(() => this.deps.store.markFailed(event.id, attempts, this.deps.clock.now(), reason, last ? JSON.stringify(last) : undefined));
    this.deps.logger.warn({ requestId: event.id, function: event.functionName, attempts }, `async event failed: ${reason}`);
  }

  /** Hands the invocation record to a destination; returns what went wrong, if anything. */
  async #deliver(
    event: AsyncEventRecord,
    destination: string,
    condition: RecordCondition,
    attempts: number,
    outcome: AttemptOutcome | undefined,
  ): Promise<string | undefined> {
    const target = LAMBDA_ARN.exec(destination);
    if (!target) {
      const service = destination.split(':')[2] ?? destination;
      return `Nimbus delivers records to Lambda functions only, not to ${service}`;
    }
    const [, region, accountId, functionName, qualifier] = target;
    if (region !== this.deps.scope.region || accountId !== this.deps.scope.accountId) {
      return `the function is in ${accountId}/${region}, outside this server's account and region (${this.deps.scope.accountId}/${this.deps.scope.region})`;
    }
    try {
      await this.deps.resolve(functionName!, qualifier);
    } catch (err) {
      return (err as Error).message;
    }
    // The record is an async invocation of the destination function.
    this.deps.metrics?.received(functionName!, qualifier);
    const now = this.deps.clock.now();
    const record = invocationRecord({
      timestamp: now,
      requestId: event.id,
      functionArn: recordFunctionArn(event.invokedFunctionArn),
      condition,
      approximateInvokeCount: attempts,
      requestPayload: event.payload,
      ...(outcome ? { outcome } : {}),
    });
    // One transaction: the event leaves the queue exactly as its record enters it.
    this.#guard(() =>
      this.deps.store.replace(event.id, {
        id: randomUUID(),
        functionName: functionName!,
        ...(qualifier ? { qualifier } : {}),
        payload: record,
        invokedFunctionArn: destination,
        receivedAt: now,
        attempts: 0,
        nextAttemptAt: now,
      }),
    );
    this.#pump();
    return undefined;
  }

  /** Store writes after close may meet a closed database: the event then simply runs again. */
  #guard(write: () => void): void {
    try {
      write();
    } catch (err) {
      if (!this.#closed) throw err;
    }
  }
}

const RETRY_DELAY_MS = 60_000;
/** AWS retries throttled events from 1 s on; a freed slot wakes the queue sooner. */
const THROTTLED_RECHECK_MS = 1000;
const LAMBDA_ARN = /^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([a-zA-Z0-9_-]+)(?::(\$LATEST|[a-zA-Z0-9_-]+))?$/;

function tooOld(event: AsyncEventRecord, settings: EventInvokeSettings, now: number): boolean {
  return now - event.receivedAt >= settings.maximumEventAgeInSeconds * 1000;
}

function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
