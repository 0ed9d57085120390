import type { IncomingMessage } from 'node:http';
import type { Config } from '../config/index.ts';
import type { Invoker, ResolvedFunction } from '../invoke/index.ts';
import type { EventSink } from '../queue/index.ts';
import type { FunctionRecord, MetadataStore } from '../storage/index.ts';
import { InvalidParameterValueException } from '../errors/index.ts';
import type { FunctionService } from './function-service.ts';
import type { ConcurrencyService } from './concurrency-service.ts';
import type { ProvisionedConcurrencyService } from './provisioned-service.ts';
import type { VersionService } from './version-service.ts';
import type { AliasService } from './alias-service.ts';
import type { LayerService } from './layer-service.ts';
import type { PolicyService } from './policy-service.ts';
import type { EventInvokeConfigService } from './event-invoke-config-service.ts';
import { functionArn, parseFunctionRef, type Scope } from './names.ts';
import { CreateFunctionBody, parseBody, UpdateFunctionCodeBody, UpdateFunctionConfigurationBody } from './schemas.ts';
import { toConfiguration } from './shapes.ts';
import { INVOKE_ASYNC_MAX_BYTES, invokeAsyncRoute, invokeRoute, invokeTooLargeMessage } from './invoke-route.ts';
import type { CodeLocationSigner } from './code-location.ts';
import type { Route, RouteContext } from './router.ts';

/** What every Lambda route module receives from the service. */
export interface RouteDeps {
  readonly config: Config;
  readonly functions: FunctionService;
  readonly store: MetadataStore;
  readonly invoker: Invoker;
  /** Where Event invocations go: the durable async queue. */
  readonly queue: EventSink;
  readonly signer: CodeLocationSigner;
  readonly resolve: (functionName: string, qualifier?: string) => Promise<ResolvedFunction>;
  readonly concurrency: ConcurrencyService;
  readonly provisioned: ProvisionedConcurrencyService;
  readonly versions: VersionService;
  readonly aliases: AliasService;
  readonly layers: LayerService;
  readonly eventConfigs: EventInvokeConfigService;
  readonly policies: PolicyService;
  /** Throws AccessDeniedException unless the caller may pass the role to Lambda (iam:PassRole). */
  readonly passRole?: (req: IncomingMessage, roleArn: string) => void;
}

/** ListFunctions returns at most 50 items a page, whatever MaxItems asks. */
const LIST_PAGE_MAX = 50;
/** Small JSON bodies: configuration updates and the like. */
const SMALL_BODY = 1024 * 1024;
/** A ZipFile of the largest package, base64 in JSON. */
const zipBodyMax = (config: Config) => Math.ceil((config.limits.zipMaxBytes * 4) / 3) + SMALL_BODY;

/**
 * Routes of the function lifecycle and Invoke. Each entry names the IAM action and the
 * resource ARN that the authorization layer will check.
 */
export function functionRoutes(deps: RouteDeps): Route[] {
  const { config, functions } = deps;
  const scope = functions.scope;
  const fnArn = (ctx: RouteContext) => functionResource(scope, ctx);
  const configOf = (r: FunctionRecord) => toConfiguration(scope, r);

  return [
    {
      // CreateFunction
      operation: 'CreateFunction',
      method: 'POST',
      path: '/2015-03-31/functions',
      action: 'lambda:CreateFunction',
      resource: () => functionArn(scope, '*'),
      maxBody: zipBodyMax(config),
      async handle(ctx) {
        const body = parseBody(CreateFunctionBody, await ctx.body());
        deps.passRole?.(ctx.req, body.Role);
        const record = await functions.create(body);
        if (body.Publish) return { status: 201, body: toConfiguration(scope, deps.versions.publish(record.name), true) };
        return { status: 201, body: configOf(record) };
      },
    },
    {
      // ListFunctions
      operation: 'ListFunctions',
      method: 'GET',
      path: '/2015-03-31/functions',
      action: 'lambda:ListFunctions',
      resource: () => '*',
      maxBody: 0,
      handle(ctx) {
        const maxItems = parseMaxItems(ctx.query.get('MaxItems'));
        const all = parseFunctionVersion(ctx.query.get('FunctionVersion'));
        const marker = ctx.query.get('Marker') ?? undefined;
        const page = all ? deps.versions.listAll(marker, Math.min(maxItems, LIST_PAGE_MAX)) : functions.list(marker, Math.min(maxItems, LIST_PAGE_MAX));
        return {
          status: 200,
          body: { Functions: page.items.map((r) => toConfiguration(scope, r, all)), ...(page.nextMarker ? { NextMarker: page.nextMarker } : {}) },
        };
      },
    },
    {
      // GetFunction
      operation: 'GetFunction',
      method: 'GET',
      path: '/2015-03-31/functions/:FunctionName',
      action: 'lambda:GetFunction',
      resource: fnArn,
      maxBody: 0,
      handle(ctx) {
        const { record, functionArn: arn } = deps.versions.describe(ctx.params.FunctionName!, ctx.query.get('Qualifier') ?? undefined);
        const hex = record.codeKey.slice('code/'.length, -'.zip'.length);
        return {
          status: 200,
          body: {
            Configuration: { ...configOf(record), FunctionArn: arn },
            Code: { RepositoryType: 'S3', Location: deps.signer.url(ctx.baseUrl, record.name, hex) },
            ...(Object.keys(record.tags).length > 0 ? { Tags: record.tags } : {}),
            ...concurrencyOf(deps, record.name),
          },
        };
      },
    },
    {
      // GetFunctionConfiguration
      operation: 'GetFunctionConfiguration',
      method: 'GET',
      path: '/2015-03-31/functions/:FunctionName/configuration',
      action: 'lambda:GetFunctionConfiguration',
      resource: fnArn,
      maxBody: 0,
      handle(ctx) {
        const { record, functionArn: arn } = deps.versions.describe(ctx.params.FunctionName!, ctx.query.get('Qualifier') ?? undefined);
        return { status: 200, body: { ...configOf(record), FunctionArn: arn } };
      },
    },
    {
      // UpdateFunctionCode
      operation: 'UpdateFunctionCode',
      method: 'PUT',
      path: '/2015-03-31/functions/:FunctionName/code',
      action: 'lambda:UpdateFunctionCode',
      resource: fnArn,
      maxBody: zipBodyMax(config),
      async handle(ctx) {
        const body = parseBody(UpdateFunctionCodeBody, await ctx.body());
        const record = await functions.updateCode(ctx.params.FunctionName!, body);
        if (body.Publish && !body.DryRun) {
          const version = deps.versions.publish(record.name, { revisionId: record.revisionId });
          return { status: 200, body: toConfiguration(scope, version, true) };
        }
        return { status: 200, body: configOf(record) };
      },
    },
    {
      // UpdateFunctionConfiguration
      operation: 'UpdateFunctionConfiguration',
      method: 'PUT',
      path: '/2015-03-31/functions/:FunctionName/configuration',
      action: 'lambda:UpdateFunctionConfiguration',
      resource: fnArn,
      maxBody: SMALL_BODY,
      async handle(ctx) {
        const body = parseBody(UpdateFunctionConfigurationBody, await ctx.body());
        if (body.Role !== undefined) deps.passRole?.(ctx.req, body.Role);
        const record = await functions.updateConfiguration(ctx.params.FunctionName!, body);
        return { status: 200, body: configOf(record) };
      },
    },
    {
      // DeleteFunction
      operation: 'DeleteFunction',
      method: 'DELETE',
      path: '/2015-03-31/functions/:FunctionName',
      action: 'lambda:DeleteFunction',
      resource: fnArn,
      maxBody: 0,
      async handle(ctx) {
        await deps.versions.deleteFunction(ctx.params.FunctionName!, ctx.query.get('Qualifier') ?? undefined);
        return { status: 204 };
      },
    },
    {
      // GetAccountSettings
      operation: 'GetAccountSettings',
      method: 'GET',
      path: '/2016-08-19/account-settings',
      action: 'lambda:GetAccountSettings',
      resource: () => '*',
      maxBody: 0,
      handle() {
        const usage = deps.store.usage();
        return {
          status: 200,
          body: {
            AccountLimit: {
              // AWS's default code storage quota: 75 GB.
              TotalCodeSize: 80_530_636_800,
              CodeSizeUnzipped: config.limits.unzippedMaxBytes,
              CodeSizeZipped: config.limits.zipMaxBytes,
              ConcurrentExecutions: config.concurrencyLimit,
              UnreservedConcurrentExecutions: deps.concurrency.unreserved,
            },
            AccountUsage: { TotalCodeSize: usage.totalCodeSize, FunctionCount: usage.functionCount },
          },
        };
      },
    },
    {
      // Invoke
      operation: 'Invoke',
      method: 'POST',
      path: '/2015-03-31/functions/:FunctionName/invocations',
      action: 'lambda:InvokeFunction',
      resource: fnArn,
      maxBody: config.limits.syncPayloadMaxBytes,
      tooLargeMessage: invokeTooLargeMessage,
      handle: (ctx) =>
        invokeRoute(
          {
            invoker: deps.invoker,
            queue: deps.queue,
            scope,
            resolve: deps.resolve,
            syncPayloadMaxBytes: config.limits.syncPayloadMaxBytes,
            asyncPayloadMaxBytes: config.limits.asyncPayloadMaxBytes,
          },
          ctx,
        ),
    },
    {
      // InvokeAsync (deprecated): an Event invocation under its old path.
      operation: 'InvokeAsync',
      method: 'POST',
      path: '/2014-11-13/functions/:FunctionName/invoke-async',
      action: 'lambda:InvokeFunction',
      resource: fnArn,
      maxBody: INVOKE_ASYNC_MAX_BYTES,
      tooLargeMessage: (limit) => `Request must be smaller than ${limit} bytes for the InvokeAsync operation`,
      handle: (ctx) =>
        invokeAsyncRoute(
          {
            invoker: deps.invoker,
            queue: deps.queue,
            scope,
            resolve: deps.resolve,
            syncPayloadMaxBytes: config.limits.syncPayloadMaxBytes,
            asyncPayloadMaxBytes: INVOKE_ASYNC_MAX_BYTES,
          },
          ctx,
        ),
    },
  ];
}

function concurrencyOf(deps: RouteDeps, name: string) {
  const reserved = deps.concurrency.getReserved(name);
  return reserved === undefined ? {} : { Concurrency: { ReservedConcurrentExecutions: reserved } };
}

/** The ARN a function-scoped route acts on: the FunctionName path parameter, qualified when asked. */
export function functionResource(scope: Scope, ctx: RouteContext): string {
  const raw = ctx.params.FunctionName ?? '';
  try {
    const ref = parseFunctionRef(raw, scope);
    const q = ctx.query.get('Qualifier') ?? ref.qualifier;
    return functionArn(scope, ref.name, q ?? undefined);
  } catch {
    return functionArn(scope, raw);
  }
}

/** ListFunctions' FunctionVersion: only ALL (every published version too) is accepted. */
function parseFunctionVersion(raw: string | null): boolean {
  if (raw === null) return false;
  if (raw !== 'ALL') {
    throw new InvalidParameterValueException(
      `1 validation error detected: Value '${raw}' at 'functionVersion' failed to satisfy constraint: Member must satisfy enum value set: [ALL]`,
    );
  }
  return true;
}

export function parseMaxItems(raw: string | null): number {
  if (raw === null) return LIST_PAGE_MAX;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 10000) {
    throw new InvalidParameterValueException(
      `1 validation error detected: Value '${raw}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000`,
    );
  }
  return n;
}
