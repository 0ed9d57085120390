/** Nimbus through its public Lambda API: warm latency, throughput, cold start, idle sandbox memory. */
import { zipFiles } from '../test/helpers/zip.ts';
import { keepAliveAgent, request, sequentialPosts } from './http-client.ts';
import { load, type LoadResult } from './load.ts';
import { childrenOf, commandOf, descendantsOf, memoryOf, type ProcessMemory } from './proc.ts';
import { round, summarize, type Summary } from './stats.ts';

export interface NimbusServer {
  readonly endpoint: string;
  readonly pid: number;
}

const ROLE = 'arn:aws:iam::123456789012:role/nimbus-bench';
const NOOP_HANDLER = 'exports.handler = async () => ({});';

export const invokeUrl = (server: NimbusServer, name: string) =>
  `${server.endpoint}/2015-03-31/functions/${encodeURIComponent(name)}/invocations`;

// CreateFunction, with the no-op handler.
export async function deployNoop(server: NimbusServer, name: string): Promise<void> {
  const zip = await zipFiles({ 'index.js': NOOP_HANDLER });
  const body = JSON.stringify({
    FunctionName: name,
    Runtime: 'nodejs20.x',
    Role: ROLE,
    Handler: 'index.handler',
    Code: { ZipFile: zip.toString('base64') },
  });
  const agent = keepAliveAgent();
  try {
    const res = await request(agent, `${server.endpoint}/2015-03-31/functions`, 'POST', body, { 'content-type': 'application/json' });
    if (res.status !== 201) throw new Error(`CreateFunction ${name}: ${res.status} ${res.body.toString('utf8')}`);
  } finally {
    agent.destroy();
  }
}

export async function warmLatency(server: NimbusServer, name: string, n: number, warmup: number): Promise<Summary & { errors: number }> {
  const r = await sequentialPosts(invokeUrl(server, name), '{}', n, warmup);
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
  for (const c of connections) {
    const opts = { url: invokeUrl(server, name), body: '{}', expectBody: '{}', connections: c, durationS };
    // Each concurrent invoke needs an environment of its own; on 2 cores starting 64 takes
    // seconds, so warm up until a round starts no new sandbox, then measure.
    let sandboxes = -1;
    for (let round = 0; round < MAX_WARMUP_ROUNDS; round++) {
      await load({ ...opts, durationS: warmupS });
      const now = sandboxPids(server).length;
      if (now === sandboxes) break;
      sandboxes = now;
    }
    out.push({ ...(await load(opts)), sandboxes });
  }
  return out;
}

export interface ColdStarts {
  /** First invoke of a just-created function, client side, ms. */
  readonly firstInvokeMs: Summary;
  /** Init Duration from the REPORT line of that invoke (LogType=Tail), ms; n < runs when absent. */
  readonly initDurationMs: Summary;
}

/** Creates `runs` functions (not timed) and times each one's first invoke. */
export async function coldStarts(server: NimbusServer, prefix: string, runs: number): Promise<ColdStarts> {
  const first: number[] = [];
  const init: number[] = [];
  for (let i = 0; i < runs; i++) {
    const name = `${prefix}-${i}`;
    await deployNoop(server, name);
    const agent = keepAliveAgent();
    try {
      // A fresh connection is opened before the clock starts: the figure is the invoke, not TCP setup.
      await request(agent, `${server.endpoint}/2015-03-31/functions/?MaxItems=1`, 'GET');
      const t0 = performance.now();
      const res = await request(agent, invokeUrl(server, name), 'POST', '{}', {
        'content-type': 'application/json',
        'x-amz-log-type': 'Tail',
      });
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
  return { firstInvokeMs: summarize(first), initDurationMs: summarize(init) };
}

export interface SandboxMemory {
  readonly count: number;
  readonly rssMiB: Summary;
  readonly privateMiB: Summary;
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
    try {
      for (const p of [pid, ...descendantsOf(pid)]) {
        const m = memoryOf(p);
        rssMiB += m.rssMiB;
        privateMiB += m.privateMiB;
      }
      processes.push({ pid, command: commandOf(pid), rssMiB, privateMiB });
    } catch {
      // exited between listing and reading
    }
  }
  const fix = (p: ProcessMemory): ProcessMemory => ({ ...p, rssMiB: round(p.rssMiB, 1), privateMiB: round(p.privateMiB, 1) });
  return {
    count: processes.length,
    rssMiB: summarize(processes.map((p) => p.rssMiB)),
    privateMiB: summarize(processes.map((p) => p.privateMiB)),
    processes: processes.map(fix),
  };
}
