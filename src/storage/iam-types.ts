/** IAM entities as the store keeps them. Names are unique without regard to case, as IAM's are. */

export interface IamTag {
  readonly Key: string;
  readonly Value: string;
}

export interface UserRecord {
  readonly name: string;
  readonly path: string;
  /** AIDA… */
  readonly id: string;
  readonly arn: string;
  /** Milliseconds since the epoch. */
  readonly created: number;
  readonly tags: readonly IamTag[];
}

export interface AccessKeyRecord {
  /** AKIA… */
  readonly id: string;
  readonly userName: string;
  readonly secret: string;
  readonly status: 'Active' | 'Inactive';
  readonly created: number;
}

export interface RoleRecord {
  readonly name: string;
  readonly path: string;
  /** AROA… */
  readonly id: string;
  readonly arn: string;
  readonly created: number;
  /** The trust policy, as submitted. */
  readonly trustPolicy: string;
  readonly description: string | undefined;
  /** Seconds, 3600–43200. */
  readonly maxSessionDuration: number;
  readonly tags: readonly IamTag[];
}

/** A customer managed policy (AWS managed ones are data, not rows). Only v1 exists. */
export interface ManagedPolicyRecord {
  readonly arn: string;
  readonly name: string;
  readonly path: string;
  /** ANPA… */
  readonly id: string;
  readonly description: string | undefined;
  readonly document: string;
  readonly created: number;
  readonly tags: readonly IamTag[];
}

export type PolicyOwnerKind = 'user' | 'role';

export interface PolicyOwner {
  readonly kind: PolicyOwnerKind;
  readonly name: string;
}

export interface InlinePolicyRecord {
  readonly name: string;
  readonly document: string;
}

export interface IamStore {
  user(name: string): UserRecord | undefined;
  users(): UserRecord[];
  /** false when a user of that name (in any case) exists. */
  createUser(user: UserRecord): boolean;
  deleteUser(name: string): boolean;

  accessKey(id: string): AccessKeyRecord | undefined;
  accessKeys(userName: string): AccessKeyRecord[];
  putAccessKey(key: AccessKeyRecord): void;
  setAccessKeyStatus(id: string, status: AccessKeyRecord['status']): boolean;
  deleteAccessKey(id: string): boolean;

  role(name: string): RoleRecord | undefined;
  roles(): RoleRecord[];
  createRole(role: RoleRecord): boolean;
  setTrustPolicy(name: string, document: string): boolean;
  deleteRole(name: string): boolean;

  policy(arn: string): ManagedPolicyRecord | undefined;
  policies(): ManagedPolicyRecord[];
  /** false when a policy of that name exists (names are unique in the account, whatever the path). */
  createPolicy(policy: ManagedPolicyRecord): boolean;
  deletePolicy(arn: string): boolean;

  inlinePolicy(owner: PolicyOwner, name: string): InlinePolicyRecord | undefined;
  inlinePolicies(owner: PolicyOwner): InlinePolicyRecord[];
  putInlinePolicy(owner: PolicyOwner, policy: InlinePolicyRecord): void;
  deleteInlinePolicy(owner: PolicyOwner, name: string): boolean;

  attachedPolicies(owner: PolicyOwner): string[];
  attach(owner: PolicyOwner, policyArn: string): void;
  detach(owner: PolicyOwner, policyArn: string): boolean;
  /** How many users and roles a managed policy is attached to. */
  attachmentCount(policyArn: string): number;

  /**
   * A number that moves on every change to what the store holds, so callers can keep what
   * they derive from it (parsed identity policies, signing credentials) until it moves;
   * undefined when nothing read now may be kept (inside a transaction).
   */
  changes(): number | undefined;
}

/** Temporary credentials (STS AssumeRole, execution-role sessions) and whose they are. */
export interface SessionRecord {
  /** ASIA… */
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
  /** The Principal (src/auth/types.ts), as JSON. */
  readonly principal: string;
}

export interface SessionStore {
  get(accessKeyId: string): SessionRecord | undefined;
  put(session: SessionRecord): void;
  /** Deletes sessions expired at `now`; returns how many. */
  sweep(now: number): number;
  /** As IamStore.changes(). */
  changes(): number | undefined;
}
