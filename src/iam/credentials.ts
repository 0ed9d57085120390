import type { CredentialLookup, Principal, SessionIssuer, SigningCredential } from '../auth/types.ts';
import type { IamStore, SessionStore } from '../storage/index.ts';
import type { Clock } from '../util/index.ts';
import { accessKeyId, ID_PREFIX, secretAccessKey, sessionToken } from './ids.ts';

/** A user's principal, as GetCallerIdentity and policies see it. */
export function userPrincipal(user: { name: string; id: string; arn: string }, accountId: string): Principal {
  return { type: 'User', accountId, arn: user.arn, userId: user.id, name: user.name };
}

/** The account's root principal. */
export function rootPrincipal(accountId: string): Principal {
  return { type: 'Root', accountId, arn: `arn:aws:iam::${accountId}:root`, userId: accountId, name: 'root' };
}

/** arn:aws:iam::<acct>:role/<path><name> → its account and name, or undefined. */
export function parseRoleArn(arn: string): { accountId: string; path: string; name: string } | undefined {
  const m = /^arn:aws:iam::(\d{12}):role(\/(?:[\u0021-\u007E]*\/)?)([\w+=,.@-]{1,64})$/.exec(arn);
  return m ? { accountId: m[1]!, path: m[2]!, name: m[3]! } : undefined;
}

/** Found credentials kept per lookup (access key ids in use at once). */
const FOUND_MAX = 1024;

/** Finds IAM users' access keys (AKIA…) and role sessions (ASIA…, expired ones too: SigV4 answers ExpiredToken) by access key id. */
export class IamCredentialLookup implements CredentialLookup {
  /**
   * What find() answered per key id, as of its store's changes(): every signed request
   * looks its key up, and reading one means a query and opening its sealed secret.
   */
  readonly #found = new Map<string, { readonly at: number; readonly credential: SigningCredential | undefined }>();

  constructor(private readonly deps: { readonly iam: Pick<IamStore, 'accessKey' | 'user' | 'changes'>; readonly sessions: SessionStore; readonly clock: Clock; readonly accountId: string }) {}

  find(id: string): SigningCredential | undefined {
    const at = id.startsWith(ID_PREFIX.sessionKey) ? this.deps.sessions.changes() : this.deps.iam.changes();
    const cached = this.#found.get(id);
    if (cached !== undefined && cached.at === at) return cached.credential;
    const credential = this.#read(id);
    if (at !== undefined) {
      this.#found.delete(id);
      if (this.#found.size >= FOUND_MAX) this.#found.delete(this.#found.keys().next().value!);
      this.#found.set(id, { at, credential: credential && Object.freeze(credential) });
    }
    return credential;
  }

  #read(id: string): SigningCredential | undefined {
    if (id.startsWith(ID_PREFIX.sessionKey)) {
      const s = this.deps.sessions.get(id);
      // Expired sessions are still found (until swept): SigV4 answers ExpiredToken for them, not an unknown key.
      if (!s) return undefined;
      return { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey, sessionToken: s.sessionToken, expiresAt: s.expiresAt, principal: JSON.parse(s.principal) as Principal };
    }
    const key = this.deps.iam.accessKey(id);
    if (!key) return undefined;
    const user = this.deps.iam.user(key.userName);
    if (!user) return undefined;
    return { accessKeyId: key.id, secretAccessKey: key.secret, active: key.status === 'Active', principal: userPrincipal(user, this.deps.accountId) };
  }
}

/**
 * Issues role sessions (STS AssumeRole, execution roles) into the session store. Expired
 * sessions are swept on each issue, so the table holds at most the live ones plus those
 * that expired since the last call.
 */
export class StoreSessionIssuer implements SessionIssuer {
  constructor(private readonly deps: { readonly sessions: SessionStore; readonly clock: Clock }) {}

  issue(input: { readonly roleArn: string; readonly roleId: string; readonly sessionName: string; readonly durationSeconds: number }) {
    const role = parseRoleArn(input.roleArn);
    if (!role) throw new Error(`not a role ARN: ${input.roleArn}`);
    const now = this.deps.clock.now();
    this.deps.sessions.sweep(now);
    const principal: Principal = {
      type: 'AssumedRole',
      accountId: role.accountId,
      arn: `arn:aws:sts::${role.accountId}:assumed-role/${role.name}/${input.sessionName}`,
      userId: `${input.roleId}:${input.sessionName}`,
      name: role.name,
      roleArn: input.roleArn,
    };
    const credential = {
      accessKeyId: accessKeyId(ID_PREFIX.sessionKey),
      secretAccessKey: secretAccessKey(),
      sessionToken: sessionToken(),
      // Whole seconds, as the Expiration AWS returns.
      expiresAt: Math.floor(now / 1000) * 1000 + input.durationSeconds * 1000,
      principal,
    };
    this.deps.sessions.put({ ...credential, principal: JSON.stringify(principal) });
    return credential;
  }

  /** Drops expired sessions (also done on each issue); returns how many. */
  sweep(): number {
    return this.deps.sessions.sweep(this.deps.clock.now());
  }
}
