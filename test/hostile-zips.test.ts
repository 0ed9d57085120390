/**
 * Code packages are hostile input: escaping entries, zip bombs and malformed archives
 * get 4xx answers, nothing lands outside the function's folder, and the server keeps serving.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { signedFetch } from './helpers/sign.ts';
import { zipFiles } from './helpers/zip.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const ROLE = 'arn:aws:iam::123456789012:role/r';

async function createRaw(name: string, zip: Buffer): Promise<{ status: number; type: string | null; body: string }> {
  const res = await signedFetch(`${server.endpoint}/2015-03-31/functions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ FunctionName: name, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: zip.toString('base64') } }),
  });
  return { status: res.status, type: res.headers.get('x-amzn-errortype'), body: await res.text() };
}

function listAll(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true }).map(String);
}

test('entries with .., absolute paths and escaping symlinks are refused and write nothing outside', async () => {
  const before = listAll(server.dataDir);
  const slip = await zipFiles({ 'index.js': 'x' });
  const evil = Buffer.from(slip.toString('latin1').replaceAll('index.js', '../../pwn'), 'latin1');
  const link = await zipFiles({ 'index.js': 'x', secrets: { data: '../../../metadata.db', symlink: true } });
  const abs = await zipFiles({ 'index.js': 'x', etc: { data: '/etc', symlink: true } });
  for (const [name, zip] of [['slip', evil], ['link', link], ['abs', abs]] as const) {
    const r = await createRaw(name, zip);
    assert.equal(r.status, 400, `${name}: ${r.body}`);
    assert.equal(r.type, 'InvalidParameterValueException');
  }
  assert.equal(fs.existsSync(path.join(server.dataDir, '..', 'pwn')), false);
  const added = listAll(server.dataDir).filter((f) => !before.includes(f) && !/^(metadata|logs)\.db/.test(f));
  assert.deepEqual(added, [], 'a refused package leaves nothing behind');
});

test('a zip bomb over the unzipped limit is refused at once', async () => {
  const bomb = await zipFiles({ 'index.js': 'x', 'zeros.bin': Buffer.alloc(260 * 1024 * 1024) });
  assert.ok(bomb.length < 2 * 1024 * 1024);
  const r = await createRaw('bomb', bomb);
  assert.equal(r.status, 400);
  assert.match(r.body, /Unzipped size must be smaller than 262144000 bytes/);
});

test('fuzz: malformed zips only ever get 4xx (or a clean 201), and the server keeps serving', async () => {
  const base = await zipFiles({ 'index.js': 'exports.handler = async () => "fine";\n', 'lib/util.js': 'module.exports = 2;\n'.repeat(10) });
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const statuses = new Map<number, number>();
  for (let i = 0; i < 60; i++) {
    const z = Buffer.from(base);
    let input: Buffer;
    if (i % 3 === 0) {
      for (let k = 0; k < 1 + Math.floor(rand() * 6); k++) z[Math.floor(rand() * z.length)] = Math.floor(rand() * 256);
      input = z;
    } else if (i % 3 === 1) input = z.subarray(0, Math.floor(rand() * z.length));
    else input = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 400) }, () => Math.floor(rand() * 256)));
    const r = await createRaw(`fuzz-${i}`, input);
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    assert.ok(r.status === 201 || (r.status >= 400 && r.status < 500), `iteration ${i}: ${r.status} ${r.body}`);
  }
  assert.ok((statuses.get(400) ?? 0) > 40, JSON.stringify([...statuses]));
  await server.lambda.send(new CreateFunctionCommand({ FunctionName: 'after-fuzz', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: base } }));
  const out = await server.lambda.send(new InvokeCommand({ FunctionName: 'after-fuzz' }));
  assert.equal(Buffer.from(out.Payload!).toString(), '"fine"');
});
