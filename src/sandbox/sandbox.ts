/**
 * One execution environment: a child process running a Lambda runtime against its own
 * Runtime API server, one invocation at a time. It writes the platform log lines,
 * enforces the timeout by killing, and reports failures as AWS does. An environment
 * whose runtime failed, timed out or exited is dead and never reused.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../util/clock.ts';
import { Confinement } from './confinement.ts';
import type { PrimedRuntime } from './primed-runtimes.ts';
import type { SandboxHost } from './host.ts';
import { launcherFor, type Launcher, type LaunchPlan } from './launcher.ts';
import { EnvironmentLog } from './environment-log.ts';
import { platformLines, type PlatformLines } from './platform-lines.ts';
import {
  errorDocument,
  newLogStreamName,
  runtimeExitText,
  spawnErrorText,
  tailOf,
  timeoutLine,
  timeoutText,
  type ReportFields,
} from './log-lines.ts';
import { RuntimeApiServer, type RuntimeApiListener, type RuntimeOutcome } from './runtime-api.ts';
import type { EnvironmentCredentials, FunctionSpec, InvokeRequest, InvokeResult, LogSink } from './types.ts';

/** Lambda's init phase limit for on-demand environments. */
export const DEFAULT_INIT_TIMEOUT_MS = 10_000;

export type SandboxState = 'starting' | 'idle' | 'busy' | 'dead';

export interface SandboxOptions {
  readonly spec: FunctionSpec;
  readonly logSink: LogSink;
  readonly clock: Clock;
  readonly launcher?: Launcher;
  readonly initializationType?: 'on-demand' | 'provisioned-concurrency';
  readonly initTimeoutMs?: number;
  /** Isolation and limits this host offers (plainSandboxHost(): plain processes, memory watchdog). */
  readonly host: SandboxHost;
  /** Called once when the child exits or the environment is disposed. */
  readonly onDead?: (sandbox: Sandbox) => void;
  readonly logger?: { error(msg: string): void; warn?(msg: string): void };
  /** The execution role's credentials for this environment. */
  readonly credentials?: EnvironmentCredentials;
  /** A pre-started runtime holding this function's code (primed-runtimes.ts), adopted instead of spawning. */
  readonly primed?: PrimedRuntime;
}

/**
 * The environment died before its runtime received the invocation (a warm runtime that
 * was exiting, e.g. after an uncaught exception). The function never saw the event, so
 * the pool runs it in a fresh environment.
 */
export class EnvironmentLostError extends Error {
  override readonly name = 'EnvironmentLostError';
  constructor() {
    super('the execution environment exited before receiving the invocation');
  }
}

/** Thrown into an invocation that was in flight when its environment was disposed. */
export class SandboxDisposedError extends Error {
  override readonly name = 'SandboxDisposedError';
  constructor() {
    super('the execution environment was disposed during the invocation');
  }
}

type InitOutcome =
  | { readonly kind: 'ready' }
  | { readonly kind: 'init-error'; readonly errorType: string; readonly payload: Buffer }
  | { readonly kind: 'exit'; readonly code: number | null; readonly signal: NodeJS.Signals | null }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'spawn-error'; readonly error: NodeJS.ErrnoException; readonly command: string };

interface Active {
  readonly request: InvokeRequest;
  readonly t0: number;
  readonly tail: string[] | null;
  readonly resolve: (result: InvokeResult) => void;
  readonly reject: (error: Error) => void;
  cancelTimer: () => void;
  /** START is written when the runtime receives the event. */
  started: boolean;
  done: boolean;
}

const EMPTY: readonly string[] = [];

export class Sandbox {
  readonly spec: FunctionSpec;
  readonly logStreamName: string;
  /** Resolves when initialisation is over, however it ended. */
  readonly ready: Promise<void>;
  private stateName: SandboxState = 'starting';
  private readonly clock: Clock;
  private readonly api: RuntimeApiServer;
  private child: ChildProcess | null = null;
  private initOutcome: InitOutcome | null = null;
  private resolveInit!: (outcome: InitOutcome) => void;
  private spawnedAt = 0;
  private cancelInitTimer: () => void = noop;
  private initDurationMs = 0;
  private initReported = false;
  /** The runtime's own peak resident size, as its pipe reports it with each answer. */
  private runtimePeakBytes = 0;
  /** An invocation is waiting for this environment to finish starting. */
  private reserved = false;
  private active: Active | null = null;
  private readonly log: EnvironmentLog;
  /** START / END / REPORT in the function's LogFormat. */
  private readonly lines: PlatformLines;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private readonly exited: Promise<void>;
  private markExited!: () => void;
  /** Created when the environment starts; holds its memory watch, cgroup and /tmp. */
  private confinement: Confinement | null = null;
  private disposing: Promise<void> | null = null;
  private readonly onDead: ((s: Sandbox) => void) | undefined;
  private deadNotified = false;
  /** Set by the pool: dispose after the current invocation instead of reusing. */
  retired = false;
  /** Set by the pool while the environment serves provisioned concurrency. */
  provisioned = false;
  /** Unique name of this environment (its cgroup, its /tmp folder). */
  readonly id = randomBytes(8).toString('hex');

  constructor(private readonly options: SandboxOptions) {
    this.spec = options.spec;
    this.clock = options.clock;
    this.onDead = options.onDead;
    this.logStreamName = newLogStreamName(this.clock.now(), this.spec.version);
    this.exited = new Promise((resolve) => (this.markExited = resolve));
    this.lines = platformLines(this.spec, this.clock);
    this.log = new EnvironmentLog({
      sink: options.logSink,
      group: this.spec.logGroupName,
      stream: this.logStreamName,
      clock: this.clock,
      logger: options.logger,
      currentTail: () => this.active?.tail ?? null,
    });
    const events: RuntimeApiListener = {
      onReady: () => this.settleInit({ kind: 'ready' }),
      onInitError: (errorType, payload) => this.settleInit({ kind: 'init-error', errorType, payload }),
      // Only this environment's own processes may talk to its Runtime API.
      admit: (socket) => this.confinement?.holds(socket) ?? Promise.resolve(false),
      onRefused: (socket) =>
        (options.logger?.warn ?? options.logger?.error)?.(
          `sandbox: refused a Runtime API connection from 127.0.0.1:${socket.remotePort} that no process of ${this.spec.functionName} (${this.logStreamName}) holds`,
        ),
    };
    // A primed runtime comes with its Runtime API server already listening.
    this.api = options.primed?.api ?? new RuntimeApiServer(events);
    this.api.rebind(events);
    const init = new Promise<InitOutcome>((resolve) => (this.resolveInit = resolve));
    this.ready = init.then(() => undefined);
    this.start().catch((error: NodeJS.ErrnoException) =>
      this.settleInit({ kind: 'spawn-error', error, command: this.spec.runtime }),
    );
  }

  get state(): SandboxState {
    return this.stateName;
  }

  /** Initialisation finished and the runtime asked for work. */
  get initialised(): boolean {
    return this.initOutcome?.kind === 'ready';
  }

  /** When this environment's role credentials expire (ms since the epoch), if they do. */
  get credentialsExpireAt(): number | undefined {
    return this.options.credentials?.expiresAt;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Marks an idle environment as taken; false if it is not idle. */
  claim(): boolean {
    if (this.stateName !== 'idle') return false;
    this.stateName = 'busy';
    return true;
  }

  private async start(): Promise<void> {
    const primed = this.options.primed;
    const runtimeApi = primed ? primed.runtimeApi : await this.api.listen();
    if (this.disposing) {
      await primed?.dispose();
      return;
    }
    const onExceeded = (what: 'memory' | 'tmp', usedMB: number) => this.onExceeded(what, usedMB);
    let confinement: Confinement;
    if (primed) {
      confinement = primed.confinement;
      confinement.reassign(this.spec, onExceeded);
    } else {
      confinement = new Confinement({ spec: this.spec, host: this.options.host, id: this.id, onExceeded, logger: this.options.logger });
    }
    this.confinement = confinement;
    const launcher = this.options.launcher ?? launcherFor(this.spec.runtime);
    let plan: LaunchPlan;
    try {
      plan = launcher(this.spec, {
        runtimeApi,
        logStreamName: this.logStreamName,
        initializationType: this.options.initializationType ?? 'on-demand',
        sandboxed: confinement.sandboxed,
        ...(confinement.tmpDir ? { tmpDir: confinement.tmpDir } : {}),
        ...(this.options.host.runtimeModules ? { runtimeModules: this.options.host.runtimeModules } : {}),
        ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
      });
    } catch (error) {
      // The spawn error answers the invocation; a primed runtime nobody will adopt goes.
      if (primed) {
        this.confinement = null;
        void primed.dispose();
      }
      throw error;
    }
    this.spawnedAt = performance.now();
    let child: ChildProcess;
    if (primed) {
      // Already running: it loads the handler once it has the function's variables and folder.
      child = primed.child;
      primed.assign(plan);
    } else {
      child = confinement.spawn(plan);
    }
    this.child = child;
    this.cancelInitTimer = this.clock.setTimeout(
      () => this.settleInit({ kind: 'timeout' }),
      this.options.initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS,
    );
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (child.pid === undefined) {
        this.settleInit({ kind: 'spawn-error', error, command: plan.command });
        this.onExit(null, null);
      }
    });
    child.on('exit', (code, signal) => this.onExit(code, signal));
    child.stdin?.on('error', () => {});
    if (plan.pipe && child.stdio[3]) {
      this.api.attachPipe(child.stdio[3] as Socket, {
        onViolation: (reason) => {
          this.options.logger?.error(`sandbox: ${this.spec.functionName} (${this.logStreamName}) broke the runtime pipe (${reason}): the environment is stopped`);
          this.kill();
        },
      });
    }
    this.log.attach(child);
    // A primed runtime may have died between being taken and now.
    if (child.exitCode !== null || child.signalCode !== null) this.onExit(child.exitCode, child.signalCode);
  }

  /** The watchdog found the environment over its MemorySize (or its /tmp folder over its size). */
  private onExceeded(what: 'memory' | 'tmp', usedMB: number): void {
    if (what === 'tmp') {
      this.log.platform(
        `${new Date(this.clock.now()).toISOString()} ${this.active?.request.requestId ?? ''} /tmp holds ${usedMB} MB, more than its EphemeralStorage of ${this.spec.ephemeralStorage} MB: the environment is stopped`,
        this.active?.tail ?? null,
      );
    }
    this.kill();
  }

  private get outOfMemory(): boolean {
    return this.confinement?.memory.outOfMemory() ?? false;
  }

  private readMemory(): number {
    return this.confinement?.memory.read() ?? 0;
  }

  private get lastMemoryMB(): number {
    return this.confinement?.memory.peakMB ?? 0;
  }

  private settleInit(outcome: InitOutcome): void {
    if (this.initOutcome) return;
    this.initOutcome = outcome;
    this.cancelInitTimer();
    if (this.spawnedAt > 0) this.initDurationMs = performance.now() - this.spawnedAt;
    if (outcome.kind === 'ready') {
      if (this.stateName === 'starting') this.stateName = this.reserved ? 'busy' : 'idle';
    } else {
      this.stateName = 'dead';
      this.readMemory();
      this.kill();
    }
    this.resolveInit(outcome);
  }

  /** Runs one invocation. Never rejects for function failures; rejects if disposed meanwhile. */
  async invoke(request: InvokeRequest): Promise<InvokeResult> {
    if (this.stateName === 'starting') this.reserved = true;
    else if (this.stateName === 'idle') this.stateName = 'busy';
    await this.ready;
    const init = this.initOutcome!;
    if (this.disposing) throw new SandboxDisposedError();
    if (init.kind !== 'ready') return this.failedInit(request, init);
    if (this.exitInfo) throw new EnvironmentLostError();
    if (this.active) throw new Error(`sandbox ${this.logStreamName} is already running an invocation`);
    this.stateName = 'busy';
    this.log.initLines = null;

    const spec = this.spec;
    const tail = request.wantLogTail ? [] : null;
    // A crash takes /proc/<pid> with it: know the footprint before the first run.
    if (this.lastMemoryMB === 0) this.readMemory();
    this.confinement?.memory.setBusy(true);
    return new Promise<InvokeResult>((resolve, reject) => {
      const active: Active = {
        request,
        t0: performance.now(),
        tail,
        resolve,
        reject,
        cancelTimer: noop,
        started: false,
        done: false,
      };
      this.active = active;
      active.cancelTimer = this.clock.setTimeout(() => this.onTimeout(active), spec.timeout * 1000);
      this.api
        .invoke({
          requestId: request.requestId,
          payload: request.payload,
          deadlineMs: this.clock.now() + spec.timeout * 1000,
          invokedFunctionArn: request.invokedFunctionArn,
          traceId: request.traceId,
          clientContext: request.clientContext,
          cognitoIdentity: request.cognitoIdentity,
        }, () => this.markStarted(active))
        .then((outcome) => this.onOutcome(active, outcome));
    });
  }

  private markStarted(active: Active): void {
    if (active.started || active.done) return;
    active.started = true;
    this.log.platform(this.lines.start(active.request.requestId), active.tail);
  }

  private onOutcome(active: Active, outcome: RuntimeOutcome): void {
    if (active.done) return;
    active.done = true;
    // The runtime's word, capped: a function writing its own frame could claim anything.
    if (outcome.rssBytes !== undefined && outcome.rssBytes > this.runtimePeakBytes) {
      this.runtimePeakBytes = Math.min(outcome.rssBytes, this.spec.memorySize * MB);
    }
    active.cancelTimer();
    const durationMs = performance.now() - active.t0;
    // Output written before the response was posted is already in the pipes: let this
    // turn of the event loop read it, so it lands before END.
    setImmediate(() => {
      if (this.active === active) this.active = null;
      this.log.flushPartial(active.tail);
      const failed = outcome.kind === 'error';
      const result = this.finish(active, durationMs, outcome.payload, failed, {
        status: failed && outcome.errorType === 'Function.ResponseSizeTooLarge' ? 'error' : undefined,
        errorType: failed && outcome.errorType === 'Function.ResponseSizeTooLarge' ? outcome.errorType : undefined,
      });
      if (this.stateName === 'busy') this.stateName = 'idle';
      this.confinement?.memory.setBusy(false);
      active.resolve(result);
    });
  }

  private onTimeout(active: Active): void {
    if (active.done) return;
    active.done = true;
    // Timers run on the loop's cached clock and may fire a hair early; a timed-out
    // invocation lasted its whole timeout, as its REPORT says on AWS.
    const durationMs = Math.max(performance.now() - active.t0, this.spec.timeout * 1000);
    if (!active.started) {
      active.started = true;
      this.log.platform(this.lines.start(active.request.requestId), active.tail);
    }
    this.api.abandon();
    this.readMemory();
    this.stateName = 'dead';
    this.kill();
    const { requestId } = active.request;
    void this.afterExit().then(() => {
      if (this.active === active) this.active = null;
      this.log.flushPartial(active.tail);
      this.log.platform(this.lines.failure(timeoutLine(this.clock.now(), requestId, this.spec.timeout)), active.tail);
      const payload = errorDocument('Sandbox.Timedout', `RequestId: ${requestId} Error: ${timeoutText(this.spec.timeout)}`);
      active.resolve(this.finish(active, durationMs, payload, true, { status: 'timeout' }));
    });
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exitInfo) return;
    if (this.confinement) ({ code, signal } = this.confinement.runtimeExit(code, signal));
    this.exitInfo = { code, signal };
    this.confinement?.memory.stop();
    this.stateName = 'dead';
    this.settleInit({ kind: 'exit', code, signal });
    const active = this.active;
    if (active && !active.done) {
      active.done = true;
      active.cancelTimer();
      this.api.abandon();
      if (!active.started) {
        this.active = null;
        active.reject(new EnvironmentLostError());
        this.markExited();
        this.notifyDead();
        return;
      }
      const durationMs = performance.now() - active.t0;
      void this.log.drain().then(() => {
        if (this.active === active) this.active = null;
        this.log.flushPartial(active.tail);
        const { requestId } = active.request;
        const message = `RequestId: ${requestId} Error: ${runtimeExitText(code, signal)}`;
        // A runtime the memory limit killed is Runtime.OutOfMemory, with the same message.
        const errorType = this.outOfMemory ? 'Runtime.OutOfMemory' : 'Runtime.ExitError';
        this.log.platform(this.lines.failure(message), active.tail);
        this.log.platform(this.lines.failure(errorType), active.tail);
        active.resolve(
          this.finish(active, durationMs, errorDocument(errorType, message), true, { status: 'error', errorType }),
        );
      });
    }
    this.markExited();
    this.notifyDead();
  }

  /** Answers an invocation whose environment never became ready. */
  private async failedInit(request: InvokeRequest, init: Exclude<InitOutcome, { kind: 'ready' }>): Promise<InvokeResult> {
    const t0 = performance.now();
    await this.afterExit();
    const { requestId } = request;
    const tail = request.wantLogTail ? [...(this.log.initLines ?? EMPTY)] : null;
    this.log.initLines = null;
    let payload: Buffer;
    let errorType: string;
    let status: 'error' | 'timeout' = 'error';
    switch (init.kind) {
      case 'init-error':
        payload = init.payload;
        errorType = init.errorType || 'Runtime.Unknown';
        break;
      case 'exit':
        errorType = this.outOfMemory ? 'Runtime.OutOfMemory' : 'Runtime.ExitError';
        payload = errorDocument(errorType, `RequestId: ${requestId} Error: ${runtimeExitText(init.code, init.signal)}`);
        break;
      case 'timeout':
        errorType = 'Sandbox.Timedout';
        status = 'timeout';
        payload = errorDocument(errorType, `RequestId: ${requestId} Error: ${timeoutText(this.spec.timeout)}`);
        break;
      case 'spawn-error':
        errorType = 'Runtime.InvalidEntrypoint';
        payload = errorDocument(errorType, `RequestId: ${requestId} Error: ${spawnErrorText(init)}`);
        break;
    }
    this.log.platform(this.lines.initReport(this.initDurationMs, status, status === 'error' ? errorType : undefined, this.options.initializationType ?? 'on-demand'), tail);
    this.log.platform(this.lines.start(requestId), tail);
    const active: Active = { request, t0, tail, resolve: noop, reject: noop, cancelTimer: noop, started: true, done: true };
    // INIT_REPORT carried the init duration; REPORT does not repeat it.
    const result = this.finish(active, performance.now() - t0, payload, true, { status, errorType }, false);
    return { ...result, initDurationMs: this.initDurationMs };
  }

  /** Writes END and REPORT and builds the result. */
  private finish(
    active: Active,
    durationMs: number,
    payload: Buffer,
    failed: boolean,
    report: Pick<ReportFields, 'status' | 'errorType'>,
    reportInit = true,
  ): InvokeResult {
    const { requestId } = active.request;
    // Killed for its memory, an environment used all of it, as Lambda reports then. A live
    // runtime that reports its own peak spares a /proc read: the watchdog's samples cover
    // the rest of the environment's processes.
    const killedForMemory = this.confinement?.memory.exceededBy === 'memory' || (this.exitInfo !== null && this.outOfMemory);
    const maxMemoryUsedMB = killedForMemory
      ? this.spec.memorySize
      : this.exitInfo !== null
        ? this.lastMemoryMB
        : this.runtimePeakBytes > 0
          ? Math.max(this.lastMemoryMB, Math.ceil(this.runtimePeakBytes / MB))
          : this.readMemory();
    // Provisioned environments were initialised ahead of time: no invocation pays for it.
    const initDurationMs =
      this.initReported || this.options.initializationType === 'provisioned-concurrency' ? undefined : this.initDurationMs;
    this.initReported = true;
    const billedDurationMs = Math.max(1, Math.ceil(durationMs));
    const fields: ReportFields = {
      durationMs,
      billedDurationMs,
      memorySizeMB: this.spec.memorySize,
      maxMemoryUsedMB,
      initDurationMs: reportInit ? initDurationMs : undefined,
      ...report,
    };
    this.log.platform(this.lines.end(requestId, durationMs, fields.status ?? (failed ? 'error' : 'success'), fields.errorType), active.tail);
    this.log.platform(this.lines.report(requestId, fields), active.tail);
    return {
      payload,
      functionError: failed ? 'Unhandled' : undefined,
      logTail: active.tail ? tailOf(active.tail) : undefined,
      durationMs,
      billedDurationMs,
      maxMemoryUsedMB,
      initDurationMs,
    };
  }

  private async afterExit(): Promise<void> {
    if (!this.child || this.child.pid === undefined) return;
    await this.exited;
    await this.log.drain();
  }

  private kill(): void {
    const child = this.child;
    if (!child || child.pid === undefined || this.exitInfo) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }

  private notifyDead(): void {
    if (this.deadNotified) return;
    this.deadNotified = true;
    this.onDead?.(this);
  }

  /** Kills the child (SIGKILL) and waits for it to exit; an in-flight invocation rejects. */
  dispose(): Promise<void> {
    if (!this.disposing) {
      this.disposing = (async () => {
        this.stateName = 'dead';
        this.settleInit({ kind: 'exit', code: null, signal: 'SIGKILL' });
        const active = this.active;
        if (active && !active.done) {
          active.done = true;
          active.cancelTimer();
          active.reject(new SandboxDisposedError());
        }
        this.kill();
        await this.afterExit();
        await this.confinement?.dispose();
        await this.api.close();
        this.notifyDead();
      })();
    }
    return this.disposing;
  }
}

const MB = 1024 * 1024;

function noop(): void {}

