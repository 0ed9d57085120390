import type { IncomingMessage } from 'node:http';
import { isoSeconds, renderError, renderResponse, signingService, type XmlObject, type XmlValue } from '../iam/index.ts';
import { decodeCbor, encodeCbor, epochTag } from './cbor.ts';
import { mapDoc } from './documents.ts';
import type { Doc, DocStruct } from './shapes.ts';

/**
 * The three protocols of the CloudWatch model (metadata.protocols), told apart as AWS's front
 * end does, most specific first:
 * 1. RPC v2 CBOR (boto3 ≥ 1.40, current SDKs): POST …/service/GraniteServiceVersion20100801/operation/<Op>
 *    https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html
 * 2. JSON 1.0: X-Amz-Target: GraniteServiceVersion20100801.<Op>
 *    https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html
 * 3. query (AWS CLI v2.9, older SDKs): POST / (or GET /?Action=…) signed for `monitoring`
 *    https://smithy.io/2.0/aws/protocols/aws-query-protocol.html
 */

export type Protocol = 'cbor' | 'json' | 'query';

export const SERVICE_SHAPE = 'GraniteServiceVersion20100801';
export const TARGET_PREFIX = `${SERVICE_SHAPE}.`;
/** The SigV4 signing name (credential scope) of CloudWatch. */
export const SIGNING_NAME = 'monitoring';
export const CLOUDWATCH_XMLNS = 'http://monitoring.amazonaws.com/doc/2010-08-01/';
export const CLOUDWATCH_VERSION = '2010-08-01';
/** Namespaces of __type in JSON and CBOR errors: the model's shapes, and the front end's own. */
const MODEL_NS = 'com.amazonaws.cloudwatch';
const FRONT_END_NS = 'com.amazon.coral.service';

/** Wire header names. */
export const HEADERS = {
  target: 'x-amz-target',
  smithyProtocol: 'smithy-protocol',
  queryError: 'x-amzn-query-error',
  requestId: 'x-amzn-RequestId',
} as const;

export const CONTENT_TYPES = { cbor: 'application/cbor', json: 'application/x-amz-json-1.0', query: 'text/xml' } as const;

/** Only the last four segments route; the service may also be named by its absolute shape id. */
const CBOR_PATH = new RegExp(`/service/(?:com\\.amazonaws\\.cloudwatch\\.)?${SERVICE_SHAPE}/operation/([^/]+)$`);

export interface Detected {
  readonly protocol: Protocol;
  /** From the path (CBOR) or X-Amz-Target (JSON); the query protocol names it in the body. */
  readonly operation?: string;
}

export function detectProtocol(req: IncomingMessage, path: string): Detected | undefined {
  const cbor = req.method === 'POST' ? CBOR_PATH.exec(path) : null;
  // The segment as sent: operation names are plain identifiers (and matches() must never throw).
  if (cbor) return { protocol: 'cbor', operation: cbor[1]! };
  const target = req.headers[HEADERS.target];
  if (typeof target === 'string' && target.startsWith(TARGET_PREFIX)) return { protocol: 'json', operation: target.slice(TARGET_PREFIX.length) };
  if (path === '/' && (req.method === 'POST' || req.method === 'GET') && target === undefined && signingService(req) === SIGNING_NAME) return { protocol: 'query' };
  return undefined;
}

/** A request body in the protocol's encoding → a plain value the shape-directed decoder reads. */
export function parseBody(protocol: 'cbor' | 'json', body: Buffer): unknown {
  if (body.length === 0) return {};
  return protocol === 'cbor' ? decodeCbor(body) : JSON.parse(body.toString('utf8'));
}

export interface WireAnswer {
  readonly status: number;
  readonly headers: Record<string, string | number>;
  readonly body: Buffer;
}

/** An operation's output document in the protocol's encoding. */
export function renderOutput(protocol: Protocol, operation: string, output: DocStruct, requestId: string): WireAnswer {
  switch (protocol) {
    case 'cbor':
      return answer(200, protocol, requestId, encodeCbor(mapDoc(output, epochTag, true)));
    case 'json':
      return answer(200, protocol, requestId, Buffer.from(JSON.stringify(mapDoc(output, (d) => d.getTime() / 1000))));
    case 'query':
      return answer(200, protocol, requestId, Buffer.from(renderResponse(operation, CLOUDWATCH_XMLNS, toXml(output) as XmlObject, requestId)));
  }
}

export interface WireErrorFields {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly type: 'Sender' | 'Receiver';
  readonly shape?: string;
  readonly messageMember?: 'message' | 'Message';
}

/**
 * An error in the protocol's shape. JSON and CBOR carry the model's shape name in `__type`,
 * and (the model being awsQueryCompatible) the query code and fault in x-amzn-query-error,
 * which SDKs read as the error's Code.
 */
export function renderWireError(protocol: Protocol, err: WireErrorFields, requestId: string): WireAnswer {
  if (protocol === 'query') return answer(err.status, protocol, requestId, Buffer.from(renderError(CLOUDWATCH_XMLNS, err, requestId)));
  // A shape with its namespace (the front end's AccessDeniedException) is used as it is.
  const type = err.shape ? (err.shape.includes('#') ? err.shape : `${MODEL_NS}#${err.shape}`) : `${FRONT_END_NS}#${err.code}`;
  const doc = { __type: type, [err.messageMember ?? 'message']: err.message };
  const body = protocol === 'cbor' ? encodeCbor(doc) : Buffer.from(JSON.stringify(doc));
  const out = answer(err.status, protocol, requestId, body);
  return { ...out, headers: { ...out.headers, [HEADERS.queryError]: `${err.code};${err.type}` } };
}

function answer(status: number, protocol: Protocol, requestId: string, body: Buffer): WireAnswer {
  return {
    status,
    headers: {
      'Content-Type': CONTENT_TYPES[protocol],
      'Content-Length': body.length,
      [HEADERS.requestId]: requestId,
      ...(protocol === 'cbor' ? { [HEADERS.smithyProtocol]: 'rpc-v2-cbor' } : {}),
    },
    body,
  };
}

/** An output document as query-protocol XML content: lists as <member>, maps as <entry><key/><value/>. */
export function toXml(doc: Doc): XmlValue {
  if (doc instanceof Date) return isoSeconds(doc.getTime());
  if (Array.isArray(doc)) return { member: doc.map((d: Doc) => toXml(d)) };
  if (doc instanceof Map) return { entry: [...(doc as ReadonlyMap<string, Doc>)].map(([key, value]) => ({ key, value: toXml(value) })) };
  if (typeof doc === 'object') {
    const out: Record<string, XmlValue> = {};
    for (const [k, v] of Object.entries(doc as DocStruct)) if (v !== undefined) out[k] = toXml(v);
    return out;
  }
  return doc as string | number | boolean;
}
