/** The table printed to stdout and bench/results.json. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ColdStarts, SandboxMemory } from './nimbus.ts';
import type { LoadResult } from './load.ts';
import type { ProcessMemory } from './proc.ts';
import type { Summary } from './stats.ts';

export interface Results {
  readonly date: string;
  readonly machine: Machine;
  /** NODE_EXTRA_CA_CERTS was set in the bench's environment (floors and children run without it). */
  readonly nodeExtraCaCertsInParent: boolean;
  readonly settings: Record<string, unknown>;
  readonly floors: {
    readonly nodeStartMs: Summary;
    readonly idleNodeMemory: ProcessMemory;
    readonly loopbackRoundTripMs: Summary & { errors: number };
    readonly echoThroughput: LoadResult[];
  };
  readonly nimbus: {
    readonly warmInvokeMs: Summary & { errors: number };
    /** Each with the number of sandboxes alive once warm-up stopped starting new ones. */
    readonly throughput: Array<LoadResult & { sandboxes: number }>;
    readonly coldStart: ColdStarts;
    readonly idleSandboxMemory: SandboxMemory;
  };
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

type Row = [metric: string, nimbus: number, floor: number, unit: 'ms' | 'req/s' | 'MiB' | 'count', floorName: string];

export function table(r: Results): string {
  const { floors: f, nimbus: n } = r;
  const rows: Row[] = [
    ['warm invoke p50, c=1', n.warmInvokeMs.p50, f.loopbackRoundTripMs.p50, 'ms', 'loopback RTT'],
    ['warm invoke p99, c=1', n.warmInvokeMs.p99, f.loopbackRoundTripMs.p99, 'ms', 'loopback RTT'],
    ['warm invoke mean, c=1', n.warmInvokeMs.mean, f.loopbackRoundTripMs.mean, 'ms', 'loopback RTT'],
  ];
  n.throughput.forEach((t, i) => {
    const e = f.echoThroughput[i]!;
    rows.push(
      [`throughput, c=${t.connections}`, t.requestsPerSec, e.requestsPerSec, 'req/s', 'echo server'],
      [`  latency p50, c=${t.connections}`, t.latencyMs.p50, e.latencyMs.p50, 'ms', 'echo server'],
      [`  latency p99, c=${t.connections}`, t.latencyMs.p99, e.latencyMs.p99, 'ms', 'echo server'],
    );
  });
  rows.push(
    ['cold start p50 (first invoke)', n.coldStart.firstInvokeMs.p50, f.nodeStartMs.p50, 'ms', 'node -e 0'],
    ['cold start p99 (first invoke)', n.coldStart.firstInvokeMs.p99, f.nodeStartMs.p99, 'ms', 'node -e 0'],
    ['  REPORT Init Duration p50', n.coldStart.initDurationMs.p50, f.nodeStartMs.p50, 'ms', 'node -e 0'],
    ['idle sandbox RSS (median)', n.idleSandboxMemory.rssMiB.p50, f.idleNodeMemory.rssMiB, 'MiB', 'idle bare node'],
    ['idle sandbox Private (median)', n.idleSandboxMemory.privateMiB.p50, f.idleNodeMemory.privateMiB, 'MiB', 'idle bare node'],
  );

  const fmt = (v: number, unit: Row[3]) =>
    Number.isNaN(v) ? 'n/a' : unit === 'req/s' ? v.toFixed(0) : unit === 'MiB' ? v.toFixed(1) : v.toFixed(2);
  const cells = [
    ['metric', 'Nimbus', 'floor', 'ratio', 'floor is'],
    ...rows.map(([metric, nv, fv, unit, floorName]) => [
      `${metric} (${unit})`,
      fmt(nv, unit),
      fmt(fv, unit),
      Number.isFinite(nv / fv) ? `${(nv / fv).toFixed(2)}x` : 'n/a',
      floorName,
    ]),
  ];
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((row) => row[c]!.length)));
  const line = (row: string[]) => `| ${row.map((v, c) => (c === 0 || c === 4 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, c) => (c === 0 || c === 4 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;

  const m = r.machine;
  const problems = errorSummary(r);
  return [
    line(cells[0]!),
    rule,
    ...cells.slice(1).map(line),
    '',
    `machine: ${m.cpuModel} x${m.cpuCount}, ${m.totalMemMiB} MiB, ${m.os}, node ${m.node}; ${r.date}`,
    `load average (1/5/15 min) at start: ${r.loadAverage.start.map((l) => l.toFixed(2)).join(' ')}; at end: ${r.loadAverage.end.map((l) => l.toFixed(2)).join(' ')}`,
    `sandboxes measured for memory: ${n.idleSandboxMemory.count}; alive during throughput c=${n.throughput.map((t) => `${t.connections}: ${t.sandboxes}`).join(', c=')}; cold starts: ${n.coldStart.firstInvokeMs.n} (Init Duration found in ${n.coldStart.initDurationMs.n})`,
    `NODE_EXTRA_CA_CERTS in the bench's environment: ${r.nodeExtraCaCertsInParent ? 'set (removed for node -e 0 and the children)' : 'not set'}`,
    `errors: ${problems || 'none (every response 200 with the expected body)'}`,
    `run time: ${r.runTimeS.toFixed(1)} s`,
  ].join('\n');
}

/** Every failed request, by phase; empty when there were none. */
export function errorSummary(r: Results): string {
  const parts: string[] = [];
  const seq = (label: string, errors: number) => errors > 0 && parts.push(`${label}: ${errors} failed`);
  seq('loopback RTT', r.floors.loopbackRoundTripMs.errors);
  seq('warm invoke', r.nimbus.warmInvokeMs.errors);
  const loads = (label: string, ls: LoadResult[]) => {
    for (const l of ls) {
      const bad = l.errors + l.non2xx + l.mismatches;
      if (bad > 0) {
        parts.push(`${label} c=${l.connections}: ${l.errors} errors (${l.timeouts} timeouts), ${l.non2xx} non-2xx, ${l.mismatches} wrong bodies; status ${JSON.stringify(l.statusCodes)}`);
      }
    }
  };
  loads('echo', r.floors.echoThroughput);
  loads('Nimbus', r.nimbus.throughput);
  return parts.join('; ');
}
