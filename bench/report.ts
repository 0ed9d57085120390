/** The tables printed to stdout and bench/results.json. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DrainResult } from './async-drain.ts';
import type { LoadResult } from './load.ts';
import type { ColdStarts, Deployment, PoolCensus, SandboxMemory } from './nimbus.ts';
import type { PeerResult } from './peers/serverless-offline.ts';
import type { ProcessMemory } from './proc.ts';
import type { Settings } from './settings.ts';
import type { Summary } from './stats.ts';
import type { Check } from './targets.ts';

type Sequential = Summary & { errors: number };

export interface Scale {
  readonly deployment: Deployment;
  /** One of the deployed functions, measured warm. */
  readonly functionName: string;
  readonly warmNoopMs: Sequential;
  readonly warmScaledMs: Sequential;
}

/** Every figure is null when its phase was skipped or failed (see skipped and failures). */
export interface Results {
  readonly date: string;
  readonly machine: Machine;
  /** NODE_EXTRA_CA_CERTS was set in the bench's environment (floors and children run without it). */
  readonly nodeExtraCaCertsInParent: boolean;
  readonly settings: Settings;
  readonly skipped: string[];
  readonly floors: {
    readonly nodeStartMs: Summary;
    /** node started to load the no-op handler module and exit: the no-pool cold start's floor. */
    readonly nodeHandlerStartMs: Summary;
    readonly idleNodeMemory: ProcessMemory;
    readonly loopbackRoundTripMs: Sequential | null;
    readonly ipcRoundTripMs: Summary | null;
    /** Loopback HTTP round trip plus one IPC round trip: the warm invoke floor. */
    readonly relayRoundTripMs: Sequential | null;
    readonly echoThroughput: LoadResult[] | null;
    /**
     * The relay server with one child per connection at most, each given one request at a
     * time: what a gateway with Lambda's semantics that does nothing but relay answers.
     */
    readonly relayThroughput?: LoadResult[] | null;
  };
  readonly nimbus: {
    /** runtimePool.size of the server's config; null when the server has no such option. */
    readonly runtimePoolSize: number | null;
    readonly poolAtStart: PoolCensus | null;
    readonly warmInvokeMs: Sequential | null;
    readonly coldStart: ColdStarts | null;
    readonly idleSandboxMemory: SandboxMemory | null;
    readonly poolAfterCold: PoolCensus | null;
    readonly scale: Scale | null;
    /** Each with the number of sandboxes alive once warm-up stopped starting new ones. */
    readonly throughput: Array<LoadResult & { sandboxes: number }> | null;
    readonly asyncDrain: DrainResult | null;
    /** A second server with runtimePool.size 0. */
    readonly noPool: { readonly runtimePoolSize: number | null; readonly poolAtStart: PoolCensus | null; readonly coldStart: ColdStarts | null } | null;
  };
  readonly peers: PeerResult[] | null;
  readonly targets: Check[];
  /** Phases that threw, with the message. */
  readonly failures: string[];
  /** os.loadavg() before and after: anything else running skews every figure. */
  readonly loadAverage: { readonly start: number[]; readonly end: number[] };
  readonly runTimeS: number;
}

export interface Machine {
  readonly os: string;
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly totalMemMiB: number;
  readonly node: string;
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    totalMemMiB: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
  };
}

export const RESULTS_FILE = path.join(import.meta.dirname, 'results.json');

/** Written whole, then renamed, so a failed run never leaves half a file. */
export function writeResults(results: Results): void {
  const tmp = `${RESULTS_FILE}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(results, null, 2)}\n`);
  fs.renameSync(tmp, RESULTS_FILE);
}

/** AWS Lambda's published cold start for Node.js 20 (Init Duration), as issue #7 cites it: a reference, not a floor. */
export const AWS_INIT_DURATION_MS = { low: 116, high: 148 } as const;

type Unit = 'ms' | 'req/s' | 'MiB';
type Row = [metric: string, nimbus: number | undefined, floor: number | undefined, unit: Unit, floorName: string];

const fmt = (v: number | undefined, unit: Unit) =>
  v === undefined ? '' : Number.isNaN(v) ? 'n/a' : unit === 'req/s' ? v.toFixed(0) : unit === 'MiB' ? v.toFixed(1) : v.toFixed(2);
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? '' : Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : 'n/a');

export function table(r: Results): string {
  return [figures(r), '', targetTable(r), '', peerTable(r), '', footer(r)].join('\n');
}

/** Nimbus next to the floors of the same run. */
function figures(r: Results): string {
  const { floors: f, nimbus: n, settings: s } = r;
  const rows: Row[] = [];
  const relay = f.relayRoundTripMs;
  rows.push(
    ['warm invoke p50, c=1', n.warmInvokeMs?.p50 ?? NaN, relay?.p50 ?? NaN, 'ms', 'loopback + IPC'],
    ['warm invoke p99, c=1', n.warmInvokeMs?.p99 ?? NaN, relay?.p99 ?? NaN, 'ms', 'loopback + IPC'],
    ['warm invoke mean, c=1', n.warmInvokeMs?.mean ?? NaN, relay?.mean ?? NaN, 'ms', 'loopback + IPC'],
    ['  floor part: loopback RTT p50', undefined, f.loopbackRoundTripMs?.p50 ?? NaN, 'ms', 'echo server'],
    ['  floor part: loopback RTT p99', undefined, f.loopbackRoundTripMs?.p99 ?? NaN, 'ms', 'echo server'],
    ['  floor part: IPC RTT p50', undefined, f.ipcRoundTripMs?.p50 ?? NaN, 'ms', 'fork() IPC'],
    ['  floor part: IPC RTT p99', undefined, f.ipcRoundTripMs?.p99 ?? NaN, 'ms', 'fork() IPC'],
  );
  if (n.scale) {
    const sc = n.scale;
    rows.push(
      [`warm p50, ${s.scaleFunctions} functions, bench-noop`, sc.warmNoopMs.p50, n.warmInvokeMs?.p50 ?? NaN, 'ms', 'one function'],
      [`warm p99, ${s.scaleFunctions} functions, bench-noop`, sc.warmNoopMs.p99, n.warmInvokeMs?.p99 ?? NaN, 'ms', 'one function'],
      [`warm p50, ${s.scaleFunctions} functions, ${sc.functionName}`, sc.warmScaledMs.p50, n.warmInvokeMs?.p50 ?? NaN, 'ms', 'one function'],
      [`warm p99, ${s.scaleFunctions} functions, ${sc.functionName}`, sc.warmScaledMs.p99, n.warmInvokeMs?.p99 ?? NaN, 'ms', 'one function'],
    );
  }
  for (const t of n.throughput ?? []) {
    const e = f.echoThroughput?.find((l) => l.connections === t.connections);
    const relayed = f.relayThroughput?.find((l) => l.connections === t.connections);
    rows.push(
      [`throughput, c=${t.connections}`, t.requestsPerSec, e?.requestsPerSec ?? NaN, 'req/s', 'echo server'],
      [`  relay floor, c=${t.connections}`, relayed?.requestsPerSec ?? NaN, e?.requestsPerSec ?? NaN, 'req/s', 'echo server'],
      [`  latency p50, c=${t.connections}`, t.latencyMs.p50, e?.latencyMs.p50 ?? NaN, 'ms', 'echo server'],
      [`  latency p99, c=${t.connections}`, t.latencyMs.p99, e?.latencyMs.p99 ?? NaN, 'ms', 'echo server'],
    );
  }
  const pool = `pool ${n.runtimePoolSize ?? 'n/a'}`;
  const cold = n.coldStart;
  rows.push(
    [`cold start p50, ${pool} (first invoke)`, cold?.firstInvokeMs.p50 ?? NaN, f.nodeStartMs.p50, 'ms', 'node -e 0'],
    [`cold start p99, ${pool} (first invoke)`, cold?.firstInvokeMs.p99 ?? NaN, f.nodeStartMs.p99, 'ms', 'node -e 0'],
    [`  REPORT Init Duration p50, ${pool}`, cold?.initDurationMs.p50 ?? NaN, f.nodeStartMs.p50, 'ms', 'node -e 0'],
  );
  if (n.noPool) {
    const np = n.noPool.coldStart;
    rows.push(
      ['cold start p50, no pool (first invoke)', np?.firstInvokeMs.p50 ?? NaN, f.nodeHandlerStartMs.p50, 'ms', 'node + handler load'],
      ['cold start p99, no pool (first invoke)', np?.firstInvokeMs.p99 ?? NaN, f.nodeHandlerStartMs.p99, 'ms', 'node + handler load'],
      ['  REPORT Init Duration p50, no pool', np?.initDurationMs.p50 ?? NaN, f.nodeHandlerStartMs.p50, 'ms', 'node + handler load'],
    );
  }
  const m = n.idleSandboxMemory;
  rows.push(
    ['idle sandbox RSS (median)', m?.rssMiB.p50 ?? NaN, f.idleNodeMemory.rssMiB, 'MiB', 'idle bare node'],
    ['idle sandbox Private (median)', m?.privateMiB.p50 ?? NaN, f.idleNodeMemory.privateMiB, 'MiB', 'idle bare node'],
    ['idle sandbox Private_Dirty (median)', m?.privateDirtyMiB.p50 ?? NaN, f.idleNodeMemory.privateDirtyMiB, 'MiB', 'idle bare node'],
    ['idle sandbox Private_Dirty (largest)', m?.privateDirtyMiB.max ?? NaN, f.idleNodeMemory.privateDirtyMiB, 'MiB', 'idle bare node'],
  );
  return render(
    ['metric', 'Nimbus', 'floor', 'ratio', 'floor is'],
    rows.map(([metric, nv, fv, unit, floorName]) => [`${metric} (${unit})`, fmt(nv, unit), fmt(fv, unit), ratio(nv, fv), floorName]),
    [0, 4],
  );
}

/** One line per target of issue #7, PASS or FAIL. */
function targetTable(r: Results): string {
  return render(
    ['target (issue #7)', 'measured', 'limit', 'result'],
    r.targets.map((c) => [c.target, c.measured, c.limit, c.result]),
    [0, 1, 2],
  );
}

/** Nimbus beside serverless-offline, same handler, same clients, same run. */
function peerTable(r: Results): string {
  const { nimbus: n } = r;
  const aws = `reference: AWS Lambda's published Node.js 20 cold start, Init Duration about ${AWS_INIT_DURATION_MS.low}-${AWS_INIT_DURATION_MS.high} ms; Nimbus REPORT Init Duration p50: ${fmt(n.coldStart?.initDurationMs.p50 ?? NaN, 'ms')} ms (pool), ${fmt(n.noPool?.coldStart?.initDurationMs.p50 ?? NaN, 'ms')} ms (no pool)`;
  if (r.peers === null) return ['peers: skipped (--no-peers, BENCH_PEERS=0 or BENCH_SKIP=peers)', aws].join('\n');
  const lines: string[] = [];
  for (const p of r.peers) {
    const c = r.settings.peerConnections;
    const nl = n.throughput?.find((t) => t.connections === c);
    const peer = (v: number | undefined) => (p.measured ? v : NaN);
    const rows: Array<[string, number, number | undefined, Unit]> = [
      ['warm invoke p50, c=1', n.warmInvokeMs?.p50 ?? NaN, peer(p.warmInvokeMs?.p50), 'ms'],
      ['warm invoke p99, c=1', n.warmInvokeMs?.p99 ?? NaN, peer(p.warmInvokeMs?.p99), 'ms'],
      [`throughput, c=${c}`, nl?.requestsPerSec ?? NaN, peer(p.load?.requestsPerSec), 'req/s'],
      [`  latency p50, c=${c}`, nl?.latencyMs.p50 ?? NaN, peer(p.load?.latencyMs.p50), 'ms'],
      [`  latency p99, c=${c}`, nl?.latencyMs.p99 ?? NaN, peer(p.load?.latencyMs.p99), 'ms'],
      ['first invoke p50 (Nimbus: cold start, pool)', n.coldStart?.firstInvokeMs.p50 ?? NaN, peer(p.firstInvokeMs?.p50), 'ms'],
      ['first invoke p50 (Nimbus: cold start, no pool)', n.noPool?.coldStart?.firstInvokeMs.p50 ?? NaN, peer(p.firstInvokeMs?.p50), 'ms'],
      ['first invoke p99 (Nimbus: cold start, no pool)', n.noPool?.coldStart?.firstInvokeMs.p99 ?? NaN, peer(p.firstInvokeMs?.p99), 'ms'],
    ];
    const peerName = p.measured && p.versions ? `${p.name} ${p.versions.serverlessOffline}` : p.name;
    lines.push(
      render(
        ['metric', 'Nimbus', peerName, 'Nimbus/peer'],
        rows.map(([metric, nv, pv, unit]) => [`${metric} (${unit})`, fmt(nv, unit), p.measured ? fmt(pv, unit) : 'not measured', p.measured ? ratio(nv, pv) : 'n/a']),
        [0],
      ),
    );
    if (!p.measured) lines.push(`${p.name}: NOT MEASURED: ${p.reason ?? 'unknown reason'}`);
    else {
      const install = p.installS === null ? `installed already in ${p.installDir}` : `installed by this run in ${p.installS} s into ${p.installDir}`;
      lines.push(`${p.name}: serverless ${p.versions?.serverless}, serverless-offline ${p.versions?.serverlessOffline} (default worker-thread runner), ${install}; started in ${p.startS} s`);
    }
  }
  lines.push(aws);
  return lines.join('\n');
}

function footer(r: Results): string {
  const { nimbus: n, settings: s } = r;
  const m = r.machine;
  const lines = [
    `machine: ${m.cpuModel} x${m.cpuCount}, ${m.totalMemMiB} MiB, ${m.os}, node ${m.node}; ${r.date}`,
    `load average (1/5/15 min) at start: ${r.loadAverage.start.map((l) => l.toFixed(2)).join(' ')}; at end: ${r.loadAverage.end.map((l) => l.toFixed(2)).join(' ')}`,
    `auth: on (every Nimbus request SigV4-signed; sequential series sign each request before its clock starts, autocannon runs sign once per run)`,
  ];
  const census = (c: PoolCensus | null) => (c ? `${c.sandboxes} sandboxes, ${c.coldStarts} environments started, ${c.unassigned} unused` : 'n/a');
  lines.push(
    `runtime pool: size ${n.runtimePoolSize ?? 'n/a (this server has no runtimePool option)'}; at start: ${census(n.poolAtStart)}; after cold starts: ${census(n.poolAfterCold)}` +
      (n.noPool ? `; second server (size ${n.noPool.runtimePoolSize ?? 'n/a'}) at start: ${census(n.noPool.poolAtStart)}` : ''),
  );
  lines.push(
    `sandboxes measured for memory: ${n.idleSandboxMemory?.count ?? 'n/a'}; cold starts: ${n.coldStart?.firstInvokeMs.n ?? 'n/a'} (Init Duration found in ${n.coldStart?.initDurationMs.n ?? 'n/a'}), each ${s.coldStartPauseMs} ms after its CreateFunction` +
      (n.throughput ? `; alive during throughput c=${n.throughput.map((t) => `${t.connections}: ${t.sandboxes}`).join(', c=')}` : ''),
  );
  if (n.scale) {
    const d = n.scale.deployment;
    lines.push(`scale: ${d.functions} CreateFunction calls (${d.concurrency} at a time) took ${d.seconds} s (${d.perSecond}/s; each p50 ${fmt(d.createMs.p50, 'ms')} ms, p99 ${fmt(d.createMs.p99, 'ms')} ms)`);
  }
  const a = n.asyncDrain;
  if (a) {
    const rates = a.windowRates;
    const drained = Number.isFinite(a.drainS)
      ? `every event ran ${a.drainS} s after the first was sent (${(a.accepted / a.drainS).toFixed(0)} events/s overall; the backlog took ${(a.drainS - a.enqueueS).toFixed(1)} s more)`
      : `NOT every event ran within ${s.asyncGiveUpS} s (${a.completed} did)`;
    lines.push(
      `async: ${a.accepted} of ${a.events} Event invokes accepted (202) in ${a.enqueueS} s over ${a.senders} connections; ${drained}; errors ${a.errors}, dropped ${a.dropped}; reserved concurrency ${s.asyncReservedConcurrency}`,
      `async: runs/s per 1 s window: ${rates.length > 24 ? `${rates.slice(0, 12).join(' ')} ... ${rates.slice(-12).join(' ')}` : rates.join(' ')} (median ${a.whileEnqueueingMedian} while enqueueing; backlog ${a.firstThirdMedian} first third, ${a.lastThirdMedian} last third); server RSS ${a.rssBeforeMiB} -> peak ${a.rssPeakMiB} -> ${a.rssAfterMiB} MiB`,
    );
  }
  if (r.skipped.length) lines.push(`skipped: ${r.skipped.join(', ')}`);
  lines.push(
    `NODE_EXTRA_CA_CERTS in the bench's environment: ${r.nodeExtraCaCertsInParent ? 'set (removed for node -e 0 and the children)' : 'not set'}`,
    `errors: ${errorSummary(r) || 'none (every response 200 with the expected body)'}`,
  );
  if (r.failures.length) lines.push(`FAILED PHASES: ${r.failures.join('; ')}`);
  lines.push(`run time: ${r.runTimeS.toFixed(1)} s`);
  return lines.join('\n');
}

/** A markdown table; the columns in leftCols are left-aligned, the others right-aligned. */
function render(header: string[], rows: string[][], leftCols: number[]): string {
  const cells = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...cells.map((row) => row[c]!.length)));
  const left = (c: number) => leftCols.includes(c);
  const line = (row: string[]) => `| ${row.map((v, c) => (left(c) ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, c) => (left(c) ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** Every failed request, by phase; empty when there were none. */
export function errorSummary(r: Results): string {
  const parts: string[] = [];
  const seq = (label: string, s: { errors: number } | null | undefined) => s && s.errors > 0 && parts.push(`${label}: ${s.errors} failed`);
  seq('loopback RTT', r.floors.loopbackRoundTripMs);
  seq('relay (loopback + IPC)', r.floors.relayRoundTripMs);
  seq('warm invoke', r.nimbus.warmInvokeMs);
  seq('warm invoke, scale, bench-noop', r.nimbus.scale?.warmNoopMs);
  seq('warm invoke, scale, other', r.nimbus.scale?.warmScaledMs);
  for (const p of r.peers ?? []) seq(`${p.name} warm invoke`, p.warmInvokeMs);
  const loads = (label: string, ls: LoadResult[] | null | undefined) => {
    for (const l of ls ?? []) {
      const bad = l.errors + l.non2xx + l.mismatches;
      if (bad > 0) {
        parts.push(`${label} c=${l.connections}: ${l.errors} errors (${l.timeouts} timeouts), ${l.non2xx} non-2xx, ${l.mismatches} wrong bodies; status ${JSON.stringify(l.statusCodes)}`);
      }
    }
  };
  loads('echo', r.floors.echoThroughput);
  loads('relay', r.floors.relayThroughput);
  loads('Nimbus', r.nimbus.throughput);
  for (const p of r.peers ?? []) loads(p.name, p.load ? [p.load] : []);
  const a = r.nimbus.asyncDrain;
  if (a && (a.refused > 0 || a.errors > 0 || a.dropped > 0)) parts.push(`async: ${a.refused} not accepted, ${a.errors} function errors, ${a.dropped} dropped`);
  return parts.join('; ');
}
