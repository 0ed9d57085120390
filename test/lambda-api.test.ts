/**
 * The Lambda API end to end through @aws-sdk/client-lambda: function lifecycle, fields,
 * pagination, waiters, and AWS's error shapes for bad input.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetAccountSettingsCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  ListFunctionsCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
  type CreateFunctionCommandInput,
} from '@aws-sdk/client-lambda';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { signedFetch } from './helpers/sign.ts';
import { zipFiles } from './helpers/zip.ts';

const ROLE = 'arn:aws:iam::123456789012:role/lambda_basic_execution';
let server: TestServer;
let zip: Buffer;

before(async () => {
  server = await startTestServer();
  zip = await zipFiles({ 'index.js': 'exports.handler = async (e) => ({ echo: e });' });
});
after(() => server.close());

const create = (over: Partial<CreateFunctionCommandInput> = {}) =>
  server.lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'fn',
      Runtime: 'nodejs20.x',
      Role: ROLE,
      Handler: 'index.handler',
      Code: { ZipFile: zip },
      ...over,
    }),
  );

/** Sends and returns the AWS error (name, status, message); fails if the call succeeds. */
async function awsError(p: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string; raw: any }> {
  try {
    await p;
  } catch (err: any) {
    return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message, raw: err };
  }
  assert.fail('expected the call to fail');
}

describe('CreateFunction', () => {
  test('returns the configuration with AWS fields', async () => {
    const out = await create({ FunctionName: 'create-fields', Description: 'd', Environment: { Variables: { AB: '1' } } });
    assert.equal(out.$metadata.httpStatusCode, 201);
    assert.equal(out.FunctionName, 'create-fields');
    assert.equal(out.FunctionArn, 'arn:aws:lambda:us-east-1:123456789012:function:create-fields');
    assert.equal(out.CodeSha256, createHash('sha256').update(zip).digest('base64'));
    assert.equal(out.CodeSize, zip.length);
    assert.equal(out.Runtime, 'nodejs20.x');
    assert.equal(out.Handler, 'index.handler');
    assert.equal(out.Role, ROLE);
    assert.equal(out.Timeout, 3);
    assert.equal(out.MemorySize, 128);
    assert.equal(out.EphemeralStorage?.Size, 512);
    assert.equal(out.Version, '$LATEST');
    assert.equal(out.State, 'Active');
    assert.equal(out.LastUpdateStatus, 'Successful');
    assert.equal(out.PackageType, 'Zip');
    assert.deepEqual(out.Architectures, ['x86_64']);
    assert.deepEqual(out.Environment?.Variables, { AB: '1' });
    assert.match(out.LastModified ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    assert.match(out.RevisionId ?? '', /^[0-9a-f-]{36}$/);
  });

  test('an existing name is ResourceConflictException 409', async () => {
    await create({ FunctionName: 'dup' });
    const err = await awsError(create({ FunctionName: 'dup' }));
    assert.equal(err.name, 'ResourceConflictException');
    assert.equal(err.status, 409);
    assert.match(err.message, /Function already exist: dup/);
  });

  const bad: Array<[string, Partial<CreateFunctionCommandInput>, RegExp]> = [
    ['bad name', { FunctionName: 'bad name!' }, /functionName/],
    ['name over 64 characters', { FunctionName: 'n'.repeat(65) }, /64/],
    ['unknown runtime', { Runtime: 'nodejs99.x' as any }, /runtime/],
    ['runtime Nimbus cannot run', { Runtime: 'java17' }, /not supported/],
    ['handler with whitespace', { Handler: 'index handler' }, /handler/],
    ['memory below 128', { MemorySize: 64 }, /greater than or equal to 128/],
    ['memory over 10240', { MemorySize: 10241 }, /less than or equal to 10240/],
    ['timeout 0', { Timeout: 0 }, /greater than or equal to 1/],
    ['timeout over 900', { Timeout: 901 }, /less than or equal to 900/],
    ['/tmp below 512', { EphemeralStorage: { Size: 100 } }, /greater than or equal to 512/],
    ['role that is not an ARN', { Role: 'admin' }, /role/],
    ['env vars over 4 KB', { Environment: { Variables: { BIG: 'x'.repeat(4100) } } }, /exceeded the 4KB limit/],
    ['reserved env key', { Environment: { Variables: { AWS_REGION: 'eu-west-1' } } }, /reserved keys/],
    ['ZipFile that is not a zip', { Code: { ZipFile: Buffer.from('not a zip at all') } }, /Could not unzip uploaded file/],
    ['no code', { Code: {} }, /source for function code/],
  ];
  for (const [what, over, message] of bad) {
    test(`${what} is InvalidParameterValueException 400`, async () => {
      const err = await awsError(create({ FunctionName: `bad-${bad.findIndex((b) => b[0] === what)}`, ...over }));
      assert.equal(err.name, 'InvalidParameterValueException', err.message);
      assert.equal(err.status, 400);
      assert.match(err.message, message);
    });
  }

  test('a refused create stores nothing', async () => {
    await awsError(create({ FunctionName: 'never', MemorySize: 1 }));
    const err = await awsError(server.lambda.send(new GetFunctionCommand({ FunctionName: 'never' })));
    assert.equal(err.name, 'ResourceNotFoundException');
  });

  test('every nodejsNN.x runtime is accepted', async () => {
    for (const rt of ['nodejs16.x', 'nodejs18.x', 'nodejs22.x', 'nodejs24.x'] as const) {
      const out = await create({ FunctionName: `rt-${rt.replace('.', '-')}`, Runtime: rt });
      assert.equal(out.Runtime, rt);
    }
  });
});

describe('GetFunction and GetFunctionConfiguration', () => {
  before(() => create({ FunctionName: 'getter', Tags: { team: 'a' } }));

  test('GetFunction returns the configuration, tags and a Code.Location that downloads the zip', async () => {
    const out = await server.lambda.send(new GetFunctionCommand({ FunctionName: 'getter' }));
    assert.equal(out.Configuration?.FunctionName, 'getter');
    assert.equal(out.Code?.RepositoryType, 'S3');
    assert.deepEqual(out.Tags, { team: 'a' });
    const res = await fetch(out.Code!.Location!);
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), zip);
    const forged = await fetch(out.Code!.Location!.replace(/Signature=[^&]+/, 'Signature=forged'));
    assert.equal(forged.status, 403);
  });

  test('accepts the ARN and partial ARN forms', async () => {
    for (const name of ['arn:aws:lambda:us-east-1:123456789012:function:getter', '123456789012:function:getter', 'getter:$LATEST']) {
      const out = await server.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
      assert.equal(out.FunctionName, 'getter');
    }
  });

  test('an unknown function is ResourceNotFoundException 404', async () => {
    const err = await awsError(server.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'nope' })));
    assert.equal(err.name, 'ResourceNotFoundException');
    assert.equal(err.status, 404);
    assert.match(err.message, /Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope/);
  });

  test('an unpublished version is ResourceNotFoundException', async () => {
    const err = await awsError(server.lambda.send(new GetFunctionCommand({ FunctionName: 'getter', Qualifier: '7' })));
    assert.equal(err.name, 'ResourceNotFoundException');
  });
});

describe('ListFunctions', () => {
  test('pages with Marker and MaxItems, in name order, without gaps or repeats', async () => {
    const names = ['page-a', 'page-b', 'page-c', 'page-d', 'page-e'];
    for (const n of names) await create({ FunctionName: n });
    const seen: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const out = await server.lambda.send(new ListFunctionsCommand({ MaxItems: 2, Marker: marker }));
      assert.ok((out.Functions ?? []).length <= 2);
      seen.push(...(out.Functions ?? []).map((f) => f.FunctionName!));
      marker = out.NextMarker;
      pages++;
    } while (marker && pages < 100);
    const ours = seen.filter((n) => n.startsWith('page-'));
    assert.deepEqual(ours, names);
    assert.deepEqual([...seen].sort(), seen, 'sorted by name');
    assert.equal(new Set(seen).size, seen.length, 'no repeats');
  });

  test('MaxItems out of range is InvalidParameterValueException', async () => {
    const err = await awsError(server.lambda.send(new ListFunctionsCommand({ MaxItems: 0 })));
    assert.equal(err.status, 400);
  });
});

describe('updates', () => {
  before(() => create({ FunctionName: 'upd' }));

  test('UpdateFunctionCode changes CodeSha256 and RevisionId; a stale RevisionId is PreconditionFailedException 412', async () => {
    const before = await server.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'upd' }));
    const zip2 = await zipFiles({ 'index.js': 'exports.handler = async () => 2;' });
    const out = await server.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'upd', ZipFile: zip2, RevisionId: before.RevisionId }));
    assert.equal(out.CodeSha256, createHash('sha256').update(zip2).digest('base64'));
    assert.notEqual(out.RevisionId, before.RevisionId);
    await waitUntilFunctionUpdatedV2({ client: server.lambda, maxWaitTime: 10 }, { FunctionName: 'upd' });
    const err = await awsError(server.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'upd', ZipFile: zip2, RevisionId: before.RevisionId })));
    assert.equal(err.name, 'PreconditionFailedException');
    assert.equal(err.status, 412);
  });

  test('UpdateFunctionConfiguration changes every documented field and keeps the rest', async () => {
    const out = await server.lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'upd',
        Handler: 'src/app.handler',
        Runtime: 'nodejs22.x',
        Timeout: 30,
        MemorySize: 512,
        Description: 'updated',
        Environment: { Variables: { MODE: 'x' } },
        EphemeralStorage: { Size: 1024 },
      }),
    );
    assert.equal(out.Handler, 'src/app.handler');
    assert.equal(out.Runtime, 'nodejs22.x');
    assert.equal(out.Timeout, 30);
    assert.equal(out.MemorySize, 512);
    assert.equal(out.Description, 'updated');
    assert.deepEqual(out.Environment?.Variables, { MODE: 'x' });
    assert.equal(out.EphemeralStorage?.Size, 1024);
    assert.equal(out.LastUpdateStatus, 'Successful');
    const got = await server.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'upd' }));
    assert.equal(got.Timeout, 30);
    assert.equal(got.Role, ROLE);
  });

  test('bad configuration values are refused and change nothing', async () => {
    const before = await server.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'upd' }));
    const err = await awsError(server.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'upd', Timeout: 1000 })));
    assert.equal(err.name, 'InvalidParameterValueException');
    const after = await server.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'upd' }));
    assert.equal(after.RevisionId, before.RevisionId);
  });

  test('updating an unknown function is ResourceNotFoundException', async () => {
    const err = await awsError(server.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'ghost', Timeout: 5 })));
    assert.equal(err.name, 'ResourceNotFoundException');
  });
});

describe('waiters, delete, account settings', () => {
  test('function-active-v2 and function-updated-v2 return', async () => {
    await create({ FunctionName: 'waited' });
    const a = await waitUntilFunctionActiveV2({ client: server.lambda, maxWaitTime: 10 }, { FunctionName: 'waited' });
    assert.equal(a.state, 'SUCCESS');
    await server.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'waited', Timeout: 9 }));
    const u = await waitUntilFunctionUpdatedV2({ client: server.lambda, maxWaitTime: 10 }, { FunctionName: 'waited' });
    assert.equal(u.state, 'SUCCESS');
  });

  test('DeleteFunction removes it; deleting again is ResourceNotFoundException', async () => {
    await create({ FunctionName: 'doomed' });
    const out = await server.lambda.send(new DeleteFunctionCommand({ FunctionName: 'doomed' }));
    assert.equal(out.$metadata.httpStatusCode, 204);
    assert.equal((await awsError(server.lambda.send(new GetFunctionCommand({ FunctionName: 'doomed' })))).name, 'ResourceNotFoundException');
    assert.equal((await awsError(server.lambda.send(new DeleteFunctionCommand({ FunctionName: 'doomed' })))).status, 404);
  });

  test('GetAccountSettings reports limits and usage', async () => {
    const out = await server.lambda.send(new GetAccountSettingsCommand({}));
    assert.equal(out.AccountLimit?.ConcurrentExecutions, 1000);
    assert.equal(out.AccountLimit?.CodeSizeZipped, 50 * 1024 * 1024);
    assert.equal(out.AccountLimit?.CodeSizeUnzipped, 250 * 1024 * 1024);
    const list = await server.lambda.send(new ListFunctionsCommand({ MaxItems: 50 }));
    let count = list.Functions?.length ?? 0;
    let marker = list.NextMarker;
    while (marker) {
      const page = await server.lambda.send(new ListFunctionsCommand({ Marker: marker }));
      count += page.Functions?.length ?? 0;
      marker = page.NextMarker;
    }
    assert.equal(out.AccountUsage?.FunctionCount, count);
    assert.ok((out.AccountUsage?.TotalCodeSize ?? 0) >= zip.length);
  });
});

describe('wire details', () => {
  test('errors carry x-amzn-ErrorType and a {Type, Message} body', async () => {
    const res = await signedFetch(`${server.endpoint}/2015-03-31/functions/missing/configuration`);
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('x-amzn-errortype'), 'ResourceNotFoundException');
    assert.ok(res.headers.get('x-amzn-requestid'));
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.Type, 'User');
    assert.match(String(body.Message), /Function not found/);
  });

  test('a body that is not JSON is InvalidRequestContentException, not a 500', async () => {
    const res = await signedFetch(`${server.endpoint}/2015-03-31/functions`, { method: 'POST', body: '{nope', headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('x-amzn-errortype'), 'InvalidRequestContentException');
  });

  test('fields of the wrong type are a 400, not a 500', async () => {
    const res = await signedFetch(`${server.endpoint}/2015-03-31/functions`, {
      method: 'POST',
      body: JSON.stringify({ FunctionName: 'typed', Role: ROLE, Runtime: 'nodejs20.x', Handler: 'index.handler', Code: { ZipFile: 5 }, MemorySize: 'big' }),
    });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('x-amzn-errortype'), 'InvalidParameterValueException');
  });

  test('an unknown path is a 404 in the same shape', async () => {
    const res = await signedFetch(`${server.endpoint}/2015-03-31/nothing-here`);
    assert.equal(res.status, 404);
    assert.ok(res.headers.get('x-amzn-errortype'));
  });
});
