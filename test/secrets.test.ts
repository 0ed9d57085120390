/**
 * The Secrets Manager API end to end through @aws-sdk/client-secrets-manager and the AWS
 * CLI v2, and encryption at rest: no secret value or function environment variable is in
 * any file of the data dir, while the APIs return them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
  UpdateSecretCommand,
  type ListSecretsCommandInput,
} from '@aws-sdk/client-secrets-manager';
import { CreateFunctionCommand, GetFunctionConfigurationCommand, PublishVersionCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import Database from 'better-sqlite3';
import { startNimbus } from '../src/main.ts';
import { SqliteMetadataStore } from '../src/storage/index.ts';
import { SYSTEM_CLOCK, type Clock } from '../src/util/index.ts';
import { aws, awsCliSkipReason } from './helpers/aws-cli.ts';
import { startTestServer, TEST_CREDENTIALS, writeTestCredentials, type TestServer } from './helpers/server.ts';
import { signedFetch } from './helpers/sign.ts';
import { zipFiles } from './helpers/zip.ts';

const ROLE = 'arn:aws:iam::123456789012:role/lambda_basic_execution';
const DAY = 86_400_000;

const clientFor = (endpoint: string) => new SecretsManagerClient({ endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });

/** Sends and returns the AWS error (name, status, message); fails if the call succeeds. */
async function awsError(p: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  try {
    await p;
  } catch (err: any) {
    return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
  }
  assert.fail('expected the call to fail');
}

/** Every regular file under dir. */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

/** The files of dir that hold needle's bytes. */
function filesHolding(dir: string, needle: Buffer | string): string[] {
  const bytes = typeof needle === 'string' ? Buffer.from(needle) : needle;
  return filesUnder(dir).filter((f) => fs.readFileSync(f).includes(bytes));
}

let server: TestServer;
let sm: SecretsManagerClient;

before(async () => {
  server = await startTestServer();
  sm = clientFor(server.endpoint);
});
after(async () => {
  sm.destroy();
  await server.close();
});

describe('CreateSecret, GetSecretValue, DescribeSecret', () => {
  test('a string secret: ARN with a 6-character suffix, found by name, ARN and partial ARN', async () => {
    const out = await sm.send(new CreateSecretCommand({ Name: 'app/db', SecretString: '{"password":"p1"}', Description: 'db', Tags: [{ Key: 'team', Value: 'core' }] }));
    assert.match(out.ARN!, /^arn:aws:secretsmanager:us-east-1:\d{12}:secret:app\/db-[A-Za-z0-9]{6}$/);
    assert.equal(out.Name, 'app/db');
    assert.match(out.VersionId!, /^[0-9a-f-]{36}$/);
    const partial = out.ARN!.slice(0, -7);
    for (const id of ['app/db', out.ARN!, partial]) {
      const got = await sm.send(new GetSecretValueCommand({ SecretId: id }));
      assert.equal(got.SecretString, '{"password":"p1"}');
      assert.equal(got.ARN, out.ARN);
      assert.equal(got.VersionId, out.VersionId);
      assert.deepEqual(got.VersionStages, ['AWSCURRENT']);
      assert.ok(got.CreatedDate instanceof Date && Math.abs(got.CreatedDate.getTime() - Date.now()) < 60_000);
      assert.equal(got.SecretBinary, undefined);
    }
    const d = await sm.send(new DescribeSecretCommand({ SecretId: 'app/db' }));
    assert.equal(d.ARN, out.ARN);
    assert.equal(d.Description, 'db');
    assert.deepEqual(d.Tags, [{ Key: 'team', Value: 'core' }]);
    assert.deepEqual(d.VersionIdsToStages, { [out.VersionId!]: ['AWSCURRENT'] });
    assert.ok(d.CreatedDate instanceof Date && d.LastChangedDate instanceof Date);
    assert.ok(d.LastAccessedDate instanceof Date, 'GetSecretValue records the day it was read');
    assert.equal(d.DeletedDate, undefined);
  });

  test('a binary secret comes back as the same bytes', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    await sm.send(new CreateSecretCommand({ Name: 'bin', SecretBinary: bytes }));
    const got = await sm.send(new GetSecretValueCommand({ SecretId: 'bin' }));
    assert.deepEqual(Buffer.from(got.SecretBinary!), bytes);
    assert.equal(got.SecretString, undefined);
  });

  test('a secret without a value has no version until PutSecretValue', async () => {
    const out = await sm.send(new CreateSecretCommand({ Name: 'empty' }));
    assert.equal(out.VersionId, undefined);
    const err = await awsError(sm.send(new GetSecretValueCommand({ SecretId: 'empty' })));
    assert.equal(err.name, 'ResourceNotFoundException');
    assert.equal(err.message, "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT");
    assert.equal((await sm.send(new DescribeSecretCommand({ SecretId: 'empty' }))).VersionIdsToStages, undefined);
  });

  test('errors: missing secret, taken name, both values, bad name, bad token, bad ARN', async () => {
    let err = await awsError(sm.send(new GetSecretValueCommand({ SecretId: 'nope' })));
    assert.deepEqual([err.name, err.status, err.message], ['ResourceNotFoundException', 400, "Secrets Manager can't find the specified secret."]);
    err = await awsError(sm.send(new DescribeSecretCommand({ SecretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:nope-abcdef' })));
    assert.equal(err.name, 'ResourceNotFoundException');
    await sm.send(new CreateSecretCommand({ Name: 'taken', SecretString: 'x' }));
    err = await awsError(sm.send(new CreateSecretCommand({ Name: 'taken', SecretString: 'x' })));
    assert.deepEqual([err.name, err.message], ['ResourceExistsException', 'The operation failed because the secret taken already exists.']);
    err = await awsError(sm.send(new CreateSecretCommand({ Name: 'both', SecretString: 'x', SecretBinary: Buffer.from('y') })));
    assert.deepEqual([err.name, err.message], ['InvalidParameterException', "You can't specify both a binary secret value and a string secret value in the same secret."]);
    err = await awsError(sm.send(new CreateSecretCommand({ Name: 'bad name!', SecretString: 'x' })));
    assert.equal(err.name, 'ValidationException');
    assert.match(err.message, /^Invalid name\. Must be a valid name containing alphanumeric characters/);
    err = await awsError(sm.send(new CreateSecretCommand({ Name: 'short-token', SecretString: 'x', ClientRequestToken: 'abc' })));
    assert.equal(err.name, 'ValidationException');
    assert.equal(err.message, "1 validation error detected: Value 'abc' at 'clientRequestToken' failed to satisfy constraint: Member must have length greater than or equal to 32");
    err = await awsError(sm.send(new CreateSecretCommand({ Name: 'huge', SecretString: 'x'.repeat(65537) })));
    assert.equal(err.name, 'ValidationException');
    assert.match(err.message, /at 'secretString' failed to satisfy constraint: Member must have length less than or equal to 65536/);
    assert.doesNotMatch(err.message, /xxxx/, 'a sensitive value is not echoed');
    err = await awsError(sm.send(new GetSecretValueCommand({ SecretId: 'taken', VersionStage: 'AWSPENDING' })));
    assert.deepEqual([err.name, err.message], ['ResourceNotFoundException', "Secrets Manager can't find the specified secret value for staging label: AWSPENDING"]);
    err = await awsError(sm.send(new GetSecretValueCommand({ SecretId: 'taken', VersionId: randomUUID() })));
    assert.equal(err.name, 'ResourceNotFoundException');
  });

  test('an unknown action and a body that is not JSON answer in the JSON 1.1 error shape', async () => {
    const post = (target: string, body: string) =>
      signedFetch(`${server.endpoint}/`, { method: 'POST', headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': `secretsmanager.${target}` }, body });
    let res = await post('RotateSecret', '{}');
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { __type: string }).__type, 'UnknownOperationException');
    res = await post('GetSecretValue', '{nope');
    assert.equal(((await res.json()) as { __type: string }).__type, 'SerializationException');
    res = await post('GetSecretValue', '{}');
    assert.deepEqual(await res.json(), { __type: 'ValidationException', message: "1 validation error detected: Value null at 'secretId' failed to satisfy constraint: Member must not be null" });
  });
});

describe('versions and staging labels', () => {
  test('two PutSecretValue calls move AWSCURRENT and AWSPREVIOUS; the oldest becomes deprecated', async () => {
    const v1 = (await sm.send(new CreateSecretCommand({ Name: 'staged', SecretString: 'one' }))).VersionId!;
    const put2 = await sm.send(new PutSecretValueCommand({ SecretId: 'staged', SecretString: 'two' }));
    assert.deepEqual(put2.VersionStages, ['AWSCURRENT']);
    const v2 = put2.VersionId!;
    let d = await sm.send(new DescribeSecretCommand({ SecretId: 'staged' }));
    assert.deepEqual(d.VersionIdsToStages, { [v1]: ['AWSPREVIOUS'], [v2]: ['AWSCURRENT'] });
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'staged' }))).SecretString, 'two');
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'staged', VersionStage: 'AWSPREVIOUS' }))).SecretString, 'one');
    const byId = await sm.send(new GetSecretValueCommand({ SecretId: 'staged', VersionId: v1 }));
    assert.deepEqual([byId.SecretString, byId.VersionStages], ['one', ['AWSPREVIOUS']]);
    const err = await awsError(sm.send(new GetSecretValueCommand({ SecretId: 'staged', VersionId: v1, VersionStage: 'AWSCURRENT' })));
    assert.equal(err.name, 'ResourceNotFoundException');

    const v3 = (await sm.send(new PutSecretValueCommand({ SecretId: 'staged', SecretBinary: Buffer.from('three') }))).VersionId!;
    d = await sm.send(new DescribeSecretCommand({ SecretId: 'staged' }));
    assert.deepEqual(d.VersionIdsToStages, { [v2]: ['AWSPREVIOUS'], [v3]: ['AWSCURRENT'] });
    const listed = await sm.send(new ListSecretVersionIdsCommand({ SecretId: 'staged' }));
    assert.deepEqual(listed.Versions!.map((v) => v.VersionId).sort(), [v2, v3].sort());
    const all = await sm.send(new ListSecretVersionIdsCommand({ SecretId: 'staged', IncludeDeprecated: true }));
    assert.deepEqual(all.Versions!.map((v) => [v.VersionId, v.VersionStages ?? []]), [[v1, []], [v2, ['AWSPREVIOUS']], [v3, ['AWSCURRENT']]]);
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'staged', VersionId: v1 }))).SecretString, 'one', 'a deprecated version still reads by id');
    const page = await sm.send(new ListSecretVersionIdsCommand({ SecretId: 'staged', IncludeDeprecated: true, MaxResults: 2 }));
    assert.equal(page.Versions!.length, 2);
    const rest = await sm.send(new ListSecretVersionIdsCommand({ SecretId: 'staged', IncludeDeprecated: true, MaxResults: 2, NextToken: page.NextToken }));
    assert.deepEqual(rest.Versions!.map((v) => v.VersionId), [v3]);
    assert.equal(rest.NextToken, undefined);
  });

  test('ClientRequestToken is the VersionId: a retry with the same value succeeds, another value fails', async () => {
    await sm.send(new CreateSecretCommand({ Name: 'idem', SecretString: 'a' }));
    const token = randomUUID();
    const first = await sm.send(new PutSecretValueCommand({ SecretId: 'idem', SecretString: 'b', ClientRequestToken: token }));
    assert.equal(first.VersionId, token);
    const again = await sm.send(new PutSecretValueCommand({ SecretId: 'idem', SecretString: 'b', ClientRequestToken: token }));
    assert.equal(again.VersionId, token);
    assert.equal(Object.keys((await sm.send(new DescribeSecretCommand({ SecretId: 'idem' }))).VersionIdsToStages!).length, 2, 'no third version');
    const err = await awsError(sm.send(new PutSecretValueCommand({ SecretId: 'idem', SecretString: 'c', ClientRequestToken: token })));
    assert.equal(err.name, 'ResourceExistsException');
    const none = await awsError(sm.send(new PutSecretValueCommand({ SecretId: 'idem' })));
    assert.equal(none.name, 'InvalidRequestException');
    const custom = await sm.send(new PutSecretValueCommand({ SecretId: 'idem', SecretString: 'd', VersionStages: ['blue'] }));
    assert.deepEqual(custom.VersionStages, ['blue']);
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'idem' }))).SecretString, 'b', 'a custom label leaves AWSCURRENT where it was');
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'idem', VersionStage: 'blue' }))).SecretString, 'd');
  });

  test('UpdateSecret changes the description, and with a value makes a new current version', async () => {
    const v1 = (await sm.send(new CreateSecretCommand({ Name: 'upd', SecretString: 'old', Description: 'first' }))).VersionId!;
    const meta = await sm.send(new UpdateSecretCommand({ SecretId: 'upd', Description: 'second' }));
    assert.equal(meta.VersionId, undefined);
    assert.equal((await sm.send(new DescribeSecretCommand({ SecretId: 'upd' }))).Description, 'second');
    const withValue = await sm.send(new UpdateSecretCommand({ SecretId: 'upd', SecretString: 'new' }));
    assert.ok(withValue.VersionId && withValue.VersionId !== v1);
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'upd' }))).SecretString, 'new');
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'upd', VersionStage: 'AWSPREVIOUS' }))).SecretString, 'old');
    const err = await awsError(sm.send(new UpdateSecretCommand({ SecretId: 'missing', Description: 'x' })));
    assert.equal(err.name, 'ResourceNotFoundException');
  });
});

describe('ListSecrets', () => {
  test('filters, pagination, sorting and planned deletions', async () => {
    const client = clientFor(server.endpoint);
    const names = ['list/alpha', 'list/beta', 'list/gamma'];
    for (const [i, name] of names.entries()) {
      await client.send(new CreateSecretCommand({ Name: name, SecretString: 'v', Description: i === 1 ? 'Payments Key' : 'other', Tags: [{ Key: `k${i}`, Value: i === 2 ? 'prod' : 'dev' }] }));
    }
    const list = async (input: ListSecretsCommandInput) => (await client.send(new ListSecretsCommand(input))).SecretList!.map((s) => s.Name);
    assert.deepEqual(await list({ Filters: [{ Key: 'name', Values: ['list/'] }] }), names);
    assert.deepEqual(await list({ Filters: [{ Key: 'name', Values: ['list/'] }], SortBy: 'name', SortOrder: 'desc' }), [...names].reverse());
    assert.deepEqual(await list({ Filters: [{ Key: 'description', Values: ['payments'] }] }), ['list/beta']);
    assert.deepEqual(await list({ Filters: [{ Key: 'tag-value', Values: ['prod'] }] }), ['list/gamma']);
    assert.deepEqual(await list({ Filters: [{ Key: 'tag-key', Values: ['k0', 'k1'] }] }), ['list/alpha', 'list/beta']);
    assert.deepEqual(await list({ Filters: [{ Key: 'name', Values: ['list/'] }, { Key: 'tag-value', Values: ['!prod'] }] }), ['list/alpha', 'list/beta']);
    assert.deepEqual(await list({ Filters: [{ Key: 'all', Values: ['gamma'] }] }), ['list/gamma']);

    const first = await client.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['list/'] }], MaxResults: 2 }));
    assert.deepEqual(first.SecretList!.map((s) => s.Name), names.slice(0, 2));
    assert.ok(first.SecretList![0]!.SecretVersionsToStages && first.SecretList![0]!.ARN && first.SecretList![0]!.CreatedDate instanceof Date);
    const second = await client.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['list/'] }], MaxResults: 2, NextToken: first.NextToken }));
    assert.deepEqual(second.SecretList!.map((s) => s.Name), names.slice(2));
    assert.equal(second.NextToken, undefined);
    assert.equal((await awsError(client.send(new ListSecretsCommand({ NextToken: 'garbage' })))).name, 'InvalidNextTokenException');
    const tooMany = await awsError(client.send(new ListSecretsCommand({ MaxResults: 500 })));
    assert.deepEqual([tooMany.name, tooMany.message], ['ValidationException', "1 validation error detected: Value '500' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100"]);

    await client.send(new DeleteSecretCommand({ SecretId: 'list/beta', RecoveryWindowInDays: 7 }));
    assert.deepEqual(await list({ Filters: [{ Key: 'name', Values: ['list/'] }] }), ['list/alpha', 'list/gamma']);
    const planned = (await client.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['list/'] }], IncludePlannedDeletion: true }))).SecretList!;
    assert.deepEqual(planned.map((s) => s.Name), names);
    assert.ok(planned[1]!.DeletedDate instanceof Date);
    client.destroy();
  });
});

describe('DeleteSecret and RestoreSecret', () => {
  test('a recovery window (default 30 days) makes the secret unusable until restored', async () => {
    const created = await sm.send(new CreateSecretCommand({ Name: 'doomed', SecretString: 'v' }));
    const del = await sm.send(new DeleteSecretCommand({ SecretId: 'doomed' }));
    assert.equal(del.ARN, created.ARN);
    assert.ok(Math.abs(del.DeletionDate!.getTime() - (Date.now() + 30 * DAY)) < 60_000, 'default window of 30 days');
    const d = await sm.send(new DescribeSecretCommand({ SecretId: 'doomed' }));
    assert.equal(d.DeletedDate?.getTime(), del.DeletionDate!.getTime());
    for (const call of [
      sm.send(new GetSecretValueCommand({ SecretId: 'doomed' })),
      sm.send(new PutSecretValueCommand({ SecretId: 'doomed', SecretString: 'w' })),
      sm.send(new UpdateSecretCommand({ SecretId: 'doomed', Description: 'x' })),
    ]) {
      const err = await awsError(call);
      assert.deepEqual([err.name, err.message], ['InvalidRequestException', "You can't perform this operation on the secret because it was marked for deletion."]);
    }
    let err = await awsError(sm.send(new CreateSecretCommand({ Name: 'doomed', SecretString: 'again' })));
    assert.deepEqual([err.name, err.message], ['InvalidRequestException', "You can't create this secret because a secret with this name is already scheduled for deletion."]);
    err = await awsError(sm.send(new DeleteSecretCommand({ SecretId: 'doomed' })));
    assert.equal(err.name, 'InvalidRequestException');

    const restored = await sm.send(new RestoreSecretCommand({ SecretId: 'doomed' }));
    assert.deepEqual([restored.ARN, restored.Name], [created.ARN, 'doomed']);
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'doomed' }))).SecretString, 'v');
    assert.equal((await sm.send(new DescribeSecretCommand({ SecretId: 'doomed' }))).DeletedDate, undefined);
    assert.equal((await awsError(sm.send(new RestoreSecretCommand({ SecretId: 'never-was' })))).name, 'ResourceNotFoundException');
  });

  test('window bounds, both options at once, and force delete', async () => {
    await sm.send(new CreateSecretCommand({ Name: 'forced', SecretString: 'v' }));
    let err = await awsError(sm.send(new DeleteSecretCommand({ SecretId: 'forced', RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true })));
    assert.deepEqual([err.name, err.message], ['InvalidParameterException', "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."]);
    for (const days of [6, 31]) {
      err = await awsError(sm.send(new DeleteSecretCommand({ SecretId: 'forced', RecoveryWindowInDays: days })));
      assert.deepEqual([err.name, err.message], ['InvalidParameterException', 'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).']);
    }
    const seven = await sm.send(new DeleteSecretCommand({ SecretId: 'forced', RecoveryWindowInDays: 7 }));
    assert.ok(Math.abs(seven.DeletionDate!.getTime() - (Date.now() + 7 * DAY)) < 60_000);
    // A secret scheduled for deletion can still be force-deleted.
    const gone = await sm.send(new DeleteSecretCommand({ SecretId: 'forced', ForceDeleteWithoutRecovery: true }));
    assert.equal(gone.Name, 'forced');
    assert.ok(Math.abs(gone.DeletionDate!.getTime() - Date.now()) < 60_000);
    assert.equal((await awsError(sm.send(new DescribeSecretCommand({ SecretId: 'forced' })))).name, 'ResourceNotFoundException');
    // A retried force delete does not fail.
    await sm.send(new DeleteSecretCommand({ SecretId: 'forced', ForceDeleteWithoutRecovery: true }));
    await sm.send(new CreateSecretCommand({ Name: 'forced', SecretString: 'reborn' }));
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'forced' }))).SecretString, 'reborn');
    err = await awsError(sm.send(new DeleteSecretCommand({ SecretId: 'not-there' })));
    assert.equal(err.name, 'ResourceNotFoundException');
  });
});

test('GetRandomPassword honours length, exclusions and included types', async () => {
  const p = (await sm.send(new GetRandomPasswordCommand({}))).RandomPassword!;
  assert.equal(p.length, 32);
  assert.match(p, /[a-z]/);
  assert.match(p, /[A-Z]/);
  assert.match(p, /[0-9]/);
  const q = (await sm.send(new GetRandomPasswordCommand({ PasswordLength: 64, ExcludePunctuation: true, ExcludeCharacters: 'abc' }))).RandomPassword!;
  assert.match(q, /^[d-zA-Z0-9]{64}$/);
  const err = await awsError(sm.send(new GetRandomPasswordCommand({ ExcludeLowercase: true, ExcludeUppercase: true, ExcludeNumbers: true, ExcludePunctuation: true })));
  assert.equal(err.name, 'InvalidParameterException');
});

test('a secret past its recovery window is purged (injected clock)', async () => {
  let offset = 0;
  const clock: Clock = { now: () => Date.now() + offset, setTimeout: SYSTEM_CLOCK.setTimeout };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-secrets-clock-'));
  writeTestCredentials(dir);
  const nimbus = await startNimbus({ port: 0, dataDir: dir, logLevel: 'silent' }, { clock });
  const client = clientFor(nimbus.endpoint);
  try {
    await client.send(new CreateSecretCommand({ Name: 'short-lived', SecretString: 'v' }));
    await client.send(new CreateSecretCommand({ Name: 'kept', SecretString: 'v' }));
    await client.send(new DeleteSecretCommand({ SecretId: 'short-lived', RecoveryWindowInDays: 7 }));
    offset = 6 * DAY;
    assert.ok((await client.send(new DescribeSecretCommand({ SecretId: 'short-lived' }))).DeletedDate, 'still recoverable on day 6');
    offset = 7 * DAY + 1000;
    const err = await awsError(client.send(new DescribeSecretCommand({ SecretId: 'short-lived' })));
    assert.equal(err.name, 'ResourceNotFoundException');
    assert.equal((await awsError(client.send(new RestoreSecretCommand({ SecretId: 'short-lived' })))).name, 'ResourceNotFoundException');
    await client.send(new CreateSecretCommand({ Name: 'short-lived', SecretString: 'new' }));
    assert.equal((await client.send(new GetSecretValueCommand({ SecretId: 'kept' }))).SecretString, 'v');
  } finally {
    client.destroy();
    await nimbus.close(1000);
  }
});

test('secrets survive a restart, under the same data key', async () => {
  const first = await startTestServer();
  let client = clientFor(first.endpoint);
  const created = await client.send(new CreateSecretCommand({ Name: 'durable', SecretString: 'one', Tags: [{ Key: 'a', Value: 'b' }] }));
  await client.send(new PutSecretValueCommand({ SecretId: 'durable', SecretString: 'two' }));
  await client.send(new CreateSecretCommand({ Name: 'durable-deleted', SecretString: 'x' }));
  await client.send(new DeleteSecretCommand({ SecretId: 'durable-deleted' }));
  const key = fs.readFileSync(path.join(first.dataDir, 'master.key'));
  client.destroy();
  await first.close();

  const second = await startTestServer({}, first.dataDir);
  client = clientFor(second.endpoint);
  try {
    assert.deepEqual(fs.readFileSync(path.join(first.dataDir, 'master.key')), key, 'the key is loaded, not replaced');
    assert.equal((await client.send(new GetSecretValueCommand({ SecretId: created.ARN }))).SecretString, 'two');
    assert.equal((await client.send(new GetSecretValueCommand({ SecretId: 'durable', VersionStage: 'AWSPREVIOUS' }))).SecretString, 'one');
    assert.deepEqual((await client.send(new DescribeSecretCommand({ SecretId: 'durable' }))).Tags, [{ Key: 'a', Value: 'b' }]);
    assert.equal((await awsError(client.send(new GetSecretValueCommand({ SecretId: 'durable-deleted' })))).name, 'InvalidRequestException');
  } finally {
    client.destroy();
    await second.close();
  }
});

test('a data key of the wrong size stops the server from starting', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-badkey-'));
  fs.writeFileSync(path.join(dir, 'master.key'), 'too short', { mode: 0o600 });
  await assert.rejects(startNimbus({ port: 0, dataDir: dir, logLevel: 'silent' }), /master\.key holds 9 bytes; a Nimbus data key is exactly 32 random bytes/);
});

describe('encryption at rest', () => {
  test('no file of the data dir holds a secret value or an environment variable value', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-at-rest-'));
    const s = await startTestServer({}, dir);
    const client = clientFor(s.endpoint);
    const stringValue = `string-secret-${randomUUID()}`;
    const binaryValue = Buffer.from(`binary-secret-${randomUUID()}`);
    const envValue = `env-value-${randomUUID()}`;
    const updatedEnvValue = `env-value-published-${randomUUID()}`;
    try {
      await client.send(new CreateSecretCommand({ Name: 'at-rest', SecretString: stringValue }));
      await client.send(new PutSecretValueCommand({ SecretId: 'at-rest', SecretBinary: binaryValue }));
      const zip = await zipFiles({ 'index.js': 'exports.handler = async () => process.env.DB_PASSWORD;' });
      await s.lambda.send(new CreateFunctionCommand({ FunctionName: 'at-rest-fn', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: zip }, Environment: { Variables: { DB_PASSWORD: envValue } } }));
      await s.lambda.send(new PublishVersionCommand({ FunctionName: 'at-rest-fn' }));
      await s.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'at-rest-fn', Environment: { Variables: { DB_PASSWORD: updatedEnvValue } } }));

      // What the APIs return...
      assert.equal((await client.send(new GetSecretValueCommand({ SecretId: 'at-rest', VersionStage: 'AWSPREVIOUS' }))).SecretString, stringValue);
      assert.deepEqual(Buffer.from((await client.send(new GetSecretValueCommand({ SecretId: 'at-rest' }))).SecretBinary!), binaryValue);
      assert.deepEqual((await s.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'at-rest-fn' }))).Environment?.Variables, { DB_PASSWORD: updatedEnvValue });
      assert.deepEqual((await s.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'at-rest-fn', Qualifier: '1' }))).Environment?.Variables, { DB_PASSWORD: envValue });

      // ...is in no file, while running (metadata.db, its -wal, logs.db...)...
      assert.ok(filesUnder(dir).some((f) => f.endsWith('metadata.db-wal')), 'the WAL is scanned too');
      for (const needle of [stringValue, binaryValue, envValue, updatedEnvValue]) assert.deepEqual(filesHolding(dir, needle), [], `${needle} is not at rest in plain text`);
    } finally {
      client.destroy();
      await s.close();
    }
    // ...nor once the WAL is checkpointed into the database.
    for (const needle of [stringValue, binaryValue, envValue, updatedEnvValue]) assert.deepEqual(filesHolding(dir, needle), []);
    assert.ok(filesUnder(dir).some((f) => f.endsWith('metadata.db')));
  });

  test('plaintext environments left by an older server still load, and are sealed at start-up', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-legacy-env-'));
    const envValue = `legacy-env-${randomUUID()}`;
    // A server creates the function; then its row is put back as an unencrypted server wrote it.
    const s1 = await startTestServer({}, dir);
    const zip = await zipFiles({ 'index.js': 'exports.handler = async () => 1;' });
    await s1.lambda.send(new CreateFunctionCommand({ FunctionName: 'legacy-fn', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: zip } }));
    await s1.close();
    const db = new Database(path.join(dir, 'metadata.db'));
    const row = db.prepare("SELECT record FROM functions WHERE name = 'legacy-fn'").get() as { record: string };
    const legacy = { ...JSON.parse(row.record), environment: { LEGACY_TOKEN: envValue } };
    db.prepare("UPDATE functions SET record = ? WHERE name = 'legacy-fn'").run(JSON.stringify(legacy));
    assert.deepEqual(new SqliteMetadataStore(db).getFunction('legacy-fn')?.environment, { LEGACY_TOKEN: envValue });
    db.close();
    assert.notDeepEqual(filesHolding(dir, envValue), [], 'the legacy row is plaintext before the restart');

    const s2 = await startTestServer({}, dir);
    try {
      const cfg = await s2.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'legacy-fn' }));
      assert.deepEqual(cfg.Environment?.Variables, { LEGACY_TOKEN: envValue });
      assert.deepEqual(filesHolding(dir, envValue), [], 'migrated: sealed, and the plaintext pages are gone');
    } finally {
      await s2.close();
    }
  });
});

describe('AWS CLI v2', { skip: awsCliSkipReason() }, () => {
  test('aws secretsmanager create-secret and get-secret-value', async () => {
    const created = await aws(server.endpoint, ['secretsmanager', 'create-secret', '--name', 'cli/secret', '--secret-string', '{"user":"cli"}', '--output', 'json']);
    assert.equal(created.code, 0, created.stderr);
    assert.match(JSON.parse(created.stdout).ARN, /:secret:cli\/secret-[A-Za-z0-9]{6}$/);
    const got = await aws(server.endpoint, ['secretsmanager', 'get-secret-value', '--secret-id', 'cli/secret', '--output', 'json']);
    assert.equal(got.code, 0, got.stderr);
    const out = JSON.parse(got.stdout);
    assert.equal(out.SecretString, '{"user":"cli"}');
    assert.deepEqual(out.VersionStages, ['AWSCURRENT']);
    const described = await aws(server.endpoint, ['secretsmanager', 'describe-secret', '--secret-id', 'cli/secret', '--output', 'json']);
    assert.equal(described.code, 0, described.stderr);
    assert.equal(typeof JSON.parse(described.stdout).CreatedDate, 'string');
    const missing = await aws(server.endpoint, ['secretsmanager', 'get-secret-value', '--secret-id', 'cli/none']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /ResourceNotFoundException/);
  });
});
