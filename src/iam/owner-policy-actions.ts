import { QueryErrors } from '../errors/index.ts';
import type { PolicyOwner, PolicyOwnerKind } from '../storage/index.ts';
import { encodeDocument, paginate, type IamContext } from './context.ts';
import { RULES, type StringRule } from './params.ts';
import { parsePolicyDocument, policySize } from './policy-document.ts';
import type { QueryAction } from './query-service.ts';

/**
 * Quotas on what a user or role may hold.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 */
export const OWNER_QUOTAS = {
  user: { inlineBytes: 2048, attached: 10 },
  role: { inlineBytes: 10240, attached: 10 },
} as const;

/**
 * Inline and attached policies work alike for users and roles: Put/Get/Delete/List<Kind>Policies
 * and Attach/Detach/ListAttached<Kind>Policies, for kind User or Role.
 */
export function ownerPolicyActions(ctx: IamContext, kind: PolicyOwnerKind): Record<string, QueryAction> {
  const Kind = kind === 'user' ? 'User' : 'Role';
  const nameField = `${Kind}Name`;
  // Inline-policy actions on users take existing user names (up to 128); the rest the entity's own rule.
  const inlineRule: StringRule = kind === 'user' ? RULES.existingUserName : RULES.roleName;
  const attachRule: StringRule = kind === 'user' ? RULES.userName : RULES.roleName;
  const owner = (name: string): PolicyOwner => {
    const record = kind === 'user' ? ctx.requireUser(name) : ctx.requireRole(name);
    return { kind, name: record.name };
  };
  const quotas = OWNER_QUOTAS[kind];

  return {
    // Put<Kind>Policy
    [`Put${Kind}Policy`]: (p) => {
      const who = owner(p.required(nameField, inlineRule));
      const name = p.required('PolicyName', RULES.policyName);
      const document = p.required('PolicyDocument', RULES.policyDocument);
      parsePolicyDocument(document, 'identity');
      const others = ctx.store.inlinePolicies(who).filter((x) => x.name.toLowerCase() !== name.toLowerCase());
      const total = others.reduce((n, x) => n + policySize(x.document), policySize(document));
      if (total > quotas.inlineBytes) throw new QueryErrors.LimitExceeded(`Maximum policy size of ${quotas.inlineBytes} bytes exceeded for ${kind} ${who.name}`);
      ctx.store.putInlinePolicy(who, { name, document });
      return undefined;
    },
    // Get<Kind>Policy
    [`Get${Kind}Policy`]: (p) => {
      const who = owner(p.required(nameField, inlineRule));
      const name = p.required('PolicyName', RULES.policyName);
      const policy = ctx.store.inlinePolicy(who, name);
      if (!policy) throw new QueryErrors.NoSuchEntity(`The ${kind} policy with name ${name} cannot be found.`);
      return { [nameField]: who.name, PolicyName: policy.name, PolicyDocument: encodeDocument(policy.document) };
    },
    // Delete<Kind>Policy
    [`Delete${Kind}Policy`]: (p) => {
      const who = owner(p.required(nameField, inlineRule));
      const name = p.required('PolicyName', RULES.policyName);
      if (!ctx.store.deleteInlinePolicy(who, name)) throw new QueryErrors.NoSuchEntity(`The ${kind} policy with name ${name} cannot be found.`);
      return undefined;
    },
    // List<Kind>Policies
    [`List${Kind}Policies`]: (p) => {
      const who = owner(p.required(nameField, inlineRule));
      return paginate(ctx.store.inlinePolicies(who), (x) => x.name.toLowerCase(), p, 'PolicyNames', (x) => x.name);
    },
    // Attach<Kind>Policy
    [`Attach${Kind}Policy`]: (p) => {
      const who = owner(p.required(nameField, attachRule));
      const arn = p.required('PolicyArn', RULES.arn);
      ctx.checkPolicyArn(arn);
      if (!ctx.policy(arn)) throw new QueryErrors.NoSuchEntity(`Policy ${arn} does not exist or is not attachable.`);
      const attached = ctx.store.attachedPolicies(who);
      if (attached.includes(arn)) return undefined;
      if (attached.length >= quotas.attached) throw new QueryErrors.LimitExceeded(`Cannot exceed quota for PoliciesPer${Kind}: ${quotas.attached}`);
      ctx.store.attach(who, arn);
      return undefined;
    },
    // Detach<Kind>Policy
    [`Detach${Kind}Policy`]: (p) => {
      const who = owner(p.required(nameField, attachRule));
      const arn = p.required('PolicyArn', RULES.arn);
      ctx.checkPolicyArn(arn);
      if (!ctx.store.detach(who, arn)) throw new QueryErrors.NoSuchEntity(`Policy ${arn} was not found.`);
      return undefined;
    },
    // ListAttached<Kind>Policies
    [`ListAttached${Kind}Policies`]: (p) => {
      const who = owner(p.required(nameField, attachRule));
      const prefix = p.str('PathPrefix', RULES.policyPath) ?? '/';
      const policies = ctx.store
        .attachedPolicies(who)
        .map((arn) => ctx.policy(arn))
        .filter((x) => x !== undefined && x.path.startsWith(prefix));
      return paginate(policies, (x) => `${x!.name.toLowerCase()}\u0000${x!.arn}`, p, 'AttachedPolicies', (x) => ({ PolicyName: x!.name, PolicyArn: x!.arn }));
    },
  };
}
