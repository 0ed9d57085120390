/**
 * Nimbus in its own process, so the load generator does not share its event loop.
 * Starts on a free port in a temp data dir, prints {"endpoint","pid"} once listening,
 * and on SIGTERM or stdin closing closes the server (killing every sandbox) and
 * removes the data dir.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startNimbus, type Nimbus } from '../src/main.ts';

/** Sandboxes must outlive the whole run so the warm phases stay warm. */
const IDLE_TIMEOUT_MS = 30 * 60_000;

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-bench-'));
let nimbus: Nimbus | undefined;
let stopping: Promise<void> | undefined;

const stop = (code: number) =>
  (stopping ??= (async () => {
    try {
      await nimbus?.close(1000);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
      process.exit(code);
    }
  })());

process.once('SIGTERM', () => void stop(0));
process.stdin.once('end', () => void stop(0));
process.stdin.resume();

try {
  // The bench's raw HTTP client does not sign (yet): auth off, so these figures exclude SigV4 verification.
  nimbus = await startNimbus({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent', idleTimeoutMs: IDLE_TIMEOUT_MS, auth: 'off' });
  process.stdout.write(`${JSON.stringify({ endpoint: nimbus.endpoint, pid: process.pid })}\n`);
} catch (err) {
  process.stderr.write(`nimbus failed to start: ${(err as Error).stack ?? String(err)}\n`);
  await stop(1);
}
