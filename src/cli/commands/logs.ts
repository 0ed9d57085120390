import { setTimeout as sleep } from 'node:timers/promises';
import type { CloudWatchLogsClient, FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import type { Command } from 'commander';
import { runClientCommand, withClientFlags, type ClientContext, type ClientFlags } from '../context.ts';
import { parseSince } from '../durations.ts';
import { EXIT, isNotFound } from '../errors.ts';

interface LogsFlags extends ClientFlags {
  readonly follow?: boolean;
  readonly since?: string;
  readonly streams?: boolean;
}

const POLL_MS = 1000;
/**
 * Each poll of --follow asks again from this far behind the newest event seen: an event
 * can be stored after a newer one from another stream. Event ids drop the repeats.
 */
const LOOKBACK_MS = 10_000;

export function registerLogs(program: Command): void {
  withClientFlags(
    program
      .command('logs')
      .description("print a function's log events (its LoggingConfig.LogGroup, by default /aws/lambda/<function>)")
      .argument('<function>', 'function name')
      .option('-f, --follow', 'keep polling for new events until interrupted')
      .option('--since <time>', 'only events since a duration ago (10m, 1h, 2d) or an ISO time')
      .option('--streams', 'prefix each line with its log stream name'),
  ).action((fn: string, flags: LogsFlags) =>
    runClientCommand(flags, { functionName: fn }, async (ctx) => {
      const name = functionName(fn);
      const sdk = await import('@aws-sdk/client-cloudwatch-logs');
      const tail = new Tail(sdk, await ctx.logs(), await logGroupOf(ctx, fn, name), flags.streams === true, flags.follow === true);
      const since = flags.since !== undefined ? parseSince(flags.since) : undefined;
      if (!flags.follow) {
        if (await tail.poll(since)) return EXIT.OK;
        return noLogs(ctx, fn, name);
      }
      return follow(ctx, tail, fn, name, since);
    }),
  );
}

async function follow(ctx: ClientContext, tail: Tail, fn: string, name: string, since: number | undefined): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let toldMissing = false;
  try {
    while (!stop.signal.aborted) {
      const found = await tail.poll(tail.resumeFrom(since), stop.signal);
      if (!found && !toldMissing) {
        const code = await noLogs(ctx, fn, name, '; waiting for the first invocation...');
        if (code !== EXIT.OK) return code;
        toldMissing = true;
      }
      await sleep(POLL_MS, undefined, { signal: stop.signal });
    }
  } catch (err) {
    if (!stop.signal.aborted) throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return EXIT.OK;
}

/** The function's LoggingConfig.LogGroup; /aws/lambda/<name> when it cannot be read (noLogs then explains). */
async function logGroupOf(ctx: ClientContext, fn: string, name: string): Promise<string> {
  try {
    const { GetFunctionConfigurationCommand } = await import('@aws-sdk/client-lambda');
    const config = await (await ctx.lambda()).send(new GetFunctionConfigurationCommand({ FunctionName: fn }));
    return config.LoggingConfig?.LogGroup ?? `/aws/lambda/${name}`;
  } catch {
    return `/aws/lambda/${name}`;
  }
}

/** The group is missing: say so when the function exists, and that the name is wrong when not. */
async function noLogs(ctx: ClientContext, fn: string, name: string, suffix = ''): Promise<number> {
  try {
    const { GetFunctionCommand } = await import('@aws-sdk/client-lambda');
    await (await ctx.lambda()).send(new GetFunctionCommand({ FunctionName: fn }));
  } catch (err) {
    if (isNotFound(err)) {
      process.stderr.write(`Function not found: ${fn}\n`);
      return EXIT.FAILURE;
    }
    throw err;
  }
  process.stderr.write(`No logs yet for function ${name}${suffix}\n`);
  return EXIT.OK;
}

/** Reads a log group through FilterLogEvents and prints each event once. */
class Tail {
  /** eventId → timestamp of what was printed within the lookback window. */
  readonly #seen = new Map<string, number>();
  #newest: number | undefined;

  constructor(
    private readonly sdk: typeof import('@aws-sdk/client-cloudwatch-logs'),
    private readonly logs: CloudWatchLogsClient,
    private readonly group: string,
    private readonly withStreams: boolean,
    /** Only --follow re-reads events; a single pass never sees one twice. */
    private readonly remember: boolean,
  ) {}

  resumeFrom(since: number | undefined): number | undefined {
    if (this.#newest === undefined) return since;
    const from = Math.max(since ?? 0, this.#newest - LOOKBACK_MS);
    for (const [id, ts] of this.#seen) if (ts < from) this.#seen.delete(id);
    return from;
  }

  /** Prints every new event from startTime on, all pages; false when the group does not exist. */
  async poll(startTime: number | undefined, signal?: AbortSignal): Promise<boolean> {
    let nextToken: string | undefined;
    do {
      let out;
      try {
        out = await this.logs.send(
          new this.sdk.FilterLogEventsCommand({
            logGroupName: this.group,
            ...(startTime !== undefined ? { startTime } : {}),
            ...(nextToken ? { nextToken } : {}),
          }),
          signal ? { abortSignal: signal } : {},
        );
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
      for (const e of out.events ?? []) this.#print(e);
      nextToken = out.nextToken;
    } while (nextToken);
    return true;
  }

  #print(e: FilteredLogEvent): void {
    const id = e.eventId ?? `${e.logStreamName}/${e.timestamp}/${e.message}`;
    if (this.#seen.has(id)) return;
    const ts = e.timestamp ?? 0;
    if (this.remember) this.#seen.set(id, ts);
    if (this.#newest === undefined || ts > this.#newest) this.#newest = ts;
    const message = (e.message ?? '').replace(/\r?\n$/, '');
    process.stdout.write(this.withStreams ? `${e.logStreamName} ${message}\n` : `${message}\n`);
  }
}

/** The bare name out of "name", "name:qualifier" or a function ARN: log groups are per function. */
function functionName(fn: string): string {
  const arn = /(?:^|:)function:([a-zA-Z0-9\-_]+)/.exec(fn);
  if (arn) return arn[1]!;
  return fn.split(':')[0]!;
}
