/**
 * XML response rendering shared by the XML-speaking APIs (S3's rest-xml, and the query
 * protocol of IAM, STS and CloudWatch). An element's content is text, children (an array
 * value repeats the element), or nothing (undefined members are left out); member order is
 * document order.
 */
export type XmlValue = string | number | boolean | XmlObject | undefined;
export interface XmlObject {
  readonly [name: string]: XmlValue | readonly XmlValue[];
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"'\r]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;', '\r': '&#13;' })[c]!);
}

/** Appends <name>content</name> to out. */
export function renderXmlElement(name: string, value: XmlValue, out: string[]): void {
  if (value === undefined) return;
  if (typeof value === 'object') {
    out.push(`<${name}>`);
    renderXmlChildren(value, out);
    out.push(`</${name}>`);
    return;
  }
  out.push(`<${name}>${escapeXml(String(value))}</${name}>`);
}

/** Appends each member of obj as an element (array members repeat it). */
export function renderXmlChildren(obj: XmlObject, out: string[]): void {
  for (const [name, value] of Object.entries(obj)) {
    if (Array.isArray(value)) for (const v of value as XmlValue[]) renderXmlElement(name, v, out);
    else renderXmlElement(name, value as XmlValue, out);
  }
}
