import type { Logger } from 'pino';
import {
  InvalidParameterValueException,
  ProvisionedConcurrencyConfigNotFoundException,
  ResourceConflictException,
} from '../errors/index.ts';
import type { ConcurrencyLimiter } from '../invoke/index.ts';
import type { FunctionSpec } from '../sandbox/index.ts';
import type { AliasStore, ConcurrencyStore, FunctionRecord, ProvisionedConfigRecord } from '../storage/index.ts';
import type { Clock } from '../util/index.ts';
import { functionArn, lastModifiedNow, parseFunctionRef, type Scope } from './names.ts';
import { LATEST, qualifierKind } from './qualifiers.ts';
import type { VersionService } from './version-service.ts';

/** What the service needs of the sandbox pool. */
export interface ProvisioningPool {
  provision(spec: FunctionSpec, count: number): Promise<void>;
  unprovision(key: string): void;
  provisioned(key: string): { ready: number; requested: number };
}

export interface ProvisionedServiceDeps {
  readonly store: ConcurrencyStore;
  readonly aliases: AliasStore;
  readonly versions: VersionService;
  readonly limiter: ConcurrencyLimiter;
  readonly pool: ProvisioningPool;
  readonly specOf: (record: FunctionRecord) => Promise<FunctionSpec>;
  readonly clock: Clock;
  readonly scope: Scope;
  readonly unreservedMin: number;
  readonly logger: Logger;
}

/** One version's share of a config (an alias with weights splits across two versions). */
interface Share {
  readonly record: FunctionRecord;
  readonly count: number;
}

/** Where a config stands: the shares' keys, and why it failed, if it did. */
interface Allocation {
  keys: string[];
  failure?: string;
}

/**
 * Provisioned concurrency: environments initialised ahead of time for a published version
 * or an alias, kept warm, and used before any on-demand one.
 * https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html
 */
export class ProvisionedConcurrencyService {
  readonly #allocations = new Map<string, Allocation>();

  constructor(private readonly deps: ProvisionedServiceDeps) {}

  /** Re-creates every stored config's environments (at server start). */
  restore(): void {
    for (const config of this.deps.store.listProvisioned()) {
      void this.#allocate(config).catch((err: unknown) => this.deps.logger.warn({ err, function: config.functionName }, 'provisioned concurrency not restored'));
    }
  }

  async put(functionName: string, qualifier: string | undefined, requested: number) {
    const name = this.#name(functionName);
    const q = this.#qualifier(name, qualifier);
    this.#checkCapacity(name, q, requested);
    const config: ProvisionedConfigRecord = { functionName: name, qualifier: q, requested, lastModified: lastModifiedNow(this.deps.clock.now()) };
    const shares = this.#shares(config);
    this.deps.store.putProvisioned(config);
    void this.#allocate(config, shares).catch((err: unknown) => this.deps.logger.warn({ err, function: name }, 'provisioned concurrency failed'));
    return this.#describe(config);
  }

  get(functionName: string, qualifier: string | undefined) {
    const name = this.#name(functionName);
    return this.#describe(this.#require(name, this.#qualifierParam(qualifier)));
  }

  list(functionName: string) {
    const name = this.#name(functionName);
    return this.deps.store.listProvisioned(name).map((c) => ({ FunctionArn: functionArn(this.deps.scope, name, c.qualifier), ...this.#describe(c) }));
  }

  delete(functionName: string, qualifier: string | undefined): void {
    const name = this.#name(functionName);
    const q = this.#qualifierParam(qualifier);
    this.#require(name, q);
    this.deps.store.deleteProvisioned(name, q);
    this.#release(name, q);
  }

  /** A function was deleted: its environments go (the store forgets the configs itself). */
  forget(functionName: string): void {
    for (const id of [...this.#allocations.keys()]) if (id.startsWith(`${functionName}:`)) this.#release(functionName, id.slice(functionName.length + 1));
  }

  #describe(config: ProvisionedConfigRecord) {
    const allocation = this.#allocations.get(id(config.functionName, config.qualifier));
    const ready = (allocation?.keys ?? []).reduce((n, key) => n + this.deps.pool.provisioned(key).ready, 0);
    const status = allocation?.failure ? 'FAILED' : ready >= config.requested ? 'READY' : 'IN_PROGRESS';
    return {
      RequestedProvisionedConcurrentExecutions: config.requested,
      AvailableProvisionedConcurrentExecutions: ready,
      AllocatedProvisionedConcurrentExecutions: ready,
      Status: status,
      ...(allocation?.failure ? { StatusReason: allocation.failure } : {}),
      LastModified: config.lastModified,
    };
  }

  async #allocate(config: ProvisionedConfigRecord, shares = this.#shares(config)): Promise<void> {
    this.#release(config.functionName, config.qualifier);
    const allocation: Allocation = { keys: [] };
    this.#allocations.set(id(config.functionName, config.qualifier), allocation);
    try {
      for (const share of shares) {
        const spec = await this.deps.specOf(share.record);
        allocation.keys.push(spec.key);
        await this.deps.pool.provision(spec, share.count);
      }
    } catch (err) {
      allocation.failure = err instanceof Error ? err.message : String(err);
      throw err;
    }
  }

  #release(name: string, qualifier: string): void {
    const allocation = this.#allocations.get(id(name, qualifier));
    if (!allocation) return;
    this.#allocations.delete(id(name, qualifier));
    for (const key of allocation.keys) this.deps.pool.unprovision(key);
  }

  /** The versions a config provisions, and how many environments each gets. */
  #shares(config: ProvisionedConfigRecord): Share[] {
    const { versions, aliases } = this.deps;
    if (qualifierKind(config.qualifier) === 'version') {
      return [{ record: versions.describe(config.functionName, config.qualifier).record, count: config.requested }];
    }
    const alias = aliases.getAlias(config.functionName, config.qualifier)!;
    const shares: Share[] = [];
    let rest = config.requested;
    for (const [version, weight] of Object.entries(alias.additionalVersionWeights ?? {})) {
      const count = Math.round(config.requested * weight);
      if (count > 0) shares.push({ record: versions.describe(config.functionName, version).record, count });
      rest -= count;
    }
    if (rest > 0) shares.unshift({ record: versions.describe(config.functionName, alias.functionVersion).record, count: rest });
    return shares;
  }

  #name(functionName: string): string {
    return this.deps.versions.describe(parseFunctionRef(functionName, this.deps.scope).name, undefined).record.name;
  }

  #qualifierParam(qualifier: string | undefined): string {
    if (!qualifier) throw new InvalidParameterValueException('The Qualifier parameter is required: a published version number or an alias name.');
    return qualifier;
  }

  /** The qualifier must name a published version or an alias of one; never $LATEST. */
  #qualifier(name: string, qualifier: string | undefined): string {
    const q = this.#qualifierParam(qualifier);
    if (q === LATEST || qualifierKind(q) === 'latest') {
      throw new InvalidParameterValueException('Provisioned Concurrency Configs cannot be applied to unpublished function versions.');
    }
    // Throws AWS's 404 when the version or alias does not exist.
    const target = this.deps.versions.describe(name, q).record;
    if (target.version === LATEST) {
      throw new InvalidParameterValueException('Provisioned Concurrency Configs cannot be applied to unpublished function versions.');
    }
    if (qualifierKind(q) === 'version') {
      for (const other of this.deps.store.listProvisioned(name)) {
        const alias = qualifierKind(other.qualifier) === 'alias' ? this.deps.aliases.getAlias(name, other.qualifier) : undefined;
        if (alias && (alias.functionVersion === q || q in (alias.additionalVersionWeights ?? {}))) {
          throw new ResourceConflictException(`Alias ${other.qualifier} pointing to version ${q} already has a Provisioned Concurrency Config.`);
        }
      }
    }
    return q;
  }

  /** Provisioned concurrency comes out of the function's reservation, or else out of the unreserved pool. */
  #checkCapacity(name: string, qualifier: string, requested: number): void {
    const others = this.deps.store
      .listProvisioned(name)
      .filter((c) => c.qualifier !== qualifier)
      .reduce((n, c) => n + c.requested, 0);
    const reserved = this.deps.limiter.reservedOf(name);
    if (reserved !== undefined) {
      if (others + requested > reserved) {
        throw new InvalidParameterValueException(
          `Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function: ${reserved}.`,
        );
      }
      return;
    }
    const available = this.deps.limiter.unreserved - this.deps.unreservedMin;
    if (others + requested > available) {
      throw new InvalidParameterValueException(
        `Specified ConcurrentExecutions for function is greater than account's unreserved concurrency [${this.deps.limiter.unreserved}] minus its minimum [${this.deps.unreservedMin}].`,
      );
    }
  }

  #require(name: string, qualifier: string): ProvisionedConfigRecord {
    const config = this.deps.store.provisioned(name, qualifier);
    if (!config) throw new ProvisionedConcurrencyConfigNotFoundException('No Provisioned Concurrency Config found for this function');
    return config;
  }
}

function id(name: string, qualifier: string): string {
  return `${name}:${qualifier}`;
}
