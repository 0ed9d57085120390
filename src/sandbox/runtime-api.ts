/**
 * Host side of the Lambda Runtime API (2018-06-01) for one execution environment.
 *
 * Every environment gets its own server on its own loopback port (any runtime client
 * that parses AWS_LAMBDA_RUNTIME_API as host:port works unmodified). Any local process
 * could connect to that port, so the environment decides who may: `admit` (peer-guard.ts)
 * accepts a connection only when the connecting socket is held by one of the
 * environment's own processes, before a byte of it is read. Hence a runtime can only
 * ever fetch, answer or fail its own environment's invocations. Statuses, bodies and the
 * runtime state machine follow AWS's Runtime Interface Emulator (rapi/core):
 * https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { FrameReader, frameWriter, invokeFrame } from './runtime-ipc.ts';

/** Largest synchronous response AWS accepts from a runtime (interop.MaxPayloadSize). */
export const MAX_RESPONSE_PAYLOAD_BYTES = 6291556;

/** Wire header names of the Runtime API. */
export const RUNTIME_HEADERS = Object.freeze({
  requestId: 'Lambda-Runtime-Aws-Request-Id',
  deadlineMs: 'Lambda-Runtime-Deadline-Ms',
  invokedFunctionArn: 'Lambda-Runtime-Invoked-Function-Arn',
  traceId: 'Lambda-Runtime-Trace-Id',
  clientContext: 'Lambda-Runtime-Client-Context',
  cognitoIdentity: 'Lambda-Runtime-Cognito-Identity',
  functionErrorType: 'Lambda-Runtime-Function-Error-Type',
});

const NEXT_PATH = '/2018-06-01/runtime/invocation/next';
const INIT_ERROR_PATH = '/2018-06-01/runtime/init/error';
const INVOCATION_PREFIX = '/2018-06-01/runtime/invocation/';
const PING_PATH = '/2018-06-01/ping';

/** Runtime states, named as AWS names them in InvalidStateTransition messages. */
export type RuntimeState =
  | 'Started'
  | 'InitError'
  | 'Ready'
  | 'InvocationResponse'
  | 'InvocationErrorResponse'
  | 'RuntimeResponseSentState';

/** One invocation as handed to the runtime by GET /next. */
export interface RuntimeInvocation {
  readonly requestId: string;
  readonly payload: Buffer;
  /** Epoch milliseconds. */
  readonly deadlineMs: number;
  readonly invokedFunctionArn: string;
  readonly traceId?: string;
  readonly clientContext?: string;
  readonly cognitoIdentity?: string;
}

/**
 * How the runtime finished an invocation. `rssBytes`: the runtime's own peak resident size,
 * when its transport reports it (the pipe does; it saves the host a /proc read per invoke).
 */
export type RuntimeOutcome =
  | { readonly kind: 'response'; readonly payload: Buffer; readonly rssBytes?: number }
  | { readonly kind: 'error'; readonly errorType: string; readonly payload: Buffer; readonly rssBytes?: number };

/** Whoever waits for the next invocation: a parked GET /next, or the runtime's pipe. */
interface Waiter {
  deliver(invocation: RuntimeInvocation): void;
}

export interface RuntimeApiListener {
  /** The runtime asked for its first invocation: initialisation is over. */
  onReady(): void;
  /** The runtime reported that initialisation failed. */
  onInitError(errorType: string, payload: Buffer): void;
  /**
   * Decides whether a new connection may talk to this Runtime API (e.g. only processes of
   * this environment); a refused connection is closed before anything is read from it.
   */
  admit?(socket: net.Socket): Promise<boolean>;
  /** A connection was refused by admit(). */
  onRefused?(socket: net.Socket): void;
}

const JSON_CONTENT = 'application/json';
// go-chi/render's JSON encoder ends bodies with a newline; AWS's bodies do too.
const ACCEPTED_BODY = Buffer.from('{"status":"OK"}\n');
const INVALID_REQUEST_ID_BODY = Buffer.from('{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}\n');
const TOO_LARGE_RUNTIME_BODY = Buffer.from(
  `{"errorMessage":"Exceeded maximum allowed payload size (${MAX_RESPONSE_PAYLOAD_BYTES} bytes).","errorType":"RequestEntityTooLarge"}\n`,
);
const NOT_FOUND_BODY = Buffer.from('404 page not found\n');

function invalidStateBody(from: RuntimeState, to: RuntimeState): Buffer {
  return Buffer.from(
    `{"errorMessage":"State transition from ${from} to ${to} failed for runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"}\n`,
  );
}

/** Header values carry JSON documents; header rules forbid newlines and non-latin-1 text. */
function headerJson(value: string): string {
  if (!/[^\x20-\x7e]/.test(value)) return value;
  let compact = value;
  try {
    compact = JSON.stringify(JSON.parse(value));
  } catch {
    // not JSON: send it escaped as it is
  }
  return compact.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function send(res: http.ServerResponse, status: number, body: Buffer, contentType = JSON_CONTENT): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': body.length });
  res.end(body);
}

/**
 * Reads a request body, keeping at most `limit` bytes but counting them all so the
 * connection stays usable for the next request.
 */
function readBody(req: http.IncomingMessage, limit: number, done: (body: Buffer | null, size: number) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > limit) done(null, size);
    else done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size), size);
  });
  req.on('error', () => done(null, -1));
}

export class RuntimeApiServer {
  /** Accepts connections; hands the admitted ones to `server`. */
  private readonly listener: net.Server;
  private readonly server: http.Server;
  /** Open connections (the http server only tracks its own when it listens itself). */
  private readonly sockets = new Set<net.Socket>();
  private stateName: RuntimeState = 'Started';
  /** A GET /next (or the pipe) waiting for an invocation. */
  private parked: Waiter | null = null;
  /** The invocation assigned by the host and not yet answered. */
  private invocation: RuntimeInvocation | null = null;
  private settle: ((outcome: RuntimeOutcome) => void) | null = null;
  private onDelivered: (() => void) | null = null;
  /** Id of the last invocation handed out; AWS validates answers against it. */
  private currentId = '';
  private closed = false;

  constructor(private events: RuntimeApiListener) {
    this.server = http.createServer(
      { noDelay: true, keepAlive: true, requestTimeout: 0, headersTimeout: 0 },
      (req, res) => this.route(req, res),
    );
    // A runtime waits on /next for as long as the environment is idle.
    this.server.keepAliveTimeout = 0;
    this.server.timeout = 0;
    // Sockets start paused, so nothing is parsed before admit() has decided.
    this.listener = net.createServer({ pauseOnConnect: true, noDelay: true }, (socket) => this.accept(socket));
  }

  /** Hands the server to another listener (a primed runtime's, to the environment that adopts it). */
  rebind(events: RuntimeApiListener): void {
    this.events = events;
  }

  /** Listens on a fresh loopback port; returns the value for AWS_LAMBDA_RUNTIME_API. */
  listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.listener.once('error', reject);
      this.listener.listen(0, '127.0.0.1', () => {
        this.listener.off('error', reject);
        const { port } = this.listener.address() as AddressInfo;
        resolve(`127.0.0.1:${port}`);
      });
    });
  }

  private accept(socket: net.Socket): void {
    socket.on('error', () => {});
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    const admit = this.events.admit;
    if (!admit) return this.serve(socket);
    admit.call(this.events, socket).then(
      (ok) => {
        if (ok && !this.closed) return this.serve(socket);
        socket.destroy();
        if (!this.closed) this.events.onRefused?.(socket);
      },
      () => socket.destroy(),
    );
  }

  private serve(socket: net.Socket): void {
    this.server.emit('connection', socket);
    socket.resume();
  }

  get state(): RuntimeState {
    return this.stateName;
  }

  /**
   * Hands an invocation to the runtime (at once if it is waiting on /next) and resolves
   * with its answer. Resolves never if the runtime dies; the caller races exit and timeout.
   * `onDelivered` runs when the runtime receives the event.
   */
  invoke(invocation: RuntimeInvocation, onDelivered?: () => void): Promise<RuntimeOutcome> {
    if (this.invocation) throw new Error('runtime api: an invocation is already in progress');
    return new Promise((resolve) => {
      this.invocation = invocation;
      this.settle = resolve;
      this.onDelivered = onDelivered ?? null;
      const parked = this.parked;
      if (parked) {
        this.parked = null;
        this.handOut(parked, invocation);
      }
    });
  }

  /** Forgets the current invocation (timed out, runtime died). */
  abandon(): void {
    this.invocation = null;
    this.settle = null;
    this.onDelivered = null;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abandon();
    const closing = new Promise<void>((resolve) => this.listener.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closing;
  }

  private route(req: http.IncomingMessage, res: http.ServerResponse): void {
    let url = req.url ?? '';
    const q = url.indexOf('?');
    if (q >= 0) url = url.slice(0, q);
    const method = req.method;

    if (url === NEXT_PATH) {
      if (method === 'GET') return this.next(res);
      return this.methodNotAllowed(req, res);
    }
    if (url.startsWith(INVOCATION_PREFIX)) {
      const rest = url.slice(INVOCATION_PREFIX.length);
      const slash = rest.indexOf('/');
      const action = slash >= 0 ? rest.slice(slash + 1) : '';
      if (slash > 0 && (action === 'response' || action === 'error')) {
        if (method !== 'POST') return this.methodNotAllowed(req, res);
        let id: string;
        try {
          id = decodeURIComponent(rest.slice(0, slash));
        } catch {
          id = '';
        }
        return action === 'response' ? this.response(id, req, res) : this.error(id, req, res);
      }
    }
    if (url === INIT_ERROR_PATH) {
      if (method === 'POST') return this.initError(req, res);
      return this.methodNotAllowed(req, res);
    }
    if (url === PING_PATH && method === 'GET') {
      return send(res, 200, Buffer.from('pong'), 'text/plain');
    }
    req.resume();
    send(res, 404, NOT_FOUND_BODY, 'text/plain; charset=utf-8');
  }

  private methodNotAllowed(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    res.writeHead(405, { 'Content-Length': 0 });
    res.end();
  }

  /** GET /runtime/invocation/next */
  private next(res: http.ServerResponse): void {
    const waiter: Waiter = { deliver: (inv) => this.deliver(res, inv) };
    if (!this.requestNext(waiter, (body) => send(res, 403, body))) return;
    if (this.parked === waiter) {
      res.on('close', () => {
        if (this.parked === waiter) this.parked = null;
      });
    }
  }

  /**
   * The runtime asks for work: hands out the current invocation, or parks the waiter.
   * Returns false (after `refuse` with the body) when the state does not allow it.
   */
  private requestNext(waiter: Waiter, refuse: (body: Buffer) => void): boolean {
    const from = this.stateName;
    if (from === 'InitError' || from === 'InvocationResponse' || from === 'InvocationErrorResponse') {
      refuse(invalidStateBody(from, 'Ready'));
      return false;
    }
    if (this.parked) {
      // A runtime has one thread asking for work; a second concurrent /next is refused.
      refuse(invalidStateBody('Ready', 'Ready'));
      return false;
    }
    this.stateName = 'Ready';
    const invocation = this.invocation;
    if (from === 'Ready' && invocation && this.currentId === invocation.requestId) {
      // Asking again before answering gets the same event again, as in AWS.
      this.handOut(waiter, invocation);
      return true;
    }
    if (from === 'Started') this.events.onReady();
    // onReady may have assigned an invocation synchronously.
    const assigned = this.invocation;
    if (assigned && this.currentId !== assigned.requestId) this.handOut(waiter, assigned);
    else this.parked = waiter;
    return true;
  }

  private handOut(waiter: Waiter, inv: RuntimeInvocation): void {
    this.currentId = inv.requestId;
    waiter.deliver(inv);
    const hook = this.onDelivered;
    if (hook && this.invocation === inv) {
      this.onDelivered = null;
      hook();
    }
  }

  private deliver(res: http.ServerResponse, inv: RuntimeInvocation): void {
    const headers: http.OutgoingHttpHeaders = {
      [RUNTIME_HEADERS.requestId]: inv.requestId,
      [RUNTIME_HEADERS.deadlineMs]: String(inv.deadlineMs),
      [RUNTIME_HEADERS.invokedFunctionArn]: inv.invokedFunctionArn,
      'Content-Type': JSON_CONTENT,
      'Content-Length': inv.payload.length,
    };
    if (inv.traceId) headers[RUNTIME_HEADERS.traceId] = inv.traceId;
    if (inv.clientContext) headers[RUNTIME_HEADERS.clientContext] = headerJson(inv.clientContext);
    if (inv.cognitoIdentity) headers[RUNTIME_HEADERS.cognitoIdentity] = headerJson(inv.cognitoIdentity);
    res.writeHead(200, headers);
    res.end(inv.payload);
  }

  /**
   * Serves the runtime over its pipe (runtime-ipc.ts) besides HTTP. Bytes that are not
   * frames call `onViolation` (only a function writing to the runtime's descriptor sends
   * them; the host then stops the environment). A frame the state does not allow is
   * ignored, as HTTP would answer it 403: a late exception's answer for an invocation
   * already over, say, after which the runtime exits by itself.
   */
  attachPipe(socket: net.Socket, handlers: { onViolation(reason: string): void }): void {
    const write = frameWriter(socket);
    const waiter: Waiter = { deliver: (inv) => write(invokeFrame(inv)) };
    const refuse = () => {};
    const reader = new FrameReader((message) => {
      if (this.closed) return;
      switch (message.t) {
        case 'next':
          this.requestNext(waiter, refuse);
          return;
        case 'response':
        case 'error': {
          const to = message.t === 'response' ? 'InvocationResponse' : 'InvocationErrorResponse';
          if (this.admitAnswer(message.id, to)) return refuse();
          const rss = message.rss !== undefined ? { rssBytes: message.rss } : {};
          if (message.t === 'error') {
            this.finish({ kind: 'error', errorType: message.errorType, payload: errorPayload(message.payload, message.errorType), ...rss });
          } else if (message.payload) this.finish({ kind: 'response', payload: message.payload, ...rss });
          else this.finish(tooLarge(message.size));
          return;
        }
        case 'init-error':
          if (this.stateName !== 'Started') return refuse();
          this.stateName = 'InitError';
          this.events.onInitError(message.errorType, errorPayload(message.payload, message.errorType));
          return;
        case 'assigned':
          return refuse();
      }
    }, handlers.onViolation);
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
  }

  /** Validates {AwsRequestId} and the state before an answer is read (AwsRequestIDValidator). */
  private admit(id: string, to: RuntimeState, req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const denied = this.admitAnswer(id, to);
    if (!denied) return true;
    req.resume();
    send(res, denied.status, denied.body);
    return false;
  }

  /** null when an answer for `id` may move the runtime to `to` (and moves it); else why not. */
  private admitAnswer(id: string, to: RuntimeState): { status: number; body: Buffer } | null {
    if (id === '' || id !== this.currentId) return { status: 400, body: INVALID_REQUEST_ID_BODY };
    if (this.stateName !== 'Ready' || !this.invocation || this.invocation.requestId !== id) {
      return { status: 403, body: invalidStateBody(this.stateName, to) };
    }
    this.stateName = to;
    return null;
  }

  private finish(outcome: RuntimeOutcome): void {
    const settle = this.settle;
    this.stateName = 'RuntimeResponseSentState';
    this.invocation = null;
    this.settle = null;
    this.onDelivered = null;
    settle?.(outcome);
  }

  /** POST /runtime/invocation/{AwsRequestId}/response */
  private response(id: string, req: http.IncomingMessage, res: http.ServerResponse): void {
    if (!this.admit(id, 'InvocationResponse', req, res)) return;
    readBody(req, MAX_RESPONSE_PAYLOAD_BYTES, (body, size) => {
      if (this.stateName !== 'InvocationResponse') return; // abandoned meanwhile
      if (body) {
        this.finish({ kind: 'response', payload: body });
        return send(res, 202, ACCEPTED_BODY);
      }
      if (size < 0) {
        // The runtime went away mid-body; its exit decides the invocation.
        this.stateName = 'Ready';
        return;
      }
      this.finish(tooLarge(size));
      send(res, 413, TOO_LARGE_RUNTIME_BODY);
    });
  }

  /** POST /runtime/invocation/{AwsRequestId}/error */
  private error(id: string, req: http.IncomingMessage, res: http.ServerResponse): void {
    if (!this.admit(id, 'InvocationErrorResponse', req, res)) return;
    const errorType = String(req.headers['lambda-runtime-function-error-type'] ?? '');
    readBody(req, MAX_RESPONSE_PAYLOAD_BYTES, (body, size) => {
      if (this.stateName !== 'InvocationErrorResponse') return;
      if (size < 0) {
        this.stateName = 'Ready';
        return;
      }
      this.finish({ kind: 'error', errorType, payload: errorPayload(body, errorType) });
      send(res, 202, ACCEPTED_BODY);
    });
  }

  /** POST /runtime/init/error */
  private initError(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.stateName !== 'Started') {
      req.resume();
      return send(res, 403, invalidStateBody(this.stateName, 'InitError'));
    }
    this.stateName = 'InitError';
    const errorType = String(req.headers['lambda-runtime-function-error-type'] ?? '');
    readBody(req, MAX_RESPONSE_PAYLOAD_BYTES, (body) => {
      send(res, 202, ACCEPTED_BODY);
      this.events.onInitError(errorType, errorPayload(body, errorType));
    });
  }
}

/** A response over the limit: the invocation fails with Function.ResponseSizeTooLarge. */
function tooLarge(size: number): RuntimeOutcome {
  return {
    kind: 'error',
    errorType: 'Function.ResponseSizeTooLarge',
    payload: Buffer.from(
      JSON.stringify({
        errorMessage: `Response payload size (${size} bytes) exceeded maximum allowed payload size (${MAX_RESPONSE_PAYLOAD_BYTES} bytes).`,
        errorType: 'Function.ResponseSizeTooLarge',
      }),
    ),
  };
}

/** An empty or oversized error body still yields a document naming the error type. */
function errorPayload(body: Buffer | null, errorType: string): Buffer {
  if (body && body.length > 0) return body;
  return Buffer.from(JSON.stringify({ errorMessage: '', errorType: errorType || 'Unknown' }));
}
