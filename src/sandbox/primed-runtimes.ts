/**
 * Pre-started, primed Node.js runtimes, so a function's first invocation does not wait
 * for a process to start. Node has no fork: instead a few runtimes are started ahead of
 * time, each in its own confinement (bubblewrap, cgroup, /tmp) exactly as an environment
 * would be, and each warms its own code paths (a require, an import, one pass through the
 * invocation path) and then waits on its pipe. A cold invoke takes one: the function's
 * code appears at /var/task (hard links into the folder bound there), the runtime gets
 * the function's environment variables and working folder over the pipe, loads the
 * handler and asks for its first event. That load is the environment's Init Duration.
 *
 * Only functions a fresh start would run the same way are given one: the built-in Node.js
 * launcher, no layers (/opt is bound at start), the default /tmp size (its tmpfs is sized
 * at start), no variables that node or the C library read only at start (NODE_OPTIONS,
 * LD_*, locale...), and a code tree small enough to link in a moment. Every other cold start
 * spawns as before. `runtimePool.size` bounds how many wait (0: none).
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { Socket } from 'node:net';
import path from 'node:path';
import { Confinement } from './confinement.ts';
import type { SandboxHost } from './host.ts';
import { nodeLauncher, type Launcher, type LaunchPlan } from './launcher.ts';
import { RuntimeApiServer } from './runtime-api.ts';
import { encodeFrame, FrameReader } from './runtime-ipc.ts';
import type { FunctionSpec } from './types.ts';

/** A primed runtime's /tmp is sized at start: functions with another EphemeralStorage spawn their own. */
export const PRIMED_EPHEMERAL_STORAGE_MB = 512;
/** Code trees with more entries than this are started fresh rather than linked. */
const MAX_LINKED_ENTRIES = 2000;
/** How many code trees' listings are remembered. */
const LISTING_CACHE = 256;
/** A primed runtime is started this long after one is taken, so the cold invoke has the CPU first. */
const REFILL_DELAY_MS = 30;
/** After this many primed runtimes in a row die before being ready, refilling stops (and says so). */
const MAX_FAILED_STARTS = 3;
/**
 * Variables read only when a process starts (node's options and loader paths, libuv,
 * the dynamic linker, OpenSSL, malloc, the locale): a function setting one gets a fresh process.
 */
const START_ONLY_VARIABLE = /^(NODE_|UV_|LD_|OPENSSL_|SSL_CERT_|MALLOC_|GLIBC_|LC_)|^(LANG|LANGUAGE|TZDIR)$/;

export interface PrimedRuntimesOptions {
  readonly host: SandboxHost;
  /** How many runtimes wait, at most. */
  readonly size: number;
  readonly logger?: { info(msg: string): void; warn(msg: string): void; error(msg: string): void };
}

interface Entry {
  readonly rel: string;
  readonly kind: 'dir' | 'file' | 'symlink';
}

/** One pre-started runtime: its process, pipe and confinement, handed whole to a Sandbox. */
export class PrimedRuntime {
  ready = false;
  /** host:port of its Runtime API server, once listening (AWS_LAMBDA_RUNTIME_API). */
  runtimeApi = '';
  private readonly drain = () => {};
  private detachReader: (() => void) | null = null;

  constructor(
    readonly child: ChildProcess,
    readonly confinement: Confinement,
    /** Its Runtime API server (HTTP), listening ahead like the process; the adopting environment rebinds it. */
    readonly api: RuntimeApiServer,
    /** The runtime's first working folder; under bubblewrap bound at /var/task and filled with links on assignment. */
    readonly slotDir: string,
    readonly linksCode: boolean,
    /** The variables it was started with, which the function's replace. */
    private readonly startEnv: Readonly<Record<string, string>>,
  ) {
    confinement.removeOnDispose(slotDir);
    child.stdout?.on('data', this.drain);
    child.stderr?.on('data', this.drain);
  }

  get pipe(): Socket {
    return this.child.stdio[3] as Socket;
  }

  listen(reader: FrameReader): void {
    const onData = (chunk: Buffer) => reader.push(chunk);
    this.pipe.on('data', onData);
    this.detachReader = () => this.pipe.off('data', onData);
  }

  /** Stops the pool's listeners; the Sandbox that adopts the runtime attaches its own. */
  detach(): void {
    this.detachReader?.();
    this.detachReader = null;
    this.child.stdout?.off('data', this.drain);
    this.child.stderr?.off('data', this.drain);
  }

  /** Gives the runtime its function: environment variables and working folder (after its code is in place). */
  assign(plan: LaunchPlan): void {
    // Only the start's own variables go: what the sandbox set itself (bwrap's PWD) stays, as in a fresh start.
    const unset = Object.keys(this.startEnv).filter((key) => !Object.hasOwn(plan.env, key));
    if (!this.pipe.destroyed) this.pipe.write(encodeFrame({ t: 'assign', env: plan.env, unset, cwd: plan.cwd }));
  }

  kill(): void {
    const pid = this.child.pid;
    if (pid === undefined || this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      this.child.kill('SIGKILL');
    }
  }

  /** Kills the process and removes its confinement and slot, once it is gone. */
  async dispose(): Promise<void> {
    this.kill();
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined) {
      await new Promise((resolve) => this.child.once('exit', resolve));
    }
    await this.confinement.dispose();
    await this.api.close();
  }
}

export class PrimedRuntimes {
  private readonly waiting: PrimedRuntime[] = [];
  private readonly starting = new Set<PrimedRuntime>();
  private readonly listings = new Map<string, Entry[] | null>();
  private refillTimer: NodeJS.Timeout | null = null;
  private failedStarts = 0;
  private disposed = false;

  constructor(private readonly options: PrimedRuntimesOptions) {}

  /** Starts runtimes until `size` wait or start. */
  fill(): void {
    if (this.disposed || this.failedStarts >= MAX_FAILED_STARTS) return;
    while (this.waiting.length + this.starting.size < this.options.size) {
      if (!this.startOne()) return;
    }
  }

  /** How many are ready now. */
  get available(): number {
    return this.waiting.length;
  }

  /**
   * A ready runtime holding spec's code, or undefined (spec is not eligible, none is ready,
   * or its code could not be linked). The caller owns what it gets.
   */
  take(spec: FunctionSpec, launcher: Launcher): PrimedRuntime | undefined {
    if (this.disposed || this.waiting.length === 0 || !this.eligible(spec, launcher)) return undefined;
    const runtime = this.waiting.shift()!;
    runtime.detach();
    this.scheduleRefill();
    if (runtime.linksCode) {
      try {
        linkTree(spec.codeDir, runtime.slotDir, this.listing(spec.codeDir)!);
      } catch (error) {
        this.options.logger?.warn(`sandbox: cannot link the code of ${spec.functionName} into a primed runtime (${String(error)}); starting a fresh one`);
        void runtime.dispose();
        return undefined;
      }
    }
    return runtime;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.refillTimer) clearTimeout(this.refillTimer);
    const all = [...this.waiting, ...this.starting];
    this.waiting.length = 0;
    this.starting.clear();
    await Promise.all(all.map((r) => r.dispose()));
  }

  private eligible(spec: FunctionSpec, launcher: Launcher): boolean {
    if (launcher !== nodeLauncher || !/^nodejs\d+\.x$/.test(spec.runtime) || spec.layersDir) return false;
    if (this.options.host.bwrap && spec.ephemeralStorage !== PRIMED_EPHEMERAL_STORAGE_MB) return false;
    for (const key of Object.keys(spec.environment)) if (START_ONLY_VARIABLE.test(key)) return false;
    const entries = this.listing(spec.codeDir);
    if (!entries) return false;
    // Without bubblewrap LD_LIBRARY_PATH (read at start) names the code folder: native libraries there need a fresh start.
    if (!this.options.host.bwrap && entries.some((e) => e.rel === 'lib' || /\.so(\.|$)/.test(e.rel))) return false;
    return true;
  }

  /** The code tree's entries (cached: a code folder never changes once extracted), or null when too big. */
  private listing(codeDir: string): Entry[] | null {
    let entries = this.listings.get(codeDir);
    if (entries === undefined) {
      entries = listTree(codeDir, MAX_LINKED_ENTRIES);
      if (this.listings.size >= LISTING_CACHE) this.listings.delete(this.listings.keys().next().value!);
      this.listings.set(codeDir, entries);
    }
    return entries;
  }

  private scheduleRefill(): void {
    if (this.refillTimer || this.disposed) return;
    this.refillTimer = setTimeout(() => {
      this.refillTimer = null;
      this.fill();
    }, REFILL_DELAY_MS);
    this.refillTimer.unref();
  }

  private startOne(): boolean {
    const { host } = this.options;
    const id = `primed-${randomBytes(6).toString('hex')}`;
    const slotDir = path.join(host.scratchDir, 'slots', id);
    let confinement: Confinement | undefined;
    let runtime: PrimedRuntime;
    try {
      fs.mkdirSync(slotDir, { recursive: true, mode: 0o755 });
      fs.chmodSync(slotDir, 0o755);
      const spec = placeholderSpec(slotDir);
      const owned: { runtime?: PrimedRuntime } = {};
      confinement = new Confinement({ spec, host, id, onExceeded: () => owned.runtime?.kill(), logger: this.options.logger });
      const plan = nodeLauncher(spec, {
        runtimeApi: '',
        logStreamName: '',
        initializationType: 'on-demand',
        sandboxed: confinement.sandboxed,
        ...(confinement.tmpDir ? { tmpDir: confinement.tmpDir } : {}),
        ...(host.runtimeModules ? { runtimeModules: host.runtimeModules } : {}),
      });
      const child = confinement.spawn({ ...plan, args: [...plan.args, '--primed'] });
      const held = confinement;
      const api = new RuntimeApiServer({ onReady: () => {}, onInitError: () => {}, admit: (socket) => held.holds(socket) });
      runtime = owned.runtime = new PrimedRuntime(child, confinement, api, slotDir, host.bwrap !== null, plan.env);
    } catch (error) {
      this.options.logger?.error(`sandbox: cannot start a primed runtime: ${String(error)}`);
      void confinement?.dispose();
      fs.rmSync(slotDir, { recursive: true, force: true });
      this.failedStarts = MAX_FAILED_STARTS;
      return false;
    }
    this.starting.add(runtime);
    let asked = false;
    /** Waiting once the runtime asked for work and its Runtime API listens. */
    const readyIfBoth = () => {
      if (!asked || !runtime.runtimeApi || !this.starting.has(runtime)) return;
      runtime.ready = true;
      this.failedStarts = 0;
      this.starting.delete(runtime);
      this.waiting.push(runtime);
    };
    runtime.api.listen().then(
      (address) => {
        runtime.runtimeApi = address;
        readyIfBoth();
      },
      (error: unknown) => lost(`its Runtime API cannot listen: ${String(error)}`),
    );
    const lost = (why: string) => {
      const wasReady = runtime.ready;
      runtime.ready = false;
      this.starting.delete(runtime);
      const i = this.waiting.indexOf(runtime);
      if (i >= 0) this.waiting.splice(i, 1);
      void runtime.dispose();
      if (this.disposed) return;
      if (!wasReady && ++this.failedStarts >= MAX_FAILED_STARTS) {
        this.options.logger?.warn(`sandbox: primed runtimes keep failing to start (${why}); cold starts spawn their own process`);
        return;
      }
      this.scheduleRefill();
    };
    runtime.listen(
      new FrameReader(
        (message) => {
          if (message.t !== 'next' || asked) return lost(`unexpected ${message.t} frame`);
          asked = true;
          readyIfBoth();
        },
        (reason) => lost(reason),
      ),
    );
    runtime.child.once('exit', (code, signal) => {
      // Once adopted, the Sandbox handles its exit.
      if (this.starting.has(runtime) || this.waiting.includes(runtime)) lost(`exited with ${code ?? signal}`);
    });
    runtime.child.once('error', (error) => {
      if (this.starting.has(runtime) || this.waiting.includes(runtime)) lost(String(error));
    });
    return true;
  }
}

/** What a primed runtime is started as before it has a function: the biggest limits, the default /tmp. */
function placeholderSpec(codeDir: string): FunctionSpec {
  return {
    key: 'primed',
    functionName: '(primed runtime)',
    functionArn: '',
    version: '$LATEST',
    runtime: `nodejs${process.versions.node.split('.')[0]}.x`,
    handler: '',
    codeDir,
    memorySize: 10240,
    timeout: 900,
    ephemeralStorage: PRIMED_EPHEMERAL_STORAGE_MB,
    environment: {},
    logGroupName: '',
    region: '',
  };
}

/** The folders, files and links under dir, parents first; null past `max` entries or on a read error. */
function listTree(dir: string, max: number): Entry[] | null {
  const out: Entry[] = [];
  const walk = (rel: string): boolean => {
    let dirents: fs.Dirent[];
    try {
      dirents = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
    } catch {
      return false;
    }
    for (const d of dirents) {
      const child = rel ? `${rel}/${d.name}` : d.name;
      const kind = d.isDirectory() ? 'dir' : d.isSymbolicLink() ? 'symlink' : d.isFile() ? 'file' : null;
      if (!kind) continue;
      out.push({ rel: child, kind });
      if (out.length > max) return false;
      if (kind === 'dir' && !walk(child)) return false;
    }
    return true;
  };
  return walk('') ? out : null;
}

/** Recreates the tree under slot: folders made, files hard-linked (copied across file systems), links copied. */
function linkTree(from: string, slot: string, entries: readonly Entry[]): void {
  for (const e of entries) {
    const src = path.join(from, e.rel);
    const dest = path.join(slot, e.rel);
    if (e.kind === 'dir') fs.mkdirSync(dest, { mode: 0o755 });
    else if (e.kind === 'symlink') fs.symlinkSync(fs.readlinkSync(src), dest);
    else {
      try {
        fs.linkSync(src, dest);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
        fs.copyFileSync(src, dest);
      }
    }
  }
}
