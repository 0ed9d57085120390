import type { FunctionConfiguration } from '@aws-sdk/client-lambda';
import type { Command } from 'commander';
import { runClientCommand, withClientFlags, type ClientFlags } from '../context.ts';
import { formatTable } from '../table.ts';

export function registerList(program: Command): void {
  withClientFlags(program.command('list').description('list every function (all pages) as a table')).action((flags: ClientFlags) =>
    runClientCommand(flags, {}, async (ctx) => {
      const { paginateListFunctions } = await import('@aws-sdk/client-lambda');
      const functions: FunctionConfiguration[] = [];
      for await (const page of paginateListFunctions({ client: await ctx.lambda() }, {})) functions.push(...(page.Functions ?? []));
      if (functions.length === 0) {
        process.stdout.write('No functions.\n');
        return;
      }
      const rows = functions.map((f) => [
        f.FunctionName ?? '',
        f.Runtime ?? '-',
        f.MemorySize !== undefined ? `${f.MemorySize} MB` : '-',
        f.Timeout !== undefined ? `${f.Timeout} s` : '-',
        f.LastModified ?? '-',
      ]);
      process.stdout.write(formatTable(['NAME', 'RUNTIME', 'MEMORY', 'TIMEOUT', 'LAST MODIFIED'], rows));
    }),
  );
}
