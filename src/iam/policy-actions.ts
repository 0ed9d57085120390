import { QueryErrors } from '../errors/index.ts';
import { encodeDocument, paginate, policyXml, type IamContext } from './context.ts';
import { ID_PREFIX, uniqueId } from './ids.ts';
import { RULES } from './params.ts';
import { parsePolicyDocument, policySize } from './policy-document.ts';
import type { QueryAction } from './query-service.ts';

/** https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html */
export const MANAGED_POLICY_MAX = 6144;

export function policyActions(ctx: IamContext): Record<string, QueryAction> {
  const { store } = ctx;
  return {
    // CreatePolicy
    CreatePolicy: (p) => {
      const name = p.required('PolicyName', RULES.policyName);
      const path = p.str('Path', RULES.policyPath) ?? '/';
      const document = p.required('PolicyDocument', RULES.policyDocument);
      const description = p.str('Description', RULES.policyDescription);
      const tags = p.tags();
      parsePolicyDocument(document, 'identity');
      if (policySize(document) > MANAGED_POLICY_MAX) throw new QueryErrors.LimitExceeded(`Cannot exceed quota for PolicySize: ${MANAGED_POLICY_MAX}`);
      const record = { arn: ctx.arn('policy', path, name), name, path, id: uniqueId(ID_PREFIX.policy), description, document, created: ctx.now(), tags };
      if (!store.createPolicy(record)) throw new QueryErrors.EntityAlreadyExists(`A policy called ${name} already exists. Duplicate names are not allowed.`);
      return { Policy: policyXml(ctx.policy(record.arn)!, 0, false) };
    },
    // GetPolicy
    GetPolicy: (p) => {
      const policy = ctx.requirePolicy(p.required('PolicyArn', RULES.arn));
      return { Policy: policyXml(policy, store.attachmentCount(policy.arn), true) };
    },
    // DeletePolicy
    DeletePolicy: (p) => {
      const policy = ctx.requirePolicy(p.required('PolicyArn', RULES.arn));
      if (policy.awsManaged) throw new QueryErrors.InvalidInput(`Policy ${policy.arn} is an AWS managed policy and cannot be deleted.`);
      if (store.attachmentCount(policy.arn) > 0) throw new QueryErrors.DeleteConflict('Cannot delete a policy attached to entities.');
      store.deletePolicy(policy.arn);
      return undefined;
    },
    // ListPolicies
    ListPolicies: (p) => {
      const scope = p.str('Scope', RULES.policyScope) ?? 'All';
      const onlyAttached = p.bool('OnlyAttached') ?? false;
      const prefix = p.str('PathPrefix', RULES.policyPath) ?? '/';
      p.str('PolicyUsageFilter', RULES.policyUsage);
      const policies = ctx
        .allPolicies()
        .filter((x) => scope === 'All' || (scope === 'AWS') === x.awsManaged)
        .filter((x) => x.path.startsWith(prefix))
        .map((x) => ({ policy: x, attachments: store.attachmentCount(x.arn) }))
        .filter((x) => !onlyAttached || x.attachments > 0);
      return paginate(policies, (x) => `${x.policy.name.toLowerCase()}\u0000${x.policy.arn}`, p, 'Policies', (x) => policyXml(x.policy, x.attachments, false));
    },
    // GetPolicyVersion
    GetPolicyVersion: (p) => {
      const arn = p.required('PolicyArn', RULES.arn);
      const versionId = p.required('VersionId', RULES.policyVersionId);
      const policy = ctx.requirePolicy(arn);
      if (versionId !== policy.versionId) throw new QueryErrors.NoSuchEntity(`Policy ${arn} version ${versionId} does not exist or is not attachable.`);
      return { PolicyVersion: { Document: encodeDocument(policy.document), VersionId: policy.versionId, IsDefaultVersion: true, CreateDate: policy.awsManaged ? policy.updated : policy.created } };
    },
  };
}
