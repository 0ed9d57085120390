/**
 * kill -9 in the middle of an upload never leaves a half-written object visible: bodies
 * are written to a temporary file, fsynced and renamed before their metadata commits, and
 * the next start sweeps whatever a crash left behind.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand, ListPartsCommand, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { startTestServer } from './helpers/server.ts';
import { startServerProcess as startServerProcess_ } from './helpers/process.ts';
import { s3Client } from './helpers/s3.ts';
import { signHeaders } from './helpers/sign.ts';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-s3-crash-'));
const children: ChildProcess[] = [];

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

const startServerProcess = () => startServerProcess_(dataDir, children);

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

test('kill -9 mid-upload: the object never appears, finished objects survive, leftovers are swept', async () => {
  const server = await startServerProcess();
  const s3 = s3Client(server.endpoint);
  const whole = randomBytes(3 * 1024 * 1024);
  await s3.send(new CreateBucketCommand({ Bucket: 'crash' }));
  await s3.send(new PutObjectCommand({ Bucket: 'crash', Key: 'whole.bin', Body: whole }));
  await s3.send(new PutObjectCommand({ Bucket: 'crash', Key: 'replaced.bin', Body: 'version 1' }));
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'crash', Key: 'parts.bin', ChecksumAlgorithm: 'CRC32' }));
  await s3.send(new UploadPartCommand({ Bucket: 'crash', Key: 'parts.bin', UploadId, PartNumber: 1, Body: randomBytes(1024) }));
  s3.destroy();

  // Two uploads in flight when the server dies: a new key, and an overwrite of an existing one.
  const tmpDir = path.join(dataDir, 's3', 'tmp');
  const url = new URL(server.endpoint);
  const inflight = await Promise.all(['half.bin', 'replaced.bin'].map(async (key) => {
    const req = http.request({ host: url.hostname, port: url.port, method: 'PUT', path: `/crash/${key}`, headers: await signHeaders(server.endpoint, { method: 'PUT', path: `/crash/${key}`, headers: { 'Content-Length': 64 * 1024 * 1024 } }) });
    req.on('error', () => {});
    req.write(randomBytes(8 * 1024 * 1024));
    return req;
  }));
  const deadline = Date.now() + 10_000;
  while (filesUnder(tmpDir).filter((f) => fs.statSync(f).size > 0).length < 2) {
    assert.ok(Date.now() < deadline, 'both uploads reach their temporary files');
    await new Promise((r) => setTimeout(r, 20));
  }
  server.proc.kill('SIGKILL');
  await server.exited;
  for (const req of inflight) req.destroy();
  assert.ok(filesUnder(tmpDir).length >= 2, 'the crash left partial files behind');
  // A body renamed into place whose metadata never committed (a crash between the two steps).
  const orphan = path.join(dataDir, 's3', 'bodies', 'ff', 'f'.repeat(32));
  fs.mkdirSync(path.dirname(orphan), { recursive: true });
  fs.writeFileSync(orphan, 'orphan');

  const restarted = await startTestServer({}, dataDir);
  const client = s3Client(restarted.endpoint);
  try {
    const half = await client.send(new HeadObjectCommand({ Bucket: 'crash', Key: 'half.bin' })).catch((e: { $metadata: { httpStatusCode: number } }) => e.$metadata.httpStatusCode);
    assert.equal(half, 404, 'the interrupted new object is not visible');
    const replaced = await client.send(new GetObjectCommand({ Bucket: 'crash', Key: 'replaced.bin' }));
    assert.equal(await replaced.Body!.transformToString(), 'version 1', 'the interrupted overwrite left the old version');
    const got = await client.send(new GetObjectCommand({ Bucket: 'crash', Key: 'whole.bin' }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    assert.equal(createHash('sha256').update(bytes).digest('hex'), createHash('sha256').update(whole).digest('hex'));
    const parts = await client.send(new ListPartsCommand({ Bucket: 'crash', Key: 'parts.bin', UploadId }));
    assert.deepEqual(parts.Parts?.map((p) => p.PartNumber), [1], 'uploaded parts survive');
    assert.deepEqual(filesUnder(tmpDir), [], 'temporary files are swept at start');
    assert.ok(!fs.existsSync(orphan), 'unreferenced bodies are swept at start');
    assert.equal(filesUnder(path.join(dataDir, 's3', 'bodies')).length, 3, 'whole.bin, replaced.bin and one part remain');
  } finally {
    client.destroy();
    await restarted.close();
  }
});
