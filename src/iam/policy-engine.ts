/**
 * Decides a request against the caller's identity policies and the resource's policy, as
 * AWS documents it for a single account (plus the cross-account rule, both must allow).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 * Pure: no I/O, no clock (aws:CurrentTime comes in the request context).
 */
import type { Principal } from '../auth/types.ts';
import type { PolicyDocument, PolicyStatement, PrincipalBlock } from './policy-parser.ts';
import { conditionsHold } from './policy-conditions.ts';
import { ContextKeys, globMatch, globMatchOrUnresolved, type RequestContext } from './policy-match.ts';

/** A request made by an AWS service on someone's behalf (S3 notifications, Lambda assuming its role). */
export interface ServicePrincipal {
  /** e.g. "s3.amazonaws.com" */
  readonly service: string;
}
/** An unsigned request (a public S3 object): only `"Principal": "*"` matches it. */
export interface AnonymousPrincipal {
  readonly anonymous: true;
}
export type RequestPrincipal = Principal | ServicePrincipal | AnonymousPrincipal;

export interface AuthorizationRequest {
  readonly principal: RequestPrincipal;
  /** "lambda:InvokeFunction"; matched case-insensitively. */
  readonly action: string;
  /** The resource ARN, or "*" for actions on no particular resource. */
  readonly resource: string;
  /**
   * Condition keys (aws:SourceIp, aws:SecureTransport, aws:CurrentTime, s3:prefix...).
   * aws:username, aws:userid, aws:PrincipalArn, aws:PrincipalAccount and aws:PrincipalType
   * are derived from the principal unless given here.
   */
  readonly context?: RequestContext;
}

export interface PolicySet {
  /** The caller's policies (a role session's are its role's). Not consulted for root, services, anonymous. */
  readonly identity?: readonly PolicyDocument[];
  /** The resource's policy or policies (bucket policy, function policy, a role's trust policy). */
  readonly resource?: readonly PolicyDocument[];
  /** The account owning the resource; when it differs from the caller's, both sides must allow. */
  readonly resourceAccountId?: string;
  /**
   * Role trust policies must allow the principal themselves: no identity policy and not even
   * root can assume a role its trust policy does not name.
   */
  readonly requireResourceAllow?: boolean;
}

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

export interface MatchedStatement {
  readonly source: 'identity' | 'resource';
  /** Index of the document within PolicySet.identity or PolicySet.resource. */
  readonly policyIndex: number;
  readonly statementIndex: number;
  readonly sid?: string;
  readonly effect: 'Allow' | 'Deny';
}

export interface EvaluationResult {
  readonly decision: Decision;
  /** The deciding statement: the Deny, or the Allow that granted. Absent for root's own access and implicit denies. */
  readonly matched?: MatchedStatement;
}

/** How a resource policy's principal names the caller. */
type PrincipalMatch = 'direct' | 'account' | undefined;

export function evaluate(request: AuthorizationRequest, policies: PolicySet): EvaluationResult {
  const p = request.principal;
  const iam = isIamPrincipal(p) ? p : undefined;
  const isRoot = iam?.type === 'Root';
  const context = new ContextKeys(iam ? principalContext(iam) : undefined, request.context);
  // Root is not subject to identity policies; services and anonymous callers have none.
  const identity = iam && !isRoot ? (policies.identity ?? []) : [];
  const resource = policies.resource ?? [];

  let identityAllow: MatchedStatement | undefined;
  let directAllow: MatchedStatement | undefined;
  let accountAllow: MatchedStatement | undefined;

  for (const [policyIndex, doc] of identity.entries()) {
    for (const [statementIndex, st] of doc.statements.entries()) {
      if (!statementApplies(st, doc, request, context)) continue;
      const matched = info('identity', policyIndex, statementIndex, st);
      if (st.effect === 'Deny') return { decision: 'ExplicitDeny', matched };
      identityAllow ??= matched;
    }
  }
  for (const [policyIndex, doc] of resource.entries()) {
    for (const [statementIndex, st] of doc.statements.entries()) {
      const how = principalMatch(st, p);
      if (!how || !statementApplies(st, doc, request, context)) continue;
      const matched = info('resource', policyIndex, statementIndex, st);
      // A Deny naming the account denies everyone in it.
      if (st.effect === 'Deny') return { decision: 'ExplicitDeny', matched };
      if (how === 'direct') directAllow ??= matched;
      else accountAllow ??= matched;
    }
  }

  const resourceAllow = directAllow ?? accountAllow;
  const crossAccount =
    iam !== undefined && policies.resourceAccountId !== undefined && policies.resourceAccountId !== iam.accountId;
  if (!iam) return directAllow ? allow(directAllow) : { decision: 'ImplicitDeny' };
  if (crossAccount) {
    // Both the resource's account (its policy) and the caller's (identity policies) must allow.
    if (!resourceAllow) return { decision: 'ImplicitDeny' };
    return isRoot || identityAllow ? allow(resourceAllow) : { decision: 'ImplicitDeny' };
  }
  if (policies.requireResourceAllow) {
    if (!resourceAllow) return { decision: 'ImplicitDeny' };
    // Naming the account delegates to it: its identity policies decide (root is the account).
    if (directAllow || isRoot) return allow(resourceAllow);
    return identityAllow ? allow(resourceAllow) : { decision: 'ImplicitDeny' };
  }
  if (isRoot) return allow(undefined);
  // Within the account, an Allow naming the user, role or session grants even without an
  // identity policy; one naming only the account leaves it to the identity policies.
  const granted = identityAllow ?? directAllow;
  return granted ? allow(granted) : { decision: 'ImplicitDeny' };
}

export function isAllowed(request: AuthorizationRequest, policies: PolicySet): boolean {
  return evaluate(request, policies).decision === 'Allow';
}

/**
 * Whether a role's trust policy lets `principal` assume it (sts:AssumeRole, or the action
 * given). When the policy names only the caller's account, its identity policies must also
 * allow the action on the role, as AWS requires: pass them in `identity`.
 */
export function canAssume(
  trustPolicy: PolicyDocument,
  principal: RequestPrincipal,
  options: {
    readonly roleArn?: string;
    readonly action?: string;
    readonly identity?: readonly PolicyDocument[];
    readonly context?: RequestContext;
  } = {},
): boolean {
  const roleAccount = options.roleArn?.split(':')[4];
  return isAllowed(
    {
      principal,
      action: options.action ?? 'sts:AssumeRole',
      resource: options.roleArn ?? '*',
      ...(options.context ? { context: options.context } : {}),
    },
    {
      resource: [trustPolicy],
      identity: options.identity ?? [],
      requireResourceAllow: true,
      ...(roleAccount ? { resourceAccountId: roleAccount } : {}),
    },
  );
}

/** The global condition keys AWS derives from the caller. */
export function principalContext(principal: Principal): RequestContext {
  return {
    'aws:PrincipalArn': principal.type === 'AssumedRole' && principal.roleArn ? principal.roleArn : principal.arn,
    'aws:PrincipalAccount': principal.accountId,
    'aws:PrincipalType': principal.type === 'Root' ? 'Account' : principal.type,
    'aws:userid': principal.userId,
    // Only IAM users have aws:username; a role session's name is not one.
    'aws:username': principal.type === 'User' ? principal.name : undefined,
  };
}

function statementApplies(st: PolicyStatement, doc: PolicyDocument, req: AuthorizationRequest, context: ContextKeys): boolean {
  const action = st.action ?? st.notAction ?? [];
  const actionHit = action.some((a) => globMatch(a, req.action, { mode: 'free', ignoreCase: true }));
  if (actionHit !== (st.action !== undefined)) return false;

  // Policy variables exist from Version 2012-10-17; before, ${...} is literal text.
  const variables = doc.version === '2012-10-17' ? context : undefined;
  const resource = st.resource ?? st.notResource;
  if (resource) {
    let hit = false;
    for (const r of resource) {
      const m = r === '*' || globMatchOrUnresolved(r, req.resource, { mode: 'resource', context: variables });
      // A variable without a value invalidates the statement (AWS), rather than making NotResource match.
      if (m === undefined) return false;
      if (m) hit = true;
    }
    if (hit !== (st.resource !== undefined)) return false;
  }
  return conditionsHold(st.conditions, context, variables);
}

function principalMatch(st: PolicyStatement, p: RequestPrincipal): PrincipalMatch {
  if (st.principal) return blockMatch(st.principal, p, 'any');
  // NotPrincipal excludes a caller only when every name it goes by is listed: a user and
  // its account, a role session, its role and its account.
  if (st.notPrincipal) return blockMatch(st.notPrincipal, p, 'all') ? undefined : 'direct';
  return undefined;
}

function blockMatch(block: PrincipalBlock, p: RequestPrincipal, mode: 'any' | 'all'): PrincipalMatch {
  if (block === '*') return 'direct';
  if ('service' in p) {
    const service = p.service.toLowerCase();
    return block.Service?.some((s) => s.toLowerCase() === service) ? 'direct' : undefined;
  }
  const aws = block.AWS ?? [];
  // {"AWS": "*"} is everyone who is not a service.
  if (aws.includes('*')) return 'direct';
  if ('anonymous' in p) return undefined;

  const accountNames = [p.accountId, `arn:aws:iam::${p.accountId}:root`];
  const ownNames = p.type === 'Root' ? [] : [p.arn, ...(p.type === 'AssumedRole' && p.roleArn ? [p.roleArn] : [])];
  const listed = (name: string): boolean => aws.includes(name);
  const byAccount = accountNames.some(listed);
  if (mode === 'all') {
    return byAccount && ownNames.every(listed) ? 'direct' : undefined;
  }
  if (ownNames.some(listed)) return 'direct';
  // Root is the account itself.
  if (byAccount) return p.type === 'Root' ? 'direct' : 'account';
  return undefined;
}

function allow(matched: MatchedStatement | undefined): EvaluationResult {
  return matched ? { decision: 'Allow', matched } : ALLOW;
}

const ALLOW: EvaluationResult = Object.freeze({ decision: 'Allow' });

function isIamPrincipal(p: RequestPrincipal): p is Principal {
  return 'arn' in p;
}

function info(source: 'identity' | 'resource', policyIndex: number, statementIndex: number, st: PolicyStatement): MatchedStatement {
  return { source, policyIndex, statementIndex, ...(st.sid !== undefined ? { sid: st.sid } : {}), effect: st.effect };
}
