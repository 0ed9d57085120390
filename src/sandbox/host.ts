/**
 * What this machine offers the sandboxes, found once at start-up: bubblewrap (namespaces),
 * a writable memory cgroup, and a Python interpreter. The pool isolates as much as the
 * host allows and the server says at start-up which mechanisms are in force.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bwrapArgs, type BwrapUser } from './bwrap.ts';
import { closeCgroupRoot, openCgroupRoot, type CgroupRoot } from './cgroup.ts';

/**
 * The user Lambda runs functions as (sbx_user1051, uid 993, gid 990). Sandboxes take it
 * when Nimbus runs as root, so that no function ever runs as the host's root.
 */
export const SANDBOX_UID = 993;
export const SANDBOX_GID = 990;

export interface BubblewrapInfo {
  readonly path: string;
  readonly version: string;
}

export interface SandboxHost {
  /** bubblewrap, when present and able to build a sandbox here; null means plain processes. */
  readonly bwrap: BubblewrapInfo | null;
  /** Where environment memory cgroups go; null means the RSS watchdog alone limits memory. */
  readonly cgroup: CgroupRoot | null;
  /** Who sandboxes run as under bubblewrap when Nimbus is root (null: Nimbus's own user, in a user namespace). */
  readonly user: BwrapUser | null;
  /** Folder holding per-environment /tmp folders when there is no bubblewrap. */
  readonly scratchDir: string;
  /** /etc/passwd and /etc/group shown in sandboxes, naming the user functions run as. */
  readonly identity?: { readonly passwd: string; readonly group: string };
  /** The AWS SDK the Node.js runtime offers functions (runtime-modules.ts); none when absent. */
  readonly runtimeModules?: string;
}

/** No isolation: plain processes, watchdog memory limit, /tmp folders in the OS temp dir. */
export function plainSandboxHost(scratchDir = path.join(os.tmpdir(), `nimbus-sandboxes-${process.pid}`)): SandboxHost {
  return { bwrap: null, cgroup: null, user: null, scratchDir };
}

export interface DetectOptions {
  /** Folder for per-environment /tmp folders (used without bubblewrap). */
  readonly scratchDir: string;
  /** false turns bubblewrap off; a string is its path. Default: `bwrap` on PATH. */
  readonly bwrap?: boolean | string;
  /** false turns cgroups off. */
  readonly cgroup?: boolean;
  /** The folder prepareRuntimeModules built, passed on to the sandboxes. */
  readonly runtimeModules?: string;
}

/** Probes the host. Synchronous and run once, at start-up (it spawns bwrap once). */
export function detectSandboxHost(options: DetectOptions): SandboxHost & { readonly problems: readonly string[] } {
  const problems: string[] = [];
  let bwrap: BubblewrapInfo | null = null;
  let user: BwrapUser | null = null;
  if (options.bwrap !== false) {
    const candidate = typeof options.bwrap === 'string' ? options.bwrap : which('bwrap');
    if (candidate) {
      if (process.getuid?.() === 0) {
        const setpriv = which('setpriv');
        if (setpriv) user = { uid: SANDBOX_UID, gid: SANDBOX_GID, setpriv };
        else problems.push('setpriv (util-linux) is missing: a sandbox cannot drop root, so bubblewrap is not used');
      }
      if (process.getuid?.() !== 0 || user) {
        const probe = probeBubblewrap(candidate, user);
        if (typeof probe === 'string') problems.push(probe);
        else bwrap = probe;
      }
    }
  }
  const cgroup = options.cgroup === false ? null : openCgroupRoot();
  // Folders of environments a crashed server left behind.
  fs.rmSync(options.scratchDir, { recursive: true, force: true });
  const identity = bwrap ? writeIdentity(options.scratchDir, user) : undefined;
  return {
    bwrap,
    cgroup,
    user: bwrap ? user : null,
    scratchDir: options.scratchDir,
    problems,
    ...(identity ? { identity } : {}),
    ...(options.runtimeModules ? { runtimeModules: options.runtimeModules } : {}),
  };
}

/** One line per mechanism, for the server's start-up log. */
export function describeSandboxHost(host: SandboxHost): { readonly warn: boolean; readonly message: string }[] {
  const lines: { warn: boolean; message: string }[] = [];
  if (host.bwrap) {
    const who = host.user ? `uid ${host.user.uid} (dropped from root by setpriv)` : `uid ${process.getuid?.() ?? '?'} in a user namespace`;
    lines.push({
      warn: false,
      message: `sandbox isolation: bubblewrap ${host.bwrap.version} (${host.bwrap.path}): own mount, pid and ipc namespaces, running as ${who}, read-only system, code at /var/task, private size-limited /tmp, no view of the data directory`,
    });
  } else {
    lines.push({
      warn: true,
      message: 'sandbox isolation: NONE: bubblewrap (bwrap) is not usable, so sandboxes are plain processes that can see the host file system, including the Nimbus data directory',
    });
  }
  lines.push({
    warn: false,
    message: host.cgroup
      ? `sandbox memory limit: cgroup v${host.cgroup.version} (${host.cgroup.dir}) plus a resident-memory watchdog`
      : 'sandbox memory limit: resident-memory watchdog (no writable memory cgroup)',
  });
  return lines;
}

/** Removes what detectSandboxHost made (the cgroup folder, the scratch folder). */
export function closeSandboxHost(host: SandboxHost): void {
  if (host.cgroup) closeCgroupRoot(host.cgroup);
  fs.rmSync(host.scratchDir, { recursive: true, force: true });
}

/** passwd and group files naming the sandbox user, as AWS's environments name sbx_user1051. */
function writeIdentity(scratchDir: string, user: BwrapUser | null): { passwd: string; group: string } {
  const dir = path.join(scratchDir, 'etc');
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const uid = user?.uid ?? process.getuid?.() ?? SANDBOX_UID;
  const gid = user?.gid ?? process.getgid?.() ?? SANDBOX_GID;
  const name = user ? 'sbx_user1051' : safeName(os.userInfo().username);
  const passwd = path.join(dir, 'passwd');
  const group = path.join(dir, 'group');
  fs.writeFileSync(passwd, `root:x:0:0:root:/root:/sbin/nologin\n${name}:x:${uid}:${gid}::/home/${name}:/sbin/nologin\n`, { mode: 0o644 });
  fs.writeFileSync(group, `root:x:0:\n${name}:x:${gid}:\n`, { mode: 0o644 });
  return { passwd, group };
}

function safeName(name: string): string {
  return /^[a-z_][a-z0-9_-]*$/i.test(name) && name !== 'root' ? name : 'sbx_user1051';
}

function which(name: string): string | null {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // next
    }
  }
  return null;
}

/** Builds a tiny sandbox the way the pool does; a string explains why that failed. */
function probeBubblewrap(file: string, user: BwrapUser | null): BubblewrapInfo | string {
  try {
    const version = execFileSync(file, ['--version'], { encoding: 'utf8', timeout: 5000, env: {} }).trim().replace(/^bubblewrap\s+/, '');
    const args = bwrapArgs({ user, tmpBytes: 1024 * 1024, binds: [], cwd: '/', command: '/bin/sh', args: ['-c', 'exit 0'] });
    execFileSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000, env: {} });
    return { path: file, version };
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    return `bubblewrap at ${file} cannot build a sandbox here (${stderr || (error as Error).message})${user ? '' : '; unprivileged user namespaces may be disabled'}`;
  }
}

/** The host's Python 3, which every python3.x runtime runs on. */
export interface PythonInfo {
  /** The real interpreter (a pyenv shim resolves to the binary behind it). */
  readonly executable: string;
  /** sys.base_prefix: the installation bubblewrap must show to the sandbox. */
  readonly prefix: string;
  /** "3.11" */
  readonly version: string;
}

let pythonCache: { readonly wanted: string; readonly info: PythonInfo | null } | undefined;

/**
 * The interpreter python3.x functions run on: NIMBUS_PYTHON (a path or command; empty or
 * "none" means no Python), else `python3` on PATH. Found once per value and cached; the
 * first call spawns it (tens of milliseconds), so the server calls this at start-up.
 */
export function hostPython(): PythonInfo | null {
  const wanted = process.env.NIMBUS_PYTHON ?? 'python3';
  if (pythonCache?.wanted === wanted) return pythonCache.info;
  let info: PythonInfo | null = null;
  if (wanted !== '' && wanted !== 'none') {
    try {
      const out = execFileSync(
        wanted,
        ['-S', '-c', 'import sys; print(sys.executable); print(sys.base_prefix); print("%d.%d" % sys.version_info[:2]); sys.exit(0 if sys.version_info[0] == 3 else 1)'],
        { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'ignore'] },
      );
      const [executable, prefix, version] = out.trim().split('\n');
      if (executable && prefix && version) info = { executable: fs.realpathSync(executable), prefix, version };
    } catch {
      info = null;
    }
  }
  pythonCache = { wanted, info };
  return info;
}
