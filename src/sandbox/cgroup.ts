/**
 * Memory cgroups for execution environments (v1 or v2, whichever this host lets Nimbus
 * write). Nimbus makes one folder under its own cgroup, `nimbus-<pid>-<random>`, and one cgroup per
 * environment inside it. A cgroup gives the kernel's hard limit, an exact oom_kill count,
 * and a list of every process of the environment (for the Runtime API's peer check).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const CGROUP_FS = '/sys/fs/cgroup';

export interface CgroupRoot {
  readonly version: 1 | 2;
  /** The folder environment cgroups are made in (`…/nimbus-<pid>-<random>`). */
  readonly dir: string;
}

/**
 * Finds a memory cgroup this process may create children in, makes `nimbus-<pid>-<random>` there,
 * and removes the folders of earlier servers that died without cleaning up. Null when
 * neither v1 nor v2 is writable (non-root without delegation, most containers).
 */
export function openCgroupRoot(): CgroupRoot | null {
  let own: string;
  try {
    own = fs.readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    return null;
  }
  for (const candidate of [v2Parent(own), v1Parent(own)]) {
    if (!candidate) continue;
    sweepStale(candidate.parent);
    // One folder per pool host (a test process may run several servers).
    const dir = path.join(candidate.parent, `nimbus-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      fs.mkdirSync(dir, { recursive: true });
      if (candidate.version === 2) fs.writeFileSync(path.join(dir, 'cgroup.subtree_control'), '+memory');
      return { version: candidate.version, dir };
    } catch {
      try {
        fs.rmdirSync(dir);
      } catch {
        // never made
      }
    }
  }
  return null;
}

/** Removes the root folder (only empty cgroups can be removed; the pool disposes them first). */
export function closeCgroupRoot(root: CgroupRoot): void {
  removeTree(root.dir);
}

function v2Parent(own: string): { version: 2; parent: string } | null {
  const rel = /^0::(.*)$/m.exec(own)?.[1];
  if (rel === undefined || !fs.existsSync(path.join(CGROUP_FS, 'cgroup.controllers'))) return null;
  const parent = path.join(CGROUP_FS, rel);
  // Children get a memory controller only where the parent hands it down (delegation);
  // a non-root cgroup holding processes cannot start handing it down itself.
  try {
    if (!/\bmemory\b/.test(fs.readFileSync(path.join(parent, 'cgroup.subtree_control'), 'utf8'))) return null;
  } catch {
    return null;
  }
  return { version: 2, parent };
}

function v1Parent(own: string): { version: 1; parent: string } | null {
  const rel = /^\d+:(?:[^:]*,)?memory(?:,[^:]*)?:(.*)$/m.exec(own)?.[1];
  const mount = path.join(CGROUP_FS, 'memory');
  if (rel === undefined || !fs.existsSync(path.join(mount, 'memory.limit_in_bytes'))) return null;
  return { version: 1, parent: path.join(mount, rel) };
}

function sweepStale(parent: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = /^nimbus-(\d+)(?:-[0-9a-f]+)?$/.exec(name)?.[1];
    if (!pid || Number(pid) === process.pid || alive(Number(pid))) continue;
    removeTree(path.join(parent, name));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** rmdir of a cgroup folder and its child cgroups (their files are not removable, only the folders). */
function removeTree(dir: string): boolean {
  let entries: fs.Dirent[] = [];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return true;
  }
  for (const e of entries) if (e.isDirectory()) removeTree(path.join(dir, e.name));
  try {
    fs.rmdirSync(dir);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** One environment's cgroup. */
export class EnvironmentCgroup {
  readonly dir: string;
  /** Writing a pid here moves that process (and what it forks later) into the cgroup. */
  readonly procsFile: string;

  /** Makes the cgroup with a hard limit of limitBytes (no swap). Throws when the cgroup cannot be made. */
  constructor(
    private readonly root: CgroupRoot,
    name: string,
    limitBytes: number,
  ) {
    this.dir = path.join(root.dir, name);
    this.procsFile = path.join(this.dir, 'cgroup.procs');
    fs.mkdirSync(this.dir);
    try {
      if (root.version === 1) {
        fs.writeFileSync(path.join(this.dir, 'memory.limit_in_bytes'), String(limitBytes));
        // memsw (memory + swap) exists when swap accounting is on; it must be >= the limit.
        tryWrite(path.join(this.dir, 'memory.memsw.limit_in_bytes'), String(limitBytes));
      } else {
        fs.writeFileSync(path.join(this.dir, 'memory.max'), String(limitBytes));
        tryWrite(path.join(this.dir, 'memory.swap.max'), '0');
      }
    } catch (error) {
      this.remove();
      throw error;
    }
  }

  /** Changes the hard limit (a primed runtime given to a function of another size). */
  setLimit(limitBytes: number): void {
    if (this.root.version === 1) {
      // v1 refuses a memory limit above memsw's: raise memsw first when growing, last when shrinking.
      const memsw = path.join(this.dir, 'memory.memsw.limit_in_bytes');
      tryWrite(memsw, String(limitBytes));
      fs.writeFileSync(path.join(this.dir, 'memory.limit_in_bytes'), String(limitBytes));
      tryWrite(memsw, String(limitBytes));
    } else {
      fs.writeFileSync(path.join(this.dir, 'memory.max'), String(limitBytes));
    }
  }

  /** Every process in the cgroup (read afresh: v1 caches the list an open file has read). */
  pids(): number[] {
    const out: number[] = [];
    for (const line of fs.readFileSync(this.procsFile, 'latin1').split('\n')) if (line) out.push(Number(line));
    return out;
  }

  /** How many times the kernel's OOM killer killed a process here. */
  oomKills(): number {
    const file = this.root.version === 1 ? 'memory.oom_control' : 'memory.events';
    try {
      const text = fs.readFileSync(path.join(this.dir, file), 'utf8');
      return Number(/^oom_kill (\d+)$/m.exec(text)?.[1] ?? 0);
    } catch {
      return 0;
    }
  }

  /**
   * Removes the cgroup once its processes are gone; retries a few times because the
   * kernel frees a killed pid namespace's processes asynchronously.
   */
  async dispose(): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      if (this.remove()) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private remove(): boolean {
    try {
      fs.rmdirSync(this.dir);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ENOENT';
    }
  }
}

function tryWrite(file: string, value: string): void {
  try {
    fs.writeFileSync(file, value);
  } catch {
    // optional knob
  }
}
