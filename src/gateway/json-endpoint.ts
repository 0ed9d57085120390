import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { AccessDeniedError } from '../auth/access.ts';
import { JsonErrors } from '../errors/index.ts';
import { BodyTooLargeError, readBody } from './body.ts';
import type { VerifyRequest } from './types.ts';

const CONTENT_TYPE = 'application/x-amz-json-1.1';

/** One JSON 1.1 action: runs on the parsed body (after SigV4) and returns the response document. */
export type JsonAction = (body: Record<string, unknown>, req: IncomingMessage) => unknown;

export interface JsonEndpoint {
  /** The X-Amz-Target prefix, e.g. "Logs_20140328.". */
  readonly targetPrefix: string;
  readonly bodyMax: number;
  readonly verify: VerifyRequest;
  readonly logger: Logger;
  /** For the server log: "the Logs API". */
  readonly label: string;
  /** The action of that name, or undefined (UnknownOperationException). */
  action(name: string): JsonAction | undefined;
  /** What a failure that is not a wire error answers (logged first). */
  internalError(): JsonErrors.JsonProtocolError;
  /** What a body over bodyMax answers (default SerializationException). */
  tooLarge?(bodyMax: number): JsonErrors.JsonProtocolError;
}

/**
 * The JSON 1.1 protocol (X-Amz-Target, application/x-amz-json-1.1) as Logs and Secrets
 * Manager speak it: one request, one error boundary rendering {"__type", "message"}.
 */
export async function handleJsonRequest(endpoint: JsonEndpoint, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = randomUUID();
  try {
    const name = String(req.headers['x-amz-target']).slice(endpoint.targetPrefix.length);
    const run = endpoint.action(name);
    if (!run) {
      req.resume();
      throw new JsonErrors.UnknownOperationException(`Unknown operation ${name}`);
    }
    const raw = await endpoint.verify(req, () => readBody(req, endpoint.bodyMax)).catch((err: unknown) => {
      if (err instanceof BodyTooLargeError) {
        throw endpoint.tooLarge?.(endpoint.bodyMax) ?? new JsonErrors.SerializationException(`The request body is larger than ${endpoint.bodyMax} bytes.`);
      }
      throw err;
    });
    let body: unknown;
    try {
      body = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
    } catch {
      throw new JsonErrors.SerializationException('Request body is not valid JSON');
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new JsonErrors.SerializationException('Request body must be a JSON object');
    }
    const out = JSON.stringify(run(body as Record<string, unknown>, req) ?? {});
    res.writeHead(200, { 'Content-Type': CONTENT_TYPE, 'Content-Length': Buffer.byteLength(out), 'x-amzn-RequestId': requestId });
    res.end(out);
  } catch (err) {
    let wire: JsonErrors.JsonProtocolError;
    if (err instanceof JsonErrors.JsonProtocolError) wire = err;
    else if (err instanceof AccessDeniedError) wire = new JsonErrors.AccessDeniedException(err.message);
    else {
      endpoint.logger.error({ err, requestId }, `unexpected error in ${endpoint.label}`);
      wire = endpoint.internalError();
    }
    const out = JSON.stringify({ __type: wire.code, message: wire.message });
    res.writeHead(wire.status, { 'Content-Type': CONTENT_TYPE, 'Content-Length': Buffer.byteLength(out), 'x-amzn-RequestId': requestId, 'x-amzn-ErrorType': wire.code });
    res.end(out);
  }
}
