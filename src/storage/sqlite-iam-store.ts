import type Database from 'better-sqlite3';
import { cacheGeneration } from './row-cache.ts';
import { CredentialSealer } from './credential-sealing.ts';
import type { ValueCipher } from './encryption.ts';
import type { AccessKeyRecord, IamStore, IamTag, InlinePolicyRecord, ManagedPolicyRecord, PolicyOwner, RoleRecord, UserRecord } from './iam-types.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS iam_users (
  name TEXT PRIMARY KEY COLLATE NOCASE,
  path TEXT NOT NULL,
  id TEXT NOT NULL UNIQUE,
  arn TEXT NOT NULL,
  created INTEGER NOT NULL,
  tags TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS iam_access_keys (
  id TEXT PRIMARY KEY,
  user_name TEXT NOT NULL COLLATE NOCASE,
  secret TEXT NOT NULL,
  status TEXT NOT NULL,
  created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS iam_access_keys_user ON iam_access_keys (user_name);
CREATE TABLE IF NOT EXISTS iam_roles (
  name TEXT PRIMARY KEY COLLATE NOCASE,
  path TEXT NOT NULL,
  id TEXT NOT NULL UNIQUE,
  arn TEXT NOT NULL,
  created INTEGER NOT NULL,
  trust_policy TEXT NOT NULL,
  description TEXT,
  max_session_duration INTEGER NOT NULL,
  tags TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS iam_policies (
  arn TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  path TEXT NOT NULL,
  id TEXT NOT NULL UNIQUE,
  description TEXT,
  document TEXT NOT NULL,
  created INTEGER NOT NULL,
  tags TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS iam_inline_policies (
  owner_kind TEXT NOT NULL,
  owner_name TEXT NOT NULL COLLATE NOCASE,
  name TEXT NOT NULL COLLATE NOCASE,
  document TEXT NOT NULL,
  PRIMARY KEY (owner_kind, owner_name, name)
);
CREATE TABLE IF NOT EXISTS iam_attachments (
  owner_kind TEXT NOT NULL,
  owner_name TEXT NOT NULL COLLATE NOCASE,
  policy_arn TEXT NOT NULL,
  PRIMARY KEY (owner_kind, owner_name, policy_arn)
);
CREATE INDEX IF NOT EXISTS iam_attachments_policy ON iam_attachments (policy_arn);
`;

interface Tagged {
  tags: string;
}
const untag = <T extends Tagged>(row: T): Omit<T, 'tags'> & { tags: IamTag[] } => ({ ...row, tags: JSON.parse(row.tags) as IamTag[] });
const optional = <T extends { description: string | null }>(row: T) => ({ ...row, description: row.description ?? undefined });

/** IAM users, access keys, roles, customer managed policies, inline policies and attachments, in the shared metadata database. */
export class SqliteIamStore implements IamStore {
  readonly #s;
  readonly #sealer: CredentialSealer;
  readonly changes: () => number | undefined;

  /** With a cipher, access keys' secrets are sealed at rest (plaintext ones an older server left are sealed now). */
  constructor(db: Database.Database, cipher?: ValueCipher) {
    db.exec(SCHEMA);
    this.changes = cacheGeneration(db);
    this.#sealer = new CredentialSealer(cipher, 'iam_access_keys');
    this.#sealer.migrate(db, 'id', ['secret']);
    const userCols = 'name, path, id, arn, created, tags';
    const roleCols = 'name, path, id, arn, created, trust_policy AS trustPolicy, description, max_session_duration AS maxSessionDuration, tags';
    const policyCols = 'arn, name, path, id, description, document, created, tags';
    const keyCols = 'id, user_name AS userName, secret, status, created';
    this.#s = {
      user: db.prepare(`SELECT ${userCols} FROM iam_users WHERE name = ?`),
      users: db.prepare(`SELECT ${userCols} FROM iam_users ORDER BY name`),
      createUser: db.prepare('INSERT OR IGNORE INTO iam_users (name, path, id, arn, created, tags) VALUES (@name, @path, @id, @arn, @created, @tags)'),
      deleteUser: db.prepare('DELETE FROM iam_users WHERE name = ?'),
      key: db.prepare(`SELECT ${keyCols} FROM iam_access_keys WHERE id = ?`),
      keys: db.prepare(`SELECT ${keyCols} FROM iam_access_keys WHERE user_name = ? ORDER BY created, id`),
      putKey: db.prepare('INSERT INTO iam_access_keys (id, user_name, secret, status, created) VALUES (@id, @userName, @secret, @status, @created)'),
      keyStatus: db.prepare('UPDATE iam_access_keys SET status = ? WHERE id = ?'),
      deleteKey: db.prepare('DELETE FROM iam_access_keys WHERE id = ?'),
      role: db.prepare(`SELECT ${roleCols} FROM iam_roles WHERE name = ?`),
      roles: db.prepare(`SELECT ${roleCols} FROM iam_roles ORDER BY name`),
      createRole: db.prepare(
        `INSERT OR IGNORE INTO iam_roles (name, path, id, arn, created, trust_policy, description, max_session_duration, tags)
         VALUES (@name, @path, @id, @arn, @created, @trustPolicy, @description, @maxSessionDuration, @tags)`,
      ),
      trust: db.prepare('UPDATE iam_roles SET trust_policy = ? WHERE name = ?'),
      deleteRole: db.prepare('DELETE FROM iam_roles WHERE name = ?'),
      policy: db.prepare(`SELECT ${policyCols} FROM iam_policies WHERE arn = ?`),
      policies: db.prepare(`SELECT ${policyCols} FROM iam_policies ORDER BY name`),
      createPolicy: db.prepare(
        'INSERT OR IGNORE INTO iam_policies (arn, name, path, id, description, document, created, tags) VALUES (@arn, @name, @path, @id, @description, @document, @created, @tags)',
      ),
      deletePolicy: db.prepare('DELETE FROM iam_policies WHERE arn = ?'),
      inline: db.prepare('SELECT name, document FROM iam_inline_policies WHERE owner_kind = ? AND owner_name = ? AND name = ?'),
      inlines: db.prepare('SELECT name, document FROM iam_inline_policies WHERE owner_kind = ? AND owner_name = ? ORDER BY name'),
      putInline: db.prepare(
        `INSERT INTO iam_inline_policies (owner_kind, owner_name, name, document) VALUES (?, ?, ?, ?)
         ON CONFLICT (owner_kind, owner_name, name) DO UPDATE SET document = excluded.document`,
      ),
      deleteInline: db.prepare('DELETE FROM iam_inline_policies WHERE owner_kind = ? AND owner_name = ? AND name = ?'),
      attached: db.prepare('SELECT policy_arn AS arn FROM iam_attachments WHERE owner_kind = ? AND owner_name = ? ORDER BY rowid'),
      attach: db.prepare('INSERT OR IGNORE INTO iam_attachments (owner_kind, owner_name, policy_arn) VALUES (?, ?, ?)'),
      detach: db.prepare('DELETE FROM iam_attachments WHERE owner_kind = ? AND owner_name = ? AND policy_arn = ?'),
      attachmentCount: db.prepare('SELECT COUNT(*) AS n FROM iam_attachments WHERE policy_arn = ?'),
    };
  }

  user(name: string): UserRecord | undefined {
    const row = this.#s.user.get(name) as (Omit<UserRecord, 'tags'> & Tagged) | undefined;
    return row && untag(row);
  }

  users(): UserRecord[] {
    return (this.#s.users.all() as (Omit<UserRecord, 'tags'> & Tagged)[]).map(untag);
  }

  createUser(user: UserRecord): boolean {
    return this.#s.createUser.run({ ...user, tags: JSON.stringify(user.tags) }).changes > 0;
  }

  deleteUser(name: string): boolean {
    return this.#s.deleteUser.run(name).changes > 0;
  }

  accessKey(id: string): AccessKeyRecord | undefined {
    const row = this.#s.key.get(id) as AccessKeyRecord | undefined;
    return row && this.#openKey(row);
  }

  accessKeys(userName: string): AccessKeyRecord[] {
    return (this.#s.keys.all(userName) as AccessKeyRecord[]).map((k) => this.#openKey(k));
  }

  putAccessKey(key: AccessKeyRecord): void {
    this.#s.putKey.run({ ...key, secret: this.#sealer.seal('secret', key.id, key.secret) });
  }

  #openKey(row: AccessKeyRecord): AccessKeyRecord {
    return { ...row, secret: this.#sealer.open('secret', row.id, row.secret) };
  }

  setAccessKeyStatus(id: string, status: AccessKeyRecord['status']): boolean {
    return this.#s.keyStatus.run(status, id).changes > 0;
  }

  deleteAccessKey(id: string): boolean {
    return this.#s.deleteKey.run(id).changes > 0;
  }

  role(name: string): RoleRecord | undefined {
    const row = this.#s.role.get(name) as (Omit<RoleRecord, 'tags' | 'description'> & Tagged & { description: string | null }) | undefined;
    return row && optional(untag(row));
  }

  roles(): RoleRecord[] {
    return (this.#s.roles.all() as (Omit<RoleRecord, 'tags' | 'description'> & Tagged & { description: string | null })[]).map((r) => optional(untag(r)));
  }

  createRole(role: RoleRecord): boolean {
    return this.#s.createRole.run({ ...role, description: role.description ?? null, tags: JSON.stringify(role.tags) }).changes > 0;
  }

  setTrustPolicy(name: string, document: string): boolean {
    return this.#s.trust.run(document, name).changes > 0;
  }

  deleteRole(name: string): boolean {
    return this.#s.deleteRole.run(name).changes > 0;
  }

  policy(arn: string): ManagedPolicyRecord | undefined {
    const row = this.#s.policy.get(arn) as (Omit<ManagedPolicyRecord, 'tags' | 'description'> & Tagged & { description: string | null }) | undefined;
    return row && optional(untag(row));
  }

  policies(): ManagedPolicyRecord[] {
    return (this.#s.policies.all() as (Omit<ManagedPolicyRecord, 'tags' | 'description'> & Tagged & { description: string | null })[]).map((r) => optional(untag(r)));
  }

  createPolicy(policy: ManagedPolicyRecord): boolean {
    return this.#s.createPolicy.run({ ...policy, description: policy.description ?? null, tags: JSON.stringify(policy.tags) }).changes > 0;
  }

  deletePolicy(arn: string): boolean {
    return this.#s.deletePolicy.run(arn).changes > 0;
  }

  inlinePolicy(owner: PolicyOwner, name: string): InlinePolicyRecord | undefined {
    return this.#s.inline.get(owner.kind, owner.name, name) as InlinePolicyRecord | undefined;
  }

  inlinePolicies(owner: PolicyOwner): InlinePolicyRecord[] {
    return this.#s.inlines.all(owner.kind, owner.name) as InlinePolicyRecord[];
  }

  putInlinePolicy(owner: PolicyOwner, policy: InlinePolicyRecord): void {
    this.#s.putInline.run(owner.kind, owner.name, policy.name, policy.document);
  }

  deleteInlinePolicy(owner: PolicyOwner, name: string): boolean {
    return this.#s.deleteInline.run(owner.kind, owner.name, name).changes > 0;
  }

  attachedPolicies(owner: PolicyOwner): string[] {
    return (this.#s.attached.all(owner.kind, owner.name) as { arn: string }[]).map((r) => r.arn);
  }

  attach(owner: PolicyOwner, policyArn: string): void {
    this.#s.attach.run(owner.kind, owner.name, policyArn);
  }

  detach(owner: PolicyOwner, policyArn: string): boolean {
    return this.#s.detach.run(owner.kind, owner.name, policyArn).changes > 0;
  }

  attachmentCount(policyArn: string): number {
    return (this.#s.attachmentCount.get(policyArn) as { n: number }).n;
  }
}
