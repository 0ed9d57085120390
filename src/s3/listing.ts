import type { KeyRange, ObjectRecord } from '../storage/index.ts';

/**
 * One page of a bucket listing with S3's prefix / delimiter semantics: keys that contain
 * the delimiter after the prefix roll up into one CommonPrefix, which counts once against
 * max-keys. The scan seeks past a whole common prefix instead of reading every key in it.
 */
export interface ListRequest {
  readonly prefix: string;
  readonly delimiter?: string;
  readonly maxKeys: number;
  readonly cursor?: Cursor;
}

/** Where a page resumes: after a key, or past everything under a common prefix. */
export type Cursor = { readonly kind: 'key'; readonly value: string } | { readonly kind: 'prefix'; readonly value: string };

export interface ListPage {
  readonly objects: ObjectRecord[];
  readonly commonPrefixes: string[];
  readonly truncated: boolean;
  /** Where the next page starts (present when truncated). */
  readonly next?: Cursor;
}

export type Scan = (range: KeyRange) => ObjectRecord[];

const MAX_CODE_POINT = 0x10ffff;

/**
 * The smallest string greater than every string that starts with s (undefined if none):
 * the last code point plus one. SQLite compares UTF-8 bytes, which is code point order.
 */
export function prefixSuccessor(s: string): string | undefined {
  const points = [...s];
  while (points.length) {
    const cp = points.pop()!.codePointAt(0)!;
    if (cp < MAX_CODE_POINT) {
      const next = cp + 1 === 0xd800 ? 0xe000 : cp + 1;
      return points.join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}

export function listPage(scan: Scan, request: ListRequest): ListPage {
  const { prefix, delimiter, maxKeys } = request;
  const upper = prefix ? prefixSuccessor(prefix) : undefined;
  const objects: ObjectRecord[] = [];
  const commonPrefixes: string[] = [];
  // The scan position: strictly after a key, or from a prefix's successor onwards.
  let from = startOf(request.cursor, prefix);
  let last: Cursor | undefined;
  const batch = Math.min(Math.max(maxKeys, 1) + 1, 1001);

  while (true) {
    if (from === undefined) return { objects, commonPrefixes, truncated: false };
    const rows = scan({ after: from.after, inclusive: from.inclusive, ...(upper !== undefined ? { before: upper } : {}), limit: batch });
    if (rows.length === 0) return { objects, commonPrefixes, truncated: false };
    let reseek = false;
    for (const row of rows) {
      if (objects.length + commonPrefixes.length >= maxKeys) return { objects, commonPrefixes, truncated: true, ...(last ? { next: last } : {}) };
      const rest = row.key.slice(prefix.length);
      const at = delimiter ? rest.indexOf(delimiter) : -1;
      if (at !== -1) {
        const common = prefix + rest.slice(0, at + delimiter!.length);
        commonPrefixes.push(common);
        last = { kind: 'prefix', value: common };
        from = startOf(last, prefix);
        reseek = true;
        break;
      }
      objects.push(row);
      last = { kind: 'key', value: row.key };
      from = { after: row.key, inclusive: false };
    }
    if (!reseek && rows.length < batch) return { objects, commonPrefixes, truncated: false };
  }
}

function startOf(cursor: Cursor | undefined, prefix: string): { after: string; inclusive: boolean } | undefined {
  if (!cursor) return { after: prefix, inclusive: true };
  if (cursor.kind === 'key') return utf8Less(cursor.value, prefix) ? { after: prefix, inclusive: true } : { after: cursor.value, inclusive: false };
  const next = prefixSuccessor(cursor.value);
  if (next === undefined) return undefined;
  return utf8Less(next, prefix) ? { after: prefix, inclusive: true } : { after: next, inclusive: true };
}

/** Key order is UTF-8 byte order (JavaScript's < compares UTF-16 units, which differs above U+FFFF). */
function utf8Less(a: string, b: string): boolean {
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0;
}

/** Continuation tokens are opaque to clients; this one is the cursor, base64url. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.kind === 'key' ? 'K' : 'P'}${cursor.value}`, 'utf8').toString('base64url');
}

export function decodeCursor(token: string): Cursor | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  const text = Buffer.from(token, 'base64url').toString('utf8');
  if (text[0] === 'K') return { kind: 'key', value: text.slice(1) };
  if (text[0] === 'P') return { kind: 'prefix', value: text.slice(1) };
  return undefined;
}
