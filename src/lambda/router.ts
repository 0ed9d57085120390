import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import FindMyWay from 'find-my-way';
import type { Logger } from 'pino';
import { BodyTooLargeError, readBody, type VerifyRequest } from '../gateway/index.ts';
import { LambdaError, RequestTooLargeException, ServiceException, UnknownOperationException } from '../errors/index.ts';
import { loggableUrl } from '../util/index.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteContext {
  readonly req: IncomingMessage;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** x-amzn-RequestId of this call; Invoke reuses it as the invocation's request id. */
  readonly requestId: string;
  /** Base URL clients reached us on, for URLs we hand out (Code.Location). */
  readonly baseUrl: string;
  /** The request body, read up to the route's limit. */
  body(): Promise<Buffer>;
}

export interface Reply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** A Buffer is sent as is; anything else is sent as JSON; undefined sends no body. */
  readonly body?: unknown;
}

/**
 * One Lambda API action. `action` and `resource` say what an IAM policy must allow for
 * the call; the authorization layer reads them from the table without touching handlers.
 */
export interface Route {
  /** The AWS API action, as the service model names it (CreateFunction, Invoke, ...). */
  readonly operation: string;
  readonly method: HttpMethod;
  readonly path: string;
  /**
   * Query parameters that select this route among routes sharing method and path
   * (the model's `?List=ALL` style request URIs).
   */
  readonly query?: Readonly<Record<string, string>>;
  /** IAM action, e.g. lambda:InvokeFunction */
  readonly action: string;
  /** The ARN the action acts on. */
  resource(ctx: RouteContext): string;
  /** Largest body the action takes, in bytes; beyond it the answer is 413. */
  readonly maxBody: number;
  /** Message of the 413 for this route. */
  readonly tooLargeMessage?: (limit: number) => string;
  handle(ctx: RouteContext): Promise<Reply> | Reply;
}

/** Checks a call against the route's declared action and resource; a later issue plugs IAM in here. */
export type Authorizer = (route: Route, ctx: RouteContext) => void | Promise<void>;

const ALLOW_ALL: Authorizer = () => {};

/**
 * A rest-json API on a route table, with the one error boundary that renders every
 * failure as AWS's status + x-amzn-ErrorType + {"Type","Message"} body.
 */
export class RestJsonRouter {
  readonly #router = FindMyWay({ ignoreTrailingSlash: true, caseSensitive: true });
  readonly #routes: Route[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly authorize: Authorizer = ALLOW_ALL,
    /** SigV4: run on every call before its handler; it reads the body (up to the route's limit) to check the signature over it. */
    private readonly verify?: VerifyRequest,
  ) {}

  readonly #byPath = new Map<string, Route[]>();

  add(route: Route): void {
    this.#routes.push(route);
    const key = `${route.method} ${route.path}`;
    let same = this.#byPath.get(key);
    if (!same) {
      same = [];
      this.#byPath.set(key, same);
      this.#router.on(route.method, route.path, () => {}, { routes: same });
    }
    same.push(route);
    // Routes that ask for query parameters are tried before the bare one.
    same.sort((a, b) => Object.keys(b.query ?? {}).length - Object.keys(a.query ?? {}).length);
  }

  get routes(): readonly Route[] {
    return this.#routes;
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const requestId = randomUUID();
    try {
      const found = this.#router.find(req.method as HttpMethod, url.pathname);
      if (!found) {
        // Drain what was sent so the keep-alive connection stays usable.
        req.resume();
        throw new UnknownOperationException(`Unknown operation ${req.method} ${url.pathname}`);
      }
      const candidates = (found.store as { routes: Route[] }).routes;
      const route = candidates.find((r) => Object.entries(r.query ?? {}).every(([k, v]) => url.searchParams.get(k) === v));
      if (!route) {
        req.resume();
        throw new UnknownOperationException(`Unknown operation ${req.method} ${url.pathname}${url.search}`);
      }
      const verified = this.verify ? await this.verify(req, () => readLimited(req, route)) : undefined;
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(found.params)) if (v !== undefined) params[k] = decodeURIComponent(v);
      const ctx: RouteContext = {
        req,
        params,
        query: url.searchParams,
        requestId,
        baseUrl: `http://${req.headers.host ?? 'localhost'}`,
        body: verified ? () => Promise.resolve(verified) : () => readLimited(req, route),
      };
      await this.authorize(route, ctx);
      const reply = await route.handle(ctx);
      send(res, requestId, reply);
    } catch (err) {
      this.#renderError(res, requestId, err, req);
    }
  }

  #renderError(res: ServerResponse, requestId: string, err: unknown, req: IncomingMessage): void {
    let wire: LambdaError;
    if (err instanceof LambdaError) {
      wire = err;
    } else {
      this.logger.error({ err, method: req.method, url: loggableUrl(req.url), requestId }, 'unexpected error in the Lambda API');
      wire = new ServiceException('An internal error occurred; see the Nimbus server log for details.');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = JSON.stringify({ Type: wire.type, [wire.messageMember]: wire.message, ...wire.extraBody() });
    res.writeHead(wire.status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      'x-amzn-RequestId': requestId,
      'x-amzn-ErrorType': wire.code,
      ...wire.extraHeaders(),
    });
    res.end(body);
  }
}

async function readLimited(req: IncomingMessage, route: Route): Promise<Buffer> {
  try {
    return await readBody(req, route.maxBody);
  } catch (err) {
    if (err instanceof BodyTooLargeError) {
      throw new RequestTooLargeException(
        route.tooLargeMessage?.(route.maxBody) ?? `Request must be smaller than ${route.maxBody} bytes for the ${route.action.split(':')[1]} operation`,
      );
    }
    throw err;
  }
}

function send(res: ServerResponse, requestId: string, reply: Reply): void {
  const headers: Record<string, string | number> = { 'x-amzn-RequestId': requestId, ...reply.headers };
  if (reply.body === undefined) {
    res.writeHead(reply.status, headers).end();
    return;
  }
  const payload = Buffer.isBuffer(reply.body) ? reply.body : Buffer.from(JSON.stringify(reply.body));
  headers['Content-Type'] ??= 'application/json';
  headers['Content-Length'] = payload.length;
  res.writeHead(reply.status, headers).end(payload);
}
