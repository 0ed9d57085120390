import fsp from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';

/**
 * Builds a folder beside its final place and renames it in, so a crash never leaves half
 * of one, and two builders racing for the same name both end up with a whole folder (the
 * loser's copy is dropped: content-addressed names make theirs as good as ours).
 * Temporary folders are named `.tmp-<name>-<uuid>` so a sweep can find leftovers.
 */
export async function buildDirAtomically(root: string, name: string, build: (tmp: string) => Promise<void>): Promise<string> {
  const dir = path.join(root, name);
  const tmp = path.join(root, `.tmp-${name}-${randomUUID()}`);
  try {
    await build(tmp);
    await fsp.rename(tmp, dir).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
      await fsp.rm(tmp, { recursive: true, force: true });
    });
  } catch (err) {
    await fsp.rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return dir;
}
