/**
 * Turns a launch plan into the process to spawn: under bubblewrap, a sandbox with its own
 * mount, pid, ipc and cgroup namespaces (see bwrap.ts) that sees a read-only system, its code at
 * /var/task, its runtime at /var/runtime (Node.js: the AWS SDK at /var/runtime/node_modules),
 * its layers at /opt and a private tmpfs /tmp of its EphemeralStorage size, and nothing
 * else of the host (no data directory, no other function's code, no database). Folders are
 * handed to bwrap as open descriptors.
 *
 * With a memory cgroup the process starts as `sh`, which moves itself into the
 * environment's cgroup and then execs the sandbox, so every process of the environment is
 * born inside the cgroup. (A process joining by itself costs ~1 ms; the host moving it
 * costs ~10 ms of blocked event loop, as the kernel then waits for an RCU grace period.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { bwrapArgs } from './bwrap.ts';
import type { SandboxHost } from './host.ts';
import { GUEST_LINKED_MODULES, GUEST_OPT, GUEST_RUNTIME_DIR, GUEST_TASK_ROOT, type LaunchPlan } from './launcher.ts';
import type { FunctionSpec } from './types.ts';

const MB = 1024 * 1024;

export interface SpawnSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** stdio entries after the runtime's pipe (fd 3, when the plan has one): open descriptors to pass. */
  readonly extraStdio: readonly number[];
  /** Closes the descriptors opened for the spawn; call once it has happened (or failed). */
  release(): void;
}

/** `cgroupProcs` is the cgroup.procs file of the environment's cgroup, if it has one. */
export function isolate(plan: LaunchPlan, spec: FunctionSpec, host: SandboxHost, cgroupProcs?: string): SpawnSpec {
  const extraStdio: number[] = [];
  const opened: number[] = [];
  const release = () => {
    for (const fd of opened.splice(0)) {
      try {
        fs.closeSync(fd);
      } catch {
        // already closed
      }
    }
  };
  let command = plan.command;
  let args = [...plan.args];
  let cwd = plan.cwd;
  try {
    if (host.bwrap) {
      /** Opens a folder to hand to bwrap; returns the fd number the child will see. */
      const pass = (dir: string): number => {
        const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
        opened.push(fd);
        extraStdio.push(fd);
        return (plan.pipe ? 3 : 2) + extraStdio.length;
      };
      const binds: { fd?: number; src?: string; dest: string }[] = [{ fd: pass(spec.codeDir), dest: GUEST_TASK_ROOT }];
      const tmpfsDirs: string[] = [];
      const symlinks: { target: string; dest: string }[] = [];
      if (plan.runtimeDir && plan.runtimeModulesDir) {
        // A bind of the runtime folder is read-only, so node_modules cannot be mounted inside
        // it: /var/runtime is a tmpfs holding binds of the runtime's files and of the SDK.
        tmpfsDirs.push(GUEST_RUNTIME_DIR);
        for (const entry of runtimeEntries(plan.runtimeDir)) binds.push({ src: path.join(plan.runtimeDir, entry), dest: `${GUEST_RUNTIME_DIR}/${entry}` });
        binds.push({ fd: pass(plan.runtimeModulesDir), dest: `${GUEST_RUNTIME_DIR}/node_modules` });
        if (plan.linkRuntimeModules) symlinks.push({ target: `${GUEST_RUNTIME_DIR}/node_modules`, dest: GUEST_LINKED_MODULES });
      } else if (plan.runtimeDir) binds.push({ fd: pass(plan.runtimeDir), dest: GUEST_RUNTIME_DIR });
      if (spec.layersDir) binds.push({ fd: pass(spec.layersDir), dest: GUEST_OPT });
      for (const dir of plan.hostDirs ?? []) binds.push({ fd: pass(dir), dest: dir });
      const files = host.identity ? [{ src: host.identity.passwd, dest: '/etc/passwd' }, { src: host.identity.group, dest: '/etc/group' }] : [];
      args = bwrapArgs({
        user: host.user,
        tmpBytes: spec.ephemeralStorage * MB,
        binds: [...binds, ...files],
        tmpfsDirs,
        symlinks,
        cwd: plan.cwd,
        command: plan.command,
        args: plan.args,
      });
      command = host.bwrap.path;
      // bwrap's own cwd must exist on the host; the sandbox's is set by --chdir.
      cwd = '/';
    }
    if (cgroupProcs) {
      args = ['-c', 'echo $$ >"$0"; exec "$@"', cgroupProcs, command, ...args];
      command = '/bin/sh';
    }
  } catch (error) {
    release();
    throw error;
  }
  return {
    command,
    args,
    cwd,
    env: plan.env,
    extraStdio,
    release,
  };
}

/** The entries of a runtime folder, but a node_modules (the SDK's place). */
function runtimeEntries(dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => name !== 'node_modules');
}
