import { Command } from 'commander';
import { registerDelete } from './commands/delete.ts';
import { registerDeploy } from './commands/deploy.ts';
import { registerEvents } from './commands/events.ts';
import { registerGet } from './commands/get.ts';
import { registerInvoke } from './commands/invoke.ts';
import { registerList } from './commands/list.ts';
import { registerLogs } from './commands/logs.ts';
import { registerServer } from './commands/server.ts';
import { registerUsage } from './commands/usage.ts';

export const VERSION = '0.1.0';

/** The `nimbus` command and its subcommands. */
export function createProgram(): Command {
  const program = new Command('nimbus')
    .description('Nimbus: a self-hosted serverless platform that speaks AWS Lambda\'s APIs')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .enablePositionalOptions();
  registerServer(program);
  registerDeploy(program);
  registerInvoke(program);
  registerList(program);
  registerGet(program);
  registerDelete(program);
  registerLogs(program);
  registerEvents(program);
  registerUsage(program);
  return program;
}
