import { InvalidParameterValueException } from '../errors/index.ts';
import type { ConcurrencyLimiter } from '../invoke/index.ts';
import type { ConcurrencyStore } from '../storage/index.ts';
import type { FunctionService } from './function-service.ts';

export interface ConcurrencyServiceDeps {
  readonly store: ConcurrencyStore;
  readonly limiter: ConcurrencyLimiter;
  readonly functions: FunctionService;
  /** What reservations must leave unreserved (AWS: 100). */
  readonly unreservedMin: number;
}

/**
 * Reserved concurrency: Put/Get/DeleteFunctionConcurrency over the store, mirrored into
 * the limiter the invoke path consults.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
 */
export class ConcurrencyService {
  constructor(private readonly deps: ConcurrencyServiceDeps) {
    for (const [name, reserved] of deps.store.allReserved()) deps.limiter.setReserved(name, reserved);
  }

  putReserved(functionName: string, reserved: number): number {
    const name = this.deps.functions.require(functionName).name;
    const { limiter, unreservedMin } = this.deps;
    const unreservedAfter = limiter.unreserved + (limiter.reservedOf(name) ?? 0) - reserved;
    if (unreservedAfter < unreservedMin) {
      throw new InvalidParameterValueException(
        `Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${unreservedMin}].`,
      );
    }
    this.deps.store.setReserved(name, reserved);
    limiter.setReserved(name, reserved);
    return reserved;
  }

  /** Account concurrency no function has reserved (GetAccountSettings). */
  get unreserved(): number {
    return this.deps.limiter.unreserved;
  }

  getReserved(functionName: string): number | undefined {
    return this.deps.store.reserved(this.deps.functions.require(functionName).name);
  }

  deleteReserved(functionName: string): void {
    const name = this.deps.functions.require(functionName).name;
    this.deps.store.setReserved(name, undefined);
    this.deps.limiter.setReserved(name, undefined);
  }

  /** Called when a function is deleted: its settings go with it. */
  forget(functionName: string): void {
    this.deps.store.forgetFunction(functionName);
    this.deps.limiter.setReserved(functionName, undefined);
  }
}
