import { XMLParser } from 'fast-xml-parser';
import { S3Errors } from '../errors/index.ts';
import { renderXmlChildren, type XmlObject } from '../util/xml.ts';

export { escapeXml, type XmlObject, type XmlValue } from '../util/xml.ts';

/** Namespace of every S3 response document. */
export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** A whole response document: declaration, root element in S3's namespace (the <Error> document has none). */
export function renderXml(root: string, body: XmlObject, options: { readonly namespace?: boolean } = {}): string {
  const open = options.namespace === false ? `<${root}>` : `<${root} xmlns="${S3_XMLNS}">`;
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n', open];
  renderXmlChildren(body, out);
  out.push(`</${root}>`);
  return out.join('');
}

/** The flattened lists of a NotificationConfiguration document. */
const NOTIFICATION_LISTS = new Set(['CloudFunctionConfiguration', 'QueueConfiguration', 'TopicConfiguration', 'Event', 'FilterRule']);

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  processEntities: true,
  // Elements that may repeat are always arrays, so one Part and many Parts read alike.
  isArray: (name, jpath) => name === 'Part' || name === 'Object' || (String(jpath).startsWith('NotificationConfiguration.') && NOTIFICATION_LISTS.has(name)),
});

/** Parses a request document and returns the content of its expected root, or MalformedXML. */
export function parseXmlBody(body: Buffer, root: string): Record<string, unknown> {
  const text = body.toString('utf8');
  // No request document of S3's has a DTD; refusing one rules out entity-expansion tricks.
  if (/<!DOCTYPE/i.test(text)) throw new S3Errors.MalformedXML();
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(text, true) as Record<string, unknown>;
  } catch {
    throw new S3Errors.MalformedXML();
  }
  const content = doc[root];
  if (content === undefined) throw new S3Errors.MalformedXML();
  return typeof content === 'object' && content !== null ? (content as Record<string, unknown>) : {};
}

/** A child element's text, if it is a single text element. */
export function xmlText(obj: Record<string, unknown>, name: string): string | undefined {
  const v = obj[name];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && Object.keys(v).length === 0) return '';
  throw new S3Errors.MalformedXML();
}
