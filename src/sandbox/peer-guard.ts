/**
 * Who is on the other end of a Runtime API connection. Every environment has its own
 * Runtime API port, but any local process can connect to any loopback port; so an
 * environment's server admits a connection only when the connecting socket is held by a
 * process of that environment. The kernel tells: /proc/net/tcp maps the peer's port to its
 * socket inode, and /proc/<pid>/fd shows which processes hold that inode.
 *
 * Reading /proc/net/tcp walks the kernel's whole established-connections hash table
 * (about 6 ms with 262,144 buckets), so one read serves every check whose connection
 * arrived before that read began: a burst of cold starts costs one or two reads.
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

const LOOPBACK_V4 = '0100007F';
const LOOPBACK_V4_IN_V6 = '0000000000000000FFFF00000100007F';

/** Whether procfs can answer at all (Linux with /proc mounted). */
export function peerCheckAvailable(): boolean {
  try {
    fs.accessSync('/proc/net/tcp', fs.constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * True when the loopback connection from peerPort to localPort is held by one of pids.
 * Reads /proc/net/tcp (then tcp6) for the peer socket's inode, then the pids' fd tables.
 */
export async function socketHeldBy(localPort: number, peerPort: number, pids: readonly number[]): Promise<boolean> {
  if (pids.length === 0) return false;
  // The connection exists from now on: any read of the table that starts later shows it.
  const since = performance.now();
  const inode = (await findInode('/proc/net/tcp', localPort, peerPort, since)) ?? (await findInode('/proc/net/tcp6', localPort, peerPort, since));
  if (!inode) return false;
  const link = `socket:[${inode}]`;
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === link) return true;
      } catch {
        // closed meanwhile
      }
    }
  }
  return false;
}

/** The latest read of each table: when it began, and its text. */
const reads = new Map<string, { readonly startedAt: number; readonly text: Promise<string | undefined> }>();

/** The text of a table as read by a read that began at or after `since`, shared when possible. */
function tableSince(file: string, since: number): Promise<string | undefined> {
  const latest = reads.get(file);
  if (latest && latest.startedAt >= since) return latest.text;
  const read = { startedAt: performance.now(), text: fs.promises.readFile(file, 'latin1').catch(() => undefined) };
  reads.set(file, read);
  void read.text.then(() => {
    if (reads.get(file) === read) reads.delete(file);
  });
  return read.text;
}

/** The inode of the socket whose local end is 127.0.0.1:peerPort and remote end 127.0.0.1:localPort. */
async function findInode(file: string, localPort: number, peerPort: number, since: number): Promise<string | undefined> {
  const text = await tableSince(file, since);
  if (text === undefined) return undefined;
  const local = `:${hexPort(peerPort)} `;
  const remote = `:${hexPort(localPort)} `;
  let at = text.indexOf(local);
  while (at >= 0) {
    const lineStart = text.lastIndexOf('\n', at) + 1;
    const lineEnd = text.indexOf('\n', at);
    const fields = text.slice(lineStart, lineEnd < 0 ? undefined : lineEnd).trim().split(/\s+/);
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
    const [, ownEnd, otherEnd, , , , , , , inode] = fields;
    if (
      ownEnd && otherEnd && inode &&
      `${ownEnd} `.endsWith(local) && `${otherEnd} `.endsWith(remote) &&
      isLoopback(ownEnd) && isLoopback(otherEnd) && inode !== '0'
    ) {
      return inode;
    }
    at = text.indexOf(local, at + 1);
  }
  return undefined;
}

function isLoopback(end: string): boolean {
  const address = end.slice(0, end.indexOf(':'));
  return address === LOOPBACK_V4 || address === LOOPBACK_V4_IN_V6;
}

function hexPort(port: number): string {
  return port.toString(16).toUpperCase().padStart(4, '0');
}
