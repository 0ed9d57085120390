import { createProgram } from './program.ts';

export { createProgram } from './program.ts';

// Every action reports its own failures and sets process.exitCode; nothing should reach here.
await createProgram().parseAsync(process.argv);
