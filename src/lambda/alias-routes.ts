import type { AliasRecord } from '../storage/index.ts';
import type { Route } from './router.ts';
import type { RouteDeps } from './function-routes.ts';
import { parseMaxItems } from './function-routes.ts';
import { functionArn, type Scope } from './names.ts';
import { parseBody } from './schemas.ts';
import { unqualifiedResource } from './version-routes.ts';
import { CreateAliasBody, UpdateAliasBody } from './versioning-schemas.ts';

const SMALL_BODY = 64 * 1024;

/** AliasConfiguration as AWS returns it: https://docs.aws.amazon.com/lambda/latest/api/API_AliasConfiguration.html */
export function toAliasConfiguration(scope: Scope, a: AliasRecord) {
  return {
    AliasArn: functionArn(scope, a.functionName, a.name),
    Name: a.name,
    FunctionVersion: a.functionVersion,
    Description: a.description,
    ...(a.additionalVersionWeights ? { RoutingConfig: { AdditionalVersionWeights: a.additionalVersionWeights } } : {}),
    RevisionId: a.revisionId,
  };
}

/** Aliases: Create/Get/Update/Delete/ListAliases, each acting on the (unqualified) function ARN. */
export function aliasRoutes(deps: RouteDeps): Route[] {
  const scope = deps.functions.scope;
  const resource = (ctx: Parameters<Route['resource']>[0]) => unqualifiedResource(scope, ctx);
  const out = (a: AliasRecord) => toAliasConfiguration(scope, a);
  return [
    {
      // CreateAlias
      operation: 'CreateAlias',
      method: 'POST',
      path: '/2015-03-31/functions/:FunctionName/aliases',
      action: 'lambda:CreateAlias',
      resource,
      maxBody: SMALL_BODY,
      async handle(ctx) {
        const body = parseBody(CreateAliasBody, await ctx.body());
        return { status: 201, body: out(deps.aliases.create(ctx.params.FunctionName!, body)) };
      },
    },
    {
      // ListAliases
      operation: 'ListAliases',
      method: 'GET',
      path: '/2015-03-31/functions/:FunctionName/aliases',
      action: 'lambda:ListAliases',
      resource,
      maxBody: 0,
      handle(ctx) {
        const page = deps.aliases.list(ctx.params.FunctionName!, {
          marker: ctx.query.get('Marker') ?? undefined,
          maxItems: parseMaxItems(ctx.query.get('MaxItems')),
          functionVersion: ctx.query.get('FunctionVersion') ?? undefined,
        });
        return { status: 200, body: { Aliases: page.items.map(out), ...(page.nextMarker ? { NextMarker: page.nextMarker } : {}) } };
      },
    },
    {
      // GetAlias
      operation: 'GetAlias',
      method: 'GET',
      path: '/2015-03-31/functions/:FunctionName/aliases/:Name',
      action: 'lambda:GetAlias',
      resource,
      maxBody: 0,
      handle(ctx) {
        return { status: 200, body: out(deps.aliases.get(ctx.params.FunctionName!, ctx.params.Name!)) };
      },
    },
    {
      // UpdateAlias
      operation: 'UpdateAlias',
      method: 'PUT',
      path: '/2015-03-31/functions/:FunctionName/aliases/:Name',
      action: 'lambda:UpdateAlias',
      resource,
      maxBody: SMALL_BODY,
      async handle(ctx) {
        const body = parseBody(UpdateAliasBody, await ctx.body());
        return { status: 200, body: out(deps.aliases.update(ctx.params.FunctionName!, ctx.params.Name!, body)) };
      },
    },
    {
      // DeleteAlias
      operation: 'DeleteAlias',
      method: 'DELETE',
      path: '/2015-03-31/functions/:FunctionName/aliases/:Name',
      action: 'lambda:DeleteAlias',
      resource,
      maxBody: 0,
      handle(ctx) {
        deps.aliases.delete(ctx.params.FunctionName!, ctx.params.Name!);
        return { status: 204 };
      },
    },
  ];
}
