/**
 * Floors: what the platform's figures are compared with, measured in the same run on
 * the same machine. Nothing here touches Nimbus.
 */
import { spawn } from 'node:child_process';
import { cleanEnv, spawnReady } from './children.ts';
import { sequentialPosts } from './http-client.ts';
import { warmLoad, type LoadResult } from './load.ts';
import { memoryOf, type ProcessMemory } from './proc.ts';
import { summarize, type Summary } from './stats.ts';

export interface EchoServer {
  readonly endpoint: string;
  readonly pid: number;
}

/**
 * Spawn-to-exit of `node -e 0`, in an environment without NODE_EXTRA_CA_CERTS (it costs
 * ~85 ms per start here) and NODE_OPTIONS, as Nimbus builds its sandboxes' environments.
 */
export async function nodeStart(runs: number): Promise<Summary> {
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const t0 = performance.now();
      const child = spawn(process.execPath, ['-e', '0'], { env: cleanEnv(), stdio: 'ignore' });
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`node -e 0 exited ${code}`))));
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

export async function echoThroughput(echo: EchoServer, connections: readonly number[], durationS: number, warmupS: number): Promise<LoadResult[]> {
  const out: LoadResult[] = [];
  for (const c of connections) {
    out.push(await warmLoad({ url: echo.endpoint, body: '{}', expectBody: '{}', connections: c, durationS }, warmupS));
  }
  return out;
}
