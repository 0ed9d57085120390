import path from 'node:path';
import { z } from 'zod';

/**
 * Platform configuration, parsed once and frozen. Limits default to AWS's quotas:
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 */
export const ConfigSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(4566),
  dataDir: z.string().min(1).default('./.nimbus'),
  region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'region must look like us-east-1').default('us-east-1'),
  accountId: z.string().regex(/^\d{12}$/, 'account id must be 12 digits').default('123456789012'),
  /** Idle execution environments are reaped after this long. */
  idleTimeoutMs: z.number().int().min(0).default(5 * 60_000),
  /**
   * Pre-started Node.js runtimes waiting to take a function's first invocation (cold starts
   * in a few ms instead of a process start; see src/sandbox/primed-runtimes.ts). Each idle
   * one holds a few MiB; 0 turns the pool off.
   */
  runtimePool: z
    .object({
      size: z.number().int().min(0).max(64).default(2),
    })
    .prefault({}),
  /** Account-wide concurrent executions (AWS default quota: 1,000). */
  concurrencyLimit: z.number().int().min(1).default(1000),
  /**
   * Concurrency that reservations must leave to the unreserved pool (AWS: 100).
   * https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
   */
  unreservedConcurrencyMin: z.number().int().min(0).default(100),
  limits: z
    .object({
      /** Zip upload, direct (AWS: 50 MB). */
      zipMaxBytes: z.number().int().positive().default(50 * 1024 * 1024),
      /** Unzipped deployment package (AWS: 250 MB). */
      unzippedMaxBytes: z.number().int().positive().default(250 * 1024 * 1024),
      /** Synchronous invoke payload, request and response (AWS: 6 MB). */
      syncPayloadMaxBytes: z.number().int().positive().default(6 * 1024 * 1024),
      /** Asynchronous invoke payload (AWS: 1 MB since 2025). */
      asyncPayloadMaxBytes: z.number().int().positive().default(1024 * 1024),
    })
    .prefault({}),
  /** S3-compatible object API. */
  s3: z
    .object({
      /**
       * Largest PutObject / UploadPart body (AWS: 5 GiB).
       * https://docs.aws.amazon.com/AmazonS3/latest/userguide/upload-objects.html
       */
      putObjectMaxBytes: z.number().int().positive().default(5 * 1024 ** 3),
      /**
       * Smallest part of a multipart upload but the last (AWS: 5 MiB); the object is at most 5 TiB.
       * https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html
       */
      partMinBytes: z.number().int().positive().default(5 * 1024 ** 2),
      objectMaxBytes: z.number().int().positive().default(5 * 1024 ** 4),
      /**
       * Host names under which `<bucket>.<suffix>` addresses a bucket (virtual-hosted style);
       * any other Host is path style. The SDKs with endpoint http://localhost:4566 send
       * Host `<bucket>.localhost:4566`.
       */
      virtualHostSuffixes: z.array(z.string().min(1)).default(['s3.localhost', 'localhost']),
    })
    .prefault({}),
  /** Function logs (logs.db). */
  logs: z
    .object({
      /**
       * Total bytes of log events kept (messages + 26 bytes each, as CloudWatch Logs sizes
       * events); past it the oldest events are deleted and counted as dropped.
       */
      maxBytes: z.number().int().min(1024 * 1024).default(1024 ** 3),
    })
    .prefault({}),
  /** Lambda metrics (1-minute rows in <dataDir>/metrics.db) and metered usage. */
  metrics: z
    .object({
      /** Minutes older than this are swept (CloudWatch keeps 1-minute data 15 days). */
      retentionDays: z.number().int().min(1).max(455).default(15),
      /** How often in-memory minutes are written to metrics.db. */
      flushIntervalMs: z.number().int().min(100).default(10_000),
      /**
       * What `nimbus usage` prices with: USD per GB-second and per million requests.
       * Default: AWS's us-east-1 on-demand prices, https://aws.amazon.com/lambda/pricing/
       */
      prices: z
        .object({
          x86_64: z.object({ gbSecond: z.number().min(0).default(0.0000166667), perMillionRequests: z.number().min(0).default(0.2) }).prefault({}),
          arm64: z.object({ gbSecond: z.number().min(0).default(0.0000133334), perMillionRequests: z.number().min(0).default(0.2) }).prefault({}),
        })
        .prefault({}),
    })
    .prefault({}),
  /**
   * SigV4 authentication of every request. 'off' makes every request the root principal,
   * signed or not: for throwaway local use only (start-up says so loudly).
   */
  auth: z.enum(['on', 'off']).default('on'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = Readonly<z.infer<typeof ConfigSchema>>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/** Validates input, resolves the data directory, and freezes the result. */
export function parseConfig(input: ConfigInput): Config {
  const parsed = ConfigSchema.parse(input);
  parsed.dataDir = path.resolve(parsed.dataDir);
  Object.freeze(parsed.limits);
  Object.freeze(parsed.s3.virtualHostSuffixes);
  Object.freeze(parsed.s3);
  Object.freeze(parsed.metrics.prices.x86_64);
  Object.freeze(parsed.metrics.prices.arm64);
  Object.freeze(parsed.metrics.prices);
  Object.freeze(parsed.metrics);
  Object.freeze(parsed.logs);
  return Object.freeze(parsed);
}
