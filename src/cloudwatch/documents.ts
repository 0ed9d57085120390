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
      return typeof value === 'number' && Number.isFinite(value) ? new Date(Math.round(value * 1000)) : wrong();
    case 'list': {
      if (!Array.isArray(value)) return wrong();
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

/** Flat query fields (`Action=…&Dimensions.member.1.Name=…`) → the input document. */
export function decodeQuery(params: ReadonlyMap<string, string>, shape: Shape & { kind: 'structure' }): DocStruct {
  return decodeField(params, shape, '') as DocStruct;
}

function decodeField(params: ReadonlyMap<string, string>, shape: Shape, key: string): Doc | undefined {
  const bad = (raw: string): never => {
    throw new CloudWatchErrors.InvalidParameterValue(`Value (${raw}) for parameter ${key} is invalid.`);
  };
  switch (shape.kind) {
    case 'structure': {
      const out: Record<string, Doc> = {};
      for (const [name, member] of Object.entries(shape.members)) {
        const d = decodeField(params, member, key ? `${key}.${name}` : name);
        if (d !== undefined) out[name] = d;
      }
      return key && Object.keys(out).length === 0 ? undefined : out;
    }
    case 'list': {
      const prefix = `${key}.member.`;
      const indices = new Set<number>();
      for (const k of params.keys()) {
        if (!k.startsWith(prefix)) continue;
        const rest = k.slice(prefix.length);
        const n = Number(rest.split('.', 1)[0]);
        if (Number.isInteger(n) && n >= 1) indices.add(n);
      }
      // An empty list is sent as the bare key (`Statistics=`).
      if (indices.size === 0) return params.has(key) ? [] : undefined;
      const out: Doc[] = [];
      for (const n of [...indices].sort((a, b) => a - b)) {
        const d = decodeField(params, shape.member, `${prefix}${n}`);
        if (d !== undefined) out.push(d);
      }
      return out;
    }
    case 'map': {
      const out = new Map<string, Doc>();
      for (let n = 1; params.has(`${key}.entry.${n}.key`); n++) {
        const d = decodeField(params, shape.value, `${key}.entry.${n}.value`);
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
        case 'timestamp': {
          // ISO 8601 as botocore and the SDKs send it; epoch seconds as some hand-written clients do.
          const ms = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) * 1000 : Date.parse(raw);
          return Number.isFinite(ms) ? new Date(ms) : bad(raw);
        }
      }
    }
  }
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
