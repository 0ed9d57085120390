import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { AccessDeniedError } from '../auth/index.ts';
import type { Principal } from '../auth/types.ts';
import { QueryErrors } from '../errors/index.ts';
import { BodyTooLargeError, readBody, type Service } from '../gateway/index.ts';
import { Params } from './params.ts';
import { parseQuery, renderError, renderResponse, signingService, type XmlObject } from './query-protocol.ts';

/** Largest request body: a 128 KiB policy document, percent-encoded, with room to spare. */
export const QUERY_BODY_MAX = 1024 * 1024;

export interface ActionContext {
  readonly principal: Principal;
  readonly requestId: string;
}

/** One action: reads its fields, returns the content of <ActionResult> (undefined: no result element). */
export type QueryAction = (params: Params, ctx: ActionContext) => XmlObject | undefined;

/**
 * Who sent the request. SigV4 verification (src/auth) supplies the real one; it gets the
 * body because the signature covers it. A thrown error with `status` and `code` is answered
 * in the service's error shape.
 */
export type PrincipalOf = (req: IncomingMessage, body: Buffer) => Principal | Promise<Principal>;

export interface QueryServiceOptions {
  /** The SigV4 signing name this service answers (iam, sts). */
  readonly name: string;
  readonly xmlns: string;
  readonly version: string;
  readonly actions: Readonly<Record<string, QueryAction>>;
  readonly principalOf: PrincipalOf;
  readonly logger: Logger;
  /** The service's code for a failure of its own (IAM ServiceFailure, STS InternalFailure). */
  readonly internalError: (message: string) => QueryErrors.QueryProtocolError;
  /** Authorization of an action before it runs (throws AccessDeniedError); none: every action is allowed. */
  readonly authorize?: (req: IncomingMessage, action: string, params: Params, principal: Principal) => void;
}

interface WireError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly type: 'Sender' | 'Receiver';
}

function asWireError(err: unknown): WireError | undefined {
  if (err instanceof QueryErrors.QueryProtocolError) return err;
  if (err instanceof AccessDeniedError) return new QueryErrors.AccessDenied(err.message);
  if (err instanceof BodyTooLargeError) return new QueryErrors.RequestEntityTooLarge(`Request body must be at most ${err.limit} bytes`);
  // Errors of other families (e.g. SigV4's) that carry their status and code.
  const e = err as { status?: unknown; code?: unknown; message?: unknown } | null;
  if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 600 && typeof e.code === 'string' && /^[A-Za-z.]+$/.test(e.code)) {
    return { status: e.status, code: e.code, message: String(e.message ?? ''), type: e.status >= 500 ? 'Receiver' : 'Sender' };
  }
  return undefined;
}

/**
 * A query-protocol API on the shared port: POST / (or GET /) signed for `name`, form fields,
 * XML answers; one error boundary renders every failure in AWS's <ErrorResponse> shape.
 */
export class QueryService implements Service {
  readonly name: string;

  constructor(private readonly options: QueryServiceOptions) {
    this.name = options.name;
  }

  /** Requests to / whose SigV4 credential scope names this service. */
  matches(req: IncomingMessage, path: string): boolean {
    return path === '/' && (req.method === 'POST' || req.method === 'GET') && signingService(req) === this.options.name;
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const requestId = randomUUID();
    const { xmlns } = this.options;
    try {
      const body = req.method === 'POST' ? await readBody(req, QUERY_BODY_MAX) : Buffer.alloc(0);
      const fields = parseQuery(req.method === 'POST' ? body.toString('utf8') : url.search.slice(1));
      const principal = await this.options.principalOf(req, body);
      const action = fields.get('Action');
      if (!action) throw new QueryErrors.MissingAction('Request is missing Action');
      const version = fields.get('Version') ?? this.options.version;
      const fn = Object.hasOwn(this.options.actions, action) ? this.options.actions[action] : undefined;
      if (!fn || version !== this.options.version) throw new QueryErrors.InvalidAction(`Could not find operation ${action} for version ${version}`);
      const params = new Params(fields);
      this.options.authorize?.(req, action, params, principal);
      const out = renderResponse(action, xmlns, fn(params, { principal, requestId }), requestId);
      res.writeHead(200, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(out), 'x-amzn-RequestId': requestId });
      res.end(out);
    } catch (err) {
      let wire = asWireError(err);
      if (!wire) {
        this.options.logger.error({ err, requestId, service: this.name }, `unexpected error in the ${this.name.toUpperCase()} API`);
        wire = this.options.internalError('An internal error occurred; see the Nimbus server log.');
      }
      if (!req.readableEnded) req.resume();
      const out = renderError(xmlns, wire, requestId);
      res.writeHead(wire.status, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(out), 'x-amzn-RequestId': requestId });
      res.end(out);
    }
  }
}
