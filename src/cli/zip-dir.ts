import fsp from 'node:fs/promises';
import path from 'node:path';
import yazl from 'yazl';
import { CliError } from './errors.ts';

/** Never part of a code package: version control and a local Nimbus data directory. */
const SKIPPED_NAMES: ReadonlySet<string> = new Set(['.git', '.nimbus']);
/** Every entry gets this time, so the same tree always gives the same bytes (and CodeSha256). */
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);
const FILE_MODE = 0o100644;
const EXEC_MODE = 0o100755;
const LINK_MODE = 0o120777;

type Entry =
  | { readonly name: string; readonly kind: 'file'; readonly source: string; readonly mode: number }
  | { readonly name: string; readonly kind: 'link'; readonly target: string };

/**
 * Zips a function's directory the same way every time: entries sorted, one fixed mtime,
 * 644/755 modes (executable bits kept for bootstrap files), node_modules included,
 * .git and .nimbus skipped. A relative symlink that stays inside the tree is stored as a
 * link (node_modules/.bin); any other symlink is stored as what it points to.
 */
export async function zipDirectory(dir: string, warn: (message: string) => void = () => {}): Promise<Buffer> {
  const entries: Entry[] = [];
  await walk(path.resolve(dir), '', new Set(), entries, warn);
  if (entries.length === 0) throw new CliError(`Nothing to deploy: ${dir} contains no files`);
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const zip = new yazl.ZipFile();
  for (const e of entries) {
    if (e.kind === 'file') {
      zip.addFile(e.source, e.name, { mtime: FIXED_MTIME, mode: e.mode, forceDosTimestamp: true, compress: true });
    } else {
      zip.addBuffer(Buffer.from(e.target, 'utf8'), e.name, { mtime: FIXED_MTIME, mode: LINK_MODE, forceDosTimestamp: true, compress: false });
    }
  }
  zip.end();
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.outputStream.on('error', reject);
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve());
  });
  return Buffer.concat(chunks);
}

/** `ancestors` holds the real paths of the folders above, so a symlink loop ends. */
async function walk(abs: string, rel: string, ancestors: Set<string>, out: Entry[], warn: (m: string) => void): Promise<void> {
  const real = await fsp.realpath(abs);
  if (ancestors.has(real)) {
    warn(`Skipping ${rel}: symlink loop`);
    return;
  }
  const below = new Set(ancestors).add(real);
  for (const dirent of await fsp.readdir(abs, { withFileTypes: true })) {
    if (SKIPPED_NAMES.has(dirent.name)) continue;
    const childAbs = path.join(abs, dirent.name);
    const childRel = rel ? `${rel}/${dirent.name}` : dirent.name;
    if (dirent.isSymbolicLink()) {
      const target = await fsp.readlink(childAbs);
      if (staysInside(childRel, target)) {
        out.push({ name: childRel, kind: 'link', target: target.split(path.sep).join('/') });
        continue;
      }
      const stat = await fsp.stat(childAbs).catch(() => undefined);
      if (!stat) warn(`Skipping ${childRel}: broken symlink to ${target}`);
      else if (stat.isDirectory()) await walk(childAbs, childRel, below, out, warn);
      else if (stat.isFile()) out.push(fileEntry(childRel, childAbs, stat.mode));
    } else if (dirent.isDirectory()) {
      await walk(childAbs, childRel, below, out, warn);
    } else if (dirent.isFile()) {
      out.push(fileEntry(childRel, childAbs, (await fsp.stat(childAbs)).mode));
    }
    // Sockets, FIFOs and devices have no place in a code package.
  }
}

function fileEntry(name: string, source: string, mode: number): Entry {
  return { name, kind: 'file', source, mode: mode & 0o111 ? EXEC_MODE : FILE_MODE };
}

/** A relative link whose target, resolved from the link's place in the zip, is still in the zip. */
function staysInside(linkName: string, target: string): boolean {
  if (path.isAbsolute(target) || target === '') return false;
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(linkName), target.split(path.sep).join('/')));
  return resolved !== '..' && !resolved.startsWith('../') && resolved !== '.';
}
