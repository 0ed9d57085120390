import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { S3Access } from './permissions.ts';

/** One S3 call as the action handlers see it. */
export interface S3Call {
  readonly req: IncomingMessage;
  readonly method: string;
  readonly bucket?: string;
  readonly key?: string;
  readonly query: URLSearchParams;
  /** x-amz-request-id and x-amz-id-2 of this call. */
  readonly requestId: string;
  readonly hostId: string;
  readonly sourceIp: string;
  /** http://host the client reached us on (Location members). */
  readonly baseUrl: string;
  header(name: string): string | undefined;
  /** Throws S3's AccessDenied unless the caller may (checks beyond the route's own, e.g. each key of DeleteObjects). */
  authorize(access: S3Access): void;
}

export interface S3Reply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string | number | undefined>>;
  /** An XML document, or an object body streamed from disk. */
  readonly body?: string | Readable;
}

export interface BucketCall extends S3Call {
  readonly bucket: string;
}

export interface ObjectCall extends BucketCall {
  readonly key: string;
}

/** One S3 API action; `target` says whether it acts on the service, a bucket, or an object. */
export type S3Action =
  | { readonly operation: string; readonly target: 'service'; handle(call: S3Call): Promise<S3Reply> }
  | { readonly operation: string; readonly target: 'bucket'; handle(call: BucketCall): Promise<S3Reply> }
  | { readonly operation: string; readonly target: 'object'; handle(call: ObjectCall): Promise<S3Reply> };
