import type { IncomingMessage } from 'node:http';
import { AccessDeniedError, type AccessRequest } from '../auth/access.ts';
import type { Principal } from '../auth/types.ts';
import type { IamStore, PolicyOwner } from '../storage/index.ts';
import { AWS_MANAGED_POLICIES } from './managed-policies.ts';
import { canAssume, evaluate, type AnonymousPrincipal, type EvaluationResult, type RequestPrincipal } from './policy-engine.ts';
import { MalformedPolicyDocumentError, parsePolicy, type PolicyDocument, type PolicyKind } from './policy-parser.ts';
import type { RequestContext } from './policy-match.ts';

const AWS_MANAGED: ReadonlyMap<string, string> = new Map(
  AWS_MANAGED_POLICIES.map((p) => [`arn:aws:iam::aws:policy${p.path}${p.name}`, JSON.stringify(p.document)]),
);

/** Parsed documents by text: the same few policies are evaluated on every request. */
const PARSED_CACHE_MAX = 512;
/** Principals whose identity policies are kept. */
const IDENTITY_CACHE_MAX = 256;

export interface AuthorizationCheck {
  readonly principal: RequestPrincipal;
  readonly action: string;
  readonly resource: string;
  readonly context?: RequestContext;
  /** The resource's own policy (a function's, a bucket's), as stored JSON text. */
  readonly resourcePolicy?: string;
}

/**
 * Authorization against IAM: the caller's identity policies (a user's inline and attached
 * policies; for a role session, the role's), a resource policy where the resource has one,
 * and the policy engine's evaluation logic. Trust policies decide sts:AssumeRole.
 */
export class IamAuthorizer {
  /** Per kind, by text: a cached text is the same string object each time, so a lookup hashes nothing. */
  readonly #parsed: Record<PolicyKind, Map<string, PolicyDocument>> = { identity: new Map(), resource: new Map(), trust: new Map() };
  /**
   * Identity policies per user, or role and session's role id, as of store.changes(): each
   * request of an IAM principal needs them, and reading them is several queries.
   */
  readonly #identity = new Map<string, { readonly at: number; readonly documents: PolicyDocument[] }>();

  constructor(private readonly store: IamStore) {}

  authorize(check: AuthorizationCheck): EvaluationResult {
    const identity = 'type' in check.principal ? this.identityPolicies(check.principal) : [];
    const resource = check.resourcePolicy ? this.#parseQuiet(check.resourcePolicy, 'resource') : undefined;
    return evaluate(
      { principal: check.principal, action: check.action, resource: check.resource, ...(check.context ? { context: check.context } : {}) },
      { identity, ...(resource ? { resource: [resource] } : {}) },
    );
  }

  /**
   * Throws AccessDeniedError, with AWS's message, unless principal may make the request.
   * Condition keys from the request: aws:SourceIp, aws:SecureTransport, aws:CurrentTime, aws:EpochTime.
   */
  check(principal: Principal | AnonymousPrincipal, request: AccessRequest, req?: IncomingMessage): void {
    const now = Date.now();
    const context = {
      'aws:CurrentTime': new Date(now).toISOString(),
      'aws:EpochTime': String(Math.floor(now / 1000)),
      'aws:SecureTransport': false,
      ...(req?.socket.remoteAddress ? { 'aws:SourceIp': req.socket.remoteAddress.replace(/^::ffff:/, '') } : {}),
      ...request.context,
    };
    const result = this.authorize({
      principal,
      action: request.action,
      resource: request.resource,
      context,
      ...(request.resourcePolicy ? { resourcePolicy: request.resourcePolicy } : {}),
    });
    if (result.decision === 'Allow') return;
    const explicit = result.decision === 'ExplicitDeny';
    // An unsigned S3 request (only a bucket policy can allow it) is told no more than this.
    if ('anonymous' in principal) throw new AccessDeniedError('Access Denied', explicit);
    const why = explicit
      ? `with an explicit deny in ${result.matched?.source === 'resource' ? 'a resource' : 'an identity'}-based policy`
      : `because no identity-based policy allows the ${request.action} action`;
    throw new AccessDeniedError(`User: ${principal.arn} is not authorized to perform: ${request.action} on resource: ${request.resource} ${why}`, explicit);
  }

  /** Whether caller may assume the role whose trust policy is given (and its own policies allow it). */
  canAssume(trustPolicy: string, caller: Principal, roleArn: string): boolean {
    const trust = this.#parseQuiet(trustPolicy, 'trust');
    return trust !== undefined && canAssume(trust, caller, { roleArn, identity: this.identityPolicies(caller) });
  }

  /** Whether a service (lambda.amazonaws.com for execution roles) may assume a role. */
  serviceCanAssume(trustPolicy: string, service: string, roleArn: string): boolean {
    const trust = this.#parseQuiet(trustPolicy, 'trust');
    return trust !== undefined && canAssume(trust, { service }, { roleArn });
  }

  identityPolicies(principal: Principal): PolicyDocument[] {
    const owner = ownerOf(principal);
    if (!owner) return [];
    const sessionRoleId = principal.type === 'AssumedRole' ? principal.userId.split(':')[0] : undefined;
    const key = `${owner.kind}\u0000${owner.name}\u0000${sessionRoleId ?? ''}`;
    const at = this.store.changes();
    const cached = this.#identity.get(key);
    if (cached !== undefined && cached.at === at) return cached.documents;
    const documents = this.#readIdentityPolicies(owner, sessionRoleId);
    if (at !== undefined) {
      this.#identity.delete(key);
      if (this.#identity.size >= IDENTITY_CACHE_MAX) this.#identity.delete(this.#identity.keys().next().value!);
      this.#identity.set(key, { at, documents });
    }
    return documents;
  }

  #readIdentityPolicies(owner: PolicyOwner, sessionRoleId: string | undefined): PolicyDocument[] {
    // A session belongs to the role it was issued for (its unique id), not to a later role of the same name.
    if (sessionRoleId !== undefined && this.store.role(owner.name)?.id !== sessionRoleId) return [];
    const texts = this.store.inlinePolicies(owner).map((p) => p.document);
    for (const arn of this.store.attachedPolicies(owner)) {
      const text = AWS_MANAGED.get(arn) ?? this.store.policy(arn)?.document;
      if (text) texts.push(text);
    }
    return texts.map((t) => this.#parseQuiet(t, 'identity')).filter((d): d is PolicyDocument => d !== undefined);
  }

  /** Stored documents were validated when put; one that no longer parses grants nothing. */
  #parseQuiet(text: string, kind: PolicyKind): PolicyDocument | undefined {
    const parsed = this.#parsed[kind];
    let doc = parsed.get(text);
    if (doc) return doc;
    try {
      doc = parsePolicy(text, kind);
    } catch (err) {
      if (err instanceof MalformedPolicyDocumentError) return undefined;
      throw err;
    }
    if (parsed.size >= PARSED_CACHE_MAX) parsed.delete(parsed.keys().next().value!);
    parsed.set(text, doc);
    return doc;
  }
}

function ownerOf(principal: Principal): PolicyOwner | undefined {
  if (principal.type === 'User') return { kind: 'user', name: principal.name };
  if (principal.type === 'AssumedRole' && principal.roleArn) {
    return { kind: 'role', name: principal.roleArn.slice(principal.roleArn.lastIndexOf('/') + 1) };
  }
  return undefined;
}
