/**
 * The AWS SDK for JavaScript v3 that Node.js functions get without bundling it, as AWS's
 * nodejs18.x+ runtimes offer it in /var/runtime/node_modules:
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html#nodejs-sdk-included
 *
 * Functions must not see the server's other packages (zod, pino, better-sqlite3...), so the
 * clients and their dependency closure, found as Node would resolve them in the project's
 * node_modules, are copied into a folder of their own with read-only files, built once
 * per set of versions and reused (about 80 MB and 1–3 s for the first build). Copies, so
 * nothing a function does to them reaches the server's own packages; bubblewrap shows them
 * read-only; a plain process (no bubblewrap) running as root could still change the copy.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDirAtomically } from '../util/atomic-dir.ts';

/** The clients of the services Nimbus serves; a new service adds its client here (and to dependencies). */
export const RUNTIME_SDK_CLIENTS: readonly string[] = Object.freeze([
  '@aws-sdk/client-cloudwatch',
  '@aws-sdk/client-cloudwatch-logs',
  '@aws-sdk/client-iam',
  '@aws-sdk/client-lambda',
  '@aws-sdk/client-s3',
  '@aws-sdk/client-secrets-manager',
  '@aws-sdk/client-sts',
]);

/** The folder holding Nimbus's package.json and node_modules. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ClosurePackage {
  readonly name: string;
  readonly version: string;
  /** Its place under the built node_modules folder: "@smithy/core", "a/node_modules/b". */
  readonly location: string;
  /** Its folder on this machine (symbolic links resolved). */
  readonly source: string;
}

/** A dependency the closure needs is not installed. */
export class MissingPackageError extends Error {
  override readonly name = 'MissingPackageError';
}

interface Manifest {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/**
 * The packages `names` need, resolved from `root` as Node would: a dependency of the
 * package at root/node_modules/a is root/node_modules/a/node_modules/d, else
 * root/node_modules/d. Regular dependencies must be installed; optional and peer ones are
 * taken when they are. Nothing above root is looked at. Sorted by location.
 */
export function packageClosure(root: string, names: readonly string[]): ClosurePackage[] {
  const modules = path.join(root, 'node_modules');
  const found = new Map<string, ClosurePackage>();
  const queue: { dir: string; manifest: Manifest }[] = [];
  const visit = (dir: string): void => {
    const location = path.relative(modules, dir);
    if (found.has(location)) return;
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
    found.set(location, { name: manifest.name ?? location, version: manifest.version ?? '0.0.0', location, source: fs.realpathSync(dir) });
    queue.push({ dir, manifest });
  };
  for (const name of names) {
    const dir = resolvePackage(root, root, name);
    if (!dir) throw new MissingPackageError(`${name} is not installed in ${modules}`);
    visit(dir);
  }
  for (let item = queue.shift(); item; item = queue.shift()) {
    const { dir, manifest } = item;
    const optional = new Set([...Object.keys(manifest.optionalDependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
    const wanted = new Set([...Object.keys(manifest.dependencies ?? {}), ...optional]);
    for (const dep of wanted) {
      const depDir = resolvePackage(root, dir, dep);
      if (depDir) visit(depDir);
      else if (!optional.has(dep)) throw new MissingPackageError(`${manifest.name}@${manifest.version} needs ${dep}, which is not installed`);
    }
  }
  return [...found.values()].sort((a, b) => (a.location < b.location ? -1 : a.location > b.location ? 1 : 0));
}

/** Node's lookup of `name` from the package folder `from`: each ancestor's node_modules, up to root. */
function resolvePackage(root: string, from: string, name: string): string | null {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (path.basename(dir) !== 'node_modules') {
      const candidate = path.join(dir, 'node_modules', name);
      if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    }
    if (dir === root || !dir.startsWith(root + path.sep)) return null;
  }
}

/** Names the folder of one set of versions. */
export function closureDigest(closure: readonly ClosurePackage[]): string {
  const hash = createHash('sha256');
  for (const p of closure) hash.update(`${p.location}\0${p.name}@${p.version}\n`);
  return hash.digest('hex').slice(0, 16);
}

/**
 * Shared by every server and test run of this installation: node_modules/.cache is where
 * tools keep such things.
 */
export const SHARED_CACHE_DIR = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'nimbus');

/** Interrupted builds older than this are removed; younger ones may be another server's. */
const STALE_BUILD_MS = 60 * 60 * 1000;

export interface RuntimeModulesOptions {
  /** Where Nimbus's node_modules are (default: this project). */
  readonly projectRoot?: string;
  readonly packages?: readonly string[];
}

/**
 * The node_modules folder of the Node.js runtime: found in the first of `roots` that has
 * it for this set of versions, else built in the first one that can be written (a shared
 * cache, then the data directory). Returns its host path; bubblewrap shows it at
 * /var/runtime/node_modules. Throws MissingPackageError when the SDK is not installed.
 */
export async function prepareRuntimeModules(roots: readonly string[], options: RuntimeModulesOptions = {}): Promise<string> {
  const closure = packageClosure(options.projectRoot ?? PROJECT_ROOT, options.packages ?? RUNTIME_SDK_CLIENTS);
  const name = `nodejs-sdk-${closureDigest(closure)}`;
  for (const root of roots) {
    if (fs.existsSync(path.join(root, name, 'node_modules'))) return path.join(root, name, 'node_modules');
  }
  let lastError: unknown;
  for (const root of roots) {
    try {
      await fsp.mkdir(root, { recursive: true, mode: 0o755 });
      sweepStale(root);
      const dir = await buildDirAtomically(root, name, async (tmp) => {
        await fsp.mkdir(tmp, { mode: 0o755 });
        for (const p of closure) linkTree(p.source, path.join(tmp, 'node_modules', p.location), true);
      });
      return path.join(dir, 'node_modules');
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError ?? new Error('no folder to build the runtime modules in');
}

/** The folder the server offers: from the shared cache, else built in the data directory. */
export function nodeRuntimeModules(dataDir: string): Promise<string> {
  return prepareRuntimeModules([SHARED_CACHE_DIR, path.join(dataDir, 'runtimes')]);
}

function sweepStale(root: string): void {
  const now = Date.now();
  for (const entry of fs.readdirSync(root)) {
    if (!entry.startsWith('.tmp-')) continue;
    const dir = path.join(root, entry);
    try {
      if (now - fs.statSync(dir).mtimeMs > STALE_BUILD_MS) fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // gone already
    }
  }
}

/**
 * Copies a package folder (a reflink where the file system has them), minus its nested
 * node_modules, with read-only files. Copies, not hard links: a function without
 * bubblewrap sees this folder on NODE_PATH, and a write through a hard link would change
 * the server's own packages. Synchronous on purpose: thousands of small calls, run once
 * at start-up, take a fraction of the time of their promise-based equivalents.
 */
function linkTree(from: string, to: string, top: boolean): void {
  fs.mkdirSync(to, { recursive: true, mode: 0o755 });
  fs.chmodSync(to, 0o755);
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    // Nested packages are closure members of their own (or not needed at all).
    if (top && entry.name === 'node_modules') continue;
    const src = path.join(from, entry.name);
    const dest = path.join(to, entry.name);
    if (entry.isDirectory()) linkTree(src, dest, false);
    else if (entry.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(src), dest);
    else if (entry.isFile()) {
      fs.copyFileSync(src, dest, fs.constants.COPYFILE_FICLONE);
      fs.chmodSync(dest, 0o444);
    }
  }
}
