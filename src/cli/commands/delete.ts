import type { Command } from 'commander';
import { runClientCommand, withClientFlags, type ClientFlags } from '../context.ts';

export function registerDelete(program: Command): void {
  withClientFlags(
    program
      .command('delete')
      .description('delete a function')
      .argument('<function>', 'function name or ARN, optionally :qualifier'),
  ).action((fn: string, flags: ClientFlags) =>
    runClientCommand(flags, { functionName: fn }, async (ctx) => {
      const { DeleteFunctionCommand } = await import('@aws-sdk/client-lambda');
      await (await ctx.lambda()).send(new DeleteFunctionCommand({ FunctionName: fn }));
      process.stdout.write(`Deleted function ${fn}\n`);
    }),
  );
}
