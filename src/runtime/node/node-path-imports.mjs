// @ts-check
/**
 * ES module imports that fall back to the folders on NODE_PATH, as AWS's Node.js 18+
 * runtimes do (Node itself never reads NODE_PATH for `import`): this is how an ESM
 * handler imports a package from a layer (/opt/nodejs/node_modules) or the runtime's AWS
 * SDK (/var/runtime/node_modules).
 * https://aws.amazon.com/blogs/compute/node-js-18-x-runtime-now-available-in-aws-lambda/
 *
 * Node 20's module.register starts a loader thread, ~50 ms of cold start, so the hook is
 * registered only when it can matter: some NODE_PATH folder exists that Node's own lookup
 * from the task root does not reach (under bubblewrap the SDK is linked at /var/node_modules,
 * which it does reach), and the handler's own ES modules import a package Node cannot find.
 */
import fs from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** Not relative, not absolute, not a URL (node:, file:, data:): a package name. */
const BARE = /^(?![./]|[a-zA-Z][a-zA-Z0-9+.-]*:)/;

/** @type {{ dir: string, parentURL: string }[]} */
let folders = [];

/** Hooks thread: receives the folders. @param {{ dirs: string[] }} data */
export function initialize(data) {
  folders = data.dirs.map((dir) => ({ dir, parentURL: pathToFileURL(path.join(dir, 'noop.js')).href }));
}

/** "@scope/name" or "name" of a bare specifier. @param {string} specifier */
function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0] ?? '';
}

/**
 * The folders holding the package, as parent URLs to resolve from. Checked first because
 * Node's lookup from a parent URL goes on up the tree (a cache folder inside the project's
 * node_modules would reach the server's packages); NODE_PATH means these folders only.
 * @param {string} specifier
 */
function parentsFor(specifier) {
  const name = packageName(specifier);
  return folders.filter(({ dir }) => fs.existsSync(path.join(dir, name))).map(({ parentURL }) => parentURL);
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
    for (const parentURL of parentsFor(specifier)) {
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
    for (const parentURL of parentsFor(specifier)) {
      try {
        return nextResolve(specifier, { ...context, parentURL });
      } catch {
        // not in this folder
      }
    }
    throw err;
  }
}

let enabled = false;
/**
 * Main thread, before importing the ESM handler `file`: turns the fallback on when a
 * NODE_PATH folder needs it.
 * @param {string} file
 */
export function enableNodePathImports(file) {
  if (enabled) return;
  enabled = true;
  const taskRoot = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
  const own = new Set([taskRoot, process.env.LAMBDA_RUNTIME_DIR]);
  const reached = new Set(upwardFolders(taskRoot).map(realpath));
  const dirs = (process.env.NODE_PATH ?? '')
    .split(':')
    .filter((dir) => dir && !own.has(dir) && fs.existsSync(dir) && !reached.has(realpath(dir)));
  if (dirs.length === 0 || !importsMissingPackage(file, taskRoot)) return;
  const hooks = /** @type {any} */ (module).registerHooks;
  if (typeof hooks === 'function') {
    initialize({ dirs });
    hooks({ resolve: resolveSync });
  } else {
    module.register(import.meta.url, { data: { dirs } });
  }
}

/** @param {string} dir */
function realpath(dir) {
  try {
    return fs.realpathSync(dir);
  } catch {
    return dir;
  }
}

/** The node_modules folders Node's own lookup visits from dir. @param {string} dir */
function upwardFolders(dir) {
  const out = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (path.basename(d) !== 'node_modules') out.push(path.join(d, 'node_modules'));
    if (d === path.dirname(d)) return out;
  }
}

/** Specifiers of import statements, export-from, and import() of a string literal. */
const IMPORTED = /\b(?:from|import)\s*(?:\(\s*)?(["'])([^"'\n\\]+)\1/g;
/** import() of anything but a string literal: cannot be checked. */
const COMPUTED_IMPORT = /\bimport\s*\(\s*(?!["'\s])/;
/** Past this many files, or this much source, the scan gives up and assumes the worst. */
const SCAN_MAX_FILES = 256;
const SCAN_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Whether the ES modules of the task reachable from `file` by relative imports import a
 * package that Node's own lookup cannot find (or compute a specifier, or are too many to
 * read): then the fallback may be needed. The scan is textual, so an import mentioned in a
 * comment or a string counts too, which only costs the hook.
 * @param {string} file @param {string} taskRoot
 */
function importsMissingPackage(file, taskRoot) {
  const root = path.resolve(taskRoot) + path.sep;
  const seen = new Set([file]);
  const queue = [file];
  let bytes = 0;
  for (let current = queue.shift(); current; current = queue.shift()) {
    let source;
    try {
      source = fs.readFileSync(current, 'utf8');
    } catch {
      return true;
    }
    bytes += source.length;
    if (seen.size > SCAN_MAX_FILES || bytes > SCAN_MAX_BYTES || COMPUTED_IMPORT.test(source)) return true;
    for (const match of source.matchAll(IMPORTED)) {
      const specifier = /** @type {string} */ (match[2]);
      if (specifier.startsWith('./') || specifier.startsWith('../')) {
        const target = path.resolve(path.dirname(current), specifier.split(/[?#]/)[0] ?? '');
        if (!seen.has(target) && target.startsWith(root) && /\.m?js$/.test(target) && fs.existsSync(target)) {
          seen.add(target);
          queue.push(target);
        }
      } else if (BARE.test(specifier) && !specifier.startsWith('#') && !module.isBuiltin(specifier)) {
        const name = packageName(specifier);
        if (!upwardFolders(path.dirname(current)).some((dir) => fs.existsSync(path.join(dir, name)))) return true;
      }
    }
  }
  return false;
}
