import { QueryErrors } from '../errors/index.ts';
import { paginate, roleXml, type IamContext } from './context.ts';
import { ID_PREFIX, uniqueId } from './ids.ts';
import { INT_RULES, RULES } from './params.ts';
import { parsePolicyDocument, policySize } from './policy-document.ts';
import type { QueryAction } from './query-service.ts';

/**
 * Trust policies count against a role's 2,048 characters (without whitespace).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 */
export const TRUST_POLICY_MAX = 2048;
/** MaxSessionDuration when CreateRole names none (seconds). */
export const DEFAULT_MAX_SESSION_DURATION = 3600;

function checkTrustPolicy(document: string): void {
  parsePolicyDocument(document, 'trust');
  if (policySize(document) > TRUST_POLICY_MAX) throw new QueryErrors.LimitExceeded(`Cannot exceed quota for ACLSizePerRole: ${TRUST_POLICY_MAX}`);
}

export function roleActions(ctx: IamContext): Record<string, QueryAction> {
  const { store } = ctx;
  return {
    // CreateRole
    CreateRole: (p) => {
      const name = p.required('RoleName', RULES.roleName);
      const path = p.str('Path', RULES.path) ?? '/';
      const trustPolicy = p.required('AssumeRolePolicyDocument', RULES.policyDocument);
      const description = p.str('Description', RULES.roleDescription);
      const maxSessionDuration = p.int('MaxSessionDuration', INT_RULES.roleMaxSessionDuration) ?? DEFAULT_MAX_SESSION_DURATION;
      const tags = p.tags();
      checkTrustPolicy(trustPolicy);
      const role = { name, path, id: uniqueId(ID_PREFIX.role), arn: ctx.arn('role', path, name), created: ctx.now(), trustPolicy, description, maxSessionDuration, tags };
      if (!store.createRole(role)) throw new QueryErrors.EntityAlreadyExists(`Role with name ${name} already exists.`);
      return { Role: { ...roleXml(role, false), Tags: roleXml(role, true).Tags } };
    },
    // GetRole
    GetRole: (p) => ({ Role: roleXml(ctx.requireRole(p.required('RoleName', RULES.roleName)), true) }),
    // DeleteRole
    DeleteRole: (p) => {
      const role = ctx.requireRole(p.required('RoleName', RULES.roleName));
      const owner = { kind: 'role', name: role.name } as const;
      if (store.inlinePolicies(owner).length > 0) throw new QueryErrors.DeleteConflict('Cannot delete entity, must delete policies first.');
      if (store.attachedPolicies(owner).length > 0) throw new QueryErrors.DeleteConflict('Cannot delete entity, must detach all policies first.');
      store.deleteRole(role.name);
      return undefined;
    },
    // ListRoles
    ListRoles: (p) => {
      const prefix = p.str('PathPrefix', RULES.pathPrefix) ?? '/';
      const roles = store.roles().filter((r) => r.path.startsWith(prefix));
      return paginate(roles, (r) => r.name.toLowerCase(), p, 'Roles', (r) => roleXml(r, false));
    },
    // UpdateAssumeRolePolicy
    UpdateAssumeRolePolicy: (p) => {
      const role = ctx.requireRole(p.required('RoleName', RULES.roleName));
      const document = p.required('PolicyDocument', RULES.policyDocument);
      checkTrustPolicy(document);
      store.setTrustPolicy(role.name, document);
      return undefined;
    },
  };
}
