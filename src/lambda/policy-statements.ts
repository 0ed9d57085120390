import { InvalidParameterValueException } from '../errors/index.ts';

/*
 * Statements of a function's resource-based policy, built as AddPermission builds them;
 * the IAM policy engine (src/iam/policy-engine.ts) evaluates them.
 * https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 */

export type Principal = '*' | { readonly Service: string } | { readonly AWS: string };
export type ConditionBlock = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** One statement, member order as Lambda serializes it. */
export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Principal: Principal;
  readonly Action: string;
  readonly Resource: string;
  readonly Condition?: ConditionBlock;
}

export interface PermissionRequest {
  readonly StatementId: string;
  readonly Action: string;
  readonly Principal: string;
  readonly SourceArn?: string | undefined;
  readonly SourceAccount?: string | undefined;
  readonly EventSourceToken?: string | undefined;
  readonly PrincipalOrgID?: string | undefined;
  readonly FunctionUrlAuthType?: string | undefined;
  readonly InvokedViaFunctionUrl?: boolean | undefined;
}

const ACCOUNT = /^\d{12}$/;
const IAM_ARN = /^arn:aws[a-zA-Z-]*:iam::\d{12}:(root|user\/\S+|role\/\S+|assumed-role\/\S+)$/;
/** Service principals are domain-style: s3.amazonaws.com, alexa-appkit.amazon.com, ... */
const SERVICE = /^[a-z0-9][a-z0-9.-]*\.(amazonaws\.com|amazon\.com|amazonaws\.com\.cn)$/;

/** The Principal element for AddPermission's Principal string, or AWS's refusal. */
export function principalOf(principal: string): Principal {
  if (principal === '*') return '*';
  if (ACCOUNT.test(principal)) return { AWS: `arn:aws:iam::${principal}:root` };
  if (IAM_ARN.test(principal)) return { AWS: principal };
  if (SERVICE.test(principal)) return { Service: principal };
  throw new InvalidParameterValueException('The provided principal was invalid. Please check the principal and try again.');
}

/** The statement AddPermission adds for a request on resource (the function ARN, qualified when asked). */
export function buildStatement(resource: string, req: PermissionRequest): PolicyStatement {
  const stringEquals: Record<string, string> = {};
  if (req.SourceAccount !== undefined) stringEquals['AWS:SourceAccount'] = req.SourceAccount;
  if (req.PrincipalOrgID !== undefined) stringEquals['aws:PrincipalOrgID'] = req.PrincipalOrgID;
  if (req.EventSourceToken !== undefined) stringEquals['lambda:EventSourceToken'] = req.EventSourceToken;
  if (req.FunctionUrlAuthType !== undefined) stringEquals['lambda:FunctionUrlAuthType'] = req.FunctionUrlAuthType;
  const condition: Record<string, Record<string, string>> = {};
  if (Object.keys(stringEquals).length > 0) condition.StringEquals = stringEquals;
  // Lambda compares SourceArn with wildcards (ArnLike), so arn:aws:s3:::bucket-* works.
  if (req.SourceArn !== undefined) condition.ArnLike = { 'AWS:SourceArn': req.SourceArn };
  if (req.InvokedViaFunctionUrl !== undefined) condition.Bool = { 'lambda:InvokedViaFunctionUrl': String(req.InvokedViaFunctionUrl) };
  return {
    Sid: req.StatementId,
    Effect: 'Allow',
    Principal: principalOf(req.Principal),
    Action: req.Action,
    Resource: resource,
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  };
}
