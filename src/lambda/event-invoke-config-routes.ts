import { z } from 'zod';
import { InvalidParameterValueException } from '../errors/index.ts';
import type { Route } from './router.ts';
import type { RouteDeps } from './function-routes.ts';
import { functionResource } from './function-routes.ts';
import { parseBody } from './schemas.ts';
import { EVENT_INVOKE_CONFIGS_PAGE_MAX } from './event-invoke-config-service.ts';

const SMALL_BODY = 64 * 1024;

/*
 * Request members and limits from the service model (FunctionEventInvokeConfig, DestinationConfig):
 * https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html
 * https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionEventInvokeConfig.html
 */
/** MaximumRetryAttempts: 0..2. */
export const RETRY_ATTEMPTS_MIN = 0;
export const RETRY_ATTEMPTS_MAX = 2;
/** MaximumEventAgeInSeconds: 60..21600 (six hours). */
export const EVENT_AGE_MIN = 60;
export const EVENT_AGE_MAX = 21_600;
/** DestinationArn: 0..350 characters, of the model's pattern (an empty string is no destination). */
const DESTINATION_MAX = 350;
const DESTINATION = /^(?:|kafka:\/\/[^.][a-zA-Z0-9\-_.]{0,248}|arn:aws[a-zA-Z0-9-]*:[a-zA-Z0-9-]+:(?:[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d)?:(?:\d{12})?:.*)$/s;
const DESTINATION_PATTERN =
  '$|kafka://([^.]([a-zA-Z0-9\\-_.]{0,248}))|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)';

const integer = (field: string) =>
  z
    .number({ error: (i) => `1 validation error detected: Value '${String(i.input)}' at '${field}' failed to satisfy constraint: Member must be an integer` })
    .int({ error: (i) => `1 validation error detected: Value '${String(i.input)}' at '${field}' failed to satisfy constraint: Member must be an integer` })
    .nullish();

const destination = (field: string) =>
  z
    .object({
      Destination: z
        .string({ error: `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must be a string` })
        .nullish(),
    })
    .loose()
    .nullish();

/** Put and Update take the same members; every range and pattern failure is reported at once, as AWS does. */
const EventInvokeConfigBody = z
  .object({
    MaximumRetryAttempts: integer('maximumRetryAttempts'),
    MaximumEventAgeInSeconds: integer('maximumEventAgeInSeconds'),
    DestinationConfig: z
      .object({
        OnSuccess: destination('destinationConfig.onSuccess.destination'),
        OnFailure: destination('destinationConfig.onFailure.destination'),
      })
      .loose()
      .nullish(),
  })
  .loose()
  .superRefine((body, ctx) => {
    const problems: string[] = [];
    const range = (value: number | null | undefined, field: string, min: number, max: number) => {
      if (value === null || value === undefined) return;
      if (value < min) problems.push(constraint(value, field, `Member must have value greater than or equal to ${min}`));
      else if (value > max) problems.push(constraint(value, field, `Member must have value less than or equal to ${max}`));
    };
    range(body.MaximumRetryAttempts, 'maximumRetryAttempts', RETRY_ATTEMPTS_MIN, RETRY_ATTEMPTS_MAX);
    range(body.MaximumEventAgeInSeconds, 'maximumEventAgeInSeconds', EVENT_AGE_MIN, EVENT_AGE_MAX);
    for (const [side, field] of [['OnSuccess', 'destinationConfig.onSuccess.destination'], ['OnFailure', 'destinationConfig.onFailure.destination']] as const) {
      const arn = body.DestinationConfig?.[side]?.Destination;
      if (arn === null || arn === undefined) continue;
      if (arn.length > DESTINATION_MAX) problems.push(constraint(arn, field, `Member must have length less than or equal to ${DESTINATION_MAX}`));
      else if (!DESTINATION.test(arn)) problems.push(constraint(arn, field, `Member must satisfy regular expression pattern: ${DESTINATION_PATTERN}`));
    }
    if (problems.length === 0) return;
    const count = problems.length === 1 ? '1 validation error' : `${problems.length} validation errors`;
    ctx.addIssue({ code: 'custom', message: `${count} detected: ${problems.join('; ')}` });
  });

function constraint(value: unknown, field: string, rule: string): string {
  return `Value '${String(value)}' at '${field}' failed to satisfy constraint: ${rule}`;
}

/** ListFunctionEventInvokeConfigs' MaxItems: 1..50, 50 when absent. */
function parseMaxItems(raw: string | null): number {
  if (raw === null) return EVENT_INVOKE_CONFIGS_PAGE_MAX;
  const n = Number(raw);
  const fail = (rule: string) => new InvalidParameterValueException(`1 validation error detected: ${constraint(raw, 'maxItems', rule)}`);
  if (raw.trim() === '' || !Number.isInteger(n)) throw fail('Member must be an integer');
  if (n < 1) throw fail('Member must have value greater than or equal to 1');
  if (n > EVENT_INVOKE_CONFIGS_PAGE_MAX) throw fail(`Member must have value less than or equal to ${EVENT_INVOKE_CONFIGS_PAGE_MAX}`);
  return n;
}

/** Asynchronous invocation settings: Put/Get/Update/Delete/ListFunctionEventInvokeConfig(s). */
export function eventInvokeConfigRoutes(deps: RouteDeps): Route[] {
  const scope = deps.functions.scope;
  const qualifier = (q: URLSearchParams) => q.get('Qualifier') ?? undefined;
  const path = '/2019-09-25/functions/:FunctionName/event-invoke-config';
  return [
    {
      // PutFunctionEventInvokeConfig
      operation: 'PutFunctionEventInvokeConfig',
      method: 'PUT',
      path,
      action: 'lambda:PutFunctionEventInvokeConfig',
      resource: (ctx) => functionResource(scope, ctx),
      maxBody: SMALL_BODY,
      async handle(ctx) {
        const body = parseBody(EventInvokeConfigBody, await ctx.body());
        return { status: 200, body: deps.eventConfigs.put(ctx.params.FunctionName!, qualifier(ctx.query), body) };
      },
    },
    {
      // GetFunctionEventInvokeConfig
      operation: 'GetFunctionEventInvokeConfig',
      method: 'GET',
      path,
      action: 'lambda:GetFunctionEventInvokeConfig',
      resource: (ctx) => functionResource(scope, ctx),
      maxBody: 0,
      handle(ctx) {
        return { status: 200, body: deps.eventConfigs.get(ctx.params.FunctionName!, qualifier(ctx.query)) };
      },
    },
    {
      // UpdateFunctionEventInvokeConfig
      operation: 'UpdateFunctionEventInvokeConfig',
      method: 'POST',
      path,
      action: 'lambda:UpdateFunctionEventInvokeConfig',
      resource: (ctx) => functionResource(scope, ctx),
      maxBody: SMALL_BODY,
      async handle(ctx) {
        const body = parseBody(EventInvokeConfigBody, await ctx.body());
        return { status: 200, body: deps.eventConfigs.update(ctx.params.FunctionName!, qualifier(ctx.query), body) };
      },
    },
    {
      // DeleteFunctionEventInvokeConfig
      operation: 'DeleteFunctionEventInvokeConfig',
      method: 'DELETE',
      path,
      action: 'lambda:DeleteFunctionEventInvokeConfig',
      resource: (ctx) => functionResource(scope, ctx),
      maxBody: 0,
      handle(ctx) {
        deps.eventConfigs.delete(ctx.params.FunctionName!, qualifier(ctx.query));
        return { status: 204 };
      },
    },
    {
      // ListFunctionEventInvokeConfigs
      operation: 'ListFunctionEventInvokeConfigs',
      method: 'GET',
      path: `${path}/list`,
      action: 'lambda:ListFunctionEventInvokeConfigs',
      resource: (ctx) => functionResource(scope, ctx),
      maxBody: 0,
      handle(ctx) {
        const maxItems = parseMaxItems(ctx.query.get('MaxItems'));
        return { status: 200, body: deps.eventConfigs.list(ctx.params.FunctionName!, ctx.query.get('Marker') ?? undefined, maxItems) };
      },
    },
  ];
}
