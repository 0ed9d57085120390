import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yazl from 'yazl';
import { zipFiles } from '../../test/helpers/zip.ts';
import { InvalidParameterValueException } from '../errors/index.ts';
import { CodeCache, digestZip, extractZip } from './code-package.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-zip-'));
const LIMITS = { unzippedMaxBytes: 1024 * 1024 };

test('extracts files, folders and executable bits', async () => {
  const dir = path.join(tmp(), 'out');
  const zip = await zipFiles({ 'index.js': 'exports.handler = 1', 'src/app.js': 'x', bootstrap: { data: '#!/bin/sh', mode: 0o100755 } });
  await extractZip(zip, dir, LIMITS);
  assert.equal(fs.readFileSync(path.join(dir, 'index.js'), 'utf8'), 'exports.handler = 1');
  assert.equal(fs.readFileSync(path.join(dir, 'src/app.js'), 'utf8'), 'x');
  assert.ok(fs.statSync(path.join(dir, 'bootstrap')).mode & 0o100);
  assert.equal(fs.statSync(path.join(dir, 'index.js')).mode & 0o111, 0);
});

test('refuses entries that climb out with ..', async () => {
  const root = tmp();
  const zip = await zipFiles({ 'ok.js': 'x' });
  // yazl refuses '..' names itself, so patch the name bytes of a valid archive.
  const evil = Buffer.from(zip.toString('latin1').replaceAll('ok.js', '../e1'), 'latin1');
  await assert.rejects(extractZip(evil, path.join(root, 'out'), LIMITS), InvalidParameterValueException);
  assert.equal(fs.existsSync(path.join(root, 'e1')), false);
});

test('refuses symlinks that point outside the package', async () => {
  const root = tmp();
  const zip = await zipFiles({ link: { data: '../../etc/passwd', symlink: true } });
  await assert.rejects(extractZip(zip, path.join(root, 'out'), LIMITS), /symlink that points outside/);
  const abs = await zipFiles({ link: { data: '/etc/passwd', symlink: true } });
  await assert.rejects(extractZip(abs, path.join(root, 'out2'), LIMITS), /symlink that points outside/);
});

test('refuses symlink chains that lead out, and writes through links to outside folders', async () => {
  const root = tmp();
  const chain = await zipFiles({ b: { data: '.', symlink: true }, a: { data: 'b/..', symlink: true } });
  await assert.rejects(extractZip(chain, path.join(root, 'out'), LIMITS), /points outside/);
  const through = await zipFiles({ d: { data: 'b/..', symlink: true }, b: { data: '.', symlink: true }, 'd/escaped.txt': 'x' });
  await assert.rejects(extractZip(through, path.join(root, 'out2'), LIMITS), /points outside/);
  assert.equal(fs.existsSync(path.join(root, 'escaped.txt')), false);
});

test('a refused entry behind a symlink chain leaves no folder outside', async () => {
  const root = tmp();
  const zip = await zipFiles({ 'x/b': { data: '..', symlink: true }, a: { data: 'x/b/..', symlink: true }, 'a/evil/f': 'x' });
  await assert.rejects(extractZip(zip, path.join(root, 'out'), LIMITS), /points outside/);
  assert.deepEqual(fs.readdirSync(root), ['out']);
});

test('keeps symlinks that stay inside', async () => {
  const dir = path.join(tmp(), 'out');
  const zip = await zipFiles({ 'lib/real.js': 'module.exports = 42', 'alias.js': { data: 'lib/real.js', symlink: true } });
  await extractZip(zip, dir, LIMITS);
  assert.equal(fs.readFileSync(path.join(dir, 'alias.js'), 'utf8'), 'module.exports = 42');
});

test('refuses archives whose unzipped size passes the limit (zip bomb)', async () => {
  const zip = await zipFiles({ 'big.bin': Buffer.alloc(2 * 1024 * 1024) });
  assert.ok(zip.length < 64 * 1024, 'the archive itself is small');
  await assert.rejects(extractZip(zip, path.join(tmp(), 'out'), LIMITS), /Unzipped size must be smaller than/);
});

test('anything that is not a zip is AWS\'s "Could not unzip uploaded file"', async () => {
  for (const junk of [Buffer.from('hello'), Buffer.alloc(0), Buffer.from('PK\x03\x04garbage')]) {
    await assert.rejects(extractZip(junk, path.join(tmp(), 'out'), LIMITS), /Could not unzip uploaded file/);
  }
});

test('CodeCache extracts once per digest and leaves no temp folders after a failure', async () => {
  const root = tmp();
  const cache = new CodeCache(root, LIMITS);
  const zip = await zipFiles({ 'index.js': 'x' });
  const { hex, sha256, size } = digestZip(zip);
  assert.equal(size, zip.length);
  assert.equal(Buffer.from(sha256, 'base64').toString('hex'), hex);
  const dir = await cache.ensure(hex, async () => zip);
  assert.equal(fs.readFileSync(path.join(dir, 'index.js'), 'utf8'), 'x');
  let calls = 0;
  await cache.ensure(hex, async () => (calls++, zip));
  assert.equal(calls, 0, 'second ensure reuses the folder');
  await assert.rejects(cache.ensure('f'.repeat(64), async () => Buffer.from('nope')));
  assert.deepEqual(fs.readdirSync(root).sort(), [hex, 'package.json'].sort());
});

test('a header claiming an impossible compression ratio is refused before anything is written', async () => {
  const zip = await zipFiles({ 'a.txt': 'hello hello hello' });
  // Patch the central directory's uncompressed size (offset 24 of the entry) to 10 MB.
  const cd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  zip.writeUInt32LE(10 * 1024 * 1024, cd + 24);
  const local = zip.indexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
  zip.writeUInt32LE(10 * 1024 * 1024, local + 22);
  await assert.rejects(extractZip(zip, path.join(tmp(), 'out'), { unzippedMaxBytes: 50 * 1024 * 1024 }), /compression ratio/);
});

test('a damaged entry (CRC mismatch) is refused', async () => {
  // A stored (uncompressed) entry, so the damage passes inflate and only the CRC can catch it.
  const z = new yazl.ZipFile();
  z.addBuffer(Buffer.from('stored data that will be damaged'), 'a.txt', { compress: false, mtime: new Date(0) });
  z.end();
  const chunks: Buffer[] = [];
  for await (const c of z.outputStream) chunks.push(c as Buffer);
  const zip = Buffer.concat(chunks);
  const at = zip.indexOf(Buffer.from('damaged'));
  assert.ok(at > 0);
  await extractZip(Buffer.from(zip), path.join(tmp(), 'intact'), LIMITS);
  zip[at] = 0x21;
  await assert.rejects(extractZip(zip, path.join(tmp(), 'out'), LIMITS), /Could not unzip/);
});

test('fuzz: mutated archives are refused with InvalidParameterValueException or extracted inside, never anything else', async () => {
  const base = await zipFiles({ 'index.js': 'exports.handler = async () => 1;\n'.repeat(20), 'lib/a.js': 'module.exports = 1', 'bin/x': { data: '#!/bin/sh', mode: 0o100755 } });
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const root = tmp();
  let refused = 0;
  for (let i = 0; i < 300; i++) {
    const z = Buffer.from(base);
    const kind = i % 3;
    if (kind === 0) for (let k = 0; k < 1 + Math.floor(rand() * 8); k++) z[Math.floor(rand() * z.length)] = Math.floor(rand() * 256);
    const input = kind === 1 ? z.subarray(0, Math.floor(rand() * z.length)) : kind === 2 ? Buffer.concat([z.subarray(0, Math.floor(rand() * z.length)), Buffer.from(Array.from({ length: 64 }, () => Math.floor(rand() * 256)))]) : z;
    const out = path.join(root, `o${i}`);
    try {
      await extractZip(input, out, LIMITS);
    } catch (err) {
      assert.ok(err instanceof InvalidParameterValueException, `iteration ${i}: ${String(err)}`);
      refused++;
    }
  }
  assert.ok(refused > 200, `most mutations are refused (${refused})`);
  // Nothing was written outside the per-iteration folders.
  assert.ok(fs.readdirSync(root).every((n) => /^o\d+$/.test(n)));
});
