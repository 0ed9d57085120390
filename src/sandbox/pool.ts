/**
 * The pool owns every execution environment: it reuses a warm idle one of the same
 * spec.key, starts a new one when none is free (so concurrent invokes get their own),
 * reaps idle ones after idleTimeoutMs, retires outdated ones, and kills them all on
 * dispose. Later: pre-warmed runtime processes, provisioned concurrency, cgroup memory
 * limits and bubblewrap plug in through `launcher` and the Sandbox it builds.
 */
import { SYSTEM_CLOCK, type Clock } from '../util/clock.ts';
import { launcherFor, type Launcher } from './launcher.ts';
import { EnvironmentLostError, Sandbox, type SandboxState } from './sandbox.ts';
import type { FunctionSpec, InvokeRequest, InvokeResult, LogSink, PoolStats, SandboxPool } from './types.ts';

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
}

/** One environment, as the pool reports it (for operators and tests). */
export interface EnvironmentInfo {
  readonly functionName: string;
  readonly key: string;
  readonly state: SandboxState;
  readonly pid: number | undefined;
  readonly logStreamName: string;
}

/** Thrown by invoke() after dispose(), and into invocations that dispose() cut short. */
export class SandboxPoolDisposedError extends Error {
  override readonly name = 'SandboxPoolDisposedError';
  constructor() {
    super('the sandbox pool is disposed');
  }
}

export interface LocalSandboxPool extends SandboxPool {
  environments(): EnvironmentInfo[];
}

export function createSandboxPool(options: SandboxPoolOptions): LocalSandboxPool {
  return new ProcessSandboxPool(options);
}

class ProcessSandboxPool implements LocalSandboxPool {
  private readonly clock: Clock;
  private readonly all = new Set<Sandbox>();
  /** Idle environments per spec.key, most recently used last. */
  private readonly idle = new Map<string, Sandbox[]>();
  private readonly reapers = new Map<Sandbox, () => void>();
  /** Environments an invoke() holds; they are released (or discarded) by that invoke. */
  private readonly inUse = new Set<Sandbox>();
  private readonly disposals = new Set<Promise<void>>();
  private disposed = false;

  constructor(private readonly options: SandboxPoolOptions) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
  }

  async invoke(spec: FunctionSpec, request: InvokeRequest): Promise<InvokeResult> {
    for (let attempt = 1; ; attempt++) {
      if (this.disposed) throw new SandboxPoolDisposedError();
      const sandbox = this.takeIdle(spec.key) ?? this.create(spec);
      this.inUse.add(sandbox);
      try {
        return await sandbox.invoke(request);
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

  retire(functionName: string, keepKey?: string): void {
    for (const sandbox of this.all) {
      if (sandbox.spec.functionName !== functionName || sandbox.spec.key === keepKey) continue;
      sandbox.retired = true;
      if (sandbox.state === 'idle') this.discard(sandbox);
    }
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
    }));
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const cancel of this.reapers.values()) cancel();
    this.reapers.clear();
    this.idle.clear();
    for (const sandbox of this.all) this.discard(sandbox);
    while (this.disposals.size > 0) await Promise.all(this.disposals);
  }

  private create(spec: FunctionSpec): Sandbox {
    const launcher = (this.options.launcherFor ?? launcherFor)(spec.runtime);
    const sandbox = new Sandbox({
      spec,
      logSink: this.options.logSink,
      clock: this.clock,
      launcher,
      initTimeoutMs: this.options.initTimeoutMs,
      onDead: (s) => this.forget(s),
      logger: this.options.logger,
    });
    this.all.add(sandbox);
    return sandbox;
  }

  private takeIdle(key: string): Sandbox | undefined {
    const stack = this.idle.get(key);
    while (stack && stack.length > 0) {
      const sandbox = stack.pop()!;
      this.reapers.get(sandbox)?.();
      this.reapers.delete(sandbox);
      if (sandbox.claim()) return sandbox;
    }
    return undefined;
  }

  private release(sandbox: Sandbox): void {
    this.inUse.delete(sandbox);
    if (this.disposed || sandbox.retired || sandbox.state !== 'idle') {
      this.discard(sandbox);
      return;
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
    // The child is gone but its Runtime API server may still be open; an environment an
    // invoke holds is discarded when that invoke releases it.
    if (!this.disposed && !this.inUse.has(sandbox)) this.discard(sandbox);
  }

  private unlistIdle(sandbox: Sandbox): void {
    this.reapers.get(sandbox)?.();
    this.reapers.delete(sandbox);
    const stack = this.idle.get(sandbox.spec.key);
    if (!stack) return;
    const i = stack.indexOf(sandbox);
    if (i >= 0) stack.splice(i, 1);
    if (stack.length === 0) this.idle.delete(sandbox.spec.key);
  }
}
