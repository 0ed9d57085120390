import { randomUUID, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { TooManyRequestsException } from '../errors/index.ts';
import type { FunctionSpec, InvokeResult, SandboxPool } from '../sandbox/index.ts';
import type { ConcurrencyLimiter } from './concurrency.ts';

/** A function version ready to run, as the invoke path needs it. */
export interface ResolvedFunction {
  readonly spec: FunctionSpec;
  /** Version that runs: "$LATEST" or a number (X-Amz-Executed-Version). */
  readonly executedVersion: string;
}

/** Looks a function up by name or ARN and optional qualifier; throws the API's 404. */
export type FunctionResolver = (functionName: string, qualifier?: string) => Promise<ResolvedFunction>;

export interface InvokeOptions {
  readonly requestId?: string;
  readonly invokedFunctionArn: string;
  readonly clientContext?: string;
  readonly wantLogTail?: boolean;
}

export interface AsyncEvent {
  readonly requestId: string;
  readonly functionName: string;
  readonly qualifier?: string;
  readonly payload: Buffer;
  readonly invokedFunctionArn: string;
}

export interface InvokerOptions {
  readonly pool: SandboxPool;
  readonly resolve: FunctionResolver;
  /** Account limit and per-function reservations. */
  readonly limiter: ConcurrencyLimiter;
  readonly logger: Logger;
}

/**
 * The invoke path between the API and the sandbox pool: concurrency accounting and
 * throttling, and the queue of asynchronous (Event) invocations.
 * The queue is in memory for now; durability and retries arrive with the async issue.
 */
export class Invoker {
  readonly #queue: AsyncEvent[] = [];
  #closed = false;
  readonly #idleWaiters: Array<() => void> = [];

  constructor(private readonly options: InvokerOptions) {}

  get inFlight(): number {
    return this.options.limiter.running;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** A synchronous invocation: throttled at once when the account is at its limit. */
  async invoke(fn: ResolvedFunction, payload: Buffer, opts: InvokeOptions): Promise<InvokeResult> {
    const throttled = this.options.limiter.tryAcquire(fn.spec.functionName);
    if (throttled) throw new TooManyRequestsException('Rate Exceeded.', throttled);
    return this.#run(fn, payload, opts.requestId ?? randomUUID(), opts);
  }

  /** Accepts an Event invocation; it runs in the background as concurrency allows. */
  enqueue(event: AsyncEvent): void {
    this.#queue.push(event);
    this.#pump();
  }

  /** Stops starting queued events; resolves once nothing runs (or at once when idle). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Runs an invocation whose concurrency slot is already taken, and gives the slot back. */
  async #run(fn: ResolvedFunction, payload: Buffer, requestId: string, opts: InvokeOptions): Promise<InvokeResult> {
    try {
      return await this.options.pool.invoke(fn.spec, {
        requestId,
        payload,
        invokedFunctionArn: opts.invokedFunctionArn,
        traceId: traceId(),
        ...(opts.clientContext !== undefined ? { clientContext: opts.clientContext } : {}),
        ...(opts.wantLogTail ? { wantLogTail: true } : {}),
      });
    } finally {
      this.options.limiter.release(fn.spec.functionName);
      if (this.inFlight === 0) for (const w of this.#idleWaiters.splice(0)) w();
      this.#pump();
    }
  }

  /** Starts every queued event whose function has a free slot; throttled ones wait, as on AWS. */
  #pump(): void {
    if (this.#closed) return;
    for (let i = 0; i < this.#queue.length; ) {
      const event = this.#queue[i]!;
      if (this.options.limiter.tryAcquire(event.functionName)) {
        i++;
        continue;
      }
      this.#queue.splice(i, 1);
      void this.#runAsync(event);
    }
  }

  async #runAsync(event: AsyncEvent): Promise<void> {
    let fn: ResolvedFunction;
    try {
      fn = await this.options.resolve(event.functionName, event.qualifier);
    } catch (err) {
      this.options.limiter.release(event.functionName);
      this.options.logger.warn({ err, requestId: event.requestId, function: event.functionName }, 'async invocation dropped');
      this.#pump();
      return;
    }
    try {
      const result = await this.#run(fn, event.payload, event.requestId, { invokedFunctionArn: event.invokedFunctionArn });
      if (result.functionError) {
        this.options.logger.info({ requestId: event.requestId, function: event.functionName }, 'async invocation failed');
      }
    } catch (err) {
      this.options.logger.warn({ err, requestId: event.requestId, function: event.functionName }, 'async invocation dropped');
    }
  }
}

/** X-Ray style trace header value AWS passes as Lambda-Runtime-Trace-Id. */
function traceId(): string {
  const epoch = Math.floor(Date.now() / 1000).toString(16);
  return `Root=1-${epoch}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
}
