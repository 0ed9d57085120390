/**
 * examples/image-pipeline end to end, as its README walks a user through it: deploy.sh
 * (AWS CLI v2) sets up the buckets, both functions, the permission and the notification;
 * `aws s3 cp` of a JPEG and a PNG into `uploads` yields resized, watermarked copies in
 * `processed` (checked by dimensions, format and pixels); a corrupt JPEG ends up as an
 * invocation record in `failures`; the server and the pipeline keep working afterwards.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { startTestServer, AWS_CLI, TEST_CREDENTIALS, type TestServer } from './helpers/server.ts';
import { aws, awsCliSkipReason } from './helpers/aws-cli.ts';
import { s3Client } from './helpers/s3.ts';

const EXAMPLE = path.resolve(import.meta.dirname, '../examples/image-pipeline');
const MAX_WIDTH = 640;
/** How long an upload may take to come out the other end. */
const PIPELINE_TIMEOUT_MS = 30_000;

function skipReason(): string | false {
  const aws = awsCliSkipReason();
  if (aws) return aws;
  const hasZip = ['/usr/bin/zip', '/bin/zip'].some((p) => fs.existsSync(p));
  if (hasZip) return false;
  if (process.env.CI === 'true') throw new Error('CI=true and zip is missing: the image pipeline suite cannot be skipped in CI');
  return 'zip is missing (install Debian zip package)';
}
const skip = skipReason();
if (skip) console.log(`# SKIP image pipeline suite: ${skip}`);

// The slice of sharp's API this test uses; sharp is loaded from the example's own
// node_modules (deploy.sh installs it), so its types are not visible from here.
interface RawImage {
  data: Buffer;
  info: { width: number; height: number; channels: number };
}
interface SharpImage {
  resize(o: { width: number }): SharpImage;
  removeAlpha(): SharpImage;
  jpeg(o?: object): SharpImage;
  png(o?: object): SharpImage;
  raw(): SharpImage;
  metadata(): Promise<{ format?: string; width?: number; height?: number }>;
  toBuffer(): Promise<Buffer>;
  toBuffer(o: { resolveWithObject: true }): Promise<RawImage>;
}
type Sharp = (input: Buffer, o?: { raw: { width: number; height: number; channels: number } }) => SharpImage;

/** A width × height picture whose colours never come near the watermark's magenta. */
function gradient(width: number, height: number, channels: 3 | 4): Buffer {
  const px = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels;
      px[i] = Math.round((x / width) * 180); // red stays below the watermark's
      px[i + 1] = 60 + Math.round((y / height) * 195); // green stays above it
      px[i + 2] = 120 + ((x ^ y) & 63);
      if (channels === 4) px[i + 3] = 255;
    }
  }
  return px;
}

interface MagentaArea {
  count: number;
  minX: number;
  minY: number;
}

/** The pixels of the watermark's colour (with room for JPEG's error) and where they start. */
async function magenta(sharp: Sharp, image: Buffer): Promise<MagentaArea & { width: number; height: number }> {
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const area = { count: 0, minX: Infinity, minY: Infinity };
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      const i = (y * info.width + x) * info.channels;
      if (data[i]! > 200 && data[i + 1]! < 90 && data[i + 2]! > 200) {
        area.count++;
        area.minX = Math.min(area.minX, x);
        area.minY = Math.min(area.minY, y);
      }
    }
  }
  return { ...area, width: info.width, height: info.height };
}

/** Mean absolute difference of the top-left quarter of two same-sized images (0–255). */
async function topLeftDifference(sharp: Sharp, a: Buffer, b: Buffer): Promise<number> {
  const [ra, rb] = await Promise.all([a, b].map((img) => sharp(img).removeAlpha().raw().toBuffer({ resolveWithObject: true })));
  const { width, height, channels } = ra!.info;
  let sum = 0;
  let n = 0;
  for (let y = 0; y < height / 2; y++) {
    for (let x = 0; x < width / 2; x++) {
      for (let c = 0; c < channels; c++) {
        const i = (y * width + x) * channels + c;
        sum += Math.abs(ra!.data[i]! - rb!.data[i]!);
        n++;
      }
    }
  }
  return sum / n;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = PIPELINE_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}: nothing after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('examples/image-pipeline', { skip }, () => {
  let server: TestServer;
  let s3: S3Client;
  let sharp: Sharp;
  let work: string;
  const cp = (file: string, key: string) => aws(server.endpoint, ['s3', 'cp', '--no-progress', path.join(work, file), `s3://uploads/${key}`]);

  async function getObject(bucket: string, key: string): Promise<{ body: Buffer; contentType?: string } | undefined> {
    try {
      const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return { body: Buffer.from(await out.Body!.transformToByteArray()), contentType: out.ContentType };
    } catch (err) {
      if ((err as Error).name === 'NoSuchKey') return undefined;
      throw err;
    }
  }

  /** Uploads with `aws s3 cp` and waits for the processed copy; returns it and the wait. */
  async function uploadAndAwait(file: string, key: string): Promise<{ body: Buffer; contentType?: string; ms: number }> {
    const t0 = Date.now();
    const up = await cp(file, key);
    assert.equal(up.code, 0, up.stderr);
    const got = await until(`s3://processed/${key}`, () => getObject('processed', key));
    const ms = Date.now() - t0;
    console.log(`${key}: processed ${ms} ms after aws s3 cp started`);
    return { ...got, ms };
  }

  /** examples/image-pipeline/deploy.sh against the test server, as a user would run it. */
  const deploy = (maxWidth: number) =>
    run(
      'bash',
      [path.join(EXAMPLE, 'deploy.sh')],
      {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NIMBUS_ENDPOINT: server.endpoint,
        MAX_WIDTH: String(maxWidth),
        AWS_CLI,
        AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        AWS_MAX_ATTEMPTS: '1',
      },
      240_000,
    );

  before(async () => {
    server = await startTestServer();
    s3 = s3Client(server.endpoint);
    work = fs.mkdtempSync(path.join(server.dataDir, 'images-'));
    const t0 = Date.now();
    const first = await deploy(MAX_WIDTH);
    assert.equal(first.code, 0, `deploy.sh failed:\n${first.stdout}\n${first.stderr}`);
    console.log(`deploy.sh took ${Date.now() - t0} ms`);
    sharp = createRequire(path.join(EXAMPLE, 'function/package.json'))('sharp') as Sharp;
  });
  after(async () => {
    s3?.destroy();
    await server?.close();
  });

  test('deploy.sh created the buckets and both functions', async () => {
    const buckets = await aws(server.endpoint, ['s3api', 'list-buckets', '--query', 'Buckets[].Name', '--output', 'json']);
    assert.equal(buckets.code, 0, buckets.stderr);
    for (const b of ['uploads', 'processed', 'failures']) assert.ok(JSON.parse(buckets.stdout).includes(b), buckets.stdout);
    const fns = await aws(server.endpoint, ['lambda', 'list-functions', '--query', 'Functions[].FunctionName', '--output', 'json']);
    assert.deepEqual(JSON.parse(fns.stdout).sort(), ['image-failures', 'image-resize']);
    // Each runs as its own least-privilege role.
    for (const name of ['image-failures', 'image-resize']) {
      const role = await aws(server.endpoint, ['lambda', 'get-function-configuration', '--function-name', name, '--query', 'Role', '--output', 'text']);
      assert.equal(role.stdout.trim(), `arn:aws:iam::123456789012:role/${name}-role`);
    }
  });

  test('a JPEG is shrunk to MAX_WIDTH, stays a JPEG and carries the watermark; its key keeps its spaces', async () => {
    const source = await sharp(gradient(1600, 1000, 3), { raw: { width: 1600, height: 1000, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
    fs.writeFileSync(path.join(work, 'beach day.jpg'), source);
    const key = 'holiday photos/beach day.jpg';
    const out = await uploadAndAwait('beach day.jpg', key);

    assert.equal(out.contentType, 'image/jpeg');
    const meta = await sharp(out.body).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', MAX_WIDTH, 400]);

    const mark = await magenta(sharp, out.body);
    assert.ok(mark.count > mark.width * mark.height * 0.005, `watermark pixels: ${mark.count}`);
    assert.ok(mark.minX > mark.width / 2 && mark.minY > mark.height / 2, `watermark not in the bottom-right corner: ${JSON.stringify(mark)}`);
    const before = await sharp(source).resize({ width: MAX_WIDTH }).jpeg().toBuffer();
    assert.equal((await magenta(sharp, before)).count, 0, 'the original has no watermark colour');
    const diff = await topLeftDifference(sharp, before, out.body);
    assert.ok(diff < 8, `away from the watermark the picture is the original (mean difference ${diff.toFixed(1)})`);
  });

  test('a PNG is shrunk to MAX_WIDTH, stays a PNG and carries the watermark', async () => {
    const source = await sharp(gradient(1200, 900, 4), { raw: { width: 1200, height: 900, channels: 4 } }).png().toBuffer();
    fs.writeFileSync(path.join(work, 'diagram.png'), source);
    const out = await uploadAndAwait('diagram.png', 'diagram.png');

    assert.equal(out.contentType, 'image/png');
    const meta = await sharp(out.body).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', MAX_WIDTH, 480]);
    const mark = await magenta(sharp, out.body);
    assert.ok(mark.count > mark.width * mark.height * 0.005, `watermark pixels: ${mark.count}`);
    assert.ok(mark.minX > mark.width / 2 && mark.minY > mark.height / 2, `watermark not in the bottom-right corner: ${JSON.stringify(mark)}`);
    assert.equal((await magenta(sharp, source)).count, 0);
  });

  test('a corrupt JPEG lands in the failure destination with the S3 event; the server and the pipeline carry on', async () => {
    const good = await sharp(gradient(800, 600, 3), { raw: { width: 800, height: 600, channels: 3 } }).jpeg().toBuffer();
    fs.writeFileSync(path.join(work, 'broken.jpg'), good.subarray(0, good.length >> 1));
    const up = await cp('broken.jpg', 'broken.jpg');
    assert.equal(up.code, 0, up.stderr);

    const t0 = Date.now();
    const recordKey = await until('an invocation record in s3://failures', async () => {
      const list = await s3.send(new ListObjectsV2Command({ Bucket: 'failures' }));
      return list.Contents?.[0]?.Key;
    });
    console.log(`broken.jpg: failure record ${Date.now() - t0} ms after the upload`);
    const record = JSON.parse((await getObject('failures', recordKey))!.body.toString());
    assert.equal(record.requestContext.condition, 'RetriesExhausted');
    assert.equal(record.requestContext.approximateInvokeCount, 1, 'MaximumRetryAttempts 0: one attempt');
    assert.match(record.requestContext.functionArn, /:function:image-resize(:\$LATEST)?$/);
    assert.equal(recordKey, `${record.requestContext.requestId}.json`);
    const s3Record = record.requestPayload.Records[0];
    assert.equal(s3Record.eventSource, 'aws:s3');
    assert.match(s3Record.eventName, /^ObjectCreated:/);
    assert.equal(s3Record.s3.bucket.name, 'uploads');
    assert.equal(s3Record.s3.object.key, 'broken.jpg');
    assert.equal(record.responseContext.functionError, 'Unhandled');
    assert.match(record.responsePayload.errorMessage, /JPEG|image/i);
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: 'processed', Key: 'broken.jpg' })), { name: 'NotFound' });

    // Still serving: the CLI lists buckets, and a later upload (smaller than MAX_WIDTH,
    // so never enlarged) goes through.
    const ls = await aws(server.endpoint, ['s3', 'ls']);
    assert.equal(ls.code, 0, ls.stderr);
    const small = await sharp(gradient(300, 200, 3), { raw: { width: 300, height: 200, channels: 3 } }).png().toBuffer();
    fs.writeFileSync(path.join(work, 'small.png'), small);
    const out = await uploadAndAwait('small.png', 'small.png');
    const meta = await sharp(out.body).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 300, 200]);
    assert.ok((await magenta(sharp, out.body)).count > 300 * 200 * 0.005);
  });

  test('deploy.sh runs again over an existing deployment and applies a new MAX_WIDTH', async () => {
    const again = await deploy(320);
    assert.equal(again.code, 0, `deploy.sh failed the second time:\n${again.stdout}\n${again.stderr}`);
    assert.match(again.stdout, /bucket uploads exists/);
    assert.match(again.stderr, /updating function image-resize/); // deploy_function reports on stderr
    const out = await uploadAndAwait('diagram.png', 'again/diagram.png');
    const meta = await sharp(out.body).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 320, 240]);
    const policy = await aws(server.endpoint, ['lambda', 'get-policy', '--function-name', 'image-resize', '--query', 'Policy', '--output', 'text']);
    assert.equal(JSON.parse(policy.stdout).Statement.length, 1, 'one permission statement, not one per run');
  });
});
