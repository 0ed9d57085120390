import fs from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { parseConfig, type Config, type ConfigInput } from './config/index.ts';
import { Gateway } from './gateway/index.ts';
import { ConcurrencyLimiter, Invoker } from './invoke/index.ts';
import { CodeCache, ConcurrencyService, FunctionService, LambdaService } from './lambda/index.ts';
import { LogsService, SqliteLogStore } from './logs/index.ts';
import { createSandboxPool, type SandboxPool } from './sandbox/index.ts';
import { FileBlobStore, openSqlite, SqliteConcurrencyStore, SqliteMetadataStore } from './storage/index.ts';
import { SYSTEM_CLOCK, type Clock } from './util/index.ts';

export interface Nimbus {
  readonly config: Config;
  /** http://host:port the gateway listens on. */
  readonly endpoint: string;
  readonly logger: Logger;
  readonly pool: SandboxPool;
  readonly lambda: LambdaService;
  readonly logs: SqliteLogStore;
  /** Stops accepting, lets in-flight invokes finish for up to graceMs, kills every sandbox, closes the stores. */
  close(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** The composition root: builds every concrete service and wires them through their interfaces. */
export async function startNimbus(input: ConfigInput, options: StartOptions = {}): Promise<Nimbus> {
  const config = parseConfig(input);
  const clock = options.clock ?? SYSTEM_CLOCK;
  const logger = options.logger ?? pino({ level: config.logLevel, base: undefined }, pino.destination(2));

  fs.mkdirSync(config.dataDir, { recursive: true });
  // One metadata database; each store over it (functions now; versions, layers... next) shares the handle.
  const db = openSqlite(path.join(config.dataDir, 'metadata.db'));
  const store = new SqliteMetadataStore(db);
  const concurrencyStore = new SqliteConcurrencyStore(db);
  const logs = new SqliteLogStore(
    path.join(config.dataDir, 'logs.db'),
    () => clock.now(),
    (err, dropped) => logger.error({ err, dropped }, 'function log write failed; events dropped'),
  );
  const blobs = new FileBlobStore(path.join(config.dataDir, 'blobs'));
  const codeCache = new CodeCache(path.join(config.dataDir, 'code'), { unzippedMaxBytes: config.limits.unzippedMaxBytes });
  await codeCache.sweep();

  const pool = createSandboxPool({ logSink: logs, clock, idleTimeoutMs: config.idleTimeoutMs, logger: logAdapter(logger) });
  const scope = { region: config.region, accountId: config.accountId };
  const functions = new FunctionService({
    store,
    blobs,
    codeCache,
    clock,
    scope,
    zipMaxBytes: config.limits.zipMaxBytes,
    onChange: (name, record) => {
      pool.retire(name, record ? `${record.name}:${record.version}:${record.revisionId}` : undefined);
      if (!record) concurrency.forget(name);
    },
  });
  const limiter = new ConcurrencyLimiter(config.concurrencyLimit);
  const concurrency = new ConcurrencyService({ store: concurrencyStore, limiter, functions, unreservedMin: config.unreservedConcurrencyMin });
  let lambda: LambdaService | undefined;
  const invoker = new Invoker({
    pool,
    resolve: (name, qualifier) => lambda!.resolve(name, qualifier),
    limiter,
    logger,
  });
  lambda = new LambdaService({ config, functions, store, invoker, concurrency, logger, now: () => clock.now() });

  const gateway = new Gateway({ host: config.host, port: config.port, logger });
  gateway.register(new LogsService(logs, scope, logger));
  gateway.register(lambda);
  const address = await gateway.listen();
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const endpoint = `http://${host}:${address.port}`;

  let closing: Promise<void> | undefined;
  const close = (graceMs = 10_000) =>
    (closing ??= (async () => {
      const stopped = gateway.close();
      const drained = invoker.close();
      await Promise.race([drained, new Promise((r) => setTimeout(r, graceMs).unref())]);
      await pool.dispose();
      gateway.destroyConnections();
      await stopped;
      logs.close();
      store.close();
    })());

  return { config, endpoint, logger, pool, lambda, logs, close };
}

function logAdapter(logger: Logger) {
  return {
    info: (msg: string) => logger.info(msg),
    warn: (msg: string) => logger.warn(msg),
    error: (msg: string) => logger.error(msg),
  };
}
