import { z } from 'zod';
import { InvalidParameterValueException, InvalidRequestContentException } from '../errors/index.ts';
import { runtimeProblem } from './runtimes.ts';
import { layerArnList } from './layer-schemas.ts';

/*
 * Request bodies of the Lambda API, parsed once. Limits as AWS states them:
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 * https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html
 */

/** Timeout: 1..900 seconds, default 3. */
export const TIMEOUT_MIN = 1;
export const TIMEOUT_MAX = 900;
/** MemorySize: 128..10240 MB, default 128. */
export const MEMORY_MIN = 128;
export const MEMORY_MAX = 10240;
/** EphemeralStorage.Size: 512..10240 MB, default 512. */
export const EPHEMERAL_MIN = 512;
export const EPHEMERAL_MAX = 10240;
/** Environment variables: 4 KB in total, measured as the JSON of the map. */
export const ENV_MAX_BYTES = 4096;
/** A function name alone is at most 64 characters. */
export const FUNCTION_NAME_MAX = 64;

/**
 * Variables Lambda sets itself and refuses to let a function override.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
 */
export const RESERVED_ENV_KEYS: ReadonlySet<string> = new Set([
  '_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR',
]);

const ROLE_ARN = /^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
const HANDLER = /^[^\s]+$/;
const ENV_NAME = /^[a-zA-Z]([a-zA-Z0-9_])+$/;

const int = (field: string, min: number, max: number) =>
  z
    .number({ error: `Value at '${field}' failed to satisfy constraint: Member must be an integer` })
    .int({ error: `Value at '${field}' failed to satisfy constraint: Member must be an integer` })
    .refine((v) => v >= min, { error: (i) => `Value '${String(i.input)}' at '${field}' failed to satisfy constraint: Member must have value greater than or equal to ${min}` })
    .refine((v) => v <= max, { error: (i) => `Value '${String(i.input)}' at '${field}' failed to satisfy constraint: Member must have value less than or equal to ${max}` });

const runtime = z.string().superRefine((v, ctx) => {
  const problem = runtimeProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const handler = z
  .string()
  .max(128, { error: "Value at 'handler' failed to satisfy constraint: Member must have length less than or equal to 128" })
  .regex(HANDLER, { error: (i) => `Value '${String(i.input)}' at 'handler' failed to satisfy constraint: Member must satisfy regular expression pattern: [^\\s]+` });

const role = z.string().regex(ROLE_ARN, {
  error: (i) => `Value '${String(i.input)}' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+`,
});

const environment = z
  .object({ Variables: z.record(z.string(), z.string()).optional() })
  .loose()
  .superRefine((env, ctx) => {
    const vars = env.Variables ?? {};
    for (const key of Object.keys(vars)) {
      if (!ENV_NAME.test(key)) {
        ctx.addIssue({ code: 'custom', message: `Lambda was unable to configure your environment variables because the environment variables you have provided contains invalid keys: ${key}. Keys must match [a-zA-Z]([a-zA-Z0-9_])+: a letter first, at least two characters, then only letters, digits and underscores.` });
        return;
      }
    }
    const reserved = Object.keys(vars).filter((k) => RESERVED_ENV_KEYS.has(k));
    if (reserved.length > 0) {
      ctx.addIssue({ code: 'custom', message: `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(',')}` });
      return;
    }
    const measured = JSON.stringify(vars);
    if (Buffer.byteLength(measured) > ENV_MAX_BYTES) {
      ctx.addIssue({ code: 'custom', message: `Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: ${measured}` });
    }
  });

const ephemeralStorage = z.object({ Size: int('ephemeralStorage.size', EPHEMERAL_MIN, EPHEMERAL_MAX) }).loose();

const architectures = z
  .array(z.enum(['x86_64', 'arm64'], { error: "Value at 'architectures' failed to satisfy constraint: Member must satisfy enum value set: [x86_64, arm64]" }))
  .length(1, { error: "Value at 'architectures' failed to satisfy constraint: Member must have length less than or equal to 1" });

const description = z.string().max(256, { error: "Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 256" });

/**
 * LoggingConfig: log format, level filtering and log group.
 * https://docs.aws.amazon.com/lambda/latest/api/API_LoggingConfig.html
 */
const enumOf = <const T extends readonly [string, ...string[]]>(field: string, values: T) =>
  z.enum(values, { error: (i) => `Value '${String(i.input)}' at '${field}' failed to satisfy constraint: Member must satisfy enum value set: [${values.join(', ')}]` });
export const LOG_GROUP_PATTERN = /^[.\-_/#A-Za-z0-9]+$/;
const loggingConfig = z
  .object({
    LogFormat: enumOf('loggingConfig.logFormat', ['JSON', 'Text']).optional(),
    ApplicationLogLevel: enumOf('loggingConfig.applicationLogLevel', ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL']).optional(),
    SystemLogLevel: enumOf('loggingConfig.systemLogLevel', ['DEBUG', 'INFO', 'WARN']).optional(),
    LogGroup: z
      .string()
      .min(1, { error: "Value at 'loggingConfig.logGroup' failed to satisfy constraint: Member must have length greater than or equal to 1" })
      .max(512, { error: "Value at 'loggingConfig.logGroup' failed to satisfy constraint: Member must have length less than or equal to 512" })
      .regex(LOG_GROUP_PATTERN, { error: (i) => `Value '${String(i.input)}' at 'loggingConfig.logGroup' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+` })
      .optional(),
  })
  .loose();
export type LoggingConfigBody = z.infer<typeof loggingConfig>;

/** Where code comes from: CreateFunction's Code object, UpdateFunctionCode's top level. */
const codeSource = {
  ZipFile: z.string().optional(),
  S3Bucket: z.string().optional(),
  S3Key: z.string().optional(),
  S3ObjectVersion: z.string().optional(),
  ImageUri: z.string().optional(),
};
const code = z.object(codeSource).loose();

/** The configuration both CreateFunction and UpdateFunctionConfiguration set. */
const configuration = {
  Runtime: runtime.optional(),
  Handler: handler.optional(),
  Description: description.optional(),
  Timeout: int('timeout', TIMEOUT_MIN, TIMEOUT_MAX).optional(),
  MemorySize: int('memorySize', MEMORY_MIN, MEMORY_MAX).optional(),
  Environment: environment.optional(),
  EphemeralStorage: ephemeralStorage.optional(),
  Layers: layerArnList.optional(),
  LoggingConfig: loggingConfig.optional(),
};

const tags = z.record(z.string(), z.string());

// https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html
export const CreateFunctionBody = z
  .object({
    ...configuration,
    FunctionName: z.string({ error: 'FunctionName is required' }),
    Role: role,
    Code: code,
    Publish: z.boolean().optional(),
    PackageType: z.enum(['Zip', 'Image']).optional(),
    Architectures: architectures.optional(),
    Tags: tags.optional(),
  })
  .loose();
export type CreateFunctionBody = z.infer<typeof CreateFunctionBody>;

// https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionConfiguration.html
export const UpdateFunctionConfigurationBody = z
  .object({
    ...configuration,
    Role: role.optional(),
    RevisionId: z.string().optional(),
  })
  .loose();
export type UpdateFunctionConfigurationBody = z.infer<typeof UpdateFunctionConfigurationBody>;

// https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionCode.html
export const UpdateFunctionCodeBody = z
  .object({
    ...codeSource,
    Publish: z.boolean().optional(),
    DryRun: z.boolean().optional(),
    RevisionId: z.string().optional(),
    Architectures: architectures.optional(),
  })
  .loose();
export type UpdateFunctionCodeBody = z.infer<typeof UpdateFunctionCodeBody>;

/** Parses a JSON request body against a schema; bad JSON and bad fields become AWS's 400s. */
export function parseBody<S extends z.ZodType>(schema: S, body: Buffer): z.infer<S> {
  let json: unknown;
  try {
    json = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new InvalidRequestContentException(`Could not parse request body into json: ${(err as Error).message}`);
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.length > 0 && !issue.message.includes("at '") && !issue.message.startsWith('Lambda') && !issue.message.startsWith('The runtime')
      ? ` (at ${issue.path.join('.')})`
      : '';
    throw new InvalidParameterValueException(`${issue.message}${where}`);
  }
  return result.data;
}
