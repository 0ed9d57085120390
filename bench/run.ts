/**
 * `npm run bench`: Nimbus's figures next to floors and a peer measured in the same run
 * (see DESIGN.md, "Performance budget"), and issue #7's targets checked against them.
 * Prints the tables and writes bench/results.json. The server runs in its own process so
 * the load generator does not share its event loop.
 */
import os from 'node:os';
import { asyncDrain, type DrainResult } from './async-drain.ts';
import { cleanEnv, spawnReady, type ReadyChild } from './children.ts';
import {
  echoThroughput,
  idleNodeMemory,
  ipcRoundTrip,
  loopbackRoundTrip,
  nodeStart,
  nodeStartWithHandler,
  relayRoundTrip,
  relayThroughput,
  type EchoServer,
  type RelayServer,
} from './floors.ts';
import {
  coldStarts,
  deployMany,
  deployNoop,
  NOOP_HANDLER,
  poolCensus,
  reserveConcurrency,
  sandboxMemory,
  scaleName,
  sleep,
  throughput,
  warmLatency,
  type NimbusServer,
} from './nimbus.ts';
import { measureServerlessOffline, type PeerResult } from './peers/serverless-offline.ts';
import { closeScraper } from './prometheus.ts';
import { commandOf, descendantsOf, isAlive } from './proc.ts';
import { machine, RESULTS_FILE, table, writeResults, type Results, type Scale } from './report.ts';
import { SETTINGS, skippedPhases, type Phase } from './settings.ts';
import { round } from './stats.ts';
import { checks } from './targets.ts';

const NOOP = 'bench-noop';
const ASYNC_FN = 'bench-async';
const children: ReadyChild<unknown>[] = [];
const failures: string[] = [];
const NOTHING_MEASURED: Omit<Results['nimbus'], 'noPool'> = {
  runtimePoolSize: null,
  poolAtStart: null,
  warmInvokeMs: null,
  coldStart: null,
  idleSandboxMemory: null,
  poolAfterCold: null,
  scale: null,
  throughput: null,
  asyncDrain: null,
};

async function start<T>(script: string, env?: NodeJS.ProcessEnv, args: readonly string[] = []): Promise<ReadyChild<T>> {
  const child = await spawnReady<T>(['--import', 'tsx', script, ...args], env);
  children.push(child);
  return child;
}

function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

/** Runs one phase; a failure is logged and listed, and the run goes on with the next phase. */
async function phase<T>(name: string, fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch (err) {
    failures.push(`${name}: ${(err as Error).message}`);
    log(`${name} failed: ${(err as Error).stack ?? String(err)}`);
    return null;
  }
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const loadStart = os.loadavg();
  const s = SETTINGS;
  const skip = skippedPhases(process.argv.slice(2), process.env);
  const runs = (p: Phase) => !skip.has(p);
  if (skip.size) log(`skipping: ${[...skip].join(', ')}`);

  // Floors.
  log(`node -e 0 and node loading the no-op handler, x${s.nodeStartRuns} each`);
  const nodeStartMs = await nodeStart(s.nodeStartRuns);
  const nodeHandlerStartMs = await nodeStartWithHandler(s.nodeStartRuns, NOOP_HANDLER);
  const idleNode = await idleNodeMemory(s.idleSettleMs);

  const echoChild = await start<EchoServer>('bench/echo-server.ts');
  log(`loopback round trip x${s.loopbackRequests}`);
  const loopbackRoundTripMs = await phase('loopback', () => loopbackRoundTrip(echoChild.ready, s.loopbackRequests, s.warmupRequests));
  let echoLoad = null;
  if (runs('throughput')) {
    log(`echo server throughput at c=${s.connections.join('/')}`);
    echoLoad = await phase('echo throughput', () => echoThroughput(echoChild.ready, s.connections, s.echoLoadS, s.loadWarmupS));
  }
  await release([echoChild]);

  const relayChild = await start<RelayServer>('bench/relay-server.ts');
  log(`IPC round trip x${s.ipcRoundTrips}, relay (loopback + IPC) x${s.relayRequests}`);
  const ipcRoundTripMs = await phase('IPC', () => ipcRoundTrip(relayChild.ready, s.ipcRoundTrips, s.warmupRequests));
  const relayRoundTripMs = await phase('relay', () => relayRoundTrip(relayChild.ready, s.relayRequests, s.warmupRequests));
  await release([relayChild]);
  let relayLoad = null;
  if (runs('throughput')) {
    // One child per connection at most, each given one request at a time, as sandboxes are.
    const most = Math.max(...s.connections);
    const pooled = await start<RelayServer>('bench/relay-server.ts', undefined, ['--children', String(most)]);
    log(`relay throughput (${most} children) at c=${s.connections.join('/')}`);
    relayLoad = await phase('relay throughput', () => relayThroughput(pooled.ready, s.connections, s.echoLoadS, s.loadWarmupS));
    await release([pooled]);
  }

  // Nimbus, with its default runtime pool.
  const nimbus = (await phase('nimbus', () => nimbusPhases(runs))) ?? NOTHING_MEASURED;
  const noPool = runs('nopool') ? await noPoolPhase() : null;

  let peers: PeerResult[] | null = null;
  if (runs('peers')) {
    const peer = await measureServerlessOffline({
      firstInvokes: s.coldStarts,
      warmInvokes: s.warmInvokes,
      warmupRequests: s.warmupRequests,
      connections: s.peerConnections,
      loadS: s.nimbusLoadS,
      loadWarmupS: s.loadWarmupS,
      log,
    });
    if (!peer.measured) log(`serverless-offline NOT MEASURED: ${peer.reason}`);
    peers = [peer];
  }

  const partial: Omit<Results, 'targets'> = {
    date: new Date().toISOString(),
    machine: machine(),
    nodeExtraCaCertsInParent: process.env.NODE_EXTRA_CA_CERTS !== undefined,
    settings: SETTINGS,
    skipped: [...skip],
    floors: { nodeStartMs, nodeHandlerStartMs, idleNodeMemory: idleNode, loopbackRoundTripMs, ipcRoundTripMs, relayRoundTripMs, echoThroughput: echoLoad, relayThroughput: relayLoad },
    nimbus: { ...nimbus, noPool },
    peers,
    failures,
    loadAverage: { start: loadStart.map((l) => round(l, 2)), end: os.loadavg().map((l) => round(l, 2)) },
    runTimeS: round((performance.now() - t0) / 1000, 1),
  };
  const results: Results = { ...partial, targets: checks(partial) };
  await release(children);
  writeResults(results);
  process.stdout.write(`${table(results)}\n`);
  log(`wrote ${RESULTS_FILE}`);
  if (failures.length) process.exitCode = 1;
}

/** Everything measured on the main server; it is disposed before returning. */
async function nimbusPhases(runs: (p: Phase) => boolean): Promise<Omit<Results['nimbus'], 'noPool'>> {
  const s = SETTINGS;
  const child = await start<NimbusServer>('bench/server-process.ts');
  const server = child.ready;
  log(`nimbus at ${server.endpoint} (pid ${server.pid}, runtime pool ${server.runtimePoolSize ?? 'n/a'})`);
  try {
    await sleep(s.poolSettleMs);
    const poolAtStart = await phase('pool census at start', () => poolCensus(server));
    await deployNoop(server, NOOP);
    log(`warm invoke x${s.warmInvokes}`);
    const warmInvokeMs = await phase('warm invoke', () => warmLatency(server, NOOP, s.warmInvokes, s.warmupRequests));
    log(`cold start x${s.coldStarts} (${s.coldStartPauseMs} ms apart)`);
    const coldStart = await phase('cold start', () => coldStarts(server, 'bench-cold', s.coldStarts, s.coldStartPauseMs));
    // Every sandbox so far has answered at least once and is now idle.
    await sleep(s.idleSettleMs);
    const idleSandboxMemory = sandboxMemory(server);
    const poolAfterCold = await phase('pool census after cold starts', () => poolCensus(server));

    let scale: Scale | null = null;
    if (runs('scale')) {
      scale = await phase('scale', async () => {
        log(`deploying ${s.scaleFunctions} functions, ${s.scaleCreateConcurrency} at a time`);
        const deployment = await deployMany(server, 'bench-scale', s.scaleFunctions, s.scaleCreateConcurrency);
        log(`  took ${deployment.seconds} s; warm invoke x${s.warmInvokes} of ${NOOP} and of one of them`);
        const functionName = scaleName('bench-scale', Math.floor(s.scaleFunctions / 2));
        const warmNoopMs = await warmLatency(server, NOOP, s.warmInvokes, s.warmupRequests);
        const warmScaledMs = await warmLatency(server, functionName, s.warmInvokes, s.warmupRequests);
        return { deployment, functionName, warmNoopMs, warmScaledMs };
      });
    }

    let nimbusLoad = null;
    if (runs('throughput')) {
      log(`nimbus throughput at c=${s.connections.join('/')}`);
      nimbusLoad = await phase('nimbus throughput', () => throughput(server, NOOP, s.connections, s.nimbusLoadS, s.loadWarmupS));
    }

    let drain: DrainResult | null = null;
    if (runs('async')) {
      drain = await phase('async drain', async () => {
        await deployNoop(server, ASYNC_FN);
        await reserveConcurrency(server, ASYNC_FN, s.asyncReservedConcurrency);
        log(`async: ${s.asyncEvents} Event invokes over ${s.asyncSenders} connections, then the drain (at most ${s.asyncGiveUpS} s)`);
        const d = await asyncDrain(server, ASYNC_FN, {
          events: s.asyncEvents,
          senders: s.asyncSenders,
          giveUpS: s.asyncGiveUpS,
          steadyShare: s.asyncSteadyShare,
          rssGrowthLimitMiB: s.asyncRssGrowthLimitMiB,
        });
        log(`  enqueued in ${d.enqueueS} s, drained in ${d.drainS} s`);
        return d;
      });
    }
    return {
      runtimePoolSize: server.runtimePoolSize,
      poolAtStart,
      warmInvokeMs,
      coldStart,
      idleSandboxMemory,
      poolAfterCold,
      scale,
      throughput: nimbusLoad,
      asyncDrain: drain,
    };
  } finally {
    await release([child]);
  }
}

/** Cold starts on a second server whose runtime pool is off (runtimePool.size 0). */
async function noPoolPhase(): Promise<Results['nimbus']['noPool']> {
  const s = SETTINGS;
  return phase('no-pool server', async () => {
    const child = await start<NimbusServer>('bench/server-process.ts', { ...cleanEnv(), BENCH_RUNTIME_POOL: '0' });
    const server = child.ready;
    log(`nimbus without runtime pool at ${server.endpoint} (pid ${server.pid}); cold start x${s.coldStarts}`);
    try {
      await sleep(s.poolSettleMs);
      const poolAtStart = await poolCensus(server);
      const coldStart = await coldStarts(server, 'bench-cold', s.coldStarts, s.coldStartPauseMs);
      return { runtimePoolSize: server.runtimePoolSize, poolAtStart, coldStart };
    } finally {
      await release([child]);
    }
  });
}

/** Disposes children, then kills any descendant (a sandbox) that outlived its parent, and says so. */
async function release(list: ReadonlyArray<ReadyChild<unknown>>): Promise<void> {
  const disposing = [...list];
  children.splice(0, children.length, ...children.filter((c) => !disposing.includes(c)));
  const descendants = disposing.flatMap((c) => (isAlive(c.pid) ? descendantsOf(c.pid) : []));
  const commands = new Map(descendants.map((pid) => [pid, commandOf(pid)]));
  await Promise.allSettled(disposing.map((c) => c.dispose()));
  // Helpers such as tsx's esbuild service exit once their parent's pipe closes: give them a moment.
  for (let i = 0; i < 20 && descendants.some(isAlive); i++) await sleep(100);
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
  closeScraper();
}
