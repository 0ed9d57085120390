import {
  InvalidParameterValueException,
  InvalidRequestContentException,
  RequestTooLargeException,
  UnsupportedMediaTypeException,
} from '../errors/index.ts';
import type { Invoker, ResolvedFunction } from '../invoke/index.ts';
import type { EventSink } from '../queue/index.ts';
import { parseFunctionRef, type Scope } from './names.ts';
import type { Reply, RouteContext } from './router.ts';

/** Wire headers of Invoke (service model: InvocationRequest / InvocationResponse). */
export const INVOKE_HEADERS = {
  invocationType: 'x-amz-invocation-type',
  logType: 'x-amz-log-type',
  clientContext: 'x-amz-client-context',
  functionError: 'X-Amz-Function-Error',
  logResult: 'X-Amz-Log-Result',
  executedVersion: 'X-Amz-Executed-Version',
} as const;

/** X-Amz-Client-Context is at most 3,583 bytes of base64. */
const CLIENT_CONTEXT_MAX = 3583;
/** Media types that cannot carry a JSON document. */
const NOT_JSON_MEDIA = /^(multipart\/|application\/x-www-form-urlencoded|application\/xml|text\/xml|text\/html|image\/|audio\/|video\/)/i;

export interface InvokeDeps {
  readonly scope: Scope;
  readonly invoker: Invoker;
  readonly queue: EventSink;
  readonly resolve: (functionName: string, qualifier?: string) => Promise<ResolvedFunction>;
  readonly syncPayloadMaxBytes: number;
  readonly asyncPayloadMaxBytes: number;
}

// Invoke: https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
export async function invokeRoute(deps: InvokeDeps, ctx: RouteContext): Promise<Reply> {
  const type = header(ctx, INVOKE_HEADERS.invocationType) ?? 'RequestResponse';
  if (type !== 'RequestResponse' && type !== 'Event' && type !== 'DryRun') {
    throw new InvalidParameterValueException(
      `1 validation error detected: Value '${type}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]`,
    );
  }
  const logType = header(ctx, INVOKE_HEADERS.logType) ?? 'None';
  if (logType !== 'None' && logType !== 'Tail') {
    throw new InvalidParameterValueException(
      `1 validation error detected: Value '${logType}' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [None, Tail]`,
    );
  }
  const contentType = header(ctx, 'content-type');
  if (contentType && NOT_JSON_MEDIA.test(contentType)) {
    ctx.req.resume();
    throw new UnsupportedMediaTypeException('The content type of the Invoke request body is not JSON.');
  }
  const clientContext = decodeClientContext(header(ctx, INVOKE_HEADERS.clientContext));
  const qualifier = ctx.query.get('Qualifier') ?? undefined;
  const fn = await deps.resolve(ctx.params.FunctionName!, qualifier);

  const payload = await ctx.body();
  if (type === 'Event' && payload.length > deps.asyncPayloadMaxBytes) {
    throw new RequestTooLargeException(`Request must be smaller than ${deps.asyncPayloadMaxBytes} bytes for the InvokeAsync operation`);
  }
  const event = checkJson(payload);

  if (type === 'DryRun') return { status: 204 };
  // A qualifier may also come in the name (name:alias, or a qualified ARN).
  const runQualifier = qualifier ?? parseFunctionRef(ctx.params.FunctionName!, deps.scope).qualifier;
  const invokedFunctionArn = runQualifier ? `${fn.spec.functionArn}:${runQualifier}` : fn.spec.functionArn;
  if (type === 'Event') {
    // The version runs when the event does: the qualifier (alias or version) goes with it.
    deps.queue.enqueue({
      requestId: ctx.requestId,
      functionName: fn.spec.functionName,
      ...(runQualifier ? { qualifier: runQualifier } : {}),
      payload: event,
      invokedFunctionArn,
    });
    return { status: 202 };
  }
  const result = await deps.invoker.invoke(fn, event, {
    requestId: ctx.requestId,
    invokedFunctionArn,
    ...(clientContext !== undefined ? { clientContext } : {}),
    wantLogTail: logType === 'Tail',
  });
  const headers: Record<string, string> = { [INVOKE_HEADERS.executedVersion]: fn.executedVersion };
  if (result.functionError) headers[INVOKE_HEADERS.functionError] = result.functionError;
  if (logType === 'Tail') headers[INVOKE_HEADERS.logResult] = tail4k(result.logTail ?? '');
  return { status: 200, headers, body: result.payload };
}

export function invokeTooLargeMessage(limit: number): string {
  return `Request must be smaller than ${limit} bytes for the InvokeFunction operation`;
}

function header(ctx: RouteContext, name: string): string | undefined {
  const v = ctx.req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function decodeClientContext(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw.length > CLIENT_CONTEXT_MAX) {
    throw new InvalidParameterValueException(`Client context must be at most ${CLIENT_CONTEXT_MAX} bytes of base64.`);
  }
  const text = Buffer.from(raw, 'base64').toString('utf8');
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
  } catch {
    throw new InvalidRequestContentException('Client context must be a valid Base64-encoded JSON object.');
  }
  return text;
}

/** The event must be JSON; an empty body is the empty object, as on AWS. */
function checkJson(payload: Buffer): Buffer {
  if (payload.length === 0) return Buffer.from('{}');
  try {
    JSON.parse(payload.toString('utf8'));
  } catch (err) {
    throw new InvalidRequestContentException(
      `Could not parse request body into json: Could not parse payload into json: ${(err as Error).message}`,
    );
  }
  return payload;
}

/** X-Amz-Log-Result: base64 of the last 4 KB of the log. */
function tail4k(log: string): string {
  const bytes = Buffer.from(log, 'utf8');
  return bytes.subarray(Math.max(0, bytes.length - 4096)).toString('base64');
}


/** InvokeAsync (deprecated, still sent by `aws lambda invoke-async`) takes at most 256 KB. */
export const INVOKE_ASYNC_MAX_BYTES = 256 * 1024;

// InvokeAsync: https://docs.aws.amazon.com/lambda/latest/api/API_InvokeAsync.html
export async function invokeAsyncRoute(deps: InvokeDeps, ctx: RouteContext): Promise<Reply> {
  const { qualifier } = parseFunctionRef(ctx.params.FunctionName!, deps.scope);
  const fn = await deps.resolve(ctx.params.FunctionName!, qualifier);
  const event = checkJson(await ctx.body());
  deps.queue.enqueue({
    requestId: ctx.requestId,
    functionName: fn.spec.functionName,
    ...(qualifier ? { qualifier } : {}),
    payload: event,
    invokedFunctionArn: qualifier ? `${fn.spec.functionArn}:${qualifier}` : fn.spec.functionArn,
  });
  return { status: 202, body: { Status: 202 } };
}
