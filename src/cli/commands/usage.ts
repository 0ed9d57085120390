import type { Command } from 'commander';
import { runClientCommand, withClientFlags, type ClientFlags } from '../context.ts';
import { parseSince } from '../durations.ts';
import { formatTable } from '../table.ts';

interface UsageLine {
  Requests: number;
  BilledDurationMs: number;
  GBSeconds: number;
  Cost: number;
}

interface UsageBody {
  Since: string;
  Functions: Array<UsageLine & { FunctionName: string; Architectures: string[] }>;
  Total: UsageLine;
}

/** `nimbus usage`: metered GB-seconds and requests, priced as AWS Lambda would charge them. */
export function registerUsage(program: Command): void {
  withClientFlags(
    program
      .command('usage')
      .description('metered usage per function: requests, billed duration, GB-seconds and the equivalent AWS Lambda price')
      .option('--since <time>', 'only usage since a duration ago (10m, 1h, 2d) or an ISO time (default: all that is kept)')
      .option('--function <name>', 'one function (name or ARN)')
      .option('--json', 'print the report as JSON'),
  ).action((flags: ClientFlags & { since?: string; function?: string; json?: boolean }) =>
    runClientCommand(flags, flags.function ? { functionName: flags.function } : {}, async (ctx) => {
      const query = new URLSearchParams();
      if (flags.since !== undefined) query.set('since', String(parseSince(flags.since)));
      if (flags.function !== undefined) query.set('function', flags.function);
      const qs = query.size > 0 ? `?${query}` : '';
      const res = await ctx.fetch('GET', `/_nimbus/usage${qs}`);
      const body = (await res.json().catch(() => ({}))) as UsageBody & Record<string, unknown>;
      if (!res.ok) {
        const err = new Error(String(body.Message ?? body.message ?? `HTTP ${res.status}`)) as Error & { $metadata: unknown };
        err.name = res.headers.get('x-amzn-ErrorType') ?? String(body.Type ?? 'Error');
        err.$metadata = { httpStatusCode: res.status };
        throw err;
      }
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
        return;
      }
      if (body.Functions.length === 0) {
        process.stdout.write(`No usage recorded since ${body.Since}.\n`);
        return;
      }
      const row = (name: string, arch: string, u: UsageLine) => [name, arch, String(u.Requests), String(u.BilledDurationMs), u.GBSeconds.toFixed(6), `$${u.Cost.toFixed(10)}`];
      const rows = body.Functions.map((f) => row(f.FunctionName, f.Architectures.join(','), f));
      rows.push(row('TOTAL', '', body.Total));
      process.stdout.write(formatTable(['FUNCTION', 'ARCH', 'REQUESTS', 'BILLED MS', 'GB-SECONDS', 'AWS PRICE (USD)'], rows));
    }),
  );
}
