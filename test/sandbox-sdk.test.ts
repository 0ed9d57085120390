/**
 * The AWS SDK for JavaScript v3 in the Node.js runtime, as on AWS's nodejs18.x+: functions
 * require and import @aws-sdk/client-* without bundling them and call back into Nimbus
 * (AWS_ENDPOINT_URL); a function's own copy (node_modules, or a layer's) wins; the server's
 * other packages stay out of reach. Under bubblewrap and as plain processes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { CreateFunctionCommand, InvokeCommand, LambdaClient, PublishLayerVersionCommand, type CreateFunctionCommandInput } from '@aws-sdk/client-lambda';
import { startNimbus, type Nimbus } from '../src/main.ts';
import { closeSandboxHost, detectSandboxHost } from '../src/sandbox/index.ts';
import { PROJECT_ROOT, RUNTIME_SDK_CLIENTS } from '../src/sandbox/runtime-modules.ts';
import { skipUnless } from '../src/sandbox/test-helpers.ts';
import { s3Client } from './helpers/s3.ts';
import { TEST_CREDENTIALS, writeTestCredentials } from './helpers/server.ts';
import { ensureStandardRoles } from './helpers/iam.ts';
import { zipFiles, type FileMap } from './helpers/zip.ts';

const ROLE = 'arn:aws:iam::123456789012:role/r';
const probeHost = detectSandboxHost({ scratchDir: fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-probe-')) });
closeSandboxHost(probeHost);
const skipBwrap = skipUnless(probeHost.bwrap !== null, `bubblewrap is not usable here (${probeHost.problems.join('; ') || 'bwrap not found'})`);

/** A stand-in for @aws-sdk/client-s3 that says where it was loaded from. */
const fakeS3 = (marker: string, root: string): FileMap => ({
  [`${root}/@aws-sdk/client-s3/package.json`]: JSON.stringify({
    name: '@aws-sdk/client-s3',
    version: '0.0.0-fake',
    exports: { import: './index.mjs', require: './index.js' },
  }),
  [`${root}/@aws-sdk/client-s3/index.js`]: `exports.marker = ${JSON.stringify(`${marker}-cjs`)};`,
  [`${root}/@aws-sdk/client-s3/index.mjs`]: `export const marker = ${JSON.stringify(`${marker}-esm`)};`,
});

const S3_CJS = `
const { S3Client, CreateBucketCommand, ListBucketsCommand } = require('@aws-sdk/client-s3');
const s3 = new S3Client({ forcePathStyle: true });
exports.handler = async (event) => {
  await s3.send(new CreateBucketCommand({ Bucket: event.bucket }));
  const out = await s3.send(new ListBucketsCommand({}));
  // Read from the mount table, never tried: without bubblewrap the SDK's files are hard links into the server's node_modules.
  const mounts = require('fs').existsSync('/proc/self/mountinfo') ? require('fs').readFileSync('/proc/self/mountinfo', 'utf8').split('\\n').map((l) => l.split(' ')) : [];
  const mountOptions = (dir) => mounts.filter((f) => f[4] === dir).map((f) => f[5]).at(-1) ?? null;
  return {
    names: out.Buckets.map((b) => b.Name),
    resolved: require.resolve('@aws-sdk/client-s3'),
    caCerts: process.env.NODE_EXTRA_CA_CERTS ?? null,
    mounts: ['/var/runtime', '/var/runtime/node_modules'].map((dir) => (mountOptions(dir) ?? '').split(',')[0]),
  };
};`;

const S3_ESM = `
import { S3Client, CreateBucketCommand, ListBucketsCommand } from '@aws-sdk/client-s3';
const s3 = new S3Client({ forcePathStyle: true });
export const handler = async (event) => {
  await s3.send(new CreateBucketCommand({ Bucket: event.bucket }));
  const out = await s3.send(new ListBucketsCommand({}));
  return { names: out.Buckets.map((b) => b.Name), resolved: import.meta.resolve('@aws-sdk/client-s3') };
};`;

const LAMBDA_CJS = `
const { LambdaClient, ListFunctionsCommand } = require('@aws-sdk/client-lambda');
exports.handler = async () => {
  const out = await new LambdaClient({}).send(new ListFunctionsCommand({}));
  return out.Functions.map((f) => f.FunctionName);
};`;

const LAMBDA_ESM = `
import { LambdaClient, GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
export const handler = async () => {
  const out = await new LambdaClient({}).send(new GetFunctionConfigurationCommand({ FunctionName: process.env.AWS_LAMBDA_FUNCTION_NAME }));
  return { name: out.FunctionName, logs: typeof CloudWatchLogsClient };
};`;

/** Handlers that load both the function's (or a layer's) client-s3 and the runtime's client-lambda. */
const MIXED: FileMap = {
  'cjs.js': `exports.handler = async () => ({ s3: require('@aws-sdk/client-s3').marker, lambda: typeof require('@aws-sdk/client-lambda').LambdaClient });`,
  'esm.mjs': `import { marker } from '@aws-sdk/client-s3';
    import { LambdaClient } from '@aws-sdk/client-lambda';
    export const handler = async () => ({ s3: marker, lambda: typeof LambdaClient });`,
};

for (const mode of ['bubblewrap', 'plain processes'] as const) {
  const bwrap = mode === 'bubblewrap';
  describe(`the AWS SDK in Node.js functions (${mode})`, { skip: bwrap ? skipBwrap : false }, () => {
    let nimbus: Nimbus;
    let lambda: LambdaClient;
    let dataDir: string;
    const savedCaCerts = process.env.NODE_EXTRA_CA_CERTS;

    const deploy = async (name: string, files: FileMap, over: Partial<CreateFunctionCommandInput> = {}) =>
      lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await zipFiles(files) }, Timeout: 30, ...over }));
    const invoke = async (name: string, event: unknown = {}) => {
      const out = await lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(event)), LogType: 'Tail' }));
      return { error: out.FunctionError, body: JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8')), log: Buffer.from(out.LogResult ?? '', 'base64').toString('utf8') };
    };
    const ok = async (name: string, event: unknown = {}) => {
      const out = await invoke(name, event);
      assert.equal(out.error, undefined, `${JSON.stringify(out.body)}\n${out.log}`);
      return out.body;
    };

    before(async () => {
      // Set on the server's own process: it must not reach the sandboxes.
      process.env.NODE_EXTRA_CA_CERTS = '/etc/ssl/certs/ca-certificates.crt';
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-sdk-'));
      writeTestCredentials(dataDir);
      nimbus = await startNimbus({ port: 0, dataDir, logLevel: 'silent' }, { sandbox: { bwrap, cgroup: false } });
      await ensureStandardRoles(nimbus.endpoint);
      lambda = new LambdaClient({ endpoint: nimbus.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    });
    after(async () => {
      if (savedCaCerts === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
      else process.env.NODE_EXTRA_CA_CERTS = savedCaCerts;
      lambda?.destroy();
      await nimbus?.close(1000);
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    test('a CommonJS handler requires @aws-sdk/client-s3 and creates and lists buckets through Nimbus', async () => {
      await deploy('s3-cjs', { 'index.js': S3_CJS });
      const body = await ok('s3-cjs', { bucket: 'from-cjs' });
      assert.ok(body.names.includes('from-cjs'), JSON.stringify(body));
      if (bwrap) assert.equal(body.resolved, '/var/runtime/node_modules/@aws-sdk/client-s3/dist-cjs/index.js');
      else assert.match(body.resolved, /\/node_modules\/@aws-sdk\/client-s3\/dist-cjs\/index\.js$/);
      assert.ok(!body.resolved.startsWith(path.join(PROJECT_ROOT, 'node_modules', '@aws-sdk')), 'not the server\'s own copy');
      assert.equal(body.caCerts, null, 'NODE_EXTRA_CA_CERTS stays out');
      if (bwrap) assert.deepEqual(body.mounts, ['ro', 'ro'], 'the runtime and the SDK are read-only mounts');
      const s3 = s3Client(nimbus.endpoint);
      const listed = await s3.send(new ListBucketsCommand({}));
      s3.destroy();
      assert.ok(listed.Buckets?.some((b) => b.Name === 'from-cjs'), 'the bucket exists on the server');
    });

    test('an ESM handler imports @aws-sdk/client-s3', async () => {
      await deploy('s3-esm', { 'index.mjs': S3_ESM });
      const body = await ok('s3-esm', { bucket: 'from-esm' });
      assert.ok(body.names.includes('from-esm'), JSON.stringify(body));
      // The package's exports send the node condition to dist-cjs, import or require.
      if (bwrap) assert.equal(body.resolved, 'file:///var/runtime/node_modules/@aws-sdk/client-s3/dist-cjs/index.js');
      else assert.match(body.resolved, /\/node_modules\/@aws-sdk\/client-s3\/dist-cjs\/index\.js$/);
    });

    test('@aws-sdk/client-lambda and client-cloudwatch-logs, from CommonJS and ESM', async () => {
      await deploy('lambda-cjs', { 'index.js': LAMBDA_CJS });
      assert.ok((await ok('lambda-cjs')).includes('lambda-cjs'));
      await deploy('lambda-esm', { 'index.mjs': LAMBDA_ESM });
      assert.deepEqual(await ok('lambda-esm'), { name: 'lambda-esm', logs: 'function' });
    });

    test('the client of every service Nimbus serves is there, and reaches its service (STS as the role)', async () => {
      await deploy('every-client', {
        'index.js': `
const names = ${JSON.stringify(RUNTIME_SDK_CLIENTS)};
const { STSClient, GetCallerIdentityCommand } = require('@aws-sdk/client-sts');
exports.handler = async () => ({
  loaded: names.filter((n) => Object.keys(require(n)).some((k) => k.endsWith('Client') && k !== 'Client')),
  caller: (await new STSClient({}).send(new GetCallerIdentityCommand({}))).Arn,
});`,
      });
      const body = await ok('every-client');
      assert.deepEqual(body.loaded, [...RUNTIME_SDK_CLIENTS]);
      assert.match(body.caller, /^arn:aws:sts::123456789012:assumed-role\/r\/every-client/);
    });

    test('a function\'s own bundled copy wins, for require and import', async () => {
      const files = { ...fakeS3('bundled', 'node_modules'), ...MIXED };
      await deploy('bundled-cjs', files, { Handler: 'cjs.handler' });
      await deploy('bundled-esm', files, { Handler: 'esm.handler' });
      assert.deepEqual(await ok('bundled-cjs'), { s3: 'bundled-cjs', lambda: 'function' });
      assert.deepEqual(await ok('bundled-esm'), { s3: 'bundled-esm', lambda: 'function' });
    });

    test('a layer\'s copy wins over the runtime\'s, whose other clients stay reachable', async () => {
      const layer = await lambda.send(new PublishLayerVersionCommand({ LayerName: 'fake-s3', Content: { ZipFile: await zipFiles(fakeS3('layer', 'nodejs/node_modules')) } }));
      const Layers = [layer.LayerVersionArn!];
      await deploy('layer-cjs', MIXED, { Handler: 'cjs.handler', Layers });
      await deploy('layer-esm', MIXED, { Handler: 'esm.handler', Layers });
      assert.deepEqual(await ok('layer-cjs'), { s3: 'layer-cjs', lambda: 'function' });
      assert.deepEqual(await ok('layer-esm'), { s3: 'layer-esm', lambda: 'function' });
    });

    test('the server\'s other packages are out of reach (Runtime.ImportModuleError)', async () => {
      for (const pkg of ['zod', 'better-sqlite3', 'pino']) {
        const name = `needs-${pkg}`;
        await deploy(name, { 'index.js': `const m = require(${JSON.stringify(pkg)}); exports.handler = async () => typeof m;` });
        const out = await invoke(name);
        assert.equal(out.error, 'Unhandled');
        assert.equal(out.body.errorType, 'Runtime.ImportModuleError', JSON.stringify(out.body));
        assert.match(out.body.errorMessage, new RegExp(`Cannot find module '${pkg}'`));
      }
      await deploy('imports-zod', { 'index.mjs': `import { z } from 'zod'; export const handler = async () => typeof z;` });
      const out = await invoke('imports-zod');
      assert.equal(out.error, 'Unhandled');
      assert.match(out.body.errorMessage, /Cannot find package 'zod'/, JSON.stringify(out.body));
    });
  });
}
