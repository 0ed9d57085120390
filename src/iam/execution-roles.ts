import type { IamStore, RoleRecord } from '../storage/index.ts';
import type { IamAuthorizer } from './authorizer.ts';
import { parseRoleArn } from './credentials.ts';

/** The service principal Lambda assumes execution roles as. */
export const LAMBDA_SERVICE = 'lambda.amazonaws.com';

/**
 * Functions' execution roles as IAM holds them: CreateFunction and UpdateFunctionConfiguration
 * take a Role only when it exists and trusts lambda.amazonaws.com; sandbox sessions carry its id.
 */
export class ExecutionRoles {
  constructor(
    private readonly store: Pick<IamStore, 'role'>,
    private readonly authorizer: Pick<IamAuthorizer, 'serviceCanAssume'>,
  ) {}

  /** The role exactly that ARN names (path included), if IAM holds it. */
  role(roleArn: string): RoleRecord | undefined {
    const ref = parseRoleArn(roleArn);
    const role = ref ? this.store.role(ref.name) : undefined;
    return role?.arn === roleArn ? role : undefined;
  }

  /** Whether Lambda may assume the role: it exists and its trust policy lets lambda.amazonaws.com in. */
  lambdaCanAssume(roleArn: string): boolean {
    const role = this.role(roleArn);
    return role !== undefined && this.authorizer.serviceCanAssume(role.trustPolicy, LAMBDA_SERVICE, role.arn);
  }

  /** The role's AROA… id; undefined for a role IAM does not hold (a function from before roles were checked). */
  roleId(roleArn: string): string | undefined {
    return this.role(roleArn)?.id;
  }
}
