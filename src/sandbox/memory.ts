/**
 * An environment's memory: which processes it has, how much they hold, the peak
 * (REPORT's Max Memory Used), and the watchdog that kills the environment when it holds
 * more than its MemorySize.
 *
 * "Memory" is what the processes hold resident, not the files in /tmp: on AWS /tmp is a
 * disk, while here it may be a tmpfs whose pages the kernel charges to the environment's
 * cgroup. So the cgroup's hard limit is MemorySize plus the tmpfs size (a backstop the
 * kernel enforces instantly), and this watchdog enforces MemorySize itself on the sum of
 * the processes' resident sets, sampled every WATCH_BUSY_MS while an invocation runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EnvironmentCgroup } from './cgroup.ts';

/** Sampling period while an invocation runs, and while the environment idles. */
export const WATCH_BUSY_MS = 100;
export const WATCH_IDLE_MS = 1000;
/** How often a /tmp that is a host folder is measured (a walk of the folder). */
const TMP_EVERY_MS = 500;
const MB = 1024 * 1024;

export interface MemoryWatchOptions {
  limitMB: number;
  readonly cgroup: EnvironmentCgroup | null;
  /** Called once when the environment holds more than limitMB, or its /tmp folder outgrows its size. */
  onExceeded: (what: 'memory' | 'tmp', usedMB: number) => void;
  /** Only when /tmp is a host folder (no bubblewrap): measured and limited here. */
  tmp?: { readonly dir: string; readonly limitMB: number };
}

export class EnvironmentMemory {
  private rootPid = 0;
  private peak = 0;
  private timer: NodeJS.Timeout | null = null;
  /** When the pending sample is due (performance.now()). */
  private dueAt = 0;
  private busy = false;
  private lastTmpCheck = 0;
  private exceeded: 'memory' | 'tmp' | null = null;
  private readonly buf = Buffer.allocUnsafe(4096);

  constructor(private readonly options: MemoryWatchOptions) {}

  /** New limits and listener, when a primed runtime is given to a function (primed-runtimes.ts). */
  reassign(limitMB: number, tmpLimitMB: number, onExceeded: MemoryWatchOptions['onExceeded']): void {
    this.options.limitMB = limitMB;
    if (this.options.tmp) this.options.tmp = { dir: this.options.tmp.dir, limitMB: tmpLimitMB };
    this.options.onExceeded = onExceeded;
  }

  /** Starts watching the environment whose outermost process is pid. */
  attach(pid: number): void {
    this.rootPid = pid;
    this.schedule();
  }

  /**
   * Samples often while an invocation runs, rarely otherwise. Going busy brings a sample
   * scheduled at the idle rate forward; going idle leaves a pending busy-rate sample be (the
   * next is at the idle rate), so back-to-back invocations cost no timer work.
   */
  setBusy(busy: boolean): void {
    if (this.busy === busy) return;
    this.busy = busy;
    if (busy && this.timer && this.dueAt - performance.now() > WATCH_BUSY_MS) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.schedule();
  }

  /** What the watchdog found, if it fired. */
  get exceededBy(): 'memory' | 'tmp' | null {
    return this.exceeded;
  }

  /** Whether the kernel (cgroup) or the watchdog killed the environment for its memory. */
  outOfMemory(): boolean {
    return this.exceeded === 'memory' || (this.options.cgroup?.oomKills() ?? 0) > 0;
  }

  /** Every live process of the environment. */
  pids(): number[] {
    if (this.options.cgroup) {
      try {
        return this.options.cgroup.pids();
      } catch {
        // fall back to the process tree
      }
    }
    return this.rootPid > 0 ? processTree(this.rootPid) : [];
  }

  /** Peak memory so far in MB (rounded up), after a fresh sample. */
  read(): number {
    this.sample();
    return this.peakMB;
  }

  get peakMB(): number {
    return Math.ceil(this.peak / MB);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.rootPid = 0;
  }

  private schedule(): void {
    if (this.rootPid <= 0 || this.timer || this.exceeded) return;
    const delay = this.busy ? WATCH_BUSY_MS : WATCH_IDLE_MS;
    this.dueAt = performance.now() + delay;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.tick();
      this.schedule();
    }, delay);
    this.timer.unref();
  }

  private tick(): void {
    const resident = this.sample();
    if (this.exceeded) return;
    if (resident > this.options.limitMB * MB) {
      this.fire('memory', Math.ceil(resident / MB));
      return;
    }
    const tmp = this.options.tmp;
    const now = Date.now();
    if (tmp && this.busy && now - this.lastTmpCheck >= TMP_EVERY_MS) {
      this.lastTmpCheck = now;
      const used = folderBytes(tmp.dir);
      if (used > tmp.limitMB * MB) this.fire('tmp', Math.ceil(used / MB));
    }
  }

  private fire(what: 'memory' | 'tmp', usedMB: number): void {
    this.exceeded = what;
    this.options.onExceeded(what, usedMB);
  }

  /** Sums resident and peak-resident sizes over the processes; returns current resident bytes. */
  private sample(): number {
    let resident = 0;
    let peak = 0;
    for (const pid of this.pids()) {
      const s = this.status(pid);
      if (!s) continue;
      resident += s.rss;
      peak += Math.max(s.hwm, s.rss);
    }
    if (peak > this.peak) this.peak = peak;
    return resident;
  }

  /** VmRSS and VmHWM of one process, without the tmpfs pages it maps (RssShmem). */
  private status(pid: number): { rss: number; hwm: number } | null {
    let fd = -1;
    try {
      fd = fs.openSync(`/proc/${pid}/status`, 'r');
      const n = fs.readSync(fd, this.buf, 0, this.buf.length, 0);
      const text = this.buf.toString('latin1', 0, n);
      const shmem = kb(text, 'RssShmem:');
      return { rss: Math.max(0, kb(text, 'VmRSS:') - shmem), hwm: Math.max(0, kb(text, 'VmHWM:') - shmem) };
    } catch {
      return null;
    } finally {
      if (fd >= 0) fs.closeSync(fd);
    }
  }
}

function kb(text: string, field: string): number {
  const at = text.indexOf(field);
  if (at < 0) return 0;
  const n = Number.parseInt(text.slice(at + field.length, at + field.length + 24).trim(), 10);
  return Number.isFinite(n) ? n * 1024 : 0;
}

/** A process and its descendants, from procfs's per-thread children lists. */
export function processTree(root: number): number[] {
  const out: number[] = [];
  const queue = [root];
  const seen = new Set<number>();
  while (queue.length > 0) {
    const pid = queue.shift()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    let tids: string[];
    try {
      tids = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    out.push(pid);
    for (const tid of tids) {
      try {
        const children = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1');
        for (const c of children.split(' ')) if (c) queue.push(Number(c));
      } catch {
        // thread gone
      }
    }
  }
  return out;
}

/** Bytes of the regular files under dir (allocated blocks, as `du` counts them). */
export function folderBytes(dir: string): number {
  let total = 0;
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile()) {
        try {
          const st = fs.lstatSync(full);
          total += Math.max(st.size, st.blocks * 512);
        } catch {
          // removed meanwhile
        }
      }
    }
  };
  walk(dir);
  return total;
}
