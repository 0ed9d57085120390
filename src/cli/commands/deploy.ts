import fsp from 'node:fs/promises';
import path from 'node:path';
import type { FunctionConfiguration, LambdaClient, Runtime } from '@aws-sdk/client-lambda';
import { InvalidArgumentError, type Command } from 'commander';
import { runClientCommand, withClientFlags, type ClientFlags } from '../context.ts';
import { CliError, isNotFound } from '../errors.ts';
import { zipDirectory } from '../zip-dir.ts';

export const DEFAULT_RUNTIME = 'nodejs20.x';
/** The execution role of functions deployed without --role; created on first use. */
export const DEFAULT_ROLE_NAME = 'nimbus-default';
const LAMBDA_TRUST_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const BASIC_EXECUTION = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';
const POLL_MS = 250;
const WAIT_MAX_MS = 5 * 60_000;

/** The SDK module (loaded on use) and a client of it. */
interface Api {
  readonly sdk: typeof import('@aws-sdk/client-lambda');
  readonly lambda: LambdaClient;
  /** The default role's ARN, creating the role when missing. */
  readonly defaultRole: () => Promise<string>;
}

interface DeployFlags extends ClientFlags {
  readonly name: string;
  readonly handler?: string;
  readonly runtime?: string;
  readonly role?: string;
  readonly env?: Record<string, string>;
  readonly memory?: number;
  readonly timeout?: number;
  readonly description?: string;
}

export function registerDeploy(program: Command): void {
  withClientFlags(
    program
      .command('deploy')
      .description('zip a directory (or take a .zip) and create or update a function')
      .argument('<path>', 'function directory (zipped with its node_modules) or a .zip file')
      .requiredOption('--name <name>', 'function name')
      .option('--handler <handler>', 'handler, e.g. index.handler (required to create)')
      .option('--runtime <runtime>', `runtime (default ${DEFAULT_RUNTIME} on create)`)
      .option('--role <arn>', `execution role ARN (default: role ${DEFAULT_ROLE_NAME}, created if missing, trusting Lambda, with AWSLambdaBasicExecutionRole)`)
      .option('--env <KEY=VALUE>', 'environment variable, repeatable; replaces the function\'s variables', collectEnv)
      .option('--memory <mb>', 'memory size in MB (128-10240)', integer('--memory', 128, 10240))
      .option('--timeout <seconds>', 'timeout in seconds (1-900)', integer('--timeout', 1, 900))
      .option('--description <text>', 'description'),
  ).action((source: string, flags: DeployFlags) =>
    runClientCommand(flags, { functionName: flags.name }, async (ctx) => {
      const zip = await readPackage(source);
      const api: Api = { sdk: await import('@aws-sdk/client-lambda'), lambda: await ctx.lambda(), defaultRole: async () => ensureDefaultRole(await ctx.iam()) };
      const existing = await getConfiguration(api, flags.name);
      const result = existing ? await update(api, flags, zip) : await create(api, flags, zip);
      process.stdout.write(
        `${existing ? 'Updated' : 'Created'} function ${flags.name}\n` +
          `FunctionArn: ${result.FunctionArn}\nCodeSha256: ${result.CodeSha256}\nState: ${result.State}\n`,
      );
    }),
  );
}

/** A directory is zipped; a .zip file is sent as is. */
async function readPackage(source: string): Promise<Buffer> {
  const stat = await fsp.stat(source).catch(() => undefined);
  if (!stat) throw new CliError(`No such file or directory: ${source}`);
  if (stat.isDirectory()) return zipDirectory(source, (m) => process.stderr.write(`${m}\n`));
  if (stat.isFile() && path.extname(source).toLowerCase() === '.zip') return fsp.readFile(source);
  throw new CliError(`Cannot deploy ${source}: expected a directory or a .zip file`);
}

async function getConfiguration({ sdk, lambda }: Api, name: string): Promise<FunctionConfiguration | undefined> {
  try {
    return (await lambda.send(new sdk.GetFunctionCommand({ FunctionName: name }))).Configuration;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function create(api: Api, flags: DeployFlags, zip: Buffer): Promise<FunctionConfiguration> {
  if (!flags.handler) throw new CliError(`--handler is required to create function ${flags.name}`);
  const created = await api.lambda.send(
    new api.sdk.CreateFunctionCommand({
      FunctionName: flags.name,
      Runtime: (flags.runtime ?? DEFAULT_RUNTIME) as Runtime,
      Role: flags.role ?? (await api.defaultRole()),
      Handler: flags.handler,
      Code: { ZipFile: zip },
      ...configurationFlags(flags),
    }),
  );
  return created.State === 'Pending' ? waitUntilSettled(api, flags.name) : created;
}

/**
 * The ARN of role nimbus-default; created when missing, with the Lambda trust policy and
 * AWSLambdaBasicExecutionRole (logs only: functions that call other APIs need their own role).
 */
async function ensureDefaultRole(iam: import('@aws-sdk/client-iam').IAMClient): Promise<string> {
  const sdk = await import('@aws-sdk/client-iam');
  try {
    return (await iam.send(new sdk.GetRoleCommand({ RoleName: DEFAULT_ROLE_NAME }))).Role!.Arn!;
  } catch (err) {
    if (!(err instanceof sdk.NoSuchEntityException)) throw err;
  }
  let arn: string;
  try {
    arn = (await iam.send(new sdk.CreateRoleCommand({ RoleName: DEFAULT_ROLE_NAME, AssumeRolePolicyDocument: LAMBDA_TRUST_POLICY, Description: 'Execution role of functions deployed by nimbus deploy without --role' }))).Role!.Arn!;
  } catch (err) {
    // Another deploy created it meanwhile.
    if (err instanceof sdk.EntityAlreadyExistsException) return (await iam.send(new sdk.GetRoleCommand({ RoleName: DEFAULT_ROLE_NAME }))).Role!.Arn!;
    throw err;
  }
  await iam.send(new sdk.AttachRolePolicyCommand({ RoleName: DEFAULT_ROLE_NAME, PolicyArn: BASIC_EXECUTION }));
  process.stdout.write(`Created execution role ${DEFAULT_ROLE_NAME} (${arn}): trusts lambda.amazonaws.com, with AWSLambdaBasicExecutionRole\n`);
  return arn;
}

/** UpdateFunctionCode, then (once that update has finished) UpdateFunctionConfiguration with the flags given. */
async function update(api: Api, flags: DeployFlags, zip: Buffer): Promise<FunctionConfiguration> {
  const { sdk, lambda } = api;
  let latest: FunctionConfiguration = await lambda.send(new sdk.UpdateFunctionCodeCommand({ FunctionName: flags.name, ZipFile: zip }));
  if (latest.LastUpdateStatus === 'InProgress') latest = await waitUntilSettled(api, flags.name);
  const changes = {
    ...configurationFlags(flags),
    ...(flags.handler ? { Handler: flags.handler } : {}),
    ...(flags.runtime ? { Runtime: flags.runtime as Runtime } : {}),
    ...(flags.role ? { Role: flags.role } : {}),
  };
  if (Object.keys(changes).length === 0) return latest;
  latest = await lambda.send(new sdk.UpdateFunctionConfigurationCommand({ FunctionName: flags.name, ...changes }));
  return latest.LastUpdateStatus === 'InProgress' ? waitUntilSettled(api, flags.name) : latest;
}

function configurationFlags(flags: DeployFlags) {
  return {
    ...(flags.env ? { Environment: { Variables: flags.env } } : {}),
    ...(flags.memory !== undefined ? { MemorySize: flags.memory } : {}),
    ...(flags.timeout !== undefined ? { Timeout: flags.timeout } : {}),
    ...(flags.description !== undefined ? { Description: flags.description } : {}),
  };
}

/** Polls until the function is neither Pending nor InProgress (the function-updated-v2 waiter's condition). */
async function waitUntilSettled({ sdk, lambda }: Api, name: string): Promise<FunctionConfiguration> {
  const deadline = Date.now() + WAIT_MAX_MS;
  for (;;) {
    const c = await lambda.send(new sdk.GetFunctionConfigurationCommand({ FunctionName: name }));
    if (c.State === 'Failed') throw new CliError(`Function ${name} failed to become active: ${c.StateReason ?? c.StateReasonCode ?? 'no reason given'}`);
    if (c.LastUpdateStatus === 'Failed') {
      throw new CliError(`Update of function ${name} failed: ${c.LastUpdateStatusReason ?? c.LastUpdateStatusReasonCode ?? 'no reason given'}`);
    }
    if (c.State !== 'Pending' && c.LastUpdateStatus !== 'InProgress') return c;
    if (Date.now() > deadline) throw new CliError(`Timed out waiting for function ${name} to finish updating`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function collectEnv(pair: string, acc: Record<string, string> | undefined): Record<string, string> {
  const eq = pair.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('Expected KEY=VALUE.');
  return { ...acc, [pair.slice(0, eq)]: pair.slice(eq + 1) };
}

/**
 * AWS's limits, checked before anything is sent so that an update never stops halfway
 * (new code, old configuration). https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 */
function integer(flag: string, min: number, max: number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || n < min || n > max) throw new InvalidArgumentError(`${flag} must be a whole number from ${min} to ${max}.`);
    return n;
  };
}
