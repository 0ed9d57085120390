import fs from 'node:fs';
import path from 'node:path';
import yazl from 'yazl';

export type FileMap = Record<string, string | Buffer | { data: string | Buffer; mode?: number; symlink?: boolean }>;

/** Builds a zip in memory from a map of entry name → content. */
export function zipFiles(files: FileMap): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, v] of Object.entries(files)) {
    const entry = typeof v === 'string' || Buffer.isBuffer(v) ? { data: v } : v;
    const data = Buffer.isBuffer(entry.data) ? entry.data : Buffer.from(entry.data);
    const mode = entry.symlink ? 0o120777 : (entry.mode ?? 0o100644);
    zip.addBuffer(data, name, { mode, mtime: new Date(0) });
  }
  zip.end();
  return collect(zip.outputStream);
}

/** Zips every file under dir (paths relative to it). */
export function zipDir(dir: string): Promise<Buffer> {
  const files: FileMap = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else files[path.relative(dir, full)] = { data: fs.readFileSync(full), mode: fs.statSync(full).mode };
    }
  };
  walk(dir);
  return zipFiles(files);
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
