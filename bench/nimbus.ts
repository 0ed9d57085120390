/**
 * Nimbus through its public Lambda API, every request SigV4-signed with the server's root
 * key: warm latency, throughput, cold start, idle sandbox memory, many functions.
 */
import type http from 'node:http';
import { zipFiles } from '../test/helpers/zip.ts';
import { keepAliveAgent, request, sequentialPosts, type Response } from './http-client.ts';
import { load, type LoadResult } from './load.ts';
import { metricSum, scrape } from './prometheus.ts';
import { childrenOf, commandOf, descendantsOf, memoryOf, type ProcessMemory } from './proc.ts';
import { Signer, type Credentials } from './sigv4.ts';
import { round, summarize, type Summary } from './stats.ts';

/** bench/server-process.ts's ready line. */
export interface NimbusServer {
  readonly endpoint: string;
  readonly pid: number;
  readonly credentials: Credentials;
  /** runtimePool.size of the server's parsed config; null when the server has no such option. */
  readonly runtimePoolSize: number | null;
}

const ROLE = 'arn:aws:iam::123456789012:role/nimbus-bench';
export const NOOP_HANDLER = 'exports.handler = async () => ({});';
const JSON_TYPE = { 'content-type': 'application/json' };

const signers = new WeakMap<NimbusServer, Signer>();

function signerOf(server: NimbusServer): Signer {
  let s = signers.get(server);
  if (!s) signers.set(server, (s = new Signer(server.credentials)));
  return s;
}

/** SigV4 headers (with content-type) for one request to the server. */
export function signedHeaders(server: NimbusServer, url: string, method: string, body = '', extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return signerOf(server).headers(url, method, body, { ...JSON_TYPE, ...extra });
}

/** A signed request on the given agent. */
export async function signedRequest(server: NimbusServer, agent: http.Agent, url: string, method: string, body = '', extra: Record<string, string> = {}): Promise<Response> {
  return request(agent, url, method, body, await signedHeaders(server, url, method, body, extra));
}

export const invokeUrl = (server: NimbusServer, name: string) =>
  `${server.endpoint}/2015-03-31/functions/${encodeURIComponent(name)}/invocations`;

let noopZip: Promise<string> | undefined;
/** The no-op's zip, base64, built once and reused by every CreateFunction. */
const noopZipBase64 = () => (noopZip ??= zipFiles({ 'index.js': NOOP_HANDLER }).then((z) => z.toString('base64')));

// CreateFunction, with the no-op handler.
async function createNoop(server: NimbusServer, agent: http.Agent, name: string): Promise<void> {
  const body = JSON.stringify({
    FunctionName: name,
    Runtime: 'nodejs20.x',
    Role: ROLE,
    Handler: 'index.handler',
    Code: { ZipFile: await noopZipBase64() },
  });
  const res = await signedRequest(server, agent, `${server.endpoint}/2015-03-31/functions`, 'POST', body);
  if (res.status !== 201) throw new Error(`CreateFunction ${name}: ${res.status} ${res.body.toString('utf8')}`);
}

export async function deployNoop(server: NimbusServer, name: string): Promise<void> {
  const agent = keepAliveAgent();
  try {
    await createNoop(server, agent, name);
  } finally {
    agent.destroy();
  }
}

// PutFunctionConcurrency.
export async function reserveConcurrency(server: NimbusServer, name: string, n: number): Promise<void> {
  const agent = keepAliveAgent();
  try {
    const url = `${server.endpoint}/2017-10-31/functions/${encodeURIComponent(name)}/concurrency`;
    const res = await signedRequest(server, agent, url, 'PUT', JSON.stringify({ ReservedConcurrentExecutions: n }));
    if (res.status !== 200) throw new Error(`PutFunctionConcurrency ${name}: ${res.status} ${res.body.toString('utf8')}`);
  } finally {
    agent.destroy();
  }
}

export interface Deployment {
  readonly functions: number;
  readonly concurrency: number;
  readonly seconds: number;
  readonly perSecond: number;
  /** Each CreateFunction, client side. */
  readonly createMs: Summary;
}

/** Creates `count` no-op functions named `${prefix}-NNNN`, `concurrency` at a time. */
export async function deployMany(server: NimbusServer, prefix: string, count: number, concurrency: number): Promise<Deployment> {
  const samples: number[] = [];
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    const agent = keepAliveAgent();
    try {
      for (let i = next++; i < count; i = next++) {
        const t = performance.now();
        await createNoop(server, agent, scaleName(prefix, i));
        samples.push(performance.now() - t);
      }
    } finally {
      agent.destroy();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  return { functions: count, concurrency, seconds: round(seconds, 1), perSecond: round(count / seconds, 1), createMs: summarize(samples) };
}

export const scaleName = (prefix: string, i: number) => `${prefix}-${String(i).padStart(4, '0')}`;

/** Sequential signed invokes (each signed before its clock starts) on one connection. */
export async function warmLatency(server: NimbusServer, name: string, n: number, warmup: number): Promise<Summary & { errors: number }> {
  const url = invokeUrl(server, name);
  const r = await sequentialPosts(url, '{}', n, warmup, () => signedHeaders(server, url, 'POST', '{}'));
  return { ...summarize(r.samples), errors: r.errors };
}

/** Most unmeasured warm-up rounds before a measured load; each starts the sandboxes it lacks. */
const MAX_WARMUP_ROUNDS = 10;

export async function throughput(
  server: NimbusServer,
  name: string,
  connections: readonly number[],
  durationS: number,
  warmupS: number,
): Promise<Array<LoadResult & { sandboxes: number }>> {
  const out: Array<LoadResult & { sandboxes: number }> = [];
  const url = invokeUrl(server, name);
  for (const c of connections) {
    // autocannon repeats one request: signed once per run (valid 15 minutes; replays are accepted).
    const opts = async (s: number) => ({ url, body: '{}', expectBody: '{}', connections: c, durationS: s, headers: await signedHeaders(server, url, 'POST', '{}') });
    // Each concurrent invoke needs an environment of its own; on 2 cores starting 64 takes
    // seconds, so warm up until a round starts no new sandbox, then measure.
    let sandboxes = -1;
    for (let round = 0; round < MAX_WARMUP_ROUNDS; round++) {
      await load(await opts(warmupS));
      const now = sandboxPids(server).length;
      if (now === sandboxes) break;
      sandboxes = now;
    }
    out.push({ ...(await load(await opts(durationS))), sandboxes });
  }
  return out;
}

export interface ColdStarts {
  /** First invoke of a just-created function, client side, ms. */
  readonly firstInvokeMs: Summary;
  /** Init Duration from the REPORT line of that invoke (LogType=Tail), ms; n < runs when absent. */
  readonly initDurationMs: Summary;
  /** Pause between creating a function and its first invoke, for the runtime pool to refill. */
  readonly pauseMs: number;
}

/**
 * Creates `runs` functions one at a time (not timed), each followed by a pause for the
 * runtime pool to refill, and times each one's first invoke.
 */
export async function coldStarts(server: NimbusServer, prefix: string, runs: number, pauseMs: number): Promise<ColdStarts> {
  const first: number[] = [];
  const init: number[] = [];
  for (let i = 0; i < runs; i++) {
    const name = `${prefix}-${i}`;
    await deployNoop(server, name);
    await sleep(pauseMs);
    const agent = keepAliveAgent();
    try {
      // A fresh connection is opened before the clock starts: the figure is the invoke, not TCP setup.
      await signedRequest(server, agent, `${server.endpoint}/2015-03-31/functions/?MaxItems=1`, 'GET');
      const url = invokeUrl(server, name);
      const headers = await signedHeaders(server, url, 'POST', '{}', { 'x-amz-log-type': 'Tail' });
      const t0 = performance.now();
      const res = await request(agent, url, 'POST', '{}', headers);
      const ms = performance.now() - t0;
      if (res.status !== 200 || res.headers['x-amz-function-error']) {
        throw new Error(`cold invoke of ${name}: ${res.status} ${res.body.toString('utf8')}`);
      }
      first.push(ms);
      const tail = Buffer.from(String(res.headers['x-amz-log-result'] ?? ''), 'base64').toString('utf8');
      const m = /Init Duration: ([\d.]+) ms/.exec(tail);
      if (m) init.push(Number(m[1]));
    } finally {
      agent.destroy();
    }
  }
  return { firstInvokeMs: summarize(first), initDurationMs: summarize(init), pauseMs };
}

export interface SandboxMemory {
  readonly count: number;
  readonly rssMiB: Summary;
  readonly privateMiB: Summary;
  readonly privateDirtyMiB: Summary;
  readonly processes: ProcessMemory[];
}

/**
 * Sandboxes run the runtime's bootstrap, directly or under bubblewrap (whose command line
 * names it); other children (esbuild under tsx) are not sandboxes.
 */
const SANDBOX_COMMAND = /bootstrap|bwrap/;

/** Children of the server process that are sandboxes. */
export function sandboxPids(server: NimbusServer): number[] {
  return childrenOf(server.pid).filter((pid) => SANDBOX_COMMAND.test(commandOf(pid)));
}

/** RSS and private memory of every sandbox of the server process, now. */
export function sandboxMemory(server: NimbusServer): SandboxMemory {
  const processes: ProcessMemory[] = [];
  for (const pid of sandboxPids(server)) {
    // Under bubblewrap the runtime is a grandchild: a sandbox is its whole process tree.
    let rssMiB = 0;
    let privateMiB = 0;
    let privateDirtyMiB = 0;
    try {
      for (const p of [pid, ...descendantsOf(pid)]) {
        const m = memoryOf(p);
        rssMiB += m.rssMiB;
        privateMiB += m.privateMiB;
        privateDirtyMiB += m.privateDirtyMiB;
      }
      processes.push({ pid, command: commandOf(pid), rssMiB, privateMiB, privateDirtyMiB });
    } catch {
      // exited between listing and reading
    }
  }
  const fix = (p: ProcessMemory): ProcessMemory => ({ ...p, rssMiB: round(p.rssMiB, 1), privateMiB: round(p.privateMiB, 1), privateDirtyMiB: round(p.privateDirtyMiB, 1) });
  return {
    count: processes.length,
    rssMiB: summarize(processes.map((p) => p.rssMiB)),
    privateMiB: summarize(processes.map((p) => p.privateMiB)),
    privateDirtyMiB: summarize(processes.map((p) => p.privateDirtyMiB)),
    processes: processes.map(fix),
  };
}

export interface PoolCensus {
  /** Sandbox processes alive (pre-started runtimes and functions' environments). */
  readonly sandboxes: number;
  /** Environments started for functions so far: nimbus_lambda_cold_starts_total over every function. */
  readonly coldStarts: number;
  /** sandboxes - coldStarts: processes no function has used, i.e. the pool's. */
  readonly unassigned: number;
}

/** How many sandboxes are alive beyond those functions started (none is reaped: the idle timeout is 30 min). */
export async function poolCensus(server: NimbusServer): Promise<PoolCensus> {
  const coldStarts = metricSum(await scrape(server.endpoint), 'nimbus_lambda_cold_starts_total');
  const sandboxes = sandboxPids(server).length;
  return { sandboxes, coldStarts, unassigned: sandboxes - coldStarts };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
