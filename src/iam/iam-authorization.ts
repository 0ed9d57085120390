import type { AccessRequest } from '../auth/index.ts';
import type { Principal } from '../auth/types.ts';
import type { IamContext } from './context.ts';
import type { Params } from './params.ts';

/**
 * What each IAM action is authorized on, as the Service Authorization Reference lists it:
 * iam:<Action> on the user's, role's or policy's ARN (with its path), or "*" for the list
 * actions that have no resource type. Access-key actions without UserName act on the
 * caller's own user. Attach/Detach carry iam:PolicyARN.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
 */
type Target = 'user' | 'self-user' | 'role' | 'policy' | 'new-policy' | 'account';

const TARGETS: Readonly<Record<string, Target>> = {
  CreateUser: 'user',
  GetUser: 'self-user',
  DeleteUser: 'user',
  ListUsers: 'account',
  CreateAccessKey: 'self-user',
  DeleteAccessKey: 'self-user',
  ListAccessKeys: 'self-user',
  UpdateAccessKey: 'self-user',
  CreateRole: 'role',
  GetRole: 'role',
  DeleteRole: 'role',
  ListRoles: 'account',
  UpdateAssumeRolePolicy: 'role',
  CreatePolicy: 'new-policy',
  GetPolicy: 'policy',
  DeletePolicy: 'policy',
  ListPolicies: 'account',
  GetPolicyVersion: 'policy',
};

for (const kind of ['User', 'Role'] as const) {
  for (const verb of ['Put', 'Get', 'Delete', 'List', 'Attach', 'Detach', 'ListAttached']) {
    const action = verb === 'List' ? `List${kind}Policies` : verb === 'ListAttached' ? `ListAttached${kind}Policies` : `${verb}${kind}Policy`;
    (TARGETS as Record<string, Target>)[action] = kind === 'User' ? 'user' : 'role';
  }
}

/**
 * The access request for an IAM action, or undefined when the request names nothing to
 * authorize on (a required name missing: the action refuses it as a validation error).
 */
export function iamAccessRequest(ctx: IamContext, action: string, params: Params, principal: Principal): AccessRequest | undefined {
  const target = TARGETS[action];
  const raw = (name: string) => {
    const v = params.raw.get(name);
    return v === undefined || v === '' ? undefined : v;
  };
  const policyArn = raw('PolicyArn');
  const context = action.startsWith('Attach') || action.startsWith('Detach') ? (policyArn ? { 'iam:PolicyARN': policyArn } : undefined) : undefined;
  const request = (resource: string): AccessRequest => ({ action: `iam:${action}`, resource, ...(context ? { context } : {}) });
  switch (target) {
    case undefined:
      return undefined;
    case 'account':
      return request('*');
    case 'user':
    case 'self-user': {
      const name = raw('UserName') ?? (target === 'self-user' && principal.type === 'User' ? principal.name : undefined);
      if (!name) return undefined;
      const user = ctx.store.user(name);
      return request(user?.arn ?? ctx.arn('user', action === 'CreateUser' ? (raw('Path') ?? '/') : '/', name));
    }
    case 'role': {
      const name = raw('RoleName');
      if (!name) return undefined;
      const role = ctx.store.role(name);
      return request(role?.arn ?? ctx.arn('role', action === 'CreateRole' ? (raw('Path') ?? '/') : '/', name));
    }
    case 'new-policy': {
      const name = raw('PolicyName');
      return name ? request(ctx.arn('policy', raw('Path') ?? '/', name)) : undefined;
    }
    case 'policy':
      return policyArn ? request(policyArn) : undefined;
  }
}
