import { InvalidParameterValueException } from '../errors/index.ts';

/*
 * Statements of a function's resource-based policy, built as AddPermission builds them
 * and evaluated as IAM evaluates Allow statements.
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

/** What a call presents to a policy: who calls, which action, and the request's context keys. */
export interface PolicyRequest {
  readonly action: string;
  /** A service principal, e.g. s3.amazonaws.com. */
  readonly principalService?: string | undefined;
  /** An account id, for account principals. */
  readonly principalAccount?: string | undefined;
  readonly resource: string;
  /** Condition keys (aws:SourceArn, aws:SourceAccount, lambda:FunctionUrlAuthType, ...); names are case-insensitive. */
  readonly context?: Readonly<Record<string, string | undefined>>;
}

/** Whether any statement allows the request (there are no Deny statements in Lambda function policies). */
export function policyAllows(statements: readonly PolicyStatement[], req: PolicyRequest): boolean {
  const context = new Map<string, string>();
  for (const [k, v] of Object.entries(req.context ?? {})) if (v !== undefined) context.set(k.toLowerCase(), v);
  return statements.some(
    (s) =>
      s.Effect === 'Allow' &&
      principalMatches(s.Principal, req) &&
      wildcardMatch(s.Action, req.action, true) &&
      wildcardMatch(s.Resource, req.resource, false) &&
      conditionsHold(s.Condition, context),
  );
}

function principalMatches(principal: Principal, req: PolicyRequest): boolean {
  if (principal === '*') return true;
  if ('Service' in principal) return req.principalService === principal.Service;
  if (req.principalAccount === undefined) return false;
  return principal.AWS === req.principalAccount || principal.AWS === `arn:aws:iam::${req.principalAccount}:root`;
}

function conditionsHold(block: ConditionBlock | undefined, context: ReadonlyMap<string, string>): boolean {
  if (!block) return true;
  for (const [operator, entries] of Object.entries(block)) {
    for (const [key, expected] of Object.entries(entries)) {
      const actual = context.get(key.toLowerCase());
      // A key the request does not carry fails every positive operator, as in IAM.
      if (actual === undefined || !operatorHolds(operator, expected, actual)) return false;
    }
  }
  return true;
}

function operatorHolds(operator: string, expected: string, actual: string): boolean {
  switch (operator) {
    case 'StringEquals':
    case 'ArnEquals':
      return expected === actual;
    case 'StringEqualsIgnoreCase':
      return expected.toLowerCase() === actual.toLowerCase();
    case 'StringLike':
    case 'ArnLike':
      return wildcardMatch(expected, actual, false);
    case 'Bool':
      return expected.toLowerCase() === actual.toLowerCase();
    default:
      // An operator Nimbus does not know grants nothing.
      return false;
  }
}

/** IAM wildcards: * any run of characters, ? one character. Actions compare case-insensitively. */
export function wildcardMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  if (!p.includes('*') && !p.includes('?')) return p === v;
  const source = p.replace(/[.+^${}()|[\]\\*?]/g, (c) => (c === '*' ? '.*' : c === '?' ? '.' : `\\${c}`));
  return new RegExp(`^${source}$`, 's').test(v);
}
