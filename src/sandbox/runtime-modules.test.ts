import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  MissingPackageError,
  PROJECT_ROOT,
  RUNTIME_SDK_CLIENTS,
  packageClosure,
  prepareRuntimeModules,
} from './runtime-modules.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-runtime-modules-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

let projects = 0;
/** A project whose node_modules holds packages at the given locations. */
function project(packages: Record<string, { version?: string; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; peerDependencies?: Record<string, string> }>): string {
  const root = path.join(tmp, `project-${++projects}`);
  for (const [location, manifest] of Object.entries(packages)) {
    const dir = path.join(root, 'node_modules', location);
    fs.mkdirSync(path.join(dir, 'lib'), { recursive: true });
    const name = location.split('/node_modules/').at(-1)!;
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: manifest.version ?? '1.0.0', ...manifest }));
    fs.writeFileSync(path.join(dir, 'lib', 'index.js'), `module.exports = ${JSON.stringify(location)};`);
  }
  return root;
}

const locations = (root: string, names: string[]) => packageClosure(root, names).map((p) => `${p.location}@${p.version}`);

test('the closure follows dependencies as Node resolves them: nested copies first, then the top level', () => {
  const root = project({
    '@aws-sdk/client-x': { dependencies: { '@smithy/core': '^2', tslib: '^2' } },
    '@smithy/core': { version: '1.0.0' },
    '@aws-sdk/client-x/node_modules/@smithy/core': { version: '2.0.0', dependencies: { tslib: '^2' } },
    tslib: { version: '2.8.0' },
    zod: {},
    pino: { dependencies: { tslib: '^2' } },
  });
  assert.deepEqual(locations(root, ['@aws-sdk/client-x']), ['@aws-sdk/client-x@1.0.0', '@aws-sdk/client-x/node_modules/@smithy/core@2.0.0', 'tslib@2.8.0']);
});

test('optional and peer dependencies are taken when installed; a missing regular one is an error', () => {
  const root = project({
    a: { dependencies: { b: '1' }, optionalDependencies: { 'not-here': '1', c: '1' }, peerDependencies: { d: '1', 'peer-not-here': '1' } },
    b: {},
    c: {},
    d: {},
    e: {},
    broken: { dependencies: { gone: '1' } },
  });
  assert.deepEqual(locations(root, ['a']), ['a@1.0.0', 'b@1.0.0', 'c@1.0.0', 'd@1.0.0']);
  assert.throws(() => packageClosure(root, ['broken']), (err: Error) => err instanceof MissingPackageError && /broken@1\.0\.0 needs gone/.test(err.message));
  assert.throws(() => packageClosure(root, ['absent']), MissingPackageError);
});

test('nothing above the project is looked at', () => {
  const outer = project({ outside: {} });
  const root = path.join(outer, 'inner');
  fs.mkdirSync(path.join(root, 'node_modules', 'a'), { recursive: true });
  fs.writeFileSync(path.join(root, 'node_modules', 'a', 'package.json'), JSON.stringify({ name: 'a', version: '1.0.0', dependencies: { outside: '1' } }));
  assert.throws(() => packageClosure(root, ['a']), MissingPackageError);
});

test('the folder holds the closure only, copied read-only (never hard-linked to the server\'s own), and is reused until a version changes', async () => {
  const root = project({
    a: { dependencies: { b: '1' } },
    'a/node_modules/unused': {},
    b: {},
    zod: {},
  });
  const cache = path.join(tmp, 'cache-1');
  const dir = await prepareRuntimeModules([cache], { projectRoot: root, packages: ['a'] });
  assert.equal(path.basename(dir), 'node_modules');
  assert.deepEqual(fs.readdirSync(dir).sort(), ['a', 'b']);
  assert.deepEqual(fs.readdirSync(path.join(dir, 'a')).sort(), ['lib', 'package.json'], 'nested packages outside the closure stay out');
  const src = fs.statSync(path.join(root, 'node_modules', 'b', 'lib', 'index.js'));
  const linked = fs.statSync(path.join(dir, 'b', 'lib', 'index.js'));
  assert.notEqual(linked.ino, src.ino, 'a copy: a write to it cannot reach the server\'s packages');
  assert.equal(linked.mode & 0o777, 0o444, 'read-only files');
  assert.equal(fs.readFileSync(path.join(dir, 'b', 'lib', 'index.js'), 'utf8'), fs.readFileSync(path.join(root, 'node_modules', 'b', 'lib', 'index.js'), 'utf8'));
  assert.equal(fs.statSync(path.join(dir, 'a', 'lib')).mode & 0o777, 0o755, 'folders readable by the sandbox user');

  const marker = path.join(dir, '..', 'kept');
  fs.writeFileSync(marker, '');
  assert.equal(await prepareRuntimeModules([cache], { projectRoot: root, packages: ['a'] }), dir);
  assert.ok(fs.existsSync(marker), 'reused, not rebuilt');

  const manifest = path.join(root, 'node_modules', 'b', 'package.json');
  fs.writeFileSync(manifest, JSON.stringify({ name: 'b', version: '1.0.1' }));
  const next = await prepareRuntimeModules([cache], { projectRoot: root, packages: ['a'] });
  assert.notEqual(next, dir, 'a new version, a new folder');
  assert.equal(JSON.parse(fs.readFileSync(path.join(next, 'b', 'package.json'), 'utf8')).version, '1.0.1');
});

test('a root that cannot be written falls through to the next one; a built one is found in any', async () => {
  const root = project({ a: {} });
  const blocked = path.join(tmp, 'not-a-folder');
  fs.writeFileSync(blocked, '');
  const fallback = path.join(tmp, 'cache-2');
  const dir = await prepareRuntimeModules([path.join(blocked, 'cache'), fallback], { projectRoot: root, packages: ['a'] });
  assert.ok(dir.startsWith(fallback + path.sep));
  const other = path.join(tmp, 'cache-3');
  assert.equal(await prepareRuntimeModules([other, fallback], { projectRoot: root, packages: ['a'] }), dir, 'found where it was built');
  assert.ok(!fs.existsSync(other), 'nothing built again');
});

test('the real clients: their closure has the SDK and none of the server\'s own packages', () => {
  const names = packageClosure(PROJECT_ROOT, RUNTIME_SDK_CLIENTS).map((p) => p.name);
  for (const client of RUNTIME_SDK_CLIENTS) assert.ok(names.includes(client), client);
  for (const server of ['zod', 'pino', 'better-sqlite3', 'fast-xml-parser', 'find-my-way', 'commander', 'tsx', 'yauzl']) {
    assert.ok(!names.includes(server), `${server} is not in the closure`);
  }
});
