// @ts-check
/**
 * The Runtime API's calls as frames on a pipe (the host's side: src/sandbox/runtime-ipc.ts):
 * `u32` meta length, `u32` payload length, JSON meta, payload. Writes are synchronous, so a
 * frame is wholly sent before a following process.exit; the socket only reads, and is
 * unref'd except while waiting for the next invocation (the beforeExit semantics depend on
 * that).
 */
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const { headerSafe, serialize, toRapidResponse } = require('./errors.cjs');
const { logError } = require('./logging.cjs');

/** Largest response the host accepts (runtime-api.ts MAX_RESPONSE_PAYLOAD_BYTES, AWS's interop.MaxPayloadSize). */
const MAX_RESPONSE_BYTES = 6291556;

/** @typedef {{ meta: any, payload: Buffer }} Frame */

/** @param {object} meta @param {Buffer} [payload] */
function frame(meta, payload) {
  const json = Buffer.from(JSON.stringify(meta), 'utf8');
  const body = payload ?? Buffer.alloc(0);
  const out = Buffer.allocUnsafe(8 + json.length + body.length);
  out.writeUInt32BE(json.length, 0);
  out.writeUInt32BE(body.length, 4);
  json.copy(out, 8);
  body.copy(out, 8 + json.length);
  return out;
}

/** Our peak resident size, sent with each answer (the host's Max Memory Used). */
const peakRss = () => process.resourceUsage().maxRSS * 1024;

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * @param {number} fd the pipe
 * @param {{ idleMs: number, onIdle: () => void }} idle called once the runtime has waited idleMs for its next event
 */
function pipeClient(fd, { idleMs, onIdle }) {
  /** @param {Buffer} buf */
  const writePipe = (buf) => {
    let off = 0;
    while (off < buf.length) {
      try {
        off += fs.writeSync(fd, buf, off, buf.length - off);
      } catch (e) {
        const code = /** @type {NodeJS.ErrnoException} */ (e).code;
        if (code === 'EAGAIN') Atomics.wait(sleepCell, 0, 0, 1);
        else process.exit(0); // the host is gone
      }
    }
  };

  const socket = new net.Socket({ fd, readable: true, writable: false });
  socket.on('error', () => process.exit(0));
  socket.on('end', () => process.exit(0));
  socket.unref();
  /** @type {Array<Frame>} */
  const inbox = [];
  /** @type {((f: Frame) => void) | null} */
  let waiting = null;
  /** Armed while waiting for an event; it never holds the process (the socket does, while waiting). @type {NodeJS.Timeout | undefined} */
  let idle;
  /** @type {Record<string, (f: Frame) => void>} */
  const handlers = {};
  /** Bytes of a frame not yet whole (kept as chunks: a 6 MB event arrives in many). @type {Buffer[]} */
  let chunks = [];
  let buffered = 0;
  socket.on('data', (chunk) => {
    chunks.push(chunk);
    buffered += chunk.length;
    while (buffered >= 8) {
      let head = chunks[0];
      if (head.length < 8) head = chunks[0] = Buffer.concat(chunks.splice(0, chunks.length), buffered);
      const end = 8 + head.readUInt32BE(0) + head.readUInt32BE(4);
      if (buffered < end) break;
      const all = chunks.length === 1 ? head : Buffer.concat(chunks, buffered);
      const metaLength = all.readUInt32BE(0);
      const f = { meta: JSON.parse(all.toString('utf8', 8, 8 + metaLength)), payload: all.subarray(8 + metaLength, end) };
      chunks = end < all.length ? [all.subarray(end)] : [];
      buffered -= end;
      const handler = handlers[f.meta.t];
      if (handler) handler(f);
      else if (waiting) {
        const w = waiting;
        waiting = null;
        socket.unref();
        clearTimeout(idle);
        w(f);
      } else inbox.push(f);
    }
  });
  /**
   * Answers go out on the next turn of the loop, as the HTTP client's POST completes later:
   * a function that exits right after calling back loses its answer (Runtime.ExitError), as
   * on AWS; the callback (the next request, or the runtime's own exit) follows the write.
   * @param {object} meta @param {string} body @param {() => void} callback
   */
  const answer = (meta, body, callback) =>
    setImmediate(() => {
      writePipe(frame({ ...meta, rss: peakRss() }, Buffer.from(body, 'utf8')));
      callback();
    });
  return {
    /** Frames of other types (the pool's assignment) go to their own handler. @param {string} type @param {(f: Frame) => void} fn */
    on(type, fn) {
      handlers[type] = fn;
    },
    ref() {
      socket.ref();
    },
    unref() {
      socket.unref();
    },
    /** Sends a frame of the runtime's own (a primed runtime's `next`: it is ready). @param {object} meta */
    send(meta) {
      writePipe(frame(meta));
    },
    /** Asks for the next event, as GET /next does: only a runtime that asks is given one. @returns {Promise<{ body: Buffer, headers: import('node:http').IncomingHttpHeaders }>} */
    nextInvocation() {
      writePipe(frame({ t: 'next' }));
      return new Promise((resolve) => {
        /** @param {Frame} f */
        const take = ({ meta, payload }) => {
          /** @type {import('node:http').IncomingHttpHeaders} */
          const headers = {
            'lambda-runtime-aws-request-id': meta.id,
            'lambda-runtime-deadline-ms': String(meta.deadline),
            'lambda-runtime-invoked-function-arn': meta.arn,
          };
          if (meta.trace) headers['lambda-runtime-trace-id'] = meta.trace;
          if (meta.cc) headers['lambda-runtime-client-context'] = meta.cc;
          if (meta.ci) headers['lambda-runtime-cognito-identity'] = meta.ci;
          resolve({ body: payload, headers });
        };
        const queued = inbox.shift();
        if (queued) take(queued);
        else {
          waiting = take;
          socket.ref();
          idle = setTimeout(onIdle, idleMs);
          idle.unref();
        }
      });
    },
    /** @param {unknown} result @param {string} id @param {() => void} callback */
    postInvocationResponse(result, id, callback) {
      const body = serialize(result);
      answer({ t: 'response', id }, body, () => {
        // The host refuses it (Function.ResponseSizeTooLarge); the HTTP client learnt so from a 413.
        if (Buffer.byteLength(body) > MAX_RESPONSE_BYTES) {
          logError('Invoke Error', new Error('Failed to post handler success response. Http response code: 413.'));
        }
        callback();
      });
    },
    /** @param {unknown} error @param {string} id @param {() => void} callback */
    postInvocationError(error, id, callback) {
      const response = toRapidResponse(error);
      answer({ t: 'error', id, errorType: headerSafe(response.errorType) }, serialize(response), callback);
    },
    /** @param {unknown} error @param {() => void} callback */
    postInitError(error, callback) {
      const response = toRapidResponse(error);
      answer({ t: 'init-error', errorType: headerSafe(response.errorType) }, serialize(response), callback);
    },
  };
}

module.exports = { pipeClient, frame, peakRss };
