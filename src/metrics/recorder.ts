import type { InvokeResult } from '../sandbox/index.ts';
import type { Clock } from '../util/index.ts';
import { MINUTE_MS, MinuteAggregator, type SeriesEntry, type Unit } from './aggregator.ts';
import { PrometheusMetrics, PrometheusService, type BilledCounts, type TargetCounts } from './prometheus.ts';
import { StoreMetricsQuery } from './query.ts';
import type { SqliteMetricsStore, UsageRow } from './store.ts';
import type { MetricsQuery } from './types.ts';
import { usageReport, type PriceTable, type UsageReport } from './usage.ts';

export const LAMBDA_NAMESPACE = 'AWS/Lambda';
/** Cold starts and init duration: Nimbus's own, kept out of AWS/Lambda, which has no such metrics. */
export const NIMBUS_NAMESPACE = 'Nimbus/Lambda';

/** What the invoke path knows of the function version it runs (ResolvedFunction fits). */
export interface MeteredFunction {
  readonly spec: { readonly functionName: string; readonly memorySize: number; readonly key: string };
  readonly executedVersion: string;
  /** The function's Architectures[0]; x86_64 when absent. */
  readonly architecture?: string;
}

/** Where an invocation's metrics go: one per function, Resource and ExecutedVersion (see target()). */
export interface MetricTarget {
  readonly functionName: string;
  /** "name", "name:version" or "name:alias". */
  readonly resource: string;
  /** Set for alias invocations only, as AWS's ExecutedVersion dimension. */
  readonly executedVersion?: string;
}

/** What the invoker calls (src/invoke/invoker.ts). Nothing but in-memory adds. */
export interface InvocationMetrics {
  /** A synchronous invocation refused for lack of concurrency (429). */
  throttled(fn: MeteredFunction, invokedFunctionArn: string): void;
  /** An invocation took its slot; returns the target to hand to finished(). */
  started(fn: MeteredFunction, invokedFunctionArn: string): MetricTarget;
  /** The invocation ended; result is undefined when it never ran (the pool failed it). */
  finished(target: MetricTarget, fn: MeteredFunction, result: InvokeResult | undefined): void;
}

/** What the async queue calls (src/queue/async-queue.ts). */
export interface AsyncEventMetrics {
  received(functionName: string, qualifier: string | undefined): void;
  /** An attempt starts; ageMs since the event was queued. */
  attempted(functionName: string, qualifier: string | undefined, ageMs: number): void;
  /** The event failed for good (retries exhausted, too old, function gone): it never ran successfully. */
  dropped(functionName: string, qualifier: string | undefined): void;
  destinationDeliveryFailed(functionName: string, qualifier: string | undefined): void;
}

/** The limiter's counts, as the metrics read them. */
export interface ConcurrencyView {
  readonly running: number;
  readonly unreservedRunning: number;
  runningOf(functionName: string): number;
}

export interface LambdaMetricsDeps {
  readonly store: SqliteMetricsStore;
  readonly clock: Clock;
  readonly concurrency: ConcurrencyView;
  /** Provisioned environments of a version (pool key): allocated, and busy now. */
  readonly provisioned: (envKey: string) => { readonly requested: number; readonly busy: number };
  readonly prices: PriceTable;
  readonly retentionDays: number;
  /** How often the in-memory minutes are written to the store. */
  readonly flushIntervalMs: number;
  readonly onError?: (err: unknown) => void;
}

type Metric = keyof typeof METRICS;

/** A prom-client Counter, Gauge or Histogram with labels. */
interface LabelledMetric<C> {
  labels(...values: string[]): C;
  remove(...values: string[]): void;
}

/** AWS/Lambda metric names and units. https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html */
const METRICS = {
  Invocations: [LAMBDA_NAMESPACE, 'Count'],
  Errors: [LAMBDA_NAMESPACE, 'Count'],
  Throttles: [LAMBDA_NAMESPACE, 'Count'],
  Duration: [LAMBDA_NAMESPACE, 'Milliseconds'],
  ConcurrentExecutions: [LAMBDA_NAMESPACE, 'Count'],
  UnreservedConcurrentExecutions: [LAMBDA_NAMESPACE, 'Count'],
  ProvisionedConcurrentExecutions: [LAMBDA_NAMESPACE, 'Count'],
  ProvisionedConcurrencyInvocations: [LAMBDA_NAMESPACE, 'Count'],
  ProvisionedConcurrencySpilloverInvocations: [LAMBDA_NAMESPACE, 'Count'],
  // A fraction of the allocation (0..1), the value Application Auto Scaling targets (e.g. 0.7).
  ProvisionedConcurrencyUtilization: [LAMBDA_NAMESPACE, 'None'],
  AsyncEventsReceived: [LAMBDA_NAMESPACE, 'Count'],
  AsyncEventAge: [LAMBDA_NAMESPACE, 'Milliseconds'],
  AsyncEventsDropped: [LAMBDA_NAMESPACE, 'Count'],
  DestinationDeliveryFailures: [LAMBDA_NAMESPACE, 'Count'],
  ColdStarts: [NIMBUS_NAMESPACE, 'Count'],
  InitDuration: [NIMBUS_NAMESPACE, 'Milliseconds'],
} as const satisfies Record<string, readonly [string, Unit]>;

/** Per target: its series at every dimension level, and its Prometheus children, made on first use. */
class Target implements MetricTarget, TargetCounts {
  /** Invocations of this target running now. */
  running = 0;
  /** Since the target was made (Prometheus reads these counts when it collects). */
  started = false;
  invocations = 0;
  errors = 0;
  readonly #entries = new Map<Metric, SeriesEntry[]>();
  readonly labels: string[];
  readonly asyncLabels: string[];
  readonly dimensionSets: ReadonlyArray<Readonly<Record<string, string>>>;

  constructor(
    readonly functionName: string,
    readonly resource: string,
    readonly executedVersion: string | undefined,
    /** The same function and resource without ExecutedVersion (this one when it has none). */
    readonly resourceTarget: Target | undefined,
  ) {
    this.labels = [functionName, resource, executedVersion ?? ''];
    this.asyncLabels = [functionName, resource];
    // Account-wide, per function, per version or alias, and per alias and version that ran.
    const sets: Array<Record<string, string>> = [{}, { FunctionName: functionName }, { FunctionName: functionName, Resource: resource }];
    if (executedVersion !== undefined) sets.push({ FunctionName: functionName, Resource: resource, ExecutedVersion: executedVersion });
    this.dimensionSets = sets;
  }

  readonly #children = new Map<LabelledMetric<unknown>, { child: unknown; labels: readonly string[] }>();

  /** The Prometheus child of a labelled metric for this target's labels (looked up once). */
  child<C>(metric: LabelledMetric<C>, labels: readonly string[] = this.labels): C {
    let c = this.#children.get(metric);
    if (c === undefined) this.#children.set(metric, (c = { child: metric.labels(...labels), labels }));
    return c.child as C;
  }

  /** Removes every Prometheus child this target made, so /metrics no longer shows its label sets. */
  removeChildren(): void {
    for (const [metric, { labels }] of this.#children) metric.remove(...labels);
    this.#children.clear();
  }

  entries(metric: Metric, aggregator: MinuteAggregator): SeriesEntry[] {
    let e = this.#entries.get(metric);
    if (!e) {
      const [namespace, unit] = METRICS[metric];
      this.#entries.set(metric, (e = this.dimensionSets.map((d) => aggregator.entry(namespace, metric, unit, d))));
    }
    return e;
  }
}

/**
 * Lambda's metrics and metered usage: the invoke path and the async queue record into
 * 1-minute in-memory buckets (and Prometheus counters); a timer writes the buckets to the
 * store, which keeps retentionDays of them. Reads: `query` (CloudWatch's view), `usage()`
 * (`nimbus usage`), `prometheus` (GET /metrics).
 */
export class LambdaMetrics implements InvocationMetrics, AsyncEventMetrics {
  readonly prom: PrometheusMetrics;
  readonly prometheus: PrometheusService;
  readonly query: MetricsQuery;
  readonly #aggregator = new MinuteAggregator();
  readonly #targets = new Map<string, Target>();
  readonly #usage = new Map<string, { -readonly [K in keyof UsageRow]: UsageRow[K] }>();
  /** Billed use since start per function and architecture (the usage counters of /metrics). */
  readonly #billed = new Map<string, Map<string, { -readonly [K in keyof BilledCounts]: BilledCounts[K] }>>();
  #timer: (() => void) | undefined;
  #lastSweep = 0;
  #closed = false;

  /** Account-wide only, as AWS emits it. */
  readonly #unreserved = this.#aggregator.entry(LAMBDA_NAMESPACE, 'UnreservedConcurrentExecutions', 'Count', {});

  constructor(private readonly deps: LambdaMetricsDeps) {
    this.prom = new PrometheusMetrics({
      unreservedRunning: () => deps.concurrency.unreservedRunning,
      targets: () => this.#targets.values(),
      billed: () => [...this.#billed.values()].flatMap((byArchitecture) => [...byArchitecture.values()]),
    });
    this.prometheus = new PrometheusService(this.prom.registry);
    this.query = new StoreMetricsQuery(deps.store, () => this.flush());
  }

  /** The target of an invocation: the qualifier the caller used is in the invoked ARN. */
  target(functionName: string, invokedFunctionArn: string, executedVersion: string | undefined): Target {
    const qualifier = qualifierOf(invokedFunctionArn);
    const alias = qualifier !== undefined && qualifier !== '$LATEST' && !/^\d+$/.test(qualifier);
    const ev = alias ? executedVersion : undefined;
    const key = `${functionName}\u0000${qualifier ?? ''}\u0000${ev ?? ''}`;
    let t = this.#targets.get(key);
    if (!t) {
      const resource = qualifier === undefined ? functionName : `${functionName}:${qualifier}`;
      const parent = ev === undefined ? undefined : this.target(functionName, invokedFunctionArn, undefined);
      this.#targets.set(key, (t = new Target(functionName, resource, ev, parent)));
    }
    return t;
  }

  throttled(fn: MeteredFunction, invokedFunctionArn: string): void {
    const t = this.target(fn.spec.functionName, invokedFunctionArn, fn.executedVersion);
    this.#add(t, 'Throttles', 1);
    t.child(this.prom.throttles).inc();
  }

  started(fn: MeteredFunction, invokedFunctionArn: string): MetricTarget {
    const t = this.target(fn.spec.functionName, invokedFunctionArn, fn.executedVersion);
    t.started = true;
    t.running++;
    if (t.resourceTarget) t.resourceTarget.running++;
    const now = this.deps.clock.now();
    const [account, fnLevel, resource, executed] = t.entries('ConcurrentExecutions', this.#aggregator);
    const { concurrency } = this.deps;
    account!.add(now, concurrency.running);
    fnLevel!.add(now, concurrency.runningOf(t.functionName));
    resource!.add(now, (t.resourceTarget ?? t).running);
    executed?.add(now, t.running);
    this.#unreserved.add(now, concurrency.unreservedRunning);
    return t;
  }

  finished(target: MetricTarget, fn: MeteredFunction, result: InvokeResult | undefined): void {
    const t = target as Target;
    t.running--;
    if (t.resourceTarget) t.resourceTarget.running--;
    if (!result) return;
    const now = this.deps.clock.now();
    this.#add(t, 'Invocations', 1, now);
    this.#add(t, 'Errors', result.functionError ? 1 : 0, now);
    this.#add(t, 'Duration', result.durationMs, now);
    t.invocations++;
    if (result.functionError) t.errors++;
    t.child(this.prom.duration).observe(result.durationMs / 1000);
    if (result.initDurationMs !== undefined) {
      this.#add(t, 'ColdStarts', 1, now);
      this.#add(t, 'InitDuration', result.initDurationMs, now);
      t.child(this.prom.coldStarts).inc();
      t.child(this.prom.initDuration).observe(result.initDurationMs / 1000);
    }
    this.#provisioned(t, fn, result, now);
    this.#meter(fn, result, now);
  }

  received(functionName: string, qualifier: string | undefined): void {
    const t = this.#asyncTarget(functionName, qualifier);
    this.#add(t, 'AsyncEventsReceived', 1);
    t.child(this.prom.asyncReceived, t.asyncLabels).inc();
  }

  attempted(functionName: string, qualifier: string | undefined, ageMs: number): void {
    const t = this.#asyncTarget(functionName, qualifier);
    this.#add(t, 'AsyncEventAge', Math.max(0, ageMs));
    t.child(this.prom.asyncAge, t.asyncLabels).observe(Math.max(0, ageMs) / 1000);
  }

  dropped(functionName: string, qualifier: string | undefined): void {
    const t = this.#asyncTarget(functionName, qualifier);
    this.#add(t, 'AsyncEventsDropped', 1);
    t.child(this.prom.asyncDropped, t.asyncLabels).inc();
  }

  destinationDeliveryFailed(functionName: string, qualifier: string | undefined): void {
    const t = this.#asyncTarget(functionName, qualifier);
    this.#add(t, 'DestinationDeliveryFailures', 1);
    t.child(this.prom.destinationFailures, t.asyncLabels).inc();
  }

  /** Metered use in [since, until), per function (or one), priced with the configured table. */
  usage(since: number, until: number, functionName?: string): UsageReport {
    this.flush();
    const from = since - (((since % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);
    return usageReport(this.deps.store.usage(from, until), this.deps.prices, since, until, functionName);
  }

  /**
   * Drops what is kept in memory for a deleted function: its targets (every qualifier and
   * version it ran as), its in-memory series and its Prometheus label sets, which otherwise grow
   * with every function ever invoked and keep it in /metrics forever. What it recorded is
   * written to the store first, and stays there until the retention sweep, as CloudWatch keeps
   * a deleted function's metrics. Call it after the function is gone: an invocation still
   * running records into series no longer flushed.
   */
  forget(functionName: string): void {
    this.flush();
    for (const [key, t] of this.#targets) {
      if (t.functionName !== functionName) continue;
      t.removeChildren();
      this.#targets.delete(key);
    }
    this.#aggregator.forget((series) => series.dimensions.FunctionName === functionName);
    this.#billed.delete(functionName);
  }

  /** Starts the flush (and sweep) timer. */
  start(): void {
    this.sweep();
    this.#arm();
  }

  /** Writes every in-memory minute to the store (queries call it first, so they see everything). */
  flush(): void {
    if (this.#closed) return;
    const series = this.#aggregator.drain();
    const usage = [...this.#usage.values()];
    this.#usage.clear();
    this.deps.store.write(series, usage);
  }

  /** Drops what is older than the retention period. */
  sweep(): void {
    const now = this.deps.clock.now();
    this.#lastSweep = now;
    this.deps.store.sweep(now - this.deps.retentionDays * 86_400_000);
  }

  /** Writes what is left and stops the timer; the store stays the caller's to close. */
  close(): void {
    this.#timer?.();
    this.#timer = undefined;
    try {
      this.flush();
    } catch (err) {
      this.deps.onError?.(err);
    }
    this.#closed = true;
  }

  #arm(): void {
    if (this.#closed) return;
    this.#timer = this.deps.clock.setTimeout(() => {
      try {
        this.flush();
        if (this.deps.clock.now() - this.#lastSweep >= SWEEP_EVERY_MS) this.sweep();
      } catch (err) {
        this.deps.onError?.(err);
      }
      this.#arm();
    }, this.deps.flushIntervalMs);
  }

  #asyncTarget(functionName: string, qualifier: string | undefined): Target {
    return this.target(functionName, qualifier === undefined ? '' : `:function:${functionName}:${qualifier}`, undefined);
  }

  #add(t: Target, metric: Metric, value: number, now = this.deps.clock.now()): void {
    for (const e of t.entries(metric, this.#aggregator)) e.add(now, value);
  }

  /** Provisioned versions and aliases: was the invocation served by an environment kept ready? */
  #provisioned(t: Target, fn: MeteredFunction, result: InvokeResult, now: number): void {
    const { requested, busy } = this.deps.provisioned(fn.spec.key);
    if (requested === 0) return;
    if (!result.provisioned) {
      this.#add(t, 'ProvisionedConcurrencySpilloverInvocations', 1, now);
      t.child(this.prom.provisionedSpillover).inc();
      return;
    }
    // This environment was released just before; the others still busy ran beside it.
    const executions = Math.min(requested, busy + 1);
    this.#add(t, 'ProvisionedConcurrencyInvocations', 1, now);
    this.#add(t, 'ProvisionedConcurrentExecutions', executions, now);
    this.#add(t, 'ProvisionedConcurrencyUtilization', executions / requested, now);
    t.child(this.prom.provisionedInvocations).inc();
    t.child(this.prom.provisionedConcurrentExecutions).set(executions);
    t.child(this.prom.provisionedUtilization).set(executions / requested);
  }

  /** Billed duration, memory and one request, per function and minute. */
  #meter(fn: MeteredFunction, result: InvokeResult, now: number): void {
    const minute = now - (now % MINUTE_MS);
    const architecture = fn.architecture ?? 'x86_64';
    const { functionName, memorySize } = fn.spec;
    const key = `${minute}\u0000${functionName}\u0000${architecture}\u0000${memorySize}`;
    let u = this.#usage.get(key);
    if (!u) this.#usage.set(key, (u = { functionName, minute, architecture, memoryMb: memorySize, requests: 0, billedMs: 0 }));
    u.requests++;
    u.billedMs += result.billedDurationMs;
    let byArchitecture = this.#billed.get(functionName);
    if (!byArchitecture) this.#billed.set(functionName, (byArchitecture = new Map()));
    let b = byArchitecture.get(architecture);
    if (!b) byArchitecture.set(architecture, (b = { functionName, architecture, requests: 0, billedSeconds: 0, gbSeconds: 0 }));
    b.requests++;
    b.billedSeconds += result.billedDurationMs / 1000;
    b.gbSeconds += (result.billedDurationMs * memorySize) / 1000 / 1024;
  }
}

const SWEEP_EVERY_MS = 60 * MINUTE_MS;

/** The qualifier of a qualified function ARN (arn:aws:lambda:region:account:function:name:qualifier). */
export function qualifierOf(invokedFunctionArn: string): string | undefined {
  const at = invokedFunctionArn.indexOf(':function:');
  if (at < 0) return undefined;
  const rest = invokedFunctionArn.slice(at + 10);
  const colon = rest.indexOf(':');
  return colon < 0 ? undefined : rest.slice(colon + 1);
}
