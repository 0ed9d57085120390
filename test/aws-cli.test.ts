/**
 * The AWS CLI v2 (/usr/bin/aws from Debian's awscli) against Nimbus: the Lambda article's
 * create-function command verbatim (only --endpoint-url added), waiters, invoke, logs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { zipFiles } from './helpers/zip.ts';
import { aws, awsCliSkipReason } from './helpers/aws-cli.ts';

const skip = awsCliSkipReason();
if (skip) console.log(`# SKIP aws-cli suite: ${skip}`);

describe('AWS CLI v2', { skip }, () => {
  let server: TestServer;
  let work: string;

  before(async () => {
    server = await startTestServer({}, undefined, { executionRoles: [] });
    work = fs.mkdtempSync(path.join(server.dataDir, 'cli-'));
    fs.writeFileSync(
      path.join(work, 'function.zip'),
      await zipFiles({
        'index.js': `exports.handler = async (event) => { console.log('hello from MyFunction'); return { statusCode: 200, body: JSON.stringify(event) }; };`,
      }),
    );
  });
  after(() => server?.close());

  test('aws --version is v2', async () => {
    const r = await aws(server.endpoint, ['--version']);
    assert.match(r.stdout + r.stderr, /aws-cli\/2\./);
  });

  test('iam create-role makes the execution role lambda_basic_execution (trusting Lambda), with AWSLambdaBasicExecutionRole', async () => {
    const trust = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}';
    const r = await aws(server.endpoint, ['iam', 'create-role', '--role-name', 'lambda_basic_execution', '--assume-role-policy-document', trust]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).Role.Arn, 'arn:aws:iam::123456789012:role/lambda_basic_execution');
    const a = await aws(server.endpoint, ['iam', 'attach-role-policy', '--role-name', 'lambda_basic_execution', '--policy-arn', 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']);
    assert.equal(a.code, 0, a.stderr);
  });

  test("the article's create-function command works verbatim", async () => {
    const r = await aws(
      server.endpoint,
      ['lambda', 'create-function', '--function-name', 'MyFunction', '--runtime', 'nodejs16.x', '--role', 'arn:aws:iam::123456789012:role/lambda_basic_execution', '--handler', 'index.handler', '--zip-file', 'fileb://function.zip'],
      { cwd: work },
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.FunctionName, 'MyFunction');
    assert.equal(out.Runtime, 'nodejs16.x');
    assert.equal(out.FunctionArn, 'arn:aws:lambda:us-east-1:123456789012:function:MyFunction');
  });

  test('wait function-active-v2 returns', async () => {
    const r = await aws(server.endpoint, ['lambda', 'wait', 'function-active-v2', '--function-name', 'MyFunction']);
    assert.equal(r.code, 0, r.stderr);
  });

  test('invoke writes the result and prints StatusCode and ExecutedVersion; --log-type Tail returns the log', async () => {
    const outFile = path.join(work, 'out.json');
    const r = await aws(server.endpoint, ['lambda', 'invoke', '--function-name', 'MyFunction', '--cli-binary-format', 'raw-in-base64-out', '--payload', '{"k":"v"}', '--log-type', 'Tail', outFile]);
    assert.equal(r.code, 0, r.stderr);
    const meta = JSON.parse(r.stdout);
    assert.equal(meta.StatusCode, 200);
    assert.equal(meta.ExecutedVersion, '$LATEST');
    assert.match(Buffer.from(meta.LogResult, 'base64').toString('utf8'), /hello from MyFunction/);
    assert.deepEqual(JSON.parse(fs.readFileSync(outFile, 'utf8')), { statusCode: 200, body: '{"k":"v"}' });
  });

  test('update-function-configuration then wait function-updated-v2', async () => {
    const r = await aws(server.endpoint, ['lambda', 'update-function-configuration', '--function-name', 'MyFunction', '--timeout', '10', '--memory-size', '256', '--environment', 'Variables={STAGE=dev}']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).Timeout, 10);
    const w = await aws(server.endpoint, ['lambda', 'wait', 'function-updated-v2', '--function-name', 'MyFunction']);
    assert.equal(w.code, 0, w.stderr);
  });

  test('get-function, list-functions, get-account-settings', async () => {
    const g = await aws(server.endpoint, ['lambda', 'get-function', '--function-name', 'MyFunction']);
    assert.equal(g.code, 0, g.stderr);
    assert.equal(JSON.parse(g.stdout).Configuration.MemorySize, 256);
    const l = await aws(server.endpoint, ['lambda', 'list-functions']);
    assert.equal(l.code, 0, l.stderr);
    assert.ok(JSON.parse(l.stdout).Functions.some((f: { FunctionName: string }) => f.FunctionName === 'MyFunction'));
    const s = await aws(server.endpoint, ['lambda', 'get-account-settings']);
    assert.equal(JSON.parse(s.stdout).AccountLimit.ConcurrentExecutions, 1000);
  });

  test('logs filter-log-events and logs tail read the function log group', async () => {
    const f = await aws(server.endpoint, ['logs', 'filter-log-events', '--log-group-name', '/aws/lambda/MyFunction', '--filter-pattern', '"hello from"']);
    assert.equal(f.code, 0, f.stderr);
    const events = JSON.parse(f.stdout).events as Array<{ message: string }>;
    assert.ok(events.length >= 1 && events.every((e) => e.message.includes('hello from')));
    const t = await aws(server.endpoint, ['logs', 'tail', '/aws/lambda/MyFunction', '--since', '1h']);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /START RequestId/);
    assert.match(t.stdout, /REPORT RequestId/);
  });

  test('errors print AWS codes', async () => {
    const r = await aws(server.endpoint, ['lambda', 'get-function', '--function-name', 'Nope']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /ResourceNotFoundException/);
    const c = await aws(server.endpoint, ['lambda', 'create-function', '--function-name', 'MyFunction', '--runtime', 'nodejs20.x', '--role', 'arn:aws:iam::123456789012:role/x', '--handler', 'index.handler', '--zip-file', 'fileb://function.zip'], { cwd: work });
    assert.match(c.stderr, /ResourceConflictException/);
    const role = await aws(server.endpoint, ['lambda', 'create-function', '--function-name', 'Other', '--runtime', 'nodejs20.x', '--role', 'arn:aws:iam::123456789012:role/x', '--handler', 'index.handler', '--zip-file', 'fileb://function.zip'], { cwd: work });
    assert.match(role.stderr, /InvalidParameterValueException.*The role defined for the function cannot be assumed by Lambda\./);
  });

  test('delete-function', async () => {
    const r = await aws(server.endpoint, ['lambda', 'delete-function', '--function-name', 'MyFunction']);
    assert.equal(r.code, 0, r.stderr);
    const g = await aws(server.endpoint, ['lambda', 'get-function', '--function-name', 'MyFunction']);
    assert.match(g.stderr, /ResourceNotFoundException/);
  });
});
