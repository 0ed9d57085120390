import type { Command } from 'commander';
import type { ZodError } from 'zod';
import type { ConfigInput } from '../../config/index.ts';
import { parseDuration } from '../durations.ts';
import { CliError, EXIT, reportError } from '../errors.ts';

interface ServerFlags {
  readonly port?: string;
  readonly host?: string;
  readonly dataDir?: string;
  readonly region?: string;
  readonly accountId?: string;
  readonly idleTimeout?: string;
  readonly concurrency?: string;
  readonly logLevel?: string;
  readonly auth?: string;
  readonly runtimePool?: string;
}

/** Config field → the flag that sets it, so a schema error names what the user typed. */
const FLAG_OF: Record<string, string> = {
  host: '--host',
  port: '--port',
  dataDir: '--data-dir',
  region: '--region',
  accountId: '--account-id',
  idleTimeoutMs: '--idle-timeout',
  concurrencyLimit: '--concurrency',
  logLevel: '--log-level',
  auth: '--auth',
  'runtimePool.size': '--runtime-pool',
};

export function registerServer(program: Command): void {
  program
    .command('server')
    .description('run the Nimbus server: every API on one HTTP port')
    .option('--port <port>', 'port to listen on (default 4566)')
    .option('--host <host>', 'address to bind (default 127.0.0.1)')
    .option('--data-dir <dir>', 'data directory (env NIMBUS_DATA_DIR, default ./.nimbus)')
    .option('--region <region>', 'region of the ARNs the server hands out (default us-east-1)')
    .option('--account-id <id>', '12-digit account id of the ARNs (default 123456789012)')
    .option('--idle-timeout <duration>', 'reap sandboxes idle this long, e.g. 300s, 5m (bare number: seconds; default 5m)')
    .option('--concurrency <n>', 'account-wide concurrent executions (default 1000)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (default info)')
    .option('--auth <on|off>', 'SigV4 authentication of every request (env NIMBUS_AUTH, default on); off is for throwaway local use')
    .option('--runtime-pool <n>', 'pre-started Node.js runtimes kept for cold starts, 0 to 64 (default 2; 0: none)')
    .action(async (flags: ServerFlags) => {
      try {
        await serve(flags);
      } catch (err) {
        process.exitCode = reportError(isZodError(err) ? configError(err) : startError(err, flags));
      }
    });
}

async function serve(flags: ServerFlags): Promise<void> {
  const input = configInput(flags);
  // Loaded here so that the client commands never pay for the server's modules.
  const { startNimbus } = await import('../../main.ts');
  const nimbus = await startNimbus(input);
  const example = nimbus.endpoint.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//localhost:');
  const { keys, file } = nimbus.root;
  if (nimbus.auth.enabled) {
    process.stdout.write(
      `Nimbus listening on ${nimbus.endpoint} (data: ${nimbus.config.dataDir}). ` +
        `Try: aws --endpoint-url ${example} lambda list-functions\n` +
        `Every request is verified with SigV4 against the root credentials in ${file} (or IAM's keys). For the AWS CLI and SDKs:\n` +
        `  export AWS_ACCESS_KEY_ID=${keys.accessKeyId} AWS_SECRET_ACCESS_KEY=${keys.secretAccessKey} AWS_DEFAULT_REGION=${nimbus.config.region}\n` +
        `  (or: export AWS_SHARED_CREDENTIALS_FILE=${file}); the nimbus CLI reads them from the data dir itself.\n`,
    );
  } else {
    process.stdout.write(
      `Nimbus listening on ${nimbus.endpoint} (data: ${nimbus.config.dataDir}) WITH AUTHENTICATION OFF: every request acts as root, signed or not. ` +
        `Try: aws --endpoint-url ${example} lambda list-functions\n`,
    );
  }

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`Received ${signal} again, exiting now\n`);
      process.exit(EXIT.FAILURE);
    }
    stopping = true;
    process.stderr.write(`Received ${signal}, shutting down (send it again to force)\n`);
    nimbus.close().then(
      () => process.exit(EXIT.OK),
      (err: unknown) => process.exit(reportError(err)),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** Flags (and NIMBUS_DATA_DIR) → config input; parseConfig validates the values. */
export function configInput(flags: ServerFlags, env: NodeJS.ProcessEnv = process.env): ConfigInput {
  const dataDir = flags.dataDir ?? env.NIMBUS_DATA_DIR;
  const auth = flags.auth ?? env.NIMBUS_AUTH;
  let idleTimeoutMs: number | undefined;
  if (flags.idleTimeout !== undefined) {
    idleTimeoutMs = parseDuration(flags.idleTimeout);
    if (idleTimeoutMs === undefined) {
      throw new CliError(`Invalid configuration: --idle-timeout ${flags.idleTimeout}: expected a duration such as 300s or 5m`, EXIT.BAD_CONFIG);
    }
  }
  return {
    ...(flags.host !== undefined ? { host: flags.host } : {}),
    ...(flags.port !== undefined ? { port: numeric(flags.port) } : {}),
    ...(dataDir !== undefined ? { dataDir } : {}),
    ...(flags.region !== undefined ? { region: flags.region } : {}),
    ...(flags.accountId !== undefined ? { accountId: flags.accountId } : {}),
    ...(idleTimeoutMs !== undefined ? { idleTimeoutMs } : {}),
    ...(flags.concurrency !== undefined ? { concurrencyLimit: numeric(flags.concurrency) } : {}),
    ...(flags.logLevel !== undefined ? { logLevel: flags.logLevel as ConfigInput['logLevel'] } : {}),
    ...(auth !== undefined && auth !== '' ? { auth: auth as ConfigInput['auth'] } : {}),
    ...(flags.runtimePool !== undefined ? { runtimePool: { size: numeric(flags.runtimePool) } } : {}),
  };
}

/** A number when the text is one; otherwise the text, which the schema then rejects by name. */
function numeric(text: string): number {
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : (text as unknown as number);
}

/** parseConfig throws zod's error; recognised by shape so the client commands never load zod. */
function isZodError(err: unknown): err is ZodError {
  return err instanceof Error && err.name === 'ZodError' && Array.isArray((err as { issues?: unknown }).issues);
}

/** One line naming each bad flag; exit code 2. */
export function configError(err: ZodError): CliError {
  const problems = err.issues.map((issue) => {
    const key = issue.path.map(String).join('.');
    const where = FLAG_OF[key] ?? (key || 'config');
    return `${where}: ${issue.message}`;
  });
  return new CliError(`Invalid configuration: ${problems.join('; ')}`, EXIT.BAD_CONFIG);
}

function startError(err: unknown, flags: ServerFlags): unknown {
  const { code, syscall } = (err ?? {}) as NodeJS.ErrnoException;
  if (syscall !== 'listen' && syscall !== 'getaddrinfo') return err;
  const where = `${flags.host ?? '127.0.0.1'}:${flags.port ?? 4566}`;
  if (code === 'EADDRINUSE') return new CliError(`Cannot listen on ${where}: the port is already in use (choose another with --port)`);
  if (code === 'EACCES') return new CliError(`Cannot listen on ${where}: permission denied (choose a port above 1023 with --port)`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new CliError(`Cannot listen on ${where}: no such local address (check --host)`);
  return err;
}
