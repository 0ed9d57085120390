/**
 * S3 authorization, end to end with the official clients: every operation is checked against
 * the caller's IAM policies and the bucket policy (AccessDenied in S3's shape otherwise, per
 * key in DeleteObjects); bucket policies round-trip, are validated as S3 validates them, grant
 * across users, deny even admins and root, and can open objects to anonymous readers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetBucketNotificationConfigurationCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { AttachUserPolicyCommand, CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient, PutRolePolicyCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { SignatureV4 } from '@smithy/signature-v4';
import { aws, awsCliSkipReason } from './helpers/aws-cli.ts';
import { s3Client } from './helpers/s3.ts';
import { startTestServer, TEST_CREDENTIALS, type TestServer } from './helpers/server.ts';
import { createAdminUser } from './helpers/iam.ts';
import { Sha256, type Credentials } from './helpers/sign.ts';

const ACCOUNT = '123456789012';
const userArn = (name: string) => `arn:aws:iam::${ACCOUNT}:user/${name}`;
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';

interface WireError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** The call fails with S3's 403 AccessDenied, naming the action (HEAD responses have no body to name it). */
async function denied(call: Promise<unknown>, action?: string): Promise<void> {
  await assert.rejects(call, (err: WireError) => {
    assert.equal(err.$metadata?.httpStatusCode, 403, `${err.name}: ${err.message}`);
    if (action) {
      assert.equal(err.name, 'AccessDenied');
      assert.match(err.message ?? '', new RegExp(`is not authorized to perform: ${action} on resource`));
    }
    return true;
  });
}

async function rejectsWith(call: Promise<unknown>, name: string, status: number, message?: string | RegExp): Promise<void> {
  await assert.rejects(call, (err: WireError) => {
    assert.equal(err.name, name, err.message);
    assert.equal(err.$metadata?.httpStatusCode, status);
    if (typeof message === 'string') assert.equal(err.message, message);
    else if (message) assert.match(err.message ?? '', message);
    return true;
  });
}

const body = async (out: { Body?: { transformToString(): Promise<string> } }) => out.Body!.transformToString();
const bucketPolicy = (...statements: Record<string, unknown>[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

describe('S3 authorization', () => {
  let server: TestServer;
  let root: S3Client;
  let iam: IAMClient;
  const clients: S3Client[] = [];
  const keys = new Map<string, Credentials>();

  /** A user with an access key and, optionally, an inline policy and managed policies. */
  async function user(name: string, inline?: Record<string, unknown>[], managed: string[] = []): Promise<S3Client> {
    await iam.send(new CreateUserCommand({ UserName: name }));
    if (inline) await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'inline', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: inline }) }));
    for (const arn of managed) await iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: arn }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
    const credentials = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
    keys.set(name, credentials);
    return track(s3Client(server.endpoint, { credentials }));
  }
  const track = (client: S3Client) => {
    clients.push(client);
    return client;
  };

  /** A presigned GET of /bucket/key signed with the given credentials, as the SDK's presigner makes it. */
  async function presign(credentials: Credentials, bucket: string, key: string): Promise<string> {
    const url = new URL(server.endpoint);
    const signer = new SignatureV4({ credentials, region: 'us-east-1', service: 's3', sha256: Sha256, uriEscapePath: false });
    const req = await signer.presign(
      { method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: `/${bucket}/${key}`, query: {}, headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } } as never,
      { expiresIn: 300, unsignableHeaders: new Set(['x-amz-content-sha256']), unhoistableHeaders: new Set(['x-amz-content-sha256']) },
    );
    return `${server.endpoint}/${bucket}/${key}?${new URLSearchParams(req.query as Record<string, string>).toString().replaceAll('+', '%20')}`;
  }

  let nobody: S3Client;
  let reader: S3Client;
  let lister: S3Client;
  let admin: S3Client;
  let friend: S3Client;

  before(async () => {
    server = await startTestServer();
    root = track(s3Client(server.endpoint));
    iam = new IAMClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    for (const bucket of ['bucket-a', 'bucket-b', 'guarded', 'public']) await root.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const [bucket, key] of [['bucket-a', 'doc.txt'], ['bucket-a', 'home/alice.txt'], ['bucket-b', 'doc.txt'], ['bucket-b', 'shared/note.txt'], ['bucket-b', 'private/secret.txt'], ['public', 'hello.txt']] as const) {
      await root.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `${bucket}/${key}` }));
    }
    nobody = await user('nobody');
    reader = await user('reader', [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket-a/*' }]);
    lister = await user('lister', [{ Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::bucket-a', Condition: { StringLike: { 's3:prefix': 'home/*' } } }]);
    admin = await user('admin', undefined, [ADMIN]);
    friend = await user('friend');
  });

  after(async () => {
    for (const c of clients) c.destroy();
    iam?.destroy();
    await server?.close();
  });

  test('a user without rights is denied every class of S3 action, in the AWS message', async () => {
    await denied(nobody.send(new ListBucketsCommand({})), 's3:ListAllMyBuckets');
    await denied(nobody.send(new CreateBucketCommand({ Bucket: 'made-by-nobody' })), 's3:CreateBucket');
    await rejectsWith(root.send(new HeadBucketCommand({ Bucket: 'made-by-nobody' })), 'NotFound', 404);
    await denied(nobody.send(new DeleteBucketCommand({ Bucket: 'bucket-a' })), 's3:DeleteBucket');
    await denied(nobody.send(new HeadBucketCommand({ Bucket: 'bucket-a' })));
    await denied(nobody.send(new GetBucketLocationCommand({ Bucket: 'bucket-a' })), 's3:GetBucketLocation');
    await denied(nobody.send(new ListObjectsV2Command({ Bucket: 'bucket-a' })), 's3:ListBucket');
    await denied(nobody.send(new GetObjectCommand({ Bucket: 'bucket-a', Key: 'doc.txt' })), 's3:GetObject');
    await denied(nobody.send(new HeadObjectCommand({ Bucket: 'bucket-a', Key: 'doc.txt' })));
    await denied(nobody.send(new PutObjectCommand({ Bucket: 'bucket-a', Key: 'by-nobody.txt', Body: 'x' })), 's3:PutObject');
    await rejectsWith(root.send(new HeadObjectCommand({ Bucket: 'bucket-a', Key: 'by-nobody.txt' })), 'NotFound', 404);
    await denied(nobody.send(new CopyObjectCommand({ Bucket: 'bucket-a', Key: 'copy.txt', CopySource: 'bucket-a/doc.txt' })), 's3:PutObject');
    await denied(nobody.send(new DeleteObjectCommand({ Bucket: 'bucket-a', Key: 'doc.txt' })), 's3:DeleteObject');

    // Multipart: every step is its own action.
    await denied(nobody.send(new CreateMultipartUploadCommand({ Bucket: 'bucket-a', Key: 'big' })), 's3:PutObject');
    const { UploadId } = await root.send(new CreateMultipartUploadCommand({ Bucket: 'bucket-a', Key: 'big' }));
    await denied(nobody.send(new UploadPartCommand({ Bucket: 'bucket-a', Key: 'big', UploadId, PartNumber: 1, Body: 'part' })), 's3:PutObject');
    await denied(nobody.send(new ListPartsCommand({ Bucket: 'bucket-a', Key: 'big', UploadId })), 's3:ListMultipartUploadParts');
    await denied(nobody.send(new ListMultipartUploadsCommand({ Bucket: 'bucket-a' })), 's3:ListBucketMultipartUploads');
    await denied(nobody.send(new CompleteMultipartUploadCommand({ Bucket: 'bucket-a', Key: 'big', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"x"' }] } })), 's3:PutObject');
    await denied(nobody.send(new AbortMultipartUploadCommand({ Bucket: 'bucket-a', Key: 'big', UploadId })), 's3:AbortMultipartUpload');
    await root.send(new AbortMultipartUploadCommand({ Bucket: 'bucket-a', Key: 'big', UploadId }));

    // Configuration sub-resources.
    await denied(nobody.send(new GetBucketNotificationConfigurationCommand({ Bucket: 'bucket-a' })), 's3:GetBucketNotification');
    await denied(nobody.send(new PutBucketNotificationConfigurationCommand({ Bucket: 'bucket-a', NotificationConfiguration: {} })), 's3:PutBucketNotification');
    await denied(nobody.send(new PutBucketPolicyCommand({ Bucket: 'bucket-a', Policy: bucketPolicy({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket-a/*' }) })), 's3:PutBucketPolicy');
    await denied(nobody.send(new GetBucketPolicyCommand({ Bucket: 'bucket-a' })), 's3:GetBucketPolicy');
    await denied(nobody.send(new DeleteBucketPolicyCommand({ Bucket: 'bucket-a' })), 's3:DeleteBucketPolicy');
    await rejectsWith(root.send(new GetBucketPolicyCommand({ Bucket: 'bucket-a' })), 'NoSuchBucketPolicy', 404);
  });

  test('DeleteObjects reports AccessDenied per key and deletes none of them', async () => {
    const out = await nobody.send(new DeleteObjectsCommand({ Bucket: 'bucket-a', Delete: { Objects: [{ Key: 'doc.txt' }, { Key: 'home/alice.txt' }] } }));
    assert.deepEqual(out.Deleted ?? [], []);
    assert.deepEqual(
      out.Errors?.map((e) => [e.Key, e.Code]),
      [['doc.txt', 'AccessDenied'], ['home/alice.txt', 'AccessDenied']],
    );
    assert.match(out.Errors![0]!.Message!, /user\/nobody is not authorized to perform: s3:DeleteObject on resource: arn:aws:s3:::bucket-a\/doc\.txt/);
    assert.equal(await body(await root.send(new GetObjectCommand({ Bucket: 'bucket-a', Key: 'doc.txt' }))), 'bucket-a/doc.txt');
  });

  test('the refusal is S3\'s <Error> document with status 403, and presigned URLs act as the user who signed them', async () => {
    const refused = await fetch(await presign(keys.get('nobody')!, 'bucket-a', 'doc.txt'));
    assert.equal(refused.status, 403);
    assert.match(refused.headers.get('content-type') ?? '', /application\/xml/);
    const text = await refused.text();
    assert.match(
      text,
      new RegExp(`^<\\?xml version="1.0" encoding="UTF-8"\\?>\\s*<Error><Code>AccessDenied</Code><Message>User: ${userArn('nobody')} is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::bucket-a/doc.txt because no identity-based policy allows the s3:GetObject action</Message>`),
    );
    assert.match(text, /<Resource>\/bucket-a\/doc.txt<\/Resource><RequestId>[0-9A-F]+<\/RequestId><HostId>/);

    const allowed = await fetch(await presign(keys.get('reader')!, 'bucket-a', 'doc.txt'));
    assert.equal(allowed.status, 200);
    assert.equal(await allowed.text(), 'bucket-a/doc.txt');
    assert.equal((await fetch(await presign(keys.get('reader')!, 'bucket-b', 'doc.txt'))).status, 403);
  });

  test('an identity policy allowing s3:GetObject on bucket-a/* reads bucket-a only, and writes nothing', async () => {
    assert.equal(await body(await reader.send(new GetObjectCommand({ Bucket: 'bucket-a', Key: 'doc.txt' }))), 'bucket-a/doc.txt');
    assert.equal((await reader.send(new HeadObjectCommand({ Bucket: 'bucket-a', Key: 'home/alice.txt' }))).ContentLength, 'bucket-a/home/alice.txt'.length);
    await denied(reader.send(new GetObjectCommand({ Bucket: 'bucket-b', Key: 'doc.txt' })), 's3:GetObject');
    await denied(reader.send(new PutObjectCommand({ Bucket: 'bucket-a', Key: 'new.txt', Body: 'x' })), 's3:PutObject');
    await denied(reader.send(new ListObjectsV2Command({ Bucket: 'bucket-a' })), 's3:ListBucket');
    // Copying needs s3:PutObject on the destination as well as s3:GetObject on the source.
    await denied(reader.send(new CopyObjectCommand({ Bucket: 'bucket-a', Key: 'copy.txt', CopySource: 'bucket-a/doc.txt' })), 's3:PutObject');
    // Without s3:ListBucket a missing key is 403, not 404 (S3 does not say whether it exists).
    await denied(reader.send(new GetObjectCommand({ Bucket: 'bucket-a', Key: 'missing.txt' })), 's3:ListBucket');
    await rejectsWith(root.send(new GetObjectCommand({ Bucket: 'bucket-a', Key: 'missing.txt' })), 'NoSuchKey', 404);
  });

  test('CopyObject checks s3:GetObject on the source', async () => {
    const copier = await user('copier', [{ Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::bucket-a/*' }, { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket-a/*' }]);
    await copier.send(new CopyObjectCommand({ Bucket: 'bucket-a', Key: 'copied.txt', CopySource: 'bucket-a/doc.txt' }));
    assert.equal(await body(await root.send(new GetObjectCommand({ Bucket: 'bucket-a', Key: 'copied.txt' }))), 'bucket-a/doc.txt');
    await denied(copier.send(new CopyObjectCommand({ Bucket: 'bucket-a', Key: 'stolen.txt', CopySource: 'bucket-b/doc.txt' })), 's3:GetObject');
    await rejectsWith(root.send(new HeadObjectCommand({ Bucket: 'bucket-a', Key: 'stolen.txt' })), 'NotFound', 404);
  });

  test('an s3:prefix condition on s3:ListBucket limits which prefixes may be listed', async () => {
    const out = await lister.send(new ListObjectsV2Command({ Bucket: 'bucket-a', Prefix: 'home/' }));
    assert.deepEqual(out.Contents?.map((o) => o.Key), ['home/alice.txt']);
    await denied(lister.send(new ListObjectsV2Command({ Bucket: 'bucket-a', Prefix: 'other/' })), 's3:ListBucket');
    await denied(lister.send(new ListObjectsV2Command({ Bucket: 'bucket-a' })), 's3:ListBucket');
    await denied(lister.send(new ListObjectsV2Command({ Bucket: 'bucket-b', Prefix: 'home/' })), 's3:ListBucket');
  });

  test('bucket policies round-trip, are deleted, and go with their bucket', async () => {
    const policy = bucketPolicy({ Sid: 'ReadShared', Effect: 'Allow', Principal: { AWS: userArn('reader') }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket-b/shared/*' });
    await rejectsWith(root.send(new GetBucketPolicyCommand({ Bucket: 'bucket-b' })), 'NoSuchBucketPolicy', 404, 'The bucket policy does not exist');
    await root.send(new PutBucketPolicyCommand({ Bucket: 'bucket-b', Policy: policy }));
    assert.equal((await root.send(new GetBucketPolicyCommand({ Bucket: 'bucket-b' }))).Policy, policy);
    await root.send(new DeleteBucketPolicyCommand({ Bucket: 'bucket-b' }));
    await rejectsWith(root.send(new GetBucketPolicyCommand({ Bucket: 'bucket-b' })), 'NoSuchBucketPolicy', 404);
    await rejectsWith(root.send(new GetBucketPolicyCommand({ Bucket: 'no-such-bucket' })), 'NoSuchBucket', 404);

    await root.send(new CreateBucketCommand({ Bucket: 'short-lived' }));
    await root.send(new PutBucketPolicyCommand({ Bucket: 'short-lived', Policy: bucketPolicy({ Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::short-lived/*' }) }));
    await root.send(new DeleteBucketCommand({ Bucket: 'short-lived' }));
    await root.send(new CreateBucketCommand({ Bucket: 'short-lived' }));
    await rejectsWith(root.send(new GetBucketPolicyCommand({ Bucket: 'short-lived' })), 'NoSuchBucketPolicy', 404);
  });

  test("PutBucketPolicy refuses malformed policies with S3's messages", async () => {
    const put = (Policy: string) => root.send(new PutBucketPolicyCommand({ Bucket: 'bucket-b', Policy }));
    await rejectsWith(put('not json'), 'MalformedPolicy', 400, "Policies must be valid JSON and the first byte must be '{'");
    await rejectsWith(put(bucketPolicy({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket-a/*' })), 'MalformedPolicy', 400, 'Policy has invalid resource');
    await rejectsWith(put(bucketPolicy({ Effect: 'Allow', Principal: { AWS: 'someone' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket-b/*' })), 'MalformedPolicy', 400, /^Invalid principal in policy/);
    await rejectsWith(put(bucketPolicy({ Effect: 'Allow', Principal: '*', Action: 'iam:CreateUser', Resource: 'arn:aws:s3:::bucket-b/*' })), 'MalformedPolicy', 400, 'Policy has invalid action');
    await rejectsWith(put(bucketPolicy({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket-b' })), 'MalformedPolicy', 400, 'Action does not apply to any resource(s) in statement');
    await rejectsWith(root.send(new GetBucketPolicyCommand({ Bucket: 'bucket-b' })), 'NoSuchBucketPolicy', 404);
  });

  test('the AWS CLI puts and gets a bucket policy', { skip: awsCliSkipReason() }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-policy-'));
    const policy = bucketPolicy({ Effect: 'Allow', Principal: { AWS: userArn('friend') }, Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::public/*'] });
    fs.writeFileSync(path.join(dir, 'policy.json'), policy);
    try {
      const put = await aws(server.endpoint, ['s3api', 'put-bucket-policy', '--bucket', 'public', '--policy', `file://${path.join(dir, 'policy.json')}`]);
      assert.equal(put.code, 0, put.stderr);
      const got = await aws(server.endpoint, ['s3api', 'get-bucket-policy', '--bucket', 'public', '--output', 'json']);
      assert.equal(got.code, 0, got.stderr);
      assert.deepEqual(JSON.parse(JSON.parse(got.stdout).Policy), JSON.parse(policy));
      const bad = await aws(server.endpoint, ['s3api', 'put-bucket-policy', '--bucket', 'public', '--policy', '{"Statement": []}']);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /MalformedPolicy/);
      const del = await aws(server.endpoint, ['s3api', 'delete-bucket-policy', '--bucket', 'public']);
      assert.equal(del.code, 0, del.stderr);
      const none = await aws(server.endpoint, ['s3api', 'get-bucket-policy', '--bucket', 'public']);
      assert.match(none.stderr, /NoSuchBucketPolicy.*The bucket policy does not exist/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a bucket policy naming a user grants that user access without any identity policy", async () => {
    await denied(friend.send(new GetObjectCommand({ Bucket: 'bucket-b', Key: 'shared/note.txt' })), 's3:GetObject');
    await root.send(
      new PutBucketPolicyCommand({
        Bucket: 'bucket-b',
        Policy: bucketPolicy(
          { Sid: 'FriendReadsShared', Effect: 'Allow', Principal: { AWS: userArn('friend') }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket-b/shared/*' },
          { Sid: 'FriendListsShared', Effect: 'Allow', Principal: { AWS: [userArn('friend')] }, Action: 's3:ListBucket', Resource: 'arn:aws:s3:::bucket-b', Condition: { StringEquals: { 's3:prefix': 'shared/' } } },
        ),
      }),
    );
    try {
      assert.equal(await body(await friend.send(new GetObjectCommand({ Bucket: 'bucket-b', Key: 'shared/note.txt' }))), 'bucket-b/shared/note.txt');
      assert.deepEqual((await friend.send(new ListObjectsV2Command({ Bucket: 'bucket-b', Prefix: 'shared/' }))).Contents?.map((o) => o.Key), ['shared/note.txt']);
      await denied(friend.send(new GetObjectCommand({ Bucket: 'bucket-b', Key: 'private/secret.txt' })), 's3:GetObject');
      await denied(friend.send(new ListObjectsV2Command({ Bucket: 'bucket-b' })), 's3:ListBucket');
      await denied(friend.send(new PutObjectCommand({ Bucket: 'bucket-b', Key: 'shared/new.txt', Body: 'x' })), 's3:PutObject');
      // It names friend only: other users and anonymous callers gain nothing.
      await denied(nobody.send(new GetObjectCommand({ Bucket: 'bucket-b', Key: 'shared/note.txt' })), 's3:GetObject');
      assert.equal((await fetch(`${server.endpoint}/bucket-b/shared/note.txt`)).status, 403);
    } finally {
      await root.send(new DeleteBucketPolicyCommand({ Bucket: 'bucket-b' }));
    }
    await denied(friend.send(new GetObjectCommand({ Bucket: 'bucket-b', Key: 'shared/note.txt' })), 's3:GetObject');
  });

  test("an explicit Deny in a bucket policy beats an admin user's Allow, and root's own access", async () => {
    await admin.send(new PutObjectCommand({ Bucket: 'guarded', Key: 'a.txt', Body: 'a' }));
    await admin.send(new PutObjectCommand({ Bucket: 'guarded', Key: 'b.txt', Body: 'b' }));
    await admin.send(new PutObjectCommand({ Bucket: 'guarded', Key: 'c.txt', Body: 'c' }));
    await admin.send(new DeleteObjectCommand({ Bucket: 'guarded', Key: 'c.txt' }));
    await admin.send(
      new PutBucketPolicyCommand({
        Bucket: 'guarded',
        Policy: bucketPolicy({ Sid: 'NoDeletes', Effect: 'Deny', Principal: '*', Action: 's3:DeleteObject', Resource: 'arn:aws:s3:::guarded/*' }),
      }),
    );
    await rejectsWith(admin.send(new DeleteObjectCommand({ Bucket: 'guarded', Key: 'a.txt' })), 'AccessDenied', 403, `User: ${userArn('admin')} is not authorized to perform: s3:DeleteObject on resource: arn:aws:s3:::guarded/a.txt with an explicit deny in a resource-based policy`);
    await rejectsWith(root.send(new DeleteObjectCommand({ Bucket: 'guarded', Key: 'a.txt' })), 'AccessDenied', 403, /explicit deny in a resource-based policy/);
    const out = await root.send(new DeleteObjectsCommand({ Bucket: 'guarded', Delete: { Objects: [{ Key: 'a.txt' }, { Key: 'b.txt' }] } }));
    assert.deepEqual(out.Errors?.map((e) => e.Code), ['AccessDenied', 'AccessDenied']);
    // Everything else still works for them.
    assert.equal(await body(await admin.send(new GetObjectCommand({ Bucket: 'guarded', Key: 'a.txt' }))), 'a');
    await admin.send(new PutObjectCommand({ Bucket: 'guarded', Key: 'a.txt', Body: 'a2' }));
    await admin.send(new DeleteBucketPolicyCommand({ Bucket: 'guarded' }));
    await admin.send(new DeleteObjectCommand({ Bucket: 'guarded', Key: 'a.txt' }));
    await root.send(new DeleteObjectCommand({ Bucket: 'guarded', Key: 'b.txt' }));
  });

  test('a role session is held to the role\'s policies', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'bucket-a-reader', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }] }) }));
    await iam.send(new PutRolePolicyCommand({ RoleName: 'bucket-a-reader', PolicyName: 'read', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket-a/*' }] }) }));
    // AWS refuses AssumeRole from the root account: an admin user assumes it.
    const admin = await createAdminUser(server.endpoint, 'role-taker');
    const sts = new STSClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: admin.credentials, maxAttempts: 1 });
    const { Credentials: c } = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/bucket-a-reader`, RoleSessionName: 'job' }));
    sts.destroy();
    const session = track(s3Client(server.endpoint, { credentials: { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! } }));
    assert.equal(await body(await session.send(new GetObjectCommand({ Bucket: 'bucket-a', Key: 'doc.txt' }))), 'bucket-a/doc.txt');
    await rejectsWith(session.send(new PutObjectCommand({ Bucket: 'bucket-a', Key: 'x', Body: 'x' })), 'AccessDenied', 403, new RegExp(`^User: arn:aws:sts::${ACCOUNT}:assumed-role/bucket-a-reader/job is not authorized to perform: s3:PutObject`));
  });

  test('a bucket policy allowing Principal "*" serves anonymous (unsigned) reads, and nothing more', async () => {
    const url = `${server.endpoint}/public/hello.txt`;
    const before = await fetch(url);
    assert.equal(before.status, 403);
    assert.match(await before.text(), /<Code>AccessDenied<\/Code><Message>Access Denied<\/Message>/);
    await root.send(new PutBucketPolicyCommand({ Bucket: 'public', Policy: bucketPolicy({ Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::public/*' }) }));
    try {
      const res = await fetch(url);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'public/hello.txt');
      assert.equal((await fetch(url, { method: 'HEAD' })).status, 200);
      // Listing, writing, deleting and other buckets stay closed to anonymous callers.
      const list = await fetch(`${server.endpoint}/public?list-type=2`);
      assert.equal(list.status, 403);
      assert.match(await list.text(), /<Code>AccessDenied<\/Code><Message>Access Denied<\/Message>/);
      assert.equal((await fetch(`${server.endpoint}/public/new.txt`, { method: 'PUT', body: 'x' })).status, 403);
      assert.equal((await fetch(url, { method: 'DELETE' })).status, 403);
      assert.equal((await fetch(`${server.endpoint}/bucket-a/doc.txt`)).status, 403);
      assert.equal((await fetch(`${server.endpoint}/`)).status, 403);
      // A missing key is 403 too: anonymous callers may not list.
      assert.equal((await fetch(`${server.endpoint}/public/missing.txt`)).status, 403);
      await rejectsWith(root.send(new HeadObjectCommand({ Bucket: 'public', Key: 'new.txt' })), 'NotFound', 404);
      // A bad signature is still refused as such, not read as anonymous.
      const forged = await fetch(url, { headers: { Authorization: 'AWS4-HMAC-SHA256 Credential=AKIDNIMBUSTEST/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00', 'x-amz-date': '20240101T000000Z' } });
      assert.equal(forged.status, 403);
      assert.doesNotMatch(await forged.text(), /<Code>AccessDenied<\/Code>/);
    } finally {
      await root.send(new DeleteBucketPolicyCommand({ Bucket: 'public' }));
    }
    assert.equal((await fetch(url)).status, 403);
  });
});
