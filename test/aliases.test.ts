/**
 * Aliases end to end through @aws-sdk/client-lambda and the AWS CLI v2: CreateAlias,
 * GetAlias, UpdateAlias, DeleteAlias, ListAliases, AWS's validation of names, versions
 * and routing, invoke by alias, and weighted routing measured over many real invokes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  GetAliasCommand,
  GetFunctionCommand,
  InvokeCommand,
  ListAliasesCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  type InvokeCommandOutput,
} from '@aws-sdk/client-lambda';
import { CloudWatchLogsClient, FilterLogEventsCommand, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { startTestServer, TEST_CREDENTIALS, type TestServer } from './helpers/server.ts';
import { zipFiles } from './helpers/zip.ts';
import { aws, awsCliSkipReason } from './helpers/aws-cli.ts';

const ROLE = 'arn:aws:iam::123456789012:role/lambda_basic_execution';
const ARN = 'arn:aws:lambda:us-east-1:123456789012:function';
let server: TestServer;

before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const code = (tag: string) =>
  zipFiles({
    'index.js': `exports.handler = async (event, context) => {
      if (event.token) console.log(event.token, context.functionVersion, context.invokedFunctionArn);
      return { tag: ${JSON.stringify(tag)}, version: context.functionVersion, arn: context.invokedFunctionArn };
    };`,
  });

const json = (out: InvokeCommandOutput) => JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8'));
const invoke = (name: string, over: Record<string, unknown> = {}) => server.lambda.send(new InvokeCommand({ FunctionName: name, ...over }));
const aliasNames = async (fn: string, version?: string) =>
  ((await server.lambda.send(new ListAliasesCommand({ FunctionName: fn, FunctionVersion: version }))).Aliases ?? []).map((a) => a.Name);

async function awsError(p: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  try {
    await p;
  } catch (err: any) {
    return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
  }
  assert.fail('expected the call to fail');
}

/** A function with versions 1 (tag one), 2 (tag two) and 3 (tag three); $LATEST is tag three. */
async function deployThreeVersions(name: string) {
  await server.lambda.send(
    new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await code('one') }, Publish: true }),
  );
  await server.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: await code('two'), Publish: true }));
  await server.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: await code('three'), Publish: true }));
}

describe('alias lifecycle', () => {
  before(() => deployThreeVersions('al'));

  test('CreateAlias answers 201 with the AliasConfiguration', async () => {
    const out = await server.lambda.send(new CreateAliasCommand({ FunctionName: 'al', Name: 'prod', FunctionVersion: '1', Description: 'live' }));
    assert.equal(out.$metadata.httpStatusCode, 201);
    assert.equal(out.AliasArn, `${ARN}:al:prod`);
    assert.equal(out.Name, 'prod');
    assert.equal(out.FunctionVersion, '1');
    assert.equal(out.Description, 'live');
    assert.equal(out.RoutingConfig, undefined);
    assert.ok(out.RevisionId);
    const got = await server.lambda.send(new GetAliasCommand({ FunctionName: 'al', Name: 'prod' }));
    assert.deepEqual([got.AliasArn, got.FunctionVersion, got.RevisionId], [out.AliasArn, '1', out.RevisionId]);
  });

  test('a second alias of the same name is a 409; $LATEST may be aliased without routing', async () => {
    const err = await awsError(server.lambda.send(new CreateAliasCommand({ FunctionName: 'al', Name: 'prod', FunctionVersion: '2' })));
    assert.deepEqual([err.name, err.status, err.message], ['ResourceConflictException', 409, `Alias already exists: ${ARN}:al:prod`]);
    const dev = await server.lambda.send(new CreateAliasCommand({ FunctionName: 'al', Name: 'dev', FunctionVersion: '$LATEST' }));
    assert.equal(dev.FunctionVersion, '$LATEST');
    assert.equal((await server.lambda.send(new GetAliasCommand({ FunctionName: 'al', Name: 'prod' }))).FunctionVersion, '1');
  });

  test('bad names, missing versions and bad routing are refused with AWS\'s errors; nothing is stored', async () => {
    const cases: Array<[Record<string, unknown>, string, number, RegExp | string]> = [
      [{ Name: '123', FunctionVersion: '1' }, 'InvalidParameterValueException', 400, /Value '123' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern/],
      [{ Name: 'bad name', FunctionVersion: '1' }, 'InvalidParameterValueException', 400, /at 'name'/],
      [{ Name: 'x'.repeat(129), FunctionVersion: '1' }, 'InvalidParameterValueException', 400, /Member must have length less than or equal to 128/],
      [{ Name: 'a1', FunctionVersion: 'v1' }, 'InvalidParameterValueException', 400, /at 'functionVersion'/],
      [{ Name: 'a2', FunctionVersion: '9' }, 'ResourceNotFoundException', 404, `Function not found: ${ARN}:al:9`],
      [{ Name: 'a3', FunctionVersion: '$LATEST', RoutingConfig: { AdditionalVersionWeights: { '1': 0.5 } } }, 'InvalidParameterValueException', 400, '$LATEST is not supported for an alias pointing to more than 1 version'],
      [{ Name: 'a4', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '1': 0.5 } } }, 'InvalidParameterValueException', 400, 'Invalid function version 1. Function version 1 is already included in routing configuration.'],
      [{ Name: 'a5', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.1, '3': 0.1 } } }, 'InvalidParameterValueException', 400, 'Number of items in AdditionalVersionWeights cannot be greater than 1'],
      [{ Name: 'a6', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 1.5 } } }, 'InvalidParameterValueException', 400, /Value '\{2=1\.5\}' at 'routingConfig\.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint/],
      [{ Name: 'a7', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': -0.1 } } }, 'InvalidParameterValueException', 400, /Map value must satisfy constraint/],
      [{ Name: 'a8', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { $LATEST: 0.1 } } }, 'InvalidParameterValueException', 400, /Map keys must satisfy constraint/],
      [{ Name: 'a9', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '9': 0.1 } } }, 'ResourceNotFoundException', 404, `Function not found: ${ARN}:al:9`],
    ];
    for (const [input, name, status, message] of cases) {
      const err = await awsError(server.lambda.send(new CreateAliasCommand({ FunctionName: 'al', ...(input as { Name: string; FunctionVersion: string }) })));
      assert.equal(err.name, name, JSON.stringify(input));
      assert.equal(err.status, status, JSON.stringify(input));
      if (typeof message === 'string') assert.equal(err.message, message);
      else assert.match(err.message, message);
    }
    assert.deepEqual(await aliasNames('al'), ['dev', 'prod']);
    const missingFn = await awsError(server.lambda.send(new CreateAliasCommand({ FunctionName: 'nope', Name: 'x', FunctionVersion: '1' })));
    assert.equal(missingFn.name, 'ResourceNotFoundException');
  });

  test('GetAlias of a missing alias is a 404 naming its ARN', async () => {
    const err = await awsError(server.lambda.send(new GetAliasCommand({ FunctionName: 'al', Name: 'staging' })));
    assert.deepEqual([err.name, err.status, err.message], ['ResourceNotFoundException', 404, `Cannot find alias arn: ${ARN}:al:staging`]);
  });

  test('UpdateAlias checks RevisionId, then changes version, description and routing with a new RevisionId', async () => {
    const before = await server.lambda.send(new GetAliasCommand({ FunctionName: 'al', Name: 'prod' }));
    const stale = await awsError(server.lambda.send(new UpdateAliasCommand({ FunctionName: 'al', Name: 'prod', FunctionVersion: '2', RevisionId: 'stale' })));
    assert.deepEqual([stale.name, stale.status], ['PreconditionFailedException', 412]);
    assert.equal((await server.lambda.send(new GetAliasCommand({ FunctionName: 'al', Name: 'prod' }))).FunctionVersion, '1');

    const out = await server.lambda.send(
      new UpdateAliasCommand({ FunctionName: 'al', Name: 'prod', FunctionVersion: '2', RevisionId: before.RevisionId, RoutingConfig: { AdditionalVersionWeights: { '3': 0.25 } } }),
    );
    assert.equal(out.FunctionVersion, '2');
    assert.equal(out.Description, 'live', 'an omitted Description is kept');
    assert.deepEqual(out.RoutingConfig, { AdditionalVersionWeights: { '3': 0.25 } });
    assert.notEqual(out.RevisionId, before.RevisionId);

    // Moving the primary onto the additional version, while keeping the routing, is refused.
    const clash = await awsError(server.lambda.send(new UpdateAliasCommand({ FunctionName: 'al', Name: 'prod', FunctionVersion: '3' })));
    assert.equal(clash.message, 'Invalid function version 3. Function version 3 is already included in routing configuration.');
    const cleared = await server.lambda.send(new UpdateAliasCommand({ FunctionName: 'al', Name: 'prod', RoutingConfig: { AdditionalVersionWeights: {} } }));
    assert.equal(cleared.RoutingConfig, undefined);
    assert.equal(cleared.FunctionVersion, '2');
    const missing = await awsError(server.lambda.send(new UpdateAliasCommand({ FunctionName: 'al', Name: 'nope', FunctionVersion: '1' })));
    assert.equal(missing.name, 'ResourceNotFoundException');
  });

  test('ListAliases filters by FunctionVersion and pages with MaxItems and Marker', async () => {
    await server.lambda.send(new CreateAliasCommand({ FunctionName: 'al', Name: 'canary', FunctionVersion: '2' }));
    await server.lambda.send(new CreateAliasCommand({ FunctionName: 'al', Name: 'old', FunctionVersion: '1' }));
    assert.deepEqual(await aliasNames('al'), ['canary', 'dev', 'old', 'prod']);
    assert.deepEqual(await aliasNames('al', '2'), ['canary', 'prod']);
    assert.deepEqual(await aliasNames('al', '$LATEST'), ['dev']);
    const seen: string[] = [];
    let marker: string | undefined;
    do {
      const page = await server.lambda.send(new ListAliasesCommand({ FunctionName: 'al', MaxItems: 3, Marker: marker }));
      assert.ok((page.Aliases?.length ?? 0) <= 3);
      seen.push(...(page.Aliases ?? []).map((a) => a.Name!));
      for (const a of page.Aliases ?? []) assert.equal(a.AliasArn, `${ARN}:al:${a.Name}`);
      marker = page.NextMarker;
    } while (marker);
    assert.deepEqual(seen, ['canary', 'dev', 'old', 'prod']);
    const err = await awsError(server.lambda.send(new ListAliasesCommand({ FunctionName: 'nope' })));
    assert.equal(err.name, 'ResourceNotFoundException');
  });

  test('GetFunction with an alias qualifier reads the alias\'s version under the alias ARN', async () => {
    const out = await server.lambda.send(new GetFunctionCommand({ FunctionName: 'al', Qualifier: 'old' }));
    assert.equal(out.Configuration?.Version, '1');
    assert.equal(out.Configuration?.FunctionArn, `${ARN}:al:old`);
    const err = await awsError(server.lambda.send(new GetFunctionCommand({ FunctionName: 'al:ghost' })));
    assert.deepEqual([err.name, err.message], ['ResourceNotFoundException', `Function not found: ${ARN}:al:ghost`]);
  });

  test('Invoke by alias (Qualifier, name:alias, alias ARN) runs its version; the invoked ARN keeps the alias', async () => {
    for (const [fn, qualifier] of [['al', 'old'], ['al:old', undefined], [`${ARN}:al:old`, undefined]] as const) {
      const out = await invoke(fn, qualifier ? { Qualifier: qualifier } : {});
      assert.equal(out.ExecutedVersion, '1');
      assert.deepEqual(json(out), { tag: 'one', version: '1', arn: `${ARN}:al:old` });
    }
    const dev = await invoke('al', { Qualifier: 'dev' });
    assert.equal(dev.ExecutedVersion, '$LATEST');
    assert.deepEqual(json(dev), { tag: 'three', version: '$LATEST', arn: `${ARN}:al:dev` });
    const err = await awsError(invoke('al', { Qualifier: 'ghost' }));
    assert.deepEqual([err.name, err.status, err.message], ['ResourceNotFoundException', 404, `Function not found: ${ARN}:al:ghost`]);
  });

  test('an Event invoke of name:alias runs the alias\'s version', async () => {
    const token = `event-${Date.now()}`;
    const out = await invoke('al:old', { InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ token })) });
    assert.equal(out.StatusCode, 202);
    const logs = new CloudWatchLogsClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    try {
      let events: FilteredLogEvent[] = [];
      for (let i = 0; i < 100 && events.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        events = (await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/al', filterPattern: token }))).events ?? [];
      }
      assert.equal(events.length, 1);
      assert.match(events[0]!.message!, new RegExp(`${token}\\s+1\\s+${ARN}:al:old`));
      assert.match(events[0]!.logStreamName!, /\[1\]/);
    } finally {
      logs.destroy();
    }
  });

  test('a version an alias routes to cannot be deleted; after DeleteAlias it can', async () => {
    await server.lambda.send(new UpdateAliasCommand({ FunctionName: 'al', Name: 'canary', RoutingConfig: { AdditionalVersionWeights: { '3': 0.5 } } }));
    const primary = await awsError(server.lambda.send(new DeleteFunctionCommand({ FunctionName: 'al', Qualifier: '1' })));
    assert.deepEqual([primary.name, primary.status, primary.message], ['ResourceConflictException', 409, 'Unable to delete version because the following aliases reference it: [old]']);
    const additional = await awsError(server.lambda.send(new DeleteFunctionCommand({ FunctionName: 'al', Qualifier: '3' })));
    assert.deepEqual([additional.name, additional.message], ['ResourceConflictException', 'Unable to delete version because the following aliases reference it: [canary]']);
    const del = await server.lambda.send(new DeleteAliasCommand({ FunctionName: 'al', Name: 'old' }));
    assert.equal(del.$metadata.httpStatusCode, 204);
    await awsError(server.lambda.send(new GetAliasCommand({ FunctionName: 'al', Name: 'old' })));
    await server.lambda.send(new DeleteAliasCommand({ FunctionName: 'al', Name: 'old' }));
    await server.lambda.send(new DeleteFunctionCommand({ FunctionName: 'al', Qualifier: '1' }));
    assert.deepEqual(await aliasNames('al'), ['canary', 'dev', 'prod']);
  });

  test('DeleteFunction removes the aliases with the function', async () => {
    await server.lambda.send(new DeleteFunctionCommand({ FunctionName: 'al' }));
    await deployThreeVersions('al');
    assert.deepEqual(await aliasNames('al'), []);
    const err = await awsError(invoke('al', { Qualifier: 'prod' }));
    assert.equal(err.name, 'ResourceNotFoundException');
  });
});

describe('weighted routing', () => {
  before(() => deployThreeVersions('weighted'));

  test('400 invokes of an alias at weight 0.3 run version 2 in a share a binomial test accepts', async () => {
    await server.lambda.send(
      new CreateAliasCommand({ FunctionName: 'weighted', Name: 'live', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.3 } } }),
    );
    const n = 400;
    const p = 0.3;
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const out = await invoke('weighted', { Qualifier: 'live' });
      const body = json(out);
      assert.equal(body.version, out.ExecutedVersion, 'X-Amz-Executed-Version is the version that ran');
      assert.equal(body.tag, out.ExecutedVersion === '1' ? 'one' : 'two');
      assert.equal(body.arn, `${ARN}:weighted:live`);
      counts[out.ExecutedVersion!] = (counts[out.ExecutedVersion!] ?? 0) + 1;
    }
    assert.deepEqual(Object.keys(counts).sort(), ['1', '2']);
    // Mean 120, sd sqrt(n p (1-p)) = 9.2: 4.5 sd either side fails a correct router about once in 150,000 runs.
    const sd = Math.sqrt(n * p * (1 - p));
    const k = counts['2']!;
    assert.ok(Math.abs(k - n * p) <= 4.5 * sd, `version 2 ran ${k} of ${n} times (expected ${n * p} ± ${(4.5 * sd).toFixed(1)})`);
  });

  test('weight 0 never routes to the additional version', async () => {
    await server.lambda.send(new UpdateAliasCommand({ FunctionName: 'weighted', Name: 'live', RoutingConfig: { AdditionalVersionWeights: { '2': 0 } } }));
    for (let i = 0; i < 30; i++) assert.equal((await invoke('weighted', { Qualifier: 'live' })).ExecutedVersion, '1');
  });
});

const skip = awsCliSkipReason();

describe('versions and aliases with the AWS CLI v2', { skip }, () => {
  let work: string;

  before(async () => {
    work = fs.mkdtempSync(path.join(server.dataDir, 'cli-'));
    fs.writeFileSync(path.join(work, 'function.zip'), await code('cli-one'));
    fs.writeFileSync(path.join(work, 'function2.zip'), await code('cli-two'));
  });

  test('create-function --publish, update-function-code --publish, list-versions-by-function', async () => {
    const c = await aws(
      server.endpoint,
      ['lambda', 'create-function', '--function-name', 'clifn', '--runtime', 'nodejs20.x', '--role', ROLE, '--handler', 'index.handler', '--zip-file', 'fileb://function.zip', '--publish'],
      { cwd: work },
    );
    assert.equal(c.code, 0, c.stderr);
    assert.equal(JSON.parse(c.stdout).Version, '1');
    const u = await aws(server.endpoint, ['lambda', 'update-function-code', '--function-name', 'clifn', '--zip-file', 'fileb://function2.zip', '--publish'], { cwd: work });
    assert.equal(u.code, 0, u.stderr);
    assert.equal(JSON.parse(u.stdout).Version, '2');
    const again = await aws(server.endpoint, ['lambda', 'publish-version', '--function-name', 'clifn', '--description', 'same']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).Version, '2');
    const l = await aws(server.endpoint, ['lambda', 'list-versions-by-function', '--function-name', 'clifn', '--query', 'Versions[].Version']);
    assert.equal(l.code, 0, l.stderr);
    assert.deepEqual(JSON.parse(l.stdout), ['$LATEST', '1', '2']);
  });

  test('create-alias --routing-config, get-alias, invoke --qualifier, update-alias, delete-alias', async () => {
    const c = await aws(server.endpoint, ['lambda', 'create-alias', '--function-name', 'clifn', '--name', 'live', '--function-version', '1', '--routing-config', 'AdditionalVersionWeights={2=0.5}']);
    assert.equal(c.code, 0, c.stderr);
    const alias = JSON.parse(c.stdout);
    assert.equal(alias.AliasArn, `${ARN}:clifn:live`);
    assert.deepEqual(alias.RoutingConfig, { AdditionalVersionWeights: { '2': 0.5 } });
    const g = await aws(server.endpoint, ['lambda', 'get-alias', '--function-name', 'clifn', '--name', 'live']);
    assert.equal(g.code, 0, g.stderr);
    assert.equal(JSON.parse(g.stdout).RevisionId, alias.RevisionId);
    const outFile = path.join(work, 'out.json');
    const i = await aws(server.endpoint, ['lambda', 'invoke', '--function-name', 'clifn', '--qualifier', 'live', outFile]);
    assert.equal(i.code, 0, i.stderr);
    const meta = JSON.parse(i.stdout);
    assert.ok(['1', '2'].includes(meta.ExecutedVersion), i.stdout);
    assert.equal(JSON.parse(fs.readFileSync(outFile, 'utf8')).version, meta.ExecutedVersion);
    const u = await aws(server.endpoint, ['lambda', 'update-alias', '--function-name', 'clifn', '--name', 'live', '--function-version', '2', '--routing-config', 'AdditionalVersionWeights={}']);
    assert.equal(u.code, 0, u.stderr);
    assert.equal(JSON.parse(u.stdout).FunctionVersion, '2');
    const conflict = await aws(server.endpoint, ['lambda', 'delete-function', '--function-name', 'clifn', '--qualifier', '2']);
    assert.notEqual(conflict.code, 0);
    assert.match(conflict.stderr, /ResourceConflictException.*Unable to delete version because the following aliases reference it: \[live\]/);
    const d = await aws(server.endpoint, ['lambda', 'delete-alias', '--function-name', 'clifn', '--name', 'live']);
    assert.equal(d.code, 0, d.stderr);
    const missing = await aws(server.endpoint, ['lambda', 'get-alias', '--function-name', 'clifn', '--name', 'live']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /ResourceNotFoundException/);
  });
});
