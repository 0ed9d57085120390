import type { Command } from 'commander';
import { runClientCommand, withClientFlags, type ClientContext, type ClientFlags } from '../context.ts';
import { formatTable } from '../table.ts';

interface FailedEvent {
  requestId: string;
  qualifier?: string;
  receivedAt: string;
  failedAt: string;
  attempts: number;
  reason: string;
  payload: unknown;
}

/** `nimbus events failed|redrive`: async events that failed every attempt and reached no destination. */
export function registerEvents(program: Command): void {
  const events = program.command('events').description('inspect and redrive failed asynchronous events');
  withClientFlags(
    events
      .command('failed')
      .description('list the async events of a function that failed for good (no destination took them)')
      .argument('<function>', 'function name or ARN')
      .option('--json', 'print the events, payloads included, as JSON'),
  ).action((fn: string, flags: ClientFlags & { json?: boolean }) =>
    runClientCommand(flags, { functionName: fn }, async (ctx) => {
      const { FailedEvents } = (await call(ctx, 'GET', fn, 'failed')) as { FailedEvents: FailedEvent[] };
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(FailedEvents, null, 2)}\n`);
        return;
      }
      if (FailedEvents.length === 0) {
        process.stdout.write(`No failed events for ${fn}.\n`);
        return;
      }
      const rows = FailedEvents.map((e) => [e.requestId, e.failedAt, String(e.attempts), e.reason]);
      process.stdout.write(formatTable(['REQUEST ID', 'FAILED AT', 'ATTEMPTS', 'REASON'], rows));
    }),
  );
  withClientFlags(
    events
      .command('redrive')
      .description("send a function's failed async events through the queue again")
      .argument('<function>', 'function name or ARN'),
  ).action((fn: string, flags: ClientFlags) =>
    runClientCommand(flags, { functionName: fn }, async (ctx) => {
      const { Redriven } = (await call(ctx, 'POST', fn, 'redrive')) as { Redriven: number };
      process.stdout.write(`Redrove ${Redriven} event${Redriven === 1 ? '' : 's'} of ${fn}.\n`);
    }),
  );
}

/** Nimbus's own paths are not in any AWS SDK: SigV4-signed HTTP, errors shaped like the SDK's. */
async function call(ctx: ClientContext, method: string, fn: string, what: string): Promise<unknown> {
  const res = await ctx.fetch(method, `/_nimbus/events/${encodeURIComponent(fn)}/${what}`);
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) {
    const err = new Error(String(body.Message ?? body.message ?? `HTTP ${res.status}`)) as Error & { $metadata: unknown };
    err.name = res.headers.get('x-amzn-ErrorType') ?? String(body.Type ?? 'Error');
    err.$metadata = { httpStatusCode: res.status };
    throw err;
  }
  return body;
}
