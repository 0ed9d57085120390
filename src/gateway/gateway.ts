import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Service } from './types.ts';

export interface GatewayOptions {
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
}

/**
 * The one HTTP port every API shares. It only routes: each service parses, authorizes
 * and renders its own errors. A request no service claims gets a plain 404.
 */
export class Gateway {
  readonly #server: http.Server;
  readonly #services: Service[] = [];
  readonly #logger: Logger;
  #closing = false;

  constructor(private readonly options: GatewayOptions) {
    this.#logger = options.logger;
    this.#server = http.createServer({ keepAlive: true, keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
      this.#dispatch(req, res);
    });
    // An invoke may legitimately run for 900 s; never time the socket out under it.
    this.#server.headersTimeout = 60_000;
    this.#server.timeout = 0;
  }

  register(service: Service): void {
    this.#services.push(service);
  }

  async listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.options.port, this.options.host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    return this.#server.address() as AddressInfo;
  }

  get address(): AddressInfo {
    return this.#server.address() as AddressInfo;
  }

  /** Stops accepting connections; idle keep-alive connections are closed now, busy ones after their response. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    await closed;
  }

  /** Drops every connection, busy or not (last step of shutdown). */
  destroyConnections(): void {
    this.#server.closeAllConnections();
  }

  #dispatch(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.#closing) res.setHeader('Connection', 'close');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('Bad request URL');
      return;
    }
    const service = this.#services.find((s) => s.matches(req, url.pathname));
    if (!service) {
      res.writeHead(404, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'UnknownOperationException' });
      res.end(JSON.stringify({ Type: 'User', Message: `No service answers ${req.method} ${url.pathname}` }));
      return;
    }
    service.handle(req, res, url).catch((err: unknown) => {
      // Services render their own errors; reaching here is a bug, but never a crash.
      this.#logger.error({ err, service: service.name }, 'unhandled error escaped a service');
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'ServiceException' });
      res.end(JSON.stringify({ Type: 'Service', Message: 'Internal error' }));
    });
  }
}
