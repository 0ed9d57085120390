import { createHash } from 'node:crypto';
import { QueryErrors } from '../errors/index.ts';
import type { IamStore, IamTag, RoleRecord, UserRecord } from '../storage/index.ts';
import type { Clock } from '../util/index.ts';
import { AWS_MANAGED_POLICIES } from './managed-policies.ts';
import { INT_RULES, RULES, type Params } from './params.ts';
import { isoSeconds, xmlList, type XmlObject, type XmlValue } from './query-protocol.ts';

/** A managed policy, customer or AWS, as the actions see it. */
export interface PolicyView {
  readonly arn: string;
  readonly name: string;
  readonly path: string;
  readonly id: string;
  readonly description: string | undefined;
  readonly document: string;
  readonly versionId: string;
  readonly created: string;
  readonly updated: string;
  readonly tags: readonly IamTag[];
  readonly awsManaged: boolean;
}

export const AWS_POLICY_ARN_PREFIX = 'arn:aws:iam::aws:policy';

/** Policy ids of AWS managed policies are fixed per policy; ours derive from the ARN. */
function stableId(arn: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const digest = createHash('sha256').update(arn).digest();
  let out = 'ANPA';
  for (let i = 0; i < 17; i++) out += alphabet[digest[i]! % 32];
  return out;
}

const AWS_POLICIES: ReadonlyMap<string, PolicyView> = new Map(
  AWS_MANAGED_POLICIES.map((p) => {
    const arn = `${AWS_POLICY_ARN_PREFIX}${p.path}${p.name}`;
    const view: PolicyView = {
      arn,
      name: p.name,
      path: p.path,
      id: stableId(arn),
      description: p.description,
      document: JSON.stringify(p.document),
      versionId: p.versionId,
      created: p.created,
      updated: p.updated,
      tags: [],
      awsManaged: true,
    };
    return [arn, view] as const;
  }),
);

/** What every IAM action shares: the store, the clock, the account, lookups that answer NoSuchEntity. */
export class IamContext {
  constructor(
    readonly store: IamStore,
    readonly clock: Clock,
    readonly accountId: string,
  ) {}

  arn(kind: 'user' | 'role' | 'policy', path: string, name: string): string {
    return `arn:aws:iam::${this.accountId}:${kind}${path}${name}`;
  }

  requireUser(name: string): UserRecord {
    const user = this.store.user(name);
    if (!user) throw new QueryErrors.NoSuchEntity(`The user with name ${name} cannot be found.`);
    return user;
  }

  requireRole(name: string): RoleRecord {
    const role = this.store.role(name);
    if (!role) throw new QueryErrors.NoSuchEntity(`The role with name ${name} cannot be found.`);
    return role;
  }

  /** A policy by ARN (customer managed in this account, or AWS managed), or undefined. */
  policy(arn: string): PolicyView | undefined {
    if (arn.startsWith(`${AWS_POLICY_ARN_PREFIX}/`)) return AWS_POLICIES.get(arn);
    const p = this.store.policy(arn);
    if (!p) return undefined;
    const created = isoSeconds(p.created);
    return { ...p, versionId: 'v1', created, updated: created, awsManaged: false };
  }

  /** Checks an ARN names an IAM policy at all (InvalidInput otherwise). */
  checkPolicyArn(arn: string): void {
    if (!/^arn:aws:iam::(aws|\d{12}):policy\/.+$/.test(arn)) throw new QueryErrors.InvalidInput(`ARN ${arn} is not valid.`);
  }

  requirePolicy(arn: string): PolicyView {
    this.checkPolicyArn(arn);
    const p = this.policy(arn);
    if (!p) throw new QueryErrors.NoSuchEntity(`Policy ${arn} was not found.`);
    return p;
  }

  /** Every policy: AWS managed then customer managed. */
  allPolicies(): PolicyView[] {
    return [...AWS_POLICIES.values(), ...this.store.policies().map((p) => this.policy(p.arn)!)];
  }

  now(): number {
    return this.clock.now();
  }
}

export function tagsXml(tags: readonly IamTag[]): XmlObject | undefined {
  return tags.length === 0 ? undefined : xmlList(tags.map((t) => ({ Key: t.Key, Value: t.Value })));
}

/** Policy documents leave IAM percent-encoded, as AWS returns them (the CLI decodes them). */
export function encodeDocument(document: string): string {
  return encodeURIComponent(document);
}

/**
 * Marker/MaxItems paging over a list, sorted here by key (unique): the marker is the last key returned,
 * opaque to the caller. Adds IsTruncated (and Marker when truncated) to the result.
 */
export function paginate<T>(items: readonly T[], keyOf: (item: T) => string, params: Params, listName: string, render: (item: T) => XmlValue): XmlObject {
  const maxItems = params.int('MaxItems', INT_RULES.maxItems) ?? 100;
  const marker = params.str('Marker', RULES.marker);
  const sorted = [...items].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  let start = 0;
  if (marker !== undefined) {
    let after: string;
    try {
      after = Buffer.from(marker, 'base64url').toString('utf8');
    } catch {
      throw new QueryErrors.ValidationError('Invalid Marker.');
    }
    if (!after) throw new QueryErrors.ValidationError('Invalid Marker.');
    start = sorted.findIndex((item) => keyOf(item) > after);
    if (start < 0) start = sorted.length;
  }
  const page = sorted.slice(start, start + maxItems);
  const truncated = start + maxItems < sorted.length;
  return {
    [listName]: xmlList(page.map(render)),
    IsTruncated: truncated,
    ...(truncated ? { Marker: Buffer.from(keyOf(page[page.length - 1]!), 'utf8').toString('base64url') } : {}),
  };
}

export function userXml(u: UserRecord, withTags: boolean): XmlObject {
  return { Path: u.path, UserName: u.name, UserId: u.id, Arn: u.arn, CreateDate: isoSeconds(u.created), Tags: withTags ? tagsXml(u.tags) : undefined };
}

export function roleXml(r: RoleRecord, detail: boolean): XmlObject {
  return {
    Path: r.path,
    RoleName: r.name,
    RoleId: r.id,
    Arn: r.arn,
    CreateDate: isoSeconds(r.created),
    AssumeRolePolicyDocument: encodeDocument(r.trustPolicy),
    Description: r.description,
    MaxSessionDuration: r.maxSessionDuration,
    Tags: detail ? tagsXml(r.tags) : undefined,
    RoleLastUsed: detail ? {} : undefined,
  };
}

export function policyXml(p: PolicyView, attachmentCount: number, withDescription: boolean): XmlObject {
  return {
    PolicyName: p.name,
    PolicyId: p.id,
    Arn: p.arn,
    Path: p.path,
    DefaultVersionId: p.versionId,
    AttachmentCount: attachmentCount,
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    Description: withDescription ? p.description : undefined,
    CreateDate: p.created,
    UpdateDate: p.updated,
    Tags: tagsXml(p.tags),
  };
}
