import { z } from 'zod';
import type { Route } from './router.ts';
import type { RouteDeps } from './function-routes.ts';
import { functionResource } from './function-routes.ts';
import { parseBody } from './schemas.ts';

const SMALL_BODY = 64 * 1024;

// https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionConcurrency.html
const PutFunctionConcurrencyBody = z
  .object({
    ReservedConcurrentExecutions: z
      .number({ error: "Value at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must not be null" })
      .int({ error: "Value at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must be an integer" })
      .min(0, { error: (i) => `Value '${String(i.input)}' at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 0` }),
  })
  .loose();

/** Reserved concurrency: Put/Get/DeleteFunctionConcurrency. */
export function concurrencyRoutes(deps: RouteDeps): Route[] {
  const scope = deps.functions.scope;
  const concurrency = deps.concurrency;
  return [
    {
      // PutFunctionConcurrency
      operation: 'PutFunctionConcurrency',
      method: 'PUT',
      path: '/2017-10-31/functions/:FunctionName/concurrency',
      action: 'lambda:PutFunctionConcurrency',
      resource: (ctx) => functionResource(scope, ctx),
      maxBody: SMALL_BODY,
      async handle(ctx) {
        const body = parseBody(PutFunctionConcurrencyBody, await ctx.body());
        const reserved = concurrency.putReserved(ctx.params.FunctionName!, body.ReservedConcurrentExecutions);
        return { status: 200, body: { ReservedConcurrentExecutions: reserved } };
      },
    },
    {
      // GetFunctionConcurrency
      operation: 'GetFunctionConcurrency',
      method: 'GET',
      path: '/2019-09-30/functions/:FunctionName/concurrency',
      action: 'lambda:GetFunctionConcurrency',
      resource: (ctx) => functionResource(scope, ctx),
      maxBody: 0,
      handle(ctx) {
        const reserved = concurrency.getReserved(ctx.params.FunctionName!);
        return { status: 200, body: reserved === undefined ? {} : { ReservedConcurrentExecutions: reserved } };
      },
    },
    {
      // DeleteFunctionConcurrency
      operation: 'DeleteFunctionConcurrency',
      method: 'DELETE',
      path: '/2017-10-31/functions/:FunctionName/concurrency',
      action: 'lambda:DeleteFunctionConcurrency',
      resource: (ctx) => functionResource(scope, ctx),
      maxBody: 0,
      handle(ctx) {
        concurrency.deleteReserved(ctx.params.FunctionName!);
        return { status: 204 };
      },
    },
  ];
}
