/**
 * Authentication, end to end: every API refuses unsigned, mis-signed, tampered, unknown-key
 * and skewed requests in its own wire shape; presigned S3 URLs work and expire; streamed
 * (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) uploads verify each chunk; temporary credentials need
 * their token and expire; the root credentials file is created once (0600) and reused; auth
 * off accepts anything and says so.
 */
import { spawn } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import { startNimbus } from '../src/main.ts';
import { aws, awsCliSkipReason } from './helpers/aws-cli.ts';
import { freePort } from './helpers/process.ts';
import { rawRequest, s3Client, type RawResponse } from './helpers/s3.ts';
import { startTestServer, TEST_CREDENTIALS, type TestServer } from './helpers/server.ts';
import { ensureExecutionRole } from './helpers/iam.ts';
import { Sha256, signHeaders, type SignOptions } from './helpers/sign.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/nimbus.js');
const MIN = 60_000;
const WRONG_SECRET = { ...TEST_CREDENTIALS, secretAccessKey: 'not-the-secret' };
const UNKNOWN_KEY = { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'whatever' };
const BUCKET = 'auth-bucket';

let server: TestServer;
before(async () => {
  server = await startTestServer();
  const s3 = s3Client(server.endpoint);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'hello.txt', Body: 'hello' }));
  s3.destroy();
});
after(() => server.close());

/** The wire code of a refusal, wherever the protocol puts it. */
function codeOf(res: RawResponse): string | undefined {
  const header = res.headers['x-amzn-errortype'];
  if (typeof header === 'string') return header.split(':')[0];
  if (res.text.startsWith('{')) return (JSON.parse(res.text) as { __type?: string }).__type;
  return /<Code>([^<]+)<\/Code>/.exec(res.text)?.[1];
}

interface Api {
  readonly name: string;
  /** A call that changes nothing, and one with a body to tamper with. */
  readonly call: { method: string; path: string; headers?: Record<string, string>; body?: string };
  readonly withBody: { method: string; path: string; headers?: Record<string, string>; body: string; tampered: string };
  readonly status: number;
  readonly codes: { unsigned: string; signature: string; unknown: string; skew: string; tampered: string; tamperedStatus: number };
}

const json = (target: string) => ({ 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target });
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const JSON_CODES = { unsigned: 'MissingAuthenticationTokenException', signature: 'InvalidSignatureException', unknown: 'UnrecognizedClientException', skew: 'InvalidSignatureException', tampered: 'InvalidSignatureException' };

const APIS: Api[] = [
  {
    name: 'Lambda (rest-json)',
    call: { method: 'GET', path: '/2015-03-31/functions/' },
    withBody: { method: 'POST', path: '/2015-03-31/functions/nope/invocations', body: '{"a":1}', tampered: '{"a":2}' },
    status: 403,
    codes: { ...JSON_CODES, tamperedStatus: 403 },
  },
  {
    name: 'CloudWatch Logs (JSON 1.1)',
    call: { method: 'POST', path: '/', headers: json('Logs_20140328.DescribeLogGroups'), body: '{}' },
    withBody: { method: 'POST', path: '/', headers: json('Logs_20140328.DescribeLogGroups'), body: '{"limit":1}', tampered: '{"limit":2}' },
    status: 400,
    codes: { ...JSON_CODES, tamperedStatus: 400 },
  },
  {
    name: 'Secrets Manager (JSON 1.1)',
    call: { method: 'POST', path: '/', headers: json('secretsmanager.ListSecrets'), body: '{}' },
    withBody: { method: 'POST', path: '/', headers: json('secretsmanager.CreateSecret'), body: '{"Name":"a","SecretString":"b"}', tampered: '{"Name":"a","SecretString":"c"}' },
    status: 400,
    codes: { ...JSON_CODES, tamperedStatus: 400 },
  },
  {
    name: 'S3 (rest-xml)',
    call: { method: 'GET', path: `/${BUCKET}?list-type=2` },
    withBody: { method: 'PUT', path: `/${BUCKET}/tampered.txt`, headers: { 'x-amz-content-sha256': sha('original') }, body: 'original', tampered: 'tampered' },
    status: 403,
    codes: { unsigned: 'AccessDenied', signature: 'SignatureDoesNotMatch', unknown: 'InvalidAccessKeyId', skew: 'RequestTimeTooSkewed', tampered: 'XAmzContentSHA256Mismatch', tamperedStatus: 400 },
  },
];

const send = (call: Api['call'], sign: false | SignOptions) => rawRequest(server.endpoint, { ...call, sign });

for (const api of APIS) {
  describe(`${api.name} refuses what it cannot verify`, () => {
    test('a correctly signed call is served', async () => {
      const res = await send(api.call, {});
      assert.equal(res.status, 200, res.text);
    });

    test('unsigned, wrong secret, unknown key', async () => {
      const cases: Array<[false | SignOptions, string, number]> = [
        [false, api.codes.unsigned, api.status],
        [{ credentials: WRONG_SECRET }, api.codes.signature, api.status],
        [{ credentials: UNKNOWN_KEY }, api.codes.unknown, api.status],
      ];
      for (const [sign, code, status] of cases) {
        const res = await send(api.call, sign);
        assert.equal(codeOf(res), code, res.text);
        assert.equal(res.status, status, res.text);
      }
    });

    test('replayed 20 minutes late, or dated 20 minutes ahead', async () => {
      for (const offset of [-20 * MIN, 20 * MIN]) {
        const res = await send(api.call, { date: new Date(Date.now() + offset) });
        assert.equal(codeOf(res), api.codes.skew, res.text);
        assert.equal(res.status, api.status);
        if (api.codes.skew === 'InvalidSignatureException') {
          const message = JSON.parse(res.text).message ?? JSON.parse(res.text).Message;
          assert.match(message, offset < 0 ? /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/ : /^Signature not yet current: /);
        } else {
          assert.match(res.text, /<MaxAllowedSkewMilliseconds>900000<\/MaxAllowedSkewMilliseconds>/);
        }
      }
    });

    test('a body changed after signing', async () => {
      const { tampered, ...call } = api.withBody;
      const headers = await signHeaders(server.endpoint, call);
      const res = await rawRequest(server.endpoint, { ...call, headers, body: tampered, sign: false });
      assert.equal(codeOf(res), api.codes.tampered, res.text);
      assert.equal(res.status, api.codes.tamperedStatus);
    });
  });
}

test('IAM (query) refuses a wrong secret and an unknown key in its own shape', async () => {
  const call = { method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: 'Action=ListUsers&Version=2010-05-08' };
  const ok = await rawRequest(server.endpoint, { ...call, sign: { service: 'iam' } });
  assert.equal(ok.status, 200, ok.text);
  const wrong = await rawRequest(server.endpoint, { ...call, sign: { service: 'iam', credentials: WRONG_SECRET } });
  assert.equal(wrong.status, 403);
  assert.match(wrong.text, /<Code>SignatureDoesNotMatch<\/Code>/);
  const unknown = await rawRequest(server.endpoint, { ...call, sign: { service: 'iam', credentials: UNKNOWN_KEY } });
  assert.equal(unknown.status, 403);
  assert.match(unknown.text, /<Code>InvalidClientTokenId<\/Code>/);
});

test('a JSON request whose X-Amz-Target was not signed is refused (it could name another action)', async () => {
  const call = { method: 'POST', path: '/', headers: { 'content-type': 'application/x-amz-json-1.1' }, body: '{}' };
  const headers = await signHeaders(server.endpoint, call, { service: 'secretsmanager' });
  const res = await rawRequest(server.endpoint, { ...call, headers: { ...headers, 'x-amz-target': 'secretsmanager.ListSecrets' }, sign: false });
  assert.equal(res.status, 400, res.text);
  assert.equal(JSON.parse(res.text).__type, 'IncompleteSignatureException');
  assert.match(JSON.parse(res.text).message, /headers present in the request which were not signed: x-amz-target/);
});

test('the /_nimbus/events paths need a signature too; the code download links keep their own', async () => {
  const unsigned = await fetch(`${server.endpoint}/_nimbus/events/nope/failed`);
  assert.equal(unsigned.status, 403);
  assert.equal(unsigned.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
  const signed = await rawRequest(server.endpoint, { method: 'GET', path: '/_nimbus/events/nope/failed' });
  assert.equal(codeOf(signed), 'ResourceNotFoundException');
});

describe('presigned S3 URLs', () => {
  async function presign(key: string, expiresIn: number, signedAt = new Date(), method = 'GET'): Promise<string> {
    const url = new URL(server.endpoint);
    const signer = new SignatureV4({ credentials: TEST_CREDENTIALS, region: 'us-east-1', service: 's3', sha256: Sha256, uriEscapePath: false });
    // As the SDK's presigner: the payload is UNSIGNED-PAYLOAD, and only host is signed.
    const req = await signer.presign(
      { method, protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: `/${BUCKET}/${key}`, query: {}, headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } } as never,
      { expiresIn, signingDate: signedAt, unsignableHeaders: new Set(['x-amz-content-sha256']), unhoistableHeaders: new Set(['x-amz-content-sha256']) },
    );
    const query = new URLSearchParams(req.query as Record<string, string>).toString().replaceAll('+', '%20');
    return `${server.endpoint}/${BUCKET}/${key}?${query}`;
  }

  test('a presigned GET works without any header, until it expires', async () => {
    const res = await fetch(await presign('hello.txt', 60));
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'hello');

    const expired = await fetch(await presign('hello.txt', 60, new Date(Date.now() - 2 * MIN)));
    assert.equal(expired.status, 403);
    const text = await expired.text();
    assert.match(text, /<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/);
  });

  test('another key, a week and a second, or no signature at all are refused', async () => {
    const url = await presign('hello.txt', 60);
    const other = await fetch(url.replace('/hello.txt?', '/other.txt?'));
    assert.equal(other.status, 403);
    assert.match(await other.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
    const tooLong = await fetch(url.replace('X-Amz-Expires=60', 'X-Amz-Expires=604801'));
    assert.equal(tooLong.status, 400);
    assert.match(await tooLong.text(), /<Code>AuthorizationQueryParametersError<\/Code><Message>X-Amz-Expires must be less than a week \(in seconds\) that is 604800<\/Message>/);
    const unsigned = await fetch(`${server.endpoint}/${BUCKET}/hello.txt`);
    assert.equal(unsigned.status, 403);
  });

  test('headers the signature does not cover are refused: a presigned PUT cannot become a copy', async () => {
    const url = await presign('upload.txt', 60, new Date(), 'PUT');
    const copy = await fetch(url, { method: 'PUT', headers: { 'x-amz-copy-source': `/${BUCKET}/hello.txt` }, body: '' });
    assert.equal(copy.status, 403);
    const text = await copy.text();
    assert.match(text, /<Code>AccessDenied<\/Code><Message>There were headers present in the request which were not signed<\/Message>/);
    assert.match(text, /<HeadersNotSigned>x-amz-copy-source<\/HeadersNotSigned>/);
    const put = await fetch(url, { method: 'PUT', body: 'uploaded' });
    assert.equal(put.status, 200, 'the same URL with only what was signed works');
  });

  test('the AWS CLI presigns a URL that works', { skip: awsCliSkipReason() }, async () => {
    const out = await aws(server.endpoint, ['s3', 'presign', `s3://${BUCKET}/hello.txt`, '--expires-in', '604800']);
    assert.equal(out.code, 0, out.stderr);
    const res = await fetch(out.stdout.trim());
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'hello');
  });
});

describe('streamed uploads: STREAMING-AWS4-HMAC-SHA256-PAYLOAD', () => {
  /** A signed aws-chunked PUT built as the spec describes: seed signature, then one signature per chunk. */
  async function streamingPut(key: string, data: Buffer, chunkSize: number, tamper?: (body: Buffer) => void): Promise<RawResponse> {
    const url = new URL(server.endpoint);
    const date = new Date();
    const longDate = date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
    const scope = `${longDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
    const chunks: Buffer[] = [];
    for (let i = 0; i < data.length; i += chunkSize) chunks.push(data.subarray(i, i + chunkSize));
    chunks.push(Buffer.alloc(0));
    const frameLength = (n: number) => n.toString(16).length + ';chunk-signature='.length + 64 + 2 + n + 2;
    const contentLength = chunks.reduce((sum, c) => sum + frameLength(c.length), 0);
    const headers = {
      host: url.host,
      'content-encoding': 'aws-chunked',
      'content-length': String(contentLength),
      'x-amz-decoded-content-length': String(data.length),
      'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
    };
    const signer = new SignatureV4({ credentials: TEST_CREDENTIALS, region: 'us-east-1', service: 's3', sha256: Sha256, uriEscapePath: false });
    const signed = (await signer.sign({ method: 'PUT', protocol: 'http:', hostname: url.hostname, path: `/${BUCKET}/${key}`, query: {}, headers } as never, { signingDate: date })) as unknown as { headers: Record<string, string> };
    let previous = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization!)![1]!;
    let signingKey: Buffer | string = `AWS4${TEST_CREDENTIALS.secretAccessKey}`;
    for (const part of scope.split('/')) signingKey = createHmac('sha256', signingKey).update(part).digest();
    const frames: Buffer[] = [];
    for (const chunk of chunks) {
      const toSign = ['AWS4-HMAC-SHA256-PAYLOAD', longDate, scope, previous, sha(''), createHash('sha256').update(chunk).digest('hex')].join('\n');
      previous = createHmac('sha256', signingKey).update(toSign).digest('hex');
      frames.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${previous}\r\n`), chunk, Buffer.from('\r\n'));
    }
    const body = Buffer.concat(frames);
    assert.equal(body.length, contentLength);
    tamper?.(body);
    const { host: _host, ...send } = signed.headers;
    return rawRequest(server.endpoint, { method: 'PUT', path: `/${BUCKET}/${key}`, headers: send, body, sign: false });
  }

  const data = Buffer.from(Array.from({ length: 150_000 }, (_, i) => i % 251));

  test('each chunk verifies and the object is stored decoded', async () => {
    const res = await streamingPut('streamed.bin', data, 64 * 1024);
    assert.equal(res.status, 200, res.text);
    const s3 = s3Client(server.endpoint);
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'streamed.bin' }));
    assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), data);
    s3.destroy();
  });

  test('a byte changed in the second chunk is SignatureDoesNotMatch, and nothing is stored', async () => {
    const res = await streamingPut('tampered.bin', data, 64 * 1024, (body) => {
      body[64 * 1024 + 200]! ^= 0xff;
    });
    assert.equal(res.status, 403, res.text);
    assert.equal(codeOf(res), 'SignatureDoesNotMatch');
    const s3 = s3Client(server.endpoint);
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'tampered.bin' })), (e: any) => e.$metadata.httpStatusCode === 404);
    s3.destroy();
  });
});

describe('temporary credentials', () => {
  // Sessions of a role whose policies let them call (authorization is not what this suite tests).
  // A session belongs to the role's unique id (AROA…), as on AWS.
  let roleId = '';
  before(async () => {
    await ensureExecutionRole(server.endpoint, 'auth-test');
    const iam = new IAMClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    roleId = (await iam.send(new GetRoleCommand({ RoleName: 'auth-test' }))).Role!.RoleId!;
    iam.destroy();
  });
  const issue = (durationSeconds: number) =>
    server.nimbus.sessions.issue({ roleArn: 'arn:aws:iam::123456789012:role/auth-test', roleId, sessionName: 'auth-test', durationSeconds });
  const list = (credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) => {
    const client = new LambdaClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    return client.send(new ListFunctionsCommand({})).finally(() => client.destroy());
  };

  test('work with their token, not without it or with another', async () => {
    const session = issue(900);
    assert.match(session.accessKeyId, /^ASIA/);
    assert.equal((await list(session)).$metadata.httpStatusCode, 200);
    for (const creds of [{ accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey }, { ...session, sessionToken: 'forged' }]) {
      await assert.rejects(list(creds), (e: any) => e.name === 'UnrecognizedClientException' && e.$metadata.httpStatusCode === 403 && e.message === 'The security token included in the request is invalid.');
    }
  });

  test('stop at their expiry: ExpiredTokenException, S3 ExpiredToken', async () => {
    const session = issue(1);
    await new Promise((r) => setTimeout(r, Math.max(0, session.expiresAt - Date.now()) + 50));
    await assert.rejects(list(session), (e: any) => e.name === 'ExpiredTokenException' && e.message === 'The security token included in the request is expired');
    const s3 = s3Client(server.endpoint, { credentials: session });
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'hello.txt' })), (e: any) => e.name === 'ExpiredToken' && e.$metadata.httpStatusCode === 400);
    s3.destroy();
  });
});

describe('root credentials', () => {
  test('created on first start with mode 0600, reused after, and what the nimbus CLI signs with', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-root-'));
    const first = await startNimbus({ port: 0, dataDir: dir, logLevel: 'silent' });
    const file = path.join(dir, 'credentials');
    const keys = first.root.keys;
    await first.close(1000);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.match(keys.accessKeyId, /^AKIA[A-Z2-7]{16}$/);
    assert.match(keys.secretAccessKey, /^[A-Za-z0-9+/]{40}$/);
    assert.match(fs.readFileSync(file, 'utf8'), new RegExp(`\\[default\\]\\naws_access_key_id = ${keys.accessKeyId}\\naws_secret_access_key = ${keys.secretAccessKey.replace(/[+/]/g, '\\$&')}\\n`));

    const second = await startNimbus({ port: 0, dataDir: dir, logLevel: 'silent' });
    try {
      assert.deepEqual(second.root.keys, keys, 'the same keys after a restart');
      assert.equal((await list(second.endpoint, keys)).$metadata.httpStatusCode, 200);
      const cli = await runCli(['list', '--endpoint', second.endpoint, '--data-dir', dir]);
      assert.equal(cli.code, 0, cli.stderr);
      assert.equal(cli.stdout, 'No functions.\n');
      const none = await runCli(['list', '--endpoint', second.endpoint, '--data-dir', path.join(dir, 'nowhere')]);
      assert.equal(none.code, 1);
      assert.match(none.stderr, /^No credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or point --data-dir/);
    } finally {
      await second.close(1000);
    }
  });
});

describe('--auth off', () => {
  test('accepts unsigned requests and says so loudly at start-up', async () => {
    const port = await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-authoff-'));
    const child = spawn(process.execPath, [BIN, 'server', '--auth', 'off', '--port', String(port), '--data-dir', dir, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() });
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise((r) => child.once('exit', r));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start-up line: ${stdout} ${stderr}`)), 20_000);
        child.stdout!.on('data', (d: Buffer) => {
          stdout += d.toString();
          if (stdout.includes('\n')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      assert.match(stdout, /^Nimbus listening on http:\/\/127\.0\.0\.1:\d+ \(data: .*\) WITH AUTHENTICATION OFF: every request acts as root, signed or not\./);
      assert.match(stderr, /"level":40.*AUTHENTICATION IS OFF \(--auth off\)/);
      // Every line the server logged at start-up carries it.
      const lines = stderr.split('\n').filter((l) => l.startsWith('{'));
      assert.ok(lines.length >= 1);
      for (const line of lines) assert.equal(JSON.parse(line).auth, 'OFF', line);
      const res = await fetch(`http://127.0.0.1:${port}/2015-03-31/functions/`);
      assert.equal(res.status, 200);
      const s3 = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(s3.status, 200);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });

  test('NIMBUS_AUTH=off does the same; anything else is a configuration error', async () => {
    const { configInput } = await import('../src/cli/commands/server.ts');
    assert.equal(configInput({}, { NIMBUS_AUTH: 'off' }).auth, 'off');
    assert.equal(configInput({ auth: 'on' }, { NIMBUS_AUTH: 'off' }).auth, 'on');
    const bad = await runCli(['server', '--auth', 'maybe', '--port', '0', '--data-dir', fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-authbad-'))]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--auth/);
  });
});

async function list(endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string }) {
  const client = new LambdaClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  try {
    return await client.send(new ListFunctionsCommand({}));
  } finally {
    client.destroy();
  }
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_') && !k.startsWith('NIMBUS_') && k !== 'NODE_OPTIONS' && k !== 'NODE_TEST_CONTEXT') env[k] = v;
  return env;
}

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
