import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { AccessDeniedError, ALLOW_ALL, type Authorize } from '../auth/index.ts';
import { CloudWatchErrors } from '../errors/index.ts';
import { BodyTooLargeError, readBody, type Service } from '../gateway/index.ts';
import type { MetricsQuery } from '../metrics/types.ts';
import type { Clock } from '../util/index.ts';
import { decodeQuery, decodeTyped } from './documents.ts';
import { CloudWatchOperations } from './operations.ts';
import { INPUT_SHAPES, type DocStruct, type Shape } from './shapes.ts';
import { CLOUDWATCH_VERSION, detectProtocol, HEADERS, parseBody, renderOutput, renderWireError, type Protocol, type WireAnswer, type WireErrorFields } from './wire.ts';

/** Largest request body (PutMetricData's limit, the largest of the API). */
export const BODY_MAX = 1024 * 1024;

/**
 * SigV4 over the body, in a protocol's error family (CBOR answers JSON's codes); resolves with
 * the body. Without it nothing is checked.
 */
export type VerifyCloudWatch = (req: IncomingMessage, family: 'json' | 'query', read: () => Promise<Buffer>) => Promise<Buffer>;

export interface CloudWatchServiceDeps {
  readonly metrics: MetricsQuery;
  readonly clock: Pick<Clock, 'now'>;
  readonly logger: Logger;
  readonly verify?: VerifyCloudWatch;
  /** IAM authorization of cloudwatch:<Operation> (on "*": these operations have no resource type); default: everything allowed. */
  readonly authorize?: Authorize;
}

/**
 * The CloudWatch metrics API (GetMetricStatistics, GetMetricData, ListMetrics) over the metrics
 * store, in each protocol of the model: RPC v2 CBOR, JSON 1.0 and query. One error boundary
 * renders every failure in the protocol the request came in.
 */
export class CloudWatchService implements Service {
  readonly name = 'cloudwatch';
  readonly #operations: CloudWatchOperations;
  readonly #verify: VerifyCloudWatch;

  constructor(private readonly deps: CloudWatchServiceDeps) {
    this.#operations = new CloudWatchOperations({ metrics: deps.metrics, clock: deps.clock });
    this.#verify = deps.verify ?? ((_req, _family, read) => read());
  }

  matches(req: IncomingMessage, path: string): boolean {
    return detectProtocol(req, path) !== undefined;
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const requestId = randomUUID();
    const detected = detectProtocol(req, url.pathname) ?? { protocol: 'query' as const };
    const { protocol } = detected;
    let out: WireAnswer;
    try {
      const { operation, input } = await this.#read(req, url, detected.protocol, detected.operation);
      const fn = Object.hasOwn(this.#operations.operations, operation) ? this.#operations.operations[operation]! : undefined;
      if (!fn) throw unknownOperation(protocol, operation);
      // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
      (this.deps.authorize ?? ALLOW_ALL)(req, { action: `cloudwatch:${operation}`, resource: '*' });
      out = renderOutput(protocol, operation, fn(input), requestId);
    } catch (err) {
      if (!req.readableEnded) req.resume();
      out = renderWireError(protocol, this.#wireError(err, requestId), requestId);
    }
    res.writeHead(out.status, out.headers);
    res.end(out.body);
  }

  /** Verifies the signature, then decodes the operation's input in the request's protocol. */
  async #read(req: IncomingMessage, url: URL, protocol: Protocol, named: string | undefined): Promise<{ operation: string; input: DocStruct }> {
    const read = () => (req.method === 'POST' ? readBody(req, BODY_MAX) : Promise.resolve(Buffer.alloc(0)));
    if (protocol === 'query') {
      const body = await this.#verify(req, 'query', read);
      const params = new Map<string, string>();
      for (const [k, v] of new URLSearchParams(req.method === 'POST' ? body.toString('utf8') : url.search.slice(1))) if (!params.has(k)) params.set(k, v);
      const action = params.get('Action');
      if (!action) throw new CloudWatchErrors.MissingAction('Request is missing Action');
      const version = params.get('Version') ?? CLOUDWATCH_VERSION;
      const shape = inputShape(action);
      if (!shape || version !== CLOUDWATCH_VERSION) throw unknownOperation(protocol, action, version);
      return { operation: action, input: decodeQuery(params, shape) };
    }
    const body = await this.#verify(req, 'json', read);
    const operation = named!;
    if (protocol === 'cbor' && req.headers[HEADERS.target] !== undefined) {
      throw new CloudWatchErrors.SerializationException('An RPC v2 CBOR request must not carry X-Amz-Target.');
    }
    const shape = inputShape(operation);
    if (!shape) throw unknownOperation(protocol, operation);
    let value: unknown;
    try {
      value = parseBody(protocol, body);
    } catch {
      throw new CloudWatchErrors.SerializationException(`The request body is not valid ${protocol === 'cbor' ? 'CBOR' : 'JSON'}.`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new CloudWatchErrors.SerializationException('The request body must be an object.');
    return { operation, input: decodeTyped(value, shape) as DocStruct };
  }

  #wireError(err: unknown, requestId: string): WireErrorFields {
    if (err instanceof CloudWatchErrors.CloudWatchError) return err;
    if (err instanceof AccessDeniedError) return new CloudWatchErrors.AccessDenied(err.message);
    if (err instanceof BodyTooLargeError) return new CloudWatchErrors.RequestEntityTooLarge(`Request body must be at most ${err.limit} bytes`);
    // Errors of other families (SigV4's, in the JSON or query family) that carry their status and code.
    const e = err as { status?: unknown; code?: unknown; message?: unknown } | null;
    if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 600 && typeof e.code === 'string' && /^[A-Za-z.]+$/.test(e.code)) {
      return { status: e.status, code: e.code, message: String(e.message ?? ''), type: e.status >= 500 ? 'Receiver' : 'Sender' };
    }
    this.deps.logger.error({ err, requestId }, 'unexpected error in the CloudWatch API');
    return new CloudWatchErrors.InternalServiceError('An internal error occurred; see the Nimbus server log.');
  }
}

function inputShape(operation: string): (Shape & { kind: 'structure' }) | undefined {
  const shape = Object.hasOwn(INPUT_SHAPES, operation) ? INPUT_SHAPES[operation] : undefined;
  return shape?.kind === 'structure' ? shape : undefined;
}

/** The protocol's answer to an operation Nimbus does not serve (PutMetricData, alarms, dashboards...). */
function unknownOperation(protocol: Protocol, operation: string, version = CLOUDWATCH_VERSION): Error {
  const served = Object.keys(INPUT_SHAPES).join(', ');
  if (protocol === 'query') {
    return new CloudWatchErrors.InvalidAction(
      version === CLOUDWATCH_VERSION ? `Could not find operation ${operation} for version ${version}: Nimbus's CloudWatch serves ${served}` : `Could not find operation ${operation} for version ${version}`,
    );
  }
  return new CloudWatchErrors.UnknownOperationException(`Nimbus's CloudWatch does not serve the operation ${operation}; it serves ${served}.`);
}
