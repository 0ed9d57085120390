import type { Route, RouteContext } from './router.ts';
import type { RouteDeps } from './function-routes.ts';
import { parseMaxItems } from './function-routes.ts';
import { functionArn, parseFunctionRef, type Scope } from './names.ts';
import { parseBody } from './schemas.ts';
import { toConfiguration } from './shapes.ts';
import { PublishVersionBody } from './versioning-schemas.ts';

const SMALL_BODY = 64 * 1024;

/** Versions: PublishVersion and ListVersionsByFunction. Both act on the (unqualified) function ARN. */
export function versionRoutes(deps: RouteDeps): Route[] {
  const scope = deps.functions.scope;
  return [
    {
      // PublishVersion
      operation: 'PublishVersion',
      method: 'POST',
      path: '/2015-03-31/functions/:FunctionName/versions',
      action: 'lambda:PublishVersion',
      resource: (ctx) => unqualifiedResource(scope, ctx),
      maxBody: SMALL_BODY,
      async handle(ctx) {
        const body = parseBody(PublishVersionBody, await ctx.body());
        const version = deps.versions.publish(ctx.params.FunctionName!, {
          codeSha256: body.CodeSha256,
          revisionId: body.RevisionId,
          description: body.Description,
        });
        return { status: 201, body: toConfiguration(scope, version, true) };
      },
    },
    {
      // ListVersionsByFunction
      operation: 'ListVersionsByFunction',
      method: 'GET',
      path: '/2015-03-31/functions/:FunctionName/versions',
      action: 'lambda:ListVersionsByFunction',
      resource: (ctx) => unqualifiedResource(scope, ctx),
      maxBody: 0,
      handle(ctx) {
        const maxItems = parseMaxItems(ctx.query.get('MaxItems'));
        const page = deps.versions.listVersions(ctx.params.FunctionName!, ctx.query.get('Marker') ?? undefined, maxItems);
        return {
          status: 200,
          body: {
            Versions: page.items.map((r) => toConfiguration(scope, r, true)),
            ...(page.nextMarker ? { NextMarker: page.nextMarker } : {}),
          },
        };
      },
    },
  ];
}

/** The function ARN without qualifier: what IAM checks for version and alias management. */
export function unqualifiedResource(scope: Scope, ctx: RouteContext): string {
  const raw = ctx.params.FunctionName ?? '';
  try {
    return functionArn(scope, parseFunctionRef(raw, scope).name);
  } catch {
    return functionArn(scope, raw);
  }
}
