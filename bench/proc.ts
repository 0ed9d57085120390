/** Process facts from Linux /proc: children of a process and their memory. */
import fs from 'node:fs';

export interface ProcessMemory {
  readonly pid: number;
  readonly command: string;
  /** Resident set size, MiB. */
  readonly rssMiB: number;
  /** Private_Clean + Private_Dirty, MiB: what killing the process would give back. */
  readonly privateMiB: number;
  /** Private_Dirty, MiB: private pages written to (heap, stacks), which cannot be reread from a file. */
  readonly privateDirtyMiB: number;
}

/** Direct children of pid, from every thread's children list. */
export function childrenOf(pid: number): number[] {
  const pids = new Set<number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    const text = readOrEmpty(`/proc/${pid}/task/${tid}/children`);
    for (const p of text.split(/\s+/)) if (p) pids.add(Number(p));
  }
  return [...pids];
}

/** pid and all its descendants, children before parents' siblings' children. */
export function descendantsOf(pid: number): number[] {
  const out: number[] = [];
  for (const c of childrenOf(pid)) out.push(c, ...descendantsOf(c));
  return out;
}

export function memoryOf(pid: number): ProcessMemory {
  const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kB = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? NaN);
  return {
    pid,
    command: commandOf(pid),
    rssMiB: kB('Rss') / 1024,
    privateMiB: (kB('Private_Clean') + kB('Private_Dirty')) / 1024,
    privateDirtyMiB: kB('Private_Dirty') / 1024,
  };
}

/** VmRSS of one process (not its children), MiB, from /proc/<pid>/status. */
export function rssOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN) / 1024;
}

export function commandOf(pid: number): string {
  return readOrEmpty(`/proc/${pid}/cmdline`).split('\0').filter(Boolean).join(' ');
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return ''; // the process or thread exited between listing and reading
  }
}
