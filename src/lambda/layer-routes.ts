import type { LayerFilter, LayerVersionRecord } from '../storage/index.ts';
import { InvalidParameterValueException } from '../errors/index.ts';
import type { RouteDeps } from './function-routes.ts';
import { ARCHITECTURES, LAYER_LIST_MAX, PublishLayerVersionBody } from './layer-schemas.ts';
import { parseLayerName, type LayerService } from './layer-service.ts';
import { AWS_RUNTIMES } from './runtimes.ts';
import { parseBody } from './schemas.ts';
import type { Route, RouteContext } from './router.ts';

/** A ZipFile of the largest package, base64 in JSON, plus the other members. */
const zipBodyMax = (zipMaxBytes: number) => Math.ceil((zipMaxBytes * 4) / 3) + 1024 * 1024;

/**
 * Routes of Lambda layers. Resources follow the IAM reference: PublishLayerVersion and
 * ListLayerVersions act on the layer, Get/DeleteLayerVersion on the layer version,
 * ListLayers on '*'.
 */
export function layerRoutes(deps: RouteDeps): Route[] {
  const scope = deps.functions.scope;
  // The service is read at call time: building the table needs only the scope.
  const layers = (): LayerService => deps.layers;
  const layerArn = (ctx: RouteContext) => {
    const raw = ctx.params.LayerName ?? '';
    const base = `arn:aws:lambda:${scope.region}:${scope.accountId}:layer:`;
    try {
      const ref = parseLayerName(raw, scope);
      return ref.foreign ? raw : `${base}${ref.name}`;
    } catch {
      return `${base}${raw}`;
    }
  };
  const versionArn = (ctx: RouteContext) => `${layerArn(ctx)}:${ctx.params.VersionNumber ?? ''}`;
  const full = (ctx: RouteContext, r: LayerVersionRecord) => {
    const service = layers();
    const hex = r.codeKey.slice('layer/'.length, -'.zip'.length);
    return toLayerVersion(service, r, deps.signer.url(ctx.baseUrl, service.downloadName(r), hex));
  };

  return [
    {
      // PublishLayerVersion
      operation: 'PublishLayerVersion',
      method: 'POST',
      path: '/2018-10-31/layers/:LayerName/versions',
      action: 'lambda:PublishLayerVersion',
      resource: layerArn,
      maxBody: zipBodyMax(deps.config.limits.zipMaxBytes),
      async handle(ctx) {
        const body = parseBody(PublishLayerVersionBody, await ctx.body());
        const record = await layers().publish(ctx.params.LayerName!, body);
        return { status: 201, body: full(ctx, record) };
      },
    },
    {
      // GetLayerVersion
      operation: 'GetLayerVersion',
      method: 'GET',
      path: '/2018-10-31/layers/:LayerName/versions/:VersionNumber',
      action: 'lambda:GetLayerVersion',
      resource: versionArn,
      maxBody: 0,
      handle(ctx) {
        return { status: 200, body: full(ctx, layers().get(ctx.params.LayerName!, ctx.params.VersionNumber!)) };
      },
    },
    {
      // GetLayerVersionByArn
      operation: 'GetLayerVersionByArn',
      method: 'GET',
      path: '/2018-10-31/layers',
      query: { find: 'LayerVersion' },
      action: 'lambda:GetLayerVersion',
      resource: (ctx) => ctx.query.get('Arn') ?? `arn:aws:lambda:${scope.region}:${scope.accountId}:layer:*`,
      maxBody: 0,
      handle(ctx) {
        return { status: 200, body: full(ctx, layers().getByArn(ctx.query.get('Arn'))) };
      },
    },
    {
      // ListLayers
      operation: 'ListLayers',
      method: 'GET',
      path: '/2018-10-31/layers',
      action: 'lambda:ListLayers',
      resource: () => '*',
      maxBody: 0,
      handle(ctx) {
        const service = layers();
        const page = service.listLatest(parseFilter(ctx), ctx.query.get('Marker') ?? undefined, parseLayerMaxItems(ctx));
        return {
          status: 200,
          body: {
            Layers: page.items.map((r) => ({ LayerName: r.name, LayerArn: service.layerArn(r.name), LatestMatchingVersion: toListItem(service, r) })),
            ...(page.nextMarker ? { NextMarker: page.nextMarker } : {}),
          },
        };
      },
    },
    {
      // ListLayerVersions
      operation: 'ListLayerVersions',
      method: 'GET',
      path: '/2018-10-31/layers/:LayerName/versions',
      action: 'lambda:ListLayerVersions',
      resource: layerArn,
      maxBody: 0,
      handle(ctx) {
        const service = layers();
        const page = service.listVersions(ctx.params.LayerName!, parseFilter(ctx), ctx.query.get('Marker') ?? undefined, parseLayerMaxItems(ctx));
        return {
          status: 200,
          body: {
            LayerVersions: page.items.map((r) => toListItem(service, r)),
            ...(page.nextMarker ? { NextMarker: page.nextMarker } : {}),
          },
        };
      },
    },
    {
      // DeleteLayerVersion
      operation: 'DeleteLayerVersion',
      method: 'DELETE',
      path: '/2018-10-31/layers/:LayerName/versions/:VersionNumber',
      action: 'lambda:DeleteLayerVersion',
      resource: versionArn,
      maxBody: 0,
      async handle(ctx) {
        await layers().delete(ctx.params.LayerName!, ctx.params.VersionNumber!);
        return { status: 204 };
      },
    },
  ];
}

/** LayerVersionsListItem: a version without its content. */
function toListItem(service: LayerService, r: LayerVersionRecord) {
  return {
    LayerVersionArn: service.versionArn(r),
    Version: r.version,
    Description: r.description,
    CreatedDate: r.createdDate,
    ...(r.compatibleRuntimes ? { CompatibleRuntimes: r.compatibleRuntimes } : {}),
    ...(r.licenseInfo !== undefined ? { LicenseInfo: r.licenseInfo } : {}),
    ...(r.compatibleArchitectures ? { CompatibleArchitectures: r.compatibleArchitectures } : {}),
  };
}

/** GetLayerVersion / PublishLayerVersion output, with a presigned Content.Location. */
function toLayerVersion(service: LayerService, r: LayerVersionRecord, location: string) {
  const { LayerVersionArn, ...rest } = toListItem(service, r);
  return {
    Content: { Location: location, CodeSha256: r.codeSha256, CodeSize: r.codeSize },
    LayerArn: service.layerArn(r.name),
    LayerVersionArn,
    ...rest,
  };
}

function parseFilter(ctx: RouteContext): LayerFilter {
  const runtime = ctx.query.get('CompatibleRuntime');
  const architecture = ctx.query.get('CompatibleArchitecture');
  if (runtime !== null && !AWS_RUNTIMES.has(runtime)) {
    throw new InvalidParameterValueException(
      `1 validation error detected: Value '${runtime}' at 'compatibleRuntime' failed to satisfy constraint: Member must satisfy enum value set: [${[...AWS_RUNTIMES].join(', ')}]`,
    );
  }
  if (architecture !== null && !(ARCHITECTURES as readonly string[]).includes(architecture)) {
    throw new InvalidParameterValueException(
      `1 validation error detected: Value '${architecture}' at 'compatibleArchitecture' failed to satisfy constraint: Member must satisfy enum value set: [x86_64, arm64]`,
    );
  }
  return { ...(runtime !== null ? { runtime } : {}), ...(architecture !== null ? { architecture } : {}) };
}

function parseLayerMaxItems(ctx: RouteContext): number {
  const raw = ctx.query.get('MaxItems');
  if (raw === null) return LAYER_LIST_MAX;
  const n = Number(raw);
  if (!Number.isInteger(n)) {
    throw new InvalidParameterValueException(`1 validation error detected: Value '${raw}' at 'maxItems' failed to satisfy constraint: Member must be an integer`);
  }
  if (n < 1 || n > LAYER_LIST_MAX) {
    const bound = n < 1 ? 'greater than or equal to 1' : `less than or equal to ${LAYER_LIST_MAX}`;
    throw new InvalidParameterValueException(`1 validation error detected: Value '${raw}' at 'maxItems' failed to satisfy constraint: Member must have value ${bound}`);
  }
  return n;
}
