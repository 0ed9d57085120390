import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { writeTestCredentials } from './server.ts';
import { ensureExecutionRole, STANDARD_TEST_ROLES } from './iam.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/nimbus.js');

export interface ServerProcess {
  readonly proc: ChildProcess;
  readonly endpoint: string;
  /** Resolves with the exit code when the process exits. */
  readonly exited: Promise<number | null>;
}

/** A free loopback port (the server must print its endpoint, so port 0 would hide it). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * `nimbus server` as a real child process on dataDir, ready once it prints its start-up
 * line. The caller kills it; pass `children` to have it collected for an after() hook.
 */
export async function startServerProcess(dataDir: string, children?: ChildProcess[]): Promise<ServerProcess> {
  const port = await freePort();
  writeTestCredentials(dataDir);
  const proc = spawn(process.execPath, [BIN, 'server', '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children?.push(proc);
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 20_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Nimbus listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    proc.once('exit', () => reject(new Error(`server exited: ${out}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  // CreateFunction's Role must name a role Lambda may assume (idempotent on a reused data dir).
  for (const role of STANDARD_TEST_ROLES) await ensureExecutionRole(endpoint, role);
  return { proc, endpoint, exited };
}
