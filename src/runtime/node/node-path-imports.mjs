// @ts-check
/**
 * ES module imports that fall back to the folders on NODE_PATH, as AWS's Node.js 18+
 * runtimes do (Node itself never reads NODE_PATH for `import`): this is how an ESM
 * handler imports a package from a layer (/opt/nodejs/node_modules).
 * https://aws.amazon.com/blogs/compute/node-js-18-x-runtime-now-available-in-aws-lambda/
 *
 * Loaded only before importing an ESM handler, and registered only when a NODE_PATH folder
 * outside the task root and the runtime exists (that is, when layers bring one): Node 20's
 * module.register starts a loader thread, ~50 ms of cold start.
 */
import fs from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** Not relative, not absolute, not a URL (node:, file:, data:): a package name. */
const BARE = /^(?![./]|[a-zA-Z][a-zA-Z0-9+.-]*:)/;

/** @type {string[]} */
let parents = [];

/** Hooks thread: receives the folders. @param {{ dirs: string[] }} data */
export function initialize(data) {
  parents = data.dirs.map((dir) => pathToFileURL(path.join(dir, 'noop.js')).href);
}

/** @param {unknown} err @param {string} specifier */
const retry = (err, specifier) =>
  /** @type {{ code?: string }} */ (err)?.code === 'ERR_MODULE_NOT_FOUND' && BARE.test(specifier);

/**
 * Resolves as Node does; a bare package name Node cannot find is looked up as if imported
 * from a file in each NODE_PATH folder, in order.
 * @param {string} specifier @param {any} context @param {(s: string, c?: any) => Promise<any>} nextResolve
 */
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if (!retry(err, specifier)) throw err;
    for (const parentURL of parents) {
      try {
        return await nextResolve(specifier, { ...context, parentURL });
      } catch {
        // not in this folder
      }
    }
    throw err;
  }
}

/** The same, for the synchronous in-thread hooks of newer Node versions. */
function resolveSync(/** @type {string} */ specifier, /** @type {any} */ context, /** @type {(s: string, c?: any) => any} */ nextResolve) {
  try {
    return nextResolve(specifier, context);
  } catch (err) {
    if (!retry(err, specifier)) throw err;
    for (const parentURL of parents) {
      try {
        return nextResolve(specifier, { ...context, parentURL });
      } catch {
        // not in this folder
      }
    }
    throw err;
  }
}

/** Main thread: turns the fallback on when some NODE_PATH folder beyond the defaults exists. */
let enabled = false;
export function enableNodePathImports() {
  if (enabled) return;
  enabled = true;
  const own = new Set([process.env.LAMBDA_TASK_ROOT, process.env.LAMBDA_RUNTIME_DIR, `${process.env.LAMBDA_RUNTIME_DIR}/node_modules`]);
  const dirs = (process.env.NODE_PATH ?? '').split(':').filter((dir) => dir && !own.has(dir) && fs.existsSync(dir));
  if (dirs.length === 0) return;
  const hooks = /** @type {any} */ (module).registerHooks;
  if (typeof hooks === 'function') {
    initialize({ dirs });
    hooks({ resolve: resolveSync });
  } else {
    module.register(import.meta.url, { data: { dirs } });
  }
}
