export { SYSTEM_CLOCK, type Clock } from './clock.ts';
export { buildDirAtomically } from './atomic-dir.ts';
export { loggableUrl } from './redact.ts';
export { escapeXml, renderXmlChildren, renderXmlElement, type XmlObject, type XmlValue } from './xml.ts';
