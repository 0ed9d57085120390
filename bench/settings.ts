/**
 * What `npm run bench` does, and how much. A few counts can be lowered through the
 * environment while iterating (BENCH_SCALE_FUNCTIONS, BENCH_ASYNC_EVENTS); whole phases
 * are skipped with BENCH_SKIP (see README).
 */
const envInt = (name: string, fallback: number) => {
  const v = process.env[name];
  return v === undefined || v === '' ? fallback : Math.max(0, Math.trunc(Number(v)));
};

export const SETTINGS = {
  nodeStartRuns: 20,
  loopbackRequests: 3000,
  /** IPC round trips alone, inside the relay server. */
  ipcRoundTrips: 3000,
  /** Requests through the relay server (loopback + IPC): the warm floor. */
  relayRequests: 3000,
  warmInvokes: 2000,
  /**
   * Unmeasured requests before each sequential series (floors too): the server's code is
   * compiled by V8 as it runs (optimised after a few thousand calls), and its first
   * invocations are slower than the steady state a warm environment is about.
   */
  warmupRequests: 3000,
  connections: [1, 16, 64],
  echoLoadS: 3,
  nimbusLoadS: 5,
  /** Unmeasured load before each measured one (Nimbus repeats it until no new sandbox starts). */
  loadWarmupS: 1,
  coldStarts: 10,
  /** Between creating a cold-start function and invoking it: time for the runtime pool to refill. */
  coldStartPauseMs: 300,
  /** Idle time before memory is read: past the 1 s after which an idle Node.js runtime compacts its heap. */
  idleSettleMs: 1500,
  /** After the server is ready, before counting its pre-started runtimes. */
  poolSettleMs: 1000,
  scaleFunctions: envInt('BENCH_SCALE_FUNCTIONS', 1000),
  /** CreateFunction calls in flight at once while deploying them. */
  scaleCreateConcurrency: 4,
  asyncEvents: envInt('BENCH_ASYNC_EVENTS', 10_000),
  /** Connections sending the Event invokes at once. */
  asyncSenders: 8,
  /**
   * ReservedConcurrentExecutions of the async function: without it Nimbus, as Lambda,
   * would run up to the unreserved concurrency (900) at once, too many sandboxes for 2 cores.
   */
  asyncReservedConcurrency: 4,
  asyncGiveUpS: 120,
  asyncSteadyShare: 0.5,
  asyncRssGrowthLimitMiB: 100,
  peerConnections: 16,
} as const;

export type Settings = typeof SETTINGS;

export const PHASES = ['throughput', 'scale', 'async', 'nopool', 'peers'] as const;
export type Phase = (typeof PHASES)[number];

/** Phases to skip: BENCH_SKIP=scale,async,...; --no-peers or BENCH_PEERS=0 skip the peers. */
export function skippedPhases(argv: readonly string[], env: NodeJS.ProcessEnv): Set<Phase> {
  const skip = new Set<Phase>();
  for (const p of (env.BENCH_SKIP ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(PHASES as readonly string[]).includes(p)) throw new Error(`BENCH_SKIP: unknown phase ${p} (phases: ${PHASES.join(', ')})`);
    skip.add(p as Phase);
  }
  if (argv.includes('--no-peers') || env.BENCH_PEERS === '0') skip.add('peers');
  return skip;
}
