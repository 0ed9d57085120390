import { randomUUID } from 'node:crypto';
import type { AliasStore, MetadataStore, PolicyRecord, PolicyStore } from '../storage/index.ts';
import {
  InvalidParameterValueException,
  PolicyLengthExceededException,
  PreconditionFailedException,
  ResourceConflictException,
  ResourceNotFoundException,
} from '../errors/index.ts';
import { functionArn, parseFunctionRef, type Scope } from './names.ts';
import { LATEST, parseQualifiedRef, qualifierKind } from './qualifiers.ts';
import { POLICY_MAX_BYTES, type AddPermissionBody } from './policy-schemas.ts';
import { buildStatement, type PolicyStatement } from './policy-statements.ts';

export interface PolicyServiceDeps {
  readonly store: MetadataStore;
  readonly aliases: AliasStore;
  readonly policies: PolicyStore;
  readonly scope: Scope;
  /** The IAM policy engine's verdict on a request against a resource policy (IamAuthorizer.authorize). */
  readonly evaluate: ResourcePolicyEvaluator;
}

/** A request of an AWS service (s3.amazonaws.com) checked against a function's policy alone. */
export interface ResourcePolicyRequest {
  readonly principal: { readonly service: string };
  readonly action: string;
  readonly resource: string;
  /** The policy document as JSON text. */
  readonly resourcePolicy: string;
  readonly context: Readonly<Record<string, string | undefined>>;
}
export type ResourcePolicyEvaluator = (request: ResourcePolicyRequest) => boolean;

/** What PolicyService.allows checks: may this principal do this action on this function? */
export interface PolicyCheck {
  readonly functionName: string;
  /** A version or alias; the policy checked is the one attached to exactly what is invoked. */
  readonly qualifier?: string | undefined;
  readonly action: string;
  /** The service principal calling, e.g. s3.amazonaws.com. */
  readonly principalService: string;
  /** The resource on whose behalf the service calls (aws:SourceArn), e.g. arn:aws:s3:::bucket. */
  readonly sourceArn?: string | undefined;
  /** The account owning that resource (aws:SourceAccount). */
  readonly sourceAccount?: string | undefined;
}

/** Policy documents kept built (one per function, or alias or version with its own policy). */
const DOCUMENTS_MAX = 1024;

const REVISION_MISMATCH =
  'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id';

/**
 * Resource-based policies of functions, versions and aliases: AddPermission,
 * RemovePermission, GetPolicy, and the check services (S3 notifications, later IAM) ask
 * before invoking a function on someone's behalf.
 * https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html
 */
export class PolicyService {
  /**
   * The document resourcePolicy last built per function and qualifier, with the records it
   * was built from: the store hands out the same record objects while their rows are
   * unchanged, so an Invoke reuses the text (and the authorizer its parse of it).
   */
  readonly #documents = new Map<string, { readonly own: PolicyRecord | undefined; readonly fn: PolicyRecord | undefined; readonly text: string }>();

  constructor(private readonly deps: PolicyServiceDeps) {}

  /** AddPermission: returns the added statement as Lambda returns it (a JSON string). */
  add(functionName: string, qualifier: string | undefined, body: AddPermissionBody): string {
    const ref = parseQualifiedRef(functionName, qualifier, this.deps.scope);
    if (ref.qualifier === LATEST) throw new InvalidParameterValueException('We currently do not support adding policies for $LATEST.');
    const target = this.#target(ref.name, ref.qualifier);
    const current = this.deps.policies.getPolicy(ref.name, target.key);
    if (body.RevisionId !== undefined && body.RevisionId !== current?.revisionId) throw new PreconditionFailedException(REVISION_MISMATCH);
    const statements = (current?.statements ?? []) as PolicyStatement[];
    if (statements.some((s) => s.Sid === body.StatementId)) {
      throw new ResourceConflictException(
        `The statement id (${body.StatementId}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
      );
    }
    const statement = buildStatement(target.arn, body);
    const next = [...statements, statement];
    const size = Buffer.byteLength(JSON.stringify(document(next)));
    if (size > POLICY_MAX_BYTES) throw new PolicyLengthExceededException(`The final policy size (${size}) is bigger than the limit (${POLICY_MAX_BYTES}).`);
    const record = { functionName: ref.name, qualifier: target.key, statements: next, revisionId: randomUUID() };
    if (!this.deps.policies.putPolicy(record, current?.revisionId)) throw new PreconditionFailedException(REVISION_MISMATCH);
    return JSON.stringify(statement);
  }

  /** RemovePermission; the policy itself goes with its last statement. */
  remove(functionName: string, statementId: string, qualifier: string | undefined, revisionId: string | undefined): void {
    const ref = parseQualifiedRef(functionName, qualifier, this.deps.scope);
    if (!this.deps.store.getFunction(ref.name)) throw new ResourceNotFoundException(`No policy found for: ${functionArn(this.deps.scope, ref.name)}`);
    const target = this.#target(ref.name, ref.qualifier);
    const current = this.deps.policies.getPolicy(ref.name, target.key);
    if (!current) throw new ResourceNotFoundException('No policy is associated with the given resource.');
    const statements = current.statements as PolicyStatement[];
    if (!statements.some((s) => s.Sid === statementId)) throw new ResourceNotFoundException(`Statement ${statementId} is not found in resource policy.`);
    if (revisionId !== undefined && revisionId !== current.revisionId) throw new PreconditionFailedException(REVISION_MISMATCH);
    const rest = statements.filter((s) => s.Sid !== statementId);
    const written =
      rest.length === 0
        ? this.deps.policies.deletePolicy(ref.name, target.key, current.revisionId)
        : this.deps.policies.putPolicy({ ...current, statements: rest, revisionId: randomUUID() }, current.revisionId);
    if (!written) throw new PreconditionFailedException(REVISION_MISMATCH);
  }

  /** GetPolicy: the policy document as a JSON string, and its revision. */
  get(functionName: string, qualifier: string | undefined): { policy: string; revisionId: string } {
    const ref = parseQualifiedRef(functionName, qualifier, this.deps.scope);
    const target = this.#target(ref.name, ref.qualifier);
    const current = this.deps.policies.getPolicy(ref.name, target.key);
    if (!current) throw new ResourceNotFoundException('The resource you requested does not exist.');
    return { policy: JSON.stringify(document(current.statements as PolicyStatement[])), revisionId: current.revisionId };
  }

  /**
   * Whether the function (at that qualifier) exists and its policy allows the service to
   * perform the action, given the source the request carries. Never throws.
   */
  allows(check: PolicyCheck): boolean {
    let name: string;
    try {
      name = parseFunctionRef(check.functionName, this.deps.scope).name;
    } catch {
      return false;
    }
    const qualifier = check.qualifier === undefined || check.qualifier === LATEST ? undefined : check.qualifier;
    let arn: string;
    try {
      ({ arn } = this.#target(name, qualifier));
    } catch {
      return false;
    }
    const resourcePolicy = this.resourcePolicy(name, qualifier);
    if (!resourcePolicy) return false;
    return this.deps.evaluate({
      principal: { service: check.principalService },
      action: check.action,
      resource: arn,
      resourcePolicy,
      context: { 'aws:SourceArn': check.sourceArn, 'aws:SourceAccount': check.sourceAccount },
    });
  }

  /**
   * The resource-based policy that applies to a call on the function at a qualifier, as
   * JSON text: the qualifier's own statements and the function's (a permission on the
   * function covers its versions and aliases; one on an alias covers only that alias).
   * Undefined when neither exists. Never throws.
   */
  resourcePolicy(name: string, qualifier: string | undefined): string | undefined {
    const { policies } = this.deps;
    const own = qualifier !== undefined && qualifier !== LATEST ? policies.getPolicy(name, qualifier) : undefined;
    const fn = policies.getPolicy(name, '');
    if (!own && !fn) return undefined;
    const key = `${name}\u0000${own ? qualifier : ''}`;
    const built = this.#documents.get(key);
    if (built !== undefined && built.own === own && built.fn === fn) return built.text;
    // The function's statements name the unqualified ARN; they reach its qualified ARNs too.
    // Without their Sids, which may repeat the alias's (IAM wants them unique in one document).
    const widened = ((fn?.statements ?? []) as PolicyStatement[]).map(({ Sid: _sid, ...st }) => ({ ...st, Resource: [st.Resource, `${st.Resource}:*`] }));
    const text = JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: [...((own?.statements ?? []) as PolicyStatement[]), ...widened] });
    this.#documents.delete(key);
    if (this.#documents.size >= DOCUMENTS_MAX) this.#documents.delete(this.#documents.keys().next().value!);
    this.#documents.set(key, { own, fn, text });
    return text;
  }

  /** The policy key and resource ARN of a function at a qualifier, which must exist. */
  #target(name: string, qualifier: string | undefined): { key: string; arn: string } {
    const { store, aliases, scope } = this.deps;
    if (!store.getFunction(name)) throw new ResourceNotFoundException(`Function not found: ${functionArn(scope, name)}`);
    if (qualifier === undefined || qualifier === LATEST) return { key: '', arn: functionArn(scope, name) };
    const kind = qualifierKind(qualifier);
    const exists = kind === 'version' ? store.getFunction(name, qualifier) !== undefined : kind === 'alias' && aliases.getAlias(name, qualifier) !== undefined;
    if (!exists) throw new ResourceNotFoundException(`Function not found: ${functionArn(scope, name, qualifier)}`);
    return { key: qualifier, arn: functionArn(scope, name, qualifier) };
  }
}

function document(statements: readonly PolicyStatement[]) {
  return { Version: '2012-10-17', Id: 'default', Statement: statements };
}
