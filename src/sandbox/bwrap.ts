/**
 * The bubblewrap command line of a sandbox. Two ways to build one:
 *
 * - privileged (Nimbus runs as root): bwrap runs as root without a user namespace, keeps
 *   only the capabilities needed to change user, and runs the command through `setpriv`
 *   as an unprivileged uid (AWS's sbx_user1051, 993:990) with every capability, the
 *   bounding set and new privileges gone. A user namespace is not used here on purpose:
 *   its root, or any uid mapped to the caller, would be the host's root to the kernel
 *   (writable /proc/sys, root peer credentials on sockets).
 * - user namespace (Nimbus runs as another user): bwrap builds the sandbox unprivileged
 *   and the command keeps that user's uid.
 *
 * Either way: own mount, pid, ipc (and cgroup) namespaces, no new privileges, killed with
 * its parent, a read-only system, private /proc, /dev and a size-limited tmpfs /tmp.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface BwrapUser {
  readonly uid: number;
  readonly gid: number;
  /** setpriv, which drops to uid/gid inside the sandbox (privileged mode only). */
  readonly setpriv: string;
}

export interface BwrapSpec {
  /** Set when bwrap runs as root: the user the command runs as. */
  readonly user: BwrapUser | null;
  readonly tmpBytes: number;
  /** Folders shown read-only: an fd (passed to bwrap) or a host path, at dest. */
  readonly binds: ReadonlyArray<{ readonly fd?: number; readonly src?: string; readonly dest: string }>;
  /**
   * Folders made from an empty tmpfs, filled by binds and then made read-only: how a
   * read-only folder gets a mount point inside it (/var/runtime and /var/runtime/node_modules).
   */
  readonly tmpfsDirs?: readonly string[];
  readonly symlinks?: ReadonlyArray<{ readonly target: string; readonly dest: string }>;
  readonly cwd: string;
  readonly command: string;
  readonly args: readonly string[];
}

export function bwrapArgs(spec: BwrapSpec): string[] {
  const args = ['--unshare-pid', '--unshare-ipc', '--unshare-cgroup-try', '--die-with-parent', '--new-session'];
  if (spec.user) args.push('--cap-drop', 'ALL', '--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID', '--cap-add', 'CAP_SETPCAP');
  else args.push('--unshare-user', '--disable-userns');
  args.push(...systemBinds());
  args.push('--proc', '/proc', '--dev', '/dev', '--perms', '1777', '--size', String(spec.tmpBytes), '--tmpfs', '/tmp');
  // Folders bwrap creates for mount points are 0700 unless made first.
  const tmpfsDirs = spec.tmpfsDirs ?? [];
  args.push(...parentDirs([...spec.binds.map((b) => b.dest), ...tmpfsDirs, ...(spec.symlinks ?? []).map((l) => l.dest)]));
  for (const dir of tmpfsDirs) args.push('--perms', '0755', '--tmpfs', dir);
  for (const b of spec.binds) {
    if (b.fd !== undefined) args.push('--ro-bind-fd', String(b.fd), b.dest);
    else args.push('--ro-bind', b.src!, b.dest);
  }
  for (const link of spec.symlinks ?? []) args.push('--symlink', link.target, link.dest);
  for (const dir of tmpfsDirs) args.push('--remount-ro', dir);
  args.push('--chdir', spec.cwd, '--');
  if (spec.user) {
    args.push(
      spec.user.setpriv,
      `--reuid=${spec.user.uid}`, `--regid=${spec.user.gid}`, '--clear-groups',
      '--inh-caps=-all', '--bounding-set=-all', '--',
    );
  }
  args.push(spec.command, ...spec.args);
  return args;
}

/**
 * The read-only view of the system: /usr and the merged-/usr links (or the real folders
 * on hosts without merged /usr), and the few files of /etc that programs need (dynamic
 * linker cache, certificates, name resolution, time zones), never all of /etc.
 */
export function systemBinds(): string[] {
  const args = ['--ro-bind', '/usr', '/usr'];
  for (const dir of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    let target: string | null = null;
    try {
      target = fs.readlinkSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
    }
    if (target !== null) args.push('--symlink', target, dir);
    else args.push('--ro-bind', dir, dir);
  }
  args.push('--perms', '0755', '--dir', '/etc');
  for (const file of ETC_FILES) args.push('--ro-bind-try', file, file);
  return args;
}

const ETC_FILES = [
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/alternatives',
  '/etc/ssl',
  '/etc/ca-certificates',
  '/etc/pki',
  '/etc/crypto-policies',
  '/etc/resolv.conf',
  '/etc/hosts',
  '/etc/nsswitch.conf',
  '/etc/host.conf',
  '/etc/gai.conf',
  '/etc/services',
  '/etc/protocols',
  '/etc/localtime',
  '/etc/mime.types',
];

/** `--perms 0755 --dir` for every ancestor of the destinations, outermost first. */
function parentDirs(dests: readonly string[]): string[] {
  const dirs = new Set<string>();
  for (const dest of dests) {
    for (let dir = path.dirname(dest); dir !== '/' && dir !== '.'; dir = path.dirname(dir)) dirs.add(dir);
  }
  const args: string[] = [];
  for (const dir of [...dirs].sort((a, b) => a.length - b.length)) {
    if (dir === '/etc' || dir === '/usr' || dir.startsWith('/usr/') || dir === '/tmp' || dir.startsWith('/tmp/')) continue;
    args.push('--perms', '0755', '--dir', dir);
  }
  return args;
}
