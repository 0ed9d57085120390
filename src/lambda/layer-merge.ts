import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { InvalidParameterValueException } from '../errors/index.ts';
import { checkLinksStayInside, isInside } from './code-package.ts';
import { buildDirAtomically } from '../util/index.ts';

/**
 * The /opt of an execution environment: a function's layers extracted in order into one
 * folder, later layers overwriting files of earlier ones as AWS merges them. One folder
 * per distinct ordered list of layer packages (content-addressed), built beside its final
 * place and renamed in, so a crash never leaves half a merge.
 */
export class MergedLayers {
  constructor(readonly root: string) {
    fs.mkdirSync(root, { recursive: true });
    // On AWS no package.json sits above /opt; this one stops Node's lookup here, so a data
    // dir inside a "type": "module" project does not turn layer .js files into ESM.
    fs.writeFileSync(path.join(root, 'package.json'), '{"type": "commonjs"}\n');
  }

  /** Folder name of an ordered list of layer packages (their blob keys). */
  static digest(codeKeys: readonly string[]): string {
    return createHash('sha256').update(codeKeys.join('\n')).digest('hex');
  }

  dirFor(digest: string): string {
    return path.join(this.root, digest);
  }

  /** The merged folder of `sources` (extracted layer folders, in order), built once. */
  async ensure(digest: string, sources: () => Promise<readonly string[]>): Promise<string> {
    const dir = this.dirFor(digest);
    if (fs.existsSync(dir)) return dir;
    return buildDirAtomically(this.root, digest, async (tmp) => {
      await fsp.mkdir(tmp);
      const realRoot = await fsp.realpath(tmp);
      for (const src of await sources()) await mergeTree(src, tmp, realRoot);
      await checkMergedLinks(tmp);
    });
  }

  /** Removes merged folders no function uses any more, and leftovers of interrupted merges. */
  async prune(inUse: ReadonlySet<string>): Promise<void> {
    for (const name of await fsp.readdir(this.root)) {
      if (name === 'package.json' || inUse.has(name)) continue;
      await fsp.rm(path.join(this.root, name), { recursive: true, force: true });
    }
  }
}

/**
 * Copies src over dst. Never writes through a link that leads outside the merge: a folder
 * an earlier layer made a link is followed only when its target is a folder inside it.
 */
async function mergeTree(src: string, dst: string, realRoot: string): Promise<void> {
  for (const entry of await fsp.readdir(src, { withFileTypes: true })) {
    const from = path.join(src, entry.name);
    const to = path.join(dst, entry.name);
    const existing = await fsp.lstat(to).catch(() => undefined);
    if (entry.isDirectory()) {
      if (existing?.isSymbolicLink()) {
        const real = await fsp.realpath(to).catch(() => undefined);
        const followable = real !== undefined && isInside(realRoot, real) && (await fsp.stat(real)).isDirectory();
        if (!followable) {
          await fsp.rm(to, { force: true });
          await fsp.mkdir(to);
        }
      } else if (existing && !existing.isDirectory()) {
        await fsp.rm(to, { force: true });
        await fsp.mkdir(to);
      } else if (!existing) {
        await fsp.mkdir(to);
      }
      await mergeTree(from, to, realRoot);
      continue;
    }
    if (existing) await fsp.rm(to, { recursive: true, force: true });
    if (entry.isSymbolicLink()) {
      await fsp.symlink(await fsp.readlink(from), to);
    } else if (entry.isFile()) {
      // Mode bits come along: a layer's bin/ executables stay executable.
      await fsp.copyFile(from, to, fs.constants.COPYFILE_FICLONE);
    }
  }
}

/** Each layer's links stay inside that layer, but links of two layers can chain out of /opt. */
function checkMergedLinks(root: string): Promise<void> {
  return checkLinksStayInside(root, (rel) => `Layer content ${JSON.stringify(rel)} is a symlink that points outside /opt once the layers are merged`);
}

/** Bytes of the regular files under dir: what an unzipped package weighs. */
export async function dirSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await fsp.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += (await fsp.lstat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

/** AWS's answer when code and layers together pass the unzipped limit. */
export function combinedTooLarge(limit: number, actual: number): InvalidParameterValueException {
  return new InvalidParameterValueException(
    `Function code combined with layers exceeds the maximum allowed size of ${limit} bytes. The actual size is ${actual} bytes.`,
  );
}
