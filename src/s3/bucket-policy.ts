import { S3Errors } from '../errors/index.ts';
import { MalformedPolicyDocumentError, parsePolicy, type PolicyDocument } from '../iam/index.ts';
import { PERMISSIONS } from './permissions.ts';

/**
 * "Bucket policies are limited to 20 KB in size", measured without insignificant whitespace.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/add-bucket-policy.html
 */
export const BUCKET_POLICY_MAX_BYTES = 20 * 1024;
const S3_ARN_PREFIX = 'arn:aws:s3:::';

/** Actions that act on objects (arn:aws:s3:::bucket/key) and on buckets, from the operations Nimbus serves. */
const OBJECT_ACTIONS = new Set(Object.values(PERMISSIONS).filter((p) => p.on === 'object' || p.on === 'each-key').map((p) => p.action.toLowerCase()));
const BUCKET_ACTIONS = new Set(Object.values(PERMISSIONS).filter((p) => p.on === 'bucket').map((p) => p.action.toLowerCase()));
const ACCOUNT_ACTIONS = new Set(Object.values(PERMISSIONS).filter((p) => p.on === 'account').map((p) => p.action.toLowerCase()));

/**
 * PutBucketPolicy's validation: a resource policy as the IAM parser reads it, plus S3's own
 * rules: every resource inside this bucket, only s3: actions, each statement's actions
 * fitting at least one of its resources. Refusals are MalformedPolicy with S3's messages.
 */
export function parseBucketPolicy(bucket: string, text: string): PolicyDocument {
  let doc: PolicyDocument;
  try {
    doc = parsePolicy(text, 'resource');
  } catch (err) {
    if (!(err instanceof MalformedPolicyDocumentError)) throw err;
    // The parser words a non-ARN resource as IAM does; S3 says only that it is invalid.
    throw new S3Errors.MalformedPolicy(/^Resource .* must be in ARN format/.test(err.message) ? 'Policy has invalid resource' : err.message);
  }
  if (Buffer.byteLength(JSON.stringify(JSON.parse(text))) > BUCKET_POLICY_MAX_BYTES) {
    throw new S3Errors.MalformedPolicy('Policy exceeds the maximum allowed document size.');
  }
  for (const st of doc.statements) {
    const resources = st.resource ?? st.notResource ?? [];
    if (!resources.every((r) => insideBucket(r, bucket))) throw new S3Errors.MalformedPolicy('Policy has invalid resource');
    const actions = st.action ?? st.notAction ?? [];
    if (!actions.every((a) => a === '*' || a.toLowerCase().startsWith('s3:'))) throw new S3Errors.MalformedPolicy('Policy has invalid action');
    if (st.action && st.resource && !st.action.some((a) => st.resource!.some((r) => applies(a, r, bucket)))) {
      throw new S3Errors.MalformedPolicy('Action does not apply to any resource(s) in statement');
    }
  }
  return doc;
}

/** arn:aws:s3:::<bucket>[/...], where the bucket part may be a pattern matching this bucket. ("*" alone is refused.) */
function insideBucket(resource: string, bucket: string): boolean {
  if (!resource.startsWith(S3_ARN_PREFIX)) return false;
  const rest = resource.slice(S3_ARN_PREFIX.length);
  const slash = rest.indexOf('/');
  return wildcard(slash < 0 ? rest : rest.slice(0, slash)).test(bucket);
}

/** Whether an action could apply to a resource pattern: object actions need a key part, bucket actions the bare bucket. */
function applies(action: string, resource: string, bucket: string): boolean {
  const a = action.toLowerCase();
  const rest = resource.slice(S3_ARN_PREFIX.length);
  if (a.includes('*') || a.includes('?')) return true;
  if (OBJECT_ACTIONS.has(a)) return rest.includes('/') || rest.includes('*');
  if (BUCKET_ACTIONS.has(a)) return wildcard(rest).test(bucket);
  // Account-wide actions (s3:ListAllMyBuckets) have no bucket resource to apply to.
  if (ACCOUNT_ACTIONS.has(a)) return false;
  // Actions of APIs Nimbus does not serve: not refused, for want of their resource types.
  return true;
}

function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`);
}
