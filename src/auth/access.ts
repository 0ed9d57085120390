import type { IncomingMessage } from 'node:http';

/**
 * Authorization as the APIs see it: before acting, a route asks whether the request's
 * (already authenticated) principal may perform `action` on `resource`; a refusal is an
 * AccessDeniedError, which each API renders in its own wire shape (Lambda and JSON
 * services AccessDeniedException, S3 and IAM AccessDenied).
 */
export interface AccessRequest {
  /** IAM action, e.g. lambda:InvokeFunction, s3:GetObject. */
  readonly action: string;
  /** The ARN acted on, or "*" for actions without a resource (ListFunctions, ListBuckets). */
  readonly resource: string;
  /** The resource's own policy as stored JSON (a function's, a bucket's), when it has one. */
  readonly resourcePolicy?: string;
  /** Extra condition keys (s3:prefix, lambda:FunctionArn, ...). */
  readonly context?: Readonly<Record<string, string | readonly string[] | boolean | number | undefined>>;
}

export class AccessDeniedError extends Error {
  constructor(
    message: string,
    /** True when a Deny statement refused it (not merely no Allow). */
    readonly explicit: boolean,
  ) {
    super(message);
    this.name = 'AccessDeniedError';
  }
}

/** Throws AccessDeniedError when the request's principal may not do it. */
export type Authorize = (req: IncomingMessage, request: AccessRequest) => void;

/** With authorization not wired (unit tests), everything is allowed. */
export const ALLOW_ALL: Authorize = () => {};
