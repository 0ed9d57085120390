import { QueryErrors } from '../errors/index.ts';
import { MalformedPolicyDocumentError, parsePolicy } from './policy-parser.ts';

/**
 * Grammar checks on a JSON policy document, the ones IAM makes before storing one
 * (MalformedPolicyDocument otherwise). Evaluation is the policy engine's business.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
 */
export type PolicyKind = 'identity' | 'trust';

const VERSIONS = new Set(['2012-10-17', '2008-10-17']);
const TOP_LEVEL = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);

function malformed(message: string): QueryErrors.MalformedPolicyDocument {
  return new QueryErrors.MalformedPolicyDocument(message);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function strings(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) return v as string[];
  return undefined;
}

/** Parses and checks a policy document; returns the parsed JSON. */
export function parsePolicyDocument(text: string, kind: PolicyKind): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw malformed('This policy contains invalid Json');
  }
  if (!isObject(doc)) throw malformed('Syntax errors in policy.');
  for (const key of Object.keys(doc)) if (!TOP_LEVEL.has(key)) throw malformed('Syntax errors in policy.');
  if (doc.Version !== undefined && (typeof doc.Version !== 'string' || !VERSIONS.has(doc.Version))) throw malformed('The policy failed legacy parsing');
  const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement === undefined ? [] : [doc.Statement];
  if (statements.length === 0) throw malformed('Syntax errors in policy.');
  for (const s of statements) checkStatement(s, kind);
  // And what IAM stores is exactly what the policy engine can evaluate later.
  try {
    parsePolicy(text, kind);
  } catch (err) {
    if (err instanceof MalformedPolicyDocumentError) throw malformed(err.message);
    throw err;
  }
  return doc;
}

function checkStatement(s: unknown, kind: PolicyKind): void {
  if (!isObject(s)) throw malformed('Syntax errors in policy.');
  for (const key of Object.keys(s)) if (!STATEMENT_KEYS.has(key)) throw malformed('Syntax errors in policy.');
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw malformed('Syntax errors in policy.');
  if (s.Sid !== undefined && typeof s.Sid !== 'string') throw malformed('Syntax errors in policy.');
  if (s.Condition !== undefined && !isObject(s.Condition)) throw malformed('Syntax errors in policy.');
  if (s.Action !== undefined && s.NotAction !== undefined) throw malformed('Syntax errors in policy.');
  if (s.Resource !== undefined && s.NotResource !== undefined) throw malformed('Syntax errors in policy.');
  const actionField = s.Action ?? s.NotAction;
  if (actionField === undefined) throw malformed('Policy statement must contain actions.');
  const actions = strings(actionField);
  if (!actions) throw malformed('Syntax errors in policy.');
  for (const a of actions) {
    if (a !== '*' && !/^[a-zA-Z0-9-]+:[^:]+$/.test(a)) throw malformed('Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
  }
  for (const field of ['Resource', 'NotResource'] as const) {
    if (s[field] !== undefined && !strings(s[field])) throw malformed('Syntax errors in policy.');
  }
  const principal = s.Principal ?? s.NotPrincipal;
  if (kind === 'identity') {
    if (principal !== undefined) throw malformed('Policy document should not specify a principal.');
    if (s.Resource === undefined && s.NotResource === undefined) throw malformed('Policy statement must contain resources.');
    return;
  }
  if (s.Resource !== undefined || s.NotResource !== undefined) throw malformed(`Has prohibited field ${s.Resource !== undefined ? 'Resource' : 'NotResource'}`);
  if (principal === undefined) throw malformed('Missing required field Principal');
  if (principal !== '*' && !isObject(principal)) throw malformed('Syntax errors in policy.');
  for (const a of actions) {
    if (a !== '*' && !a.toLowerCase().startsWith('sts:')) throw malformed('AssumeRole policy may only specify STS AssumeRole actions.');
  }
}

/**
 * A document's size as IAM counts it against its quotas: characters other than whitespace.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 */
export function policySize(text: string): number {
  return text.replace(/\s+/g, '').length;
}
