/**
 * The AWS CLI v2 (/usr/bin/aws) against Nimbus's S3: `aws s3 cp` of a 100 MB file
 * (multipart, 8 MB parts) up and back compared by SHA-256, with the server's memory
 * watched; `ls`, `sync`, `rm`, `rb`, `mb`, and `aws s3api` calls including their errors.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { aws, awsCliSkipReason } from './helpers/aws-cli.ts';

const skip = awsCliSkipReason();
if (skip) console.log(`# SKIP s3 aws-cli suite: ${skip}`);

const MiB = 1024 * 1024;

function sha256File(file: string): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(MiB);
  try {
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

describe('AWS CLI v2 against S3', { skip }, () => {
  let server: TestServer;
  let work: string;
  const s3 = (...args: string[]) =>
    aws(server.endpoint, ['s3', ...args, ...(['cp', 'sync', 'mv'].includes(args[0]!) ? ['--no-progress'] : [])], { cwd: work, timeoutMs: 120_000 });
  const s3api = async (...args: string[]) => {
    const r = await aws(server.endpoint, ['s3api', ...args], { cwd: work });
    return { ...r, json: r.code === 0 && r.stdout.trim() ? JSON.parse(r.stdout) : undefined };
  };

  before(async () => {
    server = await startTestServer();
    work = fs.mkdtempSync(path.join(server.dataDir, 'cli-'));
  });
  after(() => server?.close());

  test('aws s3 mb, and aws s3 ls lists it', async () => {
    const mb = await s3('mb', 's3://cli-bucket');
    assert.equal(mb.code, 0, mb.stderr);
    assert.match(mb.stdout, /make_bucket: cli-bucket/);
    const ls = await s3('ls');
    assert.match(ls.stdout, /cli-bucket/);
  });

  test('aws s3 cp of a 100 MB file: multipart up, ranged download, same SHA-256, server memory flat', async (t) => {
    const file = path.join(work, 'big.bin');
    const fd = fs.openSync(file, 'w');
    for (let i = 0; i < 100; i++) fs.writeSync(fd, randomBytes(MiB));
    fs.closeSync(fd);

    let peak = process.memoryUsage().rss;
    const base = peak;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const t0 = performance.now();
    const up = await s3('cp', file, 's3://cli-bucket/big/big.bin');
    const upMs = performance.now() - t0;
    clearInterval(sampler);
    assert.equal(up.code, 0, up.stderr);
    const growthMiB = (peak - base) / MiB;
    t.diagnostic(`aws s3 cp 100 MB up: ${upMs.toFixed(0)} ms, server RSS growth ${growthMiB.toFixed(1)} MiB`);
    assert.ok(growthMiB < 80, `the server must stream, not buffer the object: RSS grew ${growthMiB.toFixed(1)} MiB`);

    const head = await s3api('head-object', '--bucket', 'cli-bucket', '--key', 'big/big.bin');
    assert.equal(head.json.ContentLength, 100 * MiB);
    assert.match(head.json.ETag, /^"[0-9a-f]{32}-13"$/, 'the CLI uploads 8 MB parts');

    const back = path.join(work, 'back.bin');
    const t1 = performance.now();
    const down = await s3('cp', 's3://cli-bucket/big/big.bin', back);
    t.diagnostic(`aws s3 cp 100 MB down: ${(performance.now() - t1).toFixed(0)} ms`);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(sha256File(back), sha256File(file));
    fs.rmSync(back);
  });

  test('aws s3 sync uploads new and changed files only, syncs down, and --delete removes', async () => {
    const site = path.join(work, 'site');
    fs.mkdirSync(path.join(site, 'css'), { recursive: true });
    fs.writeFileSync(path.join(site, 'index.html'), '<h1>hi</h1>');
    fs.writeFileSync(path.join(site, 'css', 'main.css'), 'body{}');
    fs.writeFileSync(path.join(site, 'with space.txt'), 'spaced');
    // sync compares sizes and times: files older than their upload (S3 keeps whole seconds) count as in sync.
    const hourAgo = new Date(Date.now() - 3600_000);
    for (const f of ['index.html', 'css/main.css', 'with space.txt']) fs.utimesSync(path.join(site, f), hourAgo, hourAgo);
    const first = await s3('sync', site, 's3://cli-bucket/site');
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout.match(/^upload:/gm)?.length, 3, first.stdout);

    const again = await s3('sync', site, 's3://cli-bucket/site');
    assert.equal(again.stdout.trim(), '', 'nothing changed, nothing uploaded');
    fs.writeFileSync(path.join(site, 'index.html'), '<h1>hello again</h1>');
    const changed = await s3('sync', site, 's3://cli-bucket/site');
    assert.deepEqual(changed.stdout.match(/^upload: .*$/gm)?.map((l) => l.includes('index.html')), [true]);

    const ls = await s3('ls', 's3://cli-bucket/site/', '--recursive');
    assert.match(ls.stdout, /site\/css\/main\.css/);
    assert.match(ls.stdout, /site\/with space\.txt/);
    const top = await s3('ls', 's3://cli-bucket/');
    assert.match(top.stdout, /PRE big\//);
    assert.match(top.stdout, /PRE site\//);

    const mirror = path.join(work, 'mirror');
    const down = await s3('sync', 's3://cli-bucket/site', mirror);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(fs.readFileSync(path.join(mirror, 'css', 'main.css'), 'utf8'), 'body{}');
    assert.equal(fs.readFileSync(path.join(mirror, 'with space.txt'), 'utf8'), 'spaced');

    fs.rmSync(path.join(site, 'css'), { recursive: true });
    const del = await s3('sync', site, 's3://cli-bucket/site', '--delete');
    assert.match(del.stdout, /delete: s3:\/\/cli-bucket\/site\/css\/main\.css/);
  });

  test('aws s3 rm (one key and --recursive), aws s3 rb refuses a non-empty bucket, --force empties it', async () => {
    const one = await s3('rm', 's3://cli-bucket/site/index.html');
    assert.equal(one.code, 0, one.stderr);
    const rec = await s3('rm', 's3://cli-bucket/site/', '--recursive');
    assert.equal(rec.code, 0, rec.stderr);
    const ls = await s3('ls', 's3://cli-bucket/site/', '--recursive');
    assert.equal(ls.stdout.trim(), '');
    const rb = await s3('rb', 's3://cli-bucket');
    assert.notEqual(rb.code, 0);
    assert.match(rb.stderr, /BucketNotEmpty/);
    const force = await s3('rb', 's3://cli-bucket', '--force');
    assert.equal(force.code, 0, force.stderr);
    assert.doesNotMatch((await s3('ls')).stdout, /cli-bucket/);
  });

  test('aws s3api: put/get/head with metadata, ranges, listing, copy, delete-objects, multipart, errors', async () => {
    assert.equal((await s3api('create-bucket', '--bucket', 'api-bucket')).code, 0);
    fs.writeFileSync(path.join(work, 'doc.json'), '{"k":"v"}');
    const put = await s3api('put-object', '--bucket', 'api-bucket', '--key', 'docs/doc.json', '--body', 'doc.json', '--content-type', 'application/json', '--metadata', 'owner=ada,stage=test');
    assert.equal(put.code, 0, put.stderr);
    assert.equal(put.json.ETag, `"${createHash('md5').update('{"k":"v"}').digest('hex')}"`);
    const head = await s3api('head-object', '--bucket', 'api-bucket', '--key', 'docs/doc.json');
    assert.equal(head.json.ContentType, 'application/json');
    assert.deepEqual(head.json.Metadata, { owner: 'ada', stage: 'test' });
    const get = await s3api('get-object', '--bucket', 'api-bucket', '--key', 'docs/doc.json', '--range', 'bytes=1-3', 'part.out');
    assert.equal(get.json.ContentRange, 'bytes 1-3/9');
    assert.equal(fs.readFileSync(path.join(work, 'part.out'), 'utf8'), '"k"');

    const copy = await s3api('copy-object', '--bucket', 'api-bucket', '--key', 'docs/copy.json', '--copy-source', 'api-bucket/docs/doc.json');
    assert.equal(copy.json.CopyObjectResult.ETag, put.json.ETag);
    const list = await s3api('list-objects-v2', '--bucket', 'api-bucket', '--prefix', 'docs/', '--delimiter', '/');
    assert.deepEqual(list.json.Contents.map((c: { Key: string }) => c.Key), ['docs/copy.json', 'docs/doc.json']);

    const create = await s3api('create-multipart-upload', '--bucket', 'api-bucket', '--key', 'mp.bin');
    const uploadId = create.json.UploadId as string;
    fs.writeFileSync(path.join(work, 'p1.bin'), randomBytes(5 * MiB));
    fs.writeFileSync(path.join(work, 'p2.bin'), randomBytes(1000));
    const p1 = await s3api('upload-part', '--bucket', 'api-bucket', '--key', 'mp.bin', '--upload-id', uploadId, '--part-number', '1', '--body', 'p1.bin');
    const p2 = await s3api('upload-part', '--bucket', 'api-bucket', '--key', 'mp.bin', '--upload-id', uploadId, '--part-number', '2', '--body', 'p2.bin');
    const done = await s3api(
      'complete-multipart-upload', '--bucket', 'api-bucket', '--key', 'mp.bin', '--upload-id', uploadId,
      '--multipart-upload', JSON.stringify({ Parts: [{ PartNumber: 1, ETag: p1.json.ETag }, { PartNumber: 2, ETag: p2.json.ETag }] }),
    );
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.json.ETag, /-2"$/);

    const del = await s3api('delete-objects', '--bucket', 'api-bucket', '--delete', JSON.stringify({ Objects: [{ Key: 'docs/doc.json' }, { Key: 'docs/copy.json' }] }));
    assert.equal(del.json.Deleted.length, 2);

    const missing = await s3api('get-object', '--bucket', 'api-bucket', '--key', 'nope', 'nope.out');
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /NoSuchKey/);
    const badName = await s3api('create-bucket', '--bucket', 'Bad_Name');
    assert.match(badName.stderr, /InvalidBucketName/);
    const noBucket = await s3api('list-objects-v2', '--bucket', 'no-such-bucket');
    assert.match(noBucket.stderr, /NoSuchBucket/);
  });
});
