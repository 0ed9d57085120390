import { z } from 'zod';
import type { Route } from './router.ts';
import type { RouteDeps } from './function-routes.ts';
import { functionResource } from './function-routes.ts';
import { parseBody } from './schemas.ts';

const SMALL_BODY = 64 * 1024;

// https://docs.aws.amazon.com/lambda/latest/api/API_PutProvisionedConcurrencyConfig.html
const PutProvisionedConcurrencyConfigBody = z
  .object({
    ProvisionedConcurrentExecutions: z
      .number({ error: "Value at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member must not be null" })
      .int({ error: "Value at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member must be an integer" })
      .min(1, { error: (i) => `Value '${String(i.input)}' at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 1` }),
  })
  .loose();

/** Provisioned concurrency: Put/Get/Delete/ListProvisionedConcurrencyConfigs. */
export function provisionedRoutes(deps: RouteDeps): Route[] {
  const scope = deps.functions.scope;
  const provisioned = deps.provisioned;
  const qualifier = (q: URLSearchParams) => q.get('Qualifier') ?? undefined;
  return [
    {
      // PutProvisionedConcurrencyConfig
      operation: 'PutProvisionedConcurrencyConfig',
      method: 'PUT',
      path: '/2019-09-30/functions/:FunctionName/provisioned-concurrency',
      action: 'lambda:PutProvisionedConcurrencyConfig',
      resource: (ctx) => functionResource(scope, ctx),
      maxBody: SMALL_BODY,
      async handle(ctx) {
        const body = parseBody(PutProvisionedConcurrencyConfigBody, await ctx.body());
        const out = await provisioned.put(ctx.params.FunctionName!, qualifier(ctx.query), body.ProvisionedConcurrentExecutions);
        return { status: 202, body: out };
      },
    },
    {
      // ListProvisionedConcurrencyConfigs
      operation: 'ListProvisionedConcurrencyConfigs',
      method: 'GET',
      path: '/2019-09-30/functions/:FunctionName/provisioned-concurrency',
      query: { List: 'ALL' },
      action: 'lambda:ListProvisionedConcurrencyConfigs',
      resource: (ctx) => functionResource(scope, ctx),
      maxBody: 0,
      handle(ctx) {
        const all = provisioned.list(ctx.params.FunctionName!);
        const max = Number(ctx.query.get('MaxItems') ?? 50);
        const start = Number(ctx.query.get('Marker') ?? 0) || 0;
        const page = all.slice(start, start + Math.max(1, Math.min(50, max || 50)));
        const next = start + page.length < all.length ? String(start + page.length) : undefined;
        return { status: 200, body: { ProvisionedConcurrencyConfigs: page, ...(next ? { NextMarker: next } : {}) } };
      },
    },
    {
      // GetProvisionedConcurrencyConfig
      operation: 'GetProvisionedConcurrencyConfig',
      method: 'GET',
      path: '/2019-09-30/functions/:FunctionName/provisioned-concurrency',
      action: 'lambda:GetProvisionedConcurrencyConfig',
      resource: (ctx) => functionResource(scope, ctx),
      maxBody: 0,
      handle(ctx) {
        return { status: 200, body: provisioned.get(ctx.params.FunctionName!, qualifier(ctx.query)) };
      },
    },
    {
      // DeleteProvisionedConcurrencyConfig
      operation: 'DeleteProvisionedConcurrencyConfig',
      method: 'DELETE',
      path: '/2019-09-30/functions/:FunctionName/provisioned-concurrency',
      action: 'lambda:DeleteProvisionedConcurrencyConfig',
      resource: (ctx) => functionResource(scope, ctx),
      maxBody: 0,
      handle(ctx) {
        provisioned.delete(ctx.params.FunctionName!, qualifier(ctx.query));
        return { status: 204 };
      },
    },
  ];
}
