/**
 * Who a request comes from and the keys it may sign with: the contract between SigV4
 * verification (src/auth), the IAM/STS API that issues users' and sessions' keys
 * (src/iam), and authorization (policy evaluation against the principal).
 */

export type PrincipalType = 'Root' | 'User' | 'AssumedRole';

export interface Principal {
  readonly type: PrincipalType;
  readonly accountId: string;
  /**
   * arn:aws:iam::<acct>:root | arn:aws:iam::<acct>:user/<path><name> |
   * arn:aws:sts::<acct>:assumed-role/<role>/<session>
   */
  readonly arn: string;
  /** GetCallerIdentity's UserId: the account id for root, AIDA… for a user, AROA…:<session> for a role session. */
  readonly userId: string;
  /** The user's name, or for a role session the role's name. */
  readonly name: string;
  /** For a role session: arn:aws:iam::<acct>:role/<path><name>, whose policies apply. */
  readonly roleArn?: string;
}

/** A key pair Nimbus holds, and whose it is. */
export interface SigningCredential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Temporary credentials: the request must carry it (X-Amz-Security-Token). */
  readonly sessionToken?: string;
  /** Milliseconds since the epoch; temporary credentials stop working then. */
  readonly expiresAt?: number;
  /** Inactive IAM access keys (UpdateAccessKey) are known but refused. */
  readonly active?: boolean;
  readonly principal: Principal;
}

/** Finds the credential of an access key id, wherever it is kept (root file, IAM users, sessions). */
export interface CredentialLookup {
  find(accessKeyId: string): SigningCredential | undefined;
}

/** Issues temporary credentials for a role (STS AssumeRole, and each sandbox's execution role). */
export interface SessionIssuer {
  issue(input: {
    readonly roleArn: string;
    /** The role's unique id (AROA…), for the principal's userId. */
    readonly roleId: string;
    readonly sessionName: string;
    readonly durationSeconds: number;
  }): SigningCredential & { readonly sessionToken: string; readonly expiresAt: number };
}
