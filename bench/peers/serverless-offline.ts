/**
 * The peer measured beside Nimbus: serverless-offline (serverless v3's local Lambda), with
 * the same no-op handler, through the same raw client. Its Lambda Invoke API
 * (`POST /2015-03-31/functions/<name>/invocations`) is the one Nimbus serves.
 *
 * Installed on demand outside the project's dependencies (default
 * ~/.cache/nimbus-bench/peers, or BENCH_PEERS_DIR), once; a failed install or start is
 * reported as "not measured", never thrown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { cleanEnv } from '../children.ts';
import { keepAliveAgent, request, sequentialPosts } from '../http-client.ts';
import { load, type LoadResult } from '../load.ts';
import { NOOP_HANDLER, sleep } from '../nimbus.ts';
import { descendantsOf, isAlive } from '../proc.ts';
import { round, summarize, type Summary } from '../stats.ts';

export const PEER_PACKAGES = ['serverless@3', 'serverless-offline@13'] as const;
const INSTALL_TIMEOUT_MS = 5 * 60_000;
const START_TIMEOUT_MS = 60_000;
const KILL_GRACE_MS = 5_000;
const SERVICE = 'nimbus-bench-peer';
/** serverless names deployed functions <service>-<stage>-<function>. */
const functionName = (i: number) => `${SERVICE}-dev-noop${i}`;

export interface PeerOptions {
  /** Functions in its serverless.yml, each invoked once first: its cold starts. */
  readonly firstInvokes: number;
  readonly warmInvokes: number;
  readonly warmupRequests: number;
  readonly connections: number;
  readonly loadS: number;
  readonly loadWarmupS: number;
  readonly log: (msg: string) => void;
}

export interface PeerResult {
  readonly name: string;
  readonly measured: boolean;
  /** Why it was not measured. */
  readonly reason?: string;
  readonly installDir: string;
  /** Seconds this run spent installing; null when it was installed already. */
  readonly installS: number | null;
  readonly versions?: { readonly serverless: string; readonly serverlessOffline: string };
  /** Spawn to its Lambda port answering. */
  readonly startS?: number;
  /** The first invoke of each of its functions, on an open connection. */
  readonly firstInvokeMs?: Summary;
  readonly warmInvokeMs?: Summary & { errors: number };
  readonly load?: LoadResult;
}

export function peersDir(): string {
  return process.env.BENCH_PEERS_DIR ?? path.join(os.homedir(), '.cache', 'nimbus-bench', 'peers');
}

export async function measureServerlessOffline(opts: PeerOptions): Promise<PeerResult> {
  const installDir = peersDir();
  const base = { name: 'serverless-offline', installDir };
  let installS: number | null = null;
  let versions: { serverless: string; serverlessOffline: string };
  try {
    if (!installed(installDir)) {
      opts.log(`installing ${PEER_PACKAGES.join(' ')} into ${installDir} (once)`);
      const t0 = performance.now();
      await install(installDir);
      installS = round((performance.now() - t0) / 1000, 1);
    }
    versions = { serverless: versionOf(installDir, 'serverless'), serverlessOffline: versionOf(installDir, 'serverless-offline') };
  } catch (err) {
    return { ...base, measured: false, installS, reason: `install failed: ${(err as Error).message}` };
  }
  const serviceDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-bench-peer-'));
  let peer: Peer | undefined;
  try {
    writeService(serviceDir, installDir, Math.max(1, opts.firstInvokes));
    const t0 = performance.now();
    peer = await startOffline(installDir, serviceDir);
    const startS = round((performance.now() - t0) / 1000, 1);
    opts.log(`serverless-offline ${versions.serverlessOffline} at ${peer.endpoint} (pid ${peer.child.pid})`);
    const endpoint = peer.endpoint;
    const urlOf = (i: number) => `${endpoint}/2015-03-31/functions/${functionName(i)}/invocations`;
    const first: number[] = [];
    const agent = keepAliveAgent();
    try {
      await request(agent, `${endpoint}/`, 'GET'); // open the connection before the clock starts
      for (let i = 0; i < opts.firstInvokes; i++) {
        const t = performance.now();
        const res = await request(agent, urlOf(i), 'POST', '{}', { 'content-type': 'application/json' });
        first.push(performance.now() - t);
        if (res.status !== 200) throw new Error(`first invoke of ${functionName(i)}: ${res.status} ${res.body.toString('utf8').slice(0, 200)}`);
      }
    } finally {
      agent.destroy();
    }
    const firstInvokeMs = summarize(first);
    const url = urlOf(0);
    opts.log(`serverless-offline warm invoke x${opts.warmInvokes}`);
    const seq = await sequentialPosts(url, '{}', opts.warmInvokes, opts.warmupRequests);
    opts.log(`serverless-offline throughput at c=${opts.connections}`);
    const loadOpts = { url, body: '{}', expectBody: '{}', connections: opts.connections };
    await load({ ...loadOpts, durationS: opts.loadWarmupS });
    const loaded = await load({ ...loadOpts, durationS: opts.loadS });
    return { ...base, measured: true, installS, versions, startS, firstInvokeMs, warmInvokeMs: { ...summarize(seq.samples), errors: seq.errors }, load: loaded };
  } catch (err) {
    return { ...base, measured: false, installS, versions, reason: (err as Error).message };
  } finally {
    await peer?.dispose();
    removeService(serviceDir);
  }
}

function removeService(serviceDir: string): void {
  fs.rmSync(path.join(serviceDir, 'node_modules', 'serverless-offline'), { force: true }); // the link, not the install
  fs.rmSync(serviceDir, { recursive: true, force: true });
}

function installed(dir: string): boolean {
  return ['serverless', 'serverless-offline'].every((p) => fs.existsSync(path.join(dir, 'node_modules', p, 'package.json')));
}

function versionOf(dir: string, pkg: string): string {
  return (JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
}

/** npm install into dir, not the project: the peer is no dependency of Nimbus. */
async function install(dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const child = spawn('npm', ['install', '--no-audit', '--no-fund', '--prefix', dir, ...PEER_PACKAGES], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (c: Buffer) => (output = (output + c.toString('utf8')).slice(0, 20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const timer = setTimeout(() => child.kill('SIGKILL'), INSTALL_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => {
    child.once('error', (err) => {
      output += String(err);
      resolve(-1);
    });
    child.once('exit', (c) => resolve(c));
  });
  clearTimeout(timer);
  if (code !== 0 || !installed(dir)) {
    // npm's first error lines name the cause (code, and the request that failed).
    const lines = output.split('\n').map((l) => l.trim());
    const errors = lines.filter((l) => /^npm (error|ERR!) \S/.test(l) && !/^npm \S+ (syscall|errno) /.test(l)).slice(0, 2);
    const why = (errors.length ? errors : lines.filter(Boolean).slice(-3)).join(' | ');
    throw new Error(`npm exited ${code === null ? 'on timeout' : code}: ${why}`);
  }
}

/** serverless.yml and handler.js in a temp service dir; the plugin resolves through a link to the install. */
function writeService(serviceDir: string, installDir: string, functions: number): void {
  const yml = [
    `service: ${SERVICE}`,
    "frameworkVersion: '3'",
    'provider:',
    '  name: aws',
    '  runtime: nodejs20.x',
    '  region: us-east-1',
    'plugins:',
    '  - serverless-offline',
    'functions:',
    ...Array.from({ length: functions }, (_, i) => [`  noop${i}:`, '    handler: handler.handler']).flat(),
    '',
  ].join('\n');
  fs.writeFileSync(path.join(serviceDir, 'serverless.yml'), yml);
  fs.writeFileSync(path.join(serviceDir, 'handler.js'), `${NOOP_HANDLER}\n`);
  fs.mkdirSync(path.join(serviceDir, 'node_modules'));
  fs.symlinkSync(path.join(installDir, 'node_modules', 'serverless-offline'), path.join(serviceDir, 'node_modules', 'serverless-offline'), 'dir');
}

interface Peer {
  readonly endpoint: string;
  readonly child: ChildProcess;
  dispose(): Promise<void>;
}

async function startOffline(installDir: string, serviceDir: string): Promise<Peer> {
  const [lambdaPort, httpPort, websocketPort, albPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const cli = path.join(installDir, 'node_modules', 'serverless', 'bin', 'serverless.js');
  const args = [cli, 'offline', '--host', '127.0.0.1', '--lambdaPort', String(lambdaPort), '--httpPort', String(httpPort), '--websocketPort', String(websocketPort), '--albPort', String(albPort), '--noPrependStageInUrl'];
  const env = {
    ...cleanEnv(),
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_DEPRECATION_DISABLE: '*',
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_REGION: 'us-east-1',
  };
  // Its own process group, so dispose() takes whatever it spawned along.
  const child = spawn(process.execPath, args, { cwd: serviceDir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const keep = (c: Buffer) => (output = (output + c.toString('utf8')).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Its own group gets no Ctrl-C from the terminal: if the bench is interrupted, take the group along.
  const interrupted = (sig: NodeJS.Signals) => {
    signalGroup(child.pid!, 'SIGKILL');
    removeService(serviceDir);
    process.kill(process.pid, sig);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const dispose = () => {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    return killGroup(child, exited);
  };
  const endpoint = `http://127.0.0.1:${lambdaPort}`;
  try {
    const deadline = performance.now() + START_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`serverless offline exited (${child.exitCode ?? child.signalCode}): ${output.trim().slice(-500)}`);
      if (await answers(endpoint)) break;
      if (performance.now() > deadline) throw new Error(`serverless offline not answering on ${lambdaPort} after ${START_TIMEOUT_MS} ms: ${output.trim().slice(-500)}`);
      await sleep(100);
    }
    return { endpoint, child, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}

/** Any HTTP answer at all. */
function answers(endpoint: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${endpoint}/`, (res) => {
      res.resume();
      resolve(true);
    });
    req.setTimeout(1000, () => req.destroy());
    req.once('error', () => resolve(false));
  });
}

/** SIGTERM to the process group, SIGKILL after a grace period; then anything left under it. */
async function killGroup(child: ChildProcess, exited: Promise<void>): Promise<void> {
  const pid = child.pid!;
  const stragglers = isAlive(pid) ? descendantsOf(pid) : [];
  const signal = (s: NodeJS.Signals) => signalGroup(pid, s);
  if (child.exitCode === null && child.signalCode === null) {
    signal('SIGTERM');
    const timer = setTimeout(() => signal('SIGKILL'), KILL_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
  signal('SIGKILL');
  for (const p of stragglers.filter(isAlive)) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
