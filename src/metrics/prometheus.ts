import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Service } from '../gateway/index.ts';

/** Seconds: from a warm 1 ms invoke to the 900 s timeout. */
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];
/** Seconds an async event waited: up to the 6 h maximum event age. */
const AGE_BUCKETS = [0.01, 0.1, 1, 10, 60, 300, 900, 3600, 21600];

const INVOCATION_LABELS = ['function_name', 'resource', 'executed_version'] as const;
const ASYNC_LABELS = ['function_name', 'resource'] as const;

/** One invocation target's counts, as the recorder keeps them (labels: INVOCATION_LABELS' values). */
export interface TargetCounts {
  readonly labels: readonly string[];
  /** Whether an invocation ever took a slot here (its concurrency gauge shows from then on). */
  readonly started: boolean;
  readonly running: number;
  readonly invocations: number;
  readonly errors: number;
}

/** Billed use of one function under one architecture, since the server started. */
export interface BilledCounts {
  readonly functionName: string;
  readonly architecture: string;
  readonly requests: number;
  readonly billedSeconds: number;
  readonly gbSeconds: number;
}

/**
 * What the series every invocation moves are read from when Prometheus collects: the
 * recorder's own plain counts, so the invoke path never goes through prom-client (label
 * hashing and validation on each update).
 */
export interface PrometheusSource {
  unreservedRunning(): number;
  targets(): Iterable<TargetCounts>;
  billed(): Iterable<BilledCounts>;
}

/**
 * The Lambda metrics as Prometheus series, in a registry of their own (one per server).
 * Counters are cumulative since the server started, as Prometheus expects; labels are
 * function_name, resource (name, name:version or name:alias) and executed_version (set
 * for alias invocations, as CloudWatch's ExecutedVersion dimension).
 */
export class PrometheusMetrics {
  readonly registry = new Registry();
  readonly invocations;
  readonly errors;
  readonly throttles;
  readonly duration;
  readonly coldStarts;
  readonly initDuration;
  readonly concurrentExecutions;
  readonly unreservedConcurrentExecutions;
  readonly provisionedConcurrentExecutions;
  readonly provisionedInvocations;
  readonly provisionedSpillover;
  readonly provisionedUtilization;
  readonly asyncReceived;
  readonly asyncAge;
  readonly asyncDropped;
  readonly destinationFailures;
  readonly billedDuration;
  readonly gbSeconds;
  readonly requests;

  constructor(source: PrometheusSource) {
    const registers = [this.registry];
    const counter = (name: string, help: string, labelNames: readonly string[] = INVOCATION_LABELS) => new Counter({ name, help, labelNames, registers });
    /** A counter of every target's count (zeros left out, as a counter never incremented has no series). */
    const targetCounter = (name: string, help: string, count: (t: TargetCounts) => number) =>
      new Counter({
        name,
        help,
        labelNames: INVOCATION_LABELS,
        registers,
        collect() {
          this.reset();
          for (const t of source.targets()) {
            const n = count(t);
            if (n > 0) this.labels(...t.labels).inc(n);
          }
        },
      });
    const billedCounter = (name: string, help: string, count: (b: BilledCounts) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['function_name', 'architecture'],
        registers,
        collect() {
          this.reset();
          for (const b of source.billed()) this.labels(b.functionName, b.architecture).inc(count(b));
        },
      });
    this.invocations = targetCounter('nimbus_lambda_invocations_total', 'Invocations of function code, successful or not (AWS/Lambda Invocations); throttled requests are not invocations.', (t) => t.invocations);
    this.errors = targetCounter('nimbus_lambda_errors_total', 'Invocations that ended in a function error (AWS/Lambda Errors).', (t) => t.errors);
    this.throttles = counter('nimbus_lambda_throttles_total', 'Synchronous invocation requests refused for lack of concurrency, 429 (AWS/Lambda Throttles).');
    this.duration = new Histogram({ name: 'nimbus_lambda_duration_seconds', help: 'Time function code spent on an event (AWS/Lambda Duration).', labelNames: INVOCATION_LABELS, buckets: DURATION_BUCKETS, registers });
    this.coldStarts = counter('nimbus_lambda_cold_starts_total', 'Invocations that started a new execution environment.');
    this.initDuration = new Histogram({ name: 'nimbus_lambda_init_duration_seconds', help: 'Init Duration of cold starts.', labelNames: INVOCATION_LABELS, buckets: DURATION_BUCKETS, registers });
    this.concurrentExecutions = new Gauge({
      name: 'nimbus_lambda_concurrent_executions',
      help: 'Invocations running now (AWS/Lambda ConcurrentExecutions).',
      labelNames: INVOCATION_LABELS,
      registers,
      collect() {
        this.reset();
        for (const t of source.targets()) if (t.started) this.labels(...t.labels).set(t.running);
      },
    });
    this.unreservedConcurrentExecutions = new Gauge({
      name: 'nimbus_lambda_unreserved_concurrent_executions',
      help: 'Invocations running now on unreserved concurrency (AWS/Lambda UnreservedConcurrentExecutions).',
      registers,
      collect() {
        this.set(source.unreservedRunning());
      },
    });
    this.provisionedConcurrentExecutions = new Gauge({
      name: 'nimbus_lambda_provisioned_concurrent_executions',
      help: 'Provisioned environments busy at the end of the latest invocation (AWS/Lambda ProvisionedConcurrentExecutions).',
      labelNames: INVOCATION_LABELS,
      registers,
    });
    this.provisionedInvocations = counter('nimbus_lambda_provisioned_concurrency_invocations_total', 'Invocations that ran on provisioned concurrency (AWS/Lambda ProvisionedConcurrencyInvocations).');
    this.provisionedSpillover = counter(
      'nimbus_lambda_provisioned_concurrency_spillover_invocations_total',
      'Invocations of a provisioned version or alias that ran on-demand, all provisioned environments being busy (AWS/Lambda ProvisionedConcurrencySpilloverInvocations).',
    );
    this.provisionedUtilization = new Gauge({
      name: 'nimbus_lambda_provisioned_concurrency_utilization_ratio',
      help: 'ProvisionedConcurrentExecutions over the provisioned concurrency allocated, 0..1 (AWS/Lambda ProvisionedConcurrencyUtilization).',
      labelNames: INVOCATION_LABELS,
      registers,
    });
    this.asyncReceived = counter('nimbus_lambda_async_events_received_total', 'Events the async queue accepted (AWS/Lambda AsyncEventsReceived).', ASYNC_LABELS);
    this.asyncAge = new Histogram({ name: 'nimbus_lambda_async_event_age_seconds', help: 'Time from queueing an event to an attempt to run it (AWS/Lambda AsyncEventAge).', labelNames: ASYNC_LABELS, buckets: AGE_BUCKETS, registers });
    this.asyncDropped = counter('nimbus_lambda_async_events_dropped_total', 'Events that failed for good without a successful run (AWS/Lambda AsyncEventsDropped).', ASYNC_LABELS);
    this.destinationFailures = counter('nimbus_lambda_destination_delivery_failures_total', 'Invocation records a destination could not take (AWS/Lambda DestinationDeliveryFailures).', ASYNC_LABELS);
    this.requests = billedCounter('nimbus_lambda_billed_requests_total', 'Billed requests (one per invocation).', (b) => b.requests);
    this.billedDuration = billedCounter('nimbus_lambda_billed_duration_seconds_total', 'Sum of Billed Duration (REPORT lines), in seconds.', (b) => b.billedSeconds);
    this.gbSeconds = billedCounter('nimbus_lambda_gb_seconds_total', 'Billed duration times memory size: seconds x GB (MB/1024), as AWS bills.', (b) => b.gbSeconds);
  }
}

export const METRICS_PATH = '/metrics';

/**
 * GET /metrics: the Prometheus text exposition, on the gateway port. Registered before S3,
 * which would otherwise take the path as a bucket named "metrics": a GET of /metrics without
 * an Authorization header or a presigned query (what a Prometheus scraper sends) is ours;
 * signed S3 requests for a bucket "metrics" still reach S3. No credentials are asked, as
 * scrapers send none: the series name functions, nothing more.
 */
export class PrometheusService implements Service {
  readonly name = 'metrics';

  constructor(private readonly registry: Registry) {}

  matches(req: IncomingMessage, path: string): boolean {
    return path === METRICS_PATH && (req.method === 'GET' || req.method === 'HEAD') && req.headers.authorization === undefined && !/[?&]X-Amz-Signature=/i.test(req.url ?? '');
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.resume();
    try {
      const text = await this.registry.metrics();
      res.writeHead(200, { 'Content-Type': this.registry.contentType, 'Content-Length': Buffer.byteLength(text) });
      res.end(req.method === 'HEAD' ? undefined : text);
    } catch (err) {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`metrics collection failed: ${(err as Error).message}\n`);
    }
  }
}
