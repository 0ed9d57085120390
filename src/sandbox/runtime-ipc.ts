/**
 * The built-in Node.js runtime's transport: the Runtime API's exchanges as frames on a
 * pipe (the child's fd 3) instead of HTTP on loopback. Same state machine (runtime-api.ts
 * decides every transition), a fraction of the cost: no HTTP parsing on either side, one
 * write per direction, no 202 to wait for. Custom runtimes keep the HTTP Runtime API.
 *
 * A frame is `u32 metaLength, u32 payloadLength` (big-endian), a JSON object, then the
 * payload bytes. Runtime → host: {t:"next"} (as GET /next: only a runtime that asks gets an
 * event), {t:"response",id,rss} and {t:"error",id,errorType,rss}, {t:"init-error",
 * errorType}; host → runtime: {t:"invoke",id,deadline,arn,trace?,cc?,ci?} and {t:"assign",
 * env,unset,cwd} (primed-runtimes.ts). The function shares the
 * runtime's process and could write to fd 3 itself: a frame that does not parse is a
 * broken environment, which the host kills.
 */
import type { Socket } from 'node:net';
import { MAX_RESPONSE_PAYLOAD_BYTES, type RuntimeInvocation } from './runtime-api.ts';

const HEADER_BYTES = 8;
/** Largest meta object a runtime may send (an error type, an id). */
const MAX_META_BYTES = 64 * 1024;

export type RuntimeMessage =
  | { readonly t: 'next' }
  | { readonly t: 'response'; readonly id: string; readonly rss?: number; readonly payload: Buffer | null; readonly size: number }
  | { readonly t: 'error'; readonly id: string; readonly errorType: string; readonly rss?: number; readonly payload: Buffer | null; readonly size: number }
  | { readonly t: 'init-error'; readonly errorType: string; readonly payload: Buffer | null; readonly size: number }
  | { readonly t: 'assigned'; readonly payload: null; readonly size: 0 };

export function encodeFrame(meta: object, payload?: Buffer): Buffer {
  const json = JSON.stringify(meta);
  const jsonBytes = Buffer.byteLength(json, 'utf8');
  const body = payload ?? EMPTY;
  const frame = Buffer.allocUnsafe(HEADER_BYTES + jsonBytes + body.length);
  frame.writeUInt32BE(jsonBytes, 0);
  frame.writeUInt32BE(body.length, 4);
  frame.write(json, HEADER_BYTES, 'utf8');
  body.copy(frame, HEADER_BYTES + jsonBytes);
  return frame;
}

const EMPTY = Buffer.alloc(0);

export function invokeFrame(inv: RuntimeInvocation): Buffer {
  const meta: Record<string, unknown> = { t: 'invoke', id: inv.requestId, deadline: inv.deadlineMs, arn: inv.invokedFunctionArn };
  if (inv.traceId) meta.trace = inv.traceId;
  if (inv.clientContext) meta.cc = inv.clientContext;
  if (inv.cognitoIdentity) meta.ci = inv.cognitoIdentity;
  return encodeFrame(meta, inv.payload);
}

/**
 * Reads frames from a runtime. Payloads over the response limit are counted and dropped
 * (the message then carries `payload: null` and the size), so a huge answer never sits
 * in the host's memory.
 */
export class FrameReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private meta: Record<string, unknown> | null = null;
  private payloadLength = 0;
  /** Bytes of an oversized payload still to skip. */
  private skipping = 0;
  private failed = false;

  constructor(
    private readonly onMessage: (message: RuntimeMessage) => void,
    private readonly onViolation: (reason: string) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.failed) return;
    // The usual case: nothing pending and the chunk holds whole frames (one answer, say).
    if (this.pendingBytes === 0 && this.meta === null && this.skipping === 0) chunk = this.wholeFrames(chunk);
    if (chunk.length === 0 || this.failed) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    while (!this.failed && this.step()) {
      // keep parsing
    }
  }

  /** Consumes one header, meta or payload when enough bytes are there; false when it needs more. */
  private step(): boolean {
    if (this.skipping > 0) {
      const n = Math.min(this.skipping, this.pendingBytes);
      this.take(n);
      this.skipping -= n;
      if (this.skipping > 0) return false;
      this.emit(null);
      return true;
    }
    if (this.meta === null) {
      if (this.pendingBytes < HEADER_BYTES) return false;
      const head = this.peek(HEADER_BYTES);
      const metaLength = head.readUInt32BE(0);
      const payloadLength = head.readUInt32BE(4);
      if (metaLength > MAX_META_BYTES) return this.violate(`a frame header announced ${metaLength} bytes of meta`);
      if (this.pendingBytes < HEADER_BYTES + metaLength) return false;
      this.take(HEADER_BYTES);
      const meta = parseMeta(this.take(metaLength).toString('utf8'));
      if (!meta) return this.violate('a frame did not hold a typed JSON object');
      this.meta = meta;
      this.payloadLength = payloadLength;
      if (payloadLength > MAX_RESPONSE_PAYLOAD_BYTES) {
        this.skipping = payloadLength;
        return true;
      }
    }
    if (this.pendingBytes < this.payloadLength) return false;
    this.emit(this.take(this.payloadLength));
    return true;
  }

  /** Reads the whole frames at the start of chunk straight from it; returns the rest. */
  private wholeFrames(chunk: Buffer): Buffer {
    let at = 0;
    while (!this.failed && chunk.length - at >= HEADER_BYTES) {
      const metaLength = chunk.readUInt32BE(at);
      const payloadLength = chunk.readUInt32BE(at + 4);
      const end = at + HEADER_BYTES + metaLength + payloadLength;
      if (metaLength > MAX_META_BYTES || payloadLength > MAX_RESPONSE_PAYLOAD_BYTES || end > chunk.length) break;
      const meta = parseMeta(chunk.toString('utf8', at + HEADER_BYTES, at + HEADER_BYTES + metaLength));
      if (!meta) {
        this.violate('a frame did not hold a typed JSON object');
        return EMPTY;
      }
      this.meta = meta;
      this.payloadLength = payloadLength;
      this.emit(chunk.subarray(end - payloadLength, end));
      at = end;
    }
    return at === 0 ? chunk : chunk.subarray(at);
  }

  private emit(payload: Buffer | null): void {
    const meta = this.meta!;
    const size = this.payloadLength;
    this.meta = null;
    this.payloadLength = 0;
    const rss = typeof meta.rss === 'number' && Number.isFinite(meta.rss) ? meta.rss : undefined;
    switch (meta.t) {
      case 'next':
        return this.onMessage({ t: 'next' });
      case 'assigned':
        return this.onMessage({ t: 'assigned', payload: null, size: 0 });
      case 'response':
        return this.onMessage({ t: 'response', id: str(meta.id), ...(rss !== undefined ? { rss } : {}), payload, size });
      case 'error':
        return this.onMessage({ t: 'error', id: str(meta.id), errorType: str(meta.errorType), ...(rss !== undefined ? { rss } : {}), payload, size });
      case 'init-error':
        return this.onMessage({ t: 'init-error', errorType: str(meta.errorType), payload, size });
      default:
        this.violate(`unknown frame type ${JSON.stringify(String(meta.t)).slice(0, 40)}`);
    }
  }

  private violate(reason: string): false {
    this.failed = true;
    this.pending = [];
    this.pendingBytes = 0;
    this.onViolation(reason);
    return false;
  }

  private peek(n: number): Buffer {
    if (this.pending[0]!.length >= n) return this.pending[0]!.subarray(0, n);
    const all = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [all];
    return all.subarray(0, n);
  }

  private take(n: number): Buffer {
    if (n === 0) return EMPTY;
    this.pendingBytes -= n;
    const first = this.pending[0]!;
    if (first.length === n) {
      this.pending.shift();
      return first;
    }
    if (first.length > n) {
      this.pending[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const chunk = this.pending[0]!;
      const used = Math.min(chunk.length, n - off);
      chunk.copy(out, off, 0, used);
      off += used;
      if (used === chunk.length) this.pending.shift();
      else this.pending[0] = chunk.subarray(used);
    }
    return out;
  }
}

/** A frame's meta: a JSON object with a string `t`, or null. */
function parseMeta(text: string): Record<string, unknown> | null {
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch {
    return null;
  }
  return meta !== null && typeof meta === 'object' && typeof (meta as { t?: unknown }).t === 'string' ? (meta as Record<string, unknown>) : null;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** Writes frames to the runtime; a write error means the runtime is gone (its exit decides). */
export function frameWriter(socket: Socket): (frame: Buffer) => void {
  socket.on('error', () => {});
  return (frame) => {
    if (!socket.destroyed) socket.write(frame);
  };
}
