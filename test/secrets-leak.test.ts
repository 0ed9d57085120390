/**
 * Secrets never appear in plain text where they should not: a server whose pino logger writes
 * to a buffer at trace level is driven through secret values, function environment variables,
 * IAM access keys and role sessions, with succeeding and failing requests (validation errors,
 * conflicts, refusals, bad signatures, bodies that are not JSON); then no value may be found in
 * the captured server log, in the bytes of metadata.db, logs.db, metrics.db and their WALs, or
 * in the answers that must not carry them (DescribeSecret, ListSecrets, ListSecretVersionIds,
 * error bodies, ListAccessKeys, GetUser). Access keys left in plain text by an older server are
 * sealed at start and keep working.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import pino from 'pino';
import { CreateFunctionCommand, GetFunctionConfigurationCommand, LambdaClient, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient, UpdateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { startNimbus, type Nimbus } from '../src/main.ts';
import { TEST_CREDENTIALS, writeTestCredentials } from './helpers/server.ts';
import { ensureExecutionRole } from './helpers/iam.ts';
import { signedFetch, type Credentials } from './helpers/sign.ts';
import { zipFiles } from './helpers/zip.ts';

const ACCOUNT = '123456789012';
const mark = (what: string) => `${what}-${randomBytes(12).toString('hex')}`;

/** A server logging everything (trace) into memory. */
async function startLogged(dataDir: string): Promise<{ nimbus: Nimbus; log: () => string }> {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = pino({ level: 'trace', base: undefined }, sink);
  const nimbus = await startNimbus({ port: 0, dataDir, logLevel: 'trace' }, { logger });
  return { nimbus, log: () => chunks.join('') };
}

/** Every database file's bytes (with WAL and journal), as latin1 text to search. */
function databaseBytes(dataDir: string): string {
  let out = '';
  for (const name of fs.readdirSync(dataDir)) {
    if (/\.db(-wal|-journal|-shm)?$/.test(name)) out += fs.readFileSync(path.join(dataDir, name)).toString('latin1');
  }
  return out;
}

function assertAbsent(haystack: string, secrets: Readonly<Record<string, string>>, where: string): void {
  for (const [what, value] of Object.entries(secrets)) {
    assert.ok(!haystack.includes(value), `${what} appears in plain text in ${where}`);
  }
}

/** A raw JSON 1.1 call (so the test sees the exact answer body). */
async function jsonCall(endpoint: string, target: string, body: string, credentials?: Credentials): Promise<{ status: number; text: string }> {
  const res = await signedFetch(`${endpoint}/`, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target }, body }, credentials ? { credentials } : {});
  return { status: res.status, text: await res.text() };
}

describe('secrets stay out of logs, databases and answers', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-leak-'));
  let server: { nimbus: Nimbus; log: () => string };
  const secrets: Record<string, string> = {
    secretString: mark('secret-string'),
    updatedString: mark('updated-string'),
    putString: mark('put-string'),
    rejectedString: mark('rejected-string'),
    envValue: mark('env-value'),
    rejectedEnvValue: mark('rejected-env'),
    rootSecret: TEST_CREDENTIALS.secretAccessKey,
  };
  const binary = randomBytes(48);
  secrets.secretBinary = binary.toString('base64');

  before(async () => {
    writeTestCredentials(dataDir);
    server = await startLogged(dataDir);
  });
  after(async () => {
    await server?.nimbus.close(1000);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('drives secrets, environments and keys through success and failure', async () => {
    const { endpoint } = server.nimbus;
    const opts = { endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 };
    const sm = new SecretsManagerClient(opts);
    const lambda = new LambdaClient(opts);
    const iam = new IAMClient(opts);
    const sts = new STSClient(opts);
    try {
      // Secrets Manager: values in, values out only through GetSecretValue.
      const created = await sm.send(new CreateSecretCommand({ Name: 'db/password', SecretString: secrets.secretString! }));
      await sm.send(new CreateSecretCommand({ Name: 'db/binary', SecretBinary: binary }));
      await sm.send(new UpdateSecretCommand({ SecretId: 'db/password', SecretString: secrets.updatedString! }));
      const put = await sm.send(new PutSecretValueCommand({ SecretId: 'db/password', SecretString: secrets.putString!, ClientRequestToken: 'a'.repeat(32) }));
      assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'db/password' }))).SecretString, secrets.putString);
      assert.deepEqual(Buffer.from((await sm.send(new GetSecretValueCommand({ SecretId: 'db/binary' }))).SecretBinary!), binary);
      // Failures carrying values: a name in use, a reused token with another value, a value too long, a body that is not JSON.
      await assert.rejects(sm.send(new CreateSecretCommand({ Name: 'db/password', SecretString: secrets.rejectedString! })), { name: 'ResourceExistsException' });
      await assert.rejects(sm.send(new PutSecretValueCommand({ SecretId: 'db/password', SecretString: secrets.rejectedString!, ClientRequestToken: 'a'.repeat(32) })), { name: 'ResourceExistsException' });
      const tooLong = await jsonCall(endpoint, 'secretsmanager.PutSecretValue', JSON.stringify({ SecretId: 'db/password', SecretString: secrets.rejectedString!.repeat(3000) }));
      assert.equal(tooLong.status, 400);
      assert.match(tooLong.text, /ValidationException/);
      const notJson = await jsonCall(endpoint, 'secretsmanager.CreateSecret', `{"Name":"x","SecretString":"${secrets.rejectedString}"`);
      assert.match(notJson.text, /SerializationException/);
      const wrongType = await jsonCall(endpoint, 'secretsmanager.CreateSecret', JSON.stringify({ Name: 'y', SecretString: [secrets.rejectedString] }));
      assert.equal(wrongType.status, 400);
      // A request signed with a wrong secret (the secret itself sent as the body).
      const badSig = await jsonCall(endpoint, 'secretsmanager.GetSecretValue', JSON.stringify({ SecretId: 'db/password', SecretString: secrets.rejectedString }), { accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: 'wrong' });
      assert.equal(badSig.status, 400);
      for (const answer of [tooLong, notJson, wrongType, badSig]) assertAbsent(answer.text, secrets, 'an error answer');

      // The answers that carry no values.
      for (const [target, body] of [
        ['DescribeSecret', { SecretId: 'db/password' }],
        ['DescribeSecret', { SecretId: 'db/binary' }],
        ['ListSecrets', {}],
        ['ListSecretVersionIds', { SecretId: 'db/password', IncludeDeprecated: true }],
      ] as const) {
        const answer = await jsonCall(endpoint, `secretsmanager.${target}`, JSON.stringify(body));
        assert.equal(answer.status, 200, answer.text);
        assertAbsent(answer.text, secrets, target);
      }
      assert.equal(created.Name, 'db/password');
      assert.equal(put.VersionId, 'a'.repeat(32));

      // Lambda: environment values in, out only through the function's configuration.
      const role = await ensureExecutionRole(endpoint, 'leak-role');
      await lambda.send(
        new CreateFunctionCommand({
          FunctionName: 'env-fn',
          Runtime: 'nodejs20.x',
          Role: role,
          Handler: 'index.handler',
          Code: { ZipFile: await zipFiles({ 'index.js': 'exports.handler = async () => "ok";' }) },
          Environment: { Variables: { DB_PASSWORD: secrets.envValue! } },
        }),
      );
      assert.equal((await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'env-fn' }))).Environment?.Variables?.DB_PASSWORD, secrets.envValue);
      await assert.rejects(lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'env-fn', Environment: { Variables: { AWS_REGION: secrets.rejectedEnvValue!, 'bad-key': secrets.rejectedEnvValue! } } })), (err: Error) => {
        assert.ok(!err.message.includes(secrets.rejectedEnvValue!), err.message);
        return true;
      });

      // IAM: an access key's secret only in CreateAccessKey's answer; a session's in AssumeRole's.
      await iam.send(new CreateUserCommand({ UserName: 'dev' }));
      const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'dev' }))).AccessKey!;
      secrets.accessKeySecret = key.SecretAccessKey!;
      const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/dev` }, Action: 'sts:AssumeRole' }] });
      const roleArn = (await iam.send(new CreateRoleCommand({ RoleName: 'dev-role', AssumeRolePolicyDocument: trust }))).Role!.Arn!;
      await iam.send(new PutRolePolicyCommand({ RoleName: 'dev-role', PolicyName: 'none', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'logs:DescribeLogGroups', Resource: '*' }] }) }));
      const devKeys = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
      const devSts = new STSClient({ ...opts, credentials: devKeys });
      const session = (await devSts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'ses' }))).Credentials!;
      devSts.destroy();
      secrets.sessionSecret = session.SecretAccessKey!;
      secrets.sessionToken = session.SessionToken!;
      const sessionKeys = { accessKeyId: session.AccessKeyId!, secretAccessKey: session.SecretAccessKey!, sessionToken: session.SessionToken! };
      const sessionSts = new STSClient({ ...opts, credentials: sessionKeys });
      assert.match((await sessionSts.send(new GetCallerIdentityCommand({}))).Arn!, /assumed-role\/dev-role\/ses$/);
      sessionSts.destroy();
      // Refused and failing requests signed with those keys.
      const refused = await jsonCall(endpoint, 'secretsmanager.PutSecretValue', JSON.stringify({ SecretId: 'db/password', SecretString: secrets.rejectedString }), devKeys);
      assert.match(refused.text, /AccessDeniedException/);
      const refusedSession = await jsonCall(endpoint, 'secretsmanager.GetSecretValue', JSON.stringify({ SecretId: 'db/password' }), sessionKeys);
      assert.match(refusedSession.text, /AccessDeniedException/);
      assertAbsent(refused.text + refusedSession.text, secrets, 'a refusal');
      const badToken = await jsonCall(endpoint, 'secretsmanager.ListSecrets', '{}', { ...sessionKeys, sessionToken: `${sessionKeys.sessionToken}x` });
      assert.match(badToken.text, /UnrecognizedClientException/);
      assertAbsent(badToken.text, secrets, 'a bad token answer');

      for (const body of ['Action=ListAccessKeys&Version=2010-05-08&UserName=dev', 'Action=GetUser&Version=2010-05-08&UserName=dev']) {
        const res = await signedFetch(`${endpoint}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }, { service: 'iam' });
        const text = await res.text();
        assert.equal(res.status, 200, text);
        assertAbsent(text, secrets, body);
      }
    } finally {
      for (const c of [sm, lambda, iam, sts]) c.destroy();
    }

    // Nothing in the server log (at trace level), nothing in the databases (open or closed).
    assertAbsent(server.log(), secrets, 'the server log');
    assertAbsent(databaseBytes(dataDir), secrets, 'a database file');
    assert.ok(!databaseBytes(dataDir).includes(binary.toString('latin1')), 'the binary secret appears in a database file');
    await server.nimbus.close(1000);
    assertAbsent(databaseBytes(dataDir), secrets, 'a database file (after close)');
  });

  test('access keys and sessions an older server left in plain text are sealed at start', async () => {
    const db = new Database(path.join(dataDir, 'metadata.db'));
    const plainKey = mark('plain-key-secret');
    const plainSession = mark('plain-session-secret');
    const plainToken = mark('plain-session-token');
    const keyId = (db.prepare("SELECT id FROM iam_access_keys WHERE user_name = 'dev'").get() as { id: string }).id;
    const sessionId = (db.prepare('SELECT access_key_id AS id FROM iam_sessions LIMIT 1').get() as { id: string }).id;
    db.prepare('UPDATE iam_access_keys SET secret = ? WHERE id = ?').run(plainKey, keyId);
    db.prepare('UPDATE iam_sessions SET secret_access_key = ?, session_token = ?, expires_at = ? WHERE access_key_id = ?').run(plainSession, plainToken, Date.now() + 3_600_000, sessionId);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    assert.ok(databaseBytes(dataDir).includes(plainKey), 'the plaintext key is in the file before the migration');

    server = await startLogged(dataDir);
    const bytes = databaseBytes(dataDir);
    assertAbsent(bytes, { plainKey, plainSession, plainToken }, 'a database file after the migration');
    // The sealed keys still sign.
    const opts = { endpoint: server.nimbus.endpoint, region: 'us-east-1', maxAttempts: 1 };
    const user = new STSClient({ ...opts, credentials: { accessKeyId: keyId, secretAccessKey: plainKey } });
    const session = new STSClient({ ...opts, credentials: { accessKeyId: sessionId, secretAccessKey: plainSession, sessionToken: plainToken } });
    try {
      assert.equal((await user.send(new GetCallerIdentityCommand({}))).Arn, `arn:aws:iam::${ACCOUNT}:user/dev`);
      assert.match((await session.send(new GetCallerIdentityCommand({}))).Arn!, /assumed-role\/dev-role\/ses$/);
    } finally {
      user.destroy();
      session.destroy();
    }
    assertAbsent(server.log(), { plainKey, plainSession, plainToken }, 'the server log');
  });
});
