import type { UsageRow } from './store.ts';

/** What AWS charges for one architecture. */
export interface ArchitecturePrice {
  /** USD per GB-second of billed duration. */
  readonly gbSecond: number;
  /** USD per million requests. */
  readonly perMillionRequests: number;
}

export type PriceTable = Readonly<Record<'x86_64' | 'arm64', ArchitecturePrice>>;

/**
 * AWS Lambda's published on-demand prices in us-east-1 (first pricing tier: the first
 * 6 billion x86 / 7.5 billion arm64 GB-seconds a month; no free tier subtracted).
 * https://aws.amazon.com/lambda/pricing/
 */
export const AWS_US_EAST_1_PRICES: PriceTable = Object.freeze({
  x86_64: Object.freeze({ gbSecond: 0.0000166667, perMillionRequests: 0.2 }),
  arm64: Object.freeze({ gbSecond: 0.0000133334, perMillionRequests: 0.2 }),
});

/** One function's (or the total's) metered use over a period. */
export interface UsageLine {
  readonly requests: number;
  /** Sum of the REPORT lines' Billed Duration, ms. */
  readonly billedMs: number;
  /** Billed duration in seconds times memory in GB (MB / 1024), as AWS bills. */
  readonly gbSeconds: number;
  /** What AWS would charge, USD: requests plus GB-seconds at the architecture's price. */
  readonly cost: number;
}

export interface UsageReport {
  /** Milliseconds since the epoch; the report covers [since, until). */
  readonly since: number;
  readonly until: number;
  readonly functions: ReadonlyArray<UsageLine & { readonly functionName: string; readonly architectures: readonly string[] }>;
  readonly total: UsageLine;
}

/** Adds up 1-minute usage rows per function; GB-seconds are computed from exact integer MB-ms. */
export function usageReport(rows: readonly UsageRow[], prices: PriceTable, since: number, until: number, functionName?: string): UsageReport {
  const by = new Map<string, { requests: number; billedMs: number; mbMs: number; cost: number; architectures: Set<string> }>();
  for (const r of rows) {
    if (functionName !== undefined && r.functionName !== functionName) continue;
    let f = by.get(r.functionName);
    if (!f) by.set(r.functionName, (f = { requests: 0, billedMs: 0, mbMs: 0, cost: 0, architectures: new Set() }));
    const price = prices[r.architecture as keyof PriceTable] ?? prices.x86_64;
    f.requests += r.requests;
    f.billedMs += r.billedMs;
    f.mbMs += r.billedMs * r.memoryMb;
    f.cost += (r.requests * price.perMillionRequests) / 1e6 + gbSecondsOf(r.billedMs * r.memoryMb) * price.gbSecond;
    f.architectures.add(r.architecture);
  }
  const functions = [...by]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, f]) => ({ functionName: name, architectures: [...f.architectures].sort(), requests: f.requests, billedMs: f.billedMs, gbSeconds: gbSecondsOf(f.mbMs), cost: f.cost }));
  let mbMs = 0;
  for (const f of by.values()) mbMs += f.mbMs;
  const total = {
    requests: functions.reduce((n, f) => n + f.requests, 0),
    billedMs: functions.reduce((n, f) => n + f.billedMs, 0),
    gbSeconds: gbSecondsOf(mbMs),
    cost: functions.reduce((n, f) => n + f.cost, 0),
  };
  return { since, until, functions, total };
}

/** MB-milliseconds to GB-seconds. */
export function gbSecondsOf(mbMs: number): number {
  return mbMs / 1000 / 1024;
}
