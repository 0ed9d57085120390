import type { Logger } from 'pino';
import { ALLOW_ALL, type Authorize } from '../auth/index.ts';
import { QueryErrors } from '../errors/index.ts';
import type { IamStore } from '../storage/index.ts';
import type { Clock } from '../util/index.ts';
import { IamContext } from './context.ts';
import { iamAccessRequest } from './iam-authorization.ts';
import { ownerPolicyActions } from './owner-policy-actions.ts';
import { policyActions } from './policy-actions.ts';
import { roleActions } from './role-actions.ts';
import { QueryService, type PrincipalOf } from './query-service.ts';
import { userActions } from './user-actions.ts';

export const IAM_XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/';
export const IAM_VERSION = '2010-05-08';

export interface IamServiceDeps {
  readonly store: IamStore;
  readonly clock: Clock;
  readonly accountId: string;
  readonly principalOf: PrincipalOf;
  readonly logger: Logger;
  /** IAM authorization of iam:<Action> on the user, role or policy; default: everything allowed. */
  readonly authorize?: Authorize;
}

/**
 * The IAM API (query protocol, `iam` credential scope): users and their access keys, roles
 * and trust policies, customer and AWS managed policies, inline policies, attachments.
 * IAM is global: ARNs carry the account and no region.
 */
export class IamService extends QueryService {
  constructor(deps: IamServiceDeps) {
    const ctx = new IamContext(deps.store, deps.clock, deps.accountId);
    super({
      name: 'iam',
      xmlns: IAM_XMLNS,
      version: IAM_VERSION,
      actions: {
        ...userActions(ctx),
        ...roleActions(ctx),
        ...policyActions(ctx),
        ...ownerPolicyActions(ctx, 'user'),
        ...ownerPolicyActions(ctx, 'role'),
      },
      principalOf: deps.principalOf,
      logger: deps.logger,
      internalError: (m) => new QueryErrors.ServiceFailure(m),
      authorize: (req, action, params, principal) => {
        const request = iamAccessRequest(ctx, action, params, principal);
        if (request) (deps.authorize ?? ALLOW_ALL)(req, request);
      },
    });
  }
}
