import { z } from 'zod';
import { JsonErrors } from '../errors/index.ts';

/*
 * Request shapes of the Secrets Manager actions Nimbus serves, with the limits of the
 * model (../shared/aws-models/secretsmanager/service-2.json.gz) and of
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_Operations.html.
 * A value outside them answers ValidationException in AWS's wording
 * ("1 validation error detected: Value '…' at 'member' failed to satisfy constraint: …");
 * a value of the wrong JSON type answers SerializationException.
 */

/** SecretString and SecretBinary: at most 64 KB (https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html). */
export const SECRET_VALUE_MAX = 65536;
/** Secret names: 1..512 characters of ASCII letters, digits and /_+=.@- */
export const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
export const INVALID_NAME_MESSAGE = 'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!';
/** ListSecrets and ListSecretVersionIds MaxResults: 1..100. */
export const LIST_MAX = 100;
/** DeleteSecret RecoveryWindowInDays: 7..30, default 30. */
export const RECOVERY_WINDOW_MIN = 7;
export const RECOVERY_WINDOW_MAX = 30;
export const RECOVERY_WINDOW_DEFAULT = 30;

/** The JSON member name AWS quotes in validation messages (lowerCamelCase). */
const memberOf = (path: PropertyKey[]) => path.map((p) => (typeof p === 'string' ? p[0]!.toLowerCase() + p.slice(1) : String(Number(p) + 1))).join('.');

/** A string member with the model's length bounds; sensitive ones are not quoted back. */
function text(min: number, max: number, opts: { sensitive?: boolean; pattern?: RegExp } = {}) {
  return z.string().superRefine((value, ctx) => {
    const shown = opts.sensitive ? 'Value' : `Value '${value}'`;
    const fail = (constraint: string) => ctx.addIssue({ code: 'custom', message: `${shown} %AT% failed to satisfy constraint: ${constraint}` });
    if (value.length < min) fail(`Member must have length greater than or equal to ${min}`);
    else if (value.length > max) fail(`Member must have length less than or equal to ${max}`);
    else if (opts.pattern && !opts.pattern.test(value)) fail(`Member must satisfy regular expression pattern: ${opts.pattern.source}`);
  });
}

function enumOf<const T extends readonly string[]>(values: T) {
  return z.string().superRefine((value, ctx) => {
    if (!values.includes(value)) ctx.addIssue({ code: 'custom', message: `Value '${value}' %AT% failed to satisfy constraint: Member must satisfy enum value set: [${values.join(', ')}]` });
  }) as unknown as z.ZodType<T[number]>;
}

function range(min: number, max: number) {
  return z.number().int().superRefine((value, ctx) => {
    if (value < min) ctx.addIssue({ code: 'custom', message: `Value '${value}' %AT% failed to satisfy constraint: Member must have value greater than or equal to ${min}` });
    else if (value > max) ctx.addIssue({ code: 'custom', message: `Value '${value}' %AT% failed to satisfy constraint: Member must have value less than or equal to ${max}` });
  });
}

/** SecretBinary travels as base64 in JSON; bounds apply to the decoded bytes. */
const secretBinary = z.string().transform((value, ctx) => {
  const bytes = Buffer.from(value, 'base64');
  if (bytes.toString('base64').replace(/=+$/, '') !== value.replace(/=+$/, '')) {
    ctx.addIssue({ code: 'invalid_type', expected: 'string', message: 'SecretBinary is not valid base64' });
    return z.NEVER;
  }
  if (bytes.length < 1) ctx.addIssue({ code: 'custom', message: 'Value %AT% failed to satisfy constraint: Member must have length greater than or equal to 1' });
  else if (bytes.length > SECRET_VALUE_MAX) ctx.addIssue({ code: 'custom', message: `Value %AT% failed to satisfy constraint: Member must have length less than or equal to ${SECRET_VALUE_MAX}` });
  return bytes;
});

const secretId = text(1, 2048);
const token = text(32, 64);
const secretString = text(1, SECRET_VALUE_MAX, { sensitive: true });
const description = text(0, 2048);
const kmsKeyId = text(0, 2048);
const type = text(0, 256);
const tags = z.array(z.object({ Key: text(1, 128), Value: text(0, 256) }));
const versionStages = z.array(text(1, 256)).superRefine((stages, ctx) => {
  if (stages.length < 1 || stages.length > 20) ctx.addIssue({ code: 'custom', message: `Value '[${stages.join(', ')}]' %AT% failed to satisfy constraint: Member must have length ${stages.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 20'}` });
});
const nextToken = text(1, 4096);

// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html
export const CreateSecretRequest = z.object({
  Name: text(1, 512),
  ClientRequestToken: token.optional(),
  Description: description.optional(),
  KmsKeyId: kmsKeyId.optional(),
  SecretString: secretString.optional(),
  SecretBinary: secretBinary.optional(),
  Tags: tags.optional(),
  AddReplicaRegions: z.array(z.unknown()).optional(),
  ForceOverwriteReplicaSecret: z.boolean().optional(),
  Type: type.optional(),
});

// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
export const GetSecretValueRequest = z.object({
  SecretId: secretId,
  VersionId: text(32, 64).optional(),
  VersionStage: text(1, 256).optional(),
});

// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html
export const PutSecretValueRequest = z.object({
  SecretId: secretId,
  ClientRequestToken: token.optional(),
  SecretString: secretString.optional(),
  SecretBinary: secretBinary.optional(),
  VersionStages: versionStages.optional(),
  RotationToken: text(36, 256, { sensitive: true }).optional(),
});

// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecret.html
export const UpdateSecretRequest = z.object({
  SecretId: secretId,
  ClientRequestToken: token.optional(),
  Description: description.optional(),
  KmsKeyId: kmsKeyId.optional(),
  SecretString: secretString.optional(),
  SecretBinary: secretBinary.optional(),
  Type: type.optional(),
});

// DescribeSecret, RestoreSecret
export const SecretIdRequest = z.object({ SecretId: secretId });

// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html
export const DeleteSecretRequest = z.object({
  SecretId: secretId,
  RecoveryWindowInDays: z.number().int().optional(),
  ForceDeleteWithoutRecovery: z.boolean().optional(),
});

export const FILTER_KEYS = ['description', 'name', 'tag-key', 'tag-value', 'primary-region', 'owning-service', 'all'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export const SORT_BY = ['created-date', 'last-accessed-date', 'last-changed-date', 'name'] as const;

// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecrets.html
export const ListSecretsRequest = z.object({
  IncludePlannedDeletion: z.boolean().optional(),
  MaxResults: range(1, LIST_MAX).optional(),
  NextToken: nextToken.optional(),
  Filters: z
    .array(z.object({ Key: enumOf(FILTER_KEYS).optional(), Values: z.array(text(0, 512, { pattern: /^!?[a-zA-Z0-9 :_@/+=.\-!]*$/ })).optional() }))
    .superRefine((filters, ctx) => {
      if (filters.length > 10) ctx.addIssue({ code: 'custom', message: 'Value %AT% failed to satisfy constraint: Member must have length less than or equal to 10' });
    })
    .optional(),
  SortOrder: enumOf(['asc', 'desc'] as const).optional(),
  SortBy: enumOf(SORT_BY).optional(),
});

// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecretVersionIds.html
export const ListSecretVersionIdsRequest = z.object({
  SecretId: secretId,
  MaxResults: range(1, LIST_MAX).optional(),
  NextToken: nextToken.optional(),
  IncludeDeprecated: z.boolean().optional(),
});

// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetRandomPassword.html
export const GetRandomPasswordRequest = z.object({
  PasswordLength: range(1, 4096).optional(),
  ExcludeCharacters: text(0, 4096).optional(),
  ExcludeNumbers: z.boolean().optional(),
  ExcludePunctuation: z.boolean().optional(),
  ExcludeUppercase: z.boolean().optional(),
  ExcludeLowercase: z.boolean().optional(),
  IncludeSpace: z.boolean().optional(),
  RequireEachIncludedType: z.boolean().optional(),
});

/**
 * Parses a request body once; constraint failures become one ValidationException listing
 * each (as AWS does), a missing required member "Value null at '…' … must not be null",
 * and anything of the wrong JSON type a SerializationException.
 */
export function parseRequest<S extends z.ZodType>(schema: S, body: unknown): Readonly<z.infer<S>> {
  const result = schema.safeParse(body, { reportInput: true });
  if (result.success) return Object.freeze(result.data) as Readonly<z.infer<S>>;
  const messages: string[] = [];
  for (const issue of result.error.issues) {
    const member = memberOf(issue.path);
    if (issue.code === 'custom') {
      messages.push(issue.message.replace('%AT%', `at '${member}'`));
    } else if (issue.code === 'invalid_type' && (issue as { input?: unknown }).input === undefined) {
      messages.push(`Value null at '${member}' failed to satisfy constraint: Member must not be null`);
    } else {
      throw new JsonErrors.SerializationException(issue.message && issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : 'The request body does not match the operation\'s shape.');
    }
  }
  const n = messages.length;
  throw new JsonErrors.ValidationException(`${n} validation error${n === 1 ? '' : 's'} detected: ${messages.join('; ')}`);
}
