/**
 * Lambda layers end to end through @aws-sdk/client-lambda and the AWS CLI v2: publishing,
 * reading, listing and deleting versions; functions with Layers (limits, errors, fields);
 * layer content at invoke time (CommonJS require, ESM import, bin on PATH, later layers
 * overriding earlier ones); hostile layer zips; persistence across a restart.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  DeleteLayerVersionCommand,
  GetFunctionConfigurationCommand,
  GetLayerVersionByArnCommand,
  GetLayerVersionCommand,
  InvokeCommand,
  ListLayersCommand,
  ListLayerVersionsCommand,
  PublishLayerVersionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  paginateListLayers,
  paginateListLayerVersions,
  type CreateFunctionCommandInput,
  type PublishLayerVersionCommandInput,
} from '@aws-sdk/client-lambda';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { zipFiles, type FileMap } from './helpers/zip.ts';
import { aws, awsCliSkipReason } from './helpers/aws-cli.ts';

const ROLE = 'arn:aws:iam::123456789012:role/lambda_basic_execution';
const LAYER = 'arn:aws:lambda:us-east-1:123456789012:layer';
/** Small enough to test the combined limit with small packages. */
const UNZIPPED_MAX = 3 * 1024 * 1024;
const CONFIG = { limits: { unzippedMaxBytes: UNZIPPED_MAX } };

let server: TestServer;
before(async () => {
  server = await startTestServer(CONFIG);
});
after(() => server?.close());

async function publish(name: string, files: FileMap, over: Partial<PublishLayerVersionCommandInput> = {}) {
  return server.lambda.send(new PublishLayerVersionCommand({ LayerName: name, Content: { ZipFile: await zipFiles(files) }, ...over }));
}

async function deploy(name: string, files: FileMap, over: Partial<CreateFunctionCommandInput> = {}) {
  return server.lambda.send(
    new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await zipFiles(files) }, ...over }),
  );
}

async function invoke(name: string): Promise<any> {
  const out = await server.lambda.send(new InvokeCommand({ FunctionName: name }));
  const text = Buffer.from(out.Payload ?? []).toString('utf8');
  assert.equal(out.FunctionError, undefined, text);
  return JSON.parse(text);
}

async function awsError(p: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  try {
    await p;
  } catch (err: any) {
    return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
  }
  assert.fail('expected the call to fail');
}

const b64sha = (b: Buffer) => createHash('sha256').update(b).digest('base64');

describe('PublishLayerVersion, GetLayerVersion, GetLayerVersionByArn', () => {
  let zip: Buffer;
  before(async () => {
    zip = await zipFiles({ 'nodejs/node_modules/greet/index.js': 'module.exports = () => "hi";' });
  });

  test('publishing returns AWS fields, and the version reads back the same by name and by ARN', async () => {
    const out = await server.lambda.send(
      new PublishLayerVersionCommand({
        LayerName: 'fields',
        Description: 'a layer',
        Content: { ZipFile: zip },
        CompatibleRuntimes: ['nodejs20.x', 'nodejs22.x'],
        CompatibleArchitectures: ['x86_64'],
        LicenseInfo: 'MIT',
      }),
    );
    assert.equal(out.$metadata.httpStatusCode, 201);
    assert.equal(out.LayerArn, `${LAYER}:fields`);
    assert.equal(out.LayerVersionArn, `${LAYER}:fields:1`);
    assert.equal(out.Version, 1);
    assert.equal(out.Description, 'a layer');
    assert.deepEqual(out.CompatibleRuntimes, ['nodejs20.x', 'nodejs22.x']);
    assert.deepEqual(out.CompatibleArchitectures, ['x86_64']);
    assert.equal(out.LicenseInfo, 'MIT');
    assert.match(out.CreatedDate!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    assert.equal(out.Content?.CodeSha256, b64sha(zip));
    assert.equal(out.Content?.CodeSize, zip.length);

    const got = await server.lambda.send(new GetLayerVersionCommand({ LayerName: 'fields', VersionNumber: 1 }));
    const byArn = await server.lambda.send(new GetLayerVersionByArnCommand({ Arn: `${LAYER}:fields:1` }));
    const byLayerArn = await server.lambda.send(new GetLayerVersionCommand({ LayerName: `${LAYER}:fields`, VersionNumber: 1 }));
    for (const r of [got, byArn, byLayerArn]) {
      const { $metadata, Content, ...rest } = r;
      const { $metadata: _m, Content: _c, ...published } = out;
      assert.deepEqual(rest, published);
      assert.equal(Content?.CodeSha256, out.Content?.CodeSha256);
    }
  });

  test('Content.Location is a presigned link to the zip', async () => {
    const out = await server.lambda.send(new GetLayerVersionCommand({ LayerName: 'fields', VersionNumber: 1 }));
    const res = await fetch(out.Content!.Location!);
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), zip);
    const forged = new URL(out.Content!.Location!);
    forged.searchParams.set('Signature', 'x');
    assert.equal((await fetch(forged)).status, 403);
  });

  test('optional fields are absent when not given; Description is empty', async () => {
    const out = await publish('bare', { 'a.txt': 'a' });
    assert.equal(out.Description, '');
    assert.equal(out.CompatibleRuntimes, undefined);
    assert.equal(out.CompatibleArchitectures, undefined);
    assert.equal(out.LicenseInfo, undefined);
  });

  test('versions count up per layer', async () => {
    const a = await publish('counting', { 'a.txt': '1' });
    const b = await publish('counting', { 'a.txt': '2' });
    const other = await publish('counting-other', { 'a.txt': '1' });
    assert.deepEqual([a.Version, b.Version, other.Version], [1, 2, 1]);
  });

  test('missing versions and layers are ResourceNotFoundException; version 0 is refused', async () => {
    for (const p of [
      server.lambda.send(new GetLayerVersionCommand({ LayerName: 'fields', VersionNumber: 99 })),
      server.lambda.send(new GetLayerVersionCommand({ LayerName: 'no-such-layer', VersionNumber: 1 })),
      server.lambda.send(new GetLayerVersionByArnCommand({ Arn: `${LAYER}:no-such-layer:1` })),
    ]) {
      const e = await awsError(p);
      assert.equal(e.name, 'ResourceNotFoundException');
      assert.equal(e.status, 404);
      assert.equal(e.message, 'The resource you requested does not exist.');
    }
    const zero = await awsError(server.lambda.send(new GetLayerVersionCommand({ LayerName: 'fields', VersionNumber: 0 })));
    assert.equal(zero.name, 'InvalidParameterValueException');
    assert.equal(zero.message, 'Layer Version Cannot be less than 1');
    const badArn = await awsError(server.lambda.send(new GetLayerVersionByArnCommand({ Arn: `${LAYER}:fields` })));
    assert.equal(badArn.name, 'InvalidParameterValueException');
    assert.match(badArn.message, /at 'arn' failed to satisfy constraint/);
  });

  test('S3 content is refused until Nimbus has an S3 API; missing content and bad fields are 400', async () => {
    const s3 = await awsError(server.lambda.send(new PublishLayerVersionCommand({ LayerName: 's3', Content: { S3Bucket: 'b', S3Key: 'k.zip' } })));
    assert.equal(s3.name, 'InvalidParameterValueException');
    assert.match(s3.message, /S3Bucket\/S3Key is not supported yet/);
    const none = await awsError(server.lambda.send(new PublishLayerVersionCommand({ LayerName: 's3', Content: {} })));
    assert.equal(none.name, 'InvalidParameterValueException');
    const runtime = await awsError(publish('bad', { a: 'a' }, { CompatibleRuntimes: ['cobol1.0' as never] }));
    assert.equal(runtime.name, 'InvalidParameterValueException');
    assert.match(runtime.message, /Value '\[cobol1\.0\]' at 'compatibleRuntimes' failed to satisfy constraint/);
    const arch = await awsError(publish('bad', { a: 'a' }, { CompatibleArchitectures: ['sparc' as never] }));
    assert.match(arch.message, /at 'compatibleArchitectures' failed to satisfy constraint/);
    const name = await awsError(publish('bad name!', { a: 'a' }));
    assert.equal(name.name, 'InvalidParameterValueException');
    assert.match(name.message, /at 'layerName' failed to satisfy constraint/);
    const notZip = await awsError(server.lambda.send(new PublishLayerVersionCommand({ LayerName: 'bad', Content: { ZipFile: Buffer.from('not a zip') } })));
    assert.equal(notZip.message, 'Could not unzip uploaded file. Please check your file, then try to upload again.');
    const list = await server.lambda.send(new ListLayerVersionsCommand({ LayerName: 'bad' }));
    assert.deepEqual(list.LayerVersions, [], 'refused publishes record nothing');
  });

  test('hostile layer zips are refused like function zips and write nothing outside', async () => {
    const slip = await zipFiles({ 'a.txt': 'x' });
    const evil = Buffer.from(slip.toString('latin1').replaceAll('a.txt', '../../pw'), 'latin1');
    const link = await zipFiles({ secrets: { data: '../../../metadata.db', symlink: true } });
    const abs = await zipFiles({ etc: { data: '/etc', symlink: true } });
    const bomb = await zipFiles({ 'zeros.bin': Buffer.alloc(UNZIPPED_MAX + 1) });
    for (const [what, zip] of [['slip', evil], ['link', link], ['abs', abs], ['bomb', bomb]] as const) {
      const e = await awsError(server.lambda.send(new PublishLayerVersionCommand({ LayerName: 'hostile', Content: { ZipFile: zip } })));
      assert.equal(e.name, 'InvalidParameterValueException', `${what}: ${e.message}`);
      assert.equal(e.status, 400);
    }
    assert.equal(fs.existsSync(path.join(server.dataDir, '..', 'pw')), false);
    assert.equal(fs.existsSync(path.join(server.dataDir, 'layers', 'pw')), false);
    assert.deepEqual((await server.lambda.send(new ListLayerVersionsCommand({ LayerName: 'hostile' }))).LayerVersions, []);
  });
});

describe('ListLayers and ListLayerVersions', () => {
  before(async () => {
    await publish('list-a', { a: '1' }, { CompatibleRuntimes: ['nodejs20.x'], CompatibleArchitectures: ['x86_64'] });
    await publish('list-a', { a: '2' }, { CompatibleRuntimes: ['python3.12'], CompatibleArchitectures: ['arm64'] });
    await publish('list-a', { a: '3' }, { CompatibleRuntimes: ['nodejs20.x', 'python3.12'] });
    await publish('list-b', { b: '1' }, { CompatibleRuntimes: ['nodejs22.x'] });
  });

  test('ListLayerVersions lists newest first, with AWS fields and no Content', async () => {
    const out = await server.lambda.send(new ListLayerVersionsCommand({ LayerName: 'list-a' }));
    assert.deepEqual(out.LayerVersions!.map((v) => v.Version), [3, 2, 1]);
    const v1 = out.LayerVersions![2]!;
    assert.equal(v1.LayerVersionArn, `${LAYER}:list-a:1`);
    assert.deepEqual(v1.CompatibleRuntimes, ['nodejs20.x']);
    assert.deepEqual(v1.CompatibleArchitectures, ['x86_64']);
    assert.equal((v1 as Record<string, unknown>).Content, undefined);
    assert.equal(out.NextMarker, undefined);
  });

  test('ListLayerVersions filters by runtime and architecture, and pages with Marker/MaxItems', async () => {
    const py = await server.lambda.send(new ListLayerVersionsCommand({ LayerName: 'list-a', CompatibleRuntime: 'python3.12' }));
    assert.deepEqual(py.LayerVersions!.map((v) => v.Version), [3, 2]);
    const arm = await server.lambda.send(new ListLayerVersionsCommand({ LayerName: 'list-a', CompatibleArchitecture: 'arm64' }));
    assert.deepEqual(arm.LayerVersions!.map((v) => v.Version), [2]);
    const first = await server.lambda.send(new ListLayerVersionsCommand({ LayerName: 'list-a', MaxItems: 2 }));
    assert.deepEqual(first.LayerVersions!.map((v) => v.Version), [3, 2]);
    assert.ok(first.NextMarker);
    const rest = await server.lambda.send(new ListLayerVersionsCommand({ LayerName: 'list-a', MaxItems: 2, Marker: first.NextMarker }));
    assert.deepEqual(rest.LayerVersions!.map((v) => v.Version), [1]);
    const all: number[] = [];
    for await (const page of paginateListLayerVersions({ client: server.lambda, pageSize: 1 }, { LayerName: 'list-a' })) {
      all.push(...page.LayerVersions!.map((v) => v.Version!));
    }
    assert.deepEqual(all, [3, 2, 1]);
    const none = await server.lambda.send(new ListLayerVersionsCommand({ LayerName: 'never-published' }));
    assert.deepEqual(none.LayerVersions, []);
  });

  test('ListLayers gives each layer its latest version matching the filters', async () => {
    const out = await server.lambda.send(new ListLayersCommand({}));
    const byName = new Map(out.Layers!.map((l) => [l.LayerName, l]));
    assert.equal(byName.get('list-a')!.LayerArn, `${LAYER}:list-a`);
    assert.equal(byName.get('list-a')!.LatestMatchingVersion!.Version, 3);
    assert.equal(byName.get('list-a')!.LatestMatchingVersion!.LayerVersionArn, `${LAYER}:list-a:3`);
    assert.equal(byName.get('list-b')!.LatestMatchingVersion!.Version, 1);

    // Other suites publish layers too: look at this suite's only.
    const mine = async (filter: { CompatibleRuntime?: string; CompatibleArchitecture?: string }) =>
      (await server.lambda.send(new ListLayersCommand(filter as never))).Layers!
        .filter((l) => l.LayerName!.startsWith('list-'))
        .map((l) => [l.LayerName, l.LatestMatchingVersion!.Version]);
    assert.deepEqual(await mine({ CompatibleArchitecture: 'arm64' }), [['list-a', 2]]);
    assert.deepEqual(await mine({ CompatibleRuntime: 'nodejs22.x' }), [['list-b', 1]]);
    assert.deepEqual(await mine({ CompatibleRuntime: 'nodejs20.x', CompatibleArchitecture: 'x86_64' }), [['list-a', 1]]);
  });

  test('ListLayers pages in name order with Marker/MaxItems; bad filters and MaxItems are 400', async () => {
    const names: string[] = [];
    for await (const page of paginateListLayers({ client: server.lambda, pageSize: 2 }, {})) {
      assert.ok(page.Layers!.length <= 2);
      names.push(...page.Layers!.map((l) => l.LayerName!));
    }
    assert.deepEqual(names, [...names].sort());
    assert.ok(names.includes('list-a') && names.includes('list-b'));
    assert.equal(new Set(names).size, names.length);

    const runtime = await awsError(server.lambda.send(new ListLayersCommand({ CompatibleRuntime: 'cobol' as never })));
    assert.equal(runtime.name, 'InvalidParameterValueException');
    assert.match(runtime.message, /at 'compatibleRuntime' failed to satisfy constraint/);
    const max = await awsError(server.lambda.send(new ListLayersCommand({ MaxItems: 51 })));
    assert.match(max.message, /at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 50/);
  });
});

describe('DeleteLayerVersion', () => {
  test('deletes one version; numbers are never reused; deleting again is a no-op 204', async () => {
    await publish('deleting', { a: '1' });
    const v2 = await publish('deleting', { a: '2' });
    const del = await server.lambda.send(new DeleteLayerVersionCommand({ LayerName: 'deleting', VersionNumber: 2 }));
    assert.equal(del.$metadata.httpStatusCode, 204);
    const e = await awsError(server.lambda.send(new GetLayerVersionCommand({ LayerName: 'deleting', VersionNumber: 2 })));
    assert.equal(e.name, 'ResourceNotFoundException');
    assert.equal((await fetch(v2.Content!.Location!)).status, 403, 'a deleted version cannot be downloaded');
    await server.lambda.send(new DeleteLayerVersionCommand({ LayerName: 'deleting', VersionNumber: 2 }));
    await server.lambda.send(new DeleteLayerVersionCommand({ LayerName: 'never-there', VersionNumber: 7 }));
    await server.lambda.send(new DeleteLayerVersionCommand({ LayerName: 'deleting', VersionNumber: 1 }));
    const listed = await server.lambda.send(new ListLayersCommand({}));
    assert.ok(!listed.Layers!.some((l) => l.LayerName === 'deleting'), 'a layer without versions is not listed');
    const v3 = await publish('deleting', { a: '3' });
    assert.equal(v3.Version, 3);
  });
});

describe('functions with layers', () => {
  let lib: { arn: string; size: number };
  let esm: { arn: string; size: number };
  let first: string;
  let second: string;
  let tools: string;
  before(async () => {
    const l = await publish('lib', {
      'nodejs/node_modules/layer-lib/index.js': 'exports.where = "layer-lib from nodejs/node_modules";',
      'nodejs/node20/node_modules/versioned-lib/index.js': 'exports.where = "versioned-lib from nodejs/node20/node_modules";',
    }, { CompatibleRuntimes: ['nodejs20.x'] });
    lib = { arn: l.LayerVersionArn!, size: l.Content!.CodeSize! };
    const e = await publish('esm', {
      'nodejs/node_modules/esm-lib/package.json': JSON.stringify({ name: 'esm-lib', type: 'module', exports: './main.js' }),
      'nodejs/node_modules/esm-lib/main.js': 'export const where = "esm-lib imported as ESM";',
    });
    esm = { arn: e.LayerVersionArn!, size: e.Content!.CodeSize! };
    first = (await publish('first', {
      'nodejs/node_modules/shared/index.js': 'module.exports = "from first";',
      'nodejs/node_modules/only-first/index.js': 'module.exports = "only in first";',
      'data/config.txt': 'first',
    })).LayerVersionArn!;
    second = (await publish('second', {
      'nodejs/node_modules/shared/index.js': 'module.exports = "from second";',
      'data/config.txt': 'second',
    })).LayerVersionArn!;
    tools = (await publish('tools', {
      'bin/layer-tool': { data: '#!/bin/sh\necho "layer-tool ran with $1"\n', mode: 0o100755 },
      'lib/libnothing.txt': 'x',
    })).LayerVersionArn!;
  });

  test('a CommonJS handler requires modules that only its layer has (nodejs/node_modules and nodejs/node20/node_modules)', async () => {
    const out = await deploy('cjs-layer', {
      'index.js': `exports.handler = async () => ({ a: require('layer-lib').where, b: require('versioned-lib').where });`,
    }, { Layers: [lib.arn] });
    assert.deepEqual(out.Layers, [{ Arn: lib.arn, CodeSize: lib.size }]);
    assert.deepEqual(await invoke('cjs-layer'), { a: 'layer-lib from nodejs/node_modules', b: 'versioned-lib from nodejs/node20/node_modules' });
  });

  test('an ES module handler imports packages that only its layer has', async () => {
    await deploy('esm-layer', {
      'index.mjs': `import { where } from 'esm-lib';\nimport lib from 'layer-lib';\nexport const handler = async () => ({ where, cjs: lib.where });`,
    }, { Layers: [esm.arn, lib.arn] });
    assert.deepEqual(await invoke('esm-layer'), { where: 'esm-lib imported as ESM', cjs: 'layer-lib from nodejs/node_modules' });
  });

  test('without the layer the import fails as on AWS', async () => {
    await deploy('esm-no-layer', { 'index.mjs': `import { where } from 'esm-lib';\nexport const handler = async () => where;` });
    const out = await server.lambda.send(new InvokeCommand({ FunctionName: 'esm-no-layer' }));
    assert.equal(out.FunctionError, 'Unhandled');
    assert.match(Buffer.from(out.Payload!).toString(), /Cannot find package 'esm-lib'/);
  });

  test('a later layer overrides files of an earlier one; order matters', async () => {
    const handler = `const fs = require('fs');
      exports.handler = async () => ({ shared: require('shared'), only: require('only-first'),
        config: fs.readFileSync(require('path').join(process.env.NODE_PATH.split(':')[1], '..', '..', 'data', 'config.txt'), 'utf8') });`;
    await deploy('first-then-second', { 'index.js': handler }, { Layers: [first, second] });
    await deploy('second-then-first', { 'index.js': handler }, { Layers: [second, first] });
    assert.deepEqual(await invoke('first-then-second'), { shared: 'from second', only: 'only in first', config: 'second' });
    assert.deepEqual(await invoke('second-then-first'), { shared: 'from first', only: 'only in first', config: 'first' });
  });

  test("a layer's bin executable is on PATH and lib on LD_LIBRARY_PATH", async () => {
    await deploy('tool-user', {
      'index.js': `const { execFileSync } = require('child_process');
        exports.handler = async () => ({ out: execFileSync('layer-tool', ['hello']).toString().trim(),
          lib: process.env.LD_LIBRARY_PATH.split(':').some((p) => require('fs').existsSync(p + '/libnothing.txt')) });`,
    }, { Layers: [tools] });
    assert.deepEqual(await invoke('tool-user'), { out: 'layer-tool ran with hello', lib: true });
  });

  test('UpdateFunctionConfiguration changes the layers (a new environment runs) and [] removes them', async () => {
    await deploy('switching', { 'index.js': `exports.handler = async () => { try { return require('shared'); } catch { return 'none'; } };` }, { Layers: [first] });
    assert.equal(await invoke('switching'), 'from first');
    const up = await server.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'switching', Layers: [second] }));
    assert.deepEqual(up.Layers?.map((l) => l.Arn), [second]);
    assert.equal(await invoke('switching'), 'from second');
    const kept = await server.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'switching', Description: 'layers untouched' }));
    assert.deepEqual(kept.Layers?.map((l) => l.Arn), [second]);
    const cleared = await server.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'switching', Layers: [] }));
    assert.equal(cleared.Layers, undefined);
    assert.equal(await invoke('switching'), 'none');
  });

  test('Layers errors: more than 5, missing version, bad ARN, two versions of one layer, another region', async () => {
    const six = Array.from({ length: 6 }, (_, i) => `${LAYER}:l${i}:1`);
    const tooMany = await awsError(deploy('bad-layers', { 'index.js': '' }, { Layers: six }));
    assert.equal(tooMany.name, 'InvalidParameterValueException');
    assert.equal(tooMany.message, 'Cannot reference more than 5 layers.');
    const missing = await awsError(deploy('bad-layers', { 'index.js': '' }, { Layers: [`${LAYER}:lib:99`] }));
    assert.equal(missing.name, 'InvalidParameterValueException');
    assert.equal(missing.message, `Layer version ${LAYER}:lib:99 does not exist.`);
    const bad = await awsError(deploy('bad-layers', { 'index.js': '' }, { Layers: [`${LAYER}:lib`] }));
    assert.match(bad.message, /^1 validation error detected: Value '\[arn:aws:lambda:us-east-1:123456789012:layer:lib\]' at 'layers' failed to satisfy constraint/);
    const v2 = await publish('lib', { 'nodejs/node_modules/layer-lib/index.js': 'exports.where = 2;' });
    const twice = await awsError(deploy('bad-layers', { 'index.js': '' }, { Layers: [lib.arn, v2.LayerVersionArn!] }));
    assert.equal(
      twice.message,
      `Two different versions of the same layer are not allowed to be referenced in the same function. ${lib.arn} and ${v2.LayerVersionArn} are versions of the same layer.`,
    );
    const region = await awsError(deploy('bad-layers', { 'index.js': '' }, { Layers: ['arn:aws:lambda:eu-west-1:123456789012:layer:lib:1'] }));
    assert.match(region.message, /Layers are expected to be in region us-east-1/);
    const update = await awsError(server.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'cjs-layer', Layers: [`${LAYER}:lib:99`] })));
    assert.equal(update.name, 'InvalidParameterValueException');
    const cfg = await server.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'cjs-layer' }));
    assert.deepEqual(cfg.Layers?.map((l) => l.Arn), [lib.arn], 'a refused update changes nothing');
    await assert.rejects(server.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'bad-layers' })), { name: 'ResourceNotFoundException' });
  });

  test('code plus layers past the unzipped limit is refused on create, configuration and code updates', async () => {
    const half = Math.floor(UNZIPPED_MAX / 2) + 1024;
    const big = await publish('big', { 'big.bin': Buffer.alloc(half, 1) });
    const bigArn = big.LayerVersionArn!;
    const small = { 'index.js': 'exports.handler = async () => "ok";' };
    const heavy = { ...small, 'pad.bin': Buffer.alloc(half, 2) };
    const e = await awsError(deploy('too-big', heavy, { Layers: [bigArn] }));
    assert.equal(e.name, 'InvalidParameterValueException');
    assert.match(e.message, new RegExp(`^Function code combined with layers exceeds the maximum allowed size of ${UNZIPPED_MAX} bytes\\. The actual size is \\d+ bytes\\.$`));
    await deploy('fits', small, { Layers: [bigArn] });
    assert.equal(await invoke('fits'), 'ok');
    const code = await awsError(server.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'fits', ZipFile: await zipFiles(heavy) })));
    assert.match(code.message, /combined with layers exceeds/);
    await deploy('heavy', heavy);
    const cfg = await awsError(server.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'heavy', Layers: [bigArn] })));
    assert.match(cfg.message, /combined with layers exceeds/);
  });

  test('deleting a layer version in use does not break the function; its blob goes once no function uses it', async () => {
    const v = await publish('ephemeral', { 'nodejs/node_modules/ephemeral/index.js': 'module.exports = "still here";', 'pad.txt': 'ephemeral-unique' });
    const hex = Buffer.from(v.Content!.CodeSha256!, 'base64').toString('hex');
    const blob = path.join(server.dataDir, 'blobs', 'layer', `${hex}.zip`);
    await deploy('keeps-layer', { 'index.js': `exports.handler = async () => require('ephemeral');` }, { Layers: [v.LayerVersionArn!] });
    await server.lambda.send(new DeleteLayerVersionCommand({ LayerName: 'ephemeral', VersionNumber: 1 }));
    assert.ok(fs.existsSync(blob), 'kept while a function uses it');
    // A new environment must still find the content: clear the merged folders first.
    fs.rmSync(path.join(server.dataDir, 'layers', 'merged'), { recursive: true, force: true });
    fs.mkdirSync(path.join(server.dataDir, 'layers', 'merged'));
    await server.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'keeps-layer', Description: 'new environment' }));
    assert.equal(await invoke('keeps-layer'), 'still here');
    const cfg = await server.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'keeps-layer' }));
    assert.deepEqual(cfg.Layers, [{ Arn: v.LayerVersionArn, CodeSize: v.Content!.CodeSize }]);
    const again = await awsError(server.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'keeps-layer', Layers: [v.LayerVersionArn!] })));
    assert.equal(again.message, `Layer version ${v.LayerVersionArn} does not exist.`, 'a deleted version cannot be attached anew');
    await server.lambda.send(new DeleteFunctionCommand({ FunctionName: 'keeps-layer' }));
    for (let i = 0; i < 50 && fs.existsSync(blob); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(fs.existsSync(blob), false, 'dropped once the last function using it is gone');
  });
});

describe('persistence', () => {
  test('layers, version numbering and functions with layers survive a restart', async () => {
    const dir = server.dataDir;
    await publish('durable', { 'nodejs/node_modules/durable/index.js': 'module.exports = "durable";' });
    const v2 = await publish('durable', { 'nodejs/node_modules/durable/index.js': 'module.exports = "durable v2";' });
    await server.lambda.send(new DeleteLayerVersionCommand({ LayerName: 'durable', VersionNumber: 2 }));
    await deploy('durable-fn', { 'index.js': `exports.handler = async () => require('durable');` }, { Layers: [`${LAYER}:durable:1`] });
    await server.close();
    server = await startTestServer(CONFIG, dir);
    const got = await server.lambda.send(new GetLayerVersionCommand({ LayerName: 'durable', VersionNumber: 1 }));
    assert.equal(got.LayerVersionArn, `${LAYER}:durable:1`);
    assert.equal((await publish('durable', { a: '3' })).Version, 3, `${v2.LayerVersionArn} stays retired`);
    assert.equal(await invoke('durable-fn'), 'durable');
    const cfg = await server.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'durable-fn' }));
    assert.deepEqual(cfg.Layers?.map((l) => l.Arn), [`${LAYER}:durable:1`]);
  });
});

const skip = awsCliSkipReason();
describe('AWS CLI v2', { skip }, () => {
  test('publish-layer-version, list-layer-versions, get-layer-version-by-arn, create-function --layers', async () => {
    const work = fs.mkdtempSync(path.join(server.dataDir, 'cli-'));
    fs.writeFileSync(path.join(work, 'layer.zip'), await zipFiles({ 'nodejs/node_modules/cli-lib/index.js': 'module.exports = "from the cli layer";' }));
    fs.writeFileSync(path.join(work, 'function.zip'), await zipFiles({ 'index.js': `exports.handler = async () => require('cli-lib');` }));
    const pub = await aws(server.endpoint, ['lambda', 'publish-layer-version', '--layer-name', 'cli-layer', '--description', 'My layer', '--license-info', 'MIT', '--zip-file', 'fileb://layer.zip', '--compatible-runtimes', 'nodejs20.x', '--compatible-architectures', 'x86_64', 'arm64'], { cwd: work });
    assert.equal(pub.code, 0, pub.stderr);
    const out = JSON.parse(pub.stdout);
    assert.equal(out.LayerVersionArn, `${LAYER}:cli-layer:1`);
    assert.deepEqual(out.CompatibleArchitectures, ['x86_64', 'arm64']);
    const list = await aws(server.endpoint, ['lambda', 'list-layer-versions', '--layer-name', 'cli-layer']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout).LayerVersions.map((v: { Version: number }) => v.Version), [1]);
    const byArn = await aws(server.endpoint, ['lambda', 'get-layer-version-by-arn', '--arn', `${LAYER}:cli-layer:1`]);
    assert.equal(byArn.code, 0, byArn.stderr);
    assert.equal(JSON.parse(byArn.stdout).Description, 'My layer');
    const fn = await aws(server.endpoint, ['lambda', 'create-function', '--function-name', 'cli-layered', '--runtime', 'nodejs20.x', '--role', ROLE, '--handler', 'index.handler', '--zip-file', 'fileb://function.zip', '--layers', `${LAYER}:cli-layer:1`], { cwd: work });
    assert.equal(fn.code, 0, fn.stderr);
    assert.equal(JSON.parse(fn.stdout).Layers[0].Arn, `${LAYER}:cli-layer:1`);
    assert.equal(await invoke('cli-layered'), 'from the cli layer');
    const del = await aws(server.endpoint, ['lambda', 'delete-layer-version', '--layer-name', 'cli-layer', '--version-number', '1']);
    assert.equal(del.code, 0, del.stderr);
  });
});
