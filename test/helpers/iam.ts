import { AttachRolePolicyCommand, AttachUserPolicyCommand, CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, GetRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { TEST_CREDENTIALS } from './server.ts';

/** The trust policy of an execution role: Lambda may assume it. */
export const LAMBDA_TRUST_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

export const ADMINISTRATOR_ACCESS = 'arn:aws:iam::aws:policy/AdministratorAccess';
export const BASIC_EXECUTION = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';

/** The role names the suites' functions use; startTestServer and startServerProcess create them. */
export const STANDARD_TEST_ROLES = ['r', 'lambda_basic_execution'] as const;

export interface ExecutionRoleOptions {
  /** Managed policies to attach (default AdministratorAccess, so functions that call back keep every right). */
  readonly policies?: readonly string[];
  /** Inline policies, by name. */
  readonly inline?: Readonly<Record<string, unknown>>;
}

/**
 * Creates (unless it exists) an execution role trusting lambda.amazonaws.com, as a user does
 * before CreateFunction, and attaches its policies. Returns the role ARN.
 */
export async function ensureExecutionRole(endpoint: string, name: string, options: ExecutionRoleOptions = {}): Promise<string> {
  const iam = new IAMClient({ endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  try {
    let arn: string;
    try {
      arn = (await iam.send(new GetRoleCommand({ RoleName: name }))).Role!.Arn!;
    } catch (err) {
      if ((err as { name?: string }).name !== 'NoSuchEntityException') throw err;
      arn = (await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: LAMBDA_TRUST_POLICY }))).Role!.Arn!;
    }
    for (const policy of options.policies ?? [ADMINISTRATOR_ACCESS]) {
      await iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: policy }));
    }
    for (const [policyName, document] of Object.entries(options.inline ?? {})) {
      await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: policyName, PolicyDocument: JSON.stringify(document) }));
    }
    return arn;
  } finally {
    iam.destroy();
  }
}

/** The suites' standard execution roles (STANDARD_TEST_ROLES), for suites that start the server themselves. */
export async function ensureStandardRoles(endpoint: string): Promise<void> {
  for (const role of STANDARD_TEST_ROLES) await ensureExecutionRole(endpoint, role);
}

/**
 * An IAM user with AdministratorAccess and an access key: what a caller of sts:AssumeRole
 * must be, since AWS refuses AssumeRole from the root account.
 */
export async function createAdminUser(endpoint: string, name: string): Promise<{ arn: string; credentials: { accessKeyId: string; secretAccessKey: string } }> {
  const iam = new IAMClient({ endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  try {
    const user = (await iam.send(new CreateUserCommand({ UserName: name }))).User!;
    await iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: ADMINISTRATOR_ACCESS }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
    return { arn: user.Arn!, credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } };
  } finally {
    iam.destroy();
  }
}
