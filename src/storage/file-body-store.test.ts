import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { FileBodyStore, concatBodies } from './file-body-store.ts';

const store = () => new FileBodyStore(fs.mkdtempSync(path.join(os.tmpdir(), 'bodies-')));
const read = async (s: Readable | undefined) => {
  const chunks: Buffer[] = [];
  for await (const c of s!) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
};
const files = (dir: string) => fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;

test('stage writes to tmp and sees every chunk; commit moves it into place; ranges read back', async () => {
  const bodies = store();
  const seen: string[] = [];
  const staged = await bodies.stage(Readable.from([Buffer.from('hello '), Buffer.from('world')]), (c) => seen.push(c.toString()));
  assert.deepEqual(seen, ['hello ', 'world']);
  assert.equal(staged.size, 11);
  assert.equal(files(path.join(bodies.root, 'tmp')), 1);
  const id = await staged.commit();
  assert.equal(files(path.join(bodies.root, 'tmp')), 0);
  assert.equal(await read(await bodies.open(id)), 'hello world');
  assert.equal(await read(await bodies.open(id, 6, 10)), 'world');
  assert.equal(await bodies.open('0'.repeat(32)), undefined);
});

test('a throwing observer aborts the write and leaves no file; discard removes a staged body', async () => {
  const bodies = store();
  await assert.rejects(
    bodies.stage(Readable.from([Buffer.from('a'), Buffer.from('b')]), (c) => {
      if (c.toString() === 'b') throw new Error('too big');
    }),
    /too big/,
  );
  const staged = await bodies.stage(Readable.from([Buffer.from('x')]), () => {});
  await staged.discard();
  assert.equal(files(bodies.root), 0);
});

test('duplicate hard-links: removing one id keeps the other; concat streams bodies in order', async () => {
  const bodies = store();
  const a = await (await bodies.stage(Readable.from([Buffer.from('A')]), () => {})).commit();
  const b = await (await bodies.stage(Readable.from([Buffer.from('B')]), () => {})).commit();
  const copy = (await bodies.duplicate(a))!;
  await bodies.remove(a);
  assert.equal(await read(await bodies.open(copy)), 'A');
  assert.equal(await read(Readable.from(concatBodies(bodies, [copy, b, copy]))), 'ABA');
});

test('sweep removes temporary files and unreferenced bodies only', async () => {
  const bodies = store();
  const keep = await (await bodies.stage(Readable.from([Buffer.from('k')]), () => {})).commit();
  const drop = await (await bodies.stage(Readable.from([Buffer.from('d')]), () => {})).commit();
  await bodies.stage(Readable.from([Buffer.from('t')]), () => {});
  const { removed } = await bodies.sweep((id) => id === keep);
  assert.equal(removed, 2);
  assert.equal(await bodies.open(drop), undefined);
  assert.equal(await read(await bodies.open(keep)), 'k');
});
