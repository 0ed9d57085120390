import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import path from 'node:path';
import type { Command } from 'commander';
// Directly, not through src/auth/index.ts: this file imports only node: built-ins, and the CLI starts on every run.
import { readRootCredentials, rootCredentialsPath } from '../auth/root-credentials.ts';
import { CliError, EXIT, reportError, type ErrorContext } from './errors.ts';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:4566';
export const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_DATA_DIR = './.nimbus';

/** Options every command that talks to a server accepts. */
export interface ClientFlags {
  readonly endpoint?: string;
  readonly region?: string;
  /** The server's data directory, whose root credentials the CLI signs with when the environment has none. */
  readonly dataDir?: string;
}

/** Where and how a command reaches the server, resolved once from flags and environment. */
export interface ClientContext {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: AwsCredentials;
  /** A SigV4-signed request to one of Nimbus's own paths (e.g. /_nimbus/events/…), signed for lambda. */
  fetch(method: string, pathAndQuery: string): Promise<Response>;
  /** The SDK packages are most of the CLI's start-up time, so each loads on first use. */
  lambda(): Promise<LambdaClient>;
  logs(): Promise<CloudWatchLogsClient>;
  iam(): Promise<IAMClient>;
  /** Closes the clients' keep-alive sockets so the process can exit. */
  dispose(): void;
}

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/**
 * The credentials the CLI signs with: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and
 * AWS_SESSION_TOKEN) when set, else the root credentials in the server's data dir
 * (--data-dir, NIMBUS_DATA_DIR, ./.nimbus). The SDK's default chain (profiles, SSO, instance
 * metadata) is deliberately skipped: it is slow and can prompt or fail.
 */
export function cliCredentials(env: NodeJS.ProcessEnv = process.env, dataDir?: string): AwsCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (accessKeyId && secretAccessKey) {
    return { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
  }
  const dir = path.resolve(dataDir ?? env.NIMBUS_DATA_DIR ?? DEFAULT_DATA_DIR);
  let keys;
  try {
    keys = readRootCredentials(dir);
  } catch (err) {
    throw new CliError(`Cannot read ${rootCredentialsPath(dir)}: ${(err as Error).message}`);
  }
  if (!keys) {
    throw new CliError(
      `No credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or point --data-dir (or NIMBUS_DATA_DIR) at the server's data directory ` +
        `(${rootCredentialsPath(dir)} does not exist; the server creates it on first start)`,
    );
  }
  return keys;
}

/** Adds --endpoint, --region and --data-dir to a command. */
export function withClientFlags(cmd: Command): Command {
  return cmd
    .option('--endpoint <url>', `Nimbus server URL (env NIMBUS_ENDPOINT, default ${DEFAULT_ENDPOINT})`)
    .option('--region <region>', `region to sign requests for (env AWS_REGION, default ${DEFAULT_REGION})`)
    .option('--data-dir <dir>', `the server's data dir, for its root credentials when AWS_ACCESS_KEY_ID is unset (env NIMBUS_DATA_DIR, default ${DEFAULT_DATA_DIR})`);
}

export function normalizeEndpoint(raw: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new CliError(`Invalid endpoint: ${raw} (expected a URL such as ${DEFAULT_ENDPOINT})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`Invalid endpoint: ${raw} (expected an http:// or https:// URL)`);
  }
  return url.href.replace(/\/+$/, '');
}

export function clientContext(flags: ClientFlags, env: NodeJS.ProcessEnv = process.env): ClientContext {
  const endpoint = normalizeEndpoint(flags.endpoint ?? env.NIMBUS_ENDPOINT ?? DEFAULT_ENDPOINT);
  const region = flags.region ?? env.AWS_REGION ?? DEFAULT_REGION;
  // The SDK warns on every run under Node 20 about its 2027 plans; a CLI user cannot act on that.
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const credentials = cliCredentials(env, flags.dataDir);
  const config = { endpoint, region, credentials };
  const created: Array<{ destroy(): void }> = [];
  let lambda: Promise<LambdaClient> | undefined;
  let logs: Promise<CloudWatchLogsClient> | undefined;
  let iam: Promise<IAMClient> | undefined;
  const keep = <T extends { destroy(): void }>(client: T): T => (created.push(client), client);
  return {
    endpoint,
    region,
    credentials,
    fetch: (method, pathAndQuery) => signedFetch(`${endpoint}${pathAndQuery}`, method, region, credentials),
    lambda: () => (lambda ??= import('@aws-sdk/client-lambda').then((m) => keep(new m.LambdaClient(config)))),
    logs: () => (logs ??= import('@aws-sdk/client-cloudwatch-logs').then((m) => keep(new m.CloudWatchLogsClient(config)))),
    iam: () => (iam ??= import('@aws-sdk/client-iam').then((m) => keep(new m.IAMClient(config)))),
    dispose() {
      for (const client of created) client.destroy();
    },
  };
}

/** fetch, signed with the SDK's own SigV4 signer (loaded on first use) for the lambda service. */
async function signedFetch(url: string, method: string, region: string, credentials: AwsCredentials): Promise<Response> {
  const [{ SignatureV4 }, { Sha256 }] = await Promise.all([import('@smithy/signature-v4'), import('../auth/sigv4.ts')]);
  const target = new URL(url);
  const query: Record<string, string> = {};
  for (const [k, v] of target.searchParams) query[k] = v;
  const signer = new SignatureV4({ credentials, region, service: 'lambda', sha256: Sha256 });
  const signed = await signer.sign({
    method,
    protocol: target.protocol,
    hostname: target.hostname,
    ...(target.port ? { port: Number(target.port) } : {}),
    path: target.pathname,
    query,
    headers: { host: target.host },
  });
  return fetch(url, { method, headers: signed.headers });
}

/**
 * Runs one client command: builds the context, maps any failure to one line and an exit
 * code, and always releases the clients. body may return a non-zero exit code itself.
 */
export async function runClientCommand(
  flags: ClientFlags,
  errorContext: Omit<ErrorContext, 'endpoint'>,
  body: (ctx: ClientContext) => Promise<number | void>,
): Promise<void> {
  let ctx: ClientContext | undefined;
  try {
    ctx = clientContext(flags);
    process.exitCode = (await body(ctx)) ?? EXIT.OK;
  } catch (err) {
    process.exitCode = reportError(err, { ...errorContext, ...(ctx ? { endpoint: ctx.endpoint } : {}) });
  } finally {
    ctx?.dispose();
  }
}
