import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Service, VerifyRequest } from '../gateway/index.ts';
import type { Invoker, ResolvedFunction } from '../invoke/index.ts';
import type { EventQueue } from '../queue/index.ts';
import type { FunctionSpec } from '../sandbox/index.ts';
import type { Config } from '../config/index.ts';
import type { FunctionRecord, MetadataStore } from '../storage/index.ts';
import type { FunctionService } from './function-service.ts';
import type { ConcurrencyService } from './concurrency-service.ts';
import type { ProvisionedConcurrencyService } from './provisioned-service.ts';
import type { VersionService } from './version-service.ts';
import type { AliasService } from './alias-service.ts';
import type { LayerService } from './layer-service.ts';
import type { PolicyService } from './policy-service.ts';
import type { EventInvokeConfigService } from './event-invoke-config-service.ts';
import { CODE_PATH_PREFIX, CodeLocationSigner } from './code-location.ts';
import { RestJsonRouter, type Authorizer, type Route } from './router.ts';
import { lambdaRoutes, type RouteDeps } from './routes.ts';
import { EVENTS_PATH_PREFIX, eventAdminRoutes } from './event-admin-routes.ts';
import { USAGE_PATH, usageRoutes, type UsageRouteDeps } from './usage-routes.ts';

/** The pool key of a function version: environments are only shared within one. */
export function envKeyOf(record: FunctionRecord): string {
  return `${record.name}:${record.version}:${record.revisionId}`;
}

/** Lambda's REST paths all start with an API date: /2015-03-31/, /2016-08-19/, ... */
const LAMBDA_PATH = /^\/20\d\d-\d\d-\d\d\//;

export interface LambdaServiceDeps {
  readonly config: Config;
  readonly functions: FunctionService;
  readonly store: MetadataStore;
  readonly invoker: Invoker;
  readonly queue: EventQueue;
  readonly logger: Logger;
  readonly now: () => number;
  /** The gateway's URL once it listens (AWS_ENDPOINT_URL inside sandboxes). */
  readonly endpoint?: () => string | undefined;
  readonly concurrency: ConcurrencyService;
  readonly provisioned: ProvisionedConcurrencyService;
  readonly versions: VersionService;
  readonly aliases: AliasService;
  readonly layers: LayerService;
  readonly eventConfigs: EventInvokeConfigService;
  readonly policies: PolicyService;
  readonly authorize?: Authorizer;
  /** iam:PassRole of CreateFunction's and UpdateFunctionConfiguration's Role (absent: not checked). */
  readonly passRole?: RouteDeps['passRole'];
  /** SigV4 verification of every API call (and of /_nimbus/events); the code download links carry their own signature. */
  readonly verify?: VerifyRequest;
  /** Metered usage for GET /_nimbus/usage (`nimbus usage`). */
  readonly usage?: UsageRouteDeps['usage'];
}

/** The Lambda REST API on the gateway, plus the presigned code download links it hands out. */
export class LambdaService implements Service {
  readonly name = 'lambda';
  readonly #router: RestJsonRouter;
  /** Nimbus's own paths beside the API (failed async events). */
  readonly #admin: RestJsonRouter;
  readonly #signer: CodeLocationSigner;

  constructor(private readonly deps: LambdaServiceDeps) {
    this.#signer = new CodeLocationSigner(deps.now);
    this.#router = new RestJsonRouter(deps.logger, deps.authorize, deps.verify);
    for (const route of lambdaRoutes({
      config: deps.config,
      functions: deps.functions,
      store: deps.store,
      invoker: deps.invoker,
      queue: deps.queue,
      signer: this.#signer,
      resolve: (name, qualifier) => this.resolve(name, qualifier),
      concurrency: deps.concurrency,
      provisioned: deps.provisioned,
      versions: deps.versions,
      aliases: deps.aliases,
      layers: deps.layers,
      eventConfigs: deps.eventConfigs,
      policies: deps.policies,
      ...(deps.passRole ? { passRole: deps.passRole } : {}),
    })) {
      this.#router.add(route);
    }
    this.#admin = new RestJsonRouter(deps.logger, deps.authorize, deps.verify);
    for (const route of eventAdminRoutes({
      queue: deps.queue,
      scope: deps.functions.scope,
      nameOf: (ref) => deps.functions.require(ref).name,
    })) {
      this.#admin.add(route);
    }
    if (deps.usage) for (const route of usageRoutes({ usage: deps.usage, scope: deps.functions.scope })) this.#admin.add(route);
  }

  /** The route table (IAM action and resource per action). */
  get routes(): readonly Route[] {
    return this.#router.routes;
  }

  matches(_req: IncomingMessage, path: string): boolean {
    return LAMBDA_PATH.test(path) || path.startsWith(CODE_PATH_PREFIX) || path.startsWith(EVENTS_PATH_PREFIX) || path === USAGE_PATH;
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (url.pathname.startsWith(CODE_PATH_PREFIX)) return this.#download(req, res, url);
    if (url.pathname.startsWith(EVENTS_PATH_PREFIX) || url.pathname === USAGE_PATH) return this.#admin.handle(req, res, url);
    return this.#router.handle(req, res, url);
  }

  /**
   * What an invoke needs of each function version, by record: the metadata store hands out
   * the same (frozen) record object while its row is unchanged, so a warm invoke finds its
   * spec here without touching the code folder or building anything. A changed function
   * has a new record object; the old one's entry goes with it.
   */
  readonly #resolved = new WeakMap<FunctionRecord, { readonly endpoint: string | undefined; readonly fn: Promise<ResolvedFunction> }>();

  /** Resolves a name (and qualifier) to the function version that runs. */
  resolve(functionName: string, qualifier?: string): Promise<ResolvedFunction> {
    // $LATEST, a published version, or an alias (a weighted one picks its version here).
    try {
      return this.#resolvedOf(this.deps.versions.resolveForInvoke(functionName, qualifier));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** What the sandbox pool needs to run one function version. */
  async specOf(record: FunctionRecord): Promise<FunctionSpec> {
    return (await this.#resolvedOf(record)).spec;
  }

  #resolvedOf(record: FunctionRecord): Promise<ResolvedFunction> {
    // AWS_ENDPOINT_URL is known once the gateway listens.
    const endpoint = this.deps.endpoint?.();
    const hit = this.#resolved.get(record);
    if (hit !== undefined && hit.endpoint === endpoint) return hit.fn;
    // Frozen: every invocation of the version shares them.
    const fn = this.#buildSpec(record, endpoint).then((spec) =>
      Object.freeze({ executedVersion: record.version, spec: Object.freeze(spec), architecture: record.architectures[0] ?? 'x86_64' }),
    );
    this.#resolved.set(record, { endpoint, fn });
    // A failure (the code could not be unpacked) is not remembered: the next call tries again.
    fn.catch(() => {
      if (this.#resolved.get(record)?.fn === fn) this.#resolved.delete(record);
    });
    return fn;
  }

  async #buildSpec(record: FunctionRecord, endpoint: string | undefined): Promise<FunctionSpec> {
    const { functions, config } = this.deps;
    const codeDir = await functions.codeDir(record);
    const layersDir = await this.deps.layers.layersDir(record.layers);
    return {
      key: envKeyOf(record),
      functionName: record.name,
      functionArn: functions.arnOf(record),
      version: record.version,
      runtime: record.runtime,
      handler: record.handler,
      codeDir,
      memorySize: record.memorySize,
      timeout: record.timeout,
      ephemeralStorage: record.ephemeralStorage,
      environment: record.environment,
      logGroupName: functions.logGroupOf(record),
      ...(record.loggingConfig?.logFormat === 'JSON'
        ? { jsonLogging: { applicationLogLevel: record.loggingConfig.applicationLogLevel ?? 'INFO', systemLogLevel: record.loggingConfig.systemLogLevel ?? 'INFO' } }
        : {}),
      region: config.region,
      role: record.role,
      ...(endpoint ? { serviceEndpoint: endpoint } : {}),
      ...(layersDir ? { layersDir } : {}),
    };
  }

  async #download(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    req.resume();
    const m = /^\/_nimbus\/code\/([^/]+)\/([0-9a-f]{64})\.zip$/.exec(url.pathname);
    const name = m ? decodeURIComponent(m[1]!) : '';
    const hex = m?.[2] ?? '';
    const ok = m && this.#signer.verify(name, hex, url.searchParams.get('Expires'), url.searchParams.get('Signature'));
    const layer = ok ? this.deps.layers.download(name, hex) : undefined;
    if (layer) {
      res.writeHead(200, { 'Content-Type': 'application/zip', 'Content-Length': layer.size });
      layer.stream.pipe(res);
      return;
    }
    // Any version of the function may hold the package (GetFunction of a published version).
    const record = ok ? this.deps.versions.withCode(name, `code/${hex}.zip`) : undefined;
    const stream = record ? this.deps.functions.codeStream(record) : undefined;
    if (!stream) {
      // S3's answer to an expired or forged presigned URL.
      res.writeHead(403, { 'Content-Type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Request has expired or the signature does not match</Message></Error>');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/zip', 'Content-Length': record!.codeSize });
    stream.pipe(res);
  }
}
