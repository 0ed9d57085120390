/**
 * Parses and validates IAM policy documents into the form the policy engine evaluates:
 * identity policies (users, roles), resource policies (buckets, functions, secrets) and
 * role trust policies.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
 *
 * Messages follow what IAM (MalformedPolicyDocument) and S3 (MalformedPolicy) answer.
 * IAM reports most structural mistakes as the bare "Syntax errors in policy."; S3, the
 * main resource-policy service, names the field, so `resource` documents get its wording.
 */

export type PolicyKind = 'identity' | 'resource' | 'trust';
export type PolicyVersion = '2012-10-17' | '2008-10-17';
export type PolicyEffect = 'Allow' | 'Deny';
export type PolicyPrincipalType = 'AWS' | 'Service' | 'Federated' | 'CanonicalUser';
/** "*" (everyone, services included) or principal identifiers by type. */
export type PrincipalBlock = '*' | Readonly<Partial<Record<PolicyPrincipalType, readonly string[]>>>;

export const CONDITION_OPERATORS = [
  'StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase',
  'StringLike', 'StringNotLike',
  'NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals',
  'NumericGreaterThan', 'NumericGreaterThanEquals',
  'DateEquals', 'DateNotEquals', 'DateLessThan', 'DateLessThanEquals', 'DateGreaterThan',
  'DateGreaterThanEquals',
  'Bool', 'BinaryEquals', 'IpAddress', 'NotIpAddress',
  'ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike', 'Null',
] as const;
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

/** One `operator: { key: values }` pair of a Condition block. */
export interface ConditionEntry {
  /** The operator as written, e.g. "ForAllValues:StringLikeIfExists". */
  readonly operator: string;
  readonly base: ConditionOperator;
  readonly set?: 'ForAnyValue' | 'ForAllValues';
  readonly ifExists: boolean;
  readonly key: string;
  /** JSON numbers and booleans are kept as their text, as AWS compares them. */
  readonly values: readonly string[];
}

export interface PolicyStatement {
  readonly sid?: string;
  readonly effect: PolicyEffect;
  readonly action?: readonly string[];
  readonly notAction?: readonly string[];
  readonly resource?: readonly string[];
  readonly notResource?: readonly string[];
  readonly principal?: PrincipalBlock;
  readonly notPrincipal?: PrincipalBlock;
  readonly conditions: readonly ConditionEntry[];
}

export interface PolicyDocument {
  /** A document without Version is read as 2008-10-17: policy variables stay literal text. */
  readonly version: PolicyVersion;
  readonly id?: string;
  readonly statements: readonly PolicyStatement[];
}

export interface ParseOptions {
  /** Whether an IAM principal ARN names an existing user or role; AWS refuses unknown ones. */
  readonly principalExists?: (arn: string) => boolean;
}

/** A policy AWS would refuse; each API maps it to its own error (MalformedPolicyDocument, MalformedPolicy...). */
export class MalformedPolicyDocumentError extends Error {
  override readonly name = 'MalformedPolicyDocumentError';
}

const SYNTAX = 'Syntax errors in policy.';
const TOP_FIELDS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_FIELDS = new Set([
  'Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Principal', 'NotPrincipal', 'Condition',
]);
const PRINCIPAL_TYPES: readonly PolicyPrincipalType[] = ['AWS', 'Service', 'Federated', 'CanonicalUser'];
const OPERATOR_BY_LOWER = new Map<string, ConditionOperator>(CONDITION_OPERATORS.map((op) => [op.toLowerCase(), op]));
const ACCOUNT_ID = /^\d{12}$/;
const IAM_PRINCIPAL_ARN =
  /^arn:aws[a-z-]*:(iam::\d{12}:(root|user\/.+|role\/.+)|sts::\d{12}:(assumed-role\/[^/]+\/.+|federated-user\/.+))$/;
const SERVICE_PRINCIPAL = /^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$/;
const VENDOR = /^[a-zA-Z0-9.-]+$/;

type Fail = (message: string) => never;

export function parsePolicy(input: string | object, kind: PolicyKind, options: ParseOptions = {}): PolicyDocument {
  const fail: Fail = (message) => {
    throw new MalformedPolicyDocumentError(message);
  };
  /** S3 names the field at fault; IAM only says the syntax is wrong. */
  const named: Fail = (s3Message) => fail(kind === 'resource' ? s3Message : SYNTAX);

  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch {
      raw = undefined;
    }
  }
  if (!isRecord(raw)) {
    return fail(kind === 'resource' ? "Policies must be valid JSON and the first byte must be '{'" : SYNTAX);
  }
  for (const field of Object.keys(raw)) if (!TOP_FIELDS.has(field)) named(`Unknown field ${field}`);

  const version = raw.Version ?? '2008-10-17';
  if (version !== '2012-10-17' && version !== '2008-10-17') named('Invalid Version');
  if (raw.Id !== undefined && typeof raw.Id !== 'string') fail(SYNTAX);
  if (raw.Statement === undefined) named('Missing required field Statement');
  const rawStatements: unknown[] = Array.isArray(raw.Statement) ? raw.Statement : [raw.Statement];
  if (rawStatements.length === 0) named('Missing required field Statement');

  const statements = rawStatements.map((s) => parseStatement(s, kind, options, fail, named));

  const sids = new Set<string>();
  for (const { sid } of statements) {
    if (!sid) continue;
    if (sids.has(sid)) fail('Statement IDs (SID) in a single policy must be unique.');
    sids.add(sid);
  }
  return deepFreeze({
    version: version as PolicyVersion,
    ...(typeof raw.Id === 'string' ? { id: raw.Id } : {}),
    statements,
  });
}

function parseStatement(raw: unknown, kind: PolicyKind, options: ParseOptions, fail: Fail, named: Fail): PolicyStatement {
  if (!isRecord(raw)) return fail(SYNTAX);
  for (const field of Object.keys(raw)) if (!STATEMENT_FIELDS.has(field)) named(`Unknown field ${field}`);

  if (raw.Sid !== undefined && typeof raw.Sid !== 'string') fail(SYNTAX);
  const sid = raw.Sid as string | undefined;
  // IAM (not S3) restricts the Sids of identity policies to letters and digits.
  if (kind === 'identity' && sid !== undefined && !/^[0-9A-Za-z]*$/.test(sid)) {
    fail('Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*');
  }

  if (raw.Effect === undefined) named('Missing required field Effect');
  if (raw.Effect !== 'Allow' && raw.Effect !== 'Deny') named(`Invalid effect: ${String(raw.Effect)}`);

  if (raw.Action !== undefined && raw.NotAction !== undefined) fail(SYNTAX);
  if (raw.Resource !== undefined && raw.NotResource !== undefined) fail(SYNTAX);
  if (raw.Principal !== undefined && raw.NotPrincipal !== undefined) fail(SYNTAX);

  const action = stringList(raw.Action, fail);
  const notAction = stringList(raw.NotAction, fail);
  const actions = action ?? notAction ?? [];
  if (actions.length === 0) fail('Policy statement must contain actions.');
  for (const a of actions) validateAction(a, kind, fail);

  const resource = stringList(raw.Resource, fail);
  const notResource = stringList(raw.NotResource, fail);
  if (kind === 'trust') {
    if (resource || notResource) fail(`Has prohibited field ${resource ? 'Resource' : 'NotResource'}`);
  } else {
    const resources = resource ?? notResource ?? [];
    if (resources.length === 0) fail('Policy statement must contain resources.');
    for (const r of resources) {
      if (r !== '*' && !r.includes(':')) fail(`Resource ${r} must be in ARN format or "*".`);
    }
  }

  let principal: PrincipalBlock | undefined;
  let notPrincipal: PrincipalBlock | undefined;
  if (kind === 'identity') {
    if (raw.Principal !== undefined || raw.NotPrincipal !== undefined) fail('Policy document should not specify a principal.');
  } else {
    if (raw.Principal === undefined && raw.NotPrincipal === undefined) fail('Missing required field Principal');
    if (raw.Principal !== undefined) principal = parsePrincipal(raw.Principal, options, fail);
    if (raw.NotPrincipal !== undefined) notPrincipal = parsePrincipal(raw.NotPrincipal, options, fail);
  }

  return {
    ...(sid !== undefined ? { sid } : {}),
    effect: raw.Effect as PolicyEffect,
    ...(action ? { action } : {}),
    ...(notAction ? { notAction } : {}),
    ...(resource ? { resource } : {}),
    ...(notResource ? { notResource } : {}),
    ...(principal ? { principal } : {}),
    ...(notPrincipal ? { notPrincipal } : {}),
    conditions: parseCondition(raw.Condition, fail),
  };
}

function validateAction(action: string, kind: PolicyKind, fail: Fail): void {
  if (action === '*') return;
  const parts = action.split(':');
  if (parts.length === 1) fail('Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
  if (parts.length > 2) fail('Actions/Condition can contain only one colon.');
  const vendor = parts[0]!;
  if (vendor !== '*' && !VENDOR.test(vendor)) fail(`Vendor ${vendor} is not valid`);
  if (kind === 'trust' && vendor.toLowerCase() !== 'sts' && vendor !== '*') {
    fail('Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML, and sts:AssumeRoleWithWebIdentity');
  }
}

function parsePrincipal(raw: unknown, options: ParseOptions, fail: Fail): PrincipalBlock {
  if (raw === '*') return '*';
  if (!isRecord(raw) || Object.keys(raw).length === 0) return fail(SYNTAX);
  const block: Partial<Record<PolicyPrincipalType, readonly string[]>> = {};
  for (const [type, value] of Object.entries(raw)) {
    const values = stringList(value, fail) ?? [];
    const invalid = (v: string): never => fail(`Invalid principal in policy: ${JSON.stringify(type)}:${JSON.stringify(v)}`);
    if (!PRINCIPAL_TYPES.includes(type as PolicyPrincipalType)) invalid(values[0] ?? '');
    if (values.length === 0) invalid('');
    for (const v of values) {
      switch (type as PolicyPrincipalType) {
        case 'AWS':
          // No wildcards in a principal other than "*" itself.
          if (v !== '*' && !ACCOUNT_ID.test(v) && !(IAM_PRINCIPAL_ARN.test(v) && !v.includes('*'))) invalid(v);
          if (IAM_PRINCIPAL_ARN.test(v) && !v.endsWith(':root') && options.principalExists?.(v) === false) invalid(v);
          break;
        case 'Service':
          if (!SERVICE_PRINCIPAL.test(v)) invalid(v);
          break;
        case 'Federated':
        case 'CanonicalUser':
          if (v.length === 0) invalid(v);
          break;
      }
    }
    block[type as PolicyPrincipalType] = values;
  }
  return block;
}

function parseCondition(raw: unknown, fail: Fail): ConditionEntry[] {
  if (raw === undefined) return [];
  if (!isRecord(raw)) return fail(SYNTAX);
  const entries: ConditionEntry[] = [];
  for (const [operator, block] of Object.entries(raw)) {
    if (!isRecord(block)) return fail(SYNTAX);
    const parsed = parseOperator(operator) ?? fail(SYNTAX);
    for (const [key, value] of Object.entries(block)) {
      const list: unknown[] = Array.isArray(value) ? value : [value];
      const values = list.map((v) =>
        typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : fail(SYNTAX),
      );
      if (parsed.base.startsWith('Date') && values.some((v) => parseDateValue(v) === undefined)) {
        fail('The policy failed legacy parsing');
      }
      entries.push({ operator, ...parsed, key, values });
    }
  }
  return entries;
}

/** Splits "ForAnyValue:StringLikeIfExists" into its parts; undefined for an unknown operator. */
export function parseOperator(operator: string): Pick<ConditionEntry, 'base' | 'set' | 'ifExists'> | undefined {
  let rest = operator;
  let set: ConditionEntry['set'];
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    const prefix = rest.slice(0, colon).toLowerCase();
    if (prefix === 'foranyvalue') set = 'ForAnyValue';
    else if (prefix === 'forallvalues') set = 'ForAllValues';
    else return undefined;
    rest = rest.slice(colon + 1);
  }
  let ifExists = false;
  let base = OPERATOR_BY_LOWER.get(rest.toLowerCase());
  if (!base && rest.toLowerCase().endsWith('ifexists')) {
    base = OPERATOR_BY_LOWER.get(rest.slice(0, -'IfExists'.length).toLowerCase());
    ifExists = true;
    // "You can add IfExists to the end of any condition operator name except the Null condition."
    if (base === 'Null') return undefined;
  }
  if (!base) return undefined;
  return { base, ...(set ? { set } : {}), ifExists };
}

/**
 * A date condition value or context value in milliseconds: W3C ISO 8601 or epoch seconds.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date
 */
export function parseDateValue(value: string): number | undefined {
  // As IAM reads it: without a "-" or a "T" it is epoch seconds.
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  if (!/^\d{4}-\d{2}((-\d{2}([Tt]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?)?)?$/.test(value)) return undefined;
  let iso = value.length === 7 ? `${value}-01` : value.toUpperCase();
  // JavaScript reads a date-time without an offset as local time; AWS means UTC.
  if (iso.includes('T') && !/(Z|[+-]\d{2}:?\d{2})$/.test(iso)) iso += 'Z';
  iso = iso.replace(/(T.*[+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

function stringList(value: unknown, fail: Fail): string[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  return fail(SYNTAX);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
