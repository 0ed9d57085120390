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
  readonly #parsed = new Map<string, PolicyDocument>();

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
    // A session belongs to the role it was issued for (its unique id), not to a later role of the same name.
    if (principal.type === 'AssumedRole' && this.store.role(owner.name)?.id !== principal.userId.split(':')[0]) return [];
    const texts = this.store.inlinePolicies(owner).map((p) => p.document);
    for (const arn of this.store.attachedPolicies(owner)) {
      const text = AWS_MANAGED.get(arn) ?? this.store.policy(arn)?.document;
      if (text) texts.push(text);
    }
    return texts.map((t) => this.#parseQuiet(t, 'identity')).filter((d): d is PolicyDocument => d !== undefined);
  }

  /** Stored documents were validated when put; one that no longer parses grants nothing. */
  #parseQuiet(text: string, kind: PolicyKind): PolicyDocument | undefined {
    const key = `${kind}\n${text}`;
    let doc = this.#parsed.get(key);
    if (doc) return doc;
    try {
      doc = parsePolicy(text, kind);
    } catch (err) {
      if (err instanceof MalformedPolicyDocumentError) return undefined;
      throw err;
    }
    if (this.#parsed.size >= PARSED_CACHE_MAX) this.#parsed.delete(this.#parsed.keys().next().value!);
    this.#parsed.set(key, doc);
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
