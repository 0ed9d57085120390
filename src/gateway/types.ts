import type { IncomingMessage, ServerResponse } from 'node:http';

/** One API the gateway serves on the shared port (lambda, logs, s3, ...). */
export interface Service {
  readonly name: string;
  /** True when this request belongs to this service. Checked in registration order. */
  matches(req: IncomingMessage, path: string): boolean;
  /** Answers the request; owns its own error boundary and never throws. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}
