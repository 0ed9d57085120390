'use strict';
/**
 * The sandbox spawner (started by spawner.ts): forks and execs sandboxes for the server, so
 * that no spawn copies the server's large address space (fork costs grow with the
 * parent's touched memory, and block its event loop meanwhile). Plain CommonJS importing
 * only node: built-ins, started without the server's flags or variables: it starts in
 * tens of milliseconds and stays small.
 *
 * Per request it opens the folders bwrap binds, spawns the process with its stdio pipes,
 * closes the folders, and hands the pipes to the server over the IPC channel, one handle
 * per message (Node passes one at a time, in order). Every message after a handle waits
 * for it, so a child's exit always arrives after its pipes. It exits when its stdin ends
 * (the server stopping it, or gone) or its channel closes, killing what it spawned.
 *
 * Server -> spawner: { t: 'spawn', id, command, args, cwd, env, pipe, dirs }
 * Spawner -> server: { t: 'ready' } once;
 *   { t: 'failed', id, error }   nothing was spawned (a folder would not open, spawn threw);
 *   { t: 'error', id, error }    the spawn failed as ChildProcess reports it ('error', no pid);
 *   { t: 'spawned', id, pid }, then { t: 'stdio', id, fd } with each pipe as its handle
 *                                (fd 0, 1, 2, and 3 when asked), then { t: 'exit', id, code, signal }.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');

/** Spawned processes that have not exited, by pid. */
const live = new Set();

process.on('message', (message) => {
  if (message && message.t === 'spawn') start(message);
});

// The server holds the other end of stdin and never writes: its end means the server is
// done with this process, or gone. ('disconnect' alone would not do: Node postpones it while
// a handle sent waits for the server's acknowledgement, which a dead server never sends.)
process.stdin.on('end', shutDown);
process.stdin.on('error', shutDown);
process.stdin.resume();
process.on('disconnect', shutDown);

// A terminal's ^C and a service manager's TERM are for the server, which stops this
// process itself once its sandboxes are gone (or dies, which ends this one's stdin).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => {});

tell({ t: 'ready' });

/** Whatever this process started goes with it. */
function shutDown() {
  for (const pid of live) killGroup(pid);
  process.exit(0);
}

function start({ id, command, args, cwd, env, pipe, dirs }) {
  const opened = [];
  let child;
  try {
    for (const dir of dirs) opened.push(fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY));
    child = spawn(command, args, {
      cwd,
      env,
      // The folders land at fd 3 + (pipe ? 1 : 0) onwards, where bwrap's --ro-bind-fd expects them.
      stdio: ['pipe', 'pipe', 'pipe', ...(pipe ? ['pipe'] : []), ...opened],
      // Own process group, so a kill reaches whatever the function spawned.
      detached: true,
    });
  } catch (error) {
    tell({ t: 'failed', id, error: errorFields(error) });
    return;
  } finally {
    for (const fd of opened) fs.closeSync(fd);
  }
  // No stdio at all when the spawn failed for want of descriptors (EMFILE).
  const pipes = (child.stdio || []).slice(0, pipe ? 4 : 3);
  // The sockets here started reading at creation: the child may already be writing, and
  // whatever they read would be lost with them. Only the server reads these pipes.
  // (`reading` stays true, so nothing here, e.g. the flush at exit, starts them again.)
  for (const socket of pipes.slice(1)) socket?._handle?.readStop();
  // ChildProcess closes its stdin when the child exits, and one still waiting its turn
  // to be sent would reach the server without its handle.
  child.stdin = null;
  if (child.pid === undefined) {
    for (const socket of pipes) socket?.destroy();
    child.once('error', (error) => tell({ t: 'error', id, error: errorFields(error) }));
    return;
  }
  const pid = child.pid;
  live.add(pid);
  tell({ t: 'spawned', id, pid });
  // Node closes each handle here once the server acknowledged it (no keepOpen).
  pipes.forEach((socket, fd) => tell({ t: 'stdio', id, fd }, socket));
  child.once('exit', (code, signal) => {
    live.delete(pid);
    tell({ t: 'exit', id, code, signal });
  });
  child.on('error', () => {}); // a kill that failed; the server kills by pid itself
}

/**
 * Sends a message (with a handle, one at a time: later messages wait their turn). A write
 * that fails means the server is gone, which the end of stdin handles.
 */
function tell(message, handle) {
  process.send(message, handle, {}, () => {});
}

function killGroup(pid) {
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

/** What an errno error says, as plain fields (an Error does not survive the channel). */
function errorFields(error) {
  return {
    message: String(error && error.message),
    code: error && error.code,
    errno: error && error.errno,
    syscall: error && error.syscall,
    path: error && error.path,
  };
}
