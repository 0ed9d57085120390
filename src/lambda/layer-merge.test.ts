import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidParameterValueException } from '../errors/index.ts';
import { MergedLayers, dirSize } from './layer-merge.ts';

type Tree = Record<string, string | { link: string } | { mode: number; data: string }>;

function tree(root: string, files: Tree): string {
  for (const [name, v] of Object.entries(files)) {
    const file = path.join(root, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (typeof v === 'string') fs.writeFileSync(file, v);
    else if ('link' in v) fs.symlinkSync(v.link, file);
    else fs.writeFileSync(file, v.data, { mode: v.mode });
  }
  return root;
}

function setup() {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'layer-merge-'));
  let n = 0;
  return {
    base,
    merged: new MergedLayers(path.join(base, 'merged')),
    layer: (files: Tree) => tree(path.join(base, `layer-${n++}`), files),
  };
}

test('later layers overwrite earlier files; everything else is kept; modes survive', async () => {
  const { merged, layer } = setup();
  const a = layer({ 'nodejs/node_modules/x/index.js': 'a', 'only-a.txt': 'a', 'bin/tool': { mode: 0o755, data: '#!/bin/sh' } });
  const b = layer({ 'nodejs/node_modules/x/index.js': 'b', 'only-b.txt': 'b' });
  const dir = await merged.ensure(MergedLayers.digest(['a', 'b']), async () => [a, b]);
  assert.equal(fs.readFileSync(path.join(dir, 'nodejs/node_modules/x/index.js'), 'utf8'), 'b');
  assert.equal(fs.readFileSync(path.join(dir, 'only-a.txt'), 'utf8'), 'a');
  assert.equal(fs.readFileSync(path.join(dir, 'only-b.txt'), 'utf8'), 'b');
  assert.equal(fs.statSync(path.join(dir, 'bin/tool')).mode & 0o777, 0o755);
  const again = await merged.ensure(MergedLayers.digest(['a', 'b']), async () => assert.fail('built once'));
  assert.equal(again, dir);
  assert.notEqual(MergedLayers.digest(['a', 'b']), MergedLayers.digest(['b', 'a']));
});

test('a file replaces a folder and a folder replaces a file or a link', async () => {
  const { merged, layer } = setup();
  const a = layer({ 'p/inner.txt': 'a', q: 'file', 'r/x': 'x', s: { link: 'r' } });
  const b = layer({ p: 'now a file', 'q/inner.txt': 'now a folder', r: { link: 's-target' } });
  const dir = await merged.ensure('d1', async () => [a, b]);
  assert.equal(fs.readFileSync(path.join(dir, 'p'), 'utf8'), 'now a file');
  assert.equal(fs.readFileSync(path.join(dir, 'q/inner.txt'), 'utf8'), 'now a folder');
  assert.equal(fs.readlinkSync(path.join(dir, 'r')), 's-target');
});

test('links of two layers that chain outside the merge are refused, and no half merge is left', async () => {
  const { base, merged, layer } = setup();
  // Alone, each layer is fine: "z" leads through q/b, which does not exist in its own package.
  const a = layer({ z: { link: 'q/b/x/../..' }, 'x/keep.txt': 'k' });
  const b = layer({ 'q/b': { link: '..' } });
  await assert.rejects(merged.ensure('d2', async () => [a, b]), (err: Error) => err instanceof InvalidParameterValueException && /"z" is a symlink that points outside \/opt/.test(err.message));
  assert.deepEqual(fs.readdirSync(path.join(base, 'merged')), ['package.json']);
});

test('a folder written over a link that leads outside replaces the link, never writes through it', async () => {
  const { base, merged, layer } = setup();
  // Publishing refuses such a link; the merge must be safe all the same.
  const a = layer({ out: { link: '../..' } });
  const b = layer({ 'out/escaped.txt': 'pwn' });
  const dir = await merged.ensure('d4', async () => [a, b]);
  assert.equal(fs.lstatSync(path.join(dir, 'out')).isDirectory(), true);
  assert.equal(fs.readFileSync(path.join(dir, 'out/escaped.txt'), 'utf8'), 'pwn');
  assert.equal(fs.existsSync(path.join(base, 'escaped.txt')), false);
});

test('a folder an earlier layer made a link inside the merge is written through', async () => {
  const { merged, layer } = setup();
  const a = layer({ 'real/keep.txt': 'k', alias: { link: 'real' } });
  const b = layer({ 'alias/new.txt': 'n' });
  const dir = await merged.ensure('d3', async () => [a, b]);
  assert.equal(fs.readFileSync(path.join(dir, 'real/new.txt'), 'utf8'), 'n');
});

test('prune keeps the folders in use; dirSize counts file bytes', async () => {
  const { base, merged, layer } = setup();
  const a = layer({ 'f.bin': 'x'.repeat(1000), 'd/g.bin': 'y'.repeat(24), l: { link: 'f.bin' } });
  assert.equal(await dirSize(a), 1024);
  await merged.ensure('keep', async () => [a]);
  await merged.ensure('drop', async () => [a]);
  fs.mkdirSync(path.join(base, 'merged', '.tmp-leftover'));
  await merged.prune(new Set(['keep']));
  assert.deepEqual(fs.readdirSync(path.join(base, 'merged')).sort(), ['keep', 'package.json']);
});
