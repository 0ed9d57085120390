import { decode, encode, Tag } from 'cbor2';

/**
 * CBOR (RFC 8949) as RPC v2 CBOR uses it: maps with text keys for structures, tag 1 (epoch
 * seconds, integer or float) for timestamps, no `undefined`. The codec is cbor2's; this module
 * only fixes the choices the protocol makes.
 * https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html#shape-serialization
 */

/** A request body → plain values: text-keyed maps as records, tag 1 as a Date, `undefined` as null. */
export function decodeCbor(body: Uint8Array): unknown {
  return normalize(decode(body, { preferMap: false }));
}

function normalize(value: unknown): unknown {
  if (value === undefined) return null;
  if (value instanceof Tag) {
    if (value.tag === 1 && typeof value.contents === 'number') return new Date(Math.round(value.contents * 1000));
    if (value.tag === 1 && typeof value.contents === 'bigint') return new Date(Number(value.contents) * 1000);
    return value;
  }
  if (Array.isArray(value)) return value.map(normalize);
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, normalize(v)]));
  if (value !== null && typeof value === 'object' && !(value instanceof Date) && !ArrayBuffer.isView(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}

/** A timestamp as the protocol sends it: tag 1 over epoch seconds (an integer when whole). */
export function epochTag(date: Date): Tag {
  return new Tag(1, date.getTime() / 1000);
}

/** Plain values (records and Maps as CBOR maps, Tags as themselves) → a response body. */
export function encodeCbor(value: unknown): Buffer {
  // Floats as doubles: the protocol wants no half-precision values on the wire.
  const bytes = encode(value, { float64: true });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
