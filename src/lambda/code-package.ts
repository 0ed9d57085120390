import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import zlib from 'node:zlib';
import yauzl from 'yauzl';
import { buildDirAtomically } from '../util/index.ts';
import { InvalidParameterValueException } from '../errors/index.ts';

/** AWS's answer for anything that is not a readable zip. */
const NOT_A_ZIP = 'Could not unzip uploaded file. Please check your file, then try to upload again.';
/** The best ratio deflate can reach; anything above it in a header is a forgery. */
const MAX_DEFLATE_RATIO = 1032;

export interface CodeDigest {
  /** base64 SHA-256, as AWS reports CodeSha256. */
  readonly sha256: string;
  /** hex SHA-256, used for file names. */
  readonly hex: string;
  readonly size: number;
}

export function digestZip(zip: Buffer): CodeDigest {
  const hash = createHash('sha256').update(zip).digest();
  return { sha256: hash.toString('base64'), hex: hash.toString('hex'), size: zip.length };
}

export interface ExtractLimits {
  readonly unzippedMaxBytes: number;
}

function openZip(zip: Buffer): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true, decodeStrings: true, validateEntrySizes: true, strictFileNames: false }, (err, zf) =>
      err || !zf ? reject(new InvalidParameterValueException(NOT_A_ZIP)) : resolve(zf),
    );
  });
}

export function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Counts bytes as they stream through and fails the stream once the total passes the limit. */
class ByteBudget {
  used = 0;
  constructor(readonly limit: number) {}
  meter(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _enc, cb) => {
        this.used += chunk.length;
        if (this.used > this.limit) cb(tooLarge(this.limit));
        else cb(null, chunk);
      },
    });
  }
}

/** Checks an entry's CRC-32 as it streams: a damaged archive is refused, not half-trusted. */
class Crc32Check {
  #crc = 0;
  constructor(
    readonly expected: number,
    readonly name: string,
  ) {}
  meter(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _enc, cb) => {
        this.#crc = zlib.crc32(chunk, this.#crc);
        cb(null, chunk);
      },
      flush: (cb) => cb(this.#crc >>> 0 === this.expected >>> 0 ? null : new InvalidParameterValueException(NOT_A_ZIP)),
    });
  }
}

function tooLarge(limit: number) {
  return new InvalidParameterValueException(
    `Unzipped size must be smaller than ${limit} bytes`,
  );
}

/**
 * Extracts a zip into destDir, which must not exist yet. Refuses entries that would land
 * outside it (`..`, absolute paths, escaping symlinks) and archives whose unzipped size
 * passes the limit, counting real bytes rather than trusting the headers.
 */
export async function extractZip(zip: Buffer, destDir: string, limits: ExtractLimits): Promise<void> {
  const zf = await openZip(zip);
  const root = path.resolve(destDir);
  await fsp.mkdir(root, { recursive: true });
  const budget = new ByteBudget(limits.unzippedMaxBytes);
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (err: unknown) => {
        zf.close();
        reject(err instanceof InvalidParameterValueException ? err : new InvalidParameterValueException(NOT_A_ZIP));
      };
      zf.on('error', fail);
      zf.on('end', resolve);
      zf.on('entry', (entry: yauzl.Entry) => {
        handleEntry(zf, entry, root, budget).then(() => zf.readEntry(), fail);
      });
      zf.readEntry();
    });
  } finally {
    zf.close();
  }
  await checkLinksStayInside(root);
}

/**
 * Each link was checked as written, but a chain (a -> b/.., b -> .) can still lead out;
 * the real path of every link must end inside root. `describe` words the refusal.
 */
export async function checkLinksStayInside(
  root: string,
  describe: (relative: string) => string = (rel) => `Zip entry ${JSON.stringify(rel)} is a symlink that points outside the package`,
): Promise<void> {
  const realRoot = await fsp.realpath(root);
  for (const entry of await fsp.readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isSymbolicLink()) continue;
    const link = path.join(entry.parentPath, entry.name);
    const real = await fsp.realpath(link).catch(() => undefined);
    if (real !== undefined && !isInside(realRoot, real)) {
      throw new InvalidParameterValueException(describe(path.relative(root, link)));
    }
  }
}

async function handleEntry(zf: yauzl.ZipFile, entry: yauzl.Entry, root: string, budget: ByteBudget): Promise<void> {
  const name = entry.fileName.replace(/\\/g, '/');
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name) || name.split('/').includes('..')) {
    throw new InvalidParameterValueException(`Zip entry ${JSON.stringify(entry.fileName)} points outside the package`);
  }
  const target = path.resolve(root, name);
  if (!isInside(root, target)) {
    throw new InvalidParameterValueException(`Zip entry ${JSON.stringify(entry.fileName)} points outside the package`);
  }
  if (entry.uncompressedSize > budget.limit - budget.used) throw tooLarge(budget.limit);
  // Deflate cannot compress better than 1032:1; a header that claims more is lying or nested.
  if (entry.compressedSize > 0 && entry.uncompressedSize / entry.compressedSize > MAX_DEFLATE_RATIO) {
    throw new InvalidParameterValueException(`Zip entry ${JSON.stringify(entry.fileName)} claims a compression ratio no zip can have (a zip bomb?)`);
  }
  const mode = (entry.externalFileAttributes >>> 16) & 0o170777;
  const type = mode & 0o170000;
  // A folder reached through an earlier symlink must still be inside the package; check
  // before creating anything, so a refused entry leaves no folder behind outside.
  const dir = name.endsWith('/') ? target : path.dirname(target);
  if (!isInside(await fsp.realpath(root), await realpathOfNearest(dir))) {
    throw new InvalidParameterValueException(`Zip entry ${JSON.stringify(entry.fileName)} points outside the package`);
  }
  await fsp.mkdir(dir, { recursive: true });
  if (name.endsWith('/')) return;
  const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
    zf.openReadStream(entry, (err, s) => (err || !s ? reject(err) : resolve(s))),
  );
  if (type === 0o120000) {
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    const link = Buffer.concat(chunks).toString('utf8');
    if (path.isAbsolute(link) || !isInside(root, path.resolve(path.dirname(target), link))) {
      throw new InvalidParameterValueException(`Zip entry ${JSON.stringify(entry.fileName)} is a symlink that points outside the package`);
    }
    await fsp.symlink(link, target);
    return;
  }
  // Executable bits matter for custom runtimes' bootstrap; everything is readable.
  const fileMode = (mode & 0o111 ? 0o755 : 0o644);
  const crc = new Crc32Check(entry.crc32, entry.fileName);
  await pipeline(stream, budget.meter(), crc.meter(), fs.createWriteStream(target, { mode: fileMode, flags: 'wx' }));
}

/** The real path of dir, or of its nearest existing ancestor with the rest appended. */
async function realpathOfNearest(dir: string): Promise<string> {
  const rest: string[] = [];
  let at = dir;
  for (;;) {
    try {
      return path.join(await fsp.realpath(at), ...rest.reverse());
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || path.dirname(at) === at) throw err;
      rest.push(path.basename(at));
      at = path.dirname(at);
    }
  }
}

/**
 * Keeps extracted code packages under one directory, one folder per zip digest. Folders
 * are built beside their final place and renamed in, so a crash never leaves half a package.
 */
export class CodeCache {
  constructor(
    readonly root: string,
    readonly limits: ExtractLimits,
  ) {
    fs.mkdirSync(root, { recursive: true });
    // Node decides CommonJS or ESM for a .js file from the nearest package.json. On AWS no
    // package.json sits above /var/task; this one stops the lookup here, so a data dir inside
    // a "type": "module" project does not turn a function's CommonJS handler into ESM.
    fs.writeFileSync(path.join(root, 'package.json'), '{"type": "commonjs"}\n');
  }

  dirFor(hex: string): string {
    return path.join(this.root, hex);
  }

  /** Extracts zip (whose digest is hex) unless already present; returns the folder. */
  async ensure(hex: string, zip: () => Promise<Buffer | undefined>): Promise<string> {
    const dir = this.dirFor(hex);
    if (fs.existsSync(dir)) return dir;
    const data = await zip();
    if (!data) throw new Error(`code package ${hex} is missing from the blob store`);
    return buildDirAtomically(this.root, hex, (tmp) => extractZip(data, tmp, this.limits));
  }

  async remove(hex: string): Promise<void> {
    await fsp.rm(this.dirFor(hex), { recursive: true, force: true });
  }

  /** Removes leftovers of extractions interrupted by a crash. */
  async sweep(): Promise<void> {
    for (const name of await fsp.readdir(this.root)) {
      if (name.startsWith('.tmp-')) await fsp.rm(path.join(this.root, name), { recursive: true, force: true });
    }
  }
}

