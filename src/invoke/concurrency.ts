import type { ThrottleReason } from '../errors/index.ts';

/**
 * Lambda's concurrency model: an account-wide limit, out of which functions may reserve
 * a share. A function with a reservation runs at most that many at once and never takes
 * from the rest; every other function shares what is left unreserved.
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html
 */
export class ConcurrencyLimiter {
  readonly #reserved = new Map<string, number>();
  readonly #running = new Map<string, number>();
  #reservedTotal = 0;
  #unreservedRunning = 0;
  #total = 0;

  constructor(readonly accountLimit: number) {}

  /** Sets (or clears, with undefined) a function's reservation. */
  setReserved(functionName: string, reserved: number | undefined): void {
    const before = this.#reserved.get(functionName);
    const running = this.#running.get(functionName) ?? 0;
    if (before !== undefined) {
      this.#reservedTotal -= before;
      this.#reserved.delete(functionName);
    } else {
      this.#unreservedRunning -= running;
    }
    if (reserved !== undefined) {
      this.#reserved.set(functionName, reserved);
      this.#reservedTotal += reserved;
    } else {
      this.#unreservedRunning += running;
    }
  }

  reservedOf(functionName: string): number | undefined {
    return this.#reserved.get(functionName);
  }

  /** The account's concurrency not reserved by any function. */
  get unreserved(): number {
    return this.accountLimit - this.#reservedTotal;
  }

  get running(): number {
    return this.#total;
  }

  /** Invocations running on the unreserved pool (UnreservedConcurrentExecutions). */
  get unreservedRunning(): number {
    return this.#unreservedRunning;
  }

  runningOf(functionName: string): number {
    return this.#running.get(functionName) ?? 0;
  }

  /** Takes a slot for one invocation, or says why it is throttled. */
  tryAcquire(functionName: string): ThrottleReason | undefined {
    const running = this.#running.get(functionName) ?? 0;
    const reserved = this.#reserved.get(functionName);
    if (reserved !== undefined) {
      if (running >= reserved) return 'ReservedFunctionConcurrentInvocationLimitExceeded';
    } else {
      if (this.#unreservedRunning >= this.unreserved) return 'ConcurrentInvocationLimitExceeded';
      this.#unreservedRunning++;
    }
    this.#running.set(functionName, running + 1);
    this.#total++;
    return undefined;
  }

  release(functionName: string): void {
    const running = this.#running.get(functionName) ?? 0;
    if (running <= 1) this.#running.delete(functionName);
    else this.#running.set(functionName, running - 1);
    if (!this.#reserved.has(functionName)) this.#unreservedRunning--;
    this.#total--;
  }
}
