/**
 * The pool owns every execution environment: it reuses a warm idle one of the same
 * spec.key (a provisioned one first), starts a new one when none is free (so concurrent
 * invokes get their own), reaps idle ones after idleTimeoutMs, keeps provisioned ones
 * initialised ahead of time, retires outdated ones, and kills them all on dispose.
 */
import { SYSTEM_CLOCK, type Clock } from '../util/clock.ts';
import { closeSandboxHost, plainSandboxHost, type SandboxHost } from './host.ts';
import { launcherFor, type Launcher } from './launcher.ts';
import { PrimedRuntimes } from './primed-runtimes.ts';
import { EnvironmentLostError, Sandbox, type SandboxState } from './sandbox.ts';
import type {
  EnvironmentCredentials,
  FunctionSpec,
  InvokeRequest,
  InvokeResult,
  LogSink,
  PoolStats,
  ProvisionedStatus,
  SandboxPool,
} from './types.ts';

/** Tries of an invocation whose warm environment died before receiving it. */
const MAX_ATTEMPTS = 3;

export interface PoolLogger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface SandboxPoolOptions {
  readonly logSink: LogSink;
  readonly clock?: Clock;
  /** An idle environment is killed after this long without an invocation. */
  readonly idleTimeoutMs: number;
  readonly logger?: PoolLogger;
  /** Picks how to launch a spec's runtime; defaults to launcherFor(spec.runtime). */
  readonly launcherFor?: (runtime: string) => Launcher;
  /** Limit of the init phase (default 10 s, as Lambda's). */
  readonly initTimeoutMs?: number;
  /**
   * What the host offers (detectSandboxHost): bubblewrap, cgroups. Default: plain
   * processes with the memory watchdog. The caller keeps ownership of a host it passes.
   */
  readonly host?: SandboxHost;
  /**
   * The execution role's temporary credentials for each new environment (auth on); without
   * it environments get placeholders. An idle environment whose credentials would expire
   * during its next invocation (plus CREDENTIAL_MARGIN_MS) is retired, not reused.
   */
  readonly credentials?: (spec: FunctionSpec) => EnvironmentCredentials | undefined;
  /** How many pre-started Node.js runtimes wait for cold starts (primed-runtimes.ts); default 0. */
  readonly primedRuntimes?: number;
}

/** Environments whose credentials expire within the function's timeout plus this are not reused. */
export const CREDENTIAL_MARGIN_MS = 5 * 60_000;

/** One environment, as the pool reports it (for operators and tests). */
export interface EnvironmentInfo {
  readonly functionName: string;
  readonly key: string;
  readonly state: SandboxState;
  readonly pid: number | undefined;
  readonly logStreamName: string;
  readonly provisioned: boolean;
}

/** Thrown by invoke() after dispose(), and into invocations that dispose() cut short. */
export class SandboxPoolDisposedError extends Error {
  override readonly name = 'SandboxPoolDisposedError';
  constructor() {
    super('the sandbox pool is disposed');
  }
}

/** provision() could not get its environments initialised. */
export class ProvisioningError extends Error {
  override readonly name = 'ProvisioningError';
}

export interface LocalSandboxPool extends SandboxPool {
  environments(): EnvironmentInfo[];
  /** Provisioned environments of key running an invocation now (ProvisionedConcurrentExecutions). */
  provisionedBusy(key: string): number;
  /** Pre-started runtimes ready for a cold start now (primed-runtimes.ts). */
  primedReady(): number;
  /** Starts the primed runtimes (primedRuntimes of them); until then cold starts spawn. */
  primeRuntimes(): void;
}

export function createSandboxPool(options: SandboxPoolOptions): LocalSandboxPool {
  return new ProcessSandboxPool(options);
}

/** The provisioned environments of one key. */
interface Provision {
  spec: FunctionSpec;
  requested: number;
  readonly envs: Set<Sandbox>;
  /** Provisioned environments waiting for an invocation. */
  readonly idle: Sandbox[];
}

class ProcessSandboxPool implements LocalSandboxPool {
  private readonly clock: Clock;
  private readonly host: SandboxHost;
  private readonly ownsHost: boolean;
  private readonly all = new Set<Sandbox>();
  /** Idle on-demand environments per spec.key, most recently used last. */
  private readonly idle = new Map<string, Sandbox[]>();
  private readonly reapers = new Map<Sandbox, () => void>();
  /** Environments an invoke() holds; they are released (or discarded) by that invoke. */
  private readonly inUse = new Set<Sandbox>();
  private readonly disposals = new Set<Promise<void>>();
  private readonly provisions = new Map<string, Provision>();
  private disposed = false;
  private readonly primed: PrimedRuntimes | null;

  constructor(private readonly options: SandboxPoolOptions) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.host = options.host ?? plainSandboxHost();
    this.ownsHost = options.host === undefined;
    const size = options.primedRuntimes ?? 0;
    this.primed = size > 0 ? new PrimedRuntimes({ host: this.host, size, ...(options.logger ? { logger: options.logger } : {}) }) : null;
  }

  primeRuntimes(): void {
    if (!this.disposed) this.primed?.fill();
  }

  async invoke(spec: FunctionSpec, request: InvokeRequest): Promise<InvokeResult> {
    for (let attempt = 1; ; attempt++) {
      if (this.disposed) throw new SandboxPoolDisposedError();
      const sandbox = this.takeIdle(spec.key) ?? this.create(spec);
      this.inUse.add(sandbox);
      const provisioned = sandbox.provisioned;
      try {
        const result = await sandbox.invoke(request);
        return provisioned ? { ...result, provisioned } : result;
      } catch (error) {
        if (this.disposed) throw new SandboxPoolDisposedError();
        // The event never reached a runtime: run it elsewhere.
        if (error instanceof EnvironmentLostError && attempt < MAX_ATTEMPTS) continue;
        throw error;
      } finally {
        this.release(sandbox);
      }
    }
  }

  retire(functionName: string, keepKey?: string, version?: string): void {
    for (const sandbox of this.all) {
      if (sandbox.spec.functionName !== functionName || sandbox.spec.key === keepKey || sandbox.provisioned) continue;
      if (version !== undefined && sandbox.spec.version !== version) continue;
      sandbox.retired = true;
      if (sandbox.state === 'idle') this.discard(sandbox);
    }
  }

  async provision(spec: FunctionSpec, count: number): Promise<void> {
    if (this.disposed) throw new SandboxPoolDisposedError();
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`provisioned count must be a whole number >= 0, not ${count}`);
    if (count === 0) return this.unprovision(spec.key);
    let p = this.provisions.get(spec.key);
    if (!p) this.provisions.set(spec.key, (p = { spec, requested: count, envs: new Set(), idle: [] }));
    p.spec = spec;
    p.requested = count;
    // Fewer than before: release the surplus, idle ones first.
    for (const sandbox of [...p.idle, ...p.envs]) {
      if (p.envs.size <= count) break;
      if (p.envs.has(sandbox)) this.releaseProvisioned(p, sandbox);
    }
    const starting: Sandbox[] = [];
    while (p.envs.size < count) starting.push(this.startProvisioned(p));
    await Promise.all(starting.map((s) => s.ready));
    const failed = starting.filter((s) => s.state === 'dead');
    if (failed.length > 0 && !this.disposed) {
      throw new ProvisioningError(
        `${failed.length} of ${starting.length} provisioned environments of ${spec.functionName} failed to initialise; see the function's log`,
      );
    }
  }

  unprovision(key: string): void {
    const p = this.provisions.get(key);
    if (!p) return;
    this.provisions.delete(key);
    for (const sandbox of p.envs) this.releaseProvisioned(p, sandbox);
  }

  provisioned(key: string): ProvisionedStatus {
    const p = this.provisions.get(key);
    if (!p) return { ready: 0, requested: 0 };
    let ready = 0;
    for (const s of p.envs) if (s.state === 'idle' || s.state === 'busy') ready++;
    return { ready, requested: p.requested };
  }

  primedReady(): number {
    return this.primed?.available ?? 0;
  }

  provisionedBusy(key: string): number {
    let busy = 0;
    for (const s of this.provisions.get(key)?.envs ?? []) if (this.inUse.has(s)) busy++;
    return busy;
  }

  stats(): PoolStats {
    let busy = 0;
    let idle = 0;
    let starting = 0;
    for (const sandbox of this.all) {
      if (sandbox.state === 'busy') busy++;
      else if (sandbox.state === 'idle') idle++;
      else if (sandbox.state === 'starting') starting++;
    }
    return { busy, idle, starting };
  }

  environments(): EnvironmentInfo[] {
    return [...this.all].map((s) => ({
      functionName: s.spec.functionName,
      key: s.spec.key,
      state: s.state,
      pid: s.pid,
      logStreamName: s.logStreamName,
      provisioned: s.provisioned,
    }));
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const cancel of this.reapers.values()) cancel();
    this.reapers.clear();
    this.idle.clear();
    this.provisions.clear();
    for (const sandbox of this.all) {
      sandbox.provisioned = false;
      this.discard(sandbox);
    }
    await this.primed?.dispose();
    while (this.disposals.size > 0) await Promise.all(this.disposals);
    if (this.ownsHost) closeSandboxHost(this.host);
  }

  private create(spec: FunctionSpec, initializationType: 'on-demand' | 'provisioned-concurrency' = 'on-demand'): Sandbox {
    const launcher = (this.options.launcherFor ?? launcherFor)(spec.runtime);
    const credentials = this.options.credentials?.(spec);
    const primed = this.primed?.take(spec, launcher);
    const sandbox = new Sandbox({
      spec,
      logSink: this.options.logSink,
      clock: this.clock,
      launcher,
      initializationType,
      initTimeoutMs: this.options.initTimeoutMs,
      host: this.host,
      onDead: (s) => this.forget(s),
      logger: this.options.logger,
      ...(credentials ? { credentials } : {}),
      ...(primed ? { primed } : {}),
    });
    this.all.add(sandbox);
    return sandbox;
  }

  /** Starts one provisioned environment of p; it joins p's idle list once initialised. */
  private startProvisioned(p: Provision): Sandbox {
    const sandbox = this.create(p.spec, 'provisioned-concurrency');
    sandbox.provisioned = true;
    p.envs.add(sandbox);
    void sandbox.ready.then(() => {
      if (sandbox.state === 'idle' && sandbox.provisioned && !this.inUse.has(sandbox)) p.idle.push(sandbox);
    });
    return sandbox;
  }

  /** Takes an environment out of provisioning: killed now if idle, after its invocation if busy. */
  private releaseProvisioned(p: Provision, sandbox: Sandbox): void {
    p.envs.delete(sandbox);
    const i = p.idle.indexOf(sandbox);
    if (i >= 0) p.idle.splice(i, 1);
    sandbox.provisioned = false;
    sandbox.retired = true;
    if (!this.inUse.has(sandbox)) this.discard(sandbox);
  }

  private takeIdle(key: string): Sandbox | undefined {
    const provisioned = this.provisions.get(key)?.idle;
    while (provisioned && provisioned.length > 0) {
      const sandbox = provisioned.pop()!;
      if (this.credentialsStale(sandbox)) {
        // Replaced by a fresh provisioned environment; this invoke starts its own.
        const p = this.provisions.get(key)!;
        this.releaseProvisioned(p, sandbox);
        this.startProvisioned(p);
        continue;
      }
      if (sandbox.claim()) return sandbox;
    }
    const stack = this.idle.get(key);
    while (stack && stack.length > 0) {
      const sandbox = stack.pop()!;
      this.reapers.get(sandbox)?.();
      this.reapers.delete(sandbox);
      if (this.credentialsStale(sandbox)) {
        sandbox.retired = true;
        this.discard(sandbox);
        continue;
      }
      if (sandbox.claim()) return sandbox;
    }
    return undefined;
  }

  /** Its role credentials would expire before its next invocation could end. */
  private credentialsStale(sandbox: Sandbox): boolean {
    const expiresAt = sandbox.credentialsExpireAt;
    return expiresAt !== undefined && expiresAt - this.clock.now() < sandbox.spec.timeout * 1000 + CREDENTIAL_MARGIN_MS;
  }

  private release(sandbox: Sandbox): void {
    this.inUse.delete(sandbox);
    if (this.disposed || sandbox.retired || sandbox.state !== 'idle') {
      this.discard(sandbox);
      return;
    }
    if (sandbox.provisioned) {
      const p = this.provisions.get(sandbox.spec.key);
      if (p?.envs.has(sandbox)) {
        p.idle.push(sandbox);
        return;
      }
      sandbox.provisioned = false;
    }
    let stack = this.idle.get(sandbox.spec.key);
    if (!stack) this.idle.set(sandbox.spec.key, (stack = []));
    stack.push(sandbox);
    this.reapers.set(
      sandbox,
      this.clock.setTimeout(() => {
        this.reapers.delete(sandbox);
        this.options.logger?.info(`sandbox: reaping idle environment ${sandbox.logStreamName} of ${sandbox.spec.functionName}`);
        this.discard(sandbox);
      }, this.options.idleTimeoutMs),
    );
  }

  /** Removes an environment from the idle lists and kills it; dispose() awaits the kill. */
  private discard(sandbox: Sandbox): void {
    this.unlistIdle(sandbox);
    const p = sandbox.dispose().catch((error: unknown) => {
      this.options.logger?.error(`sandbox: disposing ${sandbox.logStreamName} failed: ${String(error)}`);
    });
    this.disposals.add(p);
    void p.then(() => this.disposals.delete(p));
  }

  /** Called when an environment's child is gone, for whatever reason. */
  private forget(sandbox: Sandbox): void {
    this.unlistIdle(sandbox);
    this.all.delete(sandbox);
    this.replaceProvisioned(sandbox);
    // The child is gone but its Runtime API server may still be open; an environment an
    // invoke holds is discarded when that invoke releases it.
    if (!this.disposed && !this.inUse.has(sandbox)) this.discard(sandbox);
  }

  /** A provisioned environment died (crash, timeout, memory): start another in its place. */
  private replaceProvisioned(sandbox: Sandbox): void {
    if (!sandbox.provisioned) return;
    sandbox.provisioned = false;
    const p = this.provisions.get(sandbox.spec.key);
    if (!p || !p.envs.delete(sandbox) || this.disposed) return;
    // One that never initialised is not replaced: provision() reports it instead of looping.
    if (!sandbox.initialised) return;
    this.options.logger?.info(`sandbox: replacing provisioned environment ${sandbox.logStreamName} of ${sandbox.spec.functionName}`);
    this.startProvisioned(p);
  }

  private unlistIdle(sandbox: Sandbox): void {
    this.reapers.get(sandbox)?.();
    this.reapers.delete(sandbox);
    const p = this.provisions.get(sandbox.spec.key);
    if (p) {
      const i = p.idle.indexOf(sandbox);
      if (i >= 0) p.idle.splice(i, 1);
    }
    const stack = this.idle.get(sandbox.spec.key);
    if (!stack) return;
    const i = stack.indexOf(sandbox);
    if (i >= 0) stack.splice(i, 1);
    if (stack.length === 0) this.idle.delete(sandbox.spec.key);
  }
}
