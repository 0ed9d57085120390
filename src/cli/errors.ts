/**
 * How the CLI fails: one clear line on stderr and an exit code, never a stack trace for
 * anything a user can cause (server down, wrong name, bad input, an AWS error).
 */

/** Exit codes of the `nimbus` command. */
export const EXIT = {
  OK: 0,
  /** A request failed, the function failed, or the input was wrong. */
  FAILURE: 1,
  /** `nimbus server` refused its configuration. */
  BAD_CONFIG: 2,
} as const;

/** A failure the CLI explains itself; its message is printed as is. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.FAILURE,
  ) {
    super(message);
  }
}

export interface ErrorContext {
  readonly endpoint?: string;
  /** The function the user named, for "Function not found: <name>". */
  readonly functionName?: string;
}

/** Socket-level failures that mean "nothing answered at that address". */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']);

/** The system error code of err, of its cause, or of any error it aggregates. */
export function socketCode(err: unknown, depth = 0): string | undefined {
  if (!err || typeof err !== 'object' || depth > 4) return undefined;
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && UNREACHABLE.has(e.code)) return e.code;
  for (const inner of [e.cause, ...(Array.isArray(e.errors) ? e.errors : [])]) {
    const code = socketCode(inner, depth + 1);
    if (code) return code;
  }
  return undefined;
}

/** True for errors the AWS SDK built from a service response (they carry $metadata.httpStatusCode). */
function isServiceError(err: unknown): err is Error & { $metadata: { httpStatusCode?: number } } {
  return err instanceof Error && typeof (err as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode === 'number';
}

export function isNotFound(err: unknown): boolean {
  return err instanceof Error && err.name === 'ResourceNotFoundException';
}

/** The single line that explains err to a user. */
export function describeError(err: unknown, ctx: ErrorContext = {}): string {
  if (err instanceof CliError) return err.message;
  const code = socketCode(err);
  if (code) {
    const where = ctx.endpoint ?? 'the configured endpoint';
    return code === 'ECONNREFUSED'
      ? `Cannot reach the Nimbus server at ${where}: is \`nimbus server\` running?`
      : `Cannot reach the Nimbus server at ${where} (${code}): check --endpoint or NIMBUS_ENDPOINT.`;
  }
  if (isNotFound(err) && ctx.functionName !== undefined) return `Function not found: ${ctx.functionName}`;
  if (isServiceError(err)) {
    const message = err.message && err.message !== 'UnknownError' ? err.message : `HTTP ${err.$metadata.httpStatusCode}`;
    return `${err.name}: ${message}`;
  }
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

/** Prints err as one line (plus the stack when NIMBUS_DEBUG is set) and returns the exit code. */
export function reportError(err: unknown, ctx: ErrorContext = {}): number {
  process.stderr.write(`${describeError(err, ctx)}\n`);
  const expected = err instanceof CliError || socketCode(err) !== undefined || isServiceError(err);
  if (process.env.NIMBUS_DEBUG) {
    if (err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  } else if (!expected) {
    // Not one of the failures above: likely a bug, so say where to get the details.
    process.stderr.write('(set NIMBUS_DEBUG=1 for details)\n');
  }
  return err instanceof CliError ? err.exitCode : EXIT.FAILURE;
}
