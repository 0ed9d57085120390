import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Authenticates a request (SigV4, src/auth) for a service that reads its whole body: refuses
 * it with the service's own wire error, or resolves with the body the signature covers.
 */
export type VerifyRequest = (req: IncomingMessage, readBody: () => Promise<Buffer>) => Promise<Buffer>;

/** One API the gateway serves on the shared port (lambda, logs, s3, ...). */
export interface Service {
  readonly name: string;
  /** True when this request belongs to this service. Checked in registration order. */
  matches(req: IncomingMessage, path: string): boolean;
  /** Answers the request; owns its own error boundary and never throws. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}
