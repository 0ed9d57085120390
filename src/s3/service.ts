import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { AccessDeniedError, type Authorize } from '../auth/index.ts';
import { S3Errors } from '../errors/index.ts';
import type { Service } from '../gateway/index.ts';
import { loggableUrl } from '../util/index.ts';
import { resolveAddress, virtualHostBucket } from './addressing.ts';
import { bucketActions } from './bucket-actions.ts';
import { bucketPolicyActions } from './bucket-policy-actions.ts';
import type { S3Action, S3Call, S3Reply } from './context.ts';
import { H } from './headers.ts';
import { multipartActions, listUploadsAction } from './multipart-actions.ts';
import { objectActions, parseCopySource } from './object-actions.ts';
import type { ObjectService } from './object-service.ts';
import type { BucketNotifications } from './bucket-notifications.ts';
import { notificationActions } from './notification-actions.ts';
import { requiredAccess, s3Arn, type S3Access } from './permissions.ts';
import { selectRoute } from './routes.ts';
import type { BucketPolicyStore } from '../storage/index.ts';
import { renderXml, type XmlObject } from './xml.ts';

export interface S3ServiceDeps {
  readonly objects: ObjectService;
  readonly accountId: string;
  /** Host suffixes of virtual-hosted-style addressing (config s3.virtualHostSuffixes). */
  readonly virtualHostSuffixes: readonly string[];
  readonly logger: Logger;
  /** Put/GetBucketNotificationConfiguration; without it they answer NotImplemented. */
  readonly notifications?: BucketNotifications;
  /**
   * SigV4 over the headers and the declared x-amz-content-sha256, before any action; the body
   * is checked as it streams. Throws S3's wire errors. Without it nothing is checked.
   */
  readonly verify?: (req: IncomingMessage) => Promise<void>;
  /**
   * Authorization of the verified caller: every operation's IAM action (permissions.ts) is
   * checked before it runs, with the bucket's policy. Without it everything is allowed.
   */
  readonly authorize?: Authorize;
  /** Put/Get/DeleteBucketPolicy, and each check's resource policy; without it they answer NotImplemented. */
  readonly bucketPolicies?: BucketPolicyStore;
}

/**
 * The S3 REST API on the gateway, with its one error boundary: every failure becomes S3's
 * status + <Error> document (no body for HEAD), anything unexpected a logged InternalError.
 */
export class S3Service implements Service {
  readonly name = 's3';
  readonly #actions = new Map<string, S3Action>();

  constructor(private readonly deps: S3ServiceDeps) {
    const { objects, accountId } = deps;
    for (const action of [...bucketActions(objects, accountId), ...objectActions(objects), ...multipartActions(objects, accountId), listUploadsAction(objects, accountId), ...notificationActions(objects, deps.notifications), ...bucketPolicyActions(objects, deps.bucketPolicies)]) {
      this.#actions.set(action.operation, action);
    }
  }

  /** The S3 action names served. */
  get operations(): string[] {
    return [...this.#actions.keys()];
  }

  /** S3 has no path prefix or target header of its own: registered last, it answers whatever no other service claims. */
  matches(): boolean {
    return true;
  }

  /**
   * The same API for virtual-hosted-style requests only, to register before the other
   * services: there the whole path is a key, and a key like `2024-01-01/app.log` must not
   * be taken for a Lambda path.
   */
  get virtualHosted(): Service {
    return {
      name: 's3',
      matches: (req) => virtualHostBucket(req.headers.host, this.deps.virtualHostSuffixes) !== undefined,
      handle: (req, res, url) => this.handle(req, res, url),
    };
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    const hostId = randomBytes(32).toString('base64');
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    let resource = rawPath;
    try {
      await this.deps.verify?.(req);
      const address = resolveAddress(rawPath, req.headers.host, this.deps.virtualHostSuffixes);
      if (address.bucket !== undefined) resource = `/${address.bucket}${address.key !== undefined ? `/${address.key}` : ''}`;
      const target = address.key !== undefined ? 'object' : address.bucket !== undefined ? 'bucket' : 'service';
      const route = selectRoute(req.method ?? 'GET', target, url.searchParams, (h) => req.headers[h] !== undefined);
      const action = this.#actions.get(route.operation)!;
      const call: S3Call = {
        req,
        method: req.method ?? 'GET',
        ...(address.bucket !== undefined ? { bucket: address.bucket } : {}),
        ...(address.key !== undefined ? { key: address.key } : {}),
        query: url.searchParams,
        requestId,
        hostId,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        baseUrl: `http://${req.headers.host ?? 'localhost'}`,
        header: (name) => {
          const v = req.headers[name];
          return Array.isArray(v) ? v[0] : v;
        },
        authorize: (access) => this.#authorize(req, access),
      };
      for (const access of requiredAccess(route.operation, { ...address, query: url.searchParams, copySource: () => parseCopySource(call) })) {
        this.#authorize(req, access);
      }
      // The route's target guarantees the bucket (and key) the action's call type promises.
      const reply = await (action.handle as (c: S3Call) => Promise<S3Reply>)(call).catch((err: unknown) => {
        // Without s3:ListBucket a missing key is 403, not 404: S3 does not tell who may not list whether a key exists.
        if (err instanceof S3Errors.NoSuchKey && (route.operation === 'GetObject' || route.operation === 'HeadObject')) {
          this.#authorize(req, { action: 's3:ListBucket', bucket: address.bucket! });
        }
        throw err;
      });
      await this.#send(req, res, requestId, hostId, reply);
    } catch (err) {
      this.#renderError(req, res, { requestId, hostId, resource }, err);
    }
  }

  /** Throws S3's AccessDenied unless the caller may make the access, under the bucket's policy. */
  #authorize(req: IncomingMessage, access: S3Access): void {
    const { authorize, bucketPolicies } = this.deps;
    if (!authorize) return;
    const resourcePolicy = access.bucket !== undefined ? bucketPolicies?.getBucketPolicy(access.bucket) : undefined;
    try {
      authorize(req, {
        action: access.action,
        resource: s3Arn(access.bucket, access.key),
        ...(resourcePolicy !== undefined ? { resourcePolicy } : {}),
        ...(access.context ? { context: access.context } : {}),
      });
    } catch (err) {
      if (err instanceof AccessDeniedError) throw new S3Errors.AccessDenied(err.message);
      throw err;
    }
  }

  async #send(req: IncomingMessage, res: ServerResponse, requestId: string, hostId: string, reply: S3Reply): Promise<void> {
    const headers: Record<string, string | number> = { [H.requestId]: requestId, [H.hostId]: hostId };
    for (const [k, v] of Object.entries(reply.headers ?? {})) if (v !== undefined) headers[k] = v;
    if (typeof reply.body === 'string') {
      headers['Content-Length'] = Buffer.byteLength(reply.body);
      res.writeHead(reply.status, headers).end(req.method === 'HEAD' ? undefined : reply.body);
      return;
    }
    if (!reply.body) {
      if (headers['Content-Length'] === undefined && reply.status !== 304 && reply.status !== 204) headers['Content-Length'] = 0;
      res.writeHead(reply.status, headers).end();
      return;
    }
    res.writeHead(reply.status, headers);
    if (req.method === 'HEAD') {
      reply.body.destroy();
      res.end();
      return;
    }
    try {
      await pipeline(reply.body, res);
    } catch (err) {
      // The client went away mid-download (or the disk failed): nothing more can be said on this response.
      this.deps.logger.debug({ err, requestId }, 'object download ended early');
      res.destroy();
    }
  }

  #renderError(req: IncomingMessage, res: ServerResponse, ids: { requestId: string; hostId: string; resource: string }, err: unknown): void {
    let wire: S3Errors.S3Error;
    if (err instanceof S3Errors.S3Error) {
      wire = err;
    } else if (err instanceof AccessDeniedError) {
      wire = new S3Errors.AccessDenied(err.message);
    } else {
      this.deps.logger.error({ err, method: req.method, url: loggableUrl(req.url), requestId: ids.requestId }, 'unexpected error in the S3 API');
      wire = new S3Errors.InternalError();
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const headers: Record<string, string | number> = { [H.requestId]: ids.requestId, [H.hostId]: ids.hostId, ...wire.headers };
    if (!req.complete) {
      // The body was not read (an early refusal): drain what is in flight, then close.
      headers.Connection = 'close';
      req.resume();
    }
    if (req.method === 'HEAD') {
      res.writeHead(wire.status, headers).end();
      return;
    }
    const body = renderXml(
      'Error',
      { Code: wire.code, Message: wire.message, ...(wire.details as XmlObject), Resource: ids.resource, RequestId: ids.requestId, HostId: ids.hostId },
      { namespace: false },
    );
    headers['Content-Type'] = 'application/xml';
    headers['Content-Length'] = Buffer.byteLength(body);
    res.writeHead(wire.status, headers).end(body);
  }
}
