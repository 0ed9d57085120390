import type { EventQueue } from '../queue/index.ts';
import { functionResource } from './function-routes.ts';
import type { Scope } from './names.ts';
import type { Route } from './router.ts';

/** Nimbus's own paths for the async queue's failed events (no AWS API has them). */
export const EVENTS_PATH_PREFIX = '/_nimbus/events/';

export interface EventAdminDeps {
  readonly queue: EventQueue;
  readonly scope: Scope;
  /** The function's name, from a name or ARN; throws the API's 404 when it does not exist. */
  readonly nameOf: (functionName: string) => string;
}

/**
 * What `nimbus events failed|redrive` call: the events that failed every attempt (or grew
 * too old) and reached no destination, and sending them through the queue again.
 */
export function eventAdminRoutes(deps: EventAdminDeps): Route[] {
  const { queue, scope } = deps;
  return [
    {
      // Nimbus: the failed async events of a function.
      operation: 'ListFailedEvents',
      method: 'GET',
      path: '/_nimbus/events/:FunctionName/failed',
      action: 'lambda:GetFunction',
      resource: (ctx) => functionResource(scope, ctx),
      maxBody: 0,
      handle: (ctx) => ({ status: 200, body: { FailedEvents: queue.failed(deps.nameOf(ctx.params.FunctionName!)) } }),
    },
    {
      // Nimbus: sends a function's failed async events through the queue again.
      operation: 'RedriveFailedEvents',
      method: 'POST',
      path: '/_nimbus/events/:FunctionName/redrive',
      action: 'lambda:InvokeFunction',
      resource: (ctx) => functionResource(scope, ctx),
      maxBody: 0,
      handle: (ctx) => ({ status: 200, body: { Redriven: queue.redrive(deps.nameOf(ctx.params.FunctionName!)) } }),
    },
  ];
}
