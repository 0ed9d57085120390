import type { IncomingMessage } from 'node:http';
import { AccessDeniedError, type Authorize } from '../auth/index.ts';
import { AccessDeniedException } from '../errors/index.ts';
import { parseFunctionArn } from './function-arn.ts';
import type { Scope } from './names.ts';
import type { PolicyService } from './policy-service.ts';
import type { Authorizer } from './router.ts';

/**
 * Authorization of every Lambda API call (and Nimbus's /_nimbus admin paths): the route's
 * IAM action on its resource, against the caller's identity policies and, when the resource
 * is a function, the function's resource-based policy (AddPermission's), so a permission
 * naming a user or role lets it call without an identity policy of its own.
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html
 */
/**
 * CreateFunction and UpdateFunctionConfiguration hand Lambda a role: the caller must be
 * allowed iam:PassRole on it, or lambda:CreateFunction alone would let it run code as any role.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
 */
export function lambdaPassRole(authorize: Authorize): (req: IncomingMessage, roleArn: string) => void {
  return (req, roleArn) => {
    try {
      authorize(req, { action: 'iam:PassRole', resource: roleArn, context: { 'iam:PassedToService': 'lambda.amazonaws.com' } });
    } catch (err) {
      if (err instanceof AccessDeniedError) throw new AccessDeniedException(err.message);
      throw err;
    }
  };
}

export function lambdaAuthorizer(authorize: Authorize, policies: PolicyService, scope: Scope): Authorizer {
  return (route, ctx) => {
    const resource = route.resource(ctx);
    // Function ARNs only: function:* (CreateFunction), layers and "*" have no resource policy.
    const fn = parseFunctionArn(resource, scope);
    const resourcePolicy = fn ? policies.resourcePolicy(fn.name, fn.qualifier) : undefined;
    try {
      authorize(ctx.req, { action: route.action, resource, ...(resourcePolicy ? { resourcePolicy } : {}) });
    } catch (err) {
      if (err instanceof AccessDeniedError) throw new AccessDeniedException(err.message);
      throw err;
    }
  };
}
