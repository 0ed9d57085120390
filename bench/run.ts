/**
 * `npm run bench`: Nimbus's figures next to floors measured in the same run (see
 * DESIGN.md, "Performance budget"). Prints a table and writes bench/results.json.
 * The server runs in its own process so the load generator does not share its event loop.
 */
import os from 'node:os';
import { spawnReady, type ReadyChild } from './children.ts';
import { echoThroughput, idleNodeMemory, loopbackRoundTrip, nodeStart, type EchoServer } from './floors.ts';
import { coldStarts, deployNoop, sandboxMemory, throughput, warmLatency, type NimbusServer } from './nimbus.ts';
import { commandOf, descendantsOf, isAlive } from './proc.ts';
import { machine, RESULTS_FILE, table, writeResults, type Results } from './report.ts';
import { round } from './stats.ts';

const SETTINGS = {
  nodeStartRuns: 20,
  loopbackRequests: 3000,
  warmInvokes: 2000,
  /** Unmeasured requests before each sequential series. */
  warmupRequests: 200,
  connections: [1, 16, 64],
  echoLoadS: 3,
  nimbusLoadS: 5,
  /** Unmeasured load before each measured one (Nimbus repeats it until no new sandbox starts). */
  loadWarmupS: 1,
  coldStarts: 10,
  idleSettleMs: 500,
} as const;

const NOOP = 'bench-noop';
const children: ReadyChild<unknown>[] = [];

async function start<T>(script: string): Promise<ReadyChild<T>> {
  const child = await spawnReady<T>(['--import', 'tsx', script]);
  children.push(child);
  return child;
}

function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const loadStart = os.loadavg();
  const s = SETTINGS;

  log(`node -e 0 x${s.nodeStartRuns}`);
  const nodeStartMs = await nodeStart(s.nodeStartRuns);
  const idleNode = await idleNodeMemory(s.idleSettleMs);

  const echoChild = await start<EchoServer>('bench/echo-server.ts');
  const echo = echoChild.ready;
  log(`loopback round trip x${s.loopbackRequests}`);
  const loopbackRoundTripMs = await loopbackRoundTrip(echo, s.loopbackRequests, s.warmupRequests);
  log(`echo server throughput at c=${s.connections.join('/')}`);
  const echoLoad = await echoThroughput(echo, s.connections, s.echoLoadS, s.loadWarmupS);
  await release([echoChild]);

  const server = (await start<NimbusServer>('bench/server-process.ts')).ready;
  log(`nimbus at ${server.endpoint} (pid ${server.pid})`);
  await deployNoop(server, NOOP);
  log(`warm invoke x${s.warmInvokes}`);
  const warmInvokeMs = await warmLatency(server, NOOP, s.warmInvokes, s.warmupRequests);
  log(`cold start x${s.coldStarts}`);
  const coldStart = await coldStarts(server, 'bench-cold', s.coldStarts);
  // Every sandbox so far has answered at least once and is now idle.
  await new Promise((r) => setTimeout(r, s.idleSettleMs));
  const idleSandboxMemory = sandboxMemory(server);
  log(`nimbus throughput at c=${s.connections.join('/')}`);
  const nimbusLoad = await throughput(server, NOOP, s.connections, s.nimbusLoadS, s.loadWarmupS);

  const results: Results = {
    date: new Date().toISOString(),
    machine: machine(),
    nodeExtraCaCertsInParent: process.env.NODE_EXTRA_CA_CERTS !== undefined,
    settings: SETTINGS,
    floors: { nodeStartMs, idleNodeMemory: idleNode, loopbackRoundTripMs, echoThroughput: echoLoad },
    nimbus: { warmInvokeMs, throughput: nimbusLoad, coldStart, idleSandboxMemory },
    loadAverage: { start: loadStart.map((l) => round(l, 2)), end: os.loadavg().map((l) => round(l, 2)) },
    runTimeS: round((performance.now() - t0) / 1000, 1),
  };
  await release(children);
  writeResults(results);
  process.stdout.write(`${table(results)}\n`);
  log(`wrote ${RESULTS_FILE}`);
}

/** Disposes children, then kills any descendant (a sandbox) that outlived its parent, and says so. */
async function release(list: ReadonlyArray<ReadyChild<unknown>>): Promise<void> {
  const disposing = [...list];
  children.splice(0, children.length, ...children.filter((c) => !disposing.includes(c)));
  const descendants = disposing.flatMap((c) => (isAlive(c.pid) ? descendantsOf(c.pid) : []));
  const commands = new Map(descendants.map((pid) => [pid, commandOf(pid)]));
  await Promise.allSettled(disposing.map((c) => c.dispose()));
  // Helpers such as tsx's esbuild service exit once their parent's pipe closes: give them a moment.
  for (let i = 0; i < 20 && descendants.some(isAlive); i++) await new Promise((r) => setTimeout(r, 100));
  for (const pid of descendants.filter(isAlive)) {
    log(`warning: pid ${pid} outlived its parent, killing it: ${commands.get(pid)}`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

try {
  await main();
} catch (err) {
  process.exitCode = 1;
  log(`failed: ${(err as Error).stack ?? String(err)}`);
} finally {
  await release(children);
}
