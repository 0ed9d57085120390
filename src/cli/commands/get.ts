import type { Command } from 'commander';
import { runClientCommand, withClientFlags, type ClientFlags } from '../context.ts';

export function registerGet(program: Command): void {
  withClientFlags(
    program
      .command('get')
      .description("print a function's configuration as JSON")
      .argument('<function>', 'function name or ARN, optionally :qualifier'),
  ).action((fn: string, flags: ClientFlags) =>
    runClientCommand(flags, { functionName: fn }, async (ctx) => {
      const { GetFunctionCommand } = await import('@aws-sdk/client-lambda');
      const out = await (await ctx.lambda()).send(new GetFunctionCommand({ FunctionName: fn }));
      process.stdout.write(`${JSON.stringify(out.Configuration ?? {}, null, 2)}\n`);
    }),
  );
}
