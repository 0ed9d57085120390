import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { Command } from 'commander';
import { CliError, EXIT, reportError, type ErrorContext } from './errors.ts';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:4566';
export const DEFAULT_REGION = 'us-east-1';

/** Options every command that talks to a server accepts. */
export interface ClientFlags {
  readonly endpoint?: string;
  readonly region?: string;
}

/** Where and how a command reaches the server, resolved once from flags and environment. */
export interface ClientContext {
  readonly endpoint: string;
  readonly region: string;
  /** The SDK packages are most of the CLI's start-up time, so each loads on first use. */
  lambda(): Promise<LambdaClient>;
  logs(): Promise<CloudWatchLogsClient>;
  /** Closes the clients' keep-alive sockets so the process can exit. */
  dispose(): void;
}

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/**
 * The credentials the CLI signs with. Nimbus does not verify signatures yet, so dummy
 * static keys do unless the caller set real ones; the SDK's default chain (profiles, SSO,
 * instance metadata) is deliberately skipped: it is slow and can prompt or fail.
 */
export function cliCredentials(env: NodeJS.ProcessEnv = process.env): AwsCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (accessKeyId && secretAccessKey) {
    return { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
  }
  return { accessKeyId: 'nimbus', secretAccessKey: 'nimbus' };
}

/** Adds --endpoint and --region to a command. */
export function withClientFlags(cmd: Command): Command {
  return cmd
    .option('--endpoint <url>', `Nimbus server URL (env NIMBUS_ENDPOINT, default ${DEFAULT_ENDPOINT})`)
    .option('--region <region>', `region to sign requests for (env AWS_REGION, default ${DEFAULT_REGION})`);
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
  const config = { endpoint, region, credentials: cliCredentials(env) };
  const created: Array<{ destroy(): void }> = [];
  let lambda: Promise<LambdaClient> | undefined;
  let logs: Promise<CloudWatchLogsClient> | undefined;
  const keep = <T extends { destroy(): void }>(client: T): T => (created.push(client), client);
  return {
    endpoint,
    region,
    lambda: () => (lambda ??= import('@aws-sdk/client-lambda').then((m) => keep(new m.LambdaClient(config)))),
    logs: () => (logs ??= import('@aws-sdk/client-cloudwatch-logs').then((m) => keep(new m.CloudWatchLogsClient(config)))),
    dispose() {
      for (const client of created) client.destroy();
    },
  };
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
