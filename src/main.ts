import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { parseConfig, type Config, type ConfigInput } from './config/index.ts';
import { Gateway } from './gateway/index.ts';
import { ConcurrencyLimiter, Invoker } from './invoke/index.ts';
import { AsyncQueue } from './queue/index.ts';
import { AliasService, bucketCodeReader, CodeCache, ConcurrencyService, envKeyOf, EventInvokeConfigService, FunctionService, lambdaAuthorizer, lambdaPassRole, LambdaService, LayerService, MergedLayers, parseFunctionArn, PolicyService, ProvisionedConcurrencyService, VersionService } from './lambda/index.ts';
import { ExecutionRoles, IamCredentialLookup, IamService, IamAuthorizer, rootPrincipal, StoreSessionIssuer, StsService, type PrincipalOf } from './iam/index.ts';
import type { CredentialLookup, SessionIssuer } from './auth/types.ts';
import { Authenticator, loadRootCredentials, RoleCredentialSource, RootCredentialLookup, type Authorize, type KeyPair } from './auth/index.ts';
import { LogsService, scheduleRetentionSweep, SqliteLogStore } from './logs/index.ts';
import { LambdaMetrics, SqliteMetricsStore, type MetricsQuery } from './metrics/index.ts';
import { CloudWatchService } from './cloudwatch/index.ts';
import { BucketNotifications, ObjectService, S3Service } from './s3/index.ts';
import { SecretsManager, SecretsService } from './secrets/index.ts';
import { closeSandboxHost, createSandboxPool, describeSandboxHost, detectSandboxHost, hostPython, nodeRuntimeModules, type LocalSandboxPool } from './sandbox/index.ts';
import { FileBlobStore, openSqlite, SqliteAliasStore, SqliteAsyncEventStore, SqliteConcurrencyStore, SqliteEventInvokeConfigStore, SqliteLayerStore, SqliteMetadataStore, SqliteVersionStore, FileBodyStore, SqliteObjectStore, SqliteNotificationStore, SqliteBucketPolicyStore, SqlitePolicyStore, loadMasterKey, MASTER_KEY_FILE, SqliteSecretStore, SqliteIamStore, SqliteSessionStore } from './storage/index.ts';
import { SYSTEM_CLOCK, type Clock } from './util/index.ts';

export interface Nimbus {
  readonly config: Config;
  /** http://host:port the gateway listens on. */
  readonly endpoint: string;
  readonly logger: Logger;
  readonly pool: LocalSandboxPool;
  readonly lambda: LambdaService;
  readonly logs: SqliteLogStore;
  /** The S3 object API's domain; bucket notifications subscribe with addListener. */
  readonly s3: ObjectService;
  /** Event-invoke configs; `settingsFor` is what the async queue reads per event. */
  readonly eventConfigs: EventInvokeConfigService;
  /** The durable queue of Event invocations (bucket notifications enqueue here too). */
  readonly queue: AsyncQueue;
  /** IAM users' access keys and unexpired role sessions, by access key id (for SigV4 verification). */
  readonly credentials: CredentialLookup;
  /** Issues role sessions (STS AssumeRole; execution roles). */
  readonly sessions: SessionIssuer;
  /** SigV4 verification; `auth.principalOf(req)` names who sent a verified request. */
  readonly auth: Authenticator;
  /** The root access key and the file holding it (<dataDir>/credentials). */
  readonly root: { readonly keys: KeyPair; readonly file: string };
  /** AWS/Lambda metrics in 1-minute rows (CloudWatch's GetMetricStatistics/ListMetrics read this). */
  readonly metrics: MetricsQuery;
  /** The recorder behind `metrics`, GET /metrics and `nimbus usage` (flush(), usage(), prom). */
  readonly lambdaMetrics: LambdaMetrics;
  /** Stops accepting, lets in-flight invokes finish for up to graceMs, kills every sandbox, closes the stores. */
  close(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** The async queue's clock (retry backoff, event age), when tests want it apart from the rest. */
  readonly asyncClock?: Clock;
  /**
   * Sandbox mechanisms to use when the host offers them (default: all). false turns one
   * off; bwrap may also be its path. NIMBUS_BWRAP=none and NIMBUS_CGROUP=none do the same.
   */
  readonly sandbox?: { readonly bwrap?: boolean | string; readonly cgroup?: boolean };
  /** The wall clock SigV4 dates are checked against (default: the system's, which clients sign with). */
  readonly authClock?: Clock;
  /** The log store's clock: ingestion times and retention sweeps (tests advance it by days). */
  readonly logsClock?: Clock;
}

/** The composition root: builds every concrete service and wires them through their interfaces. */
export async function startNimbus(input: ConfigInput, options: StartOptions = {}): Promise<Nimbus> {
  const config = parseConfig(input);
  const clock = options.clock ?? SYSTEM_CLOCK;
  const baseLogger = options.logger ?? pino({ level: config.logLevel, base: undefined }, pino.destination(2));
  // With auth off, every line the server logs says so, start-up lines first.
  const logger = config.auth === 'off' ? baseLogger.child({ auth: 'OFF' }) : baseLogger;

  fs.mkdirSync(config.dataDir, { recursive: true });
  // The data key sealing secret values and environment variables, kept beside the database, never in it.
  const key = loadMasterKey(path.join(config.dataDir, MASTER_KEY_FILE));
  if (key.created) logger.info(`created the data key ${path.join(config.dataDir, MASTER_KEY_FILE)} (mode 0600): back it up with the data dir; without it secrets and environment variables cannot be read`);
  if (key.warning) logger.warn(key.warning);
  // The root access key, created on first start; every request is SigV4-verified against it and IAM's keys.
  const root = loadRootCredentials(config.dataDir, config.accountId);
  if (root.created) logger.info(`created the root credentials ${root.file} (mode 0600)`);
  if (root.warning) logger.warn(root.warning);
  if (config.auth === 'off') logger.warn('AUTHENTICATION IS OFF (--auth off): every request acts as the root user, signed or not. Use only for throwaway local work.');
  // One metadata database; each store over it (functions now; versions, layers... next) shares the handle.
  const db = openSqlite(path.join(config.dataDir, 'metadata.db'));
  const store = new SqliteMetadataStore(db, key.cipher);
  const concurrencyStore = new SqliteConcurrencyStore(db);
  const versionStore = new SqliteVersionStore(db, key.cipher);
  const aliasStore = new SqliteAliasStore(db);
  const logsClock = options.logsClock ?? clock;
  const logs = new SqliteLogStore(
    path.join(config.dataDir, 'logs.db'),
    () => logsClock.now(),
    (err, dropped) => logger.error({ err, dropped }, 'function log write failed; events dropped'),
    {
      maxBytes: config.logs.maxBytes,
      onDrop: (dropped, total) => logger.warn({ dropped, total }, `function logs over logs.maxBytes (${config.logs.maxBytes} bytes): dropped the ${dropped} oldest events`),
    },
  );
  const blobs = new FileBlobStore(path.join(config.dataDir, 'blobs'));
  const codeCache = new CodeCache(path.join(config.dataDir, 'code'), { unzippedMaxBytes: config.limits.unzippedMaxBytes });
  await codeCache.sweep();

  // The AWS SDK clients Node.js functions may import without bundling them, as on AWS.
  const runtimeModules = await nodeRuntimeModules(config.dataDir).catch((err: unknown) => {
    logger.warn({ err }, 'Node.js functions get no AWS SDK: its folder cannot be built');
    return undefined;
  });
  const sandboxHost = detectSandboxHost({
    scratchDir: path.join(config.dataDir, 'sandboxes'),
    runtimeModules,
    bwrap: options.sandbox?.bwrap ?? (process.env.NIMBUS_BWRAP === 'none' ? false : process.env.NIMBUS_BWRAP || undefined),
    cgroup: options.sandbox?.cgroup ?? process.env.NIMBUS_CGROUP !== 'none',
  });
  for (const problem of sandboxHost.problems) logger.warn(problem);
  for (const line of describeSandboxHost(sandboxHost)) {
    if (line.warn) logger.warn(line.message);
    else logger.info(line.message);
  }
  const python = hostPython();
  logger.info(
    python
      ? `python3.x runtimes run on ${python.executable} (Python ${python.version})`
      : 'python3.x runtimes are unavailable: no Python 3 found (python3 on PATH, or NIMBUS_PYTHON)',
  );
  const pool = createSandboxPool({
    logSink: logs,
    clock,
    idleTimeoutMs: config.idleTimeoutMs,
    logger: logAdapter(logger),
    host: sandboxHost,
    // Each new environment gets a session of its function's execution role (read lazily: built below).
    credentials: (spec) => (spec.role ? roleCredentials?.forFunction(spec.role, spec.functionName) : undefined),
    primedRuntimes: config.runtimePool.size,
  });
  const scope = { region: config.region, accountId: config.accountId };
  const { zipMaxBytes, unzippedMaxBytes } = config.limits;
  const layers = new LayerService({
    store: new SqliteLayerStore(db),
    blobs,
    extracted: new CodeCache(path.join(config.dataDir, 'layers', 'extracted'), { unzippedMaxBytes }),
    merged: new MergedLayers(path.join(config.dataDir, 'layers', 'merged')),
    clock,
    scope,
    zipMaxBytes,
    unzippedMaxBytes,
  });
  await layers.sweep();
  const functions = new FunctionService({
    store,
    blobs,
    codeCache,
    // Read lazily: the object service is built below, and only used once requests arrive.
    bucketCode: bucketCodeReader(() => objects, config.limits.unzippedMaxBytes),
    clock,
    scope,
    zipMaxBytes: config.limits.zipMaxBytes,
    layers,
    // Read lazily, as the IAM store is built below: Role must name a role Lambda may assume.
    lambdaCanAssume: (roleArn) => executionRoles.lambdaCanAssume(roleArn),
    onChange: (name, record) => {
      // An update changes $LATEST only; a deleted function takes every environment with it.
      if (record) pool.retire(name, envKeyOf(record), record.version);
      else pool.retire(name);
      if (!record) {
        concurrency.forget(name);
        provisioned.forget(name);
        eventConfigs.forget(name);
        queue.forget(name);
        metrics.forget(name);
      }
      // A function that dropped layers may free blobs of deleted layer versions.
      layers.collect().catch((err: unknown) => logger.error({ err }, 'layer blob collection failed'));
    },
  });
  const limiter = new ConcurrencyLimiter(config.concurrencyLimit);
  const metricsStore = new SqliteMetricsStore(path.join(config.dataDir, 'metrics.db'));
  const metrics = new LambdaMetrics({
    store: metricsStore,
    clock,
    concurrency: limiter,
    provisioned: (key) => ({ requested: pool.provisioned(key).requested, busy: pool.provisionedBusy(key) }),
    prices: config.metrics.prices,
    retentionDays: config.metrics.retentionDays,
    flushIntervalMs: config.metrics.flushIntervalMs,
    onError: (err) => logger.error({ err }, 'metrics flush failed'),
  });
  const concurrency = new ConcurrencyService({ store: concurrencyStore, limiter, functions, unreservedMin: config.unreservedConcurrencyMin });
  const eventConfigs = new EventInvokeConfigService({ store: new SqliteEventInvokeConfigStore(db), functions: store, aliases: aliasStore, clock, scope });
  let lambda: LambdaService | undefined;
  let listening: string | undefined;
  const invoker = new Invoker({ pool, limiter, metrics });
  const queue = new AsyncQueue({
    store: new SqliteAsyncEventStore(db),
    invoker,
    resolve: (name, qualifier) => lambda!.resolve(name, qualifier),
    settings: eventConfigs.settingsFor,
    clock: options.asyncClock ?? clock,
    logger,
    metrics,
    scope,
  });
  const versions = new VersionService({
    store,
    versions: versionStore,
    aliases: aliasStore,
    functions,
    // Publishing gives $LATEST a new revision; published versions' environments stay warm.
    onChange: (name, record) => (record ? pool.retire(name, envKeyOf(record), record.version) : pool.retire(name)),
    // A deleted version or alias takes its event-invoke config with it.
    onQualifierDeleted: (name, version) => eventConfigs.forgetQualifier(name, version),
  });
  const aliases = new AliasService({ store, versions: versionStore, aliases: aliasStore, scope, onQualifierDeleted: (name, alias) => eventConfigs.forgetQualifier(name, alias) });
  // Resource policies go with their function, version or alias (triggers on those tables).
  const policies = new PolicyService({ store, aliases: aliasStore, policies: new SqlitePolicyStore(db), scope, evaluate: (request) => authorizer.authorize(request).decision === 'Allow' });
  const provisioned = new ProvisionedConcurrencyService({
    store: concurrencyStore,
    aliases: aliasStore,
    versions,
    limiter,
    pool,
    specOf: (record) => lambda!.specOf(record),
    clock,
    scope,
    unreservedMin: config.unreservedConcurrencyMin,
    logger,
  });
  lambda = new LambdaService({ config, functions, store, invoker, queue, concurrency, provisioned, versions, aliases, layers, eventConfigs, policies, authorize: lambdaAuthorizer((req, request) => authorize(req, request), policies, scope), passRole: lambdaPassRole((req, request) => authorize(req, request)), logger, now: () => clock.now(), endpoint: () => listening, verify: (req, read) => auth.verifyRequest(req, 'rest-json', read), usage: (since, until, fn) => metrics.usage(since, until, fn) });

  const objects = new ObjectService({
    store: new SqliteObjectStore(db),
    bodies: new FileBodyStore(path.join(config.dataDir, 's3')),
    clock,
    region: config.region,
    limits: config.s3,
    logger,
  });
  await objects.sweep();

  // S3 event records for Lambda destinations, checked against the function's policy and queued as Event invocations.
  const notifications = new BucketNotifications({
    store: new SqliteNotificationStore(db),
    region: config.region,
    accountId: config.accountId,
    logger,
    targets: {
      canInvoke: (arn, bucket) => {
        const ref = parseFunctionArn(arn, scope);
        return (
          ref !== undefined &&
          policies.allows({ functionName: ref.name, qualifier: ref.qualifier, action: 'lambda:InvokeFunction', principalService: 's3.amazonaws.com', sourceArn: `arn:aws:s3:::${bucket}`, sourceAccount: config.accountId })
        );
      },
      invokeAsync: (arn, payload) => {
        const ref = parseFunctionArn(arn, scope);
        if (!ref) return;
        queue.enqueue({ requestId: randomUUID(), functionName: ref.name, ...(ref.qualifier ? { qualifier: ref.qualifier } : {}), payload, invokedFunctionArn: arn });
      },
    },
  });
  objects.addListener(notifications);

  // IAM and STS: users, keys, roles, policies and role sessions, in the metadata database.
  // Access keys' secrets and sessions' keys and tokens are sealed at rest like secret values.
  const iamStore = new SqliteIamStore(db, key.cipher);
  const sessionStore = new SqliteSessionStore(db, key.cipher);
  const sessions = new StoreSessionIssuer({ sessions: sessionStore, clock });
  sessions.sweep();
  const credentials = new IamCredentialLookup({ iam: iamStore, sessions: sessionStore, clock, accountId: config.accountId });
  const auth = new Authenticator({
    mode: config.auth,
    lookups: [new RootCredentialLookup(root.keys, rootPrincipal(config.accountId)), credentials],
    clock: options.authClock ?? SYSTEM_CLOCK,
    root: rootPrincipal(config.accountId),
  });
  const authorizer = new IamAuthorizer(iamStore);
  const executionRoles = new ExecutionRoles(iamStore, authorizer);
  // With auth off, environments keep placeholder keys (nothing checks them) and no sessions pile up.
  // Sessions carry the role's own id; a function created before roles were checked gets a derived one.
  const roleCredentials: RoleCredentialSource | undefined = auth.enabled ? new RoleCredentialSource(sessions, { roleIdOf: (arn) => executionRoles.roleId(arn) }) : undefined;
  // SigV4 over the query body; the principal it names.
  const principalOf: PrincipalOf = (req, body) => auth.verifyBody(req, body, 'query');
  // Authorization: the authenticated principal's IAM policies (and the resource's own policy) decide each action.
  // An unsigned S3 request (verifyS3 with anonymous) is the anonymous caller: only a bucket policy can allow it.
  const authorize: Authorize = (req, request) => authorizer.check(auth.isAnonymous(req) ? { anonymous: true } : auth.principalOf(req), request, req);

  const gateway = new Gateway({ host: config.host, port: config.port, logger });
  const s3 = new S3Service({ objects, accountId: config.accountId, virtualHostSuffixes: config.s3.virtualHostSuffixes, logger, notifications, verify: (req) => auth.verifyS3(req, { anonymous: true }), authorize, bucketPolicies: new SqliteBucketPolicyStore(db) });
  // First for <bucket>.localhost hosts, whose paths are keys (and may look like Lambda's date paths).
  gateway.register(s3.virtualHosted);
  // GET /metrics for Prometheus, unsigned; before S3, whose bucket "metrics" it would otherwise be.
  gateway.register(metrics.prometheus);
  gateway.register(new LogsService(logs, scope, logger, (req, read) => auth.verifyRequest(req, 'json', read), () => logsClock.now(), authorize));
  // POST / signed for iam or sts (credential scope); before S3, which claims the rest.
  gateway.register(new IamService({ store: iamStore, clock, accountId: config.accountId, principalOf, logger, authorize }));
  gateway.register(new StsService({ roles: iamStore, sessions, canAssume: (trust, caller, roleArn) => authorizer.canAssume(trust, caller, roleArn), accountId: config.accountId, principalOf, logger }));
  const secrets = new SecretsManager({ store: new SqliteSecretStore(db, key.cipher), clock, scope });
  secrets.purge();
  gateway.register(new SecretsService(secrets, logger, (req, read) => auth.verifyRequest(req, 'json', read), authorize));
  // CloudWatch metrics (RPC v2 CBOR by its /service/… path, JSON 1.0 by X-Amz-Target, query by POST / signed for monitoring); before S3.
  gateway.register(new CloudWatchService({ metrics: metrics.query, clock, logger, verify: (req, family, read) => auth.verifyRequest(req, family, read), authorize }));
  gateway.register(lambda);
  // Last: S3 claims every request the services above do not (it has no path prefix of its own).
  gateway.register(s3);
  const address = await gateway.listen();
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const endpoint = `http://${host}:${address.port}`;
  // Functions reach the gateway over loopback even when it listens on every address.
  listening = endpoint.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:');
  // After listening, so provisioned environments get AWS_ENDPOINT_URL like the others.
  provisioned.restore();
  // Events accepted before a restart (or a crash) run again now.
  queue.start();
  // After listening, so a failed start leaves no process holding the server.
  pool.primeRuntimes();
  // After listening, so a failed start leaves no timer holding the process.
  const stopRetention = scheduleRetentionSweep(logs, logsClock, (err) => logger.error({ err }, 'log retention sweep failed'));
  metrics.start();

  let closing: Promise<void> | undefined;
  const close = (graceMs = 10_000) =>
    (closing ??= (async () => {
      const stopped = gateway.close();
      queue.close();
      const drained = invoker.drained();
      await Promise.race([drained, new Promise((r) => setTimeout(r, graceMs).unref())]);
      await pool.dispose();
      closeSandboxHost(sandboxHost);
      gateway.destroyConnections();
      await stopped;
      metrics.close();
      metricsStore.close();
      stopRetention();
      logs.close();
      store.close();
    })());

  return { config, endpoint, logger, pool, lambda, logs, s3: objects, queue, eventConfigs, credentials, sessions, auth, root: { keys: root.keys, file: root.file }, metrics: metrics.query, lambdaMetrics: metrics, close };
}

function logAdapter(logger: Logger) {
  return {
    info: (msg: string) => logger.info(msg),
    warn: (msg: string) => logger.warn(msg),
    error: (msg: string) => logger.error(msg),
  };
}
