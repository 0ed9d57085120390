import type { Logger } from 'pino';
import type { Principal, SessionIssuer } from '../auth/types.ts';
import { QueryErrors } from '../errors/index.ts';
import type { IamStore } from '../storage/index.ts';
import { parseRoleArn } from './credentials.ts';
import { INT_RULES, RULES } from './params.ts';
import { isoSeconds } from './query-protocol.ts';
import { QueryService, type PrincipalOf } from './query-service.ts';

export const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';
export const STS_VERSION = '2011-06-15';

/** AssumeRole's DurationSeconds when none is given, and the cap on role chaining. */
export const DEFAULT_SESSION_SECONDS = 3600;
export const ROLE_CHAINING_MAX_SECONDS = 3600;

/** Whether a role's trust policy lets the caller assume it. */
/** Whether caller may assume the role: its trust policy (JSON text) and the caller's own policies decide. */
export type CanAssume = (trustPolicy: string, caller: Principal, roleArn: string) => boolean;

export interface StsServiceDeps {
  readonly roles: Pick<IamStore, 'role'>;
  readonly sessions: SessionIssuer;
  readonly canAssume: CanAssume;
  readonly accountId: string;
  readonly principalOf: PrincipalOf;
  readonly logger: Logger;
}

/** The STS API (query protocol, `sts` credential scope): GetCallerIdentity and AssumeRole. */
export class StsService extends QueryService {
  constructor(deps: StsServiceDeps) {
    super({
      name: 'sts',
      xmlns: STS_XMLNS,
      version: STS_VERSION,
      actions: {
        // GetCallerIdentity
        GetCallerIdentity: (_p, { principal }) => ({ UserId: principal.userId, Account: principal.accountId, Arn: principal.arn }),
        // AssumeRole
        AssumeRole: (p, { principal }) => {
          const roleArn = p.required('RoleArn', RULES.arn);
          const sessionName = p.required('RoleSessionName', RULES.roleSessionName);
          const duration = p.int('DurationSeconds', INT_RULES.roleDurationSeconds);
          const denied = () => new QueryErrors.AccessDenied(`User: ${principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
          // AWS: "Roles may not be assumed by root accounts."
          if (principal.type === 'Root') throw new QueryErrors.AccessDenied('Roles may not be assumed by root accounts.');
          const ref = parseRoleArn(roleArn);
          if (!ref) throw new QueryErrors.ValidationError(`${roleArn} is not a valid role ARN.`);
          // A role that does not exist is refused like one the caller may not assume, as AWS does.
          const role = ref.accountId === deps.accountId ? deps.roles.role(ref.name) : undefined;
          if (!role || role.arn !== roleArn) throw denied();
          if (!deps.canAssume(role.trustPolicy, principal, role.arn)) throw denied();
          const seconds = duration ?? DEFAULT_SESSION_SECONDS;
          if (principal.type === 'AssumedRole' && seconds > ROLE_CHAINING_MAX_SECONDS) {
            throw new QueryErrors.ValidationError('The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
          }
          if (seconds > role.maxSessionDuration) throw new QueryErrors.ValidationError('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
          const session = deps.sessions.issue({ roleArn: role.arn, roleId: role.id, sessionName, durationSeconds: seconds });
          return {
            Credentials: { AccessKeyId: session.accessKeyId, SecretAccessKey: session.secretAccessKey, SessionToken: session.sessionToken, Expiration: isoSeconds(session.expiresAt) },
            AssumedRoleUser: { AssumedRoleId: session.principal.userId, Arn: session.principal.arn },
          };
        },
      },
      principalOf: deps.principalOf,
      logger: deps.logger,
      internalError: (m) => new QueryErrors.InternalFailure(m),
    });
  }
}
