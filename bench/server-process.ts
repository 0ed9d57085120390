/**
 * Nimbus in its own process, so the load generator does not share its event loop.
 * Starts on a free port in a temp data dir with authentication on (its default), prints
 * {"endpoint","pid","credentials","runtimePoolSize"} once listening, and on SIGTERM or
 * stdin closing closes the server (killing every sandbox) and removes the data dir.
 *
 * BENCH_RUNTIME_POOL=<n> passes `runtimePool: { size: n }` (0: no pool of pre-started
 * runtimes); unset, the server's default applies.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AttachRolePolicyCommand, CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { startNimbus, type Nimbus } from '../src/main.ts';
import { parseCredentials } from '../src/auth/root-credentials.ts';
import type { Credentials } from './sigv4.ts';

/** Sandboxes must outlive the whole run so the warm phases stay warm. */
const IDLE_TIMEOUT_MS = 30 * 60_000;
/** The role bench/nimbus.ts's functions name (arn:aws:iam::123456789012:role/nimbus-bench). */
const BENCH_ROLE_NAME = 'nimbus-bench';

// The SDK's notice that it will soon need Node 22 would land in the bench's output on every run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

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
  const pool = process.env.BENCH_RUNTIME_POOL;
  // runtimePool is new: a server without it strips the key (zod's default), and the ready line says null.
  const poolOption = pool === undefined ? {} : { runtimePool: { size: Number(pool) } };
  nimbus = await startNimbus({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent', idleTimeoutMs: IDLE_TIMEOUT_MS, ...poolOption });
  // The server wrote its root key to <dataDir>/credentials (AWS shared-credentials format) on start.
  const credentials = parseCredentials(fs.readFileSync(path.join(dataDir, 'credentials'), 'utf8'));
  if (!credentials) throw new Error(`${dataDir}/credentials holds no [default] key pair`);
  // CreateFunction's Role must name a role Lambda may assume.
  await createBenchRole(nimbus.endpoint, credentials);
  const runtimePoolSize = (nimbus.config as { runtimePool?: { size?: number } }).runtimePool?.size ?? null;
  process.stdout.write(`${JSON.stringify({ endpoint: nimbus.endpoint, pid: process.pid, credentials, runtimePoolSize })}\n`);
} catch (err) {
  process.stderr.write(`nimbus failed to start: ${(err as Error).stack ?? String(err)}\n`);
  await stop(1);
}

/** The benchmark functions' execution role: trusts Lambda, may write logs. */
async function createBenchRole(endpoint: string, credentials: Credentials): Promise<void> {
  const iam = new IAMClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  try {
    const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
    await iam.send(new CreateRoleCommand({ RoleName: BENCH_ROLE_NAME, AssumeRolePolicyDocument: JSON.stringify(trust) }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: BENCH_ROLE_NAME, PolicyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' }));
  } finally {
    iam.destroy();
  }
}
