/**
 * Floors: what the platform's figures are compared with, measured in the same run on
 * the same machine. Nothing here touches Nimbus.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanEnv, spawnReady } from './children.ts';
import { keepAliveAgent, request, sequentialPosts } from './http-client.ts';
import { warmLoad, type LoadResult } from './load.ts';
import { memoryOf, type ProcessMemory } from './proc.ts';
import { summarize, type Summary } from './stats.ts';

export interface EchoServer {
  readonly endpoint: string;
  readonly pid: number;
}

/** bench/relay-server.ts: a keep-alive HTTP server doing one IPC round trip to its child per request. */
export type RelayServer = EchoServer;

/**
 * Spawn-to-exit of `node -e 0`, in an environment without NODE_EXTRA_CA_CERTS (it costs
 * ~85 ms per start here) and NODE_OPTIONS, as Nimbus builds its sandboxes' environments.
 */
export function nodeStart(runs: number): Promise<Summary> {
  return timedStarts(['-e', '0'], runs);
}

/**
 * Spawn-to-exit of a node that loads the no-op handler module (require) and exits: the
 * floor of a cold start without pre-started runtimes, a bare node start plus the handler's load.
 */
export async function nodeStartWithHandler(runs: number, handlerSource: string): Promise<Summary> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-bench-handler-'));
  try {
    const file = path.join(dir, 'index.js');
    fs.writeFileSync(file, handlerSource);
    return await timedStarts(['-e', 'require(process.argv[1])', file], runs);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function timedStarts(args: string[], runs: number): Promise<Summary> {
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const t0 = performance.now();
      const child = spawn(process.execPath, args, { env: cleanEnv(), stdio: 'ignore' });
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`node ${args.join(' ')} exited ${code}`))));
    });
  await once(); // page cache
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(await once());
  return summarize(samples);
}

/** Memory of a bare node process that has started and sits idle. */
export async function idleNodeMemory(settleMs: number): Promise<ProcessMemory> {
  const code = `process.stdout.write(JSON.stringify({ pid: process.pid }) + '\\n'); setInterval(() => {}, 1 << 30); process.stdin.on('end', () => process.exit(0));`;
  const child = await spawnReady<{ pid: number }>(['-e', code]);
  try {
    await new Promise((r) => setTimeout(r, settleMs));
    return memoryOf(child.pid);
  } finally {
    await child.dispose();
  }
}

/** Sequential keep-alive round trips to the echo server, one connection. */
export async function loopbackRoundTrip(echo: EchoServer, n: number, warmup: number): Promise<Summary & { errors: number }> {
  const r = await sequentialPosts(echo.endpoint, '{}', n, warmup);
  return { ...summarize(r.samples), errors: r.errors };
}

export function echoThroughput(echo: EchoServer, connections: readonly number[], durationS: number, warmupS: number): Promise<LoadResult[]> {
  return loadSeries(echo.endpoint, connections, durationS, warmupS);
}

/** Load on the relay server's /invoke (started with --children): the throughput floor of a gateway that only relays. */
export function relayThroughput(relay: RelayServer, connections: readonly number[], durationS: number, warmupS: number): Promise<LoadResult[]> {
  return loadSeries(`${relay.endpoint}/invoke`, connections, durationS, warmupS);
}

async function loadSeries(url: string, connections: readonly number[], durationS: number, warmupS: number): Promise<LoadResult[]> {
  const out: LoadResult[] = [];
  for (const c of connections) {
    out.push(await warmLoad({ url, body: '{}', expectBody: '{}', connections: c, durationS }, warmupS));
  }
  return out;
}

/**
 * The warm floor: sequential requests to the relay server, each one loopback keep-alive
 * HTTP round trip plus one parent/child IPC round trip; the same client as Nimbus's warm series.
 */
export async function relayRoundTrip(relay: RelayServer, n: number, warmup: number): Promise<Summary & { errors: number }> {
  const r = await sequentialPosts(`${relay.endpoint}/invoke`, '{}', n, warmup);
  return { ...summarize(r.samples), errors: r.errors };
}

/** n sequential parent/child IPC round trips alone, timed inside the relay server. */
export async function ipcRoundTrip(relay: RelayServer, n: number, warmup: number): Promise<Summary> {
  const agent = keepAliveAgent();
  try {
    const res = await request(agent, `${relay.endpoint}/ipc-rtt?n=${n}&warmup=${warmup}`, 'POST', '');
    if (res.status !== 200) throw new Error(`relay /ipc-rtt: ${res.status}`);
    return summarize(JSON.parse(res.body.toString('utf8')) as number[]);
  } finally {
    agent.destroy();
  }
}
