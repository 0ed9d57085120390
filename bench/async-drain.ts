/**
 * The async queue under a burst: N `Event` invokes of a no-op sent as fast as a few
 * connections allow, then watched until every one has run. Completions come from
 * Nimbus's Prometheus counter (nimbus_lambda_invocations_total of the function),
 * scraped once per second beside the server's VmRSS.
 */
import { keepAliveAgent, request } from './http-client.ts';
import { invokeUrl, signedHeaders, sleep, type NimbusServer } from './nimbus.ts';
import { metricSum, scrape } from './prometheus.ts';
import { rssOf } from './proc.ts';
import { median, round } from './stats.ts';

export interface DrainOptions {
  readonly events: number;
  /** Connections sending the events at once. */
  readonly senders: number;
  /** Longest the phase may take, from the first event sent; past it the drain FAILs. */
  readonly giveUpS: number;
  /**
   * The steadiness rule: after the last event is accepted, the median window rate of the
   * first third of the windows and that of the last third are within this share of each
   * other (the smaller at least steadyShare times the larger).
   */
  readonly steadyShare: number;
  /** The memory rule: server RSS may grow at most this much over its value before the first event. */
  readonly rssGrowthLimitMiB: number;
}

export interface DrainResult {
  readonly events: number;
  readonly senders: number;
  /** Events answered 202, and anything else (status, or transport error). */
  readonly accepted: number;
  readonly refused: number;
  /** First event sent to the last 202. */
  readonly enqueueS: number;
  /** First event sent to the scrape that saw every event run (1 s resolution); NaN when they did not. */
  readonly drainS: number;
  readonly completed: number;
  /** nimbus_lambda_errors_total and ..._async_events_dropped_total of the function. */
  readonly errors: number;
  readonly dropped: number;
  /** Completions per second in each whole 1 s window from the first event (the last, partial one left out). */
  readonly windowRates: number[];
  /** Median rate of the windows that ended before the last event was accepted. */
  readonly whileEnqueueingMedian: number;
  /** The windows that began after the last event was accepted: the backlog's drain. */
  readonly drainWindows: number;
  readonly firstThirdMedian: number;
  readonly lastThirdMedian: number;
  /** Whole windows with no completion, after the first completion. */
  readonly stalledWindows: number;
  readonly rssBeforeMiB: number;
  readonly rssPeakMiB: number;
  readonly rssGrowthMiB: number;
  readonly rssAfterMiB: number;
  readonly steady: boolean;
  readonly bounded: boolean;
}

export async function asyncDrain(server: NimbusServer, name: string, opts: DrainOptions): Promise<DrainResult> {
  const url = invokeUrl(server, name);
  const counts = async () => {
    const text = await scrape(server.endpoint);
    const fn = { function_name: name };
    return {
      completed: metricSum(text, 'nimbus_lambda_invocations_total', fn),
      errors: metricSum(text, 'nimbus_lambda_errors_total', fn),
      dropped: metricSum(text, 'nimbus_lambda_async_events_dropped_total', fn),
    };
  };
  const base = await counts();
  const rssBeforeMiB = rssOf(server.pid);
  let rssPeakMiB = rssBeforeMiB;

  // One signature for the whole burst (the same request each time; valid 15 minutes).
  const headers = await signedHeaders(server, url, 'POST', '{}', { 'x-amz-invocation-type': 'Event' });
  let sent = 0;
  let accepted = 0;
  let refused = 0;
  let lastAcceptedAt = 0;
  const t0 = performance.now();
  const sender = async () => {
    const agent = keepAliveAgent();
    try {
      while (sent < opts.events) {
        sent++;
        try {
          const res = await request(agent, url, 'POST', '{}', headers);
          if (res.status === 202) {
            accepted++;
            lastAcceptedAt = performance.now();
          } else refused++;
        } catch {
          refused++;
        }
      }
    } finally {
      agent.destroy();
    }
  };
  const sending = Promise.all(Array.from({ length: opts.senders }, sender));

  // Scrape once per second from the first event on, until every accepted event ran or time is up.
  const samples: Array<{ t: number; completed: number }> = [{ t: 0, completed: 0 }];
  let sendingDone = false;
  void sending.then(() => (sendingDone = true));
  let last = base;
  let drainS = NaN;
  for (let tick = 1; ; tick++) {
    await sleep(Math.max(0, t0 + tick * 1000 - performance.now()));
    const t = (performance.now() - t0) / 1000;
    last = await counts();
    rssPeakMiB = Math.max(rssPeakMiB, rssOf(server.pid));
    const completed = last.completed - base.completed;
    samples.push({ t, completed });
    if (sendingDone && completed >= accepted) {
      drainS = t;
      break;
    }
    if (t > opts.giveUpS) break;
  }
  await sending;

  const enqueueEnd = (lastAcceptedAt - t0) / 1000;
  const windows: Array<{ start: number; end: number; rate: number }> = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    windows.push({ start: a.t, end: b.t, rate: (b.completed - a.completed) / (b.t - a.t) });
  }
  // The last window holds the end of the drain (partial, or empty when all finished early): left out.
  const whole = windows.slice(0, -1);
  const rates = whole.map((w) => w.rate);
  const backlog = whole.filter((w) => w.start >= enqueueEnd).map((w) => w.rate);
  const third = Math.max(1, Math.floor(backlog.length / 3));
  const firstThirdMedian = median(backlog.slice(0, third));
  const lastThirdMedian = median(backlog.slice(-third));
  const firstCompletion = rates.findIndex((r) => r > 0);
  const stalledWindows = firstCompletion < 0 ? 0 : rates.slice(firstCompletion).filter((r) => r === 0).length;
  const drained = Number.isFinite(drainS) && refused === 0;
  // Under 3 backlog windows there is no trend to judge: steady if it drained without a stall.
  const even = backlog.length < 3 || Math.min(firstThirdMedian, lastThirdMedian) >= opts.steadyShare * Math.max(firstThirdMedian, lastThirdMedian);
  const steady = drained && stalledWindows === 0 && even;
  const rssGrowthMiB = rssPeakMiB - rssBeforeMiB;
  return {
    events: opts.events,
    senders: opts.senders,
    accepted,
    refused,
    enqueueS: round((lastAcceptedAt - t0) / 1000, 2),
    drainS: round(drainS, 1),
    completed: last.completed - base.completed,
    errors: last.errors - base.errors,
    dropped: last.dropped - base.dropped,
    windowRates: rates.map((r) => round(r, 1)),
    whileEnqueueingMedian: round(median(whole.filter((w) => w.end <= enqueueEnd).map((w) => w.rate)), 1),
    drainWindows: backlog.length,
    firstThirdMedian: round(firstThirdMedian, 1),
    lastThirdMedian: round(lastThirdMedian, 1),
    stalledWindows,
    rssBeforeMiB: round(rssBeforeMiB, 1),
    rssPeakMiB: round(rssPeakMiB, 1),
    rssGrowthMiB: round(rssGrowthMiB, 1),
    rssAfterMiB: round(rssOf(server.pid), 1),
    steady,
    bounded: rssGrowthMiB < opts.rssGrowthLimitMiB,
  };
}
