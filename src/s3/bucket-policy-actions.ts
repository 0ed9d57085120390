import { S3Errors } from '../errors/index.ts';
import type { BucketPolicyStore } from '../storage/index.ts';
import { parseBucketPolicy } from './bucket-policy.ts';
import type { S3Action } from './context.ts';
import type { ObjectService } from './object-service.ts';
import { readVerifiedBody } from './request-body.ts';

/** PutBucketPolicy reads the whole document; anything far past S3's 20 KB limit is refused unread. */
const POLICY_BODY_MAX = 1024 * 1024;

/** Put/Get/DeleteBucketPolicy (?policy); without a store they answer NotImplemented. */
export function bucketPolicyActions(objects: ObjectService, policies: BucketPolicyStore | undefined): S3Action[] {
  const require = () => {
    if (!policies) throw new S3Errors.NotImplemented('The policy sub-resource is not implemented');
    return policies;
  };
  return [
    // PutBucketPolicy
    {
      operation: 'PutBucketPolicy',
      target: 'bucket',
      async handle(call) {
        const store = require();
        objects.requireBucket(call.bucket);
        const body = await readVerifiedBody(call.req, POLICY_BODY_MAX);
        const text = body.toString('utf8');
        parseBucketPolicy(call.bucket, text);
        if (!store.putBucketPolicy(call.bucket, text)) throw new S3Errors.NoSuchBucket(undefined, { BucketName: call.bucket });
        return { status: 204 };
      },
    },
    // GetBucketPolicy
    {
      operation: 'GetBucketPolicy',
      target: 'bucket',
      async handle(call) {
        const store = require();
        objects.requireBucket(call.bucket);
        const policy = store.getBucketPolicy(call.bucket);
        if (policy === undefined) throw new S3Errors.NoSuchBucketPolicy(undefined, { BucketName: call.bucket });
        return { status: 200, headers: { 'Content-Type': 'application/json' }, body: policy };
      },
    },
    // DeleteBucketPolicy
    {
      operation: 'DeleteBucketPolicy',
      target: 'bucket',
      async handle(call) {
        const store = require();
        objects.requireBucket(call.bucket);
        // S3 answers 204 whether or not the bucket had a policy.
        store.deleteBucketPolicy(call.bucket);
        return { status: 204 };
      },
    },
  ];
}
