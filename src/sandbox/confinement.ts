/**
 * What an execution environment holds on the host besides its Runtime API server: its
 * process (spawned isolated, see isolation.ts), its memory cgroup and watchdog, and its
 * /tmp folder when there is no bubblewrap. Made when the environment starts, removed
 * when it dies, so a new environment always starts with an empty /tmp.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import fs from 'node:fs';
import type { Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { EnvironmentCgroup } from './cgroup.ts';
import type { SandboxHost } from './host.ts';
import { isolate } from './isolation.ts';
import type { LaunchPlan } from './launcher.ts';
import { EnvironmentMemory } from './memory.ts';
import { peerCheckAvailable, socketHeldBy } from './peer-guard.ts';
import type { FunctionSpec } from './types.ts';

const MB = 1024 * 1024;
/** Whether procfs can tell who is connecting to a Runtime API (checked once). */
const PEER_CHECK = peerCheckAvailable();
/** Signal names by number, to read bubblewrap's 128+n exit codes. */
const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(
  Object.entries(osConstants.signals).map(([name, n]) => [n, name as NodeJS.Signals]),
);

export interface ConfinementOptions {
  spec: FunctionSpec;
  readonly host: SandboxHost;
  /** Unique per environment (names its cgroup and /tmp folder). */
  readonly id: string;
  readonly onExceeded: (what: 'memory' | 'tmp', usedMB: number) => void;
  readonly logger?: { error(msg: string): void };
}

/**
 * Under bubblewrap /tmp is a tmpfs whose pages the kernel charges to the cgroup: the hard
 * limit leaves room for a full /tmp, and the watchdog holds memory to MemorySize.
 */
function cgroupLimitMB(spec: FunctionSpec, host: SandboxHost): number {
  return spec.memorySize + (host.bwrap ? spec.ephemeralStorage : 0);
}

export class Confinement {
  readonly memory: EnvironmentMemory;
  /** The environment's /tmp on the host, when it has no private tmpfs. */
  readonly tmpDir: string | undefined;
  private readonly cgroup: EnvironmentCgroup | null = null;
  private readonly scratch: string | undefined;

  constructor(private readonly options: ConfinementOptions) {
    const { spec, host, id } = options;
    if (!host.bwrap) {
      this.scratch = path.join(host.scratchDir, id);
      this.tmpDir = path.join(this.scratch, 'tmp');
      fs.mkdirSync(this.tmpDir, { recursive: true, mode: 0o700 });
    }
    if (host.cgroup) {
      try {
        this.cgroup = new EnvironmentCgroup(host.cgroup, id, cgroupLimitMB(spec, host) * MB);
      } catch (error) {
        options.logger?.error(`sandbox: cannot make a memory cgroup for ${spec.functionName}: ${String(error)}`);
      }
    }
    this.memory = new EnvironmentMemory({
      limitMB: spec.memorySize,
      cgroup: this.cgroup,
      onExceeded: options.onExceeded,
      ...(this.tmpDir ? { tmp: { dir: this.tmpDir, limitMB: spec.ephemeralStorage } } : {}),
    });
  }

  /**
   * Gives a primed runtime's confinement (made for a placeholder spec) to a function: its
   * memory limits and its listener. The process keeps its /tmp and its place in the cgroup.
   */
  reassign(spec: FunctionSpec, onExceeded: ConfinementOptions['onExceeded']): void {
    this.options.spec = spec;
    try {
      this.cgroup?.setLimit(cgroupLimitMB(spec, this.options.host) * MB);
    } catch (error) {
      this.options.logger?.error(`sandbox: cannot set the memory cgroup limit of ${spec.functionName}: ${String(error)}`);
    }
    this.memory.reassign(spec.memorySize, spec.ephemeralStorage, onExceeded);
  }

  get sandboxed(): boolean {
    return this.options.host.bwrap !== null;
  }

  /** Spawns the plan inside the confinement. Throws (synchronously) if it cannot even try. */
  spawn(plan: LaunchPlan): ChildProcess {
    const target = isolate(plan, this.options.spec, this.options.host, this.cgroup?.procsFile);
    let child: ChildProcess;
    try {
      child = spawn(target.command, target.args, {
        cwd: target.cwd,
        env: target.env,
        // stdin stays an open pipe: the runtime exits when it reaches EOF (host gone).
        // fd 3: the runtime's pipe, when it speaks the Runtime API over one.
        stdio: ['pipe', 'pipe', 'pipe', ...(plan.pipe ? ['pipe'] : []), ...target.extraStdio] as StdioOptions,
        // Own process group, so a kill reaches whatever the function spawned.
        detached: true,
      });
    } finally {
      target.release();
    }
    if (child.pid !== undefined) this.memory.attach(child.pid);
    return child;
  }

  /**
   * Whether a Runtime API connection comes from a process of this environment. Without
   * procfs nothing can tell, and every connection is admitted.
   */
  holds(socket: Socket): Promise<boolean> {
    if (!PEER_CHECK) return Promise.resolve(true);
    return socketHeldBy(socket.localPort ?? 0, socket.remotePort ?? 0, this.memory.pids());
  }

  /** How the runtime ended: bubblewrap reports a runtime killed by signal n as exit status 128+n. */
  runtimeExit(code: number | null, signal: NodeJS.Signals | null): { code: number | null; signal: NodeJS.Signals | null } {
    if (this.sandboxed && code !== null && code > 128 && SIGNAL_NAMES.has(code - 128)) {
      return { code: null, signal: SIGNAL_NAMES.get(code - 128)! };
    }
    return { code, signal };
  }

  private readonly alsoRemove: string[] = [];

  /** A host folder to remove with the confinement (a primed runtime's code slot). */
  removeOnDispose(dir: string): void {
    this.alsoRemove.push(dir);
  }

  /** Removes the cgroup and the /tmp folder; call once the process is gone. */
  async dispose(): Promise<void> {
    this.memory.stop();
    await this.cgroup?.dispose();
    for (const dir of [...(this.scratch ? [this.scratch] : []), ...this.alsoRemove]) {
      await fs.promises.rm(dir, { recursive: true, force: true });
    }
  }
}
