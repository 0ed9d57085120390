import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import yauzl from 'yauzl';
import { GetRoleCommand, IAMClient, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { describeError } from '../src/cli/errors.ts';
import { parseSince } from '../src/cli/durations.ts';
import { zipDirectory } from '../src/cli/zip-dir.ts';
import { startNimbus, type Nimbus } from '../src/main.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'nimbus.js');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'cli');
const CHILD_TIMEOUT_MS = 30_000;

/** Every child the suite starts; the after hooks kill any still running. */
const children = new Set<ChildProcess>();
const tempDirs: string[] = [];

interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A clean environment: no endpoint or credentials leaking in from the developer's shell. */
function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('AWS_') && !k.startsWith('NIMBUS_') && k !== 'NODE_OPTIONS' && k !== 'NODE_TEST_CONTEXT') env[k] = v;
  }
  return { ...env, ...extra };
}

function spawnCli(args: readonly string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cliEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Runs `nimbus <args>` to completion; stdin gets `input` (or is closed at once). */
function runCli(args: readonly string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const child = spawnCli(args, opts.env);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin!.end(opts.input ?? '');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nimbus ${args.join(' ')} did not finish in ${CHILD_TIMEOUT_MS} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, CHILD_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Resolves with everything read so far once `pattern` appears on the stream. */
function waitForOutput(stream: NodeJS.ReadableStream, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  let seen = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer | string) => {
      seen += d.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        stream.off('data', onData);
        resolve(seen);
      }
    };
    const timer = setTimeout(() => {
      stream.off('data', onData);
      reject(new Error(`timed out waiting for ${pattern}; got: ${seen}`));
    }, timeoutMs);
    stream.on('data', onData);
  });
}

function exited(child: ChildProcess, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child did not exit within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function tempDir(prefix: string): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** The hello fixture plus what a real project has beside it: node_modules, .git, an executable. */
async function makeFunctionDir(): Promise<string> {
  const dir = await tempDir('nimbus-cli-fn-');
  await fsp.cp(path.join(FIXTURES, 'hello'), dir, { recursive: true });
  await fsp.mkdir(path.join(dir, 'node_modules', 'greeting'), { recursive: true });
  await fsp.writeFile(path.join(dir, 'node_modules', 'greeting', 'package.json'), '{"name":"greeting","main":"main.js"}\n');
  await fsp.writeFile(path.join(dir, 'node_modules', 'greeting', 'main.js'), "module.exports = (name) => `Hello, ${name}`;\n");
  await fsp.mkdir(path.join(dir, 'node_modules', '.bin'), { recursive: true });
  await fsp.symlink('../greeting/main.js', path.join(dir, 'node_modules', '.bin', 'greeting'));
  await fsp.mkdir(path.join(dir, '.git'), { recursive: true });
  await fsp.writeFile(path.join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  await fsp.mkdir(path.join(dir, '.nimbus'), { recursive: true });
  await fsp.writeFile(path.join(dir, '.nimbus', 'metadata.db'), 'not code');
  await fsp.writeFile(path.join(dir, 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
  return dir;
}

interface ZipEntryInfo {
  readonly name: string;
  readonly mode: number;
  readonly content: string;
}

async function readZip(buf: Buffer): Promise<ZipEntryInfo[]> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(buf, { lazyEntries: true }, (err, z) => (err || !z ? reject(err) : resolve(z))),
  );
  const out: ZipEntryInfo[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (err, stream) => {
        if (err || !stream) return reject(err);
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          out.push({ name: entry.fileName, mode: (entry.externalFileAttributes >>> 16) & 0o177777, content: Buffer.concat(chunks).toString('utf8') });
          zip.readEntry();
        });
      });
    });
    zip.readEntry();
  });
  return out;
}

after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(tempDirs.map((d) => fsp.rm(d, { recursive: true, force: true })));
});

describe('zipDirectory', () => {
  test('is deterministic, sorted, keeps node_modules and executable bits, skips .git and .nimbus', async () => {
    const a = await makeFunctionDir();
    const b = await makeFunctionDir();
    // Different mtimes must not change a byte.
    await fsp.utimes(path.join(b, 'index.js'), new Date('2001-02-03'), new Date('2001-02-03'));
    const zipA = await zipDirectory(a);
    const zipB = await zipDirectory(b);
    assert.ok(zipA.equals(zipB), 'the same tree zips to the same bytes');

    const entries = await readZip(zipA);
    const names = entries.map((e) => e.name);
    assert.deepEqual(names, [
      'index.js',
      'lib/format.js',
      'node_modules/.bin/greeting',
      'node_modules/greeting/main.js',
      'node_modules/greeting/package.json',
      'run.sh',
    ]);
    const byName = new Map(entries.map((e) => [e.name, e]));
    assert.equal(byName.get('run.sh')!.mode, 0o100755);
    assert.equal(byName.get('index.js')!.mode, 0o100644);
    assert.equal(byName.get('node_modules/.bin/greeting')!.mode, 0o120777);
    assert.equal(byName.get('node_modules/.bin/greeting')!.content, '../greeting/main.js');
  });

  test('stores what a symlink leading outside the tree points to', async () => {
    const outside = await tempDir('nimbus-cli-outside-');
    await fsp.writeFile(path.join(outside, 'shared.js'), 'exports.x = 1;\n');
    const dir = await tempDir('nimbus-cli-link-');
    await fsp.writeFile(path.join(dir, 'index.js'), 'exports.handler = async () => 1;\n');
    await fsp.symlink(path.join(outside, 'shared.js'), path.join(dir, 'shared.js'));
    await fsp.symlink('.', path.join(dir, 'loop'));
    const entries = await readZip(await zipDirectory(dir));
    assert.deepEqual(
      entries.map((e) => [e.name, e.mode, e.content]),
      [
        ['index.js', 0o100644, 'exports.handler = async () => 1;\n'],
        ['shared.js', 0o100644, 'exports.x = 1;\n'],
      ],
    );
  });
});

describe('CLI helpers', () => {
  test('--since accepts durations and ISO times', () => {
    const now = Date.UTC(2024, 0, 1, 12);
    assert.equal(parseSince('10m', now), now - 600_000);
    assert.equal(parseSince('1h', now), now - 3_600_000);
    assert.equal(parseSince('2024-01-01T00:00:00Z', now), Date.UTC(2024, 0, 1));
    assert.throws(() => parseSince('yesterday', now), /Invalid --since value: yesterday/);
  });

  test('errors map to one line', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    assert.equal(describeError(refused, { endpoint: 'http://x:1' }), 'Cannot reach the Nimbus server at http://x:1: is `nimbus server` running?');
    const aggregate = Object.assign(new AggregateError([refused], ''), { $metadata: {} });
    assert.match(describeError(aggregate, { endpoint: 'http://x:1' }), /^Cannot reach the Nimbus server/);
    const notFound = Object.assign(new Error('Function not found: arn:aws:lambda:…'), { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
    assert.equal(describeError(notFound, { functionName: 'f' }), 'Function not found: f');
    const other = Object.assign(new Error('Rate Exceeded.'), { name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } });
    assert.equal(describeError(other), 'TooManyRequestsException: Rate Exceeded.');
  });
});

describe('nimbus CLI against a running server', () => {
  let nimbus: Nimbus;
  let endpoint: string;
  let fnDir: string;
  // The CLI signs with the server's root credentials, read from its data dir.
  const at = () => ['--endpoint', endpoint, '--data-dir', nimbus.config.dataDir];

  before(async () => {
    nimbus = await startNimbus({ port: 0, dataDir: await tempDir('nimbus-cli-data-'), logLevel: 'silent' });
    endpoint = nimbus.endpoint;
    fnDir = await makeFunctionDir();
  });

  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await nimbus?.close(1000);
  });

  let firstSha = '';

  test('deploy creates a function from a directory', async () => {
    const r = await runCli(['deploy', fnDir, '--name', 'hello', '--handler', 'index.handler', '--env', 'MOOD=sunny', ...at()]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Created function hello$/m);
    assert.match(r.stdout, /^Created execution role nimbus-default \(arn:aws:iam::123456789012:role\/nimbus-default\)/m);
    assert.match(r.stdout, /^FunctionArn: arn:aws:lambda:us-east-1:123456789012:function:hello$/m);
    assert.match(r.stdout, /^State: Active$/m);
    firstSha = /^CodeSha256: (\S+)$/m.exec(r.stdout)?.[1] ?? '';
    assert.match(firstSha, /^[A-Za-z0-9+/]{43}=$/);
  });

  test('deploy without --role made the execution role nimbus-default (trusting Lambda, basic execution) and used it', async () => {
    const iam = new IAMClient({ endpoint, region: 'us-east-1', credentials: nimbus.root.keys, maxAttempts: 1 });
    try {
      const role = (await iam.send(new GetRoleCommand({ RoleName: 'nimbus-default' }))).Role!;
      assert.match(decodeURIComponent(role.AssumeRolePolicyDocument!), /"Service":"lambda\.amazonaws\.com"/);
      const attached = (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'nimbus-default' }))).AttachedPolicies!;
      assert.deepEqual(attached.map((p) => p.PolicyArn), ['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']);
      const config = JSON.parse((await runCli(['get', 'hello', ...at()])).stdout) as { Role: string };
      assert.equal(config.Role, role.Arn);
    } finally {
      iam.destroy();
    }
    const missing = await runCli(['deploy', fnDir, '--name', 'no-role', '--handler', 'index.handler', '--role', 'arn:aws:iam::123456789012:role/missing', ...at()]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'InvalidParameterValueException: The role defined for the function cannot be assumed by Lambda.\n');
  });

  test('deploy again updates code and configuration (same tree, same CodeSha256)', async () => {
    const r = await runCli(['deploy', fnDir, '--name', 'hello', '--memory', '256', '--timeout', '10', '--description', 'greeter', ...at()]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Updated function hello$/m);
    assert.match(r.stdout, new RegExp(`^CodeSha256: ${firstSha.replace(/[+/]/g, '\\$&')}$`, 'm'));
    const config = await runCli(['get', 'hello', ...at()]);
    const parsed = JSON.parse(config.stdout) as Record<string, unknown>;
    assert.equal(parsed.MemorySize, 256);
    assert.equal(parsed.Timeout, 10);
    assert.equal(parsed.Description, 'greeter');
    assert.deepEqual(parsed.Environment, { Variables: { MOOD: 'sunny' } }, 'variables not given again are kept');
  });

  test('deploy a .zip as is, and an ESM function that throws', async () => {
    const zipPath = path.join(await tempDir('nimbus-cli-zip-'), 'throws.zip');
    await fsp.writeFile(zipPath, await zipDirectory(path.join(FIXTURES, 'throws')));
    const r = await runCli(['deploy', zipPath, '--name', 'throws', '--handler', 'index.handler', ...at()]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Created function throws$/m);
    assert.doesNotMatch(r.stdout, /Created execution role/, 'nimbus-default is created once');
  });

  test('deploy without --handler for a new function, or with a bad value, fails clearly', async () => {
    const [noHandler, badMemory, reservedEnv, missingDir] = await Promise.all([
      runCli(['deploy', fnDir, '--name', 'fresh', ...at()]),
      runCli(['deploy', fnDir, '--name', 'fresh', '--handler', 'index.handler', '--memory', '64', ...at()]),
      runCli(['deploy', fnDir, '--name', 'fresh', '--handler', 'index.handler', '--env', 'AWS_REGION=x', ...at()]),
      runCli(['deploy', path.join(fnDir, 'nope'), '--name', 'fresh', '--handler', 'index.handler', ...at()]),
    ]);
    assert.equal(noHandler.code, 1);
    assert.equal(noHandler.stderr, '--handler is required to create function fresh\n');
    assert.equal(badMemory.code, 1);
    assert.match(badMemory.stderr, /--memory must be a whole number from 128 to 10240/);
    // The server's refusal, as "<Code>: <message>" on one line.
    assert.equal(reservedEnv.code, 1);
    assert.match(reservedEnv.stderr, /^InvalidParameterValueException: .*reserved keys.*AWS_REGION\n$/);
    assert.equal(missingDir.code, 1);
    assert.match(missingDir.stderr, /^No such file or directory: .*nope\n$/);
  });

  test('list prints a table of every function', async () => {
    const r = await runCli(['list', ...at()]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^NAME\s+RUNTIME\s+MEMORY\s+TIMEOUT\s+LAST MODIFIED$/);
    assert.match(r.stdout, /^hello\s+nodejs20\.x\s+256 MB\s+10 s\s+\d{4}-\d{2}-\d{2}T/m);
    assert.match(r.stdout, /^throws\s+nodejs20\.x\s+128 MB\s+3 s\s+/m);
    assert.equal(lines.length, 3);
  });

  test('get prints the configuration as JSON', async () => {
    const r = await runCli(['get', 'hello', ...at()]);
    assert.equal(r.code, 0, r.stderr);
    const config = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(config.FunctionName, 'hello');
    assert.equal(config.Handler, 'index.handler');
    assert.equal(config.Runtime, 'nodejs20.x');
    assert.equal(config.CodeSha256, firstSha);
  });

  test('invoke with --payload prints the result', async () => {
    const r = await runCli(['invoke', 'hello', '--payload', '{"name":"Ada"}', ...at()]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { message: 'Hello, Ada!', mood: 'sunny' });
    assert.equal(r.stderr, '');
  });

  test('invoke reads the payload from stdin, or from --payload-file', async () => {
    const file = path.join(await tempDir('nimbus-cli-payload-'), 'event.json');
    await fsp.writeFile(file, '{"name":"File"}');
    const [fromStdin, fromFile, empty] = await Promise.all([
      runCli(['invoke', 'hello', ...at()], { input: '{"name":"Stdin"}' }),
      runCli(['invoke', 'hello', '--payload-file', file, ...at()]),
      runCli(['invoke', 'hello', ...at()]),
    ]);
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    assert.equal(JSON.parse(fromStdin.stdout).message, 'Hello, Stdin!');
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.equal(JSON.parse(fromFile.stdout).message, 'Hello, File!');
    assert.equal(empty.code, 0, empty.stderr);
    assert.equal(JSON.parse(empty.stdout).message, 'Hello, world!');
  });

  test('invoke --log prints the decoded log tail to stderr', async () => {
    const r = await runCli(['invoke', 'hello', '--log', '--payload', '{"name":"Log"}', ...at()]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).message, 'Hello, Log!');
    assert.match(r.stderr, /^START RequestId: [0-9a-f-]{36} Version: \$LATEST$/m);
    assert.match(r.stderr, /hello event \{"name":"Log"\}/);
    assert.match(r.stderr, /^END RequestId: /m);
    assert.match(r.stderr, /^REPORT RequestId: .*Duration: /m);
  });

  test('invoke exits 1 on a function error and prints the error document', async () => {
    const r = await runCli(['invoke', 'throws', '--payload', '{}', ...at()]);
    assert.equal(r.code, 1);
    const error = JSON.parse(r.stdout) as { errorType: string; errorMessage: string; trace: string[] };
    assert.equal(error.errorType, 'TypeError');
    assert.equal(error.errorMessage, 'kaboom');
    assert.ok(Array.isArray(error.trace));
  });

  test('invoke --async is accepted with 202', async () => {
    const r = await runCli(['invoke', 'hello', '--async', '--payload', '{"name":"Async"}', ...at()]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Accepted: status 202, request id [0-9a-f-]{36}$/m);
  });

  test('invoke refuses a payload that is not JSON before sending it', async () => {
    const r = await runCli(['invoke', 'hello', '--payload', '{nope', ...at()]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^The payload from --payload is not valid JSON: /);
  });

  test('logs prints START/END/REPORT lines of past invocations', async () => {
    const r = await runCli(['logs', 'hello', ...at()]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^START RequestId: [0-9a-f-]{36} Version: \$LATEST$/m);
    assert.match(r.stdout, /^END RequestId: [0-9a-f-]{36}$/m);
    assert.match(r.stdout, /^REPORT RequestId: [0-9a-f-]{36}\tDuration: /m);
    assert.match(r.stdout, /hello event \{"name":"Ada"\}/);

    const withStreams = await runCli(['logs', 'hello', '--streams', '--since', '1h', ...at()]);
    assert.equal(withStreams.code, 0, withStreams.stderr);
    for (const line of withStreams.stdout.trimEnd().split('\n')) {
      assert.match(line, /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32} /);
    }

    const future = await runCli(['logs', 'hello', '--since', new Date(Date.now() + 3_600_000).toISOString(), ...at()]);
    assert.equal(future.code, 0, future.stderr);
    assert.equal(future.stdout, '');
  });

  test('logs --follow prints new events once each, and stops on SIGINT', async () => {
    const child = spawnCli(['logs', 'hello', '--follow', ...at()]);
    child.stdin!.end();
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    await waitForOutput(child.stdout!, /REPORT RequestId/);
    const invoked = await runCli(['invoke', 'hello', '--payload', '{"name":"Followed"}', ...at()]);
    assert.equal(invoked.code, 0, invoked.stderr);
    await waitForOutput(child.stdout!, /hello event \{"name":"Followed"\}[\s\S]*REPORT RequestId/);
    // Another poll or two must not repeat anything.
    await new Promise((r) => setTimeout(r, 2500));
    child.kill('SIGINT');
    assert.deepEqual(await exited(child, 5000), { code: 0, signal: null });
    assert.equal(stdout.match(/hello event \{"name":"Followed"\}/g)?.length, 1);
    const starts = stdout.match(/^START RequestId: (\S+)/gm) ?? [];
    assert.equal(new Set(starts).size, starts.length, 'no event printed twice');
  });

  test('logs of a function never invoked, and of an unknown one', async () => {
    const deployed = await runCli(['deploy', fnDir, '--name', 'quiet', '--handler', 'index.handler', ...at()]);
    assert.equal(deployed.code, 0, deployed.stderr);
    const [quiet, unknown] = await Promise.all([runCli(['logs', 'quiet', ...at()]), runCli(['logs', 'ghost', ...at()])]);
    assert.equal(quiet.code, 0);
    assert.equal(quiet.stderr, 'No logs yet for function quiet\n');
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'Function not found: ghost\n');
  });

  test('a wrong name gives one clear line and exit code 1', async () => {
    const results = await Promise.all([
      runCli(['invoke', 'ghost', '--payload', '{}', ...at()]),
      runCli(['get', 'ghost', ...at()]),
      runCli(['delete', 'ghost', ...at()]),
    ]);
    for (const r of results) {
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'Function not found: ghost\n');
      assert.equal(r.stdout, '');
    }
  });

  test('delete removes a function', async () => {
    const r = await runCli(['delete', 'quiet', ...at()]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Deleted function quiet\n');
    const gone = await runCli(['get', 'quiet', ...at()]);
    assert.equal(gone.code, 1);
    assert.equal(gone.stderr, 'Function not found: quiet\n');
  });

  test('NIMBUS_ENDPOINT is used when --endpoint is not given', async () => {
    const r = await runCli(['list'], { env: { NIMBUS_ENDPOINT: endpoint, NIMBUS_DATA_DIR: nimbus.config.dataDir } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^hello\s/m);
  });
});

describe('nimbus CLI without a server', () => {
  test('says the server cannot be reached, without a stack trace', async () => {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    // Credentials from the environment: nothing is read from a data dir.
    const keys = { AWS_ACCESS_KEY_ID: 'AKIDNOSERVER', AWS_SECRET_ACCESS_KEY: 'secret' };
    const [list, invoke] = await Promise.all([
      runCli(['list', '--endpoint', endpoint], { env: keys }),
      runCli(['invoke', 'hello', '--payload', '{}'], { env: { NIMBUS_ENDPOINT: endpoint, ...keys } }),
    ]);
    for (const r of [list, invoke]) {
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `Cannot reach the Nimbus server at ${endpoint}: is \`nimbus server\` running?\n`);
    }
  });
});

describe('nimbus server', () => {
  test('prints its start-up line, serves, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const dataDir = path.join(await tempDir('nimbus-cli-server-'), 'data');
    const child = spawnCli(['server', '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn']);
    child.stdin!.end();
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const endpoint = `http://127.0.0.1:${port}`;
    const lines = await waitForOutput(child.stdout!, /nimbus CLI reads them[^\n]*\n/);
    const creds = fs.readFileSync(path.join(dataDir, 'credentials'), 'utf8');
    const id = /aws_access_key_id = (AKIA[A-Z2-7]{16})/.exec(creds)?.[1];
    const secret = /aws_secret_access_key = ([A-Za-z0-9+/]{40})/.exec(creds)?.[1];
    assert.ok(id && secret, creds);
    assert.equal(
      lines,
      `Nimbus listening on ${endpoint} (data: ${dataDir}). Try: aws --endpoint-url ${endpoint} lambda list-functions\n` +
        `Every request is verified with SigV4 against the root credentials in ${dataDir}/credentials (or IAM's keys). For the AWS CLI and SDKs:\n` +
        `  export AWS_ACCESS_KEY_ID=${id} AWS_SECRET_ACCESS_KEY=${secret} AWS_DEFAULT_REGION=us-east-1\n` +
        `  (or: export AWS_SHARED_CREDENTIALS_FILE=${dataDir}/credentials); the nimbus CLI reads them from the data dir itself.\n`,
    );
    assert.ok(fs.existsSync(path.join(dataDir, 'metadata.db')));

    const list = await runCli(['list', '--endpoint', endpoint, '--data-dir', dataDir]);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.stdout, 'No functions.\n');

    const started = Date.now();
    child.kill('SIGTERM');
    assert.deepEqual(await exited(child, 5000), { code: 0, signal: null }, stderr);
    assert.ok(Date.now() - started < 5000);
  });

  test('refuses an invalid configuration with exit code 2', async () => {
    const dataDir = await tempDir('nimbus-cli-badconfig-');
    const [badPort, badAccount, badPool] = await Promise.all([
      runCli(['server', '--port', '70000', '--data-dir', dataDir]),
      runCli(['server', '--port', '0', '--account-id', '42', '--data-dir', dataDir]),
      runCli(['server', '--port', '0', '--runtime-pool', '65', '--data-dir', dataDir]),
    ]);
    assert.equal(badPort.code, 2);
    assert.match(badPort.stderr, /^Invalid configuration: --port: .*65535\n$/);
    assert.equal(badAccount.code, 2);
    assert.equal(badAccount.stderr, 'Invalid configuration: --account-id: account id must be 12 digits\n');
    assert.equal(badPool.code, 2);
    assert.match(badPool.stderr, /^Invalid configuration: --runtime-pool: .*64\n$/);
  });

  test('says so when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = blocker.address() as net.AddressInfo;
      const r = await runCli(['server', '--port', String(port), '--data-dir', await tempDir('nimbus-cli-busy-')]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`Cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use`));
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
