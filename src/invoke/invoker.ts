import { randomFillSync, randomUUID } from 'node:crypto';
import type { ThrottleReason } from '../errors/index.ts';
import { TooManyRequestsException } from '../errors/index.ts';
import type { InvocationMetrics } from '../metrics/index.ts';
import type { FunctionSpec, InvokeResult, SandboxPool } from '../sandbox/index.ts';
import type { ConcurrencyLimiter } from './concurrency.ts';

/** A function version ready to run, as the invoke path needs it. */
export interface ResolvedFunction {
  readonly spec: FunctionSpec;
  /** Version that runs: "$LATEST" or a number (X-Amz-Executed-Version). */
  readonly executedVersion: string;
  /** The function's Architectures[0] (metered usage prices by it); x86_64 when absent. */
  readonly architecture?: string;
}

/** Looks a function up by name or ARN and optional qualifier; throws the API's 404. */
export type FunctionResolver = (functionName: string, qualifier?: string) => Promise<ResolvedFunction>;

export interface InvokeOptions {
  readonly requestId?: string;
  readonly invokedFunctionArn: string;
  readonly clientContext?: string;
  readonly wantLogTail?: boolean;
}

export interface InvokerOptions {
  readonly pool: Pick<SandboxPool, 'invoke'>;
  /** Account limit and per-function reservations. */
  readonly limiter: ConcurrencyLimiter;
  /** Invocations, errors, throttles, durations, concurrency and billed usage (src/metrics). */
  readonly metrics?: InvocationMetrics;
}

/**
 * The invoke path between the API and the sandbox pool: concurrency accounting and
 * throttling. Synchronous invocations are throttled at once; the async queue takes a slot
 * first (tryAcquire) and waits for onSlotFreed when there is none.
 */
export class Invoker {
  readonly #idleWaiters: Array<() => void> = [];
  readonly #slotListeners: Array<() => void> = [];

  constructor(private readonly options: InvokerOptions) {}

  get inFlight(): number {
    return this.options.limiter.running;
  }

  /** A synchronous invocation: throttled at once when the function or account is at its limit. */
  async invoke(fn: ResolvedFunction, payload: Buffer, opts: InvokeOptions): Promise<InvokeResult> {
    const throttled = this.options.limiter.tryAcquire(fn.spec.functionName);
    if (throttled) {
      this.options.metrics?.throttled(fn, opts.invokedFunctionArn);
      throw new TooManyRequestsException('Rate Exceeded.', throttled);
    }
    return this.runAcquired(fn, payload, opts.requestId ?? randomUUID(), opts);
  }

  /** Takes a concurrency slot for functionName, or says why there is none. */
  tryAcquire(functionName: string): ThrottleReason | undefined {
    return this.options.limiter.tryAcquire(functionName);
  }

  /** Gives back a slot that was taken but not used. */
  cancel(functionName: string): void {
    this.options.limiter.release(functionName);
    this.#afterRelease();
  }

  /** Called whenever a slot comes free (the async queue pumps then). */
  onSlotFreed(listener: () => void): void {
    this.#slotListeners.push(listener);
  }

  /** Runs an invocation whose concurrency slot is already taken, and gives the slot back. */
  async runAcquired(fn: ResolvedFunction, payload: Buffer, requestId: string, opts: InvokeOptions): Promise<InvokeResult> {
    const metrics = this.options.metrics;
    const target = metrics?.started(fn, opts.invokedFunctionArn);
    let result: InvokeResult | undefined;
    try {
      return (result = await this.options.pool.invoke(fn.spec, {
        requestId,
        payload,
        invokedFunctionArn: opts.invokedFunctionArn,
        traceId: traceId(),
        ...(opts.clientContext !== undefined ? { clientContext: opts.clientContext } : {}),
        ...(opts.wantLogTail ? { wantLogTail: true } : {}),
      }));
    } finally {
      this.options.limiter.release(fn.spec.functionName);
      if (target) metrics!.finished(target, fn, result);
      this.#afterRelease();
    }
  }

  /** Resolves once nothing runs (at once when idle). */
  async drained(): Promise<void> {
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  #afterRelease(): void {
    if (this.#idleWaiters.length > 0 && this.inFlight === 0) for (const w of this.#idleWaiters.splice(0)) w();
    for (const listener of this.#slotListeners) listener();
  }
}

/** Random hex for trace ids, drawn from the system a pool at a time rather than per invocation. */
const TRACE_ENTROPY = Buffer.alloc(4096);
let traceHex = '';
let traceHexUsed = 0;
/** 24 hex digits of the root's id, 16 of the parent's. */
const TRACE_HEX_DIGITS = 40;

/** X-Ray style trace header value AWS passes as Lambda-Runtime-Trace-Id. */
function traceId(): string {
  if (traceHexUsed + TRACE_HEX_DIGITS > traceHex.length) {
    traceHex = randomFillSync(TRACE_ENTROPY).toString('hex');
    traceHexUsed = 0;
  }
  const at = traceHexUsed;
  traceHexUsed += TRACE_HEX_DIGITS;
  const epoch = Math.floor(Date.now() / 1000).toString(16);
  return `Root=1-${epoch}-${traceHex.slice(at, at + 24)};Parent=${traceHex.slice(at + 24, at + 40)};Sampled=0`;
}
