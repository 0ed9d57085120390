import type { Route } from './router.ts';
import type { RouteDeps } from './function-routes.ts';
import { functionResource } from './function-routes.ts';
import { parseBody } from './schemas.ts';
import { AddPermissionBody } from './policy-schemas.ts';
import { validation } from './qualifiers.ts';

const SMALL_BODY = 64 * 1024;
/** RemovePermission's StatementId (NamespacedStatementId): 1..100, ([a-zA-Z0-9-_.]+). */
const NAMESPACED_STATEMENT_ID = /^[a-zA-Z0-9_.-]{1,100}$/;

/** Resource-based policies: AddPermission, RemovePermission, GetPolicy. */
export function policyRoutes(deps: RouteDeps): Route[] {
  const scope = deps.functions.scope;
  const qualifierOf = (query: URLSearchParams) => query.get('Qualifier') ?? undefined;
  return [
    {
      // AddPermission
      operation: 'AddPermission',
      method: 'POST',
      path: '/2015-03-31/functions/:FunctionName/policy',
      action: 'lambda:AddPermission',
      resource: (ctx) => functionResource(scope, ctx),
      maxBody: SMALL_BODY,
      async handle(ctx) {
        const body = parseBody(AddPermissionBody, await ctx.body());
        const statement = deps.policies.add(ctx.params.FunctionName!, qualifierOf(ctx.query), body);
        return { status: 201, body: { Statement: statement } };
      },
    },
    {
      // RemovePermission
      operation: 'RemovePermission',
      method: 'DELETE',
      path: '/2015-03-31/functions/:FunctionName/policy/:StatementId',
      action: 'lambda:RemovePermission',
      resource: (ctx) => functionResource(scope, ctx),
      maxBody: 0,
      handle(ctx) {
        const sid = ctx.params.StatementId!;
        if (!NAMESPACED_STATEMENT_ID.test(sid)) {
          throw validation(sid, 'statementId', sid.length > 100 ? 'Member must have length less than or equal to 100' : 'Member must satisfy regular expression pattern: ([a-zA-Z0-9-_.]+)');
        }
        deps.policies.remove(ctx.params.FunctionName!, sid, qualifierOf(ctx.query), ctx.query.get('RevisionId') ?? undefined);
        return { status: 204 };
      },
    },
    {
      // GetPolicy
      operation: 'GetPolicy',
      method: 'GET',
      path: '/2015-03-31/functions/:FunctionName/policy',
      action: 'lambda:GetPolicy',
      resource: (ctx) => functionResource(scope, ctx),
      maxBody: 0,
      handle(ctx) {
        const { policy, revisionId } = deps.policies.get(ctx.params.FunctionName!, qualifierOf(ctx.query));
        return { status: 200, body: { Policy: policy, RevisionId: revisionId } };
      },
    },
  ];
}
