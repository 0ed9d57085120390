/**
 * Published versions end to end through @aws-sdk/client-lambda: PublishVersion and its
 * preconditions, ListVersionsByFunction, Publish on create/update, reads and invokes by
 * version, DeleteFunction of one version, ListFunctions FunctionVersion=ALL, code kept
 * while a version uses it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  ListFunctionsCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type FunctionConfiguration,
  type InvokeCommandOutput,
  type PublishVersionCommandOutput,
} from '@aws-sdk/client-lambda';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { zipFiles } from './helpers/zip.ts';

const ROLE = 'arn:aws:iam::123456789012:role/lambda_basic_execution';
const ARN = 'arn:aws:lambda:us-east-1:123456789012:function';
let server: TestServer;

before(async () => {
  server = await startTestServer();
});
after(() => server.close());

/** A handler that reports which code, configuration and version ran. */
const code = (tag: string) =>
  zipFiles({
    'index.js': `exports.handler = async (event, context) => ({
      tag: ${JSON.stringify(tag)},
      version: context.functionVersion, envVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      arn: context.invokedFunctionArn, stream: context.logStreamName, memory: context.memoryLimitInMB,
      mine: process.env.MINE ?? null });`,
  });

const json = (out: InvokeCommandOutput) => JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8'));
const invoke = (name: string, over: Record<string, unknown> = {}) => server.lambda.send(new InvokeCommand({ FunctionName: name, ...over }));
const versionsOf = async (name: string) =>
  ((await server.lambda.send(new ListVersionsByFunctionCommand({ FunctionName: name }))).Versions ?? []).map((v) => v.Version);

async function create(name: string, tag: string, over: Record<string, unknown> = {}) {
  return server.lambda.send(
    new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await code(tag) }, ...over }),
  );
}

async function awsError(p: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  try {
    await p;
  } catch (err: any) {
    return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
  }
  assert.fail('expected the call to fail');
}

describe('PublishVersion and invoking versions', () => {
  let v1: PublishVersionCommandOutput;
  let v2: PublishVersionCommandOutput;

  before(async () => {
    await create('ver', 'one', { Environment: { Variables: { MINE: 'a' } } });
  });

  test('a new function has only $LATEST, listed with its qualified ARN', async () => {
    const out = await server.lambda.send(new ListVersionsByFunctionCommand({ FunctionName: 'ver' }));
    assert.deepEqual(out.Versions?.map((v) => [v.Version, v.FunctionArn]), [['$LATEST', `${ARN}:ver:$LATEST`]]);
  });

  test('PublishVersion snapshots $LATEST as version 1 (201, qualified ARN, Description)', async () => {
    const latest = await server.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'ver' }));
    v1 = await server.lambda.send(new PublishVersionCommand({ FunctionName: 'ver', Description: 'first' }));
    assert.equal(v1.$metadata.httpStatusCode, 201);
    assert.equal(v1.Version, '1');
    assert.equal(v1.FunctionArn, `${ARN}:ver:1`);
    assert.equal(v1.Description, 'first');
    assert.equal(v1.CodeSha256, latest.CodeSha256);
    assert.deepEqual(v1.Environment, { Variables: { MINE: 'a' } });
    assert.ok(v1.RevisionId);
  });

  test('publishing again with nothing changed returns the last version', async () => {
    const again = await server.lambda.send(new PublishVersionCommand({ FunctionName: 'ver' }));
    assert.equal(again.Version, '1');
    assert.equal(again.RevisionId, v1.RevisionId);
    assert.deepEqual(await versionsOf('ver'), ['$LATEST', '1']);
  });

  test('after a code and a configuration change, the next publish is version 2', async () => {
    await server.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'ver', ZipFile: await code('two') }));
    await server.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'ver', MemorySize: 256, Environment: { Variables: { MINE: 'b' } } }));
    v2 = await server.lambda.send(new PublishVersionCommand({ FunctionName: 'ver' }));
    assert.equal(v2.Version, '2');
    assert.equal(v2.MemorySize, 256);
    assert.notEqual(v2.CodeSha256, v1.CodeSha256);
    assert.deepEqual(await versionsOf('ver'), ['$LATEST', '1', '2']);
  });

  test('a version keeps its code and configuration after $LATEST changes', async () => {
    await server.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'ver', Environment: { Variables: { MINE: 'c' } } }));
    const one = await server.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'ver', Qualifier: '1' }));
    assert.equal(one.Version, '1');
    assert.equal(one.FunctionArn, `${ARN}:ver:1`);
    assert.equal(one.MemorySize, 128);
    assert.deepEqual(one.Environment, { Variables: { MINE: 'a' } });
    assert.equal(one.Description, 'first');
  });

  test('Invoke with Qualifier=1 runs version 1: its code, configuration, version and ARN', async () => {
    const out = await invoke('ver', { Qualifier: '1' });
    assert.equal(out.ExecutedVersion, '1');
    const body = json(out);
    assert.equal(body.tag, 'one');
    assert.equal(body.mine, 'a');
    assert.equal(body.memory, '128');
    assert.equal(body.version, '1');
    assert.equal(body.envVersion, '1');
    assert.equal(body.arn, `${ARN}:ver:1`);
    assert.match(body.stream, /^\d{4}\/\d\d\/\d\d\/\[1\][0-9a-f]{32}$/);
  });

  test('name:2 and a qualified ARN reach version 2; the unqualified name runs $LATEST', async () => {
    const two = await invoke('ver:2');
    assert.equal(two.ExecutedVersion, '2');
    assert.deepEqual([json(two).tag, json(two).mine, json(two).arn], ['two', 'b', `${ARN}:ver:2`]);
    const byArn = await invoke(`${ARN}:ver:1`);
    assert.deepEqual([byArn.ExecutedVersion, json(byArn).tag, json(byArn).arn], ['1', 'one', `${ARN}:ver:1`]);
    const latest = await invoke('ver');
    assert.equal(latest.ExecutedVersion, '$LATEST');
    assert.deepEqual([json(latest).tag, json(latest).mine, json(latest).version], ['two', 'c', '$LATEST']);
  });

  test('each version runs in its own environments, with START lines naming the version', async () => {
    const a = json(await invoke('ver', { Qualifier: '1' }));
    const b = json(await invoke('ver', { Qualifier: '2' }));
    const c = json(await invoke('ver'));
    assert.equal(new Set([a.stream, b.stream, c.stream]).size, 3);
    assert.match(b.stream, /\[2\]/);
    assert.match(c.stream, /\[\$LATEST\]/);
    const tail = await invoke('ver', { Qualifier: '1', LogType: 'Tail' });
    assert.match(Buffer.from(tail.LogResult!, 'base64').toString('utf8'), /START RequestId: \S+ Version: 1\n/);
  });

  test('GetFunction of a version: qualified configuration and a download of that version\'s zip', async () => {
    const out = await server.lambda.send(new GetFunctionCommand({ FunctionName: 'ver', Qualifier: '1' }));
    assert.equal(out.Configuration?.Version, '1');
    assert.equal(out.Configuration?.FunctionArn, `${ARN}:ver:1`);
    const res = await fetch(out.Code!.Location!);
    assert.equal(res.status, 200);
    const sha = createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('base64');
    assert.equal(sha, v1.CodeSha256);
    const named = await server.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'ver:2' }));
    assert.equal(named.Version, '2');
    const latest = await server.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'ver', Qualifier: '$LATEST' }));
    assert.equal(latest.FunctionArn, `${ARN}:ver:$LATEST`);
  });

  test('a version that does not exist is a 404 naming the qualified ARN', async () => {
    const err = await awsError(server.lambda.send(new GetFunctionCommand({ FunctionName: 'ver', Qualifier: '7' })));
    assert.deepEqual([err.name, err.status, err.message], ['ResourceNotFoundException', 404, `Function not found: ${ARN}:ver:7`]);
    const inv = await awsError(invoke('ver', { Qualifier: '7' }));
    assert.equal(inv.name, 'ResourceNotFoundException');
    const bad = await awsError(invoke('ver', { Qualifier: 'no!pe' }));
    assert.deepEqual([bad.name, bad.status], ['InvalidParameterValueException', 400]);
    const clash = await awsError(invoke('ver:1', { Qualifier: '2' }));
    assert.equal(clash.message, 'The derived qualifier from the function name does not match the specified qualifier.');
  });

  test('RevisionId and CodeSha256 preconditions refuse a publish with AWS\'s errors; nothing is published', async () => {
    const latest = await server.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'ver' }));
    const rev = await awsError(server.lambda.send(new PublishVersionCommand({ FunctionName: 'ver', RevisionId: 'stale' })));
    assert.deepEqual([rev.name, rev.status], ['PreconditionFailedException', 412]);
    assert.equal(rev.message, 'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id');
    const wrong = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
    const sha = await awsError(server.lambda.send(new PublishVersionCommand({ FunctionName: 'ver', CodeSha256: wrong })));
    assert.deepEqual([sha.name, sha.status], ['InvalidParameterValueException', 400]);
    assert.equal(sha.message, `CodeSHA256 (${wrong}) is different from current CodeSHA256 in $LATEST (${latest.CodeSha256}). Please try again with the CodeSHA256 in $LATEST.`);
    assert.deepEqual(await versionsOf('ver'), ['$LATEST', '1', '2']);
    const ok = await server.lambda.send(
      new PublishVersionCommand({ FunctionName: 'ver', RevisionId: latest.RevisionId, CodeSha256: latest.CodeSha256 }),
    );
    assert.equal(ok.Version, '3');
  });

  test('ListVersionsByFunction pages with MaxItems and Marker', async () => {
    const seen: string[] = [];
    let marker: string | undefined;
    do {
      const page = await server.lambda.send(new ListVersionsByFunctionCommand({ FunctionName: 'ver', MaxItems: 2, Marker: marker }));
      assert.ok((page.Versions?.length ?? 0) <= 2);
      seen.push(...(page.Versions ?? []).map((v) => v.Version!));
      marker = page.NextMarker;
    } while (marker);
    assert.deepEqual(seen, ['$LATEST', '1', '2', '3']);
    const err = await awsError(server.lambda.send(new ListVersionsByFunctionCommand({ FunctionName: 'nope' })));
    assert.deepEqual([err.name, err.message], ['ResourceNotFoundException', `Function not found: ${ARN}:nope`]);
  });

  test('DeleteFunction with a Qualifier deletes that version only; its number is never reused', async () => {
    const del = await server.lambda.send(new DeleteFunctionCommand({ FunctionName: 'ver', Qualifier: '3' }));
    assert.equal(del.$metadata.httpStatusCode, 204);
    assert.deepEqual(await versionsOf('ver'), ['$LATEST', '1', '2']);
    await server.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'ver', Timeout: 9 }));
    const next = await server.lambda.send(new PublishVersionCommand({ FunctionName: 'ver' }));
    assert.equal(next.Version, '4');
    assert.equal((await invoke('ver', { Qualifier: '1' })).ExecutedVersion, '1');
  });

  test('DeleteFunction refuses $LATEST and alias names as qualifiers; a missing version is a no-op', async () => {
    const latest = await awsError(server.lambda.send(new DeleteFunctionCommand({ FunctionName: 'ver', Qualifier: '$LATEST' })));
    assert.deepEqual([latest.name, latest.status, latest.message], ['InvalidParameterValueException', 400, '$LATEST version cannot be deleted without deleting the function.']);
    const alias = await awsError(server.lambda.send(new DeleteFunctionCommand({ FunctionName: 'ver', Qualifier: 'prod' })));
    assert.deepEqual([alias.name, alias.status], ['InvalidParameterValueException', 400]);
    await server.lambda.send(new DeleteFunctionCommand({ FunctionName: 'ver', Qualifier: '99' }));
    const gone = await awsError(server.lambda.send(new DeleteFunctionCommand({ FunctionName: 'nope', Qualifier: '1' })));
    assert.equal(gone.name, 'ResourceNotFoundException');
    assert.deepEqual(await versionsOf('ver'), ['$LATEST', '1', '2', '4']);
  });
});

describe('Publish on CreateFunction and UpdateFunctionCode', () => {
  test('CreateFunction with Publish returns version 1; UpdateFunctionCode with Publish returns version 2', async () => {
    const created = await create('pub', 'one', { Publish: true });
    assert.equal(created.Version, '1');
    assert.equal(created.FunctionArn, `${ARN}:pub:1`);
    const updated = await server.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'pub', ZipFile: await code('two'), Publish: true }));
    assert.equal(updated.Version, '2');
    assert.equal(updated.FunctionArn, `${ARN}:pub:2`);
    const plain = await server.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'pub', ZipFile: await code('three') }));
    assert.equal(plain.Version, '$LATEST');
    assert.deepEqual(await versionsOf('pub'), ['$LATEST', '1', '2']);
    assert.equal(json(await invoke('pub', { Qualifier: '1' })).tag, 'one');
    assert.equal(json(await invoke('pub', { Qualifier: '2' })).tag, 'two');
    assert.equal(json(await invoke('pub')).tag, 'three');
    const unqualified = await server.lambda.send(new GetFunctionCommand({ FunctionName: 'pub' }));
    assert.equal(unqualified.Configuration?.Version, '$LATEST');
  });
});

describe('ListFunctions FunctionVersion=ALL', () => {
  before(async () => {
    await create('all-a', 'a', { Publish: true });
    await create('all-b', 'b');
  });

  test('lists every version with qualified ARNs; without it only $LATEST, unqualified', async () => {
    const all: FunctionConfiguration[] = [];
    let marker: string | undefined;
    do {
      const page = await server.lambda.send(new ListFunctionsCommand({ FunctionVersion: 'ALL', MaxItems: 3, Marker: marker }));
      all.push(...(page.Functions ?? []));
      marker = page.NextMarker;
    } while (marker);
    const ours = all.filter((f) => f.FunctionName?.startsWith('all-')).map((f) => f.FunctionArn);
    assert.deepEqual(ours, [`${ARN}:all-a:$LATEST`, `${ARN}:all-a:1`, `${ARN}:all-b:$LATEST`]);
    const plain = (await server.lambda.send(new ListFunctionsCommand({}))).Functions ?? [];
    assert.deepEqual(plain.filter((f) => f.FunctionName?.startsWith('all-')).map((f) => f.FunctionArn), [`${ARN}:all-a`, `${ARN}:all-b`]);
    const err = await awsError(server.lambda.send(new ListFunctionsCommand({ FunctionVersion: 'SOME' as 'ALL' })));
    assert.deepEqual([err.name, err.status], ['InvalidParameterValueException', 400]);
  });
});

describe('code packages and versions', () => {
  test('a package stays while a version uses it and goes with the last version that does', async () => {
    const blob = (sha: string) => path.join(server.dataDir, 'blobs', 'code', `${Buffer.from(sha, 'base64').toString('hex')}.zip`);
    const first = await create('gc', 'gc-one', { Publish: true });
    await server.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'gc', ZipFile: await code('gc-two') }));
    assert.ok(fs.existsSync(blob(first.CodeSha256!)), 'version 1 still holds the first package');
    assert.equal(json(await invoke('gc', { Qualifier: '1' })).tag, 'gc-one');
    await server.lambda.send(new DeleteFunctionCommand({ FunctionName: 'gc', Qualifier: '1' }));
    assert.ok(!fs.existsSync(blob(first.CodeSha256!)), 'no version uses the first package any more');
    const latest = await server.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'gc' }));
    assert.ok(fs.existsSync(blob(latest.CodeSha256!)));
    await server.lambda.send(new DeleteFunctionCommand({ FunctionName: 'gc' }));
    assert.ok(!fs.existsSync(blob(latest.CodeSha256!)));
  });

  test('a deleted and recreated function numbers its versions from 1 again', async () => {
    await create('again', 'x', { Publish: true });
    await server.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'again', ZipFile: await code('y'), Publish: true }));
    await server.lambda.send(new DeleteFunctionCommand({ FunctionName: 'again' }));
    const recreated = await create('again', 'z', { Publish: true });
    assert.equal(recreated.Version, '1');
    assert.deepEqual(await versionsOf('again'), ['$LATEST', '1']);
  });
});
