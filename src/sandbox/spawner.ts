/**
 * Spawns sandbox processes through a small long-lived helper (spawner-process.cjs) rather
 * than from the server. On Linux a spawn forks the spawning process, and a fork costs in
 * proportion to the parent's touched memory, during which the parent stands still: spawning
 * from the server blocked its event loop 5.4 ms per sandbox (p50; 15 ms at worst), through
 * the helper 1.7 ms (3.6 ms). The sandbox does not start sooner: the helper's own fork and
 * the trip there cost about what they save.
 *
 * The helper is started once (by the pool) with an IPC channel; it spawns what it is asked,
 * opens and closes the folders the child gets as descriptors, and sends back the pid, the
 * stdio pipes (as handles) and, later, the exit. The server sees a SandboxProcess: the
 * part of a ChildProcess that it uses. If the helper dies, every process it spawned is
 * killed and reported gone, and the next spawn starts a new helper; if it cannot start at
 * all, the server spawns by itself, as it did before, and says so once.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

const HELPER_SCRIPT = fileURLToPath(new URL('./spawner-process.cjs', import.meta.url));
/** How long a helper asked to stop may take before it is killed. */
const STOP_GRACE_MS = 2000;
/**
 * How long a spawned process's pipes may take to arrive. Node drops a handle the receiver
 * could not take (no descriptor left here, EMFILE) after a few retries: the process is then
 * killed and the spawn fails, rather than waiting for ever.
 */
const PIPES_TIMEOUT_MS = 10_000;

/** The helper died with the spawn in flight; nothing of it is left (a new helper may try again). */
class SpawnerGoneError extends Error {
  override readonly name = 'SpawnerGoneError';
}

export interface SpawnRequest {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** A pipe at the child's fd 3 (the runtime's, see runtime-ipc.ts). */
  readonly pipe: boolean;
  /**
   * Host folders the child gets open, read-only, at the descriptors after its pipes (the
   * first at fd 3, or 4 with a pipe): bubblewrap's --ro-bind-fd names those numbers.
   */
  readonly dirs: readonly string[];
}

interface SandboxProcessEvents {
  /** As ChildProcess's: the process ended, with its exit code or the signal that killed it. */
  exit: [code: number | null, signal: NodeJS.Signals | null];
  /** As ChildProcess's, for a process that could not be spawned (no pid), e.g. ENOENT. */
  error: [error: NodeJS.ErrnoException];
}

/**
 * A sandbox's process, as the server uses it: what it uses of a ChildProcess, with the same
 * meanings. 'exit' and 'error' are emitted on a later turn of the event loop than the one
 * that delivered the process, so listeners attached right after awaiting the spawn hear them.
 */
export class SandboxProcess extends EventEmitter<SandboxProcessEvents> {
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly stdin: Socket | null;
  readonly stdout: Socket | null;
  readonly stderr: Socket | null;
  private over = false;

  constructor(
    /** Undefined when the spawn failed ('error' says why). */
    readonly pid: number | undefined,
    /** stdin, stdout, stderr and, when asked for, the runtime's pipe at fd 3. */
    readonly stdio: readonly (Socket | null)[],
    private readonly sendSignal: (signal: NodeJS.Signals) => void,
  ) {
    super();
    this.stdin = stdio[0] ?? null;
    this.stdout = stdio[1] ?? null;
    this.stderr = stdio[2] ?? null;
  }

  /** Signals the process (not its group); false once it is known to be gone. */
  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.pid === undefined || this.over) return false;
    try {
      this.sendSignal(signal);
      return true;
    } catch {
      return false;
    }
  }

  /** Records the end of the process; 'exit' follows on the next turn of the loop. */
  ended(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.over) return;
    this.over = true;
    if (signal) this.signalCode = signal;
    else this.exitCode = code;
    setImmediate(() => this.emit('exit', this.exitCode, this.signalCode));
  }

  /** The spawn failed; 'error' follows on the next turn of the loop. */
  failed(error: NodeJS.ErrnoException): void {
    setImmediate(() => this.emit('error', error));
  }
}

export interface SpawnerOptions {
  readonly logger?: { warn(msg: string): void };
  /** The helper's script (tests start a broken one); default spawner-process.cjs. */
  readonly helperScript?: string;
}

/** Spawns through the helper process, starting it when first needed and again after it died. */
export class Spawner {
  private helper: SpawnerProcess | null = null;
  /** The helper could not start: spawns happen here, as before it existed. */
  private direct = false;
  private closed = false;

  constructor(private readonly options: SpawnerOptions = {}) {}

  /** Starts the helper now rather than at the first spawn. */
  start(): void {
    if (!this.direct && !this.closed) this.current();
  }

  /**
   * Spawns a process. Rejects when nothing was spawned because the request could not even be
   * tried (a folder would not open, bad arguments); a spawn that fails as ChildProcess reports
   * it (ENOENT, EACCES) resolves to a process without a pid that emits 'error'.
   */
  async spawn(request: SpawnRequest): Promise<SandboxProcess> {
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new Error('the sandbox spawner is closed');
      const helper = this.direct ? null : this.current();
      try {
        return await (helper ? helper.spawn(request) : spawnHere(request));
      } catch (error) {
        // A helper that died (killed, out of memory) is the platform's fault, not the
        // function's: the spawn is tried once more, on a new helper.
        if (!(error instanceof SpawnerGoneError) || attempt > 1) throw error;
      }
    }
  }

  /** Stops the helper (call once its processes are gone) and waits for it to exit. */
  async close(): Promise<void> {
    this.closed = true;
    await this.helper?.stop();
    this.helper = null;
  }

  /** The helper's pid, while one runs. */
  get pid(): number | undefined {
    return this.helper?.pid;
  }

  /** The running helper, started if need be; null when spawns happen here. */
  private current(): SpawnerProcess | null {
    if (this.helper || this.direct) return this.helper;
    try {
      const helper = new SpawnerProcess(this.options.helperScript ?? HELPER_SCRIPT, (neverReady, why) => {
        if (this.helper === helper) this.helper = null;
        if (neverReady && !this.closed) this.fallBack(why);
      });
      this.helper = helper;
    } catch (error) {
      this.fallBack(String(error));
    }
    return this.helper;
  }

  private fallBack(why: string): void {
    this.direct = true;
    this.options.logger?.warn(
      `sandbox: the sandbox spawner cannot start (${why}); the server spawns sandboxes itself, which stalls it for the length of each fork`,
    );
  }
}

/** A request sent to the helper, until its pipes are all in. */
interface Pending {
  readonly request: SpawnRequest;
  readonly resolve: (process: SandboxProcess) => void;
  readonly reject: (error: Error) => void;
  pid?: number;
  readonly stdio: (Socket | null)[];
  received: number;
  /** Armed once the pid is known, until every pipe is in (PIPES_TIMEOUT_MS). */
  timer?: NodeJS.Timeout;
}

type HelperMessage =
  | { t: 'ready' }
  | { t: 'failed' | 'error'; id: number; error: ErrorFields }
  | { t: 'spawned'; id: number; pid: number }
  | { t: 'stdio'; id: number; fd: number }
  | { t: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null };

interface ErrorFields {
  readonly message: string;
  readonly code?: string;
  readonly errno?: number;
  readonly syscall?: string;
  readonly path?: string;
}

/** One run of the helper process and its requests. */
class SpawnerProcess {
  private readonly child: ChildProcess;
  private ready = false;
  private stopping = false;
  private gone = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly live = new Map<number, SandboxProcess>();
  private readonly exited: Promise<void>;

  /** onGone: the helper is gone; neverReady when it never got as far as taking requests. */
  constructor(
    script: string,
    private readonly onGone: (neverReady: boolean, why: string) => void,
  ) {
    // Its own flags and variables only: the server's (tsx's loader, NODE_OPTIONS,
    // NODE_EXTRA_CA_CERTS: ~85 ms) would slow its start and swell it.
    this.child = fork(script, [], {
      execArgv: [],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      // Its stdin is held here and never written: it exits when it ends (stop(), or this process gone).
      stdio: ['pipe', 'ignore', 'inherit', 'ipc'],
      serialization: 'json',
    });
    const stdin = this.child.stdin as Socket | null;
    stdin?.on('error', () => {});
    stdin?.unref();
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.child.on('message', (message: HelperMessage, handle?: Socket) => this.onMessage(message, handle));
    // The channel closes once every message the helper sent has been read.
    this.child.once('disconnect', () => this.onEnd(describeEnd(this.child)));
    // A failed fork, or a message that could not be written: either way the helper is of no use.
    this.child.on('error', (error) => this.onEnd(String(error)));
    // It keeps the server's event loop alive only while it has work (see holdLoop).
    this.child.unref();
    this.holdLoop();
  }

  get pid(): number | undefined {
    return this.gone ? undefined : this.child.pid;
  }

  spawn(request: SpawnRequest): Promise<SandboxProcess> {
    if (this.gone) return Promise.reject(new SpawnerGoneError('the sandbox spawner exited'));
    const id = this.nextId++;
    return new Promise<SandboxProcess>((resolve, reject) => {
      this.pending.set(id, { request, resolve, reject, stdio: [], received: 0 });
      this.holdLoop();
      const message = { t: 'spawn', id, command: request.command, args: request.args, cwd: request.cwd, env: request.env, pipe: request.pipe, dirs: request.dirs };
      this.child.send(message, (error) => {
        if (error) this.onEnd(`cannot write to it: ${String(error)}`);
      });
    });
  }

  /** Ends the helper's stdin (it exits then) and waits for the exit. */
  async stop(): Promise<void> {
    if (!this.gone) {
      this.stopping = true;
      this.child.stdin?.end();
    }
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined) {
      // Awaited, so the exit must keep the loop alive.
      this.child.ref();
      const late = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
      await this.exited;
      clearTimeout(late);
    }
  }

  private onMessage(message: HelperMessage, handle: Socket | undefined): void {
    if (message.t === 'ready') {
      this.ready = true;
      return;
    }
    const { id } = message;
    const pending = this.pending.get(id);
    switch (message.t) {
      case 'spawned':
        if (!pending) break;
        pending.pid = message.pid;
        pending.timer = setTimeout(() => this.abandon(id, `its pipes did not arrive within ${PIPES_TIMEOUT_MS} ms`), PIPES_TIMEOUT_MS);
        pending.timer.unref();
        break;
      case 'stdio':
        if (!pending) break;
        pending.stdio[message.fd] = handle ?? null;
        if (++pending.received === (pending.request.pipe ? 4 : 3)) {
          const pid = pending.pid!;
          const spawned = new SandboxProcess(pid, pending.stdio, (signal) => process.kill(pid, signal));
          clearTimeout(pending.timer);
          this.pending.delete(id);
          this.live.set(id, spawned);
          pending.resolve(spawned);
        }
        break;
      case 'exit':
        // Normally after every pipe of its process: the helper's channel queues messages behind
        // a handle in flight. Before them only when a pipe was dropped on the way.
        if (pending) {
          this.abandon(id, `it exited (code ${message.code}, signal ${message.signal}) before its pipes arrived`);
          break;
        }
        this.live.get(id)?.ended(message.code, message.signal);
        this.live.delete(id);
        break;
      case 'error': {
        this.pending.delete(id);
        if (!pending) break;
        const failed = new SandboxProcess(undefined, [null, null, null, ...(pending.request.pipe ? [null] : [])], () => {});
        failed.failed(errnoError(message.error));
        pending.resolve(failed);
        break;
      }
      case 'failed':
        this.pending.delete(id);
        pending?.reject(errnoError(message.error));
        break;
    }
    this.holdLoop();
  }

  /** A spawn whose pipes will not all arrive: its process is killed and the spawn fails. */
  private abandon(id: number, why: string): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (pending.pid !== undefined) killGroup(pending.pid);
    for (const socket of pending.stdio) socket?.destroy();
    pending.reject(new Error(`${pending.request.command} could not be started: ${why}`));
    this.holdLoop();
  }

  /**
   * The helper is gone (crashed, killed, or stopped). What it spawned is killed by pid from
   * here and reported gone; requests in flight fail, unless it never started, in which case
   * they are spawned here.
   */
  private onEnd(why: string): void {
    if (this.gone) return;
    this.gone = true;
    // Of no use now, whatever state it is in (an error may leave it running).
    if (!this.stopping && this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    const neverReady = !this.ready && !this.stopping;
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      clearTimeout(pending.timer);
      if (pending.pid !== undefined) killGroup(pending.pid);
      for (const socket of pending.stdio) socket?.destroy();
      if (neverReady) {
        try {
          pending.resolve(spawnHere(pending.request));
        } catch (error) {
          pending.reject(error as Error);
        }
      } else {
        pending.reject(new SpawnerGoneError(`the sandbox spawner exited before ${pending.request.command} started: ${why}`));
      }
    }
    for (const [id, spawned] of this.live) {
      this.live.delete(id);
      if (spawned.pid !== undefined) killGroup(spawned.pid);
      spawned.ended(null, 'SIGKILL');
    }
    this.holdLoop();
    this.onGone(neverReady, why);
  }

  /** The channel keeps the server alive while a spawn is in flight or a spawned process runs. */
  private holdLoop(): void {
    const channel = this.child.channel;
    if (!channel) return;
    if (!this.gone && (this.pending.size > 0 || this.live.size > 0)) channel.ref();
    else channel.unref();
  }
}

/** Spawns from this process: the way without the helper. Throws if it cannot even try. */
function spawnHere(request: SpawnRequest): SandboxProcess {
  const opened: number[] = [];
  let child: ChildProcess;
  try {
    for (const dir of request.dirs) opened.push(fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY));
    child = spawn(request.command, request.args, {
      cwd: request.cwd,
      env: request.env,
      stdio: ['pipe', 'pipe', 'pipe', ...(request.pipe ? ['pipe' as const] : []), ...opened],
      detached: true,
    });
  } finally {
    for (const fd of opened) fs.closeSync(fd);
  }
  // No stdio at all when the spawn failed for want of descriptors (EMFILE).
  const stdio = (child.stdio ?? []).slice(0, request.pipe ? 4 : 3) as (Socket | null)[];
  const spawned = new SandboxProcess(child.pid, stdio, (signal) => child.kill(signal));
  child.on('exit', (code, signal) => spawned.ended(code, signal));
  child.on('error', (error) => {
    if (child.pid === undefined) spawned.failed(error);
  });
  return spawned;
}

/** SIGKILL to a process group, or to the process if it leads none. */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** An errno error rebuilt from the fields the helper sent. */
function errnoError(fields: ErrorFields): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(fields.message);
  if (fields.code !== undefined) error.code = fields.code;
  if (fields.errno !== undefined) error.errno = fields.errno;
  if (fields.syscall !== undefined) error.syscall = fields.syscall;
  if (fields.path !== undefined) error.path = fields.path;
  return error;
}

/** Why a helper's channel closed, as far as is known then (its exit may not be). */
function describeEnd(child: ChildProcess): string {
  if (child.signalCode) return `it was killed by ${child.signalCode}`;
  if (child.exitCode !== null) return `it exited with code ${child.exitCode}`;
  return 'it closed its channel';
}
