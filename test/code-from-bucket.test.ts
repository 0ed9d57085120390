/** CreateFunction and UpdateFunctionCode take code from a bucket (S3Bucket/S3Key). */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateFunctionCommand, InvokeCommand, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { s3Client } from './helpers/s3.ts';
import { zipFiles } from './helpers/zip.ts';

let server: TestServer;
let s3: S3Client;
before(async () => {
  server = await startTestServer();
  s3 = s3Client(server.endpoint);
  await s3.send(new CreateBucketCommand({ Bucket: 'deploys' }));
});
after(async () => {
  s3.destroy();
  await server.close();
});

const ROLE = 'arn:aws:iam::123456789012:role/r';
const result = async (name: string) =>
  JSON.parse(Buffer.from((await server.lambda.send(new InvokeCommand({ FunctionName: name }))).Payload!).toString());

test('a function is created from, and updated to, zips in a bucket', async () => {
  const v1 = await zipFiles({ 'index.js': 'exports.handler = async () => "from bucket v1";' });
  const v2 = await zipFiles({ 'index.js': 'exports.handler = async () => "from bucket v2";' });
  await s3.send(new PutObjectCommand({ Bucket: 'deploys', Key: 'app/v1.zip', Body: v1 }));
  await s3.send(new PutObjectCommand({ Bucket: 'deploys', Key: 'app/v2.zip', Body: v2 }));
  const created = await server.lambda.send(
    new CreateFunctionCommand({ FunctionName: 'from-s3', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { S3Bucket: 'deploys', S3Key: 'app/v1.zip' } }),
  );
  assert.equal(created.CodeSha256, createHash('sha256').update(v1).digest('base64'));
  assert.equal(created.CodeSize, v1.length);
  assert.equal(await result('from-s3'), 'from bucket v1');
  await server.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'from-s3', S3Bucket: 'deploys', S3Key: 'app/v2.zip' }));
  assert.equal(await result('from-s3'), 'from bucket v2');
});

test('a missing bucket or key is InvalidParameterValueException naming S3\'s error', async () => {
  const create = (bucket: string, key: string) =>
    server.lambda.send(new CreateFunctionCommand({ FunctionName: 'nope', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { S3Bucket: bucket, S3Key: key } }));
  await assert.rejects(create('no-such-bucket', 'a.zip'), (err: any) => err.name === 'InvalidParameterValueException' && /S3 Error Code: NoSuchBucket/.test(err.message));
  await assert.rejects(create('deploys', 'missing.zip'), (err: any) => err.name === 'InvalidParameterValueException' && /S3 Error Code: NoSuchKey/.test(err.message));
});

test('an object that is not a zip is refused as a ZipFile would be', async () => {
  await s3.send(new PutObjectCommand({ Bucket: 'deploys', Key: 'junk.zip', Body: 'not a zip' }));
  await assert.rejects(
    server.lambda.send(new CreateFunctionCommand({ FunctionName: 'junk', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { S3Bucket: 'deploys', S3Key: 'junk.zip' } })),
    (err: any) => err.name === 'InvalidParameterValueException' && /Could not unzip/.test(err.message),
  );
});
