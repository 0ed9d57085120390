import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BodyStore, StagedBody } from './object-types.ts';

const BODY_ID = /^[0-9a-f]{32}$/;

/**
 * Object bodies as files under root: `tmp/` while being written, then fsynced and
 * renamed to `bodies/<2 hex>/<id>`. Ids are random, never derived from keys, so no key
 * can name a path.
 */
export class FileBodyStore implements BodyStore {
  readonly #tmp: string;
  readonly #bodies: string;

  constructor(readonly root: string) {
    this.#tmp = path.join(root, 'tmp');
    this.#bodies = path.join(root, 'bodies');
    fs.mkdirSync(this.#tmp, { recursive: true });
    fs.mkdirSync(this.#bodies, { recursive: true });
  }

  #path(id: string): string {
    if (!BODY_ID.test(id)) throw new Error(`bad body id: ${id}`);
    return path.join(this.#bodies, id.slice(0, 2), id);
  }

  async stage(source: Readable, observe: (chunk: Buffer) => void): Promise<StagedBody> {
    const tmp = path.join(this.#tmp, `${randomUUID()}.tmp`);
    const handle = await fsp.open(tmp, 'w');
    let size = 0;
    const sink = new Writable({
      highWaterMark: 256 * 1024,
      writev(chunks, callback) {
        const buffers = chunks.map((c) => c.chunk as Buffer);
        try {
          for (const b of buffers) {
            observe(b);
            size += b.length;
          }
        } catch (err) {
          callback(err as Error);
          return;
        }
        handle.writev(buffers).then(() => callback(), callback);
      },
      final(callback) {
        handle.sync().then(() => callback(), callback);
      },
    });
    try {
      await pipeline(source, sink);
    } catch (err) {
      await handle.close().catch(() => {});
      await fsp.rm(tmp, { force: true });
      throw err;
    }
    await handle.close();
    return {
      size,
      commit: async () => {
        const id = randomUUID().replaceAll('-', '');
        const dest = this.#path(id);
        await fsp.mkdir(path.dirname(dest), { recursive: true });
        await fsp.rename(tmp, dest);
        return id;
      },
      discard: () => fsp.rm(tmp, { force: true }),
    };
  }

  async open(bodyId: string, start?: number, end?: number): Promise<Readable | undefined> {
    let handle: fsp.FileHandle;
    try {
      // Opened before answering: a concurrent overwrite may unlink the name, never the open file.
      handle = await fsp.open(this.#path(bodyId), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return handle.createReadStream({ start, end, highWaterMark: 256 * 1024, autoClose: true });
  }

  async duplicate(bodyId: string): Promise<string | undefined> {
    const id = randomUUID().replaceAll('-', '');
    const dest = this.#path(id);
    await fsp.mkdir(path.dirname(dest), { recursive: true });
    try {
      await fsp.link(this.#path(bodyId), dest);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return id;
  }

  async remove(bodyId: string): Promise<void> {
    await fsp.rm(this.#path(bodyId), { force: true });
  }

  async sweep(isReferenced: (bodyId: string) => boolean): Promise<{ removed: number }> {
    let removed = 0;
    for (const name of await fsp.readdir(this.#tmp)) {
      await fsp.rm(path.join(this.#tmp, name), { force: true });
      removed++;
    }
    for (const dir of await fsp.readdir(this.#bodies)) {
      for (const id of await fsp.readdir(path.join(this.#bodies, dir))) {
        if (BODY_ID.test(id) && isReferenced(id)) continue;
        await fsp.rm(path.join(this.#bodies, dir, id), { force: true });
        removed++;
      }
    }
    return { removed };
  }
}

/** Streams several bodies one after another (a multipart object's parts). */
export async function* concatBodies(store: BodyStore, bodyIds: readonly string[]): AsyncGenerator<Buffer> {
  for (const id of bodyIds) {
    const stream = await store.open(id);
    if (!stream) throw new Error(`body ${id} is missing`);
    for await (const chunk of stream) yield chunk as Buffer;
  }
}
