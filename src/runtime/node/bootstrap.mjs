// @ts-check
/**
 * Nimbus Node.js runtime: the guest half of an execution environment. It runs inside
 * the sandbox child process, imports nothing but node: built-ins (so it starts with a
 * bare `node`), and speaks the Lambda Runtime API at AWS_LAMBDA_RUNTIME_API exactly as
 * AWS's own Node.js runtime interface client does: same handler resolution, same
 * context object, same callback / beforeExit semantics, same error documents and the
 * same log line format.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import util from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const API_VERSION = '/2018-06-01';
const ERROR_TYPE_HEADER = 'Lambda-Runtime-Function-Error-Type';
/** The path AWS's runtime lives at; its error texts name it, so ours do too. */
const AWS_RUNTIME_ENTRY = '/var/runtime/index.mjs';
const SELF_PATH = fileURLToPath(import.meta.url);
const require = createRequire(import.meta.url);
/**
 * Started with `--pipe` by the Nimbus host: the Runtime API's exchanges travel as frames on
 * fd 3 (src/sandbox/runtime-ipc.ts) rather than HTTP. The flag is taken out of argv, so the
 * function sees the argv AWS's runtime has.
 */
/**
 * The young generation keeps its initial size (2 MB) instead of growing to 32 MB under a
 * steady stream of invocations, pages an idle environment would otherwise hold dirty for
 * good (AWS bounds it too, with --max-semi-space-size; a start flag here would cost the
 * startup snapshot's code cache on every cold start, so it is set at run time).
 */
v8.setFlagsFromString('--semi-space-growth-factor=1');
/**
 * Once an environment has waited a second for its next event the runtime collects and
 * compacts the heap, so an idle environment gives back the pages its invocations left
 * dirty. The collector comes from a throwaway context (gc is only installed in contexts
 * made after the flag), which that collection frees again; compaction is on for that
 * collection only.
 */
const IDLE_COLLECT_MS = 1000;
function collectGarbage() {
  v8.setFlagsFromString('--expose-gc');
  v8.setFlagsFromString('--compact-on-every-full-gc');
  try {
    vm.runInNewContext('gc')();
  } finally {
    v8.setFlagsFromString('--no-compact-on-every-full-gc');
  }
}

const PIPE_FD = process.argv[2] === '--pipe' ? 3 : -1;
/**
 * `--primed`: started ahead of any function (src/sandbox/primed-runtimes.ts). It warms up,
 * waits on the pipe for its function's variables and folder, then runs as any runtime.
 */
const PRIMED = PIPE_FD >= 0 && process.argv[3] === '--primed';
if (PIPE_FD >= 0) process.argv.splice(2, PRIMED ? 2 : 1);

// ---------------------------------------------------------------------------
// Errors (names and texts as AWS's runtime reports them)

class ImportModuleError extends Error {}
class HandlerNotFound extends Error {}
class MalformedHandlerName extends Error {}
class UserCodeSyntaxError extends Error {}
class NodeJsExit extends Error {
  constructor() {
    super(
      'The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes',
    );
  }
}
class UnhandledPromiseRejection extends Error {
  /** @param {unknown} reason @param {Promise<unknown>} promise */
  constructor(reason, promise) {
    super(/** @type {string} */ (reason));
    this.reason = reason;
    this.promise = promise;
  }
}
for (const E of [ImportModuleError, HandlerNotFound, MalformedHandlerName, UserCodeSyntaxError, NodeJsExit, UnhandledPromiseRejection]) {
  E.prototype.name = `Runtime.${E.name}`;
}

/** @param {any} obj */
function isErrorLike(obj) {
  return Boolean(
    obj && obj.name && obj.message && obj.stack &&
      typeof obj.name === 'string' && typeof obj.message === 'string' && typeof obj.stack === 'string',
  );
}

/**
 * The body posted to /error and /init/error: {errorType, errorMessage, trace}.
 * @param {any} error
 */
function toRapidResponse(error) {
  try {
    if (util.types.isNativeError(error) || isErrorLike(error)) {
      return { errorType: error.name, errorMessage: error.message, trace: String(error.stack).split('\n') };
    }
    return { errorType: typeof error, errorMessage: error.toString(), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
}

/** @param {any} value */
function withEnumerableProperties(value) {
  if (value instanceof Error) {
    /** @type {Record<string, unknown>} */
    const ret = Object.assign(
      { errorType: value.name, errorMessage: value.message, code: /** @type {any} */ (value).code },
      /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (value)),
    );
    if (typeof value.stack === 'string') ret.stack = value.stack.split('\n');
    return ret;
  }
  return value;
}

/** How AWS's runtime prints an error in a text log line: a tab, then JSON. @param {unknown} error */
function toFormatted(error) {
  try {
    return '\t' + JSON.stringify(error, (_k, v) => withEnumerableProperties(v));
  } catch {
    return '\t' + JSON.stringify(toRapidResponse(error));
  }
}

/** @param {unknown} err */
function intoError(err) {
  return err instanceof Error ? err : new Error(/** @type {string} */ (err));
}

// ---------------------------------------------------------------------------
// Logging: console.* become `<ISO>\t<requestId>\t<LEVEL>\t<message>` lines on fd 1,
// one write per call, newlines folded to \r so one call is one line for the host.

/** @type {string | undefined} */
let currentRequestId;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes every byte before returning, so that all output is in the pipe before the
 * response is posted. fd 1 may have been made non-blocking by user code touching
 * process.stdout, hence the EAGAIN retry.
 * @param {string} text
 */
function writeOut(text) {
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(1, buf, off, buf.length - off);
    } catch (e) {
      const code = /** @type {NodeJS.ErrnoException} */ (e).code;
      if (code === 'EAGAIN') Atomics.wait(sleepCell, 0, 0, 1);
      else if (code === 'EPIPE') process.exit(0); // the host is gone
      else throw e;
    }
  }
}

const LEVELS = /** @type {const} */ ({
  TRACE: { name: 'TRACE', priority: 1 },
  DEBUG: { name: 'DEBUG', priority: 2 },
  INFO: { name: 'INFO', priority: 3 },
  WARN: { name: 'WARN', priority: 4 },
  ERROR: { name: 'ERROR', priority: 5 },
  FATAL: { name: 'FATAL', priority: 6 },
});
/** @typedef {{ name: string, priority: number }} Level */

/** @param {Level} level @param {unknown[]} params */
function logText(level, params) {
  const line = `${new Date().toISOString()}\t${currentRequestId}\t${level.name}\t${util.format(...params)}`;
  writeOut(line.replace(/\n/g, '\r') + '\n');
}

/** @param {unknown} _key @param {unknown} value */
function jsonErrorReplacer(_key, value) {
  if (value instanceof Error) {
    return Object.assign(
      {
        errorType: value?.constructor?.name ?? 'UnknownError',
        errorMessage: value.message,
        stackTrace: typeof value.stack === 'string' ? value.stack.split('\n') : value.stack,
      },
      value,
    );
  }
  return value;
}

/** @param {Level} level @param {unknown[]} params */
function logJson(level, params) {
  /** @type {Record<string, unknown>} */
  const result = { timestamp: new Date().toISOString(), level: level.name, requestId: currentRequestId };
  let line;
  if (params.length === 1) {
    result.message = params[0];
    try {
      line = JSON.stringify(result, jsonErrorReplacer);
    } catch {
      result.message = util.format(result.message);
      line = JSON.stringify(result);
    }
  } else {
    result.message = util.format(...params);
    for (const p of params) {
      if (p instanceof Error) {
        result.errorType = p?.constructor?.name ?? 'UnknownError';
        result.errorMessage = p.message;
        result.stackTrace = typeof p.stack === 'string' ? p.stack.split('\n') : [];
        break;
      }
    }
    line = JSON.stringify(result);
  }
  writeOut(line.replace(/\n/g, '\r') + '\n');
}

let jsonFormat = false;

/** Logs an error the way the runtime itself does ("Invoke Error", "Uncaught Exception"). @type {(msg: string, err: unknown) => void} */
const logError = (msg, err) => (jsonFormat ? console.error(intoError(err)) : console.error(msg, toFormatted(intoError(err))));

/** console.* in the function's LogFormat and level (read again when a primed runtime gets its function). */
function patchConsole() {
  jsonFormat = process.env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON';
  const log = jsonFormat ? logJson : logText;
  const min = LEVELS[/** @type {keyof typeof LEVELS} */ (process.env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase() ?? '')] ?? LEVELS.TRACE;
  const nop = () => {};
  /** @param {Level} level */
  const at = (level) => (level.priority >= min.priority ? (/** @type {unknown[]} */ ...params) => log(level, params) : nop);
  const c = /** @type {any} */ (console);
  c.trace = at(LEVELS.TRACE);
  c.debug = at(LEVELS.DEBUG);
  c.info = at(LEVELS.INFO);
  c.log = c.info;
  c.warn = at(LEVELS.WARN);
  c.error = at(LEVELS.ERROR);
  c.fatal = (/** @type {unknown[]} */ ...params) => log(LEVELS.FATAL, params);
}

// ---------------------------------------------------------------------------
// Runtime API client: one keep-alive socket, unref'd by the agent while idle so it
// never holds the event loop open (the beforeExit semantics depend on that).

const api = process.env.AWS_LAMBDA_RUNTIME_API ?? '';
const sep = api.lastIndexOf(':');
const apiHost = sep > 0 ? api.slice(0, sep) : api;
const apiPort = sep > 0 ? Number.parseInt(api.slice(sep + 1), 10) : 80;
/** node:http, loaded only by a runtime that speaks HTTP (the pipe needs none of it: memory and start time). @type {typeof import('node:http') | null} */
let http = null;
/** @type {import('node:http').Agent | null} */
let agent = null;

/** @param {unknown} err */
function fatalConnectionError(err) {
  writeOut(`${new Date().toISOString()}\t${currentRequestId}\tERROR\tRuntime API connection failed: ${String(err)}\n`);
  process.exit(1);
}

/**
 * @param {string} method @param {string} urlPath @param {Record<string, string | number>} headers
 * @param {string | undefined} body
 * @returns {Promise<{ status: number, headers: import('node:http').IncomingHttpHeaders, body: Buffer }>}
 */
function request(method, urlPath, headers, body) {
  return new Promise((resolve) => {
    http ??= /** @type {typeof import('node:http')} */ (require('node:http'));
    agent ??= new http.Agent({ keepAlive: true, maxSockets: 1 });
    const req = http.request(
      { host: apiHost, port: apiPort, method, path: urlPath, headers, agent },
      (res) => {
        /** @type {Buffer[]} */
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: chunks.length === 1 ? /** @type {Buffer} */ (chunks[0]) : Buffer.concat(chunks) }),
        );
        res.on('error', fatalConnectionError);
      },
    );
    req.on('error', fatalConnectionError);
    req.end(body);
  });
}

/** Header values may only hold visible latin-1; an exotic error name must not crash the post. @param {string} v */
function headerSafe(v) {
  return String(v).replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');
}

/** @param {string} urlPath @param {string} body @param {Record<string, string>} extra */
function post(urlPath, body, extra) {
  return request('POST', urlPath, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...extra }, body);
}

/** @param {unknown} body */
function serialize(body) {
  try {
    return JSON.stringify(body === undefined ? null : body);
  } catch {
    throw new Error('Unable to stringify response body');
  }
}

const httpClient = {
  async nextInvocation() {
    const res = await request('GET', `${API_VERSION}/runtime/invocation/next`, {}, undefined);
    if (res.status !== 200) fatalConnectionError(`GET /runtime/invocation/next answered ${res.status}: ${res.body}`);
    return res;
  },
  /** @param {unknown} result @param {string} id @param {() => void} callback */
  postInvocationResponse(result, id, callback) {
    const body = serialize(result);
    post(`${API_VERSION}/runtime/invocation/${encodeURIComponent(id)}/response`, body, {}).then((res) => {
      if (res.status !== 202) {
        logError('Invoke Error', new Error(`Failed to post handler success response. Http response code: ${res.status}.`));
      }
      callback();
    });
  },
  /** @param {unknown} error @param {string} id @param {() => void} callback */
  postInvocationError(error, id, callback) {
    const response = toRapidResponse(error);
    post(`${API_VERSION}/runtime/invocation/${encodeURIComponent(id)}/error`, serialize(response), {
      [ERROR_TYPE_HEADER]: headerSafe(response.errorType),
    }).then(() => callback());
  },
  /** @param {unknown} error @param {() => void} callback */
  postInitError(error, callback) {
    const response = toRapidResponse(error);
    post(`${API_VERSION}/runtime/init/error`, serialize(response), { [ERROR_TYPE_HEADER]: headerSafe(response.errorType) }).then(() =>
      callback(),
    );
  },
};

// ---------------------------------------------------------------------------
// The pipe client: the same four calls as frames on fd 3. Writes are synchronous, so a
// frame is wholly sent before a following process.exit; the socket only reads, and is
// unref'd except while waiting for the next invocation (the beforeExit semantics again).

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

/** @param {Buffer} buf */
function writePipe(buf) {
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(PIPE_FD, buf, off, buf.length - off);
    } catch (e) {
      const code = /** @type {NodeJS.ErrnoException} */ (e).code;
      if (code === 'EAGAIN') Atomics.wait(sleepCell, 0, 0, 1);
      else process.exit(0); // the host is gone
    }
  }
}

/** Largest response the host accepts (runtime-api.ts MAX_RESPONSE_PAYLOAD_BYTES, AWS's interop.MaxPayloadSize). */
const MAX_RESPONSE_BYTES = 6291556;

/** Our peak resident size, sent with each answer (the host's Max Memory Used). */
const peakRss = () => process.resourceUsage().maxRSS * 1024;

function pipeClient() {
  const socket = new net.Socket({ fd: PIPE_FD, readable: true, writable: false });
  socket.on('error', () => process.exit(0));
  socket.on('end', () => process.exit(0));
  socket.unref();
  /** Armed while waiting for an event; it never holds the process (the socket does, while waiting). @type {NodeJS.Timeout | undefined} */
  let idle;
  /** @type {Array<{ meta: any, payload: Buffer }>} */
  const inbox = [];
  /** @type {((f: { meta: any, payload: Buffer }) => void) | null} */
  let waiting = null;
  /** @type {Record<string, (f: { meta: any, payload: Buffer }) => void>} */
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
    /** Frames of other types (the pool's assignment) go to their own handler. @param {string} type @param {(f: { meta: any, payload: Buffer }) => void} fn */
    on(type, fn) {
      handlers[type] = fn;
    },
    ref() {
      socket.ref();
    },
    unref() {
      socket.unref();
    },
    /** Asks for the next event, as GET /next does: only a runtime that asks is given one. @returns {Promise<{ body: Buffer, headers: import('node:http').IncomingHttpHeaders }>} */
    nextInvocation() {
      writePipe(frame({ t: 'next' }));
      return new Promise((resolve) => {
        /** @param {{ meta: any, payload: Buffer }} f */
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
          idle = setTimeout(collectGarbage, IDLE_COLLECT_MS);
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

/**
 * @typedef {{
 *   nextInvocation(): Promise<{ body: Buffer, headers: import('node:http').IncomingHttpHeaders }>,
 *   postInvocationResponse(result: unknown, id: string, callback: () => void): void,
 *   postInvocationError(error: unknown, id: string, callback: () => void): void,
 *   postInitError(error: unknown, callback: () => void): void,
 * }} RuntimeClient
 */
const pipe = PIPE_FD >= 0 ? pipeClient() : null;
/** @type {RuntimeClient} */
const client = pipe ?? httpClient;

// ---------------------------------------------------------------------------
// Loading the handler, as AWS's UserFunction does.

/** @param {string} folder @returns {boolean} */
function hasPackageJsonTypeModule(folder) {
  if (folder.endsWith('/node_modules')) return false;
  const pj = path.join(folder, 'package.json');
  if (fs.existsSync(pj)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(pj, 'utf8'));
      if (pkg) return pkg.type === 'module';
    } catch (e) {
      console.warn(`${pj} cannot be read, it will be ignored for ES module detection purposes.`, e);
      return false;
    }
  }
  if (folder === '/') return false;
  return hasPackageJsonTypeModule(path.resolve(folder, '..'));
}

/** @param {string} file */
function tryRequire(file) {
  return fs.existsSync(file) ? require(file) : undefined;
}

/** @param {string} file */
async function tryImport(file) {
  if (!fs.existsSync(file)) return undefined;
  // ESM does not read NODE_PATH; AWS's runtime makes it (layers, the SDK) work anyway. The
  // choice is made once, for the function's handler: never for a primed runtime's rehearsal.
  const nodePathImports = await import('./node-path-imports.mjs');
  if (!rehearsing) nodePathImports.enableNodePathImports(file);
  return await import(pathToFileURL(file).href);
}

/** @param {string} appRoot @param {string} moduleRoot @param {string} module */
async function loadModule(appRoot, moduleRoot, module) {
  const lambdaStylePath = path.resolve(appRoot, moduleRoot, module);
  const extensionless = tryRequire(lambdaStylePath);
  if (extensionless) return extensionless;
  const pjHasModule = hasPackageJsonTypeModule(path.dirname(lambdaStylePath));
  if (!pjHasModule) {
    const loaded = tryRequire(lambdaStylePath + '.js');
    if (loaded) return loaded;
  }
  const loaded =
    (pjHasModule && (await tryImport(lambdaStylePath + '.js'))) ||
    (await tryImport(lambdaStylePath + '.mjs')) ||
    tryRequire(lambdaStylePath + '.cjs');
  if (loaded) return loaded;
  return require(require.resolve(module, { paths: [appRoot, moduleRoot] }));
}

/** AWS's texts name its own runtime file in require stacks; so do ours. @param {string} text */
function asAwsPaths(text) {
  return text.split(SELF_PATH).join(AWS_RUNTIME_ENTRY);
}

/** @param {string} appRoot @param {string} moduleRoot @param {string} module */
async function loadUserApp(appRoot, moduleRoot, module) {
  try {
    return await loadModule(appRoot, moduleRoot, module);
  } catch (e) {
    if (e instanceof SyntaxError) throw new UserCodeSyntaxError(/** @type {string} */ (/** @type {unknown} */ (e)));
    if (/** @type {any} */ (e)?.code === 'MODULE_NOT_FOUND') {
      const err = new ImportModuleError(asAwsPaths(String(e)));
      if (err.stack) err.stack = asAwsPaths(err.stack);
      throw err;
    }
    throw e;
  }
}

/** @param {string} appRoot @param {string} fullHandler @returns {Promise<Function>} */
async function loadHandler(appRoot, fullHandler) {
  if (fullHandler.includes('..')) {
    throw new MalformedHandlerName(
      `'${fullHandler}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const handlerString = path.basename(fullHandler);
  const moduleRoot = fullHandler.substring(0, fullHandler.indexOf(handlerString));
  const match = handlerString.match(/^([^.]*)\.(.*)$/);
  if (!match || match.length !== 3) throw new MalformedHandlerName('Bad handler');
  const [, module, handlerPath] = /** @type {[string, string, string]} */ (/** @type {unknown} */ (match));
  const userApp = await loadUserApp(appRoot, moduleRoot, module);
  const fn = handlerPath.split('.').reduce((nested, key) => nested && nested[key], userApp);
  if (!fn) throw new HandlerNotFound(`${fullHandler} is undefined or not exported`);
  if (typeof fn !== 'function') throw new HandlerNotFound(`${fullHandler} is not a function`);
  return fn;
}

// ---------------------------------------------------------------------------
// The invoke loop.

const NO_OP = () => {};
/** The single beforeExit action of the current invocation. */
let beforeExit = NO_OP;

/** @type {{ uncaughtException: (e: unknown) => void, unhandledRejection: (e: unknown) => void }} */
const errorCallbacks = {
  uncaughtException: (error) => client.postInitError(error, () => process.exit(129)),
  unhandledRejection: (error) => client.postInitError(error, () => process.exit(128)),
};

/**
 * The callback, the succeed/fail/done part of the context, and a function that marks
 * the invocation as completed; only the first call of any of them counts.
 * @param {string} id @param {() => void} scheduleNext @param {RuntimeClient} [rt]
 */
function buildCallbackContext(id, scheduleNext, rt = client) {
  /** @param {unknown} err @param {() => void} cb */
  const postError = (err, cb) => {
    logError('Invoke Error', err);
    rt.postInvocationError(err, id, cb);
  };
  let completed = false;
  /** @param {unknown} result @param {() => void} cb */
  const complete = (result, cb) => {
    if (completed) {
      console.error('Invocation has already been reported as done. Cannot call complete more than once per invocation.');
      return;
    }
    completed = true;
    rt.postInvocationResponse(result, id, cb);
  };
  let waitForEmptyEventLoop = true;

  /** @param {unknown} [err] @param {unknown} [result] */
  const callback = (err, result) => {
    beforeExit = NO_OP;
    if (err !== undefined && err !== null) postError(err, scheduleNext);
    else if (!waitForEmptyEventLoop) complete(result, scheduleNext);
    else beforeExit = () => setImmediate(() => complete(result, scheduleNext));
  };
  /** @param {unknown} [err] @param {unknown} [result] */
  const done = (err, result) => {
    beforeExit = NO_OP;
    if (err !== undefined && err !== null) postError(err, scheduleNext);
    else complete(result, scheduleNext);
  };

  let finished = false;
  /** @template {(...a: any[]) => void} F @param {F} fn @returns {F} */
  const once = (fn) =>
    /** @type {F} */ (
      (/** @type {any[]} */ ...args) => {
        if (!finished) {
          fn(...args);
          finished = true;
        }
      }
    );
  const context = {
    get callbackWaitsForEmptyEventLoop() {
      return waitForEmptyEventLoop;
    },
    set callbackWaitsForEmptyEventLoop(value) {
      waitForEmptyEventLoop = value;
    },
    succeed: once((/** @type {unknown} */ result) => done(null, result)),
    fail: once((/** @type {unknown} */ err) => (err === undefined || err === null ? done('handled') : done(err, null))),
    done: once(done),
  };
  return { callback: once(callback), context, markCompleted: () => (completed = true) };
}

/** @param {string | undefined} json @param {string} name */
function parseJsonHeader(json, name) {
  if (json === undefined) return undefined;
  try {
    return JSON.parse(json);
  } catch (err) {
    throw new Error(`Cannot parse ${name} as json: ${String(err)}`);
  }
}

/** @param {object} callbackContext @param {import('node:http').IncomingHttpHeaders} headers @param {string} id */
function attachEnvironmentData(callbackContext, headers, id) {
  const trace = headers['lambda-runtime-trace-id'];
  if (trace) process.env._X_AMZN_TRACE_ID = String(trace);
  else delete process.env._X_AMZN_TRACE_ID;
  const deadline = Number(headers['lambda-runtime-deadline-ms']);
  return Object.assign(
    callbackContext,
    {
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    },
    {
      clientContext: parseJsonHeader(/** @type {string | undefined} */ (headers['lambda-runtime-client-context']), 'ClientContext'),
      identity: parseJsonHeader(/** @type {string | undefined} */ (headers['lambda-runtime-cognito-identity']), 'CognitoIdentity'),
      invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
      awsRequestId: id,
      getRemainingTimeInMillis: () => deadline - Date.now(),
    },
  );
}

/** @param {any} obj */
function isPromise(obj) {
  return obj && obj.then && typeof obj.then === 'function';
}

/** @param {Function} handler @param {boolean} isAsync @param {RuntimeClient} [rt] */
function runtime(handler, isAsync, rt = client) {
  const scheduleIteration = () => {
    setImmediate(() => {
      handleOnce().then(NO_OP, (err) => {
        console.log(`Unexpected Top Level Error: ${String(err)}`);
        errorCallbacks.uncaughtException(err);
      });
    });
  };

  async function handleOnce() {
    const { body, headers } = await rt.nextInvocation();
    const id = String(headers['lambda-runtime-aws-request-id']);
    currentRequestId = id;
    const { callback, context, markCompleted } = buildCallbackContext(id, scheduleIteration, rt);
    try {
      errorCallbacks.uncaughtException = (error) => rt.postInvocationError(error, id, () => process.exit(129));
      errorCallbacks.unhandledRejection = (error) => rt.postInvocationError(error, id, () => process.exit(128));
      // Fires when the loop empties and nothing else reported: an async handler whose
      // promise can never settle fails; a sync one that never called back answers null.
      beforeExit = () => {
        markCompleted();
        beforeExit = NO_OP;
        if (isAsync) {
          const err = new NodeJsExit();
          logError('Invoke Error', err);
          rt.postInvocationError(err, id, scheduleIteration);
        } else {
          rt.postInvocationResponse(null, id, scheduleIteration);
        }
      };
      const result = handler(JSON.parse(body.toString('utf8')), attachEnvironmentData(context, headers, id), callback);
      if (isPromise(result)) result.then(context.succeed, context.fail).catch(context.fail);
    } catch (err) {
      callback(err);
    }
  }

  scheduleIteration();
}

/** A primed runtime is warming up (before its function): nothing it does may be decided for good. */
let rehearsing = false;

/**
 * A primed runtime warms the paths a first invocation takes (the CommonJS and ESM loaders,
 * the context, JSON both ways, a frame), says it is ready, and waits for its function.
 * @param {NonNullable<typeof pipe>} channel
 */
function awaitFunction(channel) {
  // The handler loader's whole path once (an ES module, as prime.mjs is found before prime.cjs),
  // the CommonJS loader, and the module search path's set-up.
  rehearsing = true;
  return loadHandler(path.dirname(SELF_PATH), 'prime.handler')
    .then((handler) => {
      require('./prime.cjs');
      /** @type {any} */ (require('node:module')).Module._initPaths();
      return rehearse(handler);
    })
    .then(
      () =>
        new Promise((resolve) => {
        channel.on('assign', ({ meta }) => {
          channel.unref();
          rehearsing = false;
          takeEnvironment(meta.env, meta.unset, meta.cwd);
          resolve(undefined);
        });
        channel.ref();
        writePipe(frame({ t: 'next' }));
      }),
    );
}

/**
 * One whole invocation of prime.cjs's no-op handler through the invoke loop, against a
 * client that answers nobody, so the first real invocation finds the loop compiled. Leaves
 * the runtime as it found it.
 */
/** @param {Function} handler */
function rehearse(handler) {
  const initCallbacks = { ...errorCallbacks };
  return new Promise((resolve) => {
    const done = () => {
      Object.assign(errorCallbacks, initCallbacks);
      beforeExit = NO_OP;
      currentRequestId = undefined;
      resolve(undefined);
    };
    /** @type {RuntimeClient} */
    const rehearsal = {
      nextInvocation: () =>
        Promise.resolve({
          body: Buffer.from('{}'),
          headers: { 'lambda-runtime-aws-request-id': 'prime', 'lambda-runtime-deadline-ms': String(Date.now() + 1000), 'lambda-runtime-invoked-function-arn': '' },
        }),
      postInvocationResponse: (result) => {
        frame({ t: 'response', id: 'prime', rss: peakRss() }, Buffer.from(serialize(result), 'utf8'));
        done();
      },
      postInvocationError: done,
      postInitError: done,
    };
    runtime(handler, true, rehearsal);
  });
}

/**
 * The function's environment variables (in place of the ones the runtime was started with,
 * `unset`), its folder, and what depends on them: the module search path (NODE_PATH) and
 * the log format.
 * @param {Record<string, string>} env @param {string[]} unset @param {string} cwd
 */
function takeEnvironment(env, unset, cwd) {
  for (const key of unset) delete process.env[key];
  Object.assign(process.env, env);
  process.chdir(cwd);
  // What started the runtime (bwrap's --chdir, the cgroup's sh) set PWD to its first folder.
  if (process.env.PWD !== undefined && !Object.hasOwn(env, 'PWD')) process.env.PWD = cwd;
  /** @type {any} */ (require('node:module')).Module._initPaths();
  patchConsole();
}

/** The host holds our stdin open; its end means the host is gone. */
function watchParent() {
  let st;
  try {
    // bigint: node's realpathSync reads the shared (non-bigint) stat buffer left by the last
    // stat call; a pipe's stats there make it stop early and keep symbolic links unresolved
    // (require.resolve would say /var/node_modules, not /var/runtime/node_modules).
    st = fs.fstatSync(0, { bigint: true });
  } catch {
    return;
  }
  if (!st.isFIFO() && !st.isSocket()) return;
  const stdin = process.stdin;
  stdin.on('end', () => process.exit(0));
  stdin.on('error', () => process.exit(0));
  stdin.on('data', NO_OP);
  /** @type {any} */ (stdin).unref?.();
}

async function main() {
  patchConsole();
  watchParent();
  process.on('uncaughtException', (error) => {
    logError('Uncaught Exception', error);
    errorCallbacks.uncaughtException(error);
  });
  process.on('unhandledRejection', (reason, promise) => {
    const error = new UnhandledPromiseRejection(reason, promise);
    logError('Unhandled Promise Rejection', error);
    errorCallbacks.unhandledRejection(error);
  });
  process.on('beforeExit', () => beforeExit());

  if (PRIMED && pipe) await awaitFunction(pipe);
  if (!pipe && !process.env.AWS_LAMBDA_RUNTIME_API) {
    writeOut('AWS_LAMBDA_RUNTIME_API is not set\n');
    process.exit(1);
  }
  let handler;
  try {
    handler = await loadHandler(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), process.env._HANDLER ?? '');
  } catch (error) {
    logError('Uncaught Exception', error);
    client.postInitError(error, () => process.exit(129));
    return;
  }
  const isAsync = handler.constructor?.name === 'AsyncFunction';
  runtime(handler, isAsync);
}

await main();
