// @ts-check
/**
 * Nimbus Node.js runtime: the guest half of an execution environment. It runs inside
 * the sandbox child process, requires nothing but node: built-ins and its own files (so it
 * starts with a bare `node`), and speaks the Lambda Runtime API at AWS_LAMBDA_RUNTIME_API
 * exactly as AWS's own Node.js runtime interface client does: same handler resolution, same
 * context object, same callback / beforeExit semantics, same error documents and the same
 * log line format.
 *
 * It is CommonJS, unlike AWS's (an ES module, /var/runtime/index.mjs): node reaches a
 * CommonJS entry ~10 ms sooner, as it needs no ES module loader until a function is one.
 * What a function could tell apart is made as on AWS: require.main is undefined, no module
 * of the runtime is in require.cache, error texts name index.mjs, and a process whose loop
 * empties while the function is still loading exits with status 13 (see main).
 */
'use strict';
// A function's modules get their require.main from process.mainModule, which an ES module
// entry (AWS's) leaves unset: theirs is undefined, as on AWS, not this file's module.
delete process.mainModule;

const fs = require('node:fs');
const path = require('node:path');
const Module = /** @type {typeof import('node:module') & { _initPaths(): void }} */ (require('node:module'));
const {
  HandlerNotFound,
  ImportModuleError,
  MalformedHandlerName,
  NodeJsExit,
  UnhandledPromiseRejection,
  UserCodeSyntaxError,
  serialize,
} = require('./errors.cjs');
const { logError, patchConsole, setRequestId, writeOut } = require('./logging.cjs');

/** The path AWS's runtime lives at; its error texts name it, so ours do too. */
const AWS_RUNTIME_ENTRY = '/var/runtime/index.mjs';
const SELF_PATH = __filename;
/**
 * The function's CommonJS modules are required as AWS's runtime requires them: from a
 * stand-in module at the runtime's path (createRequire), so their module.parent is no
 * module of the runtime's and a require stack names just that path.
 */
const requireFunctionModule = Module.createRequire(SELF_PATH);

/**
 * The young generation keeps its initial size (2 MB) instead of growing to 32 MB under a
 * steady stream of invocations, pages an idle environment would otherwise hold dirty for
 * good (AWS bounds it too, with --max-semi-space-size). Set at run time once the first
 * invocation is answered: V8 checks the code cache of node's built-in modules against its
 * flags, so after any flag change every built-in module loaded compiles from source
 * (node:http, https, crypto, zlib and stream together: 14 ms instead of 4.4; the AWS SDK
 * loads them all). By then a function has loaded what it needs.
 */
function boundYoungGeneration() {
  require('node:v8').setFlagsFromString('--semi-space-growth-factor=1');
}
/**
 * Once an environment has waited a second for its next event the runtime collects and
 * compacts the heap, so an idle environment gives back the pages its invocations left
 * dirty. The collector comes from a throwaway context (gc is only installed in contexts
 * made after the flag), which that collection frees again; compaction is on for that
 * collection only. node:vm is loaded then, not at start.
 */
const IDLE_COLLECT_MS = 1000;
function collectGarbage() {
  const v8 = require('node:v8');
  v8.setFlagsFromString('--expose-gc');
  v8.setFlagsFromString('--compact-on-every-full-gc');
  try {
    require('node:vm').runInNewContext('gc')();
  } finally {
    v8.setFlagsFromString('--no-compact-on-every-full-gc');
  }
}

/**
 * Started with `--pipe` by the Nimbus host: the Runtime API's exchanges travel as frames on
 * fd 3 (pipe-client.cjs) rather than HTTP. The flag is taken out of argv, so the function
 * sees the argv AWS's runtime has.
 */
const PIPE_FD = process.argv[2] === '--pipe' ? 3 : -1;
/**
 * `--primed`: started ahead of any function (src/sandbox/primed-runtimes.ts). It warms up,
 * waits on the pipe for its function's variables and folder, then runs as any runtime.
 */
const PRIMED = PIPE_FD >= 0 && process.argv[3] === '--primed';
if (PIPE_FD >= 0) process.argv.splice(2, PRIMED ? 2 : 1);

/**
 * @typedef {{
 *   nextInvocation(): Promise<{ body: Buffer, headers: import('node:http').IncomingHttpHeaders }>,
 *   postInvocationResponse(result: unknown, id: string, callback: () => void): void,
 *   postInvocationError(error: unknown, id: string, callback: () => void): void,
 *   postInitError(error: unknown, callback: () => void): void,
 * }} RuntimeClient
 */
const { frame, peakRss, pipeClient } = require('./pipe-client.cjs');
const pipe = PIPE_FD >= 0 ? pipeClient(PIPE_FD, { idleMs: IDLE_COLLECT_MS, onIdle: collectGarbage }) : null;
/** @type {RuntimeClient} */
const client = pipe ?? require('./http-client.cjs').httpClient(process.env.AWS_LAMBDA_RUNTIME_API ?? '');

// Out of the function's sight, as AWS's runtime (an ES module) is: require.cache holds the function's modules only.
for (const file of Object.keys(require.cache)) if (path.dirname(file) === __dirname) delete require.cache[file];

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
  return fs.existsSync(file) ? requireFunctionModule(file) : undefined;
}

/** @param {string} file */
async function tryImport(file) {
  if (!fs.existsSync(file)) return undefined;
  // ESM does not read NODE_PATH; AWS's runtime makes it (layers, the SDK) work anyway. The
  // choice is made once, for the function's handler: never for a primed runtime's rehearsal.
  const nodePathImports = await import('./node-path-imports.mjs');
  if (!rehearsing) nodePathImports.enableNodePathImports(file);
  return await import(require('node:url').pathToFileURL(file).href);
}

/** @param {string} appRoot @param {string} moduleRoot @param {string} name */
async function loadModule(appRoot, moduleRoot, name) {
  const lambdaStylePath = path.resolve(appRoot, moduleRoot, name);
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
  return requireFunctionModule(requireFunctionModule.resolve(name, { paths: [appRoot, moduleRoot] }));
}

/**
 * AWS's texts name its own runtime file: by path in require stacks, by URL (it is an ES
 * module) in stack frames. So do ours.
 * @param {string} text
 */
function asAwsPaths(text) {
  return text
    .replaceAll(`(${SELF_PATH}:`, `(file://${AWS_RUNTIME_ENTRY}:`)
    .replaceAll(`at ${SELF_PATH}:`, `at file://${AWS_RUNTIME_ENTRY}:`)
    .replaceAll(SELF_PATH, AWS_RUNTIME_ENTRY);
}

/** @param {string} appRoot @param {string} moduleRoot @param {string} name */
async function loadUserApp(appRoot, moduleRoot, name) {
  try {
    return await loadModule(appRoot, moduleRoot, name);
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
  const [, name, handlerPath] = /** @type {[string, string, string]} */ (/** @type {unknown} */ (match));
  const userApp = await loadUserApp(appRoot, moduleRoot, name);
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
  let iteration = 0;
  const scheduleIteration = () => {
    setImmediate(() => {
      if (++iteration === 2) boundYoungGeneration();
      handleOnce().then(NO_OP, (err) => {
        console.log(`Unexpected Top Level Error: ${String(err)}`);
        errorCallbacks.uncaughtException(err);
      });
    });
  };

  async function handleOnce() {
    const { body, headers } = await rt.nextInvocation();
    const id = String(headers['lambda-runtime-aws-request-id']);
    setRequestId(id);
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

// ---------------------------------------------------------------------------
// A primed runtime: started before its function is known.

/** A primed runtime is warming up (before its function): nothing it does may be decided for good. */
let rehearsing = false;

/**
 * A primed runtime warms the paths a first invocation takes (the ESM loader, the context,
 * JSON both ways, a frame), says it is ready, and waits for its function. The CommonJS
 * loader is warm already: it loaded the runtime's own modules.
 * @param {NonNullable<typeof pipe>} channel
 */
function awaitFunction(channel) {
  // The handler loader's whole path once (prime.mjs, an ES module), and the module search
  // path's set-up.
  rehearsing = true;
  return loadHandler(__dirname, 'prime.handler')
    .then((handler) => {
      Module._initPaths();
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
          channel.send({ t: 'next' });
        }),
    );
}

/**
 * One whole invocation of prime.mjs's no-op handler through the invoke loop, against a
 * client that answers nobody, so the first real invocation finds the loop compiled. Leaves
 * the runtime as it found it.
 * @param {Function} handler
 */
function rehearse(handler) {
  const initCallbacks = { ...errorCallbacks };
  return new Promise((resolve) => {
    const done = () => {
      Object.assign(errorCallbacks, initCallbacks);
      beforeExit = NO_OP;
      setRequestId(undefined);
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
  Module._initPaths();
  patchConsole();
}

// ---------------------------------------------------------------------------
// Start.

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

/**
 * AWS's runtime loads the function under its top-level await, so a process whose event loop
 * empties before main settles (an ES module whose top-level await never settles) exits with
 * status 13 unless the function set another, while process.exit() keeps its own status.
 * The two are told apart by beforeExit, which only a loop that emptied emits.
 */
let starting = true;
/** While starting: the event loop emptied, and nothing has run since (cleared on its next turn). */
let loopEmptied = false;
const exitAsUnsettledTopLevelAwait = () => {
  if (loopEmptied) process.exitCode ??= 13;
};

async function main() {
  process.on('exit', exitAsUnsettledTopLevelAwait);
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
  process.on('beforeExit', () => {
    if (starting) {
      loopEmptied = true;
      setImmediate(() => (loopEmptied = false)).unref();
    }
    beforeExit();
  });

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

// The top-level `await main()` of an ES module entry: a failure is an uncaught exception.
const started = () => {
  starting = false;
  process.off('exit', exitAsUnsettledTopLevelAwait);
};
main().then(started, (error) => {
  started();
  process.nextTick(() => {
    throw error;
  });
});
