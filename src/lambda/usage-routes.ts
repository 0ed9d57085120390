import { InvalidParameterValueException } from '../errors/index.ts';
import type { UsageReport } from '../metrics/index.ts';
import { parseFunctionRef, type Scope } from './names.ts';
import type { Route } from './router.ts';

/** Nimbus's metered usage (no AWS API has it: AWS bills it instead). */
export const USAGE_PATH = '/_nimbus/usage';

export interface UsageRouteDeps {
  readonly usage: (since: number, until: number, functionName?: string) => UsageReport;
  readonly scope: Scope;
}

/** What `nimbus usage` calls: GB-seconds, requests and AWS's price per function over a period. */
export function usageRoutes(deps: UsageRouteDeps): Route[] {
  return [
    {
      // Nimbus: metered usage; ?since=&until= (epoch ms or ISO 8601), &function= (name or ARN).
      operation: 'GetUsage',
      method: 'GET',
      path: USAGE_PATH,
      action: 'lambda:ListFunctions',
      resource: () => '*',
      maxBody: 0,
      handle: (ctx) => {
        const since = timeParam(ctx.query.get('since'), 'since') ?? 0;
        const until = timeParam(ctx.query.get('until'), 'until') ?? Number.MAX_SAFE_INTEGER;
        const fn = ctx.query.get('function');
        // Usage outlives its function: a deleted function's name is still a valid filter.
        const name = fn ? parseFunctionRef(fn, deps.scope).name : undefined;
        const report = deps.usage(since, until, name);
        return {
          status: 200,
          body: {
            Since: new Date(report.since).toISOString(),
            ...(until < Number.MAX_SAFE_INTEGER ? { Until: new Date(report.until).toISOString() } : {}),
            Functions: report.functions.map((f) => ({
              FunctionName: f.functionName,
              Architectures: f.architectures,
              Requests: f.requests,
              BilledDurationMs: f.billedMs,
              GBSeconds: f.gbSeconds,
              Cost: f.cost,
            })),
            Total: { Requests: report.total.requests, BilledDurationMs: report.total.billedMs, GBSeconds: report.total.gbSeconds, Cost: report.total.cost },
          },
        };
      },
    },
  ];
}

function timeParam(text: string | null, name: string): number | undefined {
  if (text === null || text === '') return undefined;
  const at = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  // Beyond ±8.64e15 ms a Date cannot be formatted.
  if (!Number.isFinite(at) || Math.abs(at) > 8.64e15) throw new InvalidParameterValueException(`${name} must be milliseconds since the epoch or an ISO 8601 time, not '${text}'`);
  return at;
}
