import { randomInt, randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { JsonErrors } from '../errors/index.ts';
import { DecryptionError, type SecretRecord, type SecretStore, type SecretValue, type SecretVersionRecord } from '../storage/index.ts';
import type { Clock } from '../util/index.ts';
import { matchesFilters } from './list-filters.ts';
import {
  INVALID_NAME_MESSAGE,
  LIST_MAX,
  RECOVERY_WINDOW_DEFAULT,
  RECOVERY_WINDOW_MAX,
  RECOVERY_WINDOW_MIN,
  SECRET_NAME,
  type CreateSecretRequest,
  type DeleteSecretRequest,
  type GetSecretValueRequest,
  type ListSecretsRequest,
  type ListSecretVersionIdsRequest,
  type PutSecretValueRequest,
  type UpdateSecretRequest,
} from './schemas.ts';

type In<S extends z.ZodType> = Readonly<z.infer<S>>;

export const AWSCURRENT = 'AWSCURRENT';
export const AWSPREVIOUS = 'AWSPREVIOUS';
/** Versions a secret keeps; past it the oldest deprecated (unlabelled) ones go, as on AWS. */
export const VERSIONS_MAX = 100;
const DAY_MS = 86_400_000;
const ARN_SUFFIX_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

// AWS's texts.
const NOT_FOUND = "Secrets Manager can't find the specified secret.";
const MARKED_FOR_DELETION = "You can't perform this operation on the secret because it was marked for deletion.";
const BOTH_VALUES = "You can't specify both a binary secret value and a string secret value in the same secret.";

export interface SecretsManagerDeps {
  readonly store: SecretStore;
  readonly clock: Clock;
  readonly scope: { readonly region: string; readonly accountId: string };
}

/** Secrets Manager's domain: secrets, versions and their staging labels, deletion windows. */
export class SecretsManager {
  constructor(private readonly deps: SecretsManagerDeps) {}

  /** Removes the secrets whose recovery window has passed (run before every action and at start). */
  purge(): string[] {
    return this.deps.store.purgeDue(this.deps.clock.now());
  }

  /** A new secret's ARN: its name and six random characters. */
  newArn(name: string): string {
    return `arn:aws:secretsmanager:${this.deps.scope.region}:${this.deps.scope.accountId}:secret:${name}-${arnSuffix()}`;
  }

  /** The ARN a SecretId (name, full or partial ARN) names: the secret's, or, when none is found, the id as an ARN. */
  arnOf(secretId: string): string {
    const found = this.#lookup(secretId);
    if (found) return found.arn;
    return secretId.startsWith('arn:') ? secretId : `arn:aws:secretsmanager:${this.deps.scope.region}:${this.deps.scope.accountId}:secret:${secretId}`;
  }

  // CreateSecret
  create(req: In<typeof CreateSecretRequest>, arn: string = this.newArn(req.Name)) {
    if (!SECRET_NAME.test(req.Name)) throw new JsonErrors.ValidationException(INVALID_NAME_MESSAGE);
    const value = valueOf(req);
    if (req.AddReplicaRegions?.length) throw new JsonErrors.InvalidRequestException('Nimbus serves one Region: secrets cannot be replicated.');
    const { store, clock } = this.deps;
    return store.atomically(() => {
      const existing = store.byName(req.Name);
      if (existing?.deletionDate !== undefined) {
        throw new JsonErrors.InvalidRequestException("You can't create this secret because a secret with this name is already scheduled for deletion.");
      }
      if (existing) throw new JsonErrors.ResourceExistsException(`The operation failed because the secret ${req.Name} already exists.`);
      const now = clock.now();
      const record: SecretRecord = {
        arn,
        name: req.Name,
        ...(req.Description !== undefined ? { description: req.Description } : {}),
        ...(req.KmsKeyId ? { kmsKeyId: req.KmsKeyId } : {}),
        ...(req.Type ? { type: req.Type } : {}),
        tags: (req.Tags ?? []).map((t) => ({ Key: t.Key, Value: t.Value })),
        createdDate: now,
        lastChangedDate: now,
      };
      store.create(record);
      const versionId = value ? this.#addVersion(record, req.ClientRequestToken ?? randomUUID(), value, [AWSCURRENT]).versionId : undefined;
      return { ARN: record.arn, Name: record.name, ...(versionId ? { VersionId: versionId } : {}) };
    });
  }

  // GetSecretValue
  getValue(req: In<typeof GetSecretValueRequest>) {
    const { store, clock } = this.deps;
    const secret = this.#active(req.SecretId);
    const version = this.#pick(secret, req.VersionId, req.VersionStage);
    const value = this.#open(secret, version.versionId);
    const today = Math.floor(clock.now() / DAY_MS) * DAY_MS;
    if (secret.lastAccessedDate !== today) store.update({ ...secret, lastAccessedDate: today });
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      ...(value.binary !== undefined ? { SecretBinary: value.binary.toString('base64') } : { SecretString: value.string }),
      VersionStages: version.stages,
      CreatedDate: seconds(version.createdDate),
    };
  }

  // PutSecretValue
  putValue(req: In<typeof PutSecretValueRequest>) {
    const value = valueOf(req);
    if (!value) throw new JsonErrors.InvalidRequestException('You must provide either SecretString or SecretBinary.');
    const { store, clock } = this.deps;
    return store.atomically(() => {
      const secret = this.#active(req.SecretId);
      const version = this.#addVersion(secret, req.ClientRequestToken ?? randomUUID(), value, req.VersionStages ?? [AWSCURRENT]);
      store.update({ ...secret, lastChangedDate: clock.now() });
      return { ARN: secret.arn, Name: secret.name, VersionId: version.versionId, VersionStages: version.stages };
    });
  }

  // UpdateSecret
  update(req: In<typeof UpdateSecretRequest>) {
    const value = valueOf(req);
    const { store, clock } = this.deps;
    return store.atomically(() => {
      const secret = this.#active(req.SecretId);
      const versionId = value ? this.#addVersion(secret, req.ClientRequestToken ?? randomUUID(), value, [AWSCURRENT]).versionId : undefined;
      store.update({
        ...secret,
        ...(req.Description !== undefined ? { description: req.Description } : {}),
        ...(req.KmsKeyId !== undefined ? { kmsKeyId: req.KmsKeyId } : {}),
        ...(req.Type !== undefined ? { type: req.Type } : {}),
        lastChangedDate: clock.now(),
      });
      return { ARN: secret.arn, Name: secret.name, ...(versionId ? { VersionId: versionId } : {}) };
    });
  }

  // DescribeSecret
  describe(secretId: string) {
    const secret = this.#find(secretId);
    const { SecretVersionsToStages, ...entry } = this.#entry(secret);
    return { ...entry, ...(SecretVersionsToStages ? { VersionIdsToStages: SecretVersionsToStages } : {}) };
  }

  // ListSecrets
  list(req: In<typeof ListSecretsRequest>) {
    const limit = req.MaxResults ?? LIST_MAX;
    const offset = req.NextToken === undefined ? 0 : decodeToken(req.NextToken);
    const by = req.SortBy ?? 'created-date';
    const key = (s: SecretRecord): string | number =>
      by === 'name' ? s.name : by === 'last-changed-date' ? s.lastChangedDate : by === 'last-accessed-date' ? (s.lastAccessedDate ?? 0) : s.createdDate;
    const direction = req.SortOrder === 'desc' ? -1 : 1;
    const all = this.deps.store
      .list()
      .filter((s) => (req.IncludePlannedDeletion || s.deletionDate === undefined) && matchesFilters(s, req.Filters ?? []))
      .sort((a, b) => {
        const ka = key(a);
        const kb = key(b);
        return (ka < kb ? -1 : ka > kb ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0) * direction;
      });
    const page = all.slice(offset, offset + limit);
    return {
      SecretList: page.map((s) => this.#entry(s)),
      ...(offset + limit < all.length ? { NextToken: encodeToken(offset + limit) } : {}),
    };
  }

  // ListSecretVersionIds
  listVersionIds(req: In<typeof ListSecretVersionIdsRequest>) {
    const secret = this.#find(req.SecretId);
    const limit = req.MaxResults ?? LIST_MAX;
    const offset = req.NextToken === undefined ? 0 : decodeToken(req.NextToken);
    const versions = this.deps.store.versions(secret.arn).filter((v) => req.IncludeDeprecated || v.stages.length > 0);
    const page = versions.slice(offset, offset + limit);
    return {
      Versions: page.map((v) => ({ VersionId: v.versionId, ...(v.stages.length ? { VersionStages: v.stages } : {}), CreatedDate: seconds(v.createdDate) })),
      ...(offset + limit < versions.length ? { NextToken: encodeToken(offset + limit) } : {}),
      ARN: secret.arn,
      Name: secret.name,
    };
  }

  // DeleteSecret
  delete(req: In<typeof DeleteSecretRequest>) {
    const { store, clock } = this.deps;
    const now = clock.now();
    if (req.ForceDeleteWithoutRecovery && req.RecoveryWindowInDays !== undefined) {
      throw new JsonErrors.InvalidParameterException("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
    }
    if (req.ForceDeleteWithoutRecovery) {
      // A retried force delete of what is already gone succeeds (AWS does not answer ResourceNotFoundException).
      const secret = this.#lookup(req.SecretId);
      if (secret) store.remove(secret.arn);
      return { ...(secret ? { ARN: secret.arn } : {}), Name: secret?.name ?? req.SecretId, DeletionDate: seconds(now) };
    }
    const days = req.RecoveryWindowInDays ?? RECOVERY_WINDOW_DEFAULT;
    if (days < RECOVERY_WINDOW_MIN || days > RECOVERY_WINDOW_MAX) {
      throw new JsonErrors.InvalidParameterException(`The RecoveryWindowInDays value must be between ${RECOVERY_WINDOW_MIN} and ${RECOVERY_WINDOW_MAX} days (inclusive).`);
    }
    return store.atomically(() => {
      const secret = this.#find(req.SecretId);
      if (secret.deletionDate !== undefined) {
        throw new JsonErrors.InvalidRequestException("You tried to perform the operation on a secret that's currently marked deleted.");
      }
      const deletionDate = now + days * DAY_MS;
      store.update({ ...secret, deletionDate, lastChangedDate: now });
      return { ARN: secret.arn, Name: secret.name, DeletionDate: seconds(deletionDate) };
    });
  }

  // RestoreSecret
  restore(secretId: string) {
    const { store, clock } = this.deps;
    return store.atomically(() => {
      const secret = this.#find(secretId);
      if (secret.deletionDate !== undefined) {
        const { deletionDate: _gone, ...kept } = secret;
        store.update({ ...kept, lastChangedDate: clock.now() });
      }
      return { ARN: secret.arn, Name: secret.name };
    });
  }

  /** A secret by name, full ARN, or partial ARN (without the random suffix). */
  #lookup(secretId: string): SecretRecord | undefined {
    const { store, scope } = this.deps;
    if (!secretId.startsWith('arn:')) return store.byName(secretId);
    const exact = store.byArn(secretId);
    if (exact) return exact;
    const m = /^arn:[^:]+:secretsmanager:([^:]*):([^:]*):secret:(.+)$/.exec(secretId);
    if (!m || m[1] !== scope.region || m[2] !== scope.accountId) return undefined;
    return store.byName(m[3]!);
  }

  #find(secretId: string): SecretRecord {
    const secret = this.#lookup(secretId);
    if (!secret) throw new JsonErrors.ResourceNotFoundException(NOT_FOUND);
    return secret;
  }

  /** A secret not scheduled for deletion: one that is answers InvalidRequestException until restored. */
  #active(secretId: string): SecretRecord {
    const secret = this.#find(secretId);
    if (secret.deletionDate !== undefined) throw new JsonErrors.InvalidRequestException(MARKED_FOR_DELETION);
    return secret;
  }

  #pick(secret: SecretRecord, versionId: string | undefined, stage: string | undefined): SecretVersionRecord {
    const { store } = this.deps;
    if (versionId !== undefined) {
      const version = store.version(secret.arn, versionId);
      if (!version) throw new JsonErrors.ResourceNotFoundException(`Secrets Manager can't find the specified secret value for VersionId: ${versionId}`);
      if (stage !== undefined && !version.stages.includes(stage)) {
        throw new JsonErrors.ResourceNotFoundException('You provided a VersionStage that is not associated to the provided VersionId.');
      }
      return version;
    }
    const label = stage ?? AWSCURRENT;
    const version = store.versions(secret.arn).find((v) => v.stages.includes(label));
    if (!version) throw new JsonErrors.ResourceNotFoundException(`Secrets Manager can't find the specified secret value for staging label: ${label}`);
    return version;
  }

  #open(secret: SecretRecord, versionId: string): SecretValue {
    try {
      const value = this.deps.store.value(secret.arn, versionId);
      if (!value) throw new JsonErrors.ResourceNotFoundException(`Secrets Manager can't find the specified secret value for VersionId: ${versionId}`);
      return value;
    } catch (err) {
      if (err instanceof DecryptionError) {
        throw new JsonErrors.DecryptionFailure("Secrets Manager can't decrypt the protected secret text using the provided KMS key.");
      }
      throw err;
    }
  }

  /**
   * Adds a version with the given labels, taking them from the versions that held them;
   * moving AWSCURRENT puts AWSPREVIOUS on the version it left. The same token with the same
   * value again is a retry (the version is returned as it is); with another value it fails.
   */
  #addVersion(secret: SecretRecord, versionId: string, value: SecretValue, stages: readonly string[]): SecretVersionRecord {
    const { store, clock } = this.deps;
    const versions = store.versions(secret.arn);
    const existing = versions.find((v) => v.versionId === versionId);
    if (existing) {
      if (sameValue(this.#open(secret, versionId), value)) return existing;
      throw new JsonErrors.ResourceExistsException("You can't modify an existing version, you can only create a new version.");
    }
    const moving = new Set(stages);
    const leftCurrent = moving.has(AWSCURRENT) ? versions.find((v) => v.stages.includes(AWSCURRENT)) : undefined;
    for (const v of versions) {
      let next = v.stages.filter((s) => !moving.has(s));
      if (leftCurrent) next = v === leftCurrent ? [...next.filter((s) => s !== AWSPREVIOUS), AWSPREVIOUS] : next.filter((s) => s !== AWSPREVIOUS);
      if (next.length !== v.stages.length || next.some((s, i) => s !== v.stages[i])) store.setStages(secret.arn, v.versionId, next);
    }
    const version: SecretVersionRecord = { versionId, stages: [...new Set(stages)], createdDate: clock.now() };
    store.addVersion(secret.arn, version, value);
    const all = store.versions(secret.arn);
    const deprecated = all.filter((v) => v.stages.length === 0);
    for (let i = 0; i < all.length - VERSIONS_MAX && i < deprecated.length; i++) store.removeVersion(secret.arn, deprecated[i]!.versionId);
    return version;
  }

  /** One secret as ListSecrets shows it (DescribeSecret renames SecretVersionsToStages). */
  #entry(secret: SecretRecord) {
    const staged = this.deps.store.versions(secret.arn).filter((v) => v.stages.length > 0);
    return {
      ARN: secret.arn,
      Name: secret.name,
      ...(secret.type ? { Type: secret.type } : {}),
      ...(secret.description !== undefined ? { Description: secret.description } : {}),
      ...(secret.kmsKeyId ? { KmsKeyId: secret.kmsKeyId } : {}),
      LastChangedDate: seconds(secret.lastChangedDate),
      ...(secret.lastAccessedDate !== undefined ? { LastAccessedDate: seconds(secret.lastAccessedDate) } : {}),
      ...(secret.deletionDate !== undefined ? { DeletedDate: seconds(secret.deletionDate) } : {}),
      ...(secret.tags.length ? { Tags: secret.tags } : {}),
      ...(staged.length ? { SecretVersionsToStages: Object.fromEntries(staged.map((v) => [v.versionId, v.stages])) } : {}),
      CreatedDate: seconds(secret.createdDate),
    };
  }
}

function valueOf(req: { readonly SecretString?: string; readonly SecretBinary?: Buffer }): SecretValue | undefined {
  if (req.SecretString !== undefined && req.SecretBinary !== undefined) throw new JsonErrors.InvalidParameterException(BOTH_VALUES);
  if (req.SecretString !== undefined) return { string: req.SecretString };
  if (req.SecretBinary !== undefined) return { binary: req.SecretBinary };
  return undefined;
}

function sameValue(a: SecretValue, b: SecretValue): boolean {
  if (a.binary !== undefined || b.binary !== undefined) return a.binary !== undefined && b.binary !== undefined && a.binary.equals(b.binary);
  return a.string === b.string;
}

/** The JSON protocol's timestamps: epoch seconds. */
function seconds(ms: number): number {
  return ms / 1000;
}

function arnSuffix(): string {
  let out = '';
  for (let i = 0; i < 6; i++) out += ARN_SUFFIX_CHARS[randomInt(ARN_SUFFIX_CHARS.length)];
  return out;
}

function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

function decodeToken(token: string): number {
  try {
    const { o } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o: unknown };
    if (typeof o === 'number' && Number.isInteger(o) && o >= 0) return o;
  } catch {
    // falls through
  }
  throw new JsonErrors.InvalidNextTokenException('The NextToken value is invalid.');
}
