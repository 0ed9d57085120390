/**
 * The Condition element: operators, ...IfExists, the ForAnyValue:/ForAllValues: set
 * operators, and what a key missing from the request does to each.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html
 */
import { BlockList, isIP } from 'node:net';
import { parseDateValue, type ConditionEntry, type ConditionOperator } from './policy-parser.ts';
import { globMatch, splitArn, substituteVariables, type ContextKeys } from './policy-match.ts';

/**
 * Whether every entry of a statement's Condition holds: operators AND, keys AND, the
 * values of one key OR (NOR for a negated operator).
 * @param variables the context for ${...} substitution, absent for 2008-10-17 documents.
 */
export function conditionsHold(
  entries: readonly ConditionEntry[],
  context: ContextKeys,
  variables: ContextKeys | undefined,
): boolean {
  return entries.every((entry) => entryHolds(entry, context, variables));
}

function entryHolds(entry: ConditionEntry, context: ContextKeys, variables: ContextKeys | undefined): boolean {
  const requestValues = context.get(entry.key);
  const present = requestValues !== undefined && requestValues.length > 0;

  if (entry.base === 'Null') {
    // "true": the key must be absent; "false": it must be present.
    return entry.values.some((v) => (v.toLowerCase() === 'true' ? !present : v.toLowerCase() === 'false' && present));
  }
  const { positive, negated } = OPERATORS[entry.base];
  const substituted = LITERAL_VARIABLE_OPERATORS.has(positive) ? entry.values.map((v) => substituteVariables(v, variables)) : entry.values;
  // A policy variable without a value invalidates the statement (it must not make a negated operator hold).
  if (substituted.some((v) => v === undefined)) return false;
  const policyValues = substituted as readonly string[];
  // One request value against the policy's values: any matches, or for a negated operator none does.
  const holdsFor = (value: string): boolean => {
    const matched = policyValues.some((p) => compare(positive, value, p, variables));
    return negated ? !matched : matched;
  };

  if (!present) {
    if (entry.ifExists) return true;
    // ForAllValues holds for an empty set; ForAnyValue has nothing to match.
    if (entry.set === 'ForAllValues') return true;
    if (entry.set === 'ForAnyValue') return false;
    // "If the policy condition requires that the key is not matched ... and the key is not present, the condition is true."
    return negated;
  }
  if (entry.set === 'ForAllValues') return requestValues.every(holdsFor);
  if (entry.set === 'ForAnyValue') return requestValues.some(holdsFor);
  // A single-valued operator given several request values: negated means none may match.
  return negated ? requestValues.every(holdsFor) : requestValues.some(holdsFor);
}

type Positive =
  | 'StringEquals' | 'StringEqualsIgnoreCase' | 'StringLike'
  | 'NumericEquals' | 'NumericLessThan' | 'NumericLessThanEquals' | 'NumericGreaterThan' | 'NumericGreaterThanEquals'
  | 'DateEquals' | 'DateLessThan' | 'DateLessThanEquals' | 'DateGreaterThan' | 'DateGreaterThanEquals'
  | 'Bool' | 'BinaryEquals' | 'IpAddress' | 'ArnLike';

const OPERATORS: Record<Exclude<ConditionOperator, 'Null'>, { positive: Positive; negated: boolean }> = {
  StringEquals: { positive: 'StringEquals', negated: false },
  StringNotEquals: { positive: 'StringEquals', negated: true },
  StringEqualsIgnoreCase: { positive: 'StringEqualsIgnoreCase', negated: false },
  StringNotEqualsIgnoreCase: { positive: 'StringEqualsIgnoreCase', negated: true },
  StringLike: { positive: 'StringLike', negated: false },
  StringNotLike: { positive: 'StringLike', negated: true },
  NumericEquals: { positive: 'NumericEquals', negated: false },
  NumericNotEquals: { positive: 'NumericEquals', negated: true },
  NumericLessThan: { positive: 'NumericLessThan', negated: false },
  NumericLessThanEquals: { positive: 'NumericLessThanEquals', negated: false },
  NumericGreaterThan: { positive: 'NumericGreaterThan', negated: false },
  NumericGreaterThanEquals: { positive: 'NumericGreaterThanEquals', negated: false },
  DateEquals: { positive: 'DateEquals', negated: false },
  DateNotEquals: { positive: 'DateEquals', negated: true },
  DateLessThan: { positive: 'DateLessThan', negated: false },
  DateLessThanEquals: { positive: 'DateLessThanEquals', negated: false },
  DateGreaterThan: { positive: 'DateGreaterThan', negated: false },
  DateGreaterThanEquals: { positive: 'DateGreaterThanEquals', negated: false },
  Bool: { positive: 'Bool', negated: false },
  BinaryEquals: { positive: 'BinaryEquals', negated: false },
  IpAddress: { positive: 'IpAddress', negated: false },
  NotIpAddress: { positive: 'IpAddress', negated: true },
  // "The ArnEquals and ArnLike condition operators behave identically."
  ArnEquals: { positive: 'ArnLike', negated: false },
  ArnLike: { positive: 'ArnLike', negated: false },
  ArnNotEquals: { positive: 'ArnLike', negated: true },
  ArnNotLike: { positive: 'ArnLike', negated: true },
};

/**
 * Operators whose values may hold policy variables are String, ARN and Boolean (per the
 * docs). The wildcard ones substitute while matching, so that ${*} stays a literal star.
 */
const LITERAL_VARIABLE_OPERATORS = new Set<Positive>(['StringEquals', 'StringEqualsIgnoreCase', 'Bool']);

function compare(op: Positive, value: string, policy: string, variables: ContextKeys | undefined): boolean {
  switch (op) {
    case 'StringEquals':
      return value === policy;
    case 'StringEqualsIgnoreCase':
      return value.toLowerCase() === policy.toLowerCase();
    case 'StringLike':
      return globMatch(policy, value, { mode: 'free', context: variables });
    case 'Bool':
      return value.toLowerCase() === policy.toLowerCase();
    case 'BinaryEquals':
      return Buffer.from(value, 'base64').equals(Buffer.from(policy, 'base64'));
    case 'IpAddress':
      return ipInRange(value, policy);
    case 'ArnLike':
      return arnLike(policy, value, variables);
    default:
      return op.startsWith('Numeric')
        ? ordered(op, Number(value), Number(policy))
        : ordered(op, parseDateValue(value), parseDateValue(policy));
  }
}

function ordered(op: Positive, value: number | undefined, policy: number | undefined): boolean {
  if (value === undefined || policy === undefined || !Number.isFinite(value) || !Number.isFinite(policy)) return false;
  if (op.endsWith('LessThanEquals')) return value <= policy;
  if (op.endsWith('LessThan')) return value < policy;
  if (op.endsWith('GreaterThanEquals')) return value >= policy;
  if (op.endsWith('GreaterThan')) return value > policy;
  return value === policy;
}

/**
 * "Each of the six colon-delimited components of the ARN is checked separately and each can
 * include multi-character match wildcards (*) or single-character match wildcards (?)."
 */
function arnLike(template: string, value: string, variables: ContextKeys | undefined): boolean {
  // Substitute first (a variable may hold a whole ARN), keeping ${*} and ${?} for the glob.
  const pattern = substituteVariables(template, variables, { keepEscapes: true });
  if (pattern === undefined) return false;
  const p = splitArn(pattern);
  const v = splitArn(value);
  if (!p || !v) return pattern === '*';
  return p.every((part, i) => globMatch(part, v[i]!, { mode: i === 5 ? 'free' : 'segment', context: variables }));
}

const blockLists = new Map<string, BlockList | null>();

/** CIDR or a bare address (/32, /128), IPv4 or IPv6, through node's BlockList. */
function ipInRange(address: string, range: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  let list = blockLists.get(range);
  if (list === undefined) {
    list = buildBlockList(range);
    if (blockLists.size > 10_000) blockLists.clear();
    blockLists.set(range, list);
  }
  return list?.check(address, family === 4 ? 'ipv4' : 'ipv6') ?? false;
}

function buildBlockList(range: string): BlockList | null {
  const [net, bits, extra] = range.trim().split('/');
  const family = isIP(net ?? '');
  if (family === 0 || extra !== undefined) return null;
  const max = family === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (bits !== undefined && !/^\d+$/.test(bits))) return null;
  const list = new BlockList();
  list.addSubnet(net!, prefix, family === 4 ? 'ipv4' : 'ipv6');
  return list;
}
