import type { IncomingMessage } from 'node:http';
import type { QueryErrors } from '../errors/index.ts';
import { renderXmlElement, type XmlObject, type XmlValue } from '../util/xml.ts';

export type { XmlObject, XmlValue } from '../util/xml.ts';

/**
 * The AWS query protocol (IAM, STS): requests are form fields (Action, Version, and members
 * flattened as `Tags.member.1.Key`), responses are XML documents in the service's namespace.
 * https://smithy.io/2.0/aws/protocols/aws-query-protocol.html
 */

/** Form fields of one request, first value of each name. */
export type QueryParams = ReadonlyMap<string, string>;

/** Parses an application/x-www-form-urlencoded body (or a query string) into its fields. */
export function parseQuery(text: string): QueryParams {
  const out = new Map<string, string>();
  for (const [k, v] of new URLSearchParams(text)) if (!out.has(k)) out.set(k, v);
  return out;
}

/**
 * The members of a flattened list (`<name>.member.N[.<field>]`), in N order. A member of
 * structure type is a record of its fields; a scalar member is the record { '': value }.
 */
export function listMembers(params: QueryParams, name: string): Record<string, string>[] {
  const prefix = `${name}.member.`;
  const byIndex = new Map<number, Record<string, string>>();
  for (const [key, value] of params) {
    if (!key.startsWith(prefix)) continue;
    const rest = key.slice(prefix.length);
    const dot = rest.indexOf('.');
    const index = Number(dot < 0 ? rest : rest.slice(0, dot));
    if (!Number.isInteger(index) || index < 1) continue;
    let member = byIndex.get(index);
    if (!member) byIndex.set(index, (member = {}));
    member[dot < 0 ? '' : rest.slice(dot + 1)] = value;
  }
  return [...byIndex.keys()].sort((a, b) => a - b).map((i) => byIndex.get(i)!);
}

export function xmlList(items: readonly XmlValue[]): XmlObject {
  return { member: items };
}

/** <ActionResponse xmlns><ActionResult>…</ActionResult><ResponseMetadata/></ActionResponse>; no Result for actions without output. */
export function renderResponse(action: string, xmlns: string, result: XmlObject | undefined, requestId: string): string {
  const out = [`<${action}Response xmlns="${xmlns}">`];
  if (result !== undefined) renderXmlElement(`${action}Result`, result, out);
  renderXmlElement('ResponseMetadata', { RequestId: requestId }, out);
  out.push(`</${action}Response>`);
  return out.join('');
}

/** <ErrorResponse xmlns><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse> */
export function renderError(xmlns: string, err: Pick<QueryErrors.QueryProtocolError, 'type' | 'code' | 'message'>, requestId: string): string {
  const out = [`<ErrorResponse xmlns="${xmlns}">`];
  renderXmlElement('Error', { Type: err.type, Code: err.code, Message: err.message }, out);
  renderXmlElement('RequestId', requestId, out);
  out.push('</ErrorResponse>');
  return out.join('');
}

const SCOPE = /Credential=[^/,\s]+\/\d{8}\/[^/]*\/([^/]+)\/aws4_request/;

/**
 * The service a request was signed for: the SigV4 credential scope of its Authorization
 * header, or of X-Amz-Credential in a presigned query string (iam, sts, s3, ...).
 */
export function signingService(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = SCOPE.exec(auth);
    if (m) return m[1];
  }
  const url = req.url ?? '';
  const q = url.indexOf('?');
  if (q < 0 || !url.includes('X-Amz-Credential', q)) return undefined;
  const credential = new URLSearchParams(url.slice(q + 1)).get('X-Amz-Credential');
  return credential ? /^[^/]+\/\d{8}\/[^/]*\/([^/]+)\/aws4_request$/.exec(credential)?.[1] : undefined;
}

/** AWS's timestamps in query responses: 2026-01-01T00:00:00Z (no milliseconds). */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
