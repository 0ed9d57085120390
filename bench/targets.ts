/**
 * Issue #7's targets, checked against the figures of the same run. Each is a line of
 * the printed table with PASS or FAIL; never a timed test. bench/README.md defines them.
 */
import type { Results } from './report.ts';

export interface Check {
  readonly target: string;
  /** What this run measured, as printed. */
  readonly measured: string;
  readonly limit: string;
  /** SKIP: the phase was skipped or failed, so there is nothing to judge. */
  readonly result: 'PASS' | 'FAIL' | 'SKIP';
}

/** Cold start p50 with the runtime pool, ms. */
export const COLD_START_LIMIT_MS = 10;
/** Without the pool, "close to" a bare node start plus the handler's load: the bench reads it as at most this multiple of that p50. */
export const NO_POOL_COLD_LIMIT = 1.5;
export const IDLE_PRIVATE_DIRTY_LIMIT_MIB = 10;
export const WARM_P50_LIMIT = 2;
export const WARM_P99_LIMIT = 3;
export const THROUGHPUT_SHARE = 1 / 3;
export const SCALE_P99_LIMIT = 1.2;

const x = (v: number) => `${v.toFixed(2)}x`;
const ms = (v: number) => `${v.toFixed(2)} ms`;
const verdict = (ok: boolean): Check['result'] => (ok ? 'PASS' : 'FAIL');

export function checks(r: Omit<Results, 'targets'>): Check[] {
  const { floors: f, nimbus: n, settings: s } = r;
  const out: Check[] = [];
  const add = (target: string, limit: string, judge: () => { measured: string; ok: boolean } | undefined) => {
    let j: { measured: string; ok: boolean } | undefined;
    try {
      j = judge();
    } catch {
      j = undefined;
    }
    out.push(j && !j.measured.includes('NaN') ? { target, limit, measured: j.measured, result: verdict(j.ok) } : { target, limit, measured: 'not measured', result: 'SKIP' });
  };
  const relay = f.relayRoundTripMs;
  const warm = n.warmInvokeMs;

  add('warm invoke p50, c=1', `<= ${WARM_P50_LIMIT}x floor p50`, () => {
    if (!warm || !relay) return undefined;
    const ratio = warm.p50 / relay.p50;
    return { measured: `${x(ratio)} (${ms(warm.p50)} / ${ms(relay.p50)})`, ok: ratio <= WARM_P50_LIMIT };
  });
  add('warm invoke p99, c=1', `< ${WARM_P99_LIMIT}x floor p99`, () => {
    if (!warm || !relay) return undefined;
    const ratio = warm.p99 / relay.p99;
    return { measured: `${x(ratio)} (${ms(warm.p99)} / ${ms(relay.p99)})`, ok: ratio < WARM_P99_LIMIT };
  });
  for (const c of [16, 64]) {
    add(`throughput, c=${c}`, `>= 1/3 of echo server`, () => {
      const nl = n.throughput?.find((t) => t.connections === c);
      const el = f.echoThroughput?.find((t) => t.connections === c);
      if (!nl || !el) return undefined;
      const share = nl.requestsPerSec / el.requestsPerSec;
      // The relay floor's own share, for scale: the most a gateway that only relays gets.
      const rl = f.relayThroughput?.find((t) => t.connections === c);
      const floor = rl ? `; relay floor ${x(rl.requestsPerSec / el.requestsPerSec)}` : '';
      return { measured: `${x(share)} (${nl.requestsPerSec.toFixed(0)} / ${el.requestsPerSec.toFixed(0)} req/s${floor})`, ok: share >= THROUGHPUT_SHARE };
    });
  }
  add(`cold start p50, runtime pool ${n.runtimePoolSize ?? 'n/a'}`, `< ${COLD_START_LIMIT_MS} ms`, () => {
    if (!n.coldStart) return undefined;
    const p50 = n.coldStart.firstInvokeMs.p50;
    return { measured: ms(p50), ok: p50 < COLD_START_LIMIT_MS };
  });
  add('cold start p50, no pool', `<= ${NO_POOL_COLD_LIMIT}x node + handler load p50`, () => {
    if (!n.noPool?.coldStart) return undefined;
    const p50 = n.noPool.coldStart.firstInvokeMs.p50;
    const ratio = p50 / f.nodeHandlerStartMs.p50;
    return { measured: `${x(ratio)} (${ms(p50)} / ${ms(f.nodeHandlerStartMs.p50)})`, ok: ratio <= NO_POOL_COLD_LIMIT };
  });
  add('idle sandbox Private_Dirty (largest)', `<= ${IDLE_PRIVATE_DIRTY_LIMIT_MIB} MiB`, () => {
    const m = n.idleSandboxMemory;
    if (!m || m.count === 0) return undefined;
    return { measured: `${m.privateDirtyMiB.max.toFixed(1)} MiB (median ${m.privateDirtyMiB.p50.toFixed(1)}, ${m.count} sandboxes)`, ok: m.privateDirtyMiB.max <= IDLE_PRIVATE_DIRTY_LIMIT_MIB };
  });
  add('runtime pool bounded by its size', `unused sandboxes <= ${n.runtimePoolSize ?? 0}`, () => {
    const censuses = [n.poolAtStart, n.poolAfterCold, n.noPool?.poolAtStart].filter((c) => c !== null && c !== undefined);
    if (censuses.length === 0) return undefined;
    const worst = Math.max(n.poolAtStart?.unassigned ?? 0, n.poolAfterCold?.unassigned ?? 0);
    const noPool = n.noPool?.poolAtStart?.unassigned ?? 0;
    const parts = [`${n.poolAtStart?.unassigned ?? '?'} at start`, `${n.poolAfterCold?.unassigned ?? '?'} after cold starts`];
    if (n.noPool?.poolAtStart) parts.push(`${noPool} with size 0`);
    return { measured: parts.join(', '), ok: worst <= (n.runtimePoolSize ?? 0) && noPool <= 0 };
  });
  add(`warm p99 with ${s.scaleFunctions} functions`, `<= ${SCALE_P99_LIMIT}x one-function p99`, () => {
    if (!n.scale || !warm) return undefined;
    const worst = Math.max(n.scale.warmNoopMs.p99, n.scale.warmScaledMs.p99);
    const ratio = worst / warm.p99;
    return { measured: `${x(ratio)} (${ms(worst)} / ${ms(warm.p99)})`, ok: ratio <= SCALE_P99_LIMIT };
  });
  add(`${s.asyncEvents} async events drain steadily`, `backlog rate early/late within ${(1 / s.asyncSteadyShare).toFixed(0)}x, no stall`, () => {
    const d = n.asyncDrain;
    if (!d) return undefined;
    const how = Number.isFinite(d.drainS)
      ? `${d.firstThirdMedian} -> ${d.lastThirdMedian} ev/s over ${d.drainWindows} windows, ${d.stalledWindows} stalls`
      : `${d.completed} of ${d.accepted} ran in ${s.asyncGiveUpS} s`;
    return { measured: d.refused > 0 ? `${d.refused} refused; ${how}` : how, ok: d.steady };
  });
  add('  ... with server memory bounded', `RSS growth < ${s.asyncRssGrowthLimitMiB} MiB`, () => {
    const d = n.asyncDrain;
    if (!d) return undefined;
    return { measured: `+${d.rssGrowthMiB.toFixed(1)} MiB (${d.rssBeforeMiB.toFixed(0)} -> peak ${d.rssPeakMiB.toFixed(0)} MiB)`, ok: d.bounded };
  });
  return out;
}
