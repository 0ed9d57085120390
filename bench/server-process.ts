/**
 * Nimbus in its own process, so the load generator does not share its event loop.
 * Starts on a free port in a temp data dir, prints {"endpoint","pid"} once listening,
 * and on SIGTERM or stdin closing closes the server (killing every sandbox) and
 * removes the data dir.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AttachRolePolicyCommand, CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { startNimbus, type Nimbus } from '../src/main.ts';

/** Sandboxes must outlive the whole run so the warm phases stay warm. */
const IDLE_TIMEOUT_MS = 30 * 60_000;
/** The role bench/nimbus.ts's functions name (arn:aws:iam::123456789012:role/nimbus-bench). */
const BENCH_ROLE_NAME = 'nimbus-bench';

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
  // CreateFunction's Role must name a role Lambda may assume, auth or not (as AWS checks always).
  await createBenchRole(nimbus.endpoint);
  process.stdout.write(`${JSON.stringify({ endpoint: nimbus.endpoint, pid: process.pid })}\n`);
} catch (err) {
  process.stderr.write(`nimbus failed to start: ${(err as Error).stack ?? String(err)}\n`);
  await stop(1);
}

/** The benchmark functions' execution role: trusts Lambda, may write logs. */
async function createBenchRole(endpoint: string): Promise<void> {
  // Auth is off: any signature is taken as root's, but IAM is routed by the signed credential scope.
  const iam = new IAMClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' }, maxAttempts: 1 });
  try {
    const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
    await iam.send(new CreateRoleCommand({ RoleName: BENCH_ROLE_NAME, AssumeRolePolicyDocument: JSON.stringify(trust) }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: BENCH_ROLE_NAME, PolicyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' }));
  } finally {
    iam.destroy();
  }
}
