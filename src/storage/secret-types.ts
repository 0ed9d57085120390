/**
 * Storage contracts of Secrets Manager. Secret metadata (name, description, tags, dates)
 * is kept as AWS shows it to anyone allowed DescribeSecret; version values only sealed.
 */

export interface SecretTag {
  readonly Key: string;
  readonly Value: string;
}

export interface SecretRecord {
  /** arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random characters> */
  readonly arn: string;
  readonly name: string;
  readonly description?: string;
  readonly kmsKeyId?: string;
  /** The model's `Type` member, kept as given. */
  readonly type?: string;
  readonly tags: readonly SecretTag[];
  /** Milliseconds since the epoch, like every date here. */
  readonly createdDate: number;
  readonly lastChangedDate: number;
  /** Day (UTC midnight) of the last GetSecretValue; absent when never read. */
  readonly lastAccessedDate?: number;
  /** Set while the secret is scheduled for deletion: when it will be purged. */
  readonly deletionDate?: number;
}

/** A secret version's value in the clear: exactly one of the two is set. */
export interface SecretValue {
  readonly string?: string;
  readonly binary?: Buffer;
}

export interface SecretVersionRecord {
  readonly versionId: string;
  /** Staging labels (AWSCURRENT, AWSPREVIOUS, custom); none means deprecated. */
  readonly stages: readonly string[];
  readonly createdDate: number;
}

export interface SecretStore {
  /** Runs fn in one immediate transaction (stage moves touch several versions). */
  atomically<T>(fn: () => T): T;
  byName(name: string): SecretRecord | undefined;
  byArn(arn: string): SecretRecord | undefined;
  /** Inserts a secret; false when its name is taken. */
  create(record: SecretRecord): boolean;
  update(record: SecretRecord): void;
  /** Removes a secret and every version of it. */
  remove(arn: string): void;
  /** Every secret, by creation date then name (the service filters, sorts and pages). */
  list(): SecretRecord[];
  /** Removes the secrets whose deletion date is at or before now; returns their names. */
  purgeDue(now: number): string[];
  /** Versions of a secret, oldest first. */
  versions(arn: string): SecretVersionRecord[];
  version(arn: string, versionId: string): SecretVersionRecord | undefined;
  /** The value in the clear (the store seals it on write, opens it here). */
  value(arn: string, versionId: string): SecretValue | undefined;
  addVersion(arn: string, version: SecretVersionRecord, value: SecretValue): void;
  setStages(arn: string, versionId: string, stages: readonly string[]): void;
  removeVersion(arn: string, versionId: string): void;
}
