import { createHash } from 'node:crypto';
import type { SessionIssuer } from './types.ts';

/** Temporary credentials handed to one execution environment (AWS_ACCESS_KEY_ID, ...). */
export interface RoleCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
}

/** How long an execution environment's role session lasts (AWS rotates Lambda's within hours). */
export const ROLE_SESSION_SECONDS = 6 * 3600;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A stable AROA… id for a role ARN no IAM role backs (yet): 21 characters, as IAM's. */
export function derivedRoleId(roleArn: string): string {
  const digest = createHash('sha256').update(roleArn).digest();
  let out = 'AROA';
  for (let i = 0; i < 17; i++) out += BASE32[digest[i]! % 32];
  return out;
}

/**
 * The execution role's credentials for each new environment: a session of the function's
 * role named after the function, as Lambda's own (arn:aws:sts::<acct>:assumed-role/<role>/<fn>).
 */
export class RoleCredentialSource {
  constructor(
    private readonly issuer: SessionIssuer,
    private readonly options: { readonly durationSeconds?: number; readonly roleIdOf?: (roleArn: string) => string | undefined } = {},
  ) {}

  forFunction(roleArn: string, functionName: string): RoleCredentials {
    const { accessKeyId, secretAccessKey, sessionToken, expiresAt } = this.issuer.issue({
      roleArn,
      roleId: this.options.roleIdOf?.(roleArn) ?? derivedRoleId(roleArn),
      sessionName: functionName,
      durationSeconds: this.options.durationSeconds ?? ROLE_SESSION_SECONDS,
    });
    return { accessKeyId, secretAccessKey, sessionToken, expiresAt };
  }
}
