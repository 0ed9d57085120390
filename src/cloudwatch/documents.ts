import { CloudWatchErrors } from '../errors/index.ts';
import type { Doc, DocStruct, Shape } from './shapes.ts';

/**
 * Wire values → one document, directed by the operation's input shape, for each protocol:
 * JSON 1.0 and RPC v2 CBOR carry typed values (timestamps as epoch seconds, or CBOR tag 1
 * that the CBOR codec already made a Date); the query protocol carries flat form fields
 * (`Dimensions.member.1.Name`) whose types only the shape tells.
 * https://smithy.io/2.0/aws/protocols/aws-query-protocol.html#query-key-resolution
 */

/** Typed wire values (a parsed JSON or CBOR body). Unknown members are ignored, null is absent. */
export function decodeTyped(value: unknown, shape: Shape, path = ''): Doc | undefined {
  if (value === null || value === undefined) return undefined;
  const wrong = (): never => {
    throw new CloudWatchErrors.SerializationException(`${path || 'The request body'} must be ${describe(shape)}`);
  };
  switch (shape.kind) {
    case 'string':
      return typeof value === 'string' ? value : wrong();
    case 'boolean':
      return typeof value === 'boolean' ? value : wrong();
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) ? value : wrong();
    case 'double':
      return typeof value === 'number' ? value : wrong();
    case 'timestamp':
      if (value instanceof Date && !Number.isNaN(value.getTime())) return value;
      return (typeof value === 'number' && dateOf(value * 1000)) || wrong();
    case 'list': {
      if (!Array.isArray(value)) return wrong();
      if (shape.max !== undefined && value.length > shape.max) throw tooMany(path, shape.max);
      const out: Doc[] = [];
      value.forEach((item, i) => {
        const d = decodeTyped(item, shape.member, `${path}[${i}]`);
        if (d !== undefined) out.push(d);
      });
      return out;
    }
    case 'map': {
      const entries = value instanceof Map ? [...value.entries()] : isRecord(value) ? Object.entries(value) : wrong();
      const out = new Map<string, Doc>();
      for (const [k, v] of entries) {
        const d = decodeTyped(v, shape.value, `${path}.${String(k)}`);
        if (d !== undefined) out.set(String(k), d);
      }
      return out;
    }
    case 'structure': {
      const record = value instanceof Map ? Object.fromEntries(value) : isRecord(value) ? value : wrong();
      const out: Record<string, Doc> = {};
      for (const [name, member] of Object.entries(shape.members)) {
        const d = decodeTyped(record[name], member, path ? `${path}.${name}` : name);
        if (d !== undefined) out[name] = d;
      }
      return out;
    }
  }
}

/**
 * Flat query fields (`Action=…&Dimensions.member.1.Name=…`) → the input document. The keys are
 * grouped once by their next segment on the way down, so each key is looked at once per level
 * (a form of 20,000 keys decodes in linear time), and a list longer than its shape allows is
 * refused before its members are decoded.
 */
export function decodeQuery(params: ReadonlyMap<string, string>, shape: Shape & { kind: 'structure' }): DocStruct {
  return decodeField(params, [...params.keys()], shape, '') as DocStruct;
}

/** `keys`: the parameter keys equal to `key` or under `key.` (every key at the root). */
function decodeField(params: ReadonlyMap<string, string>, keys: readonly string[], shape: Shape, key: string): Doc | undefined {
  const bad = (raw: string): never => {
    throw new CloudWatchErrors.InvalidParameterValue(`Value (${raw}) for parameter ${key} is invalid.`);
  };
  switch (shape.kind) {
    case 'structure': {
      const byMember = childKeys(keys, key ? `${key}.` : '');
      const out: Record<string, Doc> = {};
      for (const [name, member] of Object.entries(shape.members)) {
        const under = byMember.get(name);
        if (!under) continue;
        const d = decodeField(params, under, member, key ? `${key}.${name}` : name);
        if (d !== undefined) out[name] = d;
      }
      return key && Object.keys(out).length === 0 ? undefined : out;
    }
    case 'list': {
      const prefix = `${key}.member.`;
      const byIndex = new Map<number, string[]>();
      for (const [segment, under] of childKeys(keys, prefix)) {
        const n = Number(segment);
        if (!Number.isInteger(n) || n < 1 || String(n) !== segment) continue;
        byIndex.set(n, under);
        if (shape.max !== undefined && byIndex.size > shape.max) throw tooMany(key, shape.max);
      }
      // An empty list is sent as the bare key (`Statistics=`).
      if (byIndex.size === 0) return params.has(key) ? [] : undefined;
      const out: Doc[] = [];
      for (const n of [...byIndex.keys()].sort((a, b) => a - b)) {
        const d = decodeField(params, byIndex.get(n)!, shape.member, `${prefix}${n}`);
        if (d !== undefined) out.push(d);
      }
      return out;
    }
    case 'map': {
      const out = new Map<string, Doc>();
      const byEntry = childKeys(keys, `${key}.entry.`);
      for (let n = 1; params.has(`${key}.entry.${n}.key`); n++) {
        const at = `${key}.entry.${n}.value`;
        // The entry's keys (its .key among them) are a superset of the value's: each case below filters by its prefix.
        const d = decodeField(params, byEntry.get(String(n)) ?? [], shape.value, at);
        if (d !== undefined) out.set(params.get(`${key}.entry.${n}.key`)!, d);
      }
      return out.size ? out : undefined;
    }
    default: {
      const raw = params.get(key);
      if (raw === undefined) return undefined;
      switch (shape.kind) {
        case 'string':
          return raw;
        case 'boolean':
          return raw === 'true' ? true : raw === 'false' ? false : bad(raw);
        case 'integer':
          return /^-?\d+$/.test(raw) ? Number(raw) : bad(raw);
        case 'double':
          return raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : bad(raw);
        case 'timestamp':
          // ISO 8601 as botocore and the SDKs send it; epoch seconds as some hand-written clients do.
          return dateOf(/^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) * 1000 : Date.parse(raw)) || bad(raw);
      }
    }
  }
}

/** Keys under `prefix`, grouped by their next segment (`prefix` + segment, alone or followed by `.`). */
function childKeys(keys: readonly string[], prefix: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const k of keys) {
    if (!k.startsWith(prefix)) continue;
    const dot = k.indexOf('.', prefix.length);
    const segment = dot < 0 ? k.slice(prefix.length) : k.slice(prefix.length, dot);
    const group = out.get(segment);
    if (group) group.push(k);
    else out.set(segment, [k]);
  }
  return out;
}

/** ECMAScript's Date range: ±8.64e15 ms (±100,000,000 days) from the epoch. */
const DATE_MAX_MS = 8.64e15;

/** A Date of epoch milliseconds, or undefined when they are not a time a Date can hold (NaN, 1e15 seconds). */
function dateOf(ms: number): Date | undefined {
  return Number.isFinite(ms) && Math.abs(ms) <= DATE_MAX_MS ? new Date(Math.round(ms)) : undefined;
}

function tooMany(path: string, max: number): Error {
  return new CloudWatchErrors.InvalidParameterValue(`The collection ${path} must not have a size greater than ${max}.`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) && !(value instanceof Uint8Array);
}

function describe(shape: Shape): string {
  switch (shape.kind) {
    case 'string':
      return 'a string';
    case 'boolean':
      return 'a boolean';
    case 'integer':
      return 'an integer';
    case 'double':
      return 'a number';
    case 'timestamp':
      return 'a timestamp (epoch seconds)';
    case 'list':
      return 'a list';
    case 'map':
    case 'structure':
      return 'an object';
  }
}

/** Output documents → wire values: Dates become what `date` makes of them, Maps become records (or stay Maps). */
export function mapDoc(doc: Doc, date: (d: Date) => unknown, keepMaps = false): unknown {
  if (doc instanceof Date) return date(doc);
  if (Array.isArray(doc)) return doc.map((d: Doc) => mapDoc(d, date, keepMaps));
  if (doc instanceof Map) {
    const entries = [...(doc as ReadonlyMap<string, Doc>)].map(([k, v]) => [k, mapDoc(v, date, keepMaps)] as const);
    return keepMaps ? new Map(entries) : Object.fromEntries(entries);
  }
  if (typeof doc === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(doc as DocStruct)) if (v !== undefined) out[k] = mapDoc(v, date, keepMaps);
    return out;
  }
  return doc;
}
